"""The course's architectures, as plain ``nn.Sequential`` / ``nn.Module`` code a learner can read.

Each builder takes the input channels and number of classes so the same code serves
Fashion-MNIST (1 channel, 28x28) and CIFAR-10 (3 channels, 32x32).

>>> count_params(first_cnn())            # doctest: +SKIP
2635146
"""
from __future__ import annotations

from typing import Sequence

from torch import nn


def init_weights(model: nn.Module, scheme: str = "kaiming") -> nn.Module:
    """Initialise every Linear and Conv2d layer: ``"kaiming"`` (He, uniform, for ReLU),
    ``"xavier"`` (Glorot, uniform) or ``"default"`` (leave PyTorch's); biases become zero.

    >>> m = init_weights(nn.Linear(4, 2)); float(m.bias.detach().abs().sum())
    0.0
    """
    if scheme not in ("kaiming", "xavier", "default"):
        raise ValueError(f"unknown init scheme {scheme!r}: expected 'kaiming', 'xavier' or 'default'")
    if scheme == "default":
        return model
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if scheme == "kaiming":
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def mlp(in_features: int = 784, hidden: Sequence[int] = (256,), num_classes: int = 10,
        activation=nn.ReLU, init: str = "kaiming") -> nn.Sequential:
    """Flatten, then ``len(hidden)`` fully connected layers with ``activation``, then the classifier.

    >>> mlp(784, (256,))
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=784, out_features=256, bias=True)
      (2): ReLU()
      (3): Linear(in_features=256, out_features=10, bias=True)
    )
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return init_weights(nn.Sequential(*layers), init)


def first_cnn(in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
              channels: Sequence[int] = (32, 64, 128, 256), kernel_size: int = 7, hidden: int = 128) -> nn.Sequential:
    """The lecture's first CNN: four unpadded 7x7 convolutions with ReLU, then dense 128 and the classifier.

    On Fashion-MNIST (1, 28, 28) the maps shrink 28 -> 22 -> 16 -> 10 -> 4 and the
    model has 2,635,146 parameters.
    """
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for out in channels:
        layers += [nn.Conv2d(c, out, kernel_size), nn.ReLU()]
        c, s = out, s - kernel_size + 1
    if s < 1:
        raise ValueError(f"{len(channels)} unpadded {kernel_size}x{kernel_size} convolutions do not fit a {image_size}x{image_size} image")
    layers += [nn.Flatten(), nn.Linear(c * s * s, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    return init_weights(nn.Sequential(*layers), "kaiming")


# ---------------------------------------------------------------- chapter 03

DOWNSAMPLING = ("max", "avg", "stride", "resize")


class Resize(nn.Module):
    """Down- (or up-) sample feature maps by interpolation: ``F.interpolate(x, scale_factor=...)``.

    A layer with no parameters; ``Resize(0.5)`` halves height and width (bilinear by default).

    >>> Resize(0.5)
    Resize(scale_factor=0.5, mode='bilinear')
    """

    def __init__(self, scale_factor: float = 0.5, mode: str = "bilinear", align_corners: bool | None = False):
        super().__init__()
        if scale_factor <= 0:
            raise ValueError(f"scale_factor must be positive; got {scale_factor}")
        self.scale_factor, self.mode = scale_factor, mode
        self.align_corners = align_corners if mode in ("linear", "bilinear", "bicubic", "trilinear") else None

    def forward(self, x):
        import torch.nn.functional as F
        return F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"


def downsample_cnn(down: str = "max", in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
                   channels: Sequence[int] = (32, 64, 128, 256, 512), init: str = "kaiming") -> nn.Sequential:
    """The lecture's five-convolution CNN with two down-sampling steps of kind ``down``.

    Five unpadded 3x3 convolutions with ReLU; after the 2nd and the 4th the maps are
    halved by ``"max"`` (2x2 max pooling), ``"avg"`` (2x2 average pooling),
    ``"resize"`` (bilinear interpolation by 0.5) or ``"stride"`` (that convolution
    itself uses stride 2); then Flatten and one Linear classifier. On Fashion-MNIST the
    maps go 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 -> 2 (stride: 28 -> 26 -> 12 -> 10 -> 4 -> 2),
    so every variant ends in 512 maps of 2x2 and has the same 1,588,490 parameters.

    >>> [m.__class__.__name__ for m in downsample_cnn("avg")][:5]
    ['Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'AvgPool2d']
    """
    from .scratch import conv_output_size

    if down not in DOWNSAMPLING:
        raise ValueError(f"unknown down-sampling {down!r}: expected one of {DOWNSAMPLING}")
    if len(channels) != 5:
        raise ValueError(f"downsample_cnn has five convolutions; got {len(channels)} channel numbers")
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for i, out in enumerate(channels):
        stride = 2 if (down == "stride" and i in (1, 3)) else 1
        layers += [nn.Conv2d(c, out, 3, stride=stride), nn.ReLU()]
        c, s = out, conv_output_size(s, 3, stride=stride)
        if i in (1, 3) and down != "stride":
            layers.append({"max": lambda: nn.MaxPool2d(2, 2), "avg": lambda: nn.AvgPool2d(2, 2),
                           "resize": lambda: Resize(0.5)}[down]())
            s = s // 2
            if s < 1:
                raise ValueError(f"a {image_size}x{image_size} image is too small for downsample_cnn")
    layers += [nn.Flatten(), nn.Linear(c * s * s, num_classes)]
    return init_weights(nn.Sequential(*layers), init)



# ---------------------------------------------------------------- chapter 04

def all_conv_net(in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
                 channels: Sequence[int] = (32, 64, 128, 256, 512), strides: Sequence[int] = (1, 2, 1, 2, 1),
                 init: str = "kaiming") -> nn.Sequential:
    """The lecture's padded, strided network: only 3x3 convolutions (padding 1) with ReLU, then one Linear.

    Padding 1 keeps the size at stride 1 and halves it (rounding up) at stride 2, so on
    Fashion-MNIST the maps go 28 -> 28 -> 14 -> 14 -> 7 -> 7 and the classifier sees
    7*7*512 = 25,088 features; the model has 1,818,890 parameters.

    >>> [m.stride for m in all_conv_net() if isinstance(m, nn.Conv2d)]
    [(1, 1), (2, 2), (1, 1), (2, 2), (1, 1)]
    """
    from .scratch import conv_output_size

    if len(channels) != len(strides):
        raise ValueError(f"need one stride per convolution; got {len(channels)} channels and {len(strides)} strides")
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for out, stride in zip(channels, strides):
        layers += [nn.Conv2d(c, out, 3, stride=stride, padding=1), nn.ReLU()]
        c, s = out, conv_output_size(s, 3, padding=1, stride=stride)
    layers += [nn.Flatten(), nn.Linear(c * s * s, num_classes)]
    return init_weights(nn.Sequential(*layers), init)



# ---------------------------------------------------------------- chapter 05

def lenet_style(in_channels: int = 1, num_classes: int = 10, channels: Sequence[int] = (32, 64),
                hidden: int = 128, head: str = "dense", image_size: int = 28) -> nn.Sequential:
    """The lecture's small LeNet-style net: two padded 3x3 convolutions (each + ReLU + 2x2 max
    pooling), then a classifier that is either dense or fully convolutional.

    * ``head="dense"``: Flatten, Linear(64*7*7, 128), ReLU, Linear(128, 10);
    * ``head="conv"``: Conv2d(64, 128, 7), ReLU, Conv2d(128, 10, 1), Flatten.

    On a 28x28 image both have 401,536 parameters in the first classifier layer and 1,290 in
    the last. Without its final Flatten (``model[:-1]``) the conv version takes any image of
    at least 28x28 and returns a map of class scores.

    >>> [count_params(m) for m in lenet_style(head="conv")[6:9:2]]   # doctest: +SKIP
    [401536, 1290]
    """
    if head not in ("dense", "conv"):
        raise ValueError(f"head must be 'dense' or 'conv'; got {head!r}")
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2)]
        c, s = out, s // 2
    if s < 1:
        raise ValueError(f"a {image_size}x{image_size} image is too small for {len(channels)} pooling steps")
    if head == "dense":
        layers += [nn.Flatten(), nn.Linear(c * s * s, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    else:
        layers += [nn.Conv2d(c, hidden, s), nn.ReLU(), nn.Conv2d(hidden, num_classes, 1), nn.Flatten()]
    return init_weights(nn.Sequential(*layers), "kaiming")


def to_fully_convolutional(model: nn.Sequential, input_size: Sequence[int]) -> nn.Sequential:
    """The same network with every Linear layer after the Flatten turned into a convolution.

    ``model`` is ``features..., Flatten, Linear, act, Linear, ...`` (e.g. :func:`lenet_style`
    with a dense head, :func:`lenet5`, :func:`vgg`). The first Linear becomes a convolution whose
    kernel covers the whole feature map (its weights reshaped to (out, C, H, W), the order in
    which Flatten lays out the pixels); later Linears become 1x1 convolutions; a Flatten is put
    at the end. The weights are *copied*, so on ``input_size`` both give the same logits.
    ``input_size`` is one example's shape, e.g. (1, 28, 28). Nested ``nn.Sequential`` containers
    are unpacked, so the result is one flat ``nn.Sequential``.

    >>> dense = lenet_style(head="dense")
    >>> conv = to_fully_convolutional(dense, (1, 28, 28))
    >>> x = torch.randn(2, 1, 28, 28)
    >>> bool(torch.allclose(dense(x), conv(x), atol=1e-5))
    True
    """
    import copy

    import torch

    def unnest(m):   # nested Sequentials (e.g. vgg's features/classifier) become one flat list
        return [leaf for sub in m for leaf in unnest(sub)] if isinstance(m, nn.Sequential) else [m]

    layers = unnest(model)
    flat = next((i for i, m in enumerate(layers) if isinstance(m, nn.Flatten)), None)
    if flat is None:
        raise ValueError("to_fully_convolutional expects an nn.Sequential with a Flatten before its Linear layers")
    features = nn.Sequential(*[copy.deepcopy(m) for m in layers[:flat]])
    p = next(model.parameters())
    with torch.no_grad():
        c, h, w = features(torch.zeros(1, *input_size, device=p.device, dtype=p.dtype)).shape[1:]
    out: list[nn.Module] = list(features)
    first = True
    for m in layers[flat + 1:]:
        if isinstance(m, nn.Linear):
            kh, kw, cin = (h, w, c) if first else (1, 1, m.in_features)
            if m.in_features != cin * kh * kw:
                raise ValueError(f"Linear({m.in_features}, {m.out_features}) does not fit features of shape "
                                 f"{(cin, kh, kw)}: expected in_features={cin * kh * kw}")
            conv = nn.Conv2d(cin, m.out_features, (kh, kw), bias=m.bias is not None).to(p.device, p.dtype)
            with torch.no_grad():
                conv.weight.copy_(m.weight.view(m.out_features, cin, kh, kw))
                if m.bias is not None:
                    conv.bias.copy_(m.bias)
            out.append(conv)
            first = False
        else:
            out.append(copy.deepcopy(m))
    out.append(nn.Flatten())
    return nn.Sequential(*out)


def depthwise_separable(in_channels: int, out_channels: int, kernel_size: int = 3, padding: int = 0,
                        stride: int = 1, bias: bool = True) -> nn.Sequential:
    """A depthwise-separable convolution: one k x k filter per input channel (``groups=in_channels``,
    no mixing between channels), then a 1x1 convolution that mixes the channels.

    Weights: k*k*c_in + c_in*c_out instead of k*k*c_in*c_out for a full convolution.

    >>> count_params(depthwise_separable(100, 100, 5, bias=False))    # doctest: +SKIP
    12500
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                  groups=in_channels, bias=bias),
        nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    )



