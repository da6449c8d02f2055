"""Chapter 08's regularisers in cnnkit.recipes: L1 / L2 / elastic net, max-norm, DropConnect, early stopping."""
import pytest
import torch
from torch import nn

from cnnkit.recipes import (DropConnectLinear, EarlyStopping, early_stopping_epoch, max_norm_, sparsity,
                            weight_penalty)


def test_weight_penalty_values_and_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    weights = [model[0].weight, model[2].weight]           # biases and BN parameters are left out
    l1 = sum(w.abs().sum() for w in weights)
    l2 = sum(w.pow(2).sum() for w in weights)
    assert torch.allclose(weight_penalty(model, l1=0.1), 0.1 * l1)
    assert torch.allclose(weight_penalty(model, l2=0.1), 0.05 * l2)
    assert torch.allclose(weight_penalty(model, l1=0.1, l2=0.2), 0.1 * l1 + 0.1 * l2)   # elastic net
    assert float(weight_penalty(model)) == 0.0
    weight_penalty(model, l1=0.5, l2=0.3).backward()
    w = model[0].weight
    assert torch.allclose(w.grad, 0.5 * w.detach().sign() + 0.3 * w.detach())
    assert model[0].bias.grad is None and model[1].weight.grad is None


def test_l1_gives_sparse_weights_l2_does_not():
    """The lesson in miniature: with SGD, L1 drives the useless weights to (almost) zero, L2 only shrinks them."""
    torch.manual_seed(0)
    x = torch.randn(128, 20)
    y = x[:, :2].sum(1, keepdim=True) + torch.randn(128, 1)   # only 2 of 20 inputs matter, plus noise
    result = {}
    for name, l1, l2 in (("none", 0, 0), ("l2", 0, 0.1), ("l1", 0.2, 0), ("elastic", 0.2, 0.1)):
        torch.manual_seed(1)
        lin = nn.Linear(20, 1)
        opt = torch.optim.SGD(lin.parameters(), lr=0.02)
        for _ in range(500):
            opt.zero_grad()
            (nn.functional.mse_loss(lin(x), y) + weight_penalty(lin, l1=l1, l2=l2)).backward()
            opt.step()
        result[name] = sparsity(lin, 1e-2)
    assert result["l1"] >= 0.6 and result["elastic"] >= 0.6, result
    assert result["none"] < 0.2 and result["l2"] < 0.2


def test_sparsity_counts_weights_only():
    lin = nn.Linear(4, 2)
    with torch.no_grad():
        lin.weight.zero_()
        lin.weight[0, 0] = 1.0
        lin.bias.zero_()
    assert sparsity(lin) == 7 / 8


def test_max_norm_caps_rows_and_kernels_leaves_small_ones():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4, 3))
    with torch.no_grad():
        net[0].weight.mul_(100)
        net[2].weight.copy_(torch.tensor([[0.1, 0, 0, 0], [3.0, 4.0, 0, 0], [0, 0, 0, 10.0]]))
    largest = max_norm_(net, 2.0)
    assert largest == pytest.approx(2.0)
    assert net[0].weight.flatten(1).norm(dim=1).max() <= 2.0 + 1e-5
    rows = net[2].weight.norm(dim=1)
    assert torch.allclose(rows, torch.tensor([0.1, 2.0, 2.0]))
    assert torch.allclose(net[2].weight[1], torch.tensor([1.2, 1.6, 0, 0]))   # direction kept


def test_max_norm_holds_through_training():
    torch.manual_seed(0)
    lin = nn.Linear(10, 5)
    opt = torch.optim.SGD(lin.parameters(), lr=1.0)
    for _ in range(20):
        opt.zero_grad()
        lin(torch.randn(8, 10)).pow(2).mean().mul(-1).backward()   # a loss that wants big weights
        opt.step()
        assert max_norm_(lin, 0.5) <= 0.5 + 1e-6


