"""Diagrams of the operations: cross-correlation, channels, padding, stride, pooling, 1x1 and full convolution.

Every number in a diagram is computed (with ``cnnkit.scratch``), never typed, and every
function returns the matplotlib ``Figure``: end the notebook line with ``;``.

>>> import torch
>>> fig = correlation(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2))
>>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "output"]
['19', '25', '37', '43']
"""
from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn.functional as F
from matplotlib.patches import Circle

from ..scratch import corr2d, pool2d
from .canvas import LIGHT, OP, STRONG, Canvas, as_matrix, fmt

GAP = 1.6          # room for the operator between two grids
MARGIN = 0.5


def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, int):
        v = (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(a, int) and a >= 0 for a in v):
        raise ValueError(f"{name} must be a non-negative int or a pair of them; got {v}")
    return v


def _geometry(x, k, stride=1, padding=0, labels=None) -> SimpleNamespace:
    """Everything a correlation row needs: the padded input, kernel, output and the grid positions."""
    xt = torch.tensor(as_matrix(x, "x"), dtype=torch.float64)
    kt = torch.tensor(as_matrix(k, "k"), dtype=torch.float64)
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be at least 1; got {stride}")
    xp = F.pad(xt, (pw, pw, ph, ph))
    if kt.shape[0] > xp.shape[0] or kt.shape[1] > xp.shape[1]:
        raise ValueError(f"kernel {tuple(kt.shape)} does not fit the padded input {tuple(xp.shape)}")
    y = corr2d(xp, kt, stride=(sh, sw))
    g = SimpleNamespace(x=xt, k=kt, xp=xp, y=y, stride=(sh, sw), pad=(ph, pw))
    g.height = max(xp.shape[0], kt.shape[0], y.shape[0])
    g.x_in, g.x_k = 0.0, xp.shape[1] + GAP
    g.x_out = g.x_k + kt.shape[1] + GAP
    g.width = g.x_out + y.shape[1]
    g.positions = [(i, j) for i in range(y.shape[0]) for j in range(y.shape[1])]
    pad_note = f", padding {ph if ph == pw else (ph, pw)}" if ph or pw else ""
    stride_note = f", stride {sh if sh == sw else (sh, sw)}" if (sh, sw) != (1, 1) else ""
    g.labels = labels or (f"input{pad_note}", "kernel", f"output{stride_note}")
    return g


def _sum_text(g, i, j, decimals) -> str:
    kh, kw = g.k.shape
    sh, sw = g.stride
    window = g.xp[i * sh:i * sh + kh, j * sw:j * sw + kw]
    num = lambda v: fmt(v, decimals) if v >= 0 or fmt(v, decimals) == "0" else f"({fmt(v, decimals)})"
    terms = [f"{num(a)}\u00b7{num(b)}" for a, b in zip(window.flatten().tolist(), g.k.flatten().tolist())]
    return " + ".join(terms) + f" = {fmt(g.y[i, j], decimals)}"


