"""Training recipes the chapters teach (chapter 08): label smoothing, mixup and knowledge
distillation; the weight regularisers L1, L2 and elastic net (``weight_penalty``), max-norm
constraints (``max_norm_``), DropConnect (``DropConnectLinear``) and early stopping
(``EarlyStopping``). ``Mixup`` and ``Distill`` are ``batch_fn`` hooks for :func:`cnnkit.fit`: they
turn a batch's integer labels into soft targets (class probabilities), which
``nn.CrossEntropyLoss`` accepts.

>>> smooth_labels(torch.tensor([0, 1]), 2, eps=0.2)
tensor([[0.9000, 0.1000],
        [0.1000, 0.9000]])
"""
from __future__ import annotations

import copy
import math

import torch

from ._checks_args import check_module, check_number, check_tensor


def _num_classes(num_classes) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"num_classes must be an int >= 2; got {num_classes!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2; got {num_classes}")
    return num_classes


def smooth_labels(y: torch.Tensor, num_classes: int, eps: float = 0.1) -> torch.Tensor:
    """Label smoothing: the one-hot target becomes ``(1 - eps) * one_hot + eps / num_classes``.

    Cross-entropy with these targets equals ``nn.CrossEntropyLoss(label_smoothing=eps)``.

    >>> smooth_labels(torch.tensor([2]), 4, eps=0.2)
    tensor([[0.0500, 0.0500, 0.8500, 0.0500]])
    """
    _num_classes(num_classes)
    check_number("eps", eps, low=0, high=1)
    _check_targets(check_tensor("y", y, dims=1), num_classes)
    one_hot = torch.nn.functional.one_hot(y.long(), num_classes).float()
    return (1 - eps) * one_hot + eps / num_classes


class Mixup:
    """A ``batch_fn`` for :func:`cnnkit.fit` that trains on blends of pairs of images (Zhang et al., 2018).

    For every batch: draw ``lam ~ Beta(alpha, alpha)`` and a random pairing ``perm`` of the
    batch, then ``x = lam * x + (1 - lam) * x[perm]`` and the targets become the same blend of
    the one-hot labels, ``lam * y + (1 - lam) * y[perm]`` (class probabilities, which
    ``nn.CrossEntropyLoss`` accepts). The last ``lam`` and ``perm`` are kept for inspection.

    >>> _ = torch.manual_seed(0); mix = Mixup(alpha=1.0, num_classes=3)
    >>> x, y = mix(torch.eye(2).view(2, 1, 1, 2), torch.tensor([0, 2]))
    >>> bool(torch.allclose(y.sum(1), torch.ones(2)))
    True
    """

    def __init__(self, alpha: float = 0.2, num_classes: int = 10):
        if check_number("alpha", alpha) <= 0:
            raise ValueError(f"mixup needs alpha > 0; got {alpha}")
        self.alpha, self.num_classes = float(alpha), _num_classes(num_classes)
        self.lam, self.perm = None, None

    def __call__(self, x: torch.Tensor, y: torch.Tensor):
        _check_batch(x, y, self.num_classes)
        a = torch.tensor(self.alpha)
        self.lam = float(torch.distributions.Beta(a, a).sample())
        self.perm = torch.randperm(x.shape[0], device=x.device)
        target = torch.nn.functional.one_hot(y, self.num_classes).to(x.dtype) if y.dim() == 1 else y
        lam = self.lam
        return lam * x + (1 - lam) * x[self.perm], lam * target + (1 - lam) * target[self.perm]


class Distill:
    """A ``batch_fn`` for :func:`cnnkit.fit` that turns labels into a teacher's soft targets
    (knowledge distillation, Hinton et al., 2015).

    The target of every training image becomes
    ``alpha * softmax(teacher(x) / T) + (1 - alpha) * one_hot(y)``: the teacher's
    probabilities, softened by the temperature ``T``, blended with the true label. Training
    the student with cross-entropy on these targets is the common simple form of
    distillation; Hinton et al. also divide the *student's* logits by ``T`` in the soft term
    and multiply that term by ``T**2`` (Exercise 08.5 writes that loss).

    >>> teacher = torch.nn.Linear(4, 3)
    >>> x, y = Distill(teacher, temperature=2.0, alpha=0.5, num_classes=3)(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    >>> tuple(y.shape), bool(torch.allclose(y.sum(1), torch.ones(5)))
    ((5, 3), True)
    """

    def __init__(self, teacher: torch.nn.Module, temperature: float = 4.0, alpha: float = 0.7,
                 num_classes: int = 10):
        if not isinstance(teacher, torch.nn.Module):
            raise TypeError(f"teacher must be a trained torch.nn.Module; got {type(teacher).__name__}")
        if check_number("temperature", temperature) <= 0:
            raise ValueError(f"temperature must be > 0; got {temperature}")
        check_number("alpha", alpha, low=0, high=1)
        self.teacher, self.temperature, self.alpha = teacher, float(temperature), float(alpha)
        self.num_classes = _num_classes(num_classes)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor):
        _check_batch(x, y, self.num_classes, soft=False)
        self.teacher.eval()
        p = next(self.teacher.parameters(), None)
        if p is not None and p.device != x.device:
            self.teacher.to(x.device)
        soft = torch.softmax(self.teacher(x).float() / self.temperature, dim=1)
        hard = torch.nn.functional.one_hot(y, self.num_classes).float()
        return x, self.alpha * soft + (1 - self.alpha) * hard


