"""Where a notebook runs: device, seeding, precision, training budgets (profiles) and the run card.

Every training call in a chapter takes its budget from the active profile, so
one notebook serves a GPU reader, a CPU reader and CI:

* ``full``  - the budget the chapter's text describes. Default when CUDA is available.
* ``medium`` - the CPU budget of the stored outputs: every experiment trained until its
  validation curve is flat, at most 20 minutes a chapter on 2 CPU cores (the two ladders,
  chapters 07 and 08: at most 45). A chapter that sets no medium budget uses its quick one.
* ``quick`` - a small subset and few epochs, about a minute or two on 2 CPU cores.
  Default otherwise; CI uses it.

Choose one explicitly with the environment variable ``CNNKIT_PROFILE``.

The precision policy (:func:`precision`, printed by the run card): bf16 autocast on CUDA
GPUs of compute capability 8.0 and above, fp16 autocast with a ``GradScaler`` below (a T4
only emulates bf16), float32 on the CPU and Apple MPS or when mixed precision is off. TF32
is switched off for float32 matrix products *and* convolutions (:func:`set_tf32`), so that
float32 results agree to float32 rounding on every GPU; the speed comes from bf16 autocast.

>>> P = profile()                       # doctest: +SKIP
>>> epochs = P.pick(quick=2, full=30)   # doctest: +SKIP
"""
from __future__ import annotations

import os
import platform
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

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
    source = "prefer" if prefer else "CNNKIT_DEVICE"
    prefer = prefer or os.environ.get("CNNKIT_DEVICE")
    if prefer:
        if not isinstance(prefer, (str, torch.device)):
            raise TypeError(f"{source} must be a device name such as 'cpu' or 'cuda'; got {type(prefer).__name__}")
        try:
            dev = torch.device(prefer)
        except RuntimeError as err:
            raise ValueError(f"{source}={prefer!r} is not a device: expected 'cpu', 'cuda', 'cuda:1', 'mps', ...") from err
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{source}={prefer!r} asks for CUDA but torch.cuda.is_available() is False")
        mps = getattr(torch.backends, "mps", None)
        if dev.type == "mps" and not (mps is not None and mps.is_available()):
            raise RuntimeError(f"{source}={prefer!r} asks for Apple MPS but torch.backends.mps.is_available() is False")
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
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


# --- precision policy --------------------------------------------------------------------------

AMP_ON = ("auto", "on", "bf16", "fp16")   # and True
AMP_OFF = ("off", "fp32")                 # and False, None, 0


def amp_mode(amp) -> str:
    """Normalise an ``amp`` argument to ``"auto"``, ``"bf16"``, ``"fp16"`` or ``"off"``.

    Mixed precision is on for ``True``, ``"auto"`` or ``"on"`` (bf16 or fp16 chosen by the GPU),
    forced with ``"bf16"`` or ``"fp16"``, and off for ``False``, ``None``, ``0``, ``"off"`` or ``"fp32"``.

    >>> [amp_mode(a) for a in ("auto", True, None, 0, "OFF", "fp16")]
    ['auto', 'auto', 'off', 'off', 'off', 'fp16']
    """
    if amp is None or amp is False or (isinstance(amp, Integral) and not isinstance(amp, bool) and amp == 0):
        return "off"
    if amp is True:
        return "auto"
    if isinstance(amp, str):
        mode = amp.strip().lower()
        if mode in AMP_OFF:
            return "off"
        if mode in AMP_ON:
            return "auto" if mode == "on" else mode
        raise ValueError(f"amp={amp!r} is not a precision: expected one of {AMP_ON + AMP_OFF}, True, False, None or 0")
    raise TypeError(f"amp must be True/False/None/0 or one of {AMP_ON + AMP_OFF}; got {type(amp).__name__} {amp!r}")


