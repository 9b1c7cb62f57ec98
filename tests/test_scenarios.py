"""Mid-year scenarios on small grids: brute force, reconciled change lists, locks, joins and capacity."""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components
from shapely.geometry import box

from terrkit import scenarios
from terrkit.exceptions import ConfigError
from terrkit.geo_adjacency import unit_graph
from terrkit.io.load import Dataset, ValidationSummary
from terrkit.realign import check_realignment
from terrkit.realign.moves import VACANT
from terrkit.review.periods import resolve_period
from terrkit.scenarios.baseline import Baseline

PERIODS = [f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)]


def grid_base(
    hours: np.ndarray, *, reps_at: dict[str, tuple[int, int]], columns: dict[int, str], balance: float = 0.10
) -> Baseline:
    """A grid of 0.5-degree units (``hours`` per unit: one account per unit and its call hours), territories
    by column (``columns``: column -> rep), reps at homes ``reps_at`` (rep -> (row, col))."""
    rows, cols = hours.shape
    ids, cells, terr = [], [], []
    for r in range(rows):
        for c in range(cols):
            ids.append(f"u{r}{c}")
            cells.append(box(-100 + 0.5 * c, 40 + 0.5 * r, -99.5 + 0.5 * c, 40.5 + 0.5 * r))
            terr.append(columns[c])
    units = gpd.GeoDataFrame(
        {"unit_id": ids, "level": "county", "parent_id": None}, geometry=cells, crs="EPSG:4326"
    )
    alignment = pd.DataFrame({"unit_id": ids, "territory_id": [f"T{r[1:]}" for r in terr], "rep_id": terr})
    centre = units.geometry.representative_point()
    reps = pd.DataFrame(
        {
            "rep_id": list(reps_at),
            "name": list(reps_at),
            "home_zip": None,
            "home_lon": [centre[ids.index(f"u{r}{c}")].x for r, c in reps_at.values()],
            "home_lat": [centre[ids.index(f"u{r}{c}")].y for r, c in reps_at.values()],
            "capacity_hours": 1600.0,
            "quota": 1000.0,
        }
    )
    n = len(ids)
    accounts = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "name": [f"acc {i}" for i in range(n)],
            "zip": "00000",
            "unit_id": ids,
            "lat": centre.y.to_numpy(),
            "lon": centre.x.to_numpy(),
            "owner_rep_id": terr,
        }
    )
    revenue = pd.Series(10.0 + np.arange(n), index=accounts["account_id"])
    sales = pd.DataFrame(
        [(a, p, revenue[a] / 4) for a in accounts["account_id"] for p in PERIODS],
        columns=["account_id", "period", "amount"],
    )
    call_hours = hours.ravel().astype(float)
    scores = pd.DataFrame(
        {
            "account_id": accounts["account_id"],
            "segment": "B",
            "potential": 100.0 * call_hours,
            "workload": call_hours,
            "call_hours": call_hours,
            "calls_per_year": np.ones(n),
        }
    )
    dataset = Dataset(accounts, sales, reps, alignment, units, Path("."), ValidationSummary())
    measures = pd.DataFrame(
        {"potential": scores["potential"], "call_hours": call_hours, "sales": revenue.to_numpy()}
    )
    adjacency, xy, _ = unit_graph(units)
    return Baseline(
        dataset=dataset,
        units=units.assign(
            potential=measures["potential"].to_numpy(), call_hours=call_hours, sales=revenue.to_numpy()
        ),
        account_measures=measures,
        scores=scores,
        revenue=revenue,
        calls=np.ones(n),
        period=resolve_period(PERIODS, ""),
        balance={"call_hours": balance},
        adjacency=adjacency.tocsr(),
        xy=xy,
        source="grid",
    )


