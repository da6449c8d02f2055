"""Batched data augmentation on whole tensors (random crop, flip, erasing), on any device.

The :class:`~cnnkit.data.Loader` calls it on every training batch; ``cnnkit.data.Augment``
is the same class.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._checks_args import check_int, check_number, check_tensor


class Augment:
    """Batched data augmentation on whole tensors, on whatever device they live.

    * ``crop``: pad by this many pixels (zeros) and cut a random window of the original size;
    * ``flip``: mirror left-right with probability 0.5;
    * ``erase``: probability of wiping a random rectangle (2-33% of the area, aspect 0.3-3.3)
      to zero, as ``torchvision.transforms.RandomErasing`` does.

    ``crop`` and ``flip`` act on the (uint8) images before normalisation, ``erase`` after it
    (the :class:`Loader` calls them in that order). All off: the identity.

    >>> aug = Augment(crop=4, flip=True)
    >>> aug.geometric(torch.rand(8, 3, 32, 32)).shape
    torch.Size([8, 3, 32, 32])
    """

    def __init__(self, crop: int = 0, flip: bool = False, erase: float = 0.0):
        self.crop, self.flip = check_int("crop", crop, minimum=0), bool(flip)
        self.erase_p = check_number("erase", erase, low=0, high=1)

    def __repr__(self) -> str:
        return f"Augment(crop={self.crop}, flip={self.flip}, erase={self.erase_p})"

    @property
    def active(self) -> bool:
        return bool(self.crop or self.flip or self.erase_p)

    def geometric(self, x: torch.Tensor) -> torch.Tensor:
        """Random crop with zero padding and random horizontal flip of a batch (B, C, H, W).

        Works on uint8 or float batches. Both are done at once by one ``gather``: for every
        output pixel we compute which pixel of the padded image it comes from.
        """
        check_tensor("x", x, dims=4)
        if not (self.crop or self.flip):
            return x
        b, c, h, w = x.shape
        p, dev = self.crop, x.device
        src = F.pad(x, (p, p, p, p)) if p else x
        oy = torch.randint(0, 2 * p + 1, (b, 1, 1), device=dev)  # top-left corner of the window
        ox = torch.randint(0, 2 * p + 1, (b, 1, 1), device=dev)
        cols = torch.arange(w, device=dev).view(1, 1, w)
        if self.flip:
            mirrored = torch.rand(b, 1, 1, device=dev) < 0.5
            cols = torch.where(mirrored, w - 1 - cols, cols)
        rows = torch.arange(h, device=dev).view(1, h, 1)
        index = (oy + rows) * (w + 2 * p) + ox + cols  # (B, H, W) positions in the flattened padded image
        out = src.reshape(b, c, -1).gather(2, index.view(b, 1, h * w).expand(b, c, h * w))
        return out.view(b, c, h, w)

    def erase(self, x: torch.Tensor) -> torch.Tensor:
        """Random erasing of one rectangle per image, each with probability ``erase``."""
        check_tensor("x", x, dims=4, floating=True)
        if not self.erase_p:
            return x
        b, _, h, w = x.shape
        dev = x.device
        area = torch.empty(b, device=dev).uniform_(0.02, 0.33) * h * w
        ratio = torch.exp(torch.empty(b, device=dev).uniform_(math.log(0.3), math.log(3.3)))
        eh = (area * ratio).sqrt().round().clamp(1, h).long()
        ew = (area / ratio).sqrt().round().clamp(1, w).long()
        top = (torch.rand(b, device=dev) * (h - eh + 1)).long()
        left = (torch.rand(b, device=dev) * (w - ew + 1)).long()
        r = torch.arange(h, device=dev).view(1, h)
        cc = torch.arange(w, device=dev).view(1, w)
        in_r = (r >= top[:, None]) & (r < (top + eh)[:, None])
        in_c = (cc >= left[:, None]) & (cc < (left + ew)[:, None])
        on = torch.rand(b, device=dev) < self.erase_p
        mask = (in_r[:, :, None] & in_c[:, None, :] & on[:, None, None]).unsqueeze(1)
        return x.masked_fill(mask, 0.0)
