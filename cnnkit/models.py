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


# ---------------------------------------------------------------- chapter 04


# ---------------------------------------------------------------- chapter 05


# ---------------------------------------------------------------- chapter 06


# ---------------------------------------------------------------- chapter 07


# ---------------------------------------------------------------- chapter 08


# ---------------------------------------------------------------- chapter 09


# ---------------------------------------------------------------- chapter 10
