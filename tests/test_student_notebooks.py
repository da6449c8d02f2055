"""Student notebooks run to the end; instructor notebooks pass every check.

* Student side: the student build of every chapter with exercises runs in a fresh kernel
  without an error, and every check cell prints "not done yet". The student notebook is the
  chapter itself up to its first exercise (``test_exercises`` asserts that, and nbval runs
  those cells in CI), so by default this test runs the cells the student build changes: the
  install, set-up and run-card cells, then everything from the first exercise to the end
  (all ten in about 40 s on 2 CPU cores, four kernels at a time). ``CNNKIT_STUDENT_FULL=1`` runs each student
  notebook whole, top to bottom (quick profile: minutes a chapter).
* Instructor side: the chapter is the instructor notebook, and nbval executes it in CI and
  compares the check cells' printed verdicts with the stored ones; here the stored outputs
  must show every check passing and no solution or check cell failing.
"""
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from cnnkit import checks
from cnnkit import exercises as E
from cnnkit.data import repo_root

TOP = repo_root(Path(__file__).parent)
CHAPTERS = [p for p in E.chapter_paths(TOP) if E.exercises(nbformat.read(p, 4))]
FULL = os.environ.get("CNNKIT_STUDENT_FULL") == "1"


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] == "stream")


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


def _first_exercise(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("exercise"))


def student_cells(nb, full: bool = False):
    """The student notebook, or (``full=False``) its preamble and everything from the first exercise on."""
    student = E.to_student(nb)
    if full:
        return student
    first = _first_exercise(student)
    keep = [c for c in student.cells[:first] if c.cell_type == "code" and
            ({"colab-install", "setup"} & set(E.tags(c)) or "RunCard(" in c.source)]
    student.cells = keep + student.cells[first:]
    return student


def test_every_chapter_with_exercises_is_covered():
    assert [p.stem[:2] for p in CHAPTERS] == [f"{n:02d}" for n in range(1, 12)]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_student_solution_cell_stops_run_all(path):
    """Static form of the run below: no stub raises at a cell's top level, no cell calls a stub."""
    nb = nbformat.read(path, 4)
    for cell in E.to_student(nb).cells:
        if "solution" in E.tags(cell):
            assert E.stub_problems(cell.source) == [], cell.metadata["exercise"]


async def _execute(nb, limit):
    from nbclient import NotebookClient
    async with limit:
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(TOP / "chapters")}})
        await client.async_execute(env={**os.environ, "CNNKIT_PROFILE": "quick"})   # the kernel's environment
        return nb, time.perf_counter() - start


@pytest.fixture(scope="module")
def student_runs():
    """Every chapter's student notebook executed, four fresh kernels at a time (they mostly wait)."""
    import asyncio

    notebooks = {p.stem: student_cells(nbformat.read(p, 4), full=FULL) for p in CHAPTERS}

    async def run_all():
        limit = asyncio.Semaphore(4)
        done = await asyncio.gather(*(_execute(nb, limit) for nb in notebooks.values()))
        return dict(zip(notebooks, done))
    start = time.perf_counter()
    runs = asyncio.run(run_all())
    print(f"\n{len(runs)} {'whole student notebooks' if FULL else 'student notebooks (exercise part)'} ran in "
          f"{time.perf_counter() - start:.0f} s: " + ", ".join(f"{k[:2]} {t:.0f} s" for k, (_, t) in runs.items()))
    return runs


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_runs_to_the_end_and_every_check_says_not_done(path, student_runs):
    nb, _ = student_runs[path.stem]
    for cell in nb.cells:
        errs = _errors(cell)
        assert not errs, f"{cell.metadata.get('exercise', cell.source[:60])}: {errs[0]['ename']}: {errs[0]['evalue']}" if errs else ""
    check_cells = [c for c in nb.cells if "exercise-check" in E.tags(c)]
    assert check_cells, "no check cell ran"
    for cell in check_cells:
        ex = cell.metadata["exercise"]
        assert re.fullmatch(rf"○ Exercise {re.escape(ex)}: not done yet\. Hint: .+\n", _text(cell)), \
            f"{ex}: {_text(cell)!r}"
    assert "notebook ran in" in _text(nb.cells[-1]), "the last cell (card.finish()) did not run"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_instructor_notebook_stored_outputs_show_every_check_passing(path):
    nb = nbformat.read(path, 4)
    for ex, cells in E.exercises(nb).items():
        for cell in cells:
            if cell.cell_type == "code":
                assert cell.execution_count is not None, f"{ex}: cell not executed in the stored notebook"
                assert not _errors(cell), f"{ex}: stored error {_errors(cell)[0]['ename']}"
        check_cells = [c for c in cells if "exercise-check" in E.tags(c)]
        if ex in checks.registered():
            assert len(check_cells) == 1, f"{ex} has a registered check but {len(check_cells)} check cells"
        for cell in check_cells:
            assert "nbval-ignore-output" not in E.tags(cell), f"{ex}: nbval must compare the verdict"
            assert _text(cell) == f"✓ Exercise {ex}: correct.\n", f"{ex}: stored {_text(cell)!r}"
