"""The "For instructors" page: its run-time table is the chapters' stored card.finish() lines."""
import re
from pathlib import Path

import nbformat

from cnnkit.data import repo_root

TOP = repo_root(Path(__file__).parent)
FINISH = re.compile(r"notebook ran in (\d+) s \(([\d.]+) min\) on (\w+), profile (\w+)")


def _stored_text(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))


def _chapter_rows(cell) -> dict[str, list[str]]:
    """The cells of each chapter's row in a stored table (pandas may print a wide table in blocks)."""
    rows: dict[str, list[str]] = {}
    for ln in _stored_text(cell).splitlines():
        if re.match(r"\d\d_", ln):
            rows[ln.split()[0]] = rows.get(ln.split()[0], []) + ln.split()[1:]
    return rows


def test_run_time_table_matches_every_chapters_stored_run():
    page = nbformat.read(TOP / "chapters" / "instructors.ipynb", 4)
    cell = next(c for c in page.cells if "def stored_run" in c.source)
    table = {chapter: " ".join(cells) for chapter, cells in _chapter_rows(cell).items()}
    assert "GPU full" in _stored_text(cell) and "not measured yet" in _stored_text(cell)
    for path in sorted((TOP / "chapters").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, 4)
        runs = [m for c in nb.cells if c.cell_type == "code" for m in FINISH.finditer(_stored_text(c))]
        if not runs:
            continue
        seconds = int(runs[-1].group(1))
        shown = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds} s"
        assert path.stem in table, f"{path.stem} missing from the run-time table: re-run instructors.ipynb"
        assert shown in table[path.stem], (f"{path.stem}: stored run took {shown}, the instructors' table says "
                                           f"{table[path.stem]!r}: re-run chapters/instructors.ipynb after the chapters")


def test_claims_table_matches_every_chapters_stored_claims():
    from cnnkit.gpureport import claims
    page = nbformat.read(TOP / "chapters" / "instructors.ipynb", 4)
    cell = next(c for c in page.cells if "stored_claims(" in c.source)
    rows = _chapter_rows(cell)
    for path in sorted((TOP / "chapters").glob("[0-9][0-9]_*.ipynb")):
        found = claims(nbformat.read(path, 4))
        if not found:
            continue
        counts = [str(sum(c["verdict"] == v for c in found)) for v in ("checked", "within noise", "not reproduced", "failed")]
        assert path.stem in rows, f"{path.stem} missing from the claims table: re-run chapters/instructors.ipynb"
        assert rows[path.stem][-4:] == counts, (f"{path.stem}: stored claims {counts}, the instructors' table says "
                                                f"{rows[path.stem]}: re-run chapters/instructors.ipynb after the chapters")
