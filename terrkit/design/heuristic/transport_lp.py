"""Transportation LP with balance rows, solved with highspy directly (the heuristic's assignment step).

For fixed centers :math:`c_t` and a set :math:`P` of allowed unit-territory pairs, the LP is

.. math::

    \\min \\sum_{(i,t) \\in P} \\big(w_i\\, d(i, c_t)^p + \\pi [t \\ne t^0_i]\\big) x_{it}
          + \\sum_{t,r} M_r (s^+_{tr} + s^-_{tr})

    \\text{s.t.}\\quad \\sum_{t:(i,t)\\in P} x_{it} = 1 \\quad \\forall i \\qquad (\\text{assign\\_once}_i)

    L_{tr} \\le \\sum_{i:(i,t)\\in P} a_{ir} x_{it} - s^+_{tr} + s^-_{tr} \\le U_{tr}
          \\quad \\forall t, r \\qquad (\\text{balance}_{r,t})

    \\sum_i g_i x_{i t^0_i} \\ge (1 - \\mu) \\sum_i g_i \\qquad (\\text{max\\_moved, when capped})

    0 \\le x \\le 1,\\ s \\ge 0

with :math:`\\pi` the move penalty, :math:`t^0` the current plan, :math:`g` the moved measure and
:math:`\\mu` the cap. The slacks :math:`s^\\pm` (heavily penalised) keep a restricted pair set feasible; the
bound LP (:func:`solve_transport_lp` with ``soft=False`` and all pairs) has none. The LP is nearly integral:
a basic solution has at most about :math:`k\\,q` fractional units.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from terrkit.design.exact.solvers import quiet_highs
from terrkit.design.heuristic.budget import WorkBudget, charge_highs, limit_highs
from terrkit.exceptions import SolverError

__all__ = ["LPResult", "pair_keys", "solve_transport_lp"]


def pair_keys(units: np.ndarray, terrs: np.ndarray, k: int) -> np.ndarray:
    """The distinct keys ``unit * k + territory`` of the pairs, sorted.

    Sorting and dropping repeats is several times faster than :func:`numpy.unique` on the large key arrays of
    the assignment LP (numpy 2.3+ hashes integer keys there).

    Examples
    --------
    >>> pair_keys(np.array([2, 0, 2]), np.array([1, 1, 1]), k=3)
    array([1, 7])
    """
    keys = np.sort(np.asarray(units, dtype=np.int64) * k + np.asarray(terrs, dtype=np.int64))
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _sorted_contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in the sorted array ``sorted_keys``."""
    pos = np.searchsorted(sorted_keys, keys)
    found = pos < len(sorted_keys)
    found[found] = sorted_keys[pos[found]] == keys[found]
    return found


@dataclass
class LPResult:
    """Outcome of one transportation LP.

    Attributes
    ----------
    x : numpy.ndarray or None
        ``(P,)`` value of every pair variable (None when infeasible).
    objective : float or None
        LP objective including slack penalties.
    slack : float
        Total slack used (0 means the balance rows hold exactly).
    status : str
        ``"optimal"``, ``"infeasible"`` or ``"other"``.
    row_dual : numpy.ndarray or None
        Dual value of every row (``assign_once`` rows first, then the balance rows ``n + t*q + r``), when
        HiGHS gives them: the reduced cost of a pair is ``cost - dual[unit] - sum_r a_r dual[n + t*q + r]``.
    """

    x: np.ndarray | None
    objective: float | None
    slack: float
    status: str
    row_dual: np.ndarray | None = None


