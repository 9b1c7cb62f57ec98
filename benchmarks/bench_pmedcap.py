"""Capacitated p-median (Osman & Christofides, 20 instances) through ``capacity``: reach the known optima.

Usage::

    python benchmarks/bench_pmedcap.py [--instances pmedcap1_1 ...] [--time-limit 60] [--solver highs]

Distances are floor(Euclidean); the objective is the unweighted sum of distances; each center's
capacity bounds the demand it serves. Prints a table and totals; writes benchmarks/results/pmedcap.csv.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _orlib import read_pmedcap, shared_benchmarks  # noqa: E402

from terrkit.design.problem.definition import TerritoryDesignProblem  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=[f"pmedcap1_{i}" for i in range(1, 21)])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--solver", default="highs")
    args = parser.parse_args(argv)
    folder = shared_benchmarks() / "orlib_pmedcap"
    if not folder.is_dir():
        print(f"instances not found at {folder}; set TERRKIT_SHARED_BENCHMARKS")
        return 1
    rows = []
    print(
        f"{'instance':<12}{'n':>5}{'p':>4}{'known':>8}{'terrkit':>9}{'bound':>9}{'status':>10}{'seconds':>9}",
        flush=True,
    )
    for name in args.instances:
        ids, xy, demand, p, cap, best = read_pmedcap(folder / f"{name}.txt")
        dist = np.floor(np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]))
        t0 = time.perf_counter()
        res = TerritoryDesignProblem.from_arrays(
            ids, p, cost=dist, measures={"demand": demand}, capacity={"demand": cap}
        ).solve(solver=args.solver, time_limit=args.time_limit)
        secs = time.perf_counter() - t0
        assert (res.territory_totals["demand"] <= cap + 1e-9).all()
        rows.append(
            dict(
                instance=name,
                n=len(ids),
                p=p,
                known=best,
                terrkit=res.objective,
                bound=res.bound,
                status=res.status,
                seconds=secs,
            )
        )
        bound = float("nan") if res.bound is None else res.bound
        print(
            f"{name:<12}{len(ids):>5}{p:>4}{best:>8.0f}{res.objective:>9.0f}{bound:>9.1f}{res.status:>10}"
            f"{secs:>9.1f}",
            flush=True,
        )
    df = pd.DataFrame(rows)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    df.to_csv(out / "pmedcap.csv", index=False)
    hit = int(np.isclose(df["terrkit"], df["known"]).sum())
    print(
        f"\nknown optimum reached on {hit}/{len(df)}, "
        f"proven optimal {(df['status'] == 'optimal').sum()}/{len(df)}, "
        f"total {df['seconds'].sum():.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
