"""The report runner: configuration checks, complete runs, and failed runs that never look complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from terrkit.exceptions import ConfigError, ReportError
from terrkit.notebook_html import MATHJAX_DIR, copy_mathjax, export_html, warnings_to_notes
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


def test_complete_run_has_notebooks_html_and_deliverables(tiny_pipeline, tmp_path, sample_dir, monkeypatch):
    lines: list[str] = []
    config = _config(tmp_path, "parameters:\n  scale: 3\n")
    monkeypatch.setenv("TERRKIT_CHROMIUM", str(tmp_path / "no-chromium"))  # the PDF is skipped, and says so
    run = run_report(config, sample_dir, tmp_path / "run", notebooks_dir=tiny_pipeline, progress=lines.append)
    names = sorted(p.name for p in run.iterdir())
    assert names == [
        "00_first.html",
        "00_first.ipynb",
        "10_second.html",
        "10_second.ipynb",
        "DATA_DICTIONARY.md",
        "assets",
        "first.csv",
        "index.html",
        "run.json",
    ]
    assert pd.read_csv(run / "first.csv")["x"].tolist() == [6.0]
    dictionary = (run / "DATA_DICTIONARY.md").read_text()
    assert "## `first.csv`" in dictionary and "| `x` | not described |" in dictionary  # a gap shows
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["parameters"]["00_first"] == {"scale": 3}
    assert manifest["deliverables"] == ["first.csv"]
    assert manifest["deliverables_by_notebook"] == {"00_first": ["first.csv"], "10_second": []}
    assert manifest["summary"]["pdf"] is None and "no Chromium" in manifest["summary"]["pdf_skipped"]
    assert any("summary.pdf skipped: no Chromium" in line for line in lines)
    index = (run / "index.html").read_text()
    assert "no realignment recommendation" in index and '<a href="first.csv">first.csv</a>' in index
    assert '<a href="00_first.html">00_first</a>' in index
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


# ------------------------------------------------------------------ the stakeholder HTML of a notebook


def _executed(outputs: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("The objective: $$\\min \\sum_i w_i d_i$$"),
        nbformat.v4.new_code_cell("work()", outputs=outputs),
    ]
    return nb


def test_terrkit_warnings_become_notes_and_other_stderr_stays():
    stderr = (
        "DataWarning: peer potential: 77 of 20,000 accounts fell back to a broader group\n"
        "DataWarning: 3 accounts have no ZIP code\n"
        "/lib/x.py:12: UserWarning: something else\n  warnings.warn(...)\n"
        "CrmLoadWarning: 12,000 associations exceed the publish cap\n"
    )
    nb = _executed(
        [
            nbformat.v4.new_output("stream", name="stdout", text="DataWarning: printed on purpose\n"),
            nbformat.v4.new_output("stream", name="stderr", text=stderr),
        ]
    )
    assert warnings_to_notes(nb) == 3
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data", "stream", "display_data"]
    assert outputs[0].text == "DataWarning: printed on purpose\n", "stdout is untouched"
    first = outputs[1].data["text/html"]
    assert "Note on the data" in first and "77 of 20,000 accounts" in first and "no ZIP code" in first
    assert outputs[2].name == "stderr"
    assert outputs[2].text == "/lib/x.py:12: UserWarning: something else\n  warnings.warn(...)\n"
    assert "CrmLoadWarning" in outputs[3].data["text/html"]


def test_exported_html_has_notes_local_mathjax_and_no_code(tmp_path):
    stderr = nbformat.v4.new_output("stream", name="stderr", text="DataWarning: credits netted\n")
    path = tmp_path / "nb.ipynb"
    nbformat.write(_executed([stderr]), path)
    before = path.read_text()
    url = copy_mathjax(tmp_path)
    export_html(path, tmp_path / "nb.html", mathjax_url=url)
    html = (tmp_path / "nb.html").read_text()
    assert (
        f'src="{MATHJAX_DIR}/MathJax.js?config=' in html
        and "cdnjs.cloudflare.com/ajax/libs/mathjax" not in html
    )
    assert "terrkit-note" in html and "credits netted" in html
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html
    assert "work()" not in html
    assert not re.search(r'src="https?://', html), "nothing is loaded from the network"
    assert path.read_text() == before, "the executed notebook keeps its warnings for JupyterLab"
    folder = tmp_path / MATHJAX_DIR
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert (folder / "MathJax.js").exists() and (folder / "config" / "terrkit.js").exists()
    assert (folder / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web").is_dir()
    assert sum(p.stat().st_size for p in files) < 4_000_000, "only the parts of MathJax that are needed"


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.slow
def test_real_run_pages_show_numbers_for_people(generated_report):
    """No ``1.45997e+07`` and no ``23249830.000000`` in what stakeholders read (notebook 70 is not ours)."""
    for stem in ("00_data_overview", "10_segmentation", "20_potential", "30_workload_sizing",
                 "40_territory_design", "50_performance_review"):  # fmt: skip
        text = _visible_text((generated_report / f"{stem}.html").read_text(encoding="utf-8"))
        raw = re.findall(r"\b\d+\.\d+e[+-]\d+\b|\b\d{4,}\.\d{5,}\b", text)
        assert not raw, f"{stem} shows raw floats: {raw[:5]}"
        assert "DataWarning:" not in text or "Note on the data" in text


def test_requirejs_is_dropped_only_when_nothing_uses_it():
    from terrkit.notebook_html import drop_unused_requirejs

    tag = '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>\n'
    plain = f"<head>{tag}<script>var shown = 1;</script></head>"
    assert drop_unused_requirejs(plain) == "<head><script>var shown = 1;</script></head>"
    widget = f"<head>{tag}</head><script>require(['@jupyter-widgets/html-manager'], render)</script>"
    assert drop_unused_requirejs(widget) == widget
