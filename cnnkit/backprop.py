"""Backpropagation by hand: forward and backward passes of the layers of a CNN.

Every layer is a pair of plain functions. The forward function computes the
output (and, where the backward pass needs it, something to remember); the
backward function takes ``dout`` = dL/d(output) and returns dL/d(input) (and
the gradients of the layer's parameters). No autograd is used here: only
tensor arithmetic, so that each line is one step of the chain rule.
``tests/test_ch09_backprop.py`` checks every backward pass against
``torch.autograd`` and against finite differences.

>>> x = torch.tensor([[1., 5., 3., 7.], [7., 3., 9., 2.], [3., 5., 8., 4.], [8., 7., 3., 5.]])
>>> p, idx = max_pool2d(x[None, None], 2)
>>> p[0, 0]
tensor([[7., 9.],
        [8., 8.]])
>>> dout = mse_backward(p, torch.ones_like(p))        # MSE against all ones
>>> max_pool2d_backward(dout, idx, x[None, None].shape, 2)[0, 0]
tensor([[0.0000, 0.0000, 0.0000, 0.0000],
        [3.0000, 0.0000, 4.0000, 0.0000],
        [0.0000, 0.0000, 3.5000, 0.0000],
        [3.5000, 0.0000, 0.0000, 0.0000]])

Shapes follow PyTorch: images are (N, C, H, W), conv weights (C_out, C_in, kh, kw),
linear weights (out, in), logits (N, K) with integer labels (N,).
"""
from __future__ import annotations

from typing import Callable

import torch


def _pair(v) -> tuple[int, int]:
    if isinstance(v, int):
        return v, v
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"expected an int or a pair of ints; got {v}")
    return v


def _check_4d(x: torch.Tensor, name: str = "x") -> None:
    if x.dim() != 4:
        raise ValueError(f"{name} must be a 4-D tensor (N, C, H, W); got shape {tuple(x.shape)}")


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
    return y * (dout - (dout * y).sum(-1, keepdim=True))


def _check_labels(z: torch.Tensor, y: torch.Tensor) -> None:
    if z.dim() != 2 or y.shape != (z.shape[0],):
        raise ValueError(f"expected logits (N, K) and integer labels (N,); got {tuple(z.shape)} and {tuple(y.shape)}")


def one_hot(y: torch.Tensor, k: int, dtype=torch.float32) -> torch.Tensor:
    """Integer labels (N,) as one-hot rows (N, k).

    >>> one_hot(torch.tensor([2, 0]), 3)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
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
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def binary_cross_entropy_backward(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dp of :func:`binary_cross_entropy`: (p - y) / (p (1 - p)) / n.

    Chained with the sigmoid's y(1 - y) it becomes (p - y) / n: the logistic-regression gradient.

    >>> p = torch.tensor([0.8]); binary_cross_entropy_backward(p, torch.tensor([1.0])) * p * (1 - p)
    tensor([-0.2000])
    """
    return (p - y) / (p * (1 - p)) / p.numel()


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, mean over all entries.

    >>> mse(torch.tensor([3.0, 1.0]), torch.ones(2))
    tensor(2.)
    """
    return ((pred - target) ** 2).mean()


def mse_backward(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """dL/dpred of :func:`mse`: 2 (pred - target) / n.

    >>> mse_backward(torch.tensor([3.0, 1.0]), torch.ones(2))
    tensor([2., 0.])
    """
    return 2 * (pred - target) / pred.numel()


# ---------------------------------------------------------------- pooling

def _windows(x: torch.Tensor, kernel, stride) -> torch.Tensor:
    """All (kh, kw) windows of x at the given stride, as a view (N, C, oh, ow, kh, kw); no copy."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    if x.shape[2] < kh or x.shape[3] < kw:
        raise ValueError(f"a {kh}x{kw} window (kernel) does not fit a {x.shape[2]}x{x.shape[3]} (padded) input")
    return x.unfold(2, kh, sh).unfold(3, kw, sw)


