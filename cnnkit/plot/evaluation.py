"""Plots that evaluate a trained classifier: the confusion matrix, ROC curves, the most
confident mistakes, and the class-score maps of a fully convolutional net.

>>> plot_confusion(y, logits.argmax(1), test.classes, normalize="true");    # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from .._checks_args import check_int, check_labels, check_names, check_nonempty


def plot_confusion(y_true, y_pred, classes: Sequence[str], *, normalize: str | None = None, ax=None,
                   title: str | None = None, cmap: str = "Blues"):
    """The confusion matrix as a seaborn heatmap: rows are the true classes, columns the predictions.

    ``normalize="true"`` divides every row by its count (the diagonal is then each class's
    recall), ``"pred"`` every column (the diagonal is the precision); ``None`` shows counts.
    Returns the figure.

    >>> plot_confusion(y, logits.argmax(1), test.classes, normalize="true");    # doctest: +SKIP
    """
    import seaborn as sns                               # seaborn and scikit-learn load on first use:
    from sklearn.metrics import confusion_matrix        # `import cnnkit` stays quick

    if normalize not in (None, "true", "pred"):
        raise ValueError(f"normalize must be None, 'true' or 'pred'; got {normalize!r}")
    classes = check_names("classes", classes)
    y_true = torch.as_tensor(y_true).cpu().numpy()
    y_pred = torch.as_tensor(y_pred).cpu().numpy()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}")
    check_nonempty("y_true", y_true.size)
    check_labels("y_true", y_true, y_true.size, classes)
    check_labels("y_pred", y_pred, y_pred.size, classes)
    cm = confusion_matrix(y_true, y_pred, labels=list(range(len(classes))), normalize=normalize)
    n = len(classes)
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.62 * n + 2.2, 0.55 * n + 1.2))
    else:
        fig = ax.figure
    sns.heatmap(cm, annot=True, fmt=".2f" if normalize else "d", cmap=cmap, square=True, cbar=False,
                xticklabels=classes, yticklabels=classes, annot_kws={"fontsize": 7}, ax=ax)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8)
    for lab in ax.get_xticklabels():
        lab.set_horizontalalignment("right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_roc(y_true, scores, classes: Sequence[str], *, ax=None, title: str | None = None):
    """One-vs-rest ROC curves: for every class, that class against all others, ranked by its score.

    ``scores`` is (N, num_classes), e.g. softmax probabilities. Each curve's legend shows its
    area under the curve (AUC); the dashed diagonal is a classifier that guesses. Returns the figure.

    >>> plot_roc(y, logits.softmax(1), test.classes);     # doctest: +SKIP
    """
    from sklearn.metrics import auc, roc_curve

    classes = check_names("classes", classes)
    y_true = torch.as_tensor(y_true).cpu().numpy()
    check_nonempty("y_true", y_true.size)
    check_labels("y_true", y_true, y_true.size, classes)
    s = torch.as_tensor(scores).detach().float().cpu().numpy()
    if s.ndim != 2 or s.shape != (len(y_true), len(classes)):
        raise ValueError(f"scores must be (N={len(y_true)}, num_classes={len(classes)}); got {s.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.6, 4.6))
    else:
        fig = ax.figure
    colours = plt.get_cmap("tab10").colors
    for c, name in enumerate(classes):
        fpr, tpr, _ = roc_curve(y_true == c, s[:, c])
        ax.plot(fpr, tpr, color=colours[c % 10], lw=1.3, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def most_confident_mistakes(probs, y_true, k: int = 16) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions made with the highest confidence, most confident first.

    ``probs`` is (N, num_classes) probabilities (or logits: the ranking is the same). Use them
    with :func:`show_images`:

    >>> idx = most_confident_mistakes(probs, y)                                # doctest: +SKIP
    >>> show_images(test.x[idx], y[idx], test.classes, preds=probs.argmax(1)[idx]);   # doctest: +SKIP
    """
    k = check_int("k", k, minimum=1)
    p = torch.as_tensor(probs).detach().float().cpu()
    y = torch.as_tensor(y_true).cpu()
    if p.dim() != 2 or p.shape[0] != y.shape[0]:
        raise ValueError(f"probs must be (N, num_classes) with N = len(y_true) = {y.shape[0]}; got {tuple(p.shape)}")
    conf, pred = p.max(1)
    wrong = (pred != y).nonzero().flatten()
    order = conf[wrong].argsort(descending=True, stable=True)
    return wrong[order[:k]]


