r"""Exact territory design models in PuLP.

Two models are built from :class:`~terrkit.design.DesignData`:

**p-median, radius formulation** (no balance, no contiguity, no locks; centers chosen by the model).
For client :math:`i` let :math:`D_i^1 < D_i^2 < \dots` be its distinct costs to the candidates. With
:math:`y_j = 1` when candidate :math:`j` is opened and :math:`z_{il} = 1` when client :math:`i` is
served at a cost above :math:`D_i^l` (Elloumi 2010; Garcia, Labbe & Marin 2011):

.. math::

    \min \sum_i w_i \Big(D_i^1 + \sum_{l=1}^{L_i} (D_i^{l+1} - D_i^l)\, z_{il}\Big)
    \quad\text{s.t.}\quad \sum_j y_j = p,\quad
    z_{il} \ge z_{i,l-1} - \sum_{j:\,c_{ij} = D_i^l} y_j \ (z_{i0} = 1),\quad z \ge 0,\ y \in \{0,1\}.

The chained form has one non-zero per (client, candidate) instead of Elloumi's cumulative sums. The
ladder of client :math:`i` is cut at the cost :math:`r_i` it has in a good heuristic solution (costs
beyond are capped at the next level), which makes the model a *relaxation*: if its optimum serves every
client within its ladder, that optimum is the exact p-median optimum; otherwise the ladders of the clients
that fell off are extended and the model is solved again.

**Assignment model** (everything else). Territories are "slots" :math:`s = (j, t)`: a candidate center
:math:`j` serving territory :math:`t`. Fixed centers have one slot per territory; automatic centers with
interchangeable territories have one slot per candidate (territory = its center); automatic centers with
labelled territories (locks, forbidden pairs, a current alignment or unequal targets) have every
:math:`(j, t)`. With :math:`x_{is}` = unit :math:`i` assigned to slot :math:`s`, :math:`y_s` = slot open,
:math:`m_{iq}` the measures and :math:`G` the territories (groups of slots):

.. math::

    \min \sum_{i,s} w_i c_{i j(s)}^{\,p} x_{is}
    + \pi \sum_i \big(1 - \textstyle\sum_{s \in G(\mathrm{cur}_i)} x_{is}\big)

    \sum_s x_{is} = 1\ \forall i \quad(\texttt{assign\_once}),\qquad x_{is} \le y_s \quad(\texttt{link}),

    L_{Gq} Y_G \le \sum_{i, s \in G} m_{iq} x_{is} \le U_{Gq} Y_G \quad(\texttt{balance / capacity}),
    \quad Y_G = \sum_{s\in G} y_s,

    \sum_i \mu_i \big(1 - \textstyle\sum_{s \in G(\mathrm{cur}_i)} x_{is}\big) \le \alpha \sum_i \mu_i
    \quad(\texttt{max\_moved}).

Contiguity uses Shirabe's (2009) single-commodity flow: every member of territory :math:`G` supplies one
unit of flow that must reach the territory's hub (its center) along arcs between members,

.. math::

    \sum_v f^G_{iv} - \sum_v f^G_{vi} \ge a_{iG} - M h_{iG},\qquad \sum_v f^G_{vi} \le (M-1)\, a_{iG},
    \qquad f \ge 0,

with :math:`a_{iG} = \sum_{s\in G} x_{is}` and :math:`h_{iG}` = unit :math:`i` is the hub.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from terrkit.design.exact.solvers import SolveStatus, make_solver, solve_status
from terrkit.design.problem.definition import DesignData
from terrkit.exceptions import SolverError

_BAD = re.compile(r"[^A-Za-z0-9_.]")


def _tag(x: object) -> str:
    """An id as it may appear in an LP name."""
    return _BAD.sub("_", str(x))


def _expr(pairs: list[tuple[pulp.LpVariable, float]], constant: float = 0.0) -> pulp.LpAffineExpression:
    """Affine expression from (variable, coefficient) pairs; repeated variables are summed."""
    acc: dict[pulp.LpVariable, float] = {}
    for v, c in pairs:
        acc[v] = acc.get(v, 0.0) + c
    e = pulp.LpAffineExpression(list(acc.items()))
    e.constant = constant
    return e


def _add(prob: pulp.LpProblem, pairs, sense: int, rhs: float, name: str) -> None:
    prob.addConstraint(pulp.LpConstraint(_expr(pairs), sense, name, rhs))


@dataclass
class MipOutcome:
    """Array answer of an exact model."""

    labels: np.ndarray | None
    centers: np.ndarray | None
    status: str
    bound: float | None
    method: str
    seconds: float
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# which model applies


def is_pure_pmedian(data: DesignData) -> bool:
    """True when the problem is exactly the p-median problem (automatic centers, nothing else)."""
    bounded = data.q > 0 and (
        np.isfinite(data.lower).any() and (data.lower > 0).any() or np.isfinite(data.upper).any()
    )
    return (
        data.fixed_centers is None
        and not bounded
        and not data.contiguous
        and not (data.locked >= 0).any()
        and len(data.forbidden) == 0
        and (data.current is None or (data.max_moved is None and not data.move_penalty))
    )


def is_labelled(data: DesignData) -> bool:
    """True when territories are not interchangeable (locks, forbidden pairs, realignment, unequal bounds)."""
    if data.fixed_centers is not None:
        return True
    unequal = data.q > 0 and (
        not np.allclose(data.lower, data.lower[:1], equal_nan=True)
        or not np.allclose(data.upper, data.upper[:1], equal_nan=True)
    )
    return bool(
        (data.locked >= 0).any()
        or len(data.forbidden) > 0
        or (data.current is not None and (data.max_moved is not None or data.move_penalty > 0))
        or unequal
    )


def model_size(data: DesignData) -> int:
    """Rough number of variables of the exact model for ``data`` (used to choose exact vs heuristic)."""
    n, m, k = data.n, data.m, data.k
    if is_pure_pmedian(data):
        return n * min(m, max(4 * n // max(k, 1), 30))
    if data.fixed_centers is not None:
        size = n * k
        groups = k
    elif is_labelled(data):
        size = n * m * k
        groups = k
    else:
        size = n * m
        groups = m
    if data.contiguous and data.adjacency is not None:
        size += data.adjacency.nnz * groups
    return size


# --------------------------------------------------------------------------------------------------
# p-median: heuristic warm start and radius formulation


def pmedian_local_search(cost: np.ndarray, w: np.ndarray, p: int, seed: int = 0, max_rounds: int = 500):
    """Greedy construction followed by best-improvement vertex substitution (Teitz & Bart).

    Parameters
    ----------
    cost : numpy.ndarray
        ``(n, m)`` client-to-candidate costs.
    w : numpy.ndarray
        ``(n,)`` client weights.
    p : int
        Number of centers.

    Returns
    -------
    open_ : numpy.ndarray
        ``(p,)`` indices of the open candidates.
    value : float
        :math:`\\sum_i w_i \\min_{j \\in \\text{open}} c_{ij}`.
    """
    n, m = cost.shape
    wc = cost * w[:, None]
    rng = np.random.default_rng(seed)
    # greedy add
    first = int(np.argmin(wc.sum(axis=0)))
    open_ = [first]
    best = cost[:, first].copy()
    for _ in range(1, p):
        gain = (np.maximum(best[:, None] - cost, 0.0) * w[:, None]).sum(axis=0)
        gain[open_] = -1.0
        j = int(np.argmax(gain + rng.random(m) * 1e-9))
        open_.append(j)
        best = np.minimum(best, cost[:, j])
    open_arr = np.array(open_)
    for _ in range(max_rounds):
        sub = cost[:, open_arr]
        order = np.argsort(sub, axis=1)
        near = order[:, 0]
        d1 = sub[np.arange(n), near]
        d2 = sub[np.arange(n), order[:, 1]] if p > 1 else np.full(n, np.inf)
        a = np.minimum(d1[:, None], cost)  # distance if j is added (nothing removed)
        b = np.minimum(d2[:, None], cost) - a  # extra if the nearest center of i is removed
        b = np.where(np.isfinite(b), b, 1e18)
        onehot = np.zeros((n, p))
        onehot[np.arange(n), near] = w
        delta = (a * w[:, None]).sum(axis=0)[None, :] - float((d1 * w).sum()) + onehot.T @ b
        delta[:, open_arr] = np.inf
        r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[r, j] >= -1e-9 * max(1.0, float((d1 * w).sum())):
            break
        open_arr[r] = j
    value = float((cost[:, open_arr].min(axis=1) * w).sum())
    return np.sort(open_arr), value


def _level_cost(row_sorted: np.ndarray, level: int) -> float:
    """Largest cost a client's ladder of ``level`` steps represents exactly (costs above are capped)."""
    dist = np.unique(row_sorted)
    return float(dist[min(int(level), len(dist) - 1)])


