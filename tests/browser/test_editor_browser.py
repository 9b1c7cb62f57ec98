"""The territory editor as a user sees it: JupyterLab in headless Chromium, driven by Playwright.

A copy of ``notebooks/70_interactive_editor.ipynb`` with ``interactive = True`` (the only change) is opened
in JupyterLab; the test runs all cells from the Run menu, waits for the map, checks that every county is
drawn and coloured by its territory, clicks one county, assigns it to another territory with the editor's
controls, and checks that the map and the balance table changed by exactly that county's accounts. A
screenshot goes to ``test-artifacts/editor_browser.png``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from .lab import ARTIFACTS, ROOT, start_lab, stop_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "70_interactive_editor.ipynb"


def notebook_copy(folder: Path) -> Path:
    """Notebook 70 with the parameter cell switched to ``interactive: bool = True``."""
    nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text())
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "notebook 70 must have one parameters cell"
    source = "".join(cells[0]["source"])
    changed = re.sub(r"^interactive: bool = False", "interactive: bool = True", source, flags=re.M)
    assert changed != source, "notebook 70 must declare `interactive: bool = False`"
    cells[0]["source"] = changed
    target = folder / NOTEBOOK
    target.write_text(json.dumps(nb))
    return target


def pick_unit() -> tuple[str, str, float, int, int]:
    """A county easy to click at the centre of its box (nearly convex, large, with accounts), its start
    territory, its accounts, and the expected numbers of county shapes and territories."""
    import shapely

    from terrkit.interactive.inputs import layer_editor_inputs
    from terrkit.io import load_dataset

    inputs, _layer = layer_editor_inputs(load_dataset())  # notebook 70 opens the mixed unit layer
    units = inputs.units
    geom = units.geometry.to_numpy()
    box_centre = shapely.centroid(shapely.envelope(geom))
    solid = shapely.area(geom) / shapely.area(shapely.convex_hull(geom))
    ok = (solid > 0.97) & shapely.contains(geom, box_centre) & (units["accounts"].to_numpy() >= 5)
    # no rep home dot (drawn on top) near the click point
    reps = shapely.points(inputs.reps["lon"].to_numpy(), inputs.reps["lat"].to_numpy())
    near = shapely.STRtree(reps).query(shapely.buffer(box_centre, 0.5))
    ok[np.unique(near[0])] = False
    score = np.where(ok, shapely.area(geom), -1)
    i = int(np.argmax(score))
    row = units.iloc[i]
    return (
        str(row["unit_id"]),
        str(row["territory"]),
        float(row["accounts"]),
        len(units),
        units["territory"].nunique(),
    )


KERNEL_IDLE = (
    "() => { const e = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');"
    " return !!e && e.getAttribute('data-status') === 'idle'; }"
)


def start_kernel(page, timeout: float = 90) -> None:
    """Accept JupyterLab's "Select Kernel" dialog if it shows, and wait until the kernel is idle."""
    deadline = time.time() + timeout
    idle_since = None
    while time.time() < deadline:
        accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
        if accept.count() and accept.first.is_visible():
            accept.first.click()
            idle_since = None
        elif page.evaluate(KERNEL_IDLE):
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 2:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise AssertionError("the notebook's kernel did not become idle")


