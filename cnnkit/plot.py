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
    many = len(runs) > 3                                  # then the legend goes beside the panels
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics) + 2.6 * many, 3.6), squeeze=False)
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
    if many:
        axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    else:
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
    import numpy as np
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
    extent = (half - stride / 2, half + stride * (w - 1) + stride / 2,
              half + stride * (h - 1) + stride / 2, half - stride / 2)
    conf, best = s.max(0)
    if show is None:
        show = sorted(set(best.flatten().tolist()))
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


# --- chapter 07 ---

class GradNorms:
    """Record the gradient norm of every Conv2d and Linear weight after each backward pass.

    Pass an instance to :func:`cnnkit.fit` as ``after_backward``; it is called with the
    model after ``loss.backward()``. ``names`` are the layers in forward order, ``steps``
    the number of recorded batches and :meth:`mean` the average norm per layer (over all
    steps, or the first ``first`` of them). The norms stay on the training device until
    they are read, so recording does not slow a GPU down.

    >>> rec = GradNorms()
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    >>> m(torch.ones(5, 3)).sum().backward(); rec(m)
    >>> rec.names, rec.steps
    (['0', '1'], 1)
    """

    def __init__(self, kinds=(torch.nn.Conv2d, torch.nn.Linear)):
        self.kinds = tuple(kinds)
        self.names: list[str] = []
        self._norms: list[torch.Tensor] = []

    def __call__(self, model: torch.nn.Module) -> None:
        layers = [(n, m) for n, m in model.named_modules()
                  if isinstance(m, self.kinds) and m.weight.grad is not None]
        if not layers:
            raise ValueError("GradNorms found no Conv2d/Linear layer with a gradient; call it after backward()")
        names = [n for n, _ in layers]
        if not self.names:
            self.names = names
        elif names != self.names:
            raise ValueError("GradNorms recorded a different model before; use one recorder per model")
        self._norms.append(torch.stack([m.weight.grad.detach().float().norm() for _, m in layers]))

    @property
    def steps(self) -> int:
        return len(self._norms)

    def history(self) -> torch.Tensor:
        """All recorded norms as a CPU tensor (steps, layers)."""
        if not self._norms:
            raise ValueError("GradNorms has recorded nothing yet")
        return torch.stack(self._norms).cpu()

    def mean(self, first: int | None = None) -> torch.Tensor:
        """Mean gradient norm per layer over the first ``first`` steps (default: all)."""
        h = self.history()
        return h[:first].mean(0) if first else h.mean(0)


def plot_grad_norms(recorders: Mapping[str, GradNorms], *, first: int | None = None,
                    labels: Sequence[str] | None = None, title: str | None = None):
    """Mean gradient norm of each layer's weights (log scale), one line per model.

    The layers are numbered in forward order (1 = nearest the input); layers whose
    gradient is tiny learn slowly: a curve that falls towards the input shows
    vanishing gradients. ``first`` averages over the first steps only.

    >>> plot_grad_norms({"sigmoid": rec_sigmoid, "ReLU": rec_relu});   # doctest: +SKIP
    """
    if not recorders:
        raise ValueError("plot_grad_norms needs at least one GradNorms recorder")
    fig, ax = plt.subplots(figsize=(7, 3.6))
    most = 0
    for label, rec in recorders.items():
        g = rec.mean(first).clamp_min(1e-30)
        x = list(range(1, len(g) + 1))
        most = max(most, len(g))
        ax.semilogy(x, g.tolist(), marker="o", label=label)
    ax.set_xticks(range(1, most + 1))
    if labels is not None:
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("mean gradient norm of the weights")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


# --- chapter 08 ---

def plot_curves_grid(histories, metric: str = "acc", *, ncols: int = 5, title: str | None = None,
                     test_label: str = "val", panel_size: tuple[float, float] = (2.7, 2.3)):
    """Small multiples: one panel per run with its train (dashed) and test (solid) curve.

    All panels share both axes, so the gap between the two curves (overfitting) can be
    compared from panel to panel. ``histories`` as for :func:`plot_history`.

    >>> plot_curves_grid({"baseline": h0, "+ dropout": h1});     # doctest: +SKIP
    """
    runs = _histories(histories)
    if not runs:
        raise ValueError("plot_curves_grid needs at least one History")
    ncols = max(1, min(ncols, len(runs)))
    nrows = math.ceil(len(runs) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.4),
                             sharex=True, sharey=True, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(runs):
            ax.axis("off")
            continue
        label, h = list(runs.items())[k]
        ep = h["epoch"]
        ax.plot(ep, h[f"train_{metric}"], ls="--", color="C0", label="train")
        te = h[f"test_{metric}"]
        if any(v is not None for v in te):
            ax.plot(ep, te, ls="-", color="C1", marker="o", ms=2.5, label=test_label)
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel({"acc": "accuracy", "loss": "loss"}.get(metric, metric))
    axes[0][0].legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_ladder(names: Sequence[str], series: Mapping[str, Sequence], *, ylabel: str = "accuracy",
                title: str | None = None, width: float = 0.7):
    """Compare the rungs of a ladder of experiments: one line per series over the rungs.

    ``series`` maps a label (e.g. ``"lecture (val)"``, ``"ours (val)"``) to one value per
    rung; ``None`` (no figure) leaves a gap.

    >>> plot_ladder(["baseline", "+ BN"], {"lecture": [0.78, 0.84], "ours": [0.40, 0.45]});   # doctest: +SKIP
    """
    names = list(names)
    if not names or not series:
        raise ValueError("plot_ladder needs rung names and at least one series")
    fig, ax = plt.subplots(figsize=(max(5.0, width * len(names) + 2.5) + 2.5, 3.8))
    x = list(range(len(names)))
    markers = "osD^v<>p"
    for k, (label, values) in enumerate(series.items()):
        values = list(values)
        if len(values) != len(names):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(names)} rungs")
        ys = [float("nan") if v is None else float(v) for v in values]
        ax.plot(x, ys, marker=markers[k % len(markers)], ms=5, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never hides a point
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