def _radius_model(cost, w, p, levels, names, cand_names):
    """Build the (truncated) radius model; ``levels[i]`` = number of distinct costs kept for client i."""
    prob = pulp.LpProblem("p_median", pulp.LpMinimize)
    m = cost.shape[1]
    y = [prob.add_variable(f"open_{cand_names[j]}", 0, 1, pulp.LpInteger) for j in range(m)]
    obj: list[tuple[pulp.LpVariable, float]] = []
    zs: list[tuple[pulp.LpVariable, int, float]] = []
    const = 0.0
    for i in range(cost.shape[0]):
        ci = cost[i]
        dist = np.unique(ci)
        L = int(min(levels[i], len(dist) - 1))
        const += w[i] * dist[0]
        if L <= 0:
            continue
        level_of = np.searchsorted(dist, ci)
        prev = None
        for lvl in range(L):
            z = prob.add_variable(f"far_{names[i]}_{lvl + 1}", 0, None)
            zs.append((z, i, dist[lvl]))
            obj.append((z, w[i] * (dist[lvl + 1] - dist[lvl])))
            js = np.flatnonzero(level_of == lvl)
            pairs = [(z, 1.0)] + [(y[j], 1.0) for j in js]
            if prev is None:
                _add(prob, pairs, pulp.LpConstraintGE, 1.0, f"served_{names[i]}_{lvl + 1}")
            else:
                _add(prob, pairs + [(prev, -1.0)], pulp.LpConstraintGE, 0.0, f"served_{names[i]}_{lvl + 1}")
            prev = z
    prob.setObjective(_expr(obj, const))
    _add(prob, [(v, 1.0) for v in y], pulp.LpConstraintEQ, float(p), "open_count")
    return prob, y, zs


