"""Clear errors for bad input to the from-scratch forward/backward passes of cnnkit.backprop."""
import pytest
import torch

from cnnkit import backprop as bp

X = torch.randn(2, 3, 6, 6)
W = torch.randn(4, 3, 3, 3)


@pytest.mark.parametrize("call, err, msg", [
    (lambda: bp.relu_backward(torch.ones(3, 2), torch.ones(2, 3)), ValueError, r"dout must have the shape of x, \(2, 3\); got \(3, 2\)"),
    (lambda: bp.sigmoid_backward(torch.ones(2, 3), torch.ones(3)), ValueError, r"dout must have the shape of y, \(3,\); got \(2, 3\)"),
    (lambda: bp.tanh_backward([1.0], torch.ones(1)), TypeError, r"dout must be a torch.Tensor; got list"),
    (lambda: bp.softmax_backward(torch.ones(4), torch.ones(2, 3)), ValueError, r"dout must have the shape of y"),
    (lambda: bp.one_hot(torch.tensor([0, 3]), 3), ValueError, r"labels y must be class indices 0..2; got values 0..3"),
    (lambda: bp.one_hot(torch.tensor([0.0, 1.0]), 3), TypeError, r"labels y must be integers \(class indices\); got torch.float32"),
    (lambda: bp.one_hot(torch.tensor([0, 1]), 0), ValueError, r"k must be an integer >= 1; got 0"),
    (lambda: bp.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 5])), ValueError, r"labels y must be class indices 0..2; got values 0..5"),
    (lambda: bp.cross_entropy_backward(torch.zeros(2, 3), torch.tensor([0, -1])), ValueError, r"labels y must be class indices 0..2"),
    (lambda: bp.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2])), ValueError, r"expected logits \(N, K\) and integer labels \(N,\)"),
    (lambda: bp.binary_cross_entropy(torch.full((4, 1), 0.5), torch.ones(4)), ValueError,
     r"p and y must have the same shape; got \(4, 1\) and \(4,\)"),
    (lambda: bp.binary_cross_entropy_backward(torch.full((4,), 0.5), torch.ones(2)), ValueError, r"p and y must have the same shape"),
    (lambda: bp.mse(torch.ones(3, 1), torch.ones(3)), ValueError, r"pred and target must have the same shape; got \(3, 1\) and \(3,\)"),
    (lambda: bp.mse_backward(torch.ones(3), torch.ones(2)), ValueError, r"pred and target must have the same shape"),
    (lambda: bp.max_pool2d(torch.ones(3, 4, 4), 2), ValueError, r"x must be a 4-D tensor \(N, C, H, W\); got shape \(3, 4, 4\)"),
    (lambda: bp.max_pool2d(torch.ones(1, 1, 4, 4), "2"), TypeError, r"kernel/stride/padding must be an int or a pair of ints; got '2'"),
    (lambda: bp.max_pool2d(torch.ones(1, 1, 4, 4), (2, 2, 2)), ValueError, r"must be an int or a pair of ints; got \(2, 2, 2\)"),
    (lambda: bp.max_pool2d_backward(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 3, 3, dtype=torch.long), (1, 1, 4, 4), 2),
     ValueError, r"idx and dout must have the same shape; got \(1, 1, 3, 3\) and \(1, 1, 2, 2\)"),
    (lambda: bp.max_pool2d_backward(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2, dtype=torch.long), (4, 4), 2),
     ValueError, r"x_shape must be the forward input's shape \(N, C, H, W\); got \(4, 4\)"),
    (lambda: bp.avg_pool2d_backward(torch.ones(2, 2), (1, 1, 4, 4), 2), ValueError, r"dout must be a 4-D tensor"),
    (lambda: bp.conv2d(X, torch.randn(4, 2, 3, 3)), ValueError, r"input has 3 channels but the kernel expects 2"),
    (lambda: bp.conv2d(X, W, torch.zeros(3)), ValueError, r"b must have shape \(4,\), one bias per output channel; got \(3,\)"),
    (lambda: bp.conv2d(X, W[0]), ValueError, r"w must be a 4-D tensor \(N, C, H, W\); got shape \(3, 3, 3\)"),
    (lambda: bp.conv2d_backward_weight(torch.ones(2, 4, 5, 5), X, 3), ValueError,
     r"dout must be the forward output's shape \(N, C_out, 4, 4\); got \(2, 4, 5, 5\)"),
    (lambda: bp.conv2d_backward_weight(torch.ones(1, 4, 4, 4), X, 3), ValueError, r"dout and x must hold the same number of examples; got 1 and 2"),
    (lambda: bp.conv2d_backward_input(torch.ones(2, 5, 4, 4), W, X.shape), ValueError, r"dout has 5 channels but w has 4 output channels"),
    (lambda: bp.conv2d_backward_input(torch.ones(2, 4, 4, 4), W, (6, 6)), ValueError, r"x_shape must be the forward input's shape"),
    (lambda: bp.conv2d_backward(torch.ones(2, 4, 4), X, W), ValueError, r"dout must be a 4-D tensor"),
    (lambda: bp.dilate(torch.ones(1, 1, 2, 2), 0), ValueError, r"stride must be >= 1; got 0"),
    (lambda: bp.linear(torch.ones(2, 3), torch.ones(4, 5)), ValueError, r"x has 3 features but w \(out, in\) expects 5"),
    (lambda: bp.linear(torch.ones(2, 3), torch.ones(4, 3), torch.ones(3)), ValueError, r"b must have shape \(4,\); got \(3,\)"),
    (lambda: bp.linear(torch.ones(3), torch.ones(4, 3)), ValueError, r"x must have 2 dimensions; got shape \(3,\)"),
    (lambda: bp.linear_backward(torch.ones(2, 3), torch.ones(2, 3), torch.ones(4, 3)), ValueError,
     r"dout must be the forward output's shape \(2, 4\); got \(2, 3\)"),
    (lambda: bp.batch_norm(torch.ones(4, 3), torch.ones(2), torch.zeros(3)), ValueError,
     r"gamma must have shape \(3,\), one value per feature/channel; got \(2,\)"),
    (lambda: bp.batch_norm(torch.ones(4, 3, 2), torch.ones(3), torch.zeros(3)), ValueError, r"batch_norm takes \(N, D\) or \(N, C, H, W\)"),
    (lambda: bp.batch_norm_backward(torch.ones(4, 3), None, torch.ones(3)), TypeError, r"cache must be the \(x_hat, inv_std\) pair"),
    (lambda: bp.batch_norm_backward(torch.ones(4, 2), (torch.ones(4, 3), torch.ones(1, 3)), torch.ones(3)), ValueError,
     r"dout and x_hat must have the same shape"),
    (lambda: bp.dropout_mask((2, 2), 1.0), ValueError, r"dropout rate p must be in \[0, 1\); got 1.0"),
    (lambda: bp.dropout(torch.ones(2, 2), torch.ones(2), 0.5), ValueError, r"mask and x must have the same shape"),
    (lambda: bp.dropout_backward(torch.ones(2), torch.ones(2), 1.0), ValueError, r"p must be a number in \[0, 0.999999\]; got 1.0"),
    (lambda: bp.numerical_gradient(3.0, torch.ones(2)), TypeError, r"f must be a function of x that returns a scalar; got float"),
    (lambda: bp.numerical_gradient(lambda t: t.sum(), torch.ones(2, dtype=torch.long)), TypeError, r"x must be a floating-point tensor"),
    (lambda: bp.rel_error(torch.ones(3), torch.ones(3, 1)), ValueError, r"a and b must have the same shape; got \(3,\) and \(3, 1\)"),
])
def test_backprop_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_broadcast_dout_still_works():
    assert torch.equal(bp.relu_backward(torch.ones(1), torch.tensor([-1.0, 2.0])), torch.tensor([0.0, 1.0]))
