"""Argument checks shared by cnnkit's public functions (private).

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind, bad
value) whose message names the argument and says what was expected, and otherwise returns
the value, so a function can write ``n = check_int("n", n, minimum=1)``.

>>> check_int("batch_size", 0, minimum=1)
Traceback (most recent call last):
...
ValueError: batch_size must be an integer >= 1; got 0
"""
from __future__ import annotations

import numbers
from typing import Iterable, Sequence

import torch


def check_int(name: str, value, *, minimum: int | None = None, allow_none: bool = False):
    """``value`` as an int (not a bool, not a float), at least ``minimum``; None passes with ``allow_none``."""
    if value is None and allow_none:
        return None
    want = "an integer" + (f" >= {minimum}" if minimum is not None else "") + (" or None" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {want}; got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {want}; got {value!r}")
    return int(value)


def check_number(name: str, value, *, low: float | None = None, high: float | None = None):
    """``value`` as a float in ``[low, high]`` (either bound optional)."""
    rng = (f" in [{low}, {high}]" if low is not None and high is not None else
           f" >= {low}" if low is not None else f" <= {high}" if high is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number{rng}; got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high) or value != value:
        raise ValueError(f"{name} must be a number{rng}; got {value!r}")
    return float(value)


def check_choice(name: str, value, choices: Sequence):
    """``value`` must be one of ``choices``."""
    if not isinstance(value, (str, type(None), bool, numbers.Number)) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_tensor(name: str, value, *, dims: int | Sequence[int] | None = None, floating: bool = False):
    """``value`` must be a torch tensor with ``dims`` dimensions (one count or several) and,
    with ``floating``, a floating-point dtype."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if dims is not None:
        ok = (dims,) if isinstance(dims, int) else tuple(dims)
        if value.dim() not in ok:
            want = " or ".join(str(d) for d in ok)
            raise ValueError(f"{name} must have {want} dimensions; got shape {tuple(value.shape)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got {value.dtype}")
    return value


def check_names(name: str, value, *, allow_empty: bool = False) -> tuple[str, ...]:
    """A list/tuple of strings (a single string is an error: it would be split into letters)."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list or tuple of strings, e.g. ({value!r},); got {value!r}")
    items = tuple(value) if isinstance(value, Iterable) and not isinstance(value, torch.Tensor) else None
    if items is None or not all(isinstance(v, str) for v in items):
        raise TypeError(f"{name} must be a list or tuple of strings; got {value!r}")
    if not items and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return items


def check_nonempty(name: str, n: int) -> None:
    """Raise when a collection called ``name`` holds nothing to show."""
    if n == 0:
        raise ValueError(f"{name} is empty: nothing to show")


def check_module(name: str, value):
    """``value`` must be a ``torch.nn.Module`` (a model or a layer)."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(value).__name__}")
    return value


def check_input_size(value, lengths: Sequence[int] = (1, 3), example: str = "(1, 28, 28) or (784,)"):
    """One example's shape (no batch dimension): a sequence of ``lengths`` positive ints."""
    want = f"input_size must be one example's shape, e.g. {example}"
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, torch.Size)):
        raise TypeError(f"{want}; got {value!r}")
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in value):
        raise TypeError(f"{want}; got {value!r}")
    size = tuple(int(s) for s in value)
    if len(size) not in tuple(lengths) or min(size, default=0) < 1:
        raise ValueError(f"input_size is one example's shape, e.g. {example}; got {size}")
    return size


def check_pair(name: str, value, *, minimum: int = 1) -> tuple[int, int]:
    """One int or a (vertical, horizontal) pair of ints, each at least ``minimum``."""
    want = f"{name} must be an integer >= {minimum} or a pair of them"
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if not isinstance(pair, (tuple, list, torch.Size)) or len(pair) != 2 or any(
            isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in pair):
        raise TypeError(f"{want}; got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{want}; got {value!r}")
    return int(pair[0]), int(pair[1])


def check_metrics(runs: dict, metrics) -> tuple[str, ...]:
    """Metric names (e.g. ``("loss", "acc")``) that every run in ``runs`` recorded as ``train_<metric>``."""
    metrics = check_names("metrics", metrics)
    for label, h in runs.items():
        have = sorted({k[len("train_"):] for r in h.epochs for k in r if k.startswith("train_")})
        for m in metrics:
            if h.epochs and m not in have:
                raise ValueError(f"metric {m!r} is not recorded in run {label!r}: expected one of {have}")
    return metrics


def check_image_batch(name: str, x: torch.Tensor, dims: Sequence[int], shape: str) -> torch.Tensor:
    """A tensor of ``dims`` dimensions holding at least one image (``shape`` describes it)."""
    if x.dim() not in tuple(dims):
        raise ValueError(f"{name} must be {shape}; got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: nothing to show")
    return x


def check_labels(name: str, labels, count: int, classes) -> None:
    """``labels`` (true labels or predictions) have at least ``count`` entries, each a valid class index."""
    lab = torch.as_tensor(labels).flatten()
    if lab.numel() < count:
        raise ValueError(f"{name} has {lab.numel()} entries for {count} images")
    if classes is not None and count and (lab[:count].min() < 0 or lab[:count].max() >= len(classes)):
        raise ValueError(f"{name} must be class indices 0..{len(classes) - 1}; got values "
                         f"{int(lab[:count].min())}..{int(lab[:count].max())}")


def check_same_shape(a_name: str, a, b_name: str, b) -> None:
    """Two tensors of one shape (no silent broadcasting, e.g. (N, 1) against (N,))."""
    check_tensor(a_name, a)
    check_tensor(b_name, b)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}")


def check_grad_shape(dout, like_name: str, like) -> None:
    """``dout`` (the upstream gradient) must have ``like``'s shape, or broadcast to it."""
    check_tensor("dout", dout)
    check_tensor(like_name, like)
    try:
        ok = torch.broadcast_shapes(dout.shape, like.shape) == like.shape
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(f"dout must have the shape of {like_name}, {tuple(like.shape)}; got {tuple(dout.shape)}")