def _warm_start(y, zs, open_: np.ndarray, cost: np.ndarray) -> None:
    """Set the initial values of the radius model to the solution that opens ``open_``."""
    chosen = set(int(j) for j in open_)
    for j, v in enumerate(y):
        v.setInitialValue(1 if j in chosen else 0)
    served = cost[:, open_].min(axis=1)
    for z, i, threshold in zs:
        z.setInitialValue(1.0 if served[i] > threshold + 1e-12 else 0.0)


#: Rank of the heuristic's open center whose cost sets a client's initial ladder radius.
RADIUS_RANK = 2
#: Seconds the solver gets at least when building the model used up the time limit: enough for HiGHS to load
#: the model and return the warm start or a first incumbent, well within the 2 s a phase may overrun.
MIN_SOLVE_SECONDS = 0.25
#: Hand the heuristic solution to the MIP solver as a start.
WARM = True


def solve_pmedian(
    data: DesignData,
    *,
    solver: str = "highs",
    time_limit: float = 60,
    gap: float | None = None,
    seed: int = 0,
    msg: bool = False,
) -> MipOutcome:
    """Exact p-median by the truncated radius formulation (see the module docstring).

    The ladders start at each client's cost in a vertex-substitution solution and are extended until the
    relaxed optimum serves every client within its ladder (then it is the proven optimum).
    """
    t0 = time.perf_counter()
    cost = data.cost_matrix()
    w = np.asarray(data.weight, dtype=float)
    n, m = cost.shape
    k = data.k
    open_h, value_h = pmedian_local_search(cost, w, k, seed=seed)
    best_open, best_value = open_h, value_h
    sorted_costs = np.sort(cost, axis=1)
    # ladder radius: the cost to the second-nearest open center of the heuristic solution (so the relaxed
    # model can re-route a client when its center moves), which keeps the number of rounds low
    sub = np.sort(cost[:, open_h], axis=1)
    radius = sub[:, min(RADIUS_RANK, k) - 1] if k > 1 else sub[:, 0]
    # number of distinct costs <= radius, plus one level of slack
    levels = np.array([len(np.unique(sorted_costs[i][sorted_costs[i] <= radius[i]])) for i in range(n)])
    names = [_tag(x) for x in data.ids]
    cand = names if data.candidate_ids is None else [_tag(x) for x in data.candidate_ids]
    bound = None
    status = "feasible"
    notes = []
    rounds = 0
    while True:
        rounds += 1
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.5:
            notes.append("time limit reached before the exact model closed")
            break
        prob, y, zs = _radius_model(cost, w, k, levels, names, cand)
        _warm_start(y, zs, best_open, cost)
        st = solve_status(
            prob, make_solver(solver, time_limit=left, gap=gap, seed=seed, msg=msg, warm_start=WARM), gap
        )
        if st.status == "infeasible":
            raise SolverError("the p-median model was reported infeasible; this should not happen")
        if st.bound is not None:
            bound = st.bound if bound is None else max(bound, st.bound)
        if st.objective is None:
            break
        open_ = np.flatnonzero(np.array([v.varValue or 0.0 for v in y]) > 0.5)
        if len(open_) != k:
            break
        true_cost = cost[:, open_].min(axis=1)
        value = float((true_cost * w).sum())
        if value < best_value - 1e-9:
            best_open, best_value = open_, value
        if st.status != "optimal":
            break
        # clients served beyond their ladder: the relaxed cost was capped
        dist_at_level = np.array([_level_cost(sorted_costs[i], levels[i]) for i in range(n)])
        over = true_cost > dist_at_level + 1e-9
        if not over.any():
            status = "optimal"
            bound = max(bound or -np.inf, st.objective)
            break
        levels[over] = np.minimum(levels[over] * 2 + 1, m)
    labels_c = best_open[np.argmin(cost[:, best_open], axis=1)]
    order = {c: t for t, c in enumerate(best_open)}
    labels = np.array([order[c] for c in labels_c])
    if status == "optimal" and bound is not None and best_value > bound + 1e-6 * max(1, abs(bound)):
        status = "feasible"
    return MipOutcome(
        labels,
        best_open,
        status,
        bound,
        "mip-pmedian-radius",
        time.perf_counter() - t0,
        notes + [f"{rounds} radius round(s); heuristic start {value_h:.6g}"],
    )


