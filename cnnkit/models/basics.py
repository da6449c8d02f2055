"""The networks of chapters 01-05: the MLP, the first CNN, down-sampling, padding and stride,
1x1 convolutions and fully convolutional heads.

>>> sum(p.numel() for p in first_cnn().parameters())
2635146
"""
from __future__ import annotations

import copy
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..scratch import conv_output_size
from ..summary import probe
from ._validate import (choice, halved, int_sequence, module_class, non_negative_int, positive_int, positive_number,
                        too_small)

INIT_SCHEMES = ("kaiming", "xavier", "default")


def init_weights(model: nn.Module, scheme: str = "kaiming") -> nn.Module:
    """Initialise every Linear and Conv2d layer: ``"kaiming"`` (He, uniform, for ReLU),
    ``"xavier"`` (Glorot, uniform) or ``"default"`` (leave PyTorch's); biases become zero.

    >>> m = init_weights(nn.Linear(4, 2)); float(m.bias.detach().abs().sum())
    0.0
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    choice("init scheme", scheme, INIT_SCHEMES)
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


def mlp(hidden: Sequence[int] = (256,), *, in_features: int = 784, num_classes: int = 10,
        activation=nn.ReLU, init: str = "kaiming") -> nn.Sequential:
    """Flatten, then one fully connected layer per entry of ``hidden`` (each followed by
    ``activation``), then the classifier. ``hidden=()`` gives softmax regression.

    >>> mlp((256,), in_features=784)
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=784, out_features=256, bias=True)
      (2): ReLU()
      (3): Linear(in_features=256, out_features=10, bias=True)
    )
    """
    hidden = int_sequence("hidden", hidden, example="(256,) (one width per hidden layer)", allow_empty=True)
    positive_int("in_features", in_features)
    positive_int("num_classes", num_classes)
    module_class("activation", activation)
    choice("init scheme", init, INIT_SCHEMES)
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return init_weights(nn.Sequential(*layers), init)


def first_cnn(channels: Sequence[int] = (32, 64, 128, 256), *, in_channels: int = 1, image_size: int = 28,
              num_classes: int = 10, kernel_size: int = 7, hidden: int = 128) -> nn.Sequential:
    """The lecture's first CNN: one unpadded 7x7 convolution with ReLU per entry of ``channels``,
    then dense 128 and the classifier.

    On Fashion-MNIST (1, 28, 28) the maps shrink 28 -> 22 -> 16 -> 10 -> 4 and the
    model has 2,635,146 parameters.

    >>> [m.out_channels for m in first_cnn((8, 16), in_channels=3, image_size=32) if isinstance(m, nn.Conv2d)]
    [8, 16]
    """
    channels = int_sequence("channels", channels, example="(32, 64, 128, 256)")
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes),
                        ("kernel_size", kernel_size), ("hidden", hidden)):
        positive_int(name, value)
    shrink = len(channels) * (kernel_size - 1)
    if image_size - shrink < 1:
        raise too_small("first_cnn", image_size, f"{len(channels)} unpadded {kernel_size}x{kernel_size} "
                        f"convolutions take {shrink} pixels off", lambda s: s - shrink >= 1)
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for out in channels:
        layers += [nn.Conv2d(c, out, kernel_size), nn.ReLU()]
        c, s = out, s - kernel_size + 1
    layers += [nn.Flatten(), nn.Linear(c * s * s, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    return init_weights(nn.Sequential(*layers), "kaiming")


# ---------------------------------------------------------------- chapter 03: down-sampling

DOWNSAMPLING = ("max", "avg", "stride", "resize")
RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "area")


class Resize(nn.Module):
    """Down- (or up-) sample feature maps by interpolation: ``F.interpolate(x, scale_factor=...)``.

    A layer with no parameters; ``Resize(0.5)`` halves height and width (bilinear by default).

    >>> Resize(0.5)
    Resize(scale_factor=0.5, mode='bilinear')
    """

    def __init__(self, scale_factor: float = 0.5, *, mode: str = "bilinear", align_corners: bool | None = False):
        super().__init__()
        positive_number("scale_factor", scale_factor)
        choice("mode", mode, RESIZE_MODES)
        self.scale_factor, self.mode = scale_factor, mode
        self.align_corners = align_corners if mode in ("bilinear", "bicubic") else None

    def forward(self, x):
        return F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"


def _downsample_size(down: str, size: int) -> int:
    """The side of downsample_cnn's last maps for images of side ``size`` (0: they do not fit)."""
    for i in range(5):
        stride = 2 if (down == "stride" and i in (1, 3)) else 1
        if size < 3:
            return 0
        size = (size - 3) // stride + 1
        if i in (1, 3) and down != "stride":
            size //= 2
    return size