def _check_targets(y: torch.Tensor, num_classes: int) -> None:
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"labels y must be integer class indices; got {y.dtype}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"labels y must be class indices 0..{num_classes - 1}; got values {int(y.min())}..{int(y.max())}")


def _check_batch(x, y, num_classes: int, soft: bool = True) -> None:
    """A batch for a ``batch_fn``: images ``x`` and labels ``y`` (N,) (or, with ``soft``, targets (N, K))."""
    check_tensor("x", x)
    check_tensor("y", y, dims=(1, 2) if soft else 1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"x and y must hold the same number of examples; got {x.shape[0]} and {y.shape[0]}")
    if y.dim() == 2 and y.shape[1] != num_classes:
        raise ValueError(f"soft targets y must be (N, num_classes={num_classes}); got {tuple(y.shape)}")
    if y.dim() == 1 and (y.is_floating_point() or y.dtype == torch.bool):  # no value checks: they would
        raise TypeError(f"labels y must be integer class indices; got {y.dtype}")  # sync the GPU every step


# ------------------------------------------------------------ weight regularisers

def _weights(model) -> list:
    """The weight matrices and kernels of ``model`` (parameters with 2 or more dimensions):
    biases and normalisation parameters are not penalised."""
    if isinstance(model, torch.nn.Module):
        params = list(model.parameters())
    elif isinstance(model, torch.Tensor):
        params = [model]
    else:
        raise TypeError(f"model must be a torch.nn.Module or a weight tensor; got {type(model).__name__}")
    return [p for p in params if p.dim() > 1]


def weight_penalty(model, l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """The regularisation term ``l1 * sum|w| + (l2 / 2) * sum w**2`` over the weights of ``model``.

    ``l1`` alone is L1 regularisation (it pushes weights to exactly zero: sparse weights),
    ``l2`` alone is L2 (weight decay: every weight shrinks in proportion to its size), both
    together the *elastic net*. Add it to the loss before ``backward()``; weight matrices and
    kernels count, biases and normalisation parameters do not.

    >>> w = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    >>> weight_penalty(w, l1=0.1), weight_penalty(w, l2=0.1), weight_penalty(w, l1=0.1, l2=0.1)
    (tensor(0.6000), tensor(0.7000), tensor(1.3000))
    """
    check_number("l1", l1, low=0)
    check_number("l2", l2, low=0)
    weights = _weights(model)
    if not weights:
        raise ValueError("model has no weight matrices or kernels (parameters with 2 or more dimensions) to penalise")
    total = weights[0].new_zeros(())
    for w in weights:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + (l2 / 2) * w.pow(2).sum()
    return total


def sparsity(model, threshold: float = 1e-3) -> float:
    """The fraction of the weights of ``model`` whose magnitude is below ``threshold``.

    >>> sparsity(torch.tensor([[0.0, 0.5], [1e-4, -2.0]]))
    0.5
    """
    if check_number("threshold", threshold) <= 0:
        raise ValueError(f"threshold must be > 0; got {threshold}")
    weights = _weights(model)
    if not weights:
        raise ValueError("model has no weight matrices or kernels (parameters with 2 or more dimensions)")
    small = sum(int((w.detach().abs() < threshold).sum()) for w in weights)
    return small / sum(w.numel() for w in weights)


@torch.no_grad()
def max_norm_(module: torch.nn.Module, max_norm: float = 3.0) -> float:
    """Max-norm constraint (Srivastava et al., 2014): after an optimiser step, scale every unit's
    incoming weight vector back onto the ball ``||w|| <= max_norm``, in place.

    A unit's incoming weights are a row of a Linear layer's weight, or one output channel's
    kernel of a convolution. Rows already inside the ball are left alone (``torch.renorm``).
    Applies to every Linear and Conv layer inside ``module``; returns the largest norm after.

    >>> lin = torch.nn.Linear(4, 2)
    >>> with torch.no_grad(): _ = lin.weight.fill_(1.0)     # each row has norm 2
    >>> max_norm_(lin, 1.0)
    1.0
    """
    check_module("module", module)
    if check_number("max_norm", max_norm) <= 0:
        raise ValueError(f"max_norm must be > 0; got {max_norm}")
    largest, found = 0.0, False
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
            w = layer.weight
            w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=max_norm))
            largest = max(largest, float(w.flatten(1).norm(dim=1).max()))
            found = True
    if not found:
        raise ValueError("module has no Linear or Conv layer to constrain")
    return round(largest, 6)


