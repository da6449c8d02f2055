"""Datasets as uint8 tensors on the training device, sliced into batches there.

The textbook way (a torchvision ``DataLoader`` with PIL transforms) decodes,
crops and converts every image in Python, one at a time. Fashion-MNIST and
CIFAR-10 are small enough to live on the GPU (or in RAM) as one uint8 tensor,
so here a batch is an index into that tensor, and augmentation runs on the
whole batch at once on the same device. ``benchmarks/loader.py`` measures
the difference.

>>> train, test = loaders("fashion_mnist", batch_size=256)   # doctest: +SKIP
>>> x, y = next(iter(train)); x.shape                          # doctest: +SKIP
torch.Size([256, 1, 28, 28])
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import torch

from ._checks_args import check_int, check_tensor
from .augment import Augment
from .env import get_device, repo_root

# name -> (torchvision class name, pretty name, class names)
DATASETS = {
    "fashion_mnist": ("FashionMNIST", "Fashion-MNIST",
                      ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "cifar10": ("CIFAR10", "CIFAR-10",
                ("airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck")),
}


class DatasetNotAvailable(RuntimeError):
    """A dataset is not in the data root and could not be downloaded."""


def dataset_name(name: str) -> str:
    """Normalise a dataset name: ``"Fashion-MNIST"``, ``"FashionMNIST"`` -> ``"fashion_mnist"``.

    >>> dataset_name("CIFAR-10")
    'cifar10'
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string such as 'cifar10'; got {name!r}")
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    for canon, (tv_name, pretty, _) in DATASETS.items():
        if key in {canon.replace("_", ""), tv_name.lower(), "".join(c for c in pretty.lower() if c.isalnum())}:
            return canon
    raise ValueError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")


def class_names(name: str) -> tuple[str, ...]:
    """The ten class names of a dataset, in label order.

    >>> class_names("fashion_mnist")[9]
    'Ankle boot'
    """
    return DATASETS[dataset_name(name)][2]


def data_root(start: str | os.PathLike | None = None) -> Path:
    """The torchvision root for every chapter: ``$CNNKIT_DATA`` if set; else ``data/`` at the top
    of the course repository when the working directory is inside it (so chapters find it from
    ``chapters/``); else ``./data`` (e.g. in Colab).

    >>> data_root().name
    'data'
    """
    env = os.environ.get("CNNKIT_DATA")
    if env:
        return Path(env).expanduser()
    top = repo_root(start)
    return (top / "data") if top else Path("data")


