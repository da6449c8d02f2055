"""Training and evaluation: ``fit`` returns a :class:`History`; nothing is ever lost.

* On CUDA, ``fit`` uses channels_last memory layout, bf16 autocast (fp16 with loss
  scaling where bf16 is missing) and ``cudnn.benchmark``; on the CPU it is a plain loop.
* One line per epoch is printed (a compact record in an executed notebook); a live
  progress line is shown while an epoch runs (updated in place in Jupyter, on stderr
  in a terminal) and nothing is written to stderr in a notebook.
* Ctrl-C (interrupt) ends training and returns the history so far.
* A NaN, infinite or exploding loss stops the run with a message, and the history
  says ``status == "diverged"``: a network that does not learn is a result, not a crash.

>>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))   # doctest: +SKIP
>>> history = fit(model, train, test, epochs=3)                                   # doctest: +SKIP
>>> history.final["test_acc"]                                                     # doctest: +SKIP
"""
from __future__ import annotations

import math
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .env import get_device

METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds")


@dataclass
class History:
    """Per-epoch records of a training run.

    ``h["test_acc"]`` is the list of test accuracies, ``h.final`` the last epoch's
    record, ``h.status`` one of ``"running"``, ``"finished"``, ``"diverged"``, ``"interrupted"``.

    >>> h = History(name="demo"); _ = h.append(train_loss=1.0, train_acc=0.5, test_loss=1.1, test_acc=0.4, lr=0.1, seconds=2)
    >>> h["test_acc"], h.best("test_acc")
    ([0.4], 0.4)
    """

    name: str = ""
    epochs: list = field(default_factory=list)
    status: str = "running"
    message: str = ""

    def append(self, **record) -> dict:
        record = {"epoch": len(self.epochs) + 1, **record}
        self.epochs.append(record)
        return record

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, key: str) -> list:
        return [r.get(key) for r in self.epochs]

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
        vals = [v for v in self[key] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if not vals:
            return None
        return min(vals) if key.endswith("loss") else max(vals)

    def to_frame(self):
        """The records as a pandas DataFrame (one row per epoch)."""
        import pandas as pd
        return pd.DataFrame(self.epochs).set_index("epoch") if self.epochs else pd.DataFrame()

    def state_dict(self) -> dict:
        return {"name": self.name, "epochs": list(self.epochs), "status": self.status, "message": self.message}

    @classmethod
    def from_state_dict(cls, d: dict) -> "History":
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


class _Progress:
    """A live status line while an epoch runs: updated in place in Jupyter, on stderr in a terminal."""

    def __init__(self, enabled: bool, every: float = 1.0):
        self.mode, self.every, self.last = None, every, 0.0
        if not enabled:
            return
        if _in_notebook():
            from IPython.display import display, Pretty
            self.mode = "notebook"
            self.handle = display(Pretty("starting..."), display_id=True)
        elif sys.stderr.isatty():
            self.mode = "tty"

    def update(self, text: str, force: bool = False) -> None:
        now = time.time()
        if self.mode is None or (not force and now - self.last < self.every):
            return
        self.last = now
        if self.mode == "notebook":
            from IPython.display import Pretty
            self.handle.update(Pretty(text))
        else:
            sys.stderr.write("\r" + text[:120].ljust(120))
            sys.stderr.flush()

    def close(self, text: str) -> None:
        if self.mode == "notebook":
            from IPython.display import Pretty
            self.handle.update(Pretty(text))
        elif self.mode == "tty":
            sys.stderr.write("\r" + " " * 120 + "\r")
            sys.stderr.flush()


def _amp_context(device: torch.device, amp):
    """(autocast context factory, GradScaler or None) for this device."""
    if device.type != "cuda" or amp is False:
        return nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast("cuda", dtype=dtype)), scaler


def _first_param_device(model: nn.Module) -> torch.device | None:
    p = next(model.parameters(), None)
    return p.device if p is not None else None


