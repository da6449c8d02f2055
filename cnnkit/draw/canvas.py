"""The drawing surface every diagram uses: one matplotlib Axes in "cell" units.

A diagram is laid out on a grid where one matrix cell is one unit wide and high, with
y growing downwards (row 0 at the top, as in a printed matrix). ``Canvas`` turns that
layout into a figure whose size follows the layout, so cells and fonts look the same in
every diagram, and offers the few shapes the diagrams are made of: number grids,
window outlines, boxes, arrows and text.

>>> cv = Canvas(6, 4)
>>> cv.grid([[0, 1], [2, 3]], 1, 1, gid="kernel")
>>> [t.get_text() for t in cv.texts("kernel")]
['0', '1', '2', '3']
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch, Rectangle

# one colour per window / output position (light fills, strong outlines)
STRONG = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
LIGHT = ["#c6dbef", "#f8c6c6", "#c7e9c0", "#dadaeb", "#fdd0a2", "#e0cfc8", "#f7d3ea", "#c2eef2", "#efefc0"]
PAD = "#e6e6e6"          # padding cells
OP = "\u22c6"            # the cross-correlation star


def as_matrix(values, name: str = "values") -> np.ndarray:
    """A 2-D float array from a tensor, array or nested list; ``ValueError`` naming ``name`` otherwise.

    >>> as_matrix([[1, 2]]).shape
    (1, 2)
    """
    try:
        a = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 2-D tensor, array or nested list of numbers; got {type(values).__name__}") from err
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D matrix (H, W); got shape {a.shape}")
    return a


def fmt(v: float, decimals: int = 2) -> str:
    """A number as the diagrams print it: integers without a point, others rounded, no ``-0``.

    >>> fmt(19.0), fmt(3.5), fmt(0.83250606), fmt(-0.0001)
    ('19', '3.5', '0.83', '0')
    """
    v = round(float(v), decimals)
    if v == int(v):
        return str(int(v))
    return f"{v:.{decimals}f}".rstrip("0").rstrip(".")


class Canvas:
    """A figure of ``width`` x ``height`` cell units (y downwards), ``scale`` inches per unit.

    The scale shrinks so that the figure is at most ``max_width`` inches wide; font sizes
    follow the scale. ``texts(gid)`` returns the texts drawn with that ``gid`` (tests read
    the numbers of a diagram this way).

    >>> cv = Canvas(40, 5)           # a wide layout is scaled down to 11 inches
    >>> round(float(cv.fig.get_figwidth()), 1)
    11.0
    """

    def __init__(self, width: float, height: float, *, scale: float = 0.45, max_width: float = 11.0, dpi=None):
        if width <= 0 or height <= 0:
            raise ValueError(f"a canvas needs a positive width and height; got {width} x {height}")
        self.width, self.height = float(width), float(height)
        self.scale = min(scale, max_width / self.width)
        self.fig = plt.figure(figsize=(self.width * self.scale, self.height * self.scale), dpi=dpi)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.reset()

    def reset(self) -> None:
        """Clear everything (animations redraw each frame from scratch)."""
        self.ax.clear()
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)
        self.ax.set_axis_off()

    def font(self, frac: float = 0.38) -> float:
        """A font size in points: ``frac`` of one cell's height."""
        return self.scale * 72 * frac

    def texts(self, gid: str) -> list:
        return [t for t in self.ax.texts if t.get_gid() == gid]

    def text(self, x, y, s, *, frac=0.38, size=None, gid=None, **kw):
        """Text at (x, y); its size is ``frac`` of a cell, or ``size`` points."""
        kw = {"ha": "center", "va": "center", **kw}
        return self.ax.text(x, y, s, fontsize=size or self.font(frac), gid=gid, **kw)

    def grid(self, values, x, y, *, decimals: int = 2, pad=0, fills=None, gid=None, label=None,
             blank=(), edge="#555555", bold=(), numbers: bool = True) -> None:
        """Draw a matrix with its numbers, top-left corner at (x, y).

        ``pad``: the outer rings that are padding (grey), one number or (rows, columns);
        ``fills``: {(i, j): colour}; ``blank``: cells drawn empty (not computed yet);
        ``bold``: cells printed in bold; ``numbers=False`` draws the cells only.
        """
        a = as_matrix(values)
        h, w = a.shape
        ph, pw = (pad, pad) if isinstance(pad, int) else pad
        fills = fills or {}
        labels = [[fmt(v, decimals) for v in row] for row in a]
        longest = max(len(s) for row in labels for s in row)
        size = min(0.42, 0.82 / (0.6 * max(longest, 1))) * 72 * self.scale      # digits are ~0.6 em wide
        for i in range(h):
            for j in range(w):
                in_pad = i < ph or j < pw or i >= h - ph or j >= w - pw
                face = fills.get((i, j), PAD if in_pad else "white")
                self.ax.add_patch(Rectangle((x + j, y + i), 1, 1, facecolor=face, edgecolor=edge, lw=1))
                if (i, j) in blank or not numbers:
                    continue
                self.ax.text(x + j + 0.5, y + i + 0.52, labels[i][j], ha="center", va="center", fontsize=size,
                             color="#777777" if in_pad else "black", gid=gid,
                             fontweight="bold" if (i, j) in bold else "normal")
        if label:
            self.text(x + w / 2, y - 0.3, label, frac=0.34, va="bottom")

    def window(self, x, y, h, w, color, *, inset=0.06, lw=3.0) -> None:
        """Outline an h x w block whose top-left corner is at (x, y)."""
        self.ax.add_patch(Rectangle((x + inset, y + inset), w - 2 * inset, h - 2 * inset, fill=False,
                                    edgecolor=color, lw=lw, zorder=5))

    def box(self, x, y, w, h, s, color="#eeeeee", *, gid=None, frac=0.3) -> None:
        """A rounded box with centred (multi-line) text; (x, y) is its top-left corner."""
        self.ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.2",
                                         facecolor=color, edgecolor="#333333", lw=1.2))
        self.text(x + w / 2, y + h / 2, s, frac=frac, gid=gid, linespacing=1.25)

    def arrow(self, x0, y0, x1, y1, *, color="#333333", lw=1.4, style="-|>", **kw) -> None:
        self.ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                         arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=0, shrinkB=0, **kw))