@dataclass
class ImageData:
    """Images as a uint8 tensor ``x`` of shape (N, C, H, W) and labels ``y`` (int64, N).

    >>> d = ImageData(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]), ("a", "b"))
    >>> len(d), d.image_shape
    (4, (1, 2, 2))
    """

    x: torch.Tensor
    y: torch.Tensor
    classes: tuple[str, ...]
    name: str = ""

    def __post_init__(self):
        check_tensor("ImageData.x", self.x)
        check_tensor("ImageData.y", self.y)
        if self.x.dtype != torch.uint8 or self.x.dim() != 4:
            raise ValueError(f"ImageData.x must be a uint8 tensor (N, C, H, W); got {self.x.dtype} {tuple(self.x.shape)}")
        if self.y.shape != (self.x.shape[0],):
            raise ValueError(f"ImageData.y must have shape ({self.x.shape[0]},); got {tuple(self.y.shape)}")
        self.y = self.y.long()

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def device(self) -> torch.device:
        return self.x.device

    def to(self, device) -> "ImageData":
        return ImageData(self.x.to(device), self.y.to(device), self.classes, self.name)

    def take(self, index) -> "ImageData":
        index = torch.as_tensor(index, device=self.x.device)
        return ImageData(self.x[index], self.y[index], self.classes, self.name)

    def subset(self, n: int | None, seed: int = 0, balanced: bool = True) -> "ImageData":
        """``n`` examples chosen at random; with ``balanced`` the same number from each class.

        ``n=None`` (or ``n == len``) returns the data unchanged; more than ``len`` is an error.

        >>> d = ImageData(torch.zeros(6, 1, 1, 1, dtype=torch.uint8), torch.tensor([0, 0, 0, 1, 1, 1]), ("a", "b"))
        >>> d.subset(4).y.bincount().tolist()
        [2, 2]
        """
        n = check_int("n", n, minimum=1, allow_none=True)
        if n is not None and n > len(self):
            raise ValueError(f"n={n} is more than the {len(self)} examples of {self.name or 'this data'}")
        if n is None or n == len(self):
            return self
        g = torch.Generator().manual_seed(seed)
        y = self.y.cpu()
        if not balanced:
            idx = torch.randperm(len(self), generator=g)[:n]
        else:
            per, extra = divmod(n, self.num_classes)
            parts = []
            for c in range(self.num_classes):
                members = (y == c).nonzero().flatten()
                k = per + (1 if c < extra else 0)
                parts.append(members[torch.randperm(len(members), generator=g)[:k]])
            idx = torch.cat(parts)
            idx = idx[torch.randperm(len(idx), generator=g)]
        return self.take(idx.sort().values)

    def split(self, n_val: int, seed: int = 0) -> tuple["ImageData", "ImageData"]:
        """Split off ``n_val`` random examples, e.g. a validation set: returns (rest, val)."""
        n_val = check_int("n_val", n_val, minimum=0)
        if n_val > len(self):
            raise ValueError(f"n_val={n_val} is more than the {len(self)} examples")
        g = torch.Generator().manual_seed(seed)
        perm = torch.randperm(len(self), generator=g)
        return self.take(perm[n_val:].sort().values), self.take(perm[:n_val].sort().values)


@lru_cache(maxsize=8)
def _load_tensors(name: str, train: bool, root: str, download: bool):
    import torchvision

    tv_name, pretty, _ = DATASETS[name]
    cls = getattr(torchvision.datasets, tv_name)
    try:
        ds = cls(root=root, train=train, download=download)
    except Exception as err:  # offline, or a broken file
        raise DatasetNotAvailable(
            f"{pretty} ({'train' if train else 'test'}) is not in {root} and could not be downloaded "
            f"({type(err).__name__}: {err}). Online, torchvision downloads it there by itself. "
            f"Offline, seed the folder with the official files, e.g. `../shared/data/seed-offline-data {root}`, "
            f"or point CNNKIT_DATA at a folder that has them.") from None
    x = torch.as_tensor(ds.data)
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)  # (N,H,W) or (N,H,W,C) -> (N,C,H,W)
    y = torch.as_tensor(ds.targets, dtype=torch.long)
    return x.contiguous(), y


def load(name: str, train: bool = True, n: int | None = None, *, seed: int = 0,
         root: str | os.PathLike | None = None, download: bool = True,
         device: torch.device | str | None = "cpu") -> ImageData:
    """Load a dataset as :class:`ImageData` (uint8, N x C x H x W).

    ``n`` takes a class-balanced random subset (see :meth:`ImageData.subset`). The images are
    the caller's own: editing them in place does not change what later calls return.

    >>> test = load("cifar10", train=False, n=1000)       # doctest: +SKIP
    >>> test.x.shape, test.x.dtype                         # doctest: +SKIP
    (torch.Size([1000, 3, 32, 32]), torch.uint8)
    """
    full = _cached(name, train, root, download)
    data = full.subset(n, seed=seed)
    return _own(data.to(device) if device is not None else data, full)


def _cached(name: str, train: bool, root, download: bool) -> ImageData:
    """The whole dataset as the cache holds it (shared: never edit it, never hand it out)."""
    name = dataset_name(name)
    root = str(Path(root) if root is not None else data_root())
    x, y = _load_tensors(name, bool(train), root, bool(download))
    return ImageData(x, y, DATASETS[name][2], DATASETS[name][1])


def _own(data: ImageData, cached: ImageData) -> ImageData:
    """``data`` itself, or a copy when it still shares memory with the cache."""
    if data.x.data_ptr() == cached.x.data_ptr():
        return ImageData(data.x.clone(), data.y.clone(), data.classes, data.name)
    return data


