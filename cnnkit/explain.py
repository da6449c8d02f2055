"""What a trained CNN looks at (chapter 11): hooks, statistics per layer, saliency, SmoothGrad,
Grad-CAM, occlusion and nearest neighbours in feature space.

Every function takes a model and a *normalised* float batch ``x`` of shape (N, C, H, W), runs
the model in eval mode (its train/eval state is restored afterwards) and returns plain tensors or
a pandas DataFrame. ``target`` is the class to explain: ``None`` (the predicted class), an int
(the same class for every image) or a tensor of N class indices. Layers are named as in
``model.named_modules()`` (``"0.body.0"``); :func:`layer_names` lists them.

>>> import torch
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
>>> x = torch.randn(2, 3, 8, 8)
>>> grad_cam(net, x, "1").shape, saliency(net, x).shape, occlusion(net, x, window=4, stride=4).shape
(torch.Size([2, 8, 8]), torch.Size([2, 8, 8]), torch.Size([2, 8, 8]))
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Softplus)


def layer_names(model: nn.Module) -> list[str]:
    """The names of ``model``'s sub-modules, as hooks and the functions here accept them.

    >>> layer_names(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()))
    ['0', '1']
    """
    return [name for name, _ in model.named_modules() if name]


def get_layer(model: nn.Module, name: str | nn.Module) -> nn.Module:
    """The sub-module called ``name`` (a module is returned as it is); a wrong name lists the valid ones.

    >>> get_layer(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), "1")
    ReLU()
    """
    if isinstance(name, nn.Module):
        return name
    modules = dict(model.named_modules())
    if not isinstance(name, str) or not name or name not in modules:
        valid = layer_names(model)
        shown = ", ".join(repr(n) for n in valid[:40]) + (" ..." if len(valid) > 40 else "")
        raise ValueError(f"layer {name!r} is not a sub-module of the model; valid names: {shown}")
    return modules[name]


class Recorder:
    """Forward (and optionally backward) hooks that keep the outputs of named layers.

    Use it as a context manager; the hooks are removed on exit. ``activations[name]`` holds the
    layer's output of the last forward pass (detached), ``gradients[name]`` the gradient of the
    backward pass with respect to that output (with ``grads=True``).

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> with Recorder(net, ["1"], grads=True) as rec:
    ...     net(torch.ones(2, 3)).sum().backward()
    >>> rec.activations["1"].shape, rec.gradients["1"].shape
    (torch.Size([2, 4]), torch.Size([2, 4]))
    """

    def __init__(self, model: nn.Module, layers: Sequence[str], grads: bool = False):
        if isinstance(layers, str):
            layers = [layers]
        self.model, self.layers, self.grads = model, list(layers), grads
        self.modules = {name: get_layer(model, name) for name in self.layers}
        self.activations: dict[str, torch.Tensor] = {}
        self.gradients: dict[str, torch.Tensor] = {}
        self._handles: list = []

    def _hook(self, name: str):
        def hook(module, inputs, output):
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"layer {name!r} returns {type(output).__name__}, not a tensor; hook another layer")
            self.activations[name] = output.detach()
            if self.grads and output.requires_grad:
                output.register_hook(lambda g: self.gradients.__setitem__(name, g.detach()))
        return hook

    def __enter__(self) -> "Recorder":
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in self.modules.items()]
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


@contextmanager
def evaluating(model: nn.Module):
    """Put ``model`` in eval mode for the block and restore its train/eval state afterwards.

    >>> net = nn.Dropout().train()
    >>> with evaluating(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    state = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for m, training in state.items():
            m.train(training)


def _check_batch(x) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() != 4:
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a float image batch (N, C, H, W); got {got}")
    return x


def _targets(target, logits: torch.Tensor) -> torch.Tensor:
    n, classes = logits.shape
    if target is None:
        return logits.argmax(1)
    t = torch.as_tensor(target, device=logits.device).long()
    if t.dim() == 0:
        t = t.expand(n)
    if t.shape != (n,) or bool((t < 0).any()) or bool((t >= classes).any()):
        raise ValueError(f"target must be None, a class index or {n} class indices in 0..{classes - 1}; got {target!r}")
    return t


def _score(model, x, target):
    out = model(x)
    if out.dim() != 2:
        raise ValueError(f"the model must return (N, classes) scores; got shape {tuple(out.shape)}")
    t = _targets(target, out)
    return out.gather(1, t[:, None]).sum(), t


def input_gradients(model: nn.Module, x: torch.Tensor, target=None) -> torch.Tensor:
    """The gradient of each image's class score (the logit of ``target``) with respect to its pixels, (N, C, H, W).

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> input_gradients(net, torch.zeros(1, 1, 2, 2), 1).flatten().equal(net[1].weight[1].detach())
    True
    """
    x = _check_batch(x).detach().clone().requires_grad_(True)
    with evaluating(model), torch.enable_grad():
        score, _ = _score(model, x, target)
        (grad,) = torch.autograd.grad(score, x)
    return grad


def saliency(model: nn.Module, x: torch.Tensor, target=None) -> torch.Tensor:
    """Simonyan et al.'s saliency map: ``max`` over colour channels of ``|d score / d pixel|``, (N, H, W).

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(2, 1))
    >>> with torch.no_grad(): _ = net[1].weight.copy_(torch.tensor([[-3.0, 2.0]]))
    >>> saliency(net, torch.zeros(1, 2, 1, 1), 0).flatten().tolist()
    [3.0]
    """
    return input_gradients(model, x, target).abs().amax(1)


def smoothgrad(model: nn.Module, x: torch.Tensor, target=None, *, samples: int = 25, sigma: float = 0.15,
               seed: int = 0) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017): the saliency map averaged over ``samples`` noisy copies of
    each image. The noise is Gaussian with standard deviation ``sigma`` times the image's value
    range (max - min), as in the paper (10-20% works well). The class is fixed on the clean image.

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> smoothgrad(net, torch.randn(3, 1, 2, 2), samples=4).shape
    torch.Size([3, 2, 2])
    """
    x = _check_batch(x)
    if samples < 1 or sigma < 0:
        raise ValueError(f"smoothgrad needs samples >= 1 and sigma >= 0; got samples={samples}, sigma={sigma}")
    with evaluating(model), torch.no_grad():
        t = _targets(target, model(x))
    scale = sigma * (x.amax((1, 2, 3)) - x.amin((1, 2, 3))).view(-1, 1, 1, 1)
    g = torch.Generator(device=x.device).manual_seed(seed)
    total = torch.zeros(x.shape[0], *x.shape[2:], device=x.device)
    for _ in range(samples):
        noise = torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype) * scale
        total += saliency(model, x + noise, t)
    return total / samples


def grad_cam(model: nn.Module, x: torch.Tensor, layer: str | nn.Module, target=None, *,
             upsample: bool = True) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017) at ``layer``: weight each channel of the layer's output
    ``A_k`` by the mean of the class score's gradient over that channel, sum and apply ReLU:
    ``relu(sum_k alpha_k A_k)``, alpha_k = mean_ij d score / d A_k[i, j]. Returns (N, h, w) at the
    layer's resolution, or bilinearly upsampled to the image's (N, H, W) with ``upsample``.

    >>> net = nn.Sequential(nn.Conv2d(1, 1, 1, bias=False), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    >>> with torch.no_grad(): _ = net[0].weight.fill_(1.0)
    >>> grad_cam(net, torch.tensor([[[[1.0, -2.0], [3.0, 0.0]]]]), "0", 0, upsample=False)
    tensor([[[0.2500, 0.0000],
             [0.7500, 0.0000]]])
    """
    x = _check_batch(x).detach().clone().requires_grad_(True)
    module = get_layer(model, layer)
    kept: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda m, inputs, output: kept.append(output))
    try:
        with evaluating(model), torch.enable_grad():
            score, _ = _score(model, x, target)
    finally:
        handle.remove()
    if len(kept) != 1 or not isinstance(kept[0], torch.Tensor) or kept[0].dim() != 4:
        shapes = [tuple(o.shape) if isinstance(o, torch.Tensor) else type(o).__name__ for o in kept]
        raise ValueError(f"Grad-CAM needs a layer that runs once and returns (N, C, h, w) maps; "
                         f"layer {layer!r} gave {shapes}")
    out = kept[0]
    (grad,) = torch.autograd.grad(score, out)
    acts = out.detach()
    alpha = grad.mean((2, 3), keepdim=True)
    cam = F.relu((alpha * acts).sum(1, keepdim=True))
    if upsample:
        cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return cam[:, 0]


