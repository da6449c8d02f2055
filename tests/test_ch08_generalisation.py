"""Chapter 08 (generalisation): the ladder network, from-scratch dropout, label smoothing,
mixup and distillation batch functions, the ladder plots and the exercise checks."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from cnnkit import History, fit  # noqa: E402
from cnnkit.checks import ExerciseFailed, check  # noqa: E402
from cnnkit.models import RegularisedBlock, regularised_vgg  # noqa: E402
from cnnkit.plot import plot_curves_grid, plot_ladder  # noqa: E402
from cnnkit.recipes import Distill, Mixup, smooth_labels  # noqa: E402
from cnnkit.scratch import Dropout  # noqa: E402


def n_params(m):
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- regularised_vgg

def test_regularised_vgg_default_shapes_and_params():
    m = regularised_vgg()
    assert [b.body[0].out_channels for b in m[0]] == [32, 64, 128]
    assert m(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    # 3 blocks of two 3x3 convs, dense 128*4*4 -> 512 -> 10
    convs = (3 * 32 * 9 + 32) + (32 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (64 * 64 * 9 + 64) \
        + (64 * 128 * 9 + 128) + (128 * 128 * 9 + 128)
    assert n_params(m) == convs + (2048 * 512 + 512) + (512 * 10 + 10)


def test_regularised_vgg_switches():
    base = regularised_vgg(width=0.25, hidden=32)
    bn = regularised_vgg(width=0.25, hidden=32, bn=True)
    assert sum(isinstance(x, nn.BatchNorm2d) for x in bn.modules()) == 6
    assert not any(isinstance(x, nn.BatchNorm2d) for x in base.modules())
    assert n_params(bn) - n_params(base) == 2 * 2 * (8 + 16 + 32)  # gamma and beta per channel
    drop = regularised_vgg(width=0.25, hidden=32, dropout=(0.2, 0.3, 0.4), head_dropout=0.5)
    rates = [x.p for x in drop.modules() if isinstance(x, nn.Dropout)]
    assert rates == [0.2, 0.3, 0.4, 0.5]
    wide = regularised_vgg(width=0.5, hidden=32)
    assert [b.body[0].out_channels for b in wide[0]] == [16, 32, 64]
    skip = regularised_vgg(width=0.25, hidden=32, skip=True, bn=True)
    assert all(b.shortcut is not None for b in skip[0])
    assert skip(torch.zeros(3, 3, 32, 32)).shape == (3, 10)
    assert isinstance(base[1][-1], nn.Linear) and base[1][-1].out_features == 10


def test_ladder_block_skip_adds_shortcut():
    torch.manual_seed(0)
    b = RegularisedBlock(3, 4, num_convs=1, skip=True).eval()
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(b(x), b.body(x) + b.shortcut(x))
    assert b(x).shape == (2, 4, 4, 4)


def test_regularised_vgg_bad_input():
    with pytest.raises(ValueError, match="one rate per block"):
        regularised_vgg(dropout=(0.1, 0.2))
    with pytest.raises(ValueError, match="width"):
        regularised_vgg(width=0)
    with pytest.raises(ValueError, match="too small"):
        regularised_vgg(image_size=4)
    with pytest.raises(ValueError, match="probability"):
        regularised_vgg(dropout=1.0)


# ---------------------------------------------------------------- from-scratch dropout

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_matches_nn_dropout_statistics(p):
    x = torch.ones(400_000)
    torch.manual_seed(0)
    ours = Dropout(p)(x)
    theirs = nn.Dropout(p)(x)
    for out in (ours, theirs):
        assert abs(float((out == 0).float().mean()) - p) < 0.005
        assert abs(float(out.mean()) - 1) < 0.02  # about 5 standard errors at p=0.8
        assert torch.allclose(out[out != 0], torch.tensor(1 / (1 - p)))


def test_dropout_eval_identity_edges_and_gradient():
    x = torch.randn(3, 4)
    d = Dropout(0.5).eval()
    assert torch.equal(d(x), x)
    assert torch.equal(Dropout(0.0)(x), x)
    assert torch.equal(Dropout(1.0)(x), torch.zeros_like(x))
    x = torch.ones(1000, requires_grad=True)
    out = Dropout(0.25).train()(x)
    out.sum().backward()
    assert torch.equal(x.grad, out.detach())  # gradient = mask / (1 - p), the same as the output for ones
    with pytest.raises(ValueError):
        Dropout(1.5)


# ---------------------------------------------------------------- label smoothing, mixup, distillation

def test_smooth_labels_equals_torch_label_smoothing():
    torch.manual_seed(0)
    y = torch.randint(0, 10, (16,))
    logits = torch.randn(16, 10)
    t = smooth_labels(y, 10, 0.1)
    assert torch.allclose(t.sum(1), torch.ones(16))
    assert torch.allclose(F.cross_entropy(logits, t), F.cross_entropy(logits, y, label_smoothing=0.1))
    with pytest.raises(ValueError):
        smooth_labels(y, 10, 1.5)


def test_mixup_blends_images_and_targets():
    torch.manual_seed(0)
    mix = Mixup(alpha=0.4, num_classes=5)
    x = torch.randn(8, 3, 4, 4)
    y = torch.randint(0, 5, (8,))
    xm, ym = mix(x, y)
    lam, perm = mix.lam, mix.perm
    assert 0 <= lam <= 1
    assert torch.allclose(xm, lam * x + (1 - lam) * x[perm])
    one_hot = F.one_hot(y, 5).float()
    assert torch.allclose(ym, lam * one_hot + (1 - lam) * one_hot[perm])
    # the mixup loss is the lecture's lam * CE(y_a) + (1 - lam) * CE(y_b)
    logits = torch.randn(8, 5)
    assert torch.allclose(F.cross_entropy(logits, ym),
                          lam * F.cross_entropy(logits, y) + (1 - lam) * F.cross_entropy(logits, y[perm]))
    with pytest.raises(ValueError):
        Mixup(alpha=0)


def test_distill_targets_and_teacher_mode():
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(6, 4), nn.Dropout(0.5))
    teacher.train()
    x, y = torch.randn(5, 6), torch.tensor([0, 1, 2, 3, 0])
    kd = Distill(teacher, temperature=3.0, alpha=0.6, num_classes=4)
    x2, t = kd(x, y)
    assert x2 is x and not teacher.training
    want = 0.6 * torch.softmax(teacher(x) / 3.0, 1) + 0.4 * F.one_hot(y, 4).float()
    assert torch.allclose(t, want) and not t.requires_grad
    with pytest.raises(ValueError):
        Distill(teacher, temperature=0)


def test_batch_fns_train_with_fit():
    torch.manual_seed(0)
    x = torch.randn(64, 1, 4, 4)
    y = (x.flatten(1).sum(1) > 0).long()
    data = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    teacher = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    for fn in (Mixup(0.2, 2), Distill(teacher, num_classes=2)):
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        h = fit(model, data, data, epochs=2, progress=False, device="cpu", batch_fn=fn)
        assert h.status == "finished" and len(h) == 2


# ---------------------------------------------------------------- plots

def _hist(name, n=3):
    h = History(name=name)
    for e in range(n):
        h.append(train_loss=1.0 / (e + 1), train_acc=0.3 + 0.1 * e, test_loss=1.1, test_acc=0.25 + 0.05 * e,
                 lr=1e-3, seconds=1.0)
    return h


def test_plot_curves_grid_and_ladder():
    fig = plot_curves_grid({f"run {k}": _hist(f"r{k}") for k in range(7)}, ncols=4, title="t")
    assert len(fig.axes) == 8 and sum(ax.axison for ax in fig.axes) == 7
    plt.close(fig)
    fig = plot_ladder(["a", "b", "c"], {"lecture": [0.78, None, 0.84], "ours": [0.3, 0.35, 0.4]})
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)
    with pytest.raises(ValueError):
        plot_ladder(["a", "b"], {"ours": [0.1]})
    with pytest.raises(ValueError):
        plot_curves_grid({})


# ---------------------------------------------------------------- exercise checks

def test_exercise_checks_accept_solutions_and_reject_wrong_answers(capsys):
    def dropout(x, p, training):
        if not training or p == 0:
            return x
        return x * (torch.rand_like(x) >= p).float() / (1 - p)

    def mix(x, y, lam, perm, k):
        t = F.one_hot(y, k).float()
        return lam * x + (1 - lam) * x[perm], lam * t + (1 - lam) * t[perm]

    def epochs_to_reach(gamma, fraction):
        n = 0
        while gamma ** n > fraction * (1 + 1e-12):
            n += 1
        return n

    def kd(s, t, y, T, a):
        soft = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
        return a * soft + (1 - a) * F.cross_entropy(s, y)

    check("08.1", dropout)
    check("08.2", smooth_labels)
    check("08.3", mix)
    check("08.4", epochs_to_reach)
    check("08.5", kd)
    assert epochs_to_reach(0.96, 0.5) == 17
    with pytest.raises(ExerciseFailed):
        check("08.1", lambda x, p, training: x * (torch.rand_like(x) >= p).float())  # not rescaled
    with pytest.raises(ExerciseFailed):
        check("08.2", lambda y, k, eps: F.one_hot(y, k).float())
    with pytest.raises(ExerciseFailed):
        check("08.4", lambda gamma, fraction: 1)
    with pytest.raises(ExerciseFailed):
        check("08.5", lambda s, t, y, T, a: F.cross_entropy(s, y))
