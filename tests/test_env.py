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
    assert Profile("medium").pick(quick=1, full=2, medium=3) == 3
    assert Profile("medium").pick(quick=1, full=2, medium=None) is None   # None is a budget ("all")
    assert Profile("medium").pick(quick=1, full=2) == 1                   # no medium budget: quick's
    assert Profile("medium").is_medium and not Profile("medium").is_quick
    assert "2 CPU cores" in Profile("medium").describe()
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        profile("fast")


def test_claims_are_enforced_where_they_must_hold(capsys):
    assert Profile("quick").claim("holds", True) is True
    assert "claim checked: holds" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="does not hold in the quick profile: fails"):
        Profile("quick").claim("fails", False)
    # a claim that needs the lecture's budget is reported, not enforced, below it ...
    assert Profile("medium").claim("big budget", False, full_only=True) is False
    assert "not reproduced at the medium budget" in capsys.readouterr().out
    assert Profile("medium").claim("big budget", True, full_only=True) is True
    assert "at the medium budget too" in capsys.readouterr().out
    # ... and enforced in the full profile
    with pytest.raises(AssertionError, match="full profile: big budget"):
        Profile("full").claim("big budget", False, full_only=True)


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