class DropConnectLinear(torch.nn.Linear):
    """A Linear layer with DropConnect (Wan et al., 2013): in training mode each *weight* (not
    each unit, as dropout does) is set to zero with probability ``p`` and the survivors are
    scaled by ``1 / (1 - p)`` (inverted, like :class:`torch.nn.Dropout`); in eval mode the
    layer is an ordinary Linear. One mask is drawn per forward pass (per batch: a
    simplification of the paper, which draws one per example). ``last_weight`` keeps the
    weight matrix of the last training pass.

    >>> _ = torch.manual_seed(0); layer = DropConnectLinear(100, 100, p=0.5)
    >>> _ = layer(torch.ones(1, 100)); round(float((layer.last_weight == 0).float().mean()), 1)
    0.5
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, p: float = 0.5):
        if check_number("p", p, low=0) >= 1:
            raise ValueError(f"p (the probability of dropping a weight) must be in [0, 1); got {p}")
        super().__init__(in_features, out_features, bias=bias)
        self.p, self.last_weight = float(p), None

    def forward(self, x):
        if not self.training or self.p == 0:
            return super().forward(x)
        keep = (torch.rand_like(self.weight) >= self.p).to(self.weight.dtype)
        weight = self.weight * keep / (1 - self.p)
        self.last_weight = weight.detach()
        return torch.nn.functional.linear(x, weight, self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", p={self.p}"


class EarlyStopping:
    """Early stopping: stop training once the monitored validation number has not improved
    for ``patience`` epochs, and keep the weights of the best epoch.

    Call ``step(value, model)`` after every epoch; it returns True when training should
    stop. ``best``, ``best_epoch`` (counted from 1) and ``epoch`` say where things stand, and
    ``restore(model)`` puts the best weights back. ``mode="max"`` for an accuracy, ``"min"``
    for a loss; an improvement must exceed ``min_delta``.

    >>> stop = EarlyStopping(patience=2)
    >>> [stop.step(v) for v in (0.50, 0.60, 0.58, 0.59)]     # two epochs without a new best: stop
    [False, False, False, True]
    >>> stop.best_epoch, stop.best
    (2, 0.6)
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "max"):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be an int >= 1 (epochs without improvement); got {patience!r}")
        check_number("min_delta", min_delta, low=0)
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' (accuracy) or 'min' (loss); got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, float(min_delta), mode
        self.best, self.best_epoch, self.epoch, self.best_state = None, None, 0, None

    @property
    def waited(self) -> int:
        """Epochs since the best one."""
        return self.epoch - (self.best_epoch or 0)

    def step(self, value: float, model: torch.nn.Module | None = None) -> bool:
        value = check_number("value", value)
        self.epoch += 1
        better = (self.best is None or
                  (value > self.best + self.min_delta if self.mode == "max" else value < self.best - self.min_delta))
        if better:
            self.best, self.best_epoch = value, self.epoch
            if model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        return self.waited >= self.patience

    def restore(self, model: torch.nn.Module) -> torch.nn.Module:
        """Load the weights of the best epoch into ``model`` (given to ``step``) and return it."""
        if self.best_state is None:
            raise ValueError("no weights kept: pass the model to step(value, model) after every epoch")
        model.load_state_dict(self.best_state)
        return model


def early_stopping_epoch(values, patience: int = 5, min_delta: float = 0.0, mode: str = "max") -> tuple[int, int]:
    """Replay :class:`EarlyStopping` on a recorded validation curve (e.g. ``history["test_acc"]``):
    ``(stop_epoch, best_epoch)``, counted from 1. If the curve ends before the patience runs
    out, ``stop_epoch`` is its last epoch.

    >>> early_stopping_epoch([0.50, 0.60, 0.58, 0.59, 0.61], patience=2)
    (4, 2)
    """
    values = [v for v in values]
    if not values:
        raise ValueError("values is empty: a validation curve needs at least one epoch")
    stop = EarlyStopping(patience, min_delta, mode)
    for v in values:
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            raise ValueError(f"values must be finite numbers; got {v!r}")
        if stop.step(v):
            break
    return stop.epoch, stop.best_epoch
