"""The book's one-command GPU run (cnnkit.gpurun, benchmarks/gpu/gpupack.py), exercised on the CPU."""
import asyncio
import base64
import gzip
import hashlib
import importlib.util
import json
import lzma
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import nbformat
import pytest

from cnnkit import gpureport, gpurun
from conftest import has_real_data

ROOT = Path(__file__).resolve().parent.parent


def load_gpupack():
    spec = importlib.util.spec_from_file_location("gpupack", ROOT / "benchmarks" / "gpu" / "gpupack.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def code(source, *outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def test_claims_and_errors_are_read_from_the_outputs():
    nb = nbformat.v4.new_notebook(cells=[
        code("P.claim('a', True)\nP.claim('b', False, full_only=True)",
             stdout("claim checked: a beats b\nclaim not reproduced at the quick budget (enforced only in the full "
                    "profile): deeper is better\nclaim checked (at the quick budget too): c\n")),
        code("assert x > 1\n# two\n# three\n# four", error("AssertionError", "claim does not hold in the full profile: d")),
        code("assert y", error("AssertionError", "")),
    ])
    found = gpureport.claims(nb)
    assert [(c["cell"], c["verdict"], c["statement"]) for c in found] == [
        (0, "checked", "a beats b"), (0, "not reproduced", "deeper is better"), (0, "checked", "c"),
        (1, "failed", "d"), (2, "failed", "assertion failed")]
    row = gpureport.summarize(nb, {"chapter": "x", "status": "error", "cell": 1, "seconds": 2.0, "peak_gpu_bytes": 3 * 2**20})
    assert row["counts"] == {"checked": 2, "not reproduced": 1, "within noise": 0, "failed": 2}
    assert row["error"] == {"cell": 1, "source": "assert x > 1\n# two\n# three ...",
                            "error": "AssertionError: claim does not hold in the full profile: d"}
    assert row["peak_gpu_mib"] == 3.0
    md = gpureport.report_markdown({"profile": "full", "jobs": 2, "started": "now", "chapters": [row], "archive": []})
    assert "| x | error | 2.0 | 3 | 2 / 1 / 0 / 2 | AssertionError" in md and "**not reproduced**: deeper is better" in md


def test_select_chapters_by_number_or_name():
    paths = gpurun.toc_chapters(ROOT)
    assert paths[0].name == "00_intro.ipynb" and all(p.is_file() for p in paths)
    assert [p.stem for p in gpurun.select_chapters(paths, "09, 00")] == ["09_backprop", "00_intro"]
    assert gpurun.select_chapters(paths, None) == paths
    with pytest.raises(ValueError, match="chapters: '42'"):
        gpurun.select_chapters(paths, "42")


def test_a_failing_cell_and_a_timeout_are_reported(tmp_path):
    failing = nbformat.v4.new_notebook(cells=[code("x = 1"), code("1 / 0"), code("print('never')", stdout("stale\n"))])
    slow = nbformat.v4.new_notebook(cells=[code("print('claim checked: started')"), code("import time\ntime.sleep(120)")])
    for name, nb in (("fail", failing), ("slow", slow)):
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    async def both():
        return await asyncio.gather(
            gpurun.execute_notebook(tmp_path / "fail.ipynb", tmp_path / "out" / "fail.ipynb", 60, env),
            gpurun.execute_notebook(tmp_path / "slow.ipynb", tmp_path / "out" / "slow.ipynb", 6, env))

    fail_run, slow_run = asyncio.run(both())
    assert fail_run["status"] == "error" and fail_run["cell"] == 1 and fail_run["device"] == "cpu"
    assert slow_run["status"] == "timeout" and slow_run["cell"] == 1 and slow_run["seconds"] < 60
    fail_nb = nbformat.read(tmp_path / "out" / "fail.ipynb", as_version=4)
    assert len(fail_nb.cells) == 3 and fail_nb.cells[2].outputs == []  # no probe cell, no stale outputs
    row = gpureport.summarize(fail_nb, fail_run)
    assert row["error"]["source"] == "1 / 0" and row["error"]["error"].startswith("ZeroDivisionError")
    slow_nb = nbformat.read(tmp_path / "out" / "slow.ipynb", as_version=4)
    row = gpureport.summarize(slow_nb, slow_run)
    assert row["status"] == "timeout" and row["error"]["cell"] == 1 and "6 s limit" in row["error"]["error"]
    assert row["claims"] == [{"cell": 0, "verdict": "checked", "statement": "started"}]


def test_pack_drops_images_when_the_archive_would_be_too_big(tmp_path):
    (tmp_path / "notebooks").mkdir()
    png = base64.b64encode(os.urandom(300_000)).decode()  # incompressible
    for name in ("a", "b"):
        cell = code("plot()", nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}))
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), tmp_path / "notebooks" / f"{name}.ipynb")
    (tmp_path / "report.md").write_text("# report\n")
    archive = tmp_path / "run.tar.gz"
    assert gpureport.pack(tmp_path, archive, 10_000_000) == []
    assert archive.stat().st_size > 400_000
    notes = gpureport.pack(tmp_path, archive, 400_000)
    assert len(notes) == 1 and archive.stat().st_size <= 400_000
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["gpu-run/notebooks/a.ipynb", "gpu-run/notebooks/b.ipynb", "gpu-run/report.md"]


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path, capsys):
    gpurun.run_all(ROOT, tmp_path / "run", profile="quick", chapters="00,09", jobs=2, dry_run=True)
    out = capsys.readouterr().out
    assert "order: 09_backprop, 00_intro" in out and "2 at a time" in out and "torch" in out
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(not has_real_data("fashion_mnist"), reason="Fashion-MNIST not in data/")
def test_run_all_two_chapters_quick(tmp_path):
    bench = tmp_path / "bench.py"
    bench.write_text("import sys\nprint('speed benchmark', sys.argv[1:])\n")
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "cnnkit.book", "run-all", "--profile", "quick", "--chapters", "00,09",
                           "--jobs", "2", "--out", str(out), "--benchmark-script", str(bench),
                           "--benchmark-args", "--epochs 1", "--timeout", "300"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    rows = {r["chapter"]: r for r in report["chapters"]}
    assert set(rows) == {"00_intro", "09_backprop"} and all(r["status"] == "ok" for r in rows.values())
    assert report["profile"] == "quick" and report["device"] == "cpu"
    assert rows["09_backprop"]["counts"]["checked"] >= 5 and rows["09_backprop"]["counts"]["failed"] == 0
    assert report["benchmark"]["status"] == "ok" and "speed benchmark ['--epochs', '1']" in report["benchmark"]["tail"]
    for name in ("00_intro", "09_backprop"):
        saved = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        source = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        assert [c.source for c in saved.cells] == [c.source for c in source.cells]  # probe cell stripped
        assert all(c.execution_count for c in saved.cells if c.cell_type == "code")
    md = (out / "report.md").read_text()
    assert "| 09_backprop | ok |" in md and "## Claims" in md
    archive = out / "gpu-run.tar.gz"
    assert archive.stat().st_size < 16e6
    with tarfile.open(archive) as tar:
        assert {"gpu-run/report.json", "gpu-run/report.md", "gpu-run/benchmark.txt",
                "gpu-run/notebooks/09_backprop.ipynb"} <= set(tar.getnames())


