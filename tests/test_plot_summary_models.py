import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnnkit import models  # noqa: E402
from cnnkit.plot import plot_history, show_feature_maps, show_images, show_kernels  # noqa: E402
from cnnkit.summary import check_input, count_params, output_shape, summary  # noqa: E402
from cnnkit.train import History  # noqa: E402


def _history(name, acc):
    h = History(name)
    for e in range(3):
        h.append(train_loss=1 - 0.1 * e, train_acc=acc + 0.01 * e, test_loss=1.1 - 0.1 * e, test_acc=acc, lr=1e-3, seconds=1)
    return h


def test_plot_history_one_and_many_runs():
    fig = plot_history(_history("a", 0.5))
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    fig = plot_history({"one": _history("a", 0.5), "two": _history("b", 0.6)}, metrics=("acc",), title="t")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 4
    fig = plot_history([_history("a", 0.5), _history("b", 0.6)])
    assert len(fig.axes[0].lines) == 4
    plt.close("all")
    with pytest.raises(ValueError):
        plot_history({})


def test_plot_history_puts_a_long_legend_beside_the_panels():
    runs = {f"run {i}": _history(f"r{i}", 0.1 * i) for i in range(1, 8)}
    fig = plot_history(runs, metrics=("acc",))
    fig.canvas.draw()
    ax = fig.axes[0]
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1          # does not cover the curves
    assert len(ax.get_legend().get_texts()) == 14
    plt.close("all")


def test_show_images_grey_rgb_and_predictions(tiny_data, rgb_data):
    fig = show_images(tiny_data, n=10, ncols=5)
    assert len(fig.axes) == 10 and fig.axes[0].get_title() == "a"
    fig = show_images(rgb_data.x[:4], rgb_data.y[:4], rgb_data.classes, preds=torch.tensor([0, 0, 2, 3]))
    assert "true: b" in fig.axes[1].get_title()
    fig = show_images(torch.rand(3, 8, 8))
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match=r"images must be \(N, C, H, W\) or \(N, H, W\) images"):
        show_images(torch.rand(8, 8))
    plt.close("all")


def test_show_kernels_and_feature_maps():
    fig = show_kernels(nn.Conv2d(3, 6, 5).weight, ncols=3)
    assert len(fig.axes) == 6
    fig = show_kernels(nn.Conv2d(1, 5, 3).weight)
    assert len(fig.axes) == 5
    fig = show_feature_maps(torch.rand(1, 12, 10, 10), n=8, ncols=4, titles=[str(i) for i in range(8)])
    assert len(fig.axes) == 8
    with pytest.raises(ValueError):
        show_kernels(torch.rand(2, 2, 2, 2, 2))
    with pytest.raises(ValueError):
        show_feature_maps(torch.rand(2, 2, 2, 2, 2))
    plt.close("all")


def test_count_params_and_summary():
    model = models.mlp((256,), in_features=784)
    assert count_params(model) == 784 * 256 + 256 + 256 * 10 + 10
    s = summary(model, (1, 28, 28))
    assert s.total_params == 203530
    text = str(s)
    assert "Total params: 203,530" in text and "Units." not in text
    model[1].weight.requires_grad_(False)
    assert count_params(model, trainable_only=True) == 203530 - 784 * 256


def test_first_cnn_matches_the_lecture():
    model = models.first_cnn()
    assert count_params(model) == 2_635_146
    assert output_shape(model[:8], (1, 28, 28)) == (256, 4, 4)
    cifar = models.first_cnn(in_channels=3, image_size=32)
    assert output_shape(cifar, (3, 32, 32)) == (10,)
    with pytest.raises(ValueError, match=r"image_size=20 is too small for first_cnn.*at least 25x25"):
        models.first_cnn(image_size=20)


def test_mlp_init_and_depth():
    m = models.mlp((256, 256, 256), in_features=3072)
    assert sum(isinstance(x, nn.Linear) for x in m) == 4
    assert all(float(x.bias.detach().abs().sum()) == 0 for x in m if isinstance(x, nn.Linear))
    bound = (6 / 3072) ** 0.5  # kaiming uniform for ReLU: sqrt(6 / fan_in)
    assert float(m[1].weight.detach().abs().max()) <= bound + 1e-6
    with pytest.raises(ValueError, match="unknown init"):
        models.init_weights(m, "orthogonal")


def test_check_input_errors():
    with pytest.raises(ValueError, match="expects 3 input channels, the data has 1"):
        check_input(nn.Conv2d(3, 8, 3), (1, 28, 28))
    with pytest.raises(ValueError, match="cannot take an input of shape"):
        check_input(models.mlp(in_features=784), (3, 32, 32))
    with pytest.raises(ValueError, match="one example's shape"):
        summary(models.mlp(in_features=784), (1, 1, 28, 28))
    check_input(models.mlp(in_features=784), (1, 28, 28))
