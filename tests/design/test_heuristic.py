"""Heuristic territory design: invariants on a grid and on random Delaunay points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay

from terrkit.design.heuristic.search import HeuristicOutcome, solve_heuristic
from terrkit.design.problem.definition import DesignData


def grid_adjacency(rows, cols):
    idx = np.arange(rows * cols).reshape(rows, cols)
    e = np.r_[np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1].ravel(), idx[1:].ravel()]]
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(rows * cols,) * 2)
    return (a + a.T).tocsr()


def make_data(xy, adj, weight, k, tol, **kw):
    n = len(xy)
    mean = weight.sum() / k
    base = dict(
        ids=np.array([f"u{i}" for i in range(n)]),
        k=k,
        xy_km=np.asarray(xy, dtype=float),
        lonlat=None,
        cost=None,
        distance_power=1.0,
        weight=weight,
        measure_names=["potential"],
        measures=weight[:, None],
        lower=np.full((k, 1), (1 - tol) * mean),
        upper=np.full((k, 1), (1 + tol) * mean),
        adjacency=adj,
        contiguous=adj is not None,
        fixed_centers=None,
        locked=np.full(n, -1),
        forbidden=np.empty((0, 2), dtype=np.int64),
    )
    base.update(kw)
    return DesignData(**base)


def grid_data(k=4, tol=0.05, seed=1, **kw):
    rng = np.random.default_rng(seed)
    yy, xx = np.divmod(np.arange(100), 10)
    w = rng.uniform(0.5, 1.5, 100)
    return make_data(np.c_[xx, yy] * 10.0, grid_adjacency(10, 10), w, k, tol, **kw)


# --- independent checks (no engine code) ---------------------------------------------------------
def check_partition(out: HeuristicOutcome, n: int, k: int) -> None:
    assert out.labels.shape == (n,)
    assert set(np.unique(out.labels).tolist()) == set(range(k))  # every unit once, every territory used


def check_balance(labels, measure, lower, upper, k):
    tot = np.bincount(labels, measure, minlength=k)
    assert (tot >= lower - 1e-9).all() and (tot <= upper + 1e-9).all(), tot


def check_contiguous(labels, adj):
    for t in np.unique(labels):
        idx = np.flatnonzero(labels == t)
        assert connected_components(adj[idx][:, idx], directed=False)[0] == 1, f"territory {t} split"


def objective(data, labels, centers):
    return float((data.weight * data.unit_cost(np.arange(data.n), centers[labels])).sum())


# --- grid ------------------------------------------------------------------------------------------
def test_grid_invariants_and_flags():
    data = grid_data()
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_partition(out, 100, 4)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)
    check_contiguous(out.labels, data.adjacency)
    assert out.balanced and out.contiguous and out.fragments == 0
    # centers are units of their own territory; the reported objective is the p-median objective
    assert (out.labels[out.centers] == np.arange(4)).all()
    assert out.objective == pytest.approx(objective(data, out.labels, out.centers))
    assert out.lower_bound is None  # centers chosen by the model: no bound claimed
    assert "local search" in out.method


def test_grid_quality_near_quadrants():
    # uniform weights on a 10x10 grid: four 5x5 quadrants are optimal-ish (sum of distances to a center)
    yy, xx = np.divmod(np.arange(100), 10)
    data = make_data(np.c_[xx, yy] * 1.0, grid_adjacency(10, 10), np.ones(100), 4, 0.0)
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)  # exact: 25 each
    check_contiguous(out.labels, data.adjacency)
    quadrants = 4 * float(np.hypot(*np.meshgrid(np.arange(5) - 2, np.arange(5) - 2)).sum())
    assert out.objective <= quadrants * 1.05


def test_grid_deterministic_for_a_seed():
    a = solve_heuristic(grid_data(), time_limit=30, seed=3)
    b = solve_heuristic(grid_data(), time_limit=30, seed=3)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centers, b.centers)


def test_grid_locks_and_forbidden_pairs():
    locked = np.full(100, -1)
    locked[[0, 1, 10]] = 2  # bottom-left corner pinned to territory 2
    locked[99] = 1
    forbidden = np.array([[44, t] for t in (0, 1, 2)] + [[55, 3], [55, 2]])
    data = grid_data(locked=locked, forbidden=forbidden)
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_partition(out, 100, 4)
    assert (out.labels[[0, 1, 10]] == 2).all() and out.labels[99] == 1
    assert out.labels[44] == 3 and out.labels[55] in (0, 1)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)
    check_contiguous(out.labels, data.adjacency)
    assert out.balanced and out.contiguous


def test_grid_fixed_centers_and_lower_bound():
    fixed = np.array([0, 9, 90, 99])
    data = grid_data(fixed_centers=fixed)
    out = solve_heuristic(data, time_limit=30, seed=0)
    assert out.centers.tolist() == fixed.tolist()
    assert (out.labels[fixed] == np.arange(4)).all()
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)
    check_contiguous(out.labels, data.adjacency)
    assert out.lower_bound is not None
    assert out.lower_bound <= out.objective + 1e-6
    assert out.lower_bound >= 0.8 * out.objective  # the LP bound is tight on this easy case


def test_grid_realignment_caps_moved_share():
    yy, xx = np.divmod(np.arange(100), 10)
    current = (xx // 5) + 2 * (yy // 5)  # quadrants: balanced for uniform-ish weights?
    rng = np.random.default_rng(5)
    w = rng.uniform(0.5, 1.5, 100)
    data = make_data(np.c_[xx, yy] * 10.0, grid_adjacency(10, 10), w, 4, 0.05, current=current, max_moved=0.1)
    out = solve_heuristic(data, time_limit=30, seed=0)
    moved = out.labels != current
    assert w[moved].sum() <= 0.1 * w.sum() + 1e-9
    assert out.moved_share == pytest.approx(w[moved].sum() / w.sum())
    check_contiguous(out.labels, data.adjacency)
    # the quadrants hold 25 units each, within a few % of the mean: a 10% move budget is ample for ±5%
    assert out.balanced
    check_balance(out.labels, w, data.lower[:, 0], data.upper[:, 0], 4)


def test_grid_move_penalty_keeps_a_good_current_plan():
    yy, xx = np.divmod(np.arange(100), 10)
    current = (xx // 5) + 2 * (yy // 5)
    data = make_data(
        np.c_[xx, yy] * 10.0, grid_adjacency(10, 10), np.ones(100), 4, 0.05, current=current, move_penalty=1e6
    )
    out = solve_heuristic(data, time_limit=30, seed=0)
    assert np.array_equal(out.labels, current)
    assert out.moved_share == 0.0


def test_no_contiguity_without_graph_is_balanced():
    data = grid_data(adjacency=None, contiguous=False)
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_partition(out, 100, 4)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)
    assert out.balanced and not out.contiguous  # no graph: contiguity is not claimed


def test_two_measures_and_capacity():
    rng = np.random.default_rng(2)
    data = grid_data()
    work = rng.uniform(0.0, 2.0, 100)
    meas = np.c_[data.weight, work]
    lower = np.c_[data.lower[:, 0], np.full(4, 0.85 * work.sum() / 4)]
    upper = np.c_[data.upper[:, 0], np.full(4, 1.15 * work.sum() / 4)]
    data = grid_data(measures=meas, measure_names=["potential", "workload"], lower=lower, upper=upper)
    out = solve_heuristic(data, time_limit=30, seed=0)
    for r in range(2):
        check_balance(out.labels, meas[:, r], lower[:, r], upper[:, r], 4)
    check_contiguous(out.labels, data.adjacency)
    assert out.balanced


def test_infeasible_balance_is_reported_honestly():
    data = grid_data(k=4, tol=0.05)
    w = data.weight.copy()
    w[0] = w.sum()  # one unit bigger than any territory's upper bound
    mean = w.sum() / 4
    yy, xx = np.divmod(np.arange(100), 10)
    data = make_data(np.c_[xx, yy] * 10.0, grid_adjacency(10, 10), w, 4, 0.05)
    assert data.upper[0, 0] == pytest.approx(1.05 * mean)
    out = solve_heuristic(data, time_limit=4, seed=0)
    check_partition(out, 100, 4)
    assert not out.balanced


# --- moderate random instance ----------------------------------------------------------------------
def test_random_delaunay_points():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 500, (300, 2))
    tri = Delaunay(xy)
    s = tri.simplices
    e = np.r_[s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]
    adj = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(300, 300))
    adj = ((adj + adj.T) > 0).astype(float).tocsr()
    w = rng.lognormal(0.0, 0.5, 300)
    locked = np.full(300, -1)
    locked[:3] = 5
    data = make_data(xy, adj, w, 8, 0.05, locked=locked, forbidden=np.array([[10, 0], [10, 1]]))
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_partition(out, 300, 8)
    check_balance(out.labels, w, data.lower[:, 0], data.upper[:, 0], 8)
    check_contiguous(out.labels, adj)
    assert (out.labels[:3] == 5).all() and out.labels[10] not in (0, 1)
    assert out.balanced and out.contiguous
    frame = pd.Series(out.labels)
    assert frame.value_counts().min() > 5


def test_point_centers_from_a_cost_matrix():
    # centers are points (columns of the cost matrix), not units: m != n, fixed_centers = arange(k)
    yy, xx = np.divmod(np.arange(100), 10)
    pts = np.array([[2.0, 2.0], [7.0, 2.0], [2.0, 7.0], [7.0, 7.0]])
    cost = np.hypot(xx[:, None] - pts[None, :, 0], yy[:, None] - pts[None, :, 1])
    data = make_data(
        np.c_[xx, yy] * 1.0,
        grid_adjacency(10, 10),
        np.ones(100),
        4,
        0.05,
        xy_km=None,
        cost=cost,
        fixed_centers=np.arange(4),
        candidate_ids=np.array(["p0", "p1", "p2", "p3"], dtype=object),  # the points are sites, not units
    )
    out = solve_heuristic(data, time_limit=30, seed=0)
    assert out.centers.tolist() == [0, 1, 2, 3]
    check_partition(out, 100, 4)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], 4)
    check_contiguous(out.labels, data.adjacency)
    assert out.lower_bound is not None and out.lower_bound <= out.objective + 1e-6
    assert out.objective == pytest.approx(float(cost[np.arange(100), out.labels].sum()))


def test_pure_pmedian_without_balance_or_graph():
    rng = np.random.default_rng(3)
    xy = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(20, 1, (40, 2)), rng.normal((0, 20), 1, (40, 2))]
    w = np.ones(120)
    data = make_data(
        xy,
        None,
        w,
        3,
        0.0,
        measure_names=[],
        measures=np.empty((120, 0)),
        lower=np.empty((3, 0)),
        upper=np.empty((3, 0)),
    )
    out = solve_heuristic(data, time_limit=30, seed=0)
    check_partition(out, 120, 3)
    # three well-separated clusters: each territory is one cluster
    assert len(set(out.labels[:40])) == len(set(out.labels[40:80])) == len(set(out.labels[80:])) == 1
    assert out.balanced