def run_all_cells(page, attempts: int = 3) -> None:
    """Run > Run All Cells, once the kernel is idle; retried if no cell starts running."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    started = (
        "() => [...document.querySelectorAll('.jp-InputPrompt')]"
        ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
    )
    for _ in range(attempts):
        start_kernel(page)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(started, timeout=20_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start the notebook")


def table_value(page, territory: str, col: str) -> float:
    cell = page.locator(f'.terrkit-table tr[data-territory="{territory}"] td[data-col="{col}"]')
    return float(cell.get_attribute("data-value"))


def test_editor_in_jupyterlab(browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    unit, start, accounts, n_units, n_territories = pick_unit()
    root = tmp_path / "lab"
    root.mkdir()
    notebook_copy(root)
    server = start_lab(root, tmp_path / "home")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(server.page_url(NOTEBOOK), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        run_all_cells(page)

        # 1. the map: one SVG path per county, in the expected number of territory colours
        page.wait_for_selector(
            ".terrkit-map .leaflet-container, .terrkit-map.leaflet-container",
            state="attached",
            timeout=120_000,
        )
        page.wait_for_function(
            f"() => document.querySelectorAll('path.terrkit-unit').length === {n_units}", timeout=120_000
        )
        territories = page.evaluate(
            "() => new Set([...document.querySelectorAll('path.terrkit-unit')].map("
            "p => [...p.classList].find(c => c.startsWith('terrkit-t-')))).size"
        )
        assert territories == n_territories
        assert page.locator("path.terrkit-rep").count() > 0
        page.wait_for_selector(f'.terrkit-table tr[data-territory="{start}"]', timeout=60_000)
        old_start = table_value(page, start, "accounts")
        version = int(page.locator(".terrkit-table table").get_attribute("data-version"))

        # 2. click the county: it becomes the selection
        shape = page.locator(f"path.terrkit-u-{unit}")
        shape.scroll_into_view_if_needed()
        shape.click()
        page.wait_for_selector("path.terrkit-selected", state="attached", timeout=30_000)
        expect(page.locator(".terrkit-selected-info")).to_contain_text("1 selected", timeout=30_000)

        # 3. assign it to another territory with the controls
        options = page.locator(".terrkit-target select option").all_inner_texts()
        target = next(t for t in options if t != start)
        old_target = table_value(page, target, "accounts")
        page.locator(".terrkit-target select").select_option(label=target)
        page.locator("button.terrkit-assign").click()
        page.wait_for_function(
            f"() => +document.querySelector('.terrkit-table table').dataset.version > {version}",
            timeout=30_000,
        )
        page.wait_for_selector(f"path.terrkit-u-{unit}.terrkit-t-{target}", state="attached", timeout=30_000)

        # 4. the balance table moved exactly this county's accounts
        assert table_value(page, start, "accounts") == pytest.approx(old_start - accounts)
        assert table_value(page, target, "accounts") == pytest.approx(old_target + accounts)
        changed = page.locator(".terrkit-table tr.changed").evaluate_all(
            "rows => rows.map(r => r.dataset.territory)"
        )
        assert sorted(changed) == sorted([start, target])
        expect(page.locator(".terrkit-status")).to_contain_text("assign: moved 1 unit", timeout=30_000)
        assert page.locator("path.terrkit-unit").count() == n_units

        # 5. box selection with the draw tool, then lock the selected units
        page.locator(".leaflet-draw-draw-rectangle").click()
        frame = page.locator(".terrkit-map").bounding_box()
        x, y, w, h = frame["x"], frame["y"], frame["width"], frame["height"]
        page.mouse.move(x + 0.45 * w, y + 0.5 * h)
        page.mouse.down()
        page.mouse.move(x + 0.55 * w, y + 0.62 * h, steps=8)
        page.mouse.up()
        expect(page.locator(".terrkit-selected-info")).to_contain_text(
            re.compile(r"\d+ selected"), timeout=30_000
        )
        picked = int(page.locator(".terrkit-selected-info b").inner_text())
        assert picked > 1
        page.wait_for_function(
            f"() => document.querySelectorAll('path.terrkit-selected').length === {picked}", timeout=30_000
        )
        page.locator("button.terrkit-lock").click()
        page.wait_for_function(
            f"() => document.querySelectorAll('path.terrkit-unit.terrkit-locked').length === {picked}",
            timeout=30_000,
        )
        expect(page.locator(".terrkit-status")).to_contain_text(f"locked {picked} units", timeout=30_000)

        # 6. screenshot of the editor (hover a county so the info box shows)
        shape.hover()
        page.locator(".terrkit-editor").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "editor_browser.png"))
        page.locator(".terrkit-editor").screenshot(path=str(ARTIFACTS / "editor_widget.png"))
    except Exception:
        try:
            page.screenshot(path=str(ARTIFACTS / "editor_browser_failure.png"))
        finally:
            print("JupyterLab log:\n" + server.log_tail())
        raise
    finally:
        stop_lab(server)
