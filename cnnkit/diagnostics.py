"""Diagnostics recorded while a network trains: what the numbers inside it do.

``GradNorms`` records each layer's gradient norm (chapter 07: vanishing gradients);
:func:`cnnkit.plot.plot_grad_norms` draws what it recorded.

>>> rec = GradNorms()                                              # doctest: +SKIP
>>> cnnkit.fit(model, train, test, epochs=1, after_backward=rec)   # doctest: +SKIP
"""
from __future__ import annotations

import torch

from ._checks_args import check_int


class GradNorms:
    """Record the gradient norm of every Conv2d and Linear weight after each backward pass.

    Pass an instance to :func:`cnnkit.fit` as ``after_backward``; it is called with the
    model after ``loss.backward()``. ``names`` are the layers in forward order, ``steps``
    the number of recorded batches and :meth:`mean` the average norm per layer (over all
    steps, or the first ``first`` of them). The norms stay on the training device until
    they are read, so recording does not slow a GPU down.

    >>> rec = GradNorms()
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    >>> m(torch.ones(5, 3)).sum().backward(); rec(m)
    >>> rec.names, rec.steps
    (['0', '1'], 1)
    """

    def __init__(self, kinds=(torch.nn.Conv2d, torch.nn.Linear)):
        kinds = (kinds,) if isinstance(kinds, type) else tuple(kinds)
        if not kinds or not all(isinstance(k, type) and issubclass(k, torch.nn.Module) for k in kinds):
            raise TypeError(f"kinds must be layer classes such as (nn.Conv2d, nn.Linear); got {kinds!r}")
        self.kinds = kinds
        self.names: list[str] = []
        self._norms: list[torch.Tensor] = []

    def __call__(self, model: torch.nn.Module) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"GradNorms is called with the model; got {type(model).__name__}")
        layers = [(n, m) for n, m in model.named_modules()
                  if isinstance(m, self.kinds) and m.weight.grad is not None]
        if not layers:
            raise ValueError("GradNorms found no Conv2d/Linear layer with a gradient; call it after backward()")
        names = [n for n, _ in layers]
        if not self.names:
            self.names = names
        elif names != self.names:
            raise ValueError("GradNorms recorded a different model before; use one recorder per model")
        self._norms.append(torch.stack([m.weight.grad.detach().float().norm() for _, m in layers]))

    @property
    def steps(self) -> int:
        return len(self._norms)

    def history(self) -> torch.Tensor:
        """All recorded norms as a CPU tensor (steps, layers)."""
        if not self._norms:
            raise ValueError("GradNorms has recorded nothing yet")
        return torch.stack(self._norms).cpu()

    def mean(self, first: int | None = None) -> torch.Tensor:
        """Mean gradient norm per layer over the first ``first`` steps (default: all)."""
        check_int("first", first, minimum=1, allow_none=True)
        h = self.history()
        return h[:first].mean(0) if first else h.mean(0)
