"""Animations that play in the rendered book without a kernel.

``animate_correlation`` slides the window over the input, one output per frame;
``player`` turns an animation into HTML with matplotlib's ``to_jshtml`` (the frames are
PNG images embedded in the page, with play/step buttons), so a static HTML page can play it.

>>> import torch
>>> anim = animate_correlation(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2))
>>> html = player(anim)                  # IPython.display.HTML in a notebook
>>> "<img" in html.data and len(html.data) < 1_000_000
True
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation

from .canvas import Canvas
from .ops import MARGIN, _draw_row, _geometry


def animate_correlation(x, k, *, stride=1, padding=0, decimals: int = 2, interval: int = 1200, title=None,
                        dpi: int = 100) -> FuncAnimation:
    """The window of ``x ⋆ k`` sliding over the (padded) input: frame n shows the n-th window
    and the sum it produces, and the outputs computed so far.

    The figure is drawn at ``dpi`` (small frames keep the page light); ``interval`` is the
    time between frames in milliseconds.

    >>> import torch
    >>> anim = animate_correlation(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2), stride=(3, 2), padding=1)
    >>> anim._save_count                 # one frame per output position
    4
    >>> player(anim).data.count("data:image/png")
    4
    """
    g = _geometry(x, k, stride, padding)
    head = 1.9 if title else 0.8
    cv = Canvas(g.width + 2 * MARGIN, g.height + head + 1.4, dpi=dpi)

    def frame(n):
        cv.reset()
        if title:
            cv.text(cv.width / 2, 0.6, title, frac=0.42, gid="title")
        _draw_row(cv, g, MARGIN, head, position=g.positions[n], done=n + 1, decimals=decimals)
        return []

    return FuncAnimation(cv.fig, frame, frames=len(g.positions), interval=interval, repeat=True)


def player(anim: FuncAnimation, *, fps: float | None = None, dpi: int | None = None, loop: bool = True):
    """The animation as an HTML player (``IPython.display.HTML``; the HTML text outside IPython).

    The figure is closed afterwards, so a notebook shows the player only, not a still image.
    Frames are embedded up to matplotlib's ``animation.embed_limit`` (20 MB by default);
    keep animations to a few small frames so that the book's pages stay light. ``dpi``
    (default: the figure's) sets the resolution of the frames.

    >>> import torch
    >>> html = player(animate_correlation(torch.ones(2, 2), torch.ones(1, 1)))
    >>> html.data.count("data:image/png;base64")
    4
    """
    if not isinstance(anim, FuncAnimation):
        raise TypeError(f"player takes a matplotlib FuncAnimation; got {type(anim).__name__}")
    with mpl.rc_context({"savefig.dpi": dpi or "figure"}):
        html = anim.to_jshtml(fps=fps, default_mode="loop" if loop else "once")
    plt.close(anim._fig)
    try:
        from IPython.display import HTML
    except ImportError:          # plain Python: the HTML text
        return html
    return HTML(html)
