"""Checks of the built book (run after `make book`; `make test` does both): pages, figures,
tables, hidden solutions, Colab links, and a real browser that typesets the math."""
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cnnkit.book import colab_url, repo_info
from cnnkit.env import repo_root

pytestmark = pytest.mark.book

TOP = repo_root(Path(__file__).parent)
HTML = TOP / "_build" / "html"
CHAPTERS = sorted((TOP / "chapters").glob("*.ipynb"))


def page(nb_path: Path) -> Path:
    return HTML / "chapters" / (nb_path.stem + ".html")


def notebook_facts(nb_path: Path) -> dict:
    nb = nbformat.read(nb_path, 4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = [c for c in nb.cells if c.cell_type == "code"]
    images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    # cnnkit.draw: animation players (to_jshtml HTML outputs) and diagrams (cells drawing a figure)
    players = [c.source for c in code for o in c.get("outputs", [])
               if "anim-controls" in "".join(o.get("data", {}).get("text/html", ""))]
    diagrams = [c.source for c in code if "cnnkit.draw." in c.source and "cnnkit.draw.player" not in c.source
                and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    return {"images": images, "math": bool(re.search(r"\$[^$\n]+\$", md)),
            "results": bool(re.search(r"^#+ .*Results", md, re.M)),
            "solutions": sum("solution" in c.metadata.get("tags", []) for c in nb.cells),
            "players": players, "diagrams": diagrams}


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
    # animation players are embedded as HTML (frames as data URIs: no kernel, no extra files)
    assert html.count('class="anim-controls"') >= len(facts["players"]), "every animation player is on the page"
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


def _first(kind: str):
    """(chapter, cell source) of the first stored animation player or diagram of cnnkit.draw."""
    for nb_path in CHAPTERS:
        found = notebook_facts(nb_path)[kind]
        if found:
            return nb_path, found[0]
    pytest.fail(f"no chapter has a stored cnnkit.draw {kind[:-1]}: run the chapters that draw them")


def _launch(pw):
    return pw.chromium.launch(executable_path=_browser(), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


@pytest.mark.skipif(_browser() is None, reason="no chromium on this machine (make test installs it as root)")
def test_animation_player_and_diagram_load_in_a_real_browser():
    from playwright.sync_api import sync_playwright

    anim_page, anim_source = _first("players")
    diagram_page, diagram_source = _first("diagrams")
    with sync_playwright() as pw:
        browser = _launch(pw)
        try:
            tab = browser.new_page()
            # the player: its script runs after load, shows the first frame, and its buttons step through frames
            tab.goto(page(anim_page).as_uri(), wait_until="load")
            cell = tab.locator("div.cell", has=tab.locator("div.anim-controls")).first
            assert anim_source.splitlines()[0].strip() in cell.inner_text(), "the player sits under its code cell"
            img = cell.locator("img[id^='_anim_img']")
            tab.wait_for_function("(el) => el.complete && el.naturalWidth > 0 && el.src.startsWith('data:image/png')",
                                  arg=img.element_handle(), timeout=15000)
            assert img.is_visible() and img.bounding_box()["width"] > 100, f"{anim_page.stem}: the first frame is not shown"
            assert cell.locator("input.anim-slider").is_visible()
            buttons = cell.locator("div.anim-buttons button")
            assert buttons.count() >= 8 and all(buttons.nth(i).is_visible() for i in range(buttons.count()))
            icons = [buttons.nth(i).locator("svg, i").first.evaluate("(e) => e.getBoundingClientRect().width")
                     for i in range(buttons.count())]
            assert min(icons) > 0, f"{anim_page.stem}: player buttons without icons (Font Awesome missing): {icons}"
            first = img.get_attribute("src")
            cell.locator("button[title='Pause']").click()
            cell.locator("button[title='Next frame']").click()
            tab.wait_for_function("([el, src]) => el.src !== src", arg=[img.element_handle(), first], timeout=5000)
            assert cell.locator("input.anim-slider").input_value() != "0", "the slider follows the frames"
            # a diagram drawn by cnnkit.draw: its figure is an image in the output of its cell
            tab.goto(page(diagram_page).as_uri(), wait_until="load")
            marker = next(line for line in diagram_source.splitlines() if "cnnkit.draw." in line)
            marker = marker.strip().split("(")[0]                                 # e.g. cnnkit.draw.correlation
            cell = tab.locator("div.cell", has_text=marker).first
            figure = cell.locator("div.cell_output img").first
            figure.scroll_into_view_if_needed()
            assert figure.is_visible(), f"{diagram_page.stem}: the diagram of {marker} is not visible"
            size = figure.evaluate("(el) => [el.complete, el.naturalWidth, el.naturalHeight]")
            assert size[0] and size[1] > 200 and size[2] > 100, f"{diagram_page.stem}: diagram image {size}"
        finally:
            browser.close()
