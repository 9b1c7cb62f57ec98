"""OR-Library p-median (pmed1..pmed40): terrkit's exact radius model vs pysal spopt's PMedian, same solver.

Usage::

    python benchmarks/bench_pmed.py [--instances pmed1 pmed2 ...] [--time-limit 60] [--solver highs]
                                    [--no-spopt]

Prints one row per instance (value, known optimum, status, seconds, spopt value and seconds) and the
totals; writes benchmarks/results/pmed.csv. spopt (``pip install spopt``) is only needed for the comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _orlib import read_pmed, read_pmed_optima, shared_benchmarks  # noqa: E402

from terrkit.design.exact.solvers import make_solver  # noqa: E402
from terrkit.design.problem.definition import TerritoryDesignProblem  # noqa: E402


def run_spopt(dist: np.ndarray, p: int, solver: str, time_limit: float) -> tuple[float | None, float]:
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(dist, np.ones(len(dist)), p_facilities=p)
    try:
        model.solve(make_solver(solver, time_limit=time_limit), results=False)
    except RuntimeError:  # spopt raises when the solver stops without a solution (time limit)
        return None, time.perf_counter() - t0
    value = model.problem.objective.value() if model.problem.objective is not None else None
    return (None if value is None else float(value)), time.perf_counter() - t0


def run_sf_stores(solver: str) -> None:
    """San Francisco: 205 tracts, 16 candidate stores, p=4 (known mean weighted distance 2982.12685799)."""
    path = shared_benchmarks() / "sf_stores" / "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
    if not path.exists():
        print(f"San Francisco stores not found at {path.parent}")
        return
    d = pd.read_csv(path)
    cost = d.pivot(index="DestinationName", columns="name", values="distance")
    demand = d.drop_duplicates("DestinationName").set_index("DestinationName")["demand"].reindex(cost.index)
    t0 = time.perf_counter()
    res = TerritoryDesignProblem.from_arrays(
        cost.index.astype(str), 4, cost=cost, weight=demand.to_numpy(float)
    ).solve(solver=solver)
    print(
        f"sf_stores: mean weighted distance {res.objective / demand.sum():.10f} (known 2982.1268579890657), "
        f"stores {sorted(res.centers)}, {res.status}, {time.perf_counter() - t0:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=[f"pmed{i}" for i in range(1, 41)])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--solver", default="highs")
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument(
        "--spopt-max-n",
        type=int,
        default=10_000,
        help="run spopt only on instances with at most this many vertices (its n*n model takes minutes to "
        "build through PuLP before the solver's time limit even starts)",
    )
    args = parser.parse_args(argv)
    folder = shared_benchmarks() / "orlib_pmed"
    if not folder.is_dir():
        print(f"instances not found at {folder}; set TERRKIT_SHARED_BENCHMARKS")
        return 1
    optima = read_pmed_optima(folder)
    spopt_ok = not args.no_spopt
    if spopt_ok:
        try:
            import spopt  # noqa: F401
        except ImportError:
            print("spopt is not installed: comparison skipped (pip install spopt)")
            spopt_ok = False
    rows = []
    head = f"{'instance':<9}{'n':>5}{'p':>5}{'optimum':>9}{'terrkit':>9}{'status':>10}{'seconds':>9}"
    head += f"{'spopt':>9}{'spopt s':>9}" if spopt_ok else ""
    print(head, flush=True)
    for name in args.instances:
        dist, p = read_pmed(folder / f"{name}.txt")
        n = len(dist)
        t0 = time.perf_counter()
        res = TerritoryDesignProblem.from_arrays(np.arange(1, n + 1), p, cost=dist).solve(
            solver=args.solver, time_limit=args.time_limit
        )
        secs = time.perf_counter() - t0
        row = dict(
            instance=name,
            n=n,
            p=p,
            optimum=optima.get(name),
            terrkit=res.objective,
            status=res.status,
            bound=res.bound,
            seconds=secs,
            method=res.method,
        )
        line = f"{name:<9}{n:>5}{p:>5}{optima.get(name, float('nan')):>9.0f}{res.objective:>9.0f}"
        line += f"{res.status:>10}{secs:>9.1f}"
        if spopt_ok and n <= args.spopt_max_n:
            sv, ss = run_spopt(dist, p, args.solver, args.time_limit)
            row.update(spopt=sv, spopt_seconds=ss)
            line += f"{(sv if sv is not None else float('nan')):>9.0f}{ss:>9.1f}"
        print(line, flush=True)
        rows.append(row)
    df = pd.DataFrame(rows)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    df.to_csv(out / "pmed.csv", index=False)
    hit = int((np.isclose(df["terrkit"], df["optimum"])).sum())
    proven = int((df["status"] == "optimal").sum())
    print(
        f"\nterrkit: known optimum reached on {hit}/{len(df)}, proven optimal {proven}/{len(df)}, "
        f"total {df['seconds'].sum():.1f} s"
    )
    if spopt_ok and "spopt_seconds" in df:
        both = df[df["spopt_seconds"].notna()]
        shit = int(np.isclose(both["spopt"].astype(float), both["optimum"]).sum())  # NaN never matches
        print(
            f"on the {len(both)} instances run by both: spopt PMedian ({args.solver}) reached the known "
            f"optimum on {shit}/{len(both)} in {both['spopt_seconds'].sum():.1f} s total; terrkit on "
            f"{int(np.isclose(both['terrkit'], both['optimum']).sum())}/{len(both)} in "
            f"{both['seconds'].sum():.1f} s"
        )
    run_sf_stores(args.solver)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
