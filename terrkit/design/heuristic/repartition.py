"""Exact re-partition of a few lumpy territories from all their balanced, connected groups of units.

Where units are big next to the balance band (a metro area of counties, each 10-40% of a territory, in a +-2%
band), single moves and swaps cannot balance a territory, and a flow-based MIP struggles to find any
balanced answer. But there are few connected groups of such units whose totals fall inside the band, so
they can all be listed. For a region of whole territories :math:`S` (all their units :math:`R`), every
connected group :math:`g \\subseteq R` with every measure inside the band is enumerated, and HiGHS solves the
set-partitioning model

.. math::

    \\min \\sum_g c_g x_g \\quad\\text{s.t.}\\quad \\sum_{g \\ni i} x_g = 1 \\;(i \\in R),\\qquad
    \\sum_g x_g = |S|,\\qquad x_g \\in \\{0, 1\\}

with :math:`c_g` the weighted distance of the group's units to its weighted centroid (compactness). Groups are
connected and balanced by construction, so any solution balances the whole region; an infeasible model
proves that the region cannot be balanced as it stands (a bigger region may be). The region grows from the
territory to fix, one neighbouring territory at a time (the nearest ring around it first; in a ring, violated
ones first, then those with the fewest units, which keep the enumeration small), until a balanced
re-partition is found or ``MAX_TERRITORIES`` is reached.

A territory of many small units next to the lumpy ones has too many balanced groups to list. When the
region's enumeration exceeds its budget, each territory keeps its **border strip** (its units within
``depth`` hops of another territory of the region) as single units, and the rest of it is merged into
blocks (one per connected piece), which move as a whole: a territory keeps its core and trades units along
its borders, which is all a lumpy neighbour needs. The depths in ``BORDER_DEPTHS`` are tried in turn; a
neighbour whose enumeration still exceeds the budget is left out.

It applies when centers are chosen by the model, the region has no locks or forbidden pairs, there is no
current plan to respect (moved cap or penalty), the region's territories share their bounds, and measures
are non-negative. Re-partitioned territories get the group their old one overlaps most, and their centers
move to the new medoids.
"""

from __future__ import annotations

import logging
import sys

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components, shortest_path

from terrkit.design.exact.solvers import quiet_highs
from terrkit.design.heuristic.budget import ENUM_SET, WorkBudget, charge_highs, limit_highs

__all__ = ["balanced_groups", "border_blocks", "group_costs", "repartition_around"]

log = logging.getLogger(__name__)

#: Largest region (territories) re-partitioned at once: the set-partition MIP over the region's groups stays
#: solvable at the root up to about a dozen territories; a region that needs more is beyond a local repair.
MAX_TERRITORIES = 12
#: Groups visited by one enumeration before the region is declared too big: tens of thousands of balanced
#: groups keep the partition MIP small enough to solve in seconds.
GROUP_BUDGET = 40_000
#: Border strips tried in turn when the region's enumeration is too big: ``None`` lists groups of single
#: units; a depth ``d`` merges every unit more than ``d - 1`` hops from another territory's units (see notes).
BORDER_DEPTHS: tuple[int | None, ...] = (None, 2, 1)
#: Branch-and-bound nodes of one partition MIP: a set partition over a few thousand groups is solved at the
#: root or within a few dozen nodes; a region that needs more is left to the next operator.
PARTITION_NODES = 500


class _TooMany(Exception):
    pass