# ---------------------------------------------------------------- chapter 06

def lenet5(in_channels: int = 1, image_size: int = 28, num_classes: int = 10, activation=nn.ReLU,
           init: str = "kaiming") -> nn.Sequential:
    """LeNet-5 as the lecture writes it in PyTorch: conv 6@5x5, max pool, conv 16@5x5, max pool,
    dense 120-84-10, with ReLU.

    LeNet was designed for 32x32 inputs; a 28x28 image is padded by 2 in the first convolution
    (padding = (32 - image_size) / 2), so the maps always go 32 -> 28 -> 14 -> 10 -> 5 and the
    Fashion-MNIST model has the lecture's 61,706 parameters (CIFAR-10, 3 channels: 62,006).

    >>> sum(p.numel() for p in lenet5().parameters())
    61706
    """
    pad = 32 - image_size
    if pad < 0 or pad % 2:
        raise ValueError(f"lenet5 takes images of 32x32 or smaller by an even margin (e.g. 28); got {image_size}")
    return init_weights(nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=pad // 2), activation(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), activation(), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, num_classes),
    ), init)


def vgg_block(num_convs: int, in_channels: int, out_channels: int, activation=nn.ReLU) -> nn.Sequential:
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
    if num_convs < 1:
        raise ValueError(f"a VGG block needs at least one convolution; got num_convs={num_convs}")
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), activation()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


