"""cnnkit.diagnostics.dead_fraction: the share of ReLU units that never fire on a batch (chapter 07)."""
import pytest
import torch
from torch import nn

from cnnkit.diagnostics import dead_fraction
from cnnkit.models import ladder_cnn


def _conv_net(bias_second: float):
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.ReLU(),
                        nn.Flatten(), nn.Linear(2 * 5 * 5, 3), nn.ReLU())
    with torch.no_grad():
        net[0].weight.zero_(); net[0].bias.copy_(torch.tensor([1.0, -1.0, 1.0, -1.0]))  # channels 1, 3 dead
        net[2].weight.zero_(); net[2].bias.copy_(torch.tensor([bias_second, 1.0]))
        net[5].weight.zero_(); net[5].bias.copy_(torch.tensor([-1.0, -1.0, 2.0]))
    return net


def test_counts_dead_channels_and_features_in_forward_order():
    got = dead_fraction(_conv_net(-3.0), torch.rand(6, 1, 5, 5))
    assert list(got) == ["1", "3", "6"]
    assert got == {"1": 0.5, "3": 0.5, "6": pytest.approx(2 / 3)}
    assert dead_fraction(_conv_net(3.0), torch.rand(6, 1, 5, 5))["3"] == 0.0


def test_a_unit_alive_for_one_image_or_one_position_is_not_dead():
    net = nn.Sequential(nn.Conv2d(1, 1, 1, bias=False), nn.ReLU())
    with torch.no_grad():
        net[0].weight.fill_(1.0)
    x = -torch.ones(4, 1, 3, 3)
    assert dead_fraction(net, x) == {"1": 1.0}
    x[2, 0, 1, 1] = 1.0                       # one pixel of one image fires
    assert dead_fraction(net, x) == {"1": 0.0}
    by_position = dead_fraction(net, x, unit="position")["1"]
    assert by_position == pytest.approx(8 / 9)  # eight of the nine positions never fire


def test_restores_mode_and_removes_hooks():
    net = ladder_cnn((4, 8), 2, norm="batch", hidden=8)
    net.train()
    out = dead_fraction(net, torch.rand(16, 3, 32, 32))
    assert len(out) == 5 and all(0.0 <= v <= 1.0 for v in out.values())
    assert net.training
    assert not any(m._forward_hooks for m in net.modules())
    net.eval()
    dead_fraction(net, torch.rand(4, 3, 32, 32))
    assert not net.training


def test_a_layer_called_twice_and_other_kinds():
    relu = nn.ReLU()
    net = nn.Sequential(nn.Linear(3, 3), relu, nn.Linear(3, 3), relu, nn.Tanh())
    assert list(dead_fraction(net, torch.rand(5, 3))) == ["1", "1#2"]
    assert list(dead_fraction(net, torch.rand(5, 3), kinds=nn.Tanh)) == ["4"]


def test_clear_errors():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    with pytest.raises(TypeError, match="model"):
        dead_fraction("net", torch.rand(2, 3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        dead_fraction(net, [[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="non-empty batch"):
        dead_fraction(net, torch.rand(0, 3))
    with pytest.raises(ValueError, match="unit"):
        dead_fraction(net, torch.rand(2, 3), unit="pixel")
    with pytest.raises(ValueError, match="no Sigmoid layer"):
        dead_fraction(net, torch.rand(2, 3), kinds=nn.Sigmoid)
    with pytest.raises(TypeError, match="kinds"):
        dead_fraction(net, torch.rand(2, 3), kinds=("relu",))
