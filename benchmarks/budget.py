"""The training budget of every chapter at every profile, counted in FLOPs on the CPU.

    .venv/bin/python benchmarks/budget.py                          # every chapter, quick, medium and full
    .venv/bin/python benchmarks/budget.py --chapters 05 08 --profiles full --detail

The budgets come from the chapters themselves, so this table cannot drift from the notebooks:
each chapter's code cells are executed (in a fresh process per chapter, one namespace per
profile, IPython magics skipped, ``assert`` statements dropped) with ``cnnkit.fit``,
``evaluate`` and ``predict`` replaced by counting stubs and ``Profile.claim`` only recorded.

* ``fit`` runs ONE training step (``batch_fn``, forward, loss, backward, ``after_backward``) on the
  first images of the first batch under ``torch.utils.flop_counter.FlopCounterMode``, scales it to
  FLOPs per image (the FLOPs of convolutions and matrix products are linear in the batch size),
  multiplies by the images the run would see (epochs x the loader's images) and counts
  epochs x len(loader) optimizer steps; with a test loader, one forward pass over it per epoch.
  It returns a :class:`cnnkit.History` with placeholder numbers, ``counted = True``.
* ``evaluate`` and ``predict`` count one forward pass over their loader.
* Everything else a chapter runs (hand-written training loops, one-batch demos, gradient checks)
  runs for real under the same counter: the "other" column. Matrix products and convolutions
  larger than ``FAKE_ABOVE`` FLOPs are counted but not computed (they return zeros of the right
  shape), so the whole book is counted in minutes on a laptop CPU; smaller ones compute, so
  exact worked examples still work. ``torch.optim`` steps outside ``fit`` count as steps.

A cell that fails with the stubs (e.g. a plot of placeholder numbers) is reported, not fatal.
The minutes are estimates from the named throughput constants below; replace them with the
numbers a GPU run measures. The last line reads ``full: X PFLOP, N steps, largest chapter Y PFLOP``.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("quick", "medium", "full")

# Effective throughput assumed for the time estimates (not measured yet: replace with measured numbers).
H200_TFLOPS = 100.0     # bf16, small convnets at batch 256-1024: a fraction of the H200's ~990 dense peak
H200_STEP_MS = 3.0      # per optimizer step: Python loop, kernel launches, optimizer update (no host syncs)
T4_TFLOPS = 12.0        # fp16 with tensor cores, same nets (65 TFLOP/s peak)
T4_STEP_MS = 8.0
FAKE_ABOVE = 1e9        # a matrix product / convolution above this many FLOPs is counted, not computed
SAMPLE = 64             # a counting step uses at most this many images of the first batch


def minutes(flops: float, steps: int, tflops: float, step_ms: float) -> float:
    """Estimated minutes for ``flops`` FLOPs in ``steps`` optimizer steps at a given effective throughput.

    >>> round(minutes(6e15, 1000, 100.0, 3.0), 2)
    1.05
    """
    return flops / (tflops * 1e12) / 60 + steps * step_ms / 1000 / 60


# ----------------------------------------------------------------------------------------------
# The worker: execute one chapter's code cells with counting stubs (runs in its own process).
# ----------------------------------------------------------------------------------------------

def cell_sources(path: Path) -> list[tuple[int, str]]:
    """(cell index, Python source) of every code cell; IPython magics and shell lines become ``pass``.

    >>> import json, tempfile
    >>> nb = {"cells": [{"cell_type": "code", "source": ["try:\\n", "    import x\\n", "except ImportError:\\n",
    ...                                                    "    %pip install x\\n"]}]}
    >>> p = Path(tempfile.mkdtemp()) / "n.ipynb"; _ = p.write_text(json.dumps(nb))
    >>> print(cell_sources(p)[0][1].rstrip())
    try:
        import x
    except ImportError:
        pass
    """
    cells = json.loads(path.read_text())["cells"]
    out = []
    for i, c in enumerate(cells):
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        src = re.sub(r"(?m)^([ \t]*)[%!].*$", r"\1pass", src)
        out.append((i, src))
    return out


class _DropAsserts(ast.NodeTransformer):
    """Asserts check lesson numbers; with placeholder histories they would stop a cell early."""

    def visit_Assert(self, node):
        return ast.copy_location(ast.Pass(), node)


class _GlobalOnly:
    """Stands in for FlopCounterMode's module tracker: every FLOP is attributed to "Global" only."""
    parents = ("Global",)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def _worker(path: Path, profiles: list[str], out: Path) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch
    from torch import nn
    from torch.utils._pytree import tree_leaves, tree_map_only
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    import importlib
    import pkgutil

    import cnnkit
    for m in pkgutil.walk_packages(cnnkit.__path__, "cnnkit."):    # import all, so every alias is patched
        with contextlib.suppress(Exception):
            importlib.import_module(m.name)
    import matplotlib.pyplot as plt

    class CountBigOps(TorchDispatchMode):
        """Matrix products / convolutions above FAKE_ABOVE FLOPs return zeros of the right shape."""

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            packet = func._overloadpacket
            if packet in flop_registry and "out" not in kwargs:
                to_meta = lambda t: torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="meta")
                m_args, m_kwargs = tree_map_only(torch.Tensor, to_meta, (args, kwargs))
                m_out = func(*m_args, **m_kwargs)
                if flop_registry[packet](*m_args, **m_kwargs, out_val=m_out) > FAKE_ABOVE:
                    device = next(t.device for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor))
                    return tree_map_only(torch.Tensor, lambda t: torch.empty_strided(
                        t.shape, t.stride(), dtype=t.dtype, device=device).zero_(), m_out)
            return func(*args, **kwargs)

    originals = {"fit": cnnkit.train.fit, "evaluate": cnnkit.train.evaluate, "predict": cnnkit.train.predict}

    class Ledger:
        def __init__(self, counter):
            self.counter, self.sampled, self.runs, self.evals, self.claims = counter, 0, [], [], []

        def measure(self, fn):
            before = self.counter.get_total_flops()
            result = fn()
            flops = self.counter.get_total_flops() - before
            self.sampled += flops
            return flops, result

        def first_batch(self, loader):
            x, y = next(iter(loader))
            return x[:SAMPLE], y[:SAMPLE], x.shape[0]

        @staticmethod
        def images(loader, batch):
            data, bs = getattr(loader, "data", None), getattr(loader, "batch_size", None)
            if data is None or bs is None:
                return len(loader) * batch
            n = len(data)
            return n - n % bs if getattr(loader, "drop_last", False) else n

        def forward_flops(self, model, loader):
            """FLOPs of one forward pass over every image of ``loader``, and the logits' width."""
            x, _, _ = self.first_batch(loader)
            was = model.training
            model.eval()
            with torch.no_grad():
                flops, out = self.measure(lambda: model(x))
            model.train(was)
            return flops / x.shape[0] * self.images(loader, x.shape[0]), out.shape[-1]

        def fit(self, model, train, test=None, *, epochs=1, optimizer=None, lr=1e-3, loss_fn=None,
                batch_fn=None, after_backward=None, history=None, name="", **_):
            x, y, batch = self.first_batch(train)
            loss_fn = loss_fn or nn.CrossEntropyLoss()

            def step():
                model.train()
                with torch.enable_grad():
                    xb, yb = batch_fn(x, y) if batch_fn is not None else (x, y)
                    loss = loss_fn(model(xb).float(), yb)
                    if loss.requires_grad:
                        loss.backward()
                    if after_backward is not None:
                        after_backward(model)
                for p in model.parameters():
                    p.grad = None

            flops, _ = self.measure(step)
            history = history if history is not None else cnnkit.History(name=name)
            n_epochs = max(0, epochs - len(history))
            train_flops = flops / x.shape[0] * self.images(train, batch) * n_epochs
            eval_flops = self.forward_flops(model, test)[0] * n_epochs if test is not None else 0.0
            steps = n_epochs * len(train)
            self.runs.append(dict(name=name or type(model).__name__, epochs=n_epochs, batch=batch, steps=steps,
                                  train=train_flops, eval=eval_flops))
            rate = optimizer.param_groups[0]["lr"] if optimizer is not None else lr
            for _ in range(n_epochs):
                history.append(train_loss=1.0, train_acc=0.5, test_loss=1.0 if test is not None else None,
                               test_acc=0.5 if test is not None else None, lr=rate, seconds=0.0)
            history.status, history.counted = "finished", True
            history.message = "counted by benchmarks/budget.py, not trained"
            return history

        def evaluate(self, model, loader, *args, **kwargs):
            self.evals.append(self.forward_flops(model, loader)[0])
            return {"loss": 1.0, "acc": 0.5}

        def predict(self, model, loader, *args, **kwargs):
            flops, width = self.forward_flops(model, loader)
            self.evals.append(flops)
            ys = getattr(getattr(loader, "data", None), "y", None)
            ys = ys.cpu() if ys is not None else torch.cat([y.cpu() for _, y in loader])
            g = torch.Generator().manual_seed(0)
            return torch.randn(len(ys), width, generator=g), ys

    current = {}   # the ledger of the chapter and profile being counted

    def stub(attr):
        def counted(*args, **kwargs):
            return getattr(current["ledger"], attr)(*args, **kwargs)
        counted.__name__ = counted.__qualname__ = attr
        counted.__doc__ = f"budget.py's counting stand-in for cnnkit.{attr}"
        return counted

    for mod in [m for k, m in sys.modules.items() if k == "cnnkit" or k.startswith("cnnkit.")]:
        for attr, orig in originals.items():
            if getattr(mod, attr, None) is orig:
                setattr(mod, attr, stub(attr))

    def claim(self, statement, holds, **options):      # at=, why=, full_only=: not judged here
        current["ledger"].claims.append(statement)
        return True

    def beats(self, statement, ours, other, **options):
        current["ledger"].claims.append(statement)
        return True

    cnnkit.env.Profile.claim = claim
    cnnkit.env.Profile.beats = beats
    steps_elsewhere = [0]
    from torch.optim.optimizer import register_optimizer_step_post_hook
    register_optimizer_step_post_hook(lambda *a: steps_elsewhere.__setitem__(0, steps_elsewhere[0] + 1))

    results = []
    sources = cell_sources(path)
    os.chdir(path.parent)
    for prof in profiles:
        os.environ["CNNKIT_PROFILE"] = prof
        t0 = time.time()
        errors, ns, cell_seconds = [], {"__name__": "__main__"}, {}
        steps_elsewhere[0] = 0
        counter = FlopCounterMode(display=False)
        counter.mod_tracker = _GlobalOnly()   # no per-module hooks: they break torch.autograd.grad (saliency maps)
        with CountBigOps(), counter:
            ledger = current["ledger"] = Ledger(counter)
            for i, src in sources:
                buf, t_cell = io.StringIO(), time.process_time()
                try:
                    tree = _DropAsserts().visit(ast.parse(src))
                    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                        exec(compile(tree, f"<{path.name} cell {i}>", "exec"), ns)
                except BaseException as err:  # noqa: BLE001 - reported, not fatal
                    if isinstance(err, KeyboardInterrupt):
                        raise
                    msg = (str(err).strip().splitlines() or [""])[0][:150]
                    errors.append(f"cell {i}: {type(err).__name__}: {msg}")
                plt.close("all")
                cell_seconds[i] = round(time.process_time() - t_cell, 1)
            total = counter.get_total_flops()
        fit_steps = sum(r["steps"] for r in ledger.runs)
        results.append(dict(
            chapter=path.name, profile=prof, runs=len(ledger.runs), steps=fit_steps + steps_elsewhere[0],
            train=sum(r["train"] for r in ledger.runs), eval=sum(r["eval"] for r in ledger.runs) + sum(ledger.evals),
            other=max(0, total - ledger.sampled), fits=ledger.runs, errors=errors, claims=len(ledger.claims),
            seconds=time.time() - t0, cells=cell_seconds))
        del ns
    out.write_text(json.dumps(results))


