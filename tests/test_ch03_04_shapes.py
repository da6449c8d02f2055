"""Chapters 03-04: the output-size formula against real layers, scratch pooling against torch,
formula_shapes against forward passes, and the chapters' models."""
import itertools

import pytest
import torch
from torch import nn

from cnnkit import count_params, output_shape
from cnnkit.models import DOWNSAMPLING, Resize, all_conv_net, downsample_cnn
from cnnkit.scratch import conv_output_size, corr2d, formula_shapes, pool2d

SIZES = (5, 7, 8, 13, 28, 32)
KERNELS = (1, 2, 3, 5, 7)
STRIDES = (1, 2, 3)
PADDINGS = (0, 1, 2, 3)
DILATIONS = (1, 2)


def _combos():
    for n, k, s, p, d in itertools.product(SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS):
        if n + 2 * p >= d * (k - 1) + 1:
            yield n, k, s, p, d


def test_conv_output_size_matches_conv2d():
    checked = 0
    for n, k, s, p, d in _combos():
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        with torch.no_grad():
            got = conv(torch.zeros(1, 1, n, n)).shape[-1]
        assert conv_output_size(n, k, p, s, d) == got, (n, k, s, p, d)
        checked += 1
    assert checked > 500


def test_conv_output_size_matches_maxpool2d():
    checked = 0
    for n, k, s, p, d in _combos():
        if p > k // 2:          # PyTorch pooling allows at most half the kernel as padding
            continue
        pool = nn.MaxPool2d(k, stride=s, padding=p, dilation=d)
        assert conv_output_size(n, k, p, s, d) == pool(torch.zeros(1, 1, n, n)).shape[-1], (n, k, s, p, d)
        checked += 1
    assert checked > 150


def test_conv_output_size_rectangular_and_lecture_numbers():
    conv = nn.Conv2d(1, 1, (3, 5), stride=(2, 1), padding=(1, 2))
    h, w = conv(torch.zeros(1, 1, 11, 20)).shape[-2:]
    assert (h, w) == (conv_output_size(11, 3, 1, 2), conv_output_size(20, 5, 2, 1))
    sizes = [32]
    for _ in range(7):
        sizes.append(conv_output_size(sizes[-1], 5))
    assert sizes == [32, 28, 24, 20, 16, 12, 8, 4]
    assert conv_output_size(4, 3) == 2 and conv_output_size(4, 3, padding=1) == 4


def test_conv_output_size_rejects_bad_input():
    with pytest.raises(ValueError):
        conv_output_size(3, 5)
    with pytest.raises(ValueError):
        conv_output_size(8, 3, stride=0)


def test_d2l_stride_formula_agrees():
    for n, k, s, p, _ in _combos():
        assert (n - k + 2 * p + s) // s == conv_output_size(n, k, p, s)


def test_strided_corr2d_example():
    y = corr2d(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2), stride=(3, 2), padding=1)
    assert y.tolist() == [[0.0, 8.0], [6.0, 8.0]]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size,stride,padding", [(2, None, 0), (2, 1, 0), (3, 2, 1), (3, 3, 0), ((2, 3), (1, 2), 0)])
def test_pool2d_matches_torch(mode, size, stride, padding):
    torch.manual_seed(0)
    x = torch.randn(3, 9, 10)
    layer = (nn.MaxPool2d if mode == "max" else nn.AvgPool2d)(size, stride=stride, padding=padding)
    want = layer(x.unsqueeze(0))[0]
    got = pool2d(x, size, stride, mode=mode, padding=padding)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-6)


def test_pool2d_lecture_example_and_errors():
    x = torch.arange(16.).view(4, 4)
    assert pool2d(x, 2).tolist() == [[5.0, 7.0], [13.0, 15.0]]
    assert pool2d(x, 2, mode="avg").tolist() == [[2.5, 4.5], [10.5, 12.5]]
    with pytest.raises(ValueError):
        pool2d(x, 2, mode="min")
    with pytest.raises(ValueError):
        pool2d(torch.zeros(1, 1, 4, 4), 2)


def test_pooling_has_no_parameters_and_keeps_channels():
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(2), Resize(0.5)):
        assert count_params(layer) == 0
        assert layer(torch.zeros(1, 7, 8, 8)).shape == (1, 7, 4, 4)


