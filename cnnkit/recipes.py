"""Training recipes the chapters teach (chapter 08): label smoothing, mixup and knowledge
distillation. ``Mixup`` and ``Distill`` are ``batch_fn`` hooks for :func:`cnnkit.fit`: they turn a
batch's integer labels into soft targets (class probabilities), which ``nn.CrossEntropyLoss``
accepts.

>>> smooth_labels(torch.tensor([0, 1]), 2, eps=0.2)
tensor([[0.9000, 0.1000],
        [0.1000, 0.9000]])
"""
from __future__ import annotations

import torch

from ._checks_args import check_number, check_tensor


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
