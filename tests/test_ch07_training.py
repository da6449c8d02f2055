"""Chapter 07: the ladder nets (shapes, parameter counts, every flag changes the model),
the gradient-norm recorder and its plot, and the chapter's exercise checks."""
import math

import matplotlib
import pytest
import torch
from torch import nn

from cnnkit import checks, count_params, fit, Loader
from cnnkit.models import LadderStage, activation_layer, ladder_cnn, norm_layer
from cnnkit.diagnostics import GradNorms
from cnnkit.plot import plot_grad_norms

X = torch.rand(2, 3, 32, 32)


@pytest.mark.parametrize("channels, convs, params", [
    ((64, 128), 1, 4_275_594),               # the lecture's 2-block sigmoid net
    ((64, 128, 256), 1, 2_473_610),          # 3 blocks
    ((64, 128, 256), 3, 4_022_794),          # 9 convolutions
    ((64, 128, 256, 512), 3, 8_873_994),     # the 12-conv VGG-style net
])
def test_lecture_sizes(channels, convs, params):
    m = ladder_cnn(channels, convs, activation="sigmoid")
    assert count_params(m) == params
    assert m(X).shape == (2, 10)
    assert sum(isinstance(l, nn.Conv2d) for l in m.modules()) == len(channels) * convs


def test_activation_flag():
    relu = ladder_cnn((8, 16), 2, activation="relu", hidden=16)
    silu = ladder_cnn((8, 16), 2, activation="silu", hidden=16)
    assert sum(isinstance(l, nn.ReLU) for l in relu.modules()) == 5
    assert sum(isinstance(l, nn.SiLU) for l in silu.modules()) == 5
    assert not any(isinstance(l, nn.ReLU) for l in silu.modules())
    assert count_params(relu) == count_params(silu)
    with pytest.raises(ValueError, match="activation"):
        activation_layer("swoosh")


def test_norm_flag_drops_bias_and_adds_layers():
    plain = ladder_cnn((8, 16), 2, hidden=16)
    bn = ladder_cnn((8, 16), 2, norm="batch", hidden=16)
    assert sum(isinstance(l, nn.BatchNorm2d) for l in bn.modules()) == 4
    convs = [l for l in bn.modules() if isinstance(l, nn.Conv2d)]
    assert all(c.bias is None for c in convs)
    # 4 biases removed, 4 BN layers with gamma and beta added
    assert count_params(bn) == count_params(plain) - (8 + 8 + 16 + 16) + 2 * (8 + 8 + 16 + 16)
    assert bn(X).shape == (2, 10)
    for kind, groups in [("group", 8), ("layer", 1), ("instance", 16)]:
        layer = norm_layer(kind, 16)
        assert isinstance(layer, nn.GroupNorm) and layer.num_groups == groups
    assert norm_layer("group", 12).num_groups == 4
    with pytest.raises(ValueError, match="norm"):
        norm_layer("weird", 8)


def test_skip_flag_adds_strided_shortcut():
    stage = LadderStage(3, 16, convs=3, skip=True)
    assert stage.shortcut is not None and stage.shortcut[0].stride == (2, 2)
    assert stage(X).shape == (2, 16, 16, 16)
    plain = ladder_cnn((8, 16), 2, hidden=16)
    skip = ladder_cnn((8, 16), 2, skip=True, hidden=16)
    extra = (3 * 9 * 8 + 8) + (8 * 9 * 16 + 16)
    assert count_params(skip) == count_params(plain) + extra
    # the shortcut really is added: silencing it changes the output
    torch.manual_seed(0)
    out = stage(X)
    with torch.no_grad():
        stage.shortcut[0].weight.zero_()
        stage.shortcut[0].bias.fill_(-1.0)   # ReLU(-1) = 0: the shortcut now adds nothing
    assert not torch.allclose(out, stage(X))


