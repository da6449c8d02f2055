"""Bad input to cnnkit.env gets a clear error naming the argument (issue 10)."""
import pytest
import torch

from cnnkit.env import Profile, RunCard, get_device, profile, seed_everything


def test_unknown_device_names(monkeypatch):
    with pytest.raises(ValueError, match=r"prefer='gpu' is not a device"):
        get_device("gpu")
    with pytest.raises(TypeError, match="prefer must be a device name"):
        get_device(0.5)
    monkeypatch.setenv("CNNKIT_DEVICE", "tpu9")
    with pytest.raises(ValueError, match=r"CNNKIT_DEVICE='tpu9' is not a device"):
        get_device()


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="checks the error without MPS")
def test_asking_for_missing_mps_is_a_clear_error():
    with pytest.raises(RuntimeError, match="Apple MPS"):
        get_device("mps")


@pytest.mark.parametrize("seed", ["1", 1.5, -1, None, True])
def test_seed_must_be_a_non_negative_int(seed):
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        seed_everything(seed)


def test_profile_and_claim_arguments():
    with pytest.raises(TypeError, match="name must be a profile name"):
        profile(3)
    with pytest.raises(ValueError, match="unknown profile"):
        Profile(None)
    with pytest.raises(TypeError, match="statement must be a sentence"):
        Profile("quick").claim("", True)
    with pytest.raises(ValueError, match=r"holds must be one truth value.*\.all\(\)"):
        Profile("quick").claim("all positive", torch.tensor([True, False]))
    with pytest.raises(TypeError, match="show must be True or False"):
        RunCard(show="yes")
