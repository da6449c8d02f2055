"""Checks of the built book (run after `make book`; `make test` does both): pages, figures,
tables, hidden solutions, Colab links, and a real browser that typesets the math."""
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cnnkit.book import colab_url, repo_info
from cnnkit.data import repo_root

pytestmark = pytest.mark.book

TOP = repo_root(Path(__file__).parent)
HTML = TOP / "_build" / "html"
CHAPTERS = sorted((TOP / "chapters").glob("*.ipynb"))


def page(nb_path: Path) -> Path:
    return HTML / "chapters" / (nb_path.stem + ".html")


def notebook_facts(nb_path: Path) -> dict:
    nb = nbformat.read(nb_path, 4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                 if "image/png" in o.get("data", {}))
    return {"images": images, "math": bool(re.search(r"\$[^$\n]+\$", md)),
            "results": bool(re.search(r"^#+ .*Results", md, re.M)),
            "solutions": sum("solution" in c.metadata.get("tags", []) for c in nb.cells)}


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (HTML / "index.html").is_file():
        pytest.fail("the book is not built: run `make book` first")


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page(nb_path):
    html_file = page(nb_path)
    assert html_file.is_file(), f"{html_file} missing"
    html = html_file.read_text()
    facts = notebook_facts(nb_path)
    imgs = re.findall(r'<img[^>]+src="([^"]+)"', html)
    figures = [src for src in imgs if "_images/" in src]
    assert len(figures) >= facts["images"], "every stored figure is on the page"
    for src in figures:
        assert (html_file.parent / src).resolve().is_file(), f"broken image {src}"
    if facts["results"]:
        assert "<table" in html, "the results table is on the page"
    url, branch = repo_info(TOP)
    assert colab_url(f"chapters/{nb_path.name}", url, branch) in html, "Colab launch link"
    if facts["math"]:
        assert "_static/mathjax/tex-chtml.js" in html, "MathJax is served with the book"
    # solutions are collapsed: the cell sits in a <details> toggle, hidden until clicked
    assert html.count("tag_solution") >= facts["solutions"]
    for block in re.findall(r'<div class="cell tag_solution[^"]*"[^>]*>(.*?)</details>', html, re.S):
        assert "<details" in block


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_browser() is None, reason="no chromium on this machine (make test installs it as root)")
def test_math_is_typeset_and_images_load_in_a_real_browser():
    from playwright.sync_api import sync_playwright

    pages = [p for p in CHAPTERS if notebook_facts(p)["math"] or notebook_facts(p)["images"]]
    assert pages, "no chapter has math or figures to check"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_browser(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            tab = browser.new_page()
            for nb_path in pages:
                facts = notebook_facts(nb_path)
                tab.goto(page(nb_path).as_uri(), wait_until="load")
                if facts["math"]:
                    tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
                    tab.evaluate("() => MathJax.startup.promise")
                    typeset = tab.evaluate("() => document.querySelectorAll('mjx-container').length")
                    assert typeset > 0, f"{nb_path.stem}: no formula was typeset"
                    errors = tab.evaluate("() => document.querySelectorAll('mjx-merror').length")
                    assert errors == 0, f"{nb_path.stem}: {errors} formulas failed to typeset"
                broken = tab.evaluate("""() => Array.from(document.images)
                    .filter(i => i.src.includes('_images/') && !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
                assert broken == [], f"{nb_path.stem}: images that did not load: {broken}"
        finally:
            browser.close()
