"""One consistent answer: every total agrees across the deliverables of a report run.

The run is the session's report on a company imported from Salesforce exports (``generated_report``, see
conftest), with a company quota given to notebook 60. Each check reads the files as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from terrkit.summary.dictionary import DICTIONARY_FILE, undescribed_columns
from terrkit.workload import max_travel_minutes_per_call

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(generated_report: Path) -> Path:
    return generated_report


def _csv(run: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run / name, dtype={"account_id": str, "unit_id": str})


@pytest.fixture(scope="module")
def files(run: Path) -> dict[str, pd.DataFrame]:
    names = (
        "account_assignments.csv", "accounts_scored.csv", "changes.csv", "territory_summary.csv",
        "review_territory_kpis.csv", "rep_movement.csv", "rep_impact.csv", "data_summary_by_state.csv",
        "realignment_sweep.csv", "segments.csv", "alignment.csv",
    )  # fmt: skip
    return {name: _csv(run, name) for name in names}


@pytest.fixture(scope="module")
def recommendation(run: Path) -> dict:
    return json.loads((run / "recommendation.json").read_text())


def test_account_and_customer_counts_agree(files, recommendation):
    n = len(files["accounts_scored.csv"])
    assert len(files["account_assignments.csv"]) == n
    assert files["territory_summary.csv"]["accounts"].sum() == n
    assert files["review_territory_kpis.csv"]["accounts"].sum() == n
    assert files["data_summary_by_state.csv"]["accounts"].sum() == n
    impact = files["rep_impact.csv"]
    assert impact["accounts_before"].sum() == n and impact["accounts_after"].sum() == n
    assert recommendation["summary"]["accounts"] == n
    customers = recommendation["summary"]["customers"]
    assert files["territory_summary.csv"]["customers"].sum() == customers
    assert files["review_territory_kpis.csv"]["customers"].sum() == customers
    assert files["rep_movement.csv"]["customers_before"].sum() == customers
    assert files["data_summary_by_state.csv"]["customers_last_4q"].sum() == customers


def test_sales_potential_and_workload_agree(files, recommendation):
    sales = recommendation["summary"]["revenue"]
    period = recommendation["period"]
    for name, col in (
        ("territory_summary.csv", "sales"), ("review_territory_kpis.csv", "sales"),
        ("rep_movement.csv", "revenue_before"), ("rep_movement.csv", "revenue_after"),
        ("rep_impact.csv", "sales_before"), ("rep_impact.csv", "sales_after"),
        ("data_summary_by_state.csv", f"sales_{period}"), ("accounts_scored.csv", "sales"),
    ):  # fmt: skip
        assert files[name][col].sum() == pytest.approx(sales, rel=1e-9), f"{name}:{col}"
    potential = files["accounts_scored.csv"]["potential"].sum()
    for name, col in (
        ("territory_summary.csv", "potential"), ("review_territory_kpis.csv", "potential"),
        ("rep_impact.csv", "potential_per_year_before"), ("rep_impact.csv", "potential_per_year_after"),
    ):  # fmt: skip
        assert files[name][col].sum() == pytest.approx(potential, rel=1e-9), f"{name}:{col}"
    # the same workload model in sizing (notebook 30) and in the review and realignment
    hours = files["accounts_scored.csv"]["workload_hours_per_year"].sum()
    assert files["review_territory_kpis.csv"]["workload_hours"].sum() == pytest.approx(hours, rel=1e-9)
    assert files["rep_impact.csv"]["workload_hours_per_year_before"].sum() == pytest.approx(hours, rel=1e-9)


def test_revenue_moved_agrees(files, recommendation):
    changes = files["changes.csv"]
    moved = changes[f"revenue_{recommendation['period']}"].sum()
    assert recommendation["summary"]["revenue_moved"] == pytest.approx(moved)
    assert files["rep_movement.csv"]["revenue_gained"].sum() == pytest.approx(moved)
    assert files["rep_movement.csv"]["revenue_lost"].sum() == pytest.approx(moved)
    assert files["territory_summary.csv"]["revenue_gained"].sum() == pytest.approx(moved)
    sweep = files["realignment_sweep.csv"].set_index("plan")
    assert sweep.loc[recommendation["plan"], "revenue_moved"] == pytest.approx(moved)
    asg = files["account_assignments.csv"]
    assert asg["changed"].sum() == len(changes)
    assert set(asg.loc[asg["changed"], "account_id"]) == set(changes["account_id"])
    assert files["rep_impact.csv"]["accounts_gained"].sum() == len(changes)


def test_quotas_sum_to_the_company_number(files, report_company_quota):
    quota = report_company_quota
    assert files["territory_summary.csv"]["quota_next_year"].sum() == pytest.approx(quota, abs=1e-6)
    assert files["rep_impact.csv"]["quota_per_year_after"].sum() == pytest.approx(quota, abs=1e-6)


def test_segment_counts_agree_between_files(files):
    by_segments = files["segments.csv"]["abc_tier_by_potential"].value_counts().sort_index()
    by_scored = files["accounts_scored.csv"]["abc_tier_by_potential"].value_counts().sort_index()
    pd.testing.assert_series_equal(by_segments, by_scored, check_names=False)


def test_sweep_status_agrees_with_its_flags(files):
    sweep = files["realignment_sweep.csv"].set_index("plan").drop(index="current")
    met = sweep["status"].isin(["optimal", "feasible"])
    assert (met == sweep["meets_tolerance"].astype(bool)).all()


def test_no_account_travels_beyond_the_remote_coverage_rule(files):
    scored = files["accounts_scored.csv"]
    assert set(scored["coverage_mode"]) <= {"field", "overnight", "remote"}
    assert scored["travel_minutes_per_call"].max() <= max_travel_minutes_per_call() + 1e-9


def test_one_plan_of_record_and_the_other_plans_in_plans(run, files):
    assert not (run / "proposed_alignment.csv").exists() and not (run / "edited_alignment.csv").exists()
    units = set(files["alignment.csv"]["unit_id"])
    plans = sorted(p.name for p in (run / "plans").glob("*.csv"))
    assert "compact_design.csv" in plans and "least_disruption_within_5pct.csv" in plans
    for name in plans:
        if name.startswith("least_disruption"):
            plan = pd.read_csv(run / "plans" / name, dtype={"unit_id": str})
            assert plan["unit_id"].is_unique and set(plan["unit_id"]) == units, name
    layer = gpd.read_file(run / "units_layer.gpkg")
    assert set(layer["unit_id"].astype(str)) == units


def test_every_file_and_column_is_in_the_data_dictionary(run):
    assert undescribed_columns(run) == {}
    text = (run / DICTIONARY_FILE).read_text()
    for path in sorted(run.rglob("*.csv")):
        assert f"## `{path.relative_to(run).as_posix()}`" in text
