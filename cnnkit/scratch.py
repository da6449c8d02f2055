"""From-scratch operations that the chapters teach, each checked against PyTorch in ``tests/``.

These are written for reading, not speed: loops where the loop is the lesson.

>>> corr2d(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2))
tensor([[19., 25.],
        [37., 43.]])
"""
from __future__ import annotations

import torch

from ._checks_args import check_choice, check_input_size, check_int, check_module, check_pair, check_tensor


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1.

    With dilation 1 this is the lecture's ``floor((n - k + 2p) / s) + 1``.

    >>> conv_output_size(32, 5), conv_output_size(28, 3, padding=1), conv_output_size(8, 3, padding=1, stride=2)
    (28, 28, 4)
    """
    for arg, value in (("size", size), ("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        check_int(arg, value, minimum=1)
    check_int("padding", padding, minimum=0)
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"a {kernel}-wide kernel does not fit an input of {size} with padding {padding}")
    return out


def corr2d(x: torch.Tensor, k: torch.Tensor, stride=1, padding: int = 0) -> torch.Tensor:
    """2-D cross-correlation of one channel ``x`` (H, W) with kernel ``k`` (kh, kw), by explicit loops.

    Deep-learning "convolution" is this operation: the kernel is *not* flipped.
    ``stride`` is one number or a (vertical, horizontal) pair.

    >>> corr2d(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2), stride=(3, 2), padding=1)
    tensor([[0., 8.],
            [6., 8.]])
    """
    check_tensor("x", x)
    check_tensor("k", k)
    if x.dim() != 2 or k.dim() != 2:
        raise ValueError(f"corr2d takes a 2-D input and a 2-D kernel; got shapes {tuple(x.shape)} and {tuple(k.shape)}")
    sh, sw = check_pair("stride", stride)
    if check_int("padding", padding, minimum=0):
        x = torch.nn.functional.pad(x, (padding,) * 4)
    kh, kw = k.shape
    oh = conv_output_size(x.shape[0], kh, stride=sh)
    ow = conv_output_size(x.shape[1], kw, stride=sw)
    y = torch.zeros(oh, ow, dtype=torch.result_type(x, k))
    for i in range(oh):
        for j in range(ow):
            window = x[i * sh:i * sh + kh, j * sw:j * sw + kw]
            y[i, j] = (window * k).sum()
    return y


def corr2d_multi_in(x: torch.Tensor, k: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Several input channels: cross-correlate each channel with its kernel slice and add up.

    ``x`` is (C, H, W), ``k`` is (C, kh, kw); the result is one (oh, ow) map.
    """
    check_tensor("x", x, dims=3)
    check_tensor("k", k, dims=3)
    if x.shape[0] != k.shape[0]:
        raise ValueError(f"input has {x.shape[0]} channels but the kernel has {k.shape[0]}")
    return sum(corr2d(xc, kc, stride, padding) for xc, kc in zip(x, k))


