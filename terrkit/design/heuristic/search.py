"""Heuristic territory design for large instances: LP-guided location-allocation + contiguity-preserving
local search.

Pipeline (every step seeded and deterministic):

0. **Realigning around fixed centers** (a current alignment and given centers, e.g. the reps' homes): the
   first start is today's alignment, its borders shifted by LP-guided moves until it is balanced
   (:mod:`terrkit.design.heuristic.border_shift`); it then goes on at step 4.
1. **Seed centers**: given centers; the current territories' medoids when realigning; weighted k-means on
   planar coordinates otherwise (:mod:`terrkit.design.heuristic.seeding`).
2. **LP-guided location-allocation**: restrict every unit to its ``L`` nearest allowed centers (plus its lock
   and its current territory), solve the transportation LP with balance rows
   (:mod:`terrkit.design.heuristic.transport_lp`), round every unit to its largest share (about ``k`` units
   are split), move every center to its territory's weighted medoid, and repeat while the objective improves.
3. **Contiguity**: each territory keeps the piece holding its center (and locked units); every other piece is
   handed, unit by unit, to the adjacent territory of least cost
   (:func:`terrkit.design.problem.contiguity.repair_fragments`).
4. **Local search** (:class:`terrkit.design.heuristic.local_search.Plan`): rounds of balance repair,
   improving boundary moves and swaps that keep every territory connected and within bounds, and medoid
   center updates, until two rounds gain nothing.
5. **Repair, then polish**: a start still out of balance gives the rest of its work to the balance repair,
   one escalation from cheap moves to exact sub-problems on growing regions
   (:meth:`~terrkit.design.heuristic.local_search.Plan.repair_balance`), first while shaking the region of
   its worst territory (:meth:`~terrkit.design.heuristic.local_search.Plan.perturb_and_repair`), and
   whatever it fixes is polished by moves and swaps.
6. **Big units first**: when a start's repair rounds are stuck in a territory holding big units (a metro area
   of counties, each 10-40% of a territory), the start stops there and the next one places the territories
   of the big units around that territory by a backtracking search
   (:mod:`terrkit.design.heuristic.big_units`), designs the others on the remaining units with one start,
   and polishes the joined plan (with at most ``START_MIN_SHARE`` of the work left, so that the stuck plan
   keeps some for its own repair). Once that has balanced what the plain start could not, every later start
   does the same with its own seed (capped at ``BALANCED_START_FACTOR`` times the work of the balanced
   ones). The best start wins: balanced first, then contiguous, then the least violation, then the lowest
   objective; a best plan still out of balance gets the work left for its repair.

Territories that the band and contiguity force (the only in-band group holding some unit) are fixed before
any start, the search designs the others on the remaining units, and the joined plan is polished the same
way (:mod:`terrkit.design.heuristic.forced`).

A design of ``REGIONS_FROM_K`` territories or more (1,000 territories on 30,000 ZIP codes) is first split into
regions of about fifty territories by the same search; each region's territories are then designed on its own
units (fixing its forced territories first), and the joined plan is polished across the region borders
(:mod:`terrkit.design.heuristic.regions`).

Every step charges its work to one :class:`~terrkit.design.heuristic.budget.WorkBudget` and stops when its
share is spent, so the plan depends on the inputs, the seed and the budget, never on the machine's speed.
The time limit is only a safety stop; a step between two budget checks may pass it a little, so the safety
stop comes ``FINISH_MARGIN`` of the time limit (at most 2 s) before it.

The objective is the p-median one, :math:`\\sum_i w_i d(i, c_{t(i)})^p + \\pi\\,\\#\\text{moved}`. A lower
bound is returned only when centers are fixed: the transportation LP over all allowed pairs with hard balance
rows (without contiguity) bounds every feasible plan from below.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from terrkit.design.heuristic.border_shift import shift_boundaries
from terrkit.design.heuristic.budget import ROUND_UNIT, UNITS_PER_SECOND, WorkBudget, default_work
from terrkit.design.heuristic.forced import (
    fit_every_band,
    fixing_applies,
    forced_groups,
    only_units,
    uniform_band,
    without_units,
)
from terrkit.design.heuristic.local_search import Plan
from terrkit.design.heuristic.regions import region_problem, region_sizes, regions_apply, regions_fit
from terrkit.design.heuristic.seeding import (
    allowed_pairs,
    effective_locks,
    initial_centers,
    medoid,
    medoid_centers,
    planar_xy,
)
from terrkit.design.heuristic.transport_lp import IncrementalTransportLP, pair_keys, solve_transport_lp
from terrkit.design.problem.contiguity import (
    connect_anchor_pieces,
    count_fragments,
    fill_gaps,
    repair_fragments,
)

__all__ = ["HeuristicOutcome", "solve_heuristic"]

log = logging.getLogger(__name__)

#: Share of the balance band (on each side) kept free in the assignment LP for the later repairs.
LP_MARGIN = 0.15
#: Location-allocation stops when an LP / center-update round gains less than this share of the objective.
LA_MIN_GAIN = 2e-4

#: At most this many LP / center-update rounds: a cap well above what is needed, since the rounds stop as
#: soon as one gains less than ``LA_MIN_GAIN``.
LA_ROUNDS = 40
#: Candidate territories per unit in the first assignment LP: a unit's best territory is nearly always among
#: its nearest few centers, and the LP doubles the number while it cannot balance.
LA_NEAREST = 8
#: Share of a start's work for location-allocation: the LP rounds; the rest is for repair and polishing.
LA_SHARE = 0.4
#: At most this many local-search rounds (repair, moves, swaps, centers): a cap, since the rounds stop when
#: two in a row gain nothing.
LOCAL_ROUNDS = 50
#: Share of a start's work left that the balance repair of one local-search round may use ...
ROUND_REPAIR_SHARE = 0.1
#: ... but at least this much (about 2 s on the reference machine): a late round still gets a real repair.
ROUND_REPAIR_MIN_WORK = 2.0 * UNITS_PER_SECOND
#: The lower-bound LP runs over all allowed pairs only up to this many (beyond, it is slower than the search).
BOUND_MAX_PAIRS = 2_000_000

#: Share of the time limit (at most 2 s) kept free after the safety stop, for a step that passes it a little.
FINISH_MARGIN = 0.03

#: Share of a start's work that border shifting may use when the start repairs today's alignment.
SHIFT_SHARE = 0.5

#: Share of a plan's work left for shaking the region of its worst territory before the last repair: most of
#: it, since a stuck plan gains more from new shapes than from more repair steps on the same shapes.
PERTURB_SHARE = 0.6

#: Zones tried in turn for placing big units first: territories within two rings of the worst one (room to
#: rearrange a metro cluster), then one ring (fewer big units to place when two rings have no cover).
LUMPY_RINGS = (2, 1)

#: A big-units start after the first that balanced may use at most this many times the work of the longest
#: balanced one: if its inner start cannot balance the rest in that, a long repair rarely beats the others.
BALANCED_START_FACTOR = 3.0
#: Smallest share of the work left that a start may use: a start that cannot balance needs a long repair,
#: and a later start is still left 40% to try a fresh seed. The first big-units start uses exactly this share.
START_MIN_SHARE = 0.6

#: Share of the work for splitting a large design into regions: a cap above what the split needs (20 M of its
#: 36 M units, 11 s, for 1,000 territories on the ZIP codes).
REGION_SPLIT_SHARE = 0.15
#: Share of the work kept for the joined regions: their polish needs little when every region balanced (2 s at
#: 1,000 territories), and what is left is the repair's when one did not.
REGION_POLISH_SHARE = 0.15

#: How the result names this method.
METHOD = "LP-guided location-allocation + contiguity-preserving local search"

#: The operators that :func:`solve_heuristic` can switch off with ``skip`` (for the ablation in
#: ``benchmarks/bench_ablation.py``): the LP's margin inside the band, the repair's chains along paths, its
#: random re-splits and its exact re-partition, shaking a stuck plan, placing big units first, and fixing the
#: territories the band forces, and designing a large plan in regions. The greedy ejection chains are the
#: repair's base step and always run.
OPERATORS = ("lp_margin", "paths", "resplit", "partition", "perturb", "big_units", "forced", "regions")


@dataclass
class HeuristicOutcome:
    """Result of :func:`solve_heuristic`.

    Attributes
    ----------
    labels : numpy.ndarray
        ``(n,)`` territory index ``0..k-1`` of every unit.
    centers : numpy.ndarray
        ``(k,)`` candidate (unit) index of every territory's center.
    lower_bound : float or None
        A valid lower bound on the objective (fixed centers only), else None.
    method : str
        How the plan was produced.
    seconds : float
        Wall-clock time.
    balanced : bool
        Every measure of every territory within its bounds.
    contiguous : bool
        Every territory connected in the adjacency graph (False when no graph is given).
    objective : float
        :math:`\\sum_i w_i\\,\\mathrm{cost}(i, c_{t(i)}) + \\pi\\,\\#\\text{moved}` of the plan.
    moved_share : float or None
        Moved share of the moved measure when a current plan is given.
    fragments : int
        Surplus connected pieces over all territories (0 when contiguous; -1 without a graph).
    stopped_by : str
        Why the search stopped: ``"converged"`` (every step ended by its own rule), ``"budget"`` (a step ran
        out of work) or ``"time_limit"`` (the safety stop fired: only then may a busy machine give another
        plan).
    work_used, work_budget : float
        Work units spent and allowed (:mod:`terrkit.design.heuristic.budget`).
    work_by_step : dict
        Work units spent by each kind of step.
    """

    labels: np.ndarray
    centers: np.ndarray
    lower_bound: float | None
    method: str
    seconds: float
    balanced: bool
    contiguous: bool
    objective: float = float("nan")
    moved_share: float | None = None
    fragments: int = -1
    stopped_by: str = "converged"
    work_used: float = 0.0
    work_budget: float = 0.0
    work_by_step: dict = field(default_factory=dict)


def _slack_penalty(cost_scale: float, measures: np.ndarray) -> np.ndarray:
    q = measures.shape[1]
    pen = np.ones(q)
    for r in range(q):
        pos = np.abs(measures[:, r])
        pos = pos[pos > 0]
        pen[r] = 10.0 * cost_scale / (float(np.median(pos)) if len(pos) else 1.0)
    return np.maximum(pen, 1e-6)


def _full_costs(data, centers, allowed, cur, pen, rows=None):
    n, k = data.n, data.k
    rows = np.arange(n) if rows is None else np.asarray(rows)
    w = np.asarray(data.weight, dtype=float)[rows]
    c = data.unit_cost(rows[:, None], centers[None, :]) * w[:, None]
    if cur is not None:
        cur = cur[rows]
    if pen and cur is not None:
        c = c + pen * ((cur[:, None] >= 0) & (np.arange(k)[None, :] != cur[:, None]))
    return np.where(allowed, c, np.inf)


def _pair_list(data, centers, allowed, L, locks, cur, pen, xy):
    """Candidate pairs and their costs.

    Every unit gets its ``L`` cheapest allowed territories (found with a k-d tree on planar coordinates when
    the unit has no forbidden pair, from its full cost row otherwise), plus its current territory; center
    units and locked units keep only their own territory.
    """
    n, k = data.n, data.k
    L = min(L, k)
    restricted = ~allowed.all(axis=1)
    if xy is not None and data.cost is None:
        from scipy.spatial import cKDTree

        near = cKDTree(xy[centers]).query(xy, k=L)[1].reshape(n, L)
        rows = np.flatnonzero(restricted)
        if len(rows):
            Cr = _full_costs(data, centers, allowed[rows], None, 0.0, rows)
            near[rows] = np.argpartition(Cr, L - 1, axis=1)[:, :L] if L < k else np.arange(k)
    else:
        C = _full_costs(data, centers, allowed, None, 0.0)
        near = np.argpartition(C, L - 1, axis=1)[:, :L] if L < k else np.tile(np.arange(k), (n, 1))
    i = np.repeat(np.arange(n), near.shape[1])
    t = near.ravel()
    if cur is not None:
        has = cur >= 0
        i = np.r_[i, np.flatnonzero(has)]
        t = np.r_[t, cur[has]]
    pin = locks.copy()
    if data.centers_are_units:
        pin[centers] = np.arange(k)
    keep = allowed[i, t] & ((pin[i] < 0) | (pin[i] == t))
    i, t = i[keep], t[keep]
    pi = np.flatnonzero(pin >= 0)
    i, t = np.r_[i, pi], np.r_[t, pin[pi]]
    key = pair_keys(i, t, k)
    i, t = key // k, key % k
    missing = np.flatnonzero(np.bincount(i, minlength=n) == 0)
    if len(missing):  # every unit needs a pair: its cheapest allowed territory
        Cm = _full_costs(data, centers, allowed[missing], None, 0.0, missing)
        i = np.r_[i, missing]
        t = np.r_[t, np.argmin(Cm, axis=1)]
    w = np.asarray(data.weight, dtype=float)
    c = w[i] * data.unit_cost(i, centers[t])
    if pen and cur is not None:
        c = c + pen * ((cur[i] >= 0) & (cur[i] != t))
    return i, t, c


def _round(i: np.ndarray, t: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    order = np.lexsort((-x, i))
    i, t = i[order], t[order]
    head = np.r_[True, i[1:] != i[:-1]]
    labels = np.full(n, -1, dtype=np.int64)
    labels[i[head]] = t[head]
    return labels


def _location_allocation(data, centers, allowed, locks, cur, xy, budget: WorkBudget, L0, margin=LP_MARGIN):
    """Alternate the transportation LP and medoid center updates; returns labels, centers, objective.

    At most ``LA_ROUNDS`` rounds, each one LP solve charged to ``budget`` by its simplex iterations.
    """
    n, k = data.n, data.k
    pen = float(data.move_penalty or 0.0) if cur is not None else 0.0
    M = np.asarray(data.measures, dtype=float).reshape(n, -1)
    mm = data.moved_measure if data.moved_measure is not None else data.weight
    # a slightly narrower band in the LP leaves room for rounding and contiguity repair
    lo = np.asarray(data.lower, dtype=float).reshape(k, -1)
    hi = np.asarray(data.upper, dtype=float).reshape(k, -1)
    both = np.isfinite(lo) & np.isfinite(hi)
    width = np.where(both, hi - lo, 0.0)
    lo = np.where(both, lo + margin * width, lo)
    hi = np.where(both, hi - margin * width, hi)
    best = None
    L = L0
    prev_slack = np.inf
    w = np.asarray(data.weight, dtype=float)
    lp = None
    for _ in range(LA_ROUNDS):
        i, t, c = _pair_list(data, centers, allowed, L, locks, cur, pen, xy)
        if lp is None:
            penalty = _slack_penalty(float(c.max(initial=0.0)) + 1e-9, M)
            lp = IncrementalTransportLP(
                n,
                k,
                M,
                lo,
                hi,
                penalty,
                moved_measure=np.asarray(mm, dtype=float),
                current=cur,
                max_moved=data.max_moved if cur is not None else None,
            )
        pinned = locks.copy()
        if data.centers_are_units:
            pinned[centers] = np.arange(k)

        def cost_fn(u, tt, centers=centers):
            cc = w[u] * data.unit_cost(u, centers[tt])
            if pen and cur is not None:
                cc = cc + pen * ((cur[u] >= 0) & (cur[u] != tt))
            return cc

        res = lp.solve(i, t, cost_fn, pinned, budget)
        if res.x is None:
            if best is None:
                labels = _round(i, t, -c, n)
                if data.centers_are_units:
                    labels[centers] = np.arange(k)
                best = (labels, centers.copy(), np.inf)
            break
        labels = _round(lp.unit, lp.terr, res.x, n)
        obj = float(res.objective)
        log.debug(
            "LP: %d columns (L=%d), objective %.6g, slack %.3g, %.0f work units left",
            len(lp.unit),
            L,
            obj,
            res.slack,
            budget.left(),
        )
        stalled = res.slack > 1e-9 and res.slack >= 0.8 * prev_slack
        prev_slack = res.slack
        converged = best is not None and res.slack <= 1e-9 and obj > best[2] * (1 - LA_MIN_GAIN)
        if best is None or obj < best[2] - 1e-9 * abs(best[2]):
            best = (labels, centers.copy(), obj)
        elif not (res.slack > 1e-9 and L < k):
            break
        if converged:
            break
        if budget.exhausted():
            break
        if stalled and L < k:
            L = min(k, 2 * L)  # the restricted pairs cannot balance: widen them
        new = medoid_centers(data, labels, centers, xy)
        if np.array_equal(new, centers):
            if res.slack > 1e-9 and L < k:
                L = min(k, 2 * L)
                continue
            break
        centers = new
    return best


def _lower_bound(data, allowed, cur, budget: WorkBudget) -> float | None:
    """Transportation LP over all allowed pairs with hard balance (fixed centers only).

    It runs after the search, outside its work budget (it does not change the plan), up to the safety stop.
    """
    if data.fixed_centers is None or data.n * data.k > BOUND_MAX_PAIRS:
        return None
    pen = float(data.move_penalty or 0.0) if cur is not None else 0.0
    C = _full_costs(data, np.asarray(data.fixed_centers, dtype=np.int64), allowed, cur, pen)
    i, t = np.nonzero(allowed)
    mm = data.moved_measure if data.moved_measure is not None else data.weight
    res = solve_transport_lp(
        i,
        t,
        C[i, t],
        data.n,
        data.k,
        np.asarray(data.measures, dtype=float).reshape(data.n, -1),
        data.lower,
        data.upper,
        soft=False,
        moved_measure=np.asarray(mm, dtype=float),
        current=cur,
        max_moved=data.max_moved if cur is not None else None,
        budget=budget,
    )
    if res.status != "optimal" or res.objective is None:
        return None
    return float(res.objective)


def _current_labels(data, allowed, locks, cur, xy=None) -> np.ndarray:
    """Today's alignment as a starting plan, with locks applied.

    Units without a territory (or whose territory they may not join) fill from the borders of the
    assigned units (:func:`~terrkit.design.problem.contiguity.fill_gaps`): by cost alone, a gap of thousands
    of empty counties (they cost nothing anywhere) would all go to the first territory.
    """
    labels = np.asarray(cur, dtype=np.int64).copy()
    labels = np.where(locks >= 0, locks, labels)
    rows = np.arange(data.n)
    bad = (labels < 0) | ~allowed[rows, np.clip(labels, 0, None)]
    if not bad.any():
        return labels
    idx = np.flatnonzero(bad)
    cost = np.full((data.n, data.k), np.inf)
    cost[idx] = _full_costs(
        data, np.asarray(data.fixed_centers, dtype=np.int64), allowed[idx], None, 0.0, idx
    )
    labels[idx] = -1
    where = None
    if xy is not None and data.centers_are_units:
        where = xy[np.asarray(data.fixed_centers, dtype=np.int64)]
    return fill_gaps(labels, data.adjacency, cost, xy, where)


def _single_start(
    data,
    seed,
    t0,
    budget: WorkBudget,
    xy,
    allowed,
    locks,
    cur,
    lumpy_next=False,
    from_current=False,
    skip=frozenset(),
) -> Plan:
    """One start: seed centers, location-allocation, contiguity repair, local search, repair and polish.

    With ``lumpy_next``, a plan whose worst territory still holds a big unit after the local search is
    returned without the final repair: the next start places the big units first (:func:`_big_units_start`)
    and needs the work more. With ``from_current`` (fixed centers and a current alignment), the start is
    today's alignment instead of the location-allocation: the plan that moves the least is usually found by
    repairing today's balance, not by redrawing.
    """
    n, k = data.n, data.k
    if from_current:
        centers = np.asarray(data.fixed_centers, dtype=np.int64).copy()
        labels = _current_labels(data, allowed, locks, cur, xy)
        if data.contiguous and data.adjacency is not None and data.q:
            anchors = [np.flatnonzero(locks == t) for t in range(k)]
            w = np.asarray(data.weight, dtype=float)

            def pair_cost(i, t):
                return w[i] * data.unit_cost(i, centers[t])

            labels, _r = repair_fragments(data.adjacency, labels, k, anchors, pair_cost, forbidden=~allowed)
            shifted = Plan(data, labels, centers, allowed)
            shifted.locked = locks >= 0
            shifted.skip = skip
            rounds = shift_boundaries(shifted, cur, budget=budget.slice(SHIFT_SHARE))
            labels = shifted.labels.copy()
            log.info("seed %d: %d rounds of boundary shifting from the current alignment", seed, rounds)
    else:
        centers = initial_centers(data, xy, allowed, seed)
        # 1-2: LP-guided location-allocation
        labels, centers, la_obj = _location_allocation(
            data,
            centers,
            allowed,
            locks,
            cur,
            xy,
            budget.slice(LA_SHARE),
            L0=LA_NEAREST,
            margin=0.0 if "lp_margin" in skip else LP_MARGIN,
        )
        log.info(
            "seed %d: location-allocation %.2f s, objective %.6g", seed, time.perf_counter() - t0, la_obj
        )

    # 3: contiguity
    enforce = bool(data.contiguous and data.adjacency is not None)
    if enforce:
        anchors = []
        for t in range(k):
            a = np.flatnonzero(locks == t)
            if data.centers_are_units:
                a = np.r_[centers[t], a]
            anchors.append(a.astype(np.int64))
        w = np.asarray(data.weight, dtype=float)

        def cost_fn(i, t):
            return w[i] * data.unit_cost(i, centers[t])

        labels, released = repair_fragments(data.adjacency, labels, k, anchors, cost_fn, forbidden=~allowed)
        if any(len(a) > 1 for a in anchors):  # locked units in several pieces: join them by paths
            blocked = locks >= 0
            if data.centers_are_units:
                blocked[centers] = True
            for _ in range(3):
                if count_fragments(data.adjacency, labels) == 0:
                    break
                labels = connect_anchor_pieces(data.adjacency, labels, anchors, blocked)
                labels, _r = repair_fragments(data.adjacency, labels, k, anchors, cost_fn, forbidden=~allowed)
        log.info(
            "seed %d: contiguity repair %.2f s, %d units re-attached",
            seed,
            time.perf_counter() - t0,
            released,
        )

    # 4: local search
    cand = None
    if not enforce:
        C = _full_costs(data, centers, allowed, cur, 0.0)
        Lc = min(k, 8)
        cand = np.argpartition(C, Lc - 1, axis=1)[:, :Lc] if Lc < k else np.tile(np.arange(k), (n, 1))
    plan = Plan(data, labels, centers, allowed, cand=cand)
    plan.skip = skip
    plan.locked = locks >= 0
    plan.xy = xy
    give_up = (lambda p: _worst_holds_big_units(data, p)) if lumpy_next else None
    _local_search(plan, budget, xy, f"seed {seed}", t0, give_up=give_up)
    if lumpy_next and _worst_holds_big_units(data, plan):
        return plan
    # 5: the rounds' repairs are capped; a plan still out of balance gets the start's whole remaining work
    _repair_and_polish(plan, budget, seed)
    return plan


def _local_search(
    plan: Plan, budget: WorkBudget, xy, label: str, t0: float, give_up: Callable[[Plan], bool] | None = None
) -> None:
    """Rounds of balance repair, improving moves and swaps, and center updates, until two gain nothing.

    ``give_up(plan)`` is asked after a round whose repair left the plan's worst violation where it was; when
    it says True the rounds stop (the caller has a better way to balance the plan than more repair rounds).
    """
    stale = 0
    worst_before = np.inf
    for round_no in range(LOCAL_ROUNDS):
        if budget.exhausted():
            break
        obj_start = plan.objective()
        ok = plan.repair_balance(budget.slice(ROUND_REPAIR_SHARE, at_least=ROUND_REPAIR_MIN_WORK))
        worst = float(plan.violation().max(initial=0.0))
        if give_up is not None and not ok and worst >= worst_before and give_up(plan):
            log.info("%s round %d: the repair is stuck at %.3g, given up", label, round_no, worst)
            break
        worst_before = worst
        obj0 = plan.objective()
        g1 = plan.improve_moves(budget)
        g2 = plan.improve_swaps(budget)
        moved_centers = plan.update_centers(xy)
        budget.charge(ROUND_UNIT * plan.n, "rounds")  # the passes over all units: pairs, centers, objective
        log.info(
            "%s round %d: %.2f s, balanced %s (max violation %.3g), moves -%.4g, swaps -%.4g, "
            "objective %.6g%s",
            label,
            round_no,
            time.perf_counter() - t0,
            ok,
            plan.violation().max(initial=0),
            g1,
            g2,
            plan.objective(),
            ", centers moved" if moved_centers else "",
        )
        gain = obj_start - plan.objective()
        stale = stale + 1 if gain <= 1e-7 * max(abs(obj0), 1.0) else 0
        if stale >= 2 or (stale and not moved_centers):
            break


def _repair_and_polish(plan: Plan, budget: WorkBudget, seed: int) -> None:
    """Repair a plan still out of balance with all the work left, then polish what the repair changed.

    The repair first shakes the region around the worst territory and repairs it, for ``PERTURB_SHARE`` of
    the work left (:meth:`~terrkit.design.heuristic.local_search.Plan.perturb_and_repair`): a realignment
    stuck against today's borders needs that; then one last repair with everything left.
    """
    if plan.violation().max(initial=0.0) <= 1e-9:
        return
    if "perturb" not in plan.skip:
        plan.perturb_and_repair(budget.slice(PERTURB_SHARE), seed=seed)
    plan.repair_balance(budget)
    plan.improve_moves(budget)  # moves and swaps keep every territory within bounds (or no worse)
    plan.improve_swaps(budget)


def _quality(plan: Plan, adjacency) -> tuple[bool, int, float, float]:
    """Balanced first, then fewest fragments, then the smallest balance violation, then the objective."""
    frag = count_fragments(adjacency, plan.labels) if adjacency is not None else 0
    worst = float(plan.violation().max(initial=0.0))
    return (worst > 1e-9, frag, worst if worst > 1e-9 else 0.0, plan.objective())


def solve_heuristic(
    data,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    solver: str = "highs",
    starts: int | None = None,
    fix_forced: bool = True,
    work: float | None = None,
    skip: Collection[str] = (),
) -> HeuristicOutcome:
    """Design territories with LP-guided location-allocation and contiguity-preserving local search.

    A design of :data:`~terrkit.design.heuristic.regions.REGIONS_FROM_K` territories or more, where
    :func:`~terrkit.design.heuristic.regions.regions_apply` allows it, is designed in regions of about fifty
    territories (switch it off with ``skip=["regions"]``).

    Parameters
    ----------
    data : DesignData
        The problem in array form (:class:`terrkit.design.DesignData`).
    time_limit : float, default 60
        Safety stop in seconds: the search stops there wherever it is, and returns the best plan so far with
        ``stopped_by = "time_limit"``. It also sizes the default work budget.
    seed : int, default 0
        Seed of the k-means seeding and the random re-splits. The same inputs, seed and work budget give the
        same plan on any machine, quiet or busy, unless the safety stop fires.
    solver : str, default "highs"
        Accepted for interface symmetry; the LPs are always solved with HiGHS (highspy) for speed.
    starts : int, optional
        Number of independent starts (seeds ``seed, seed+1, ...``); the best plan is kept (balanced first,
        then fewest fragments, then least violation, then lowest objective). Default: 4 up to 5,000 units,
        else 1; 1 when realigning around fixed centers (the start that shifts today's borders). A start is
        skipped when the work left is less than half of what the longest start so far used.
    fix_forced : bool, default True
        First fix the territories that the balance band and contiguity force
        (:mod:`terrkit.design.heuristic.forced`), design the others on the remaining units, then polish the
        whole plan.
    work : float, optional
        Work budget in work units (:mod:`terrkit.design.heuristic.budget`); default
        :func:`~terrkit.design.heuristic.budget.default_work` of the time limit.
    skip : collection of str, optional
        Operators to switch off, among :data:`OPERATORS` (for the ablation benchmark).

    Returns
    -------
    HeuristicOutcome
        Labels, centers, flags for balance and contiguity as achieved (never assumed), the method, the work
        used and why the search stopped.
    """
    t0 = time.perf_counter()
    work = default_work(time_limit) if work is None else float(work)
    # a step between two budget checks (one LP, one re-split) may run a little past the safety stop
    safety = float(time_limit) - min(FINISH_MARGIN * float(time_limit), 2.0)
    budget = WorkBudget(work, safety)
    skip = frozenset(skip)
    unknown = skip - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown operators {sorted(unknown)}; valid: {', '.join(OPERATORS)}")
    in_regions = None
    if "regions" not in skip and regions_apply(data):
        in_regions = _design_in_regions(data, budget, t0, seed=seed, starts=starts, skip=skip)
    if in_regions is not None:
        plan, method = in_regions
        lower_bound = None
    else:
        plan, method, lower_bound = _design(
            data, budget, t0, seed=seed, starts=starts, fix_forced=fix_forced, skip=skip
        )
    outcome = _outcome(data, plan, lower_bound, method, t0)
    outcome.stopped_by = budget.stopped_by
    outcome.work_used = budget.used
    outcome.work_by_step = dict(budget.by_step)
    outcome.work_budget = work
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _design(
    data, budget: WorkBudget, t0: float, *, seed, starts, fix_forced=True, skip=frozenset()
) -> tuple[Plan, str, float | None]:
    """Fix the territories that the band forces, if any, then search the rest (or the whole) on ``budget``."""
    groups = forced_groups(data) if fix_forced and "forced" not in skip else []
    if groups:
        log.info("%d territories forced by the band and contiguity: fixed first", len(groups))
        plan, method = _design_around_forced(data, groups, budget, t0, seed=seed, starts=starts, skip=skip)
        return plan, method, None
    return _search(data, budget, t0, seed=seed, starts=starts, skip=skip)


def _design_in_regions(data, budget: WorkBudget, t0: float, *, seed, starts, skip) -> tuple[Plan, str] | None:
    """Split the units into regions, design each region's territories, then polish the joined plan.

    See :mod:`terrkit.design.heuristic.regions`. The split is one search on the few regions; every region's
    design has ``starts`` starts (its default when None) and an equal share of the work left.

    Returns None (after spending ``REGION_SPLIT_SHARE`` of the work) when the split has a region in pieces or
    one that cannot hold its territories' bands; the caller then searches the whole problem with the work
    left.
    """
    sizes = region_sizes(data.k)
    split, _method, _bound = _search(
        region_problem(data, sizes), budget.slice(REGION_SPLIT_SHARE), t0, seed=seed, starts=None, skip=skip
    )
    regions = split.labels
    if count_fragments(data.adjacency, regions) or not regions_fit(data, regions, sizes):
        log.info("the split into %d regions is not usable: one search over all territories", len(sizes))
        return None
    log.info("%d regions: %.2f s", len(sizes), time.perf_counter() - t0)
    labels = np.empty(data.n, dtype=np.int64)
    centers = np.empty(data.k, dtype=np.int64)
    within = budget.slice(1.0 - REGION_POLISH_SHARE)
    first = np.r_[0, np.cumsum(sizes)]
    for r, size in enumerate(sizes):
        keep = np.flatnonzero(regions == r)
        inner, _method, _bound = _design(
            only_units(data, keep, int(size)),
            within.slice(1.0 / (len(sizes) - r)),
            t0,
            seed=seed,
            starts=starts,
            skip=skip,
        )
        labels[keep] = first[r] + inner.labels
        centers[first[r] : first[r + 1]] = keep[inner.centers]
        log.info(
            "region %d: %d units, %.2f s, quality %s",
            r,
            len(keep),
            time.perf_counter() - t0,
            _quality(inner, inner.data.adjacency),
        )
    plan = _polished(data, labels, centers, planar_xy(data), budget, t0, seed, skip, "joined regions")
    note = (
        f"designed in {len(sizes)} regions of {sizes.min()}-{sizes.max()} territories (the regions by the "
        "same search, then each region's territories, then the joined plan polished)"
    )
    return plan, f"{METHOD}; {note}"


def _search(
    data, budget: WorkBudget, t0: float, *, seed, starts, skip=frozenset()
) -> tuple[Plan, str, float | None]:
    """The multi-start search on ``budget``: the best plan, how it was found and a lower bound (or None)."""
    place_lumpy = "big_units" not in skip
    n = data.n
    xy = planar_xy(data)
    allowed = allowed_pairs(data)
    locks = effective_locks(data)
    cur = None if data.current is None else np.asarray(data.current, dtype=np.int64)
    # realigning around fixed centers: the first start repairs today's alignment (redrawing from scratch moves
    # far more, so by default it is the only start and gets the whole budget)
    from_current = cur is not None and data.fixed_centers is not None and bool((cur >= 0).any())
    if starts is None:
        starts = 1 if from_current or n > 5000 else 4
    best, best_q = None, None
    spent = []  # work units of every start
    notes = []
    lumpy_tried = not (place_lumpy and fixing_applies(data) and uniform_band(data, 0) is not None)
    stuck = None  # the plain start that the big units placed first have balanced
    balanced_spent = []  # work units of every big-units start that ended balanced
    for s in range(max(1, int(starts))):
        if s > 0 and (budget.clock_passed() or budget.left() < 0.5 * max(spent)):
            break
        if s > 0 and ((best_q[0] and not lumpy_tried) or stuck is not None):
            # the best start is out of balance: place the big units around its worst territory first; once
            # that has balanced what a plain start could not, every later start does so, with its own seed
            lumpy_tried = True
            around = best if stuck is None else stuck
            if stuck is None:  # the first big-units start: the stuck plan keeps some work for its own repair
                part = budget.slice(START_MIN_SHARE)
            else:
                part = budget.units(BALANCED_START_FACTOR * max(balanced_spent))
            placed = _big_units_start(data, around, part, seed + s - 1, t0, skip)
            if placed is not None:
                plan, note = placed
                spent.append(part.spent())
                qual = _quality(plan, data.adjacency)
                log.info("start %d (big units placed first): %.0f work units, quality %s", s, spent[-1], qual)
                if not qual[0]:
                    balanced_spent.append(spent[-1])
                    stuck = around
                if qual < best_q:
                    best, best_q = plan, qual
                    notes = [note]
                continue
        # every start gets an equal share of what is left, but at least START_MIN_SHARE of it (a start that
        # cannot balance spends it on the repair), the last one everything
        share = 1.0 / (int(starts) - s) if s < int(starts) - 1 else 1.0
        part = budget.slice(max(share, START_MIN_SHARE))
        plan = _single_start(
            data,
            seed + s,
            t0,
            part,
            xy,
            allowed,
            locks,
            cur,
            lumpy_next=not lumpy_tried and s < int(starts) - 1,
            from_current=s == 0 and from_current,
            skip=skip,
        )
        spent.append(part.spent())
        qual = _quality(plan, data.adjacency)
        log.info("start %d (seed %d): %.0f work units, quality %s", s, seed + s, spent[-1], qual)
        if best is None or qual < best_q:
            best, best_q = plan, qual
            notes = []
    if best_q[0] and not budget.exhausted():
        # the best plan is still out of balance (a start that gave up its rounds for the big units, which
        # could not balance it either): the work left goes to its repair
        _repair_and_polish(best, budget, seed)
    method = METHOD + (f" (best of {len(spent)} starts)" if len(spent) > 1 else "")
    if from_current:
        method += "; the first start shifts the borders of the current alignment"
    method += "".join(f"; {note}" for note in notes)
    return best, method, _lower_bound(data, allowed, cur, budget)


def _outcome(data, plan: Plan, lower_bound: float | None, method: str, t0: float) -> HeuristicOutcome:
    """Measure ``plan`` (balance, contiguity, objective, moved share) as a :class:`HeuristicOutcome`."""
    labels = plan.labels.copy()
    frag = count_fragments(data.adjacency, labels) if data.adjacency is not None else -1
    T = plan.T
    balanced = bool(
        plan.q == 0 or ((T >= plan.L - 1e-9 * plan.scale).all() and (T <= plan.U + 1e-9 * plan.scale).all())
    )
    moved_share = None
    if plan.cur is not None:
        base = float(plan.mm[plan.cur >= 0].sum())
        moved_share = plan.moved_total / base if base > 0 else 0.0
    return HeuristicOutcome(
        labels=labels,
        centers=plan.centers.copy(),
        lower_bound=lower_bound,
        method=method,
        seconds=time.perf_counter() - t0,
        balanced=balanced,
        contiguous=bool(data.adjacency is not None and frag == 0),
        objective=plan.objective(),
        moved_share=moved_share,
        fragments=frag,
    )


def _design_around_forced(
    data, groups, budget: WorkBudget, t0: float, *, seed, starts, skip=frozenset()
) -> tuple[Plan, str]:
    """Fix the forced ``groups`` as the last territories, search the others on the remaining units, polish."""
    if len(groups) == data.k:
        plan = _joined(data, groups, None, None, budget, t0, seed, skip)
        return plan, f"every territory fixed; {len(groups)} territories forced by the band and contiguity"
    sub, keep = without_units(data, np.concatenate(groups), data.k - len(groups))
    inner, inner_method, _bound = _search(sub, budget, t0, seed=seed, starts=starts, skip=skip)
    plan = _joined(data, groups, inner, keep, budget, t0, seed, skip)
    return plan, f"{inner_method}; {len(groups)} territories forced by the band and contiguity fixed first"


def _big_units_start(
    data, plan: Plan, budget: WorkBudget, seed: int, t0: float, skip=frozenset()
) -> tuple[Plan, str] | None:
    """Place the big units around ``plan``'s worst territory by backtracking, then one start on the rest.

    The zone is the territories within ``LUMPY_RINGS`` rings of the worst one; returns the polished plan and
    a note for the method, or None when no placement was found.
    """
    from scipy.sparse.csgraph import shortest_path

    from terrkit.design.heuristic.big_units import lumpy_groups

    xy = planar_xy(data)
    v, lo, hi = uniform_band(data, 0)
    worst = int(np.argmax(plan.violation()))
    ring = shortest_path(plan._territory_graph_all(), unweighted=True, indices=worst)
    for rings in LUMPY_RINGS:
        zone = np.isin(plan.labels, np.flatnonzero(ring <= rings))
        groups = lumpy_groups(
            data.adjacency, v, lo, hi, zone, xy, np.asarray(data.weight, dtype=float), budget
        )  # fmt: skip
        if not groups or not fit_every_band(data, groups):
            continue
        if len(groups) > data.k or (len(groups) == data.k and sum(map(len, groups)) < data.n):
            continue  # no territory would be left for the units not placed
        inner = keep = None
        if len(groups) < data.k:
            sub, keep = without_units(data, np.concatenate(groups), data.k - len(groups))
            xy_sub, allowed_sub, locks_sub = planar_xy(sub), allowed_pairs(sub), effective_locks(sub)
            inner = _single_start(sub, seed, t0, budget, xy_sub, allowed_sub, locks_sub, None, skip=skip)
        note = f"{len(groups)} territories of big units placed first by a backtracking search"
        log.info(note)
        return _joined(data, groups, inner, keep, budget, t0, seed, skip), note
    return None


def _worst_holds_big_units(data, plan: Plan) -> bool:
    """Whether the plan's worst territory holds a unit big enough for :func:`_big_units_start` to place."""
    from terrkit.design.heuristic.big_units import is_lumpy

    v, lo, hi = uniform_band(data, 0)
    worst = int(np.argmax(plan.violation()))
    return bool(is_lumpy(v[plan.labels == worst], lo, hi).any())


def _joined(data, groups, inner: Plan | None, keep, budget: WorkBudget, t0: float, seed: int, skip) -> Plan:
    """The plan of the fixed ``groups`` (last territories) and ``inner`` (on units ``keep``), polished.

    The polish runs the local search on the joined plan, so the fixed territories' borders with the others
    are improved like any other (moves and swaps keep every territory within bounds and connected), and a
    joined plan still out of balance gets the repair with the work left.
    """
    k_rest = data.k - len(groups)
    labels = np.empty(data.n, dtype=np.int64)
    centers = np.empty(data.k, dtype=np.int64)
    if inner is not None:
        labels[keep] = inner.labels
        centers[:k_rest] = keep[inner.centers]
    xy = planar_xy(data)
    for f, g in enumerate(groups):
        labels[g] = k_rest + f
        centers[k_rest + f] = medoid(data, g, xy)
    return _polished(data, labels, centers, xy, budget, t0, seed, skip, "joined plan")


def _polished(data, labels, centers, xy, budget: WorkBudget, t0: float, seed: int, skip, label: str) -> Plan:
    """A plan joined from parts, after the local search over all its territories and, if still out of
    balance, the repair with the work left."""
    plan = Plan(data, labels, centers, allowed_pairs(data))
    plan.skip = skip
    plan.xy = xy
    _local_search(plan, budget, xy, label, t0)
    _repair_and_polish(plan, budget, seed)
    return plan
