"""Figures the chapters draw: learning curves, image grids, kernels and feature maps.

Every function returns the matplotlib ``Figure``; end the notebook line with ``;``
so the figure shows once and no ``<Figure ...>`` text is stored.

>>> plot_history({"MLP": h1, "CNN": h2});   # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from .data import ImageData
from .train import History


def _histories(h) -> dict[str, History]:
    if isinstance(h, History):
        return {h.name or "run": h}
    if isinstance(h, Mapping):
        return dict(h)
    return {x.name or f"run {i + 1}": x for i, x in enumerate(h)}


def plot_history(histories, metrics: Sequence[str] = ("loss", "acc"), *, title: str | None = None,
                 test_label: str = "test"):
    """Learning curves: one panel per metric, train dashed and test solid, one colour per run.

    ``histories`` is a :class:`History`, a list of them, or a dict ``{label: History}``.

    >>> plot_history(h);                                  # doctest: +SKIP
    >>> plot_history({"depth 1": h1, "depth 2": h2});     # doctest: +SKIP
    """
    runs = _histories(histories)
    if not runs:
        raise ValueError("plot_history needs at least one History")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes[0], metrics):
        for k, (label, h) in enumerate(runs.items()):
            c = colours[k % len(colours)]
            ep = h["epoch"]
            tr = h[f"train_{metric}"]
            te = h[f"test_{metric}"]
            ax.plot(ep, tr, ls="--", color=c, alpha=0.8, label=f"{label} (train)")
            if any(v is not None for v in te):
                ax.plot(ep, te, ls="-", color=c, marker="o", ms=3, label=f"{label} ({test_label})")
        ax.set_xlabel("epoch")
        ax.set_ylabel({"acc": "accuracy", "loss": "loss"}.get(metric, metric))
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images, labels=None, classes: Sequence[str] | None = None, *, n: int = 32, ncols: int = 8,
                preds=None, title: str | None = None, size: float = 1.3):
    """A grid of images with their class names (and predictions, coloured red when wrong).

    ``images`` is an :class:`~cnnkit.data.ImageData`, a uint8 tensor (N, C, H, W) or a
    float tensor in 0..1.

    >>> show_images(load("fashion_mnist", train=False, n=16));    # doctest: +SKIP
    """
    if isinstance(images, ImageData):
        labels = images.y if labels is None else labels
        classes = images.classes if classes is None else classes
        images = images.x
    x = torch.as_tensor(images)[:n].detach().cpu()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4:
        raise ValueError(f"show_images expects (N, C, H, W) or (N, H, W) images; got shape {tuple(x.shape)}")
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float().clamp(0, 1)
    count = x.shape[0]
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * (labels is not None)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= count:
            continue
        img = x[k]
        if img.shape[0] == 1:
            ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(img.permute(1, 2, 0).numpy())
        if labels is not None:
            lab = int(labels[k])
            text = classes[lab] if classes else str(lab)
            colour = "black"
            if preds is not None:
                p = int(preds[k])
                text = f"{classes[p] if classes else p}\n(true: {text})" if p != lab else text
                colour = "crimson" if p != lab else "black"
            ax.set_title(text, fontsize=7, color=colour)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_kernels(weight: torch.Tensor, *, ncols: int = 8, title: str | None = None, size: float = 1.0):
    """Draw convolution kernels ``weight`` of shape (out, in, k, k).

    Three input channels are drawn as colour images, otherwise the first input
    channel in a diverging colour map (blue negative, red positive).

    >>> show_kernels(model[0].weight);      # doctest: +SKIP
    """
    w = torch.as_tensor(weight).detach().float().cpu()
    if w.dim() == 2:
        w = w[None, None]
    if w.dim() != 4:
        raise ValueError(f"show_kernels expects (out, in, k, k) weights; got shape {tuple(w.shape)}")
    count = w.shape[0]
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([]); ax.set_yticks([])
        if k >= count:
            ax.axis("off")
            continue
        if w.shape[1] == 3:
            img = w[k]
            img = (img - img.min()) / (img.max() - img.min() + 1e-8)
            ax.imshow(img.permute(1, 2, 0).numpy())
        else:
            lim = float(w[k, 0].abs().max()) or 1.0
            ax.imshow(w[k, 0].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(maps: torch.Tensor, *, n: int = 16, ncols: int = 8, title: str | None = None,
                      titles: Sequence[str] | None = None, cmap: str = "viridis", size: float = 1.3):
    """Draw the channels of one feature map (C, H, W) (or (1, C, H, W)) side by side.

    >>> show_feature_maps(model[0](x[:1]));    # doctest: +SKIP
    """
    m = torch.as_tensor(maps).detach().float().cpu()
    if m.dim() == 4:
        m = m[0]
    if m.dim() == 2:
        m = m[None]
    if m.dim() != 3:
        raise ValueError(f"show_feature_maps expects (C, H, W) maps; got shape {tuple(m.shape)}")
    m = m[:n]
    count = m.shape[0]
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.2), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < count:
            ax.imshow(m[k].numpy(), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- chapter 05 ---

def show_score_maps(image, scores, classes: Sequence[str], *, stride: int = 4, window: int = 28,
                    show: Sequence[int] | None = None, ncols: int = 4, size: float = 2.8, title: str | None = None):
    """Draw the class-score map of a fully convolutional net over the image it came from.

    ``image`` is one image (C, H, W) or (H, W) in 0..1; ``scores`` the net's output for it,
    (num_classes, h, w) probabilities (a softmax over dim 0). Score ``[:, i, j]`` belongs to the
    input window of ``window`` x ``window`` pixels starting at ``(stride*i, stride*j)``, so each
    score is drawn at its window's centre. The first panel colours every position by its
    most likely class; one panel per class in ``show`` (default: the classes that win somewhere)
    shows that class's probability.

    >>> probs = fcn[:-1](canvas[None]).softmax(1)[0]            # doctest: +SKIP
    >>> show_score_maps(canvas, probs, class_names("fashion_mnist"));   # doctest: +SKIP
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    img = torch.as_tensor(image).detach().float().cpu()
    if img.dim() == 3:
        img = img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)
    s = torch.as_tensor(scores).detach().float().cpu()
    if s.dim() == 4:
        s = s[0]
    if s.dim() != 3 or s.shape[0] != len(classes):
        raise ValueError(f"scores must be (num_classes={len(classes)}, h, w); got shape {tuple(s.shape)}")
    h, w = s.shape[1:]
    half = (window - 1) / 2
    # pixel centres of the windows, widened by half a stride so neighbouring cells touch
    extent = (half - stride / 2, half + stride * (w - 1) + stride / 2,
              half + stride * (h - 1) + stride / 2, half - stride / 2)
    best = s.argmax(0)
    if show is None:
        show = sorted(set(best.flatten().tolist()))
    n_panels = 1 + len(show)
    ncols = min(ncols, n_panels)
    nrows = math.ceil(n_panels / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    grey = dict(cmap="gray", vmin=0, vmax=1) if img.dim() == 2 else {}
    colours = plt.get_cmap("tab10").colors
    cmap = ListedColormap([colours[k % 10] for k in range(len(classes))])
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n_panels:
            continue
        ax.imshow(img.numpy(), **grey)
        if k == 0:
            ax.imshow(best.numpy(), cmap=cmap, vmin=-0.5, vmax=len(classes) - 0.5, alpha=0.55,
                      extent=extent, interpolation="nearest")
            ax.set_title("most likely class", fontsize=9)
            present = sorted(set(best.flatten().tolist()))
            ax.legend(handles=[Patch(color=colours[c % 10], label=classes[c]) for c in present],
                      fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        else:
            c = show[k - 1]
            im = ax.imshow(s[c].numpy(), cmap="magma", vmin=0, vmax=1, alpha=0.7, extent=extent,
                           interpolation="nearest")
            ax.set_title(f"P({classes[c]})", fontsize=9)
        ax.set_xlim(-0.5, img.shape[1] - 0.5)
        ax.set_ylim(img.shape[0] - 0.5, -0.5)
    if n_panels > 1:
        fig.colorbar(im, ax=list(axes.flat), shrink=0.6, label="probability")
    if title:
        fig.suptitle(title)
    return fig


# --- chapter 06 ---

def plot_confusion(y_true, y_pred, classes: Sequence[str], *, normalize: str | None = None, ax=None,
                   title: str | None = None, cmap: str = "Blues"):
    """The confusion matrix as a seaborn heatmap: rows are the true classes, columns the predictions.

    ``normalize="true"`` divides every row by its count (the diagonal is then each class's
    recall), ``"pred"`` every column (the diagonal is the precision); ``None`` shows counts.
    Returns the figure.

    >>> plot_confusion(y, logits.argmax(1), test.classes, normalize="true");    # doctest: +SKIP
    """
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    if normalize not in (None, "true", "pred"):
        raise ValueError(f"normalize must be None, 'true' or 'pred'; got {normalize!r}")
    y_true = torch.as_tensor(y_true).cpu().numpy()
    y_pred = torch.as_tensor(y_pred).cpu().numpy()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}")
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

    y_true = torch.as_tensor(y_true).cpu().numpy()
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
    p = torch.as_tensor(probs).detach().float().cpu()
    y = torch.as_tensor(y_true).cpu()
    if p.dim() != 2 or p.shape[0] != y.shape[0]:
        raise ValueError(f"probs must be (N, num_classes) with N = len(y_true) = {y.shape[0]}; got {tuple(p.shape)}")
    conf, pred = p.max(1)
    wrong = (pred != y).nonzero().flatten()
    order = conf[wrong].argsort(descending=True, stable=True)
    return wrong[order[:k]]
