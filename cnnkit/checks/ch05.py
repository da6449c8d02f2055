"""Exercise checks of chapter 05."""
import torch

from .registry import exercise, _close


@exercise("05.1")
def _check_conv1x1(fn):
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(5)
    for n, ci, co, h, w in ((2, 4, 3, 5, 6), (1, 1, 2, 3, 3), (3, 6, 1, 1, 7)):
        x = torch.randn(n, ci, h, w, generator=g)
        wt, b = torch.randn(co, ci, generator=g), torch.randn(co, generator=g)
        want = F.conv2d(x, wt.view(co, ci, 1, 1), b)
        got = torch.as_tensor(fn(x, wt, b))
        assert tuple(got.shape) == tuple(want.shape), (
            f"for x of shape {tuple(x.shape)} and {co} output channels the result should have shape "
            f"{tuple(want.shape)}; got {tuple(got.shape)}")
        assert _close(got, want, 1e-4), "the shape is right but the values differ from F.conv2d with a 1x1 kernel"


@exercise("05.2")
def _check_score_map_size(fn):
    from ..models import lenet_style

    net = lenet_style(head="conv")[:-1]
    for h, w in ((28, 28), (76, 112), (56, 84), (30, 45), (100, 29), (31, 31)):
        with torch.no_grad():
            want = tuple(net(torch.zeros(1, 1, h, w)).shape[2:])
        got = tuple(int(v) for v in fn(h, w))
        assert got == want, f"a {h}x{w} image gives a score map of {want}; score_map_size({h}, {w}) returned {got}"


@exercise("05.3")
def _check_separable_vs_standard_cost(fn):
    """fn(c_in, c_out, k, out_h, out_w) -> (standard weights, standard MACs, separable weights, separable MACs).

    The reference counts the weights of real layers (no bias): a k x k ``nn.Conv2d`` and
    ``depthwise_separable``; a multiply-add per weight and output pixel.
    """
    from torch import nn

    from ..models import depthwise_separable

    for c_in, c_out, k, out_h, out_w in ((100, 100, 5, 64, 64), (32, 64, 3, 10, 12), (3, 8, 1, 4, 4), (16, 4, 7, 5, 9)):
        with torch.device("meta"):
            std = nn.Conv2d(c_in, c_out, k, bias=False).weight.numel()
            sep = sum(p.numel() for p in depthwise_separable(c_in, c_out, k, bias=False).parameters())
        pixels = out_h * out_w
        want = (std, std * pixels, sep, sep * pixels)
        got = fn(c_in, c_out, k, out_h, out_w)
        assert isinstance(got, (tuple, list)) and len(got) == 4, (
            f"return four numbers (standard weights, standard MACs, separable weights, separable MACs); got {got!r}")
        got = tuple(int(v) for v in got)
        assert got == want, (f"separable_cost{(c_in, c_out, k, out_h, out_w)} should be (standard weights, "
                             f"standard MACs, separable weights, separable MACs) = {want}; got {got}")
