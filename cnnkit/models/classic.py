"""The classic networks of chapter 06: LeNet-5 and the VGG family.

>>> sum(p.numel() for p in lenet5().parameters())
61706
"""
from __future__ import annotations

from typing import Sequence

from torch import nn

from ._validate import choice, halved, int_sequence, module_class, positive_int, probability
from .basics import INIT_SCHEMES, init_weights


def lenet5(*, in_channels: int = 1, image_size: int = 28, num_classes: int = 10, activation=nn.ReLU,
           init: str = "kaiming") -> nn.Sequential:
    """LeNet-5 as the lecture writes it in PyTorch: conv 6@5x5, max pool, conv 16@5x5, max pool,
    dense 120-84-10, with ReLU.

    LeNet was designed for 32x32 inputs; a 28x28 image is padded by 2 in the first convolution
    (padding = (32 - image_size) / 2), so the maps always go 32 -> 28 -> 14 -> 10 -> 5 and the
    Fashion-MNIST model has the lecture's 61,706 parameters (CIFAR-10, 3 channels: 62,006).

    >>> sum(p.numel() for p in lenet5(in_channels=3, image_size=32).parameters())
    62006
    """
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes)):
        positive_int(name, value)
    module_class("activation", activation)
    choice("init scheme", init, INIT_SCHEMES)
    pad = 32 - image_size
    if pad < 0 or pad % 2:
        raise ValueError(f"image_size must be 32 or smaller by an even number (e.g. 28: the first convolution "
                         f"pads by (32 - image_size) / 2); got image_size={image_size}")
    return init_weights(nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=pad // 2), activation(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), activation(), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, num_classes),
    ), init)


def vgg_block(num_convs: int, in_channels: int, out_channels: int, *, activation=nn.ReLU) -> nn.Sequential:
    """A VGG block: ``num_convs`` padded 3x3 convolutions (each followed by ``activation``), then
    2x2 max pooling. The block keeps the resolution until the pooling halves it.

    >>> vgg_block(2, 3, 64)
    Sequential(
      (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (1): ReLU()
      (2): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (3): ReLU()
      (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    )
    """
    for name, value in (("num_convs", num_convs), ("in_channels", in_channels), ("out_channels", out_channels)):
        positive_int(name, value)
    module_class("activation", activation)
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), activation()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


VGG16_ARCH = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


def _arch(arch) -> tuple[tuple[int, int], ...]:
    ok = (isinstance(arch, Sequence) and len(arch) > 0
          and all(isinstance(b, Sequence) and len(b) == 2 for b in arch))
    if not ok:
        raise TypeError(f"arch must be a non-empty sequence of (num_convs, channels) pairs, e.g. ((2, 64), (2, 128)); "
                        f"got {arch!r}")
    for num_convs, channels in arch:
        positive_int("arch's num_convs", num_convs)
        positive_int("arch's channels", channels)
    return tuple((int(n), int(c)) for n, c in arch)


def vgg(arch: Sequence[tuple[int, int]] = VGG16_ARCH, hidden: Sequence[int] = (4096, 4096), *,
        in_channels: int = 3, image_size: int = 224, num_classes: int = 10, dropout: float = 0.0,
        activation=nn.ReLU, init: str = "kaiming") -> nn.Sequential:
    """A VGG network: one :func:`vgg_block` per ``(num_convs, channels)`` pair of ``arch``, then
    Flatten and dense layers of sizes ``hidden`` (ReLU, optional dropout) and the classifier.

    Every block halves the maps (rounding down: 244 -> 122 -> 61 -> 30 -> 15 -> 7), so the
    first dense layer has ``channels * s * s`` inputs for the final size ``s``.
    The result is ``Sequential(features, classifier)``.

    >>> m = vgg(((1, 8), (1, 16)), hidden=(32,), in_channels=1, image_size=28)
    >>> sum(p.numel() for p in m.parameters())
    26698
    """
    arch = _arch(arch)
    hidden = int_sequence("hidden", hidden, example="(4096, 4096)", allow_empty=True)
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes)):
        positive_int(name, value)
    probability("dropout", dropout)
    module_class("activation", activation)
    choice("init scheme", init, INIT_SCHEMES)
    s = halved("vgg", image_size, len(arch), "VGG blocks")
    blocks: list[nn.Module] = []
    c = in_channels
    for num_convs, out in arch:
        blocks.append(vgg_block(num_convs, c, out, activation=activation))
        c = out
    head: list[nn.Module] = [nn.Flatten()]
    width = c * s * s
    for h in hidden:
        head += [nn.Linear(width, h), activation()]
        if dropout:
            head.append(nn.Dropout(dropout))
        width = h
    head.append(nn.Linear(width, num_classes))
    return init_weights(nn.Sequential(nn.Sequential(*blocks), nn.Sequential(*head)), init)


def vgg16(*, num_classes: int = 1000, image_size: int = 224, in_channels: int = 3, dropout: float = 0.5,
          init: str = "kaiming") -> nn.Sequential:
    """VGG16 (Simonyan and Zisserman, 2014): 13 convolutions in five blocks, then 4096-4096-classes.

    For ImageNet (224x224, 1000 classes) it has 138,357,544 parameters, the same as
    ``torchvision.models.vgg16()``; the lecture's Keras table (244x244 input, 10 classes) has
    134,301,514. Build it on the ``meta`` device to count parameters without allocating memory:
    ``with torch.device("meta"): m = vgg16()``.

    >>> import torch
    >>> with torch.device("meta"): n = sum(p.numel() for p in vgg16().parameters())
    >>> n
    138357544
    """
    return vgg(VGG16_ARCH, (4096, 4096), in_channels=in_channels, image_size=image_size,
               num_classes=num_classes, dropout=dropout, init=init)


def vgg_cifar(widths: Sequence[int] = (64, 256, 512, 512, 512), hidden: Sequence[int] = (256, 256), *,
              num_classes: int = 10, in_channels: int = 3, image_size: int = 32, dropout: float = 0.0,
              init: str = "kaiming") -> nn.Sequential:
    """The lecture's VGG16-like net for CIFAR-10: VGG16's five blocks (2, 2, 3, 3, 3 convolutions)
    with the channel numbers ``widths``, so a 32x32 image ends as 512 maps of 1x1, then
    dense 256-256-10 (classifier 512-256-256-10). With the lecture's widths
    (64, 256, 512, 512, 512 - its second block has 256, not VGG16's 128) it has 21,034,826 parameters.

    >>> import torch
    >>> with torch.device("meta"): n = sum(p.numel() for p in vgg_cifar().parameters())
    >>> n
    21034826
    """
    widths = int_sequence("widths", widths, example="(64, 256, 512, 512, 512)")
    if len(widths) != 5:
        raise ValueError(f"vgg_cifar has five blocks: widths needs five channel numbers; got {widths}")
    arch = tuple(zip((2, 2, 3, 3, 3), widths))
    return vgg(arch, hidden, in_channels=in_channels, image_size=image_size, num_classes=num_classes,
               dropout=dropout, init=init)
