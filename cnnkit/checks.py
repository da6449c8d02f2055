"""Checks for the chapters' exercises: ``check("02.1", answer)`` says pass or fail, clearly.

Each exercise with a computable answer registers a function here with
``@exercise("NN.k")``. The function receives the learner's answer (a value or a
function) and raises ``AssertionError`` with a helpful message when it is wrong.
:func:`check` turns that into a one-line verdict: a pass prints ``✓``; a wrong
answer raises :class:`ExerciseFailed`; an exercise still holding the student stub
(``NotImplementedError``) raises :class:`ExerciseNotDone` with the stub's hint.

>>> check("02.1", lambda n, k, p, s: (n - k + 2 * p) // s + 1)     # doctest: +SKIP
✓ Exercise 02.1: correct.
"""
from __future__ import annotations

from typing import Callable

import torch

_CHECKS: dict[str, Callable] = {}


class ExerciseFailed(AssertionError):
    """The answer was checked and is wrong."""


class ExerciseNotDone(AssertionError):
    """The answer still raises ``NotImplementedError`` (the student stub)."""


def exercise(ex_id: str):
    """Register the check for exercise ``ex_id`` (e.g. ``"02.1"``)."""
    def register(fn):
        if ex_id in _CHECKS:
            raise ValueError(f"exercise {ex_id} already has a check")
        _CHECKS[ex_id] = fn
        return fn
    return register


def registered() -> list[str]:
    """The ids of all exercises that have a check, sorted."""
    return sorted(_CHECKS)


def check(ex_id: str, answer) -> None:
    """Check the answer to exercise ``ex_id``: print ``✓`` when it is right, raise when it is not."""
    if ex_id not in _CHECKS:
        raise KeyError(f"no check for exercise {ex_id!r}; known: {', '.join(registered())}")
    try:
        _CHECKS[ex_id](answer)
    except NotImplementedError as err:
        hint = str(err).removeprefix(f"Exercise {ex_id}: ") or "replace the stub with your answer"
        raise ExerciseNotDone(f"Exercise {ex_id} is not done yet: {hint}") from None
    except AssertionError as err:
        raise ExerciseFailed(f"Exercise {ex_id}: not yet right. {err}") from None
    print(f"✓ Exercise {ex_id}: correct.")


def _close(a, b, tol=1e-4) -> bool:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))


# ---------------------------------------------------------------- chapter 01

@exercise("01.1")
def _mlp_params(fn):
    from torch import nn
    cases = [(784, (256,), 10), (3072, (256,), 10), (3072, (256, 256), 10), (3072, (256, 256, 256), 10),
             (4, (), 3), (10, (5, 7, 3), 2), (784, (100,), 10), (1, (1,), 1)]
    for n_in, hidden, n_out in cases:
        widths = [n_in, *hidden, n_out]
        want = sum(p.numel() for a, b in zip(widths, widths[1:]) for p in nn.Linear(a, b).parameters())
        got = fn(n_in, hidden, n_out)
        assert got == want, (f"mlp_params({n_in}, {hidden}, {n_out}) returned {got!r}, expected {want}: "
                             "a Linear(a, b) layer has a*b weights and b biases; add them up layer by layer.")
    big = fn(12_000_000 * 3, (100,), 2)
    assert big == 36_000_000 * 100 + 100 + 100 * 2 + 2, (
        f"mlp_params(36_000_000, (100,), 2) returned {big!r}: it must work for big inputs too "
        "(compute with the formula, do not build the model)")