# --------------------------------------------------------------------------------------------------
# assignment model


@dataclass
class AssignmentModel:
    """A built assignment model and what is needed to decode it."""

    prob: pulp.LpProblem
    x: dict  # (i, s) -> var
    slots: list[tuple[int, int]]  # s -> (candidate j, territory t); t = -1 for "territory = slot"
    y: dict  # s -> var or 1.0
    groups: list[list[int]]  # territory -> slots


def build_assignment_model(data: DesignData, name: str = "territory_design") -> AssignmentModel:
    """Build the assignment model (see the module docstring) for ``data``."""
    n, k = data.n, data.k
    prob = pulp.LpProblem(name, pulp.LpMinimize)
    ids = [_tag(x) for x in data.ids]
    cand_names = ids if data.candidate_ids is None else [_tag(x) for x in data.candidate_ids]
    tnames = [_tag(t) for t in (data.territory_names or range(k))]
    fixed = data.fixed_centers is not None
    labelled = is_labelled(data)
    if fixed:
        slots = [(int(data.fixed_centers[t]), t) for t in range(k)]
        groups = [[t] for t in range(k)]
    elif labelled:
        slots = [(j, t) for t in range(k) for j in range(data.m)]
        groups = [[t * data.m + j for j in range(data.m)] for t in range(k)]
    else:
        slots = [(j, -1) for j in range(data.m)]
        groups = [[j] for j in range(data.m)]
    territory_of_slot = np.array([t if t >= 0 else s for s, (_, t) in enumerate(slots)])
    forbidden = {(int(i), int(t)) for i, t in data.forbidden}

    # slot variables
    y: dict[int, object] = {}
    for s, (j, t) in enumerate(slots):
        if fixed:
            y[s] = 1.0
        elif labelled:
            y[s] = prob.add_variable(f"center_{cand_names[j]}_{tnames[t]}", 0, 1, pulp.LpInteger)
        else:
            y[s] = prob.add_variable(f"open_{cand_names[j]}", 0, 1, pulp.LpInteger)

    # which slots a unit may use
    cmat = data.cost_matrix()
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    by_unit: list[list[int]] = [[] for _ in range(n)]
    by_slot: list[list[int]] = [[] for _ in slots]
    obj: list[tuple[pulp.LpVariable, float]] = []
    const = 0.0
    for i in range(n):
        lock = int(data.locked[i])
        for s, (j, t) in enumerate(slots):
            tt = territory_of_slot[s] if labelled or fixed else -1
            if tt >= 0 and lock >= 0 and tt != lock:
                continue
            if tt >= 0 and (i, int(tt)) in forbidden:
                continue
            if fixed:
                vname = f"assign_{ids[i]}_{tnames[t]}"
            elif labelled:
                vname = f"assign_{ids[i]}_{cand_names[j]}_{tnames[t]}"
            else:
                vname = f"assign_{ids[i]}_{cand_names[j]}"
            v = prob.add_variable(vname, 0, 1, pulp.LpInteger)
            x[i, s] = v
            by_unit[i].append(s)
            by_slot[s].append(i)
            obj.append((v, float(data.weight[i] * cmat[i, j])))
    # realignment
    moved_pairs: list[tuple[pulp.LpVariable, float]] = []
    if data.current is not None and (data.max_moved is not None or data.move_penalty > 0):
        cur = data.current
        mu = data.weight if data.moved_measure is None else data.moved_measure
        cap_pairs = []
        cap_const = 0.0
        for i in range(n):
            if cur[i] < 0:
                continue
            stay = [x[i, s] for s in by_unit[i] if territory_of_slot[s] == cur[i]]
            # moved_i = 1 - sum(stay)
            if data.move_penalty > 0:
                const += data.move_penalty
                moved_pairs += [(v, -data.move_penalty) for v in stay]
            cap_const += mu[i]
            cap_pairs += [(v, -float(mu[i])) for v in stay]
        if data.max_moved is not None:
            total = float(mu[cur >= 0].sum())
            prob.addConstraint(
                pulp.LpConstraint(
                    _expr(cap_pairs, cap_const),
                    pulp.LpConstraintLE,
                    "max_moved",
                    float(data.max_moved) * total,
                )
            )
    prob.setObjective(_expr(obj + moved_pairs, const))

    for i in range(n):
        _add(prob, [(x[i, s], 1.0) for s in by_unit[i]], pulp.LpConstraintEQ, 1.0, f"assign_once_{ids[i]}")
    if not fixed:
        if labelled:
            for t in range(k):
                _add(
                    prob,
                    [(y[s], 1.0) for s in groups[t]],
                    pulp.LpConstraintEQ,
                    1.0,
                    f"one_center_{tnames[t]}",
                )
            for j in range(data.m):
                _add(
                    prob,
                    [(y[t * data.m + j], 1.0) for t in range(k)],
                    pulp.LpConstraintLE,
                    1.0,
                    f"center_once_{cand_names[j]}",
                )
        else:
            _add(prob, [(y[s], 1.0) for s in range(len(slots))], pulp.LpConstraintEQ, float(k), "open_count")
        for (_, s), v in x.items():
            _add(prob, [(v, 1.0), (y[s], -1.0)], pulp.LpConstraintLE, 0.0, f"link_{v.name}")
        if data.centers_are_units:
            for s, (j, t) in enumerate(slots):
                if (j, s) in x:
                    _add(
                        prob,
                        [(x[j, s], 1.0), (y[s], -1.0)],
                        pulp.LpConstraintGE,
                        0.0,
                        f"center_in_own_territory_{cand_names[j]}_{tnames[t] if t >= 0 else ''}".rstrip("_"),
                    )
                else:
                    prob.addConstraint(
                        pulp.LpConstraint(
                            _expr([(y[s], 1.0)]),
                            pulp.LpConstraintEQ,
                            f"center_not_allowed_{cand_names[j]}_{tnames[t] if t >= 0 else ''}".rstrip("_"),
                            0.0,
                        )
                    )
    elif data.centers_are_units:
        for s, (j, _t) in enumerate(slots):
            if (j, s) in x:
                x[j, s].lowBound = 1
            # else: infeasible lock/forbidden on a center; the feasibility check explains it

    # balance and capacity
    target = data.target
    for g, gslots in enumerate(groups):
        t = g if (fixed or labelled) else 0
        members = [(i, s) for s in gslots for i in by_slot[s]]
        ycoef = [(y[s], 1.0) for s in gslots if not isinstance(y[s], float)]
        for q, mname in enumerate(data.measure_names):
            kind = "balance" if target is not None and np.isfinite(target[t, q]) else "capacity"
            tag = f"{_tag(mname)}_{tnames[t]}"
            if not (fixed or labelled):
                tag = f"{_tag(mname)}_{cand_names[slots[g][0]]}"
            pairs = [(x[i, s], float(data.measures[i, q])) for i, s in members if data.measures[i, q] != 0]
            sides = (
                ("upper", float(data.upper[t, q]), pulp.LpConstraintLE),
                ("lower", float(data.lower[t, q]), pulp.LpConstraintGE),
            )
            for side, bound, sense in sides:
                if not np.isfinite(bound) or (side == "lower" and bound <= 0):
                    continue
                name = f"{kind}_{tag}_{side}"
                if ycoef:  # the bound scales with the open center: sum - bound * open <= / >= 0
                    _add(prob, pairs + [(v, -bound) for v, _ in ycoef], sense, 0.0, name)
                else:
                    _add(prob, pairs, sense, bound, name)

    if data.contiguous:
        _add_contiguity(prob, data, x, y, slots, groups, by_slot, ids, fixed, labelled, tnames, cand_names)
    return AssignmentModel(prob, x, slots, y, groups)


