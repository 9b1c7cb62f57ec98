"""End to end: the real notebooks, run by the report runner on a Salesforce export, imported."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from terrkit.report import discover_notebooks


@pytest.mark.slow
def test_report_on_an_imported_company(imported_company_dir, generated_report):
    """What ``terrkit validate`` accepts, gaps included, the report runs through to the end."""
    run = generated_report
    n_accounts = len(pd.read_csv(imported_company_dir / "accounts.csv", dtype=str))
    notebooks = [nb.stem for nb in discover_notebooks()]
    for stem in notebooks:
        assert (run / f"{stem}.ipynb").stat().st_size > 0
        html = (run / f"{stem}.html").read_text()
        assert "<html" in html and "Traceback" not in html
    manifest = json.loads((run / "run.json").read_text())
    assert [e["notebook"] for e in manifest["notebooks"]] == notebooks
    assert manifest["data_dir"] == str(imported_company_dir.resolve())
    by_state = pd.read_csv(run / "data_summary_by_state.csv")
    assert by_state["accounts"].sum() == n_accounts
    assert set(manifest["deliverables"]) >= {
        "data_summary_by_state.csv",
        "accounts_scored.csv",
        "units_scored.gpkg",
    }
    scored = pd.read_csv(run / "accounts_scored.csv", dtype={"account_id": str})
    assert scored["account_id"].is_unique and len(scored) == n_accounts
    assert (scored["potential"] >= scored["sales"] - 1e-6).all()
    units = gpd.read_file(run / "units_scored.gpkg")
    assert units["potential"].sum() == pytest.approx(scored["potential"].sum(), rel=1e-9)