def solve_transport_lp(
    unit: np.ndarray,
    terr: np.ndarray,
    cost: np.ndarray,
    n: int,
    k: int,
    measures: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    soft: bool = True,
    penalty: np.ndarray | None = None,
    moved_measure: np.ndarray | None = None,
    current: np.ndarray | None = None,
    max_moved: float | None = None,
    time_limit: float | None = None,
    integer: bool = False,
    start: np.ndarray | None = None,
    budget: WorkBudget | None = None,
) -> LPResult:
    """Solve the transportation LP over the pair list ``(unit[p], terr[p])`` with ``cost[p]``.

    Parameters
    ----------
    unit, terr, cost : numpy.ndarray
        ``(P,)`` pair list and the objective coefficient of every pair.
    n, k : int
        Number of units and territories.
    measures : numpy.ndarray
        ``(n, q)`` balance measures.
    lower, upper : numpy.ndarray
        ``(k, q)`` bounds (``-inf`` / ``inf`` allowed).
    soft : bool, default True
        Add penalised slacks to the balance rows.
    penalty : numpy.ndarray, optional
        ``(q,)`` slack cost per unit of measure (required when ``soft``).
    moved_measure, current, max_moved : optional
        Cap on the moved share (row added when all three are given).
    time_limit : float, optional
        HiGHS time limit in seconds (ignored when ``budget`` is given).
    integer : bool, default False
        Make the pair variables binary (the rounding MIP); slacks stay continuous.
    start : numpy.ndarray, optional
        ``(P,)`` 0/1 start for the MIP.
    budget : WorkBudget, optional
        The search's work budget: the solve's simplex iterations are charged to it and its safety stop is the
        time limit. When the safety stop has passed, the LP is not solved (status ``"other"``).
    """
    unit = np.asarray(unit, dtype=np.int64)
    terr = np.asarray(terr, dtype=np.int64)
    P = len(unit)
    q = measures.shape[1]
    lower = np.asarray(lower, dtype=float).reshape(k, q)
    upper = np.asarray(upper, dtype=float).reshape(k, q)
    # rows: assign (n), balance (k*q: row = n + t*q + r), moved (1)
    rows = [unit]
    cols = [np.arange(P)]
    vals = [np.ones(P)]
    for r in range(q):
        a = measures[unit, r]
        nz = a != 0
        rows.append(n + terr[nz] * q + r)
        cols.append(np.flatnonzero(nz))
        vals.append(a[nz])
    n_rows = n + k * q
    row_lo = np.r_[np.ones(n), lower.ravel()]
    row_hi = np.r_[np.ones(n), upper.ravel()]
    col_cost = [np.asarray(cost, dtype=float)]
    col_hi = [np.ones(P)]
    n_cols = P
    if soft and q:
        bounded = np.flatnonzero(np.isfinite(lower.ravel()) | np.isfinite(upper.ravel()))
        ns = len(bounded)
        pen = np.asarray(penalty, dtype=float)[bounded % q]
        # s+ (coefficient -1) then s- (+1)
        rows += [n + bounded, n + bounded]
        cols += [n_cols + np.arange(ns), n_cols + ns + np.arange(ns)]
        vals += [-np.ones(ns), np.ones(ns)]
        col_cost += [pen, pen]
        col_hi += [np.full(2 * ns, np.inf)]
        n_cols += 2 * ns
    if max_moved is not None and current is not None and moved_measure is not None:
        stay = current[unit] == terr
        rows.append(np.full(int(stay.sum()), n_rows))
        cols.append(np.flatnonzero(stay))
        vals.append(moved_measure[unit[stay]].astype(float))
        total = float(moved_measure[current >= 0].sum())
        row_lo = np.r_[row_lo, (1.0 - max_moved) * total - 1e-9 * max(total, 1.0)]
        row_hi = np.r_[row_hi, np.inf]
        n_rows += 1
    a = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols)
    )
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.concatenate(col_cost)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.concatenate(col_hi)
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * P + [highspy.HighsVarType.kContinuous] * (
            n_cols - P
        )
    h = quiet_highs()
    if integer:
        h.setOptionValue("mip_rel_gap", 1e-3)
        h.setOptionValue("random_seed", 0)
    else:
        h.setOptionValue("presolve", "off")
    if budget is not None:
        if not limit_highs(h, budget):
            return LPResult(None, None, np.inf, "other")
    elif time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    h.passModel(lp)
    if integer and start is not None:
        x0 = np.full(n_cols, np.nan)
        x0[:P] = start
        sol0 = highspy.HighsSolution()
        sol0.col_value = x0
        sol0.value_valid = True
        h.setSolution(sol0)
    run = h.run()
    if run == highspy.HighsStatus.kError:  # pragma: no cover - solver failure
        raise SolverError("HiGHS failed on the assignment LP")
    if budget is not None:
        charge_highs(h, budget)
    status = h.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return LPResult(None, None, np.inf, "infeasible")
    sol = h.getSolution()
    if integer and h.getInfo().primal_solution_status != 2:
        return LPResult(None, None, np.inf, "other")
    if not sol.value_valid:
        return LPResult(None, None, np.inf, "other")
    xs = np.asarray(sol.col_value)
    slack = float(xs[P:].sum()) if n_cols > P else 0.0
    return LPResult(
        xs[:P],
        float(h.getInfo().objective_function_value),
        slack,
        "optimal" if status == highspy.HighsModelStatus.kOptimal else "other",
        np.asarray(sol.row_dual) if sol.dual_valid else None,
    )


