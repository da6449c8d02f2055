import os

import pytest
import torch

import cnnkit
from cnnkit.data import (Augment, DatasetNotAvailable, ImageData, Loader, channel_stats, class_names, data_root,
                         dataset_name, load, loaders, to_images)
from cnnkit.env import repo_root

from conftest import has_real_data


def test_dataset_names_are_normalised():
    for alias in ("fashion_mnist", "Fashion-MNIST", "FashionMNIST", "fashionmnist"):
        assert dataset_name(alias) == "fashion_mnist"
    for alias in ("cifar10", "CIFAR-10", "CIFAR10"):
        assert dataset_name(alias) == "cifar10"


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown dataset 'mnist': expected one of fashion_mnist, cifar10"):
        load("mnist")


def test_class_names():
    assert class_names("cifar10")[:2] == ("airplane", "automobile")
    assert len(class_names("fashion_mnist")) == 10


def test_data_root_inside_repo_from_any_subfolder(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNKIT_DATA", raising=False)
    top = repo_root(os.path.dirname(__file__))
    assert top is not None
    monkeypatch.chdir(top / "chapters")
    assert data_root() == top / "data"
    monkeypatch.chdir(top / "cnnkit")
    assert data_root() == top / "data"


def test_data_root_outside_repo_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNKIT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert str(data_root()) == "data"
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "elsewhere"))
    assert data_root() == tmp_path / "elsewhere"


def test_missing_data_offline_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetNotAvailable, match="seed-offline-data"):
        load("cifar10", root=tmp_path, download=False)


def test_imagedata_validates_shapes():
    with pytest.raises(ValueError, match="uint8"):
        ImageData(torch.zeros(2, 1, 4, 4), torch.zeros(2), ("a",))
    with pytest.raises(ValueError, match="y must have shape"):
        ImageData(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.zeros(3), ("a",))


def test_subset_is_class_balanced_and_repeatable(tiny_data):
    s = tiny_data.subset(40, seed=1)
    assert len(s) == 40 and s.y.bincount().tolist() == [10, 10, 10, 10]
    assert torch.equal(s.x, tiny_data.subset(40, seed=1).x)
    assert not torch.equal(s.y, tiny_data.subset(40, seed=2).y) or not torch.equal(s.x, tiny_data.subset(40, seed=2).x)
    assert tiny_data.subset(None) is tiny_data and tiny_data.subset(len(tiny_data)) is tiny_data


def test_split(tiny_data):
    rest, val = tiny_data.split(50)
    assert len(rest) == 150 and len(val) == 50


def test_one_epoch_visits_every_example_exactly_once(tiny_data):
    ids = ImageData(torch.arange(200, dtype=torch.uint8).view(200, 1, 1, 1) , tiny_data.y, tiny_data.classes)
    loader = Loader(ids, batch_size=32, shuffle=True, device="cpu")
    for _ in range(2):  # two epochs, two different orders
        seen = torch.cat([xb.flatten() for xb, _ in loader])
        assert sorted((seen * 255).round().long().tolist()) == list(range(200))
    orders = [torch.cat([xb.flatten() for xb, _ in loader]) for _ in range(2)]
    assert not torch.equal(orders[0], orders[1])


def test_loader_lengths_and_drop_last(tiny_data):
    assert len(Loader(tiny_data, 64, device="cpu")) == 4
    assert len(Loader(tiny_data, 64, drop_last=True, device="cpu")) == 3
    assert [x.shape[0] for x, _ in Loader(tiny_data, 64, drop_last=True, device="cpu")] == [64, 64, 64]
    with pytest.raises(ValueError, match="batch_size"):
        Loader(tiny_data, 0)


def test_loader_normalisation(rgb_data):
    x, _ = next(iter(Loader(rgb_data, 64, device="cpu")))
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    x, _ = next(iter(Loader(rgb_data, 64, normalize="pm1", device="cpu")))
    assert -1 <= x.min() and x.max() <= 1
    x, _ = next(iter(Loader(rgb_data, 64, normalize="standard", device="cpu")))
    m = x.mean(dim=(0, 2, 3))
    s = x.std(dim=(0, 2, 3))
    assert torch.allclose(m, torch.zeros(3), atol=1e-3) and torch.allclose(s, torch.ones(3), atol=1e-2)
    with pytest.raises(ValueError, match="normalize must be"):
        Loader(rgb_data, normalize="zscore", device="cpu")
    with pytest.raises(ValueError, match="channel means"):
        Loader(rgb_data, normalize=((0.5, 0.5), (0.5, 0.5)), device="cpu")


