"""The report runner: configuration checks, complete runs, and failed runs that never look complete."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from terrkit.exceptions import ConfigError, ReportError
from terrkit.report import discover_notebooks, load_config, resolve_parameters, run_report


def _notebook(folder: Path, name: str, parameters: str, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny_pipeline(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(
        folder,
        "00_first",
        'data_dir: str = ""  # data\noutput_dir: str = ""  # out\nscale: float = 1.0  # multiplier',
        "import pandas as pd\n"
        "pd.DataFrame({'x': [scale * 2]}).to_csv(f'{output_dir}/first.csv', index=False)",
    )
    _notebook(
        folder,
        "10_second",
        'data_dir: str = ""  # data\noutput_dir: str = ""  # out\nfail: bool = False  # raise on purpose',
        "if fail:\n    raise RuntimeError('planted failure')\nprint('second ok')",
    )
    (folder / "notes.ipynb").write_text("{}")  # not NN_name: not part of the pipeline
    return folder


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_pipeline_order_and_declared_parameters(tiny_pipeline):
    notebooks = discover_notebooks(tiny_pipeline)
    assert [nb.stem for nb in notebooks] == ["00_first", "10_second"]
    config = load_config(None)
    assert resolve_parameters(config, notebooks) == {"00_first": {}, "10_second": {}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parameters:\n  scael: 2\n", "unknown parameter 'scael'"),
        ("notebooks:\n  99_missing:\n    fail: true\n", "unknown notebook '99_missing'"),
        ("notebooks:\n  10_second:\n    scale: 2\n", "10_second has no parameter 'scale'"),
        ("parameters:\n  scale: lots\n", "must be float"),
        ("parameters:\n  data_dir: /x\n", "set by the runner"),
        ("colour: blue\n", "unknown key 'colour'"),
        ("parameters: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_configuration_is_an_error(tiny_pipeline, tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        resolve_parameters(load_config(_config(tmp_path, text)), discover_notebooks(tiny_pipeline))


def test_notebook_without_runner_parameters_is_refused(tiny_pipeline):
    _notebook(tiny_pipeline, "20_third", 'data_dir: str = ""  # folder; empty = bundled sample', "pass")
    with pytest.raises(ConfigError, match="20_third does not declare data_dir, output_dir"):
        resolve_parameters(load_config(None), discover_notebooks(tiny_pipeline))


def test_complete_run_has_notebooks_html_and_deliverables(tiny_pipeline, tmp_path, sample_dir):
    lines: list[str] = []
    config = _config(tmp_path, "parameters:\n  scale: 3\n")
    run = run_report(config, sample_dir, tmp_path / "run", notebooks_dir=tiny_pipeline, progress=lines.append)
    names = sorted(p.name for p in run.iterdir())
    assert names == [
        "00_first.html",
        "00_first.ipynb",
        "10_second.html",
        "10_second.ipynb",
        "first.csv",
        "index.html",
        "run.json",
    ]
    assert pd.read_csv(run / "first.csv")["x"].tolist() == [6.0]
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["parameters"]["00_first"] == {"scale": 3}
    assert manifest["deliverables"] == ["first.csv"]
    html = (run / "10_second.html").read_text()
    assert "second ok" in html and "print(" not in html, "stakeholder HTML hides the code"
    assert any("[1/2] 00_first" in line for line in lines) and any("done in" in line for line in lines)
    assert not list(tmp_path.glob(".*partial"))


def test_failed_run_keeps_notebooks_and_does_not_look_complete(tiny_pipeline, tmp_path, sample_dir):
    config = _config(tmp_path, "notebooks:\n  10_second:\n    fail: true\n")
    with pytest.raises(ReportError, match="10_second failed.*RuntimeError: planted failure") as caught:
        run_report(config, sample_dir, tmp_path / "run", notebooks_dir=tiny_pipeline)
    assert not (tmp_path / "run").exists()
    failed = tmp_path / "run.failed"
    assert str(failed) in str(caught.value)
    assert (failed / "10_second.ipynb").exists() and (failed / "FAILED.txt").exists()
    assert not (failed / "run.json").exists()


def test_existing_run_folder_is_refused(tiny_pipeline, tmp_path, sample_dir):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("x")
    with pytest.raises(ConfigError, match="already exists"):
        run_report(None, sample_dir, tmp_path / "run", notebooks_dir=tiny_pipeline)
