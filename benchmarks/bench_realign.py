"""Realignment benchmark (issue 11): the least-disruption front on the bundled sample and a generated company.

For each dataset: build the mixed unit layer (timed), then one rep-anchored least-disruption plan per balance
tolerance (the notebook's defaults), each measured **independently of the engine**:

- balance per measure, from the accounts' potential and call hours summed by the plan's territories;
- every unit exactly once, and contiguity from the review's coverage checks on the layer's graph;
- call-weighted travel from the reps' homes, revenue moved and customers who keep their rep
  (:func:`terrkit.realign.tradeoff.evaluate_plan`), with the engine's lower bound on the revenue to move;
- the least travel any plan within the tolerance can have around today's homes (the transportation LP
  without contiguity), which says whether "travel no longer than today" is possible at all.

Usage::

    .venv/bin/python benchmarks/bench_realign.py [--datasets sample,seed31] [--tolerances 0.05,0.1,0.2,0.35]
        [--time-limit 120] [--seed 0]

``seedN`` is ``terrkit sample --accounts 12000 --seed N`` (generated into a temporary folder); the issue's
datasets are ``sample`` and ``seed31``. The engine's settings were tuned on the sample only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from terrkit import realign, review
from terrkit.cli import main as cli_main
from terrkit.design.heuristic.seeding import allowed_pairs
from terrkit.design.heuristic.transport_lp import solve_transport_lp
from terrkit.exceptions import DataWarning
from terrkit.io import load_dataset
from terrkit.realign import least_disruption as ld
from terrkit.review.pipeline import score_accounts_for_review
from terrkit.units import refine_dataset

RESULTS = Path(__file__).resolve().parent / "results"
BALANCE = dict(ld.DEFAULT_BALANCE)


def _dataset(name: str, tmp: Path):
    if name == "sample":
        return load_dataset(None)
    if name.startswith("seed") and name[4:].isdigit():
        folder = tmp / name
        if cli_main(["sample", "--accounts", "12000", "--seed", name[4:], "--out", str(folder)]) != 0:
            raise SystemExit("terrkit sample failed")
        return load_dataset(folder)
    raise SystemExit(
        f"unknown dataset {name!r}; valid: sample, seedN (terrkit sample --accounts 12000 --seed N)"
    )


def _least_travel(units, costs, balance) -> float:
    """Least call-weighted km of any plan within ``balance`` around the homes (LP, no contiguity)."""
    problem = ld.build_problem(units, costs, balance=balance, contiguous=False)
    d = problem.data
    i, t = np.nonzero(allowed_pairs(d))
    res = solve_transport_lp(
        i, t, costs.travel[i, t], d.n, d.k, np.asarray(d.measures).reshape(d.n, -1), d.lower, d.upper,
        soft=False,
    )  # fmt: skip
    return res.objective / costs.calls_total if res.status == "optimal" else float("nan")


def _independent_balance(labels: pd.Series, accounts: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    """Largest deviation from the mean territory per measure, from the accounts (not the engine)."""
    territory = accounts["unit_id"].astype(str).map(labels)
    out = {}
    for m in BALANCE:
        totals = scores[m].groupby(territory.to_numpy()).sum()
        out[m] = float((totals / totals.mean() - 1).abs().max())
    return out


def realignment_case(name: str, tmp: Path) -> SimpleNamespace:
    """Everything a least-disruption front of dataset ``name`` needs: scores, revenue, the mixed unit layer
    (timed), the design units, the reps' territories and the realignment costs."""
    dataset = _dataset(name, tmp)
    period = review.resolve_period(dataset.periods, "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, period)
    revenue = review.account_activity(dataset.accounts, dataset.sales, period).set_index("account_id")[
        "sales"
    ]
    k = dataset.alignment["territory_id"].nunique()
    t0 = time.perf_counter()
    layered, layer = refine_dataset(dataset, scores[list(BALANCE)], k)
    layer_s = time.perf_counter() - t0
    measures = pd.DataFrame({m: scores[m].to_numpy() for m in BALANCE})
    units = realign.units_for_design(layered.units, layered.accounts, layered.alignment, measures)
    territories = realign.anchored_territories(layered.alignment, layered.reps)
    costs = realign.realignment_costs(layered.accounts, revenue, scores["calls_per_year"], layered.alignment,
                                      layered.reps, units["unit_id"], territories)  # fmt: skip
    return SimpleNamespace(
        dataset=dataset, scores=scores, revenue=revenue, k=k, layered=layered, layer=layer, layer_s=layer_s,
        units=units, territories=territories, costs=costs,
    )  # fmt: skip


def front(case: SimpleNamespace, tolerances: list[float], **solve) -> realign.FrontResult:
    """The least-disruption front of ``case`` at ``tolerances`` (``solve``: time_limit, seed)."""
    layered = case.layered
    return realign.least_disruption_front(
        case.units, layered.accounts, case.revenue, layered.alignment, layered.reps, tolerances,
        design=realign.least_disruption_design(case.costs), balance=BALANCE,
        rep_map=case.territories.rep_map(), account_weight=case.scores["calls_per_year"], **solve,
    )  # fmt: skip


def run(name: str, tolerances: list[float], time_limit: float, seed: int, tmp: Path) -> pd.DataFrame:
    case = realignment_case(name, tmp)
    dataset, scores, layered, units, costs = case.dataset, case.scores, case.layered, case.units, case.costs
    territories, layer_s = case.territories, case.layer_s
    print(f"\n== {name}: {len(dataset.accounts):,} accounts, {case.k} reps; layer in {layer_s:.1f} s: "
          + "; ".join(case.layer.lines()))  # fmt: skip
    result = front(case, tolerances, time_limit=time_limit, seed=seed)
    adjacency = review.unit_adjacency_with_islands(layered.units)
    rows = []
    for plan, row in result.table.iterrows():
        labels = result.proposals.get(plan)
        rec = {"dataset": name, "plan": plan, "status": row["status"], "seconds": row["seconds"]}
        if labels is not None:
            alignment = pd.DataFrame({"unit_id": labels.index, "territory_id": labels.to_numpy()})
            alignment["rep_id"] = alignment["territory_id"].map(
                territories.rep_map().set_index("territory_id")["rep_id"]
            )
            issues = review.coverage_checks(alignment, units=layered.units, adjacency=adjacency)
            kinds = issues["kind"].value_counts()
            rec.update(
                {f"dev_{m}": v for m, v in _independent_balance(labels, layered.accounts, scores).items()}
            )
            rec.update(
                units_once=bool(labels.index.is_unique and set(labels.index) == set(units["unit_id"])),
                pieces_cut_off=int(kinds.get("territory_not_contiguous", 0)),
                travel_km=row["travel_km"], revenue_moved=row["revenue_moved"],
                revenue_moved_share=row["revenue_moved_share"],
                revenue_bound=row["revenue_bound"], customers=row["customers"],
                customers_kept=row["customers_kept"], meets_tolerance=bool(row["meets_tolerance"]),
                kept_from=row.get("kept_from", ""),
            )  # fmt: skip
        if plan != "current":
            rec["least_travel_km"] = _least_travel(
                units, costs, realign.scaled_balance(BALANCE, row["tolerance"])
            )
        rows.append(rec)
    table = pd.DataFrame(rows)
    plans = table[table["plan"] != "current"]
    moved = plans.loc[plans["meets_tolerance"].fillna(False).astype(bool), "revenue_moved"]
    target = min(tolerances)
    plan, meets = realign.recommend_plan(result.table, target)
    table["recommended"] = table["plan"] == plan
    print(
        f"layer: {layer_s:.1f} s (target <= 10 s); front of the plans that meet their tolerance monotone: "
        f"{bool(moved.is_monotonic_decreasing)}; recommended {plan} (meets the ±{target:.0%} target: {meets})"
    )
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.drop(columns=["dataset"]).to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="sample,seed31")
    parser.add_argument("--tolerances", default="0.05,0.1,0.2,0.35")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    tolerances = realign.parse_tolerances(args.tolerances)
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tables = [
            run(n.strip(), tolerances, args.time_limit, args.seed, Path(tmp))
            for n in args.datasets.split(",")
        ]
    out = pd.concat(tables, ignore_index=True)
    out.to_csv(RESULTS / "realign_front.csv", index=False)
    print(f"\nwrote {RESULTS / 'realign_front.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