def _forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` with a clear message when the batch does not fit the model's first layer."""
    try:
        return model(x)
    except RuntimeError as err:
        msg = str(err)
        if any(s in msg for s in ("shape", "size", "channels", "mat1 and mat2", "Expected")):
            raise ValueError(
                f"the model cannot take a batch of shape {tuple(x.shape)} (batch, channels, height, width): {msg.splitlines()[0]}. "
                "Check the first layer (in_channels / in_features) and any Flatten->Linear size against the data: "
                "Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32).") from None
        raise


def _accuracy_count(out: torch.Tensor, y: torch.Tensor) -> int:
    target = y.argmax(1) if y.dim() == 2 else y  # soft targets (mixup, smoothing given as probabilities)
    return int((out.argmax(1) == target).sum())


@torch.no_grad()
def evaluate(model: nn.Module, loader, loss_fn=None, device=None, amp="auto") -> dict:
    """Mean loss and accuracy of ``model`` over ``loader`` (eval mode, no gradients).

    >>> evaluate(model, test)        # doctest: +SKIP
    {'loss': 0.43, 'acc': 0.85}
    """
    device = torch.device(device) if device else (_first_param_device(model) or get_device())
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    autocast, _ = _amp_context(device, amp)
    was_training = model.training
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    channels_last = device.type == "cuda"
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast():
            out = _forward(model, x)
            loss = loss_fn(out.float(), y)
        n = x.shape[0]
        loss_sum += float(loss) * n
        correct += _accuracy_count(out, y)
        total += n
    model.train(was_training)
    if total == 0:
        raise ValueError("evaluate() got an empty loader")
    return {"loss": loss_sum / total, "acc": correct / total}


@torch.no_grad()
def predict(model: nn.Module, loader, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels for every example of ``loader``, on the CPU, in loader order."""
    device = torch.device(device) if device else (_first_param_device(model) or get_device())
    was_training = model.training
    model.eval()
    outs, ys = [], []
    for x, y in loader:
        outs.append(_forward(model, x.to(device)).float().cpu())
        ys.append(y.cpu())
    model.train(was_training)
    return torch.cat(outs), torch.cat(ys)


def save_checkpoint(path, model, optimizer=None, scheduler=None, history: History | None = None) -> Path:
    """Save model, optimizer, scheduler and history to ``path`` (a ``.pt`` file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.state_dict() if history is not None else None,
    }, path)
    return path


def load_checkpoint(path, model, optimizer=None, scheduler=None) -> History:
    """Restore what :func:`save_checkpoint` saved; returns the saved history."""
    ckpt = torch.load(Path(path), map_location=_first_param_device(model) or "cpu", weights_only=False)
    model.load_state_dict(ckpt["model"])
    if optimizer is not None and ckpt.get("optimizer"):
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler"):
        scheduler.load_state_dict(ckpt["scheduler"])
    return History.from_state_dict(ckpt["history"] or {})


def fit(model: nn.Module, train, test=None, *, epochs: int = 1, optimizer=None, lr: float = 1e-3,
        loss_fn=None, scheduler=None, scheduler_interval: str = "epoch", device=None, amp="auto",
        max_grad_norm: float | None = None, max_loss: float = 1e3, progress: bool = True,
        name: str = "", checkpoint=None, resume: bool = False, history: History | None = None,
        batch_fn=None, after_backward=None) -> History:
    """Train ``model`` on batches from ``train``; evaluate on ``test`` after every epoch.

    Arguments that matter most:

    * ``optimizer``: defaults to ``Adam(model.parameters(), lr=lr)``.
    * ``loss_fn``: defaults to cross-entropy; targets may be class indices or probabilities.
    * ``scheduler`` is stepped every epoch, or every batch with ``scheduler_interval="batch"``.
    * ``checkpoint="runs/x.pt"`` saves after every epoch; ``resume=True`` continues from it.
    * ``max_loss``: a batch loss above this (or NaN/inf) stops the run as diverged.
    * ``batch_fn(x, y) -> (x, y)`` changes each *training* batch on the device (mixup,
      distillation targets); targets may become class probabilities.
    * ``after_backward(model)`` is called after every backward pass, before the
      optimizer step (e.g. to record gradient norms per layer).

    Returns a :class:`History`; an interrupt (Ctrl-C) returns the history so far.

    >>> h = fit(model, train, test, epochs=5, name="mlp")   # doctest: +SKIP
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch'; got {scheduler_interval!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0; got {epochs}")
    device = torch.device(device) if device else get_device()
    model.to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        model.to(memory_format=torch.channels_last)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    autocast, scaler = _amp_context(device, amp)
    history = history or History(name=name)
    if checkpoint and resume and Path(checkpoint).is_file():
        history = load_checkpoint(checkpoint, model, optimizer, scheduler)
        print(f"resumed from {checkpoint} after epoch {len(history)}")
    history.status = "running"
    start_epoch = len(history)
    bar = _Progress(progress)
    label = f"[{name}] " if name else ""
    try:
        for epoch in range(start_epoch, epochs):
            model.train()
            t0 = time.time()
            seen, loss_sum, correct = 0, 0.0, 0
            n_batches = len(train) if hasattr(train, "__len__") else None
            for i, (x, y) in enumerate(train):
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                if device.type == "cuda" and x.dim() == 4:
                    x = x.contiguous(memory_format=torch.channels_last)
                if batch_fn is not None:
                    x, y = batch_fn(x, y)
                with autocast():
                    out = _forward(model, x)
                    loss = loss_fn(out.float(), y)
                lv = float(loss.detach())
                if not math.isfinite(lv) or lv > max_loss:
                    history.status = "diverged"
                    history.message = (f"{label}training stopped: the loss became {lv:.4g} at epoch {epoch + 1}, "
                                       f"batch {i + 1} (diverged). Try a smaller learning rate or normalised inputs.")
                    print(history.message)
                    return history
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if after_backward is not None:
                        scaler.unscale_(optimizer)
                        after_backward(model)
                    if max_grad_norm:
                        if after_backward is None:
                            scaler.unscale_(optimizer)
                        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    if after_backward is not None:
                        after_backward(model)
                    if max_grad_norm:
                        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                    optimizer.step()
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                n = x.shape[0]
                seen += n
                loss_sum += lv * n
                correct += _accuracy_count(out.detach(), y)
                bar.update(f"{label}epoch {epoch + 1}/{epochs}  batch {i + 1}/{n_batches or '?'}  "
                           f"loss {loss_sum / seen:.4f}  acc {correct / seen:.4f}")
            if seen == 0:
                raise ValueError("fit() got an empty training loader")
            lr_now = optimizer.param_groups[0]["lr"]
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            record = {"train_loss": loss_sum / seen, "train_acc": correct / seen,
                      "test_loss": None, "test_acc": None, "lr": lr_now}
            if test is not None:
                ev = evaluate(model, test, loss_fn=loss_fn, device=device, amp=amp)
                record["test_loss"], record["test_acc"] = ev["loss"], ev["acc"]
            record["seconds"] = time.time() - t0
            rec = history.append(**record)
            line = (f"{label}epoch {rec['epoch']:>3}/{epochs}  train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.4f}")
            if rec["test_acc"] is not None:
                line += f" | test loss {rec['test_loss']:.4f} acc {rec['test_acc']:.4f}"
            line += f" | lr {lr_now:.2e} | {rec['seconds']:.1f} s"
            if progress:
                print(line, flush=True)
            if checkpoint:
                save_checkpoint(checkpoint, model, optimizer, scheduler, history)
        history.status = "finished"
    except KeyboardInterrupt:
        history.status = "interrupted"
        history.message = f"{label}interrupted after {len(history)} complete epoch(s); the history so far is returned"
        print(history.message)
    finally:
        bar.close(f"{label}{history.status}: {len(history)} epoch(s) in {history.seconds:.1f} s"
                  + (f", best test acc {history.best('test_acc'):.4f}" if history.best("test_acc") is not None else ""))
    return history
