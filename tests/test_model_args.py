"""cnnkit.models: one rule for the builders' arguments, a clear error for every bad one, and the
one probe helper (cnnkit.summary.probe) that every "push one example through" uses."""
import inspect
import re

import matplotlib
import pytest
import torch
from torch import nn

from cnnkit import models as M
from cnnkit.plot import plot_history
from cnnkit.recipes import Distill, Mixup, smooth_labels
from cnnkit.summary import check_input, layer_costs, output_shape, probe
from cnnkit.train import History

matplotlib.use("Agg")

# ---------------------------------------------------------------- the bug: probing in training mode


def bn_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def test_to_fully_convolutional_gives_identical_eval_logits_with_batchnorm():
    net = bn_net().train()                                   # a model straight from its builder is in training mode
    fcn = M.to_fully_convolutional(net, (1, 8, 8))
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(net.eval()(x), fcn.eval()(x), atol=1e-6)    # before the fix: 0.04 apart
    assert int(fcn[1].num_batches_tracked) == 0 and torch.equal(fcn[1].running_mean, net[1].running_mean)
    assert fcn.training is False and net.training is False


def test_to_fully_convolutional_leaves_the_original_as_it_was():
    net = bn_net().train()
    M.to_fully_convolutional(net, (1, 8, 8))
    assert net.training and net[1].training and int(net[1].num_batches_tracked) == 0


def test_probe_runs_in_eval_mode_without_grad_and_restores_every_flag():
    net = bn_net().train()
    net[1].eval()                                            # a frozen BatchNorm inside a training model stays frozen
    seen = {}
    net[2].register_forward_hook(lambda m, i, o: seen.update(training=m.training, grad=torch.is_grad_enabled()))
    out = probe(net, (1, 8, 8))
    assert out.shape == (1, 10) and not out.requires_grad
    assert seen == {"training": False, "grad": False}
    assert net.training and not net[1].training and net[0].training
    assert int(net[1].num_batches_tracked) == 0


def test_probe_restores_flags_when_the_forward_pass_fails():
    net = nn.Sequential(nn.Flatten(), nn.Linear(5, 2), nn.BatchNorm1d(2)).train()
    with pytest.raises(RuntimeError):
        probe(net, (1, 2, 2))
    assert all(m.training for m in net.modules())


def test_probe_uses_the_model_dtype_and_every_summary_uses_probe():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).double().train()
    assert probe(net, (1, 5, 5)).dtype == torch.float64
    output_shape(net, (1, 5, 5)), check_input(net, (1, 5, 5)), layer_costs(net, (1, 5, 5))
    assert int(net[1].num_batches_tracked) == 0 and net.training


# ---------------------------------------------------------------- the argument rule

NETWORKS = [M.mlp, M.first_cnn, M.downsample_cnn, M.all_conv_net, M.lenet_style, M.lenet5, M.vgg, M.vgg16,
            M.vgg_cifar, M.ladder_cnn, M.regularised_vgg, M.alexnet, M.nin, M.small_googlenet, M.resnet]
# block -> its positional parameters (the rest is keyword-only)
BLOCKS = {M.Resize: ["scale_factor"], M.depthwise_separable: ["in_channels", "out_channels", "kernel_size"],
          M.vgg_block: ["num_convs", "in_channels", "out_channels"], M.norm_layer: ["kind", "channels"],
          M.LadderStage: ["in_channels", "out_channels"], M.RegularisedBlock: ["in_channels", "out_channels"],
          M.nin_block: ["in_channels", "out_channels", "kernel_size"],
          M.Inception: ["in_channels", "c1", "c2", "c3", "c4"], M.ResidualBlock: ["in_channels", "out_channels"],
          M.SEBlock: ["channels"], M.DenseBlock: ["num_convs", "in_channels", "growth"],
          M.transition_block: ["in_channels", "out_channels"]}
SIZES = {"in_channels", "in_features", "image_size", "num_classes"}


def positional(fn):
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "self"]


@pytest.mark.parametrize("builder", NETWORKS, ids=lambda f: f.__name__)
def test_network_sizes_are_keyword_only(builder):
    assert not SIZES & set(positional(builder)), positional(builder)


@pytest.mark.parametrize("block", list(BLOCKS), ids=lambda f: f.__name__)
def test_blocks_take_only_their_leading_arguments_by_position(block):
    assert positional(block) == BLOCKS[block]


def test_every_public_builder_is_covered_by_the_rule():
    builders = {getattr(M, n) for n in M.__all__ if callable(getattr(M, n)) and not n.isupper()}
    helpers = {M.init_weights, M.to_fully_convolutional, M.activation_layer}
    assert builders == set(NETWORKS) | set(BLOCKS) | helpers


# ---------------------------------------------------------------- a clear error for each bad argument

def history():
    h = History()
    h.append(train_loss=1.0, train_acc=0.5, test_loss=1.0, test_acc=0.5)
    return h


