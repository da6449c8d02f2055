"""The ladders of experiments of chapters 07 (training deep CNNs) and 08 (generalisation):
VGG-style networks whose every rung is a switch (activation, normalisation, skip
connections, dropout, width).

>>> m = ladder_cnn((8, 16), norm="batch", hidden=None)
>>> [type(layer).__name__ for layer in m[0].body]
['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d']
"""
from __future__ import annotations

import math
from typing import Sequence

from torch import nn

from ._validate import choice, halved, int_sequence, positive_int, positive_number, probability
from .basics import INIT_SCHEMES, init_weights

_ACTIVATIONS = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "elu": nn.ELU, "silu": nn.SiLU, "gelu": nn.GELU,
}
ACTIVATIONS = tuple(_ACTIVATIONS)
NORMS = ("batch", "group", "layer", "instance")


def activation_layer(name: str) -> nn.Module:
    """A fresh activation module by name: ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu`` (slope 0.1),
    ``elu``, ``silu`` (Swish) or ``gelu``.

    >>> activation_layer("silu")
    SiLU()
    """
    choice("activation", name, ACTIVATIONS)
    return _ACTIVATIONS[name]()


def norm_layer(kind: str, channels: int, *, groups: int = 8) -> nn.Module:
    """A normalisation layer for (N, C, H, W) feature maps with ``channels`` channels.

    ``"batch"``: BatchNorm2d (statistics over N, H, W for each channel); ``"group"``:
    GroupNorm with ``groups`` groups (over C/G, H, W for each example and group; fewer
    groups when ``channels`` is not a multiple); ``"layer"``: GroupNorm(1, C) (over C, H, W
    for each example); ``"instance"``: GroupNorm(C, C) (over H, W for each example and
    channel). All have a learnable scale gamma and shift beta per channel.

    >>> norm_layer("group", 16).num_groups
    8
    """
    choice("norm", kind, NORMS)
    positive_int("channels", channels)
    positive_int("groups", groups)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(math.gcd(groups, channels), channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    return nn.GroupNorm(channels, channels)


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

    def __init__(self, in_channels: int, out_channels: int, *, convs: int = 1, activation: str = "relu",
                 norm: str | None = None, skip: bool = False):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("convs", convs)):
            positive_int(name, value)
        choice("activation", activation, ACTIVATIONS)
        if norm is not None:
            choice("norm", norm, NORMS)
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

    >>> sum(p.numel() for p in ladder_cnn((64, 128), activation="sigmoid").parameters())
    4275594
    """
    channels = int_sequence("channels", channels, example="(64, 128, 256) (one entry per stage)")
    positive_int("convs", convs)
    choice("activation", activation, ACTIVATIONS)
    if norm is not None:
        choice("norm", norm, NORMS)
    choice("init scheme", init, INIT_SCHEMES)
    if hidden is not None:
        positive_int("hidden", hidden)
    for name, value in (("in_channels", in_channels), ("image_size", image_size), ("num_classes", num_classes)):
        positive_int(name, value)
    if image_size % (2 ** len(channels)):
        raise ValueError(f"{len(channels)} stages halve the image {len(channels)} times; "
                         f"image_size={image_size} must be divisible by {2 ** len(channels)}")
    side = image_size >> len(channels)
    stages: list[nn.Module] = []
    c = in_channels
    for out in channels:
        stages.append(LadderStage(c, out, convs=convs, activation=activation, norm=norm, skip=skip))
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

    def __init__(self, in_channels: int, out_channels: int, *, num_convs: int = 2, bn: bool = False,
                 dropout: float = 0.0, skip: bool = False):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("num_convs", num_convs)):
            positive_int(name, value)
        probability("dropout", dropout)
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
    widths = int_sequence("widths", widths, example="(32, 64, 128) (one entry per block)")
    positive_int("num_convs", num_convs)
    if isinstance(dropout, (int, float)):
        rates = [probability("dropout", dropout)] * len(widths)
    elif isinstance(dropout, Sequence) and not isinstance(dropout, str):
        rates = [probability("dropout", r) for r in dropout]
        if len(rates) != len(widths):
            raise ValueError(f"dropout needs one rate per block ({len(widths)}); got {len(rates)}")
    else:
        raise TypeError(f"dropout must be a rate in [0, 1) or one rate per block; got {dropout!r}")
    positive_number("width", width)
    probability("head_dropout", head_dropout)
    for name, value in (("hidden", hidden), ("in_channels", in_channels), ("image_size", image_size),
                        ("num_classes", num_classes)):
        positive_int(name, value)
    choice("init scheme", init, INIT_SCHEMES)
    side = halved("regularised_vgg", image_size, len(widths), "blocks")
    channels = [max(1, round(w * width)) for w in widths]
    blocks: list[nn.Module] = []
    c = in_channels
    for out, rate in zip(channels, rates):
        blocks.append(RegularisedBlock(c, out, num_convs=num_convs, bn=bn, dropout=rate, skip=skip))
        c = out
    head: list[nn.Module] = [nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU()]
    if head_dropout:
        head.append(nn.Dropout(head_dropout))
    head.append(nn.Linear(hidden, num_classes))
    return init_weights(nn.Sequential(nn.Sequential(*blocks), nn.Sequential(*head)), init)
