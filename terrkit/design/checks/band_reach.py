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

A set in the band is only a witness if it does not cut off a **pocket**: every other territory is connected
and avoids the set, so it lies inside one connected piece of the rest of the graph, and each piece must hold
a whole number :math:`m \\ge 1` of territories, :math:`mL \\le \\text{total} \\le mU`. On Long Island, a
territory of Suffolk + Nassau + Queens + Manhattan cuts Brooklyn off, and Brooklyn alone is too small to be a
territory. Pieces are explored up to ``POCKET_TERRITORIES`` territories' worth of total (bigger pieces are
taken as fine, which only weakens the check, never makes it wrong).

Before any search, :func:`hanging_groups` finds the units that must share a territory because a group too
small to be a territory alone reaches the rest of the graph only through them (a ZIP code that touches one
other, a chain of small counties hanging off a big one); when such a group's total is above the band, no
plan exists either. This needs no budget, so it covers every unit.

For a unit without a witness the search also returns the closest totals on either side: the largest total
of a connected set below the band, and the smallest total above it (every connected set above the band
becomes one that is not by removing one of its units that is not a cut vertex, so the smallest one is a
visited set plus one of its neighbours), and an example of a set in the band that cuts off a pocket.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "BandGap",
    "hanging_groups",
    "may_reach_band",
    "sole_witnesses",
    "unit_witnesses",
    "unreachable_units",
]