def max_pool2d(x: torch.Tensor, kernel, stride=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Max pooling of (N, C, H, W); ``stride`` defaults to ``kernel``. No padding.

    Returns the pooled maps and, for the backward pass, the index (0 .. kh*kw-1) of the
    maximum inside each window (the first one if there are ties).

    >>> out, idx = max_pool2d(torch.arange(16.).view(1, 1, 4, 4), 2)
    >>> out[0, 0], idx[0, 0]
    (tensor([[ 5.,  7.],
            [13., 15.]]), tensor([[3, 3],
            [3, 3]]))
    """
    _check_4d(x)
    stride = kernel if stride is None else stride
    win = _windows(x, kernel, stride)
    flat = win.reshape(*win.shape[:4], -1)
    out, idx = flat.max(-1)
    return out, idx


def max_pool2d_backward(dout: torch.Tensor, idx: torch.Tensor, x_shape, kernel, stride=None) -> torch.Tensor:
    """dL/dx of max pooling: each window's gradient goes to its arg-max input, all others get 0.

    Where windows overlap (stride < kernel) an input can be the maximum of several windows
    and collects the sum of their gradients.

    >>> x = torch.tensor([[[[1., 2.], [4., 3.]]]])
    >>> out, idx = max_pool2d(x, 2)
    >>> max_pool2d_backward(torch.ones_like(out), idx, x.shape, 2)
    tensor([[[[0., 0.],
              [1., 0.]]]])
    """
    stride = kernel if stride is None else stride
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    dx = torch.zeros(x_shape, dtype=dout.dtype, device=dout.device)
    oh, ow = dout.shape[2:]
    for i in range(kh):            # one kernel offset at a time: the inputs at offset (i, j)
        for j in range(kw):        # of every window, and the windows whose maximum sits there
            hit = (idx == i * kw + j).to(dout.dtype)
            dx[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += dout * hit
    return dx


def avg_pool2d(x: torch.Tensor, kernel, stride=None) -> torch.Tensor:
    """Average pooling of (N, C, H, W); ``stride`` defaults to ``kernel``. No padding.

    >>> avg_pool2d(torch.arange(16.).view(1, 1, 4, 4), 2)[0, 0]
    tensor([[ 2.5000,  4.5000],
            [10.5000, 12.5000]])
    """
    _check_4d(x)
    stride = kernel if stride is None else stride
    return _windows(x, kernel, stride).mean((-2, -1))


def avg_pool2d_backward(dout: torch.Tensor, x_shape, kernel, stride=None) -> torch.Tensor:
    """dL/dx of average pooling: every input of a window gets dout / (kh * kw) from it.

    >>> avg_pool2d_backward(torch.tensor([[[[4.0]]]]), (1, 1, 2, 2), 2)
    tensor([[[[1., 1.],
              [1., 1.]]]])
    """
    stride = kernel if stride is None else stride
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    dx = torch.zeros(x_shape, dtype=dout.dtype, device=dout.device)
    oh, ow = dout.shape[2:]
    share = dout / (kh * kw)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += share
    return dx


# ---------------------------------------------------------------- convolution

def _pad(x: torch.Tensor, ph: int, pw: int) -> torch.Tensor:
    if ph == 0 and pw == 0:
        return x
    out = x.new_zeros(x.shape[0], x.shape[1], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)
    out[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x
    return out


def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride=1, padding=0) -> torch.Tensor:
    """Cross-correlation as in ``nn.Conv2d``: x (N, C_in, H, W), w (C_out, C_in, kh, kw), b (C_out,).

    Every output position m sees one window of the (zero-padded) input; with the windows as a
    view (N, C_in, oh, ow, kh, kw), the layer is one sum of window times kernel per output channel:
    m[n, o, y, x] = sum over c, i, j of window[n, c, y, x, i, j] * w[o, c, i, j] + b[o].

    >>> x = torch.tensor([[1., 1., 2.], [1., 2., 1.], [2., 1., 1.]])[None, None]
    >>> conv2d(x, torch.ones(1, 1, 2, 2))[0, 0]
    tensor([[5., 6.],
            [6., 5.]])
    """
    _check_4d(x)
    _check_4d(w, "w")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"input has {x.shape[1]} channels but the kernel expects {w.shape[1]}")
    ph, pw = _pair(padding)
    win = _windows(_pad(x, ph, pw), w.shape[2:], stride)         # (N, C_in, oh, ow, kh, kw)
    out = torch.einsum("nchwij,ocij->nohw", win, w)
    if b is not None:
        out = out + b.view(1, -1, 1, 1)
    return out


def conv2d_backward_weight(dout: torch.Tensor, x: torch.Tensor, kernel_size, stride=1, padding=0) -> torch.Tensor:
    """dL/dw of :func:`conv2d`: dL/dw = sum_i v_i dL/dm_i over all output positions i.

    The weight w[o, c, i, j] met pixel (i, j) of every window, so its gradient is that pixel of
    every window times the gradient of the window's output, summed over windows and images.

    >>> x = torch.tensor([[1., 1., 2.], [1., 2., 1.], [2., 1., 1.]])[None, None]
    >>> conv2d_backward_weight(torch.ones(1, 1, 2, 2), x, 2)[0, 0]      # each weight sees 4 pixels
    tensor([[5., 6.],
            [6., 5.]])
    """
    ph, pw = _pair(padding)
    win = _windows(_pad(x, ph, pw), _pair(kernel_size), stride)      # the same windows as the forward pass
    return torch.einsum("nohw,nchwij->ocij", dout, win)


def dilate(dout: torch.Tensor, stride) -> torch.Tensor:
    """Insert (stride - 1) zeros between neighbouring entries of the last two axes.

    A strided convolution is a stride-1 convolution whose output was thinned out; putting the
    zeros back lets the backward pass be an ordinary stride-1 (full) convolution.

    >>> dilate(torch.ones(1, 1, 2, 2), 2)[0, 0]
    tensor([[1., 0., 1.],
            [0., 0., 0.],
            [1., 0., 1.]])
    """
    sh, sw = _pair(stride)
    if sh == 1 and sw == 1:
        return dout
    n, c, h, w = dout.shape
    out = dout.new_zeros(n, c, sh * (h - 1) + 1, sw * (w - 1) + 1)
    out[:, :, ::sh, ::sw] = dout
    return out


def conv2d_backward_input(dout: torch.Tensor, w: torch.Tensor, x_shape, stride=1, padding=0) -> torch.Tensor:
    """dL/dx of :func:`conv2d` as a *full* convolution of dout with the *flipped* kernel.

    Steps: dilate dout by the stride, pad it by (k - 1) on every side ("full"), correlate it with
    the kernel rotated by 180 degrees and with input/output channels swapped, add zero rows for
    input pixels that no window reached, and cut the padding off again.

    >>> dx = conv2d_backward_input(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), (1, 1, 3, 3))
    >>> dx[0, 0]                                  # how many windows each pixel belongs to
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    kh, kw = w.shape[2:]
    n, c, h, wd = x_shape
    full = _pad(dilate(dout, (sh, sw)), kh - 1, kw - 1)
    w_flip = w.flip(2, 3).transpose(0, 1)                       # (C_in, C_out, kh, kw), rotated 180 degrees
    dxp = conv2d(full, w_flip)                                  # covers the padded input's top-left part
    hp, wp = h + 2 * ph, wd + 2 * pw
    if dxp.shape[2] < hp or dxp.shape[3] < wp:                  # rows/cols no window reached (stride leftovers)
        dxp = torch.nn.functional.pad(dxp, (0, wp - dxp.shape[3], 0, hp - dxp.shape[2]))
    return dxp[:, :, ph:ph + h, pw:pw + wd]


