"""Diagrams drawn by code: the operations of a CNN with their numbers, block diagrams of the
course's models, and animations that play in the rendered book.

Every diagram computes what it shows (``cnnkit.scratch.corr2d``, ``pool2d``, forward hooks
on the model), returns a matplotlib ``Figure`` (end the notebook line with ``;``) and is
tested in ``tests/test_draw.py``.

* operations (``ops``): ``correlation``, ``paddings``, ``multi_channel``, ``pooling``,
  ``one_by_one``, ``full_convolution``; the receptive field (``fields``): ``receptive_field``,
  ``receptive_fields``;
* models (``blocks``): ``network`` (a chain of layers: LeNet-5, a VGG block), ``inception``,
  ``residual``;
* animations (``animate``): ``animate_correlation`` and ``player`` (an HTML player).

>>> import torch, cnnkit
>>> fig = cnnkit.draw.correlation(torch.arange(9.).view(3, 3), torch.arange(4.).view(2, 2));
"""
from .animate import animate_correlation, player
from .blocks import describe, inception, network, residual, trace
from .canvas import Canvas, fmt
from .fields import receptive_field, receptive_fields
from .ops import correlation, full_convolution, multi_channel, one_by_one, paddings, pooling

__all__ = ["animate_correlation", "player", "describe", "inception", "network", "residual", "trace", "Canvas",
           "fmt", "correlation", "full_convolution", "multi_channel", "one_by_one", "paddings", "pooling",
           "receptive_field", "receptive_fields"]
