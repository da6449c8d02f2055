"""The other layers of a CNN, forward and backward: fully connected, batch normalisation and
dropout; and the finite-difference gradient check that tests every backward pass.

>>> x, w = torch.ones(2, 3), torch.ones(4, 3)
>>> dx, dw, db = linear_backward(torch.ones(2, 4), x, w)
>>> dx.shape, dw.shape, db.tolist()
(torch.Size([2, 3]), torch.Size([4, 3]), [2.0, 2.0, 2.0, 2.0])
"""
from __future__ import annotations

from typing import Callable

import torch

from .._checks_args import check_number, check_same_shape, check_tensor


# ---------------------------------------------------------------- fully connected, batch norm, dropout

def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """x @ w.T + b, as ``nn.Linear``: x (N, in), w (out, in).

    >>> linear(torch.ones(1, 2), torch.tensor([[1., 2.]]), torch.tensor([0.5]))
    tensor([[3.5000]])
    """
    check_tensor("x", x, dims=2)
    check_tensor("w", w, dims=2)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features but w (out, in) expects {w.shape[1]}")
    if b is not None and tuple(check_tensor("b", b).shape) != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},); got {tuple(b.shape)}")
    out = x @ w.T
    return out if b is None else out + b


def linear_backward(dout: torch.Tensor, x: torch.Tensor, w: torch.Tensor):
    """(dL/dx, dL/dw, dL/db) of :func:`linear`: dout @ w, dout.T @ x, dout summed over the batch.

    >>> [tuple(g.shape) for g in linear_backward(torch.ones(4, 3), torch.ones(4, 2), torch.ones(3, 2))]
    [(4, 2), (3, 2), (3,)]
    """
    check_tensor("x", x, dims=2)
    check_tensor("w", w, dims=2)
    if tuple(check_tensor("dout", dout).shape) != (x.shape[0], w.shape[0]):
        raise ValueError(f"dout must be the forward output's shape ({x.shape[0]}, {w.shape[0]}); got {tuple(dout.shape)}")
    return dout @ w, dout.T @ x, dout.sum(0)


def _bn_axes(x: torch.Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    check_tensor("x", x)
    if x.dim() == 2:
        return (0,), (1, -1)
    if x.dim() == 4:
        return (0, 2, 3), (1, -1, 1, 1)
    raise ValueError(f"batch_norm takes (N, D) or (N, C, H, W); got shape {tuple(x.shape)}")


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5):
    """Batch normalisation in training mode, per feature (N, D) or per channel (N, C, H, W).

    mu and sigma^2 (biased) come from the batch; x_hat = (x - mu) / sqrt(sigma^2 + eps);
    y = gamma x_hat + beta. Returns y and the cache (x_hat, 1/sqrt(sigma^2 + eps)) for the backward pass.

    >>> y, _ = batch_norm(torch.tensor([[1.0], [3.0]]), torch.ones(1), torch.zeros(1), eps=0.0)
    >>> y
    tensor([[-1.],
            [ 1.]])
    """
    axes, shape = _bn_axes(x)
    for name, t in (("gamma", gamma), ("beta", beta)):
        if tuple(check_tensor(name, t).shape) != (x.shape[1],):
            raise ValueError(f"{name} must have shape ({x.shape[1]},), one value per feature/channel; got {tuple(t.shape)}")
    mu = x.mean(axes, keepdim=True)
    var = ((x - mu) ** 2).mean(axes, keepdim=True)
    inv_std = 1 / torch.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma.view(shape) * x_hat + beta.view(shape), (x_hat, inv_std)


def batch_norm_backward(dout: torch.Tensor, cache, gamma: torch.Tensor):
    """(dL/dx, dL/dgamma, dL/dbeta) of :func:`batch_norm` in training mode.

    With m values per feature and g = dL/dx_hat = dout * gamma:
    dL/dx = (1/sigma) * (g - mean(g) - x_hat * mean(g * x_hat)). The two means are there because
    every x_i also moves the batch mean and variance that all the other outputs used.

    >>> x = torch.tensor([[1.0], [3.0]]); y, cache = batch_norm(x, torch.ones(1), torch.zeros(1))
    >>> dx, dgamma, dbeta = batch_norm_backward(torch.ones_like(y), cache, torch.ones(1))
    >>> dx.abs().max().item() < 1e-6, dbeta           # shifting every output equally: no dx at all
    (True, tensor([2.]))
    """
    if not isinstance(cache, (tuple, list)) or len(cache) != 2:
        raise TypeError("cache must be the (x_hat, inv_std) pair that batch_norm returned")
    x_hat, inv_std = cache
    axes, shape = _bn_axes(x_hat)
    check_same_shape("dout", dout, "x_hat", x_hat)
    dbeta = dout.sum(axes)
    dgamma = (dout * x_hat).sum(axes)
    g = dout * gamma.view(shape)
    dx = inv_std * (g - g.mean(axes, keepdim=True) - x_hat * (g * x_hat).mean(axes, keepdim=True))
    return dx, dgamma, dbeta


def dropout_mask(shape, p: float, generator: torch.Generator | None = None, dtype=torch.float32) -> torch.Tensor:
    """A random keep-mask for dropout: 1 with probability 1 - p, else 0.

    >>> dropout_mask((1000,), 0.5, torch.Generator().manual_seed(0)).mean().round(decimals=1)
    tensor(0.5000)
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"dropout rate p must be in [0, 1); got {p!r}")
    return (torch.rand(shape, generator=generator) >= p).to(dtype)


def dropout(x: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout with a given keep-mask: x * mask / (1 - p), so the expected value is x.

    >>> dropout(torch.ones(4), torch.tensor([1., 0., 1., 0.]), 0.5)
    tensor([2., 0., 2., 0.])
    """
    check_same_shape("mask", mask, "x", x)
    check_number("p", p, low=0, high=0.999999)
    return x * mask / (1 - p)


def dropout_backward(dout: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """dL/dx of :func:`dropout`: the same mask and scale; dropped units get no gradient.

    >>> dropout_backward(torch.ones(4), torch.tensor([1., 0., 1., 0.]), 0.5)
    tensor([2., 0., 2., 0.])
    """
    check_same_shape("mask", mask, "dout", dout)
    check_number("p", p, low=0, high=0.999999)
    return dout * mask / (1 - p)


# ---------------------------------------------------------------- checking gradients

def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central finite differences: dL/dx_k ~ (f(x + eps e_k) - f(x - eps e_k)) / (2 eps).

    ``f`` maps a tensor shaped like ``x`` to a scalar. Two evaluations per entry of ``x``, so use
    it on small tensors, in float64, to check a backward pass.

    >>> g = numerical_gradient(lambda t: (t ** 2).sum(), torch.tensor([1.0, -2.0], dtype=torch.float64))
    >>> g.round(decimals=6)                       # d/dx of x^2 is 2x
    tensor([ 2., -4.], dtype=torch.float64)
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x that returns a scalar; got {type(f).__name__}")
    check_tensor("x", x, floating=True)
    x = x.detach().clone().contiguous()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for k in range(flat.numel()):
        old = flat[k].item()
        flat[k] = old + eps
        up = float(f(x))
        flat[k] = old - eps
        down = float(f(x))
        flat[k] = old
        gflat[k] = (up - down) / (2 * eps)
    return grad


def rel_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max(|a| + |b|): about 1e-10 or less for a correct float64 backward pass.

    >>> rel_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    0.0
    """
    check_same_shape("a", a, "b", b)
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    scale = (a.abs() + b.abs()).max().item()
    return 0.0 if scale == 0 else ((a - b).abs().max().item() / scale)
