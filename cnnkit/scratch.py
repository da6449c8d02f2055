"""From-scratch operations that the chapters teach, each checked against PyTorch in ``tests/``.

These are written for reading, not speed: loops where the loop is the lesson.

>>> corr2d(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2))
tensor([[19., 25.],
        [37., 43.]])
"""
from __future__ import annotations

import torch


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1.

    With dilation 1 this is the lecture's ``floor((n - k + 2p) / s) + 1``.

    >>> conv_output_size(32, 5), conv_output_size(28, 3, padding=1), conv_output_size(8, 3, padding=1, stride=2)
    (28, 28, 4)
    """
    if min(size, kernel, stride, dilation) < 1 or padding < 0:
        raise ValueError(f"need size, kernel, stride, dilation >= 1 and padding >= 0; got {size}, {kernel}, {stride}, {dilation}, {padding}")
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
    if x.dim() != 2 or k.dim() != 2:
        raise ValueError(f"corr2d takes a 2-D input and a 2-D kernel; got shapes {tuple(x.shape)} and {tuple(k.shape)}")
    if padding:
        x = torch.nn.functional.pad(x, (padding,) * 4)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
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
    if x.shape[0] != k.shape[0]:
        raise ValueError(f"input has {x.shape[0]} channels but the kernel has {k.shape[0]}")
    return sum(corr2d(xc, kc, stride, padding) for xc, kc in zip(x, k))


def corr2d_multi_in_out(x: torch.Tensor, k: torch.Tensor, bias: torch.Tensor | None = None,
                        stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Several output channels: one multi-input correlation per output kernel, stacked.

    ``x`` is (C_in, H, W), ``k`` is (C_out, C_in, kh, kw), ``bias`` is (C_out,); result (C_out, oh, ow).
    This is what ``nn.Conv2d`` computes for one image.
    """
    out = torch.stack([corr2d_multi_in(x, kk, stride, padding) for kk in k])
    if bias is not None:
        out = out + bias.view(-1, 1, 1)
    return out


def conv_flops(c_in: int, c_out: int, kh: int, kw: int, oh: int, ow: int) -> int:
    """Multiply-adds of one convolution layer: c_in * c_out * kh * kw * oh * ow.

    >>> conv_flops(100, 100, 5, 5, 64, 64)      # the lecture's "about 1 GFLOP"
    1024000000
    """
    return c_in * c_out * kh * kw * oh * ow
