"""Clear errors for bad input: training recipes (label smoothing, mixup, distillation) and GradNorms."""
import pytest
import torch

from cnnkit.diagnostics import GradNorms
from cnnkit.recipes import Distill, Mixup, smooth_labels


def _recipes():
    return smooth_labels, Mixup, Distill


def _gradnorms():
    return GradNorms


@pytest.mark.parametrize("call, err, msg", [
    (lambda s, M, D: s(torch.tensor([0, 4]), 3), ValueError, r"labels y must be class indices 0..2; got values 0..4"),
    (lambda s, M, D: s(torch.tensor([0.0, 1.0]), 3), TypeError, r"labels y must be integer class indices; got torch.float32"),
    (lambda s, M, D: s(torch.tensor([0, 1]), 0), ValueError, r"num_classes must be an int >= 2; got 0"),
    (lambda s, M, D: s(torch.tensor([0, 1]), 3, eps=1.5), ValueError, r"eps must be a number in \[0, 1\]; got 1.5"),
    (lambda s, M, D: M(alpha=0), ValueError, r"mixup needs alpha > 0; got 0"),
    (lambda s, M, D: M(alpha="0.2"), TypeError, r"alpha must be a number; got '0.2'"),
    (lambda s, M, D: M(num_classes=0), ValueError, r"num_classes must be an int >= 2; got 0"),
    (lambda s, M, D: M(num_classes=3)(torch.zeros(2, 1, 2, 2), torch.tensor([0, 1, 2])), ValueError,
     r"x and y must hold the same number of examples; got 2 and 3"),
    (lambda s, M, D: M(num_classes=3)(torch.zeros(2, 1, 2, 2), torch.zeros(2, 4)), ValueError,
     r"soft targets y must be \(N, num_classes=3\); got \(2, 4\)"),
    (lambda s, M, D: M(num_classes=3)(torch.zeros(2, 1, 2, 2), torch.zeros(2)), TypeError, r"labels y must be integer class indices"),
    (lambda s, M, D: D("teacher"), TypeError, r"teacher must be a trained torch.nn.Module; got str"),
    (lambda s, M, D: D(torch.nn.Linear(2, 3), temperature=0), ValueError, r"temperature must be > 0; got 0"),
    (lambda s, M, D: D(torch.nn.Linear(2, 3), alpha=2), ValueError, r"alpha must be a number in \[0, 1\]; got 2"),
    (lambda s, M, D: D(torch.nn.Linear(2, 3), num_classes=3)(torch.zeros(2, 2), torch.zeros(2, 3)), ValueError,
     r"y must have 1 dimensions; got shape \(2, 3\)"),
])
def test_recipes_bad_input(call, err, msg):
    with pytest.raises(err, match=msg):
        call(*_recipes())


def test_gradnorms_bad_input():
    GradNorms = _gradnorms()
    with pytest.raises(TypeError, match=r"kinds must be layer classes such as \(nn.Conv2d, nn.Linear\)"):
        GradNorms(kinds=("Conv2d",))
    with pytest.raises(TypeError, match=r"GradNorms is called with the model; got Tensor"):
        GradNorms()(torch.ones(2))
    rec = GradNorms(kinds=torch.nn.Linear)
    m = torch.nn.Linear(2, 1)
    m(torch.ones(1, 2)).sum().backward()
    rec(m)
    with pytest.raises(ValueError, match=r"first must be an integer >= 1 or None; got 0"):
        rec.mean(first=0)
    assert rec.mean().shape == (1,)
