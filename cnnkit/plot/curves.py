"""Training curves: learning curves of one or many runs, small multiples, a ladder of
experiments, and the gradient norms a :class:`~cnnkit.diagnostics.GradNorms` recorded.

>>> plot_history({"MLP": h1, "CNN": h2});   # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt

from .._checks_args import check_int, check_metrics, check_names
from ..diagnostics import GradNorms
from ..train import History


def _histories(h) -> dict[str, History]:
    want = "histories must be a History, a list of them or a dict {label: History}"
    if isinstance(h, History):
        return {h.name or "run": h}
    if isinstance(h, Mapping):
        runs = dict(h)
    elif isinstance(h, Iterable) and not isinstance(h, (str, bytes)):
        runs = {getattr(x, "name", "") or f"run {i + 1}": x for i, x in enumerate(h)}
    else:
        raise TypeError(f"{want}; got {type(h).__name__}")
    bad = [type(x).__name__ for x in runs.values() if not isinstance(x, History)]
    if bad:
        raise TypeError(f"{want}; got a {bad[0]} among them")
    return runs


def plot_history(histories, metrics: Sequence[str] = ("loss", "acc"), *, title: str | None = None,
                 test_label: str = "test"):
    """Learning curves: one panel per metric, train dashed and test solid, one colour per run.

    ``histories`` is a :class:`History`, a list of them, or a dict ``{label: History}``.

    >>> plot_history(h);                                  # doctest: +SKIP
    >>> plot_history({"depth 1": h1, "depth 2": h2});     # doctest: +SKIP
    """
    if isinstance(metrics, str) or not metrics:
        raise TypeError(f"metrics must be a non-empty sequence of metric names, e.g. ('loss', 'acc') or "
                        f"('acc',); got {metrics!r}")
    runs = _histories(histories)
    if not runs:
        raise ValueError("plot_history needs at least one History")
    metrics = check_metrics(runs, metrics)
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
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))   # epochs are whole numbers
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
    if not isinstance(metric, str):
        raise TypeError(f"metric must be one metric name such as 'acc'; got {metric!r}")
    check_metrics(runs, (metric,))
    ncols = min(check_int("ncols", ncols, minimum=1), len(runs))
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
    names = list(check_names("names", names))
    if not isinstance(series, Mapping):
        raise TypeError(f"series must be a dict {{label: one value per rung}}; got {type(series).__name__}")
    if not series:
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


def plot_grad_norms(recorders: Mapping[str, GradNorms], *, first: int | None = None,
                    labels: Sequence[str] | None = None, title: str | None = None):
    """Mean gradient norm of each layer's weights (log scale), one line per model.

    The layers are numbered in forward order (1 = nearest the input); layers whose
    gradient is tiny learn slowly: a curve that falls towards the input shows
    vanishing gradients. ``first`` averages over the first steps only.

    >>> plot_grad_norms({"sigmoid": rec_sigmoid, "ReLU": rec_relu});   # doctest: +SKIP
    """
    if not isinstance(recorders, Mapping) or not all(isinstance(r, GradNorms) for r in recorders.values()):
        raise TypeError(f"recorders must be a dict {{label: GradNorms}}; got {type(recorders).__name__}")
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