def _components(base: Baseline, labels: pd.Series) -> pd.Series:
    """Pieces per territory of a plan (unit id -> territory)."""
    ids = list(base.unit_ids)
    out = {}
    adj = base.adjacency.toarray()
    for t in labels.unique():
        members = [ids.index(u) for u in labels.index[labels == t]]
        out[t] = connected_components(adj[np.ix_(members, members)], directed=False)[0]
    return pd.Series(out)


def _three_columns(hours: np.ndarray, balance: float = 0.10) -> Baseline:
    return grid_base(
        hours, reps_at={"R1": (1, 0), "R2": (1, 1), "R3": (1, 2)}, columns={0: "R1", 1: "R2", 2: "R3"},
        balance=balance,
    )  # fmt: skip


def _brute_force(base: Baseline, free: list[str], plan: dict) -> tuple[float, float]:
    """Least cost of every assignment of ``free`` units to the remaining territories (the others fixed),
    contiguous, homes kept, every territory within its band, and the cost of ``plan``; costs as the
    engine's."""
    from terrkit.realign.least_disruption import anchored_territories
    from terrkit.scenarios.problem import event_problem

    remaining = base.alignment[base.alignment["rep_id"] != "R2"]
    territories = anchored_territories(remaining, base.reps)
    ep, _ = event_problem(
        base, territories, owners=base.accounts["owner_rep_id"].where(base.accounts["owner_rep_id"] != "R2"),
        stage0=np.zeros((len(base.unit_ids), territories.k), dtype=bool), core=[],
    )  # fmt: skip
    ids = list(base.unit_ids)
    fixed = ep.current.copy()
    rows = [ids.index(u) for u in free]
    best = np.inf
    for combo in itertools.product(range(territories.k), repeat=len(rows)):
        lab = fixed.copy()
        lab[rows] = combo
        if (lab < 0).any() or (np.where(ep.locks >= 0, lab != ep.locks, False)).any():
            continue
        totals = ep.totals(lab)
        if not ep.bands.within(totals).all():
            continue
        labels = pd.Series(np.asarray(territories.ids)[lab], index=ids)
        if (_components(base, labels) > 1).any():
            continue
        best = min(best, ep.cost[np.arange(len(ids)), lab].sum())
    got = pd.Index(territories.ids).get_indexer([plan[u] for u in ids])
    return best, ep.cost[np.arange(len(ids)), got].sum()


def test_a_leaving_reps_split_moves_exactly_what_brute_force_moves():
    hours = np.array([[4, 3, 4], [5, 2, 4], [4, 3, 4]])
    base = _three_columns(hours, balance=0.25)
    result = scenarios.rep_leaves(base, "R2", time_limit=20)
    assert result.outcome.status == "optimal" and result.outcome.stage == 0
    own = ["u01", "u11", "u21"]
    got = result.plan.alignment.set_index("unit_id")["territory_id"].to_dict()
    best, cost = _brute_force(base, own, got)
    assert cost == pytest.approx(best, rel=1e-9)
    # only the leaving rep's units change territory
    before = base.territory_of_unit()
    assert {u for u, t in got.items() if before[u] != t} == set(own)
    assert result.moved["units_beyond"] == 0 and result.moved["revenue_beyond"] == 0.0


def test_when_stage_0_cannot_meet_the_bands_the_neighbours_shift_as_brute_force_says():
    # every territory within ±10% before; the leaving rep's units (1, 1, 8 hours) cannot be split so that
    # both neighbours land in their band: their own units have to shift too
    hours = np.array([[4, 1, 4], [4, 1, 3], [4, 8, 4]])
    base = _three_columns(hours, balance=0.10)
    result = scenarios.rep_leaves(base, "R2", time_limit=30)
    assert result.meets_target and result.outcome.stage >= 1
    assert "stage 0" in result.outcome.tried[0] and "optimal" not in result.outcome.tried[0]
    got = result.plan.alignment.set_index("unit_id")["territory_id"].to_dict()
    best, cost = _brute_force(base, list(base.unit_ids), got)
    assert cost == pytest.approx(best, rel=1e-9)  # the least cost of every plan within the bands
    assert result.moved["units_beyond"] > 0


