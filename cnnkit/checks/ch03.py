"""Exercise checks of chapter 03."""
import torch

from .registry import exercise, _close


@exercise("03.1")
def _pooled_shape(fn):
    from torch import nn
    for c, h, w, k, s in [(1, 4, 4, 2, 2), (64, 24, 24, 2, 2), (3, 7, 9, 2, 2), (8, 13, 10, 3, 2), (5, 6, 6, 3, 1),
                          (16, 55, 55, 3, 2)]:
        want = tuple(nn.MaxPool2d(k, s)(torch.zeros(1, c, h, w)).shape[1:])
        got = fn(c, h, w, k, s)
        assert tuple(got) == want, f"pooled_shape{(c, h, w, k, s)} returned {got}; nn.MaxPool2d gives {want}"


@exercise("03.2")
def _min_pool2d(fn):
    x = torch.tensor([[[[1., 5., 2., 0.], [3., 4., -1., 7.], [8., 6., 2., 2.], [9., 0., 3., 4.]]]])
    want = torch.tensor([[[[1., -1.], [0., 2.]]]])
    got = fn(x, 2)
    assert _close(got, want), f"for the 4x4 example the 2x2 min pooling is {want.tolist()}; got {torch.as_tensor(got).tolist()}"
    g = torch.Generator().manual_seed(3)
    for shape, k in [((2, 3, 8, 8), 2), ((1, 4, 9, 9), 3)]:
        x = torch.randn(*shape, generator=g)
        want = torch.nn.functional.unfold(x.flatten(0, 1).unsqueeze(1), k, stride=k).min(1).values
        n = shape[-1] // k
        want = want.view(*shape[:2], n, n)
        assert _close(fn(x, k), want), f"min pooling with k={k} on a {shape} batch is wrong"


@exercise("03.3")
def _global_avg_pool(fn):
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 3, 4, 4), (1, 512, 2, 2), (5, 8, 7, 9)]:
        x = torch.randn(*shape, generator=g)
        got = fn(x)
        assert tuple(torch.as_tensor(got).shape) == shape[:2], f"for input {shape} the result should have shape {shape[:2]}; got {tuple(torch.as_tensor(got).shape)}"
        assert _close(got, x.mean((2, 3))), f"the values are not the mean of each map (input {shape})"
