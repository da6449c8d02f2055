"""Diagnostics recorded while a network trains: what the numbers inside it do.

``GradNorms`` records each layer's gradient norm (chapter 07: vanishing gradients);
:func:`cnnkit.plot.plot_grad_norms` draws what it recorded. :func:`dead_fraction` counts,
layer by layer, the ReLU units that are zero for every image of a batch (chapter 07: dying ReLUs).

>>> rec = GradNorms()                                              # doctest: +SKIP
>>> cnnkit.fit(model, train, test, epochs=1, after_backward=rec)   # doctest: +SKIP
"""
from __future__ import annotations

import torch

from ._checks_args import check_choice, check_int, check_module, check_tensor


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


@torch.no_grad()
def dead_fraction(model: torch.nn.Module, x: torch.Tensor, *, kinds=(torch.nn.ReLU,),
                  unit: str = "channel") -> dict[str, float]:
    """The fraction of dead units in each activation layer of ``model`` on the batch ``x``.

    A unit is *dead* on ``x`` when its output is exactly 0 for every image of the batch: a
    ReLU whose input is negative everywhere passes no signal forward and no gradient back.
    With ``unit="channel"`` (default) a unit of a convolutional layer is one channel (one
    filter: dead when its whole feature map is 0 for every image); with ``unit="position"``
    it is one channel at one position. A unit of a dense layer is one feature. Forward hooks
    on every module of ``kinds`` (default ``nn.ReLU``) record the outputs of one forward
    pass in eval mode (the mode is restored). Returns ``{layer name: fraction}`` in forward
    order; a module called twice appears as ``name``, ``name#2``. Use a few hundred images.

    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU())
    >>> _ = torch.nn.init.constant_(net[0].bias, -10.0)    # every unit far below zero
    >>> dead_fraction(net, torch.rand(8, 2))
    {'1': 1.0}
    """
    check_module("model", model)
    check_tensor("x", x, floating=True)
    if x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty batch (N, ...) of images or features; got shape {tuple(x.shape)}")
    check_choice("unit", unit, ("channel", "position"))
    kinds = (kinds,) if isinstance(kinds, type) else tuple(kinds)
    if not kinds or not all(isinstance(k, type) and issubclass(k, torch.nn.Module) for k in kinds):
        raise TypeError(f"kinds must be activation classes such as (nn.ReLU,); got {kinds!r}")
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, kinds)]
    if not layers:
        raise ValueError(f"the model has no {' or '.join(k.__name__ for k in kinds)} layer to watch")
    result: dict[str, float] = {}

    def hook(name):
        def record(module, inputs, output):
            if not isinstance(output, torch.Tensor) or output.dim() < 2:
                raise TypeError(f"layer {name!r} returns {type(output).__name__}; expected a batch tensor")
            alive = output != 0
            if unit == "channel" and output.dim() > 2:
                alive = alive.flatten(2).any(2)          # (N, C): the channel fired somewhere
            dead = ~alive.any(0)                          # dead for every image of the batch
            key, k = name, 1
            while key in result:
                k += 1
                key = f"{name}#{k}"
            result[key] = float(dead.float().mean())
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in layers]
    was_training = model.training
    p = next(model.parameters(), None)
    try:
        model.eval()
        model(x.to(p.device) if p is not None else x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return result
