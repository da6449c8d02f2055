"""Model summaries: the torchinfo table, parameter counts, output shapes and per-layer costs.

Every function that needs to run the model pushes one all-zero example through it with
:func:`probe` (evaluation mode, no gradients, training flags restored afterwards), so
asking for a summary never changes a model.

>>> print(summary(nn.Sequential(nn.Conv2d(1, 6, 5), nn.Flatten()), (1, 28, 28)))     # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._checks_args import check_input_size, check_module, check_names


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (weights and biases) of ``model``.

    >>> count_params(nn.Linear(784, 256))
    200960
    """
    check_module("model", model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _input_size(input_size: Sequence[int]) -> tuple[int, ...]:
    return check_input_size(input_size)


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

    check_module("model", model)
    columns = check_names("columns", columns)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be an integer >= 0; got {depth!r}")
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


def probe(model: nn.Module, input_size: Sequence[int]) -> torch.Tensor:
    """``model``'s output for one all-zero example of shape ``input_size`` (no batch dimension).

    The example is made on the device and in the dtype of the model's first parameter. The
    model runs in evaluation mode (BatchNorm uses, and does not update, its running
    statistics; dropout is off) without recording gradients, and every submodule's
    ``training`` flag is put back afterwards, even when the forward pass fails. The
    output keeps its batch dimension of 1.

    >>> bn = nn.BatchNorm1d(3).train()
    >>> probe(nn.Sequential(nn.Linear(2, 3), bn), (2,)).shape, bn.training, int(bn.num_batches_tracked)
    (torch.Size([1, 3]), True, 0)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    size = _input_size(input_size)
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return model(torch.zeros(1, *size, device=device, dtype=dtype))
    finally:
        for m, was_training in flags:
            m.training = was_training


def output_shape(model: nn.Module, input_size: Sequence[int]) -> tuple[int, ...]:
    """Shape of ``model``'s output for one example of shape ``input_size`` (no batch dimension).

    >>> output_shape(nn.Conv2d(3, 4, 5), (3, 32, 32))
    (4, 28, 28)
    """
    size = _input_size(input_size)
    check_input(model, size)
    return tuple(probe(model, size).shape[1:])


def check_input(model: nn.Module, input_size: Sequence[int]) -> None:
    """Raise a clear ``ValueError`` when ``model`` cannot take one example of ``input_size``.

    >>> check_input(nn.Conv2d(3, 8, 3), (1, 28, 28))
    Traceback (most recent call last):
    ...
    ValueError: the model cannot take an input of shape (1, 28, 28): its first layer Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)) expects 3 input channels, the data has 1. Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32).
    """
    check_module("model", model)
    size = _input_size(input_size)
    hint = "Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32)."
    first = next((m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))), None)
    if isinstance(first, nn.Conv2d) and len(size) == 3 and first.in_channels != size[0]:
        raise ValueError(f"the model cannot take an input of shape {size}: its first layer {first} expects "
                         f"{first.in_channels} input channels, the data has {size[0]}. {hint}")
    try:
        probe(model, size)
    except RuntimeError as err:
        raise ValueError(f"the model cannot take an input of shape {size}: {str(err).splitlines()[0]}. "
                         f"Check the first layer and the Flatten->Linear sizes. {hint}") from None


def layer_costs(model: nn.Module, input_size: Sequence[int]):
    """Parameters and multiply-adds of every Conv2d and Linear layer, for one example of shape ``input_size``.

    Multiply-adds count the weights only, as the lecture's complexity tables do: a
    convolution costs ``weight.numel() * m_h * m_w`` (c_in/groups * c_out * k_h * k_w per
    output pixel), a linear layer ``weight.numel()``; ``params`` includes the biases.
    Pooling, activations and normalisation are left out (they are cheap next to these).
    One forward pass (:func:`probe`) records the output shapes; a model built under
    ``with torch.device("meta"):`` is measured without allocating or initialising its weights.
    Returns a pandas DataFrame with columns ``layer, kind, output, params, mult_adds``.

    >>> layer_costs(nn.Conv2d(100, 100, 5, padding=2), (100, 64, 64))[["params", "mult_adds"]].values.tolist()
    [[250100, 1024000000]]
    """
    import pandas as pd

    check_module("model", model)
    size = _input_size(input_size)
    rows, hooks = [], []

    def record(name):
        def hook(module, inputs, output):
            w = module.weight
            spatial = output.shape[2:].numel() if isinstance(module, nn.Conv2d) else 1
            kind = (f"Conv2d {module.kernel_size[0]}x{module.kernel_size[1]}"
                    + (f" /{module.groups} groups" if module.groups > 1 else "")
                    if isinstance(module, nn.Conv2d) else "Linear")
            rows.append({"layer": name, "kind": kind, "output": tuple(output.shape[1:]),
                         "params": sum(p.numel() for p in module.parameters(recurse=False)),
                         "mult_adds": w.numel() * spatial})
        return hook

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            hooks.append(module.register_forward_hook(record(name)))
    try:
        probe(model, size)
    finally:
        for h in hooks:
            h.remove()
    return pd.DataFrame(rows, columns=["layer", "kind", "output", "params", "mult_adds"])
