"""Mid-year scenarios benchmark (issue 14): a rep leaves and their territory is split, on the bundled sample.

The alignment in force is the realignment's recommended plan (the least-disruption plan within ±5% potential
and ±10% call hours, as notebook 60 recommends it; computed once and kept in
``benchmarks/results/scenarios_in_force/``, or given with ``--in-force DIR``). On it, for reps picked across
the range of workloads (the 10th to the 90th percentile of call hours; or ``--reps``), a rep leaves and
their territory is split (:func:`terrkit.scenarios.rep_leaves`), and the plan is measured from its files:

- the units that change rep: the leaving rep's own, and beyond them (units and the share of the other revenue:
  target at most 5%);
- every territory's call hours against ±10% of its new target (the books as the review counts them);
- the change lists reconcile (:func:`terrkit.realign.check_realignment`);
- seconds (target ≤ 30 s per event).

The other events (a rep joins, goes part-time, a merger) run once each for reference.

Usage::

    .venv/bin/python benchmarks/bench_scenarios.py [--in-force DIR] [--reps R010,R027] [--time-limit 30]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from terrkit import realign, review, scenarios
from terrkit.exceptions import DataWarning
from terrkit.io import load_dataset
from terrkit.realign import least_disruption as ld
from terrkit.review.pipeline import score_accounts_for_review
from terrkit.scenarios import defaults
from terrkit.units import refine_dataset

RESULTS = Path(__file__).resolve().parent / "results"
IN_FORCE = RESULTS / "scenarios_in_force"


def realignment_in_force(dataset) -> Path:
    """The recommended least-disruption plan of the sample (±5% potential, ±10% call hours), written once."""
    if (IN_FORCE / "alignment.csv").exists() and (IN_FORCE / "account_assignments.csv").exists():
        return IN_FORCE
    t0 = time.perf_counter()
    period = review.resolve_period(dataset.periods, "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, period)
    revenue = review.account_activity(dataset.accounts, dataset.sales, period).set_index("account_id")[
        "sales"
    ]
    k = dataset.alignment["territory_id"].nunique()
    layered, _ = refine_dataset(dataset, scores[list(ld.DEFAULT_BALANCE)], k)
    measures = pd.DataFrame({m: scores[m].to_numpy() for m in ld.DEFAULT_BALANCE})
    units = realign.units_for_design(layered.units, layered.accounts, layered.alignment, measures)
    territories = realign.anchored_territories(layered.alignment, layered.reps)
    costs = realign.realignment_costs(layered.accounts, revenue, scores["calls_per_year"], layered.alignment,
                                      layered.reps, units["unit_id"], territories)  # fmt: skip
    plan = ld.least_disruption_plan(units, costs, ld.DEFAULT_BALANCE, time_limit=120)
    proposal = realign.plan_realignment(layered.accounts, layered.sales, layered.reps, layered.alignment,
                                        plan.labels, period, units=layered.units, scores=scores,
                                        rep_map=territories.rep_map())  # fmt: skip
    realign.write_realignment(proposal, IN_FORCE, layered.units["unit_id"])
    print(
        f"alignment in force: the ±5%/±10% least-disruption plan ({plan.status}, "
        f"{plan.moved_revenue / costs.revenue_total:.1%} of revenue moved), "
        f"made in {time.perf_counter() - t0:.0f} s"
    )
    return IN_FORCE


def measure(base, result, seconds: float) -> dict:
    """The figures of one plan, from its files."""
    realign.check_realignment(result.plan, base.alignment["unit_id"])
    compare = result.comparison
    m = result.moved
    return {
        "event": result.event,
        **{k: v for k, v in result.details.items() if k in ("rep_id", "territory_id")},
        "seconds": round(seconds, 1),
        "stage": result.outcome.stage if result.outcome else None,
        "units_of_event": m["event_units"],
        "units_beyond": m["units_beyond"],
        "beyond_share": m["beyond_share"],
        "max_call_hours_deviation": float(compare["call_hours_deviation"].abs().max()),
        "within_band": result.meets_target,
        "reconciled": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--in-force", help="a realignment's deliverables (default: the sample's recommended plan)"
    )
    parser.add_argument("--reps", default="", help="reps who leave, comma-separated (default: picked)")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    dataset = load_dataset(None)
    folder = Path(args.in_force) if args.in_force else realignment_in_force(dataset)
    t0 = time.perf_counter()
    base = scenarios.prepare_baseline(dataset, in_force=folder)
    print(f"baseline ({base.source}) prepared in {time.perf_counter() - t0:.1f} s; band: call_hours ±10%")
    books = defaults._books(base)
    reps = [r.strip() for r in args.reps.split(",") if r.strip()] or [
        defaults._pick(books, q, set()) for q in (0.1, 0.3, 0.5, 0.7, 0.9)
    ]
    rows = []
    for rep in reps:
        t0 = time.perf_counter()
        result = scenarios.rep_leaves(base, rep, time_limit=args.time_limit, seed=args.seed)
        rows.append(measure(base, result, time.perf_counter() - t0))
        print(f"rep-leaves {rep}: {result.summary}")
    others = [
        ("rep-joins", lambda: scenarios.rep_joins(base, home_zip=defaults.joining_home_zip(base),
                                                  rep_id="NEW",
                                                  time_limit=args.time_limit, seed=args.seed)),
        ("capacity", lambda: scenarios.capacity_change(base, defaults.part_time_rep(base), fraction=0.6,
                                                       time_limit=args.time_limit, seed=args.seed)),
        ("reassign", lambda: scenarios.reassign_accounts(base, scenarios.merger(base, *_merger(base)),
                                                         time_limit=args.time_limit, seed=args.seed)),
    ]  # fmt: skip
    for name, run in others:
        t0 = time.perf_counter()
        result = run()
        rows.append(measure(base, result, time.perf_counter() - t0))
        print(f"{name}: {result.summary}")
    table = pd.DataFrame(rows)
    leaves = table[table["event"] == "rep-leaves"]
    ok = (
        (leaves["beyond_share"] <= 0.05).all()
        and (leaves["max_call_hours_deviation"] <= 0.10 + 1e-9).all()
        and (leaves["seconds"] <= 30).all()
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nrep leaves (split): beyond the territory at most {leaves['beyond_share'].max():.2%} of the "
          f"other revenue (target <= 5%), every territory within "
          f"{leaves['max_call_hours_deviation'].max():.2%} of its "
          f"call-hours target (target <= 10%), at most {leaves['seconds'].max():.1f} s (target <= 30 s): "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    table.to_csv(RESULTS / "scenarios.csv", index=False)
    print(f"wrote {RESULTS / 'scenarios.csv'}")
    return 0


def _merger(base) -> tuple[list[str], str]:
    acquired, acquirer = defaults.merger_pair(base)
    return [acquired], acquirer


if __name__ == "__main__":
    sys.exit(main())
