"""Pictures of data and of what a network learned: image grids, convolution kernels, feature maps.

>>> show_images(load("fashion_mnist", train=False, n=16));    # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import torch

from .._checks_args import check_image_batch, check_int, check_labels, check_names, check_nonempty
from ..data import ImageData


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
    n, ncols = check_int("n", n, minimum=1), check_int("ncols", ncols, minimum=1)
    x = torch.as_tensor(images)[:n].detach().cpu()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    check_image_batch("images", x, (4,), "(N, C, H, W) or (N, H, W) images")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"images must have 1 (grey) or 3 (colour) channels; got shape {tuple(x.shape)}")
    if classes is not None:
        classes = check_names("classes", classes)
    for arg, lab in (("labels", labels), ("preds", preds)):
        if lab is not None:
            check_labels(arg, lab, x.shape[0], classes)
    if preds is not None and labels is None:
        raise ValueError("preds needs labels too (the true classes to compare with)")
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
    ncols = check_int("ncols", ncols, minimum=1)
    w = torch.as_tensor(weight).detach().float().cpu()
    if w.dim() == 2:
        w = w[None, None]
    check_image_batch("weight", w, (4,), "(out, in, k, k) kernels (or one 2-D kernel)")
    check_nonempty("weight", w.shape[1])
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
    n, ncols = check_int("n", n, minimum=1), check_int("ncols", ncols, minimum=1)
    m = torch.as_tensor(maps).detach().float().cpu()
    if m.dim() == 4:
        check_nonempty("maps", m.shape[0])
        m = m[0]
    if m.dim() == 2:
        m = m[None]
    check_image_batch("maps", m, (3,), "one feature map (C, H, W) or (1, C, H, W)")
    m = m[:n]
    if titles is not None and len(check_names("titles", titles)) < m.shape[0]:
        raise ValueError(f"titles has {len(titles)} names for {m.shape[0]} maps")
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
