"""Exercise checks of chapter 11."""
import torch

from .registry import _close, exercise


def _tiny_cnn(seed: int):
    from torch import nn
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(24, 5)).eval()


@exercise("11.1")
def _check_input_saliency(fn):
    """fn(model, x, target) -> (N, H, W): max over channels of |d score[target] / d x|."""
    from ..explain import saliency
    for seed in range(3):
        net = _tiny_cnn(seed)
        x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
        target = torch.tensor([0, 4, 2, 2])
        got = fn(net, x, target)
        want = saliency(net, x, target)
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == (4, 8, 8), (
            f"expected a (4, 8, 8) tensor for a (4, 3, 8, 8) batch; got "
            f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}: one map per image, "
            "the colour channels reduced with max")
        assert _close(got.detach(), want, 1e-5), (
            "the maps differ from max_c |d score / d x|: take each image's OWN target logit (not the "
            "softmax, not the loss), differentiate it with respect to the input, then abs() and max over dim 1")


@exercise("11.2")
def _check_cam_from(fn):
    """fn(acts, grads) -> (N, h, w) Grad-CAM map: relu(sum_k mean_ij(grads_k) * acts_k)."""
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 3, 4, 4), (1, 8, 2, 5), (3, 1, 3, 3)]:
        acts = torch.rand(shape, generator=g)
        grads = torch.randn(shape, generator=g)
        want = torch.relu((grads.mean((2, 3), keepdim=True) * acts).sum(1))
        got = fn(acts.clone(), grads.clone())
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == (shape[0], *shape[2:]), (
            f"for activations of shape {shape} expected a map of shape {(shape[0], *shape[2:])}; got "
            f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}")
        if _close(got, torch.relu((grads.sum((2, 3), keepdim=True) * acts).sum(1))) and not _close(got, want):
            raise AssertionError("alpha_k is the MEAN of the gradient over the map's positions, not the sum")
        if _close(got, (grads.mean((2, 3), keepdim=True) * acts).sum(1)) and not _close(got, want):
            raise AssertionError("apply a ReLU to the weighted sum: Grad-CAM keeps only evidence FOR the class")
        assert _close(got, want), "expected relu(sum over channels k of alpha_k * A_k) with alpha_k = mean of dS/dA_k"


@exercise("11.3")
def _check_dead_fraction(fn):
    """fn(acts) -> the fraction (0..1) of units that are zero for every example of the batch."""
    cases = [
        (torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), 1 / 3),          # unit 0 never fires
        (torch.zeros(4, 2, 3, 3), 1.0),
        (torch.ones(4, 2, 3, 3), 0.0),
    ]
    a = torch.rand(5, 4, 2, 2)
    a[:, 1] = 0                       # a dead channel: 4 of 16 units
    a[2:, 0, 0, 0] = 0                # zero for some images only: alive
    cases.append((a, 0.25))
    for acts, want in cases:
        got = float(fn(acts.clone()))
        assert abs(got - want) < 1e-6, (
            f"for activations of shape {tuple(acts.shape)} the dead fraction is {want:.3f}; you returned {got:.3f}. "
            "A unit (one channel at one position) is dead when it is zero for EVERY example: reduce over the "
            "batch dimension with all(), then average over the units")
