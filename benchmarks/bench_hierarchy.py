"""Sales hierarchy benchmark (issue 14): 4 regions > 12 districts > 49 territories on the bundled sample.

On the sample's mixed unit layer (as the design notebook builds it):

1. **top-down** (:func:`terrkit.hierarchy.design_hierarchy`): regions, then districts, then territories, each
   level within its tolerances (territories ±5% potential and ±10% call hours; regions ±3%/±6%, districts
   ±4%/±8%), timed (target: every level within its tolerance in ≤ 3 minutes);
2. every level measured from the plan, independently of the engine: each node against
   ``territories x total / 49 x (1 ± tolerance)``, the nesting invariants (every territory in one district,
   every district in one region) and the roll-up of the review's KPIs (level totals = sums of children);
3. **what nesting costs**: the flat design of 49 territories with the same balance and weight, both plans'
   objective (call-hour-weighted km to each territory's best center) measured the same way;
4. **bottom-up**: the sample's current territories grouped into districts and regions (timed).

Usage::

    .venv/bin/python benchmarks/bench_hierarchy.py [--time-limit 150] [--flat-time-limit 60] [--seed 0]

Writes ``benchmarks/results/hierarchy_alignment.csv`` (unit, territory, rep, district, region),
``hierarchy_levels.csv`` (the roll-up) and ``hierarchy_map.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from terrkit import hierarchy, realign, review  # noqa: E402
from terrkit.exceptions import DataWarning  # noqa: E402
from terrkit.io import load_dataset  # noqa: E402
from terrkit.review.pipeline import review_alignment, score_accounts_for_review  # noqa: E402
from terrkit.units import refine_dataset  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BALANCE = {"potential": 0.05, "call_hours": 0.10}
LEVELS = "region=4,district=12"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=150.0)
    parser.add_argument("--flat-time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)

    t0 = time.perf_counter()
    dataset = load_dataset(None)
    period = review.resolve_period(dataset.periods, "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, period)
    k = dataset.alignment["territory_id"].nunique()
    layered, layer = refine_dataset(dataset, scores[list(BALANCE)], k)
    measures = pd.DataFrame({m: scores[m].to_numpy() for m in BALANCE})
    units = realign.units_for_design(layered.units, layered.accounts, layered.alignment, measures)
    print(f"sample: {len(dataset.accounts):,} accounts, {len(dataset.reps)} reps, {k} territories; "
          f"{len(units):,} units; prepared in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    # 1-2. top-down, measured
    t0 = time.perf_counter()
    plan = hierarchy.design_hierarchy(
        units, LEVELS, k, balance=BALANCE, time_limit=args.time_limit, seed=args.seed
    )
    top_down = time.perf_counter() - t0
    labels = plan.labels
    one_district = bool((labels.groupby("territory_id")["district_id"].nunique() == 1).all())
    one_region = bool((labels.groupby("district_id")["region_id"].nunique() == 1).all())
    print(f"\n== top-down {LEVELS} > {k} territories: {top_down:.1f} s (target <= 180 s); every level "
          f"within its "
          f"tolerance: {plan.within}; every territory in one district: {one_district}; every district in one "
          f"region: {one_region}")  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(plan.summary().to_string(float_format=lambda v: f"{v:.4f}"))

    # roll-up of the review's KPIs, reps by the most revenue kept (as the realignment assigns them)
    revenue = review.account_activity(dataset.accounts, dataset.sales, period).set_index("account_id")[
        "sales"
    ]
    proposed = labels["territory_id"]
    rep_map = realign.assign_reps(proposed, layered.accounts, revenue, layered.alignment, layered.reps)
    alignment = realign.proposal_alignment(proposed, rep_map)
    by_territory = labels.reset_index().drop_duplicates("territory_id").set_index("territory_id")
    rep_map["district_id"] = rep_map["proposal"].map(by_territory["district_id"])
    rep_map["region_id"] = rep_map["proposal"].map(by_territory["region_id"])
    tree_cols = rep_map.set_index("territory_id")[["district_id", "region_id"]]
    alignment = alignment.join(tree_cols, on="territory_id")
    credited = layered.accounts.assign(
        owner_rep_id=realign.account_assignments(layered.accounts, alignment, layered.alignment)["new_rep_id"]
    )
    kpis = review_alignment(credited, dataset.sales, layered.reps, alignment, period, scores=scores,
                            coverage=False, shapes=False)  # fmt: skip
    tree = hierarchy.Hierarchy.from_alignment(alignment)
    tables = hierarchy.rollup(kpis.territories, tree)
    adds_up = all(
        np.allclose(
            tables[child][col].groupby(tree.parent_of(child).reindex(tables[child].index).to_numpy()).sum(),
            tables[parent][col].sort_index(),
        )
        for child, parent in (("territory", "district"), ("district", "region"))
        for col in ("accounts", "sales", "potential", "workload_hours", "quota", "capacity_hours")
    )
    print(f"roll-up: level totals equal the sums of their children: {adds_up}")
    print(tables["region"][["territories", "children", "accounts", "sales", "potential", "workload_hours",
                            "attainment", "potential_deviation", "flagged_children"]].to_string(
        float_format=lambda v: f"{v:,.3f}"))  # fmt: skip

    # 3. what nesting costs
    problem = hierarchy.flat_problem(units, k, BALANCE)
    t0 = time.perf_counter()
    flat = problem.solve(time_limit=args.flat_time_limit, seed=args.seed)
    flat_s = time.perf_counter() - t0
    cost = hierarchy.nesting_cost(problem, plan, flat.labels)
    hours = float(units["call_hours"].sum())
    print(f"\n== nesting cost: flat {k} territories ({flat.status}, {flat_s:.1f} s, max deviation "
          f"{', '.join(f'{m} {v:.1%}' for m, v in flat.max_deviation.items())}) "
          f"objective {cost['flat']:,.0f} "
          f"({cost['flat'] / hours:.1f} km per call hour); nested {cost['nested']:,.0f} "
          f"({cost['nested'] / hours:.1f} km per call hour): nesting costs {cost['extra']:+.1%}")  # fmt: skip

    # 4. bottom-up from the current territories
    t0 = time.perf_counter()
    current = units.set_index("unit_id")["territory_id"]
    grouped = hierarchy.group_territories(
        units, current, LEVELS, balance=BALANCE, time_limit=30, seed=args.seed
    )
    print(f"\n== bottom-up: the {k} current territories grouped in {time.perf_counter() - t0:.1f} s")
    print(grouped.summary().to_string(float_format=lambda v: f"{v:.4f}"))

    alignment.to_csv(RESULTS / "hierarchy_alignment.csv", index=False)
    pd.concat({lv: t.reset_index(names="id") for lv, t in tables.items()}, names=["level"]).to_csv(
        RESULTS / "hierarchy_levels.csv"
    )
    fig = hierarchy.hierarchy_map(
        layered.units, labels, ["region", "district"], title="4 regions > 12 districts > 49 territories"
    )
    fig.savefig(RESULTS / "hierarchy_map.png", dpi=110)
    print(f"\nwrote {RESULTS / 'hierarchy_alignment.csv'}, hierarchy_levels.csv, hierarchy_map.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
