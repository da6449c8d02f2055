"""Exercise checks of chapter 10."""
import torch

from .registry import exercise


@exercise("10.1")
def _check_inception_cost(fn):
    """fn(c_in, h, w, c1, c2, c3, c4) -> (weights, mult_adds) of an Inception block, biases left out."""
    from ..models import Inception
    from ..summary import layer_costs
    cases = [(192, 28, 28, 64, (96, 128), (16, 32), 32), (256, 28, 28, 128, (128, 192), (32, 96), 64),
             (480, 14, 14, 192, (96, 208), (16, 48), 64), (3, 5, 7, 2, (4, 6), (1, 2), 3)]
    for c_in, h, w, c1, c2, c3, c4 in cases:
        costs = layer_costs(Inception(c_in, c1, c2, c3, c4, bias=False), (c_in, h, w))
        want = (int(costs["params"].sum()), int(costs["mult_adds"].sum()))
        got = fn(c_in, h, w, c1, c2, c3, c4)
        assert tuple(int(v) for v in got) == want, (
            f"for c_in={c_in}, {h}x{w}, c1={c1}, c2={c2}, c3={c3}, c4={c4} the block has {want[0]:,} weights "
            f"and {want[1]:,} multiply-adds; you returned {tuple(got)}. Count every path's convolutions "
            "(the max-pool path has one 1x1 conv), and multiply each conv's weights by h*w.")


@exercise("10.2")
def _check_depthwise_separable_cost(fn):
    """fn(c_in, c_out, k, h, w) -> (weights, mult_adds) of a depthwise-separable conv (same padding, no bias)."""
    from ..models import depthwise_separable
    from ..summary import layer_costs
    for c_in, c_out, k, h, w in [(64, 128, 3, 32, 32), (192, 256, 5, 28, 28), (3, 7, 3, 5, 6), (32, 32, 7, 14, 14)]:
        costs = layer_costs(depthwise_separable(c_in, c_out, k, padding=k // 2, bias=False), (c_in, h, w))
        want = (int(costs["params"].sum()), int(costs["mult_adds"].sum()))
        got = fn(c_in, c_out, k, h, w)
        assert tuple(int(v) for v in got) == want, (
            f"for c_in={c_in}, c_out={c_out}, k={k} on {h}x{w} the depthwise-separable conv has {want[0]:,} "
            f"weights and {want[1]:,} multiply-adds; you returned {tuple(got)}. The depthwise part has one "
            "k x k filter per input channel; the pointwise part is a 1x1 conv from c_in to c_out.")


@exercise("10.3")
def _check_bottleneck(make):
    """make(in_channels, mid_channels, out_channels, stride) -> a ResNet bottleneck block."""
    from torch import nn
    torch.manual_seed(0)
    for c_in, mid, c_out, stride, size in [(64, 16, 64, 1, 8), (64, 32, 128, 2, 8), (256, 64, 256, 1, 4)]:
        blk = make(c_in, mid, c_out, stride)
        assert isinstance(blk, nn.Module), "make(...) must return an nn.Module"
        with torch.no_grad():
            y = blk.eval()(torch.randn(2, c_in, size, size))
        assert tuple(y.shape) == (2, c_out, size // stride, size // stride), (
            f"make({c_in}, {mid}, {c_out}, {stride}) maps a (2, {c_in}, {size}, {size}) batch to {tuple(y.shape)}; "
            f"expected (2, {c_out}, {size // stride}, {size // stride})")
        assert float(y.min()) >= 0, "the block should end with a ReLU after the addition"
        n = sum(p.numel() for p in blk.parameters())
        want = c_in * mid + 9 * mid * mid + mid * c_out + 2 * (mid + mid + c_out)
        if stride != 1 or c_in != c_out:
            want += c_in * c_out + 2 * c_out
        assert n == want, (
            f"make({c_in}, {mid}, {c_out}, {stride}) has {n:,} parameters; expected {want:,}: convolutions "
            "without bias, each followed by BatchNorm, and a 1x1 conv + BN shortcut only when the shape changes")
    blk = make(32, 8, 32, 1).eval()
    bns = [m for m in blk.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 3, f"expected 3 BatchNorm layers in a block without projection, found {len(bns)}"
    nn.init.zeros_(bns[-1].weight)
    nn.init.zeros_(bns[-1].bias)
    x = torch.randn(2, 32, 6, 6)
    with torch.no_grad():
        same = torch.allclose(blk(x), torch.relu(x))
    assert same, ("with the last BatchNorm of the residual branch set to zero the block should return relu(x): "
                  "is the identity shortcut added before the final ReLU (and is the last BN the branch's last layer)?")
