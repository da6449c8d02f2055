"""Chapter 09: every hand-written backward pass in cnnkit.backprop against torch.autograd
(random shapes, strides and paddings, float64) and against finite differences."""
import doctest

import pytest
import torch
import torch.nn.functional as F

import cnnkit.backprop as bp
from cnnkit import checks

D = torch.float64
X4 = torch.tensor([[1, 5, 3, 7], [7, 3, 9, 2], [3, 5, 8, 4], [8, 7, 3, 5]], dtype=D)[None, None]


def autograd(f, *xs):
    """Gradients of f(*xs) (a tensor) w.r.t. each x for a random upstream gradient dout.
    Returns (out, dout, grads)."""
    xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = f(*xs)
    dout = torch.randn_like(out)
    grads = torch.autograd.grad(out, xs, dout)
    return out.detach(), dout, [g.detach() for g in grads]


def close(a, b, tol=1e-9):
    assert a.shape == b.shape, (a.shape, b.shape)
    assert bp.rel_error(a, b) < tol, bp.rel_error(a, b)


def test_docstring_examples():
    results = [doctest.testmod(m, verbose=False) for m in (bp, bp.activations, bp.convolution, bp.layers)]
    assert sum(r.attempted for r in results) > 30 and sum(r.failed for r in results) == 0


@pytest.mark.parametrize("seed", range(3))
def test_activations(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 7, generator=g, dtype=D) * 3
    for fwd, ref, bwd, uses_out in [(bp.sigmoid, torch.sigmoid, bp.sigmoid_backward, True),
                                    (bp.tanh, torch.tanh, bp.tanh_backward, True),
                                    (bp.relu, torch.relu, bp.relu_backward, False)]:
        out, dout, (dx,) = autograd(ref, x)
        close(fwd(x), out)
        close(bwd(dout, fwd(x) if uses_out else x), dx)


def test_softmax_overflow_and_stable():
    z = torch.tensor([1000.0, 1001.0, 1002.0])
    assert torch.isnan(bp.softmax_naive(z)).all()
    assert torch.allclose(bp.softmax(z), torch.softmax(z, -1))
    assert torch.allclose(bp.log_softmax(z), torch.log_softmax(z, -1))
    z = torch.randn(6, 10, dtype=D) * 20
    close(bp.softmax(z), torch.softmax(z, -1))
    out, dout, (dz,) = autograd(lambda t: torch.softmax(t, -1), z)
    close(bp.softmax_backward(dout, out), dz)


@pytest.mark.parametrize("n,k", [(1, 2), (8, 10), (5, 3)])
def test_cross_entropy(n, k):
    z, y = torch.randn(n, k, dtype=D) * 5, torch.randint(0, k, (n,))
    zz = z.clone().requires_grad_(True)
    loss = F.cross_entropy(zz, y)
    loss.backward()
    close(bp.cross_entropy(z, y), loss.detach())
    close(bp.cross_entropy_backward(z, y), zz.grad)
    with pytest.raises(ValueError, match="logits"):
        bp.cross_entropy(z, y[:-1] if n > 1 else y.view(1, 1))


def test_binary_cross_entropy_and_mse():
    p, y = torch.rand(12, dtype=D) * 0.9 + 0.05, torch.randint(0, 2, (12,)).to(D)
    pp = p.clone().requires_grad_(True)
    loss = F.binary_cross_entropy(pp, y)
    loss.backward()
    close(bp.binary_cross_entropy(p, y), loss.detach())
    close(bp.binary_cross_entropy_backward(p, y), pp.grad)
    # chained with the sigmoid: (p - y) / n
    z = torch.randn(12, dtype=D)
    s = bp.sigmoid(z)
    close(bp.sigmoid_backward(bp.binary_cross_entropy_backward(s, y), s), (s - y) / 12)
    t = torch.randn(3, 4, dtype=D)
    pp = torch.randn(3, 4, dtype=D, requires_grad=True)
    F.mse_loss(pp, t).backward()
    close(bp.mse_backward(pp.detach(), t), pp.grad)


