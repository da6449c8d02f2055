"""``M.resnet(..., zero_init_residual=True)``: every residual block starts as its shortcut."""
import pytest
import torch

from cnnkit import models as M
from cnnkit.models.modern import ResidualBlock


def _blocks(net):
    return [m for m in net if isinstance(m, ResidualBlock)]


def test_default_is_unchanged():
    torch.manual_seed(0)
    a = M.resnet((1, 1), (8, 16))
    torch.manual_seed(0)
    b = M.resnet((1, 1), (8, 16), zero_init_residual=False)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert all(bool((blk.bn2.weight == 1).all()) for blk in _blocks(a))


def test_zero_init_zeroes_last_bn_scale_only():
    net = M.resnet((2, 2), (8, 16), zero_init_residual=True)
    for blk in _blocks(net):
        assert torch.count_nonzero(blk.bn2.weight) == 0
        assert bool((blk.bn1.weight == 1).all())
        if blk.proj is not None:
            assert bool((blk.proj[1].weight == 1).all())


def test_zero_init_blocks_pass_their_shortcut_through():
    # an identity block whose residual branch is zero returns relu(x) = x for x >= 0
    net = M.resnet((2,), (8,), zero_init_residual=True).eval()
    blk = _blocks(net)[1]
    x = torch.relu(torch.randn(2, 8, 6, 6))
    with torch.no_grad():
        assert torch.equal(blk(x), x)


def test_zero_init_still_trains():
    torch.manual_seed(0)
    net = M.resnet((1, 1), (4, 8), zero_init_residual=True)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    torch.nn.functional.cross_entropy(net(x), y).backward()
    assert all(blk.bn2.weight.grad is not None and blk.bn2.weight.grad.abs().sum() > 0 for blk in _blocks(net))


def test_zero_init_needs_shortcuts():
    with pytest.raises(ValueError, match="zero_init_residual=True needs shortcut=True"):
        M.resnet((1, 1), (8, 16), shortcut=False, zero_init_residual=True)


def test_zero_init_must_be_bool():
    with pytest.raises(TypeError, match="zero_init_residual must be True or False"):
        M.resnet((1, 1), (8, 16), zero_init_residual="yes")
