"""Checks of the repository itself: the chapters' stored outputs, exercises, the two commands."""
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from cnnkit import checks
from cnnkit.env import repo_root

TOP = repo_root(Path(__file__).parent)
CHAPTERS = sorted((TOP / "chapters").glob("*.ipynb"))            # every page, e.g. instructors.ipynb too
NUMBERED = sorted((TOP / "chapters").glob("[0-9][0-9]_*.ipynb"))  # the course, in order
LESSONS = [p for p in NUMBERED if not p.stem.startswith("00_")]


def toc_files():
    toc = yaml.safe_load((TOP / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [entry["file"] for entry in part["chapters"]]
    return files


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_toc_and_chapters_agree():
    listed = {f.removesuffix(".ipynb") for f in toc_files()}
    on_disk = {p.relative_to(TOP).with_suffix("").as_posix() for p in CHAPTERS}
    assert listed == on_disk


def test_chapters_are_numbered_in_order():
    numbers = [p.stem.split("_", 1)[0] for p in NUMBERED]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    in_toc = [f.split("/")[-1].split("_")[0] for f in toc_files() if f.split("/")[-1][:2].isdigit()]
    assert in_toc == numbers


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_one_clean_run(path):
    nb = nbformat.read(path, 4)
    cells = code_cells(nb)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), "re-run top to bottom in a fresh kernel"
    for c in cells:
        tags = c.metadata.get("tags", [])
        assert "nbval-skip" not in tags and "NBVAL_SKIP" not in c.source, "no skipped cells"
        for out in c.get("outputs", []):
            assert out["output_type"] != "error" or "raises-exception" in tags, f"stored error in: {c.source[:60]}"
            if out["output_type"] == "stream" and out["name"] == "stderr":
                raise AssertionError(f"stderr stored in cell: {c.source[:60]!r}: {out['text'][:200]}")
            if out["output_type"] == "execute_result":  # a figure's repr leaked as the cell's value
                text = json.dumps(out.get("data", {}).get("text/plain", ""))
                assert not re.search(r"<(matplotlib\.|Figure size)", text), f"end the plot line with ';': {c.source[:60]!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_standard_opening_cells(path):
    nb = nbformat.read(path, 4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "colab-install" in nb.cells[1].metadata.get("tags", [])
    run_cards = [c for c in code_cells(nb) if "RunCard(" in c.source]
    assert len(run_cards) == 1 and "nbval-ignore-output" in run_cards[0].metadata.get("tags", [])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_structure(path):
    nb = nbformat.read(path, 4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^#+ .*Further reading", text, re.M), "a 'Further reading' section"
    last = code_cells(nb)[-1]
    assert "card.finish()" in last.source and "nbval-ignore-output" in last.metadata.get("tags", [])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_exercises_follow_the_format(path):
    nb = nbformat.read(path, 4)
    number = path.stem.split("_")[0]
    by_id = {}
    for c in nb.cells:
        ex = c.metadata.get("exercise")
        if ex:
            by_id.setdefault(ex, []).append(c)
    assert len(by_id) >= 3, "at least three exercises"
    for ex, cells in by_id.items():
        assert re.fullmatch(rf"{number}\.\d+", ex), f"exercise id {ex} should be {number}.k"
        prompt, solution, *rest = cells
        assert prompt.cell_type == "markdown" and f"Exercise {ex}" in prompt.source
        assert "exercise" in prompt.metadata.get("tags", [])
        assert {"solution", "hide-cell"} <= set(solution.metadata.get("tags", []))
        assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
        for chk in rest:
            assert "exercise-check" in chk.metadata.get("tags", [])
            assert f'check("{ex}"' in chk.source and ex in checks.registered()
            assert any("✓ Exercise" in o.get("text", "") for o in chk.outputs), f"stored check of {ex} did not pass"


def test_two_commands_documented_and_used_by_ci():
    readme = (TOP / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = (TOP / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    make = (TOP / "Makefile").read_text()
    assert re.search(r"^test:", make, re.M) and re.search(r"^book:", make, re.M)


def test_no_dataset_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=TOP, capture_output=True, text=True).stdout.split()
    bad = [f for f in tracked if re.search(r"(ubyte|data_batch_\d|test_batch|batches\.meta)(\.gz|\.xz)?$", f)]
    assert bad == []
    assert [f for f in tracked if f.startswith("data/")] in ([], ["data/README.md"])
