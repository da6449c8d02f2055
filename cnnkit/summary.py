"""Model summaries (layer, output shape, parameters) via torchinfo, and parameter counts.

>>> print(summary(lenet5(), (1, 28, 28)))     # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (weights and biases) of ``model``.

    >>> count_params(nn.Linear(784, 256))
    200960
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _input_size(input_size: Sequence[int]) -> tuple[int, ...]:
    size = tuple(int(s) for s in input_size)
    if len(size) not in (1, 3):
        raise ValueError(f"input_size is one example's shape, e.g. (1, 28, 28) or (784,); got {size}")
    return size


def summary(model: nn.Module, input_size: Sequence[int], *, depth: int = 3,
            columns: Sequence[str] = ("output_size", "num_params"), **kwargs):
    """A torchinfo table of every layer's output shape and parameter count for one example.

    ``input_size`` is the shape of one example without the batch dimension; the
    table shows a batch of 1. The result prints as a table; its ``total_params``
    and ``trainable_params`` attributes hold the counts.

    >>> s = summary(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), (1, 28, 28))
    >>> s.total_params
    7850
    """
    from torchinfo import summary as torchinfo_summary

    size = _input_size(input_size)
    check_input(model, size)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    stats = torchinfo_summary(model, input_size=(1, *size), depth=depth, col_names=tuple(columns),
                              device=device, verbose=0, row_settings=("var_names",), **kwargs)
    return Summary(stats)


class Summary:
    """torchinfo's statistics; prints as its table (with the units spelled plainly)."""

    def __init__(self, stats):
        self.stats = stats

    def __getattr__(self, name):
        return getattr(self.stats, name)

    def __str__(self) -> str:
        text = str(self.stats)
        for unit, short in (("MEGABYTES", "M"), ("GIGABYTES", "G"), ("TERABYTES", "T"), ("KILOBYTES", "K"), ("NONE", "")):
            text = text.replace(f"(Units.{unit})", f"({short})" if short else "")
        return text

    __repr__ = __str__


def output_shape(model: nn.Module, input_size: Sequence[int]) -> tuple[int, ...]:
    """Shape of ``model``'s output for one example of shape ``input_size`` (no batch dimension).

    >>> output_shape(nn.Conv2d(3, 4, 5), (3, 32, 32))
    (4, 28, 28)
    """
    size = _input_size(input_size)
    check_input(model, size)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, *size, device=device))
    model.train(was)
    return tuple(out.shape[1:])


def check_input(model: nn.Module, input_size: Sequence[int]) -> None:
    """Raise a clear ``ValueError`` when ``model`` cannot take one example of ``input_size``.

    >>> check_input(nn.Conv2d(3, 8, 3), (1, 28, 28))
    Traceback (most recent call last):
    ...
    ValueError: the model cannot take an input of shape (1, 28, 28): its first layer Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)) expects 3 input channels, the data has 1. Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32).
    """
    size = tuple(input_size)
    hint = "Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32)."
    first = next((m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))), None)
    if isinstance(first, nn.Conv2d) and len(size) == 3 and first.in_channels != size[0]:
        raise ValueError(f"the model cannot take an input of shape {size}: its first layer {first} expects "
                         f"{first.in_channels} input channels, the data has {size[0]}. {hint}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *size, device=device))
    except RuntimeError as err:
        raise ValueError(f"the model cannot take an input of shape {size}: {str(err).splitlines()[0]}. "
                         f"Check the first layer and the Flatten->Linear sizes. {hint}") from None
    finally:
        model.train(was)