def conv2d_backward(dout: torch.Tensor, x: torch.Tensor, w: torch.Tensor, stride=1, padding=0):
    """All three gradients of :func:`conv2d`: (dL/dx, dL/dw, dL/db).

    >>> x, w = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3)
    >>> out = conv2d(x, w, torch.zeros(4), stride=2, padding=1)
    >>> [tuple(g.shape) for g in conv2d_backward(torch.ones_like(out), x, w, stride=2, padding=1)]
    [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]
    """
    dx = conv2d_backward_input(dout, w, x.shape, stride, padding)
    dw = conv2d_backward_weight(dout, x, w.shape[2:], stride, padding)
    db = dout.sum((0, 2, 3))
    return dx, dw, db


# ---------------------------------------------------------------- fully connected, batch norm, dropout

def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """x @ w.T + b, as ``nn.Linear``: x (N, in), w (out, in).

    >>> linear(torch.ones(1, 2), torch.tensor([[1., 2.]]), torch.tensor([0.5]))
    tensor([[3.5000]])
    """
    out = x @ w.T
    return out if b is None else out + b


def linear_backward(dout: torch.Tensor, x: torch.Tensor, w: torch.Tensor):
    """(dL/dx, dL/dw, dL/db) of :func:`linear`: dout @ w, dout.T @ x, dout summed over the batch.

    >>> [tuple(g.shape) for g in linear_backward(torch.ones(4, 3), torch.ones(4, 2), torch.ones(3, 2))]
    [(4, 2), (3, 2), (3,)]
    """
    return dout @ w, dout.T @ x, dout.sum(0)


def _bn_axes(x: torch.Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
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
    x_hat, inv_std = cache
    axes, shape = _bn_axes(x_hat)
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
    if not 0 <= p < 1:
        raise ValueError(f"dropout rate p must be in [0, 1); got {p}")
    return (torch.rand(shape, generator=generator) >= p).to(dtype)


def dropout(x: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout with a given keep-mask: x * mask / (1 - p), so the expected value is x.

    >>> dropout(torch.ones(4), torch.tensor([1., 0., 1., 0.]), 0.5)
    tensor([2., 0., 2., 0.])
    """
    return x * mask / (1 - p)


def dropout_backward(dout: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """dL/dx of :func:`dropout`: the same mask and scale; dropped units get no gradient.

    >>> dropout_backward(torch.ones(4), torch.tensor([1., 0., 1., 0.]), 0.5)
    tensor([2., 0., 2., 0.])
    """
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
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    scale = (a.abs() + b.abs()).max().item()
    return 0.0 if scale == 0 else ((a - b).abs().max().item() / scale)