def _add_contiguity(
    prob, data, x, y, slots, groups, by_slot, ids, fixed, labelled, tnames, cand_names
) -> None:
    """Shirabe (2009) single-commodity flow contiguity, one commodity per territory."""
    if data.adjacency is None:
        raise SolverError("contiguity was requested but no adjacency between units is known")
    adj = data.adjacency.tocoo()
    arcs = [(int(u), int(v)) for u, v in zip(adj.row, adj.col, strict=True) if u != v]
    n = data.n
    big = float(n - data.k + 1)
    for g, gslots in enumerate(groups):
        gname = tnames[g] if (fixed or labelled) else cand_names[slots[g][0]]
        member = [[] for _ in range(n)]  # a_iG terms
        for s in gslots:
            for i in by_slot[s]:
                member[i].append((x[i, s], 1.0))
        active = [bool(member[i]) for i in range(n)]
        # hub terms h_iG
        hub: list[list] = [[] for _ in range(n)]
        if data.centers_are_units:
            for s in gslots:
                j = slots[s][0]
                hub[j].append(y[s])
        else:
            hvars = []
            for i in range(n):
                if active[i]:
                    h = prob.add_variable(f"hub_{ids[i]}_{gname}", 0, 1, pulp.LpInteger)
                    hub[i].append(h)
                    hvars.append(h)
                    _add(
                        prob,
                        [(h, 1.0)] + [(v, -1.0) for v, _ in member[i]],
                        pulp.LpConstraintLE,
                        0.0,
                        f"hub_member_{ids[i]}_{gname}",
                    )
            ys = [(y[s], -1.0) for s in gslots if not isinstance(y[s], float)]
            rhs = 0.0 if ys else 1.0
            _add(prob, [(h, 1.0) for h in hvars] + ys, pulp.LpConstraintEQ, rhs, f"one_hub_{gname}")
        out: list[list] = [[] for _ in range(n)]
        inn: list[list] = [[] for _ in range(n)]
        for u, v in arcs:
            if not (active[u] and active[v]):
                continue
            f = prob.add_variable(f"flow_{ids[u]}_{ids[v]}_{gname}", 0, None)
            out[u].append(f)
            inn[v].append(f)
        for i in range(n):
            if not active[i]:
                continue
            hub_terms = [(h, big) if not isinstance(h, float) else None for h in hub[i]]
            hub_pairs = [p for p in hub_terms if p is not None]
            hub_const = sum(big for h in hub[i] if isinstance(h, float))
            pairs = (
                [(f, 1.0) for f in out[i]] + [(f, -1.0) for f in inn[i]] + [(v, -1.0) for v, _ in member[i]]
            )
            pairs += hub_pairs
            _add(prob, pairs, pulp.LpConstraintGE, -hub_const, f"flow_out_{ids[i]}_{gname}")
            if inn[i]:
                _add(
                    prob,
                    [(f, 1.0) for f in inn[i]] + [(v, -(big - 1)) for v, _ in member[i]],
                    pulp.LpConstraintLE,
                    0.0,
                    f"flow_in_{ids[i]}_{gname}",
                )


