"""Training and evaluation: ``fit`` returns a :class:`History`; nothing is ever lost.

* On CUDA, ``fit`` uses channels_last memory layout, ``cudnn.benchmark`` and the precision
  policy of :func:`cnnkit.env.precision` (bf16 autocast on compute capability >= 8.0, fp16
  with a GradScaler below); on the CPU it is a plain float32 loop.
* The GPU never waits for Python: the loss and the correct count are summed on the device
  and read back every ``check_every`` steps (the divergence check) and at each epoch's end.
* While it runs, a live line shows the epoch, the step and the last checked loss and accuracy
  (updated in place in Jupyter, on stderr in a terminal). It leaves one summary line per run;
  ``verbose=True`` prints a line per epoch too. The curves belong in a figure (``plot_history``).
* Ctrl-C (interrupt) ends training and returns the history so far.
* A NaN, infinite or exploding loss stops the run with a message, and the history
  says ``status == "diverged"``: a network that does not learn is a result, not a crash.

>>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))   # doctest: +SKIP
>>> history = fit(model, train, test, epochs=3)                                   # doctest: +SKIP
>>> history.final["test_acc"]                                                     # doctest: +SKIP
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from torch import nn

from .env import get_device, precision
from .history import History, Progress
from .train_errors import (check_checkpoint_path, check_fit_args, check_loader, check_model, check_targets,
                           diverged_message, forward, label_range)

__all__ = ["History", "evaluate", "fit", "load_checkpoint", "predict", "save_checkpoint"]


def _model_device(model: nn.Module) -> torch.device | None:
    p = next(model.parameters(), None)
    return p.device if p is not None else None


def _to(device: torch.device, x):
    """Move a batch to ``device``; on CUDA 4-d image batches go channels_last (faster convolutions)."""
    if not isinstance(x, torch.Tensor):
        return x
    x = x.to(device, non_blocking=True)
    if device.type == "cuda" and x.dim() == 4 and x.is_floating_point():
        x = x.contiguous(memory_format=torch.channels_last)
    return x


class _Sums:
    """Loss sum, correct count and worst batch loss of an epoch, kept on the device (no host reads)."""

    def __init__(self, device: torch.device):
        self.loss, self.correct = torch.zeros((), device=device), torch.zeros((), device=device)
        self.worst = torch.full((), -math.inf, device=device)
        self.seen, self.steps, self.last = 0, 0, (math.nan, math.nan, math.nan)

    def add(self, loss: torch.Tensor, out: torch.Tensor, y: torch.Tensor) -> None:
        loss, n = loss.detach().float(), out.shape[0]
        self.loss += loss * n
        self.worst = torch.maximum(self.worst, loss)   # a NaN stays NaN
        target = y.argmax(1) if y.dim() == 2 else y    # soft targets (mixup, smoothing) as probabilities
        self.correct += (out.detach().argmax(1) == target).sum()
        self.seen, self.steps = self.seen + n, self.steps + 1

    def read(self) -> tuple[float, float, float]:
        """(worst batch loss, mean loss, accuracy) so far: the one read back to the host."""
        worst, loss, correct = torch.stack([self.worst, self.loss, self.correct.float()]).tolist()
        self.last = (worst, loss / max(self.seen, 1), correct / max(self.seen, 1))
        return self.last


class _Diverged(Exception):
    pass


def _step(loss, model, optimizer, scaler, max_grad_norm, after_backward) -> None:
    """Backward pass and optimizer step (with fp16 loss scaling when a GradScaler is given)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
    else:
        scaler.scale(loss).backward()
        if after_backward is not None or max_grad_norm:
            scaler.unscale_(optimizer)          # hooks and clipping see the true gradients
    if after_backward is not None:
        after_backward(model)
    if max_grad_norm:
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    if scaler is None:
        optimizer.step()
    else:
        scaler.step(optimizer)
        scaler.update()