def occlusion(model: nn.Module, x: torch.Tensor, target=None, *, window: int = 8, stride: int = 4,
              fill: float = 0.0, probability: bool = True, batch_size: int = 256) -> torch.Tensor:
    """Occlusion sensitivity (Zeiler and Fergus 2014): slide a ``window`` x ``window`` grey square
    (value ``fill``, 0 = the mean colour of normalised images) over the image with ``stride``,
    and record how much the class probability (``probability=False``: its logit) drops. Each
    pixel gets the average drop over the windows that cover it (captum's ``Occlusion`` does the
    same), so the map has the image's size (N, H, W); high values mark evidence for the class.

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> occlusion(net, torch.randn(1, 1, 2, 2), window=1, stride=1).shape
    torch.Size([1, 2, 2])
    """
    x = _check_batch(x)
    n, c, h, w = x.shape
    if not (1 <= window <= min(h, w)) or not (1 <= stride <= window):
        raise ValueError(f"occlusion needs 1 <= window <= {min(h, w)} and 1 <= stride <= window; "
                         f"got window={window}, stride={stride}")
    ys = [k * stride for k in range(math.ceil((h - window) / stride) + 1)]
    xs = [k * stride for k in range(math.ceil((w - window) / stride) + 1)]
    with evaluating(model), torch.no_grad():
        def score(batch, t):
            out = model(batch)
            out = out.softmax(1) if probability else out
            return out.gather(1, t[:, None])[:, 0]

        t = _targets(target, model(x))
        base = score(x, t)
        total = torch.zeros(n, h, w, device=x.device)
        count = torch.zeros(h, w, device=x.device)
        masks = []
        for i in ys:
            for j in xs:
                m = torch.zeros(h, w, dtype=torch.bool, device=x.device)
                m[i:i + window, j:j + window] = True
                masks.append(m)
        per = max(1, batch_size // n)
        for k in range(0, len(masks), per):
            group = torch.stack(masks[k:k + per])                       # (g, h, w)
            batch = torch.where(group[:, None, None], torch.as_tensor(fill, dtype=x.dtype, device=x.device),
                                x[None])                                # (g, n, c, h, w)
            drop = base - score(batch.flatten(0, 1), t.repeat(len(group))).view(len(group), n)
            total += (drop[:, :, None, None] * group[:, None]).sum(0)
            count += group.sum(0)
    return total / count.clamp(min=1)


def activation_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None,
                     layers: Sequence[str] | None = None, loss_fn=None):
    """Statistics of each layer's output on one batch, and of the loss gradient with respect to it.

    ``layers`` defaults to every activation module (ReLU, sigmoid, tanh, ...). With labels ``y``
    the loss (cross-entropy by default) is backpropagated, in train mode as during training.
    Columns: ``act mean``, ``act std``, ``dead %`` (ReLU outputs only: the share of units, a
    channel at one position, that are zero for every image of the batch; ``-`` for other
    layers), ``grad std`` (``-`` without ``y``). One row per layer, in forward order.

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> list(activation_stats(net, torch.ones(5, 3), torch.zeros(5, dtype=torch.long)).columns)
    ['kind', 'shape', 'act mean', 'act std', 'dead %', 'grad std']
    """
    import pandas as pd

    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"x must be a float batch; got {type(x).__name__}")
    if layers is None:
        layers = [n for n, m in model.named_modules() if isinstance(m, ACTIVATIONS)]
        if not layers:
            raise ValueError("the model has no activation modules (ReLU, sigmoid, ...); name the layers to watch")
    with Recorder(model, layers, grads=y is not None) as rec, torch.set_grad_enabled(y is not None):
        out = model(x)
        if y is not None:
            (loss_fn or nn.CrossEntropyLoss())(out, y).backward()
    rows = {}
    for name in layers:
        a = rec.activations[name].float()
        module = rec.modules[name]
        dead = "-"
        if isinstance(module, nn.ReLU):
            dead = round(100 * float((a == 0).all(0).float().mean()), 1)
        g = rec.gradients.get(name)
        rows[name] = {"kind": type(module).__name__, "shape": tuple(a.shape[1:]),
                      "act mean": float(a.mean()), "act std": float(a.std()), "dead %": dead,
                      "grad std": float(g.float().std()) if g is not None else "-"}
    model.zero_grad(set_to_none=True)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "layer"
    return frame