class IncrementalTransportLP:
    """The transportation LP of :func:`solve_transport_lp` kept alive across center updates.

    Pair columns are added as they become candidates and never removed (every allowed pair is a valid
    column); each :meth:`solve` refreshes all pair costs, pins center units through column bounds and
    re-runs HiGHS from the previous basis, which is much faster than a cold solve on large instances.

    Parameters
    ----------
    n, k : int
        Units and territories.
    measures, lower, upper, penalty :
        As in :func:`solve_transport_lp` (balance rows are always soft).
    moved_measure, current, max_moved : optional
        Cap on the moved share.
    """

    def __init__(
        self, n, k, measures, lower, upper, penalty, moved_measure=None, current=None, max_moved=None
    ):
        self.n, self.k = n, k
        self.M = np.asarray(measures, dtype=float).reshape(n, -1)
        q = self.q = self.M.shape[1]
        lower = np.asarray(lower, dtype=float).reshape(k, q)
        upper = np.asarray(upper, dtype=float).reshape(k, q)
        self.cur = current
        self.mm = None if moved_measure is None else np.asarray(moved_measure, dtype=float)
        self.has_moved_row = max_moved is not None and current is not None and moved_measure is not None
        h = self.h = quiet_highs()
        h.setOptionValue("presolve", "off")
        row_lo = np.r_[np.ones(n), lower.ravel()]
        row_hi = np.r_[np.ones(n), upper.ravel()]
        if self.has_moved_row:
            total = float(self.mm[current >= 0].sum())
            row_lo = np.r_[row_lo, (1.0 - max_moved) * total - 1e-9 * max(total, 1.0)]
            row_hi = np.r_[row_hi, np.inf]
        nr = len(row_lo)
        h.addRows(nr, row_lo, row_hi, 0, np.zeros(nr, dtype=np.int32), np.empty(0, np.int32), np.empty(0))
        bounded = np.flatnonzero(np.isfinite(lower.ravel()) | np.isfinite(upper.ravel()))
        ns = len(bounded)
        if ns:
            pen = np.asarray(penalty, dtype=float)[bounded % q]
            rows = np.r_[n + bounded, n + bounded].astype(np.int32)
            vals = np.r_[-np.ones(ns), np.ones(ns)]
            h.addCols(
                2 * ns,
                np.r_[pen, pen],
                np.zeros(2 * ns),
                np.full(2 * ns, np.inf),
                2 * ns,
                np.arange(2 * ns, dtype=np.int32),
                rows,
                vals,
            )
        self.n_slack = 2 * ns
        self.keys = np.empty(0, dtype=np.int64)  # sorted pair keys i*k+t
        self.col_of_key = np.empty(0, dtype=np.int64)
        self.unit = np.empty(0, dtype=np.int64)  # per pair column (in column order)
        self.terr = np.empty(0, dtype=np.int64)

    def _add(self, keys: np.ndarray) -> None:
        i, t = keys // self.k, keys % self.k
        m = len(keys)
        q = self.q
        parts_r = [i[:, None]]
        parts_v = [np.ones((m, 1))]
        if q:
            parts_r.append(self.n + t[:, None] * q + np.arange(q)[None, :])
            parts_v.append(self.M[i])
        if self.has_moved_row:
            stay = (self.cur[i] == t).astype(float) * self.mm[i]
            parts_r.append(np.full((m, 1), self.n + self.k * q))
            parts_v.append(stay[:, None])
        R = np.concatenate(parts_r, axis=1)
        V = np.concatenate(parts_v, axis=1)
        nz = V != 0
        counts = nz.sum(axis=1)
        starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int32)
        self.h.addCols(
            m,
            np.zeros(m),
            np.zeros(m),
            np.ones(m),
            int(counts.sum()),
            starts,
            R[nz].astype(np.int32),
            V[nz].astype(float),
        )
        first = self.n_slack + len(self.unit)
        self.unit = np.r_[self.unit, i]
        self.terr = np.r_[self.terr, t]
        allkeys = np.r_[self.keys, keys]
        allcols = np.r_[self.col_of_key, first + np.arange(m)]
        order = np.argsort(allkeys, kind="stable")
        self.keys, self.col_of_key = allkeys[order], allcols[order]

    def solve(self, i, t, cost_fn, pinned: np.ndarray, budget: WorkBudget) -> LPResult:
        """Solve with the candidate pairs ``(i, t)`` added; ``cost_fn(units, terrs)`` prices all pair columns.

        ``pinned[u] >= 0`` keeps unit ``u`` in that territory (its other columns get an upper bound of 0).
        Returns an :class:`LPResult` whose ``x`` is aligned with :attr:`unit` / :attr:`terr`. The simplex
        iterations are charged to ``budget``; past its safety stop the LP is not solved (status ``"other"``).
        """
        if not limit_highs(self.h, budget):
            return LPResult(None, None, np.inf, "other")
        keys = pair_keys(i, t, self.k)
        new = keys[~_sorted_contains(self.keys, keys)]
        if len(new):
            self._add(new)
        cols = (self.n_slack + np.arange(len(self.unit))).astype(np.int32)
        cost = np.asarray(cost_fn(self.unit, self.terr), dtype=float)
        self.h.changeColsCost(len(cols), cols, cost)
        p = pinned[self.unit]
        ub = np.where((p >= 0) & (p != self.terr), 0.0, 1.0)
        self.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), ub)
        self.h.run()
        charge_highs(self.h, budget)
        status = self.h.getModelStatus()
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return LPResult(None, None, np.inf, "infeasible")
        sol = self.h.getSolution()
        if not sol.value_valid:
            return LPResult(None, None, np.inf, "other")
        xs = np.asarray(sol.col_value)
        slack = float(xs[: self.n_slack].sum())
        return LPResult(
            xs[self.n_slack :],
            float(self.h.getInfo().objective_function_value),
            slack,
            "optimal" if status == highspy.HighsModelStatus.kOptimal else "other",
        )
