"""Chapter 11 exercise checks: the instructor's answers pass, typical mistakes fail with a useful hint."""
import pytest
import torch

from cnnkit.checks import ExerciseFailed, ExerciseNotDone, check


def input_saliency(model, x, target):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)
    return g.abs().amax(1)


def test_11_1():
    check("11.1", input_saliency)
    with pytest.raises(ExerciseFailed, match="max over dim 1"):      # no abs()
        check("11.1", lambda m, x, t: (lambda xx: torch.autograd.grad(
            m(xx).gather(1, t[:, None]).sum(), xx)[0].amax(1))(x.clone().requires_grad_(True)))
    with pytest.raises(ExerciseFailed, match="expected a"):          # channels not reduced
        check("11.1", lambda m, x, t: input_saliency(m, x, t)[:, None].expand(-1, 3, -1, -1))
    with pytest.raises(ExerciseFailed, match="OWN target logit"):    # the softmax probability instead of the logit
        def prob_saliency(m, x, t):
            x = x.clone().requires_grad_(True)
            return torch.autograd.grad(m(x).softmax(1).gather(1, t[:, None]).sum(), x)[0].abs().amax(1)
        check("11.1", prob_saliency)


def test_11_2():
    check("11.2", lambda a, g: torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1)))
    with pytest.raises(ExerciseFailed, match="MEAN"):
        check("11.2", lambda a, g: torch.relu((g.sum((2, 3), keepdim=True) * a).sum(1)))
    with pytest.raises(ExerciseFailed, match="ReLU"):
        check("11.2", lambda a, g: (g.mean((2, 3), keepdim=True) * a).sum(1))
    with pytest.raises(ExerciseFailed, match="shape"):
        check("11.2", lambda a, g: torch.relu(g.mean((2, 3), keepdim=True) * a))


def test_11_3():
    check("11.3", lambda a: (a == 0).all(0).float().mean().item())
    with pytest.raises(ExerciseFailed, match="EVERY example"):      # zero for ANY example
        check("11.3", lambda a: (a == 0).any(0).float().mean().item())
    with pytest.raises(ExerciseFailed, match="dead fraction"):      # share of zero entries
        check("11.3", lambda a: (a == 0).float().mean().item())


def test_stub_says_not_done():
    def stub(*args):
        raise NotImplementedError("Exercise 11.2: take the mean of the gradients")
    with pytest.raises(ExerciseNotDone, match="take the mean"):
        check("11.2", stub, strict=True)
