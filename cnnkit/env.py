"""Where a notebook runs: device, seeding, training budgets (profiles) and the run card.

Every training call in a chapter takes its budget from the active profile, so
one notebook serves a GPU reader, a CPU reader and CI:

* ``full``  - the budget the chapter's text describes. Default when CUDA is available.
* ``medium`` - the largest budget that fits a 2-core CPU in about half an hour per
  chapter: used for the stored outputs of the CIFAR-10 ladders (chapters 07 and 08)
  when no GPU was available. A chapter that sets no medium budget uses its quick one.
* ``quick`` - a small subset and few epochs, about a minute or two on 2 CPU cores.
  Default otherwise; CI uses it.

Choose one explicitly with the environment variable ``CNNKIT_PROFILE``.

>>> P = profile()                       # doctest: +SKIP
>>> epochs = P.pick(quick=2, full=30)   # doctest: +SKIP
"""
from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass

import numpy as np
import torch

PROFILES = ("quick", "medium", "full")
_UNSET = object()  # "no medium budget given" (None is a valid budget: "all images")


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple MPS, then the CPU.

    ``prefer`` (or the environment variable ``CNNKIT_DEVICE``) forces one,
    e.g. ``"cpu"`` to compare speeds.

    >>> get_device("cpu")
    device(type='cpu')
    """
    prefer = prefer or os.environ.get("CNNKIT_DEVICE")
    if prefer:
        dev = torch.device(prefer)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("CNNKIT_DEVICE asks for CUDA but torch.cuda.is_available() is False")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) so a run can be repeated.

    >>> seed_everything(0); a = torch.rand(1); seed_everything(0); bool(a == torch.rand(1))
    True
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@dataclass(frozen=True)
class Profile:
    """A training budget. ``pick`` chooses the value that belongs to this profile.

    >>> Profile("quick").pick(quick=2, full=30)
    2
    >>> Profile("full").is_full
    True
    >>> Profile("medium").pick(quick=2, full=30, medium=8)
    8
    >>> Profile("medium").pick(quick=2, full=30)      # no medium budget given: the quick one
    2
    """

    name: str

    def __post_init__(self):
        if self.name not in PROFILES:
            raise ValueError(f"unknown profile {self.name!r}: expected one of {PROFILES}")

    @property
    def is_quick(self) -> bool:
        return self.name == "quick"

    @property
    def is_full(self) -> bool:
        return self.name == "full"

    @property
    def is_medium(self) -> bool:
        return self.name == "medium"

    def pick(self, *, quick, full, medium=_UNSET):
        """Return the value for this profile; ``medium`` falls back to ``quick`` when not given."""
        if self.is_full:
            return full
        if self.is_medium and medium is not _UNSET:
            return medium
        return quick

    def describe(self) -> str:
        if self.is_quick:
            return ("quick: small class-balanced subsets and few epochs, so the notebook runs in "
                    "a couple of minutes on a CPU; accuracies are far below the lecture's")
        if self.is_medium:
            return ("medium: larger subsets, narrower networks and more epochs than quick, sized to "
                    "run in about half an hour on 2 CPU cores; below the lecture's budget")
        return "full: the budget the text describes (full datasets, the lecture's epochs)"

    def claim(self, statement: str, holds: bool, *, full_only: bool = False) -> bool:
        """Check a lesson's claim on numbers just computed, and say so.

        A claim that fails raises ``AssertionError``, except a ``full_only`` claim in a smaller
        profile: it needs the lecture's budget, so the result is reported, not enforced.
        Returns ``holds``.

        >>> Profile("quick").claim("2 + 2 = 4", 2 + 2 == 4)
        claim checked: 2 + 2 = 4
        True
        >>> Profile("quick").claim("ReLU reaches 99% training accuracy", False, full_only=True)
        claim not reproduced at the quick budget (enforced only in the full profile): ReLU reaches 99% training accuracy
        False
        """
        holds = bool(holds)
        if holds:
            where = "" if self.is_full or not full_only else f" (at the {self.name} budget too)"
            print(f"claim checked{where}: {statement}")
        elif full_only and not self.is_full:
            print(f"claim not reproduced at the {self.name} budget (enforced only in the full profile): {statement}")
        else:
            raise AssertionError(f"claim does not hold in the {self.name} profile: {statement}")
        return holds


def profile(name: str | None = None) -> Profile:
    """The active profile: ``name``, else ``$CNNKIT_PROFILE``, else full on CUDA and quick elsewhere.

    >>> profile("quick").name
    'quick'
    """
    name = name or os.environ.get("CNNKIT_PROFILE") or ("full" if torch.cuda.is_available() else "quick")
    return Profile(name.strip().lower())


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version
        return version(mod)
    except Exception:  # pragma: no cover - not installed
        return "not installed"


class RunCard:
    """Say where a notebook's numbers come from: device, profile, versions and time taken.

    Create it near the top of a notebook (it prints the card) and call
    :meth:`finish` in the last cell (it prints the elapsed time).

    >>> card = RunCard()          # doctest: +SKIP
    >>> card.finish()             # doctest: +SKIP
    """

    def __init__(self, show: bool = True):
        self.start = time.time()
        self.device = get_device()
        self.profile = profile()
        if show:
            print(self.text())

    def info(self) -> dict:
        dev = self.device
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or platform.machine()
        from . import __version__
        return {
            "device": f"{dev.type} ({name}, {os.cpu_count()} CPU cores)",
            "profile": self.profile.describe(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": _version("torchvision"),
            "cnnkit": __version__,
            "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.start)),
        }

    def text(self) -> str:
        return "\n".join(f"{k:>12}: {v}" for k, v in self.info().items())

    def elapsed(self) -> float:
        return time.time() - self.start

    def finish(self) -> None:
        """Print the time since the card was created (``elapsed()`` returns it in seconds)."""
        s = self.elapsed()
        print(f"notebook ran in {s:.0f} s ({s / 60:.1f} min) on {self.device.type}, profile {self.profile.name}")
