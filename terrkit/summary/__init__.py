"""The executive summary of a report run: the answer first, for people who never open a notebook.

Modules: :mod:`~terrkit.summary.answer` (the recommendation file notebook 60 writes, and reading it
back), :mod:`~terrkit.summary.data` (the run's deliverables), :mod:`~terrkit.summary.figures` (every
figure, from those files), :mod:`~terrkit.summary.maps` (before and after maps),
:mod:`~terrkit.summary.page` (the HTML page), :mod:`~terrkit.summary.catalog` (what each file is for),
:mod:`~terrkit.summary.fmt` (numbers for people), :mod:`~terrkit.summary.pdf` (printing with Chromium)
and :mod:`~terrkit.summary.build` (all of it for a run folder).
"""

from terrkit.summary.answer import Recommendation, read_recommendation, write_answer
from terrkit.summary.build import SummaryResult, build_summary, write_pdf
from terrkit.summary.pdf import PdfResult, find_chromium, print_pdf

__all__ = [
    "PdfResult",
    "Recommendation",
    "SummaryResult",
    "build_summary",
    "find_chromium",
    "print_pdf",
    "read_recommendation",
    "write_answer",
    "write_pdf",
]
