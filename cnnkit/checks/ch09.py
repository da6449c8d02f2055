"""Exercise checks of chapter 09."""
import torch

from .registry import exercise, _close


def _grad_of(f, *xs, dout=None):
    """Autograd reference for the chapter 09 checks: gradient of f(*xs) for upstream ``dout``."""
    xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = f(*xs)
    dout = torch.randn_like(out) if dout is None else dout
    return dout, torch.autograd.grad(out, xs, dout)


@exercise("09.1")
def _check_09_1(leaky_relu_backward):
    g = torch.Generator().manual_seed(91)
    for slope in (0.01, 0.2):
        x = torch.randn(4, 3, 5, 5, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: torch.nn.functional.leaky_relu(t, slope), x)
        got = leaky_relu_backward(dout, x, slope)
        assert _close(got, ref, 1e-6), (f"with slope={slope}: where x > 0 the gradient passes unchanged, "
                                        "where x <= 0 it is multiplied by the slope")


@exercise("09.2", takes="function or value")
def _check_09_2(slopes):
    slopes = slopes() if callable(slopes) else slopes
    assert len(slopes) == 2, "answer with a pair: (slope of sigmoid at 0, slope of tanh at 0)"
    assert abs(float(slopes[0]) - 0.25) < 1e-6, "sigmoid'(0) = sigma(0) (1 - sigma(0)) with sigma(0) = 1/2"
    assert abs(float(slopes[1]) - 1.0) < 1e-6, "tanh'(0) = 1 - tanh(0)^2 with tanh(0) = 0"


@exercise("09.3")
def _check_09_3(global_avg_pool_backward):
    g = torch.Generator().manual_seed(93)
    for shape in ((2, 3, 4, 4), (1, 5, 3, 7)):
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: t.mean((2, 3)), x)
        got = global_avg_pool_backward(dout, shape)
        assert tuple(got.shape) == shape, f"dL/dx must have the input's shape {shape}; got {tuple(got.shape)}"
        assert _close(got, ref, 1e-6), "each of the H*W inputs of a channel gets that channel's dout / (H*W)"


@exercise("09.4")
def _check_09_4(conv_bias_backward):
    g = torch.Generator().manual_seed(94)
    x = torch.randn(3, 2, 6, 6, generator=g, dtype=torch.float64)
    w = torch.randn(4, 2, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    dout, (ref,) = _grad_of(lambda bb: torch.nn.functional.conv2d(x, w, bb, stride=2, padding=1), b)
    got = conv_bias_backward(dout)
    assert _close(got, ref, 1e-6), ("the bias is added at every position of every image: "
                                    "sum dout over the batch and both spatial axes, one value per output channel")
