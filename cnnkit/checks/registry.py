"""The registry behind :func:`cnnkit.checks.check`: which exercise has which check, and the verdict.

A check is a function registered with ``@exercise("NN.k")`` in the chapter's module
(``cnnkit/checks/chNN.py``). It receives the learner's answer and raises
``AssertionError`` with a helpful message when the answer is wrong. :func:`check`
turns that into a one-line verdict:

* right: prints ``✓ Exercise NN.k: correct.``;
* still the student stub (it raises ``NotImplementedError``): prints
  ``○ Exercise NN.k: not done yet. Hint: ...`` and returns, so "Run All" goes on
  (with ``strict=True`` it raises :class:`ExerciseNotDone` instead, for graders);
* wrong: raises :class:`ExerciseFailed` with the check's message.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import torch

_CHECKS: dict[str, Callable] = {}
_TAKES: dict[str, str] = {}
_ID = re.compile(r"^(\d\d)\.(\d+)$")
TAKES = ("function", "value", "function or value")


class ExerciseFailed(AssertionError):
    """The answer was checked and is wrong."""


class ExerciseNotDone(AssertionError):
    """The answer still raises ``NotImplementedError`` (the student stub); raised only with ``strict=True``."""


def _parse_id(ex_id, what: str = "ex_id") -> str:
    if not isinstance(ex_id, str):
        raise TypeError(f"{what} must be a string like '03.1' (chapter.number); got {type(ex_id).__name__} {ex_id!r}")
    if not _ID.match(ex_id):
        m = re.match(r"^(\d{1,2})\.(\d+)$", ex_id.strip())
        hint = f": did you mean '{int(m.group(1)):02d}.{m.group(2)}'?" if m else ""
        raise ValueError(f"{what} must look like 'NN.k' with a two-digit chapter, e.g. '03.1'; got {ex_id!r}{hint}")
    return ex_id


def exercise(ex_id: str, takes: str = "function"):
    """Register the check for exercise ``ex_id`` (e.g. ``"02.1"``).

    ``takes`` says what the learner passes to :func:`check`: a ``"function"`` (the default),
    a ``"value"``, or either (``"function or value"``: the check calls a function to get
    the value). A function where a value is expected, or the other way round, gets a
    ``TypeError`` that says so before the check runs.

    >>> @exercise("99.7")
    ... def _check_double(fn):
    ...     assert fn(2) == 4, f"double(2) should be 4, got {fn(2)}"
    >>> check("99.7", lambda x: 2 * x)
    ✓ Exercise 99.7: correct.
    >>> _ = _CHECKS.pop("99.7"), _TAKES.pop("99.7")
    """
    _parse_id(ex_id)
    if takes not in TAKES:
        raise ValueError(f"takes must be one of {', '.join(map(repr, TAKES))}; got {takes!r}")

    def register(fn):
        if not callable(fn):
            raise TypeError(f"@exercise({ex_id!r}) decorates the check function; got {type(fn).__name__}")
        if ex_id in _CHECKS:
            raise ValueError(f"exercise {ex_id} already has a check ({_CHECKS[ex_id].__module__}."
                             f"{_CHECKS[ex_id].__name__}); each exercise is registered once")
        _CHECKS[ex_id] = fn
        _TAKES[ex_id] = takes
        return fn
    return register


def registered(chapter: str | int | None = None) -> list[str]:
    """The ids of all exercises that have a check (or only chapter ``chapter``'s), sorted.

    >>> registered("03")
    ['03.1', '03.2', '03.3']
    """
    if chapter is None:
        return sorted(_CHECKS)
    if isinstance(chapter, bool) or not isinstance(chapter, (str, int)) or not str(chapter).isdigit():
        raise ValueError(f"chapter must be a chapter number like 3 or '03'; got {chapter!r}")
    prefix = f"{int(chapter):02d}."
    return sorted(k for k in _CHECKS if k.startswith(prefix))


def _known(ex_id) -> str:
    ex_id = _parse_id(ex_id)
    if ex_id in _CHECKS:
        return ex_id
    chapter = ex_id.split(".")[0]
    same = registered(chapter)
    if same:
        raise ValueError(f"exercise {ex_id} has no check; chapter {chapter}'s checked exercises are "
                         f"{', '.join(same)} (open-ended exercises have no check)")
    chapters = sorted({k.split(".")[0] for k in _CHECKS})
    raise ValueError(f"exercise {ex_id} has no check: chapter {chapter} has no checked exercises; "
                     f"chapters with checks: {', '.join(chapters)}")


def _describe(answer) -> str:
    text = repr(answer)
    return f"{type(answer).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _innermost_file(err: BaseException) -> str:
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename if tb is not None else ""


def _in_checks(filename: str) -> bool:
    return Path(filename).resolve().parent == Path(__file__).resolve().parent


def _from_a_library(filename: str) -> bool:
    """True for a file of an installed package (torch, numpy, ...): not the learner's stub."""
    parts = Path(filename).parts
    return "site-packages" in parts or "dist-packages" in parts or _in_checks(filename)


def check(ex_id: str, answer, *, strict: bool = False) -> None:
    """Check the answer to exercise ``ex_id`` and print the verdict.

    Prints ``✓ Exercise NN.k: correct.`` when the answer is right; prints a "not done yet"
    line with the stub's hint when the answer still raises the student stub's
    ``NotImplementedError`` (raises :class:`ExerciseNotDone` instead when ``strict``);
    raises :class:`ExerciseFailed` with what was expected when the answer is wrong.
    Returns ``None``, so a check cell shows only the printed line.

    >>> check("02.1", lambda n, k, p, s: (n - k + 2 * p) // s + 1)
    ✓ Exercise 02.1: correct.
    >>> def output_size(n, k, p, s):
    ...     raise NotImplementedError("Exercise 02.1: floor((n - k + 2p) / s) + 1")
    >>> check("02.1", output_size)
    ○ Exercise 02.1: not done yet. Hint: floor((n - k + 2p) / s) + 1
    """
    ex_id = _known(ex_id)
    takes = _TAKES[ex_id]
    if takes == "function" and not callable(answer):
        raise TypeError(f"exercise {ex_id} expects a function as the answer: pass the function itself, "
                        f"check({ex_id!r}, my_function), not its result my_function(...); got {_describe(answer)}")
    if takes == "value" and callable(answer):
        raise TypeError(f"exercise {ex_id} expects a value as the answer, not a function; "
                        f"got {_describe(answer)}: call it and pass the result")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False; got {strict!r}")
    try:
        _CHECKS[ex_id](answer)
    except NotImplementedError as err:
        if _from_a_library(_innermost_file(err)):
            raise                         # e.g. an operation torch lacks on this device: not the stub
        hint = str(err).removeprefix(f"Exercise {ex_id}: ").strip() or "replace the stub with your answer"
        if strict:
            raise ExerciseNotDone(f"Exercise {ex_id} is not done yet: {hint}") from None
        print(f"○ Exercise {ex_id}: not done yet. Hint: {hint}")
        return
    except AssertionError as err:
        raise ExerciseFailed(f"Exercise {ex_id}: not yet right. {err}") from None
    except Exception as err:
        if not _in_checks(_innermost_file(err)):
            raise                         # the learner's code failed: show its own traceback
        raise ExerciseFailed(f"Exercise {ex_id}: not yet right. The check could not use what the answer "
                             f"returned ({type(err).__name__}: {err}); compare its type and shape with "
                             "the exercise's description.") from err
    print(f"✓ Exercise {ex_id}: correct.")


def _close(a, b, tol=1e-4) -> bool:
    """True when ``a`` and ``b`` have the same shape and agree within ``tol`` (absolute and relative).

    >>> _close([1.0, 2.0], (1.0, 2.00001)), _close([1.0], [1.0, 1.0])
    (True, False)
    """
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))
