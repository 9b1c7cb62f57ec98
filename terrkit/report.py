"""Headless report runs: execute the notebooks in order with papermill.

A run goes into a hidden staging folder (``.<run>.partial``) and is renamed to its final
name only when every notebook has run and every HTML copy is written, so a folder under
``reports/`` without the ``.failed`` suffix is always a complete run. A failed run is
renamed ``<run>.failed`` and keeps the executed notebooks, including the one that failed,
for inspection.

After the last notebook, the run's executive summary is written (:mod:`terrkit.summary`):
``index.html`` opens with the recommendation, maps and decisions, and links every notebook's
HTML and every deliverable; ``summary.pdf`` is the same page printed by headless Chromium
(skipped, and said so in ``run.json`` and the progress lines, when there is no Chromium). The
notebooks' HTML copies typeset formulas with a MathJax copied into ``assets/mathjax/`` (no
network needed) and show terrkit's warnings as notes (:mod:`terrkit.notebook_html`).
``DATA_DICTIONARY.md`` describes every CSV file and column the run wrote
(:mod:`terrkit.summary.dictionary`).

Configuration (YAML)::

    data: path/to/dataset        # optional; --data overrides it
    engine: pandas               # or dask: back end of the account-level steps; --engine overrides it
    scheduler: tcp://host:8786   # optional, engine dask: a running Dask cluster; default a local one
    parameters:                  # given to every notebook that declares the parameter
      seed: 1
    notebooks:                   # per notebook, by file name without .ipynb
      40_territory_design:
        time_limit: 30

Unknown keys, notebooks and parameters are errors, not warnings.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from terrkit import __version__
from terrkit.exceptions import ConfigError, ReportError
from terrkit.notebook_html import copy_mathjax

#: Parameters the runner sets itself; a configuration cannot set them.
RUNNER_PARAMETERS = ("data_dir", "output_dir")
#: Parameters the runner gives to the notebooks that declare them, from the top-level keys of the same name.
ENGINE_PARAMETERS = ("engine", "scheduler")
_CONFIG_KEYS = ("data", "engine", "scheduler", "parameters", "notebooks")
_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
}


def default_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def default_reports_dir() -> Path:
    """The repository's ``reports/`` folder."""
    return Path(__file__).resolve().parents[1] / "reports"


