"""Argument checks shared by the model builders: each raises a ``TypeError`` (wrong kind of
value) or ``ValueError`` (right kind, wrong value) that names the argument and says what was
expected, so ``lenet5(3, 32)`` or ``ladder_cnn(activation="Relu")`` fails at once, clearly.
"""
from __future__ import annotations

from typing import Callable, Sequence

from torch import nn


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, or a TypeError/ValueError naming ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive int; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int; got {value}")
    return value


def non_negative_int(name: str, value) -> int:
    """``value`` as an int >= 0, or a TypeError/ValueError naming ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0; got {value}")
    return value


def positive_number(name: str, value) -> float:
    """``value`` as a float > 0, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a positive number; got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number; got {value}")
    return float(value)


def probability(name: str, value) -> float:
    """``value`` as a dropout rate in [0, 1), or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a probability in [0, 1); got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a probability in [0, 1); got {value}")
    return float(value)


def int_sequence(name: str, value, *, example: str = "(32, 64)", allow_empty: bool = False) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (one per layer, stage or block)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not all(_is_int(v) for v in value):
        raise TypeError(f"{name} must be a sequence of positive ints, e.g. {example}; got {value!r}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must not be empty, e.g. {example}; got {value!r}")
    if any(v < 1 for v in value):
        raise ValueError(f"{name} must hold positive ints, e.g. {example}; got {tuple(value)}")
    return tuple(value)


def choice(name: str, value, options: Sequence) -> None:
    """A ValueError naming ``name`` and listing the valid ``options`` unless ``value`` is one of them."""
    if isinstance(value, list) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"unknown {name} {value!r}: expected one of {listed}")


def module_class(name: str, value) -> Callable[[], nn.Module]:
    """``value`` as something that builds a fresh layer when called, e.g. ``nn.ReLU``."""
    if isinstance(value, nn.Module) or not callable(value):
        raise TypeError(f"{name} must be a layer class (or a function) that builds a fresh module, "
                        f"e.g. nn.ReLU; got {value!r}")
    return value


def too_small(builder: str, image_size: int, why: str, fits: Callable[[int], bool]) -> ValueError:
    """The ValueError for an image too small for a network, with the smallest size that fits."""
    smallest = next((s for s in range(1, 4097) if fits(s)), None)
    need = f"; it needs images of at least {smallest}x{smallest}" if smallest else ""
    return ValueError(f"image_size={image_size} is too small for {builder}: {why}{need}")


def halved(builder: str, image_size: int, times: int, what: str) -> int:
    """The side of an ``image_size`` image after ``times`` 2x2 halvings, or the ValueError of
    :func:`too_small` when nothing is left (``what`` names the halving layers, e.g. "VGG blocks")."""
    side = image_size >> times
    if side < 1:
        raise too_small(builder, image_size, f"{times} {what} halve it {times} times", lambda n: n >> times >= 1)
    return side