def test_the_change_lists_reconcile_and_are_written(tmp_path):
    hours = np.array([[4, 3, 4], [5, 2, 4], [4, 3, 4]])
    base = _three_columns(hours, balance=0.25)
    result = scenarios.rep_leaves(base, "R2", time_limit=20)
    plan = result.plan
    check_realignment(plan, base.alignment["unit_id"])
    asg = plan.assignments
    differ = asg[asg["old_rep_id"].fillna(VACANT) != asg["new_rep_id"].fillna(VACANT)]
    assert set(differ["account_id"]) == set(plan.changes["account_id"])
    assert plan.movement["revenue_gained"].sum() == pytest.approx(plan.changes["revenue"].sum())
    assert plan.movement["net_revenue"].sum() == pytest.approx(0.0)
    assert plan.movement.loc["R2", "revenue_after"] == 0.0
    paths = scenarios.write_scenario(result, tmp_path, base)
    assert set(paths) >= {"alignment.csv", "account_assignments.csv", "changes.csv", "rep_movement.csv",
                          "territory_summary.csv", "scenario_comparison.csv", "scenario.json"}  # fmt: skip
    written = pd.read_csv(tmp_path / "changes.csv")
    assert set(written["account_id"]) == set(plan.changes["account_id"])


def test_locks_and_named_account_exceptions_hold():
    hours = np.array([[4, 3, 4], [5, 2, 4], [4, 3, 4]])
    base = _three_columns(hours, balance=0.25)
    # a named-account exception: the account of u20 is owned by R3 although its unit is R1's
    accounts = base.accounts.copy()
    accounts.loc[accounts["unit_id"] == "u20", "owner_rep_id"] = "R3"
    base.dataset.accounts = accounts
    result = scenarios.rep_leaves(base, "R2", locks={"u01": "T3"}, time_limit=20)
    align = result.plan.alignment.set_index("unit_id")
    assert align.loc["u01", "territory_id"] == "T3"
    asg = result.plan.assignments.set_index("account_id")
    exception = accounts.loc[accounts["unit_id"] == "u20", "account_id"].iloc[0]
    assert asg.loc[exception, "new_rep_id"] == "R3"
    with pytest.raises(ConfigError, match="whose rep R2 leaves"):
        scenarios.rep_leaves(base, "R2", locks={"u00": "T2"})


def test_a_vacancy_is_held_and_its_accounts_covered_by_the_nearest_neighbour():
    base = _three_columns(np.array([[4, 3, 4], [5, 2, 4], [4, 3, 4]]))
    result = scenarios.rep_leaves(base, "R2", mode="hold")
    assert (
        result.plan.alignment["territory_id"].to_numpy() == base.alignment["territory_id"].to_numpy()
    ).all()
    coverage = result.extra["coverage.csv"]
    own = base.accounts.loc[base.accounts["owner_rep_id"] == "R2", "account_id"]
    assert set(coverage["account_id"]) == set(own)
    assert set(coverage["covering_rep_id"]) <= {"R1", "R3"}
    assert result.plan.changes["to_rep_id"].isna().all()


def test_a_joining_reps_territory_is_contiguous_and_within_tolerance():
    hours = np.full((4, 4), 3)
    base = grid_base(
        hours, reps_at={"R1": (1, 0), "R2": (2, 3)}, columns={0: "R1", 1: "R1", 2: "R2", 3: "R2"}, balance=0.2
    )
    home = tuple(base.units.geometry.representative_point().iloc[list(base.unit_ids).index("u31")].coords[0])
    result = scenarios.rep_joins(base, home, rep_id="R9", time_limit=20)
    labels = result.plan.alignment.set_index("unit_id")["territory_id"]
    assert result.meets_target and (labels == result.details["territory_id"]).sum() > 0
    assert (_components(base, labels) == 1).all()
    compare = result.comparison
    assert compare["call_hours_deviation"].abs().max() <= 0.2 + 1e-9
    assert labels["u31"] == result.details["territory_id"]  # built around the home
    assert (
        result.plan.alignment.set_index("territory_id").loc[result.details["territory_id"], "rep_id"].iloc[0]
        == "R9"
    )