def discover_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """Pipeline notebooks in run order: ``NN_name.ipynb`` sorted by name."""
    folder = Path(folder) if folder else default_notebooks_dir()
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise ConfigError(f"no notebooks named NN_name.ipynb in {folder}")
    return found


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """Parameters declared in a notebook's ``parameters`` cell, with their types and defaults."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


@dataclass
class ReportConfig:
    """A validated report configuration."""

    data: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: str = "pandas"
    scheduler: str | None = None


def load_config(path: str | os.PathLike | None) -> ReportConfig:
    """Read a YAML configuration (``None`` gives the defaults); its shape is checked here."""
    if path is None:
        return ReportConfig()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping with keys {', '.join(_CONFIG_KEYS)}")
    unknown = sorted(set(raw) - set(_CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; allowed keys: {', '.join(_CONFIG_KEYS)}")
    parameters = raw.get("parameters") or {}
    notebooks = raw.get("notebooks") or {}
    if not isinstance(parameters, dict):
        raise ConfigError(f"{path}: 'parameters' must map parameter names to values")
    if not isinstance(notebooks, dict) or not all(isinstance(v, dict | None) for v in notebooks.values()):
        raise ConfigError(f"{path}: 'notebooks' must map notebook names to parameter mappings")
    data = raw.get("data")
    if data is not None:
        data = str((path.parent / str(data)).resolve()) if not Path(str(data)).is_absolute() else str(data)
    from terrkit.scale.backend import check_engine

    engine = check_engine(raw.get("engine") or "pandas")
    scheduler = raw.get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise ConfigError(f"{path}: 'scheduler' must be a Dask scheduler address such as tcp://host:8786")
    notebook_parameters = {k: dict(v or {}) for k, v in notebooks.items()}
    return ReportConfig(data, dict(parameters), notebook_parameters, engine, scheduler or None)


def resolve_parameters(config: ReportConfig, notebooks: list[Path]) -> dict[str, dict[str, Any]]:
    """Parameters for each notebook; raises :class:`ConfigError` on anything unknown or mistyped."""
    declared = {nb.stem: declared_parameters(nb) for nb in notebooks}
    for stem, params in declared.items():
        missing = [name for name in RUNNER_PARAMETERS if name not in params]
        if missing:
            raise ConfigError(
                f"notebook {stem} does not declare {', '.join(missing)} in its cell tagged 'parameters' "
                "(papermill skips a line with more than one '=', e.g. in its comment)"
            )
    runner = set(RUNNER_PARAMETERS) | set(ENGINE_PARAMETERS)
    everything = sorted({name for params in declared.values() for name in params} - runner)
    for name in list(config.parameters) + [p for v in config.notebooks.values() for p in v]:
        if name in RUNNER_PARAMETERS:
            raise ConfigError(f"parameter {name!r} is set by the runner; use --data or --out instead")
        if name in ENGINE_PARAMETERS:
            raise ConfigError(f"parameter {name!r} is set by the top-level key {name!r} (or --{name})")
    for name in config.parameters:
        if name not in everything:
            known = ", ".join(everything)
            raise ConfigError(f"unknown parameter {name!r}: no notebook declares it; known: {known}")
    for stem in config.notebooks:
        if stem not in declared:
            raise ConfigError(f"unknown notebook {stem!r}; the pipeline has: {', '.join(declared)}")
    resolved: dict[str, dict[str, Any]] = {}
    for stem, params in declared.items():
        chosen = {k: v for k, v in config.parameters.items() if k in params}
        for name, value in config.notebooks.get(stem, {}).items():
            if name not in params:
                allowed = ", ".join(p for p in params if p not in runner)
                raise ConfigError(f"notebook {stem} has no parameter {name!r}; its parameters: {allowed}")
            chosen[name] = value
        for name, value in chosen.items():
            _check_type(stem, name, value, params[name].get("inferred_type_name"))
        resolved[stem] = chosen
    return resolved


def _check_type(stem: str, name: str, value: Any, type_name: str | None) -> None:
    allowed = _TYPES.get(type_name or "")
    if allowed is None:
        return
    if isinstance(value, bool) and bool not in allowed:
        ok = False
    else:
        ok = isinstance(value, allowed)
    if not ok:
        raise ConfigError(f"parameter {name!r} of {stem} must be {type_name}, got {value!r}")


@contextmanager
def kernel_environment() -> Iterator[None]:
    """Make the notebooks' kernel use this Python (the one terrkit is installed in)."""
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])
    try:
        yield
    finally:
        os.environ["PATH"] = old_path


def export_html(notebook: Path, target: Path) -> None:
    """Write a stakeholder copy of an executed notebook: outputs and narrative, no code.

    Formulas are typeset by the run's own MathJax copy next to ``target`` (see
    :func:`terrkit.notebook_html.copy_mathjax`) and terrkit's warnings show as notes
    (:func:`terrkit.notebook_html.warnings_to_notes`).
    """
    from terrkit.notebook_html import export_html as export

    export(notebook, target)


def _index_html(run_name: str, entries: list[dict[str, Any]], deliverables: list[str]) -> str:
    """A plain list of the run's pages and files: the fallback when the summary cannot be built."""
    from html import escape

    rows = "\n".join(
        f'<tr><td><a href="{escape(e["notebook"])}.html">{escape(e["notebook"])}</a></td>'
        f"<td>{e['seconds']:.1f} s</td></tr>"
        for e in entries
    )
    files = "\n".join(f'<li><a href="{escape(n)}">{escape(n)}</a></li>' for n in deliverables)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>terrkit report {escape(run_name)}</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}}