def set_tf32(enabled: bool = False) -> None:
    """Allow (or forbid) TF32 for float32 matrix products and cuDNN convolutions.

    TF32 keeps only 10 bits of mantissa: fast on Ampere and newer GPUs, but float32 claims
    such as "the same logits within 1e-4" no longer hold. The run card switches it off.

    >>> set_tf32(False); tf32_enabled()
    False
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True or False; got {enabled!r}")
    if _new_tf32_api():   # torch >= 2.9: one setting per operator family (do not mix with allow_tf32)
        value = "tf32" if enabled else "ieee"
        cudnn = torch.backends.cudnn
        torch.backends.cuda.matmul.fp32_precision = cudnn.conv.fp32_precision = cudnn.rnn.fp32_precision = value
    else:  # pragma: no cover - older torch
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled


def _new_tf32_api() -> bool:
    cudnn = torch.backends.cudnn
    return all(hasattr(m, "fp32_precision") for m in (torch.backends.cuda.matmul, getattr(cudnn, "conv", None),
                                                      getattr(cudnn, "rnn", None)))


def tf32_enabled() -> bool:
    """Whether float32 matrix products or convolutions may run in TF32 on an Ampere+ GPU.

    >>> set_tf32(True); tf32_enabled()
    True
    >>> set_tf32(False)
    """
    if _new_tf32_api():
        return "tf32" in (torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision)
    return bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)  # pragma: no cover


@dataclass(frozen=True)
class Precision:
    """How a device computes: the autocast ``dtype`` (float32: no autocast) and whether a GradScaler is needed.

    >>> p = Precision("cpu", torch.float32); p.describe(), p.grad_scaler()
    ('float32 (CPU)', None)
    """

    device: str
    dtype: torch.dtype = torch.float32
    capability: tuple | None = None
    tf32: bool | None = None

    @property
    def scaled(self) -> bool:
        return self.dtype == torch.float16

    def autocast(self):
        """A context manager: ``torch.autocast`` in mixed precision, else one that does nothing."""
        return nullcontext() if self.dtype == torch.float32 else torch.autocast(self.device, dtype=self.dtype)

    def grad_scaler(self):
        """A ``torch.amp.GradScaler`` for fp16 (small gradients would underflow), else None."""
        return torch.amp.GradScaler(self.device) if self.scaled else None

    def describe(self) -> str:
        where = f"compute capability {self.capability[0]}.{self.capability[1]}" if self.capability else self.device.upper()
        if self.dtype == torch.bfloat16:
            text = f"bf16 autocast ({where})"
        elif self.dtype == torch.float16:
            text = f"fp16 autocast + GradScaler ({where})"
        else:
            text = f"float32 ({where})"
        if self.tf32 is not None:
            text += ", TF32 " + ("on" if self.tf32 else "off")
        return text


def precision(device=None, amp="auto") -> Precision:
    """The precision policy for ``device`` (default: :func:`get_device`) and an ``amp`` setting.

    CUDA with compute capability >= 8.0: bf16 autocast; below: fp16 autocast with a
    GradScaler (``is_bf16_supported()`` is true on a T4 too, which only emulates bf16, so the
    capability decides); float32 everywhere else and whenever ``amp`` is off (see :func:`amp_mode`).

    >>> precision("cpu").describe()
    'float32 (CPU)'
    """
    mode = amp_mode(amp)
    device = torch.device(device) if device is not None else get_device()
    if device.type != "cuda":
        return Precision(device.type)
    cap = tuple(torch.cuda.get_device_capability(device))
    ampere = cap >= (8, 0)
    tf32 = tf32_enabled() if ampere else None
    if mode == "off":
        dtype = torch.float32
    elif mode == "auto":
        dtype = torch.bfloat16 if ampere else torch.float16
    else:
        dtype = torch.bfloat16 if mode == "bf16" else torch.float16
    return Precision("cuda", dtype, cap, tf32)


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
        if not isinstance(self.name, str) or self.name not in PROFILES:
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
            return ("medium: the CPU budget of the stored outputs: larger subsets and more epochs than "
                    "quick, each experiment trained until its curves are flat, at most 20 minutes a "
                    "chapter on 2 CPU cores (45 for chapters 07 and 08); below the lecture's budget")
        return "full: the budget the text describes (full datasets, the lecture's epochs)"

    def claim(self, statement: str, holds, *, at: str = "quick", full_only: bool = False,
              why: str | None = None) -> bool:
        """Check a lesson's claim on numbers just computed, and say so (see :mod:`cnnkit.claims`).

        Enforced (``AssertionError`` when false) in profile ``at`` and larger ones; below it the
        result is reported with ``why`` it needs the bigger budget. ``full_only=True`` means
        ``at="full"``. Returns ``holds``.

        >>> Profile("quick").claim("2 + 2 = 4", 2 + 2 == 4)
        claim checked: 2 + 2 = 4
        True
        >>> Profile("quick").claim("ReLU reaches 99% training accuracy", False, full_only=True)
        claim not reproduced at the quick budget (enforced only in the full profile): ReLU reaches 99% training accuracy
        False
        """
        from .claims import check_claim
        if full_only:
            at = "full"
        return check_claim(self.name, statement, holds, at=at, why=why)

    def beats(self, statement: str, ours, other, *, noise, at: str = "quick", why: str | None = None) -> bool:
        """Claim ``ours > other`` by more than the measured ``noise`` (see :func:`cnnkit.claims.check_beats`).

        >>> Profile("medium").beats("BN helps", 0.62, 0.55, noise=0.02, at="medium")
        claim checked: BN helps (62.0% vs 55.0%: +7.0 points; noise ±2.0)
        True
        """
        from .claims import check_beats
        return check_beats(self.name, statement, ours, other, noise=noise, at=at, why=why)


def profile(name: str | None = None) -> Profile:
    """The active profile: ``name``, else ``$CNNKIT_PROFILE``, else full on CUDA and quick elsewhere.

    >>> profile("quick").name
    'quick'
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a profile name {PROFILES}; got {type(name).__name__}")
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
    :meth:`finish` in the last cell (it prints the elapsed time). It also sets the
    precision policy (TF32 off, see :func:`set_tf32`) and prints it: ``card.precision``.
    Put everything the chapter creates on ``card.device``.

    >>> card = RunCard()          # doctest: +SKIP
    >>> card.finish()             # doctest: +SKIP
    """

    def __init__(self, show: bool = True):
        if not isinstance(show, bool):
            raise TypeError(f"show must be True or False; got {show!r}")
        self.start = time.time()
        self.device = get_device()
        self.profile = profile()
        set_tf32(False)
        self.precision = precision(self.device)
        if show:
            print(self.text())

    def info(self) -> dict:
        dev = self.device
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or platform.machine()
        from . import __version__
        return {
            "device": f"{dev.type} ({name}, {os.cpu_count()} CPU cores)",
            "precision": self.precision.describe(),
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


def repo_root(start: str | os.PathLike | None = None) -> Path | None:
    """The course repository containing ``start`` (default: the working directory), or None
    (e.g. in Colab, where only the cnnkit package is installed).

    >>> (repo_root() / "_toc.yml").is_file() if repo_root() else True
    True
    """
    p = Path(start or os.getcwd()).resolve()
    for d in (p, *p.parents):
        if (d / "_toc.yml").is_file() and (d / "cnnkit").is_dir():
            return d
    return None
