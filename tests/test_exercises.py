import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnnkit import exercises as E
from cnnkit.env import repo_root

TOP = repo_root(Path(__file__).parent)
LESSONS = [p for p in E.chapter_paths(TOP) if not p.stem.startswith("00_")]
v4 = nbformat.v4


def demo_notebook():
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        v4.new_markdown_cell("# 98 · Demo"),
        v4.new_code_cell("import cnnkit\nfrom cnnkit import checks", metadata={"tags": ["setup"]}),
        v4.new_code_cell("print(21 * 2)", outputs=[nbformat.v4.new_output("stream", text="42\n")], execution_count=2),
        v4.new_markdown_cell("### Exercise 98.1 · Square", metadata={"exercise": "98.1", "tags": ["exercise"]}),
        v4.new_code_cell("def square(x):\n    # HINT: multiply x by itself\n    ### BEGIN SOLUTION\n    result = x * x\n    return result\n    ### END SOLUTION",
                         metadata={"exercise": "98.1", "tags": ["solution", "hide-cell"]}, execution_count=3),
        v4.new_code_cell("checks.check('98.1', square)", metadata={"exercise": "98.1", "tags": ["exercise-check"]},
                         outputs=[nbformat.v4.new_output("stream", text="✓ Exercise 98.1: correct.\n")], execution_count=4),
    ]
    return nb


def test_stub_replaces_region_keeps_indent_and_hint():
    src = demo_notebook().cells[4].source
    out = E.stub_source(src, "98.1")
    assert "x * x" not in out and E.BEGIN not in out and E.END not in out
    assert '    raise NotImplementedError("Exercise 98.1: multiply x by itself")' in out
    assert out.startswith("def square(x):\n    # HINT: multiply x by itself\n    # YOUR CODE HERE")
    assert E.stub_source("print(1)") == "print(1)"
    with pytest.raises(ValueError, match="unbalanced"):
        E.stub_source("### BEGIN SOLUTION\nx = 1\n", "1.1")


def test_student_notebook_clears_solutions_and_their_outputs_only():
    nb = demo_notebook()
    st = E.to_student(nb)
    assert st.cells[2].outputs == nb.cells[2].outputs  # ordinary cells keep their outputs
    assert st.cells[4].outputs == [] and st.cells[5].outputs == [] and st.cells[5].execution_count is None
    assert "hide-cell" not in st.cells[4].metadata["tags"] and "solution" in st.cells[4].metadata["tags"]
    assert E.leaked_solution_lines(nb, st) == []
    assert E.leaked_solution_lines(nb, nb) == ["result = x * x", "return result"]
    assert "x * x" in nb.cells[4].source  # the original is untouched


def test_stub_is_reported_not_done_with_the_hint_when_checked(capsys):
    from cnnkit import checks
    st = E.to_student(demo_notebook())
    ns = {}
    exec(st.cells[4].source, ns)

    @checks.exercise("98.1")
    def _c(answer):
        assert answer(3) == 9
    try:
        checks.check("98.1", ns["square"])
        assert capsys.readouterr().out == "○ Exercise 98.1: not done yet. Hint: multiply x by itself\n"
        with pytest.raises(checks.ExerciseNotDone, match="multiply x by itself"):
            checks.check("98.1", ns["square"], strict=True)
    finally:
        checks._CHECKS.pop("98.1"), checks._TAKES.pop("98.1")


def test_top_level_region_becomes_a_comment_and_a_call_of_a_stub_is_refused():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n### BEGIN SOLUTION\nf(3)\n### END SOLUTION\n"
    out = E.stub_source(src, "98.2")
    assert "f(3)" not in out and out.endswith("# YOUR CODE HERE (optional for Exercise 98.2: your answer or a try of your function)\n")
    assert E.stub_problems(out) == []
    exec(out, {})                                  # the cell runs; only calling f fails
    bad = src.replace("\n### BEGIN SOLUTION\nf(3)\n### END SOLUTION\n", "\nprint(f(3))\n")
    assert E.stub_problems(E.stub_source(bad, "98.2")) == [
        "calls f(), a stub in the student notebook, when the cell runs: put the call inside "
        "'### BEGIN SOLUTION' / '### END SOLUTION' at the top level, or leave it to the check cell"]
    nb = demo_notebook()
    nb.cells[4].source = bad
    with pytest.raises(ValueError, match="exercise 98.1: the student's solution cell calls f()"):
        E.to_student(nb)
    raising = E.stub_problems("for i in range(2):\n    raise NotImplementedError('x')\n")
    assert raising and "at the top level" in raising[0]
    assert E.stub_problems("%pip install x\n") == []             # magics: nothing to analyse
    assert E.stub_problems("def g():\n    raise NotImplementedError\nh = lambda: g()\ndef k(a=1):\n    return g()\n") == []


def test_nbgrader_clear_solutions_accepts_the_markers():
    from nbgrader.preprocessors import ClearSolutions
    nb = demo_notebook()
    assert E.add_nbgrader_metadata(nb) and not E.add_nbgrader_metadata(nb)
    cleared, _ = ClearSolutions().preprocess(copy_nb(nb), {})
    assert "x * x" not in cleared.cells[4].source and "NotImplementedError" in cleared.cells[4].source


def copy_nb(nb):
    return nbformat.reads(nbformat.writes(nb), as_version=4)