td{{padding:.2em 1em .2em 0}}</style></head>
<body><h1>terrkit report {escape(run_name)}</h1>
<h2>Notebooks</h2><table>{rows}</table>
<h2>Deliverables</h2><ul>{files or "<li>none</li>"}</ul>
<p>terrkit {__version__}</p></body></html>
"""


def _new_files(folder: Path, before: set[str]) -> list[str]:
    """Files of ``folder`` (paths with ``/``) that are not in ``before``."""
    now = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return sorted(now - before)


def _summarise(
    staging: Path,
    final: Path,
    entries: list[dict[str, Any]],
    written: dict[str, list[str]],
    data_dir: Path,
    started_at: str,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Write the executive summary (``index.html``) and its PDF; return the summary's ``run.json`` entry.

    A summary that cannot be built does not fail the run: ``index.html`` then lists the files, and the
    entry and the progress line say why.
    """
    from terrkit.summary import build_summary, write_pdf

    t0 = time.perf_counter()
    try:
        result = build_summary(
            staging,
            run_name=final.name,
            notebooks=entries,
            files_by_notebook=written,
            data_dir=data_dir,
            started=started_at,
        )
    except Exception as err:  # noqa: BLE001 - the notebooks' work must not be lost to a summary bug
        deliverables = sorted(f for files in written.values() for f in files)
        (staging / "index.html").write_text(_index_html(final.name, entries, deliverables), encoding="utf-8")
        say(f"summary failed ({type(err).__name__}: {err}); index.html lists the files only")
        return {"index": "index.html", "error": f"{type(err).__name__}: {err}"}
    pdf = write_pdf(result)
    if pdf.written:
        say(f"summary: index.html and summary.pdf in {time.perf_counter() - t0:.1f} s")
    else:
        say(f"summary: index.html in {time.perf_counter() - t0:.1f} s; summary.pdf skipped: {pdf.reason}")
    return result.manifest()


