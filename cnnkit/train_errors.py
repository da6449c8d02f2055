"""Clear errors for :mod:`cnnkit.train`: argument checks, label checks and a forward pass that explains itself.

A learner's mistake should end in one sentence that names the argument and says what was
expected, not in a stack trace from deep inside torch (or, on a GPU, in a device-side
assert that breaks the whole session).

>>> check_positive(0.1, "lr")
>>> check_positive(-1, "lr")
Traceback (most recent call last):
ValueError: lr must be > 0; got -1
"""
from __future__ import annotations

import os
import re
from numbers import Integral, Real
from pathlib import Path

import torch
from torch import nn

from .env import amp_mode


def check_model(model) -> None:
    """``model`` must be an ``nn.Module``.

    >>> check_model(nn.Linear(2, 2))
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module; got {type(model).__name__}")


def check_loader(loader, arg: str) -> None:
    """``loader`` must give ``(x, y)`` batches: a :class:`cnnkit.Loader`, a DataLoader, a list of pairs...

    >>> check_loader([(torch.zeros(2, 3), torch.zeros(2))], "train")
    >>> check_loader(torch.zeros(4, 3), "train")
    Traceback (most recent call last):
    TypeError: train is a tensor, not batches: pass a loader of (x, y) batches, e.g. cnnkit.Loader(cnnkit.ImageData(x, y), batch_size=128)
    """
    from .data import ImageData, Loader
    if isinstance(loader, ImageData):
        raise TypeError(
            f"{arg} is an ImageData (a whole dataset), not batches: pass a loader instead, e.g. "
            f"train, test = cnnkit.loaders({loader.name!r}) or cnnkit.Loader(data, batch_size=128, shuffle=True)")
    if isinstance(loader, tuple) and len(loader) == 2 and all(isinstance(v, Loader) for v in loader):
        raise TypeError(f"{arg} is a pair of loaders (what cnnkit.loaders returns): unpack it, "
                        "train, test = cnnkit.loaders(...), and pass fit(model, train, test)")
    if isinstance(loader, torch.Tensor):
        raise TypeError(f"{arg} is a tensor, not batches: pass a loader of (x, y) batches, "
                        "e.g. cnnkit.Loader(cnnkit.ImageData(x, y), batch_size=128)")
    if isinstance(loader, (str, bytes, dict)) or not hasattr(loader, "__iter__"):
        raise TypeError(f"{arg} must be a loader of (x, y) batches (cnnkit.Loader, torch DataLoader, ...); "
                        f"got {type(loader).__name__}")
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{arg} is empty (0 batches): check the dataset size, the subset and drop_last")


def check_positive(value, arg: str, *, integer: bool = False, allow_none: bool = False) -> None:
    """A number > 0 (an int if ``integer``), or None when ``allow_none``."""
    if value is None and allow_none:
        return
    kind = Integral if integer else Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{arg} must be {'an int' if integer else 'a number'}"
                        f"{' or None' if allow_none else ''}; got {type(value).__name__} {value!r}")
    if not value > 0:
        raise ValueError(f"{arg} must be > 0; got {value!r}")


def _callable_or_none(value, arg: str, example: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{arg} must be callable ({example}) or None; got {type(value).__name__}")


def check_checkpoint_path(path) -> Path:
    """A checkpoint path: a str or os.PathLike."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise TypeError(f"path must be a file name such as 'runs/model.pt'; got {path!r}")
    return Path(path)


def check_fit_args(*, model, train, test, epochs, optimizer, lr, loss_fn, scheduler, scheduler_interval, device,
                   amp, compile, max_grad_norm, max_loss, check_every, progress, verbose, name, checkpoint,
                   resume, history, batch_fn, after_backward) -> None:
    """Check every argument of :func:`cnnkit.fit` before anything runs."""
    from .history import History
    check_model(model)
    check_loader(train, "train")
    if test is not None:
        check_loader(test, "test")
    if isinstance(epochs, bool) or not isinstance(epochs, Integral):
        raise TypeError(f"epochs must be an int (the total number of epochs); got {type(epochs).__name__} {epochs!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0; got {epochs}")
    check_positive(lr, "lr")
    check_positive(max_loss, "max_loss")
    check_positive(max_grad_norm, "max_grad_norm", allow_none=True)
    check_positive(check_every, "check_every", integer=True)
    if not isinstance(scheduler_interval, str) or scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch'; got {scheduler_interval!r}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim optimizer, e.g. torch.optim.SGD(model.parameters(), lr=0.1); "
                        f"got {type(optimizer).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (a torch.optim.lr_scheduler); got {type(scheduler).__name__}")
    _callable_or_none(loss_fn, "loss_fn", "e.g. nn.CrossEntropyLoss()")
    _callable_or_none(batch_fn, "batch_fn", "batch_fn(x, y) -> (x, y)")
    _callable_or_none(after_backward, "after_backward", "after_backward(model)")
    amp_mode(amp)
    for arg, value in (("compile", compile), ("progress", progress), ("verbose", verbose), ("resume", resume)):
        if not isinstance(value, bool):
            raise TypeError(f"{arg} must be True or False; got {value!r}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a cnnkit History (to continue a run) or None; got {type(history).__name__}")
    if checkpoint is not None:
        check_checkpoint_path(checkpoint)
    if device is not None and not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a device name such as 'cpu' or 'cuda', or None; got {type(device).__name__}")


