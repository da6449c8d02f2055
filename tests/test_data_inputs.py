"""cnnkit.data: the bugs of issue 10 (cache aliasing, in-place transform) and clear errors for bad input."""
import pytest
import torch

import cnnkit.data as data_mod
from cnnkit.data import Augment, ImageData, Loader, channel_stats, dataset_name, load, loaders, to_images


@pytest.fixture
def fake_cache(monkeypatch):
    """``load``/``loaders`` read a small fake dataset instead of the files (cached like the real one)."""
    store = {}

    def fake(name, train, root, download):
        if (name, train) not in store:
            n = 40 if train else 20
            g = torch.Generator().manual_seed(int(train))
            store[(name, train)] = ((torch.rand(n, 1, 4, 4, generator=g) * 255).to(torch.uint8), torch.arange(n) % 10)
        return store[(name, train)]
    monkeypatch.setattr(data_mod, "_load_tensors", fake)
    return store


def test_editing_what_load_returns_does_not_change_later_loads(fake_cache):
    first = load("fashion_mnist")
    before = first.x.clone()
    first.x.zero_()
    first.y.fill_(3)
    again = load("fashion_mnist")
    assert torch.equal(again.x, before) and again.y.tolist() == (torch.arange(40) % 10).tolist()


def test_loaders_do_not_hand_out_the_cache(fake_cache):
    train, test = loaders("fashion_mnist", batch_size=8, device="cpu", normalize=None)
    cached_x = fake_cache[("fashion_mnist", True)][0]
    assert train.data.x.data_ptr() != cached_x.data_ptr()
    train.data.x.zero_()
    assert cached_x.any()


def test_transform_does_not_overwrite_a_float_input(tiny_data):
    for normalize in (None, "standard"):
        loader = Loader(tiny_data, 8, normalize=normalize, device="cpu")
        x = torch.rand(4, 1, 8, 8) * 255
        keep = x.clone()
        loader.transform(x)
        assert torch.equal(x, keep)


def test_transform_of_uint8_is_unchanged(tiny_data):
    loader = Loader(tiny_data, 8, normalize="pm1", device="cpu")
    assert torch.allclose(loader.transform(tiny_data.x[:4]), tiny_data.x[:4].float() / 127.5 - 1, atol=1e-6)


@pytest.mark.parametrize("n, err, msg", [
    (-5, ValueError, r"n must be an integer >= 1 or None; got -5"),
    (0, ValueError, r"n must be an integer >= 1 or None; got 0"),
    (2.5, TypeError, r"n must be an integer >= 1 or None; got 2.5"),
    (41, ValueError, r"n=41 is more than the 40 examples of Fashion-MNIST"),
])
def test_load_bad_n(fake_cache, n, err, msg):
    with pytest.raises(err, match=msg):
        load("fashion_mnist", n=n)


def test_loaders_bad_sizes(fake_cache):
    with pytest.raises(ValueError, match=r"n=100 is more than the 40 examples of Fashion-MNIST"):
        loaders("fashion_mnist", n_train=100, device="cpu")
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1; got 0"):
        loaders("fashion_mnist", batch_size=0, device="cpu")
    with pytest.raises(ValueError, match=r"test_batch_size must be an integer >= 1; got -1"):
        loaders("fashion_mnist", test_batch_size=-1, device="cpu")


def test_unknown_or_non_string_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet': expected one of fashion_mnist, cifar10"):
        dataset_name("imagenet")
    with pytest.raises(TypeError, match="dataset name must be a string such as 'cifar10'; got 10"):
        dataset_name(10)


@pytest.mark.parametrize("normalize, msg", [
    ((0.5, 0.5, 0.5), r"normalize must be a \(mean, std\) pair"),
    (("a", "b"), r"normalize must be a \(mean, std\) pair"),
    (((0.5,), (0.0,)), r"normalize: every std must be > 0"),
    ("zscore", r"normalize must be None, 'pm1', 'standard' or \(mean, std\); got 'zscore'"),
])
def test_bad_normalize(tiny_data, normalize, msg):
    with pytest.raises(ValueError, match=msg):
        Loader(tiny_data, 8, normalize=normalize, device="cpu")


def test_normalize_pair_of_numbers_works(tiny_data):
    loader = Loader(tiny_data, 8, normalize=(0.5, 0.5), device="cpu")
    assert loader.mean_std == ((0.5,), (0.5,))


def test_loader_bad_arguments(tiny_data):
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1; got 0"):
        Loader(tiny_data, 0, device="cpu")
    with pytest.raises(TypeError, match=r"batch_size must be an integer >= 1; got 8.0"):
        Loader(tiny_data, 8.0, device="cpu")
    with pytest.raises(TypeError, match=r"data must be an ImageData \(e.g. from cnnkit.load\); got Tensor"):
        Loader(tiny_data.x, 8, device="cpu")
    with pytest.raises(TypeError, match=r"augment must be an Augment or None; got dict"):
        Loader(tiny_data, 8, augment={"crop": 4}, device="cpu")


def test_imagedata_and_split_bad_input(tiny_data):
    with pytest.raises(TypeError, match=r"ImageData.x must be a torch.Tensor; got list"):
        ImageData([[0]], torch.zeros(1), ("a",))
    with pytest.raises(ValueError, match=r"n_val=500 is more than the 200 examples"):
        tiny_data.split(500)
    with pytest.raises(ValueError, match=r"n_val must be an integer >= 0; got -1"):
        tiny_data.split(-1)


def test_augment_bad_arguments():
    with pytest.raises(ValueError, match=r"crop must be an integer >= 0; got -1"):
        Augment(crop=-1)
    with pytest.raises(TypeError, match=r"crop must be an integer >= 0; got 2.5"):
        Augment(crop=2.5)
    with pytest.raises(ValueError, match=r"erase must be a number in \[0, 1\]; got 1.5"):
        Augment(erase=1.5)
    with pytest.raises(ValueError, match=r"x must have 4 dimensions; got shape \(3, 8, 8\)"):
        Augment(crop=2).geometric(torch.zeros(3, 8, 8))
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor; got torch.uint8"):
        Augment(erase=0.5).erase(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))


def test_channel_stats_bad_input():
    with pytest.raises(ValueError, match=r"data must have 4 dimensions; got shape \(2, 4, 4\)"):
        channel_stats(torch.zeros(2, 4, 4, dtype=torch.uint8))
    with pytest.raises(TypeError, match=r"data must hold uint8 images \(0..255\); got torch.float32"):
        channel_stats(torch.zeros(2, 1, 4, 4))
    with pytest.raises(TypeError, match=r"data must be a torch.Tensor; got list"):
        channel_stats([1, 2])


def test_to_images_bad_input():
    with pytest.raises(ValueError, match=r"x must have 4 dimensions; got shape \(1, 4, 4\)"):
        to_images(torch.zeros(1, 4, 4))
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor; got torch.uint8"):
        to_images(torch.zeros(1, 1, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"mean_std has 3 channel means; x has 1 channels"):
        to_images(torch.zeros(1, 1, 4, 4), ((0.5,) * 3, (0.5,) * 3))
    with pytest.raises(ValueError, match=r"mean_std must be a \(mean, std\) pair"):
        to_images(torch.zeros(1, 1, 4, 4), (0.5,))
