"""Exercise checks of chapter 08."""
import torch

from .registry import exercise, _close


@exercise("08.1")
def _check_inverted_dropout(fn):
    """fn(x, p, training) must be inverted dropout."""
    x = torch.randn(4, 3, 5, 5)
    out = fn(x.clone(), 0.5, False)
    assert torch.is_tensor(out) and torch.equal(out, x), "in evaluation mode (training=False) dropout must return x unchanged"
    assert torch.equal(fn(x.clone(), 0.0, True), x), "with p=0 nothing is dropped: return x unchanged"
    for p in (0.2, 0.5, 0.8):
        torch.manual_seed(0)
        out = fn(torch.ones(200_000), p, True)
        assert torch.is_tensor(out) and out.shape == (200_000,), f"the output must have the input's shape; got {getattr(out, 'shape', out)}"
        kept = out[out != 0]
        assert _close(kept, torch.full_like(kept, 1 / (1 - p))), (
            f"with p={p} every kept value of an all-ones input must be 1/(1-p) = {1 / (1 - p):.4f} "
            f"(inverted dropout scales the survivors); got values such as {kept[:3].tolist()}")
        zeroed = float((out == 0).float().mean())
        assert abs(zeroed - p) < 0.01, f"with p={p} about {p:.0%} of the values must be zeroed; got {zeroed:.1%}"
        assert abs(float(out.mean()) - 1) < 0.02, f"the mean must stay about 1 (it is {float(out.mean()):.3f})"
    torch.manual_seed(1)
    a, b = fn(torch.ones(1000), 0.5, True), fn(torch.ones(1000), 0.5, True)
    assert not torch.equal(a, b), "each call must draw a new random mask"


@exercise("08.2")
def _check_smooth_labels(fn):
    """fn(y, num_classes, eps) must return the label-smoothed targets."""
    from torch import nn
    g = torch.Generator().manual_seed(0)
    for k, eps in [(10, 0.1), (4, 0.2), (3, 0.0), (5, 1.0)]:
        y = torch.randint(0, k, (7,), generator=g)
        got = fn(y, k, eps)
        want = (1 - eps) * torch.nn.functional.one_hot(y, k).float() + eps / k
        assert torch.is_tensor(got) and _close(got, want), (
            f"for num_classes={k}, eps={eps}: the true class gets 1 - eps + eps/K and every other class eps/K; "
            f"expected {want[0].tolist()} for label {int(y[0])}, got {got[0].tolist() if torch.is_tensor(got) else got}")
        logits = torch.randn(7, k, generator=g)
        ce = nn.CrossEntropyLoss()(logits, got.float())
        assert _close(ce, nn.CrossEntropyLoss(label_smoothing=eps)(logits, y)), (
            "cross-entropy with your targets must equal nn.CrossEntropyLoss(label_smoothing=eps)")


@exercise("08.3")
def _check_mixup_pair(fn):
    """fn(x, y, lam, perm, num_classes) must return the mixup batch and its soft targets."""
    g = torch.Generator().manual_seed(0)
    for lam in (0.3, 1.0, 0.85):
        x = torch.randn(6, 3, 4, 4, generator=g)
        y = torch.randint(0, 5, (6,), generator=g)
        perm = torch.randperm(6, generator=g)
        out = fn(x.clone(), y.clone(), lam, perm, 5)
        assert isinstance(out, tuple) and len(out) == 2, "return a pair (mixed images, mixed targets)"
        xm, ym = out
        one_hot = torch.nn.functional.one_hot(y, 5).float()
        assert _close(xm, lam * x + (1 - lam) * x[perm]), "the images must be lam * x + (1 - lam) * x[perm]"
        assert _close(ym, lam * one_hot + (1 - lam) * one_hot[perm]), (
            "the targets must be the same blend of the one-hot labels: lam * one_hot(y) + (1 - lam) * one_hot(y[perm])")


@exercise("08.4")
def _check_epochs_to_reach(fn):
    """fn(gamma, fraction) = the first epoch at which ExponentialLR(gamma) has cut the LR to <= fraction."""
    for gamma, fraction in [(0.96, 0.5), (0.96, 0.1), (0.5, 0.25), (0.9, 0.9), (0.99, 0.01), (0.96, 1.0)]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
        want = 0
        while opt.param_groups[0]["lr"] > fraction * (1 + 1e-12):
            opt.step()
            sched.step()
            want += 1
        got = fn(gamma, fraction)
        assert got == want, (f"epochs_to_reach({gamma}, {fraction}) returned {got!r}, expected {want}: "
                             "after n epochs the learning rate is lr0 * gamma**n; find the smallest such n")


@exercise("08.5")
def _check_kd_loss(fn):
    """fn(student_logits, teacher_logits, y, T, alpha) must be Hinton et al.'s distillation loss."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(0)
    for T, alpha in [(4.0, 0.7), (1.0, 0.5), (2.0, 0.0), (8.0, 1.0)]:
        s = torch.randn(8, 10, generator=g)
        t = torch.randn(8, 10, generator=g) * 3
        y = torch.randint(0, 10, (8,), generator=g)
        soft = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
        want = alpha * soft + (1 - alpha) * F.cross_entropy(s, y)
        got = fn(s, t, y, T, alpha)
        assert torch.is_tensor(got) and got.dim() == 0, "return one number (a 0-dimensional tensor): the mean loss over the batch"
        assert _close(got, want), (
            f"for T={T}, alpha={alpha} expected {float(want):.5f}, got {float(got):.5f}: the soft term is "
            "T**2 * KL(softmax(teacher/T) || softmax(student/T)) averaged over the batch, the hard term the "
            "ordinary cross-entropy of the student with the labels")
