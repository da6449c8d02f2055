"""Maintainer tools for the book: Colab badges and install cells from ``_config.yml``, new chapters.

The repository address and branch are defined once, in ``_config.yml``
(``repository.url`` / ``repository.branch``). The first cells of every chapter
are generated from them::

    python -m cnnkit.book sync                      # rewrite badge + install cell of every chapter
    python -m cnnkit.book check                     # exit 1 if a chapter disagrees with _config.yml
    python -m cnnkit.book new 03_pooling "Pooling and other ways to down-sample"
    python -m cnnkit.book run chapters/01_why_not_mlp.ipynb   # execute top to bottom in a fresh kernel, store outputs
    python -m cnnkit.book run-all --profile full --out gpu-run  # the whole book + benchmark + report (cnnkit.gpurun)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

from .env import repo_root

BADGE_MARK = "colab-badge.svg"
INSTALL_TAG = "colab-install"


def repo_info(root: Path | None = None) -> tuple[str, str]:
    """(repository url, branch) from ``_config.yml``."""
    import yaml

    root = root or repo_root()
    if root is None:
        raise FileNotFoundError("not inside the course repository (no _toc.yml and cnnkit/ found)")
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    repo = cfg.get("repository") or {}
    if not repo.get("url") or not repo.get("branch"):
        raise ValueError("_config.yml must set repository.url and repository.branch")
    return repo["url"].rstrip("/"), repo["branch"]


def colab_url(notebook: str, url: str, branch: str) -> str:
    """The Colab address that opens ``notebook`` (a path inside the repository) from GitHub."""
    gh = url.split("github.com/", 1)[-1]
    return f"https://colab.research.google.com/github/{gh}/blob/{branch}/{notebook}"


def badge_line(notebook: str, url: str, branch: str) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARK})]"
            f"({colab_url(notebook, url, branch)})")


def install_source(url: str, branch: str) -> str:
    return ("# Colab: install cnnkit when it is missing; a no-op where the course is already installed.\n"
            "try:\n"
            "    import cnnkit\n"
            "except ImportError:\n"
            f"    %pip install -q \"cnnkit @ git+{url}@{branch}\"\n"
            "    import cnnkit")


def _title_cell_source(old: str, badge: str) -> str:
    lines = [ln for ln in old.splitlines() if BADGE_MARK not in ln]
    title = lines[0] if lines else "# Untitled"
    rest = "\n".join(lines[1:]).strip("\n")
    return f"{title}\n\n{badge}" + (f"\n\n{rest}" if rest else "")


def sync_notebook(path: Path, url: str, branch: str, root: Path) -> bool:
    """Make the badge (first cell) and the install cell (second) agree with the config. True if changed."""
    nb = nbformat.read(path, as_version=4)
    rel = path.resolve().relative_to(root).as_posix()
    changed = False
    first = nb.cells[0]
    want = _title_cell_source(first.source, badge_line(rel, url, branch))
    if first.cell_type == "markdown" and first.source != want:
        first.source, changed = want, True
    cell = nb.cells[1] if len(nb.cells) > 1 else None
    if cell is None or INSTALL_TAG not in cell.metadata.get("tags", []):
        cell = nbformat.v4.new_code_cell(install_source(url, branch), metadata={"tags": [INSTALL_TAG]})
        nb.cells.insert(1, cell)
        changed = True
    elif cell.source != install_source(url, branch):
        cell.source, changed = install_source(url, branch), True
    if changed:
        nbformat.write(nb, path)
    return changed


def problems(root: Path | None = None) -> list[str]:
    """Chapters whose badge or install cell disagree with ``_config.yml`` (empty when all agree)."""
    root = root or repo_root()
    url, branch = repo_info(root)
    out = []
    for path in sorted((root / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        rel = path.relative_to(root).as_posix()
        if badge_line(rel, url, branch) not in nb.cells[0].source:
            out.append(f"{rel}: first cell lacks the Colab badge {colab_url(rel, url, branch)}")
        if len(nb.cells) < 2 or nb.cells[1].source != install_source(url, branch):
            out.append(f"{rel}: second cell is not the install cell for {url}@{branch}")
    return out


def new_chapter(slug: str, title: str, root: Path | None = None) -> Path:
    """Create ``chapters/<slug>.ipynb`` with the course's standard opening cells."""
    root = root or repo_root()
    url, branch = repo_info(root)
    path = root / "chapters" / f"{slug}.ipynb"
    if path.exists():
        raise FileExistsError(path)
    number = slug.split("_", 1)[0]
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                        "language_info": {"name": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {number} · {title}\n\n{badge_line(path.relative_to(root).as_posix(), url, branch)}"),
        nbformat.v4.new_code_cell(install_source(url, branch), metadata={"tags": [INSTALL_TAG]}),
        nbformat.v4.new_code_cell("import torch\nfrom torch import nn\n\nimport cnnkit\n\ncnnkit.seed_everything(0)",
                                  metadata={"tags": ["setup"]}),
        nbformat.v4.new_code_cell("card = cnnkit.RunCard()\nP = card.profile",
                                  metadata={"tags": ["nbval-ignore-output"]}),
    ]
    nbformat.write(nb, path)
    return path


def execute(path: Path, timeout: int = 3600) -> float:
    """Run a notebook top to bottom in a fresh kernel (working directory: its folder) and store
    the outputs in place. Returns the seconds it took. The profile comes from ``CNNKIT_PROFILE``."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    start = time.time()
    if os.environ.get("MPLBACKEND", "").lower() == "agg":  # the kernel would inherit it and show no figures
        del os.environ["MPLBACKEND"]
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.resolve().parent)}}).execute()
    nbformat.write(nb, path)
    return time.time() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cnnkit.book", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("sync", help="rewrite every chapter's badge and install cell from _config.yml")
    sub.add_parser("check", help="list chapters that disagree with _config.yml; exit 1 if any")
    n = sub.add_parser("new", help="create a chapter notebook with the standard opening cells")
    n.add_argument("slug")
    n.add_argument("title")
    r = sub.add_parser("run", help="execute notebooks top to bottom in a fresh kernel and store their outputs")
    r.add_argument("notebooks", nargs="+")
    from . import gpurun
    gpurun.add_arguments(sub.add_parser("run-all", help="run the benchmark and every chapter into one report and "
                                        "archive (for a GPU machine; see cnnkit/gpurun.py)"))
    args = ap.parse_args(argv)
    if args.cmd == "run-all":
        return gpurun.main_args(args, repo_root() or Path.cwd())
    if args.cmd == "run":
        for nbpath in args.notebooks:
            print(f"{nbpath}: ran in {execute(Path(nbpath)):.0f} s", flush=True)
        return 0
    root = repo_root()
    if args.cmd == "new":
        print(new_chapter(args.slug, args.title, root))
        return 0
    if args.cmd == "sync":
        url, branch = repo_info(root)
        for path in sorted((root / "chapters").glob("*.ipynb")):
            if sync_notebook(path, url, branch, root):
                print(f"updated {path.relative_to(root)}")
        return 0
    found = problems(root)
    print("\n".join(found) or "every chapter agrees with _config.yml")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
