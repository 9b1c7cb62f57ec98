"""Exact re-optimisation of a few neighbouring territories (a small MIP with flow-based contiguity).

When chains of single moves cannot balance a tight spot (big units, +-2% bands), the territories around it
are re-solved exactly. The region is a set :math:`S` of whole territories (all their units :math:`R`), so
connectivity inside the region is connectivity of the territory. With the centers :math:`r_t` kept:

.. math::

    \\min \\sum_{i \\in R, t \\in S} c_{it} x_{it} + \\sum_{t, q} M (s^+_{tq} + s^-_{tq})

    \\sum_t x_{it} = 1,\\qquad x_{r_t t} = 1

    L_{tq} \\le \\sum_i a_{iq} x_{it} - s^+_{tq} + s^-_{tq} \\le U_{tq}

    \\sum_{j:(j,i)} f^t_{ji} - \\sum_{j:(i,j)} f^t_{ij} = x_{it} \\quad (i \\ne r_t)

    f^t_{ij} \\le |R|\\, x_{it},\\quad f^t_{ij} \\le |R|\\, x_{jt},\\quad x \\in \\{0,1\\},\\ f, s \\ge 0

(single-commodity flow from every center: each unit of :math:`t` consumes one unit of flow that can only
travel through units of :math:`t`, Shirabe 2005). A unit may only join a territory it is in or lies within
two hops of. The current plan is given to HiGHS as the start, so the result is never worse.
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from terrkit.design.exact.solvers import quiet_highs
from terrkit.design.heuristic.budget import WorkBudget, charge_highs, limit_highs

__all__ = ["region_mip"]

#: Branch-and-bound nodes of one region MIP: it starts from the current plan and only has to find a better
#: one, which HiGHS does at the root or in the first few hundred nodes when it can at all.
REGION_MIP_NODES = 300


def region_mip(
    plan,
    terrs: np.ndarray,
    *,
    budget: WorkBudget,
    violation_weight: float = 1e4,
    hops: int = 2,
    feasibility: bool = False,
    free_roots: bool = False,
) -> bool:
    """Re-solve territories ``terrs`` of ``plan`` exactly (in place); returns True if the plan changed.

    Parameters
    ----------
    plan : terrkit.design.heuristic.local_search.Plan
        The plan (its centers stay).
    terrs : numpy.ndarray
        Territory indices forming the region.
    budget : WorkBudget
        Work budget: the MIP stops after ``REGION_MIP_NODES`` nodes, its nodes and simplex iterations are
        charged to the budget, and its time limit is the budget's safety stop.
    violation_weight : float
        Cost of one unit of normalised balance violation relative to the region's mean unit cost sum.
    hops : int
        A unit may join a territory within this many graph hops of its current units.
    feasibility : bool
        Minimise the balance violation only (ignore the cost): much faster when the aim is to balance.
    free_roots : bool
        Let the MIP choose each territory's flow root (its center) among its units, with
        :math:`\\sum_i y_{it} = 1`, :math:`y_{it} \\le x_{it}` and a supply :math:`\\le |R| y_{it}` at the
        root;
        centers of changed territories are then reset to their medoid. Only with ``feasibility`` and when
        centers are not fixed.
    """
    terrs = np.asarray(sorted(set(int(t) for t in terrs)), dtype=np.int64)
    S = len(terrs)
    tpos = {int(t): p for p, t in enumerate(terrs)}
    R = np.flatnonzero(np.isin(plan.labels, terrs))
    nR = len(R)
    if nR == 0 or S < 2:
        return False
    local = -np.ones(plan.n, dtype=np.int64)
    local[R] = np.arange(nR)
    sub = plan.adj[R][:, R].tocoo()
    er, ec = sub.row[sub.row != sub.col], sub.col[sub.row != sub.col]
    E = len(er)
    cur = np.array([tpos[int(t)] for t in plan.labels[R]], dtype=np.int64)
    # reachability: unit may join t if within `hops` of t's current units
    A = sp.csr_matrix((np.ones(E), (er, ec)), shape=(nR, nR)) + sp.identity(nR, format="csr")
    member = sp.csr_matrix((np.ones(nR), (np.arange(nR), cur)), shape=(nR, S))
    reach = member
    for _ in range(hops):
        reach = A @ reach
    ok = reach.toarray() > 0
    ok &= plan.allowed[R][:, terrs]
    ok[np.arange(nR), cur] = True
    free_roots = bool(free_roots and feasibility and not plan.fixed and plan.centers_are_units)
    locked = plan.locked[R] | (plan.is_center[R] & (not free_roots))
    ok[locked] = False
    ok[locked, cur[locked]] = True
    xi, xt = np.nonzero(ok)  # x variables
    nx = len(xi)
    xid = -np.ones((nR, S), dtype=np.int64)
    xid[xi, xt] = np.arange(nx)
    cost = plan.cost_to(R[xi], terrs[xt])
    # flows: per territory, directed edges whose both ends may belong to it
    fe, ft = [], []
    for p in range(S):
        m = ok[er, p] & ok[ec, p]
        fe.append(np.flatnonzero(m))
        ft.append(np.full(int(m.sum()), p))
    fe = np.concatenate(fe)
    ft = np.concatenate(ft)
    nf = len(fe)
    q = plan.q
    ns = 2 * S * q
    nroot = 2 * nx if free_roots else 0
    ncol = nx + nf + ns + nroot
    r0 = nx + nf + ns  # supply columns s_it, then root indicators y_it
    f0 = nx
    s0 = nx + nf
    rows, cols, vals = [], [], []
    lo, hi = [], []
    r = 0
    # assign once
    rows.append(xi)
    cols.append(np.arange(nx))
    vals.append(np.ones(nx))
    lo += [1.0] * nR
    hi += [1.0] * nR
    r = nR
    # balance
    scale = plan.scale
    for p in range(S):
        t = int(terrs[p])
        for qq in range(q):
            sel = np.flatnonzero(xt == p)
            rows += [np.full(len(sel), r), np.array([r, r])]
            cols += [sel, np.array([s0 + 2 * (p * q + qq), s0 + 2 * (p * q + qq) + 1])]
            vals += [plan.M[R[xi[sel]], qq], np.array([-1.0, 1.0])]
            lo.append(float(plan.L[t, qq]))
            hi.append(float(plan.U[t, qq]))
            r += 1
    # flow conservation for non-root units: inflow - outflow - x = 0
    roots = np.full(S, -1, dtype=np.int64)
    for p in range(S if not free_roots else 0):
        c = int(plan.centers[terrs[p]])
        if plan.centers_are_units and local[c] >= 0:
            roots[p] = local[c]
        else:  # point center: root at the member of least cost
            mem = np.flatnonzero(cur == p)
            roots[p] = mem[np.argmin(plan.own[R[mem]])] if len(mem) else -1
    node_row = -np.ones((nR, S), dtype=np.int64)
    nodes_i, nodes_p = xi, xt
    keep = roots[nodes_p] != nodes_i
    nodes_i, nodes_p = nodes_i[keep], nodes_p[keep]
    node_row[nodes_i, nodes_p] = r + np.arange(len(nodes_i))
    rows.append(node_row[nodes_i, nodes_p])
    cols.append(xid[nodes_i, nodes_p])
    vals.append(-np.ones(len(nodes_i)))
    fi, fj = er[fe], ec[fe]
    into = node_row[fj, ft]
    outof = node_row[fi, ft]
    m_in = into >= 0
    m_out = outof >= 0
    rows += [into[m_in], outof[m_out]]
    cols += [f0 + np.flatnonzero(m_in), f0 + np.flatnonzero(m_out)]
    vals += [np.ones(int(m_in.sum())), -np.ones(int(m_out.sum()))]
    if free_roots:  # + s_it (supply at the root)
        rows.append(node_row[nodes_i, nodes_p])
        cols.append(r0 + xid[nodes_i, nodes_p])
        vals.append(np.ones(len(nodes_i)))
    lo += [0.0] * len(nodes_i)
    hi += [0.0] * len(nodes_i)
    r += len(nodes_i)
    if free_roots:
        ar = np.arange(nx)
        # s_it - nR y_it <= 0 ; y_it - x_it <= 0 ; sum_i y_it = 1
        rows += [r + ar, r + ar, r + nx + ar, r + nx + ar, r + 2 * nx + xt]
        cols += [r0 + ar, r0 + nx + ar, r0 + nx + ar, ar, r0 + nx + ar]
        vals += [np.ones(nx), -float(nR) * np.ones(nx), np.ones(nx), -np.ones(nx), np.ones(nx)]
        lo += [-np.inf] * (2 * nx) + [1.0] * S
        hi += [0.0] * (2 * nx) + [1.0] * S
        r += 2 * nx + S
    # capacity: f_ij^t - nR x_it <= 0 and f_ij^t - nR x_jt <= 0
    nfr = np.arange(nf)
    for ends in (fi, fj):
        rows += [r + nfr, r + nfr]
        cols += [f0 + nfr, xid[ends, ft]]
        vals += [np.ones(nf), -float(nR) * np.ones(nf)]
        lo += [-np.inf] * nf
        hi += [0.0] * nf
        r += nf
    # roots pinned
    col_lo = np.zeros(ncol)
    col_hi = np.r_[
        np.ones(nx),
        np.full(nf, float(nR)),
        np.full(ns, np.inf),
        np.full(nroot // 2, float(nR)),
        np.ones(nroot // 2),
    ]
    for p in range(S):
        if roots[p] >= 0 and xid[roots[p], p] >= 0:
            col_lo[xid[roots[p], p]] = 1.0
    mean_cost = max(float(np.abs(plan.own[R]).sum()) / max(nR, 1), 1e-12) * nR
    pen = violation_weight * mean_cost / np.repeat(np.tile(scale, S), 2)
    if feasibility:
        col_cost = np.r_[np.zeros(nx + nf), 1.0 / np.repeat(np.tile(scale, S), 2), np.zeros(nroot)]
    else:
        col_cost = np.r_[cost, np.zeros(nf), pen, np.zeros(nroot)]
    a = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, ncol))
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = r
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = np.asarray(lo, dtype=float)
    lp.row_upper_ = np.asarray(hi, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    integ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * (nf + ns + nroot // 2)
    lp.integrality_ = integ + [highspy.HighsVarType.kInteger] * (nroot // 2)
    h = quiet_highs()
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 1e-4)
    if not limit_highs(h, budget, nodes=REGION_MIP_NODES):
        return False
    h.passModel(lp)
    # start: the current plan
    x0 = np.zeros(ncol)
    x0[xid[np.arange(nR), cur]] = 1.0
    if free_roots:
        x0 = np.full(ncol, np.nan)  # let HiGHS complete the start from the assignment
        x0[:nx] = 0.0
        x0[xid[np.arange(nR), cur]] = 1.0
    start = highspy.HighsSolution()
    start.col_value = x0
    start.value_valid = True
    h.setSolution(start)
    h.run()
    charge_highs(h, budget)
    sol = h.getSolution()
    info = h.getInfo()
    if not sol.value_valid or info.primal_solution_status != 2:
        return False
    x = np.asarray(sol.col_value)[:nx]
    take = x > 0.5
    new_local = np.full(nR, -1, dtype=np.int64)
    new_local[xi[take]] = xt[take]
    if (new_local < 0).any():
        return False
    new_labels = terrs[new_local]
    # accept only if no worse: violation first, then cost
    old_v = float(plan.violation()[terrs].sum())
    old_c = float(plan.own[R].sum())
    moved = np.flatnonzero(new_labels != plan.labels[R])
    if len(moved) == 0:
        return False
    snapshot = plan.labels[R].copy()
    old_centers = plan.centers.copy()
    for u in moved.tolist():
        plan.move(int(R[u]), int(new_labels[u]))
    if free_roots:
        plan.reset_centers(terrs)
    new_v = float(plan.violation()[terrs].sum())
    new_c = float(plan.own[R].sum())
    if plan.moved_total > plan.moved_cap:
        new_v = np.inf
    if new_v < old_v - 1e-12 or (new_v <= old_v + 1e-12 and new_c < old_c - 1e-9 * max(abs(old_c), 1.0)):
        return True
    if free_roots:
        plan.set_centers(old_centers)
    for u in moved.tolist():
        plan.move(int(R[u]), int(snapshot[u]))
    return False