def show_score_maps(image, scores, classes: Sequence[str], *, stride: int = 4, window: int = 28,
                    show: Sequence[int] | None = None, ncols: int = 4, size: float = 3.0, title: str | None = None):
    """Draw the class-score map of a fully convolutional net over the image it came from.

    ``image`` is one image (C, H, W) or (H, W) in 0..1; ``scores`` the net's output for it as
    (num_classes, h, w) probabilities (a softmax over dim 0). Score ``[:, i, j]`` belongs to the
    input window of ``window`` x ``window`` pixels starting at ``(stride*i, stride*j)``, so each
    score is drawn as a ``stride``-wide cell at its window's centre. Panels: the image; every
    position coloured by its most likely class (more opaque = more confident); then one panel
    per class in ``show`` (default: the classes that win somewhere) with that class's probability.

    >>> probs = fcn[:-1](canvas[None, None])[0].softmax(0)               # doctest: +SKIP
    >>> show_score_maps(canvas, probs, class_names("fashion_mnist"));   # doctest: +SKIP
    """
    classes = check_names("classes", classes)
    stride, window = check_int("stride", stride, minimum=1), check_int("window", window, minimum=1)
    ncols = check_int("ncols", ncols, minimum=1)
    img = torch.as_tensor(image).detach().float().cpu()
    if img.dim() not in (2, 3):
        raise ValueError(f"image must be one image (C, H, W) or (H, W); got shape {tuple(img.shape)}")
    if img.dim() == 3:
        img = img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)
    s = torch.as_tensor(scores).detach().float().cpu()
    if s.dim() == 4:
        s = s[0]
    if s.dim() != 3 or s.shape[0] != len(classes):
        raise ValueError(f"scores must be (num_classes={len(classes)}, h, w); got shape {tuple(s.shape)}")
    h, w = s.shape[1:]
    half = (window - 1) / 2
    extent = (half - stride / 2, half + stride * (w - 1) + stride / 2,
              half + stride * (h - 1) + stride / 2, half - stride / 2)
    conf, best = s.max(0)
    if show is None:
        show = sorted(set(best.flatten().tolist()))
    elif any(not 0 <= int(c) < len(classes) for c in show):
        raise ValueError(f"show must be class indices 0..{len(classes) - 1}; got {list(show)}")
    colours = plt.get_cmap("tab10").colors
    rgba = np.zeros((h, w, 4))
    for c in range(len(classes)):
        rgba[(best == c).numpy(), :3] = colours[c % 10]
    rgba[..., 3] = 0.25 + 0.6 * conf.numpy()
    heat = plt.get_cmap("plasma")(np.linspace(0, 1, 256))
    heat[:, 3] = np.linspace(0.0, 0.9, 256)          # low probability: transparent, the image shows
    heat = ListedColormap(heat)
    n_panels = 2 + len(show)
    ncols = min(ncols, n_panels)
    nrows = math.ceil(n_panels / ncols)
    aspect = img.shape[0] / img.shape[1]
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + 0.8, size * aspect * nrows + 1.3),
                             squeeze=False, constrained_layout=True)
    grey = dict(cmap="gray", vmin=0, vmax=1) if img.dim() == 2 else {}
    im = None
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n_panels:
            continue
        ax.imshow(img.numpy(), **grey)
        if k == 0:
            ax.set_title("input", fontsize=9)
        elif k == 1:
            ax.imshow(rgba, extent=extent, interpolation="nearest")
            ax.set_title("most likely class", fontsize=9)
        else:
            c = show[k - 2]
            im = ax.imshow(s[c].numpy(), cmap=heat, vmin=0, vmax=1, extent=extent, interpolation="nearest")
            ax.set_title(f"P({classes[c]})", fontsize=9)
        ax.set_xlim(-0.5, img.shape[1] - 0.5)
        ax.set_ylim(img.shape[0] - 0.5, -0.5)
    present = sorted(set(best.flatten().tolist()))
    fig.legend(handles=[Patch(color=colours[c % 10], label=classes[c]) for c in present], loc="outside lower center",
               ncol=min(len(present), 5), fontsize=8, frameon=False, title="most likely class", title_fontsize=8)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.6, label="probability")
    if title:
        fig.suptitle(title)
    return fig
