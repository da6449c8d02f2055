"""Exercise tooling for instructors: student and instructor notebooks, exercise sets, nbgrader.

Every chapter ends with exercises. An exercise is a group of consecutive cells whose
metadata carries ``"exercise": "NN.k"``: the task (markdown, tag ``exercise``), the
solution (tags ``solution`` and ``hide-cell``, code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``) and, where the answer is computable, a check cell (tag
``exercise-check``) that calls :func:`cnnkit.checks.check`.

Commands (``python -m cnnkit.exercises ...``, also installed as ``cnnkit-exercises``)::

    list                                   every exercise: id, chapter, title
    student    [CHAPTER ...] --out DIR     notebooks with the solutions replaced by stubs
    instructor [CHAPTER ...] --out DIR     notebooks with solutions (add --html for handouts)
    set --select 02.1,07.3 --out DIR       one new notebook from exercises of several chapters,
                                           in a student and an instructor form
    build --out DIR                        student and instructor forms of every chapter
    nbgrader-metadata                      give every solution cell nbgrader's cell metadata

A stub keeps the line above ``### BEGIN SOLUTION`` that starts with ``# HINT:``. Inside a
function it raises ``NotImplementedError`` with that hint, so only calling the learner's
function fails, and the check cell prints "not done yet. Hint: <hint>" and the notebook runs
on. A region at the top level of a cell (an open-ended answer, or the instructor's
demonstration of the function: ``pooled_shape(64, 24, 24, 2, 2)``) becomes a comment, so
"Run All" goes through the student notebook. The build refuses a solution cell whose
student form would stop the notebook (see :func:`stub_problems`).
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

from .book import INSTALL_TAG, install_source, repo_info
from .env import repo_root

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S)


def chapter_paths(root: Path | None = None, names=None) -> list[Path]:
    """The chapter notebooks, all or those named (``02``, ``02_convolution`` or a path)."""
    root = root or repo_root()
    every = sorted((root / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        p = Path(name)
        if p.suffix == ".ipynb" and p.exists():
            chosen.append(p)
            continue
        hits = [q for q in every if q.stem == name or q.stem.split("_", 1)[0] == name.zfill(2)]
        if not hits:
            raise ValueError(f"no chapter {name!r}: expected a number like 02 or a name like {every[1].stem if len(every) > 1 else '02_convolution'}")
        chosen.extend(hits)
    return chosen


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def exercises(nb) -> dict[str, list]:
    """``{id: [cells]}`` of a notebook's exercises, in order."""
    out: dict[str, list] = {}
    for cell in nb.cells:
        ex = cell.metadata.get("exercise")
        if ex:
            out.setdefault(str(ex), []).append(cell)
    return out


def _hint(region_prefix: str, ex_id: str) -> str:
    lines = [ln.strip() for ln in region_prefix.splitlines() if ln.strip()]
    if lines and lines[-1].startswith("# HINT:"):
        return lines[-1][len("# HINT:"):].strip()
    return "replace this line with your answer"


def stub_source(source: str, ex_id: str = "?") -> str:
    """The student version of a solution cell's code: every solution region becomes a stub.

    An indented region (a function body) raises ``NotImplementedError`` with the hint when
    the function is called; a region at the top level of the cell becomes a comment.

    >>> print(stub_source("def f(x):\\n    # HINT: square it\\n    ### BEGIN SOLUTION\\n    return x * x\\n    ### END SOLUTION\\n", "01.1"))
    def f(x):
        # HINT: square it
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 01.1: square it")
    <BLANKLINE>
    >>> print(stub_source("### BEGIN SOLUTION\\nf(3)\\n### END SOLUTION\\n", "01.1"))
    # YOUR CODE HERE (optional for Exercise 01.1: your answer or a try of your function)
    <BLANKLINE>
    """
    def repl(m: re.Match) -> str:
        indent = m.group(1)
        if not indent:
            return f"# YOUR CODE HERE (optional for Exercise {ex_id}: your answer or a try of your function)\n"
        hint = _hint(source[:m.start()], ex_id).replace('"', "'")
        return (f"{indent}# YOUR CODE HERE\n"
                f"{indent}raise NotImplementedError(\"Exercise {ex_id}: {hint}\")\n")
    if BEGIN not in source:
        return source
    new = _REGION.sub(repl, source)
    if BEGIN in new or END in new:
        raise ValueError(f"exercise {ex_id}: unbalanced solution markers")
    return new


