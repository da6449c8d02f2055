"""Exercise checks of chapter 02."""
import torch

from .registry import exercise, _close


@exercise("02.1")
def _conv_output_size(fn):
    cases = [(5, 3, 0, 1, 3), (5, 3, 0, 2, 2), (32, 5, 0, 1, 28), (28, 7, 0, 1, 22), (32, 5, 2, 1, 32),
             (7, 3, 1, 2, 4), (224, 11, 2, 4, 55), (6, 2, 0, 2, 3), (8, 3, 0, 3, 2)]
    for n, k, p, s, want in cases:
        got = fn(n, k, p, s)
        assert got == want, (f"output_size(n={n}, k={k}, p={p}, s={s}) returned {got!r}, expected {want}. "
                             "Count how many window positions fit: floor((n - k + 2p) / s) + 1.")


@exercise("02.2")
def _corr2d_multi_in(fn):
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(2)
    for c, h, w, kh, kw in [(2, 3, 3, 2, 2), (3, 6, 5, 3, 2), (1, 4, 4, 1, 1), (4, 7, 7, 3, 3)]:
        x, k = torch.randn(c, h, w, generator=g), torch.randn(c, kh, kw, generator=g)
        got = fn(x, k)
        want = F.conv2d(x[None], k[None])[0, 0]
        assert torch.is_tensor(got), f"return a tensor; got {type(got).__name__}"
        assert tuple(got.shape) == tuple(want.shape), (f"input {tuple(x.shape)}, kernel {tuple(k.shape)}: "
                                                       f"expected output shape {tuple(want.shape)}, got {tuple(got.shape)}")
        assert _close(got, want), (f"input {tuple(x.shape)}, kernel {tuple(k.shape)}: values differ from "
                                   "F.conv2d; correlate every channel with its own kernel slice and add the results.")


@exercise("02.3")
def _conv_params(fn):
    from torch import nn
    for c_in, c_out, k in [(1, 1, 2), (1, 32, 7), (3, 4, 5), (32, 64, 7), (128, 256, 7), (3, 64, 3), (64, 10, 1)]:
        want = sum(p.numel() for p in nn.Conv2d(c_in, c_out, k).parameters())
        got = fn(c_in, c_out, k)
        assert got == want, (f"conv_params({c_in}, {c_out}, {k}) returned {got!r}, expected {want}: "
                             "each of the c_out filters has k*k*c_in weights and one bias.")


@exercise("02.4", takes="function or value")
def _horizontal_edge_kernel(k):
    import torch.nn.functional as F
    k = torch.as_tensor(k() if callable(k) else k, dtype=torch.float32)
    assert k.shape == (3, 3), f"the kernel must be 3x3; got shape {tuple(k.shape)}"
    def respond(img):
        return F.conv2d(img[None, None], k[None, None])[0, 0]
    flat = torch.full((8, 8), 0.7)
    horizontal = torch.zeros(8, 8); horizontal[4:] = 1.0        # dark top, bright bottom: a horizontal edge
    vertical = horizontal.T.contiguous()                         # a vertical edge
    assert respond(flat).abs().max() < 1e-5, "a flat image must give 0 everywhere (make the weights sum to 0)"
    assert respond(vertical).abs().max() < 1e-5, ("a vertical edge must give 0: the kernel should not react to "
                                                  "left-right changes (make the weights of every column sum to 0)")
    assert respond(horizontal).abs().max() > 0.5, "a horizontal edge (dark above, bright below) must give a clear response"


@exercise("02.5")
def _receptive_field(fn):
    for ks, want in [([3], 3), ([3, 3], 5), ([7, 7, 7, 7], 25), ([5, 3], 7), ([1, 1, 1], 1), ([11, 5, 3, 3, 3], 21)]:
        got = fn(ks)
        assert got == want, (f"receptive_field({ks}) returned {got!r}, expected {want}: every stride-1 k x k layer "
                             "widens the view by k - 1 pixels.")
