"""``sole_witnesses`` against brute force: every group it returns is a territory of every feasible plan."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.design.checks.band_reach import sole_witnesses


def _grid(rows: int, cols: int) -> sp.csr_matrix:
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    e = np.array(edges)
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(rows * cols,) * 2)
    return (a + a.T).tocsr()


def _feasible_plans(adjacency: sp.csr_matrix, values: np.ndarray, k: int, lo: float, hi: float):
    """Every partition into ``k`` connected territories with totals in ``[lo, hi]``, as sets of groups."""
    n = len(values)
    plans = set()
    for labels in itertools.product(range(k), repeat=n - 1):
        labels = np.array((0, *labels))  # unit 0 in territory 0: each partition counted once per order
        groups = []
        for t in range(k):
            members = np.flatnonzero(labels == t)
            total = values[members].sum()
            if not len(members) or not lo <= total <= hi:
                break
            if connected_components(adjacency[members][:, members], directed=False)[0] != 1:
                break
            groups.append(tuple(members.tolist()))
        else:
            plans.add(frozenset(groups))
    return plans


SEEDS = range(24)


@cache
def _instance(seed: int):
    """A 3 x 3 grid with random values, 3 territories at +-7%: its feasible plans and its sole witnesses."""
    rng = np.random.default_rng(seed)
    adjacency = _grid(3, 3)
    values = rng.integers(1, 12, 9).astype(float)
    lo, hi = 0.93 * values.sum() / 3, 1.07 * values.sum() / 3
    plans = _feasible_plans(adjacency, values, 3, lo, hi)
    return plans, sole_witnesses(adjacency, values, lo, hi)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_sole_witness_is_a_territory_of_every_feasible_plan(seed):
    plans, groups = _instance(seed)
    for group in groups:
        assert all(tuple(sorted(group)) in {tuple(sorted(g)) for g in plan} for plan in plans), group


def test_the_brute_force_is_not_vacuous():
    """Some instances have feasible plans and forced groups both, so the check above has teeth."""
    checked = sum(bool(_instance(seed)[0]) and bool(_instance(seed)[1]) for seed in SEEDS)
    assert checked >= 3, checked