def label_range(loader) -> tuple[int, int] | None:
    """(smallest, largest) class label a :class:`cnnkit.Loader` holds (one read), else None."""
    y = getattr(getattr(loader, "data", None), "y", None)
    if isinstance(y, torch.Tensor) and y.dim() == 1 and len(y) and not y.is_floating_point():
        lo, hi = torch.stack([y.min(), y.max()]).tolist()
        return int(lo), int(hi)
    return None


def check_targets(out, y, labels: tuple[int, int] | None, arg: str) -> None:
    """The targets must fit the model's outputs: class indices in 0..C-1, or (N, C) probabilities.

    Called on the first batch of an epoch, before the loss: out-of-range labels would end in an
    IndexError deep in the loss, or on CUDA in a device-side assert that breaks the session.
    ``labels`` is the known label range (no read needed); else this batch's range is read once.

    >>> check_targets(torch.zeros(2, 4), torch.tensor([0, 7]), None, "train")
    Traceback (most recent call last):
    ValueError: train has class labels 0..7, but the model gives 4 class scores per image (labels must be 0..3): give the last layer as many outputs as the data has classes (at least 8)
    """
    if not (isinstance(out, torch.Tensor) and isinstance(y, torch.Tensor)) or out.dim() != 2:
        return
    n = out.shape[1]
    if y.shape[0] != out.shape[0]:
        raise ValueError(f"{arg} gave {y.shape[0]} targets for a batch of {out.shape[0]} images")
    if y.dim() == 2 and y.is_floating_point():
        if y.shape[1] != n:
            raise ValueError(f"{arg} gave targets as probabilities over {y.shape[1]} classes, "
                             f"but the model gives {n} class scores per image")
        return
    if y.dim() != 1 or y.is_floating_point():
        return
    lo, hi = labels if labels is not None else (int(v) for v in torch.stack([y.min(), y.max()]).tolist())
    if lo < 0 or hi >= n:
        raise ValueError(f"{arg} has class labels {lo}..{hi}, but the model gives {n} class scores per image "
                         f"(labels must be 0..{n - 1}): give the last layer as many outputs as the data has "
                         f"classes (at least {hi + 1})")


def diverged_message(name: str, worst: float, epoch: int, step: int, every: int) -> str:
    """The message of a run stopped because its loss became NaN, infinite or too large."""
    label = f"[{name}] " if name else ""
    window = f"steps {max(step - every, 0) + 1}-{step}" if step > 1 else "step 1"
    return (f"{label}training stopped (diverged): the loss reached {worst:.4g} in epoch {epoch}, detected at "
            f"step {step} (the check after {window}). Try a smaller learning rate or normalised inputs.")


_DEVICE_ERR = re.compile(r"device|torch\.cuda\.\w*Tensor|CUDA\w*Type|\bmps\b", re.IGNORECASE)


def _innermost_module(err: BaseException) -> nn.Module | None:
    """The innermost nn.Module whose forward was running when ``err`` was raised."""
    found, tb = None, err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name in ("_call_impl", "_wrapped_call_impl"):
            module = frame.f_locals.get("self")
            if isinstance(module, nn.Module):
                found = module
        tb = tb.tb_next
    return found


def _first_layer(model: nn.Module) -> nn.Module | None:
    return next((m for m in model.modules() if next(m.parameters(recurse=False), None) is not None), None)


def _devices(module: nn.Module) -> list[str]:
    devs = {str(t.device) for t in (*module.parameters(), *module.buffers())}
    return sorted(devs)


def forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, with a clear message for a device mismatch or a batch that does not fit the first layer.

    Any other error is raised as it is, with its own traceback.

    >>> forward(nn.Linear(3, 2), torch.zeros(4, 3)).shape
    torch.Size([4, 2])
    """
    try:
        return model(x)
    except RuntimeError as err:
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        where = _innermost_module(err)
        layer = where if where is not None else model
        if _DEVICE_ERR.search(msg):
            devs = _devices(layer) or _devices(model)
            xdev = str(x.device) if isinstance(x, torch.Tensor) else "?"
            if devs and devs != [xdev]:
                raise RuntimeError(
                    f"device mismatch: the batch is on {xdev} but {type(layer).__name__}'s weights are on "
                    f"{' and '.join(devs)}. Put the model and every tensor and layer it uses on one device, "
                    f"e.g. layer.to(card.device) and x.to(card.device) ({msg})") from err
            raise RuntimeError(
                f"device mismatch inside {type(layer).__name__}: the batch and the weights are on {xdev}, but a tensor "
                f"the forward pass uses is elsewhere; create it with device=x.device ({msg})") from err
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else "?"
        if where is not None and where is _first_layer(model):
            raise ValueError(
                f"the model cannot take a batch of shape {shape} (batch, channels, height, width): {msg}. "
                "Check the first layer (in_channels / in_features) against the data: "
                "Fashion-MNIST images are (1, 28, 28), CIFAR-10 images (3, 32, 32).") from err
        if isinstance(where, nn.Linear) and "mat1 and mat2" in msg:
            raise ValueError(
                f"a dense layer {where} got the wrong number of features from a batch of shape {shape}: {msg}. "
                "Check the Flatten -> Linear size against the image size (e.g. 28x28 vs 32x32 images): "
                "cnnkit.output_shape(model[:k], image_shape) prints what reaches layer k.") from err
        if "view size is not compatible" in msg:
            raise RuntimeError(
                f"{msg.split('.')[0]}: the model calls .view() on a tensor that is not contiguous (on CUDA, fit "
                "keeps images channels_last); use .flatten(1) or .reshape(n, -1) instead of .view(n, -1)") from err
        raise