def test_gpupack_splits_the_data_into_calls_and_stages_it(tmp_path, monkeypatch):
    gp = load_gpupack()
    assert gp.pack_parts({"a": 6, "b": 5, "c": 4, "d": 1}, 10) == [["a", "c"], ["b", "d"]]
    with pytest.raises(ValueError, match="does not fit"):
        gp.pack_parts({"big": 11}, 10)
    # a tiny repository and fake datasets whose checksums we know
    repo, cifar, fashion = tmp_path / "repo", tmp_path / "cifar", tmp_path / "fashion"
    for d in (repo, cifar, fashion):
        d.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / ".git" / "info" / "exclude").write_text("/.whl/\n/.carry/\n/data/\n")
    (repo / "README.md").write_text("x" * 1000)
    (repo / ".whl").mkdir()
    (repo / ".whl" / "pkg-1-py3-none-any.whl").write_bytes(b"w" * 3000)
    digests = {}
    for table, folder, opener, ext in ((gp.CIFAR10, cifar, lzma.open, "xz"), (gp.FASHION, fashion, gzip.open, "gz")):
        for name in table:
            raw = (name * 200).encode()
            digests[name] = hashlib.md5(raw).hexdigest()
            with opener(folder / f"{name}.{ext}", "wb") as f:
                f.write(raw)
    monkeypatch.setattr(gp, "CIFAR10", {n: digests[n] for n in gp.CIFAR10})
    monkeypatch.setattr(gp, "FASHION", {n: digests[n] for n in gp.FASHION})
    assert gp.tree_bytes(repo) == 1000
    sizes = [p.stat().st_size for p in [*cifar.iterdir(), *fashion.iterdir()]]
    margin = gp.CALL_LIMIT - 1000 - 3000  # room for the wheels alone: the data go in a second call
    plan = gp.split(repo, cifar, fashion, repo / ".whl", repo / ".carry", margin)
    assert [c["carry"] for c in plan["calls"]] == [[".carry/1", ".whl"], [".carry/2"]]
    assert plan["calls"][0]["command"].endswith("stage") and "stage --final" in plan["calls"][1]["command"]
    plan = gp.split(repo, cifar, fashion, repo / ".whl", repo / ".carry", gp.CALL_LIMIT - 1000 - 3000 - sum(sizes))
    assert len(plan["calls"]) == 1 and "run-all --profile full" in plan["calls"][0]["command"]
    assert "call 1/1" in gp.plan_text(plan)
    assert gp.stage(repo, repo / "data", repo / ".carry", False, None, repo / ".whl") == 0
    assert (repo / "data" / "cifar-10-batches-py" / "test_batch").read_bytes() == b"test_batch" * 200
    assert (repo / "data" / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file()
    (repo / "data" / "cifar-10-batches-py" / "test_batch").write_bytes(b"damaged")
    (repo / ".carry" / "1" / "test_batch.xz").unlink()  # a call lost (the machine went cold)
    assert gp.stage(repo, repo / "data", repo / ".carry", True, tmp_path / "site", repo / ".whl") == 2


def test_the_probe_reads_peak_gpu_memory(monkeypatch, capsys):
    import torch

    for name, value in (("is_available", True), ("is_initialized", True), ("max_memory_allocated", 5 * 2**30),
                        ("get_device_name", "NVIDIA H200")):
        monkeypatch.setattr(torch.cuda, name, lambda *a, v=value: v)
    exec(gpurun.PROBE, {})
    line = capsys.readouterr().out.strip()
    assert line.startswith(gpurun.PROBE_MARK)
    assert json.loads(line[len(gpurun.PROBE_MARK):]) == {"peak_gpu_bytes": 5 * 2**30, "device": "NVIDIA H200",
                                                         "torch": torch.__version__}
    row = gpureport.summarize(nbformat.v4.new_notebook(), {"chapter": "x", "status": "ok", "peak_gpu_bytes": 5 * 2**30})
    assert row["peak_gpu_mib"] == 5120.0


def test_a_spent_time_limit_starts_nothing_but_still_reports(tmp_path):
    assert gpurun.run_all(ROOT, tmp_path, profile="quick", chapters="00", jobs=1, time_limit=5, benchmark=False) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(r["chapter"], r["status"]) for r in report["chapters"]] == [("00_intro", "not run")]
    assert "time-limit" in (tmp_path / "report.md").read_text() and (tmp_path / "gpu-run.tar.gz").is_file()