# ----------------------------------------------------------------------------------------------
# The driver: one worker process per chapter, then the tables.
# ----------------------------------------------------------------------------------------------

def count_chapter(path: Path, profiles: list[str]) -> list[dict]:
    """Count one chapter in a fresh Python process (so chapters cannot affect each other)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, CNNKIT_DEVICE="cpu", MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        env.setdefault("OMP_NUM_THREADS", "1")
        proc = subprocess.run([sys.executable, __file__, "--worker", str(path), "--out", str(out),
                               "--profiles", *profiles], env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"counting {path.name} failed:\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text())


def total(r: dict) -> float:
    return r["train"] + r["eval"] + r["other"]


def table(rows: list[dict], profile: str) -> list[str]:
    """A Markdown table of one profile's rows, with a total line."""
    head = ("| chapter | runs | optimizer steps | train PFLOP | eval PFLOP | other PFLOP | PFLOP "
            "| H200 min | T4 min |")
    lines = [f"profile `{profile}` (H200: {H200_TFLOPS:g} TFLOP/s + {H200_STEP_MS:g} ms/step; "
             f"T4: {T4_TFLOPS:g} TFLOP/s + {T4_STEP_MS:g} ms/step, both assumed)", "",
             head, "|" + "---|" * (head.count("|") - 1)]

    def line(name, runs, steps, tr, ev, ot):
        tot = tr + ev + ot
        return (f"| {name} | {runs} | {steps:,} | {tr / 1e15:.3f} | {ev / 1e15:.3f} | {ot / 1e15:.3f} | "
                f"{tot / 1e15:.3f} | {minutes(tot, steps, H200_TFLOPS, H200_STEP_MS):.1f} | "
                f"{minutes(tot, steps, T4_TFLOPS, T4_STEP_MS):.1f} |")

    for r in rows:
        lines.append(line(r["chapter"].removesuffix(".ipynb"), r["runs"], r["steps"], r["train"], r["eval"], r["other"]))
    lines.append(line("**total**", sum(r["runs"] for r in rows), sum(r["steps"] for r in rows),
                      sum(r["train"] for r in rows), sum(r["eval"] for r in rows), sum(r["other"] for r in rows)))
    return lines


