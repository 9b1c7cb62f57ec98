"""Exact re-partition of lumpy territories from all their balanced, connected groups."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

import terrkit.design.heuristic.repartition as heur_partition
from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.local_search import Plan
from terrkit.design.heuristic.repartition import balanced_groups, border_blocks, repartition_around
from terrkit.design.heuristic.seeding import allowed_pairs

from .test_heuristic import grid_adjacency, make_data


def _connected(adj: sp.csr_matrix, members: list[int]) -> bool:
    return connected_components(adj[members][:, members], directed=False)[0] == 1


@pytest.mark.parametrize("seed", range(6))
def test_groups_are_exactly_the_connected_sets_in_the_band(seed):
    rng = np.random.default_rng(seed)
    adj = grid_adjacency(3, 4)  # 12 units
    m = rng.integers(1, 6, (12, 2)).astype(float)
    lo, hi = np.array([8.0, 7.0]), np.array([10.0, 11.0])
    expected = set()
    for size in range(1, 13):
        for members in itertools.combinations(range(12), size):
            tot = m[list(members)].sum(axis=0)
            if (tot >= lo).all() and (tot <= hi).all() and _connected(adj, list(members)):
                expected.add(members)
    groups = balanced_groups(adj, m, lo, hi)
    found = [tuple(sorted(g.tolist())) for g in groups]
    assert len(found) == len(set(found)), "every group once"
    assert set(found) == expected


def test_enumeration_gives_up_when_its_set_count_or_the_work_budget_is_spent():
    adj = grid_adjacency(6, 6)
    m = np.ones((36, 1))
    assert balanced_groups(adj, m, np.array([9.0]), np.array([9.0]), budget=100) is None
    assert balanced_groups(adj, m, np.array([9.0]), np.array([9.0]), work=WorkBudget(0, 30)) is None


def _lumpy_plan():
    """A 3 x 4 grid of big units (10-45% of a territory) in 3 territories of 100 +- 2%.

    The columns as territories (150, 70, 80) are far out of balance, but the grid can be cut into three
    connected groups of exactly 100: {40, 35, 25}, {30, 45, 25} and the rest.
    """
    values = np.array(
        [
            [40.0, 35.0, 30.0, 45.0],
            [25.0, 20.0, 30.0, 25.0],
            [15.0, 15.0, 10.0, 10.0],
        ]
    ).ravel()
    yy, xx = np.divmod(np.arange(12), 4)
    data = make_data(np.c_[xx, yy] * 10.0, grid_adjacency(3, 4), values, 3, 0.02)
    labels = np.array([0, 0, 1, 2] * 3)  # columns 0-1 | 2 | 3
    plan = Plan(data, labels, np.array([4, 6, 7]), allowed_pairs(data))
    plan.xy = data.xy_km
    return plan, values, data


def test_repartition_balances_lumpy_territories_exactly():
    plan, values, data = _lumpy_plan()
    assert plan.violation().max() > 0
    assert repartition_around(plan, 0, WorkBudget(1e9, 30))
    labels = plan.labels
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2] and len(labels) == 12
    totals = np.bincount(labels, values, minlength=3)
    assert (totals >= 98 - 1e-9).all() and (totals <= 102 + 1e-9).all(), totals
    for t in range(3):
        assert _connected(data.adjacency, np.flatnonzero(labels == t).tolist())
        assert labels[plan.centers[t]] == t, "centers move with their territories"
    assert plan.violation().max() == 0
    assert np.allclose(plan.T[:, 0], totals), "the plan's running totals follow the new labels"


def test_repartition_leaves_locked_regions_alone():
    plan, _, data = _lumpy_plan()
    plan.locked = np.zeros(12, dtype=bool)
    plan.locked[0] = True
    before = plan.labels.copy()
    assert not repartition_around(plan, 0, WorkBudget(1e9, 30))
    assert (plan.labels == before).all()


def _path_adjacency(n: int) -> sp.csr_matrix:
    a = sp.diags([np.ones(n - 1)], [1], shape=(n, n))
    return (a + a.T).tocsr()


def test_border_blocks_keep_the_strip_single_and_merge_each_core():
    adj = _path_adjacency(6)
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert border_blocks(adj, labels, None).tolist() == [0, 1, 2, 3, 4, 5]
    # units 2 and 3 touch the other territory; 0-1 and 4-5 are the cores
    assert border_blocks(adj, labels, 1).tolist() == [0, 0, 1, 2, 3, 3]
    # two hops deep: only the ends are left as (one-unit) cores
    assert border_blocks(adj, labels, 2).tolist() == [0, 1, 2, 3, 4, 5]


def test_border_blocks_split_a_core_in_pieces():
    # territory 0 wraps around territory 1 (unit 3) on a path: its core is two pieces
    adj = _path_adjacency(7)
    labels = np.array([0, 0, 0, 1, 0, 0, 0])
    assert border_blocks(adj, labels, 1).tolist() == [0, 0, 1, 2, 3, 4, 4]


def test_repartition_through_border_strips(monkeypatch):
    """With only the strips listed, the cores move whole and the territories still balance exactly."""
    values = np.array([40.0, 30.0, 30.0, 10.0, 30.0, 60.0])
    data = make_data(np.c_[np.arange(6) * 10.0, np.zeros(6)], _path_adjacency(6), values, 2, 0.02)
    plan = Plan(data, np.array([0, 0, 0, 0, 1, 1]), np.array([1, 5]), allowed_pairs(data))  # 110 | 90
    plan.xy = data.xy_km
    monkeypatch.setattr(heur_partition, "BORDER_DEPTHS", (1,))
    assert repartition_around(plan, 0, WorkBudget(1e9, 30))
    assert plan.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert np.bincount(plan.labels, values).tolist() == [100.0, 100.0]


@pytest.mark.parametrize("seed", range(4))
def test_repartition_with_merged_cores_is_balanced_and_contiguous(monkeypatch, seed):
    """Forced past the full enumeration, the region around the worst territory is still balanced exactly."""
    rng = np.random.default_rng(seed)
    values = rng.integers(5, 40, 20).astype(float)
    yy, xx = np.divmod(np.arange(20), 5)
    data = make_data(np.c_[xx, yy] * 10.0, grid_adjacency(4, 5), values, 4, 0.05)
    labels = np.repeat(np.arange(4), 5)  # the rows
    plan = Plan(data, labels, np.array([2, 7, 12, 17]), allowed_pairs(data))
    plan.xy = data.xy_km
    monkeypatch.setattr(heur_partition, "BORDER_DEPTHS", (2, 1))
    worst = int(np.argmax(plan.violation()))
    assert repartition_around(plan, worst, WorkBudget(1e9, 30))
    # the re-partitioned region (the territories that changed, the worst one among them) is balanced
    changed = np.unique(np.r_[labels[plan.labels != labels], plan.labels[plan.labels != labels]])
    assert worst in changed
    totals = np.bincount(plan.labels, values, minlength=4)[changed]
    assert ((totals >= data.lower[0, 0] - 1e-9) & (totals <= data.upper[0, 0] + 1e-9)).all()
    for t in range(4):
        assert _connected(data.adjacency, np.flatnonzero(plan.labels == t).tolist())
