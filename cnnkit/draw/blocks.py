"""Block diagrams generated from the course's own models: a chain of layers (LeNet-5, a VGG
block), an Inception block and a residual block.

The boxes and the shapes under them come from the model itself: its modules are walked
and one forward pass with forward hooks records every layer's output shape. Change the
model and the diagram changes with it.

>>> from cnnkit import models
>>> fig = network(models.vgg_block(2, 3, 64), (3, 32, 32))
>>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shape"]
['3×32×32', '64×32×32', '64×32×32', '64×16×16']
"""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.patches import Circle
from torch import nn

from ..summary import count_params
from .canvas import Canvas

COLOURS = {"conv": "#9ecae1", "pool": "#fdd49e", "dense": "#a1d99b", "norm": "#f4c2c2", "act": "#dadaeb",
           "input": "#ffffff", "other": "#e5e5e5"}
_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Softmax)
_EXTRAS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm)
BOX_W, BOX_H, STEP = 2.9, 1.9, 4.1


def _xy(v) -> str:
    v = (v, v) if isinstance(v, int) else tuple(v)
    return f"{v[0]}x{v[1]}"


def describe(m: nn.Module) -> tuple[str, str]:
    """(kind, label) of one layer, as its box shows it.

    >>> describe(nn.Conv2d(1, 6, 5, padding=2))
    ('conv', 'conv 5x5, 6\\npad 2')
    >>> describe(nn.MaxPool2d(2))
    ('pool', 'max pool 2x2')
    """
    if isinstance(m, nn.Conv2d):
        extra = []
        if m.stride != (1, 1):
            extra.append(f"stride {m.stride[0] if m.stride[0] == m.stride[1] else m.stride}")
        if isinstance(m.padding, tuple) and any(m.padding):
            extra.append(f"pad {m.padding[0] if m.padding[0] == m.padding[1] else m.padding}")
        elif isinstance(m.padding, str):
            extra.append(f"pad {m.padding}")
        return "conv", f"conv {_xy(m.kernel_size)}, {m.out_channels}" + ("\n" + ", ".join(extra) if extra else "")
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(m, nn.MaxPool2d) else "avg"
        k, s = _xy(m.kernel_size), _xy(m.stride)
        return "pool", f"{kind} pool {k}" + (f"\nstride {s.split('x')[0]}" if s != k else "")
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "pool", "global avg pool" if isinstance(m, nn.AdaptiveAvgPool2d) else "global max pool"
    if isinstance(m, nn.Linear):
        return "dense", f"dense {m.out_features}"
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return "norm", "BN"
    if isinstance(m, (nn.Dropout, nn.Dropout2d)):
        return "other", f"dropout {m.p:g}"
    if isinstance(m, _ACTIVATIONS):
        return "act", type(m).__name__
    if isinstance(m, nn.Flatten):
        return "other", "flatten"
    return "other", type(m).__name__


def _shape(shape: Sequence[int]) -> str:
    return "×".join(str(s) for s in shape)


