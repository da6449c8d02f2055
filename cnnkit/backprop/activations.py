"""Activations, softmax and losses, forward and backward: the element-wise functions and the
last layer of a classifier.

>>> relu_backward(torch.ones(3), torch.tensor([-1.0, 0.0, 2.0]))   # the gradient passes where x > 0
tensor([0., 0., 1.])
"""
from __future__ import annotations

import torch

from .._checks_args import check_grad_shape, check_int, check_same_shape, check_tensor


# ---------------------------------------------------------------- activations

def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """sigma(x) = 1 / (1 + e^-x).

    >>> sigmoid(torch.tensor([0.0, 2.0]))
    tensor([0.5000, 0.8808])
    """
    return 1 / (1 + torch.exp(-x))


def sigmoid_backward(dout: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dx for y = sigmoid(x), written with the *output*: sigma' = y (1 - y).

    >>> sigmoid_backward(torch.ones(1), sigmoid(torch.zeros(1)))   # slope at 0 is 1/4
    tensor([0.2500])
    """
    check_grad_shape(dout, "y", y)
    return dout * y * (1 - y)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2 sigma(2x) - 1 = (e^x - e^-x) / (e^x + e^-x).

    >>> tanh(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7616])
    """
    return 2 * sigmoid(2 * x) - 1


def tanh_backward(dout: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dx for y = tanh(x): tanh' = 1 - y^2.

    >>> tanh_backward(torch.ones(1), tanh(torch.zeros(1)))       # slope at 0 is 1
    tensor([1.])
    """
    check_grad_shape(dout, "y", y)
    return dout * (1 - y * y)


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(x, 0).

    >>> relu(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return x.clamp(min=0)


def relu_backward(dout: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dL/dx for relu(x): the gradient passes where x > 0 and is stopped elsewhere.

    >>> relu_backward(torch.tensor([5.0, 5.0]), torch.tensor([-1.0, 2.0]))
    tensor([0., 5.])
    """
    check_grad_shape(dout, "x", x)
    return dout * (x > 0).to(dout.dtype)


# ---------------------------------------------------------------- softmax and losses

def softmax_naive(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """e^z / sum(e^z), exactly as the formula reads. Overflows for large z (e^1000 is inf).

    >>> softmax_naive(torch.tensor([1.0, 2.0, 3.0]))
    tensor([0.0900, 0.2447, 0.6652])
    >>> softmax_naive(torch.tensor([1000.0, 1001.0, 1002.0]))
    tensor([nan, nan, nan])
    """
    e = torch.exp(z)
    return e / e.sum(dim, keepdim=True)


def softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax: subtract the largest entry first (the result does not change,
    because softmax(z) = softmax(z - c) for any constant c, but no exponent exceeds e^0 = 1).

    >>> softmax(torch.tensor([1000.0, 1001.0, 1002.0]))
    tensor([0.0900, 0.2447, 0.6652])
    """
    e = torch.exp(z - z.amax(dim, keepdim=True))
    return e / e.sum(dim, keepdim=True)


def log_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(z)) computed stably: (z - max) - log(sum(e^(z - max))).

    >>> log_softmax(torch.tensor([0.0, 0.0])).exp()
    tensor([0.5000, 0.5000])
    """
    s = z - z.amax(dim, keepdim=True)
    return s - torch.log(torch.exp(s).sum(dim, keepdim=True))


def softmax_backward(dout: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dz for y = softmax(z) along the last axis, given dout = dL/dy.

    The Jacobian is dy_i/dz_j = y_i (delta_ij - y_j), so dL/dz_j = y_j (dout_j - sum_i dout_i y_i).

    >>> softmax_backward(torch.tensor([1.0, 1.0]), torch.tensor([0.3, 0.7]))  # a constant dout changes nothing
    tensor([0., 0.])
    """
    check_grad_shape(dout, "y", y)
    return y * (dout - (dout * y).sum(-1, keepdim=True))


def _check_labels(z: torch.Tensor, y: torch.Tensor) -> None:
    check_tensor("z", z)
    check_tensor("y", y)
    if z.dim() != 2 or y.shape != (z.shape[0],):
        raise ValueError(f"expected logits (N, K) and integer labels (N,); got {tuple(z.shape)} and {tuple(y.shape)}")
    _check_classes(y, z.shape[1])


def _check_classes(y: torch.Tensor, k: int) -> None:
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"labels y must be integers (class indices); got {y.dtype}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= k):
        raise ValueError(f"labels y must be class indices 0..{k - 1}; got values {int(y.min())}..{int(y.max())}")


def one_hot(y: torch.Tensor, k: int, dtype=torch.float32) -> torch.Tensor:
    """Integer labels (N,) as one-hot rows (N, k).

    >>> one_hot(torch.tensor([2, 0]), 3)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    check_tensor("y", y, dims=1)
    _check_classes(y, check_int("k", k, minimum=1))
    out = torch.zeros(y.shape[0], k, dtype=dtype, device=y.device)
    out[torch.arange(y.shape[0], device=y.device), y] = 1
    return out


def cross_entropy(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of softmax(z) against integer labels y: -mean_n log softmax(z_n)[y_n].

    >>> round(cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([1])).item(), 4)   # log 2
    0.6931
    """
    _check_labels(z, y)
    return -log_softmax(z)[torch.arange(z.shape[0], device=z.device), y].mean()


def cross_entropy_backward(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dz of :func:`cross_entropy`: (softmax(z) - onehot(y)) / N, i.e. y_hat - y per example.

    >>> cross_entropy_backward(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    tensor([[ 0.5000, -0.5000]])
    """
    _check_labels(z, y)
    return (softmax(z) - one_hot(y, z.shape[1], z.dtype)) / z.shape[0]


def binary_cross_entropy(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities p against targets y in [0, 1].

    >>> round(binary_cross_entropy(torch.tensor([0.5]), torch.tensor([1.0])).item(), 4)
    0.6931
    """
    check_same_shape("p", p, "y", y)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def binary_cross_entropy_backward(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dp of :func:`binary_cross_entropy`: (p - y) / (p (1 - p)) / n.

    Chained with the sigmoid's y(1 - y) it becomes (p - y) / n: the logistic-regression gradient.

    >>> p = torch.tensor([0.8]); binary_cross_entropy_backward(p, torch.tensor([1.0])) * p * (1 - p)
    tensor([-0.2000])
    """
    check_same_shape("p", p, "y", y)
    return (p - y) / (p * (1 - p)) / p.numel()


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, mean over all entries.

    >>> mse(torch.tensor([3.0, 1.0]), torch.ones(2))
    tensor(2.)
    """
    check_same_shape("pred", pred, "target", target)
    return ((pred - target) ** 2).mean()


def mse_backward(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """dL/dpred of :func:`mse`: 2 (pred - target) / n.

    >>> mse_backward(torch.tensor([3.0, 1.0]), torch.ones(2))
    tensor([2., 0.])
    """
    check_same_shape("pred", pred, "target", target)
    return 2 * (pred - target) / pred.numel()