def test_exercise_set_collects_setup_and_exercises(monkeypatch, tmp_path):
    path = tmp_path / "chapters" / "98_demo.ipynb"
    path.parent.mkdir()
    nbformat.write(demo_notebook(), path)
    monkeypatch.chdir(TOP)
    inst, stud = E.build_set(["98.1"], [path], name="Demo set")
    sources = [c.source for c in inst.cells]
    assert sources[0].startswith("# Demo set") and "colab-install" in inst.cells[1].metadata["tags"]
    assert "import cnnkit\nfrom cnnkit import checks" in sources
    assert any("x * x" in s for s in sources) and not any("x * x" in c.source for c in stud.cells)
    with pytest.raises(ValueError, match="unknown exercise id"):
        E.build_set(["98.7"], [path])
    with pytest.raises(ValueError, match="no chapter"):
        E.chapter_paths(TOP, ["77"])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_chapter_student_build_has_no_solution_code(path):
    nb = nbformat.read(path, 4)
    student = E.to_student(nb)
    assert E.leaked_solution_lines(nb, student) == []
    text = nbformat.writes(student)
    assert E.BEGIN not in text and E.END not in text
    for ex, cells in E.exercises(nb).items():
        sol = [c for c in cells if "solution" in E.tags(c)]
        assert sol, f"exercise {ex} has no solution cell"
        assert sol[0].metadata.get("nbgrader", {}).get("solution") is True, \
            "run `python -m cnnkit.exercises nbgrader-metadata`"


def test_command_line_build_and_set(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "cnnkit.exercises", *a], cwd=TOP,
                                    capture_output=True, text=True, check=True).stdout
    listing = run("list")
    ids = [line.split()[0] for line in listing.splitlines()]
    assert len(ids) >= 3 * len(LESSONS)
    out = run("build", "--out", str(tmp_path))
    assert out.count("wrote") == 2 * len(E.chapter_paths(TOP))
    pick = ",".join([ids[0], ids[-1]])
    out = run("set", "--select", pick, "--out", str(tmp_path), "--name", "set1")
    assert (tmp_path / "student" / "set1.ipynb").is_file() and (tmp_path / "instructor" / "set1.ipynb").is_file()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_student_chapter_is_the_chapter_until_the_first_exercise(path):
    """nbval runs the chapter top to bottom; the student version differs only from the first
    exercise on, so it runs top to bottom up to its first stub."""
    nb = nbformat.read(path, 4)
    st = E.to_student(nb)
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("exercise"))
    assert [c.source for c in st.cells[:first]] == [c.source for c in nb.cells[:first]]
    assert all("exercise" in c.metadata or c.source == o.source for c, o in zip(st.cells[first:], nb.cells[first:]))


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


@pytest.fixture(scope="module")
def set_runs():
    """Each chapter's exercises as an exercise set, instructor and student form, executed in fresh
    kernels, four at a time (a kernel mostly waits: this takes a third of the time of one by one)."""
    import asyncio
    import os

    from nbclient import NotebookClient

    sets = {}
    for path in LESSONS:
        instructor, student = E.build_set(list(E.exercises(nbformat.read(path, 4))), [path], name="all exercises")
        sets[(path.stem, "instructor")], sets[(path.stem, "student")] = instructor, student

    async def run_all():
        limit = asyncio.Semaphore(4)

        async def one(nb):
            async with limit:
                await NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(TOP / "chapters")}}).async_execute(
                    env={**os.environ, "CNNKIT_PROFILE": "quick"})
        await asyncio.gather(*(one(nb) for nb in sets.values()))
    asyncio.run(run_all())
    return sets


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_exercises_run_alone_solutions_pass_and_stubs_say_not_done(path, set_runs):
    """Each chapter's exercises as an exercise set: with solutions every check passes; as the
    student gets them, the set runs to the end and every check prints 'not done yet' and the hint."""
    for cell in set_runs[(path.stem, "instructor")].cells:
        assert not _errors(cell), f"{cell.metadata.get('exercise')}: {_errors(cell)[0]['ename'] if _errors(cell) else ''}"
        if "exercise-check" in E.tags(cell):
            assert "✓ Exercise" in "".join(o.get("text", "") for o in cell.outputs)
    for cell in set_runs[(path.stem, "student")].cells:
        errs = _errors(cell)
        assert not errs, f"{cell.metadata.get('exercise')}: {errs[0]['ename']}: {errs[0]['evalue']}" if errs else ""
        if "exercise-check" in E.tags(cell):
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert f"○ Exercise {cell.metadata['exercise']}: not done yet. Hint: " in text, text


def test_command_line_says_what_is_wrong_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(TOP)
    with pytest.raises(SystemExit, match="unknown exercise id.*77.1; known: 01.1"):
        E.main(["set", "--select", "77.1", "--out", str(tmp_path)])
    bad = demo_notebook()
    bad.cells[4].source += "\n\nsquare(3)\n"
    path = tmp_path / "chapters" / "98_demo.ipynb"
    path.parent.mkdir()
    nbformat.write(bad, path)
    with pytest.raises(SystemExit, match=r"98_demo.ipynb: exercise 98.1: the student's solution cell calls square\(\)"):
        E.main(["student", str(path), "--out", str(tmp_path / "out")])
