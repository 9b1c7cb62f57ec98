"""Stakeholder HTML of an executed notebook: no code, formulas typeset offline, warnings as notes.

- **Formulas offline.** nbconvert loads MathJax from a CDN by default; a report run has no network, so
  the formulas would stay raw LaTeX (``$$\\min ...``). :func:`copy_mathjax` copies the MathJax 2 files of
  the ``jupyter-server-mathjax`` package that the HTML needs (under 3 MB of the package's 12 MB: the TeX
  input, the HTML-CSS output with its STIX web fonts, no localisations or accessibility maps) into the
  run folder, and :func:`export_html` points the exporter at that copy with a relative URL, so the run
  folder can be moved or zipped.
- **Warnings as notes.** terrkit's warnings (:class:`terrkit.exceptions.TerrkitWarning`, e.g.
  ``DataWarning: peer potential: ...``) speak about the data; in the HTML they become a note box instead
  of a red stderr block (:func:`warnings_to_notes`). Only the copy given to the exporter changes: the
  executed ``.ipynb`` keeps them as warnings, as JupyterLab shows them. Any other stderr text is kept as
  it was, in place.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import nbformat

#: Folder of the run that holds the MathJax copy.
MATHJAX_DIR = "assets/mathjax"
#: MathJax configuration: TeX input, HTML-CSS output (the one jupyter-server-mathjax ships), Safe mode,
#: and terrkit's own file (:data:`FONT_CONFIG`).
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,terrkit"
#: ``config/terrkit.js``: the package ships the STIX web fonts only (MathJax's default is TeX), as the
#: classic Jupyter notebook configured it.
FONT_CONFIG = """MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}
});
MathJax.Ajax.loadComplete("[MathJax]/config/terrkit.js");
"""
#: The parts of MathJax 2 that TeX in HTML-CSS needs (paths in the package's ``static`` folder).
MATHJAX_PARTS = (
    "LICENSE",
    "config/TeX-AMS-MML_HTMLorMML-full.js",
    "config/Safe.js",
    "extensions/Safe.js",
    "extensions/MathEvents.js",
    "extensions/MathMenu.js",
    "extensions/MathZoom.js",
    "extensions/HelpDialog.js",
    "extensions/TeX",
    "extensions/HTML-CSS",
    "jax/input/TeX",
    "jax/element/mml",
    "jax/output/HTML-CSS",
    "fonts/HTML-CSS/STIX-Web/woff",
    "MathJax.js",  # last: its presence marks a complete copy
)
#: Marker of the notes made from warnings (a class of the note's HTML).
NOTE_CLASS = "terrkit-note"

_NOTE_STYLE = (
    "border-left:4px solid #e0a100;background:#fff8e1;color:#3d3000;padding:.5em .9em;margin:.3em 0;"
    "border-radius:3px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;"
    "line-height:1.45"
)


def mathjax_source() -> Path:
    """The ``static`` folder of MathJax 2 in the ``jupyter-server-mathjax`` package.

    Raises
    ------
    ModuleNotFoundError
        When the package is not installed (it is a dependency of terrkit).
    """
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).resolve().parent / "static"


def local_mathjax_url(folder: str | Path) -> str | None:
    """The MathJax URL for an HTML file in ``folder`` holding a complete :func:`copy_mathjax`, else None."""
    if (Path(folder) / MATHJAX_DIR / "MathJax.js").exists():
        return f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}"
    return None


def copy_mathjax(run_folder: str | Path) -> str:
    """Copy the needed MathJax files into ``run_folder`` once; return the URL for the exporter.

    Parameters
    ----------
    run_folder : path
        The run folder; the files go to ``assets/mathjax/`` in it.

    Returns
    -------
    str
        The MathJax URL relative to an HTML file at the top of the run folder, with its configuration.
    """
    source = mathjax_source()
    target = Path(run_folder) / MATHJAX_DIR
    if local_mathjax_url(run_folder) is None:
        for part in MATHJAX_PARTS:
            src, dst = source / part, target / part
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
        (target / "config" / "terrkit.js").write_text(FONT_CONFIG, encoding="utf-8")
    return str(local_mathjax_url(run_folder))


#: Modules of terrkit that define warnings of their own (imported to know their names).
_WARNING_MODULES = ("terrkit.crm.etm",)


def _warning_names() -> set[str]:
    """Class names of terrkit's warnings: every subclass of :class:`TerrkitWarning`."""
    import importlib

    from terrkit.exceptions import TerrkitWarning

    for module in _WARNING_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # pragma: no cover - an optional part of terrkit
            pass

    names, todo = set(), [TerrkitWarning]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _warning_line(names: Iterable[str]) -> re.Pattern[str]:
    # terrkit's warnings print as "DataWarning: message" (terrkit.exceptions formats them), one line each;
    # Python's default format starts with the file name and is left alone
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"^(?P<name>{alternatives}): (?P<message>.*)$")


