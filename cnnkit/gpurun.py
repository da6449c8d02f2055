"""Run the whole book in one go (meant for a GPU machine) and pack what it finds into one archive.

    python -m cnnkit.book run-all --profile full --out gpu-run               # benchmark, every chapter, report
    python -m cnnkit.book run-all --profile quick --chapters 00,09 --no-benchmark --out /tmp/run
    python -m cnnkit.book run-all --dry-run --out gpu-run                    # the plan and a pre-flight check

1. The CIFAR-10 speed benchmark (``benchmarks/cifar10_speed.py``) as a subprocess; its output goes
   to ``benchmark.txt`` (``--no-benchmark`` skips it, ``--benchmark-args`` passes options on).
2. Every chapter of ``_toc.yml`` (or ``--chapters 03,05``) in a fresh kernel at ``--profile``,
   ``--jobs`` at a time on the one GPU, the longest first. Each executed notebook is saved to
   ``DIR/notebooks/`` the moment it finishes. A final probe cell, removed again before saving,
   reads the kernel's peak GPU memory.
3. ``report.json`` and ``report.md``: per chapter the status (ok / error with the failing cell /
   timeout), seconds, peak GPU memory and every claim's verdict read from the outputs.
4. ``gpu-run.tar.gz`` with all of it, kept under ``--max-archive-mb`` (images are dropped from the
   largest notebooks when it would not fit; the report says so).

Report and archive are rewritten after every chapter, so a run stopped from outside keeps what
had finished; ``--time-limit`` stops starting chapters in time to finish inside a fixed slot.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from .gpureport import _text, pack, report_markdown, summarize

PROBE_MARK = "cnnkit-gpurun-probe:"
PROBE = (  # runs after the chapter in the same kernel; stripped from the saved notebook
    "import json as _j, torch as _t\n"
    "_c = _t.cuda.is_available() and _t.cuda.is_initialized()\n"
    f"print({PROBE_MARK!r}, _j.dumps({{'peak_gpu_bytes': _t.cuda.max_memory_allocated() if _c else None,\n"
    "    'device': _t.cuda.get_device_name() if _c else 'cpu', 'torch': _t.__version__}))")
TIMEOUT_ENAME = "NotebookTimeout"
RAN_IN = re.compile(r"notebook ran in (\d+) s")


def toc_chapters(root: Path) -> list[Path]:
    """The notebooks of ``_toc.yml`` in reading order (root page first).

    >>> [p.name for p in toc_chapters(repo_root())][:2]      # doctest: +SKIP
    ['00_intro.ipynb', '01_why_not_mlp.ipynb']
    """
    import yaml

    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    files += [c["file"] for c in toc.get("chapters", [])]
    return [Path(root) / (f if f.endswith(".ipynb") else f + ".ipynb") for f in files]


def select_chapters(paths: list[Path], spec: str | None) -> list[Path]:
    """Keep the chapters named in ``spec`` ("03,05,instructors": numbers or names); all when empty.

    >>> [p.stem for p in select_chapters([Path("00_intro.ipynb"), Path("03_pooling.ipynb")], "03")]
    ['03_pooling']
    """
    if not spec:
        return list(paths)
    picked = []
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        hits = [p for p in paths if p.stem == token or p.stem.startswith(token + "_")]
        if not hits:
            raise ValueError(f"chapters: {token!r} names no chapter of _toc.yml; expected one of "
                             + ", ".join(p.stem for p in paths))
        picked += [p for p in hits if p not in picked]
    return picked


def stored_seconds(path: Path) -> float:
    """Seconds the stored outputs say the notebook took (``card.finish()``), 0 when unknown."""
    m = RAN_IN.search(Path(path).read_text(encoding="utf-8"))
    return float(m.group(1)) if m else 0.0



def run_benchmark(root: Path, out: Path, args: list[str], timeout: float, script: str) -> dict:
    """Run the speed benchmark script as a subprocess; its output goes to ``out/benchmark.txt``."""
    cmd = [sys.executable, script, *args]
    start = time.time()
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
        text, status = proc.stdout + proc.stderr, "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    except subprocess.TimeoutExpired as err:
        text, status = f"{err.stdout or ''}{err.stderr or ''}", f"timeout after {timeout:.0f} s"
        text = text.decode() if isinstance(text, bytes) else text
    (out / "benchmark.txt").write_text(text)
    return {"status": status, "seconds": time.time() - start, "command": " ".join(cmd[1:]),
            "tail": "\n".join(text.strip().splitlines()[-40:])}


async def execute_notebook(src: Path, dst: Path, timeout: float, env: dict) -> dict:
    """Execute ``src`` in a fresh kernel (working directory: its folder), stop after ``timeout``
    seconds, save the executed notebook to ``dst``; return the runner's record (status, seconds, peak memory)."""
    import nbformat
    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:  # stale outputs must not survive in cells the run never reaches
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    n = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    start = time.time()
    stop = start + timeout
    client = NotebookClient(nb, kernel_name="python3", timeout=int(timeout) + 1, interrupt_on_timeout=True,
                            timeout_func=lambda cell: max(1, int(stop - time.time()) + 1),
                            error_on_timeout={"ename": TIMEOUT_ENAME, "traceback": [],
                                              "evalue": f"stopped after the notebook's {timeout:.0f} s limit"},
                            resources={"metadata": {"path": str(src.parent.resolve())}})
    run = {"chapter": src.stem, "status": "ok", "cell": None}
    try:
        async with client.async_setup_kernel(env=env):
            info = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
            nb.metadata["language_info"] = info["content"]["language_info"]
            alive = True
            i = 0
            try:
                for i in range(n):
                    await client.async_execute_cell(nb.cells[i], i, execution_count=client.code_cells_executed + 1)
            except CellExecutionError as err:
                timed_out = err.ename == TIMEOUT_ENAME
                run.update(status="timeout" if timed_out else "error", cell=i, message=f"{err.ename}: {err.evalue}")
                if timed_out:
                    nb.cells[i].outputs.append(nbformat.v4.new_output(
                        "error", ename=TIMEOUT_ENAME, evalue=err.evalue, traceback=[]))
            except DeadKernelError as err:
                run.update(status="error", cell=i, message=f"the kernel died: {err}")
                alive = False
            run["seconds"] = round(time.time() - start, 1)
            if alive:
                client.timeout_func, client.timeout, client.interrupt_on_timeout = None, 60, False
                try:
                    await client.async_execute_cell(nb.cells[n], n)
                    for line in "".join(_text(o) for o in nb.cells[n].outputs).splitlines():
                        if line.startswith(PROBE_MARK):
                            run.update(json.loads(line[len(PROBE_MARK):]))
                except Exception as err:  # the probe is best effort: a stuck kernel leaves memory unknown
                    run["probe"] = f"{type(err).__name__}: {err}"
    except Exception as err:  # the kernel did not start, or died between cells
        run.update(status="error", message=f"{type(err).__name__}: {err}", seconds=round(time.time() - start, 1))
    nb.cells = nb.cells[:n]
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return run


