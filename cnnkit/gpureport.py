"""The report of a whole-book run (``cnnkit.gpurun``): claim verdicts and errors read from the
executed notebooks, the Markdown table, and the archive kept under a size limit.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
...     nbformat.v4.new_output("stream", name="stdout", text="claim checked: 2 + 2 = 4\\n")])])
>>> claims(nb)
[{'cell': 0, 'verdict': 'checked', 'statement': '2 + 2 = 4'}]
"""
from __future__ import annotations

import io
import json
import os
import re
import time
import tarfile
from pathlib import Path

CLAIM_OK = re.compile(r"^claim checked(?: \(at the \w+ budget too\))?: (.*)$")
CLAIM_NOT = re.compile(r"^claim not reproduced at the \w+ budget[^:]*: (.*)$")
CLAIM_NOISE = re.compile(r"^claim within noise at the \w+ budget \(not checked\): (.*)$")
CLAIM_FAIL = re.compile(r"^claim does not hold in the \w+ profile: (.*)$")


def _text(output) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def claims(nb) -> list[dict]:
    """Every claim verdict in an executed notebook's outputs, in order.

    Verdicts: ``checked`` (``claim checked: ...``), ``not reproduced`` (a ``full_only`` claim
    below full) and ``failed`` (a claim's or any other ``AssertionError``).

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("P.claim('x', True)")
    >>> cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="claim checked: x\\n")]
    >>> claims(nbformat.v4.new_notebook(cells=[cell]))
    [{'cell': 0, 'verdict': 'checked', 'statement': 'x'}]
    """
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream" and out.get("name") == "stdout":
                for line in _text(out).splitlines():
                    for verdict, pattern in (("checked", CLAIM_OK), ("not reproduced", CLAIM_NOT),
                                             ("within noise", CLAIM_NOISE)):
                        m = pattern.match(line.strip())
                        if m:
                            found.append({"cell": i, "verdict": verdict, "statement": m.group(1)})
            elif out.output_type == "error" and out.ename == "AssertionError":
                m = CLAIM_FAIL.match(out.evalue.strip())
                found.append({"cell": i, "verdict": "failed",
                              "statement": m.group(1) if m else (out.evalue.strip() or "assertion failed")})
    return found


def first_error(nb, cell: int | None = None) -> dict | None:
    """Cell ``cell`` (default: the first cell with an error output): its index, first source lines, error."""
    for i, c in enumerate(nb.cells):
        errors = [o for o in c.get("outputs", []) if o.output_type == "error"] if c.cell_type == "code" else []
        if i == cell or (cell is None and errors):
            lines = c.source.strip().splitlines()
            err = f"{errors[-1].ename}: {errors[-1].evalue}".strip() if errors else ""
            return {"cell": i, "source": "\n".join(lines[:3]) + (" ..." if len(lines) > 3 else ""),
                    "error": err.splitlines()[0][:300] if err else ""}
    return None


def summarize(nb, run: dict) -> dict:
    """One chapter's row of the report from its executed notebook and the runner's record ``run``."""
    found = claims(nb)
    status = run.get("status") or ("error" if first_error(nb) else "ok")
    row = {"chapter": run.get("chapter", ""), "status": status, "seconds": run.get("seconds"),
           "peak_gpu_mib": None if run.get("peak_gpu_bytes") is None else round(run["peak_gpu_bytes"] / 2**20, 1),
           "device": run.get("device"), "claims": found,
           "counts": {v: sum(c["verdict"] == v for c in found) for v in ("checked", "not reproduced", "within noise", "failed")}}
    if status in ("error", "timeout"):
        row["error"] = first_error(nb, run.get("cell")) or {"cell": run.get("cell"), "source": "",
                                                            "error": run.get("message", "")}
        if status == "timeout":
            row["error"]["error"] = run.get("message", "timeout")
    return row


def report_markdown(report: dict) -> str:
    """The report as Markdown: a table per chapter, then claims, errors, benchmark and notes."""
    bench = report.get("benchmark") or {}
    lines = [f"# Book run at the {report['profile']} profile", "",
             f"device: {report.get('device') or 'unknown'} · torch {report.get('torch') or '?'} · "
             f"{report['jobs']} notebook(s) at a time · wall {report.get('wall_seconds', 0):.0f} s · "
             f"started {report['started']}", "",
             "| chapter | status | seconds | peak GPU MiB | claims checked / not reproduced / within noise / failed | note |",
             "|---|---|---:|---:|---|---|"]
    for row in report["chapters"]:
        c = row.get("counts", {})
        note = (row.get("error") or {}).get("error", "").replace("|", "\\|")
        sec = "" if row.get("seconds") is None else f"{row['seconds']:.1f}"
        mem = "" if row.get("peak_gpu_mib") is None else f"{row['peak_gpu_mib']:.0f}"
        lines.append(f"| {row['chapter']} | {row['status']} | {sec} | {mem} | "
                     f"{c.get('checked', 0)} / {c.get('not reproduced', 0)} / {c.get('within noise', 0)} / {c.get('failed', 0)} | {note} |")
    lines += ["", "## Claims", ""]
    for row in report["chapters"]:
        for c in row.get("claims", []):
            lines.append(f"- {row['chapter']} (cell {c['cell']}): **{c['verdict']}**: {c['statement']}")
    errors = [r for r in report["chapters"] if r.get("error")]
    if errors:
        lines += ["", "## Errors and timeouts", ""]
        for row in errors:
            e = row["error"]
            lines += [f"### {row['chapter']}: {row['status']} in cell {e.get('cell')}", "", "```python",
                      e.get("source", ""), "```", "", e.get("error", ""), ""]
    if bench:
        lines += ["", f"## Benchmark ({bench.get('status')}, {bench.get('seconds', 0):.0f} s)", "",
                  f"`{bench.get('command', '')}`", "", "```text", bench.get("tail", ""), "```"]
    if report.get("archive"):
        lines += ["", "## Archive", ""] + [f"- {n}" for n in report["archive"]]
    return "\n".join(lines) + "\n"


def _strip_images(path: Path) -> bytes:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k.startswith("image/") for k in data):
                out["data"] = {"text/plain": "[image dropped to keep the archive small]"}
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def pack(out: Path, archive: Path, limit_bytes: int) -> list[str]:
    """Write ``archive`` (tar.gz of the report, benchmark log and notebooks under ``out``) below
    ``limit_bytes``, dropping images from the largest notebooks if needed. Returns notes on what was dropped."""
    out, archive = Path(out), Path(archive)
    files = [p for p in (out / "report.json", out / "report.md", out / "benchmark.txt") if p.exists()]
    notebooks = sorted((out / "notebooks").glob("*.ipynb"))
    stripped: list[Path] = []
    while True:
        tmp = archive.with_name(archive.name + ".part")
        with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
            for p in files + notebooks:
                name = f"gpu-run/{p.relative_to(out).as_posix()}"
                if p in stripped:
                    data = _strip_images(p)
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime = len(data), int(time.time())
                    tar.addfile(info, io.BytesIO(data))
                else:
                    tar.add(p, arcname=name)
        os.replace(tmp, archive)
        size = archive.stat().st_size
        rest = sorted((p for p in notebooks if p not in stripped), key=lambda p: -p.stat().st_size)
        if size <= limit_bytes or not rest:
            break
        stripped.append(rest[0])
    notes = [f"images dropped from {p.name} in the archive (kept in {p})" for p in stripped]
    if size > limit_bytes:
        notes.append(f"archive is {size / 1e6:.1f} MB, over the {limit_bytes / 1e6:.0f} MB limit even without images")
    return notes
