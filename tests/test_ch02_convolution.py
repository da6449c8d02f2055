"""Chapter 02: classic kernels, the frozen filter bank and the exercise checks."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import checks
from cnnkit.scratch import classic_kernels, corr2d, filter_bank


def test_classic_kernels_shapes_and_sums():
    k = classic_kernels()
    assert set(k) == {"outline", "sharpen", "gaussian blur", "sobel x", "sobel y", "scharr x", "scharr y", "laplacian"}
    assert all(v.shape == (3, 3) and v.dtype == torch.float32 for v in k.values())
    for name in ("outline", "sobel x", "sobel y", "scharr x", "scharr y", "laplacian"):
        assert float(k[name].sum()) == 0.0, name          # flat regions give 0
    assert float(k["sharpen"].sum()) == 1.0 and abs(float(k["gaussian blur"].sum()) - 1.0) < 1e-7
    assert torch.equal(k["sobel y"], k["sobel x"].T)


def test_sobel_x_is_positive_on_dark_to_bright_step():
    img = torch.zeros(6, 6); img[:, 3:] = 1.0               # brighter to the right
    out = corr2d(img, classic_kernels()["sobel x"])
    assert float(out.min()) >= 0 and float(out.max()) == 4.0
    assert float(corr2d(img, classic_kernels()["sobel y"]).abs().max()) == 0.0


def test_filter_bank_matches_per_channel_correlation():
    ks = classic_kernels()
    bank = filter_bank([ks["sobel x"], ks["laplacian"]], in_channels=3, both_signs=True)
    assert bank.out_channels == 12 and bank.bias is None and not bank.weight.requires_grad
    x = torch.randn(2, 3, 9, 9, generator=torch.Generator().manual_seed(0))
    y = bank(x)
    assert y.shape == (2, 12, 9, 9)
    # output channel 4*c + j uses input channel c with kernel j of (sobel, -sobel, lap, -lap)
    seq = [ks["sobel x"], -ks["sobel x"], ks["laplacian"], -ks["laplacian"]]
    for c in range(3):
        for j, k in enumerate(seq):
            want = F.conv2d(x[:, c:c + 1], k[None, None], padding=1)[:, 0]
            assert torch.allclose(y[:, 4 * c + j], want, atol=1e-5)


def test_filter_bank_does_not_train():
    bank = filter_bank(classic_kernels(), in_channels=1)
    model = nn.Sequential(bank, nn.Flatten(), nn.Linear(8 * 5 * 5, 2))
    before = bank.weight.clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    loss = model(torch.randn(4, 1, 5, 5)).pow(2).mean()
    loss.backward(); opt.step()
    assert torch.equal(bank.weight, before)


def test_filter_bank_bad_input():
    with pytest.raises(ValueError, match="2-D kernels"):
        filter_bank([])
    with pytest.raises(ValueError, match="one size"):
        filter_bank([torch.ones(3, 3), torch.ones(5, 5)])


def test_chapter_02_checks_accept_right_and_reject_wrong(capsys):
    checks.check("02.1", lambda n, k, p, s: (n - k + 2 * p) // s + 1)
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.1", lambda n, k, p, s: (n - k) // s + 1)
    multi = lambda x, k: sum(corr2d(xc, kc) for xc, kc in zip(x, k))
    checks.check("02.2", multi)
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.2", lambda x, k: corr2d(x[0], k[0]))
    checks.check("02.3", lambda ci, co, k: co * (k * k * ci + 1))
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.3", lambda ci, co, k: co * k * k * ci)
    checks.check("02.4", classic_kernels()["sobel y"])
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.4", classic_kernels()["sobel x"])
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.4", classic_kernels()["gaussian blur"])
    checks.check("02.5", lambda ks: 1 + sum(k - 1 for k in ks))
    with pytest.raises(checks.ExerciseFailed):
        checks.check("02.5", lambda ks: sum(ks))

    def stub(*a):
        raise NotImplementedError("hint")
    with pytest.raises(checks.ExerciseNotDone):
        checks.check("02.1", stub, strict=True)
