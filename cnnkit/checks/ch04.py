"""Exercise checks of chapter 04."""
import torch

from .registry import exercise


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
    from ..scratch import conv_output_size
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