def test_lecture_pooling_examples():
    target = torch.ones(1, 1, 2, 2, dtype=D)
    p, idx = bp.max_pool2d(X4, 2)
    assert p[0, 0].tolist() == [[7, 9], [8, 8]]
    assert bp.mse(p, target).item() == 49.5
    dx = bp.max_pool2d_backward(bp.mse_backward(p, target), idx, X4.shape, 2)
    assert dx[0, 0].tolist() == [[0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 3.5, 0], [3.5, 0, 0, 0]]
    a = bp.avg_pool2d(X4, 2)
    assert a[0, 0].tolist() == [[4, 5.25], [5.75, 5]]
    assert bp.mse(a, target).item() == 16.40625
    dx = bp.avg_pool2d_backward(bp.mse_backward(a, target), X4.shape, 2)
    assert dx[0, 0, ::2, ::2].tolist() == [[0.375, 0.53125], [0.59375, 0.5]]


@pytest.mark.parametrize("k,s,hw", [(2, 2, (4, 4)), (3, 1, (6, 5)), (3, 2, (7, 8)), ((2, 3), (1, 2), (5, 7)), (2, 3, (8, 8))])
def test_pooling_against_autograd(k, s, hw):
    x = torch.randn(2, 3, *hw, dtype=D)
    out, dout, (dx,) = autograd(lambda t: F.max_pool2d(t, k, s), x)
    p, idx = bp.max_pool2d(x, k, s)
    close(p, out)
    close(bp.max_pool2d_backward(dout, idx, x.shape, k, s), dx)
    out, dout, (dx,) = autograd(lambda t: F.avg_pool2d(t, k, s), x)
    close(bp.avg_pool2d(x, k, s), out)
    close(bp.avg_pool2d_backward(dout, x.shape, k, s), dx)


def test_lecture_conv_example():
    x = torch.tensor([[1, 1, 2], [1, 2, 1], [2, 1, 1]], dtype=D)[None, None]
    w = torch.tensor([[0.6779961, -0.3282364], [0.61954254, -0.02001727]], dtype=D)[None, None]
    m = bp.conv2d(x, w, torch.zeros(1, dtype=D))
    a = bp.relu(m)
    target = torch.ones_like(a)
    assert torch.allclose(a[0, 0], torch.tensor([[0.9292677, 1.2405912], [1.2405912, 1.6272811]], dtype=D), atol=1e-6)
    assert abs(bp.mse(a, target).item() - 0.12856321) < 1e-6
    dm = bp.relu_backward(bp.mse_backward(a, target), m)
    _, dw, db = bp.conv2d_backward(dm, x, w)
    assert torch.allclose(dw[0, 0], torch.tensor([[0.83250606, 0.75945675], [0.75945675, 0.4834994]], dtype=D), atol=1e-6)
    assert abs(db.item() - 0.5188656) < 1e-6


CONV_CASES = [  # (N, C_in, C_out, H, W, kh, kw, stride, padding)
    (1, 1, 1, 3, 3, 2, 2, 1, 0),
    (2, 3, 4, 7, 6, 3, 3, 1, 1),
    (2, 2, 3, 8, 8, 3, 3, 2, 1),
    (1, 3, 2, 9, 7, 3, 2, 2, 0),
    (2, 2, 2, 10, 9, 5, 3, (3, 2), (2, 1)),
    (1, 1, 2, 6, 6, 1, 1, 2, 0),
    (2, 3, 2, 5, 5, 4, 4, 3, 2),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_against_autograd(case):
    n, ci, co, h, w_, kh, kw, s, p = case
    torch.manual_seed(hash(case) % 1000)
    x, w, b = torch.randn(n, ci, h, w_, dtype=D), torch.randn(co, ci, kh, kw, dtype=D), torch.randn(co, dtype=D)
    out, dout, (dx, dw, db) = autograd(lambda a, c, d: F.conv2d(a, c, d, stride=s, padding=p), x, w, b)
    close(bp.conv2d(x, w, b, s, p), out)
    mx, mw, mb = bp.conv2d_backward(dout, x, w, s, p)
    close(mx, dx)
    close(mw, dw)
    close(mb, db)


def test_conv_random_shapes():
    g = torch.Generator().manual_seed(9)
    for _ in range(12):
        r = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=g))
        kh, kw, s, p = r(1, 4), r(1, 4), r(1, 3), r(0, 2)
        h, w_ = r(max(kh, 2), 9), r(max(kw, 2), 9)
        x = torch.randn(r(1, 2), r(1, 3), h, w_, dtype=D)
        w = torch.randn(r(1, 3), x.shape[1], kh, kw, dtype=D)
        out, dout, (dx, dw) = autograd(lambda a, c: F.conv2d(a, c, stride=s, padding=p), x, w)
        mx, mw, _ = bp.conv2d_backward(dout, x, w, s, p)
        close(mx, dx)
        close(mw, dw)