@exercise("01.2")
def _flat_index(fn):
    for shape in [(1, 28, 28), (3, 32, 32), (2, 3, 5), (4, 1, 7)]:
        n = shape[0] * shape[1] * shape[2]
        positions = torch.arange(n).view(1, *shape)
        flat = torch.nn.Flatten()(positions)[0]
        for c, i, j in [(0, 0, 0), (shape[0] - 1, shape[1] - 1, shape[2] - 1), (0, shape[1] // 2, 0),
                        (shape[0] // 2, 0, shape[2] // 2), (shape[0] - 1, shape[1] // 3, shape[2] - 1)]:
            want = int((flat == positions[0, c, i, j]).nonzero()[0, 0])
            got = fn(c, i, j, shape)
            assert got == want, (f"flat_index(c={c}, i={i}, j={j}, shape={shape}) returned {got!r}, expected {want}: "
                                 "nn.Flatten writes a (C, H, W) image channel by channel, row by row.")


@exercise("01.3")
def _permuted_first_layer(fn):
    g = torch.Generator().manual_seed(1)
    for n_in, n_hidden in [(6, 4), (784, 16), (3072, 8)]:
        w = torch.randn(n_hidden, n_in, generator=g)
        x = torch.randn(5, n_in, generator=g)
        perm = torch.randperm(n_in, generator=g)
        w_new = fn(w.clone(), perm.clone())
        assert torch.is_tensor(w_new) and tuple(w_new.shape) == tuple(w.shape), (
            f"return a weight tensor of shape {tuple(w.shape)}; got "
            f"{tuple(w_new.shape) if torch.is_tensor(w_new) else type(w_new).__name__}")
        assert _close(x[:, perm] @ w_new.T, x @ w.T), (
            "the new layer on permuted inputs x[:, perm] must give the same outputs as the old layer on x; "
            "input k of the permuted image is old input perm[k], so its weights are old column perm[k].")


# ---------------------------------------------------------------- chapter 02

@exercise("02.1")
def _conv_output_size(fn):
    cases = [(5, 3, 0, 1, 3), (5, 3, 0, 2, 2), (32, 5, 0, 1, 28), (28, 7, 0, 1, 22), (32, 5, 2, 1, 32),
             (7, 3, 1, 2, 4), (224, 11, 2, 4, 55), (6, 2, 0, 2, 3), (8, 3, 0, 3, 2)]
    for n, k, p, s, want in cases:
        got = fn(n, k, p, s)
        assert got == want, (f"output_size(n={n}, k={k}, p={p}, s={s}) returned {got!r}, expected {want}. "
                             "Count how many window positions fit: floor((n - k + 2p) / s) + 1.")


@exercise("02.2")
def _corr2d_multi_in(fn):
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(2)
    for c, h, w, kh, kw in [(2, 3, 3, 2, 2), (3, 6, 5, 3, 2), (1, 4, 4, 1, 1), (4, 7, 7, 3, 3)]:
        x, k = torch.randn(c, h, w, generator=g), torch.randn(c, kh, kw, generator=g)
        got = fn(x, k)
        want = F.conv2d(x[None], k[None])[0, 0]
        assert torch.is_tensor(got), f"return a tensor; got {type(got).__name__}"
        assert tuple(got.shape) == tuple(want.shape), (f"input {tuple(x.shape)}, kernel {tuple(k.shape)}: "
                                                       f"expected output shape {tuple(want.shape)}, got {tuple(got.shape)}")
        assert _close(got, want), (f"input {tuple(x.shape)}, kernel {tuple(k.shape)}: values differ from "
                                   "F.conv2d; correlate every channel with its own kernel slice and add the results.")


@exercise("02.3")
def _conv_params(fn):
    from torch import nn
    for c_in, c_out, k in [(1, 1, 2), (1, 32, 7), (3, 4, 5), (32, 64, 7), (128, 256, 7), (3, 64, 3), (64, 10, 1)]:
        want = sum(p.numel() for p in nn.Conv2d(c_in, c_out, k).parameters())
        got = fn(c_in, c_out, k)
        assert got == want, (f"conv_params({c_in}, {c_out}, {k}) returned {got!r}, expected {want}: "
                             "each of the c_out filters has k*k*c_in weights and one bias.")


@exercise("02.4")
def _horizontal_edge_kernel(k):
    import torch.nn.functional as F
    k = torch.as_tensor(k() if callable(k) else k, dtype=torch.float32)
    assert k.shape == (3, 3), f"the kernel must be 3x3; got shape {tuple(k.shape)}"
    def respond(img):
        return F.conv2d(img[None, None], k[None, None])[0, 0]
    flat = torch.full((8, 8), 0.7)
    horizontal = torch.zeros(8, 8); horizontal[4:] = 1.0        # dark top, bright bottom: a horizontal edge
    vertical = horizontal.T.contiguous()                         # a vertical edge
    assert respond(flat).abs().max() < 1e-5, "a flat image must give 0 everywhere (make the weights sum to 0)"
    assert respond(vertical).abs().max() < 1e-5, ("a vertical edge must give 0: the kernel should not react to "
                                                  "left-right changes (make the weights of every column sum to 0)")
    assert respond(horizontal).abs().max() > 0.5, "a horizontal edge (dark above, bright below) must give a clear response"


@exercise("02.5")
def _receptive_field(fn):
    for ks, want in [([3], 3), ([3, 3], 5), ([7, 7, 7, 7], 25), ([5, 3], 7), ([1, 1, 1], 1), ([11, 5, 3, 3, 3], 21)]:
        got = fn(ks)
        assert got == want, (f"receptive_field({ks}) returned {got!r}, expected {want}: every stride-1 k x k layer "
                             "widens the view by k - 1 pixels.")


# ---------------------------------------------------------------- chapter 03

@exercise("03.1")
def _pooled_shape(fn):
    from torch import nn
    for c, h, w, k, s in [(1, 4, 4, 2, 2), (64, 24, 24, 2, 2), (3, 7, 9, 2, 2), (8, 13, 10, 3, 2), (5, 6, 6, 3, 1),
                          (16, 55, 55, 3, 2)]:
        want = tuple(nn.MaxPool2d(k, s)(torch.zeros(1, c, h, w)).shape[1:])
        got = fn(c, h, w, k, s)
        assert tuple(got) == want, f"pooled_shape{(c, h, w, k, s)} returned {got}; nn.MaxPool2d gives {want}"


@exercise("03.2")
def _min_pool2d(fn):
    x = torch.tensor([[[[1., 5., 2., 0.], [3., 4., -1., 7.], [8., 6., 2., 2.], [9., 0., 3., 4.]]]])
    want = torch.tensor([[[[1., -1.], [0., 2.]]]])
    got = fn(x, 2)
    assert _close(got, want), f"for the 4x4 example the 2x2 min pooling is {want.tolist()}; got {torch.as_tensor(got).tolist()}"
    g = torch.Generator().manual_seed(3)
    for shape, k in [((2, 3, 8, 8), 2), ((1, 4, 9, 9), 3)]:
        x = torch.randn(*shape, generator=g)
        want = torch.nn.functional.unfold(x.flatten(0, 1).unsqueeze(1), k, stride=k).min(1).values
        n = shape[-1] // k
        want = want.view(*shape[:2], n, n)
        assert _close(fn(x, k), want), f"min pooling with k={k} on a {shape} batch is wrong"


@exercise("03.3")
def _global_avg_pool(fn):
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 3, 4, 4), (1, 512, 2, 2), (5, 8, 7, 9)]:
        x = torch.randn(*shape, generator=g)
        got = fn(x)
        assert tuple(torch.as_tensor(got).shape) == shape[:2], f"for input {shape} the result should have shape {shape[:2]}; got {tuple(torch.as_tensor(got).shape)}"
        assert _close(got, x.mean((2, 3))), f"the values are not the mean of each map (input {shape})"



# ---------------------------------------------------------------- chapter 04

@exercise("04.1")
def _d2l_output_size(fn):
    import torch.nn.functional as F
    for n, k, p, s in [(8, 3, 2, 1), (8, 3, 2, 2), (3, 2, 2, 3), (3, 2, 2, 2), (28, 3, 2, 2), (7, 3, 0, 2),
                       (32, 5, 0, 1), (10, 4, 3, 3), (9, 2, 1, 2), (5, 5, 4, 1)]:
        x = F.pad(torch.zeros(1, 1, n, n), (p // 2, p - p // 2, p // 2, p - p // 2))
        want = F.conv2d(x, torch.zeros(1, 1, k, k), stride=s).shape[-1]
        got = fn(n, k, p, s)
        assert got == want, (f"out_size(n={n}, k={k}, p={p}, s={s}) returned {got}; a real convolution gives {want} "
                             "(remember: p is the total padding, both sides together)")


@exercise("04.2")
def _same_padding(fn):
    from torch import nn
    for k in (1, 3, 5, 7, 11):
        for d in (1, 2, 3):
            p = fn(k, d)
            n = 16
            out = nn.Conv2d(1, 1, k, padding=p, dilation=d)(torch.zeros(1, 1, n, n)).shape[-1]
            assert out == n, f"same_padding({k}, {d}) returned {p}, and a {k}x{k} conv with dilation {d} then gives {out}x{out} from {n}x{n}"


@exercise("04.3")
def _max_unpadded_layers(fn):
    from .scratch import conv_output_size
    for n, k in [(32, 5), (28, 7), (28, 3), (224, 3), (10, 2), (5, 5), (9, 4)]:
        count, size = 0, n
        while size >= k:
            size = conv_output_size(size, k)
            count += 1
        got = fn(n, k)
        assert got == count, f"max_unpadded_layers({n}, {k}) returned {got}; {count} unpadded {k}x{k} layers fit a {n}x{n} map"


@exercise("04.4")
def _cifar_all_conv(fn):
    from torch import nn
    model = fn()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128, 256, 512], "expected five convolutions with 32, 64, 128, 256, 512 kernels"
    assert convs[0].in_channels == 3, "CIFAR-10 images have 3 channels"
    assert all(c.kernel_size == (3, 3) and c.padding in ((1, 1), "same") for c in convs), "every convolution should be 3x3 with padding 1"
    assert [c.stride for c in convs] == [(1, 1), (2, 2), (1, 1), (2, 2), (1, 1)], "strides should be 1, 2, 1, 2, 1"
    lin = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert lin and lin[-1].in_features == 8 * 8 * 512, f"the classifier should see 8*8*512 = 32768 features; it takes {lin[-1].in_features if lin else None}"
    with torch.no_grad():
        out = model.eval()(torch.zeros(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 10), f"a batch of two CIFAR-10 images should give (2, 10) logits; got {tuple(out.shape)}"



# ---------------------------------------------------------------- chapter 05

@exercise("05.1")
def _check_conv1x1(fn):
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(5)
    for n, ci, co, h, w in ((2, 4, 3, 5, 6), (1, 1, 2, 3, 3), (3, 6, 1, 1, 7)):
        x = torch.randn(n, ci, h, w, generator=g)
        wt, b = torch.randn(co, ci, generator=g), torch.randn(co, generator=g)
        want = F.conv2d(x, wt.view(co, ci, 1, 1), b)
        got = torch.as_tensor(fn(x, wt, b))
        assert tuple(got.shape) == tuple(want.shape), (
            f"for x of shape {tuple(x.shape)} and {co} output channels the result should have shape "
            f"{tuple(want.shape)}; got {tuple(got.shape)}")
        assert _close(got, want, 1e-4), "the shape is right but the values differ from F.conv2d with a 1x1 kernel"


@exercise("05.2")
def _check_score_map_size(fn):
    from .models import lenet_style

    net = lenet_style(head="conv")[:-1]
    for h, w in ((28, 28), (76, 112), (56, 84), (30, 45), (100, 29), (31, 31)):
        with torch.no_grad():
            want = tuple(net(torch.zeros(1, 1, h, w)).shape[2:])
        got = tuple(int(v) for v in fn(h, w))
        assert got == want, f"a {h}x{w} image gives a score map of {want}; score_map_size({h}, {w}) returned {got}"


@exercise("05.3")
def _check_separable_cost(fn):
    cases = {(100, 100, 5, 64, 64): (250_000, 1_024_000_000, 12_500, 51_200_000),
             (32, 64, 3, 10, 12): (18_432, 2_211_840, 2_336, 280_320),
             (3, 8, 1, 4, 4): (24, 384, 27, 432)}
    for args, want in cases.items():
        got = tuple(int(v) for v in fn(*args))
        assert got == want, (f"separable_cost{args} should be (standard weights, standard MACs, separable weights, "
                             f"separable MACs) = {want}; got {got}")



# ---------------------------------------------------------------- chapter 06

@exercise("06.1")
def _check_vgg_block_params(fn):
    from .models import vgg_block

    for args in ((2, 3, 64), (2, 64, 128), (3, 256, 512), (1, 1, 8), (3, 512, 512)):
        want = sum(p.numel() for p in vgg_block(*args).parameters())
        got = int(fn(*args))
        assert got == want, f"vgg_block_params{args} should be {want:,} (weights and biases); got {got:,}"


def _random_confusion(seed: int = 6, n: int = 400, k: int = 5):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=g)
    pred = torch.where(torch.rand(n, generator=g) < 0.6, y, torch.randint(0, k, (n,), generator=g))
    return y.numpy(), pred.numpy()


@exercise("06.2")
def _check_precision_recall(fn):
    from sklearn.metrics import confusion_matrix, precision_score, recall_score

    y, pred = _random_confusion()
    cm = confusion_matrix(y, pred)
    got = fn(cm)
    assert isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (precision, recall), one value per class each"
    precision, recall = (torch.as_tensor(v, dtype=torch.float64).flatten() for v in got)
    want_p = precision_score(y, pred, average=None, zero_division=0)
    want_r = recall_score(y, pred, average=None, zero_division=0)
    assert _close(recall, want_r), (f"recall should be {want_r.round(3).tolist()} (the diagonal over each *row* sum: "
                                    f"rows are the true classes); got {recall.numpy().round(3).tolist()}")
    assert _close(precision, want_p), (f"precision should be {want_p.round(3).tolist()} (the diagonal over each "
                                       f"*column* sum); got {precision.numpy().round(3).tolist()}")


@exercise("06.3")
def _check_auc_by_ranking(fn):
    from sklearn.metrics import roc_auc_score

    g = torch.Generator().manual_seed(7)
    labels = (torch.rand(300, generator=g) < 0.3).long()
    scores = labels * 0.8 + torch.rand(300, generator=g)
    tied = torch.tensor([0.1, 0.4, 0.4, 0.8, 0.4, 0.9])
    for lab, sc in ((labels, scores), (torch.tensor([0, 1, 1, 0, 0, 1]), tied)):
        want = roc_auc_score(lab.numpy(), sc.numpy())
        got = float(fn(lab, sc))
        assert abs(got - want) < 1e-6, (f"the area under the ROC curve is {want:.4f}; got {got:.4f} "
                                        "(count a tie between a positive and a negative as one half)")



# ---------------------------------------------------------------- chapter 07

@exercise("07.1")
def _check_batch_norm_train(fn):
    """fn(x, gamma, beta, eps) must equal nn.BatchNorm2d in training mode."""
    examples = [torch.tensor([[[[7., 5.], [0., 4.]]], [[[0., 7.], [3., 1.]]], [[[2., 0.], [0., 1.]]]])]
    g = torch.Generator().manual_seed(7)
    examples.append(torch.randn(4, 3, 5, 5, generator=g) * 3 + 1)
    for x in examples:
        c = x.shape[1]
        gamma, beta = torch.linspace(0.5, 2.0, c), torch.linspace(-1.0, 1.0, c)
        bn = torch.nn.BatchNorm2d(c, eps=1e-5).train()
        with torch.no_grad():
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
            want = bn(x)
        got = torch.as_tensor(fn(x, gamma, beta, 1e-5))
        assert got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        assert _close(got, want, 1e-4), (
            "the output differs from nn.BatchNorm2d: average over the batch and both spatial axes "
            "(dims 0, 2, 3) for each channel, use the biased variance (divide by m, not m - 1), "
            "then scale by gamma and shift by beta, both of shape (1, C, 1, 1)")


@exercise("07.2")
def _check_init_scales(fn):
    """fn(in_channels, out_channels, k) -> (Glorot uniform bound, He normal std) of a k x k Conv2d."""
    import math
    for cin, cout, k in [(3, 64, 3), (64, 128, 3), (256, 512, 3), (16, 16, 5), (512, 10, 1)]:
        got = fn(cin, cout, k)
        assert isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (glorot_bound, he_std)"
        fan_in, fan_out = cin * k * k, cout * k * k
        want = (math.sqrt(6 / (fan_in + fan_out)), math.sqrt(2 / fan_in))
        assert _close(got[0], want[0], 1e-6), (
            f"Glorot bound for Conv2d({cin}, {cout}, {k}) is wrong: fan_in = in_channels*k*k and "
            "fan_out = out_channels*k*k; the bound is sqrt(6 / (fan_in + fan_out))")
        assert _close(got[1], want[1], 1e-6), (
            f"He std for Conv2d({cin}, {cout}, {k}) is wrong: it is sqrt(2 / fan_in), fan_in = in_channels*k*k")


@exercise("07.3")
def _check_sigmoid_layers(fn):
    """fn(eps) -> the fewest sigmoid layers after which the bound 0.25**n falls below eps."""
    for eps, want in [(0.1, 2), (1e-3, 5), (1e-6, 10), (1e-9, 15), (0.5, 1)]:
        got = fn(eps)
        assert int(got) == want and float(got) == want, (
            f"for eps={eps} expected {want} layers (0.25**{want} = {0.25 ** want:.3g} < {eps}, "
            f"0.25**{want - 1} = {0.25 ** (want - 1):.3g} is not); got {got!r}")


@exercise("07.4")
def _check_group_norm(fn):
    """fn(x, groups, eps) must equal nn.GroupNorm(groups, C, affine=False)."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3, 6, 4, 5, generator=g) * 2 + 0.5
    for groups in (1, 2, 3, 6):
        want = torch.nn.GroupNorm(groups, 6, eps=1e-5, affine=False)(x)
        got = torch.as_tensor(fn(x, groups, 1e-5))
        assert got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        assert _close(got, want, 1e-4), (
            f"with {groups} group(s) the output differs from nn.GroupNorm: reshape to (N, G, C//G, H, W), "
            "take mean and biased variance over the last three axes, normalise, reshape back")


# ---------------------------------------------------------------- chapter 08

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


# ---------------------------------------------------------------- chapter 09

def _grad_of(f, *xs, dout=None):
    """Autograd reference for the chapter 09 checks: gradient of f(*xs) for upstream ``dout``."""
    xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = f(*xs)
    dout = torch.randn_like(out) if dout is None else dout
    return dout, torch.autograd.grad(out, xs, dout)


@exercise("09.1")
def _check_09_1(leaky_relu_backward):
    g = torch.Generator().manual_seed(91)
    for slope in (0.01, 0.2):
        x = torch.randn(4, 3, 5, 5, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: torch.nn.functional.leaky_relu(t, slope), x)
        got = leaky_relu_backward(dout, x, slope)
        assert _close(got, ref, 1e-6), (f"with slope={slope}: where x > 0 the gradient passes unchanged, "
                                        "where x <= 0 it is multiplied by the slope")


@exercise("09.2")
def _check_09_2(slopes):
    slopes = slopes() if callable(slopes) else slopes
    assert len(slopes) == 2, "answer with a pair: (slope of sigmoid at 0, slope of tanh at 0)"
    assert abs(float(slopes[0]) - 0.25) < 1e-6, "sigmoid'(0) = sigma(0) (1 - sigma(0)) with sigma(0) = 1/2"
    assert abs(float(slopes[1]) - 1.0) < 1e-6, "tanh'(0) = 1 - tanh(0)^2 with tanh(0) = 0"


@exercise("09.3")
def _check_09_3(global_avg_pool_backward):
    g = torch.Generator().manual_seed(93)
    for shape in ((2, 3, 4, 4), (1, 5, 3, 7)):
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        dout, (ref,) = _grad_of(lambda t: t.mean((2, 3)), x)
        got = global_avg_pool_backward(dout, shape)
        assert tuple(got.shape) == shape, f"dL/dx must have the input's shape {shape}; got {tuple(got.shape)}"
        assert _close(got, ref, 1e-6), "each of the H*W inputs of a channel gets that channel's dout / (H*W)"


@exercise("09.4")
def _check_09_4(conv_bias_backward):
    g = torch.Generator().manual_seed(94)
    x = torch.randn(3, 2, 6, 6, generator=g, dtype=torch.float64)
    w = torch.randn(4, 2, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    dout, (ref,) = _grad_of(lambda bb: torch.nn.functional.conv2d(x, w, bb, stride=2, padding=1), b)
    got = conv_bias_backward(dout)
    assert _close(got, ref, 1e-6), ("the bias is added at every position of every image: "
                                    "sum dout over the batch and both spatial axes, one value per output channel")


# ---------------------------------------------------------------- chapter 10

@exercise("10.1")
def _check_inception_cost(fn):
    """fn(c_in, h, w, c1, c2, c3, c4) -> (weights, mult_adds) of an Inception block, biases left out."""
    from .models import Inception
    from .scratch import layer_costs
    cases = [(192, 28, 28, 64, (96, 128), (16, 32), 32), (256, 28, 28, 128, (128, 192), (32, 96), 64),
             (480, 14, 14, 192, (96, 208), (16, 48), 64), (3, 5, 7, 2, (4, 6), (1, 2), 3)]
    for c_in, h, w, c1, c2, c3, c4 in cases:
        costs = layer_costs(Inception(c_in, c1, c2, c3, c4, bias=False), (c_in, h, w))
        want = (int(costs["params"].sum()), int(costs["mult_adds"].sum()))
        got = fn(c_in, h, w, c1, c2, c3, c4)
        assert tuple(int(v) for v in got) == want, (
            f"for c_in={c_in}, {h}x{w}, c1={c1}, c2={c2}, c3={c3}, c4={c4} the block has {want[0]:,} weights "
            f"and {want[1]:,} multiply-adds; you returned {tuple(got)}. Count every path's convolutions "
            "(the max-pool path has one 1x1 conv), and multiply each conv's weights by h*w.")


@exercise("10.2")
def _check_separable_cost(fn):
    """fn(c_in, c_out, k, h, w) -> (weights, mult_adds) of a depthwise-separable conv (same padding, no bias)."""
    from .models import depthwise_separable
    from .scratch import layer_costs
    for c_in, c_out, k, h, w in [(64, 128, 3, 32, 32), (192, 256, 5, 28, 28), (3, 7, 3, 5, 6), (32, 32, 7, 14, 14)]:
        costs = layer_costs(depthwise_separable(c_in, c_out, k, padding=k // 2, bias=False), (c_in, h, w))
        want = (int(costs["params"].sum()), int(costs["mult_adds"].sum()))
        got = fn(c_in, c_out, k, h, w)
        assert tuple(int(v) for v in got) == want, (
            f"for c_in={c_in}, c_out={c_out}, k={k} on {h}x{w} the depthwise-separable conv has {want[0]:,} "
            f"weights and {want[1]:,} multiply-adds; you returned {tuple(got)}. The depthwise part has one "
            "k x k filter per input channel; the pointwise part is a 1x1 conv from c_in to c_out.")


@exercise("10.3")
def _check_bottleneck(make):
    """make(in_channels, mid_channels, out_channels, stride) -> a ResNet bottleneck block."""
    from torch import nn
    torch.manual_seed(0)
    for c_in, mid, c_out, stride, size in [(64, 16, 64, 1, 8), (64, 32, 128, 2, 8), (256, 64, 256, 1, 4)]:
        blk = make(c_in, mid, c_out, stride)
        assert isinstance(blk, nn.Module), "make(...) must return an nn.Module"
        with torch.no_grad():
            y = blk.eval()(torch.randn(2, c_in, size, size))
        assert tuple(y.shape) == (2, c_out, size // stride, size // stride), (
            f"make({c_in}, {mid}, {c_out}, {stride}) maps a (2, {c_in}, {size}, {size}) batch to {tuple(y.shape)}; "
            f"expected (2, {c_out}, {size // stride}, {size // stride})")
        assert float(y.min()) >= 0, "the block should end with a ReLU after the addition"
        n = sum(p.numel() for p in blk.parameters())
        want = c_in * mid + 9 * mid * mid + mid * c_out + 2 * (mid + mid + c_out)
        if stride != 1 or c_in != c_out:
            want += c_in * c_out + 2 * c_out
        assert n == want, (
            f"make({c_in}, {mid}, {c_out}, {stride}) has {n:,} parameters; expected {want:,}: convolutions "
            "without bias, each followed by BatchNorm, and a 1x1 conv + BN shortcut only when the shape changes")
    blk = make(32, 8, 32, 1).eval()
    bns = [m for m in blk.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 3, f"expected 3 BatchNorm layers in a block without projection, found {len(bns)}"
    nn.init.zeros_(bns[-1].weight)
    nn.init.zeros_(bns[-1].bias)
    x = torch.randn(2, 32, 6, 6)
    with torch.no_grad():
        same = torch.allclose(blk(x), torch.relu(x))
    assert same, ("with the last BatchNorm of the residual branch set to zero the block should return relu(x): "
                  "is the identity shortcut added before the final ReLU (and is the last BN the branch's last layer)?")