def preflight(root: Path) -> tuple[list[str], list[str]]:
    """(problems, facts) about this machine before a run: modules, kernel, data, GPU."""
    problems, facts = [], []
    for mod in ("nbformat", "nbclient", "ipykernel", "jupyter_client", "torchinfo", "torch", "torchvision", "yaml"):
        if importlib.util.find_spec(mod) is None:
            problems.append(f"python module {mod} is missing (on a bare GPU machine: see benchmarks/gpu/README.md)")
    if importlib.util.find_spec("jupyter_client") and importlib.util.find_spec("ipykernel"):
        from jupyter_client.kernelspec import KernelSpecManager
        try:
            spec = KernelSpecManager().get_kernel_spec("python3")
            facts.append(f"kernel python3: {spec.argv[0]}")
        except Exception as err:
            problems.append(f"no python3 kernel: {err}")
    from .data import data_root

    data = data_root(root)
    for f in ("FashionMNIST/raw/train-images-idx3-ubyte", "cifar-10-batches-py/data_batch_5"):
        (facts if (data / f).exists() else problems).append(
            f"{data / f}: {'present' if (data / f).exists() else 'missing (the chapters would try to download it)'}")
    import torch

    facts.append(f"torch {torch.__version__}, " + (f"CUDA: {torch.cuda.get_device_name()}" if torch.cuda.is_available()
                                                  else "no CUDA device: the chapters run on the CPU"))
    return problems, facts