@torch.no_grad()
def evaluate(model: nn.Module, loader, loss_fn=None, device=None, amp="auto") -> dict:
    """Mean loss and accuracy of ``model`` over ``loader`` (eval mode, no gradients).

    Batches go to the model's device (or to ``device``, where the model is moved first).
    Sums stay on the device; the result is read back once.

    >>> evaluate(model, test)        # doctest: +SKIP
    {'loss': 0.43, 'acc': 0.85}
    """
    check_model(model)
    check_loader(loader, "loader")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, e.g. nn.CrossEntropyLoss(); got {type(loss_fn).__name__}")
    if device is not None:
        model.to(device)
    device = _model_device(model) or torch.device(device or get_device())
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    prec = precision(device, amp)
    labels = label_range(loader)
    was_training = model.training
    model.eval()
    sums = _Sums(device)
    try:
        for i, (x, y) in enumerate(loader):
            x, y = _to(device, x), _to(device, y)
            with prec.autocast():
                out = forward(model, x)
                if i == 0:
                    check_targets(out, y, labels, "loader")
                sums.add(loss_fn(out.float(), y), out, y)
    finally:
        model.train(was_training)
    if sums.seen == 0:
        raise ValueError("evaluate(model, loader): the loader gave no batches (it is empty)")
    _, loss, acc = sums.read()
    return {"loss": loss, "acc": acc}


