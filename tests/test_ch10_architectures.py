"""Chapter 10: AlexNet, NiN, Inception, GoogLeNet, ResNet (and plain twin), SE, DenseNet; layer_costs."""
import pytest
import torch
from torch import nn

from cnnkit import count_params, models as M
from cnnkit.summary import layer_costs


def meta(builder, *args, **kwargs):
    """Build a big model without allocating its weights (shapes and counts only)."""
    with torch.device("meta"):
        return builder(*args, **kwargs)


def test_alexnet_matches_the_lecture_table():
    m = meta(M.alexnet, in_channels=3, num_classes=1000)
    costs = layer_costs(m, (3, 224, 224))
    assert costs["output"].tolist()[:5] == [(96, 54, 54), (256, 26, 26), (384, 12, 12), (384, 12, 12), (256, 12, 12)]
    w = costs["mult_adds"].tolist()
    assert round(w[0] / 1e6) == 102 and round(w[1] / 1e6) == 415 and round(sum(w[2:5]) / 1e6) == 446
    assert costs["params"].tolist()[5] == 6400 * 4096 + 4096
    assert count_params(m) == 50_844_008
    assert round((count_params(m) - costs["params"].iloc[-1]) / 1e6) == 47      # without the 1000-way output layer
    with torch.device("meta"):
        assert M.alexnet(in_channels=1, num_classes=10)(torch.zeros(2, 1, 224, 224)).shape == (2, 10)


def test_nin_has_no_dense_layers_and_outputs_logits():
    m = M.nin(in_channels=1, num_classes=10)
    assert not any(isinstance(x, nn.Linear) for x in m.modules())
    assert m(torch.zeros(2, 1, 224, 224)).shape == (2, 10)
    assert len(M.nin_block(3, 8, 3)) == 6


def test_inception_block_lecture_numbers():
    blk = M.Inception(192, 64, (96, 128), (16, 32), 32, bias=False)
    costs = layer_costs(blk, (192, 28, 28))
    assert costs["params"].sum() == 163_328
    assert costs["mult_adds"].sum() == 163_328 * 28 * 28
    assert blk(torch.zeros(1, 192, 28, 28)).shape == (1, 256, 28, 28)
    assert blk.out_channels == 256
    assert count_params(M.Inception(192, 64, (96, 128), (16, 32), 32)) == 163_328 + 64 + 96 + 128 + 16 + 32 + 32


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_small_googlenet_shapes(shape):
    m = M.small_googlenet(in_channels=shape[0], num_classes=10, width=0.25)
    assert m(torch.zeros(2, *shape)).shape == (2, 10)


def test_residual_block_is_identity_when_branch_is_zeroed():
    torch.manual_seed(0)
    blk = M.ResidualBlock(8, 8).eval()
    nn.init.zeros_(blk.bn2.weight)
    nn.init.zeros_(blk.bn2.bias)
    x = torch.randn(2, 8, 6, 6)
    assert torch.equal(blk(x), torch.relu(x))
    assert blk.proj is None


def test_residual_block_projection_and_plain_twin():
    blk = M.ResidualBlock(8, 16, stride=2)
    assert blk.proj is not None and blk(torch.zeros(2, 8, 8, 8)).shape == (2, 16, 4, 4)
    plain = M.ResidualBlock(8, 16, stride=2, shortcut=False)
    assert plain.proj is None
    assert count_params(blk) - count_params(plain) == 8 * 16 + 2 * 16     # the 1x1 conv and its BN
    forced = M.ResidualBlock(8, 8, use_1x1conv=True)
    assert forced.proj is not None
    with pytest.raises(ValueError, match="identity shortcut"):
        M.ResidualBlock(8, 16, use_1x1conv=False)


def test_resnet_parameter_counts_and_plain_twin():
    assert count_params(M.resnet((3, 3, 3), (16, 32, 64))) == 272_474        # He et al.'s ResNet-20 (0.27M)
    assert count_params(meta(M.resnet)) == 11_173_962                       # ResNet-18 for CIFAR
    res, plain = M.resnet((2, 2), (8, 16)), M.resnet((2, 2), (8, 16), shortcut=False)
    convs = lambda m: sum(isinstance(x, nn.Conv2d) and x.kernel_size == (3, 3) for x in m.modules())
    assert convs(res) == convs(plain) == 1 + 2 * 4
    assert res(torch.zeros(2, 3, 32, 32)).shape == plain(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert M.resnet((1,), (8,), in_channels=1)(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(ValueError, match="one entry per stage"):
        M.resnet((2, 2), (8,))


def test_se_block_scales_channels():
    se = M.SEBlock(64, reduction=16)
    assert count_params(se) == 64 * 4 + 4 + 4 * 64 + 64
    x = torch.rand(2, 64, 5, 5)
    with torch.no_grad():
        y = se(x)
    ratio = y / x
    assert y.shape == x.shape and float(ratio.min()) > 0 and float(ratio.max()) < 1
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio))     # one weight per channel


def test_dense_block_and_transition():
    blk = M.DenseBlock(2, 3, 10)
    x = torch.randn(4, 3, 8, 8)
    y = blk(x)
    assert y.shape == (4, 23, 8, 8) and blk.out_channels == 23
    assert torch.equal(y[:, :3], x)                                          # the input is passed on unchanged
    assert M.transition_block(23, 10)(y).shape == (4, 10, 4, 4)


def test_layer_costs_grouped_and_errors():
    sep = M.depthwise_separable(64, 128, 3, padding=1, bias=False)
    costs = layer_costs(sep, (64, 16, 16))
    assert costs["params"].tolist() == [9 * 64, 64 * 128]
    assert costs["mult_adds"].sum() == (9 * 64 + 64 * 128) * 16 * 16
    assert "groups" in costs["kind"].iloc[0]
    assert layer_costs(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), (1, 28, 28))["mult_adds"].tolist() == [7840]
    with pytest.raises(ValueError, match="one example's shape"):
        layer_costs(nn.Linear(3, 3), (1, 3, 3, 3))
