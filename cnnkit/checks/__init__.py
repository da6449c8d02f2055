"""Checks for the chapters' exercises: ``check("02.1", answer)`` says pass, not done yet, or fail, clearly.

Each exercise with a computable answer has a check in its chapter's module,
``cnnkit/checks/chNN.py``, registered with ``@exercise("NN.k")``; importing
``cnnkit.checks`` registers them all. The registry and the verdict live in
:mod:`cnnkit.checks.registry`:

* a right answer prints ``✓ Exercise NN.k: correct.``;
* the student stub (it raises ``NotImplementedError``) prints
  ``○ Exercise NN.k: not done yet. Hint: ...`` and the notebook runs on;
* a wrong answer raises :class:`ExerciseFailed` with what was expected.

>>> check("02.1", lambda n, k, p, s: (n - k + 2 * p) // s + 1)
✓ Exercise 02.1: correct.
>>> registered("04")
['04.1', '04.2', '04.3', '04.4']
"""
from .registry import TAKES, ExerciseFailed, ExerciseNotDone, _CHECKS, _TAKES, _close, check, exercise, registered
from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11  # noqa: F401  (registers every check)

__all__ = ["ExerciseFailed", "ExerciseNotDone", "TAKES", "check", "exercise", "registered"]
