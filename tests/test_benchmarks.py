"""The benchmarks stay runnable: each runs on a few hundred images and prints its ratio."""
import subprocess
import sys
from pathlib import Path

import pytest

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