def run_all(root: Path, out: Path, profile: str = "full", chapters: str | None = None, jobs: int = 0,
            timeout: float = 1800, time_limit: float | None = None, benchmark: bool = True,
            benchmark_args: str = "", benchmark_timeout: float = 600,
            benchmark_script: str = "benchmarks/cifar10_speed.py", archive: Path | None = None,
            max_archive_mb: float = 16, dry_run: bool = False) -> int:
    """Benchmark, execute the chapters, write the report and the archive (see the module docstring).
    Returns 0 when every chapter ran without error, 1 otherwise."""
    import shlex

    if profile not in ("quick", "medium", "full"):
        raise ValueError(f"profile must be quick, medium or full; got {profile!r}")
    if jobs < 0 or timeout <= 0:
        raise ValueError(f"jobs must be >= 0 and timeout > 0; got jobs={jobs}, timeout={timeout}")
    import torch

    begin = time.time()
    deadline = begin + time_limit if time_limit else float("inf")
    root, out = Path(root).resolve(), Path(out).resolve()
    archive = Path(archive).resolve() if archive else out / "gpu-run.tar.gz"
    jobs = jobs or (4 if torch.cuda.is_available() else 1)
    todo = sorted(select_chapters(toc_chapters(root), chapters), key=lambda p: -stored_seconds(p))
    bargs = shlex.split(benchmark_args)
    plan = [f"profile {profile}, {jobs} at a time, {timeout:.0f} s per notebook"
            + (f", {time_limit:.0f} s in all" if time_limit else ""),
            "benchmark: " + (f"{benchmark_script} {' '.join(bargs)}" if benchmark else "skipped"),
            "order: " + ", ".join(p.stem for p in todo), f"out: {out}; archive: {archive}"]
    if dry_run:
        problems, facts = preflight(root)
        print("\n".join(plan + facts + [f"PROBLEM: {p}" for p in problems]))
        return 1 if problems else 0
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    report = {"profile": profile, "jobs": jobs, "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(begin)),
              "host": f"{platform.node()} ({os.cpu_count()} CPU cores)", "device": None, "torch": torch.__version__,
              "benchmark": None, "chapters": [{"chapter": p.stem, "status": "not run"} for p in todo], "archive": []}

    def save():  # report first, then the archive; again if the archive had to drop images
        for _ in range(2):
            report["wall_seconds"] = round(time.time() - begin, 1)
            report["chapters"].sort(key=lambda r: r["chapter"])
            (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
            (out / "report.md").write_text(report_markdown(report))
            notes = pack(out, archive, int(max_archive_mb * 1e6))
            if notes == report["archive"]:
                break
            report["archive"] = notes

    print("\n".join(plan), flush=True)
    if benchmark:
        limit = min(benchmark_timeout, max(10.0, deadline - time.time() - 60))
        report["benchmark"] = run_benchmark(root, out, bargs, limit, benchmark_script)
        print(f"benchmark: {report['benchmark']['status']} in {report['benchmark']['seconds']:.0f} s", flush=True)
        save()
    env = dict(os.environ, CNNKIT_PROFILE=profile, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // jobs)))
    env.pop("MPLBACKEND", None)  # the kernel would inherit Agg and show no figures

    async def main():
        sem, lock = asyncio.Semaphore(jobs), asyncio.Lock()

        async def one(src):
            async with sem:
                left = deadline - time.time() - 30  # 30 s kept for the last report and archive
                if left < 20:
                    run = {"chapter": src.stem, "status": "not run",
                           "message": "not started: the run's --time-limit was nearly spent"}
                    row = {**run, "error": {"cell": None, "source": "", "error": run["message"]}}
                else:
                    dst = out / "notebooks" / src.name
                    run = await execute_notebook(src, dst, min(timeout, left), env)
                    import nbformat
                    row = summarize(nbformat.read(dst, as_version=4), run)
            async with lock:
                report["chapters"] = [r for r in report["chapters"] if r["chapter"] != src.stem] + [row]
                report["device"] = report["device"] or (run.get("device") if run.get("device") != "cpu" else None)
                await asyncio.to_thread(save)
            print(f"{src.stem}: {row['status']} in {row.get('seconds') or 0:.0f} s "
                  f"({time.time() - begin:.0f} s since the start)", flush=True)

        await asyncio.gather(*(one(p) for p in todo))

    asyncio.run(main())
    report["device"] = report["device"] or ("cuda (name not read)" if torch.cuda.is_available() else "cpu")
    save()
    print(f"report: {out / 'report.md'}\narchive: {archive} ({archive.stat().st_size / 1e6:.1f} MB)", flush=True)
    return 0 if all(r["status"] == "ok" for r in report["chapters"]) else 1


def add_arguments(ap) -> None:
    """The ``run-all`` options of ``python -m cnnkit.book``."""
    ap.add_argument("--out", required=True, help="folder for the executed notebooks, report and archive")
    ap.add_argument("--profile", default="full", choices=["quick", "medium", "full"])
    ap.add_argument("--chapters", default=None, help="comma-separated numbers or names, e.g. 03,05 (default: all)")
    ap.add_argument("--jobs", type=int, default=0, help="notebooks at a time (default: 4 on CUDA, else 1)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per notebook (default 1800)")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds for the whole run, benchmark included")
    ap.add_argument("--no-benchmark", dest="benchmark", action="store_false", help="skip the speed benchmark")
    ap.add_argument("--benchmark-args", default="",
                    help="options for the benchmark script as one string (a single flag: --benchmark-args='--flag')")
    ap.add_argument("--benchmark-timeout", type=float, default=600)
    ap.add_argument("--benchmark-script", default="benchmarks/cifar10_speed.py")
    ap.add_argument("--archive", default=None, help="archive path (default: OUT/gpu-run.tar.gz)")
    ap.add_argument("--max-archive-mb", type=float, default=16)
    ap.add_argument("--dry-run", action="store_true", help="print the plan and check this machine; run nothing")


def main_args(args, root: Path) -> int:
    """Run ``run-all`` from the parsed arguments of :func:`add_arguments`."""
    return run_all(root, **{k: v for k, v in vars(args).items() if k != "cmd"})
