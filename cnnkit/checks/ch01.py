"""Exercise checks of chapter 01."""
import torch

from .registry import exercise, _close


@exercise("01.1")
def _mlp_params(fn):
    from torch import nn
    cases = [(784, (256,), 10), (3072, (256,), 10), (3072, (256, 256), 10), (3072, (256, 256, 256), 10),
             (4, (), 3), (10, (5, 7, 3), 2), (784, (100,), 10), (1, (1,), 1)]
    for n_in, hidden, n_out in cases:
        widths = [n_in, *hidden, n_out]
        want = sum(p.numel() for a, b in zip(widths, widths[1:]) for p in nn.Linear(a, b).parameters())
        got = fn(n_in, hidden, n_out)
        assert got == want, (f"mlp_params({n_in}, {hidden}, {n_out}) returned {got!r}, expected {want}: "
                             "a Linear(a, b) layer has a*b weights and b biases; add them up layer by layer.")
    big = fn(12_000_000 * 3, (100,), 2)
    assert big == 36_000_000 * 100 + 100 + 100 * 2 + 2, (
        f"mlp_params(36_000_000, (100,), 2) returned {big!r}: it must work for big inputs too "
        "(compute with the formula, do not build the model)")


@exercise("01.2")
def _flat_index(fn):
    for shape in [(1, 28, 28), (3, 32, 32), (2, 3, 5), (4, 1, 7)]:
        n = shape[0] * shape[1] * shape[2]
        positions = torch.arange(n).view(1, *shape)
        flat = torch.nn.Flatten()(positions)[0]
        for c, i, j in [(0, 0, 0), (shape[0] - 1, shape[1] - 1, shape[2] - 1), (0, shape[1] // 2, 0),
                        (shape[0] // 2, 0, shape[2] // 2), (shape[0] - 1, shape[1] // 3, shape[2] - 1)]:
            want = int((flat == positions[0, c, i, j]).nonzero()[0, 0])
            got = fn(c, i, j, shape)
            assert got == want, (f"flat_index(c={c}, i={i}, j={j}, shape={shape}) returned {got!r}, expected {want}: "
                                 "nn.Flatten writes a (C, H, W) image channel by channel, row by row.")


@exercise("01.3")
def _permuted_first_layer(fn):
    g = torch.Generator().manual_seed(1)
    for n_in, n_hidden in [(6, 4), (784, 16), (3072, 8)]:
        w = torch.randn(n_hidden, n_in, generator=g)
        x = torch.randn(5, n_in, generator=g)
        perm = torch.randperm(n_in, generator=g)
        w_new = fn(w.clone(), perm.clone())
        assert torch.is_tensor(w_new) and tuple(w_new.shape) == tuple(w.shape), (
            f"return a weight tensor of shape {tuple(w.shape)}; got "
            f"{tuple(w_new.shape) if torch.is_tensor(w_new) else type(w_new).__name__}")
        assert _close(x[:, perm] @ w_new.T, x @ w.T), (
            "the new layer on permuted inputs x[:, perm] must give the same outputs as the old layer on x; "
            "input k of the permuted image is old input perm[k], so its weights are old column perm[k].")
