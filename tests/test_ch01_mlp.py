"""Chapter 01: the exercise checks accept right answers and reject wrong ones;
the chapter's MLPs have the lecture's parameter counts."""
import pytest
import torch

from cnnkit import count_params, models
from cnnkit.checks import ExerciseFailed, ExerciseNotDone, check


def _mlp_params(n_in, hidden, n_out):
    widths = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def test_mlp_param_counts_of_the_chapter():
    assert count_params(models.mlp((256,), in_features=784)) == 203_530
    assert count_params(models.mlp((256,), in_features=3072)) == 789_258
    assert count_params(models.mlp((256, 256), in_features=3072)) == 855_050
    assert count_params(models.mlp((256, 256, 256), in_features=3072)) == 920_842


def test_check_01_1():
    check("01.1", _mlp_params)
    with pytest.raises(ExerciseFailed):
        check("01.1", lambda n_in, hidden, n_out: _mlp_params(n_in, hidden, n_out) - 10)  # forgot the output biases
    def stub(*args):
        raise NotImplementedError("hint")
    with pytest.raises(ExerciseNotDone):
        check("01.1", stub, strict=True)


def test_check_01_2():
    check("01.2", lambda c, i, j, shape: c * shape[1] * shape[2] + i * shape[2] + j)
    with pytest.raises(ExerciseFailed):
        check("01.2", lambda c, i, j, shape: c * shape[1] * shape[2] + j * shape[1] + i)  # column-major


def test_check_01_3():
    check("01.3", lambda w, perm: w[:, perm])
    with pytest.raises(ExerciseFailed):
        check("01.3", lambda w, perm: w[:, torch.argsort(perm)])  # the inverse permutation
    with pytest.raises(ExerciseFailed):
        check("01.3", lambda w, perm: w)


def test_permuted_mlp_is_the_same_function():
    """An MLP on permuted pixels with permuted first-layer columns computes the same outputs."""
    torch.manual_seed(0)
    m = models.mlp((32,), in_features=784)
    perm = torch.randperm(784)
    m2 = models.mlp((32,), in_features=784)
    m2.load_state_dict(m.state_dict())
    with torch.no_grad():
        m2[1].weight.copy_(m[1].weight[:, perm])
    x = torch.randn(8, 1, 28, 28)
    xp = x.flatten(1)[:, perm].view_as(x)
    torch.testing.assert_close(m2(xp), m(x), atol=1e-5, rtol=1e-5)