VGG16_ARCH = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


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
    blocks: list[nn.Module] = []
    c, s = in_channels, image_size
    for num_convs, out in arch:
        blocks.append(vgg_block(num_convs, c, out, activation))
        c, s = out, s // 2
    if s < 1:
        raise ValueError(f"a {image_size}x{image_size} image is too small for {len(arch)} VGG blocks "
                         f"(each halves the size)")
    head: list[nn.Module] = [nn.Flatten()]
    width = c * s * s
    for h in hidden:
        head += [nn.Linear(width, h), activation()]
        if dropout:
            head.append(nn.Dropout(dropout))
        width = h
    head.append(nn.Linear(width, num_classes))
    return init_weights(nn.Sequential(nn.Sequential(*blocks), nn.Sequential(*head)), init)


def vgg16(num_classes: int = 1000, image_size: int = 224, in_channels: int = 3, dropout: float = 0.5,
          init: str = "kaiming") -> nn.Sequential:
    """VGG16 (Simonyan and Zisserman, 2014): 13 convolutions in five blocks, then 4096-4096-classes.

    For ImageNet (224x224, 1000 classes) it has 138,357,544 parameters, the same as
    ``torchvision.models.vgg16()``; the lecture's Keras table (244x244 input, 10 classes) has
    134,301,514. Build it on the ``meta`` device to count parameters without allocating memory:
    ``with torch.device("meta"): m = vgg16()``.

    >>> with torch.device("meta"): n = sum(p.numel() for p in vgg16().parameters())   # doctest: +SKIP
    >>> n                                                                                # doctest: +SKIP
    138357544
    """
    return vgg(VGG16_ARCH, (4096, 4096), in_channels=in_channels, image_size=image_size,
               num_classes=num_classes, dropout=dropout, init=init)


