"""The receptive field: which input pixels one unit of a stack of convolutions and poolings sees.

``receptive_fields`` computes it from the layers' kernel sizes, strides and padding (no
forward pass; ``tests/test_draw.py`` checks it against autograd), ``receptive_field``
draws it, one panel per feature map.

>>> from torch import nn
>>> [r["field"] for r in receptive_fields([nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)], 12)]
[1, 3, 4, 8]
"""
from __future__ import annotations

import torch
from torch import nn

from ..scratch import conv_output_size
from .canvas import LIGHT, STRONG, Canvas

MARGIN = 0.5


def _spatial(layer) -> tuple[str, int, int, int] | None:
    """(name, kernel, stride, padding) of a square conv/pool layer, None for a layer that keeps the size."""
    if isinstance(layer, nn.Conv2d):
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding
        p = p[0] if isinstance(p, tuple) else 0
        return f"{k}x{k} conv", k, s, p
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        k = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
        s = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
        p = layer.padding if isinstance(layer.padding, int) else layer.padding[0]
        kind = "max" if isinstance(layer, nn.MaxPool2d) else "avg"
        return f"{k}x{k} {kind} pool", k, s, p
    if isinstance(layer, (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.BatchNorm2d, nn.Identity, nn.Dropout)):
        return None
    raise ValueError(f"receptive_field handles Conv2d, MaxPool2d, AvgPool2d and size-keeping layers; "
                     f"got {type(layer).__name__}")


def receptive_fields(layers, input_size: int) -> list[dict]:
    """Per stage: the map size and which units of every map feed one unit of the last map.

    Returns one dict per stage (the input first) with ``name``, ``size``, ``span`` (first and
    last row/column that the last map's middle unit depends on) and ``field`` (how many input
    pixels one unit of that stage sees).

    >>> from torch import nn
    >>> [r["field"] for r in receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)), 9)]
    [1, 3, 5]
    """
    stages = [s for s in (_spatial(m) for m in layers) if s is not None]
    sizes = [int(input_size)]
    for name, k, s, p in stages:
        sizes.append(conv_output_size(sizes[-1], k, padding=p, stride=s))

    def back(level: int, span: tuple[int, int], to: int) -> tuple[int, int]:
        a, b = span
        for (_, k, s, p), n in zip(reversed(stages[to:level]), reversed(sizes[to:level])):
            a, b = max(0, a * s - p), min(n - 1, b * s - p + k - 1)
        return a, b

    top = (sizes[-1] - 1) // 2
    rows = []
    for level, n in enumerate(sizes):
        mid = (n - 1) // 2
        a, b = back(level, (mid, mid), 0)
        rows.append({"name": "input" if level == 0 else stages[level - 1][0], "size": n,
                     "span": back(len(sizes) - 1, (top, top), level), "field": b - a + 1})
    return rows


def receptive_field(layers, input_size: int = 14, *, title=None):
    """How the receptive field grows through a stack of convolutions and poolings.

    One panel per feature map, from the input (left) to the last layer (right): the shaded
    cells are those that one unit of the last map depends on; under each map, how many input
    pixels one of its units sees. ``layers`` is an ``nn.Sequential`` (or list) of square
    ``Conv2d``/``MaxPool2d``/``AvgPool2d`` layers; activations are skipped.

    >>> from torch import nn
    >>> fig = receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)), 10)
    >>> [t.get_text().split()[-2] for t in fig.axes[0].texts if t.get_gid() == "field"]
    ['3x3', '5x5', '6x6']
    """
    rows = receptive_fields(layers, input_size)
    gap = 3.4
    head = 2.8 if title else 2.0
    height = rows[0]["size"]
    width = sum(r["size"] for r in rows) + gap * (len(rows) - 1) + 2 * MARGIN
    cv = Canvas(width, head + height + 2.4, scale=0.3, max_width=11.0)
    if title:
        cv.text(cv.width / 2, 0.5, title, size=11, gid="title")
    x = MARGIN
    prev = None
    for level, r in enumerate(rows):
        n = r["size"]
        y = head + (height - n) / 2
        a, b = r["span"]
        last = level == len(rows) - 1
        fills = {(i, j): (STRONG[0] if last else LIGHT[0]) for i in range(a, b + 1) for j in range(a, b + 1)}
        cv.grid(torch.zeros(n, n), x, y, fills=fills, numbers=False, edge="#888888")
        cv.window(x + a, y + a, b - a + 1, b - a + 1, STRONG[0], inset=0, lw=2)
        label = f"{r['name']}\n{n}x{n}"
        cv.text(x + n / 2, y - 0.4, label, size=9, va="bottom", gid="stage")
        if level:
            cv.text(x + n / 2, y + n + 0.5, f"a unit sees\n{r['field']}x{r['field']} pixels", size=9, va="top",
                    gid="field")
        if prev is not None:
            px, py, pa, pb = prev
            cv.ax.fill([px + pb + 1, x + a, x + a, px + pb + 1], [py + pa, y + a, y + b + 1, py + pb + 1],
                       color=LIGHT[0], alpha=0.45, lw=0, zorder=0)
        prev = (x, y, a, b)
        x += n + gap
    return cv.fig
