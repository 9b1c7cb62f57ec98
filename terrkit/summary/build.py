"""Build a run's executive summary: ``index.html``, its maps, and ``summary.pdf``.

:func:`build_summary` reads the run's deliverables (:func:`terrkit.summary.data.load_run`), takes every
figure from them (:mod:`terrkit.summary.figures`), draws the maps (:mod:`terrkit.summary.maps`) and
writes the page (:mod:`terrkit.summary.page`); :func:`write_pdf` prints it. The report runner calls both
after the last notebook; they also work on any finished run folder::

    from terrkit.summary import build_summary, write_pdf
    result = build_summary("reports/20250101-120000")
    write_pdf(result)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terrkit.summary import figures
from terrkit.summary.answer import RECOMMENDATION_FILE, SWEEP_FILE
from terrkit.summary.data import RunData, load_run
from terrkit.summary.page import NotebookLink, Page, render
from terrkit.summary.pdf import PdfResult, print_pdf

INDEX_FILE = "index.html"
PDF_FILE = "summary.pdf"
#: Folder of the run for the page's pictures and the notebooks' MathJax (not deliverables).
ASSETS_DIR = "assets"
MAPS_DIR = f"{ASSETS_DIR}/summary"
#: Files of the run that are about the run itself, not deliverables.
RUN_FILES = (INDEX_FILE, PDF_FILE, "run.json")


@dataclass
class SummaryResult:
    """A built summary.

    Attributes
    ----------
    folder : pathlib.Path
        The run folder.
    index : pathlib.Path
        ``index.html``.
    page : Page
        What the page shows (the figures, flags and files).
    maps : list of pathlib.Path
        The map PNGs (empty when the run has no unit layer).
    pdf : PdfResult or None
        Set by :func:`write_pdf`.
    """

    folder: Path
    index: Path
    page: Page
    maps: list[Path] = field(default_factory=list)
    pdf: PdfResult | None = None

    def manifest(self) -> dict[str, Any]:
        """The summary's entry of ``run.json``."""
        head = self.page.headline
        out: dict[str, Any] = {
            "index": INDEX_FILE,
            "recommended_plan": head.plan if head else None,
            "maps": [p.relative_to(self.folder).as_posix() for p in self.maps],
        }
        if self.pdf is not None:
            out["pdf"] = PDF_FILE if self.pdf.written else None
            if not self.pdf.written:
                out["pdf_skipped"] = self.pdf.reason
        return out


def notebook_title(notebook: Path) -> str:
    """The first heading of a notebook's first Markdown cell, without its number (``Realignment``)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return ""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    title = line.lstrip("#").strip()
                    return title.split("·", 1)[-1].strip() if "·" in title else title
            return ""
    return ""


def run_files(folder: Path, notebooks: Sequence[str]) -> list[str]:
    """Every file of the run folder a reader may want, by path: the notebooks' own ``.ipynb``/``.html``,
    the summary's files and the assets folder left out."""
    own = {f"{stem}{ext}" for stem in notebooks for ext in (".ipynb", ".html")} | set(RUN_FILES)
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in own and not rel.startswith(f"{ASSETS_DIR}/"):
            found.append(rel)
    return found


def _missing(folder: Path) -> list[str]:
    wanted = (RECOMMENDATION_FILE, SWEEP_FILE, "changes.csv")
    have_rec = (folder / RECOMMENDATION_FILE).exists() or (folder / SWEEP_FILE).exists()
    return [f for f in wanted if not (folder / f).exists() and not (f == RECOMMENDATION_FILE and have_rec)]


def _maps(run: RunData, head: figures.Headline | None) -> tuple[list[Path], str]:
    if head is None:
        return [], ""
    if run.layer is None or run.alignment is None:
        return [], "No maps: the run has no units_layer.gpkg (notebook 60 writes it with its deliverables)."
    from terrkit.summary.maps import before_after_maps

    paths = before_after_maps(run.layer, run.alignment, run.folder / MAPS_DIR, reps=run.reps, plan=head.plan)
    return list(paths), ""


def build_summary(
    folder: str | os.PathLike,
    *,
    run_name: str | None = None,
    notebooks: Sequence[Mapping[str, Any]] | None = None,
    files_by_notebook: Mapping[str, Sequence[str]] | None = None,
    data_dir: str | os.PathLike | None = None,
    started: str = "",
) -> SummaryResult:
    """Write ``index.html`` (and its maps) into a run folder from the run's deliverables.

    Parameters
    ----------
    folder : path
        The run folder.
    run_name : str, optional
        Shown in the title (default: the folder's name).
    notebooks : sequence of mapping, optional
        The run's notebooks in order, each with ``notebook`` (stem) and ``seconds`` (``run.json``'s
        entries); default: the ``NN_name.ipynb`` files of the folder.
    files_by_notebook : mapping, optional
        The files each notebook wrote (paths in the run folder); files of no notebook are listed apart.
    data_dir : path, optional
        The dataset of the run: names of accounts and reps, rep homes on the maps.
    started : str
        When the run started (ISO format).

    Returns
    -------
    SummaryResult
    """
    folder = Path(folder)
    if notebooks is None:
        notebooks = [{"notebook": p.stem, "seconds": None} for p in sorted(folder.glob("[0-9][0-9]_*.ipynb"))]
    stems = [str(n["notebook"]) for n in notebooks]
    run = load_run(folder, data_dir)
    head = figures.headline(run) if run.has_realignment else None
    maps, maps_note = _maps(run, head)
    by_notebook = {k: list(v) for k, v in (files_by_notebook or {}).items()}
    every = run_files(folder, stems)
    claimed = {f for files in by_notebook.values() for f in files}
    links = [
        NotebookLink(
            stem=stem,
            title=notebook_title(folder / f"{stem}.ipynb"),
            seconds=n.get("seconds"),
            html=f"{stem}.html" if (folder / f"{stem}.html").exists() else None,
            files=[f for f in by_notebook.get(stem, []) if f in every],
        )
        for stem, n in zip(stems, notebooks, strict=True)
    ]
    page = Page(
        run_name=run_name or folder.name,
        headline=head,
        missing=[] if head is not None else _missing(folder),
        maps=tuple(p.relative_to(folder).as_posix() for p in maps) if maps else None,  # type: ignore[arg-type]
        maps_note=maps_note,
        plans=figures.front_rows(run) if head is not None else [],
        flags=figures.decision_flags(run, head) if head is not None else [],
        moves=figures.largest_moves(run) if head is not None else [],
        explanation=run.recommendation.explanation if (head is not None and run.recommendation) else "",
        notebooks=links,
        other_files=[f for f in every if f not in claimed],
        started=started,
    )
    index = folder / INDEX_FILE
    index.write_text(render(page), encoding="utf-8")
    return SummaryResult(folder, index, page, maps)


def write_pdf(result: SummaryResult, *, timeout: float = 90.0) -> PdfResult:
    """Print the summary to ``summary.pdf`` and link it from the page when it is written.

    Returns
    -------
    PdfResult
        Also stored in ``result.pdf``.
    """
    outcome = print_pdf(result.index, result.folder / PDF_FILE, timeout=timeout)
    result.pdf = outcome
    if outcome.written:
        result.page.pdf = PDF_FILE
        result.index.write_text(render(result.page), encoding="utf-8")
    return outcome