def summary(rows: list[dict], profile: str) -> str:
    flops = sum(total(r) for r in rows)
    largest = max((total(r) for r in rows), default=0.0)
    return (f"{profile}: {flops / 1e15:.2f} PFLOP, {sum(r['steps'] for r in rows)} steps, "
            f"largest chapter {largest / 1e15:.2f} PFLOP")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapters", nargs="*", default=None, help="chapter numbers or file names (default: all)")
    ap.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    ap.add_argument("--detail", action="store_true", help="also list every training run")
    ap.add_argument("--json", default=None, help="also write every number to this JSON file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker(Path(args.worker), args.profiles, Path(args.out))

    paths = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if args.chapters:
        paths = [p for p in paths if any(p.name.startswith(c) or p.name == c for c in args.chapters)]
        if not paths:
            raise SystemExit(f"no chapter matches {args.chapters}")
    profiles = [p for p in PROFILES if p in args.profiles]
    t0 = time.time()
    rows = []
    for p in paths:
        t = time.time()
        rows += count_chapter(p, profiles)
        print(f"counted {p.name} in {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    by_profile = {prof: [r for r in rows if r["profile"] == prof] for prof in profiles}
    for prof in profiles:
        print("\n".join(table(by_profile[prof], prof)) + "\n")
    if args.detail:
        for r in rows:
            for f in r["fits"]:
                print(f"{r['profile']:>6} {r['chapter'][:2]} {f['name'][:40]:40s} {f['epochs']:>3} ep x batch "
                      f"{f['batch']:>4}: {f['steps']:>6,} steps, train {f['train'] / 1e15:.3f} + eval "
                      f"{f['eval'] / 1e15:.3f} PFLOP")
        for r in rows:
            slow = sorted(r["cells"].items(), key=lambda kv: -kv[1])[:3]
            print(f"{r['profile']:>6} {r['chapter'][:2]} counted in {r['seconds']:.0f} s; CPU seconds of the slowest cells: "
                  + ", ".join(f"{k} ({v:g} s)" for k, v in slow))
        print()
    failed = [(r, e) for r in rows for e in r["errors"]]
    if failed:
        print("cells that failed with the counting stubs (placeholder numbers; the counts above stand):")
        for r, e in failed:
            print(f"  {r['chapter'][:2]} {r['profile']}: {e}")
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    print(f"counted {len(paths)} chapter(s) x {len(profiles)} profile(s) in {time.time() - t0:.0f} s")
    for prof in profiles:
        print(summary(by_profile[prof], prof))


if __name__ == "__main__":
    main()
