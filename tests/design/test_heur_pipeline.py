"""The heuristic's one repair escalation, its polish, and fixed (forced) territories joined to the search."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.search import OPERATORS, _design_around_forced, solve_heuristic

from .test_heur_lumpy import _metro_instance
from .test_heuristic import grid_adjacency, make_data


def _connected(adj, members) -> bool:
    members = list(members)
    return connected_components(adj[members][:, members], directed=False)[0] == 1


def _assert_valid(data, values, labels, centers):
    """Every unit once, every territory non-empty, connected, in the band and holding its center."""
    assert len(labels) == data.n and set(labels.tolist()) == set(range(data.k))
    totals = np.bincount(labels, values, minlength=data.k)
    assert np.isclose(totals.sum(), values.sum()), "every unit is assigned exactly once"
    lo, hi = data.lower[0, 0], data.upper[0, 0]
    assert ((totals >= lo - 1e-9) & (totals <= hi + 1e-9)).all(), totals
    for t in range(data.k):
        assert _connected(data.adjacency, np.flatnonzero(labels == t))
        assert labels[centers[t]] == t


def test_the_engine_balances_the_metro_grid_and_is_deterministic():
    data, values, _big = _metro_instance()
    first = solve_heuristic(data, time_limit=30, seed=0, work=8e6)
    again = solve_heuristic(data, time_limit=30, seed=0, work=8e6)
    assert first.balanced and first.contiguous and first.stopped_by != "time_limit"
    _assert_valid(data, values, first.labels, first.centers)
    assert np.array_equal(first.labels, again.labels) and first.work_used == again.work_used


def test_groups_that_cover_every_unit_are_the_whole_plan():
    values = np.array([50.0, 50.0, 50.0, 50.0])
    data = make_data(np.array([[0.0, 0], [10, 0], [0, 10], [10, 10]]), grid_adjacency(2, 2), values, 2, 0.02)
    groups = [np.array([0, 1]), np.array([2, 3])]
    plan, method = _design_around_forced(data, groups, WorkBudget(1e9, 5), 0.0, seed=0, starts=1)
    assert method.startswith("every territory fixed")
    assert plan.labels.tolist() == [0, 0, 1, 1]
    assert [plan.labels[c] for c in plan.centers] == [0, 1]


def test_forced_groups_are_joined_and_the_whole_plan_polished():
    """Fixed groups and the searched territories are joined into one valid plan, then polished."""
    data, values, _big = _metro_instance()
    plan0 = solve_heuristic(data, time_limit=30, seed=0, work=8e6, fix_forced=False)
    assert plan0.balanced
    t = int(plan0.labels[0])  # fix one territory of that plan as if forced
    group = np.flatnonzero(plan0.labels == t)
    budget = WorkBudget(2e7, 60)
    plan, method = _design_around_forced(data, [group], budget, 0.0, seed=0, starts=1)
    assert method.endswith("1 territories forced by the band and contiguity fixed first")
    _assert_valid(data, values, plan.labels, plan.centers)
    assert budget.by_step.get("rounds", 0) > 0, "the joined plan went through the local search"


def test_unknown_operators_are_named():
    data, _values, _big = _metro_instance()
    expected = "unknown operators \\['region_mip'\\]; valid: " + ", ".join(OPERATORS)
    with pytest.raises(ValueError, match=expected):
        solve_heuristic(data, time_limit=5, skip=["region_mip"])
