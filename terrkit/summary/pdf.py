"""Print the executive summary to PDF with the system's Chromium (headless), when there is one.

Chromium prints the page as it shows it (the same CSS, with its ``@media print`` rules); nothing is
downloaded. Without a Chromium the run goes on and says that the PDF was skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Browsers tried, in order, after ``$TERRKIT_CHROMIUM``.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium")


@dataclass
class PdfResult:
    """What happened to the PDF.

    Attributes
    ----------
    path : pathlib.Path or None
        The PDF when written.
    reason : str
        Why it was skipped (empty when written).
    browser : str
        The browser used (empty when none).
    """

    path: Path | None
    reason: str = ""
    browser: str = ""

    @property
    def written(self) -> bool:
        """The PDF exists."""
        return self.path is not None


def find_chromium() -> str | None:
    """The Chromium to print with: ``$TERRKIT_CHROMIUM``, else the first of :data:`CANDIDATES` found."""
    override = os.environ.get("TERRKIT_CHROMIUM")
    if override:
        return override if Path(override).exists() or shutil.which(override) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _stop(process: subprocess.Popen) -> None:
    """Stop a browser we started, with its helper processes (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def print_pdf(page: str | os.PathLike, target: str | os.PathLike, *, timeout: float = 90.0) -> PdfResult:
    """Print an HTML file to PDF with headless Chromium.

    Parameters
    ----------
    page : path
        The HTML file.
    target : path
        The PDF to write (replaced if it exists).
    timeout : float
        Seconds to wait for Chromium.

    Returns
    -------
    PdfResult
        The PDF, or why it was skipped (no browser, the browser failed or timed out).
    """
    browser = find_chromium()
    if browser is None:
        return PdfResult(None, "no Chromium found (install chromium, or set TERRKIT_CHROMIUM)")
    target = Path(target).resolve()
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="terrkit-pdf-") as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            Path(page).resolve().as_uri(),
        ]
        try:
            # its own process group, so that a browser that hangs is stopped with all its helpers
            process = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
            )
        except OSError as err:
            return PdfResult(None, f"{browser} could not start: {err}", browser)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return PdfResult(None, f"{browser} did not finish within {timeout:.0f} s", browser)
    if not target.exists() or target.stat().st_size == 0:
        tail = " ".join(stderr.split())[-300:]
        return PdfResult(None, f"{browser} exited with {process.returncode} without a PDF: {tail}", browser)
    return PdfResult(target, "", browser)
