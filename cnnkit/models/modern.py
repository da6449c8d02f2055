"""The modern architectures of chapter 10: AlexNet, NiN, Inception/GoogLeNet, ResNet (and its
plain twin), Squeeze-and-Excitation and DenseNet blocks. (Depthwise-separable convolutions:
:func:`cnnkit.models.depthwise_separable`, chapter 05.)

>>> sum(p.numel() for p in resnet((3, 3, 3), (16, 32, 64)).parameters())     # ResNet-20
272474
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._validate import int_sequence, non_negative_int, positive_int, positive_number, probability
from .basics import init_weights


def alexnet(*, in_channels: int = 3, num_classes: int = 1000, dropout: float = 0.5) -> nn.Sequential:
    """AlexNet as the lecture sizes it, for 224x224 inputs: five convolutions (96, 256, 384, 384,
    256 channels, no channel groups), three max-pools, two dense layers of 4096 with dropout.

    Maps: 224 -> 54 (11x11, stride 4) -> 26 -> 26 -> 12 -> 12 -> 12 -> 12 -> 5, so the first
    dense layer sees 256 * 5 * 5 = 6400 features. (torchvision's ``alexnet`` is a later,
    narrower variant: 64/192/384/256/256 channels and 61.1M parameters.)

    >>> sum(p.numel() for p in alexnet(in_channels=3, num_classes=1000).parameters())
    50844008
    """
    positive_int("in_channels", in_channels)
    positive_int("num_classes", num_classes)
    probability("dropout", dropout)
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


def nin_block(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
              padding: int = 0) -> nn.Sequential:
    """Network-in-Network block: one ``kernel_size`` convolution followed by two 1x1 convolutions
    (a small per-pixel MLP across channels), each with ReLU.

    >>> nin_block(3, 96, 11, stride=4)[2]
    Conv2d(96, 96, kernel_size=(1, 1), stride=(1, 1))
    """
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel_size", kernel_size), ("stride", stride)):
        positive_int(name, value)
    non_negative_int("padding", padding)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU())


def nin(*, in_channels: int = 3, num_classes: int = 1000, dropout: float = 0.5) -> nn.Sequential:
    """NiN for 224x224 inputs: AlexNet's convolution sizes as NiN blocks, no dense layers; the last
    block has ``num_classes`` channels and global average pooling turns them into the logits.

    >>> nin(in_channels=1, num_classes=10)(torch.zeros(2, 1, 224, 224)).shape
    torch.Size([2, 10])
    """
    positive_int("in_channels", in_channels)
    positive_int("num_classes", num_classes)
    probability("dropout", dropout)
    return nn.Sequential(
        nin_block(in_channels, 96, 11, stride=4), nn.MaxPool2d(3, 2),
        nin_block(96, 256, 5, padding=2), nn.MaxPool2d(3, 2),
        nin_block(256, 384, 3, padding=1), nn.MaxPool2d(3, 2), nn.Dropout(dropout),
        nin_block(384, num_classes, 3, padding=1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _pair_of_widths(name: str, value) -> tuple[int, int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (1x1 reduction channels, output channels), e.g. (96, 128); "
                        f"got {value!r}")
    return positive_int(f"{name}[0]", value[0]), positive_int(f"{name}[1]", value[1])


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

    def __init__(self, in_channels: int, c1: int, c2: Sequence[int], c3: Sequence[int], c4: int, *,
                 bias: bool = True):
        super().__init__()
        positive_int("in_channels", in_channels)
        positive_int("c1", c1)
        positive_int("c4", c4)
        c2, c3 = _pair_of_widths("c2", c2), _pair_of_widths("c3", c3)
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


def small_googlenet(*, in_channels: int = 3, num_classes: int = 10, width: float = 1.0) -> nn.Sequential:
    """A small GoogLeNet for 28x28 or 32x32 images: a 3x3 stem, GoogLeNet's stage-3 and
    stage-4 Inception blocks (channels scaled by ``width``), max-pools in between, global
    average pooling and one linear layer. With ``width=1`` it has 2.25M parameters.

    >>> small_googlenet(in_channels=1, num_classes=10, width=0.25)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    positive_int("in_channels", in_channels)
    positive_int("num_classes", num_classes)
    positive_number("width", width)

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

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, use_1x1conv: bool | None = None,
                 shortcut: bool = True):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("stride", stride)):
            positive_int(name, value)
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
           in_channels: int = 3, num_classes: int = 10, shortcut: bool = True,
           zero_init_residual: bool = False) -> nn.Sequential:
    """A ResNet for small images (CIFAR-10, Fashion-MNIST): a 3x3 stem, then one stage per entry
    of ``blocks`` with ``widths[i]`` channels (every stage after the first halves the maps with
    stride 2 and a 1x1 shortcut), global average pooling and one linear layer.

    ``blocks=(2, 2, 2, 2), widths=(64, 128, 256, 512)`` is ResNet-18 for CIFAR (11.2M parameters);
    ``blocks=(n, n, n), widths=(16, 32, 64)`` is He et al.'s CIFAR ResNet with 6n+2 layers
    (n=3: ResNet-20, 0.27M). ``shortcut=False`` builds the *plain twin*: the same convolutions
    without the additions (and without the 1x1 shortcut convolutions).

    ``zero_init_residual=True`` (as in torchvision's ``resnet``) sets the scale of every block's
    last batch norm to zero, so each residual block starts as its shortcut and the untrained
    network behaves like a shallow one; it needs the shortcuts (``shortcut=True``).

    >>> [type(m).__name__ for m in resnet((1, 1), (8, 16))][3:]
    ['ResidualBlock', 'ResidualBlock', 'AdaptiveAvgPool2d', 'Flatten', 'Linear']
    >>> net = resnet((2, 2), (8, 16), zero_init_residual=True)
    >>> [float(b.bn2.weight.abs().sum()) for b in net if isinstance(b, ResidualBlock)]
    [0.0, 0.0, 0.0, 0.0]
    """
    blocks = int_sequence("blocks", blocks, example="(2, 2, 2, 2) (residual blocks per stage)")
    widths = int_sequence("widths", widths, example="(64, 128, 256, 512) (channels per stage)")
    if len(blocks) != len(widths):
        raise ValueError(f"blocks and widths need one entry per stage; got {blocks} and {widths}")
    positive_int("in_channels", in_channels)
    positive_int("num_classes", num_classes)
    if not isinstance(zero_init_residual, bool):
        raise TypeError(f"zero_init_residual must be True or False; got {zero_init_residual!r}")
    if zero_init_residual and not shortcut:
        raise ValueError("zero_init_residual=True needs shortcut=True: without the shortcut a block whose "
                         "last batch norm scale is zero outputs only its shift, and the signal is cut")
    layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                               nn.BatchNorm2d(widths[0]), nn.ReLU()]
    c = widths[0]
    for i, (n, w) in enumerate(zip(blocks, widths)):
        for j in range(n):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(c, w, stride=stride, shortcut=shortcut))
            c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes)]
    net = init_weights(nn.Sequential(*layers), "kaiming")
    if zero_init_residual:
        for block in net:
            if isinstance(block, ResidualBlock):
                nn.init.zeros_(block.bn2.weight)
    return net


class SEBlock(nn.Module):
    """Squeeze-and-Excitation: global average pool ("squeeze"), a bottleneck MLP with ``channels //
    reduction`` units and a sigmoid ("excite") give one weight in (0, 1) per channel, which
    rescales the input's channels.

    >>> se = SEBlock(64, reduction=16); sum(p.numel() for p in se.parameters())
    580
    """

    def __init__(self, channels: int, *, reduction: int = 16):
        super().__init__()
        positive_int("channels", channels)
        positive_int("reduction", reduction)
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
        for name, value in (("num_convs", num_convs), ("in_channels", in_channels), ("growth", growth)):
            positive_int(name, value)
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
    positive_int("in_channels", in_channels)
    positive_int("out_channels", out_channels)
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, 1), nn.AvgPool2d(2, 2))