def channel_stats(data: ImageData | torch.Tensor, chunk: int = 4096) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images, on the 0..1 scale.

    >>> x = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
    >>> channel_stats(x)
    ((0.5,), (0.5,))
    """
    x = data.x if isinstance(data, ImageData) else check_tensor("data", data, dims=4)
    if x.dtype != torch.uint8:
        raise TypeError(f"data must hold uint8 images (0..255); got {x.dtype}")
    chunk = check_int("chunk", chunk, minimum=1)
    c = x.shape[1]
    s = torch.zeros(c, dtype=torch.float64)
    s2 = torch.zeros(c, dtype=torch.float64)
    for i in range(0, x.shape[0], chunk):
        b = x[i:i + chunk].to(torch.float64).div_(255).transpose(0, 1).reshape(c, -1)
        s += b.sum(1).cpu()
        s2 += (b * b).sum(1).cpu()
    n = x.numel() / c
    mean = s / n
    std = (s2 / n - mean ** 2).clamp_min(0).sqrt()
    return tuple(round(v, 4) for v in mean.tolist()), tuple(round(v, 4) for v in std.tolist())


def _norm_stats(normalize, train_data: ImageData | None):
    if normalize is None or normalize is False:
        return None
    if isinstance(normalize, str):
        if normalize == "pm1":  # (x - 0.5) / 0.5: pixels in [-1, 1]
            c = train_data.image_shape[0] if train_data is not None else 1
            return (0.5,) * c, (0.5,) * c
        if normalize == "standard":
            if train_data is None:
                raise ValueError("normalize='standard' needs the training data to compute mean and std")
            return channel_stats(train_data)
        raise ValueError(f"normalize must be None, 'pm1', 'standard' or (mean, std); got {normalize!r}")
    return _mean_std("normalize", normalize)


def _mean_std(arg: str, pair) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Check a ``(mean, std)`` pair of per-channel sequences (or single numbers)."""
    want = f"{arg} must be a (mean, std) pair such as ((0.5,), (0.5,)) or (0.5, 0.5)"
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{want}; got {pair!r}")
    out = []
    for part in pair:
        vals = (part,) if isinstance(part, (int, float)) else part
        try:
            vals = tuple(float(v) for v in vals)
        except (TypeError, ValueError):
            raise ValueError(f"{want}; got {pair!r}") from None
        if not vals:
            raise ValueError(f"{want}; got {pair!r}")
        out.append(vals)
    if any(v <= 0 for v in out[1]):
        raise ValueError(f"{arg}: every std must be > 0; got {out[1]}")
    return out[0], out[1]


