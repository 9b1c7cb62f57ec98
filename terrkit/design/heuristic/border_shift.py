"""Boundary shifting: rebalance today's alignment by moving units across territory borders, LP-guided.

When territories keep their centers (a realignment around the reps' homes), the plan that moves the least is
found by moving today's borders, not by redrawing the map. Each round solves the transportation LP
(:func:`terrkit.design.heuristic.transport_lp.solve_transport_lp`) in which a unit may only stay, go back to
its original territory, or join a territory it borders; the balance rows are soft (heavily penalised slacks,
on a band narrowed by :data:`SHIFT_MARGIN` to leave room for rounding). The moves the LP asks for are applied
one unit at a time, only while they keep every territory connected, and the next round starts from the new
borders: a territory far from the one that needs its units passes them on, about one ring of units a round.

The rounds stop when the plan is within every band, when a round changes nothing, when
:data:`STALL_ROUNDS` rounds in a row gain almost nothing, or after ``max_rounds`` (a work budget, not a time
budget). The local search of :mod:`terrkit.design.heuristic.search` polishes the result.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from terrkit.design.heuristic.budget import WorkBudget
from terrkit.design.heuristic.transport_lp import solve_transport_lp

log = logging.getLogger(__name__)

#: Share of each balance band (on each side) kept free in the shifting LP for rounding and repairs.
SHIFT_MARGIN = 0.1

#: Most LP rounds of one shifting (each moves borders by at most one ring of units).
MAX_ROUNDS = 60

#: Shifting stops after this many rounds in a row that cut the total violation by less than STALL_GAIN.
STALL_ROUNDS = 3
#: A round that cuts the total violation by less than this share (2%) gains "almost nothing".
STALL_GAIN = 0.02


def _candidate_pairs(adjacency: sp.csr_matrix, labels: np.ndarray, original: np.ndarray, locks: np.ndarray):
    """Unit-territory pairs a round may use: stay, go back to the original territory, join a bordering one."""
    coo = adjacency.tocoo()
    i = np.r_[np.arange(len(labels)), np.arange(len(labels)), coo.row]
    t = np.r_[labels, original, labels[coo.col]]
    keep = (t >= 0) & ((locks[i] < 0) | (t == locks[i]))
    i, t = i[keep], t[keep]
    pairs = np.unique(np.column_stack([i, t]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def shift_boundaries(plan, original: np.ndarray, *, budget: WorkBudget, max_rounds: int = MAX_ROUNDS) -> int:
    """Move the plan's borders until every territory is within its bands (see the module docstring).

    Each round solves the LP, then applies the moves it asks for one unit at a time, only while the unit
    borders its new territory and leaving does not cut its old one in two (so the plan stays contiguous);
    a move that cannot be applied yet waits for a later round.

    Parameters
    ----------
    plan : terrkit.design.heuristic.local_search.Plan
        The plan to shift in place: contiguous, every unit assigned.
    original : numpy.ndarray
        ``(n,)`` today's territory of every unit (a unit may always go back to it).
    budget : WorkBudget
        Work budget: the LPs' simplex iterations are charged to it, and no round starts once it is spent.
    max_rounds : int
        At most this many LP rounds.

    Returns
    -------
    int
        The number of LP rounds used.
    """
    data = plan.data
    n, k = data.n, data.k
    adjacency = sp.csr_matrix(data.adjacency)
    M = plan.M
    lo, hi = plan.L, plan.U
    both = np.isfinite(lo) & np.isfinite(hi)
    width = np.where(both, hi - lo, 0.0)
    lo_lp = np.where(both, lo + SHIFT_MARGIN * width, lo)
    hi_lp = np.where(both, hi - SHIFT_MARGIN * width, hi)
    locks = np.where(plan.locked, plan.labels, -1)
    measure_scale = np.array([np.median(np.abs(c[c != 0])) if (c != 0).any() else 1.0 for c in M.T])
    rounds = 0
    best, stale = plan.violation().sum(), 0
    for rounds in range(1, max_rounds + 1):
        if plan.violation().max(initial=0.0) <= 1e-12 or budget.exhausted():
            break
        # the LP keeps asking for moves that cannot be made: leave the rest to the local search
        if stale >= STALL_ROUNDS:
            break
        i, t = _candidate_pairs(adjacency, plan.labels, original, locks)
        ok = plan.allowed[i, t]
        i, t = i[ok], t[ok]
        c = plan.cost_to(i, t)
        penalty = 100.0 * (float(np.abs(c).max(initial=0.0)) + 1e-9) / measure_scale
        res = solve_transport_lp(i, t, c, n, k, M, lo_lp, hi_lp, soft=True, penalty=penalty, budget=budget)
        if res.x is None:
            break
        order = np.lexsort((-res.x, i))
        head = np.r_[True, i[order][1:] != i[order][:-1]]
        want = np.full(n, -1, dtype=np.int64)
        want[i[order][head]] = t[order][head]
        moved = _apply_moves(plan, want)
        log.info(
            "shift round %d: %d moves, violation %.4f, LP slack %.4g",
            rounds, moved, plan.violation().max(initial=0.0), res.slack,
        )  # fmt: skip
        if moved == 0:
            break
        total = plan.violation().sum()
        stale = stale + 1 if total > (1 - STALL_GAIN) * best else 0
        best = min(best, total)
    return rounds


def _apply_moves(plan, want: np.ndarray, passes: int = 4) -> int:
    """Apply the wanted moves that keep the plan contiguous and its balance no worse, in passes (a move may
    open the way for another)."""
    moved = 0
    for _ in range(passes):
        todo = np.flatnonzero((want >= 0) & (want != plan.labels))
        done = 0
        for u in todo:
            b = int(want[u])
            a = int(plan.labels[u])
            if np.count_nonzero(plan.labels == a) <= 1 or not plan.touches(u, b) or not plan.removable(u):
                continue
            if not _no_worse(plan, u, a, b):
                continue
            plan.move(u, b)
            done += 1
        moved += done
        if done == 0:
            break
    return moved


def _no_worse(plan, u: int, a: int, b: int) -> bool:
    """Whether moving unit ``u`` from ``a`` to ``b`` leaves the two territories' total violation no larger."""
    if plan.q == 0:
        return True
    before = plan.viol(plan.T[[a, b]], np.array([a, b])).sum()
    after_T = plan.T[[a, b]] + np.vstack([-plan.M[u], plan.M[u]])
    return bool(plan.viol(after_T, np.array([a, b])).sum() <= before + 1e-12)