def trace(model: nn.Module, input_size: Sequence[int]) -> list[tuple[nn.Module, tuple[int, ...]]]:
    """(layer, output shape without the batch dimension) for every leaf module, in the order
    a forward pass on one example of ``input_size`` calls them.

    >>> [s for _, s in trace(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 5, 5))]
    [(2, 3, 3), (2, 3, 3)]
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    size = tuple(int(s) for s in input_size)
    records = []
    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda mod, inp, out: records.append((mod, tuple(out.shape[1:]))))
             for m in leaves]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *size, device=device))
    except RuntimeError as err:
        raise ValueError(f"the model does not accept an input of shape {size}: {err}") from err
    finally:
        model.train(was)
        for h in hooks:
            h.remove()
    return records


def _boxes(records, merge=True) -> list[dict]:
    """Group traced layers into boxes: activations (and norms/dropout) join the box before them."""
    boxes = []
    for m, shape in records:
        kind, label = describe(m)
        if merge and boxes and isinstance(m, _ACTIVATIONS + _EXTRAS) and boxes[-1]["kind"] != "input":
            boxes[-1]["label"] += f"\n+ {label}"
            boxes[-1]["shape"] = shape
        else:
            boxes.append({"kind": kind, "label": label, "shape": shape})
    return boxes


def _draw_box(cv: Canvas, x, y, box, w=BOX_W, h=BOX_H) -> None:
    cv.box(x, y, w, h, box["label"], COLOURS.get(box["kind"], COLOURS["other"]), gid="box", frac=0.29)
    cv.text(x + w / 2, y + h + 0.4, _shape(box["shape"]), frac=0.27, color="#444444", gid="shape")


def network(model: nn.Module, input_size: Sequence[int], *, title=None, per_row: int = 5, merge: bool = True):
    """A chain of boxes, one per layer of ``model`` (activations merged into the box before
    them), with each layer's output shape underneath; long chains wrap after ``per_row`` boxes.

    >>> from cnnkit import models
    >>> fig = network(models.lenet5(), (1, 28, 28), title="LeNet-5")
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shape"][-1]
    '10'
    """
    boxes = [{"kind": "input", "label": "input", "shape": tuple(input_size)}] + _boxes(trace(model, input_size), merge)
    if per_row < 2:
        raise ValueError(f"per_row must be at least 2; got {per_row}")
    rows = [boxes[i:i + per_row] for i in range(0, len(boxes), per_row)]
    head = 1.4
    row_h = BOX_H + 2.6
    cv = Canvas(min(len(boxes), per_row) * STEP - (STEP - BOX_W) + 1.0, head + row_h * len(rows) - 1.4)
    title = title or "model"
    cv.text(cv.width / 2, 0.6, f"{title} ({count_params(model):,} parameters)", frac=0.36, gid="title")
    for r, row in enumerate(rows):
        y = head + r * row_h
        for c, box in enumerate(row):
            x = 0.5 + c * STEP
            _draw_box(cv, x, y, box)
            if c + 1 < len(row):
                cv.arrow(x + BOX_W + 0.1, y + BOX_H / 2, x + STEP - 0.1, y + BOX_H / 2)
        if r + 1 < len(rows):                       # connector to the next row's first box
            x_end = 0.5 + (len(row) - 1) * STEP + BOX_W
            y_mid = y + BOX_H + 1.05
            cv.ax.plot([x_end, x_end + 0.35, x_end + 0.35, 0.5 + BOX_W / 2, 0.5 + BOX_W / 2],
                       [y + BOX_H / 2, y + BOX_H / 2, y_mid, y_mid, y_mid], color="#333333", lw=1.4)
            cv.arrow(0.5 + BOX_W / 2, y_mid, 0.5 + BOX_W / 2, y + row_h - 0.05)
    return cv.fig


def inception(block: nn.Module, input_size: Sequence[int], *, title=None):
    """An Inception block: the input, its four parallel paths (``block.p1`` .. ``block.p4``,
    as in ``cnnkit.models.Inception``) and the concatenation, with every output shape.

    >>> from cnnkit import models
    >>> fig = inception(models.Inception(192, 64, (96, 128), (16, 32), 32), (192, 28, 28))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shape"][:2]      # input, concatenation
    ['192×28×28', '256×28×28']
    """
    paths = [getattr(block, f"p{i}", None) for i in range(1, 5)]
    if any(p is None for p in paths):
        raise TypeError("inception draws a block with four paths p1..p4 (cnnkit.models.Inception); "
                        f"got {type(block).__name__}")
    chains = [_boxes(trace(p, input_size)) for p in paths]
    out_shape = (sum(c[-1]["shape"][0] for c in chains), *chains[0][-1]["shape"][1:])
    longest = max(len(c) for c in chains)
    row_h = BOX_H + 1.3
    head = 1.4
    height = head + row_h * len(chains)
    x_path = 0.5 + BOX_W + 1.8
    x_cat = x_path + longest * STEP - (STEP - BOX_W) + 1.8
    cv = Canvas(x_cat + BOX_W + 0.5, height + 0.2)
    title = title or "Inception block"
    cv.text(cv.width / 2, 0.6, f"{title} ({count_params(block):,} parameters)", frac=0.36, gid="title")
    mid = head + (row_h * len(chains) - 1.3) / 2 - BOX_H / 2
    _draw_box(cv, 0.5, mid, {"kind": "input", "label": "input", "shape": tuple(input_size)})
    _draw_box(cv, x_cat, mid, {"kind": "other", "label": "concatenate\nchannels", "shape": out_shape})
    for r, chain in enumerate(chains):
        y = head + r * row_h
        x = x_path + (longest - len(chain)) * STEP
        cv.arrow(0.5 + BOX_W + 0.1, mid + BOX_H / 2, x - 0.1, y + BOX_H / 2)
        for c, box in enumerate(chain):
            _draw_box(cv, x, y, box)
            if c + 1 < len(chain):
                cv.arrow(x + BOX_W + 0.1, y + BOX_H / 2, x + STEP - 0.1, y + BOX_H / 2)
            x += STEP
        cv.arrow(x - STEP + BOX_W + 0.1, y + BOX_H / 2, x_cat - 0.1, mid + BOX_H / 2)
    return cv.fig


def residual(block: nn.Module, input_size: Sequence[int], *, title=None):
    """A residual block (``cnnkit.models.ResidualBlock``): conv-BN-ReLU-conv-BN on the main path,
    the shortcut (identity or 1x1 conv + BN) above it, their sum and the final ReLU.

    >>> from cnnkit import models
    >>> fig = residual(models.ResidualBlock(64, 128, stride=2), (64, 16, 16))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "box"][-2]      # the shortcut
    'conv 1x1, 128\\nstride 2\\n+ BN'
    """
    if not all(hasattr(block, a) for a in ("conv1", "bn1", "conv2", "bn2", "proj")):
        raise TypeError(f"residual draws cnnkit.models.ResidualBlock (conv1, bn1, conv2, bn2, proj); "
                        f"got {type(block).__name__}")
    shapes = dict((id(m), s) for m, s in trace(block, input_size))
    with_shortcut = getattr(block, "shortcut", True)

    def box(*mods, extra=""):
        kind, label = describe(mods[0])
        for m in mods[1:]:
            label += f"\n+ {describe(m)[1]}"
        return {"kind": kind, "label": label + extra, "shape": shapes[id(mods[-1])]}

    main = [box(block.conv1, block.bn1, extra="\n+ ReLU"), box(block.conv2, block.bn2)]
    head = 1.4
    y_main = head + 3.4
    x = 0.5
    x_add = x + 3 * STEP - 0.6
    relu_x = x_add + 0.9
    cv = Canvas(relu_x + 1.6 + 0.5, y_main + BOX_H + 1.2)
    title = title or ("residual block" if with_shortcut else "plain block (no shortcut)")
    cv.text(cv.width / 2, 0.6, f"{title} ({count_params(block):,} parameters)", frac=0.36, gid="title")
    _draw_box(cv, x, y_main, {"kind": "input", "label": "input x", "shape": tuple(input_size)})
    for b in main:
        cv.arrow(x + BOX_W + 0.1, y_main + BOX_H / 2, x + STEP - 0.1, y_main + BOX_H / 2)
        x += STEP
        _draw_box(cv, x, y_main, b)
    y_c = y_main + BOX_H / 2
    cv.arrow(x + BOX_W + 0.1, y_c, x_add - 0.45, y_c)
    out_shape = main[-1]["shape"]
    if with_shortcut:
        cv.ax.add_patch(Circle((x_add, y_c), 0.4, facecolor="white", edgecolor="#333333", lw=1.4))
        cv.text(x_add, y_c, "+", frac=0.6, gid="add")
        y_s = head + 0.2
        x_in_c = 0.5 + BOX_W / 2
        if block.proj is not None:
            pb = box(*block.proj)
            x_p = 0.5 + STEP * 1.5
            cv.ax.plot([x_in_c, x_in_c], [y_main - 0.05, y_s + BOX_H / 2], color="#333333", lw=1.4)
            cv.arrow(x_in_c, y_s + BOX_H / 2, x_p - 0.1, y_s + BOX_H / 2)
            _draw_box(cv, x_p, y_s, pb)
            x_from = x_p + BOX_W + 0.1
        else:
            cv.ax.plot([x_in_c, x_in_c], [y_main - 0.05, y_s + BOX_H / 2], color="#333333", lw=1.4)
            cv.text((x_in_c + x_add) / 2, y_s + BOX_H / 2 - 0.35, "identity shortcut", frac=0.3, gid="box")
            x_from = x_in_c
        cv.ax.plot([x_from, x_add], [y_s + BOX_H / 2] * 2, color="#333333", lw=1.4)
        cv.arrow(x_add, y_s + BOX_H / 2, x_add, y_c - 0.42)
    cv.arrow(x_add + 0.42, y_c, relu_x - 0.1, y_c)
    _draw_box(cv, relu_x, y_main + 0.35, {"kind": "act", "label": "ReLU", "shape": out_shape}, w=1.6, h=BOX_H - 0.7)
    return cv.fig
