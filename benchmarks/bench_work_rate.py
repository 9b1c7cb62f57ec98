"""Work units per second of every heuristic step: the calibration behind ``terrkit.design.heuristic.budget``.

The heuristic counts its search in work units (moves examined, repair steps, simplex iterations, nodes...),
never in seconds, so the same inputs and seed give the same plan on any machine. The weights of the charges
are set so that one unit is about a microsecond on the reference machine; this script checks that. It solves
a few instances under a profiler and prints, for every kind of step, the units it charged, the seconds its
functions took and the rate. A step far from ``UNITS_PER_SECOND`` is mis-weighted: the default budget (which
follows from the time limit at that rate) then gives that step more or less time than intended.

Usage::

    python benchmarks/bench_work_rate.py [--instances zip,metro:1,sample:1] [--time-limit 120] [--work 48e6]

Instances: ``zip`` (about 30,000 ZIP points, 200 territories, ±5%) and ``SURFACE:SEED`` of
``potential_surfaces.county_surfaces`` (3,108 counties, 50 territories, ±2%).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _design import balanced_contiguous_data  # noqa: E402

from terrkit.design.heuristic.budget import UNITS_PER_SECOND  # noqa: E402
from terrkit.design.heuristic.search import solve_heuristic  # noqa: E402

#: The functions whose cumulative time each kind of charge stands for.
FUNCTIONS = {
    "moves": ("improve_moves", "improve_swaps"),
    "repair": ("_fix",),
    "resplit": ("resplit_pair", "resplit_region"),
    "lp": ("solve", "solve_transport_lp", "_pair_list"),
    "mip": ("_solve_partition",),
    "enumeration": ("balanced_groups", "lumpy_groups"),
    "rounds": ("update_centers", "pairs"),
}


def zip_instance():
    """The ZIP benchmark instance of ``bench_zip.py`` (surface seed 1)."""
    import geopandas as gpd
    from bench_zip import zip_graph
    from potential_surfaces import zip_surface

    from terrkit.datasets import load_zip_points
    from terrkit.geo import US_ALBERS

    zips = load_zip_points(standard_only=True)
    pts = gpd.GeoSeries(gpd.points_from_xy(zips["lon"], zips["lat"]), crs="EPSG:4326").to_crs(US_ALBERS)
    xy = np.c_[pts.x, pts.y] / 1000.0
    adj, _, _ = zip_graph(xy, 100.0)
    pot = zip_surface(zips, xy, k=200, seed=1)
    lonlat = np.c_[zips["lon"], zips["lat"]]
    return balanced_contiguous_data(zips["zip"].to_numpy(), xy, lonlat, adj, pot, 200, 0.05)


def county_instance(surface: str, seed: int):
    """A county surface of ``bench_counties.py``: 50 territories, ±2%."""
    from bench_counties import county_graph
    from potential_surfaces import county_surfaces

    from terrkit.datasets import load_counties, load_zip_points
    from terrkit.geo import US_ALBERS

    counties = load_counties()
    zips = load_zip_points(standard_only=True)
    proj = counties.geometry.to_crs(US_ALBERS).centroid
    xy = np.c_[proj.x, proj.y] / 1000.0
    cen = counties.geometry.representative_point()
    adj, _ = county_graph(counties)
    pot = county_surfaces(counties, zips, xy, k=50, seed=seed, names=(surface,))[surface]
    ids = counties["unit_id"].to_numpy()
    return balanced_contiguous_data(ids, xy, np.c_[cen.x, cen.y], adj, pot, 50, 0.02)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="zip,metro:1,sample:1")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--work", type=float, default=48e6, help="work budget (default: that of a 60 s limit)")
    args = ap.parse_args(argv)
    print(f"target: {UNITS_PER_SECOND:,.0f} units per second")
    for name in args.instances.split(","):
        if name == "zip":
            data = zip_instance()
        else:
            surface, seed = name.split(":")
            data = county_instance(surface, int(seed))
        profile = cProfile.Profile()
        profile.enable()
        out = solve_heuristic(data, time_limit=args.time_limit, seed=0, work=args.work)
        profile.disable()
        seconds = {kind: 0.0 for kind in FUNCTIONS}
        for (path, _line, func), (_cc, _nc, _tt, cumulative, _callers) in pstats.Stats(profile).stats.items():
            for kind, names in FUNCTIONS.items():
                if func in names and "terrkit" in path:
                    seconds[kind] += cumulative
        print(
            f"== {name}: {out.seconds:.1f} s (under the profiler), work {out.work_used:,.0f} units, "
            f"{out.work_used / out.seconds:,.0f} units/s overall, stopped by {out.stopped_by}, "
            f"balanced {out.balanced}, objective {out.objective:.6g}"
        )
        for kind in FUNCTIONS:
            units, secs = out.work_by_step.get(kind, 0.0), seconds[kind]
            rate = f"{units / secs:12,.0f}" if secs > 0.05 else "           -"
            print(f"  {kind:12s} {units:14,.0f} units {secs:7.2f} s {rate} units/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
