"""Benchmark (issue 3, target 4): ~30,000 STANDARD ZIP points into 200 territories, +-5%, contiguous.

Adjacency: Delaunay triangulation of the points projected to EPSG:5070; edges longer than ``--cutoff`` km are
dropped, and components that this separates are re-linked by their shortest link (so the graph stays
connected). ZIP points that share a location are linked to the points next to it, not only to their twin
(``terrkit.geo_adjacency.delaunay_adjacency``).
Potential: a seeded population-like surface (``potential_surfaces.zip_surface``).

Prints seconds, max deviation, contiguity, fragments and the potential-weighted mean distance to the
territory's weighted centroid.

Usage::

    python benchmarks/bench_zip.py [--k 200] [--tol 0.05] [--seed 0] [--time-limit 300] [--cutoff 100]
        [--skip regions]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _design import balanced_contiguous_data, check_then_solve  # noqa: E402
from potential_surfaces import max_deviation, weighted_centroid_distance, zip_surface  # noqa: E402

from terrkit.datasets import load_zip_points  # noqa: E402
from terrkit.design.problem.contiguity import count_fragments  # noqa: E402
from terrkit.geo import US_ALBERS  # noqa: E402


def zip_graph(xy: np.ndarray, cutoff_km: float) -> tuple[sp.csr_matrix, int, int]:
    """Delaunay adjacency without edges longer than ``cutoff_km``; re-linked where that disconnects it."""
    from terrkit.geo_adjacency import delaunay_adjacency, link_islands

    adj = sp.csr_matrix(delaunay_adjacency(xy), dtype=float)
    coo = adj.tocoo()
    length = np.hypot(*(xy[coo.row] - xy[coo.col]).T)
    keep = length <= cutoff_km
    dropped = int((~keep).sum() // 2)
    adj = sp.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=adj.shape)
    adj, links = link_islands(adj, xy)
    return sp.csr_matrix(adj, dtype=float), dropped, len(links)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=200)
    ap.add_argument("--tol", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--cutoff", type=float, default=100.0, help="drop Delaunay edges longer than this (km)")
    ap.add_argument(
        "--skip", default="", help="operators to switch off, e.g. regions (see bench_ablation.py)"
    )
    args = ap.parse_args(argv)

    import geopandas as gpd

    zips = load_zip_points(standard_only=True)
    pts = gpd.GeoSeries(gpd.points_from_xy(zips["lon"], zips["lat"]), crs="EPSG:4326").to_crs(US_ALBERS)
    xy = np.c_[pts.x, pts.y] / 1000.0
    t0 = time.perf_counter()
    adj, dropped, relinked = zip_graph(xy, args.cutoff)
    print(
        f"graph: {len(zips)} ZIP points, {adj.nnz // 2} edges ({dropped} longer than "
        f"{args.cutoff:g} km dropped, "
        f"{relinked} re-links) in {time.perf_counter() - t0:.1f} s"
    )
    pot = zip_surface(zips, xy, k=args.k, seed=args.seed)
    k = args.k
    data = balanced_contiguous_data(
        zips["zip"].to_numpy(), xy, np.c_[zips["lon"], zips["lat"]], adj, pot, k, args.tol
    )
    skip = tuple(op for op in args.skip.split(",") if op)
    issues, check_s, out = check_then_solve(
        data, args.tol, args.time_limit, args.seed, skip
    )  # as `terrkit design`
    print(f"pre-solve check: {check_s:.1f} s, {'; '.join(issues) or 'no obstacle found'}")
    if out is None:
        print("TARGET NOT MET (proved infeasible)")
        return 0
    dev = max_deviation(out.labels, pot, k)
    frag = count_fragments(adj, out.labels)
    dist = weighted_centroid_distance(xy, out.labels, pot)
    print(
        f"terrkit: {out.seconds:.1f} s, max dev {dev * 100:.2f}%, contiguous {'yes' if frag == 0 else 'no'}, "
        f"fragments {frag}, balanced {out.balanced}, dist {dist:.1f} km, objective {out.objective:.6g}, "
        f"work {out.work_used:,.0f} of {out.work_budget:,.0f} units, stopped by {out.stopped_by}, "
        f"method: {out.method}"
    )
    ok = out.seconds <= 300 and dev <= args.tol + 1e-9 and frag == 0
    print("TARGET", "MET" if ok else "NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
