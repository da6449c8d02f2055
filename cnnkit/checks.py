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


# ---------------------------------------------------------------- chapter 10