class Loader:
    """Iterate over shuffled batches of an :class:`ImageData` held on one device.

    Each epoch draws a new permutation; a batch is ``x[perm[i:i+B]]`` turned into
    floats in 0..1, augmented, and normalised with ``(x - mean) / std``.
    ``normalize`` is None (0..1), ``"pm1"`` (-1..1), ``"standard"`` (this data's
    own channel statistics) or a ``(mean, std)`` pair.

    >>> d = ImageData(torch.zeros(10, 1, 4, 4, dtype=torch.uint8), torch.arange(10) % 2, ("a", "b"))
    >>> [xb.shape[0] for xb, yb in Loader(d, batch_size=4, device="cpu")]
    [4, 4, 2]
    """

    def __init__(self, data: ImageData, batch_size: int = 128, *, shuffle: bool = False,
                 augment: Augment | None = None, normalize=None, drop_last: bool = False,
                 device: torch.device | str | None = None, seed: int = 0):
        if not isinstance(data, ImageData):
            raise TypeError(f"data must be an ImageData (e.g. from cnnkit.load); got {type(data).__name__}")
        batch_size = check_int("batch_size", batch_size, minimum=1)
        if augment is not None and not isinstance(augment, Augment):
            raise TypeError(f"augment must be an Augment or None; got {type(augment).__name__}")
        self.device = torch.device(device) if device is not None else get_device()
        self.data = data.to(self.device)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.augment = augment if augment is not None and augment.active else None
        stats = _norm_stats(normalize, data)
        self.mean_std = stats
        if stats is not None:
            c = data.image_shape[0]
            mean, std = (torch.tensor(s, dtype=torch.float32, device=self.device) for s in stats)
            if mean.numel() not in (1, c):
                raise ValueError(f"normalize has {mean.numel()} channel means; the data has {c} channels")
            self._scale = (1 / (255 * std)).view(1, -1, 1, 1)
            self._shift = (-mean / std).view(1, -1, 1, 1)
        self._gen = torch.Generator().manual_seed(seed)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.data.classes

    def __len__(self) -> int:
        n = len(self.data)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def transform(self, x_uint8: torch.Tensor, train: bool | None = None) -> torch.Tensor:
        """The float batch the model sees for uint8 images (augmented when this loader augments).

        Crop and flip run on the uint8 images (a quarter of the memory traffic of floats);
        then one multiply-add turns them into normalised floats: x * 1/(255 std) - mean/std.
        """
        check_tensor("x_uint8", x_uint8, dims=4)
        aug = self.augment if (train is None or train) else None
        x = aug.geometric(x_uint8) if aug is not None else x_uint8
        x = x.float()
        if x is x_uint8:  # already float32: never overwrite the caller's tensor
            x = x.clone()
        if self.mean_std is not None:
            x = x.mul_(self._scale).add_(self._shift)
        else:
            x = x.div_(255)
        if aug is not None:
            x = aug.erase(x)
        return x

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.data)
        if self.shuffle:
            order = torch.randperm(n, generator=self._gen).to(self.device)
        else:
            order = torch.arange(n, device=self.device)
        stop = n - n % self.batch_size if self.drop_last else n
        for i in range(0, stop, self.batch_size):
            idx = order[i:i + self.batch_size]
            yield self.transform(self.data.x[idx]), self.data.y[idx]


def loaders(name: str, batch_size: int = 128, *, n_train: int | None = None, n_test: int | None = None,
            augment: Augment | None = None, normalize="standard", device=None, seed: int = 0,
            test_batch_size: int = 1024) -> tuple[Loader, Loader]:
    """Training and test loaders for a dataset, ready for :func:`cnnkit.fit`.

    The training loader shuffles and augments; both normalise with statistics of
    the *full* training set (``"standard"``), ``"pm1"`` or a given ``(mean, std)``.
    ``n_train``/``n_test`` take class-balanced subsets (the quick profile uses them).

    >>> train, test = loaders("cifar10", n_train=5000, augment=Augment(crop=4, flip=True))  # doctest: +SKIP
    """
    check_int("test_batch_size", test_batch_size, minimum=1)
    device = torch.device(device) if device is not None else get_device()
    full_train = _cached(name, True, None, True)  # read only: statistics and the subset
    stats = _norm_stats(normalize, full_train)
    train = Loader(_own(full_train.subset(n_train, seed=seed), full_train), batch_size, shuffle=True, augment=augment,
                   normalize=stats, device=device, seed=seed)
    test = Loader(load(name, train=False, n=n_test, seed=seed, device=None), test_batch_size,
                  normalize=stats, device=device)
    return train, test


def to_images(x: torch.Tensor, mean_std: tuple[Sequence[float], Sequence[float]] | None = None) -> torch.Tensor:
    """Undo normalisation: a float batch back to 0..1 images for plotting.

    >>> to_images(torch.zeros(1, 1, 2, 2), ((0.5,), (0.5,))).unique().tolist()
    [0.5]
    """
    check_tensor("x", x, dims=4, floating=True)
    if mean_std is None:
        return x.clamp(0, 1)
    mean_std = _mean_std("mean_std", mean_std)
    if any(len(s) not in (1, x.shape[1]) for s in mean_std):
        raise ValueError(f"mean_std has {len(mean_std[0])} channel means; x has {x.shape[1]} channels")
    mean = torch.tensor(mean_std[0], device=x.device).view(1, -1, 1, 1)
    std = torch.tensor(mean_std[1], device=x.device).view(1, -1, 1, 1)
    return (x * std + mean).clamp(0, 1)
