"""The benchmarks stay runnable: each runs on a few hundred images and prints its ratio."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import cnnkit

from conftest import has_real_data

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script, *args):
    out = subprocess.run([sys.executable, str(BENCH / script), "--device", "cpu", *args],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.skipif(not has_real_data("cifar10"), reason="CIFAR-10 not in data/")
def test_loader_benchmark_prints_a_ratio():
    out = run("loader.py", "--limit", "512", "--workers", "0", "--epochs", "1")
    assert "images/s" in out and "ratio against the fastest textbook setting" in out


@pytest.mark.skipif(not has_real_data("fashion_mnist"), reason="Fashion-MNIST not in data/")
def test_lenet_benchmark_prints_a_ratio():
    out = run("lenet_epoch.py", "--limit", "512")
    assert "faster per epoch" in out


@pytest.mark.skipif(not has_real_data("cifar10"), reason="CIFAR-10 not in data/")
def test_cifar10_speed_benchmark_runs():
    out = run("cifar10_speed.py", "--model", "compact", "--limit", "1024", "--epochs", "1", "--batch-size", "128",
              "--workers", "0")
    assert "compact / cnnkit" in out and "trains" in out


def test_cifar10_speed_ch08_model_is_the_chapters_top_rung():
    import importlib.util
    spec = importlib.util.spec_from_file_location("cifar10_speed", BENCH / "cifar10_speed.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net = mod.model_factory("ch08")()
    assert [b.body[0].out_channels for b in net[0]] == [128, 256, 512]        # 4x the baseline's 32/64/128
    assert all(b.shortcut is not None for b in net[0])                         # skip connections
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)] == [0.2, 0.3, 0.4, 0.5]
    assert cnnkit.output_shape(net, (3, 32, 32)) == (10,)
