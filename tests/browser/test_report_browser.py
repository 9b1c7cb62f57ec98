"""What stakeholders open: a report run's pages in headless Chromium, as they see them.

The run is the session's ``generated_report`` (every notebook on a small company). ``index.html`` must
answer "what do we recommend and what does it cost" above the fold at 1280 x 800, with its maps loaded;
each notebook's HTML must show its charts and maps, typeset every formula (no ``$$`` left on screen:
MathJax comes from the run folder, there is no network) and show no stderr block (terrkit's warnings are
notes). Screenshots go to ``test-artifacts/report/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from terrkit.report import discover_notebooks

from .lab import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1280, "height": 800}

IMAGES = """() => Array.from(document.images).map(i => ({
    src: i.currentSrc.slice(0, 80), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))"""
STDERR = """() => Array.from(document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]'))
    .filter(e => e.offsetParent !== null).map(e => e.innerText.slice(0, 200))"""
MATH = "() => document.querySelectorAll('.MathJax_Display, .MathJax, mjx-container').length"


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def _has_math(notebook: Path) -> bool:
    """The notebook's Markdown holds TeX (``$...$`` or ``$$...$$``)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return bool(re.search(r"\$[^$\n]+\$", text))


def _wait_for_math(page, timeout: float = 45) -> None:
    """Wait until MathJax has typeset the page (no ``$$`` left in the visible text)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if "$$" not in page.evaluate("() => document.body.innerText") and page.evaluate(MATH) > 0:
            return
        time.sleep(0.3)


def _loaded_images(page) -> list[dict]:
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=30_000)
    page.evaluate("() => window.scrollTo(0, 0)")
    return page.evaluate(IMAGES)


def test_summary_and_notebook_pages_in_chromium(generated_report, browser_page):
    run = generated_report
    page = browser_page
    page.set_viewport_size(VIEWPORT)
    shots = ARTIFACTS / "report"
    shots.mkdir(parents=True, exist_ok=True)

    # the executive summary: the answer above the fold, the maps loaded
    _open(page, run / "index.html")
    page.screenshot(path=str(shots / "index.png"))
    page.screenshot(path=str(shots / "index_full.png"), full_page=True)
    answer = page.locator(".answer").bounding_box()
    tiles = page.locator(".tiles").bounding_box()
    assert answer is not None and tiles is not None
    assert tiles["y"] + tiles["height"] <= VIEWPORT["height"], "the answer and its figures fit above the fold"
    text = page.evaluate("() => document.body.innerText")
    assert "We recommend" in text or "No plan reached" in text
    assert "revenue changing rep" in text.lower() and "keep their rep" in text
    images = _loaded_images(page)
    assert len(images) == 2, images
    assert all(i["complete"] and i["width"] > 0 and i["height"] > 0 for i in images), images
    assert page.locator('a[href="changes.csv"]').count() >= 1

    # every notebook's page
    for notebook in discover_notebooks():
        html = run / f"{notebook.stem}.html"
        source = html.read_text(encoding="utf-8")
        math = _has_math(notebook)
        _open(page, html)
        if math:
            _wait_for_math(page)
        images = _loaded_images(page)
        page.screenshot(path=str(shots / f"{notebook.stem}.png"))
        broken = [i for i in images if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
        assert not broken, f"{notebook.stem}: images that did not load: {broken}"
        if "<img" in source:
            assert images, f"{notebook.stem}: its charts are missing"
        visible = page.evaluate("() => document.body.innerText")
        assert "$$" not in visible, f"{notebook.stem}: a formula is shown as raw LaTeX"
        if math:
            assert page.evaluate(MATH) > 0, f"{notebook.stem}: MathJax typeset nothing"
        assert page.evaluate(STDERR) == [], f"{notebook.stem}: a stderr block is visible"
        if "DataWarning" in (run / f"{notebook.stem}.ipynb").read_text(encoding="utf-8"):
            assert page.locator(".terrkit-note").count() > 0, f"{notebook.stem}: its warnings are not notes"