def _draw_row(cv: Canvas, g, x0: float, y0: float, *, position=(0, 0), done=None, decimals=2, show_sum=True,
              gid_prefix="") -> None:
    """Draw ``input ⋆ kernel = output`` with its top-left at (x0, y0).

    ``position``: one output position (i, j) whose window is shown, or "all" (every window
    in its own colour); ``done``: how many outputs (row by row) are filled in (animations).
    """
    kh, kw = g.k.shape
    sh, sw = g.stride
    oh, ow = g.y.shape
    top = lambda rows: y0 + (g.height - rows) / 2
    done = len(g.positions) if done is None else done
    blank = set(g.positions[done:])
    windows = g.positions if position == "all" else [position]
    in_fill, out_fill = {}, {}
    for n, (i, j) in enumerate(windows):
        c = n if position == "all" else 0
        out_fill[(i, j)] = LIGHT[c % len(LIGHT)]
        if position != "all":
            in_fill.update({(i * sh + a, j * sw + b): LIGHT[0] for a in range(kh) for b in range(kw)})
    cv.grid(g.xp, x0 + g.x_in, top(g.xp.shape[0]), pad=g.pad, fills=in_fill, decimals=decimals,
            gid=gid_prefix + "input", label=g.labels[0])
    cv.grid(g.k, x0 + g.x_k, top(kh), decimals=decimals, gid=gid_prefix + "kernel", label=g.labels[1],
            fills={(a, b): LIGHT[0] for a in range(kh) for b in range(kw)} if position != "all" else None)
    cv.grid(g.y, x0 + g.x_out, top(oh), fills=out_fill, blank=blank, decimals=decimals,
            gid=gid_prefix + "output", label=g.labels[2])
    for n, (i, j) in enumerate(windows):
        c = STRONG[(n if position == "all" else 0) % len(STRONG)]
        inset = 0.06 + 0.07 * (n % 3) if position == "all" else 0.06
        cv.window(x0 + g.x_in + j * sw, top(g.xp.shape[0]) + i * sh, kh, kw, c, inset=inset)
        cv.window(x0 + g.x_out + j, top(oh) + i, 1, 1, c)
        if position != "all":
            cv.window(x0 + g.x_k, top(kh), kh, kw, c)
    mid = y0 + g.height / 2
    cv.text(x0 + g.x_k - GAP / 2, mid, OP, frac=0.9)
    cv.text(x0 + g.x_out - GAP / 2, mid, "=", frac=0.7)
    if show_sum and position != "all":
        cv.text(x0 + g.width / 2, y0 + g.height + 0.75, _sum_text(g, *position, decimals), frac=0.36,
                gid=gid_prefix + "sum")


def correlation(x, k, *, stride=1, padding=0, position=(0, 0), decimals: int = 2, labels=None, title=None):
    """The 2-D cross-correlation ``x ⋆ k`` with every number in its cell.

    ``position`` (i, j) shows one window: the input cells it covers, the kernel and the
    output it produces, with the sum written out below. ``position="all"`` outlines every
    window in its own colour and fills each output cell with its window's colour (clearest
    when the windows do not overlap, e.g. with a stride). ``padding`` cells are grey.

    >>> import torch
    >>> fig = correlation(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2), stride=(3, 2),
    ...                   padding=1, position="all")
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "output"]
    ['0', '8', '6', '8']
    """
    g = _geometry(x, k, stride, padding, labels)
    if position != "all" and tuple(position) not in g.positions:
        raise ValueError(f"position must be an output position in {g.positions[0]}..{g.positions[-1]} or 'all'; "
                         f"got {position}")
    position = position if position == "all" else tuple(position)
    head = 1.9 if title else 0.8
    cv = Canvas(g.width + 2 * MARGIN, g.height + head + (1.4 if position != "all" else 0.4))
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
    _draw_row(cv, g, MARGIN, head, position=position, decimals=decimals)
    return cv.fig


def paddings(x, k, paddings=(0, 1), *, stride=1, decimals: int = 2, title=None):
    """One correlation row per padding, window at the top-left corner: how padding keeps the size.

    >>> import torch
    >>> fig = paddings(torch.arange(1., 17.).view(4, 4), torch.ones(3, 3))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "p1:output"][:2]
    ['14', '24']
    """
    rows = [_geometry(x, k, stride, p) for p in paddings]
    for g in rows:                                   # kernels and outputs in the same columns
        g.x_k, g.x_out = max(r.x_k for r in rows), max(r.x_out for r in rows)
        g.width = g.x_out + g.y.shape[1]
    width = max(g.width for g in rows)
    head = 1.9 if title else 0.8
    cv = Canvas(width + 2 * MARGIN, head + sum(g.height + 2.3 for g in rows) - 0.4)
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
    y = head
    for p, g in zip(paddings, rows):
        _draw_row(cv, g, MARGIN, y, position=(0, 0), decimals=decimals, gid_prefix=f"p{p}:")
        y += g.height + 2.3
    return cv.fig


