"""Chapters 05-06: score-map heatmaps, confusion matrix, ROC curves, confident mistakes; exercise checks."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnkit.checks import ExerciseFailed, check  # noqa: E402
from cnnkit.plot import most_confident_mistakes, plot_confusion, plot_roc, show_score_maps  # noqa: E402

CLASSES = tuple("abcdefghij")


def _predictions(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 10
    logits = torch.randn(n, 10, generator=g) + 3 * torch.nn.functional.one_hot(y, 10)
    return y, logits.softmax(1)


def test_show_score_maps_draws_input_argmax_and_class_panels():
    image = torch.rand(76, 112)
    scores = torch.randn(10, 13, 22).softmax(0)
    fig = show_score_maps(image, scores, CLASSES, show=[1, 2, 3], title="t")
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert "input" in titles and "most likely class" in titles and "P(b)" in titles
    fig = show_score_maps(torch.rand(1, 28, 28), scores[:, :1, :1], CLASSES)   # one position
    assert isinstance(fig, Figure)
    plt.close("all")
    with pytest.raises(ValueError):
        show_score_maps(image, torch.rand(3, 4, 4), CLASSES)


def test_plot_confusion_counts_and_normalised():
    y, probs = _predictions()
    pred = probs.argmax(1)
    fig = plot_confusion(y, pred, CLASSES, title="cm")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 100 and texts[0] == str(int(((y == 0) & (pred == 0)).sum()))
    fig = plot_confusion(y.numpy(), pred.numpy(), CLASSES, normalize="true")
    assert "." in fig.axes[0].texts[0].get_text()
    fig, axes = plt.subplots(1, 2)
    assert plot_confusion(y, pred, CLASSES, ax=axes[0]) is fig
    plt.close("all")
    with pytest.raises(ValueError):
        plot_confusion(y, pred, CLASSES, normalize="rows")
    with pytest.raises(ValueError):
        plot_confusion(y, pred[:-1], CLASSES)


def test_plot_roc_one_curve_per_class_with_auc():
    y, probs = _predictions()
    fig = plot_roc(y, probs, CLASSES, title="roc")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 11        # ten classes and the chance diagonal
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("a (AUC ") and len(labels) == 10
    plt.close("all")
    with pytest.raises(ValueError):
        plot_roc(y, probs[:, :5], CLASSES)


def test_most_confident_mistakes_ranks_wrong_predictions():
    y = torch.tensor([0, 1, 2, 0, 1])
    probs = torch.tensor([[0.9, 0.1, 0.0],    # right
                          [0.7, 0.2, 0.1],    # wrong, 0.7
                          [0.05, 0.95, 0.0],  # wrong, 0.95
                          [0.4, 0.6, 0.0],    # wrong, 0.6
                          [0.1, 0.8, 0.1]])   # right
    assert most_confident_mistakes(probs, y).tolist() == [2, 1, 3]
    assert most_confident_mistakes(probs, y, k=1).tolist() == [2]
    assert most_confident_mistakes(probs[[0, 4]], y[[0, 4]]).tolist() == []
    with pytest.raises(ValueError):
        most_confident_mistakes(probs, y[:3])


def test_chapter_05_06_checks_accept_right_and_reject_wrong_answers(capsys):
    import torch.nn.functional as F

    check("05.1", lambda x, w, b: F.conv2d(x, w[:, :, None, None], b))
    check("05.2", lambda h, w: (h // 4 - 6, w // 4 - 6))
    check("05.3", lambda ci, co, k, h, w: (k * k * ci * co, k * k * ci * co * h * w,
                                           k * k * ci + ci * co, (k * k * ci + ci * co) * h * w))
    check("06.1", lambda n, ci, co: 9 * ci * co + co + (n - 1) * (9 * co * co + co))

    def precision_recall(cm):
        cm = np.asarray(cm, dtype=float)
        return np.diag(cm) / np.maximum(cm.sum(0), 1), np.diag(cm) / np.maximum(cm.sum(1), 1)
    check("06.2", precision_recall)
    from sklearn.metrics import roc_auc_score
    check("06.3", lambda labels, scores: roc_auc_score(np.asarray(labels), np.asarray(scores)))
    assert capsys.readouterr().out.count("✓") == 6
    with pytest.raises(ExerciseFailed):
        check("05.2", lambda h, w: (h // 4, w // 4))
    with pytest.raises(ExerciseFailed):
        check("06.2", lambda cm: precision_recall(cm)[::-1])
    with pytest.raises(ExerciseFailed):
        check("06.3", lambda labels, scores: 0.5)
