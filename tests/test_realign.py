"""Realignment: reps follow their revenue, change lists reconcile, deliverables are atomic, plans measured."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from terrkit.datasets.bundled import load_counties
from terrkit.exceptions import ConfigError, InfeasibleError, TerrkitError
from terrkit.geo import haversine_km
from terrkit.realign import (
    FILES,
    account_assignments,
    assign_reps,
    change_list,
    check_realignment,
    evaluate_plan,
    min_feasible_tolerance,
    movement_summary,
    pareto_front,
    parse_tolerances,
    plan_realignment,
    proposal_alignment,
    rep_movement,
    write_realignment,
)
from terrkit.realign.account_lists import REASONS

# ------------------------------------------------------------------------------------------ by hand


@pytest.fixture
def small():
    """Four units; T1 = u1, u2 (rep R1), T2 = u3, u4 (rep R2). Account c (u2) is an exception of R2."""
    current = pd.DataFrame(
        {
            "unit_id": ["u1", "u2", "u3", "u4"],
            "territory_id": ["T1", "T1", "T2", "T2"],
            "rep_id": ["R1", "R1", "R2", "R2"],
        }
    )
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "home_lat": [40.0, 40.0], "home_lon": [-100.0, -90.0]})
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "unit_id": ["u1", "u2", "u2", "u3", "u4"],
            "owner_rep_id": ["R1", "R1", "R2", "R2", "R2"],
            "lat": [40.0, 40.0, 40.0, 40.0, 40.0],
            "lon": [-100.0, -95.0, -95.0, -90.0, -89.0],
        }
    )
    revenue = pd.Series({"a": 100.0, "b": 30.0, "c": 5.0, "d": 200.0, "e": 0.0})
    return current, reps, accounts, revenue


def test_reps_follow_their_revenue_whatever_the_labels(small):
    current, reps, accounts, revenue = small
    # the proposal calls the west "B" and the east "A", and moves u2 east
    proposed = pd.Series({"u1": "B", "u2": "A", "u3": "A", "u4": "A"})
    rep_map = assign_reps(proposed, accounts, revenue, current, reps).set_index("proposal")
    assert rep_map.loc["B", "rep_id"] == "R1" and rep_map.loc["A", "rep_id"] == "R2"
    assert rep_map.loc["B", "territory_id"] == "T1" and rep_map.loc["A", "territory_id"] == "T2"
    assert rep_map.loc["A", "revenue_kept"] == 205.0  # c (an R2 account) and d
    alignment = proposal_alignment(proposed, rep_map.reset_index())
    assert alignment.to_dict("list") == {
        "unit_id": ["u1", "u2", "u3", "u4"],
        "territory_id": ["T1", "T2", "T2", "T2"],
        "rep_id": ["R1", "R2", "R2", "R2"],
    }


def test_changes_reconcile_and_revenue_moved_adds_up(small):
    current, reps, accounts, revenue = small
    proposed = pd.Series({"u1": "T1", "u2": "T2", "u3": "T2", "u4": "T2"})
    alignment = proposal_alignment(proposed, assign_reps(proposed, accounts, revenue, current, reps))
    asg = account_assignments(accounts, alignment, current, keep_exceptions=True)
    assert asg["new_rep_id"].tolist() == ["R1", "R2", "R2", "R2", "R2"]
    changes = change_list(asg, revenue)
    assert changes.to_dict("list") == {
        "account_id": ["b"],
        "from_rep_id": ["R1"],
        "to_rep_id": ["R2"],
        "revenue": [30.0],
    }
    move = rep_movement(asg, revenue, reps)
    assert move.loc["R1", "revenue_lost"] == 30.0 and move.loc["R2", "revenue_gained"] == 30.0
    assert move["net_revenue"].sum() == 0.0 and (move["accounts_gained"] - move["accounts_lost"]).sum() == 0
    assert move.loc["R1", "customers_kept_share"] == pytest.approx(0.5)  # keeps a, loses b
    assert move.loc["R2", "customers_kept_share"] == pytest.approx(1.0)  # c and d (e has no revenue)
    summary = movement_summary(current, alignment, asg, revenue)
    assert summary["units_changing_rep"] == 1 and summary["accounts_changing_rep"] == 1
    assert summary["revenue_moved_share"] == pytest.approx(30 / 335)
    assert summary["customers_keeping_rep_share"] == pytest.approx(3 / 4)


def test_exceptions_follow_the_territory_when_asked(small):
    current, reps, accounts, revenue = small
    asg = account_assignments(accounts, current, current, keep_exceptions=False)
    assert change_list(asg, revenue)["account_id"].tolist() == ["c"]  # c goes back to its territory's rep
    assert change_list(account_assignments(accounts, current, current), revenue).empty


def test_a_territory_without_a_rep_is_new_and_vacant(small):
    current, reps, accounts, revenue = small
    proposed = pd.Series({"u1": 0, "u2": 1, "u3": 2, "u4": 2})
    rep_map = assign_reps(proposed, accounts, revenue, current, reps).set_index("proposal")
    assert rep_map.loc[0, "rep_id"] == "R1" and rep_map.loc[2, "rep_id"] == "R2"
    assert rep_map.loc[1, "territory_id"] == "NEW1" and pd.isna(rep_map.loc[1, "rep_id"])
    alignment = proposal_alignment(proposed, rep_map.reset_index())
    asg = account_assignments(accounts, alignment, current, keep_exceptions=False)
    changes = change_list(asg, revenue)
    assert set(changes["account_id"]) == {"b", "c"} and changes["to_rep_id"].isna().all()
    move = rep_movement(asg, revenue, reps)
    assert move.loc["(vacant)", "revenue_gained"] == 35.0
    assert move["net_revenue"].sum() == pytest.approx(0.0)


# ------------------------------------------------------------------------------------------ trade-off logic


def test_parse_tolerances_and_the_smallest_feasible_one():
    assert parse_tolerances("0.1,0.05") == [0.05, 0.1]
    for bad in ("", "1.5", "a lot", "-0.1"):
        with pytest.raises(ConfigError):
            parse_tolerances(bad)
    values = pd.Series(
        [10.0, 10.0, 10.0, 10.0, 40.0]
    )  # mean territory with k 2: 40 -> largest unit is 0% over
    assert min_feasible_tolerance(values, 2) == 0.0
    assert min_feasible_tolerance(values, 4) == pytest.approx(40 / 20 - 1)
    assert parse_tolerances("auto", values, 2) == [0.1, 0.25]
    # largest unit 1.4 against a mean territory of 1.1: 27.3% over, + 1 point, rounded up to 30%
    assert parse_tolerances("auto", pd.Series([1.0, 1.0, 1.0, 1.4]), 4) == [0.3, 0.45]


def test_pareto_front_keeps_the_plans_no_other_beats_on_every_figure():
    table = pd.DataFrame(
        {
            "balance": [0.9, 0.08, 0.04, 0.03, 0.12, 0.2],
            "travel_km": [300, 250, 260, 240, 200, 300],
            "revenue_moved_share": [0.0, 0.05, 0.05, 0.30, 0.02, 0.3],
        },
        index=pd.Index(["current", "p1", "p2", "p3", "p4", "p5"], name="plan"),
    )
    front = pareto_front(table)
    assert front.to_dict() == {"current": True, "p1": True, "p2": True, "p3": True, "p4": True, "p5": False}


# ---------------------------------------------------------------------------------- a generated company


@pytest.fixture(scope="module")
def company(small_company_dir):
    from terrkit.io import load_dataset

    return load_dataset(small_company_dir)


@pytest.fixture(scope="module")
def inputs(company):
    from terrkit.potential import aggregate_to_units
    from terrkit.review import account_activity, resolve_period

    period = resolve_period(company.periods)
    revenue = account_activity(company.accounts, company.sales, period).set_index("account_id")["sales"]
    # test-only fallback measures: potential = 2 x revenue + 1, workload = 1 hour per account
    acc = company.accounts.assign(sales=company.accounts["account_id"].map(revenue).clip(lower=0).to_numpy())
    acc["fallback_potential"] = acc["sales"] * 2 + 1
    units = aggregate_to_units(
        acc.rename(columns={"fallback_potential": "potential"}),
        company.units,
        measures=("sales", "potential"),
    )
    units["territory_id"] = units["unit_id"].map(company.alignment.set_index("unit_id")["territory_id"])
    return period, revenue, units


def fake_design(reps, alignment):
    """A stand-in for the design engine: units switch to the territory of the nearest rep home, in a seeded
    random order, until the revenue that moved would exceed the cap (so the cap always holds)."""
    home = reps.set_index("rep_id")
    terr_of_rep = alignment.drop_duplicates("rep_id").set_index("rep_id")["territory_id"].reindex(home.index)

    def design(units, *, k, tolerance, max_moved, time_limit, seed):
        if tolerance < 0.01:
            raise InfeasibleError("no alignment is possible: balance tolerance too tight")
        pts = units.geometry.to_crs("EPSG:5070").representative_point().to_crs("EPSG:4326")
        d = haversine_km(
            pts.x.to_numpy()[:, None],
            pts.y.to_numpy()[:, None],
            home["home_lon"].to_numpy()[None],
            home["home_lat"].to_numpy()[None],
        )
        nearest = terr_of_rep.to_numpy()[d.argmin(axis=1)]
        labels = units["territory_id"].to_numpy().copy()
        sales = units["sales"].to_numpy(dtype=float)
        order = np.random.default_rng(seed).permutation(len(labels))
        want = nearest[order] != labels[order]
        take = want & (np.cumsum(np.where(want, sales[order], 0.0)) <= max_moved * sales.sum())
        labels[order[take]] = nearest[order[take]]
        out = pd.Series(labels, index=units["unit_id"].to_numpy())
        out.attrs.update(status="feasible", method="fake", seconds=0.0)
        return out

    return design


def test_evaluate_plan_on_the_current_alignment_is_undisturbed(company, inputs):
    period, revenue, units = inputs
    current = units.set_index("unit_id")["territory_id"]
    got = evaluate_plan(current, units, company.accounts, revenue, company.alignment, company.reps)
    assert got["revenue_moved_share"] == 0.0 and got["units_changing_rep"] == 0
    totals = units.groupby("territory_id")["potential"].sum()
    assert got["balance"] == pytest.approx((totals - totals.mean()).abs().max() / totals.mean())


def _plan(company, inputs, cap=0.2, shapes=True):
    period, revenue, units = inputs
    labels = fake_design(company.reps, company.alignment)(
        units, k=12, tolerance=0.2, max_moved=cap, time_limit=1, seed=0
    )
    return plan_realignment(
        company.accounts,
        company.sales,
        company.reps,
        company.alignment,
        labels,
        period,
        units=company.units,
        shapes=shapes,
    )


@pytest.fixture(scope="module")
def quick_plan(company, inputs):
    return _plan(company, inputs, cap=0.05, shapes=False)


def test_deliverables_on_a_generated_company_reconcile(company, inputs, tmp_path):
    plan = _plan(company, inputs)
    paths = write_realignment(plan, tmp_path, company.units["unit_id"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temporary files left
    alignment = pd.read_csv(paths["alignment.csv"], dtype=str)
    assert list(alignment.columns) == ["unit_id", "territory_id", "rep_id"]
    assert alignment["unit_id"].is_unique and set(alignment["unit_id"]) == set(company.units["unit_id"])
    asg = pd.read_csv(paths["account_assignments.csv"], dtype={"account_id": str})
    assert list(asg.columns) == [
        "account_id", "account_name", "account_type", "old_territory_id", "old_rep_id", "old_rep_name",
        "territory_id", "new_rep_id", "new_rep_name", "changed", "change_reason", "effective_date",
    ]  # fmt: skip
    assert len(asg) == len(company.accounts) and asg["account_id"].is_unique
    names = company.reps.set_index("rep_id")["name"]
    assert (asg["new_rep_name"] == asg["new_rep_id"].map(names)).all()
    assert (asg["account_name"] == company.accounts["name"].to_numpy()).all()
    assert (asg["changed"] == (asg["old_rep_id"] != asg["new_rep_id"])).all()
    # the last sales quarter is 2025Q4 or earlier: owners change on the first day of the next quarter
    last = company.periods[-1]
    year, quarter = int(last[:4]), int(last[-1])
    starts = f"{year + 1}-01-01" if quarter == 4 else f"{year}-{3 * quarter + 1:02d}-01"
    assert set(asg["effective_date"]) == {starts}
    unit_today = company.accounts["unit_id"].map(company.alignment.set_index("unit_id")["territory_id"])
    assert (asg["old_territory_id"] == unit_today.to_numpy()).all()
    stays = asg[~asg["changed"]]
    moved_unit = stays["old_territory_id"] != stays["territory_id"]
    assert (stays.loc[~moved_unit, "change_reason"] == REASONS["stays"]).all()
    assert set(asg.loc[asg["changed"], "change_reason"]) <= {REASONS["unit_moves"], REASONS["unowned"]}
    changes = pd.read_csv(paths["changes.csv"], dtype={"account_id": str})
    revenue_col = f"revenue_{plan.period_label}"
    assert list(changes.columns) == [
        "account_id", "account_name", "account_type", revenue_col, "old_territory_id", "from_rep_id",
        "from_rep_name", "territory_id", "to_rep_id", "to_rep_name", "change_reason", "effective_date",
    ]  # fmt: skip
    changes = changes.rename(columns={revenue_col: "revenue"})
    kinds = np.where(
        changes["revenue"] > 0, "customer", np.where(changes["revenue"] < 0, "net_credit", "prospect")
    )
    assert (changes["account_type"] == kinds).all()
    differ = asg[asg["old_rep_id"] != asg["new_rep_id"]]
    assert set(changes["account_id"]) == set(differ["account_id"]) and len(changes) == len(differ) > 0
    merged = changes.merge(differ, on="account_id")
    assert (merged["from_rep_id"] == merged["old_rep_id"]).all() and (
        merged["to_rep_id"] == merged["new_rep_id"]
    ).all()
    _, revenue, _ = inputs
    assert np.allclose(changes["revenue"], changes["account_id"].map(revenue))
    gained = changes.groupby("to_rep_id")["revenue"].sum()
    lost = changes.groupby("from_rep_id")["revenue"].sum()
    assert (gained.sub(lost, fill_value=0)).sum() == pytest.approx(0.0, abs=1e-6)
    moves = pd.read_csv(paths["rep_movement.csv"]).set_index("rep_id")
    assert moves["revenue_gained"].reindex(gained.index).to_numpy() == pytest.approx(gained.to_numpy())
    assert moves["revenue_lost"].reindex(lost.index).to_numpy() == pytest.approx(lost.to_numpy())
    summary = pd.read_csv(paths["territory_summary.csv"])
    assert (summary["rep_name"] == summary["rep_id"].map(names)).all()
    assert summary["territory_id"].is_unique and set(summary["territory_id"]) == set(
        alignment["territory_id"]
    )
    assert {
        "sales",
        "attainment",
        "growth",
        "sales_deviation",
        "polsby_popper",
        "mean_distance_km",
        "revenue_gained",
    } <= set(summary.columns)
    assert summary["accounts"].sum() == len(company.accounts)
    assert summary["revenue_gained"].sum() == pytest.approx(changes["revenue"].sum())
    assert plan.summary["revenue_moved_share"] <= 0.2 + 1e-9
    # the workbook: the same tables, ids as text cells (a county FIPS such as 01001 keeps its zero)
    book = openpyxl.load_workbook(paths["realignment.xlsx"], read_only=True)
    assert book.sheetnames == [name.removesuffix(".csv") for name in FILES if name.endswith(".csv")]
    rows = list(book["alignment"].iter_rows(values_only=True))
    assert rows[0] == tuple(alignment.columns) and len(rows) == len(alignment) + 1
    assert [r[0] for r in rows[1:]] == alignment["unit_id"].tolist()
    assert any(str(r[0]).startswith("0") for r in rows[1:])
    sheet = pd.read_excel(paths["realignment.xlsx"], sheet_name="changes", dtype={"account_id": str})
    assert len(sheet) == len(changes)


def test_a_failure_mid_write_leaves_no_file(quick_plan, tmp_path, monkeypatch):
    plan = quick_plan
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_realignment(plan, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_inconsistent_plan_is_refused_before_writing(company, quick_plan, tmp_path):
    check_realignment(quick_plan, company.units["unit_id"])
    with pytest.raises(TerrkitError, match="exactly the accounts"):
        write_realignment(replace(quick_plan, changes=quick_plan.changes.iloc[1:]), tmp_path)
    wrong = quick_plan.changes.assign(to_rep_id=quick_plan.changes["from_rep_id"])
    with pytest.raises(TerrkitError, match="disagree"):
        write_realignment(replace(quick_plan, changes=wrong), tmp_path)
    doubled = pd.concat([quick_plan.alignment, quick_plan.alignment.iloc[[0]]])
    with pytest.raises(TerrkitError, match="twice"):
        check_realignment(replace(quick_plan, alignment=doubled))
    with pytest.raises(TerrkitError, match="misses 1 unit"):
        check_realignment(quick_plan, pd.concat([company.units["unit_id"], pd.Series(["99999"])]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_report_run_of_the_review_and_realignment_notebooks(imported_company_dir, generated_report):
    """``terrkit report --data DIR`` on an imported company: both notebooks run, their files reconcile.

    The current alignment of an import leaves every county without accounts unassigned: the review
    lists those gaps and the proposal assigns every unit.
    """
    run = generated_report
    for stem in ("50_performance_review", "60_realignment"):
        html = (run / f"{stem}.html").read_text()
        assert "<html" in html and "Traceback" not in html
    accounts = pd.read_csv(imported_company_dir / "accounts.csv", dtype=str)
    plans = pd.read_csv(run / "territory_plans.csv")
    assert set(plans["focus"]) <= {"acquire", "grow", "protect"} and len(plans) > 0
    kpis = pd.read_csv(run / "review_territory_kpis.csv")
    assert kpis["accounts"].sum() == len(accounts)
    alignment = pd.read_csv(run / "alignment.csv", dtype=str)
    current = pd.read_csv(imported_company_dir / "current_alignment.csv", dtype=str)
    every_county = set(load_counties()["unit_id"])
    assert set(current["unit_id"]) < every_county  # the import's gaps ...
    issues = pd.read_csv(run / "review_coverage_issues.csv", dtype=str)
    unassigned = set(issues.loc[issues["kind"] == "unit_unassigned", "unit_id"])
    assert unassigned == every_county - set(current["unit_id"])  # ... are listed by the review ...
    # ... and the proposal has every unit of the mixed layer exactly once, every county whole or in cells
    assert alignment["unit_id"].is_unique and alignment["territory_id"].notna().all()
    assert set(alignment["level"]) <= {"county", "zip", "account"}
    counties = set(alignment.loc[alignment["level"] == "county", "unit_id"])
    split = set(alignment.loc[alignment["level"] == "zip", "parent_id"])
    assert counties.isdisjoint(split) and counties | split == every_county
    asg = pd.read_csv(run / "account_assignments.csv", dtype=str)
    changes = pd.read_csv(run / "changes.csv", dtype={"account_id": str})
    assert set(asg["account_id"]) == set(accounts["account_id"])
    differ = asg[asg["old_rep_id"].fillna("") != asg["new_rep_id"].fillna("")]
    assert set(changes["account_id"]) == set(differ["account_id"]) and len(changes) == len(differ)
    summary = pd.read_csv(run / "territory_summary.csv")
    assert set(summary["territory_id"]) == set(alignment["territory_id"])
    # every territory keeps its rep (rep-anchored)
    reps_now = current.drop_duplicates("territory_id").set_index("territory_id")["rep_id"]
    assert (alignment["rep_id"] == alignment["territory_id"].map(reps_now)).all()
    front = pd.read_csv(run / "realignment_sweep.csv").set_index("plan")
    assert front.index[0] == "current" and list(front.index[1:]) == ["±5%", "±35%"]
    plans = front.drop(index="current")
    measured = plans.dropna(subset=["revenue_moved"])
    met = measured[measured["meets_tolerance"]]
    assert met["revenue_moved"].is_monotonic_decreasing  # a wider tolerance never moves more
    bound = met["revenue_bound"].dropna()  # a plan within the tolerance moves at least its bound
    assert (bound <= met.loc[bound.index, "revenue_moved"] + 1e-6).all()
    # a recommended plan that says it meets ±5% does, measured by the review from the accounts
    if bool(front.loc["±5%", "meets_tolerance"]):
        assert summary["potential_deviation"].abs().max() <= 0.05 + 1e-9
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
