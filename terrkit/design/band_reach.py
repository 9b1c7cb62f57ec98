"""Which units can sit in a balanced, connected territory at all: a proof of infeasibility under contiguity.

When every territory must be connected, the territory that holds unit :math:`u` is a connected set of units
that contains :math:`u` and whose total of a balanced measure lies in the band :math:`[L, U]`. If no such set
exists, no alignment exists, whatever the other units do. Big units at the end of a chain make this happen:
on Long Island, Suffolk can only be joined through Nassau, and Nassau only through Queens, so the territory
holding Suffolk either stops at Suffolk + Nassau + Queens or grows by a whole New York borough, and neither
total may fall inside a +-2% band.

For every unit, :func:`unreachable_units` looks for a witness, a connected set containing it with its total in
the band: first greedily (grow from the unit, always adding the smallest neighbouring unit), then, when
that fails, by enumerating every connected set containing the unit whose total stays below :math:`U`
(each set once, by the classic include/exclude branching over the frontier; measures are non-negative, so a
set above :math:`U` never needs extending). A witness certifies every unit in it. The enumeration is
bounded; a unit whose search runs out of budget is left unjudged, so a reported unit is always a proof.

For a unit without a witness the search also returns the closest totals on either side: the largest total
of a connected set below the band, and the smallest total above it (every connected set above the band
becomes one that is not by removing one of its units that is not a cut vertex, so the smallest one is a
visited set plus one of its neighbours).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["BandGap", "unreachable_units"]

#: Sets visited per unit before its search is abandoned (the unit is then not judged).
NODE_BUDGET = 20_000
#: Sets visited over all units before the remaining units are not judged.
TOTAL_BUDGET = 200_000
#: Largest set the enumeration follows (deeper searches are abandoned).
MAX_DEPTH = 400


@dataclass(frozen=True)
class BandGap:
    """A unit that no connected set with a total inside the band can contain.

    Attributes
    ----------
    unit : int
        Index of the unit.
    below : float
        Largest total of a connected set containing the unit that is below the band.
    below_set : tuple of int
        That set (unit indices, the unit first).
    above : float
        Smallest total of a connected set containing the unit that is above the band (``inf`` if none).
    above_set : tuple of int
        That set (empty when ``above`` is ``inf``).
    """

    unit: int
    below: float
    below_set: tuple[int, ...]
    above: float
    above_set: tuple[int, ...]


class _Found(Exception):
    def __init__(self, members: list[int]) -> None:
        self.members = members


class _OutOfBudget(Exception):
    pass


def _greedy_witness(
    r: int, values: np.ndarray, indptr: np.ndarray, indices: np.ndarray, lo: float, hi: float
) -> list[int] | None:
    """Grow from ``r`` adding the smallest neighbouring unit until the band is reached (or overshot)."""
    total = float(values[r])
    members = [r]
    if lo <= total <= hi:
        return members
    seen = {r}
    heap: list[tuple[float, int]] = []
    for j in indices[indptr[r] : indptr[r + 1]].tolist():
        if j not in seen:
            seen.add(j)
            heap.append((float(values[j]), j))
    heapq.heapify(heap)
    while heap:
        val, j = heapq.heappop(heap)
        if total + val > hi:  # the smallest neighbour overshoots: so do all the others
            return None
        members.append(j)
        total += val
        if total >= lo:
            return members
        for u in indices[indptr[j] : indptr[j + 1]].tolist():
            if u not in seen:
                seen.add(u)
                heapq.heappush(heap, (float(values[u]), u))
    return None


class _Search:
    """Exhaustive search of the connected sets containing one unit, with totals up to ``hi``."""

    def __init__(self, values, indptr, indices, lo, hi, budget) -> None:
        self.values, self.indptr, self.indices = values, indptr, indices
        self.lo, self.hi, self.budget = lo, hi, budget
        self.nodes = 0

    def run(self, r: int) -> list[int] | BandGap:
        """A witness set containing ``r``, or the gap around the band when there is none."""
        v = self.values
        self.members = [r]
        self.inside = {r}
        self.below = (float(v[r]), (r,))
        self.above: tuple[float, tuple[int, ...]] = (np.inf, ())
        frontier = [j for j in self.indices[self.indptr[r] : self.indptr[r + 1]].tolist() if j != r]
        try:
            self._visit(float(v[r]), list(dict.fromkeys(frontier)), set())
        except _Found as found:
            return found.members
        return BandGap(r, self.below[0], self.below[1], self.above[0], self.above[1])

    def _visit(self, total: float, frontier: list[int], excluded: set[int]) -> None:
        self.nodes += 1
        if self.nodes > self.budget or len(self.members) > MAX_DEPTH:
            raise _OutOfBudget
        v, hi, lo = self.values, self.hi, self.lo
        if total > self.below[0]:
            self.below = (total, tuple(self.members))
        # every neighbour of the set is in the frontier or excluded: the closest total above the band
        for u in frontier + list(excluded):
            t2 = total + float(v[u])
            if hi < t2 < self.above[0]:
                self.above = (t2, (*self.members, u))
        excluded = set(excluded)
        in_frontier = set(frontier)
        for pos, u in enumerate(frontier):
            t2 = total + float(v[u])
            if t2 > hi:  # any set with u overshoots
                excluded.add(u)
                continue
            if t2 >= lo:
                raise _Found([*self.members, u])
            extra = [
                w
                for w in self.indices[self.indptr[u] : self.indptr[u + 1]].tolist()
                if w not in self.inside and w not in excluded and w not in in_frontier
            ]
            self.members.append(u)
            self.inside.add(u)
            self._visit(t2, frontier[pos + 1 :] + list(dict.fromkeys(extra)), excluded)
            self.members.pop()
            self.inside.discard(u)
            excluded.add(u)


def unreachable_units(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    *,
    node_budget: int = NODE_BUDGET,
    total_budget: int = TOTAL_BUDGET,
) -> list[BandGap]:
    """Units that no connected set with a total in ``[lower, upper]`` contains (a proof of infeasibility).

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` symmetric adjacency of the units.
    values : numpy.ndarray
        ``(n,)`` non-negative measure per unit.
    lower, upper : float
        The band a territory's total must lie in.
    node_budget, total_budget : int
        Sets visited per unit and over all units; a unit whose search runs out is not judged.

    Returns
    -------
    list of BandGap
        One entry per unit proven unable to reach the band, with the closest totals on either side. Units
        larger than ``upper`` on their own are not listed (that simpler problem is reported elsewhere).

    Raises
    ------
    ValueError
        If a value is negative or not finite (the search relies on totals growing with the set).
    """
    v = np.asarray(values, dtype=float)
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("the band check needs finite, non-negative values")
    adj = sp.csr_matrix(adjacency)
    indptr, indices = adj.indptr, adj.indices
    lo, hi = float(lower), float(upper)
    judged = v > hi  # too big alone: reported by the single-unit check
    gaps: list[BandGap] = []
    spent = 0
    # the biggest units first: their searches are the short ones, and their witnesses certify others
    for r in np.argsort(-v, kind="stable").tolist():
        if judged[r]:
            continue
        witness = _greedy_witness(r, v, indptr, indices, lo, hi)
        if witness is None and spent < total_budget:
            search = _Search(v, indptr, indices, lo, hi, min(node_budget, total_budget - spent))
            try:
                found = search.run(r)
            except _OutOfBudget:
                found = None
            spent += search.nodes
            if isinstance(found, BandGap):
                gaps.append(found)
            else:
                witness = found
        if witness is not None:
            judged[np.asarray(witness)] = True
    return gaps
