"""The assignment LP's pair bookkeeping: sorted distinct keys, and columns added once per pair."""

from __future__ import annotations

import numpy as np

from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.transport_lp import IncrementalTransportLP, _sorted_contains, pair_keys


def test_pair_keys_are_the_sorted_distinct_keys():
    rng = np.random.default_rng(4)
    units, terrs = rng.integers(0, 500, 4000), rng.integers(0, 30, 4000)
    keys = pair_keys(units, terrs, 30)
    assert np.array_equal(keys, np.unique(units * 30 + terrs))
    assert pair_keys(np.array([2, 0, 2]), np.array([1, 1, 1]), 3).tolist() == [1, 7]
    assert len(pair_keys(np.empty(0, int), np.empty(0, int), 3)) == 0


def test_sorted_contains_agrees_with_isin():
    rng = np.random.default_rng(5)
    known = np.unique(rng.integers(0, 1000, 300))
    keys = rng.integers(-5, 1010, 2000)
    assert np.array_equal(_sorted_contains(known, keys), np.isin(keys, known))
    assert not _sorted_contains(np.empty(0, np.int64), np.array([0, 1])).any()


def test_the_incremental_lp_adds_each_pair_once_and_assigns_every_unit():
    """Three units, two territories of capacity 1.5 units each: a second solve with overlapping pairs adds
    only the new one, and the LP assigns every unit once in total (unit 1 splits at the capacity)."""
    n, k = 3, 2
    lower, upper = np.zeros((k, 1)), np.full((k, 1), 1.5)
    lp = IncrementalTransportLP(n, k, np.ones((n, 1)), lower, upper, np.array([100.0]))
    cost = np.array([[1.0, 5.0], [2.0, 4.0], [9.0, 1.0]])

    def cost_fn(u, t):
        return cost[u, t]

    pinned = np.full(n, -1)
    first = lp.solve(np.array([0, 1, 2]), np.array([0, 0, 1]), cost_fn, pinned, WorkBudget(1e9, 10))
    assert len(lp.unit) == 3 and first.x is not None
    second = lp.solve(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1]), cost_fn, pinned, WorkBudget(1e9, 10))
    assert len(lp.unit) == 4, "only the new pair (1, 1) was added"
    assert sorted(zip(lp.unit.tolist(), lp.terr.tolist(), strict=True)) == [(0, 0), (1, 0), (1, 1), (2, 1)]
    x = second.x
    assert np.allclose(np.bincount(lp.unit, x, minlength=n), 1.0), "every unit assigned exactly once"
    # unit 0 takes territory 0 and unit 2 territory 1; unit 1 prefers 0 but only half of it fits there
    loads = np.bincount(lp.terr, x, minlength=k)
    assert (loads <= 1.5 + 1e-9).all()
    assert np.isclose(second.objective, 1.0 + 0.5 * 2.0 + 0.5 * 4.0 + 1.0)
