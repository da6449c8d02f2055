"""Checks for the chapters' exercises: ``check("02.1", answer)`` says pass or fail, clearly.

Each exercise with a computable answer registers a function here with
``@exercise("NN.k")``. The function receives the learner's answer (a value or a
function) and raises ``AssertionError`` with a helpful message when it is wrong.
:func:`check` turns that into a one-line verdict: a pass prints ``✓``; a wrong
answer raises :class:`ExerciseFailed`; an exercise still holding the student stub
(``NotImplementedError``) raises :class:`ExerciseNotDone` with the stub's hint.

>>> check("02.1", lambda n, k, p, s: (n - k + 2 * p) // s + 1)     # doctest: +SKIP
✓ Exercise 02.1: correct.
"""
from __future__ import annotations

from typing import Callable

import torch

_CHECKS: dict[str, Callable] = {}


class ExerciseFailed(AssertionError):
    """The answer was checked and is wrong."""


class ExerciseNotDone(AssertionError):
    """The answer still raises ``NotImplementedError`` (the student stub)."""


def exercise(ex_id: str):
    """Register the check for exercise ``ex_id`` (e.g. ``"02.1"``)."""
    def register(fn):
        if ex_id in _CHECKS:
            raise ValueError(f"exercise {ex_id} already has a check")
        _CHECKS[ex_id] = fn
        return fn
    return register


def registered() -> list[str]:
    """The ids of all exercises that have a check, sorted."""
    return sorted(_CHECKS)


def check(ex_id: str, answer) -> bool:
    """Check the answer to exercise ``ex_id``; print ``✓`` and return True when it is right."""
    if ex_id not in _CHECKS:
        raise KeyError(f"no check for exercise {ex_id!r}; known: {', '.join(registered())}")
    try:
        _CHECKS[ex_id](answer)
    except NotImplementedError as err:
        raise ExerciseNotDone(f"Exercise {ex_id} is not done yet: {err or 'replace the stub with your answer'}") from None
    except AssertionError as err:
        raise ExerciseFailed(f"Exercise {ex_id}: not yet right. {err}") from None
    print(f"✓ Exercise {ex_id}: correct.")
    return True


def _close(a, b, tol=1e-4) -> bool:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))


# ---------------------------------------------------------------- chapter 01


# ---------------------------------------------------------------- chapter 02


# ---------------------------------------------------------------- chapter 03


# ---------------------------------------------------------------- chapter 04


# ---------------------------------------------------------------- chapter 05


# ---------------------------------------------------------------- chapter 06


# ---------------------------------------------------------------- chapter 07


# ---------------------------------------------------------------- chapter 08


# ---------------------------------------------------------------- chapter 09

def _grad_of(f, *xs, dout=None):
    """Autograd reference for the chapter 09 checks: gradient of f(*xs) for upstream ``dout``."""
    xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = f(*xs)
    dout = torch.randn_like(out) if dout is None else dout
    return dout, torch.autograd.grad(out, xs, dout)


@exercise("09.1")
def _check_09_1(leaky_relu_backward):
    g = torch.Generator().manual_seed(91)
    for slope in (0.01, 0.2):
        x = torch.randn(4, 3, 5, 5, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: torch.nn.functional.leaky_relu(t, slope), x)
        got = leaky_relu_backward(dout, x, slope)
        assert _close(got, ref, 1e-6), (f"with slope={slope}: where x > 0 the gradient passes unchanged, "
                                        "where x <= 0 it is multiplied by the slope")


@exercise("09.2")
def _check_09_2(slopes):
    assert len(slopes) == 2, "answer with a pair: (slope of sigmoid at 0, slope of tanh at 0)"
    assert abs(float(slopes[0]) - 0.25) < 1e-6, "sigmoid'(0) = sigma(0) (1 - sigma(0)) with sigma(0) = 1/2"
    assert abs(float(slopes[1]) - 1.0) < 1e-6, "tanh'(0) = 1 - tanh(0)^2 with tanh(0) = 0"


@exercise("09.3")
def _check_09_3(global_avg_pool_backward):
    g = torch.Generator().manual_seed(93)
    for shape in ((2, 3, 4, 4), (1, 5, 3, 7)):
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: t.mean((2, 3)), x)
        got = global_avg_pool_backward(dout, shape)
        assert tuple(got.shape) == shape, f"dL/dx must have the input's shape {shape}; got {tuple(got.shape)}"
        assert _close(got, ref, 1e-6), "each of the H*W inputs of a channel gets that channel's dout / (H*W)"


@exercise("09.4")
def _check_09_4(conv_bias_backward):
    g = torch.Generator().manual_seed(94)
    x = torch.randn(3, 2, 6, 6, generator=g, dtype=torch.float64)
    w = torch.randn(4, 2, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    dout, (ref,) = _grad_of(lambda bb: torch.nn.functional.conv2d(x, w, bb, stride=2, padding=1), b)
    got = conv_bias_backward(dout)
    assert _close(got, ref, 1e-6), ("the bias is added at every position of every image: "
                                    "sum dout over the batch and both spatial axes, one value per output channel")


# ---------------------------------------------------------------- chapter 10


