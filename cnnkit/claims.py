"""Lesson claims checked on the numbers a chapter just computed, the run-to-run noise they are
judged against, one results-table layout, and prose written by the code that measured it.

A chapter states its lessons as claims: ``P.claim("the CNN beats the MLP", acc_cnn > acc_mlp,
at="medium")``. A claim is *enforced* (an ``AssertionError`` when it fails) in the profile named by
``at`` and in every larger one; below that it is only reported, with the reason it needs the
bigger budget. A difference between two trained networks is a claim only when it is larger than
the run-to-run noise, measured from a few seeds (:func:`spread`) and checked with
:func:`check_beats` (``P.beats``): a difference within the noise is never printed as checked.

>>> check_claim("quick", "2 + 2 = 4", 2 + 2 == 4)
claim checked: 2 + 2 = 4
True
>>> check_beats("medium", "the CNN beats the MLP", 0.71, 0.70, noise=0.02, at="full")
claim within noise at the medium budget (not checked): the CNN beats the MLP (71.0% vs 70.0%: +1.0 points; noise ±2.0)
False
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import torch

from .train_errors import check_positive

PROFILES = ("quick", "medium", "full")


def _rank(name: str, what: str) -> int:
    if not isinstance(name, str) or name not in PROFILES:
        raise ValueError(f"{what} must be one of {PROFILES}; got {name!r}")
    return PROFILES.index(name)


def _statement(statement) -> str:
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"statement must be a sentence (a non-empty str); got {statement!r}")
    return statement


def _not_enforced(profile: str, at: str, statement: str, why: str | None) -> None:
    where = "only in the full profile" if at == "full" else f"from the {at} profile up"
    print(f"claim not reproduced at the {profile} budget (enforced {where}): {statement}")
    if why:
        print(f"    why: {why}")


def check_claim(profile: str, statement: str, holds, *, at: str = "quick", why: str | None = None) -> bool:
    """Check ``holds``; enforced when ``profile`` is ``at`` or larger, reported below. Returns it.

    >>> check_claim("quick", "ReLU reaches 99% training accuracy", False, at="full",
    ...             why="needs 20 epochs on all 50,000 images")
    claim not reproduced at the quick budget (enforced only in the full profile): ReLU reaches 99% training accuracy
        why: needs 20 epochs on all 50,000 images
    False
    >>> check_claim("quick", "held early", True, at="medium")
    claim checked (at the quick budget too): held early
    True
    """
    statement = _statement(statement)
    enforced = _rank(profile, "profile") >= _rank(at, "at")
    if why is not None and not isinstance(why, str):
        raise TypeError(f"why must be a short reason (str) or None; got {type(why).__name__}")
    if isinstance(holds, torch.Tensor) and holds.numel() != 1:
        raise ValueError(f"holds must be one truth value; got a tensor of shape {tuple(holds.shape)} (use .all() or .any())")
    holds = bool(holds)
    if holds:
        print(f"claim checked{'' if enforced else f' (at the {profile} budget too)'}: {statement}")
    elif not enforced:
        _not_enforced(profile, at, statement, why)
    else:
        raise AssertionError(f"claim does not hold in the {profile} profile: {statement}")
    return holds


def _num(x, name: str) -> float:
    if isinstance(x, torch.Tensor) and x.numel() == 1:
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise TypeError(f"{name} must be a finite number; got {x!r}")
    return float(x)


def _fmt(x: float, percent: bool) -> str:
    return f"{x:.1%}" if percent else f"{x:.4g}"


def check_beats(profile: str, statement: str, ours, other, *, noise, at: str = "quick",
                why: str | None = None) -> bool:
    """Check that ``ours`` exceeds ``other`` by more than ``noise``; enforced from ``at`` up.

    Numbers between 0 and 1 are shown as percentages (accuracies) and their difference in points.
    A difference of at most ``noise`` is reported as within noise: never as checked, and in an
    enforcing profile it fails like any claim that does not hold.

    >>> check_beats("medium", "BN beats the rung before", 0.62, 0.55, noise=0.02, at="medium")
    claim checked: BN beats the rung before (62.0% vs 55.0%: +7.0 points; noise ±2.0)
    True
    """
    statement = _statement(statement)
    ours, other, noise = _num(ours, "ours"), _num(other, "other"), _num(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (a measured spread, e.g. cnnkit.spread(...).noise); got {noise}")
    enforced = _rank(profile, "profile") >= _rank(at, "at")
    pct = 0 <= ours <= 1 and 0 <= other <= 1 and noise <= 1
    scale, unit = (100, " points") if pct else (1, "")
    diff = ours - other
    detail = (f"{_fmt(ours, pct)} vs {_fmt(other, pct)}: {diff * scale:+.1f}{unit}; "
              f"noise ±{noise * scale:.1f}")
    if diff > noise:
        print(f"claim checked{'' if enforced else f' (at the {profile} budget too)'}: {statement} ({detail})")
        return True
    if enforced:
        raise AssertionError(f"claim does not hold in the {profile} profile: {statement} ({detail})")
    if diff > -noise:
        print(f"claim within noise at the {profile} budget (not checked): {statement} ({detail})")
    else:
        _not_enforced(profile, at, f"{statement} ({detail})", None)
    if why:
        print(f"    why: {why}")
    return False


@dataclass(frozen=True)
class Spread:
    """Run-to-run spread of one experiment repeated with different seeds.

    ``noise`` is the band a difference between two single-seed runs stays within about 95% of
    the time (two standard deviations of a difference: ``2 * sqrt(2) * std``). Three seeds can
    agree by chance (tiny test sets, nets stuck at chance), so when the accuracies were measured
    on ``n`` images the standard deviation is taken as at least the binomial standard error of
    one accuracy on ``n`` images, ``sqrt(p (1 - p) / n)``: a difference of a few images is never
    "beyond the noise".
    """

    values: tuple
    mean: float
    std: float
    n: int | None = None

    @property
    def floor(self) -> float:
        """The binomial standard error of the mean accuracy on ``n`` images (0 without ``n``)."""
        if self.n is None:
            return 0.0
        p = min(max(self.mean, 0.0), 1.0)
        return math.sqrt(p * (1 - p) / self.n)

    @property
    def noise(self) -> float:
        return 2 * math.sqrt(2) * max(self.std, self.floor)

    def __str__(self) -> str:
        pct = all(0 <= v <= 1 for v in self.values)
        f = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.4g}")
        unit = " points" if pct else ""
        floor = (f" (the std is below the binomial error of one accuracy on {self.n:,} images, "
                 f"{f(self.floor)}{unit}, which is used instead)" if self.floor > self.std else "")
        return (f"{len(self.values)} seeds: {', '.join(f(v) for v in self.values)}; "
                f"std {f(self.std)}{unit}{floor}, noise band for a difference ±{f(self.noise)}{unit}")


def spread(values, n=None) -> Spread:
    """The spread of repeated runs (e.g. test accuracies from 3 seeds).

    ``n``: the number of images each value (an accuracy between 0 and 1) was measured on; the
    standard deviation is then at least the binomial error of one such accuracy.

    >>> s = spread([0.70, 0.72, 0.71])
    >>> round(s.std, 3), round(s.noise, 3)
    (0.01, 0.028)
    >>> print(s)
    3 seeds: 70.0, 72.0, 71.0; std 1.0 points, noise band for a difference ±2.8 points
    >>> round(spread([0.10, 0.10, 0.10], n=250).noise, 3)   # 3 nets at chance agree: the floor
    0.054
    """
    try:
        vals = tuple(_num(v, "each value") for v in values)
    except TypeError as err:
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"values must be a list of numbers (one per seed); got {type(values).__name__}") from None
        raise err
    if len(vals) < 2:
        raise ValueError(f"values must hold at least 2 runs (seeds) to measure a spread; got {len(vals)}")
    check_positive(n, "n (the number of images)", integer=True, allow_none=True)
    if n is not None and not all(0 <= v <= 1 for v in vals):
        raise ValueError(f"n is for accuracies (values between 0 and 1); got {vals}")
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
    return Spread(vals, mean, std, n)
