"""An independent, exact confirmation of a dead end found by :mod:`terrkit.design.checks.band_reach`.

The pre-solve check proves a contiguous design infeasible when some unit lies in no connected group whose
total is inside the band, or when every such group cuts off a pocket of units that no whole number of
territories can hold. That search is a bounded enumeration with pruning rules; this module checks its verdict
another way, with an exact model on the component around the dead end.

Only units within reach matter: a connected group that holds the unit ``u`` and totals at most ``upper``
holds only units ``w`` with a path from ``u`` whose units add up to at most ``upper`` (the values are
non-negative). On that ball the MIP

.. math::

    \\text{find } x \\in \\{0,1\\}^R:\\ x_u = 1,\\quad \\text{lower} \\le \\sum_i v_i x_i \\le \\text{upper},
    \\quad x \\text{ connected (single-commodity flow from } u)

looks for an in-band group. A group it finds is checked for pockets exactly (the components of the rest of
the graph, each of which whole territories must fill); a group with a pocket is cut off by a no-good cut and
the MIP runs again. The dead end is **confirmed** when the MIP proves that no group is left, and **refuted**
when a group without a pocket exists (the check was wrong: the instance may be feasible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from terrkit.design.checks.band_reach import _holds_whole_territories

__all__ = ["DeadEndCheck", "confirm_dead_end"]

#: No-good cuts before giving up: the in-band groups around a dead end are few (a handful on every metro
#: surface), so a unit that needs more is "not confirmed" rather than worth a long enumeration.
MAX_GROUPS = 50


@dataclass
class DeadEndCheck:
    """Outcome of :func:`confirm_dead_end`.

    Attributes
    ----------
    verdict : str
        ``"confirmed"`` (no connected in-band group holds the unit without cutting off a pocket: proven by
        the MIP), ``"refuted"`` (such a group exists: ``group``), or ``"not confirmed"`` (the MIP hit its
        time limit or ``MAX_GROUPS``).
    groups_cut : int
        In-band groups found with a pocket and cut off.
    ball : int
        Units within reach of the unit (the model's size).
    group : tuple of int
        The group that refutes the dead end (empty otherwise).
    """

    verdict: str
    groups_cut: int
    ball: int
    group: tuple[int, ...] = ()


def _has_pocket(adjacency: sp.csr_matrix, values: np.ndarray, group: np.ndarray, lower, upper) -> bool:
    """Whether removing ``group`` leaves a component that no whole number of territories can fill."""
    keep = np.ones(adjacency.shape[0], dtype=bool)
    keep[group] = False
    rest = np.flatnonzero(keep)
    n_comp, comp = connected_components(adjacency[rest][:, rest], directed=False)
    totals = np.bincount(comp, weights=values[rest], minlength=n_comp)
    return any(not _holds_whole_territories(float(t), lower, upper) for t in totals if t > 0)


def confirm_dead_end(
    adjacency: sp.spmatrix,
    values: np.ndarray,
    lower: float,
    upper: float,
    unit: int,
    *,
    time_limit: float = 60.0,
) -> DeadEndCheck:
    """Check exactly that no contiguous territory in ``[lower, upper]`` can hold ``unit``.

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` symmetric adjacency of the units.
    values : numpy.ndarray
        ``(n,)`` non-negative measure per unit.
    lower, upper : float
        The band a territory's total must lie in (the union of every territory's band).
    unit : int
        The dead-end unit.
    time_limit : float, default 60
        Seconds for each MIP solve (HiGHS through PuLP).

    Returns
    -------
    DeadEndCheck
    """
    from terrkit.design.exact.solvers import make_solver, solve_status

    adj = sp.csr_matrix(adjacency, dtype=float)
    adj.data[:] = 1.0
    v = np.asarray(values, dtype=float)
    # node-weighted distance from the unit: an arc into w costs v[w]
    arcs = adj.tocoo()
    into = sp.csr_matrix((v[arcs.col] + 1e-12, (arcs.row, arcs.col)), shape=adj.shape)
    reach = v[unit] + dijkstra(into, indices=unit, limit=upper)
    ball = np.flatnonzero(reach <= upper * (1 + 1e-12))
    pos = {int(u): i for i, u in enumerate(ball)}
    sub = adj[ball][:, ball].tocoo()
    edges = [(int(a), int(b)) for a, b in zip(sub.row, sub.col, strict=True) if a != b]
    m = len(ball)
    root = pos[int(unit)]
    prob = pulp.LpProblem("dead_end", pulp.LpMinimize)
    x = [prob.add_variable(f"x{i}", 0, 1, pulp.LpInteger) for i in range(m)]
    f = {e: prob.add_variable(f"f{e[0]}_{e[1]}", 0, None) for e in edges}
    prob.setObjective(pulp.lpSum(x))  # any group will do; the smallest is the easiest to read
    prob += x[root] == 1
    total = pulp.lpSum(float(v[ball[i]]) * x[i] for i in range(m))
    prob += total >= float(lower)
    prob += total <= float(upper)
    out_arcs: dict[int, list] = {i: [] for i in range(m)}
    in_arcs: dict[int, list] = {i: [] for i in range(m)}
    for a, b in edges:
        out_arcs[a].append(f[(a, b)])
        in_arcs[b].append(f[(a, b)])
        prob += f[(a, b)] <= (m - 1) * x[a]
        prob += f[(a, b)] <= (m - 1) * x[b]
    for i in range(m):  # every member but the root consumes one unit of flow sent from the root
        if i != root:
            prob += pulp.lpSum(in_arcs[i]) - pulp.lpSum(out_arcs[i]) == x[i]
    solver = make_solver("highs", time_limit=time_limit)
    for cut in range(MAX_GROUPS + 1):
        status = solve_status(prob, solver).status
        if status == "infeasible":
            return DeadEndCheck("confirmed", cut, m)
        if status not in ("optimal", "feasible"):  # the time limit without any group: no proof either way
            return DeadEndCheck("not confirmed", cut, m)
        chosen = [i for i in range(m) if (x[i].value() or 0.0) > 0.5]
        group = ball[chosen]
        if not _has_pocket(adj, v, group, lower, upper):
            return DeadEndCheck("refuted", cut, m, tuple(int(g) for g in group))
        outside = [i for i in range(m) if i not in set(chosen)]
        prob += pulp.lpSum(1 - x[i] for i in chosen) + pulp.lpSum(x[i] for i in outside) >= 1
    return DeadEndCheck("not confirmed", MAX_GROUPS, m)
