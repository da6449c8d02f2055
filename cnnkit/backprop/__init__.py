"""Backpropagation by hand: forward and backward passes of the layers of a CNN.

Every layer is a pair of plain functions. The forward function computes the
output (and, where the backward pass needs it, something to remember); the
backward function takes ``dout`` = dL/d(output) and returns dL/d(input) (and
the gradients of the layer's parameters). No autograd is used here: only
tensor arithmetic, so that each line is one step of the chain rule.
``tests/test_ch09_backprop.py`` checks every backward pass against
``torch.autograd`` and against finite differences.

>>> import torch
>>> x = torch.tensor([[1., 5., 3., 7.], [7., 3., 9., 2.], [3., 5., 8., 4.], [8., 7., 3., 5.]])
>>> p, idx = max_pool2d(x[None, None], 2)
>>> p[0, 0]
tensor([[7., 9.],
        [8., 8.]])
>>> dout = mse_backward(p, torch.ones_like(p))        # MSE against all ones
>>> max_pool2d_backward(dout, idx, x[None, None].shape, 2)[0, 0]
tensor([[0.0000, 0.0000, 0.0000, 0.0000],
        [3.0000, 0.0000, 4.0000, 0.0000],
        [0.0000, 0.0000, 3.5000, 0.0000],
        [3.5000, 0.0000, 0.0000, 0.0000]])

The package has three modules (every name is importable from ``cnnkit.backprop``):
``activations`` (activations, softmax and losses), ``convolution`` (pooling and
convolution) and ``layers`` (fully connected, batch norm, dropout, gradient check).

Shapes follow PyTorch: images are (N, C, H, W), conv weights (C_out, C_in, kh, kw),
linear weights (out, in), logits (N, K) with integer labels (N,).
"""

from .activations import (binary_cross_entropy, binary_cross_entropy_backward, cross_entropy, cross_entropy_backward,
                          log_softmax, mse, mse_backward, one_hot, relu, relu_backward, sigmoid, sigmoid_backward,
                          softmax, softmax_backward, softmax_naive, tanh, tanh_backward)
from .convolution import (avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward, conv2d_backward_input,
                          conv2d_backward_weight, dilate, max_pool2d, max_pool2d_backward)
from .layers import (batch_norm, batch_norm_backward, dropout, dropout_backward, dropout_mask, linear,
                     linear_backward, numerical_gradient, rel_error)

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_backward", "cross_entropy", "cross_entropy_backward",
    "log_softmax", "mse", "mse_backward", "one_hot", "relu", "relu_backward", "sigmoid", "sigmoid_backward",
    "softmax", "softmax_backward", "softmax_naive", "tanh", "tanh_backward",
    "avg_pool2d", "avg_pool2d_backward", "conv2d", "conv2d_backward", "conv2d_backward_input",
    "conv2d_backward_weight", "dilate", "max_pool2d", "max_pool2d_backward",
    "batch_norm", "batch_norm_backward", "dropout", "dropout_backward", "dropout_mask", "linear",
    "linear_backward", "numerical_gradient", "rel_error",
]