CASES = [
    # (id, call, exception, message pattern)
    ("lenet5 positional sizes", lambda: M.lenet5(3, 32), TypeError, "takes 0 positional arguments"),
    ("lenet_style channels not a sequence", lambda: M.lenet_style(3), TypeError,
     r"channels must be a sequence of positive ints, e.g. \(32, 64\); got 3"),
    ("mlp old order", lambda: M.mlp(784), TypeError, r"hidden must be a sequence of positive ints.*got 784"),
    ("mlp activation instance", lambda: M.mlp(activation=nn.ReLU()), TypeError,
     "activation must be a layer class .* e.g. nn.ReLU"),
    ("mlp zero classes", lambda: M.mlp(num_classes=0), ValueError, "num_classes must be a positive int; got 0"),
    ("first_cnn float channels", lambda: M.first_cnn(in_channels=1.5), TypeError,
     "in_channels must be a positive int; got 1.5"),
    ("first_cnn zero channels", lambda: M.first_cnn(in_channels=0), ValueError, "in_channels must be a positive int"),
    ("first_cnn negative width", lambda: M.first_cnn((32, -1)), ValueError, r"channels must hold positive ints"),
    ("first_cnn image too small", lambda: M.first_cnn(image_size=20), ValueError,
     r"image_size=20 is too small for first_cnn: 4 unpadded 7x7 convolutions .* at least 25x25"),
    ("downsample_cnn unknown kind", lambda: M.downsample_cnn("min"), ValueError,
     r"unknown down-sampling 'min': expected one of 'max', 'avg', 'stride', 'resize'"),
    ("downsample_cnn channel count", lambda: M.downsample_cnn("max", (8, 16)), ValueError,
     "channels needs five numbers"),
    ("downsample_cnn image too small", lambda: M.downsample_cnn("max", image_size=12), ValueError,
     r"image_size=12 is too small for downsample_cnn\('max'\).* at least 24x24"),
    ("all_conv_net stride count", lambda: M.all_conv_net(strides=(1, 2)), ValueError,
     "strides needs one stride per convolution"),
    ("all_conv_net zero stride", lambda: M.all_conv_net(strides=(1, 0, 1, 2, 1)), ValueError,
     "strides must hold positive ints"),
    ("lenet_style unknown head", lambda: M.lenet_style(head="mlp"), ValueError,
     "unknown head 'mlp': expected one of 'dense', 'conv'"),
    ("lenet_style image too small", lambda: M.lenet_style(image_size=3), ValueError,
     "image_size=3 is too small for lenet_style.* at least 4x4"),
    ("Resize scale", lambda: M.Resize(0), ValueError, "scale_factor must be a positive number; got 0"),
    ("Resize mode", lambda: M.Resize(0.5, mode="linear"), ValueError, "unknown mode 'linear': expected one of"),
    ("init_weights model", lambda: M.init_weights("net"), TypeError, "model must be a torch.nn.Module; got str"),
    ("init_weights scheme", lambda: M.init_weights(nn.Linear(2, 2), "orthogonal"), ValueError,
     "unknown init scheme 'orthogonal': expected one of 'kaiming', 'xavier', 'default'"),
    ("to_fully_convolutional model", lambda: M.to_fully_convolutional(nn.Linear(3, 3), (3,)), TypeError,
     "model must be an nn.Sequential"),
    ("to_fully_convolutional input_size", lambda: M.to_fully_convolutional(M.lenet_style(), (28, 28)), ValueError,
     r"input_size is one example's \(C, H, W\)"),
    ("to_fully_convolutional no Flatten", lambda: M.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3)),
                                                                         (1, 8, 8)),
     ValueError, "a Flatten before its Linear layers"),
    ("depthwise_separable padding", lambda: M.depthwise_separable(8, 16, 3, padding=-1), ValueError,
     "padding must be an int >= 0; got -1"),
    ("lenet5 odd image", lambda: M.lenet5(image_size=27), ValueError,
     "image_size must be 32 or smaller by an even number .* got image_size=27"),
    ("lenet5 big image", lambda: M.lenet5(image_size=36), ValueError, "got image_size=36"),
    ("lenet5 activation name", lambda: M.lenet5(activation="relu"), TypeError, "activation must be a layer class"),
    ("vgg_block no conv", lambda: M.vgg_block(0, 3, 8), ValueError, "num_convs must be a positive int; got 0"),
    ("vgg arch of ints", lambda: M.vgg((64, 128)), TypeError,
     r"arch must be a non-empty sequence of \(num_convs, channels\) pairs"),
    ("vgg image too small", lambda: M.vgg(((1, 8),) * 6, image_size=32), ValueError,
     "image_size=32 is too small for vgg: 6 VGG blocks .* at least 64x64"),
    ("vgg dropout", lambda: M.vgg(dropout=1.0), ValueError, r"dropout must be a probability in \[0, 1\); got 1.0"),
    ("vgg_cifar widths", lambda: M.vgg_cifar(widths=(8, 16)), ValueError, "widths needs five channel numbers"),
    ("vgg16 positional", lambda: M.vgg16(10), TypeError, "takes 0 positional arguments"),
    ("activation_layer name", lambda: M.activation_layer("swoosh"), ValueError,
     "unknown activation 'swoosh': expected one of 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'silu', 'gelu'"),
    ("norm_layer kind", lambda: M.norm_layer("weird", 8), ValueError,
     "unknown norm 'weird': expected one of 'batch', 'group', 'layer', 'instance'"),
    ("norm_layer groups", lambda: M.norm_layer("group", 16, groups=0), ValueError, "groups must be a positive int"),
    ("ladder_cnn norm", lambda: M.ladder_cnn(norm="Batch"), ValueError, "unknown norm 'Batch'"),
    ("ladder_cnn hidden", lambda: M.ladder_cnn(hidden=0), ValueError, "hidden must be a positive int; got 0"),
    ("ladder_cnn image", lambda: M.ladder_cnn((8, 16), image_size=30), ValueError,
     "image_size=30 must be divisible by 4"),
    ("ladder_cnn channels", lambda: M.ladder_cnn(64), TypeError, "channels must be a sequence of positive ints"),
    ("ladder_cnn no stage", lambda: M.ladder_cnn(()), ValueError, "channels must not be empty"),
    ("LadderStage convs", lambda: M.LadderStage(3, 8, convs=0), ValueError, "convs must be a positive int; got 0"),
    ("RegularisedBlock dropout", lambda: M.RegularisedBlock(3, 8, dropout=1.0), ValueError,
     r"dropout must be a probability in \[0, 1\)"),
    ("regularised_vgg dropout kind", lambda: M.regularised_vgg(dropout="0.1"), TypeError,
     "dropout must be a rate in \\[0, 1\\) or one rate per block"),
    ("regularised_vgg dropout count", lambda: M.regularised_vgg(dropout=(0.1, 0.2)), ValueError,
     r"dropout needs one rate per block \(3\); got 2"),
    ("regularised_vgg width", lambda: M.regularised_vgg(width=0), ValueError, "width must be a positive number; got 0"),
    ("regularised_vgg image", lambda: M.regularised_vgg(image_size=4), ValueError,
     "image_size=4 is too small for regularised_vgg.* at least 8x8"),
    ("alexnet classes", lambda: M.alexnet(num_classes=0), ValueError, "num_classes must be a positive int; got 0"),
    ("nin dropout", lambda: M.nin(dropout=-0.1), ValueError, r"dropout must be a probability in \[0, 1\)"),
    ("nin_block kernel", lambda: M.nin_block(3, 8, 0), ValueError, "kernel_size must be a positive int; got 0"),
    ("Inception c2", lambda: M.Inception(192, 64, 96, (16, 32), 32), TypeError,
     r"c2 must be a pair \(1x1 reduction channels, output channels\)"),
    ("small_googlenet width", lambda: M.small_googlenet(width=0), ValueError, "width must be a positive number"),
    ("ResidualBlock positional stride", lambda: M.ResidualBlock(8, 16, 2), TypeError, "positional argument"),
    ("ResidualBlock stride", lambda: M.ResidualBlock(8, 16, stride=0), ValueError, "stride must be a positive int"),
    ("resnet stages", lambda: M.resnet((2, 2), (8,)), ValueError, "blocks and widths need one entry per stage"),
    ("resnet no stage", lambda: M.resnet((), ()), ValueError, "blocks must not be empty"),
    ("SEBlock reduction", lambda: M.SEBlock(64, reduction=0), ValueError, "reduction must be a positive int; got 0"),
    ("DenseBlock growth", lambda: M.DenseBlock(2, 3, 0), ValueError, "growth must be a positive int; got 0"),
    ("transition_block channels", lambda: M.transition_block(0, 10), ValueError, "in_channels must be a positive int"),
    ("smooth_labels classes", lambda: smooth_labels(torch.tensor([0]), 1), ValueError,
     "num_classes must be an int >= 2; got 1"),
    ("Mixup classes", lambda: Mixup(num_classes="10"), TypeError, "num_classes must be an int >= 2; got '10'"),
    ("Distill teacher", lambda: Distill("teacher.pt"), TypeError, "teacher must be a trained torch.nn.Module; got str"),
    ("plot_history metrics string", lambda: plot_history(history(), metrics="acc"), TypeError,
     r"metrics must be a non-empty sequence of metric names, e.g. \('loss', 'acc'\)"),
    ("probe model", lambda: probe("net", (1, 28, 28)), TypeError, "model must be a torch.nn.Module"),
    ("probe input_size", lambda: probe(nn.Linear(3, 3), 3), TypeError, "input_size must be one example's shape"),
    ("probe empty size", lambda: probe(nn.Linear(3, 3), (0,)), ValueError, "input_size is one example's shape"),
]


@pytest.mark.parametrize("call, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_gets_a_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()