def downsample_cnn(down: str = "max", channels: Sequence[int] = (32, 64, 128, 256, 512), *,
                   in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
                   init: str = "kaiming") -> nn.Sequential:
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
    choice("down-sampling", down, DOWNSAMPLING)
    channels = int_sequence("channels", channels, example="(32, 64, 128, 256, 512)")
    if len(channels) != 5:
        raise ValueError(f"downsample_cnn has five convolutions: channels needs five numbers; got {channels}")
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes)):
        positive_int(name, value)
    choice("init scheme", init, INIT_SCHEMES)
    s = _downsample_size(down, image_size)
    if s < 1:
        raise too_small(f"downsample_cnn({down!r})", image_size, "five unpadded 3x3 convolutions and two "
                        "halvings leave no pixel", lambda n: _downsample_size(down, n) >= 1)
    pools = {"max": lambda: nn.MaxPool2d(2, 2), "avg": lambda: nn.AvgPool2d(2, 2), "resize": lambda: Resize(0.5)}
    layers: list[nn.Module] = []
    c = in_channels
    for i, out in enumerate(channels):
        stride = 2 if (down == "stride" and i in (1, 3)) else 1
        layers += [nn.Conv2d(c, out, 3, stride=stride), nn.ReLU()]
        c = out
        if i in (1, 3) and down != "stride":
            layers.append(pools[down]())
    layers += [nn.Flatten(), nn.Linear(c * s * s, num_classes)]
    return init_weights(nn.Sequential(*layers), init)


# ---------------------------------------------------------------- chapter 04: padding and stride

def all_conv_net(channels: Sequence[int] = (32, 64, 128, 256, 512), strides: Sequence[int] = (1, 2, 1, 2, 1), *,
                 in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
                 init: str = "kaiming") -> nn.Sequential:
    """The lecture's padded, strided network: only 3x3 convolutions (padding 1) with ReLU, then one Linear.

    Padding 1 keeps the size at stride 1 and halves it (rounding up) at stride 2, so on
    Fashion-MNIST the maps go 28 -> 28 -> 14 -> 14 -> 7 -> 7 and the classifier sees
    7*7*512 = 25,088 features; the model has 1,818,890 parameters.

    >>> [m.stride for m in all_conv_net() if isinstance(m, nn.Conv2d)]
    [(1, 1), (2, 2), (1, 1), (2, 2), (1, 1)]
    """
    channels = int_sequence("channels", channels, example="(32, 64, 128, 256, 512)")
    strides = int_sequence("strides", strides, example="(1, 2, 1, 2, 1)")
    if len(channels) != len(strides):
        raise ValueError(f"strides needs one stride per convolution: {len(channels)} channels and "
                         f"{len(strides)} strides")
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes)):
        positive_int(name, value)
    choice("init scheme", init, INIT_SCHEMES)
    layers: list[nn.Module] = []
    c, s = in_channels, image_size
    for out, stride in zip(channels, strides):
        layers += [nn.Conv2d(c, out, 3, stride=stride, padding=1), nn.ReLU()]
        c, s = out, conv_output_size(s, 3, padding=1, stride=stride)
    layers += [nn.Flatten(), nn.Linear(c * s * s, num_classes)]
    return init_weights(nn.Sequential(*layers), init)


# ---------------------------------------------------------------- chapter 05: 1x1 convolutions