def _set_start(model: AssignmentModel, labels: np.ndarray, centers: np.ndarray) -> None:
    """Initial values of the center-indexed model from an alignment (``labels`` index ``centers``)."""
    open_ = {int(c) for c in centers}
    for s, (j, _t) in enumerate(model.slots):
        yv = model.y[s]
        if not isinstance(yv, float):
            yv.setInitialValue(1 if j in open_ else 0)
    target = {i: int(centers[t]) for i, t in enumerate(labels)}
    for (i, s), v in model.x.items():
        v.setInitialValue(1 if model.slots[s][0] == target[i] else 0)


def _fixed_center_assignment(
    data: DesignData, centers: np.ndarray, solver: str, time_limit: float, seed: int
):
    """Optimal assignment of the units to fixed ``centers`` under the bounds; labels or None."""
    sub = DesignData(**{**data.__dict__, "fixed_centers": np.asarray(centers)})
    model = build_assignment_model(sub)
    st = solve_status(model.prob, make_solver(solver, time_limit=max(time_limit, 0.1), seed=seed))
    if st.objective is None:
        return None
    labels = np.full(data.n, -1)
    for (i, s), v in model.x.items():
        if (v.varValue or 0.0) > 0.5:
            labels[i] = model.slots[s][1]
    return None if (labels < 0).any() else labels


