"""Chapters 05-06: the fully convolutional LeNet-style net, depthwise-separable convs, LeNet-5, VGG."""
import pytest
import torch
from torch import nn

from cnnkit import models
from cnnkit.summary import count_params, output_shape


def test_lenet_style_heads_have_the_lecture_counts_and_shapes():
    dense, conv = models.lenet_style(head="dense"), models.lenet_style(head="conv")
    assert count_params(dense) == count_params(conv) == 421_642
    assert count_params(dense[7]) == count_params(conv[6]) == 401_536
    assert count_params(dense[9]) == count_params(conv[8]) == 1_290
    assert output_shape(conv[:7], (1, 28, 28)) == (128, 1, 1)
    assert output_shape(conv[:9], (1, 28, 28)) == (10, 1, 1)
    assert output_shape(conv, (1, 28, 28)) == (10,)
    with pytest.raises(ValueError):
        models.lenet_style(head="mlp")


def test_to_fully_convolutional_copies_weights_and_takes_larger_images():
    torch.manual_seed(0)
    dense = models.lenet_style(head="dense")
    fcn = models.to_fully_convolutional(dense, (1, 28, 28))
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(dense(x), fcn(x), atol=1e-5)
        assert fcn[:-1](torch.randn(1, 1, 76, 112)).shape == (1, 10, 13, 22)
    # the copy is independent of the original
    with torch.no_grad():
        dense[0].weight.add_(1.0)
    assert not torch.allclose(dense[0].weight, fcn[0].weight)
    with pytest.raises(ValueError):
        models.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 8, 8))


def test_to_fully_convolutional_works_for_lenet5_and_vgg():
    torch.manual_seed(1)
    for net, size in ((models.lenet5(), (1, 28, 28)),
                      (models.vgg(((1, 4), (1, 8)), hidden=(16,), in_channels=3, image_size=16), (3, 16, 16))):
        fcn = models.to_fully_convolutional(net, size)
        x = torch.randn(2, *size)
        with torch.no_grad():
            assert torch.allclose(net(x), fcn(x), atol=1e-5)


def test_depthwise_separable_counts():
    sep = models.depthwise_separable(100, 100, 5, bias=False)
    assert count_params(sep) == 12_500 and sep[0].groups == 100
    assert count_params(models.depthwise_separable(8, 16, 3)) == 9 * 8 + 8 + 8 * 16 + 16
    assert output_shape(models.depthwise_separable(4, 6, 3, padding=1), (4, 10, 10)) == (6, 10, 10)


def test_lenet5_counts_and_shapes():
    assert count_params(models.lenet5()) == 61_706
    assert count_params(models.lenet5(in_channels=3, image_size=32)) == 62_006
    assert output_shape(models.lenet5(), (1, 28, 28)) == (10,)
    assert output_shape(models.lenet5(in_channels=3, image_size=32)[:6], (3, 32, 32)) == (16, 5, 5)
    assert isinstance(models.lenet5(activation=nn.Sigmoid)[1], nn.Sigmoid)
    with pytest.raises(ValueError):
        models.lenet5(image_size=27)


def test_vgg_block():
    block = models.vgg_block(3, 16, 32)
    assert sum(isinstance(m, nn.Conv2d) for m in block) == 3 and isinstance(block[-1], nn.MaxPool2d)
    assert output_shape(block, (16, 12, 12)) == (32, 6, 6)
    assert count_params(block) == (9 * 16 * 32 + 32) + 2 * (9 * 32 * 32 + 32)
    with pytest.raises(ValueError):
        models.vgg_block(0, 3, 8)


def test_vgg16_counts_match_lecture_and_torchvision():
    torchvision = pytest.importorskip("torchvision")
    with torch.device("meta"):
        ours, keras_like, tv = models.vgg16(), models.vgg16(num_classes=10, image_size=244), torchvision.models.vgg16()
    assert count_params(ours) == count_params(tv) == 138_357_544
    assert count_params(keras_like) == 134_301_514
    assert keras_like[1][1].in_features == 512 * 7 * 7


def test_vgg_cifar_and_small_vgg():
    with torch.device("meta"):
        assert count_params(models.vgg_cifar()) == 21_034_826
    small = models.vgg(((2, 8), (2, 16), (2, 32)), hidden=(64,), image_size=32)
    assert output_shape(small, (3, 32, 32)) == (10,)
    assert output_shape(small[0], (3, 32, 32)) == (32, 4, 4)
    with pytest.raises(ValueError):
        models.vgg(((1, 8),) * 6, image_size=32)
    with pytest.raises(ValueError):
        models.vgg_cifar(widths=(8, 16))
