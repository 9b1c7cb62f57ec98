"""Territories of big units placed by a backtracking search before the heuristic designs the rest."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

import terrkit.design.heuristic.big_units as heur_lumpy
from terrkit.design.heuristic.big_units import LUMPY_WIDTHS, lumpy_groups
from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.local_search import Plan
from terrkit.design.heuristic.repartition import balanced_groups
from terrkit.design.heuristic.search import _big_units_start
from terrkit.design.heuristic.seeding import allowed_pairs

from .test_heuristic import grid_adjacency, make_data


def _adjacency(n: int, edges: list[tuple[int, int]]) -> sp.csr_matrix:
    e = np.array(edges)
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return (a + a.T).tocsr()


def _connected(adj: sp.csr_matrix, members) -> bool:
    members = list(members)
    return connected_components(adj[members][:, members], directed=False)[0] == 1


def _check_cover(adj, values, lo, hi, zone, groups):
    """Groups are disjoint, connected, in the band, and hold every lumpy unit of the zone."""
    members = np.concatenate(groups)
    assert len(np.unique(members)) == len(members), "groups are disjoint"
    for g in groups:
        assert _connected(adj, g)
        assert lo - 1e-9 <= values[g].sum() <= hi + 1e-9
    lumpy = np.flatnonzero(zone & (values >= LUMPY_WIDTHS * (hi - lo)))
    assert np.isin(lumpy, members).all(), "every lumpy unit of the zone is placed"


def test_the_pocket_rule_steers_the_search():
    """X (40) joins P (30) and R (30): taking Q instead would leave R alone, which no territory can be.

    Units: R - P - X - Q - S with values 30, 30, 40, 30, 70 and a band of 100 +- 2. The compact
    {P, X, Q} is in the band but cuts R (30) and S (70) off; the only cover is {R, P, X} and {Q, S}.
    """
    r, p, x, q, s = range(5)
    adj = _adjacency(5, [(r, p), (p, x), (x, q), (q, s)])
    values = np.array([30.0, 30.0, 40.0, 30.0, 70.0])
    xy = np.array([[0.0, 0], [10, 0], [20, 0], [30, 0], [40, 0]])
    groups = lumpy_groups(adj, values, 98, 102, np.ones(5, bool), xy, values, WorkBudget(1e9, 10))
    assert sorted(tuple(g.tolist()) for g in groups) == [(0, 1, 2), (3, 4)]


def test_backtracks_out_of_a_dead_end():
    """On this 3 x 4 grid the first group tried for the first unit placed leads to a dead end.

    The search undoes it and finds a cover (found by counting placements over 2,000 random grids).
    """
    values = np.array([16.0, 53, 23, 17, 18, 40, 51, 28, 41, 35, 15, 25])
    adj = grid_adjacency(3, 4)
    lo, hi = 0.95 * values.sum() / 4, 1.05 * values.sum() / 4
    yy, xx = np.divmod(np.arange(12), 4)
    tried = []
    real_without = heur_lumpy._without

    def spy(adjacency, taken):
        tried.append(int(taken.sum()))
        return real_without(adjacency, taken)

    heur_lumpy._without = spy
    try:
        groups = lumpy_groups(adj, values, lo, hi, np.ones(12, bool), np.c_[xx, yy] * 10.0, values)
    finally:
        heur_lumpy._without = real_without
    _check_cover(adj, values, lo, hi, np.ones(12, bool), groups)
    assert len(tried) > len(groups), "some placement was undone"


def _exact_cover_exists(groups: list[np.ndarray], n: int) -> bool:
    """Whether some of ``groups`` partition ``range(n)`` (plain recursion on the lowest uncovered unit)."""
    by_unit = [[set(g.tolist()) for g in groups if g.min() == u] for u in range(n)]

    def cover(free: set[int]) -> bool:
        if not free:
            return True
        u = min(free)
        return any(g <= free and cover(free - g) for g in by_unit[u])

    return cover(set(range(n)))


@pytest.mark.parametrize("seed", range(40))
def test_finds_a_cover_exactly_when_one_exists(seed):
    """When every unit is lumpy, a cover is a partition into balanced, connected territories.

    On small grids the search is exhaustive: it finds one exactly when brute force says one exists.
    """
    rng = np.random.default_rng(seed)
    adj = grid_adjacency(3, 4)
    values = rng.integers(11, 60, 12).astype(float)
    lo, hi = 0.98 * values.sum() / 4, 1.02 * values.sum() / 4
    assert (values >= LUMPY_WIDTHS * (hi - lo)).all()
    exists = _exact_cover_exists(balanced_groups(adj, values[:, None], [lo], [hi]), 12)
    yy, xx = np.divmod(np.arange(12), 4)
    groups = lumpy_groups(adj, values, lo, hi, np.ones(12, bool), np.c_[xx, yy] * 10.0, values)
    assert (groups is not None) == exists
    if groups is not None:
        _check_cover(adj, values, lo, hi, np.ones(12, bool), groups)


def test_covers_are_valid_on_random_grids():
    """Every cover found is valid, and covers are found (a search that finds nothing passes nothing)."""
    found = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        adj = grid_adjacency(4, 5)
        values = rng.integers(4, 45, 20).astype(float)
        k = 5
        lo, hi = 0.97 * values.sum() / k, 1.03 * values.sum() / k
        zone = np.zeros(20, dtype=bool)
        zone[:10] = True  # the top two rows
        yy, xx = np.divmod(np.arange(20), 5)
        xy = np.c_[xx, yy] * 10.0
        groups = lumpy_groups(adj, values, lo, hi, zone, xy, values, WorkBudget(1e9, 10))
        if groups is not None:
            _check_cover(adj, values, lo, hi, zone, groups)
            found += 1
    assert found >= 2, found


def test_nothing_to_place_or_no_time():
    adj = grid_adjacency(2, 3)
    values = np.array([10.0, 10, 10, 10, 10, 10])  # the band 25-35 is 10 wide: no unit is 2.5 widths
    xy = np.c_[np.arange(6), np.zeros(6)]
    assert lumpy_groups(adj, values, 25, 35, np.ones(6, bool), xy, values, WorkBudget(1e9, 10)) is None
    big = np.array([50.0, 50, 50, 50, 50, 50])
    assert lumpy_groups(adj, big, 98, 102, np.ones(6, bool), xy, big, WorkBudget(0, 10)) is None


def _metro_instance():
    """A 8 x 12 grid of small units (2-5) around a 2 x 3 block of big ones (25-45), 6 territories."""
    rows, cols = 8, 12
    values = np.round(np.random.default_rng(0).uniform(2.0, 5.0, rows * cols), 1)
    block = {(3, 5): 45.0, (3, 6): 30.0, (3, 7): 25.0, (4, 5): 35.0, (4, 6): 40.0, (4, 7): 33.0}
    for (r, c), val in block.items():
        values[r * cols + c] = val
    yy, xx = np.divmod(np.arange(rows * cols), cols)
    data = make_data(np.c_[xx, yy] * 10.0, grid_adjacency(rows, cols), values, 6, 0.02)
    return data, values, [r * cols + c for r, c in block]


def _strips_plan(data, big=None) -> Plan:
    """Vertical strips of two columns on the metro grid; with ``big``, territory 2 takes the whole big block
    (208, far above the band: territory 3 is then cut in two pieces)."""
    labels = np.arange(data.n) % 12 // 2
    if big is not None:
        labels[big] = 2
    centers = np.array([np.flatnonzero(labels == t)[0] for t in range(data.k)])
    return Plan(data, labels, centers, allowed_pairs(data))


def test_lumpy_start_places_the_big_units_and_designs_the_rest():
    data, values, big = _metro_instance()
    plan = _strips_plan(data, big)  # a poor plan: territory 2 takes the whole big block
    assert plan.violation().max() > 0
    placed = _big_units_start(data, plan, WorkBudget(1e9, 8), seed=0, t0=0.0)
    assert placed is not None
    new, note = placed
    assert note.endswith("territories of big units placed first by a backtracking search")
    assert int(note.split()[0]) < data.k, "some territories are left to the heuristic"
    totals = np.bincount(new.labels, values, minlength=data.k)
    lo, hi = data.lower[0, 0], data.upper[0, 0]
    assert ((totals >= lo - 1e-9) & (totals <= hi + 1e-9)).all(), totals
    assert len(new.labels) == data.n and set(new.labels.tolist()) == set(range(data.k))
    assert np.isclose(totals.sum(), values.sum()), "every unit is assigned exactly once"
    for t in range(data.k):
        assert _connected(data.adjacency, np.flatnonzero(new.labels == t))
        assert new.labels[new.centers[t]] == t


def test_a_start_stuck_among_big_units_is_followed_by_placing_them(monkeypatch):
    """solve_heuristic: after a start ends out of balance around big units, the next places them first."""
    from terrkit.design.heuristic import search as heuristic

    data, values, big = _metro_instance()
    stuck = _strips_plan(data, big)
    real_start = heuristic._single_start
    calls = []

    def first_start_stuck(data_, seed, *args, **kwargs):
        calls.append(kwargs.get("lumpy_next"))
        if len(calls) == 1:  # stands for a start that could not balance the big block
            return stuck
        return real_start(data_, seed, *args, **kwargs)

    monkeypatch.setattr(heuristic, "_single_start", first_start_stuck)
    out = heuristic.solve_heuristic(data, time_limit=10, seed=0, starts=2)
    assert calls[0] is True, "the first start knows big units may be placed next"
    assert out.balanced and out.contiguous
    assert "territories of big units placed first by a backtracking search" in out.method
    totals = np.bincount(out.labels, values, minlength=data.k)
    assert ((totals >= data.lower[0, 0] - 1e-9) & (totals <= data.upper[0, 0] + 1e-9)).all()


def test_once_big_units_placed_first_pay_every_later_start_places_them(monkeypatch):
    """After the big-units start balances what the plain start could not, the later starts place them too,
    each with its own seed, around the same stuck plan, and capped by the work of the balanced ones."""
    from terrkit.design.heuristic import search as heuristic

    data, values, big = _metro_instance()
    stuck = _strips_plan(data, big)
    real_start, real_big = heuristic._single_start, heuristic._big_units_start
    plain, placed = [], []

    def single_start(data_, seed, *args, **kwargs):
        if data_ is data:  # a start on the whole problem (not the inner start of a big-units start)
            plain.append(seed)
            return stuck
        return real_start(data_, seed, *args, **kwargs)

    def big_units_start(data_, around, budget, seed, t0, skip=frozenset()):
        placed.append((around, seed, budget.limit))
        return real_big(data_, around, budget, seed, t0, skip)

    monkeypatch.setattr(heuristic, "_single_start", single_start)
    monkeypatch.setattr(heuristic, "_big_units_start", big_units_start)
    out = heuristic.solve_heuristic(data, time_limit=30, seed=5, starts=4, work=2e7)
    assert plain == [5], "only the first start is a plain one"
    assert [seed for _, seed, _ in placed] == [5, 6, 7]
    assert all(around is stuck for around, _, _ in placed)
    assert placed[0][2] > 1e7, "the first big-units start may use all the work left"
    assert all(limit < placed[0][2] for _, _, limit in placed[1:]), "the later ones are capped"
    assert out.balanced and out.contiguous
    assert "(best of 4 starts)" in out.method
    totals = np.bincount(out.labels, values, minlength=data.k)
    assert ((totals >= data.lower[0, 0] - 1e-9) & (totals <= data.upper[0, 0] + 1e-9)).all()


def test_a_local_search_stuck_among_big_units_gives_up_after_a_round_without_progress():
    """``give_up`` is asked only after a round that left the worst violation where it was, and stops."""
    from terrkit.design.heuristic.search import _local_search

    data, values, big = _metro_instance()
    plan = _strips_plan(data, big)  # 208 in one territory: boundary moves of 2-5 units cannot fix it
    plan.skip = frozenset({"resplit", "partition", "paths"})
    asked = []

    def give_up(p):
        asked.append(float(p.violation().max()))
        return True

    _local_search(plan, WorkBudget(2e7, 30), None, "test", 0.0, give_up=give_up)
    assert plan.violation().max() > 0, "the plan stays out of balance without re-splits"
    assert len(asked) == 1, "asked once, after the first round without progress, and stopped there"


def test_a_stuck_start_that_the_big_units_do_not_balance_gets_the_work_left(monkeypatch):
    """When placing the big units first does not balance the plan either, the best plan (the stuck start,
    which gave up its rounds) is repaired with the work left instead of being returned out of balance."""
    from terrkit.design.heuristic import search as heuristic

    data, values, big = _metro_instance()
    stuck = _strips_plan(data)  # contiguous strips: the big block splits over territories 2 and 3

    def single_start(data_, seed, *args, **kwargs):
        return stuck

    def big_units_start(data_, around, budget, seed, t0, skip=frozenset()):
        assert budget.limit < 0.7 * 2e7, "the first big-units start leaves work for the stuck plan"
        budget.charge(1000.0, "enumeration")
        worse = Plan(data_, around.labels.copy(), around.centers.copy(), allowed_pairs(data_))
        worse.labels[big[0]] = 0  # stands for a placement that leaves the plan worse
        return Plan(data_, worse.labels, worse.centers, allowed_pairs(data_)), "big units placed"

    monkeypatch.setattr(heuristic, "_single_start", single_start)
    monkeypatch.setattr(heuristic, "_big_units_start", big_units_start)
    assert stuck.violation().max() > 0
    out = heuristic.solve_heuristic(data, time_limit=30, seed=0, starts=2, work=2e7)
    assert out.balanced and out.contiguous
    assert "big units placed" not in out.method, "the stuck plan won, and was repaired"
    totals = np.bincount(out.labels, values, minlength=data.k)
    assert ((totals >= data.lower[0, 0] - 1e-9) & (totals <= data.upper[0, 0] + 1e-9)).all()
    assert np.isclose(totals.sum(), values.sum())