def location_allocation_start(
    data: DesignData, *, solver: str = "highs", time_limit: float = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray] | None:
    """A good feasible start for automatic centers with balance/capacity bounds.

    Alternating location-allocation (assign the units to fixed centers with the bounds, a small MIP; move
    every center to its territory's 1-median; repeat), started from the uncapacitated p-median heuristic
    and then from random single-center swaps (a center moved to one of the units near it) while time
    remains. Returns ``(labels, centers)`` of the best alignment found, or None.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    rng = np.random.default_rng(seed)
    cost = data.cost_matrix()
    w = np.asarray(data.weight, dtype=float)
    n, k = data.n, data.k
    seen: dict[tuple[int, ...], float] = {}

    def alternate(centers: np.ndarray):
        best_l, best_c, best_v = None, None, np.inf
        while time.perf_counter() < deadline:
            key = tuple(sorted(int(c) for c in centers))
            if key in seen:
                break
            cen = np.asarray(key)
            labels = _fixed_center_assignment(data, cen, solver, deadline - time.perf_counter(), seed)
            if labels is None:
                seen[key] = np.inf
                break
            value = float((w * cost[np.arange(n), cen[labels]]).sum())
            seen[key] = value
            if value >= best_v - 1e-9:
                break
            best_l, best_c, best_v = labels, cen, value
            new = cen.copy()
            for t in range(k):
                members = np.flatnonzero(labels == t)
                cand = members if data.centers_are_units else np.arange(data.m)
                new[t] = cand[int(np.argmin((w[members, None] * cost[np.ix_(members, cand)]).sum(axis=0)))]
            centers = new
        return best_l, best_c, best_v

    centers, _ = pmedian_local_search(cost, w, k, seed=seed)
    labels, cen, value = alternate(centers)
    if labels is None:
        return None
    near_count = max(5, min(data.m - 1, 2 * n // max(k, 1)))
    failures = 0
    while time.perf_counter() < deadline - 0.2 and failures < max(30, 3 * k):
        failures += 1
        t = int(rng.integers(k))
        near = np.argsort(cost[cen[t]] if data.centers_are_units else cost[:, cen[t]])[:near_count]
        options = np.setdiff1d(near, cen)
        if len(options) == 0:
            continue
        trial = cen.copy()
        trial[t] = int(rng.choice(options))
        tl, tc, tv = alternate(trial)
        if tl is not None and tv < value - 1e-9:
            labels, cen, value = tl, tc, tv
            failures = 0
    return labels, cen


def solve_assignment(
    data: DesignData,
    *,
    solver: str = "highs",
    time_limit: float = 60,
    gap: float | None = None,
    seed: int = 0,
    msg: bool = False,
) -> MipOutcome:
    """Build and solve the assignment model; decode territory labels and centers."""
    t0 = time.perf_counter()
    start = None
    if data.fixed_centers is None and not is_labelled(data) and not data.contiguous:
        start = location_allocation_start(data, solver=solver, time_limit=0.2 * time_limit, seed=seed)
    model = build_assignment_model(data)
    if start is not None:
        _set_start(model, *start)
    left = max(MIN_SOLVE_SECONDS, time_limit - (time.perf_counter() - t0))
    st: SolveStatus = solve_status(
        model.prob,
        make_solver(solver, time_limit=left, gap=gap, seed=seed, msg=msg, warm_start=start is not None),
        gap,
    )
    method = "mip-assign" + ("-contiguous" if data.contiguous else "")
    if st.status in ("infeasible", "no_solution"):
        return MipOutcome(None, None, st.status, st.bound, method, time.perf_counter() - t0)
    n = data.n
    slot_of = np.full(n, -1)
    for (i, s), v in model.x.items():
        if (v.varValue or 0.0) > 0.5:
            slot_of[i] = s
    if (slot_of < 0).any():
        raise SolverError("the solver returned an assignment that leaves units unassigned")
    fixed = data.fixed_centers is not None
    if fixed or is_labelled(data):
        labels = np.array([model.slots[s][1] for s in slot_of])
        centers = np.array([data.fixed_centers[t] if fixed else -1 for t in range(data.k)])
        if not fixed:
            for s, (j, t) in enumerate(model.slots):
                yv = model.y[s]
                if not isinstance(yv, float) and (yv.varValue or 0.0) > 0.5:
                    centers[t] = j
    else:
        open_slots = [s for s in range(len(model.slots)) if (model.y[s].varValue or 0.0) > 0.5]
        pos = {s: t for t, s in enumerate(open_slots)}
        labels = np.array([pos[s] for s in slot_of])
        centers = np.array([model.slots[s][0] for s in open_slots])
    return MipOutcome(labels, centers, st.status, st.bound, method, time.perf_counter() - t0)


def nearest_assignment(data: DesignData) -> MipOutcome:
    """Closed-form optimum for fixed centers without balance or contiguity: each unit to its cheapest
    allowed territory (penalising a move by ``move_penalty``)."""
    t0 = time.perf_counter()
    centers = np.asarray(data.fixed_centers)
    c = data.cost_matrix(centers=centers) * data.weight[:, None]
    if data.current is not None and data.move_penalty:
        moved = (data.current[:, None] >= 0) & (np.arange(data.k)[None, :] != data.current[:, None])
        c = c + data.move_penalty * moved
    if len(data.forbidden):
        c[data.forbidden[:, 0], data.forbidden[:, 1]] = np.inf
    lk = data.locked >= 0
    c[lk] = np.inf
    c[np.flatnonzero(lk), data.locked[lk]] = 0.0
    if data.centers_are_units:
        c[centers] = np.inf
        c[centers, np.arange(data.k)] = 0.0
    labels = np.argmin(c, axis=1)
    return MipOutcome(labels, centers, "optimal", None, "nearest-center", time.perf_counter() - t0)


def write_lp(data: DesignData, path: str) -> None:
    """Write the exact model of ``data`` as an LP file (readable names: ``assign_<unit>_<territory>``...)."""
    if is_pure_pmedian(data):
        cost = data.cost_matrix()
        levels = np.full(data.n, data.m)
        names = [_tag(x) for x in data.ids]
        cand = names if data.candidate_ids is None else [_tag(x) for x in data.candidate_ids]
        prob, _, _ = _radius_model(cost, data.weight, data.k, levels, names, cand)
    else:
        prob = build_assignment_model(data).prob
    prob.writeLP(str(path))