def test_init_flag():
    torch.manual_seed(0)
    xavier = ladder_cnn((64,), 1, hidden=None, init="xavier")
    torch.manual_seed(0)
    he = ladder_cnn((64,), 1, hidden=None, init="kaiming")
    w_x, w_h = xavier[0].body[0].weight.detach(), he[0].body[0].weight.detach()
    fan_in, fan_out = 3 * 9, 64 * 9
    assert abs(float(w_x.std()) - math.sqrt(2 / (fan_in + fan_out))) < 0.01
    assert abs(float(w_h.std()) - math.sqrt(2 / fan_in)) < 0.03


def test_bad_sizes():
    with pytest.raises(ValueError, match="divisible"):
        ladder_cnn((8, 16, 32, 64, 128, 256), 1)
    with pytest.raises(ValueError):
        ladder_cnn((), 1)
    with pytest.raises(ValueError, match="convs"):
        LadderStage(3, 8, convs=0)
    assert ladder_cnn((8, 16), 1, in_channels=1, image_size=28, hidden=None)(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_grad_norms_with_fit(rgb_data):
    model = ladder_cnn((4, 8), 2, activation="sigmoid", hidden=8, image_size=16)
    rec = GradNorms()
    train = Loader(rgb_data, 16, shuffle=True, device="cpu")
    fit(model, train, epochs=2, progress=False, after_backward=rec, device="cpu")
    assert rec.steps == 2 * 4
    assert len(rec.names) == 4 + 2 and rec.history().shape == (8, 6)
    assert rec.mean(first=2).shape == (6,) and bool((rec.mean() > 0).all())
    fig = plot_grad_norms({"sigmoid": rec}, first=4, labels=[f"L{i}" for i in range(6)], title="t")
    assert isinstance(fig, matplotlib.figure.Figure)
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="different model"):
        lin = nn.Linear(2, 2); lin(torch.ones(1, 2)).sum().backward(); rec(nn.Sequential(lin))
    with pytest.raises(ValueError, match="nothing"):
        GradNorms().mean()
    with pytest.raises(ValueError, match="no Conv2d"):
        GradNorms()(nn.Sequential(nn.Linear(2, 2)))


def test_exercise_checks_accept_right_and_reject_wrong(capsys):
    def bn(x, gamma, beta, eps):
        mu = x.mean((0, 2, 3), keepdim=True)
        var = x.var((0, 2, 3), unbiased=False, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * gamma.view(1, -1, 1, 1) + beta.view(1, -1, 1, 1)

    def bn_unbiased(x, gamma, beta, eps):
        mu = x.mean((0, 2, 3), keepdim=True)
        var = x.var((0, 2, 3), unbiased=True, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * gamma.view(1, -1, 1, 1) + beta.view(1, -1, 1, 1)

    def gn(x, groups, eps):
        n, c, h, w = x.shape
        g = x.reshape(n, groups, c // groups, h, w)
        mu = g.mean((2, 3, 4), keepdim=True)
        var = g.var((2, 3, 4), unbiased=False, keepdim=True)
        return ((g - mu) / torch.sqrt(var + eps)).reshape(n, c, h, w)

    checks.check("07.1", bn)
    with pytest.raises(checks.ExerciseFailed):
        checks.check("07.1", bn_unbiased)
    checks.check("07.2", lambda i, o, k: (math.sqrt(6 / ((i + o) * k * k)), math.sqrt(2 / (i * k * k))))
    with pytest.raises(checks.ExerciseFailed):
        checks.check("07.2", lambda i, o, k: (math.sqrt(6 / (i + o)), math.sqrt(2 / i)))
    checks.check("07.3", lambda eps: math.floor(math.log(eps) / math.log(0.25)) + 1)
    with pytest.raises(checks.ExerciseFailed):
        checks.check("07.3", lambda eps: round(math.log(eps) / math.log(0.25)))
    checks.check("07.4", gn)
    with pytest.raises(checks.ExerciseFailed):
        checks.check("07.4", lambda x, groups, eps: gn(x, 1, eps))
    with pytest.raises(checks.ExerciseNotDone):
        checks.check("07.4", lambda x, groups, eps: (_ for _ in ()).throw(NotImplementedError("hint")), strict=True)
    assert capsys.readouterr().out.count("✓") == 4
