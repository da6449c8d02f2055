import pytest
import torch

import cnnkit
from cnnkit.env import Profile, RunCard, get_device, profile, seed_everything


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("CNNKIT_PROFILE", "full")
    assert profile().is_full
    monkeypatch.setenv("CNNKIT_PROFILE", " Quick ")
    assert profile().is_quick


def test_profile_default_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("CNNKIT_PROFILE", raising=False)
    assert profile().name == ("full" if torch.cuda.is_available() else "quick")


def test_profile_pick_and_unknown_name():
    assert Profile("quick").pick(quick=1, full=2) == 1
    assert Profile("full").pick(quick=1, full=2) == 2
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        profile("fast")


def test_device_choice(monkeypatch):
    monkeypatch.delenv("CNNKIT_DEVICE", raising=False)
    dev = get_device()
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    else:
        assert dev.type in ("mps", "cpu")
    assert get_device("cpu").type == "cpu"
    monkeypatch.setenv("CNNKIT_DEVICE", "cpu")
    assert get_device().type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_asking_for_missing_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA"):
        get_device("cuda")


def test_seed_everything_repeats_random_numbers():
    seed_everything(3)
    a = (torch.rand(3), __import__("numpy").random.rand(), __import__("random").random())
    seed_everything(3)
    b = (torch.rand(3), __import__("numpy").random.rand(), __import__("random").random())
    assert torch.equal(a[0], b[0]) and a[1:] == b[1:]


def test_run_card_prints_device_profile_versions(capsys, monkeypatch):
    monkeypatch.setenv("CNNKIT_PROFILE", "quick")
    card = RunCard()
    out = capsys.readouterr().out
    for key in ("device", "profile: quick", "torch", "torchvision", f"cnnkit: {cnnkit.__version__}"):
        assert key in out
    assert card.elapsed() >= 0
    card.finish()
    assert "notebook ran in" in capsys.readouterr().out