def test_bilinear_half_equals_average_pooling():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 24, 24)
    assert torch.allclose(Resize(0.5)(x), nn.AvgPool2d(2)(x), atol=1e-6)


@pytest.mark.parametrize("down", DOWNSAMPLING)
def test_downsample_cnn(down):
    m = downsample_cnn(down)
    assert count_params(m) == 1_588_490
    assert output_shape(m, (1, 28, 28)) == (10,)
    assert output_shape(m[:-2], (1, 28, 28)) == (512, 2, 2)
    rows = formula_shapes(m, (1, 28, 28))
    assert rows[-1]["output"] == (10,)
    with pytest.raises(ValueError):
        downsample_cnn("min")


def test_all_conv_net():
    m = all_conv_net()
    assert count_params(m) == 1_818_890
    sizes = [r["output"] for r in formula_shapes(m, (1, 28, 28)) if r["layer"].endswith("Conv2d")]
    assert [s[1] for s in sizes] == [28, 14, 14, 7, 7]
    assert output_shape(m, (1, 28, 28)) == (10,)
    assert output_shape(all_conv_net(in_channels=3, image_size=32), (3, 32, 32)) == (10,)
    with pytest.raises(ValueError):
        all_conv_net(strides=(1, 2))


def _real_shapes(model, size):
    shapes = []
    hooks = [m.register_forward_hook(lambda mod, i, o: shapes.append(tuple(o.shape[1:])))
             for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model(torch.zeros(1, *size))
    for h in hooks:
        h.remove()
    return shapes


@pytest.mark.parametrize("model,size", [
    (lambda: all_conv_net(), (1, 28, 28)),
    (lambda: downsample_cnn("resize"), (1, 28, 28)),
    (lambda: downsample_cnn("stride", in_channels=3, image_size=32), (3, 32, 32)),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 4, padding="same", dilation=2), nn.BatchNorm2d(8), nn.ReLU(),
                           nn.Conv2d(8, 8, 3, padding="valid", stride=(2, 1)), nn.MaxPool2d(3, 2, 1, dilation=1),
                           nn.AvgPool2d((2, 3)), nn.Upsample(scale_factor=1.5), nn.AdaptiveAvgPool2d(2),
                           nn.Flatten(), nn.Dropout(), nn.Linear(32, 5)), (3, 30, 33)),
])
def test_formula_shapes_match_forward(model, size):
    m = model()
    assert [r["output"] for r in formula_shapes(m, size)] == _real_shapes(m, size)


def test_formula_shapes_errors():
    with pytest.raises(ValueError, match="channels"):
        formula_shapes(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 8, 8))
    with pytest.raises(ValueError, match="features"):
        formula_shapes(nn.Sequential(nn.Flatten(), nn.Linear(10, 2)), (1, 4, 4))
    with pytest.raises(ValueError, match="does not know"):
        formula_shapes(nn.Sequential(nn.PixelShuffle(2)), (4, 4, 4))


# ---- the exercise checks of chapters 03 and 04 accept the solutions and reject wrong answers
from cnnkit.checks import ExerciseFailed, check  # noqa: E402


def _solutions():
    import torch.nn.functional as F
    return {
        "03.1": (lambda c, h, w, k, s: (c, (h - k) // s + 1, (w - k) // s + 1),
                 lambda c, h, w, k, s: (c, h // k, w // k)),
        "03.2": (lambda x, k: -F.max_pool2d(-x, k), lambda x, k: F.max_pool2d(x, k)),
        "03.3": (lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1), lambda x: x.amax((2, 3))),
        "04.1": (lambda n, k, p, s: (n - k + p + s) // s, lambda n, k, p, s: (n - k + 2 * p + s) // s),
        "04.2": (lambda k, d=1: d * (k - 1) // 2, lambda k, d=1: (k - 1) // 2),
        "04.3": (lambda n, k: (n - 1) // (k - 1) if k > 1 else 10**9, lambda n, k: n // k),
        "04.4": (lambda: all_conv_net(in_channels=3, image_size=32), lambda: all_conv_net(in_channels=3, image_size=32, strides=(1, 2, 1, 1, 2))),
    }


@pytest.mark.parametrize("ex_id", sorted(_solutions()))
def test_exercise_checks(ex_id, capsys):
    right, wrong = _solutions()[ex_id]
    check(ex_id, right)
    assert "✓" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        check(ex_id, wrong)