def balanced_groups(
    adjacency: sp.csr_matrix,
    measures: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    budget: int = GROUP_BUDGET,
    work: WorkBudget | None = None,
) -> list[np.ndarray] | None:
    """Every connected set of units with every measure inside ``[lower, upper]`` (each set once).

    Parameters
    ----------
    adjacency : scipy.sparse.csr_matrix
        ``(n, n)`` symmetric adjacency of the units.
    measures : numpy.ndarray
        ``(n, q)`` non-negative measures.
    lower, upper : numpy.ndarray
        ``(q,)`` band of every measure.
    budget : int
        Sets visited before giving up.
    work : WorkBudget, optional
        The search's work budget, charged ``ENUM_SET`` per set visited; the enumeration gives up when it
        is spent.

    Returns
    -------
    list of numpy.ndarray or None
        The groups (unit indices), or None when the enumeration exceeded ``budget`` or ``work``.

    Notes
    -----
    Each set is built from its smallest unit ``r``, extending a frontier of neighbours with a larger index
    that are neither in the set nor excluded; after a neighbour has been tried it is excluded from the
    remaining branches, so every connected set is visited exactly once. Sets above ``upper`` in any measure
    are never extended (measures are non-negative).
    """
    adj = sp.csr_matrix(adjacency)
    indptr, indices = adj.indptr, adj.indices
    m = np.asarray(measures, dtype=float).reshape(adj.shape[0], -1)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float) * (1 + 1e-12)
    n = adj.shape[0]
    groups: list[np.ndarray] = []
    visited = [0]
    members: list[int] = []
    inside: set[int] = set()
    limit = sys.getrecursionlimit()

    def visit(total: np.ndarray, frontier: list[int], excluded: set[int]) -> None:
        visited[0] += 1
        if visited[0] > budget or len(members) > limit // 2:
            raise _TooMany
        if work is not None and visited[0] % 2048 == 0:
            work.charge(2048 * ENUM_SET, "enumeration")
            if work.exhausted():
                raise _TooMany
        if (total >= lo * (1 - 1e-12)).all():
            groups.append(np.array(members, dtype=np.int64))
        excluded = set(excluded)
        in_frontier = set(frontier)
        for pos, u in enumerate(frontier):
            t2 = total + m[u]
            if (t2 > hi).any():
                excluded.add(u)
                continue
            extra = [
                w
                for w in indices[indptr[u] : indptr[u + 1]].tolist()
                if w not in inside and w not in excluded and w not in in_frontier
            ]
            members.append(u)
            inside.add(u)
            visit(t2, frontier[pos + 1 :] + list(dict.fromkeys(extra)), excluded)
            members.pop()
            inside.discard(u)
            excluded.add(u)

    try:
        for r in range(n):
            if (m[r] > hi).any():
                continue
            members[:] = [r]
            inside.clear()
            inside.add(r)
            smaller = set(range(r))
            frontier = [w for w in indices[indptr[r] : indptr[r + 1]].tolist() if w > r]
            visit(m[r].copy(), list(dict.fromkeys(frontier)), smaller)
    except _TooMany:
        return None
    return groups


def _applies(plan, terrs: np.ndarray, units: np.ndarray) -> bool:
    if not plan.enforce or plan.q == 0 or plan.fixed or not plan.centers_are_units or plan.cur is not None:
        return False
    if plan.locked[units].any() or not plan.allowed[np.ix_(units, terrs)].all():
        return False
    if (plan.M[units] < 0).any():
        return False
    lo, hi = plan.L[terrs], plan.U[terrs]
    return bool(
        np.isfinite(lo).all()
        and np.isfinite(hi).all()
        and (np.ptp(lo, 0) == 0).all()
        and (np.ptp(hi, 0) == 0).all()
    )


