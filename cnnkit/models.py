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

    >>> m = init_weights(nn.Linear(4, 2)); float(m.bias.abs().sum())
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
    ``input_size`` is one example's shape, e.g. (1, 28, 28).

    >>> dense = lenet_style(head="dense")
    >>> conv = to_fully_convolutional(dense, (1, 28, 28))
    >>> x = torch.randn(2, 1, 28, 28)
    >>> bool(torch.allclose(dense(x), conv(x), atol=1e-5))
    True
    """
    import copy

    import torch

    layers = list(model)
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


# ---------------------------------------------------------------- chapter 08


# ---------------------------------------------------------------- chapter 09


# ---------------------------------------------------------------- chapter 10
