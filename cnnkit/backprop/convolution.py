"""Pooling and convolution, forward and backward, on (N, C, H, W) tensors.

>>> x = torch.arange(16.).view(1, 1, 4, 4)
>>> avg_pool2d_backward(torch.ones(1, 1, 2, 2), x.shape, 2)[0, 0]   # every pixel gets 1/4 of its window's gradient
tensor([[0.2500, 0.2500, 0.2500, 0.2500],
        [0.2500, 0.2500, 0.2500, 0.2500],
        [0.2500, 0.2500, 0.2500, 0.2500],
        [0.2500, 0.2500, 0.2500, 0.2500]])
"""
from __future__ import annotations

import torch

from .._checks_args import check_same_shape, check_tensor


def _pair(v, name: str = "kernel/stride/padding") -> tuple[int, int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return v, v
    try:
        if isinstance(v, str):
            raise TypeError
        v = tuple(int(a) for a in v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an int or a pair of ints; got {v!r}") from None
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints; got {v}")
    return v


def _check_x_shape(x_shape) -> tuple[int, int, int, int]:
    shape = tuple(x_shape) if isinstance(x_shape, (tuple, list, torch.Size)) else ()
    if len(shape) != 4 or not all(isinstance(s, int) and s >= 1 for s in shape):
        raise ValueError(f"x_shape must be the forward input's shape (N, C, H, W); got {x_shape!r}")
    return shape


def _check_4d(x: torch.Tensor, name: str = "x") -> None:
    check_tensor(name, x)
    if x.dim() != 4:
        raise ValueError(f"{name} must be a 4-D tensor (N, C, H, W); got shape {tuple(x.shape)}")


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
    _check_4d(dout, "dout")
    check_same_shape("idx", idx, "dout", dout)
    x_shape = _check_x_shape(x_shape)
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
    _check_4d(dout, "dout")
    x_shape = _check_x_shape(x_shape)
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
    if b is not None and tuple(check_tensor("b", b).shape) != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), one bias per output channel; got {tuple(b.shape)}")
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
    _check_4d(dout, "dout")
    _check_4d(x)
    if dout.shape[0] != x.shape[0]:
        raise ValueError(f"dout and x must hold the same number of examples; got {dout.shape[0]} and {x.shape[0]}")
    ph, pw = _pair(padding)
    win = _windows(_pad(x, ph, pw), _pair(kernel_size), stride)      # the same windows as the forward pass
    if win.shape[2:4] != dout.shape[2:]:
        raise ValueError(f"dout must be the forward output's shape (N, C_out, {win.shape[2]}, {win.shape[3]}); "
                         f"got {tuple(dout.shape)}")
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
    _check_4d(dout, "dout")
    sh, sw = _pair(stride, "stride")
    if min(sh, sw) < 1:
        raise ValueError(f"stride must be >= 1; got {stride}")
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
    _check_4d(dout, "dout")
    _check_4d(w, "w")
    if dout.shape[1] != w.shape[0]:
        raise ValueError(f"dout has {dout.shape[1]} channels but w has {w.shape[0]} output channels")
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    kh, kw = w.shape[2:]
    n, c, h, wd = _check_x_shape(x_shape)
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