#: Sets visited per unit before its search is abandoned (the unit is then not judged).
NODE_BUDGET = 5_000
#: Sets visited over all units before the remaining units are not judged.
TOTAL_BUDGET = 30_000
#: Largest set the enumeration follows (deeper searches are abandoned).
MAX_DEPTH = 400
#: Pockets are explored up to this many territories' worth of total (bigger pieces are taken as fine).
POCKET_TERRITORIES = 3
#: Units explored for pockets that count as one visited set in the budgets.
POCKET_WORK_PER_NODE = 5


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
    blocked_set : tuple of int
        A set in the band that holds the unit but cuts off a pocket (empty when the search met none).
    pocket : tuple of int
        The pocket it cuts off.
    pocket_total : float
        The pocket's total, which no whole number of territories can hold.
    """

    unit: int
    below: float
    below_set: tuple[int, ...]
    above: float
    above_set: tuple[int, ...]
    blocked_set: tuple[int, ...] = ()
    pocket: tuple[int, ...] = ()
    pocket_total: float = float("nan")


class _Found(Exception):
    def __init__(self, members: list[int]) -> None:
        self.members = members


class _OutOfBudget(Exception):
    pass


def _holds_whole_territories(total: float, lo: float, hi: float) -> bool:
    """Whether ``m * lo <= total <= m * hi`` for some whole ``m >= 1``."""
    m = np.floor(total / lo * (1 + 1e-12))
    return bool(m >= 1 and total <= m * hi * (1 + 1e-12))


def _pocket(
    members: set[int],
    values: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    lo: float,
    hi: float,
    work: list[int] | None = None,
) -> tuple[tuple[int, ...], float] | None:
    """A piece of the graph without ``members``, next to them, that no whole number of territories can hold.

    Pieces are explored from each neighbour of ``members`` until their total passes ``POCKET_TERRITORIES``
    territories' worth; such big pieces are taken as fine. The units explored are added to ``work[0]``.
    """
    cap = POCKET_TERRITORIES * hi
    seen: dict[int, int] = {}  # unit -> the piece it was met in
    for m in members:
        for x in indices[indptr[m] : indptr[m + 1]].tolist():
            if x in members or x in seen:
                continue
            pid = len(seen)
            piece, stack, total, big = [x], [x], float(values[x]), False
            seen[x] = pid
            while stack and not big:
                u = stack.pop()
                for w in indices[indptr[u] : indptr[u + 1]].tolist():
                    if w in members:
                        continue
                    if w in seen:
                        # met an earlier piece: only a big one stops short of its whole component
                        big = big or seen[w] != pid
                        continue
                    seen[w] = pid
                    piece.append(w)
                    stack.append(w)
                    total += float(values[w])
                    big = big or total > cap
                    if big:
                        break
            if work is not None:
                work[0] += len(piece)
            if not big and not _holds_whole_territories(total, lo, hi):
                return tuple(piece), total
    return None


def _grow(
    start: list[int], values, indptr, indices, lo: float, hi: float, by_hops: bool
) -> tuple[list[int], float] | None:
    """Grow a connected set from ``start`` until its total reaches the band (None when it cannot)."""
    members = list(start)
    total = float(values[members].sum())
    if total > hi:
        return None
    seen = set(members)
    heap: list[tuple[int, float, int]] = []
    hop = dict.fromkeys(members, 0)

    def push(j: int) -> None:
        for u in indices[indptr[j] : indptr[j + 1]].tolist():
            if u not in seen:
                seen.add(u)
                hop[u] = hop[j] + 1
                heapq.heappush(heap, (hop[u] if by_hops else 0, float(values[u]), u))

    for j in members:
        push(j)
    while total < lo:
        if not heap:
            return None
        _, val, j = heapq.heappop(heap)
        if total + val > hi:
            if not by_hops:  # the smallest neighbour overshoots: so do all the others
                return None
            continue
        members.append(j)
        total += val
        push(j)
    return members, total


def _path(members: set[int], r: int, goal: set[int], indptr, indices) -> list[int]:
    """Shortest path from ``r`` to ``goal`` through ``members`` (both ends included)."""
    prev = {r: -1}
    queue = [r]
    for a in queue:
        if a in goal:
            path = []
            while a != -1:
                path.append(a)
                a = prev[a]
            return path[::-1]
        for b in indices[indptr[a] : indptr[a + 1]].tolist():
            if b not in prev and (b in members or b in goal):
                prev[b] = a
                queue.append(b)
    return []


def _greedy_witness(
    r: int,
    values: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    lo: float,
    hi: float,
    *,
    by_hops: bool,
    tries: int = 8,
) -> list[int] | None:
    """A connected set holding ``r`` with its total in the band and no pocket cut off; None if not found.

    The set grows from ``r``: as a ball (nearest in hops first, then smallest; a unit that would overshoot
    is skipped) with ``by_hops``, else smallest neighbour first. When it cuts a pocket off, the growth
    restarts from ``r``, the path to the pocket and the pocket itself.
    """
    start = [r]
    for _ in range(tries):
        grown = _grow(start, values, indptr, indices, lo, hi, by_hops)
        if grown is None:
            return None
        members = grown[0]
        inside = set(members)
        cut_off = _pocket(inside, values, indptr, indices, lo, hi)
        if cut_off is None:
            return members
        piece = set(cut_off[0])
        start = list(dict.fromkeys(start + _path(inside, r, piece, indptr, indices) + list(piece)))
    return None


def _easy_witness(r: int, values, indptr, indices, lo: float, hi: float) -> list[int] | None:
    """A witness for ``r`` grown as a ball, else smallest neighbour first; None when both fail."""
    witness = _greedy_witness(r, values, indptr, indices, lo, hi, by_hops=True)
    if witness is None:
        witness = _greedy_witness(r, values, indptr, indices, lo, hi, by_hops=False)
    return witness


def _prepare(adjacency, values, lower, upper) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Checked values, the CSR arrays of the adjacency and the band as floats."""
    v = np.asarray(values, dtype=float)
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("the band check needs finite, non-negative values")
    adj = sp.csr_matrix(adjacency)
    return v, adj.indptr, adj.indices, float(lower), float(upper)


def _judge(
    r: int, values, indptr, indices, lo: float, hi: float, budget: int
) -> tuple[list[int] | BandGap | None, int]:
    """A witness of ``r`` (greedy first), the gap proving it has none, or None when the search ran out.

    Also returns the sets the exhaustive search visited (0 when the greedy search found a witness or the
    budget is spent).
    """
    witness = _easy_witness(r, values, indptr, indices, lo, hi)
    if witness is not None or budget <= 0:
        return witness, 0
    search = _Search(values, indptr, indices, lo, hi, budget)
    try:
        found = search.run(r)
    except _OutOfBudget:
        found = None
    return found, search.nodes


