"""Clear errors for bad input to the figures of cnnkit.plot (learning curves, image grids, evaluation)."""
import matplotlib.pyplot as plt
import pytest
import torch

import cnnkit
from cnnkit import plot
from cnnkit.history import History


@pytest.fixture
def hist():
    h = History(name="net")
    for e in (1, 2):
        h.append(epoch=e, train_loss=1.0 / e, train_acc=0.5 + e / 10, test_loss=1.1 / e, test_acc=0.45 + e / 10)
    return h


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_metrics_given_as_one_string_is_an_error_not_three_panels(hist):
    with pytest.raises(TypeError, match=r"metrics must be a non-empty sequence of metric names, e.g. \('loss', 'acc'\) or \('acc',\); got 'acc'"):
        cnnkit.plot_history(hist, metrics="acc")
    assert len(cnnkit.plot_history(hist, metrics=("acc",)).axes) == 1


@pytest.mark.parametrize("call, err, msg", [
    (lambda h: cnnkit.plot_history(h, metrics=("accuracy",)), ValueError,
     r"metric 'accuracy' is not recorded in run 'net': expected one of \['acc', 'loss'\]"),
    (lambda h: cnnkit.plot_history(h, metrics=()), TypeError, r"metrics must be a non-empty sequence of metric names"),
    (lambda h: cnnkit.plot_history(h, metrics=("acc", 3)), TypeError, r"metrics must be a list or tuple of strings"),
    (lambda h: cnnkit.plot_history("net"), TypeError,
     r"histories must be a History, a list of them or a dict \{label: History\}; got str"),
    (lambda h: cnnkit.plot_history({"a": h, "b": [1, 2]}), TypeError, r"histories must be .*; got a list among them"),
    (lambda h: cnnkit.plot_history([]), ValueError, r"plot_history needs at least one History"),
    (lambda h: plot.plot_curves_grid([h], metric=("acc",)), TypeError, r"metric must be one metric name such as 'acc'"),
    (lambda h: plot.plot_curves_grid([h], metric="top5"), ValueError, r"metric 'top5' is not recorded in run 'net'"),
    (lambda h: plot.plot_curves_grid([h], ncols=0), ValueError, r"ncols must be an integer >= 1; got 0"),
])
def test_curves_bad_input(hist, call, err, msg):
    with pytest.raises(err, match=msg):
        call(hist)


@pytest.mark.parametrize("call, err, msg", [
    (lambda: cnnkit.show_images(torch.zeros(0, 1, 8, 8)), ValueError, r"images is empty: nothing to show"),
    (lambda: cnnkit.show_images([]), ValueError, r"images must be \(N, C, H, W\) or \(N, H, W\) images; got shape \(0,\)"),
    (lambda: cnnkit.show_images(torch.zeros(4, 1, 8, 8), n=0), ValueError, r"n must be an integer >= 1; got 0"),
    (lambda: cnnkit.show_images(torch.zeros(4, 1, 8, 8), ncols=0), ValueError, r"ncols must be an integer >= 1; got 0"),
    (lambda: cnnkit.show_images(torch.zeros(2, 1, 1, 8, 8)), ValueError, r"images must be \(N, C, H, W\) or \(N, H, W\) images; got shape \(2, 1, 1, 8, 8\)"),
    (lambda: cnnkit.show_images(torch.zeros(2, 8, 8, 3)), ValueError, r"images must have 1 \(grey\) or 3 \(colour\) channels; got shape \(2, 8, 8, 3\)"),
    (lambda: cnnkit.show_images(torch.zeros(2, 1, 8, 8), [0], ("a", "b")), ValueError, r"labels has 1 entries for 2 images"),
    (lambda: cnnkit.show_images(torch.zeros(2, 1, 8, 8), [0, 5], ("a", "b")), ValueError, r"labels must be class indices 0..1; got values 0..5"),
    (lambda: cnnkit.show_images(torch.zeros(2, 1, 8, 8), [0, 1], "ab"), TypeError, r"classes must be a list or tuple of strings"),
    (lambda: cnnkit.show_images(torch.zeros(2, 1, 8, 8), preds=[0, 1]), ValueError, r"preds needs labels too"),
    (lambda: cnnkit.show_kernels(torch.zeros(0, 3, 3, 3)), ValueError, r"weight is empty: nothing to show"),
    (lambda: cnnkit.show_kernels(torch.zeros(4, 0, 3, 3)), ValueError, r"weight is empty: nothing to show"),
    (lambda: cnnkit.show_kernels(torch.zeros(4, 3, 3)), ValueError, r"weight must be \(out, in, k, k\) kernels \(or one 2-D kernel\); got shape \(4, 3, 3\)"),
    (lambda: cnnkit.show_kernels(torch.zeros(4, 1, 3, 3), ncols=-1), ValueError, r"ncols must be an integer >= 1; got -1"),
    (lambda: cnnkit.show_feature_maps(torch.zeros(0, 8, 8)), ValueError, r"maps is empty: nothing to show"),
    (lambda: cnnkit.show_feature_maps(torch.zeros(0, 4, 8, 8)), ValueError, r"maps is empty: nothing to show"),
    (lambda: cnnkit.show_feature_maps(torch.zeros(8)), ValueError, r"maps must be one feature map \(C, H, W\) or \(1, C, H, W\); got shape \(8,\)"),
    (lambda: cnnkit.show_feature_maps(torch.zeros(3, 8, 8), titles=["a"]), ValueError, r"titles has 1 names for 3 maps"),
    (lambda: cnnkit.show_feature_maps(torch.zeros(3, 8, 8), n=0), ValueError, r"n must be an integer >= 1; got 0"),
])
def test_image_grids_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