def test_dropconnect_drops_weights_in_training_only():
    torch.manual_seed(0)
    layer = DropConnectLinear(200, 50, p=0.3)
    x = torch.randn(4, 200)
    out = layer(x)
    dropped = float((layer.last_weight == 0).float().mean())
    assert abs(dropped - 0.3) < 0.02
    kept = layer.last_weight != 0
    assert torch.allclose(layer.last_weight[kept], (layer.weight / 0.7)[kept])
    assert torch.allclose(out, x @ layer.last_weight.T + layer.bias)
    assert not torch.equal(layer(x), layer(x))                # a new mask every pass
    layer.eval()
    assert torch.equal(layer(x), nn.functional.linear(x, layer.weight, layer.bias))
    # the mean over many masks is the eval-mode output (inverted scaling)
    layer.train()
    with torch.no_grad():
        mean = torch.stack([layer(x) for _ in range(2000)]).mean(0)
        assert (mean - nn.functional.linear(x, layer.weight, layer.bias)).abs().max() < 0.05
    assert "p=0.3" in repr(layer)


def test_dropconnect_gradients_reach_kept_weights_only():
    torch.manual_seed(0)
    layer = DropConnectLinear(6, 3, p=0.5, bias=False)
    layer(torch.ones(1, 6)).sum().backward()
    assert torch.equal(layer.weight.grad == 0, layer.last_weight == 0)


def test_early_stopping_stops_and_restores_best_weights():
    model = nn.Linear(2, 1)
    stop = EarlyStopping(patience=3)
    curve = [0.3, 0.5, 0.55, 0.54, 0.56, 0.52, 0.55, 0.50, 0.40]
    best_weight = None
    for epoch, v in enumerate(curve, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)                       # "training" changes the weights
        if v == max(curve):
            best_weight = model.weight.detach().clone()
        if stop.step(v, model):
            break
    assert (stop.epoch, stop.best_epoch, stop.best) == (8, 5, 0.56)
    stop.restore(model)
    assert torch.equal(model.weight, best_weight)


def test_early_stopping_min_mode_and_min_delta():
    stop = EarlyStopping(patience=2, mode="min", min_delta=0.01)
    assert [stop.step(v) for v in (1.0, 0.8, 0.795, 0.79)] == [False, False, False, True]
    assert stop.best_epoch == 2


def test_early_stopping_epoch_replays_a_curve():
    assert early_stopping_epoch([0.1, 0.2, 0.3], patience=2) == (3, 3)       # still improving: runs to the end
    assert early_stopping_epoch([0.5, 0.4, 0.3, 0.6], patience=2) == (3, 1)
    assert early_stopping_epoch([2.0, 1.0, 1.5, 1.2], patience=2, mode="min") == (4, 2)


@pytest.mark.parametrize("call, err, msg", [
    (lambda: weight_penalty("net", l1=0.1), TypeError, r"model must be a torch.nn.Module or a weight tensor; got str"),
    (lambda: weight_penalty(nn.Linear(2, 2), l1=-1), ValueError, r"l1 must be a number >= 0; got -1"),
    (lambda: weight_penalty(nn.BatchNorm1d(3), l2=0.1), ValueError, r"model has no weight matrices"),
    (lambda: sparsity(nn.Linear(2, 2), threshold=0), ValueError, r"threshold must be > 0; got 0"),
    (lambda: max_norm_(nn.Linear(2, 2), 0), ValueError, r"max_norm must be > 0; got 0"),
    (lambda: max_norm_(torch.zeros(2, 2), 1.0), TypeError, r"module must be a torch.nn.Module; got Tensor"),
    (lambda: max_norm_(nn.ReLU(), 1.0), ValueError, r"module has no Linear or Conv layer"),
    (lambda: DropConnectLinear(2, 2, p=1.0), ValueError, r"p \(the probability of dropping a weight\) must be in \[0, 1\)"),
    (lambda: EarlyStopping(patience=0), ValueError, r"patience must be an int >= 1"),
    (lambda: EarlyStopping(mode="up"), ValueError, r"mode must be 'max' \(accuracy\) or 'min' \(loss\); got 'up'"),
    (lambda: EarlyStopping().restore(nn.Linear(2, 2)), ValueError, r"no weights kept"),
    (lambda: EarlyStopping().step("0.5"), TypeError, r"value must be a number; got '0.5'"),
    (lambda: early_stopping_epoch([]), ValueError, r"values is empty"),
    (lambda: early_stopping_epoch([0.5, float("nan")]), ValueError, r"values must be finite numbers; got nan"),
])
def test_regularisers_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()