def test_channel_stats_match_torch(rgb_data):
    mean, std = channel_stats(rgb_data)
    x = rgb_data.x.double() / 255
    assert torch.allclose(torch.tensor(mean, dtype=torch.float64), x.mean(dim=(0, 2, 3)), atol=1e-4)
    assert torch.allclose(torch.tensor(std, dtype=torch.float64), x.std(dim=(0, 2, 3), unbiased=False), atol=1e-4)


def test_augment_keeps_shape_dtype_and_is_identity_when_off(rgb_data):
    x = rgb_data.x.float() / 255
    off = Augment()
    assert not off.active
    assert torch.equal(off.geometric(x), x) and torch.equal(off.erase(x), x)
    on = Augment(crop=4, flip=True, erase=1.0)
    for f in (on.geometric, on.erase):
        y = f(x)
        assert y.shape == x.shape and y.dtype == x.dtype
    # a loader without augmentation returns the images themselves
    xb, _ = next(iter(Loader(rgb_data, 64, augment=Augment(), device="cpu")))
    assert torch.allclose(xb, x)


def test_crop_is_a_shifted_window_and_flip_mirrors():
    x = torch.arange(16.).view(1, 1, 4, 4).repeat(64, 1, 1, 1)
    torch.manual_seed(0)
    y = Augment(crop=1).geometric(x)
    # every output is the input shifted by at most one pixel, with zero padding
    padded = torch.nn.functional.pad(x[0], (1, 1, 1, 1))
    windows = {tuple(padded[0, i:i + 4, j:j + 4].flatten().tolist()) for i in range(3) for j in range(3)}
    assert all(tuple(img[0].flatten().tolist()) in windows for img in y)
    assert len({tuple(img.flatten().tolist()) for img in y}) > 3
    f = Augment(flip=True).geometric(x)
    assert all(torch.equal(img, x[0]) or torch.equal(img, x[0].flip(2)) for img in f)


def test_random_erasing_zeroes_one_rectangle():
    torch.manual_seed(0)
    x = torch.ones(32, 3, 16, 16)
    y = Augment(erase=1.0).erase(x)
    for img in y:
        zero = (img[0] == 0)
        assert zero.any()
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        box = zero[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all()  # a filled rectangle
        assert torch.equal(img[0] == 0, img[1] == 0)  # same rectangle in every channel
        assert 0.02 * 256 * 0.5 <= zero.sum() <= 0.33 * 256 * 1.5
    assert torch.equal(Augment(erase=0.0).erase(x), x)
    with pytest.raises(ValueError):
        Augment(erase=2.0)


def test_to_images_undoes_normalisation(rgb_data):
    loader = Loader(rgb_data, 64, normalize="standard", device="cpu")
    x, _ = next(iter(loader))
    assert torch.allclose(to_images(x, loader.mean_std), rgb_data.x.float() / 255, atol=2e-3)


@pytest.mark.skipif(not has_real_data("fashion_mnist"), reason="Fashion-MNIST not in data/")
def test_real_fashion_mnist():
    d = load("fashion_mnist", train=False)
    assert d.x.shape == (10000, 1, 28, 28) and d.x.dtype == torch.uint8
    assert d.y.bincount().tolist() == [1000] * 10
    train, test = loaders("fashion_mnist", batch_size=100, n_train=500, n_test=200, device="cpu")
    x, y = next(iter(train))
    assert x.shape == (100, 1, 28, 28) and len(test.data) == 200
    assert abs(float(x.mean())) < 0.5  # standardised with the training set's statistics


@pytest.mark.skipif(not has_real_data("cifar10"), reason="CIFAR-10 not in data/")
def test_real_cifar10_stats():
    d = load("cifar10", train=True)
    assert d.x.shape == (50000, 3, 32, 32)
    mean, std = channel_stats(d)
    assert mean == pytest.approx((0.4914, 0.4822, 0.4465), abs=1e-4)
    assert std == pytest.approx((0.2470, 0.2435, 0.2616), abs=1e-4)
