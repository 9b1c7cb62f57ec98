"""Headless report runs: execute the notebooks in order with papermill.

A run goes into a hidden staging folder (``.<run>.partial``) and is renamed to its final
name only when every notebook has run and every HTML copy is written, so a folder under
``reports/`` without the ``.failed`` suffix is always a complete run. A failed run is
renamed ``<run>.failed`` and keeps the executed notebooks, including the one that failed,
for inspection.

Configuration (YAML)::

    data: path/to/dataset        # optional; --data overrides it
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

#: Parameters the runner sets itself; a configuration cannot set them.
RUNNER_PARAMETERS = ("data_dir", "output_dir")
_CONFIG_KEYS = ("data", "parameters", "notebooks")
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
    return ReportConfig(data, dict(parameters), {k: dict(v or {}) for k, v in notebooks.items()})


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
    everything = sorted({name for params in declared.values() for name in params} - set(RUNNER_PARAMETERS))
    for name in list(config.parameters) + [p for v in config.notebooks.values() for p in v]:
        if name in RUNNER_PARAMETERS:
            raise ConfigError(f"parameter {name!r} is set by the runner; use --data or --out instead")
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
                allowed = ", ".join(p for p in params if p not in RUNNER_PARAMETERS)
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
    """Write a stakeholder copy of an executed notebook: outputs and narrative, no code."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    target.write_text(body, encoding="utf-8")


def _index_html(run_name: str, entries: list[dict[str, Any]], deliverables: list[str]) -> str:
    rows = "\n".join(
        f'<tr><td><a href="{e["notebook"]}.html">{e["notebook"]}</a></td><td>{e["seconds"]:.1f} s</td></tr>'
        for e in entries
    )
    files = "\n".join(f'<li><a href="{name}">{name}</a></li>' for name in deliverables) or "<li>none</li>"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>terrkit report {run_name}</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}}
td{{padding:.2em 1em .2em 0}}</style></head>
<body><h1>terrkit report {run_name}</h1>
<h2>Notebooks</h2><table>{rows}</table>
<h2>Deliverables</h2><ul>{files}</ul>
<p>terrkit {__version__}</p></body></html>
"""


def run_report(
    config: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
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
    dataset = load_dataset(data_dir)  # fail fast, before any notebook runs, on bad data
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
    with kernel_environment():
        for number, notebook in enumerate(notebooks, start=1):
            say(f"[{number}/{len(notebooks)}] {notebook.stem} ...")
            params = {
                "data_dir": str(data_dir),
                "output_dir": str(staging.resolve()),
                **parameters[notebook.stem],
            }
            executed = staging / notebook.name
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
            export_html(executed, staging / f"{notebook.stem}.html")
            seconds = time.perf_counter() - t0
            entries.append({"notebook": notebook.stem, "seconds": round(seconds, 2)})
            say(
                f"[{number}/{len(notebooks)}] {notebook.stem} done in {seconds:.1f} s "
                f"(elapsed {time.perf_counter() - started:.1f} s)"
            )

    own = {f"{e['notebook']}{ext}" for e in entries for ext in (".ipynb", ".html")}
    # files in sub-folders (the crm/ load files) are listed by their path in the run folder
    deliverables = sorted(
        p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file() and p.name not in own
    )
    (staging / "index.html").write_text(_index_html(final.name, entries, deliverables), encoding="utf-8")
    manifest = {
        "terrkit_version": __version__,
        "python": platform.python_version(),
        "started": started_at,
        "seconds": round(time.perf_counter() - started, 2),
        "data_dir": str(data_dir),
        "config": str(config) if config else None,
        "notebooks": entries,
        "parameters": parameters,
        "deliverables": deliverables,
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