def corr2d_multi_in_out(x: torch.Tensor, k: torch.Tensor, bias: torch.Tensor | None = None,
                        stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Several output channels: one multi-input correlation per output kernel, stacked.

    ``x`` is (C_in, H, W), ``k`` is (C_out, C_in, kh, kw), ``bias`` is (C_out,); result (C_out, oh, ow).
    This is what ``nn.Conv2d`` computes for one image.
    """
    check_tensor("k", k, dims=4)
    if bias is not None and tuple(check_tensor("bias", bias).shape) != (k.shape[0],):
        raise ValueError(f"bias must have shape ({k.shape[0]},), one value per output kernel; got {tuple(bias.shape)}")
    out = torch.stack([corr2d_multi_in(x, kk, stride, padding) for kk in k])
    if bias is not None:
        out = out + bias.view(-1, 1, 1)
    return out


def conv_flops(c_in: int, c_out: int, kh: int, kw: int, oh: int, ow: int) -> int:
    """Multiply-adds of one convolution layer: c_in * c_out * kh * kw * oh * ow.

    >>> conv_flops(100, 100, 5, 5, 64, 64)      # the lecture's "about 1 GFLOP"
    1024000000
    """
    for arg, value in (("c_in", c_in), ("c_out", c_out), ("kh", kh), ("kw", kw), ("oh", oh), ("ow", ow)):
        check_int(arg, value, minimum=1)
    return c_in * c_out * kh * kw * oh * ow


# --- chapter 03 ---

def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pool2d(x: torch.Tensor, size=2, stride=None, mode: str = "max", padding: int = 0) -> torch.Tensor:
    """2-D max or average pooling of ``x`` (H, W) or (C, H, W), by explicit loops over the windows.

    ``size`` and ``stride`` are one number or a (vertical, horizontal) pair; ``stride``
    defaults to ``size`` (non-overlapping windows, as in ``nn.MaxPool2d(2)``). Each
    channel is pooled on its own, so the number of channels is kept. ``padding`` adds
    -inf (max) or 0 (average, divided by the full window like PyTorch's default) around
    the border. Pooling has no parameters.

    >>> pool2d(torch.arange(16.).view(4, 4), 2, mode="max")
    tensor([[ 5.,  7.],
            [13., 15.]])
    >>> pool2d(torch.arange(16.).view(4, 4), 2, mode="avg")
    tensor([[ 2.5000,  4.5000],
            [10.5000, 12.5000]])
    """
    check_choice("mode", mode, ("max", "avg"))
    check_tensor("x", x)
    check_pair("size", size)
    check_pair("stride", stride if stride is not None else size)
    check_int("padding", padding, minimum=0)
    if x.dim() == 3:
        return torch.stack([pool2d(xc, size, stride, mode, padding) for xc in x])
    if x.dim() != 2:
        raise ValueError(f"pool2d takes (H, W) or (C, H, W) input; got shape {tuple(x.shape)}")
    kh, kw = _pair(size)
    sh, sw = _pair(stride if stride is not None else size)
    if padding:
        x = torch.nn.functional.pad(x.float(), (padding,) * 4, value=float("-inf") if mode == "max" else 0.0)
    oh = conv_output_size(x.shape[0], kh, stride=sh)
    ow = conv_output_size(x.shape[1], kw, stride=sw)
    y = torch.zeros(oh, ow, dtype=x.dtype if x.is_floating_point() else torch.float32)
    for i in range(oh):
        for j in range(ow):
            window = x[i * sh:i * sh + kh, j * sw:j * sw + kw]
            y[i, j] = window.max() if mode == "max" else window.float().mean()
    return y


# --- chapter 04 ---

_SHAPE_KEEPING = ("ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "Identity",
                  "BatchNorm2d", "BatchNorm1d", "Dropout", "Dropout2d", "LocalResponseNorm")


def _conv_padding(m, k: tuple[int, int], d: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(total padding, pad before) per axis of a Conv2d, including padding='same' and 'valid'."""
    if m.padding == "valid":
        return (0, 0), (0, 0)
    if m.padding == "same":
        total = tuple(d[i] * (k[i] - 1) for i in range(2))
        return total, tuple(t // 2 for t in total)
    p = _pair(m.padding)
    return (2 * p[0], 2 * p[1]), p


def formula_shapes(model: torch.nn.Module, input_size) -> list[dict]:
    """Each layer's output shape computed *by the formula* (:func:`conv_output_size`), without running the model.

    Walks the leaf layers of ``model`` in order (a ``nn.Sequential``, possibly nested) for
    one example of shape ``input_size`` = (C, H, W). Knows Conv2d (including
    ``padding='same'``), MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, layers with a
    ``scale_factor`` (interpolation), Flatten, Linear and shape-keeping layers
    (activations, batch norm, dropout). Returns one dict per layer with its name,
    kernel ``k``, stride ``s``, padding ``p`` (per side) and ``output`` shape; compare it
    with the shapes of the real layers (:func:`cnnkit.summary`).

    >>> rows = formula_shapes(torch.nn.Sequential(torch.nn.Conv2d(1, 8, 5), torch.nn.MaxPool2d(2)), (1, 32, 32))
    >>> [(r["layer"], r["output"]) for r in rows]
    [('0 Conv2d', (8, 28, 28)), ('1 MaxPool2d', (8, 14, 14))]
    """
    import math
    from torch import nn

    check_module("model", model)
    shape = check_input_size(input_size, (3,), "(1, 28, 28)")
    rows = []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    for name, m in leaves:
        kind = type(m).__name__
        k = s = p = None
        if isinstance(m, nn.Conv2d):
            if shape[0] != m.in_channels:
                raise ValueError(f"layer {name} ({m}) expects {m.in_channels} channels; the input to it has {shape[0]}")
            k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
            total, before = _conv_padding(m, k, d)
            hw = [(shape[1 + i] + total[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
            if min(hw) < 1:
                raise ValueError(f"layer {name} ({m}) does not fit an input of {shape[1:]}")
            shape, p = (m.out_channels, *hw), before
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            if m.ceil_mode:
                raise ValueError(f"layer {name}: ceil_mode=True is not covered by the floor formula")
            k, s, p = _pair(m.kernel_size), _pair(m.stride or m.kernel_size), _pair(m.padding)
            d = _pair(getattr(m, "dilation", 1))
            shape = (shape[0], *(conv_output_size(shape[1 + i], k[i], p[i], s[i], d[i]) for i in range(2)))
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            shape = (shape[0], *_pair(m.output_size))
        elif getattr(m, "scale_factor", None) is not None:
            sf = m.scale_factor
            f = (sf, sf) if isinstance(sf, (int, float)) else tuple(sf)
            shape = (shape[0], *(int(math.floor(shape[1 + i] * f[i])) for i in range(2)))
        elif isinstance(m, nn.Flatten):
            shape = (math.prod(shape),)
        elif isinstance(m, nn.Linear):
            if shape != (m.in_features,):
                raise ValueError(f"layer {name} ({m}) expects {m.in_features} features; the input to it has shape {shape}")
            shape = (m.out_features,)
        elif kind not in _SHAPE_KEEPING:
            raise ValueError(f"formula_shapes does not know how layer {name} ({kind}) changes the shape")
        rows.append({"layer": f"{name} {kind}", "k": k, "s": s, "p": p, "output": shape})
    return rows


# --- chapter 02 ---

def classic_kernels() -> dict[str, torch.Tensor]:
    """The hand-designed 3x3 image filters of chapter 02, as float tensors, for cross-correlation.

    ``outline`` (edge detection), ``sharpen``, ``gaussian blur`` (1/16 weights),
    ``sobel x`` / ``sobel y`` (smoothing x derivative, separable), ``scharr x`` /
    ``scharr y`` (better rotation symmetry) and ``laplacian``. The derivative kernels
    are oriented for cross-correlation (``F.conv2d``): ``sobel x`` is positive where
    the image gets brighter to the right, ``sobel y`` where it gets brighter downwards.

    >>> k = classic_kernels()
    >>> k["sobel x"]
    tensor([[-1.,  0.,  1.],
            [-2.,  0.,  2.],
            [-1.,  0.,  1.]])
    >>> torch.equal(k["sobel x"], torch.outer(torch.tensor([1., 2., 1.]), torch.tensor([-1., 0., 1.])))
    True
    """
    smooth, deriv = torch.tensor([1., 2., 1.]), torch.tensor([-1., 0., 1.])
    scharr = torch.outer(torch.tensor([3., 10., 3.]), deriv)
    sobel = torch.outer(smooth, deriv)
    return {
        "outline": torch.tensor([[-1., -1., -1.], [-1., 8., -1.], [-1., -1., -1.]]),
        "sharpen": torch.tensor([[0., -1., 0.], [-1., 5., -1.], [0., -1., 0.]]),
        "gaussian blur": torch.outer(smooth, smooth) / 16,
        "sobel x": sobel,
        "sobel y": sobel.T.contiguous(),
        "scharr x": scharr,
        "scharr y": scharr.T.contiguous(),
        "laplacian": torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]]),
    }


def filter_bank(kernels, in_channels: int = 3, both_signs: bool = False, padding: int = 1) -> torch.nn.Conv2d:
    """A frozen ``nn.Conv2d`` that applies fixed kernels to every input channel separately.

    ``kernels`` is a list (or dict) of 2-D tensors of one size. Each input channel gets
    every kernel (``groups=in_channels``), so the layer has ``in_channels * len(kernels)``
    output channels (twice that with ``both_signs``, which adds each kernel's negative so
    that a following ReLU keeps both edge polarities). Its weights do not train
    (``requires_grad=False``) and it has no bias.

    >>> bank = filter_bank([classic_kernels()["sobel x"], classic_kernels()["laplacian"]], in_channels=3)
    >>> bank.weight.shape, bank.weight.requires_grad
    (torch.Size([6, 1, 3, 3]), False)
    """
    check_int("in_channels", in_channels, minimum=1)
    check_int("padding", padding, minimum=0)
    if isinstance(kernels, torch.Tensor) and kernels.dim() == 2:
        raise TypeError("kernels must be a list or dict of 2-D kernels; got one 2-D tensor (wrap it in a list)")
    ks = list(kernels.values()) if isinstance(kernels, dict) else list(kernels)
    if not ks or any(torch.as_tensor(k).dim() != 2 for k in ks):
        raise ValueError("filter_bank needs a non-empty list of 2-D kernels")
    ks = [torch.as_tensor(k, dtype=torch.float32) for k in ks]
    if len({tuple(k.shape) for k in ks}) != 1:
        raise ValueError(f"all kernels must have one size; got {sorted({tuple(k.shape) for k in ks})}")
    if both_signs:
        ks = [s * k for k in ks for s in (1, -1)]
    per_channel = torch.stack(ks)                       # (n, kh, kw)
    weight = per_channel.repeat(in_channels, 1, 1).unsqueeze(1)  # (in_channels * n, 1, kh, kw)
    layer = torch.nn.Conv2d(in_channels, weight.shape[0], tuple(per_channel.shape[1:]), padding=padding,
                            groups=in_channels, bias=False)
    with torch.no_grad():
        layer.weight.copy_(weight)
    layer.weight.requires_grad_(False)
    return layer


# --- chapter 08 ---

class Dropout(torch.nn.Module):
    """Inverted dropout, written out: in training, zero each value with probability ``p`` and
    scale the survivors by ``1 / (1 - p)``, so the expected value of every unit is unchanged;
    in evaluation mode, the identity. This is what ``nn.Dropout`` computes (with its own
    random numbers). The gradient is the same mask times the same scale (autograd finds it).

    >>> d = Dropout(0.5); _ = torch.manual_seed(0)
    >>> sorted(set(d(torch.ones(100)).tolist()))          # dropped, or kept and scaled by 1/(1-0.5)
    [0.0, 2.0]
    >>> torch.equal(d.eval()(torch.ones(3)), torch.ones(3))
    True
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability p must be a number in [0, 1]; got {p!r}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return torch.zeros_like(x)
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)  # 1 with probability 1 - p
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"