def note_output(name: str, messages: list[str]) -> nbformat.NotebookNode:
    """A display output (HTML and plain text) that shows warnings as a note box.

    Parameters
    ----------
    name : str
        The warning class, e.g. ``DataWarning``.
    messages : list of str
        One message per warning.
    """
    title = "Note on the data" if name == "DataWarning" else f"Note ({name})"
    if len(messages) == 1:
        body = html.escape(messages[0])
    else:
        body = (
            "<ul style='margin:.2em 0 0 1.2em;padding:0'>"
            + "".join(f"<li>{html.escape(m)}</li>" for m in messages)
            + "</ul>"
        )
    markup = (
        f'<div class="{NOTE_CLASS}" role="note" style="{_NOTE_STYLE}"><strong>{html.escape(title)}:</strong> '
        f"{body}</div>"
    )
    plain = "\n".join(f"{name}: {m}" for m in messages)
    return nbformat.v4.new_output(
        "display_data", data={"text/html": markup, "text/plain": plain}, metadata={"terrkit": {"note": name}}
    )


def split_stderr(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str | list[str]]]:
    """Split a stderr text into runs of other text and runs of warnings of one class, in order.

    Returns
    -------
    list of (kind, content)
        ``("stderr", text)`` for other text (kept verbatim, line ends included) and ``(name, messages)`` for
        consecutive warnings of class ``name``.
    """
    parts: list[tuple[str, str | list[str]]] = []
    for line in text.splitlines(keepends=True):
        hit = pattern.match(line.rstrip("\r\n"))
        if hit is None:
            if parts and parts[-1][0] == "stderr":
                parts[-1] = ("stderr", parts[-1][1] + line)  # type: ignore[operator]
            else:
                parts.append(("stderr", line))
            continue
        name, message = hit.group("name"), hit.group("message")
        if parts and parts[-1][0] == name:
            parts[-1][1].append(message)  # type: ignore[union-attr]
        else:
            parts.append((name, [message]))
    return parts


def warnings_to_notes(notebook: nbformat.NotebookNode) -> int:
    """Turn terrkit's warnings in stderr outputs into note boxes, in place; return how many.

    Other stderr text stays a stderr stream at its place; stdout and every other output are untouched.
    """
    pattern = _warning_line(_warning_names())
    converted = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            continue
        outputs = []
        for output in cell.outputs:
            if output.get("output_type") != "stream" or output.get("name") != "stderr":
                outputs.append(output)
                continue
            for kind, content in split_stderr(str(output.get("text", "")), pattern):
                if kind == "stderr":
                    outputs.append(nbformat.v4.new_output("stream", name="stderr", text=content))
                else:
                    outputs.append(note_output(kind, content))  # type: ignore[arg-type]
                    converted += len(content)
        cell.outputs = outputs
    return converted


def export_html(notebook: str | Path, target: str | Path, *, mathjax_url: str | None = None) -> None:
    """Write a stakeholder copy of an executed notebook: outputs and narrative, no code.

    Parameters
    ----------
    notebook : path
        The executed notebook (left unchanged).
    target : path
        The HTML file to write.
    mathjax_url : str, optional
        Where the HTML loads MathJax from; default: the copy next to ``target``
        (:func:`copy_mathjax`) when there is one, else nbconvert's CDN URL.
    """
    from nbconvert import HTMLExporter

    options = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}
    mathjax_url = mathjax_url or local_mathjax_url(Path(target).parent)
    if mathjax_url:
        options["mathjax_url"] = mathjax_url
    node = nbformat.read(notebook, as_version=4)
    warnings_to_notes(node)
    body, _ = HTMLExporter(**options).from_notebook_node(node)
    Path(target).write_text(drop_unused_requirejs(body), encoding="utf-8")


#: nbconvert's ``<script>`` tag that loads require.js from a CDN (for widget and JavaScript outputs).
_REQUIREJS_TAG = re.compile(r'<script src="https?://[^"]*/require(?:\.min)?\.js"></script>\s*')


def drop_unused_requirejs(html: str) -> str:
    """Remove the CDN require.js tag when nothing in the page uses it.

    nbconvert's template loads require.js from cdnjs on every page, for widget and JavaScript outputs. The
    reports have none (maps and charts are images, tables are HTML), and the run is read offline, so the
    request can only fail; a page that does call ``require`` or ``define`` keeps the tag.
    """
    rest = _REQUIREJS_TAG.sub("", html)
    if re.search(r"\b(?:require|requirejs|define)\s*\(", rest):
        return html
    return rest
