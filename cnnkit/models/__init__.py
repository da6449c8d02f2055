"""The course's architectures, as plain ``nn.Sequential`` / ``nn.Module`` code a learner can read.

One module per family; every name is importable from here (``cnnkit.models.lenet5``,
``from cnnkit.models import resnet``):

* :mod:`~cnnkit.models.basics` (chapters 01-05): ``init_weights``, ``mlp``, ``first_cnn``,
  ``Resize``, ``downsample_cnn``, ``all_conv_net``, ``lenet_style``,
  ``to_fully_convolutional``, ``depthwise_separable``;
* :mod:`~cnnkit.models.classic` (chapter 06): ``lenet5``, ``vgg_block``, ``vgg``, ``vgg16``,
  ``vgg_cifar``;
* :mod:`~cnnkit.models.ladders` (chapters 07-08): ``activation_layer``, ``norm_layer``,
  ``LadderStage``, ``ladder_cnn``, ``RegularisedBlock``, ``regularised_vgg``;
* :mod:`~cnnkit.models.modern` (chapter 10): ``alexnet``, ``nin_block``, ``nin``,
  ``Inception``, ``small_googlenet``, ``ResidualBlock``, ``resnet``, ``SEBlock``,
  ``DenseBlock``, ``transition_block``.

How the arguments go (one rule for every builder):

* A **network** builder takes the sizes of the data it is built for (``in_channels``,
  ``in_features``, ``image_size``, ``num_classes``) and every switch *by keyword only*:
  ``lenet5(in_channels=3, image_size=32)``. Its positional arguments, if any, describe the
  architecture itself: ``mlp((256, 256))``, ``downsample_cnn("avg")``, ``vgg(arch, hidden)``,
  ``ladder_cnn((64, 128), 3)``, ``resnet((2, 2, 2, 2), (64, 128, 256, 512))``.
* A **block** (a layer of a bigger net) starts like ``nn.Conv2d``:
  ``in_channels, out_channels[, kernel_size]`` (d2l's ``vgg_block(num_convs, in_channels,
  out_channels)`` and ``DenseBlock(num_convs, in_channels, growth)`` keep d2l's order, and
  ``Inception`` takes its four path widths); everything after that is keyword-only.

Bad arguments fail at once with a ``TypeError`` or ``ValueError`` that names the argument:

>>> lenet5(3, 32)
Traceback (most recent call last):
...
TypeError: lenet5() takes 0 positional arguments but 2 were given
>>> ladder_cnn((64, 128), activation="Relu")
Traceback (most recent call last):
...
ValueError: unknown activation 'Relu': expected one of 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'silu', 'gelu'
>>> sum(p.numel() for p in first_cnn().parameters())
2635146
"""
from .basics import (DOWNSAMPLING, INIT_SCHEMES, Resize, all_conv_net, depthwise_separable, downsample_cnn,
                     first_cnn, init_weights, lenet_style, mlp, to_fully_convolutional)
from .classic import VGG16_ARCH, lenet5, vgg, vgg16, vgg_block, vgg_cifar
from .ladders import (ACTIVATIONS, NORMS, LadderStage, RegularisedBlock, activation_layer, ladder_cnn, norm_layer,
                      regularised_vgg)
from .modern import (DenseBlock, Inception, ResidualBlock, SEBlock, alexnet, nin, nin_block, resnet,
                     small_googlenet, transition_block)

__all__ = [
    "DOWNSAMPLING", "INIT_SCHEMES", "Resize", "all_conv_net", "depthwise_separable", "downsample_cnn", "first_cnn",
    "init_weights", "lenet_style", "mlp", "to_fully_convolutional",
    "VGG16_ARCH", "lenet5", "vgg", "vgg16", "vgg_block", "vgg_cifar",
    "ACTIVATIONS", "NORMS", "LadderStage", "RegularisedBlock", "activation_layer", "ladder_cnn", "norm_layer",
    "regularised_vgg",
    "DenseBlock", "Inception", "ResidualBlock", "SEBlock", "alexnet", "nin", "nin_block", "resnet",
    "small_googlenet", "transition_block",
]