def multi_channel(x, k, *, decimals: int = 2, title=None):
    """Several input channels: each channel is correlated with its kernel slice, and the results are added.

    ``x`` is (C, H, W) and ``k`` is (C, kh, kw). The first window is shown in every channel and
    the sum of the first outputs is written out.

    >>> import torch
    >>> x = torch.stack([torch.arange(9.).view(3, 3), torch.arange(1., 10.).view(3, 3)])
    >>> k = torch.stack([torch.arange(4.).view(2, 2), torch.arange(1., 5.).view(2, 2)])
    >>> fig = multi_channel(x, k)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "sum"]
    ['19 + 37 = 56']
    """
    x, k = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(k, dtype=torch.float64)
    if x.dim() != 3 or k.dim() != 3 or x.shape[0] != k.shape[0]:
        raise ValueError(f"x must be (C, H, W) and k (C, kh, kw) with the same C; got {tuple(x.shape)} and {tuple(k.shape)}")
    rows = [_geometry(x[c], k[c], labels=(f"input channel {c}", f"kernel channel {c}", f"channel {c} result"))
            for c in range(len(x))]
    total = sum(g.y for g in rows)
    g0 = rows[0]
    oh, ow = total.shape
    row_h = g0.height + 1.6
    head = 1.9 if title else 0.8
    x_sum = MARGIN + g0.width + 3.0
    cv = Canvas(x_sum + ow + 2 * MARGIN, head + row_h * len(rows) - 1.0)
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
    y_sum = head + (row_h * len(rows) - 1.6 - oh) / 2
    for c, g in enumerate(rows):
        y = head + c * row_h
        _draw_row(cv, g, MARGIN, y, position=(0, 0), decimals=decimals, show_sum=False, gid_prefix=f"c{c}:")
        out_mid = y + (g.height - oh) / 2 + oh / 2
        cv.arrow(MARGIN + g.x_out + ow + 0.2, out_mid, x_sum - 0.2, y_sum + oh / 2)
    cv.text(x_sum - 1.0, y_sum + oh / 2, "+", frac=0.7)
    cv.grid(total, x_sum, y_sum, decimals=decimals, gid="output", label="sum over channels",
            fills={(0, 0): LIGHT[0]})
    cv.window(x_sum, y_sum, 1, 1, STRONG[0])
    parts = " + ".join(fmt(g.y[0, 0], decimals) for g in rows)
    cv.text(x_sum + ow / 2, y_sum + oh + 0.7, f"{parts} = {fmt(total[0, 0], decimals)}", frac=0.36, gid="sum")
    return cv.fig