class _Search:
    """Exhaustive search of the connected sets containing one unit, with totals up to ``hi``."""

    def __init__(self, values, indptr, indices, lo, hi, budget, stop_after: int = 1) -> None:
        self.values, self.indptr, self.indices = values, indptr, indices
        self.lo, self.hi, self.budget = lo, hi, budget
        self.stop_after = stop_after
        self.nodes = 0
        self.witnesses: list[tuple[int, ...]] = []

    def run(self, r: int) -> list[int] | BandGap:
        """A witness set containing ``r``, or the gap around the band when there is none."""
        v = self.values
        self.members = [r]
        self.inside = {r}
        self.below: tuple[float, tuple[int, ...]] = (-np.inf, ())
        self.above: tuple[float, tuple[int, ...]] = (np.inf, ())
        self.blocked: tuple[tuple[int, ...], tuple[int, ...], float] | None = None
        frontier = [j for j in self.indices[self.indptr[r] : self.indptr[r + 1]].tolist() if j != r]
        try:
            self._visit(float(v[r]), list(dict.fromkeys(frontier)), set())
        except _Found as found:
            return found.members
        if self.witnesses:  # fewer than ``stop_after``, but some
            return list(self.witnesses[0])
        blocked_set, pocket, pocket_total = self.blocked or ((), (), float("nan"))
        return BandGap(
            r, self.below[0], self.below[1], self.above[0], self.above[1], blocked_set, pocket, pocket_total
        )

    def _visit(self, total: float, frontier: list[int], excluded: set[int]) -> None:
        self.nodes += 1
        if self.nodes > self.budget or len(self.members) > MAX_DEPTH:
            raise _OutOfBudget
        v, hi, lo = self.values, self.hi, self.lo
        if total >= lo:  # in the band (sets above it are never visited)
            work = [0]
            cut_off = _pocket(self.inside, v, self.indptr, self.indices, lo, hi, work)
            self.nodes += work[0] // POCKET_WORK_PER_NODE
            if cut_off is None:
                self.witnesses.append(tuple(self.members))
                if len(self.witnesses) >= self.stop_after:
                    raise _Found(list(self.members))
            elif self.blocked is None:
                self.blocked = (tuple(self.members), *cut_off)
        elif total > self.below[0]:
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


def hanging_groups(adjacency: sp.spmatrix, values: np.ndarray, lower: float) -> list[np.ndarray]:
    """Groups of units that every plan keeps in one territory, found by contracting what hangs off a group.

    A connected group whose total is below ``lower`` cannot be a territory alone, so a territory holding
    one of its units reaches past it, through a unit next to it. When all the units next to it belong to
    one group that is already known to sit in one territory, the two groups share that territory. Starting
    from single units, such groups are merged until none is left (a leaf, then the chain it ends, and so
    on); measures are non-negative, so a merged group's total only grows.

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` symmetric adjacency of the units.
    values : numpy.ndarray
        ``(n,)`` non-negative measure per unit.
    lower : float
        The smallest total a territory may have.

    Returns
    -------
    list of numpy.ndarray
        Unit indices of every group of two or more units, largest total first; each group starts with the
        unit the others hang off, then the others in order.

    Examples
    --------
    A star: three small leaves hang off unit 0, so all four share a territory; unit 4 is big enough alone.
    A chain 5-6-7 hangs off unit 4 (unit 7 joins 6, then 5 + 6 + 7 join 4) and is not big enough either.

    >>> import scipy.sparse as sp
    >>> edges = [(0, 1), (0, 2), (0, 3), (0, 4), (4, 5), (5, 6), (6, 7)]
    >>> adj = sp.coo_matrix((np.ones(7), tuple(zip(*edges))), shape=(8, 8))
    >>> values = np.array([1.0, 2, 2, 2, 9, 1, 1, 1])
    >>> [g.tolist() for g in hanging_groups(adj + adj.T, values, lower=5)]
    [[4, 5, 6, 7], [0, 1, 2, 3]]
    """
    v = np.asarray(values, dtype=float)
    adj = sp.csr_matrix(adjacency)
    n = len(v)
    parent = np.arange(n)  # a merged group points to the group it joined
    total = v.copy()
    near = [set(adj.indices[adj.indptr[i] : adj.indptr[i + 1]].tolist()) - {i} for i in range(n)]
    todo = [i for i in range(n) if len(near[i]) == 1 and total[i] < lower]
    while todo:
        g = todo.pop()
        if parent[g] != g or len(near[g]) != 1 or total[g] >= lower:
            continue
        (h,) = near[g]
        parent[g] = h
        total[h] += total[g]
        near[h].discard(g)
        near[g] = set()
        if len(near[h]) == 1 and total[h] < lower:
            todo.append(h)
    root = parent
    while not np.array_equal(root, root[root]):  # follow the pointers to the group that was never merged
        root = root[root]
    merged = np.unique(root[root != np.arange(n)])
    order = np.argsort(root, kind="stable")
    starts = np.searchsorted(root[order], merged)
    ends = np.searchsorted(root[order], merged, side="right")
    groups = [np.r_[r, np.setdiff1d(order[a:b], [r])] for r, a, b in zip(merged, starts, ends, strict=True)]
    return sorted(groups, key=lambda g: -float(v[g].sum()))


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
    v, indptr, indices, lo, hi = _prepare(adjacency, values, lower, upper)
    judged = v > hi  # too big alone: reported by the single-unit check
    gaps: list[BandGap] = []
    spent = 0
    # the biggest units first: their searches are the short ones, and their witnesses certify others
    for r in np.argsort(-v, kind="stable").tolist():
        if judged[r]:
            continue
        found, nodes = _judge(r, v, indptr, indices, lo, hi, min(node_budget, total_budget - spent))
        spent += nodes
        if isinstance(found, BandGap):
            gaps.append(found)
        elif found is not None:
            judged[np.asarray(found)] = True
    return gaps