def run_report(
    config: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
) -> Path:
    """Run every pipeline notebook into a new report folder.

    Parameters
    ----------
    config : path, optional
        YAML configuration (see the module docstring).
    data : path, optional
        Dataset folder given to every notebook as ``data_dir``; overrides ``data`` in the
        configuration. Default: the bundled sample.
    out : path, optional
        Run folder to create; it must not exist. Default: ``reports/<YYYYmmdd-HHMMSS>``.
    notebooks_dir : path, optional
        Folder of ``NN_name.ipynb`` notebooks (default: the repository's ``notebooks/``).
    progress : callable, optional
        Receives one line per step (which notebook, elapsed time).
    engine : {"pandas", "dask"}, optional
        Back end of the account-level steps, given to the notebooks that declare ``engine``;
        overrides ``engine`` in the configuration (default pandas).
    scheduler : str, optional
        Address of a running Dask scheduler for engine dask; default a local cluster.

    Returns
    -------
    pathlib.Path
        The completed run folder with executed notebooks (``.ipynb``), HTML copies without
        code, deliverable files, ``index.html`` and ``run.json``.

    Raises
    ------
    ConfigError
        Unknown or mistyped parameters; nothing is run.
    DataValidationError
        The dataset is invalid; nothing is run.
    ReportError
        A notebook failed; the run folder is renamed ``<run>.failed``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from terrkit.io import load_dataset

    say = progress or (lambda _line: None)
    settings = load_config(config)
    notebooks = discover_notebooks(notebooks_dir)
    parameters = resolve_parameters(settings, notebooks)
    data_dir = Path(data or settings.data or "") if (data or settings.data) else None
    from terrkit.scale.backend import check_engine

    engine = check_engine(engine or settings.engine)
    scheduler = scheduler or settings.scheduler
    if scheduler and engine != "dask":
        raise ConfigError("a Dask scheduler needs engine dask")
    engine_values = {"engine": engine, "scheduler": scheduler or ""}
    dataset = load_dataset(data_dir, engine=engine)  # fail fast, before any notebook runs, on bad data
    data_dir = dataset.path.resolve()

    final = Path(out) if out else default_reports_dir() / datetime.now().strftime("%Y%m%d-%H%M%S")
    if final.exists() and any(final.iterdir()):
        raise ConfigError(f"{final} already exists and is not empty; choose another --out")
    staging = final.parent / f".{final.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)

    started = time.perf_counter()
    started_at = datetime.now().isoformat(timespec="seconds")
    entries: list[dict[str, Any]] = []
    written: dict[str, list[str]] = {}
    copy_mathjax(staging)  # the notebooks' HTML copies load MathJax from the run folder
    with kernel_environment():
        for number, notebook in enumerate(notebooks, start=1):
            say(f"[{number}/{len(notebooks)}] {notebook.stem} ...")
            params = {
                "data_dir": str(data_dir),
                "output_dir": str(staging.resolve()),
                **{k: v for k, v in engine_values.items() if k in declared_parameters(notebook)},
                **parameters[notebook.stem],
            }
            executed = staging / notebook.name
            before = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
            t0 = time.perf_counter()
            try:
                papermill.execute_notebook(
                    str(notebook),
                    str(executed),
                    parameters=params,
                    cwd=str(notebook.parent),
                    progress_bar=False,
                    log_output=False,
                    report_mode=False,
                    # keep the kernel's own log (e.g. its transport warning) out of the progress lines
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                )
            except PapermillExecutionError as err:
                failed = _keep_failed(staging, final)
                raise ReportError(
                    f"notebook {notebook.stem} failed in cell {err.exec_count}: {err.ename}: {err.evalue}; "
                    f"the executed notebooks are kept in {failed}"
                ) from None
            except Exception as err:
                failed = _keep_failed(staging, final)
                raise ReportError(
                    f"notebook {notebook.stem} could not run: {type(err).__name__}: {err}; "
                    f"the executed notebooks are kept in {failed}"
                ) from None
            written[notebook.stem] = [f for f in _new_files(staging, before) if f != notebook.name]
            export_html(executed, staging / f"{notebook.stem}.html")
            seconds = time.perf_counter() - t0
            entries.append({"notebook": notebook.stem, "seconds": round(seconds, 2)})
            say(
                f"[{number}/{len(notebooks)}] {notebook.stem} done in {seconds:.1f} s "
                f"(elapsed {time.perf_counter() - started:.1f} s)"
            )

    from terrkit.summary.dictionary import write_data_dictionary

    write_data_dictionary(staging)  # every file and column of the run, before the summary links it
    deliverables = sorted(f for files in written.values() for f in files)
    summary = _summarise(staging, final, entries, written, data_dir, started_at, say)
    manifest = {
        "terrkit_version": __version__,
        "python": platform.python_version(),
        "started": started_at,
        "seconds": round(time.perf_counter() - started, 2),
        "data_dir": str(data_dir),
        "config": str(config) if config else None,
        "engine": engine,
        "scheduler": scheduler,
        "notebooks": entries,
        "parameters": parameters,
        "deliverables": deliverables,
        "deliverables_by_notebook": written,
        "summary": summary,
    }
    (staging / "run.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if final.exists():
        final.rmdir()
    os.replace(staging, final)
    say(f"done in {time.perf_counter() - started:.1f} s")
    return final


def _keep_failed(staging: Path, final: Path) -> Path:
    failed = final.parent / f"{final.name}.failed"
    if failed.exists():
        shutil.rmtree(failed)
    (staging / "FAILED.txt").write_text("This run failed; see the last executed notebook.\n")
    os.replace(staging, failed)
    return failed