def pooling(x, size: int = 2, *, decimals: int = 2, title=None):
    """``size`` x ``size`` max and average pooling (stride = size): each window in its own colour,
    the maximum of each window in bold, and both results.

    >>> import torch
    >>> x = torch.tensor([[1., 3., 2., 1.], [4., 6., 5., 0.], [7., 2., 9., 8.], [3., 1., 4., 6.]])
    >>> fig = pooling(x)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "max"]
    ['6', '5', '7', '9']
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    a = torch.tensor(as_matrix(x, "x"))
    mx, av = pool2d(a, size, mode="max"), pool2d(a, size, mode="avg")
    oh, ow = mx.shape
    h, w = a.shape
    in_fill, bold = {}, set()
    for n, (i, j) in enumerate((i, j) for i in range(oh) for j in range(ow)):
        block = a[i * size:(i + 1) * size, j * size:(j + 1) * size]
        in_fill.update({(i * size + r, j * size + c): LIGHT[n % len(LIGHT)] for r in range(size) for c in range(size)})
        r, c = divmod(int(block.flatten().argmax()), size)
        bold.add((i * size + r, j * size + c))
    out_fill = {(i, j): LIGHT[(i * ow + j) % len(LIGHT)] for i in range(oh) for j in range(ow)}
    head = 1.9 if title else 0.8
    x_max = MARGIN + w + 2.2
    x_avg = x_max + ow + 3.6
    cv = Canvas(x_avg + ow + 2.2, head + max(h, oh + 1.5) + 0.4)
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
    cv.grid(a, MARGIN, head, fills=in_fill, bold=bold, decimals=decimals, gid="input",
            label=f"input (windows {size}x{size})")
    y_out = head + (h - oh) / 2
    cv.arrow(MARGIN + w + 0.3, head + h / 2, x_max - 0.3, head + h / 2)
    cv.grid(mx, x_max, y_out, fills=out_fill, decimals=decimals, gid="max", label="max pooling")
    cv.grid(av, x_avg, y_out, fills=out_fill, decimals=decimals, gid="avg", label="average pooling")
    first = [fmt(v, decimals) for v in a[:size, :size].flatten().tolist()]
    cv.text(x_max + ow / 2, y_out + oh + 0.7, f"max({', '.join(first)}) = {fmt(mx[0, 0], decimals)}",
            frac=0.32, gid="first")
    cv.text(x_avg + ow / 2, y_out + oh + 0.7,
            f"({' + '.join(first)}) / {size * size} = {fmt(av[0, 0], decimals)}", frac=0.32, gid="first")
    return cv.fig


def full_convolution(dout, w, *, position=None, decimals: int = 2, title=None):
    """The input gradient of a convolution: ``dL/dx`` = the output gradient, padded with k - 1
    zeros, correlated with the kernel rotated by 180 degrees (a "full" convolution).

    ``position`` (default: the middle) is the input pixel whose sum is written out.

    >>> import torch
    >>> fig = full_convolution(torch.ones(2, 2), torch.arange(4.).view(2, 2))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "output"]
    ['0', '1', '1', '2', '6', '4', '2', '5', '3']
    """
    d = torch.tensor(as_matrix(dout, "dout"), dtype=torch.float64)
    k = torch.tensor(as_matrix(w, "w"), dtype=torch.float64)
    kh, kw = k.shape
    g = _geometry(d, k.flip(0, 1), padding=(kh - 1, kw - 1),
                  labels=(rf"$\partial L/\partial m$ with {kh - 1} ring{'s' * (kh > 2)} of zeros", "",
                          r"$\partial L/\partial x$ (input gradient)"))
    h, wd = g.y.shape
    position = ((h - 1) // 2, (wd - 1) // 2) if position is None else tuple(position)
    if position not in g.positions:
        raise ValueError(f"position must be an input position (0, 0)..{g.positions[-1]}; got {position}")
    y_k = (1.9 if title else 0.8)                          # the kernel as the layer holds it, on top
    head = y_k + kh + max(0.6, 2.2 - (g.height - kh) / 2)
    cv = Canvas(g.width + 2 * MARGIN, head + g.height + 1.4, scale=0.6)
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.36, gid="title")
    cv.grid(k, MARGIN + g.x_k, y_k, decimals=decimals, gid="kernel_original", label="kernel")
    cv.arrow(MARGIN + g.x_k + kw / 2, y_k + kh + 0.15, MARGIN + g.x_k + kw / 2, head + (g.height - kh) / 2 - 0.15)
    cv.text(MARGIN + g.x_k + kw / 2 + 0.25, (y_k + kh + head + (g.height - kh) / 2) / 2, "rotate 180\u00b0",
            frac=0.32, ha="left")
    _draw_row(cv, g, MARGIN, head, position=position, decimals=decimals)
    return cv.fig


def one_by_one(x, w, b=None, *, pixel=(0, 0), decimals: int = 2, title=None):
    """A 1x1 convolution as one dense layer applied at every pixel.

    ``x`` is (C_in, H, W), ``w`` is (C_out, C_in) or a conv weight (C_out, C_in, 1, 1), ``b``
    (C_out,) or None. The channel values of one ``pixel`` go through the dense layer ``w``
    and come out as that pixel's output channels; every other pixel uses the same ``w``.

    >>> import torch
    >>> fig = one_by_one(torch.arange(12.).view(3, 2, 2), torch.tensor([[1., 0., 1.], [0., 1., -1.]]))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "node_out"]
    ['8', '-4']
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    w = torch.as_tensor(w, dtype=torch.float64)
    if w.dim() == 4 and w.shape[2:] == (1, 1):
        w = w[:, :, 0, 0]
    if x.dim() != 3 or w.dim() != 2 or w.shape[1] != x.shape[0]:
        raise ValueError(f"x must be (C_in, H, W) and w (C_out, C_in); got {tuple(x.shape)} and {tuple(w.shape)}")
    b = torch.zeros(w.shape[0], dtype=torch.float64) if b is None else torch.as_tensor(b, dtype=torch.float64)
    out = F.conv2d(x[None], w[:, :, None, None], b)[0]
    ci, h, wd = x.shape
    co = w.shape[0]
    pi, pj = pixel
    if not (0 <= pi < h and 0 <= pj < wd):
        raise ValueError(f"pixel must lie inside the {h}x{wd} map; got {pixel}")
    step = h + 1.4
    head = 1.9 if title else 0.9
    col_h = max(ci, co) * step - 1.4
    x_in, x_nodes_in = MARGIN, MARGIN + wd + 2.5
    x_nodes_out = x_nodes_in + 4.5
    x_out = x_nodes_out + 2.5
    cv = Canvas(x_out + wd + 2 * MARGIN, head + col_h + co + 2.6, scale=0.38)
    if title:
        cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
    ys_in = [head + (col_h - (ci * step - 1.4)) / 2 + c * step for c in range(ci)]
    ys_out = [head + (col_h - (co * step - 1.4)) / 2 + c * step for c in range(co)]
    node_y = lambda ys: [y + pi + 0.5 for y in ys]
    for yi in node_y(ys_in):
        for yo in node_y(ys_out):
            cv.ax.plot([x_nodes_in, x_nodes_out], [yi, yo], color="#999999", lw=1, zorder=1)
    for c, y in enumerate(ys_in):
        cv.grid(x[c], x_in, y, fills={(pi, pj): LIGHT[0]}, decimals=decimals, gid="input", label=f"input channel {c}")
        cv.window(x_in + pj, y + pi, 1, 1, STRONG[0])
        cv.ax.plot([x_in + wd, x_nodes_in - 0.45], [y + pi + 0.5] * 2, ls=":", color=STRONG[0], lw=1.2)
    for c, yy in enumerate(ys_out):
        cv.grid(out[c], x_out, yy, fills={(pi, pj): LIGHT[1]}, decimals=decimals, gid="output", label=f"output channel {c}")
        cv.window(x_out + pj, yy + pi, 1, 1, STRONG[1])
        cv.ax.plot([x_nodes_out + 0.45, x_out], [yy + pi + 0.5] * 2, ls=":", color=STRONG[1], lw=1.2)
    for xs, ys, vals, gid, col in ((x_nodes_in, node_y(ys_in), x[:, pi, pj], "node_in", LIGHT[0]),
                                   (x_nodes_out, node_y(ys_out), out[:, pi, pj], "node_out", LIGHT[1])):
        for yy, v in zip(ys, vals.tolist()):
            cv.ax.add_patch(Circle((xs, yy), 0.45, facecolor=col, edgecolor="#333333", lw=1.2, zorder=3))
            cv.text(xs, yy, fmt(v, decimals), frac=0.4 if len(fmt(v, decimals)) < 4 else 0.3, gid=gid, zorder=4)
    y_w = head + col_h + 1.0
    x_w = (x_nodes_in + x_nodes_out) / 2 - ci / 2
    cv.grid(w, x_w, y_w, decimals=decimals, gid="weight", label="weights W, the same at every pixel")
    vec = lambda t: "(" + ", ".join(fmt(v, decimals) for v in t.tolist()) + ")"
    bias = "" if not b.any() else f" + {vec(b)}"
    cv.text(x_w + ci / 2, y_w + co + 0.7, f"pixel {tuple(pixel)}:  W {vec(x[:, pi, pj])}{bias} = {vec(out[:, pi, pj])}",
            frac=0.34, gid="sum")
    return cv.fig