def sole_witnesses(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    *,
    node_budget: int = NODE_BUDGET,
    total_budget: int = TOTAL_BUDGET,
) -> list[tuple[int, ...]]:
    """Groups that are the only witness of some unit: every feasible plan has each of them as a territory.

    Every unit at least as big as the band's width, and every other unit whose greedy searches fail, is
    searched exhaustively for two witnesses (connected sets holding it with their total in
    ``[lower, upper]``, cutting off no pocket). When the search completes with exactly one, the territory of
    that unit in any feasible plan is that set. Units in a witness found greedily are not searched, and
    searches are bounded, so a forced group may be missed, but a group returned is always forced. On Long
    Island, Suffolk's territory may have to be exactly Suffolk + Nassau + Queens + the Bronx.

    Parameters
    ----------
    adjacency, values, lower, upper, node_budget, total_budget
        As in :func:`unreachable_units`.

    Returns
    -------
    list of tuple of int
        Distinct groups (unit indices), biggest unit first.
    """
    v, indptr, indices, lo, hi = _prepare(adjacency, values, lower, upper)
    done = v > hi
    found: list[tuple[int, ...]] = []
    spent = 0
    for r in np.argsort(-v, kind="stable").tolist():
        if done[r] or spent >= total_budget:
            continue
        if v[r] < hi - lo:  # a unit smaller than the band's width rarely has a single witness
            witness = _easy_witness(r, v, indptr, indices, lo, hi)
            if witness is not None:  # taken as one of several: its units are not searched
                done[witness] = True
                continue
        search = _Search(v, indptr, indices, lo, hi, min(node_budget, total_budget - spent), stop_after=2)
        try:
            search.run(r)
        except _OutOfBudget:
            continue
        finally:
            spent += search.nodes
        if len(search.witnesses) == 1:
            group = tuple(sorted(search.witnesses[0]))
            done[list(group)] = True
            if group not in found:
                found.append(group)
    return found


def unit_witnesses(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    unit: int,
    *,
    limit: int,
    budget: int = NODE_BUDGET,
) -> list[tuple[int, ...]]:
    """Up to ``limit`` witnesses of ``unit``: connected sets holding it, in the band, cutting no pocket off.

    Parameters
    ----------
    adjacency, values, lower, upper
        As in :func:`unreachable_units`.
    unit : int
        The unit.
    limit : int
        Witnesses wanted at most.
    budget : int
        Sets visited before the search stops (the witnesses found so far are returned).

    Returns
    -------
    list of tuple of int
        The witnesses (unit indices, ``unit`` first), in the order the search met them.
    """
    v, indptr, indices, lo, hi = _prepare(adjacency, values, lower, upper)
    search = _Search(v, indptr, indices, lo, hi, budget, stop_after=limit)
    try:
        search.run(int(unit))
    except _OutOfBudget:
        pass
    return list(search.witnesses)


def may_reach_band(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    unit: int,
    *,
    budget: int = NODE_BUDGET,
) -> bool:
    """False only when ``unit`` provably has no witness; True when one is found or the search runs out."""
    v, indptr, indices, lo, hi = _prepare(adjacency, values, lower, upper)
    if v[unit] > hi:
        return False
    found, _ = _judge(int(unit), v, indptr, indices, lo, hi, budget)
    return not isinstance(found, BandGap)