def vgg_cifar(num_classes: int = 10, widths: Sequence[int] = (64, 256, 512, 512, 512),
              hidden: Sequence[int] = (256, 256), in_channels: int = 3, image_size: int = 32,
              dropout: float = 0.0, init: str = "kaiming") -> nn.Sequential:
    """The lecture's VGG16-like net for CIFAR-10: VGG16's five blocks (2, 2, 3, 3, 3 convolutions)
    with the channel numbers ``widths``, so a 32x32 image ends as 512 maps of 1x1, then
    dense 256-256-10 (classifier 512-256-256-10). With the lecture's widths
    (64, 256, 512, 512, 512 - its second block has 256, not VGG16's 128) it has 21,034,826 parameters.

    >>> sum(p.numel() for p in vgg_cifar().parameters())      # doctest: +SKIP
    21034826
    """
    if len(widths) != 5:
        raise ValueError(f"vgg_cifar has five blocks; got {len(widths)} widths")
    arch = tuple(zip((2, 2, 3, 3, 3), widths))
    return vgg(arch, hidden, in_channels=in_channels, image_size=image_size, num_classes=num_classes,
               dropout=dropout, init=init)



# ---------------------------------------------------------------- chapter 07

import math as _math

_ACTIVATIONS = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "elu": nn.ELU, "silu": nn.SiLU, "gelu": nn.GELU,
}
_NORMS = ("batch", "group", "layer", "instance")