def lenet_style(channels: Sequence[int] = (32, 64), *, hidden: int = 128, head: str = "dense",
                in_channels: int = 1, image_size: int = 28, num_classes: int = 10) -> nn.Sequential:
    """The lecture's small LeNet-style net: two padded 3x3 convolutions (each + ReLU + 2x2 max
    pooling), then a classifier that is either dense or fully convolutional.

    * ``head="dense"``: Flatten, Linear(64*7*7, 128), ReLU, Linear(128, 10);
    * ``head="conv"``: Conv2d(64, 128, 7), ReLU, Conv2d(128, 10, 1), Flatten.

    On a 28x28 image both have 401,536 parameters in the first classifier layer and 1,290 in
    the last. Without its final Flatten (``model[:-1]``) the conv version takes any image of
    at least 28x28 and returns a map of class scores.

    >>> [sum(p.numel() for p in m.parameters()) for m in lenet_style(head="conv")[6:9:2]]
    [401536, 1290]
    """
    channels = int_sequence("channels", channels, example="(32, 64)")
    choice("head", head, ("dense", "conv"))
    for name, value in (("hidden", hidden), ("in_channels", in_channels), ("image_size", image_size),
                        ("num_classes", num_classes)):
        positive_int(name, value)
    s = halved("lenet_style", image_size, len(channels), "2x2 poolings")
    layers: list[nn.Module] = []
    c = in_channels
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2)]
        c = out
    if head == "dense":
        layers += [nn.Flatten(), nn.Linear(c * s * s, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    else:
        layers += [nn.Conv2d(c, hidden, s), nn.ReLU(), nn.Conv2d(hidden, num_classes, 1), nn.Flatten()]
    return init_weights(nn.Sequential(*layers), "kaiming")


def _unnest(m: nn.Module) -> list[nn.Module]:
    """The leaves of nested ``nn.Sequential`` containers (e.g. vgg's features/classifier), in order."""
    return [leaf for sub in m for leaf in _unnest(sub)] if isinstance(m, nn.Sequential) else [m]


def to_fully_convolutional(model: nn.Sequential, input_size: Sequence[int]) -> nn.Sequential:
    """The same network with every Linear layer after the Flatten turned into a convolution.

    ``model`` is ``features..., Flatten, Linear, act, Linear, ...`` (e.g. :func:`lenet_style`
    with a dense head, :func:`~cnnkit.models.lenet5`, :func:`~cnnkit.models.vgg`). The first
    Linear becomes a convolution whose kernel covers the whole feature map (its weights
    reshaped to (out, C, H, W), the order in which Flatten lays out the pixels); later Linears
    become 1x1 convolutions; a Flatten is put at the end. The weights are *copied*, so on
    ``input_size`` both give the same logits (in evaluation mode; finding the feature map's
    size runs the features in evaluation mode, so BatchNorm statistics stay as they were).
    ``input_size`` is one example's shape, e.g. (1, 28, 28). Nested ``nn.Sequential``
    containers are unpacked, so the result is one flat ``nn.Sequential``.

    >>> dense = lenet_style(head="dense")
    >>> conv = to_fully_convolutional(dense, (1, 28, 28))
    >>> x = torch.randn(2, 1, 28, 28)
    >>> bool(torch.allclose(dense(x), conv(x), atol=1e-5))
    True
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential (features, Flatten, Linear layers); got {type(model).__name__}")
    size = tuple(input_size) if isinstance(input_size, Sequence) else ()
    if len(size) != 3:
        raise ValueError(f"input_size is one example's (C, H, W), e.g. (1, 28, 28); got {input_size!r}")
    layers = _unnest(model)
    flat = next((i for i, m in enumerate(layers) if isinstance(m, nn.Flatten)), None)
    if flat is None or not any(isinstance(m, nn.Linear) for m in layers[flat + 1:]):
        raise ValueError("to_fully_convolutional expects an nn.Sequential with a Flatten before its Linear layers")
    p = next(model.parameters())
    features = nn.Sequential(*[copy.deepcopy(m) for m in layers[:flat]])
    c, h, w = probe(features, size).shape[1:]
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


def depthwise_separable(in_channels: int, out_channels: int, kernel_size: int = 3, *, padding: int = 0,
                        stride: int = 1, bias: bool = True) -> nn.Sequential:
    """A depthwise-separable convolution: one k x k filter per input channel (``groups=in_channels``,
    no mixing between channels), then a 1x1 convolution that mixes the channels.

    Weights: k*k*c_in + c_in*c_out instead of k*k*c_in*c_out for a full convolution.

    >>> sum(p.numel() for p in depthwise_separable(100, 100, 5, bias=False).parameters())
    12500
    """
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel_size", kernel_size), ("stride", stride)):
        positive_int(name, value)
    non_negative_int("padding", padding)
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                  groups=in_channels, bias=bias),
        nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    )
