"""The benchmarks stay runnable: each runs on a few hundred images and prints its ratio."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import cnnkit

from conftest import has_real_data

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script, *args, device=True):
    out = subprocess.run([sys.executable, str(BENCH / script), *(["--device", "cpu"] if device else []), *args],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.skipif(not has_real_data("cifar10"), reason="CIFAR-10 not in data/")
def test_loader_benchmark_prints_a_ratio():
    out = run("loader.py", "--limit", "512", "--workers", "0", "--epochs", "1")
    assert "images/s" in out and "ratio against the fastest textbook setting" in out
    # construction is timed on both sides and left out of the epoch ratio
    assert out.count("construction") >= 3 and "construction on neither side" in out


@pytest.mark.skipif(not has_real_data("fashion_mnist"), reason="Fashion-MNIST not in data/")
def test_lenet_benchmark_prints_a_ratio():
    out = run("lenet_epoch.py", "--limit", "512")
    assert "faster per epoch" in out


@pytest.mark.skipif(not has_real_data("cifar10"), reason="CIFAR-10 not in data/")
def test_cifar10_speed_benchmark_runs():
    out = run("cifar10_speed.py", "--limit", "256", "--width", "8", "--epochs", "2", "--seeds", "2",
              "--batch-size", "64", "--workers", "0", "--textbook-seeds", "2")
    assert out.count("/ cnnkit:") == 2 and out.count("/ textbook:") == 2       # both loops, every seed
    assert "compact / cnnkit.fit: 2 seed(s)" in out and "goal >= 94% in <= 8 s" in out
    assert "trains" in out and "faster" in out


def test_cifar10_speed_time_to_target():
    mod = load_module("cifar10_speed.py")
    assert mod.time_to([0.5, 0.931, 0.95], [1.0, 2.5, 4.0], 0.93) == 2.5
    assert mod.time_to([0.5, 0.931, 0.95], [1.0, 2.5, 4.0], 0.96) is None


def load_module(script):
    spec = importlib.util.spec_from_file_location(script.removesuffix(".py"), BENCH / script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cifar10_speed_ch08_model_is_the_chapters_top_rung():
    mod = load_module("cifar10_speed.py")
    net = mod.model_factory("ch08")()
    assert [b.body[0].out_channels for b in net[0]] == [128, 256, 512]        # 4x the baseline's 32/64/128
    assert all(b.shortcut is not None for b in net[0])                         # skip connections
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)] == [0.2, 0.3, 0.4, 0.5]
    assert cnnkit.output_shape(net, (3, 32, 32)) == (10,)


# ---- benchmarks/budget.py: the FLOP budget of every chapter, read from the chapters themselves

SUMMARY = re.compile(r"^(quick|medium|full): \d+\.\d+ PFLOP, \d+ steps, largest chapter \d+\.\d+ PFLOP$")


def notebook(path, *cells):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_budget_counts_a_tiny_chapter_exactly(tmp_path):
    """A linear model on 100 random images: every FLOP of the budget can be written down by hand."""
    budget = load_module("budget.py")
    path = notebook(tmp_path / "99_tiny.ipynb",
                    "try:\n    import cnnkit\nexcept ImportError:\n    %pip install cnnkit\n",
                    "import torch, cnnkit\nP = cnnkit.profile()\n"
                    "data = cnnkit.ImageData(torch.zeros(100, 1, 28, 28, dtype=torch.uint8), torch.arange(100) % 10,"
                    " tuple('abcdefghij'))\n"
                    "train = cnnkit.Loader(data, 10, shuffle=True, device='cpu')\n"
                    "test = cnnkit.Loader(data, 50, device='cpu')\n"
                    "model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))",
                    "h = cnnkit.fit(model, train, test, epochs=P.pick(quick=2, full=3))\n"
                    "assert h.final['test_acc'] > 0.99   # placeholder numbers: dropped, not failed\n"
                    "P.claim('never true', False)\n"
                    "cnnkit.evaluate(model, test)\n"
                    "logits, labels = cnnkit.predict(model, test)\n"
                    "assert logits.shape == (100, 10) and labels.shape == (100,)",
                    "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                    "model(torch.zeros(5, 1, 28, 28)).sum().backward(); opt.step()",
                    "raise RuntimeError('a cell that fails')")
    rows = {r["profile"]: r for r in budget.count_chapter(path, ["quick", "full"])}
    mm = 2 * 784 * 10                            # FLOPs of the linear layer, per image, forward
    for profile, epochs in (("quick", 2), ("full", 3)):
        r = rows[profile]
        assert r["runs"] == 1 and r["claims"] == 1
        assert r["steps"] == epochs * 10 + 1                   # fit's steps + one torch.optim step elsewhere
        assert r["train"] == epochs * 100 * 2 * mm             # forward + weight gradient (no input gradient)
        assert r["eval"] == epochs * 100 * mm + 2 * 100 * mm   # fit's test pass per epoch, evaluate, predict
        assert r["other"] == 2 * 5 * mm                        # the hand-written step: forward + weight gradient
        assert r["errors"] == ["cell 4: RuntimeError: a cell that fails"]


def test_budget_docstring_examples():
    import doctest
    budget = load_module("budget.py")
    assert doctest.testmod(budget).failed == 0
    assert budget.FAKE_ABOVE >= 1e8 and budget.minutes(0, 0, 1, 1) == 0


@pytest.mark.skipif(not has_real_data("fashion_mnist"), reason="Fashion-MNIST not in data/")
def test_budget_command_on_one_small_chapter():
    out = run("budget.py", "--chapters", "04", "--profiles", "quick", device=False).strip().splitlines()
    assert SUMMARY.match(out[-1]), out[-1]
    row = next(line for line in out if line.startswith("| 04_padding_stride |"))
    runs, steps = row.split("|")[2:4]
    assert int(runs) == 1 and int(steps.replace(",", "")) > 0
    assert "cells that failed" not in "\n".join(out)