def group_costs(groups: list[np.ndarray], xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted distance of every group's units to the group's weighted centroid (its compactness).

    Parameters
    ----------
    groups : list of numpy.ndarray
        Unit indices of every group.
    xy : numpy.ndarray
        ``(n, 2)`` planar coordinates of the units.
    w : numpy.ndarray
        ``(n,)`` weight of the units.

    Returns
    -------
    numpy.ndarray
        ``(len(groups),)`` sum over each group's units of weight times distance to the weighted centroid.
    """
    sizes = np.array([len(g) for g in groups])
    owner = np.repeat(np.arange(len(groups)), sizes)
    flat = np.concatenate(groups)
    ww = w[flat] + 1e-12
    sw = np.bincount(owner, ww)
    cx = np.bincount(owner, ww * xy[flat, 0]) / sw
    cy = np.bincount(owner, ww * xy[flat, 1]) / sw
    d = np.hypot(xy[flat, 0] - cx[owner], xy[flat, 1] - cy[owner])
    return np.bincount(owner, ww * d, minlength=len(groups))


def _solve_partition(
    groups: list[np.ndarray], n_units: int, n_parts: int, cost: np.ndarray, budget: WorkBudget
):
    """Chosen group indices of a set partition of ``n_units`` into ``n_parts`` groups, or None."""
    sizes = np.array([len(g) for g in groups])
    ng = len(groups)
    rows = np.r_[np.concatenate(groups), np.full(ng, n_units)]
    cols = np.r_[np.repeat(np.arange(ng), sizes), np.arange(ng)]
    a = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_units + 1, ng))
    lp = highspy.HighsLp()
    lp.num_col_ = ng
    lp.num_row_ = n_units + 1
    lp.col_cost_ = np.asarray(cost, dtype=float) / max(float(np.abs(cost).max()), 1e-12)
    lp.col_lower_ = np.zeros(ng)
    lp.col_upper_ = np.ones(ng)
    lp.row_lower_ = np.r_[np.ones(n_units), float(n_parts)]
    lp.row_upper_ = np.r_[np.ones(n_units), float(n_parts)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * ng
    h = quiet_highs()
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 1e-3)
    if not limit_highs(h, budget, nodes=PARTITION_NODES):
        return None
    h.passModel(lp)
    h.run()
    charge_highs(h, budget)
    sol = h.getSolution()
    if not sol.value_valid or h.getInfo().primal_solution_status != 2:
        return None
    chosen = np.flatnonzero(np.asarray(sol.col_value) > 0.5)
    return chosen if len(chosen) == n_parts else None


def border_blocks(adjacency: sp.csr_matrix, labels: np.ndarray, depth: int | None) -> np.ndarray:
    """Block of every unit: the units near another territory stay single, the rest merge per territory.

    Parameters
    ----------
    adjacency : scipy.sparse.csr_matrix
        ``(n, n)`` adjacency of the region's units.
    labels : numpy.ndarray
        ``(n,)`` territory of every unit.
    depth : int or None
        Units at most ``depth - 1`` hops (inside their territory) from a unit adjacent to another territory
        stay single; the others are merged into one block per connected piece of their territory. ``None``
        keeps every unit single.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` block index of every unit, numbered from 0 in order of first appearance.
    """
    adj = sp.csr_matrix(adjacency)
    n = adj.shape[0]
    labels = np.asarray(labels)
    if depth is None:
        return np.arange(n)
    coo = adj.tocoo()
    same = labels[coo.row] == labels[coo.col]
    border = np.zeros(n, dtype=bool)
    border[coo.row[~same]] = True
    inner = sp.csr_matrix((np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=(n, n))
    single = border.copy()
    for _ in range(depth - 1):  # widen the strip by one hop inside the territory
        single |= (inner @ single.astype(float)) > 0
    rest = ~single
    keep = same & rest[coo.row] & rest[coo.col]
    merged = sp.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=(n, n))
    _, piece = connected_components(merged, directed=False)
    key = np.where(single, np.arange(n), n + piece)
    _, block = np.unique(key, return_inverse=True)
    # number blocks by first appearance so that single units keep their order
    first = np.full(block.max() + 1, n)
    np.minimum.at(first, block, np.arange(n))
    return np.argsort(np.argsort(first))[block]


def _region_groups(
    plan, terrs: np.ndarray, units: np.ndarray, budget: WorkBudget, depths: tuple[int | None, ...]
) -> tuple[list[np.ndarray], int | None] | None:
    """Balanced, connected groups of the region's units (local indices) and the border depth that listed them.

    The depths are tried in turn (see ``BORDER_DEPTHS``); None when every enumeration exceeds its budget.
    """
    sub = plan.adj[units][:, units].tocsr()
    for depth in depths:
        block = border_blocks(sub, plan.labels[units], depth)
        nb = int(block.max()) + 1
        spread = sp.csr_matrix((np.ones(len(units)), (np.arange(len(units)), block)), shape=(len(units), nb))
        block_adj = (spread.T @ sub @ spread).tocsr()
        block_adj.setdiag(0)
        block_adj.eliminate_zeros()
        block_measures = spread.T @ plan.M[units]
        groups = balanced_groups(block_adj, block_measures, plan.L[terrs[0]], plan.U[terrs[0]], work=budget)
        if groups is not None:
            if depth is None:
                return groups, depth
            units_of = np.split(np.argsort(block, kind="stable"), np.cumsum(np.bincount(block))[:-1])
            return [np.sort(np.concatenate([units_of[b] for b in g])) for g in groups], depth
    return None


def _apply(plan, terrs: np.ndarray, units: np.ndarray, parts: list[np.ndarray]) -> None:
    """Give every new group the territory it overlaps most, move the units and re-center."""
    old = plan.labels[units]
    overlap = np.zeros((len(parts), len(terrs)))
    for p, g in enumerate(parts):
        for j, t in enumerate(terrs):
            overlap[p, j] = plan.w[units[g]][old[g] == t].sum() + 1e-9 * np.count_nonzero(old[g] == t)
    rows, cols = linear_sum_assignment(-overlap)
    for p, j in zip(rows.tolist(), cols.tolist(), strict=True):
        for u in units[parts[p]].tolist():
            if plan.labels[u] != terrs[j]:
                plan.labels[u] = terrs[j]
    plan._recount()
    plan.reset_centers(terrs)


def repartition_around(plan, s: int, budget: WorkBudget) -> bool:
    """Re-partition territory ``s`` and its neighbours exactly into balanced, connected territories.

    Parameters
    ----------
    plan : terrkit.design.heuristic.local_search.Plan
        The plan, changed in place when a balanced re-partition is found.
    s : int
        The territory to fix.
    budget : WorkBudget
        Work budget: the enumerations and the partition MIPs are charged to it, and the region stops growing
        once it is spent.

    Returns
    -------
    bool
        Whether the region around ``s`` was re-partitioned (every territory in it is then within its bounds).
    """
    g = plan._territory_graph_all()
    ring = shortest_path(g, unweighted=True, indices=int(s))
    region = [int(s)]
    size = np.bincount(plan.labels, minlength=plan.k)
    too_fine: list[int] = []  # neighbours whose small units make the enumeration explode
    depths = BORDER_DEPTHS
    while len(region) < MAX_TERRITORIES and not budget.exhausted():
        nb = np.setdiff1d(np.unique(g[region].indices), region + too_fine)
        if len(nb) == 0:
            break
        viol = plan.violation()[nb]
        # the nearest ring first, violated neighbours first in it, then the smallest (fewest units keep the
        # enumeration small)
        candidate = int(nb[np.lexsort((size[nb], ~(viol > 1e-12), ring[nb]))][0])
        terrs = np.array(sorted([*region, candidate]), dtype=np.int64)
        units = np.flatnonzero(np.isin(plan.labels, terrs))
        if not _applies(plan, terrs, units):
            break
        listed = _region_groups(plan, terrs, units, budget, depths)
        if listed is None:
            too_fine.append(candidate)
            if len(too_fine) > MAX_TERRITORIES:
                break
            continue
        groups, depth = listed
        depths = depths[depths.index(depth) :]  # a bigger region has at least as many groups
        region.append(candidate)
        if len(groups) < len(terrs):
            continue
        xy = plan.xy[units] if plan.xy is not None else np.c_[np.arange(len(units)), np.zeros(len(units))]
        cost = group_costs(groups, xy, plan.w[units])
        chosen = _solve_partition(groups, len(units), len(terrs), cost, budget)
        log.debug(
            "re-partition around %d: %d territories, %d units, border depth %s, %d groups: %s",
            s,
            len(terrs),
            len(units),
            depth,
            len(groups),
            "balanced" if chosen is not None else "none balanced",
        )
        if chosen is None:
            continue
        _apply(plan, terrs, units, [groups[c] for c in chosen])
        return True
    log.debug("re-partition around %d: gave up (region %s, left out %s)", s, region, too_fine)
    return False
