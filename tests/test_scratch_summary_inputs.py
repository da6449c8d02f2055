"""Clear errors for bad input: cnnkit.summary and the from-scratch operations of cnnkit.scratch."""
import pytest
import torch
from torch import nn

from cnnkit.scratch import (Dropout, conv_flops, conv_output_size, corr2d, corr2d_multi_in, corr2d_multi_in_out,
                            filter_bank, formula_shapes, pool2d)
from cnnkit.summary import check_input, count_params, layer_costs, output_shape, summary


@pytest.mark.parametrize("call, err, msg", [
    (lambda: count_params("lenet"), TypeError, r"model must be a torch.nn.Module; got str"),
    (lambda: summary(nn.Linear(4, 2), 4), TypeError, r"input_size must be one example's shape, e.g. \(1, 28, 28\) or \(784,\); got 4"),
    (lambda: summary(nn.Linear(4, 2), (4,), columns="num_params"), TypeError, r"columns must be a list or tuple of strings"),
    (lambda: summary(nn.Linear(4, 2), (4,), depth=-1), ValueError, r"depth must be an integer >= 0; got -1"),
    (lambda: output_shape(nn.Linear(4, 2), (0,)), ValueError, r"input_size is one example's shape.*; got \(0,\)"),
    (lambda: output_shape(nn.Conv2d(1, 2, 3), (1, 28)), ValueError, r"input_size is one example's shape.*; got \(1, 28\)"),
    (lambda: output_shape(nn.Linear(4, 2), (4.0,)), TypeError, r"input_size must be one example's shape.*; got \(4.0,\)"),
    (lambda: check_input(None, (1, 28, 28)), TypeError, r"model must be a torch.nn.Module; got NoneType"),
])
def test_summary_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


@pytest.mark.parametrize("call, err, msg", [
    (lambda: conv_output_size(28, 0), ValueError, r"kernel must be an integer >= 1; got 0"),
    (lambda: conv_output_size(28, 3, padding=-1), ValueError, r"padding must be an integer >= 0; got -1"),
    (lambda: conv_output_size(28.0, 3), TypeError, r"size must be an integer >= 1; got 28.0"),
    (lambda: conv_output_size(4, 7), ValueError, r"a 7-wide kernel does not fit an input of 4 with padding 0"),
    (lambda: corr2d([[1.0]], torch.ones(1, 1)), TypeError, r"x must be a torch.Tensor; got list"),
    (lambda: corr2d(torch.ones(3, 3, 3), torch.ones(2, 2)), ValueError, r"corr2d takes a 2-D input and a 2-D kernel; got shapes \(3, 3, 3\) and \(2, 2\)"),
    (lambda: corr2d(torch.ones(3, 3), torch.ones(2, 2), stride=0), ValueError, r"stride must be an integer >= 1 or a pair of them; got 0"),
    (lambda: corr2d(torch.ones(3, 3), torch.ones(2, 2), stride=(1, 2, 3)), TypeError, r"stride must be an integer >= 1 or a pair of them; got \(1, 2, 3\)"),
    (lambda: corr2d(torch.ones(3, 3), torch.ones(2, 2), padding=-1), ValueError, r"padding must be an integer >= 0; got -1"),
    (lambda: corr2d(torch.ones(3, 3), torch.ones(5, 5)), ValueError, r"a 5-wide kernel does not fit an input of 3"),
    (lambda: corr2d_multi_in(torch.ones(3, 3), torch.ones(1, 2, 2)), ValueError, r"x must have 3 dimensions; got shape \(3, 3\)"),
    (lambda: corr2d_multi_in(torch.ones(2, 3, 3), torch.ones(3, 2, 2)), ValueError, r"input has 2 channels but the kernel has 3"),
    (lambda: corr2d_multi_in_out(torch.ones(2, 3, 3), torch.ones(2, 2, 2)), ValueError, r"k must have 4 dimensions; got shape \(2, 2, 2\)"),
    (lambda: corr2d_multi_in_out(torch.ones(2, 3, 3), torch.ones(4, 2, 2, 2), bias=torch.ones(3)), ValueError,
     r"bias must have shape \(4,\), one value per output kernel; got \(3,\)"),
    (lambda: conv_flops(100, 100, 5, 5, 64, 0), ValueError, r"ow must be an integer >= 1; got 0"),
    (lambda: pool2d(torch.ones(4, 4), 2, mode="mean"), ValueError, r"mode must be one of 'max', 'avg'; got 'mean'"),
    (lambda: pool2d(torch.ones(4, 4), 0), ValueError, r"size must be an integer >= 1 or a pair of them; got 0"),
    (lambda: pool2d(torch.ones(4, 4), 2, stride=(1,)), TypeError, r"stride must be an integer >= 1 or a pair of them; got \(1,\)"),
    (lambda: pool2d(torch.ones(4, 4), 2, padding=-1), ValueError, r"padding must be an integer >= 0; got -1"),
    (lambda: pool2d(torch.ones(1, 1, 4, 4), 2), ValueError, r"pool2d takes \(H, W\) or \(C, H, W\) input; got shape \(1, 1, 4, 4\)"),
    (lambda: pool2d("image", 2), TypeError, r"x must be a torch.Tensor; got str"),
    (lambda: formula_shapes(nn.Conv2d(1, 2, 3), (28, 28)), ValueError, r"input_size is one example's shape, e.g. \(1, 28, 28\); got \(28, 28\)"),
    (lambda: formula_shapes("net", (1, 28, 28)), TypeError, r"model must be a torch.nn.Module; got str"),
    (lambda: filter_bank(torch.ones(3, 3)), TypeError, r"kernels must be a list or dict of 2-D kernels; got one 2-D tensor"),
    (lambda: filter_bank([]), ValueError, r"filter_bank needs a non-empty list of 2-D kernels"),
    (lambda: filter_bank([torch.ones(3, 3)], in_channels=0), ValueError, r"in_channels must be an integer >= 1; got 0"),
    (lambda: layer_costs("net", (3, 32, 32)), TypeError, r"model must be a torch.nn.Module; got str"),
    (lambda: layer_costs(nn.Linear(4, 2), 4), TypeError, r"input_size must be one example's shape, e.g. \(1, 28, 28\) or \(784,\); got 4"),
    (lambda: Dropout(1.5), ValueError, r"dropout probability p must be a number in \[0, 1\]; got 1.5"),
    (lambda: Dropout("0.5"), ValueError, r"dropout probability p must be a number in \[0, 1\]; got '0.5'"),
])
def test_scratch_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_valid_input_still_works():
    assert conv_output_size(32, 5) == 28 and pool2d(torch.ones(2, 4, 4), (2, 2), stride=[2, 2]).shape == (2, 2, 2)
    assert corr2d(torch.ones(4, 4), torch.ones(2, 2), stride=(2, 1), padding=1).shape == (3, 5)
    assert output_shape(nn.Flatten(), torch.Size([1, 2, 2])) == (4,)