@pytest.mark.parametrize("call, err, msg", [
    (lambda: plot.plot_confusion([0, 1], [0, 1], "ab"), TypeError, r"classes must be a list or tuple of strings"),
    (lambda: plot.plot_confusion([], [], ("a", "b")), ValueError, r"y_true is empty: nothing to show"),
    (lambda: plot.plot_confusion([0, 2], [0, 1], ("a", "b")), ValueError, r"y_true must be class indices 0..1; got values 0..2"),
    (lambda: plot.plot_confusion([0, 1], [0, -1], ("a", "b")), ValueError, r"y_pred must be class indices 0..1; got values -1..0"),
    (lambda: plot.plot_confusion([0, 1], [0, 1], ("a", "b"), normalize="all"), ValueError, r"normalize must be None, 'true' or 'pred'; got 'all'"),
    (lambda: plot.plot_roc([0, 1], torch.rand(2, 3), ("a", "b")), ValueError, r"scores must be \(N=2, num_classes=2\); got \(2, 3\)"),
    (lambda: plot.plot_roc([0, 3], torch.rand(2, 2), ("a", "b")), ValueError, r"y_true must be class indices 0..1; got values 0..3"),
    (lambda: plot.most_confident_mistakes(torch.rand(4, 2), torch.zeros(4), k=0), ValueError, r"k must be an integer >= 1; got 0"),
    (lambda: plot.most_confident_mistakes(torch.rand(4, 2), torch.zeros(3)), ValueError, r"probs must be \(N, num_classes\) with N = len\(y_true\) = 3"),
    (lambda: plot.show_score_maps(torch.zeros(28, 28), torch.rand(2, 3, 3), "ab"), TypeError, r"classes must be a list or tuple of strings"),
    (lambda: plot.show_score_maps(torch.zeros(1, 1, 28, 28), torch.rand(2, 3, 3), ("a", "b")), ValueError,
     r"image must be one image \(C, H, W\) or \(H, W\); got shape \(1, 1, 28, 28\)"),
    (lambda: plot.show_score_maps(torch.zeros(28, 28), torch.rand(2, 3, 3), ("a", "b"), stride=0), ValueError, r"stride must be an integer >= 1; got 0"),
    (lambda: plot.show_score_maps(torch.zeros(28, 28), torch.rand(2, 3, 3), ("a", "b"), show=[4]), ValueError, r"show must be class indices 0..1; got \[4\]"),
    (lambda: plot.plot_ladder("ab", {"x": [1, 2]}), TypeError, r"names must be a list or tuple of strings"),
    (lambda: plot.plot_ladder(["a", "b"], [[1, 2]]), TypeError, r"series must be a dict \{label: one value per rung\}; got list"),
    (lambda: plot.plot_ladder(["a", "b"], {"x": [1]}), ValueError, r"series 'x' has 1 values for 2 rungs"),
    (lambda: plot.plot_grad_norms([1]), TypeError, r"recorders must be a dict \{label: GradNorms\}; got list"),
    (lambda: plot.plot_grad_norms({}), ValueError, r"plot_grad_norms needs at least one GradNorms recorder"),
])
def test_evaluation_figures_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_valid_figures_still_draw(hist):
    assert len(cnnkit.show_images(torch.zeros(3, 8, 8), [0, 1, 1], ["a", "b"], preds=torch.tensor([0, 0, 1])).axes) == 3
    assert plot.plot_confusion(torch.tensor([0, 1, 1]), [0, 1, 0], ["a", "b"]) is not None
    assert len(plot.plot_curves_grid({"x": hist, "y": hist}).axes) == 2


def test_histories_from_any_iterable(hist):
    assert len(cnnkit.plot_history(iter([hist, hist])).axes) == 2
    assert len(cnnkit.plot_history({"a": hist}.values(), metrics=["acc"]).axes) == 1


def test_learning_curves_tick_whole_epochs(hist):
    fig = cnnkit.plot_history(hist)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
