"""Realigning from a current alignment with gaps: units without a territory fill from their borders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.design.heuristic.search import _current_labels
from terrkit.design.heuristic.seeding import allowed_pairs, effective_locks, planar_xy
from terrkit.design.problem.definition import TerritoryDesignProblem


def _line(current: list[str | None], cost: np.ndarray | None = None) -> TerritoryDesignProblem:
    n = len(current)
    ids = [f"u{i}" for i in range(n)]
    xy = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    cost = np.zeros((n, 2)) if cost is None else cost  # units without accounts cost nothing anywhere
    return TerritoryDesignProblem.from_arrays(
        ids, 2, xy=xy, cost=pd.DataFrame(cost, columns=["A", "B"]), measures={"m": np.ones(n)},
        balance={"m": 0.5}, weight=np.ones(n), adjacency=[(ids[i], ids[i + 1]) for i in range(n - 1)],
        contiguous=True, centers={"A": "A", "B": "B"},
        current=np.array(current, dtype=object),
    )  # fmt: skip


def _start(problem: TerritoryDesignProblem) -> list[int]:
    data = problem.data
    cur = np.asarray(data.current, dtype=np.int64)
    return _current_labels(data, allowed_pairs(data), effective_locks(data), cur, planar_xy(data)).tolist()


def test_a_gap_of_empty_units_fills_ring_by_ring_from_both_sides():
    # by cost alone (all zero) every gap unit would go to the first territory
    assert _start(_line(["A", None, None, None, None, None, None, "B"])) == [0, 0, 0, 0, 1, 1, 1, 1]


def test_a_gap_reached_from_one_side_only_takes_that_side():
    labels = _start(_line(["A", None, None, "B", "B", "B"]))
    assert labels == [0, 0, 1, 1, 1, 1]


def test_between_neighbours_the_cheaper_territory_wins():
    cost = np.zeros((5, 2))
    cost[2] = [5.0, 1.0]  # the middle unit's accounts are cheaper to serve from B
    assert _start(_line(["A", "A", None, "B", "B"], cost)) == [0, 0, 1, 1, 1]
