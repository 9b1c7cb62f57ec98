"""Boundary shifting: today's borders move, LP-guided, until every territory is within its bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from terrkit.design.heuristic.border_shift import shift_boundaries
from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.local_search import Plan
from terrkit.design.heuristic.seeding import allowed_pairs
from terrkit.design.problem.contiguity import count_fragments
from terrkit.design.problem.definition import TerritoryDesignProblem


def grid_problem(rows: int, cols: int, split_col: int, tolerance: float, seed: int = 0, locks=None):
    """A rows x cols grid, two territories split at ``split_col``, centers fixed near each side."""
    rng = np.random.default_rng(seed)
    ids = [f"r{r}c{c}" for r in range(rows) for c in range(cols)]
    xy = np.array([(c, r) for r in range(rows) for c in range(cols)], dtype=float)
    edges = [(ids[r * cols + c], ids[r * cols + c + 1]) for r in range(rows) for c in range(cols - 1)]
    edges += [(ids[r * cols + c], ids[(r + 1) * cols + c]) for r in range(rows - 1) for c in range(cols)]
    homes = np.array([[1.0, rows // 2], [cols - 2.0, rows // 2]])
    cost = np.hypot(xy[:, None, 0] - homes[None, :, 0], xy[:, None, 1] - homes[None, :, 1])
    current = np.where(xy[:, 0] < split_col, "A", "B")
    measures = {
        "m": rng.integers(1, 4, len(ids)).astype(float),
        "h": rng.integers(1, 3, len(ids)).astype(float),
    }
    problem = TerritoryDesignProblem.from_arrays(
        ids, 2, xy=xy, cost=pd.DataFrame(cost, columns=["A", "B"]), measures=measures,
        balance={"m": tolerance, "h": 2 * tolerance}, weight=np.ones(len(ids)), adjacency=edges,
        contiguous=True, centers={"A": "A", "B": "B"}, current=current, locks=locks,
    )  # fmt: skip
    return problem


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shifting_balances_a_lopsided_grid_and_keeps_it_contiguous(seed):
    problem = grid_problem(6, 8, split_col=6, tolerance=0.1, seed=seed, locks={"r3c0": "A", "r3c7": "B"})
    d = problem.data
    cur = np.asarray(d.current)
    plan = Plan(d, cur.copy(), d.fixed_centers, allowed_pairs(d))
    plan.locked = np.asarray(d.locked) >= 0
    before = plan.violation().max()
    assert before > 0  # 36 units of 48 on one side: far outside +-10%
    rounds = shift_boundaries(plan, cur, budget=WorkBudget(1e9, 30))
    assert 1 <= rounds
    assert plan.violation().max() == pytest.approx(0.0, abs=1e-12)
    assert count_fragments(d.adjacency, plan.labels) == 0
    assert plan.labels[list(d.ids).index("r3c0")] == 0 and plan.labels[list(d.ids).index("r3c7")] == 1
    # only units that had to move did: the shift moves the border, it does not redraw the map
    moved = plan.labels != cur
    assert moved.any() and (cur[moved] == 0).all()  # every moved unit left the overloaded territory


def test_a_balanced_plan_is_left_alone():
    problem = grid_problem(4, 6, split_col=3, tolerance=0.5)
    d = problem.data
    cur = np.asarray(d.current)
    plan = Plan(d, cur.copy(), d.fixed_centers, allowed_pairs(d))
    assert plan.violation().max() == 0
    shift_boundaries(plan, cur, budget=WorkBudget(1e9, 10))
    np.testing.assert_array_equal(plan.labels, cur)
