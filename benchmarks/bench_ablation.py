"""Ablation of the heuristic's repair operators: what each one pays, in feasibility, objective and time.

Every run switches one operator off (``solve_heuristic(skip=...)``, see
``terrkit.design.heuristic.search.OPERATORS``) and designs the same instances with the same work budget as the
full engine. Instances: the county surfaces of ``bench_counties.py`` (3,108 counties, 50 territories, ±2%,
contiguous) for the given seeds, optionally the ZIP instance of ``bench_zip.py``, and optionally the
realignment instances of ``bench_realign.py`` (``--realign sample,seed31``: the rep-anchored
least-disruption plans at the given tolerances, with today's alignment as the start, each with its own work
budget). A surface the pre-solve check proves infeasible is left out (no operator can change that).

For every configuration it prints: instances met (balanced and contiguous), the mean ratio of the score to
the full engine's on the instances both met (the weighted distance for a design; the objective, call-weighted
travel plus the move penalty, for a realignment), and the total seconds. An operator pays when switching it
off loses instances, raises the score or (without loss) costs time. Designing in regions applies from 400
territories, which none of these instances has, so ``all`` leaves it out: its ablation is
``bench_zip.py --k 1000 --skip regions`` (``benchmarks/README.md``, "1,000 territories in regions").

Tune on seeds 0-9 only; report on seeds 10-29, looked at once the code is frozen.

Usage::

    python benchmarks/bench_ablation.py [--seeds 0-1] [--surfaces zip_density,metro,regional,area_workload]
        [--operators all] [--zip] [--time-limit 120] [--work 48e6]
        [--realign sample,seed31] [--tolerances 0.05,0.1]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _design import balanced_contiguous_data  # noqa: E402
from bench_counties import county_graph, parse_seeds  # noqa: E402
from potential_surfaces import county_surfaces, weighted_centroid_distance  # noqa: E402

from terrkit.design.checks.feasibility import feasibility_issues  # noqa: E402
from terrkit.design.heuristic.search import OPERATORS, solve_heuristic  # noqa: E402
from terrkit.design.problem.contiguity import count_fragments  # noqa: E402
from terrkit.design.problem.definition import Balance  # noqa: E402


def instances(seeds, surfaces, with_zip, work):
    """(label, DesignData, score of a plan, solve settings) of every instance the check does not rule out.

    The score of a design is its potential-weighted distance to the territories' weighted centroids (km).
    """
    from terrkit.datasets import load_counties, load_zip_points
    from terrkit.geo import US_ALBERS

    counties = load_counties()
    zips = load_zip_points(standard_only=True)
    proj = counties.geometry.to_crs(US_ALBERS).centroid
    xy = np.c_[proj.x, proj.y] / 1000.0
    cen = counties.geometry.representative_point()
    adj, _ = county_graph(counties)
    ids = counties["unit_id"].to_numpy()
    for seed in seeds:
        for name, pot in county_surfaces(counties, zips, xy, k=50, seed=seed, names=surfaces).items():
            data = balanced_contiguous_data(ids, xy, np.c_[cen.x, cen.y], adj, pot, 50, 0.02)
            if feasibility_issues(data, balances=[Balance("potential", 0.02)]):
                print(f"[{name} seed {seed}] proved infeasible by the check: left out")
                continue
            yield f"{name} seed {seed}", data, _distance_score(xy, pot), {"work": work}
    if with_zip:
        from bench_work_rate import zip_instance

        data = zip_instance()
        yield "zip", data, _distance_score(data.xy_km, np.asarray(data.weight)), {"work": work}


def _distance_score(xy, pot):
    return lambda out: weighted_centroid_distance(xy, out.labels, pot)


def realign_instances(names, tolerances):
    """The least-disruption plans of ``bench_realign.py``: (label, DesignData, score, solve settings).

    The front is run once with the engine's entry point wrapped, to capture every contiguous realignment
    problem (today's alignment as the start) with the time limit and work budget it was solved with.
    """
    import tempfile

    import bench_realign as br

    import terrkit.design.heuristic.search as search

    real = search.solve_heuristic
    for name in names:
        captured: list = []

        def recording(data, captured=captured, **kwargs):
            if data.contiguous and data.current is not None:
                captured.append((data, {k: kwargs.get(k) for k in ("time_limit", "work", "seed")}))
            return real(data, **kwargs)

        with tempfile.TemporaryDirectory() as tmp:
            case = br.realignment_case(name, Path(tmp))
        search.solve_heuristic = recording
        try:
            br.front(case, tolerances)
        finally:
            search.solve_heuristic = real
        if len(captured) != len(tolerances):
            raise SystemExit(f"expected one realignment problem per tolerance, captured {len(captured)}")
        for tol, (data, settings) in zip(tolerances, captured, strict=True):
            yield f"realign {name} ±{tol:.0%}", data, (lambda out: out.objective), settings


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-1")
    ap.add_argument("--surfaces", default="zip_density,metro,regional,area_workload")
    ap.add_argument("--operators", default="all", help="comma-separated operators to ablate, or all")
    ap.add_argument("--zip", action="store_true", help="add the ZIP instance (200 territories, ±5%%)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="safety stop of every run")
    ap.add_argument("--work", type=float, default=48e6, help="work budget of every run (60 s's default)")
    ap.add_argument(
        "--realign", default="", help="realignment datasets of bench_realign.py, e.g. sample,seed31"
    )
    ap.add_argument("--tolerances", default="0.05,0.1", help="balance tolerances of the realignment plans")
    args = ap.parse_args(argv)
    # designing in regions applies from 400 territories, which none of these instances has
    everything = tuple(op for op in OPERATORS if op != "regions")
    ops = everything if args.operators == "all" else tuple(args.operators.split(","))
    configs = [("full engine", ())] + [(f"without {op}", (op,)) for op in ops]
    results: dict[str, list[tuple[str, bool, float, float, str]]] = {c: [] for c, _ in configs}
    surfaces = tuple(s for s in args.surfaces.split(",") if s)
    seeds = parse_seeds(args.seeds) if args.seeds else []
    todo = instances(seeds, surfaces, args.zip, args.work)
    if args.realign:
        tolerances = [float(t) for t in args.tolerances.split(",")]
        todo = itertools.chain(todo, realign_instances(args.realign.split(","), tolerances))
    for label, data, score, settings in todo:
        for config, skip in configs:
            t0 = time.perf_counter()
            limit = settings.get("time_limit") or args.time_limit
            seed = settings.get("seed") or 0
            out = solve_heuristic(data, time_limit=limit, seed=seed, work=settings.get("work"), skip=skip)
            secs = time.perf_counter() - t0
            met = bool(out.balanced and count_fragments(data.adjacency, out.labels) == 0)
            value = score(out)
            results[config].append((label, met, value, secs, out.stopped_by))
            print(
                f"[{label}] {config}: met {'yes' if met else 'NO'}, score {value:.6g}, {secs:.1f} s, "
                f"stopped by {out.stopped_by}",
                flush=True,
            )
    full = {r[0]: r for r in results["full engine"]}
    print("\n| configuration | met | score vs full (both met) | seconds | stopped by time limit |")
    print("|---|---|---|---|---|")
    for config, _ in configs:
        rows = results[config]
        both = [r[2] / full[r[0]][2] for r in rows if r[1] and full[r[0]][1]]
        ratio = f"{np.mean(both):.4f} (max {np.max(both):.4f})" if both else "-"
        cut = sum(r[4] == "time_limit" for r in rows)
        print(
            f"| {config} | {sum(r[1] for r in rows)}/{len(rows)} | {ratio} | {sum(r[3] for r in rows):.0f} | "
            f"{cut} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
