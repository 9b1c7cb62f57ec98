"""Contiguity- and balance-preserving local search for territory plans.

The state is a plan (a territory for every unit, a center for every territory). The objective is

.. math::

    f = \\sum_i w_i\\, d(i, c_{t(i)})^p + \\pi \\sum_i [t(i) \\ne t^0_i]

with balance bounds :math:`L_{tr} \\le \\sum_{i \\in t} a_{ir} \\le U_{tr}`, an optional cap on the moved
share and, when required, connected territories. Three operators work on it:

* **balance repair** (:meth:`Plan.repair_balance`): one escalation for the worst territory, from chains of
  boundary moves (a violated territory pushes or pulls units from territory to territory until one has
  room) to random re-splits of its region (:mod:`terrkit.design.heuristic.recom`) to an exact re-partition
  of a growing region (:mod:`terrkit.design.heuristic.repartition`); a step is kept only if the total
  violation drops;
* **boundary moves** (:meth:`Plan.improve_moves`): a unit moves to a neighbouring territory when that lowers
  :math:`f`, keeps both territories within bounds (or no worse) and the donor connected (the unit is not an
  articulation point of its territory);
* **swaps** (:meth:`Plan.improve_swaps`): two units on the same border trade places when the pair lowers
  :math:`f` while single moves are blocked by the bounds;

and :meth:`Plan.update_centers` moves each free center to its territory's weighted medoid.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from terrkit.design.heuristic.budget import AP_MEMBER, MOVE, REPAIR_STEP, UNITS_PER_SECOND, WorkBudget
from terrkit.design.heuristic.transport_lp import pair_keys
from terrkit.design.problem.contiguity import articulation_points, edge_arrays

__all__ = ["Plan"]

log = logging.getLogger(__name__)

#: Work one repair after a perturbation may use (about 5 s on the reference machine): enough to settle the
#: shaken region, small enough that a hopeless perturbation does not eat the budget.
PERTURB_REPAIR_WORK = 5.0 * UNITS_PER_SECOND


class Plan:
    """Mutable territory plan with incremental totals, costs and articulation points.

    Parameters
    ----------
    data : DesignData
        The problem (see :mod:`terrkit.design.problem.definition`).
    labels : numpy.ndarray
        ``(n,)`` initial territory per unit.
    centers : numpy.ndarray
        ``(k,)`` candidate index of every territory's center.
    allowed : numpy.ndarray
        ``(n, k)`` boolean mask of allowed unit-territory pairs (forbidden pairs and locks folded in).
    cand : numpy.ndarray, optional
        ``(n, L)`` nearest territories per unit, used as move targets when contiguity is not enforced.
    """

    def __init__(self, data, labels, centers, allowed, cand=None) -> None:
        self.data = data
        self.n, self.k = data.n, data.k
        self.labels = np.asarray(labels, dtype=np.int64).copy()
        self.centers = np.asarray(centers, dtype=np.int64).copy()
        self.w = np.asarray(data.weight, dtype=float)
        self.M = np.asarray(data.measures, dtype=float).reshape(self.n, -1)
        self.q = self.M.shape[1]
        self.L = np.asarray(data.lower, dtype=float).reshape(self.k, self.q)
        self.U = np.asarray(data.upper, dtype=float).reshape(self.k, self.q)
        tot = self.M.sum(axis=0)
        self.scale = np.where(tot > 0, tot / self.k, 1.0)
        self.tol = 1e-9 * self.scale
        self.allowed = allowed
        self.cand = cand
        self.locked = np.asarray(data.locked) >= 0
        self.fixed = data.fixed_centers is not None
        self.centers_are_units = data.centers_are_units
        adj = data.adjacency
        self.enforce = bool(data.contiguous and adj is not None)
        if adj is not None:
            a = sp.csr_matrix(adj)
            a.sum_duplicates()
            self.indptr, self.indices = a.indptr, a.indices
            self.src, self.dst = edge_arrays(a)
            self.nbr = [a.indices[a.indptr[i] : a.indptr[i + 1]] for i in range(self.n)]
            self.adj = a
        else:
            self.adj = None
            self.indptr = self.indices = self.src = self.dst = None
            self.nbr = None
        cur = data.current
        self.cur = None if cur is None else np.asarray(cur, dtype=np.int64)
        self.pen = float(data.move_penalty or 0.0) if self.cur is not None else 0.0
        mm = data.moved_measure if data.moved_measure is not None else data.weight
        self.mm = np.asarray(mm, dtype=float)
        if self.cur is not None and data.max_moved is not None:
            base = float(self.mm[self.cur >= 0].sum())
            self.moved_cap = data.max_moved * base + 1e-9 * max(base, 1.0)
        else:
            self.moved_cap = np.inf
        self.xy = None
        self._resplits = 0
        #: Balance repair may move free centers (their territory is re-centered at its medoid).
        self.center_moves = False
        #: Balance repair may re-partition lumpy regions exactly (switched off inside perturbation rounds).
        self.use_partition = True
        #: repair operators switched off (for the ablation, see ``search.OPERATORS``)
        self.skip: frozenset[str] = frozenset()
        self.T = np.zeros((self.k, self.q))
        self._recount()

    # ------------------------------------------------------------------ bookkeeping
    def _recount(self) -> None:
        self.T = np.zeros((self.k, self.q))
        if self.q:
            np.add.at(self.T, self.labels, self.M)
        self.is_center = np.zeros(self.n, dtype=bool)
        if self.centers_are_units:
            self.is_center[self.centers] = True
        self.own = self.cost_to(np.arange(self.n), self.labels)
        self.cost_scale = max(float(np.abs(self.own).mean()), 1e-12)
        self.moved_total = float(self.mm[self._moved_mask(np.arange(self.n), self.labels)].sum())
        self.ap = np.zeros(self.n, dtype=bool)
        self.ap_dirty = np.ones(self.k, dtype=bool)
        self._ap_members = 0  # units whose cut-vertex status was recomputed since the last charge

    def _moved_mask(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        if self.cur is None:
            return np.zeros(len(i), dtype=bool)
        c = self.cur[i]
        return (c >= 0) & (t != c)

    def cost_to(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Objective contribution of units ``i`` if they belong to territories ``t``."""
        i = np.asarray(i, dtype=np.int64)
        t = np.asarray(t, dtype=np.int64)
        c = self.w[i] * self.data.unit_cost(i, self.centers[t])
        if self.pen:
            c = c + self.pen * self._moved_mask(i, t)
        return c

    def objective(self) -> float:
        """Current objective value :math:`f`."""
        return float(self.own.sum())

    def viol(self, T: np.ndarray, t) -> np.ndarray:
        """Normalised balance violation of totals ``T`` (rows) for territories ``t``, summed over measures."""
        if self.q == 0:
            return np.zeros(np.shape(T)[:-1])
        v = np.maximum(0.0, np.maximum(T - self.U[t], self.L[t] - T)) / self.scale
        return v.sum(axis=-1)

    def violation(self) -> np.ndarray:
        """``(k,)`` normalised violation of every territory."""
        return self.viol(self.T, np.arange(self.k))

    def _ap_of(self, t: int) -> None:
        members = np.flatnonzero(self.labels == t)
        self.ap[members] = articulation_points(self.indptr, self.indices, members)
        self.ap_dirty[t] = False
        self._ap_members += len(members)

    def _charge(self, budget: WorkBudget, units: float, step: str) -> None:
        """Charge ``units`` of ``step`` plus the cut-vertex recomputations done since the last charge."""
        budget.charge(units + AP_MEMBER * self._ap_members, step)
        self._ap_members = 0

    def removable(self, i: int) -> bool:
        """Whether unit ``i`` may leave its territory (not locked, not a center, not a cut vertex)."""
        if self.locked[i]:
            return False
        a = self.labels[i]
        if self.is_center[i] and not (self.center_moves and np.count_nonzero(self.labels == a) > 1):
            return False
        if not self.enforce:
            return True
        if self.ap_dirty[a]:
            self._ap_of(a)
        return not self.ap[i]

    def touches(self, i: int, b: int) -> bool:
        """Whether unit ``i`` borders territory ``b`` (always True without enforced contiguity)."""
        if not self.enforce:
            return True
        return bool((self.labels[self.nbr[i]] == b).any())

    def move(self, i: int, b: int) -> None:
        """Move unit ``i`` to territory ``b`` (no checks)."""
        a = int(self.labels[i])
        if self.q:
            self.T[a] -= self.M[i]
            self.T[b] += self.M[i]
        if self.cur is not None:
            c = self.cur[i]
            if c >= 0:
                self.moved_total += self.mm[i] * (int(b != c) - int(a != c))
        self.labels[i] = b
        self.own[i] = self.cost_to(np.array([i]), np.array([b]))[0]
        self.ap_dirty[a] = True
        self.ap_dirty[b] = True
        if self.is_center[i] and self.centers_are_units and self.centers[a] == i:
            self.reset_centers(np.array([a]))  # a center left (balance repair only): re-center its territory

    def balance_ok(self, i: int, a: int, b: int) -> bool:
        """Moving ``i`` from ``a`` to ``b`` keeps both within bounds, or at least no worse per measure."""
        if self.q == 0:
            return True
        m = self.M[i]
        for t, new in ((a, self.T[a] - m), (b, self.T[b] + m)):
            old = self.T[t]
            vo = np.maximum(0.0, np.maximum(old - self.U[t], self.L[t] - old))
            vn = np.maximum(0.0, np.maximum(new - self.U[t], self.L[t] - new))
            if (vn > vo + self.tol).any():
                return False
        return True

    def moved_ok(self, i: int, a: int, b: int) -> bool:
        """The move keeps the moved share under its cap (or does not increase it)."""
        if self.cur is None or not np.isfinite(self.moved_cap):
            return True
        c = self.cur[i]
        if c < 0:
            return True
        delta = self.mm[i] * (int(b != c) - int(a != c))
        return delta <= 0 or self.moved_total + delta <= self.moved_cap

    # ------------------------------------------------------------------ move candidates
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Candidate moves ``(unit, target territory)``: unique, allowed, unit free to leave (lock/center)."""
        parts_i, parts_b = [], []
        if self.src is not None:
            e = self.labels[self.src] != self.labels[self.dst]
            parts_i.append(self.src[e])
            parts_b.append(self.labels[self.dst[e]])
        if not self.enforce and self.cand is not None:
            L = self.cand.shape[1]
            parts_i.append(np.repeat(np.arange(self.n), L))
            parts_b.append(self.cand.ravel())
        if not parts_i:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        i = np.concatenate(parts_i)
        b = np.concatenate(parts_b)
        ok = (b != self.labels[i]) & ~self.locked[i] & ~self.is_center[i]
        i, b = i[ok], b[ok]
        ok = self.allowed[i, b]
        i, b = i[ok], b[ok]
        key = pair_keys(i, b, self.k)
        return key // self.k, key % self.k

    # ------------------------------------------------------------------ improvement
    def improve_moves(self, budget: WorkBudget) -> float:
        """One pass of improving boundary moves, best first. Returns the objective decrease.

        Every candidate examined costs ``MOVE`` work units of ``budget``.
        """
        i_all, b_all = self.pairs()
        if len(i_all) == 0:
            return 0.0
        delta = self.cost_to(i_all, b_all) - self.own[i_all]
        eps = 1e-12 * max(1.0, float(np.abs(self.own).sum()))
        sel = np.flatnonzero(delta < -eps)
        sel = sel[np.argsort(delta[sel], kind="stable")]
        gain = 0.0
        a_gen = self.labels[i_all]
        for p in sel.tolist():
            if budget.exhausted():
                break
            self._charge(budget, MOVE, "moves")
            i, b = int(i_all[p]), int(b_all[p])
            a = int(self.labels[i])
            if a != a_gen[p] or a == b:
                continue
            if not self.touches(i, b):
                continue
            if not self.balance_ok(i, a, b) or not self.moved_ok(i, a, b):
                continue
            if not self.removable(i):
                continue
            old = self.own[i]
            self.move(i, b)
            gain += old - self.own[i]
        return gain

    def improve_swaps(self, budget: WorkBudget, per_side: int = 4) -> float:
        """Exchange pairs of border units between neighbouring territories when the pair lowers the objective.

        For every ordered border ``(a, b)`` the ``per_side`` units of ``a`` with the best move delta towards
        ``b`` are candidates; pairs ``(i: a -> b, j: b -> a)`` with a negative summed delta are tried best
        first, checking balance of the exchange, connectivity of both donors, and the moved cap. Every pair
        tried costs ``MOVE`` work units of ``budget``.
        """
        i_all, b_all = self.pairs()
        if len(i_all) == 0:
            return 0.0
        a_all = self.labels[i_all]
        delta = self.cost_to(i_all, b_all) - self.own[i_all]
        order = np.lexsort((delta, b_all, a_all))
        a_s, b_s, i_s, d_s = a_all[order], b_all[order], i_all[order], delta[order]
        key = a_s * self.k + b_s
        start = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
        rank = np.arange(len(key)) - np.repeat(start, np.diff(np.r_[start, len(key)]))
        top = rank < per_side
        a_s, b_s, i_s, d_s, key = a_s[top], b_s[top], i_s[top], d_s[top], key[top]
        groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        bounds = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1, len(key)]
        for g0, g1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            groups[int(key[g0])] = (i_s[g0:g1], d_s[g0:g1])
        trials = []
        for kab, (ii, di) in groups.items():
            a, b = divmod(kab, self.k)
            if a > b:
                continue
            other = groups.get(b * self.k + a)
            if other is None:
                continue
            jj, dj = other
            tot = di[:, None] + dj[None, :]
            for x, y in zip(*np.nonzero(tot < 0), strict=True):
                trials.append((float(tot[x, y]), int(ii[x]), int(jj[y]), a, b))
        trials.sort()
        gain = 0.0
        for _, i, j, a, b in trials:
            if budget.exhausted():
                break
            self._charge(budget, MOVE, "moves")
            if self.labels[i] != a or self.labels[j] != b:
                continue
            if not self.touches(i, b) or not self.removable(i):
                continue
            if self.q:
                net = self.M[i] - self.M[j]
                na, nb = self.T[a] - net, self.T[b] + net
                for t, new in ((a, na), (b, nb)):
                    old = self.T[t]
                    vo = np.maximum(0.0, np.maximum(old - self.U[t], self.L[t] - old))
                    vn = np.maximum(0.0, np.maximum(new - self.U[t], self.L[t] - new))
                    if (vn > vo + self.tol).any():
                        break
                else:
                    net = None
                if net is not None:
                    continue
            before = self.own[i] + self.own[j]
            moved_before = self.moved_total
            self.move(i, b)
            ok = self.touches(j, a) and self.removable(j)
            if ok:
                self.move(j, a)
                if self.moved_total > self.moved_cap and self.moved_total > moved_before:
                    self.move(j, b)
                    ok = False
            if not ok:
                self.move(i, a)
                continue
            gain += before - (self.own[i] + self.own[j])
        return gain

    # ------------------------------------------------------------------ balance repair
    def _moves_from(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidate moves ``(unit, target)`` out of territory ``g``."""
        members = np.flatnonzero(self.labels == g)
        parts_i, parts_b = [], []
        if self.adj is not None:
            sub = self.adj[members].tocoo()
            parts_i.append(members[sub.row])
            parts_b.append(self.labels[sub.col])
        if not self.enforce and self.cand is not None:
            parts_i.append(np.repeat(members, self.cand.shape[1]))
            parts_b.append(self.cand[members].ravel())
        return self._filter(parts_i, parts_b)

    def _moves_into(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidate moves ``(unit, r)`` of units of other territories into ``r``."""
        parts_i = []
        if self.adj is not None:
            members = np.flatnonzero(self.labels == r)
            parts_i.append(self.adj[members].indices)
        if not self.enforce and self.cand is not None:
            parts_i.append(np.flatnonzero((self.cand == r).any(axis=1)))
        return self._filter(parts_i, [np.full(len(p), r, dtype=np.int64) for p in parts_i])

    def _filter(self, parts_i, parts_b) -> tuple[np.ndarray, np.ndarray]:
        if not parts_i:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        i = np.concatenate(parts_i).astype(np.int64)
        b = np.concatenate(parts_b).astype(np.int64)
        ok = (b != self.labels[i]) & ~self.locked[i]
        if not self.center_moves:
            ok &= ~self.is_center[i]
        i, b = i[ok], b[ok]
        ok = self.allowed[i, b]
        key = pair_keys(i[ok], b[ok], self.k)
        return key // self.k, key % self.k

    def _ranked(self, i: np.ndarray, b: np.ndarray, push: bool, visited: set[int]):
        """Rank candidate chain moves: the violated side first, then the other side, then the cost."""
        if len(i) == 0:
            return []
        a = self.labels[i]
        keep = ~np.isin(b if push else a, list(visited))
        i, a, b = i[keep], a[keep], b[keep]
        if len(i) == 0:
            return []
        vg = self.viol(self.T[a] - self.M[i], a)
        vr = self.viol(self.T[b] + self.M[i], b)
        vp, vs = (vg, vr) if push else (vr, vg)
        d = (self.cost_to(i, b) - self.own[i]) / self.cost_scale
        order = np.lexsort((d, np.round(vs, 9), np.round(vp, 9)))
        return list(zip(i[order].tolist(), a[order].tolist(), b[order].tolist(), strict=True))

    def _apply_first(self, ranked) -> tuple[int, int, int] | None:
        for u, a, b in ranked:
            if self.labels[u] != a or not self.touches(u, b) or not self.moved_ok(u, a, b):
                continue
            if self.removable(u):
                self.move(u, b)
                return u, a, b
        return None

    def _fix(self, s: int, budget: WorkBudget, first_tries: int = 4, depth: int = 25) -> bool:
        """Ejection chain from violated territory ``s``; keeps the first chain that lowers total violation.

        First greedy chains: an over-full ``s`` pushes a unit to a neighbour (the unit that leaves ``s`` least
        violated, then the one that overfills the receiver least, then the cheapest); an overfilled receiver
        pushes on, never back into a territory of the chain. Then chains along shortest paths (in the
        territory graph) to the territories with the most room. An under-full ``s`` pulls symmetrically.
        """
        push = bool((self.T[s] > self.U[s] + self.tol).any())
        before = float(self.violation().sum())
        self._charge(budget, REPAIR_STEP, "repair")
        i, b = self._moves_from(s) if push else self._moves_into(s)
        first = self._ranked(i, b, push, {s})
        tried = 0
        for cand in first:
            if tried >= first_tries:
                break
            u0, a0, b0 = cand
            if self.labels[u0] != a0 or not self.touches(u0, b0) or not self.moved_ok(u0, a0, b0):
                continue
            if not self.removable(u0):
                continue
            tried += 1
            self.move(u0, b0)
            done = [(u0, a0)]
            visited = {s}
            nxt = b0 if push else a0
            for _ in range(depth):
                if self.viol(self.T[nxt], nxt) <= 1e-12:
                    break
                visited.add(nxt)
                self._charge(budget, REPAIR_STEP, "repair")
                i, b = self._moves_from(nxt) if push else self._moves_into(nxt)
                step = self._apply_first(self._ranked(i, b, push, visited))
                if step is None:
                    break
                u, a, bb = step
                done.append((u, a))
                nxt = bb if push else a
            if float(self.violation().sum()) < before - 1e-12:
                return True
            for u, a in reversed(done):
                self.move(u, a)
        if "paths" in self.skip:
            return False
        return self._fix_by_paths(s, push, before, budget)

    def _fix_by_paths(
        self, s: int, push: bool, before: float, budget: WorkBudget, n_targets: int = 8
    ) -> bool:
        i_all, b_all = self.pairs()
        g = sp.csr_matrix((np.ones(len(i_all)), (self.labels[i_all], b_all)), shape=(self.k, self.k))
        if not push:
            g = g.T.tocsr()  # units flow z -> ... -> s
        dist, pred = shortest_path(g, unweighted=True, indices=s, return_predecessors=True)
        bad = (self.T[s] > self.U[s] + self.tol) if push else (self.T[s] < self.L[s] - self.tol)
        room = (self.U[:, bad] - self.T[:, bad]) if push else (self.T[:, bad] - self.L[:, bad])
        room = (room / self.scale[bad]).min(axis=1)
        need = float(self.viol(self.T[s], s))
        ok = np.isfinite(dist) & (room > 0)
        ok[s] = False
        zs = np.flatnonzero(ok)
        # plenty of room first, then short paths
        zs = zs[np.lexsort((dist[zs], -np.minimum(room[zs], 3 * need)))][:n_targets]
        for z in zs.tolist():
            path = [z]
            while path[-1] != s:
                path.append(int(pred[path[-1]]))
            path = path[::-1]
            done: list[tuple[int, int]] = []
            for x in range(len(path) - 1):
                g_, r_ = (path[x], path[x + 1]) if push else (path[x + 1], path[x])
                self._charge(budget, REPAIR_STEP, "repair")
                i, b = self._moves_from(g_)
                sel = b == r_
                step = self._apply_first(self._ranked(i[sel], b[sel], push, set()))
                if step is None:
                    break
                done.append((step[0], step[1]))
            if float(self.violation().sum()) < before - 1e-12:
                return True
            for u, a in reversed(done):
                self.move(u, a)
        return False

    def repair_balance(self, budget: WorkBudget, max_steps: int = 100000) -> bool:
        """Repair the balance until every territory is within bounds; returns True if balanced.

        One escalation for the worst territory, cheapest first, every step charged to ``budget``:

        1. ejection chains of single boundary moves, greedy and then along shortest paths to the
           territories with room (:meth:`_fix`);
        2. a random re-split with a neighbour, then of its region of at most 8 territories
           (:meth:`_fix_by_resplit`);
        3. the exact re-partition of its region from all balanced connected groups, on growing regions
           (:meth:`_fix_by_partition`).

        A territory that no step improves is set aside until another repair changes the plan. The loop
        ends when the plan is balanced, every violated territory is set aside, or the budget is spent.
        The callers polish whatever the repair fixed (:meth:`improve_moves`, :meth:`improve_swaps`).
        """
        if self.q == 0:
            return True
        stuck: set[int] = set()
        steps = 0
        self.center_moves = bool(self.centers_are_units and not self.fixed)
        try:
            return self._repair_loop(budget, max_steps, stuck, steps)
        finally:
            self.center_moves = False

    def _repair_loop(self, budget: WorkBudget, max_steps: int, stuck: set[int], steps: int) -> bool:
        while not budget.exhausted() and steps < max_steps:
            v = self.violation()
            bad = [t for t in np.argsort(-v, kind="stable").tolist() if v[t] > 1e-12 and t not in stuck]
            if not bad:
                break
            steps += 1
            s = bad[0]
            if (
                self._fix(s, budget)
                or ("resplit" not in self.skip and self._fix_by_resplit(s, budget))
                or (self.use_partition and "partition" not in self.skip and self._fix_by_partition(s, budget))
            ):
                stuck.discard(s)
            else:
                stuck.add(s)
        return bool(self.violation().max(initial=0.0) <= 1e-9)

    def _fix_by_resplit(self, s: int, budget: WorkBudget) -> bool:
        """Re-split ``s`` with a neighbour along a random spanning tree.

        See :mod:`terrkit.design.heuristic.recom`.
        """
        if not self.enforce:
            return False
        from terrkit.design.heuristic.recom import resplit_pair, resplit_region

        _, b_all = self._moves_from(s)
        j_all, _ = self._moves_into(s)
        nb = np.unique(np.r_[b_all, self.labels[j_all]])
        if len(nb) == 0:
            return False
        # neighbours whose union with s is closest to two mean territories first
        dev = np.abs(
            (self.T[s] + self.T[nb] - (self.L[s] + self.U[s] + self.L[nb] + self.U[nb]) / 2) / self.scale
        )
        rng = np.random.default_rng(int(s) + 7919 * self._resplits)
        self._resplits += 1
        before = float(self.violation().sum())
        for b in nb[np.argsort(dev.sum(axis=1), kind="stable")].tolist():
            if budget.exhausted():
                return False
            if (
                resplit_pair(self, s, int(b), rng, budget=budget)
                and float(self.violation().sum()) < before - 1e-12
            ):
                return True
        # several territories at once: s, its neighbours, then their neighbours (at most 8)
        g = self._territory_graph_all()
        ring2 = np.setdiff1d(np.unique(g[nb].indices), np.r_[nb, s])
        for region in (np.r_[s, nb], np.r_[s, nb, ring2][:8]):
            if (
                len(region) > 2
                and not budget.exhausted()
                and resplit_region(self, region, rng, budget=budget)
            ):
                if float(self.violation().sum()) < before - 1e-12:
                    return True
        return False

    def perturb_and_repair(
        self, budget: WorkBudget, seed: int = 0, relax: float = 2.5, steps: int = 8
    ) -> bool:
        """Iterated repair for tight spots: shake the region around the worst territory, then repair.

        The balance band is widened ``relax`` times, ``steps`` random recombinations (re-splits of two
        neighbouring territories along random spanning trees, :func:`resplit_pair`) change the shapes within
        two rings of the worst territory, the band is restored and :meth:`repair_balance` runs. The result is
        kept when the total violation drops, else the plan is restored; until balanced or ``budget`` is spent
        (each repair gets at most ``PERTURB_REPAIR_WORK`` of it).
        """
        if not self.enforce or self.q == 0:
            return bool(self.violation().max(initial=0.0) <= 1e-9)
        from terrkit.design.heuristic.recom import resplit_pair

        rng = np.random.default_rng(seed)
        L0, U0 = self.L.copy(), self.U.copy()
        mid = np.where(np.isfinite(L0) & np.isfinite(U0), (L0 + U0) / 2, np.nan)
        half = np.where(np.isfinite(mid), (U0 - L0) / 2, np.nan)
        tries = 0
        while not budget.exhausted():
            v = self.violation()
            if v.max(initial=0.0) <= 1e-9:
                return True
            before = float(v.sum())
            s = int(np.argmax(v))
            g = self._territory_graph_all()
            ring = np.unique(np.r_[s, g[[s]].indices])
            ring = np.unique(np.r_[ring, g[ring].indices])
            labels0, centers0 = self.labels.copy(), self.centers.copy()
            self.L = np.where(np.isfinite(mid), mid - relax * half, L0)
            self.U = np.where(np.isfinite(mid), mid + relax * half, U0)
            for _ in range(steps):
                a = int(rng.choice(ring))
                nb = g[[a]].indices
                nb = nb[np.isin(nb, ring)]
                if len(nb):
                    resplit_pair(
                        self, a, int(rng.choice(nb)), rng, trees=10, max_cuts=3, force=True, budget=budget
                    )
            self.L, self.U = L0, U0
            self.use_partition = False
            try:
                self.repair_balance(budget.units(PERTURB_REPAIR_WORK))
            finally:
                self.use_partition = True
            after = float(self.violation().sum())
            log.debug("perturbation %d around territory %d: violation %.4g -> %.4g", tries, s, before, after)
            if after < before - 1e-12:
                continue
            changed = np.flatnonzero(self.labels != labels0)
            for u in changed.tolist():
                self.move(u, int(labels0[u]))
            self.set_centers(centers0)
            tries += 1
        return bool(self.violation().max(initial=0.0) <= 1e-9)

    def _fix_by_partition(self, s: int, budget: WorkBudget) -> bool:
        """Re-partition ``s`` and its neighbours from all their balanced groups (:mod:`.repartition`)."""
        if not self.enforce:
            return False
        from terrkit.design.heuristic.repartition import repartition_around

        return repartition_around(self, s, budget)

    def _territory_graph_all(self) -> sp.csr_matrix:
        i_all, b_all = self.pairs()
        g = sp.csr_matrix((np.ones(len(i_all)), (self.labels[i_all], b_all)), shape=(self.k, self.k))
        return (g + g.T).tocsr()

    # ------------------------------------------------------------------ centers
    def set_centers(self, centers: np.ndarray) -> None:
        """Replace all centers and refresh the costs."""
        self.centers = np.asarray(centers, dtype=np.int64).copy()
        self.is_center[:] = False
        if self.centers_are_units:
            self.is_center[self.centers] = True
        self.own = self.cost_to(np.arange(self.n), self.labels)

    def reset_centers(self, terrs: np.ndarray) -> None:
        """Put the center of each territory in ``terrs`` at its weighted medoid (free centers only)."""
        if self.fixed or not self.centers_are_units:
            return
        from terrkit.design.heuristic.seeding import medoid

        centers = self.centers.copy()
        for t in np.asarray(terrs).tolist():
            members = np.flatnonzero(self.labels == t)
            if len(members):
                centers[t] = medoid(self.data, members, self.xy)
        self.set_centers(centers)

    def update_centers(self, xy: np.ndarray | None, n_try: int = 12) -> bool:
        """Move every free center to the member minimising its territory's cost (weighted medoid).

        Candidates are the ``n_try`` members nearest the territory's weighted centroid (with planar
        coordinates) or nearest the current center (cost matrix only), plus the current center.
        """
        if self.fixed or not self.centers_are_units:
            return False
        changed = False
        order = np.argsort(self.labels, kind="stable")
        starts = np.searchsorted(self.labels[order], np.arange(self.k + 1))
        for t in range(self.k):
            members = order[starts[t] : starts[t + 1]]
            if len(members) <= 1:
                continue
            c0 = int(self.centers[t])
            if xy is not None:
                w = self.w[members]
                cen = (xy[members] * w[:, None]).sum(0) / w.sum() if w.sum() > 0 else xy[members].mean(0)
                d = np.hypot(*(xy[members] - cen).T)
            else:
                d = self.data.unit_cost(members, np.full(len(members), c0))
            cands = members[np.argsort(d, kind="stable")[:n_try]]
            cands = np.unique(np.r_[cands, c0])
            cm = self.data.unit_cost(members[:, None], cands[None, :]) * self.w[members][:, None]
            tot = cm.sum(axis=0)
            best = int(cands[np.argmin(tot)])
            if best != c0 and tot.min() < tot[cands == c0][0] - 1e-12 * max(1.0, abs(tot.min())):
                self.centers[t] = best
                self.is_center[c0] = False
                self.is_center[best] = True
                self.own[members] = self.cost_to(members, np.full(len(members), t))
                changed = True
        return changed
