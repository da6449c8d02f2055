"""Exercise checks of chapter 07."""
import torch

from .registry import exercise, _close


@exercise("07.1")
def _check_batch_norm_train(fn):
    """fn(x, gamma, beta, eps) must equal nn.BatchNorm2d in training mode."""
    examples = [torch.tensor([[[[7., 5.], [0., 4.]]], [[[0., 7.], [3., 1.]]], [[[2., 0.], [0., 1.]]]])]
    g = torch.Generator().manual_seed(7)
    examples.append(torch.randn(4, 3, 5, 5, generator=g) * 3 + 1)
    for x in examples:
        c = x.shape[1]
        gamma, beta = torch.linspace(0.5, 2.0, c), torch.linspace(-1.0, 1.0, c)
        bn = torch.nn.BatchNorm2d(c, eps=1e-5).train()
        with torch.no_grad():
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
            want = bn(x)
        got = torch.as_tensor(fn(x, gamma, beta, 1e-5))
        assert got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        assert _close(got, want, 1e-4), (
            "the output differs from nn.BatchNorm2d: average over the batch and both spatial axes "
            "(dims 0, 2, 3) for each channel, use the biased variance (divide by m, not m - 1), "
            "then scale by gamma and shift by beta, both of shape (1, C, 1, 1)")


@exercise("07.2")
def _check_init_scales(fn):
    """fn(in_channels, out_channels, k) -> (Glorot uniform bound, He normal std) of a k x k Conv2d."""
    import math
    for cin, cout, k in [(3, 64, 3), (64, 128, 3), (256, 512, 3), (16, 16, 5), (512, 10, 1)]:
        got = fn(cin, cout, k)
        assert isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (glorot_bound, he_std)"
        fan_in, fan_out = cin * k * k, cout * k * k
        want = (math.sqrt(6 / (fan_in + fan_out)), math.sqrt(2 / fan_in))
        assert _close(got[0], want[0], 1e-6), (
            f"Glorot bound for Conv2d({cin}, {cout}, {k}) is wrong: fan_in = in_channels*k*k and "
            "fan_out = out_channels*k*k; the bound is sqrt(6 / (fan_in + fan_out))")
        assert _close(got[1], want[1], 1e-6), (
            f"He std for Conv2d({cin}, {cout}, {k}) is wrong: it is sqrt(2 / fan_in), fan_in = in_channels*k*k")


@exercise("07.3")
def _check_sigmoid_layers(fn):
    """fn(eps) -> the fewest sigmoid layers after which the bound 0.25**n falls below eps."""
    for eps, want in [(0.1, 2), (1e-3, 5), (1e-6, 10), (1e-9, 15), (0.5, 1)]:
        got = fn(eps)
        assert int(got) == want and float(got) == want, (
            f"for eps={eps} expected {want} layers (0.25**{want} = {0.25 ** want:.3g} < {eps}, "
            f"0.25**{want - 1} = {0.25 ** (want - 1):.3g} is not); got {got!r}")


@exercise("07.4")
def _check_group_norm(fn):
    """fn(x, groups, eps) must equal nn.GroupNorm(groups, C, affine=False)."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3, 6, 4, 5, generator=g) * 2 + 0.5
    for groups in (1, 2, 3, 6):
        want = torch.nn.GroupNorm(groups, 6, eps=1e-5, affine=False)(x)
        got = torch.as_tensor(fn(x, groups, 1e-5))
        assert got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        assert _close(got, want, 1e-4), (
            f"with {groups} group(s) the output differs from nn.GroupNorm: reshape to (N, G, C//G, H, W), "
            "take mean and biased variance over the last three axes, normalise, reshape back")