def test_conv_errors():
    with pytest.raises(ValueError, match="channels"):
        bp.conv2d(torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="does not fit"):
        bp.conv2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        bp.max_pool2d(torch.zeros(4, 4), 2)


def test_linear():
    x, w, b = torch.randn(5, 4, dtype=D), torch.randn(3, 4, dtype=D), torch.randn(3, dtype=D)
    out, dout, grads = autograd(F.linear, x, w, b)
    close(bp.linear(x, w, b), out)
    for mine, ref in zip(bp.linear_backward(dout, x, w), grads):
        close(mine, ref)


@pytest.mark.parametrize("shape", [(6, 4), (4, 3, 5, 5), (2, 2, 3, 1)])
def test_batch_norm(shape):
    c = shape[1]
    x = torch.randn(*shape, dtype=D) * 3 + 1
    gamma, beta = torch.rand(c, dtype=D) + 0.5, torch.randn(c, dtype=D)
    out, dout, grads = autograd(lambda a, g, b_: F.batch_norm(a, None, None, g, b_, training=True, eps=1e-5),
                                x, gamma, beta)
    y, cache = bp.batch_norm(x, gamma, beta, eps=1e-5)
    close(y, out)
    for mine, ref in zip(bp.batch_norm_backward(dout, cache, gamma), grads):
        close(mine, ref, 1e-8)
    with pytest.raises(ValueError, match="batch_norm"):
        bp.batch_norm(torch.zeros(2, 2, 2), gamma[:2], beta[:2])


def test_dropout():
    mask = bp.dropout_mask((4, 6), 0.3, torch.Generator().manual_seed(0), dtype=D)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    x = torch.randn(4, 6, dtype=D)
    out, dout, (dx,) = autograd(lambda t: t * mask / 0.7, x)
    close(bp.dropout(x, mask, 0.3), out)
    close(bp.dropout_backward(dout, mask, 0.3), dx)
    assert (bp.dropout_backward(dout, mask, 0.3)[mask == 0] == 0).all()
    with pytest.raises(ValueError, match="dropout rate"):
        bp.dropout_mask((2,), 1.0)


def test_numerical_gradient_checks_a_small_cnn():
    torch.manual_seed(0)
    x = torch.randn(2, 1, 6, 6, dtype=D)
    w = torch.randn(3, 1, 3, 3, dtype=D)
    fw = torch.randn(4, 3 * 2 * 2, dtype=D)
    y = torch.tensor([1, 3])

    def loss_of(w_):
        m = bp.conv2d(x, w_, stride=1, padding=1)
        p, _ = bp.max_pool2d(bp.tanh(m), 3)
        return bp.cross_entropy(bp.linear(p.flatten(1), fw), y)

    # hand-written backward of the whole chain
    m = bp.conv2d(x, w, stride=1, padding=1)
    a = bp.tanh(m)
    p, idx = bp.max_pool2d(a, 3)
    z = bp.linear(p.flatten(1), fw)
    dz = bp.cross_entropy_backward(z, y)
    dflat, _, _ = bp.linear_backward(dz, p.flatten(1), fw)
    da = bp.max_pool2d_backward(dflat.view_as(p), idx, a.shape, 3)
    _, dw, _ = bp.conv2d_backward(bp.tanh_backward(da, a), x, w, 1, 1)
    num = bp.numerical_gradient(loss_of, w)
    assert bp.rel_error(dw, num) < 1e-7
    assert bp.rel_error(dw + 1e-3, num) > 1e-6       # the check does notice a wrong gradient


def test_chapter_09_checks_reject_wrong_answers():
    with pytest.raises(checks.ExerciseFailed):
        checks.check("09.1", lambda dout, x, slope=0.01: dout * (x > 0))
    with pytest.raises(checks.ExerciseFailed):
        checks.check("09.2", (0.5, 1.0))
    with pytest.raises(checks.ExerciseFailed):
        checks.check("09.3", lambda dout, x_shape: dout[..., None, None].expand(x_shape).clone())
    with pytest.raises(checks.ExerciseFailed):
        checks.check("09.4", lambda dout: dout.mean((0, 2, 3)))
    checks.check("09.1", lambda dout, x, slope=0.01: dout * torch.where(x > 0, 1.0, slope).to(dout.dtype))
    checks.check("09.2", (0.25, 1.0))
    checks.check("09.3", lambda dout, x_shape: (dout[..., None, None] / (x_shape[2] * x_shape[3])).expand(x_shape).clone())
    checks.check("09.4", lambda dout: dout.sum((0, 2, 3)))
