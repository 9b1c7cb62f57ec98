"""Territories for a cluster of big units, chosen by a backtracking search before the rest is designed.

In a metro area where every county holds 10-40% of a territory and the band is +-2%, the territories there
must be put together like a jigsaw: taking Kings + New York + Hudson + Bergen for one territory leaves
Richmond to be joined through Union, which then must leave Middlesex to another territory, and so on. Local
search and re-partitions of a few territories at a time can miss such a chain; a search over the whole
cluster finds it directly.

Units of the ``zone`` (the area around the territories the heuristic could not balance) whose value is at
least ``LUMPY_WIDTHS`` times the band's width are **lumpy**. The search gives each of them a territory: a
connected group of units not yet taken, with its total in the band, that cuts no pocket off from the rest
(:mod:`terrkit.design.checks.band_reach`). At each step it takes the lumpy unit with the fewest free
neighbours (the most constrained one), tries its candidate groups from the most compact, and checks that every
lumpy unit left can still be given a group; it backtracks on a dead end. The groups found are fixed as
territories and the heuristic designs the others on the remaining, finer units.

The search is bounded by a number of placements and the work budget; it returns None when it finds no cover.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from terrkit.design.checks.band_reach import may_reach_band, unit_witnesses
from terrkit.design.heuristic.budget import REPAIR_STEP, WorkBudget
from terrkit.design.heuristic.repartition import group_costs

__all__ = ["is_lumpy", "lumpy_groups"]

#: A unit is lumpy when its value is at least this many band widths: from there on, adding or dropping it
#: swings a territory across more than two whole bands, so local moves cannot fix a group around it (below
#: it, the moves of the local search can).
LUMPY_WIDTHS = 2.5
#: Candidate groups listed for the unit being placed: the most compact few dozen hold the cover whenever one
#: exists on the tune instances, and backtracking over more multiplies the search without finding more.
CANDIDATES = 24
#: Sets visited when listing the candidates of one unit, or when checking that a unit still has a group: a
#: few thousand connected sets around one unit reach every group of 3-6 big counties a metro band allows.
SEARCH_BUDGET = 3_000
#: Placements tried in all before the search gives up: a cover of a metro cluster (10-20 lumpy units) takes
#: tens of placements with backtracking; hundreds without one means the cluster needs another operator.
PLACEMENT_BUDGET = 400


class _GiveUp(Exception):
    pass


def is_lumpy(values: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Mask of the values that are at least ``LUMPY_WIDTHS`` band widths and fit in the band alone."""
    v = np.asarray(values, dtype=float)
    return (v >= LUMPY_WIDTHS * (float(upper) - float(lower))) & (v <= float(upper))


def _without(adjacency: sp.csr_matrix, taken: np.ndarray) -> sp.csr_matrix:
    """The adjacency with every edge of a taken unit removed."""
    free = sp.diags((~taken).astype(float))
    out = (free @ adjacency @ free).tocsr()
    out.eliminate_zeros()
    return out


def lumpy_groups(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    zone: np.ndarray,
    xy: np.ndarray,
    weight: np.ndarray,
    budget: WorkBudget | None = None,
) -> list[np.ndarray] | None:
    """Disjoint territories (connected, in the band) that hold every lumpy unit of ``zone``.

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` symmetric adjacency of the units.
    values : numpy.ndarray
        ``(n,)`` non-negative balanced measure.
    lower, upper : float
        The band a territory's total must lie in.
    zone : numpy.ndarray
        ``(n,)`` boolean mask of the units whose lumpy ones must be placed.
    xy : numpy.ndarray
        ``(n, 2)`` planar coordinates (compact groups are tried first).
    weight : numpy.ndarray
        ``(n,)`` objective weight of the units.
    budget : WorkBudget, optional
        Charged ``REPAIR_STEP`` per placement tried; the search gives up when it is spent (and always after
        ``PLACEMENT_BUDGET`` placements).

    Returns
    -------
    list of numpy.ndarray or None
        The groups (unit indices), or None when the zone has no lumpy unit or no cover was found within
        the budget.
    """
    v = np.asarray(values, dtype=float)
    lo, hi = float(lower), float(upper)
    adj = sp.csr_matrix(adjacency, dtype=float)
    lumpy = np.asarray(zone, dtype=bool) & is_lumpy(v, lo, hi)
    if not lumpy.any():
        return None
    xy = np.asarray(xy, dtype=float)
    weight = np.asarray(weight, dtype=float)
    placements = [0]

    def place(taken: np.ndarray, groups: list[tuple[int, ...]]) -> list[tuple[int, ...]] | None:
        todo = np.flatnonzero(lumpy & ~taken)
        if len(todo) == 0:
            return groups
        if placements[0] > PLACEMENT_BUDGET or (budget is not None and budget.exhausted()):
            raise _GiveUp
        a = _without(adj, taken)
        if not all(may_reach_band(a, v, lo, hi, int(r), budget=SEARCH_BUDGET) for r in todo):
            return None
        degree = np.diff(a.indptr)[todo]
        r = int(todo[np.lexsort((-v[todo], degree))][0])
        candidates = unit_witnesses(a, v, lo, hi, r, limit=CANDIDATES, budget=SEARCH_BUDGET)
        spread = group_costs([np.asarray(g) for g in candidates], xy, weight) if candidates else []
        for _, g in sorted(zip(spread, candidates, strict=True), key=lambda c: c[0]):
            placements[0] += 1
            if budget is not None:
                budget.charge(REPAIR_STEP, "enumeration")
            now = taken.copy()
            now[list(g)] = True
            found = place(now, [*groups, g])
            if found is not None:
                return found
        return None

    try:
        found = place(np.zeros(len(v), dtype=bool), [])
    except _GiveUp:
        return None
    if not found:
        return None
    return [np.asarray(sorted(g), dtype=np.int64) for g in found]