@torch.no_grad()
def predict(model: nn.Module, loader, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels for every example of ``loader``, on the CPU, in loader order.

    Batches go to the model's device (or to ``device``, where the model is moved first).

    >>> logits, labels = predict(model, test)   # doctest: +SKIP
    """
    check_model(model)
    check_loader(loader, "loader")
    if device is not None:
        model.to(device)
    device = _model_device(model) or torch.device(device or get_device())
    was_training = model.training
    model.eval()
    outs, ys = [], []
    try:
        for x, y in loader:
            outs.append(forward(model, _to(device, x)).float())
            ys.append(y)
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict(model, loader): the loader gave no batches (it is empty)")
    return torch.cat(outs).cpu(), torch.cat([y.cpu() for y in ys])


def save_checkpoint(path, model, optimizer=None, scheduler=None, history: History | None = None) -> Path:
    """Save model, optimizer, scheduler and history to ``path`` (a ``.pt`` file).

    Only tensors, numbers, strings, lists and dicts are saved, so :func:`load_checkpoint`
    reads it back with ``torch.load(weights_only=True)``.

    >>> save_checkpoint("runs/mlp.pt", model, optimizer, history=h)   # doctest: +SKIP
    """
    path = check_checkpoint_path(path)
    check_model(model)
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a cnnkit History or None; got {type(history).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.state_dict() if history is not None else None,
    }, path)
    return path


def load_checkpoint(path, model, optimizer=None, scheduler=None) -> History:
    """Restore what :func:`save_checkpoint` saved (safely: ``weights_only=True``); returns the saved history.

    >>> h = load_checkpoint("runs/mlp.pt", model, optimizer)   # doctest: +SKIP
    """
    path = check_checkpoint_path(path)
    check_model(model)
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {str(path)!r}")
    ckpt = torch.load(path, map_location=_model_device(model) or "cpu", weights_only=True)
    model.load_state_dict(ckpt["model"])
    if optimizer is not None and ckpt.get("optimizer"):
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler"):
        scheduler.load_state_dict(ckpt["scheduler"])
    return History.from_state_dict(ckpt["history"] or {})


def fit(model: nn.Module, train, test=None, *, epochs: int = 1, optimizer=None, lr: float = 1e-3,
        loss_fn=None, scheduler=None, scheduler_interval: str = "epoch", device=None, amp="auto",
        compile: bool = False, max_grad_norm: float | None = None, max_loss: float = 1e3,
        check_every: int = 25, progress: bool = True, verbose: bool = False, name: str = "",
        checkpoint=None, resume: bool = False, history: History | None = None,
        batch_fn=None, after_backward=None) -> History:
    """Train ``model`` on batches from ``train``; evaluate on ``test`` after every epoch.

    Arguments that matter most:

    * ``train``/``test``: loaders of ``(x, y)`` batches, e.g. ``cnnkit.loaders("cifar10")``.
    * ``optimizer``: defaults to ``Adam(model.parameters(), lr=lr)``.
    * ``loss_fn``: defaults to cross-entropy; targets may be class indices or probabilities.
    * ``scheduler`` is stepped every epoch, or every batch with ``scheduler_interval="batch"``.
    * ``amp``: mixed precision on CUDA, ``"auto"`` (default, also ``True``/``"on"``: bf16 on
      compute capability >= 8.0, fp16 + GradScaler below), ``"bf16"``/``"fp16"`` to force one,
      ``False``/``None``/``0``/``"off"``/``"fp32"`` for float32. The CPU always uses float32.
    * ``compile=True`` trains ``torch.compile(model)`` (slow to start, faster per step on a GPU).
    * ``checkpoint="runs/x.pt"`` saves after every epoch; ``resume=True`` continues from it.
    * ``history``: a History to continue; ``epochs`` counts all its epochs, so
      ``fit(..., epochs=len(h) + 2, history=h)`` trains two more.
    * ``max_loss``: a batch loss above this (or NaN/inf) stops the run as diverged; it is
      checked every ``check_every`` steps and at the end of each epoch.
    * ``progress``: the live line and the summary line; ``verbose=True`` adds one line per epoch.
    * ``batch_fn(x, y) -> (x, y)`` changes each *training* batch on the device (mixup,
      distillation targets); targets may become class probabilities.
    * ``after_backward(model)`` is called after every backward pass, before the
      optimizer step (e.g. to record gradient norms per layer).

    Returns a :class:`History`; an interrupt (Ctrl-C) returns the history so far.

    >>> h = fit(model, train, test, epochs=5, name="mlp")   # doctest: +SKIP
    """
    check_fit_args(**locals())
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        model.to(memory_format=torch.channels_last)
    net = torch.compile(model) if compile else model
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    prec = precision(device, amp)
    scaler = prec.grad_scaler()
    history = History(name=name) if history is None else history   # an empty History is falsy: test for None
    history.name = history.name or name
    if checkpoint and resume and Path(checkpoint).is_file():
        history = load_checkpoint(checkpoint, model, optimizer, scheduler)
        print(f"resumed from {checkpoint} after epoch {len(history)}")
    history.status, history.message = "running", ""
    labels = label_range(train)            # one read for a cnnkit Loader; None otherwise
    bar = Progress(progress, history.name)

    def check(sums, epoch, step):          # every `check_every` steps and at the end of each epoch
        worst, loss, acc = sums.read()
        if not math.isfinite(worst) or worst > max_loss:
            raise _Diverged(diverged_message(history.name, worst, epoch, step, check_every))
        bar.update(f"epoch {epoch}/{epochs}  batch {step}/{len(train) if hasattr(train, '__len__') else '?'}  "
                   f"loss {loss:.4f}  acc {acc:.4f}")

    try:
        for epoch in range(len(history) + 1, epochs + 1):
            net.train()
            t0, sums = time.time(), _Sums(device)
            for i, (x, y) in enumerate(train):
                x, y = _to(device, x), _to(device, y)
                if batch_fn is not None:
                    x, y = batch_fn(x, y)
                with prec.autocast():
                    out = forward(net, x)
                    if i == 0:
                        check_targets(out, y, labels, "train")
                    loss = loss_fn(out.float(), y)
                _step(loss, model, optimizer, scaler, max_grad_norm, after_backward)
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                sums.add(loss, out, y)                 # no host read: the GPU runs ahead
                if sums.steps % check_every == 0:
                    check(sums, epoch, sums.steps)
            if sums.seen == 0:
                raise ValueError("fit(model, train): the train loader gave no batches (it is empty)")
            check(sums, epoch, sums.steps)
            lr_now = optimizer.param_groups[0]["lr"]
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            _, train_loss, train_acc = sums.last
            ev = evaluate(net, test, loss_fn=loss_fn, amp=amp) if test is not None else {}
            history.append(train_loss=train_loss, train_acc=train_acc, test_loss=ev.get("loss"),
                           test_acc=ev.get("acc"), lr=float(lr_now), seconds=time.time() - t0)
            if verbose:
                print(history.epoch_line(epochs), flush=True)
            if checkpoint:
                save_checkpoint(checkpoint, model, optimizer, scheduler, history)
        history.status = "finished"
    except _Diverged as stop:
        history.status, history.message = "diverged", str(stop)
        print(history.message)
    except KeyboardInterrupt:
        history.status = "interrupted"
        history.message = f"{history.label}interrupted after {len(history)} complete epoch(s); the history so far is returned"
        print(history.message)
    finally:   # an error (bad labels, an empty loader...) leaves no summary line
        bar.close(history.summary() if history.status != "running" else None)
    return history