def test_a_part_time_rep_gets_a_proportionally_smaller_load():
    hours = np.full((3, 3), 4)
    base = _three_columns(hours, balance=0.2)
    result = scenarios.capacity_change(base, "R2", fraction=0.5, time_limit=20)
    assert result.meets_target
    after = result.comparison["call_hours_after"]
    assert after["T2"] < result.comparison.loc["T2", "call_hours_before"]
    target = 0.5 * hours.sum() / 2.5
    assert after["T2"] == pytest.approx(target, rel=0.15)
    assert after[["T1", "T3"]].mean() == pytest.approx(2 * after["T2"], rel=0.35)
    with pytest.raises(ConfigError, match="use rep-leaves"):
        scenarios.capacity_change(base, "R2", fraction=0.0)


def test_a_merger_moves_the_account_and_counts_its_work_with_the_acquirer():
    hours = np.array([[4, 4, 4], [4, 4, 4], [4, 4, 4]])
    base = _three_columns(hours, balance=0.4)
    given = scenarios.merger(base, ["a0"], "a2")  # a0 (R1's) is acquired by a2 (R3's)
    assert given == {"a0": "R3"}
    result = scenarios.reassign_accounts(base, given, time_limit=10)
    assert result.plan.changes["account_id"].tolist() == ["a0"]
    assert result.plan.assignments.set_index("account_id").loc["a0", "new_rep_id"] == "R3"
    compare = result.comparison
    assert compare.loc["T3", "call_hours_after"] == compare.loc["T3", "call_hours_before"] + 4
    assert result.moved["units_beyond"] == 0 and result.outcome.stage == 0


def test_the_command_line_plans_an_event_on_a_generated_company(small_company_dir, tmp_path):
    from terrkit.scenarios import cli

    parser = argparse.ArgumentParser(prog="terrkit")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["scenario", "rep-leaves", str(small_company_dir), "--mode", "hold", "--out", str(tmp_path / "out")]
    )
    assert cli.run(args) == 0
    assert (tmp_path / "out" / "coverage.csv").exists() and (tmp_path / "out" / "changes.csv").exists()
    args = parser.parse_args(["scenario", "capacity", str(small_company_dir), "--out", str(tmp_path / "x")])
    with pytest.raises(ConfigError, match="--fraction"):
        cli.run(args)


@pytest.mark.slow
def test_an_event_on_an_imported_company_writes_every_unit_of_the_layer(imported_company_dir, tmp_path):
    """Counties without accounts have no territory in an import; the event's plan assigns them, and its files
    are checked against the unit layer, not against the units that had a territory before."""
    from terrkit.cli import main
    from terrkit.realign import VACANT

    out = tmp_path / "joins"
    code = main(["scenario", "rep-joins", str(imported_company_dir), "--out", str(out), "--time-limit", "10"])
    assert code == 0
    current = pd.read_csv(imported_company_dir / "current_alignment.csv", dtype=str)
    alignment = pd.read_csv(out / "alignment.csv", dtype=str)
    assert alignment["unit_id"].is_unique and alignment["territory_id"].notna().all()
    counties = set(alignment.loc[alignment["level"] == "county", "unit_id"]) | set(
        alignment.loc[alignment["level"] != "county", "parent_id"]
    )
    assert set(current["unit_id"]) < counties  # more units than had a territory today, every one placed
    asg = pd.read_csv(out / "account_assignments.csv", dtype=str)
    changes = pd.read_csv(out / "changes.csv", dtype=str)
    moved = asg[asg["old_rep_id"].fillna(VACANT) != asg["new_rep_id"].fillna(VACANT)]
    assert set(moved["account_id"]) == set(changes["account_id"])