def _is_stub_raise(node) -> bool:
    exc = getattr(node, "exc", None)
    exc = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(node, ast.Raise) and isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _top_level_nodes(tree):
    """The nodes a cell runs when it is executed: everything except the bodies of functions."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(node.decorator_list if not isinstance(node, ast.Lambda) else [])
            todo.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def stub_problems(student_source: str) -> list[str]:
    """Why a student solution cell would stop "Run All" (empty when it runs through).

    A stub may raise only when the learner's function is called, so the cell itself must
    not raise ``NotImplementedError`` at its top level or call a function whose body is a
    stub (the instructor's demonstration call belongs in a top-level solution region).

    >>> stub_problems("def f(x):\\n    raise NotImplementedError('hint')\\n\\nf(2)\\n")
    ["calls f(), a stub in the student notebook, when the cell runs: put the call inside '### BEGIN SOLUTION' / '### END SOLUTION' at the top level, or leave it to the check cell"]
    """
    try:
        tree = ast.parse(student_source)
    except SyntaxError:                # IPython magics: nothing to analyse
        return []
    stubs = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and any(_is_stub_raise(n) for n in ast.walk(node))}
    problems = []
    for node in _top_level_nodes(tree):
        if _is_stub_raise(node):
            problems.append("raises NotImplementedError at the top level of the cell: put the solution inside a "
                            "function, or leave the region at the top level (it becomes a comment)")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in stubs:
            problems.append(f"calls {node.id}(), a stub in the student notebook, when the cell runs: put the call "
                            f"inside '{BEGIN}' / '{END}' at the top level, or leave it to the check cell")
    return sorted(set(problems))


def solution_regions(source: str) -> list[str]:
    """The code between the markers of a solution cell."""
    return [m.group(2) for m in _REGION.finditer(source)]


def to_student(nb):
    """A copy of ``nb`` in which solution regions are stubs and solution/check outputs are cleared.

    Raises ``ValueError`` when a student solution cell would stop the notebook (:func:`stub_problems`).
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        t = tags(cell)
        if cell.cell_type != "code":
            continue
        if "solution" in t:
            ex_id = cell.metadata.get("exercise", "?")
            cell.source = stub_source(cell.source, ex_id)
            problems = stub_problems(cell.source)
            if problems:
                raise ValueError(f"exercise {ex_id}: the student's solution cell {problems[0]}")
            cell.metadata["tags"] = [x for x in t if x != "hide-cell"]
        if "solution" in t or "exercise-check" in t:
            cell.outputs, cell.execution_count = [], None
    return nb


def leaked_solution_lines(original, student) -> list[str]:
    """Solution lines of ``original`` that still appear in ``student`` (empty when none leaked).

    Lines that also occur in the chapter outside the solutions (shared set-up code) are not
    counted; comments and lines shorter than 8 characters are ignored.
    """
    def code_lines(cells):
        return {ln.strip() for c in cells if c.cell_type == "code" for ln in c.source.splitlines()}
    public = code_lines([c for c in original.cells if "solution" not in tags(c)])
    student_text = "\n".join(ln.strip() for c in student.cells for ln in c.source.splitlines())
    leaked = []
    for c in original.cells:
        if "solution" not in tags(c):
            continue
        for region in solution_regions(c.source):
            for ln in region.splitlines():
                s = ln.strip()
                if len(s) >= 8 and not s.startswith("#") and s not in public and s in student_text.splitlines():
                    leaked.append(s)
    return leaked


def add_nbgrader_metadata(nb) -> bool:
    """Mark solution cells the way nbgrader expects (so ``ClearSolutions`` accepts them). True if changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and "solution" in tags(cell):
            ex = str(cell.metadata.get("exercise", "x"))
            want = {"grade": False, "grade_id": f"ex-{ex.replace('.', '-')}", "locked": False,
                    "schema_version": 3, "solution": True}
            if cell.metadata.get("nbgrader") != want:
                cell.metadata["nbgrader"] = want
                changed = True
    return changed


def _title(nb) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells and nb.cells[0].source else ""
    return first.lstrip("# ").strip()


def list_exercises(paths) -> list[tuple[str, str, str]]:
    """(id, chapter stem, title) of every exercise in ``paths``."""
    rows = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        for ex, cells in exercises(nb).items():
            head = cells[0].source.splitlines()[0] if cells[0].source else ""
            rows.append((ex, p.stem, re.sub(r"^#+\s*Exercise\s+[\d.]+\s*[·:-]?\s*", "", head)))
    return rows


def build_set(selection: list[str], paths, name: str = "Exercise set") -> tuple:
    """A new notebook with the chosen exercises (instructor form) and the set-up cells they need.

    Returns ``(instructor_nb, student_nb)``.
    """
    by_id, setups, titles = {}, {}, {}
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        number = p.stem.split("_", 1)[0]
        titles[number] = _title(nb)
        setups[number] = [c for c in nb.cells if c.cell_type == "code" and "setup" in tags(c)]
        for ex, cells in exercises(nb).items():
            by_id[ex] = cells
    missing = [s for s in selection if s not in by_id]
    if missing:
        raise ValueError(f"unknown exercise id(s) {', '.join(missing)}; known: {', '.join(sorted(by_id))}")
    root = repo_root()
    url, branch = repo_info(root)
    v4 = nbformat.v4
    out = v4.new_notebook()
    out.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"}})
    out.cells = [v4.new_markdown_cell(f"# {name}\n\nExercises {', '.join(selection)} from the CNN course. "
                                      "Run the set-up cells first, then solve each exercise and run its check."),
                 v4.new_code_cell(install_source(url, branch), metadata={"tags": [INSTALL_TAG]})]
    seen_setup = set()
    for number in sorted({s.split(".")[0] for s in selection}):
        for cell in setups.get(number, []):
            if cell.source not in seen_setup:
                seen_setup.add(cell.source)
                c = copy.deepcopy(cell)
                c.outputs, c.execution_count = [], None
                out.cells.append(c)
    for ex in selection:
        number = ex.split(".")[0]
        out.cells.append(v4.new_markdown_cell(f"---\n*From chapter {titles.get(number, number)}*"))
        for cell in by_id[ex]:
            c = copy.deepcopy(cell)
            if c.cell_type == "code":
                c.outputs, c.execution_count = [], None
            out.cells.append(c)
    return out, to_student(out)


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _html(path: Path) -> Path:
    try:
        from nbconvert import HTMLExporter
    except ImportError:  # pragma: no cover - optional
        raise SystemExit("--html needs nbconvert: pip install nbconvert") from None
    body, _ = HTMLExporter().from_filename(str(path))
    out = path.with_suffix(".html")
    out.write_text(body)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cnnkit.exercises", description="Exercise tooling of the CNN course.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list every exercise")
    for name in ("student", "instructor"):
        s = sub.add_parser(name, help=f"{name} notebooks of chosen chapters (default: all)")
        s.add_argument("chapters", nargs="*")
        s.add_argument("--out", default="exercises_build")
        if name == "instructor":
            s.add_argument("--html", action="store_true", help="also render each as an HTML handout")
    s = sub.add_parser("set", help="assemble a notebook from exercises of several chapters")
    s.add_argument("--select", required=True, help="comma-separated ids, e.g. 02.1,07.3")
    s.add_argument("--out", default="exercises_build")
    s.add_argument("--name", default="exercise_set")
    s.add_argument("--html", action="store_true")
    b = sub.add_parser("build", help="student and instructor notebooks of every chapter")
    b.add_argument("--out", default="exercises_build")
    sub.add_parser("nbgrader-metadata", help="add nbgrader cell metadata to every solution cell")
    args = ap.parse_args(argv)

    if args.cmd == "list":
        for ex, chapter, title in list_exercises(chapter_paths()):
            print(f"{ex:>6}  {chapter:<28} {title}")
        return 0
    if args.cmd == "nbgrader-metadata":
        for p in chapter_paths():
            nb = nbformat.read(p, as_version=4)
            if add_nbgrader_metadata(nb):
                nbformat.write(nb, p)
                print(f"updated {p}")
        return 0
    out = Path(args.out)
    if args.cmd == "set":
        selection = [s.strip() for s in args.select.split(",") if s.strip()]
        try:
            instructor, student = build_set(selection, chapter_paths(), name=args.name.replace("_", " ").capitalize())
        except ValueError as err:
            raise SystemExit(str(err)) from None
        for form, nb in (("instructor", instructor), ("student", student)):
            path = _write(nb, out / form / f"{args.name}.ipynb")
            print(f"wrote {path}")
            if args.html and form == "instructor":
                print(f"wrote {_html(path)}")
        return 0
    forms = {"student": ["student"], "instructor": ["instructor"], "build": ["student", "instructor"]}[args.cmd]
    paths = chapter_paths(names=getattr(args, "chapters", None))
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        for form in forms:
            try:
                made = to_student(nb) if form == "student" else nb
            except ValueError as err:
                raise SystemExit(f"{p.name}: {err}") from None
            if form == "student":
                leaked = leaked_solution_lines(nb, made)
                if leaked:
                    raise SystemExit(f"{p.name}: solution code left in the student notebook: {leaked[:3]}")
            path = _write(made, out / form / p.name)
            print(f"wrote {path}")
            if form == "instructor" and getattr(args, "html", False):
                print(f"wrote {_html(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