def activation_layer(name: str) -> nn.Module:
    """A fresh activation module by name: ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu`` (slope 0.1),
    ``elu``, ``silu`` (Swish) or ``gelu``.

    >>> activation_layer("silu")
    SiLU()
    """
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def norm_layer(kind: str, channels: int, groups: int = 8) -> nn.Module:
    """A normalisation layer for (N, C, H, W) feature maps with ``channels`` channels.

    ``"batch"``: BatchNorm2d (statistics over N, H, W for each channel); ``"group"``:
    GroupNorm with ``groups`` groups (over C/G, H, W for each example and group; fewer
    groups when ``channels`` is not a multiple); ``"layer"``: GroupNorm(1, C) (over C, H, W
    for each example); ``"instance"``: GroupNorm(C, C) (over H, W for each example and
    channel). All have a learnable scale gamma and shift beta per channel.

    >>> norm_layer("group", 16).num_groups
    8
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(_math.gcd(groups, channels), channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "instance":
        return nn.GroupNorm(channels, channels)
    raise ValueError(f"unknown norm {kind!r}: expected None or one of {', '.join(_NORMS)}")


class LadderStage(nn.Module):
    """One stage of :func:`ladder_cnn`: ``convs`` 3x3 'same' convolutions, each followed by
    an optional normalisation layer and the activation, then 2x2 max pooling.

    With ``skip=True`` the lecture's shortcut is added: the stage input goes through a
    3x3 convolution with stride 2 (and the activation), which gives the output's shape,
    and the two are summed: ``out = body(x) + shortcut(x)``. With a normalisation layer
    the convolutions have no bias (the layer's shift beta replaces it).

    >>> import torch
    >>> LadderStage(3, 16, convs=2, skip=True)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 16, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, convs: int = 1, activation: str = "relu",
                 norm: str | None = None, skip: bool = False):
        super().__init__()
        if convs < 1:
            raise ValueError(f"a stage needs convs >= 1; got {convs}")
        layers: list[nn.Module] = []
        c = in_channels
        for _ in range(convs):
            layers.append(nn.Conv2d(c, out_channels, 3, padding=1, bias=norm is None))
            if norm is not None:
                layers.append(norm_layer(norm, out_channels))
            layers.append(activation_layer(activation))
            c = out_channels
        layers.append(nn.MaxPool2d(2))
        self.body = nn.Sequential(*layers)
        self.shortcut = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1),
                                       activation_layer(activation)) if skip else None)

    def forward(self, x):
        out = self.body(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return out


def ladder_cnn(channels: Sequence[int] = (64, 128, 256), convs: int = 1, *, activation: str = "relu",
               norm: str | None = None, skip: bool = False, init: str = "xavier", hidden: int | None = 512,
               in_channels: int = 3, image_size: int = 32, num_classes: int = 10) -> nn.Sequential:
    """The VGG-style nets of chapter 07's ladder of experiments.

    One :class:`LadderStage` per entry of ``channels`` (``convs`` 3x3 convolutions with
    ``activation``, optional ``norm`` and ``skip``, then 2x2 max pooling), then Flatten,
    a dense layer of ``hidden`` units with the activation (``None``: no hidden layer) and
    the classifier. Weights start with ``init`` (``"xavier"``: Glorot uniform, the
    lecture's default; ``"kaiming"``: He; ``"default"``: PyTorch's own), biases at zero.

    The lecture's rungs on CIFAR-10: ``ladder_cnn((64, 128), activation="sigmoid")``,
    ``ladder_cnn((64, 128, 256), activation="sigmoid")``, the 9-conv net
    ``ladder_cnn((64, 128, 256), 3, ...)`` and the 12-conv net
    ``ladder_cnn((64, 128, 256, 512), 3)``.

    >>> from cnnkit.summary import count_params
    >>> count_params(ladder_cnn((64, 128), activation="sigmoid"))
    4275594
    """
    if not channels:
        raise ValueError("ladder_cnn needs at least one stage in channels")
    if image_size % (2 ** len(channels)):
        raise ValueError(f"{len(channels)} stages halve the image {len(channels)} times; "
                         f"image_size={image_size} must be divisible by {2 ** len(channels)}")
    side = image_size >> len(channels)
    stages: list[nn.Module] = []
    c = in_channels
    for out in channels:
        stages.append(LadderStage(c, out, convs, activation, norm, skip))
        c = out
    head: list[nn.Module] = [nn.Flatten()]
    width = c * side * side
    if hidden:
        head += [nn.Linear(width, hidden), activation_layer(activation)]
        width = hidden
    head.append(nn.Linear(width, num_classes))
    return init_weights(nn.Sequential(*stages, *head), init)


# ---------------------------------------------------------------- chapter 08

class RegularisedBlock(nn.Module):
    """One block of chapter 08's :func:`regularised_vgg`.

    ``num_convs`` times (padded 3x3 convolution, ReLU, and with ``bn`` a BatchNorm2d, in the
    lecture's order conv -> ReLU -> BN), then 2x2 max pooling and, with ``dropout > 0``, an
    ``nn.Dropout``. With ``skip`` a shortcut (3x3 convolution with stride 2, ReLU, BN when
    ``bn``) carries the block's *input* around the block and is added to the pooled output,
    as in the lecture's skip-connection slide; both paths halve the height and width.

    >>> import torch
    >>> RegularisedBlock(3, 8, skip=True)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 8, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, num_convs: int = 2, *, bn: bool = False,
                 dropout: float = 0.0, skip: bool = False):
        super().__init__()
        if num_convs < 1:
            raise ValueError(f"a RegularisedBlock needs at least one convolution; got num_convs={num_convs}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout is a probability in [0, 1); got {dropout}")
        layers: list[nn.Module] = []
        c = in_channels
        for _ in range(num_convs):
            layers += [nn.Conv2d(c, out_channels, 3, padding=1), nn.ReLU()]
            if bn:
                layers.append(nn.BatchNorm2d(out_channels))
            c = out_channels
        layers.append(nn.MaxPool2d(2, 2))
        self.body = nn.Sequential(*layers)
        self.shortcut = None
        if skip:
            short: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1), nn.ReLU()]
            if bn:
                short.append(nn.BatchNorm2d(out_channels))
            self.shortcut = nn.Sequential(*short)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x):
        out = self.body(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.dropout(out)


def regularised_vgg(widths: Sequence[int] = (32, 64, 128), num_convs: int = 2, *, bn: bool = False,
               dropout=0.0, head_dropout: float = 0.0, skip: bool = False, width: float = 1.0,
               hidden: int = 512, in_channels: int = 3, image_size: int = 32, num_classes: int = 10,
               init: str = "kaiming") -> nn.Sequential:
    """The configurable VGG-style CIFAR-10 network of chapter 08's ladder.

    One :class:`RegularisedBlock` per entry of ``widths`` (each halves the maps: 32 -> 16 -> 8 -> 4),
    then Flatten, Linear(``hidden``), ReLU, optional Dropout(``head_dropout``) and the classifier.
    The switches are the ladder's rungs:

    * ``bn``: BatchNorm2d after every convolution's ReLU;
    * ``dropout``: one rate for every block, or one rate per block, e.g. ``(0.2, 0.3, 0.4)``;
    * ``width``: multiplies every channel number (``width=2`` doubles the capacity of each layer);
    * ``skip``: a strided-convolution shortcut around every block.

    The result is ``Sequential(features, classifier)``, so ``model[1][-1]`` is the last
    Linear layer (the one transfer learning replaces). He (Kaiming) initialisation.

    >>> m = regularised_vgg(width=0.25, hidden=64)
    >>> [b.body[0].out_channels for b in m[0]], sum(p.numel() for p in m.parameters())
    ([8, 16, 32], 51666)
    """
    if isinstance(dropout, (int, float)):
        rates = [float(dropout)] * len(widths)
    else:
        rates = [float(r) for r in dropout]
        if len(rates) != len(widths):
            raise ValueError(f"dropout needs one rate per block ({len(widths)}); got {len(rates)}")
    if width <= 0:
        raise ValueError(f"width must be > 0; got {width}")
    if not 0 <= head_dropout < 1:
        raise ValueError(f"head_dropout is a probability in [0, 1); got {head_dropout}")
    channels = [max(1, round(w * width)) for w in widths]
    blocks: list[nn.Module] = []
    c, s = in_channels, image_size
    for out, rate in zip(channels, rates):
        blocks.append(RegularisedBlock(c, out, num_convs, bn=bn, dropout=rate, skip=skip))
        c, s = out, s // 2
    if s < 1:
        raise ValueError(f"a {image_size}x{image_size} image is too small for {len(widths)} blocks "
                         f"(each halves the size)")
    head: list[nn.Module] = [nn.Flatten(), nn.Linear(c * s * s, hidden), nn.ReLU()]
    if head_dropout:
        head.append(nn.Dropout(head_dropout))
    head.append(nn.Linear(hidden, num_classes))
    return init_weights(nn.Sequential(nn.Sequential(*blocks), nn.Sequential(*head)), init)


# ---------------------------------------------------------------- chapter 09


# ---------------------------------------------------------------- chapter 10

# AlexNet, NiN, Inception/GoogLeNet, ResNet (and its plain twin), DenseNet and SE blocks.
# (Depthwise-separable convolutions: depthwise_separable above.)

import torch  # noqa: E402


def alexnet(in_channels: int = 3, num_classes: int = 1000, dropout: float = 0.5) -> nn.Sequential:
    """AlexNet as the lecture sizes it, for 224x224 inputs: five convolutions (96, 256, 384, 384,
    256 channels, no channel groups), three max-pools, two dense layers of 4096 with dropout.

    Maps: 224 -> 54 (11x11, stride 4) -> 26 -> 26 -> 12 -> 12 -> 12 -> 12 -> 5, so the first
    dense layer sees 256 * 5 * 5 = 6400 features. (torchvision's ``alexnet`` is a later,
    narrower variant: 64/192/384/256/256 channels and 61.1M parameters.)

    >>> sum(p.numel() for p in alexnet(3, 1000).parameters())
    50844008
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, 11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, num_classes))


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0) -> nn.Sequential:
    """Network-in-Network block: one ``kernel_size`` convolution followed by two 1x1 convolutions
    (a small per-pixel MLP across channels), each with ReLU.

    >>> nin_block(3, 96, 11, stride=4)[2]
    Conv2d(96, 96, kernel_size=(1, 1), stride=(1, 1))
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU())


def nin(in_channels: int = 3, num_classes: int = 1000, dropout: float = 0.5) -> nn.Sequential:
    """NiN for 224x224 inputs: AlexNet's convolution sizes as NiN blocks, no dense layers; the last
    block has ``num_classes`` channels and global average pooling turns them into the logits.

    >>> nin(1, 10)(torch.zeros(2, 1, 224, 224)).shape
    torch.Size([2, 10])
    """
    return nn.Sequential(
        nin_block(in_channels, 96, 11, stride=4), nn.MaxPool2d(3, 2),
        nin_block(96, 256, 5, padding=2), nn.MaxPool2d(3, 2),
        nin_block(256, 384, 3, padding=1), nn.MaxPool2d(3, 2), nn.Dropout(dropout),
        nin_block(384, num_classes, 3, padding=1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten())


class Inception(nn.Module):
    """GoogLeNet's Inception block: four parallel paths concatenated along the channels.

    1. 1x1 convolution with ``c1`` channels;
    2. 1x1 convolution to ``c2[0]`` channels, then 3x3 to ``c2[1]``;
    3. 1x1 convolution to ``c3[0]`` channels, then 5x5 to ``c3[1]``;
    4. 3x3 max-pool (stride 1), then 1x1 convolution to ``c4``.

    Every convolution keeps the height and width and is followed by ReLU; the output has
    ``c1 + c2[1] + c3[1] + c4`` channels. ``bias=False`` counts weights only, as the lecture does.

    >>> block = Inception(192, 64, (96, 128), (16, 32), 32)     # GoogLeNet's first block
    >>> block(torch.zeros(1, 192, 28, 28)).shape
    torch.Size([1, 256, 28, 28])
    """

    def __init__(self, in_channels: int, c1: int, c2: Sequence[int], c3: Sequence[int], c4: int, bias: bool = True):
        super().__init__()
        self.p1 = nn.Sequential(nn.Conv2d(in_channels, c1, 1, bias=bias), nn.ReLU())
        self.p2 = nn.Sequential(nn.Conv2d(in_channels, c2[0], 1, bias=bias), nn.ReLU(),
                                nn.Conv2d(c2[0], c2[1], 3, padding=1, bias=bias), nn.ReLU())
        self.p3 = nn.Sequential(nn.Conv2d(in_channels, c3[0], 1, bias=bias), nn.ReLU(),
                                nn.Conv2d(c3[0], c3[1], 5, padding=2, bias=bias), nn.ReLU())
        self.p4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                nn.Conv2d(in_channels, c4, 1, bias=bias), nn.ReLU())
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x):
        return torch.cat([self.p1(x), self.p2(x), self.p3(x), self.p4(x)], dim=1)


def small_googlenet(in_channels: int = 3, num_classes: int = 10, width: float = 1.0) -> nn.Sequential:
    """A small GoogLeNet for 28x28 or 32x32 images: a 3x3 stem, GoogLeNet's stage-3 and
    stage-4 Inception blocks (channels scaled by ``width``), max-pools in between, global
    average pooling and one linear layer. With ``width=1`` it has 2.25M parameters.

    >>> small_googlenet(1, 10, width=0.25)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    def w(c):
        return max(1, int(round(c * width)))

    def inc(cin, c1, c2, c3, c4):
        return Inception(cin, w(c1), (w(c2[0]), w(c2[1])), (w(c3[0]), w(c3[1])), w(c4))

    stem = w(192)
    b3a = inc(stem, 64, (96, 128), (16, 32), 32)
    b3b = inc(b3a.out_channels, 128, (128, 192), (32, 96), 64)
    b4a = inc(b3b.out_channels, 192, (96, 208), (16, 48), 64)
    b4b = inc(b4a.out_channels, 160, (112, 224), (24, 64), 64)
    b4c = inc(b4b.out_channels, 256, (160, 320), (32, 128), 128)
    return nn.Sequential(
        nn.Conv2d(in_channels, stem, 3, padding=1), nn.BatchNorm2d(stem), nn.ReLU(),
        b3a, b3b, nn.MaxPool2d(3, 2, padding=1),
        b4a, b4b, b4c, nn.MaxPool2d(3, 2, padding=1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(b4c.out_channels, num_classes))


class ResidualBlock(nn.Module):
    """ResNet's basic block: ``relu(g(x) + shortcut(x))`` with ``g`` = conv3x3-BN-ReLU-conv3x3-BN.

    The shortcut is the identity, or a 1x1 convolution (with BN) when ``use_1x1conv`` is True;
    by default (``None``) the 1x1 conv is used exactly when the shape changes (``stride > 1`` or
    a different channel count). ``shortcut=False`` drops the addition: the block's *plain twin*,
    two convolutions in a row, used to show what the shortcut does.

    >>> blk = ResidualBlock(64, 128, stride=2)
    >>> blk(torch.zeros(1, 64, 16, 16)).shape, blk.proj is not None
    (torch.Size([1, 128, 8, 8]), True)
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, use_1x1conv: bool | None = None,
                 shortcut: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = shortcut
        if use_1x1conv is None:
            use_1x1conv = shortcut and (stride != 1 or in_channels != out_channels)
        if shortcut and not use_1x1conv and (stride != 1 or in_channels != out_channels):
            raise ValueError(f"an identity shortcut needs the same shape: in_channels={in_channels}, "
                             f"out_channels={out_channels}, stride={stride}; use use_1x1conv=True")
        self.proj = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                   nn.BatchNorm2d(out_channels)) if shortcut and use_1x1conv else None)

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if self.shortcut:
            y = y + (self.proj(x) if self.proj is not None else x)
        return torch.relu(y)


def resnet(blocks: Sequence[int] = (2, 2, 2, 2), widths: Sequence[int] = (64, 128, 256, 512), *,
           in_channels: int = 3, num_classes: int = 10, shortcut: bool = True) -> nn.Sequential:
    """A ResNet for small images (CIFAR-10, Fashion-MNIST): a 3x3 stem, then one stage per entry
    of ``blocks`` with ``widths[i]`` channels (every stage after the first halves the maps with
    stride 2 and a 1x1 shortcut), global average pooling and one linear layer.

    ``blocks=(2, 2, 2, 2), widths=(64, 128, 256, 512)`` is ResNet-18 for CIFAR (11.2M parameters);
    ``blocks=(n, n, n), widths=(16, 32, 64)`` is He et al.'s CIFAR ResNet with 6n+2 layers
    (n=3: ResNet-20, 0.27M). ``shortcut=False`` builds the *plain twin*: the same convolutions
    without the additions (and without the 1x1 shortcut convolutions).

    >>> sum(p.numel() for p in resnet((3, 3, 3), (16, 32, 64)).parameters())
    272474
    """
    if len(blocks) != len(widths) or not blocks:
        raise ValueError(f"blocks and widths need one entry per stage; got {tuple(blocks)} and {tuple(widths)}")
    layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                               nn.BatchNorm2d(widths[0]), nn.ReLU()]
    c = widths[0]
    for i, (n, w) in enumerate(zip(blocks, widths)):
        for j in range(n):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(c, w, stride=stride, shortcut=shortcut))
            c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes)]
    return init_weights(nn.Sequential(*layers), "kaiming")


class SEBlock(nn.Module):
    """Squeeze-and-Excitation: global average pool ("squeeze"), a bottleneck MLP with ``channels //
    reduction`` units and a sigmoid ("excite") give one weight in (0, 1) per channel, which
    rescales the input's channels.

    >>> se = SEBlock(64, reduction=16); sum(p.numel() for p in se.parameters())
    580
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                nn.Linear(channels, hidden), nn.ReLU(),
                                nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x):
        return x * self.fc(x).view(x.shape[0], x.shape[1], 1, 1)


class DenseBlock(nn.Module):
    """DenseNet block: ``num_convs`` BN-ReLU-conv3x3 layers, each producing ``growth`` channels
    that are *concatenated* to its input, so the output has ``in_channels + num_convs * growth``
    channels: x1 = [x, f1(x)], x2 = [x1, f2(x1)], ...

    >>> DenseBlock(2, 3, 10)(torch.zeros(4, 3, 8, 8)).shape
    torch.Size([4, 23, 8, 8])
    """

    def __init__(self, num_convs: int, in_channels: int, growth: int):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(in_channels + i * growth), nn.ReLU(),
                          nn.Conv2d(in_channels + i * growth, growth, 3, padding=1))
            for i in range(num_convs))
        self.out_channels = in_channels + num_convs * growth

    def forward(self, x):
        for layer in self.layers:
            x = torch.cat([x, layer(x)], dim=1)
        return x


def transition_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """DenseNet's transition layer between dense blocks: BN-ReLU, a 1x1 convolution that cuts the
    channels, and 2x2 average pooling that halves the height and width.

    >>> transition_block(23, 10)(torch.zeros(1, 23, 8, 8)).shape
    torch.Size([1, 10, 4, 4])
    """
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, 1), nn.AvgPool2d(2, 2))
