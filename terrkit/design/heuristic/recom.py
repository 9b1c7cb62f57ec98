"""Re-split two neighbouring territories along a spanning-tree edge (ReCom-style balance repair).

The union :math:`A \\cup B` of two adjacent connected territories is connected. Removing one edge of a
spanning tree of the union splits it into two connected parts; the cut is valid when both parts meet their
territory's bounds (and keep their locked units and fixed centers). Random spanning trees (minimum spanning
trees under random edge weights) are drawn until valid cuts are found; the cut of least objective is kept
(DeFord, Duchin & Solomon, "Recombination: a family of Markov chains for redistricting", 2021).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from terrkit.design.heuristic.budget import RESPLIT_UNIT, WorkBudget

__all__ = ["resplit_pair"]


def resplit_pair(
    plan,
    a: int,
    b: int,
    rng: np.random.Generator,
    trees: int = 40,
    max_cuts: int = 8,
    force: bool = False,
    budget: WorkBudget | None = None,
) -> bool:
    """Re-split territories ``a`` and ``b`` of ``plan`` in place; returns True if both end within bounds.

    Parameters
    ----------
    plan : terrkit.design.heuristic.local_search.Plan
        The plan (contiguity enforced).
    a, b : int
        Two adjacent territories.
    rng : numpy.random.Generator
        Source of the random spanning trees.
    trees : int
        Spanning trees to draw at most.
    max_cuts : int
        Stop after this many valid cuts and keep the cheapest.
    force : bool
        Keep any valid cut (to shake a plan, see ``Plan.perturb_and_repair``), not only one that lowers the
        violation.
    budget : WorkBudget, optional
        Charged ``RESPLIT_UNIT`` per unit of the pair and tree drawn; no more trees once it is spent.
    """
    if not plan.enforce or plan.q == 0:
        return False
    U = np.flatnonzero((plan.labels == a) | (plan.labels == b))
    nU = len(U)
    if nU < 2:
        return False
    tot = plan.M[U].sum(axis=0)
    tol = plan.tol
    if (tot < plan.L[a] + plan.L[b] - tol).any() or (tot > plan.U[a] + plan.U[b] + tol).any():
        return False
    sub = sp.triu(plan.adj[U][:, U], 1).tocoo()
    if sub.nnz == 0:
        return False
    must_a = (plan.locked[U] | plan.is_center[U] & plan.fixed) & (plan.labels[U] == a)
    must_b = (plan.locked[U] | plan.is_center[U] & plan.fixed) & (plan.labels[U] == b)
    Mu = plan.M[U]
    best = None
    found = 0
    for _ in range(trees):
        if budget is not None:
            if budget.exhausted():
                break
            budget.charge(RESPLIT_UNIT * nU, "resplit")
        wts = sp.csr_matrix((rng.random(sub.nnz) + 1.0, (sub.row, sub.col)), shape=(nU, nU))
        tree = minimum_spanning_tree(wts)
        tree = (tree + tree.T).tocsr()
        order, pred = breadth_first_order(tree, 0, directed=False, return_predecessors=True)
        if len(order) != nU:
            return False
        acc = Mu.copy()
        for v in order[:0:-1].tolist():
            acc[pred[v]] += acc[v]
        cand = order[1:]
        s_in = acc[cand]
        rest = tot - s_in
        ok_a = ((s_in >= plan.L[a] - tol) & (s_in <= plan.U[a] + tol)).all(1)
        ok_a &= ((rest >= plan.L[b] - tol) & (rest <= plan.U[b] + tol)).all(1)
        ok_b = ((s_in >= plan.L[b] - tol) & (s_in <= plan.U[b] + tol)).all(1)
        ok_b &= ((rest >= plan.L[a] - tol) & (rest <= plan.U[a] + tol)).all(1)
        valid = np.flatnonzero(ok_a | ok_b)
        if len(valid) == 0:
            continue
        children = _children(order, pred, nU)
        for p in valid.tolist():
            side = _subtree(children, int(cand[p]), nU)
            for inside, orient in ((a, ok_a[p]), (b, ok_b[p])):
                if not orient:
                    continue
                lab = np.where(side, inside, b if inside == a else a)
                if (lab[must_a] != a).any() or (lab[must_b] != b).any():
                    continue
                if not plan.allowed[U, lab].all():
                    continue
                cost = _split_cost(plan, U, lab, a, b)
                if best is None or cost < best[0]:
                    best = (cost, lab)
                found += 1
        if found >= max_cuts:
            break
    if best is None:
        return False
    lab = best[1]
    before = float(plan.violation()[[a, b]].sum())
    moved_before = plan.moved_total
    old = plan.labels[U].copy()
    old_centers = plan.centers.copy()
    _relabel(plan, U, lab)
    if plan.centers_are_units and not plan.fixed:
        plan.reset_centers(np.array([a, b]))
    after = float(plan.violation()[[a, b]].sum())
    if (force or after < before - 1e-12) and (
        plan.moved_total <= plan.moved_cap or plan.moved_total <= moved_before
    ):
        return True
    plan.set_centers(old_centers)
    _relabel(plan, U, old)
    return False


def _children(order: np.ndarray, pred: np.ndarray, n: int) -> list[list[int]]:
    """Children lists of a spanning tree given by its search ``order`` (root first) and predecessors."""
    children: list[list[int]] = [[] for _ in range(n)]
    for v in order[1:].tolist():
        children[pred[v]].append(v)
    return children


def _subtree(children: list[list[int]], v: int, n: int) -> np.ndarray:
    """``(n,)`` mask of ``v`` and everything below it in the tree."""
    side = np.zeros(n, dtype=bool)
    stack = [v]
    while stack:
        x = stack.pop()
        side[x] = True
        stack.extend(children[x])
    return side


def _relabel(plan, units: np.ndarray, labels: np.ndarray) -> None:
    """Move each of ``units`` to its territory in ``labels`` (units already there stay put)."""
    for u, t in zip(units.tolist(), labels.tolist(), strict=True):
        if plan.labels[u] != t:
            plan.move(u, t)


def _split_cost(plan, U: np.ndarray, lab: np.ndarray, a: int, b: int) -> float:
    """Objective of the two parts, each served from its weighted medoid (or its fixed center)."""
    from terrkit.design.heuristic.seeding import medoid

    total = 0.0
    for t in (a, b):
        members = U[lab == t]
        if plan.centers_are_units and not plan.fixed:
            c = medoid(plan.data, members, plan.xy, n_try=6)
        else:
            c = int(plan.centers[t])
        total += float((plan.w[members] * plan.data.unit_cost(members, np.full(len(members), c))).sum())
    return total


def resplit_region(
    plan, terrs: np.ndarray, rng: np.random.Generator, attempts: int = 300, budget: WorkBudget | None = None
) -> bool:
    """Re-partition the union of several territories by recursive spanning-tree cuts; True if balanced.

    Repeatedly draws a random spanning tree of the still-unassigned units and cuts off a subtree whose totals
    fit one territory while the rest can still hold the remaining territories (as GerryChain's
    ``recursive_tree_part`` does for a whole map). The parts are matched to the territories by the largest
    overlap (locks and fixed centers must match). Kept only if every territory of the region ends within
    bounds; among valid partitions found, the one moving the fewest units wins. With ``budget``, every tree
    drawn is charged ``RESPLIT_UNIT`` per unit it spans, and no attempt starts once the budget is spent.
    """
    from scipy.optimize import linear_sum_assignment

    terrs = np.asarray(sorted(set(int(t) for t in terrs)), dtype=np.int64)
    m = len(terrs)
    if not plan.enforce or plan.q == 0 or m < 2:
        return False
    U = np.flatnonzero(np.isin(plan.labels, terrs))
    nU = len(U)
    lo = plan.L[terrs].max(axis=0)
    hi = plan.U[terrs].min(axis=0)
    tot = plan.M[U].sum(axis=0)
    if (tot < m * lo - plan.tol).any() or (tot > m * hi + plan.tol).any():
        return False
    A = sp.csr_matrix(plan.adj[U][:, U])
    Mu = plan.M[U]
    cur = plan.labels[U]
    pinned = plan.locked[U] | (plan.is_center[U] & plan.fixed)
    best = None
    for _ in range(attempts):
        if budget is not None:
            if budget.exhausted():
                break
            budget.charge(RESPLIT_UNIT * nU * (m - 1), "resplit")
        part = np.full(nU, -1, dtype=np.int64)
        remaining = np.arange(nU)
        ok = True
        for j in range(m - 1):
            sub = sp.triu(A[remaining][:, remaining], 1).tocoo()
            nr = len(remaining)
            wts = sp.csr_matrix((rng.random(sub.nnz) + 1.0, (sub.row, sub.col)), shape=(nr, nr))
            tree = minimum_spanning_tree(wts)
            tree = (tree + tree.T).tocsr()
            order, pred = breadth_first_order(
                tree, int(rng.integers(nr)), directed=False, return_predecessors=True
            )
            if len(order) != nr:
                ok = False
                break
            acc = Mu[remaining].copy()
            for v in order[:0:-1].tolist():
                acc[pred[v]] += acc[v]
            rest_tot = acc[order[0]]
            left = m - j - 1
            cand = order[1:]
            s_in = acc[cand]
            rest = rest_tot - s_in
            valid = ((s_in >= lo - plan.tol) & (s_in <= hi + plan.tol)).all(1)
            valid &= ((rest >= left * lo - plan.tol) & (rest <= left * hi + plan.tol)).all(1)
            cut = np.flatnonzero(valid)
            if len(cut) == 0:
                ok = False
                break
            v = int(cand[cut[int(rng.integers(len(cut)))]])
            side = _subtree(_children(order, pred, nr), v, nr)
            part[remaining[side]] = j
            remaining = remaining[~side]
        if not ok:
            continue
        part[remaining] = m - 1
        # match parts to territories: overlap, locks must agree
        overlap = np.zeros((m, m))
        np.add.at(overlap, (part, np.searchsorted(terrs, cur)), 1.0)
        bad = np.zeros((m, m), dtype=bool)
        for p in range(m):
            lk = np.unique(cur[(part == p) & pinned])
            if len(lk) > 1:
                bad[p, :] = True
            elif len(lk) == 1:
                bad[p, np.searchsorted(terrs, lk)] = False
                bad[p, np.arange(m) != np.searchsorted(terrs, lk[0])] = True
        score = np.where(bad, -1e9, overlap)
        r, c = linear_sum_assignment(-score)
        if (score[r, c] < -1e8).any():
            continue
        lab = terrs[c[np.argsort(r)]][part]
        if not plan.allowed[U, lab].all():
            continue
        moved = int((lab != cur).sum())
        if best is None or moved < best[0]:
            best = (moved, lab)
    if best is None:
        return False
    lab = best[1]
    before = float(plan.violation().sum())
    moved_before = plan.moved_total
    old_centers = plan.centers.copy()
    _relabel(plan, U, lab)
    if plan.centers_are_units and not plan.fixed:
        plan.reset_centers(terrs)
    if float(plan.violation().sum()) < before - 1e-12 and (
        plan.moved_total <= plan.moved_cap or plan.moved_total <= moved_before
    ):
        return True
    plan.set_centers(old_centers)
    _relabel(plan, U, cur)
    return False
