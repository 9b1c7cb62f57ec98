"""Least disruption for an event: first move only what the event touches, then free ring after ring.

An event (a rep leaves, joins, changes capacity, accounts are reassigned) is given to the design engine
(:class:`terrkit.design.TerritoryDesignProblem` with fixed centers at the reps' homes and the cost of
:mod:`terrkit.realign.least_disruption`: moved revenue plus a small price on travel) in stages:

- **stage 0**: only the event's own moves are allowed (the leaving rep's units join the territories around
  them; a new territory takes units from its neighbours; a part-time rep's territory gives units to its
  neighbours); every other unit stays where it is;
- **stage r** (r = 1, 2, ...): where stage ``r - 1`` failed, the territories it involved and those bordering
  them (in the graph of territories that share a border) are free: their units may move between them;
- **last stage** (after :data:`MAX_RINGS` rings): every unit is free.

Each stage falls apart into independent parts, the groups of units connected in the unit graph through
units that may move (a unit can only join a territory it borders; a territory's units are always in one
part). A part whose plan keeps every one of its territories within its band is kept; only the parts that
fail go on to the next stage, starting from the plan kept so far. So units not involved in the event move
only where the tolerance cannot otherwise be met, and each part is a small design problem: what is outside
it keeps its place and its books. A part that obviously cannot work (a territory whose locked units are
already above its band, or that cannot reach its band with every unit it may receive) is skipped without
calling the engine.

Within a part the engine minimises the cost matrix it is given; :mod:`terrkit.scenarios.problem` adds to it
a price on moving a unit that is not the event's, at least what the move would save in travel, so that no
unit moves for travel alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.design.heuristic.budget import default_work
from terrkit.exceptions import InfeasibleError
from terrkit.scenarios.books import Bands

#: Rings of territories freed around a failing part before every unit is freed.
MAX_RINGS = 3

#: Share of the work left that a part of a stage other than the last may use (in proportion to its units)...
STAGE_SHARE = 0.5

#: ...and at most the work of this many seconds per unit and territory of the part (at least 2 s): budgets
#: are counted in work (:mod:`terrkit.design.heuristic.budget`), so the same event gives the same plan on a
#: quiet or a busy machine; the time limit is only a safety stop.
PART_SECONDS = 0.005


@dataclass
class EventProblem:
    """An event in array form, over every unit and every territory after the event.

    Attributes
    ----------
    unit_ids : numpy.ndarray
        ``(n,)`` unit ids.
    territory_ids : list of str
        ``k`` territories after the event (columns).
    cost : numpy.ndarray
        ``(n, k)`` cost of each unit in each territory (revenue units).
    current : numpy.ndarray
        ``(n,)`` column of each unit's territory in force, -1 when it has none among the columns (a leaving
        rep's units, units without a territory).
    measures : numpy.ndarray
        ``(n, q)`` balance measures of the accounts that follow their unit.
    offset : numpy.ndarray
        ``(k, q)`` measures of the exceptions each territory's rep owns elsewhere.
    bands : Bands
        Targets and bands of the territories' whole books.
    adjacency : scipy.sparse.csr_matrix
        ``(n, n)`` unit graph.
    xy : numpy.ndarray
        ``(n, 2)`` planar km.
    locks : numpy.ndarray
        ``(n,)`` column a unit must end in, -1 when free (homes, user locks, event locks).
    stage0 : numpy.ndarray
        ``(n, k)`` the event's own moves: pairs allowed at stage 0 besides staying.
    core : numpy.ndarray
        Columns the event concerns (the rings grow from them).
    contiguous : bool
        Every territory in one piece.
    start : numpy.ndarray, optional
        ``(n,)`` a plan to start from (e.g. a new territory already grown around its home); default the
        alignment in force with the locks applied. Only the engine's starting point: what moved is always
        judged against ``current``.
    """

    unit_ids: np.ndarray
    territory_ids: list[str]
    cost: np.ndarray
    current: np.ndarray
    measures: np.ndarray
    offset: np.ndarray
    bands: Bands
    adjacency: sp.csr_matrix
    xy: np.ndarray
    locks: np.ndarray
    stage0: np.ndarray
    core: np.ndarray
    contiguous: bool = True
    start: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.unit_ids)

    @property
    def k(self) -> int:
        """Number of territories after the event."""
        return len(self.territory_ids)

    def totals(self, labels: np.ndarray) -> np.ndarray:
        """``(k, q)`` book of each territory for a plan (column per unit; -1 units count nowhere)."""
        out = self.offset.copy()
        ok = labels >= 0
        np.add.at(out, labels[ok], self.measures[ok])
        return out


@dataclass
class StagedOutcome:
    """The plan of the stages.

    Attributes
    ----------
    labels : numpy.ndarray
        ``(n,)`` column of each unit.
    status : str
        ``optimal`` / ``feasible`` (every band met; ``optimal`` when every part was proved optimal),
        ``requirements_not_met`` (some part broke a band at the last stage; ``message`` says which).
    stage : int
        The last stage that ran (0 = only the event's moves).
    territories : list of str
        Territories of the parts that were designed.
    seconds : float
    method, message : str
    tried : list of str
        One line per part solved: stage, territories, outcome.
    work_used : float
        Work units the engine spent over all parts.
    """

    labels: np.ndarray
    status: str
    stage: int
    territories: list[str]
    seconds: float
    method: str = ""
    message: str = ""
    tried: list[str] = field(default_factory=list)
    work_used: float = 0.0

    @property
    def meets_target(self) -> bool:
        """Every territory within its band, in one piece when asked (checked by the engine)."""
        return self.status in ("optimal", "feasible")


@dataclass
class _Part:
    rows: np.ndarray  # units of the part
    cols: np.ndarray  # territories of the part
    lock: np.ndarray  # (len(rows),) local column or -1
    allowed: np.ndarray  # (len(rows), len(cols)) bool
    start: np.ndarray  # (len(rows),) local column of the plan so far, -1 when none
    label: str = ""


@dataclass
class _SubResult:
    codes: np.ndarray
    status: str
    method: str
    violations: list[str]
    work_used: float = 0.0


def solve_staged(
    ep: EventProblem,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    max_rings: int = MAX_RINGS,
    work: float | None = None,
) -> StagedOutcome:
    """Solve ``ep`` stage by stage (see the module docstring)."""
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit)
    work_left = default_work(time_limit) if work is None else float(work)
    work_total = work_left
    labels = np.where(ep.locks >= 0, ep.locks, ep.current if ep.start is None else ep.start)
    involved: set[int] = set()
    tried: list[str] = []
    methods: list[str] = []
    statuses: list[str] = []
    failures: list[str] = []
    stage, free, failed = 0, np.zeros(ep.k, dtype=bool), np.zeros(ep.k, dtype=bool)
    while True:
        last = bool(free.all())
        if stage == 0:
            parts = _parts(ep, labels, np.isin(np.arange(ep.k), ep.core), free, stage0=True)
        else:
            parts = [p for p in _parts(ep, labels, free, free, stage0=False) if failed[p.cols].any()]
        failures, failed = [], np.zeros(ep.k, dtype=bool)
        total_rows = sum(len(p.rows) for p in parts)
        for part in parts:
            label = _stage_label(stage, last, part)
            result, why = None, "no work left in the budget"
            if work_left > 0 and time.perf_counter() < deadline - 0.5:
                work = work_left * len(part.rows) / max(total_rows, 1)
                if not last:  # a part that fails here goes on to the next stage: do not let it eat the budget
                    cap = default_work(max(2.0, PART_SECONDS * len(part.rows) * len(part.cols)))
                    work = max(min(work_left, default_work(2.0)), min(STAGE_SHARE * work, cap))
                result, why = _attempt(ep, part, work, seed, deadline)
                if result is not None:
                    work_left -= result.work_used
            if result is not None and (not why or last):
                labels[part.rows] = part.cols[result.codes]
                involved |= set(part.cols.tolist())
                methods.append(result.method)
                statuses.append(result.status)
            if why:
                failures.append(f"{label}: {why}")
                failed[part.cols] = True
            else:
                tried.append(f"{label}: {result.status}")
            total_rows -= len(part.rows)
        tried += failures
        if not failed.any() or last or work_left <= 0 or deadline - time.perf_counter() <= 0.5:
            break
        stage += 1
        free = failed | _ring(ep, labels, failed) if stage <= max_rings else np.ones(ep.k, dtype=bool)
    seconds = time.perf_counter() - t0
    names = [ep.territory_ids[c] for c in sorted(involved)]
    method = "; ".join(dict.fromkeys(methods))
    unplaced = np.flatnonzero(labels < 0)
    if len(unplaced):  # no stage placed them: their cheapest territory, so that the plan is whole
        labels[unplaced] = np.argmin(ep.cost[unplaced], axis=1)
        failures.append(f"{len(unplaced)} units placed in their cheapest territory without a design")
    used = work_total - work_left
    if failures:
        return StagedOutcome(
            labels, "requirements_not_met", stage, names, seconds, method, " | ".join(failures), tried, used
        )
    status = "optimal" if statuses and all(s == "optimal" for s in statuses) else "feasible"
    return StagedOutcome(labels, status, stage, names, seconds, method, "", tried, used)


def _attempt(
    ep: EventProblem, part: _Part, work: float, seed: int, deadline: float
) -> tuple[_SubResult | None, str]:
    """Solve one part with ``work`` units (``deadline`` the safety stop); the result (None when none) and why
    it fails (empty when it meets every band)."""
    if not len(part.cols):
        return None, "no territory borders these units"
    reason = _obviously_infeasible(ep, part)
    if reason:
        return None, f"skipped, {reason}"
    try:
        result = _solve(ep, part, work, seed, max(deadline - time.perf_counter(), 1.0))
    except InfeasibleError as err:
        return None, f"infeasible ({' '.join(str(err).split())[:300]})"
    if result.violations:
        return result, f"requirements not met ({'; '.join(result.violations[:2])})"
    return result, ""


def _ring(ep: EventProblem, labels: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``(k,)`` territories bordering those of ``cols`` (a mask) in the plan ``labels``."""
    coo = ep.adjacency.tocoo()
    a, b = labels[coo.row], labels[coo.col]
    ok = (a >= 0) & (b >= 0)
    out = np.zeros(ep.k, dtype=bool)
    out[b[ok & cols[a.clip(0)]]] = True
    return out


def _stage_label(stage: int, last: bool, part: _Part) -> str:
    what = (
        "every unit free" if last
        else "only the event's moves" if stage == 0
        else f"{len(part.cols)} territories free"
    )  # fmt: skip
    return f"stage {stage} ({what}; {part.label})"


def _parts(
    ep: EventProblem, labels: np.ndarray, cols: np.ndarray, free: np.ndarray, *, stage0: bool
) -> list[_Part]:
    """The independent parts of a stage (see the module docstring).

    ``cols`` and ``free`` are ``(k,)`` masks: the territories of the stage and those whose units may move.
    At stage 0 the units may make the event's own moves (``ep.stage0``) instead.
    """
    unplaced = labels < 0
    rows = np.flatnonzero(cols[labels.clip(0)] & ~unplaced | unplaced)
    terr = labels[rows]
    allowed = ep.stage0[rows].copy() if stage0 else np.ones((len(rows), ep.k), dtype=bool)
    allowed[:, ~cols] = False
    movable = free[terr.clip(0)] & (terr >= 0) | (terr < 0) | allowed.any(axis=1)
    for where in (terr, ep.current[rows]):  # a unit may always stay, or go back where it is in force
        placed = np.flatnonzero((where >= 0) & cols[where.clip(0)])
        allowed[placed, where[placed]] = True
    lock = np.where(movable, -1, terr)
    user = ep.locks[rows]
    lock[user >= 0] = user[user >= 0]
    hit = np.flatnonzero(lock >= 0)
    allowed[hit] = False
    allowed[hit, lock[hit]] = True
    sub = ep.adjacency[rows][:, rows].tocoo()
    keep = (lock[sub.row] < 0) | (lock[sub.col] < 0)
    graph = sp.csr_matrix((np.ones(keep.sum()), (sub.row[keep], sub.col[keep])), shape=(len(rows), len(rows)))
    _, comp = connected_components(graph + _same_territory(terr), directed=False)
    within = ep.bands.within(ep.totals(labels))
    empty = np.bincount(labels[labels >= 0], minlength=ep.k) == 0
    parts = []
    for c in np.unique(comp):
        members = np.flatnonzero(comp == c)
        own = np.unique(terr[members][terr[members] >= 0])
        if (lock[members] >= 0).all() and within[own].all():
            continue  # nothing may move and every band is met: nothing to do
        reachable = np.flatnonzero(allowed[members].any(axis=0) & empty)  # territories without units yet
        part_cols = np.union1d(own, reachable).astype(int)
        local = pd.Index(part_cols)
        allowed_here = allowed[np.ix_(members, part_cols)]
        sub_lock = np.where(lock[members] >= 0, local.get_indexer(lock[members]), -1)
        start = local.get_indexer(terr[members])
        name = ", ".join(ep.territory_ids[t] for t in part_cols[:4]) + ("..." if len(part_cols) > 4 else "")
        parts.append(_Part(rows[members], part_cols, sub_lock, allowed_here, start, f"territories {name}"))
    return parts


def _same_territory(terr: np.ndarray) -> sp.csr_matrix:
    """Links each unit to the first unit of its territory (a territory is never split between parts)."""
    n = len(terr)
    has = np.flatnonzero(terr >= 0)
    if not len(has):
        return sp.csr_matrix((n, n))
    _, first = np.unique(terr[has], return_index=True)
    head = np.full(terr.max() + 1, -1)
    head[terr[has][first]] = has[first]
    return sp.csr_matrix((np.ones(len(has)), (has, head[terr[has]])), shape=(n, n))


def _obviously_infeasible(ep: EventProblem, sub: _Part) -> str:
    """A territory of the stage whose band no plan of the stage can reach (empty string when none)."""
    meas = ep.measures[sub.rows]
    lo = ep.bands.lower[sub.cols] - ep.offset[sub.cols]
    hi = ep.bands.upper[sub.cols] - ep.offset[sub.cols]
    if (sub.allowed.sum(axis=1) == 0).any():
        return (
            f"unit {ep.unit_ids[sub.rows[np.flatnonzero(sub.allowed.sum(axis=1) == 0)[0]]]} has no territory"
        )
    locked = np.zeros_like(lo)
    np.add.at(locked, sub.lock[sub.lock >= 0], meas[sub.lock >= 0])
    reach = locked + sub.allowed[sub.lock < 0].T.astype(float) @ meas[sub.lock < 0]
    eps = 1e-9 * np.maximum(1.0, np.abs(ep.bands.target[sub.cols]))
    over = locked > hi + eps
    under = reach < lo - eps
    for bad, what in ((over, "above"), (under, "below")):
        if bad.any():
            t, j = np.argwhere(bad)[0]
            return (
                f"territory {ep.territory_ids[sub.cols[t]]} would stay {what} its "
                f"{ep.bands.measures[j]} band "
                "whatever moves in this stage"
            )
    return ""


def _solve(ep: EventProblem, sub: _Part, work: float, seed: int, time_limit: float) -> _SubResult:
    from terrkit.hierarchy.design import QuickCheckProblem

    ids = ep.unit_ids[sub.rows]
    names = [ep.territory_ids[c] for c in sub.cols]
    measures = pd.DataFrame(ep.measures[sub.rows], columns=ep.bands.measures)
    problem = QuickCheckProblem.from_arrays(
        ids,
        len(names),
        xy=ep.xy[sub.rows],
        cost=pd.DataFrame(ep.cost[np.ix_(sub.rows, sub.cols)], columns=names),
        measures=measures,
        balance=ep.bands.tolerance,
        weight=np.ones(len(ids)),
        adjacency=ep.adjacency[sub.rows][:, sub.rows],
        contiguous=ep.contiguous,
        centers={t: t for t in names},
        current=[names[c] if c >= 0 else None for c in sub.start],
        source="scenario",
    )
    d = problem.data  # locks, forbidden pairs and bands set on the array form (thousands of locks at stage 0)
    d.locked = sub.lock.astype(np.int64)
    d.forbidden = np.argwhere(~sub.allowed & (sub.lock < 0)[:, None]).astype(np.int64).reshape(-1, 2)
    d.lower = ep.bands.lower[sub.cols] - ep.offset[sub.cols]
    d.upper = ep.bands.upper[sub.cols] - ep.offset[sub.cols]
    d.target = ep.bands.target[sub.cols] - ep.offset[sub.cols]
    result = problem.solve(time_limit=max(time_limit, 1.0), seed=seed, work=work)
    codes = pd.Index(names).get_indexer(result.labels.reindex(pd.Index(ids, dtype=object)).astype(str))
    return _SubResult(codes, result.status, result.method, list(result.violations), result.work_used or 0.0)
