import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

from cnnkit.data import ImageData  # noqa: E402


@pytest.fixture
def tiny_data():
    """200 random 1x8x8 uint8 images in 4 classes, the class written into the pixel mean."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 4
    x = (torch.rand(200, 1, 8, 8, generator=g) * 60 + y.view(-1, 1, 1, 1) * 60).to(torch.uint8)
    return ImageData(x, y, ("a", "b", "c", "d"), "tiny")


@pytest.fixture
def rgb_data():
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(64, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    return ImageData(x, torch.arange(64) % 10, tuple("abcdefghij"), "rgb")


def has_real_data(name):
    from cnnkit.data import DATASETS, data_root
    sub = {"fashion_mnist": "FashionMNIST/raw/train-images-idx3-ubyte", "cifar10": "cifar-10-batches-py/data_batch_1"}[name]
    return (data_root() / sub).exists()
