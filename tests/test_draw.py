"""cnnkit.draw: every diagram shows the numbers the chapters compute, and the animations embed as HTML."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch import nn  # noqa: E402

import cnnkit  # noqa: E402
from cnnkit import backprop as bp  # noqa: E402
from cnnkit import draw, models  # noqa: E402
from cnnkit.scratch import corr2d, corr2d_multi_in, pool2d  # noqa: E402

X3, K2 = torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2)           # chapter 02
X4 = torch.tensor([[1., 3., 2., 1.], [4., 6., 5., 0.], [7., 2., 9., 8.], [3., 1., 4., 6.]])   # chapter 03


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig, gid):
    return [t.get_text() for t in fig.axes[0].texts if t.get_gid() == gid]


def numbers(t, decimals=2):
    return [draw.fmt(v, decimals) for v in t.flatten().tolist()]


def test_fmt():
    assert [draw.fmt(v) for v in (19.0, 3.5, 3.25, -0.0001, 0.83250606, -2)] == ["19", "3.5", "3.25", "0", "0.83", "-2"]


def test_correlation_shows_chapter_02_numbers_and_the_sum():
    fig = draw.correlation(X3, K2)
    assert isinstance(fig, Figure)
    assert texts(fig, "input") == [str(i) for i in range(9)]
    assert texts(fig, "kernel") == ["0", "1", "2", "3"]
    assert texts(fig, "output") == ["19", "25", "37", "43"] == numbers(corr2d(X3, K2))
    assert texts(fig, "sum") == ["0\u00b70 + 1\u00b71 + 3\u00b72 + 4\u00b73 = 19"]
    fig = draw.correlation(X3, K2, position=(1, 1))
    assert texts(fig, "sum") == ["4\u00b70 + 5\u00b71 + 7\u00b72 + 8\u00b73 = 43"]


def test_correlation_with_padding_and_strides_chapter_04():
    fig = draw.correlation(X3, K2, stride=(3, 2), padding=1, position="all", title="strides 3 and 2")
    assert texts(fig, "output") == ["0", "8", "6", "8"]
    assert len(texts(fig, "input")) == 25 and texts(fig, "input")[:5] == ["0"] * 5      # the zero ring is drawn
    assert texts(fig, "sum") == [] and texts(fig, "title") == ["strides 3 and 2"]
    outlines = [p for p in fig.axes[0].patches if not p.get_fill()]
    assert len(outlines) == 2 * 4                                       # each window and its output cell


def test_paddings_rows_match_corr2d():
    x, k = torch.arange(1., 17.).view(4, 4), torch.ones(3, 3)
    fig = draw.paddings(x, k, (0, 1))
    assert texts(fig, "p0:output") == ["54", "63", "90", "99"] == numbers(corr2d(x, k))
    assert texts(fig, "p1:output") == numbers(corr2d(x, k, padding=1))
    assert texts(fig, "p1:sum")[0].endswith("= 14")


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="position"):
        draw.correlation(X3, K2, position=(2, 0))
    with pytest.raises(ValueError, match="x must be"):
        draw.correlation(torch.zeros(2, 3, 3), K2)
    with pytest.raises(ValueError, match="does not fit"):
        draw.correlation(K2, X3)
    with pytest.raises(ValueError, match="stride"):
        draw.correlation(X3, K2, stride=0)
    with pytest.raises(TypeError, match="x must be"):
        draw.correlation("abc", K2)


def test_multi_channel_sums_to_56():
    x = torch.stack([torch.arange(9.).view(3, 3), torch.arange(1., 10.).view(3, 3)])
    k = torch.stack([torch.arange(4.).view(2, 2), torch.arange(1., 5.).view(2, 2)])
    fig = draw.multi_channel(x, k)
    assert texts(fig, "c0:output") == ["19", "25", "37", "43"]
    assert texts(fig, "c1:output") == numbers(corr2d(x[1], k[1]))
    assert texts(fig, "output") == numbers(corr2d_multi_in(x, k))
    assert texts(fig, "sum") == ["19 + 37 = 56"]
    with pytest.raises(ValueError, match="same C"):
        draw.multi_channel(x, k[:1])


def test_pooling_chapter_03():
    fig = draw.pooling(X4)
    assert texts(fig, "max") == ["6", "5", "7", "9"] == numbers(pool2d(X4, 2))
    assert texts(fig, "avg") == ["3.5", "2", "3.25", "6.75"] == numbers(pool2d(X4, 2, mode="avg"))
    bold = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "input" and t.get_fontweight() == "bold"]
    assert sorted(bold) == ["5", "6", "7", "9"]
    assert texts(fig, "first") == ["max(1, 3, 4, 6) = 6", "(1 + 3 + 4 + 6) / 4 = 3.5"]
    with pytest.raises(ValueError, match="size"):
        draw.pooling(X4, 0)


def _field_by_autograd(layers, n):
    """Side of the input region that the middle unit of the last map depends on (ones weights, avg pools)."""
    net = nn.Sequential(*[nn.AvgPool2d(m.kernel_size, m.stride, m.padding) if isinstance(m, nn.MaxPool2d) else m
                          for m in layers])
    for m in net:
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0)
            nn.init.zeros_(m.bias)
    x = torch.ones(1, 1, n, n, requires_grad=True)
    y = net(x)
    c = (y.shape[-1] - 1) // 2
    y[0, 0, c, c].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero()
    return int(rows.max() - rows.min() + 1), y.shape[-1]


@pytest.mark.parametrize("stack, n", [
    ([nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)], 14),
    ([nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2)], 16),
    ([nn.Conv2d(1, 1, 5, stride=2), nn.Conv2d(1, 1, 3)], 15),
])
def test_receptive_field_agrees_with_autograd(stack, n):
    rows = draw.receptive_fields(nn.Sequential(*stack), n)
    field, last = _field_by_autograd(stack, n)
    assert rows[-1]["size"] == last
    a, b = rows[0]["span"]
    assert b - a + 1 == field == rows[-1]["field"]
    fig = draw.receptive_field(nn.Sequential(*stack), n)
    assert texts(fig, "field")[-1] == f"a unit sees\n{field}x{field} pixels"
    assert len(texts(fig, "stage")) == len(rows)


def test_receptive_field_grows_3_5_then_doubles_after_pooling():
    rows = draw.receptive_fields([nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)], 14)
    assert [r["field"] for r in rows] == [1, 3, 5, 6, 10]
    assert [r["size"] for r in rows] == [14, 12, 10, 5, 3]
    with pytest.raises(ValueError, match="Linear"):
        draw.receptive_fields([nn.Linear(3, 3)], 8)


def test_one_by_one_is_a_dense_layer_per_pixel():
    x = torch.arange(27.).view(3, 3, 3) % 5
    w = torch.tensor([[1., 0., -1.], [0.5, 1., 0.]])
    fig = draw.one_by_one(x, w, pixel=(1, 2))
    ref = F.conv2d(x[None], w[:, :, None, None])[0]
    assert texts(fig, "output") == numbers(ref)
    assert texts(fig, "node_in") == numbers(x[:, 1, 2])
    assert texts(fig, "node_out") == numbers(w @ x[:, 1, 2]) == numbers(ref[:, 1, 2])
    assert texts(fig, "weight") == numbers(w)
    conv = nn.Conv2d(3, 2, 1)
    fig = draw.one_by_one(x, conv.weight.detach(), conv.bias.detach())       # a real layer's (C_out, C_in, 1, 1)
    assert texts(fig, "output") == numbers(conv(x[None])[0].detach())
    with pytest.raises(ValueError, match="C_in"):
        draw.one_by_one(x, torch.ones(2, 4))
    with pytest.raises(ValueError, match="pixel"):
        draw.one_by_one(x, w, pixel=(3, 0))


def test_full_convolution_gives_the_input_gradient_of_chapter_09():
    V = torch.tensor([[1., 1., 2.], [1., 2., 1.], [2., 1., 1.]], dtype=torch.float64)
    W = torch.tensor([[0.6779961, -0.3282364], [0.61954254, -0.02001727]], dtype=torch.float64)
    target = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    m = bp.conv2d(V[None, None], W[None, None])
    dm = bp.relu_backward(bp.mse_backward(bp.relu(m), target), m)
    dV, _, _ = bp.conv2d_backward(dm, V[None, None], W[None, None])
    fig = draw.full_convolution(dm[0, 0], W)
    assert texts(fig, "output") == numbers(dV[0, 0])
    assert texts(fig, "kernel") == numbers(W.flip(0, 1))
    assert texts(fig, "kernel_original") == numbers(W)
    assert len(texts(fig, "input")) == 16                                     # 2x2 padded with 1 zero all round
    assert texts(fig, "sum")[0].endswith(f"= {draw.fmt(dV[0, 0, 1, 1])}")
    fig = draw.full_convolution(torch.ones(3, 3), torch.ones(3, 3), position=(0, 0))
    assert texts(fig, "output") == numbers(F.conv_transpose2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3))[0, 0])


def test_lenet5_diagram_from_the_model():
    lenet = models.lenet5()
    fig = draw.network(lenet, (1, 28, 28), title="LeNet-5")
    boxes = texts(fig, "box")
    assert boxes[0] == "input" and boxes[1] == "conv 5x5, 6\npad 2\n+ ReLU" and boxes[-1] == "dense 10"
    assert len(boxes) == 1 + 8                                # input + 2 conv, 2 pool, flatten, 3 dense
    shapes = texts(fig, "shape")
    assert shapes[:3] == ["1×28×28", "6×28×28", "6×14×14"] and shapes[-1] == "10"
    assert shapes[4] == "×".join(map(str, cnnkit.output_shape(lenet[:6], (1, 28, 28))))
    assert texts(fig, "title") == ["LeNet-5 (61,706 parameters)"]
    fig = draw.network(lenet, (1, 28, 28), merge=False, per_row=20)
    assert len(texts(fig, "box")) == 1 + 12
    with pytest.raises(ValueError, match="does not accept"):
        draw.network(lenet, (3, 28, 28))
    with pytest.raises(TypeError, match="nn.Module"):
        draw.network("lenet", (1, 28, 28))


def test_vgg_block_diagram():
    fig = draw.network(models.vgg_block(2, 3, 64), (3, 32, 32))
    assert texts(fig, "box") == ["input", "conv 3x3, 64\npad 1\n+ ReLU", "conv 3x3, 64\npad 1\n+ ReLU", "max pool 2x2"]
    assert texts(fig, "shape") == ["3×32×32", "64×32×32", "64×32×32", "64×16×16"]


def test_inception_diagram():
    block = models.Inception(192, 64, (96, 128), (16, 32), 32)
    fig = draw.inception(block, (192, 28, 28))
    boxes = texts(fig, "box")
    assert boxes[:2] == ["input", "concatenate\nchannels"] and len(boxes) == 2 + 7
    assert "max pool 3x3\nstride 1" in boxes and "conv 5x5, 32\npad 2\n+ ReLU" in boxes
    assert texts(fig, "shape")[1] == "256×28×28" == "×".join(map(str, cnnkit.output_shape(block, (192, 28, 28))))
    assert texts(fig, "title") == [f"Inception block ({cnnkit.count_params(block):,} parameters)"]
    with pytest.raises(TypeError, match="p1..p4"):
        draw.inception(nn.Conv2d(3, 3, 1), (3, 8, 8))


def test_residual_block_diagrams():
    fig = draw.residual(models.ResidualBlock(64, 64), (64, 16, 16))
    assert "identity shortcut" in texts(fig, "box") and texts(fig, "add") == ["+"]
    assert texts(fig, "shape")[-1] == "64×16×16"
    fig = draw.residual(models.ResidualBlock(64, 128, stride=2), (64, 16, 16))
    assert texts(fig, "box")[-2] == "conv 1x1, 128\nstride 2\n+ BN"
    assert texts(fig, "shape")[-1] == "128×8×8"
    fig = draw.residual(models.ResidualBlock(64, 64, shortcut=False), (64, 16, 16))
    assert texts(fig, "add") == [] and "plain" in texts(fig, "title")[0]
    with pytest.raises(TypeError, match="ResidualBlock"):
        draw.residual(nn.Conv2d(3, 3, 1), (3, 8, 8))


def test_describe_layers():
    assert draw.describe(nn.Conv2d(1, 6, 5, padding=2)) == ("conv", "conv 5x5, 6\npad 2")
    assert draw.describe(nn.Conv2d(3, 8, 3, stride=2, padding=1)) == ("conv", "conv 3x3, 8\nstride 2, pad 1")
    assert draw.describe(nn.AdaptiveAvgPool2d(1)) == ("pool", "global avg pool")
    assert draw.describe(nn.Dropout(0.5)) == ("other", "dropout 0.5")


def test_animation_has_one_frame_per_output_and_embeds_small():
    anim = draw.animate_correlation(X3, K2, stride=(3, 2), padding=1)
    assert isinstance(anim, FuncAnimation)
    fig = anim._fig
    assert plt.fignum_exists(fig.number)
    html = draw.player(anim)
    page = getattr(html, "data", html)
    assert page.count("data:image/png;base64") == 4
    assert len(page) < 1_000_000
    assert not plt.fignum_exists(fig.number), "the still figure is closed: only the player shows"
    with pytest.raises(TypeError, match="FuncAnimation"):
        draw.player(fig)


def test_animation_frames_fill_the_output_step_by_step():
    anim = draw.animate_correlation(X3, K2)
    ax = anim._fig.axes[0]
    seen = []
    for n in range(4):
        anim._func(n)
        seen.append([t.get_text() for t in ax.texts if t.get_gid() == "output"])
    assert seen == [["19"], ["19", "25"], ["19", "25", "37"], ["19", "25", "37", "43"]]
    draw.player(anim)                      # render it (an animation deleted unrendered warns)
