"""What :func:`cnnkit.fit` leaves behind: a :class:`History` of per-epoch records, and its live progress line.

>>> h = History(name="demo"); _ = h.append(train_loss=1.0, train_acc=0.5, test_loss=1.1, test_acc=0.4, lr=0.1, seconds=2)
>>> h.status = "finished"; print(h.summary())
[demo] finished: 1 epoch, train acc 0.500, test acc 0.400 (best 0.400 at epoch 1), 2.0 s
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds")


def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


@dataclass
class History:
    """Per-epoch records of a training run.

    ``h["test_acc"]`` is the list of test accuracies, ``h.final`` the last epoch's
    record, ``h.status`` one of ``"running"``, ``"finished"``, ``"diverged"``, ``"interrupted"``.
    An empty History is still a History: ``fit(..., history=History())`` uses it.

    >>> h = History(name="demo"); _ = h.append(train_loss=1.0, train_acc=0.5, test_loss=1.1, test_acc=0.4, lr=0.1, seconds=2)
    >>> h["test_acc"], h.best("test_acc"), h.best_epoch("test_acc")
    ([0.4], 0.4, 1)
    """

    name: str = ""
    epochs: list = field(default_factory=list)
    status: str = "running"
    message: str = ""

    def append(self, **record) -> dict:
        """Add one epoch's record (``epoch`` is numbered from 1) and return it."""
        record = {"epoch": len(self.epochs) + 1, **record}
        self.epochs.append(record)
        return record

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, key: str) -> list:
        if not isinstance(key, str):
            raise TypeError(f"History is indexed by a metric name such as 'test_acc'; got {key!r}")
        if self.epochs and not any(key in r for r in self.epochs):
            raise KeyError(f"no metric {key!r} in this history; it has {sorted(set().union(*self.epochs))}")
        return [r.get(key) for r in self.epochs]

    @property
    def label(self) -> str:
        """``"[name] "`` for messages, or nothing for an unnamed run."""
        return f"[{self.name}] " if self.name else ""

    @property
    def final(self) -> dict:
        return self.epochs[-1] if self.epochs else {}

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    @property
    def seconds(self) -> float:
        return float(sum(r.get("seconds") or 0 for r in self.epochs))

    def best(self, key: str = "test_acc") -> float | None:
        """The best value of a metric (lowest for a loss, highest otherwise), None if never recorded."""
        e = self.best_epoch(key)
        return None if e is None else self.epochs[e - 1][key]

    def best_epoch(self, key: str = "test_acc") -> int | None:
        """The epoch (from 1) with the best value of ``key`` (the first one on ties), None if never recorded."""
        vals = [(r[key], r["epoch"]) for r in self.epochs if _ok(r.get(key))]
        if not vals:
            return None
        sign = 1 if key.endswith("loss") else -1
        return min(vals, key=lambda ve: (sign * ve[0], ve[1]))[1]

    def epoch_line(self, epochs: int | None = None) -> str:
        """One line for the last epoch (what ``fit(..., verbose=True)`` prints)."""
        r = self.final
        line = f"{self.label}epoch {r['epoch']:>3}/{epochs or len(self)}  train loss {r['train_loss']:.4f} acc {r['train_acc']:.4f}"
        if _ok(r.get("test_acc")):
            line += f" | test loss {r['test_loss']:.4f} acc {r['test_acc']:.4f}"
        return line + f" | lr {r['lr']:.2e} | {r['seconds']:.1f} s"

    def summary(self) -> str:
        """One line for the whole run: name, status, epochs, final and best accuracy, seconds."""
        f = self.final
        text = f"{self.label}{self.status}: {len(self)} epoch{'' if len(self) == 1 else 's'}"
        if f:
            text += f", train acc {f['train_acc']:.3f}"
            if _ok(f.get("test_acc")):
                text += (f", test acc {f['test_acc']:.3f} (best {self.best('test_acc'):.3f} "
                         f"at epoch {self.best_epoch('test_acc')})")
        return text + f", {self.seconds:.1f} s"

    def to_frame(self):
        """The records as a pandas DataFrame (one row per epoch)."""
        import pandas as pd
        return pd.DataFrame(self.epochs).set_index("epoch") if self.epochs else pd.DataFrame()

    def state_dict(self) -> dict:
        return {"name": self.name, "epochs": list(self.epochs), "status": self.status, "message": self.message}

    @classmethod
    def from_state_dict(cls, d: dict) -> "History":
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict from History.state_dict(); got {type(d).__name__}")
        return cls(d.get("name", ""), list(d.get("epochs", [])), d.get("status", "running"), d.get("message", ""))

    def __repr__(self) -> str:
        f = self.final
        acc = f"train acc {f.get('train_acc', float('nan')):.3f}"
        if f.get("test_acc") is not None:
            acc += f", test acc {f['test_acc']:.3f}"
        return f"History({self.name!r}: {len(self)} epochs, {self.status}, {acc}, {self.seconds:.1f} s)"


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
    except Exception:  # pragma: no cover - no IPython
        return False


class Progress:
    """The live line of a run: updated in place in Jupyter, on stderr in a terminal, silent otherwise.

    ``close(summary)`` leaves the run's one-line summary: it replaces the live line in Jupyter
    and is printed elsewhere. Nothing is shown or printed when ``enabled`` is False.
    """

    def __init__(self, enabled: bool, name: str = "", every: float = 1.0):
        self.enabled, self.mode, self.every, self.last = enabled, None, every, 0.0
        self.label = f"[{name}] " if name else ""
        if not enabled:
            return
        if _in_notebook():
            from IPython.display import Pretty, display
            self.mode = "notebook"
            self.handle = display(Pretty(f"{self.label}starting..."), display_id=True)
        elif sys.stderr.isatty():
            self.mode = "tty"

    def update(self, text: str, force: bool = False) -> None:
        now = time.time()
        if self.mode is None or (not force and now - self.last < self.every):
            return
        self.last = now
        if self.mode == "notebook":
            from IPython.display import Pretty
            self.handle.update(Pretty(self.label + text))
        else:
            sys.stderr.write("\r" + (self.label + text)[:120].ljust(120))
            sys.stderr.flush()

    def close(self, summary: str | None) -> None:
        if self.mode == "notebook":
            from IPython.display import Pretty
            self.handle.update(Pretty(summary or f"{self.label}stopped by an error"))
            return
        if self.mode == "tty":
            sys.stderr.write("\r" + " " * 120 + "\r")
            sys.stderr.flush()
        if self.enabled and summary:
            print(summary, flush=True)