def features(model: nn.Module, x: torch.Tensor, layer: str | None = None, *, batch_size: int = 500) -> torch.Tensor:
    """The representation of each image at ``layer``, flattened to (N, D).

    ``layer=None`` takes the *input* of the last ``nn.Linear`` (the features the classifier reads).

    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> features(net, torch.zeros(5, 1, 2, 2)).shape
    torch.Size([5, 3])
    """
    x = _check_batch(x)
    if layer is None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("the model has no nn.Linear layer; name the layer whose output to use")
        module, use_input = linears[-1], True
    else:
        module, use_input = get_layer(model, layer), False
    kept: list[torch.Tensor] = []
    handle = module.register_forward_hook(
        lambda m, inp, out: kept.append((inp[0] if use_input else out).detach().flatten(1)))
    try:
        with evaluating(model), torch.no_grad():
            for i in range(0, len(x), batch_size):
                model(x[i:i + batch_size])
    finally:
        handle.remove()
    return torch.cat(kept)


def nearest_neighbours(query: torch.Tensor, bank: torch.Tensor, k: int = 5, *,
                       metric: str = "euclidean") -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` rows of ``bank`` closest to each row of ``query`` (both flattened to 2-D).

    Returns ``(indices, distances)``, each (Nq, k), nearest first. ``metric`` is
    ``"euclidean"`` or ``"cosine"`` (distance 1 - cosine similarity).

    >>> idx, d = nearest_neighbours(torch.tensor([[0.0, 0.1]]), torch.tensor([[5.0, 5.0], [0.0, 0.0], [1.0, 0.0]]), k=2)
    >>> idx.tolist()
    [[1, 2]]
    """
    q, b = torch.as_tensor(query).flatten(1).float(), torch.as_tensor(bank).flatten(1).float()
    if q.shape[1] != b.shape[1]:
        raise ValueError(f"query and bank need the same feature size; got {q.shape[1]} and {b.shape[1]}")
    if not 1 <= k <= len(b):
        raise ValueError(f"k must be between 1 and the bank's size {len(b)}; got {k}")
    if metric == "cosine":
        dist = 1 - F.normalize(q, dim=1) @ F.normalize(b, dim=1).T
    elif metric == "euclidean":
        dist = torch.cdist(q, b)
    else:
        raise ValueError(f"metric must be 'euclidean' or 'cosine'; got {metric!r}")
    d, idx = dist.topk(k, dim=1, largest=False)
    return idx, d


def show_attributions(images: torch.Tensor, maps: dict, *, titles: Sequence[str] | None = None,
                      cmap: str = "jet", alpha: float = 0.5, overlay=True, size: float = 1.6):
    """One row per method in ``maps`` (name -> (N, H, W) maps), one column per image; the first row
    shows the images. Each map is scaled to 0..1 per image and drawn over the image (``overlay``:
    True, False, or the names of the maps to draw over it; the others are drawn alone in ``gray``).

    >>> show_attributions(imgs, {"Grad-CAM": cams, "saliency": sal}, titles=labels);   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    images = torch.as_tensor(images).detach().float().cpu()
    n = images.shape[0]
    for name, m in maps.items():
        if tuple(m.shape) != (n, *images.shape[2:]):
            raise ValueError(f"maps[{name!r}] must have shape {(n, *images.shape[2:])}; got {tuple(m.shape)}")
    fig, axes = plt.subplots(1 + len(maps), n, figsize=(size * n, size * (1 + len(maps)) + 0.3), squeeze=False)
    rgb = images.permute(0, 2, 3, 1).squeeze(-1).numpy()
    for j in range(n):
        axes[0, j].imshow(rgb[j], cmap="gray" if rgb.ndim == 3 else None)
        if titles is not None:
            axes[0, j].set_title(titles[j], fontsize=8)
        for i, (name, m) in enumerate(maps.items(), start=1):
            v = m[j].detach().float().cpu()
            v = (v - v.min()) / (v.max() - v.min() + 1e-12)
            if overlay is True or (overlay is not False and name in overlay):
                axes[i, j].imshow(rgb[j], cmap="gray" if rgb.ndim == 3 else None)
                axes[i, j].imshow(v.numpy(), cmap=cmap, alpha=alpha, vmin=0, vmax=1)
            else:
                axes[i, j].imshow(v.numpy(), cmap="gray", vmin=0, vmax=1)
    for i, name in enumerate(["image", *maps]):
        axes[i, 0].set_ylabel(name, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([]); ax.set_yticks([])
    fig.tight_layout()
    return fig
