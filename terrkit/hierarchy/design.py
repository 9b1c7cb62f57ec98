"""Nested alignments with the territory design engine: top-down design and bottom-up grouping.

**Top-down** (:func:`design_top_down`): balanced, contiguous regions first, then districts inside each
region, then territories inside each district. Every step is a
:class:`~terrkit.design.TerritoryDesignProblem` restricted to the parent's units (their slice of the
layer's unit graph) and solved by :func:`~terrkit.design.exact.solvers.solve_problem`; each level has its own
measures and tolerances. The counts come from :func:`terrkit.hierarchy.levels.plan_counts`, and every node's
band is absolute: ``leaves x (total / k) x (1 ± tolerance)``, so a district's territories are balanced
against the same territory target as everywhere else, and a child's band always fits in its parent's when
the child's tolerance is at least the parent's.

**Bottom-up** (:func:`group_bottom_up`): existing territories are grouped into districts, then districts into
regions, each grouping a design problem whose units are the territories (or districts): their summed
measures, the weighted mean of their units' points, adjacent when two of their units are. The groups are
contiguous and balanced on each measure against their share of the leaves, and hold exactly the planned
number of territories (and districts): counts are measures with tolerance 0. Existing territories are lumpy,
so a tolerance no grouping can meet is widened step by step (doubled, up to 100%) and the tolerance reached
is reported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from terrkit.design.heuristic.budget import default_work
from terrkit.design.problem.definition import Balance, DesignData, TerritoryDesignProblem
from terrkit.exceptions import ConfigError, InfeasibleError
from terrkit.hierarchy.levels import TERRITORY, Level, Node, plan_counts
from terrkit.hierarchy.tree import Hierarchy

#: Level ``i`` (the top is 1) gets a share of the time limit proportional to ``i``: the lower levels have
#: more, smaller problems to solve.

#: Widening of a bottom-up tolerance that cannot be met: multiplied by this until it can (at most 100%).
WIDEN = 2.0


class QuickCheckProblem(TerritoryDesignProblem):
    """A :class:`TerritoryDesignProblem` whose checks before solving leave out the contiguity reach test.

    That test (:mod:`terrkit.design.checks.band_reach`) proves a band unreachable for every connected group of
    units around a unit. Its search grows with the band: on bands of a region (a quarter of the country's
    units) it runs for minutes, and on the small parts of a mid-year event, where most units are locked (which
    it ignores), it seldom decides anything. The other checks stay; a band that cannot be met is then found by
    the plan breaking it.
    """

    def check(self) -> list[str]:
        """The engine's checks without the contiguity reach test."""
        from terrkit.design.checks.feasibility import feasibility_issues

        data = dataclasses.replace(self.data, contiguous=False)
        return feasibility_issues(data, self.territory_names, self.balances)


@dataclass
class LevelOutcome:
    """How one level was designed and whether every node is within its band.

    Attributes
    ----------
    level : str
    tolerance : dict
        Measure -> tolerance asked for (bottom-up: reached, after widening).
    asked : dict
        Measure -> tolerance asked for.
    status : str
        Worst status of the level's solves (``optimal`` < ``feasible`` < ``requirements_not_met``).
    solves : int
    seconds : float
    max_deviation : dict
        Measure -> largest deviation of a node from its target, measured from the plan.
    within : bool
        Every node of the level within its band (at the tolerance reached; measured from the plan, not
        taken from the engine).
    messages : list of str
        Violations and widenings.
    """

    level: str
    tolerance: dict[str, float]
    asked: dict[str, float]
    status: str
    solves: int
    seconds: float
    max_deviation: dict[str, float]
    within: bool
    messages: list[str] = field(default_factory=list)


@dataclass
class NestedPlan:
    """A nested alignment.

    Attributes
    ----------
    labels : pandas.DataFrame
        One row per unit (indexed by unit id): ``<level>_id`` for every level, top first, and
        ``territory_id``.
    levels : list of Level
    outcomes : list of LevelOutcome
        One per level, top first.
    seconds : float
    method : str
        ``top-down`` or ``bottom-up``.
    """

    labels: pd.DataFrame
    levels: list[Level]
    outcomes: list[LevelOutcome]
    seconds: float
    method: str

    @property
    def hierarchy(self) -> Hierarchy:
        """The tree of the plan."""
        return Hierarchy.from_labels(self.labels, [lv.name for lv in self.levels[:-1]])

    @property
    def within(self) -> bool:
        """Every node of every level within its band."""
        return all(o.within for o in self.outcomes)

    def to_frame(self, units: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per unit: ``unit_id``, the layer's ``level`` and ``parent_id`` when ``units`` has them, a
        ``<level>_id`` column per level, top first, and ``territory_id`` (``plans/nested_design.csv``)."""
        frame = self.labels.reset_index()
        if units is not None:
            extra = [c for c in ("level", "parent_id") if c in units.columns]
            layer = units[["unit_id", *extra]].astype({"unit_id": str})
            frame = layer.merge(frame, on="unit_id", how="right")
        return frame

    def summary_dict(self) -> dict:
        """The method, seconds and every level's row of :meth:`summary`, for a JSON report."""
        levels = self.summary().reset_index().to_dict(orient="records")
        return {
            "method": self.method, "seconds": round(self.seconds, 2), "within": self.within, "levels": levels,
        }  # fmt: skip

    def summary(self) -> pd.DataFrame:
        """One row per level: nodes, status, tolerance asked and reached, largest deviation, seconds."""
        rows = []
        for lv, o in zip(self.levels, self.outcomes, strict=True):
            row = {"level": lv.name, "nodes": lv.count, "status": o.status, "solves": o.solves,
                   "seconds": round(o.seconds, 2), "within": o.within}  # fmt: skip
            for m, t in o.asked.items():
                row[f"{m}_tolerance"] = t
                row[f"{m}_reached"] = o.tolerance.get(m, t)
                row[f"{m}_max_deviation"] = o.max_deviation.get(m, np.nan)
            rows.append(row)
        return pd.DataFrame(rows).set_index("level")


def _check_flat(problem: TerritoryDesignProblem) -> DesignData:
    d = problem.data
    if d.fixed_centers is not None or not d.centers_are_units:
        raise ConfigError("a nested design chooses its centers: it does not take fixed centers")
    if (d.locked >= 0).any() or len(d.forbidden) or d.current is not None or d.max_moved is not None:
        raise ConfigError("a nested design does not take locks, forbidden pairs or a current alignment yet")
    if d.target is not None and d.q:
        finite = np.isfinite(d.target).all(axis=0)
        if any(np.ptp(d.target[:, j]) > 1e-9 * max(abs(d.target[0, j]), 1.0) for j in np.flatnonzero(finite)):
            raise ConfigError("a nested design needs equal territory targets (no target shares)")
    return d


def _level_measures(d: DesignData, level: Level) -> list[int]:
    missing = [m for m in level.balance if m not in d.measure_names]
    if missing:
        raise ConfigError(
            f"level {level.name} balances {', '.join(missing)}, which the territories do not measure; "
            f"measures: {', '.join(d.measure_names)}"
        )
    return [d.measure_names.index(m) for m in level.balance]


def _sub_problem(
    problem: TerritoryDesignProblem,
    rows: np.ndarray,
    leaves: Sequence[int],
    level: Level,
    aim: float = 1.0,
    relative: bool = False,
) -> TerritoryDesignProblem:
    """The design problem of one parent: its units, one territory per child with its absolute band
    (``aim`` < 1 narrows an upper level's band to that share of its tolerance; ``relative`` centres the
    bands on the parent's own total instead, for a parent left outside its band)."""
    d = problem.data
    k = len(leaves)
    per_leaf = d.measures.sum(axis=0) / max(problem.data.k, 1)
    if relative:
        per_leaf = d.measures[rows].sum(axis=0) / max(sum(leaves), 1)
    if level.name == TERRITORY and not relative:  # the territories' own bands, capacities included
        idx = list(range(d.q))
        lower, upper = d.lower[:1].repeat(k, axis=0), d.upper[:1].repeat(k, axis=0)
        target = None if d.target is None else d.target[:1].repeat(k, axis=0)
        balances = list(problem.balances)
    elif level.name == TERRITORY:
        idx = [d.measure_names.index(b.column) for b in problem.balances]
        tol = np.array([b.tolerance for b in problem.balances])
        target = np.full((k, 1), 1.0) * per_leaf[idx][None, :]
        lower, upper = target * (1 - tol), target * (1 + tol)
        balances = list(problem.balances)
    else:
        idx = _level_measures(d, level)
        tol = aim * np.array([level.balance[d.measure_names[j]] for j in idx])
        target = np.asarray(leaves, dtype=float)[:, None] * per_leaf[idx][None, :]
        lower, upper = target * (1 - tol), target * (1 + tol)
        balances = [Balance(d.measure_names[j], float(t)) for j, t in zip(idx, tol, strict=True)]
    data = DesignData(
        ids=d.ids[rows],
        k=k,
        xy_km=None if d.xy_km is None else d.xy_km[rows],
        lonlat=None if d.lonlat is None else d.lonlat[rows],
        cost=None if d.cost is None else d.cost[np.ix_(rows, rows)],
        distance_power=d.distance_power,
        weight=d.weight[rows],
        measure_names=[d.measure_names[j] for j in idx],
        measures=d.measures[np.ix_(rows, idx)],
        lower=lower,
        upper=upper,
        adjacency=None if d.adjacency is None else sp.csr_matrix(d.adjacency[rows][:, rows]),
        contiguous=d.contiguous,
        fixed_centers=None,
        locked=np.full(len(rows), -1, dtype=np.int64),
        forbidden=np.zeros((0, 2), dtype=np.int64),
        target=target,
        territory_names=list(range(k)),
    )
    return QuickCheckProblem(data, balances=balances, source=problem.source, id_name=problem.id_name)


_RANK = {"optimal": 0, "feasible": 1, "requirements_not_met": 2, "infeasible": 3}

#: An upper level first aims at this share of its tolerance (with :data:`AIM_SHARE` of its time)...
AIM = 0.5
AIM_SHARE = 0.4


def design_top_down(
    problem: TerritoryDesignProblem,
    levels: Sequence[Level],
    *,
    time_limit: float = 150.0,
    seed: int = 0,
    solver: str = "highs",
) -> NestedPlan:
    """Design the hierarchy top-down (see the module docstring).

    Parameters
    ----------
    problem : TerritoryDesignProblem
        The flat problem: the units, ``k`` territories with their balance and capacities, the weight, the
        unit graph and contiguity (no fixed centers, locks or current alignment).
    levels : sequence of Level
        Top first, ending with the territories (:func:`terrkit.hierarchy.levels.build_levels`).
    time_limit : float, default 150
        Seconds for the whole hierarchy (level ``i``, the top being 1, gets a share proportional to ``i``).

    Returns
    -------
    NestedPlan
        A level that breaks its bands says so in its outcome (``within`` False, the messages); its children
        are then balanced around their parent's own totals.
    """
    d = _check_flat(problem)
    if levels[-1].count != d.k:
        raise ConfigError(
            f"the bottom level has {levels[-1].count} territories but the problem asks for {d.k}"
        )
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit)
    # budgets are planned from the time limit asked for and spent in work, so the plan is the same on any
    # machine; the clock (deadline) is only a safety stop
    planned_left = float(time_limit)
    spent = {"work": 0.0, "total": default_work(time_limit)}
    root = plan_counts(levels)
    weights = np.arange(1, len(levels) + 1, dtype=float)
    parents: list[tuple[Node, np.ndarray]] = [(root, np.arange(d.n))]
    ids_by_level: list[np.ndarray] = []
    outcomes = []
    for i, level in enumerate(levels):
        level_start = time.perf_counter()
        budget = planned_left * weights[i] / weights[i:].sum()
        planned_left -= budget
        sizes = np.array([len(rows) * len(node.children) for node, rows in parents], dtype=float)
        node_ids = np.full(d.n, -1, dtype=np.int64)
        children: list[tuple[Node, np.ndarray]] = []
        worst, messages = "optimal", []
        for (node, rows), size in zip(parents, sizes, strict=True):
            leaves = [c.leaves for c in node.children]
            share = budget * size / max(sizes.sum(), 1.0)
            if len(leaves) == 1:
                codes, status = np.zeros(len(rows), dtype=np.int64), "optimal"
            else:
                result, note = _solve_parent(
                    problem, rows, leaves, level, share, seed, solver, deadline, spent
                )
                codes = result.labels.to_numpy().astype(np.int64)
                status = "requirements_not_met" if note else result.status
                messages += [f"{level.name}s: {v}" for v in result.violations] + ([note] if note else [])
            worst = max(worst, status, key=lambda s: _RANK.get(s, 3))
            for j, child in enumerate(node.children):
                members = rows[codes == j]
                node_ids[members] = len(children)
                children.append((child, members))
        ids_by_level.append(node_ids)
        outcomes.append((level, worst, len(parents), time.perf_counter() - level_start, messages))
        parents = children
    labels = _name_levels(d, levels, ids_by_level)
    plan_outcomes = [
        _measure(problem, labels, level, status, solves, seconds, messages)
        for level, status, solves, seconds, messages in outcomes
    ]
    return NestedPlan(labels, list(levels), plan_outcomes, time.perf_counter() - t0, "top-down")


def _solve_parent(problem, rows, leaves, level, budget, seed, solver, deadline, spent):
    """One parent's children, and a message when they are not within their bands.

    ``budget`` is the parent's planned seconds, spent as work (``default_work``); ``spent`` counts the work
    of the whole design against its total, and ``deadline`` is the safety stop.

    An upper level first aims at :data:`AIM` of its tolerance, which leaves its children room (they are
    measured against the same per-territory target); a plan of that try within the whole band is kept,
    else the whole band is tried, and once more from another seed while the design has time left. A parent
    whose own total is outside what its children's bands can add up
    to (its level broke its band) gets children balanced around its own total, and the message says so.
    """
    tries = [(AIM, AIM_SHARE * budget, seed)] if level.name != TERRITORY else []
    tries += [(1.0, (1 - AIM_SHARE) * budget if tries else budget, seed), (1.0, budget, seed + 1)]
    result, note = None, ""
    for attempt, (aim, seconds, run_seed) in enumerate(tries):
        if attempt == len(tries) - 1 and spent["work"] + 0.5 * default_work(seconds) > spent["total"]:
            break  # a fresh start with another seed, only while the whole design has work left
        safety = max(deadline - time.perf_counter(), 2.0)
        work = default_work(max(seconds, 2.0))
        try:
            result = _sub_problem(problem, rows, leaves, level, aim).solve(
                solver=solver, time_limit=safety, seed=run_seed, work=work
            )
            spent["work"] += result.work_used or 0.0
        except InfeasibleError as err:
            if aim < 1.0:
                continue
            note = f"{level.name}s of a parent outside its band, balanced around its own total: {err}"
            result = _sub_problem(problem, rows, leaves, level, relative=True).solve(
                solver=solver, time_limit=safety, seed=seed, work=work
            )
            spent["work"] += result.work_used or 0.0
            return result, note
        if not result.violations or _within_full(problem, rows, leaves, level, result):
            return result, ""
    return result, note


def _within_full(problem, rows, leaves, level, result) -> bool:
    """Whether a plan made for a narrowed band is within the level's whole band."""
    full = _sub_problem(problem, rows, leaves, level).data
    codes = result.labels.to_numpy().astype(np.int64)
    totals = np.zeros((full.k, full.q))
    np.add.at(totals, codes, full.measures)
    eps = 1e-9 * np.maximum(1.0, np.abs(full.upper))
    return bool(((totals >= full.lower - eps) & (totals <= full.upper + eps)).all())


def _name_levels(d: DesignData, levels: Sequence[Level], ids_by_level: list[np.ndarray]) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.Index([str(u) for u in d.ids], name="unit_id"))
    for level, codes in zip(levels, ids_by_level, strict=True):
        out[level.column] = [node_name(level.name, c, level.count) for c in codes]
    return out


def node_name(level: str, index: int, count: int) -> str:
    """Id of the ``index``-th node of a level: ``T07`` for territories, ``REG1``, ``DIS03``... above."""
    width = len(str(count))
    prefix = "T" if level == TERRITORY else level[:3].upper()
    return f"{prefix}{index + 1:0{width}d}"


def level_totals(
    problem: TerritoryDesignProblem, labels: pd.DataFrame, level: Level
) -> tuple[pd.DataFrame, pd.Series]:
    """Each node's totals of the problem's measures and its number of territories."""
    d = problem.data
    col = level.column
    frame = pd.DataFrame(d.measures, columns=d.measure_names, index=labels.index)
    totals = frame.groupby(labels[col].to_numpy()).sum()
    leaves = labels.groupby(col)["territory_id"].nunique().reindex(totals.index)
    return totals, leaves


def _measure(problem, labels, level, status, solves, seconds, messages, reached=None) -> LevelOutcome:
    """Every node of ``level`` against ``leaves x total / k x (1 ± tolerance)``, from the plan."""
    d = problem.data
    totals, leaves = level_totals(problem, labels, level)
    tolerance = (
        level.balance if level.name != TERRITORY else {b.column: b.tolerance for b in problem.balances}
    )
    per_leaf = totals.sum() / d.k
    dev, within = {}, True
    for m, tol in (reached or tolerance).items():
        ratio = totals[m] / (leaves * per_leaf[m]) - 1
        dev[m] = float(ratio.abs().max())
        within &= bool((ratio.abs() <= tol + 1e-9).all())
    return LevelOutcome(
        level.name,
        dict(reached or tolerance),
        dict(tolerance),
        status,
        solves,
        seconds,
        dev,
        within,
        messages,
    )


def group_bottom_up(
    problem: TerritoryDesignProblem,
    territory: pd.Series,
    levels: Sequence[Level],
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    solver: str = "highs",
) -> NestedPlan:
    """Group existing territories into the upper levels (see the module docstring).

    Parameters
    ----------
    problem : TerritoryDesignProblem
        The units with their measures, weight, points and graph (its ``k`` is the number of territories).
    territory : pandas.Series
        Territory id per unit id (every unit).
    levels : sequence of Level
        Top first, ending with the territories.
    time_limit : float, default 30
        Seconds for all the groupings.
    """
    d = problem.data
    ids = pd.Index([str(u) for u in d.ids])
    terr = pd.Series(territory).set_axis(pd.Series(territory).index.astype(str)).reindex(ids)
    if terr.isna().any():
        raise ConfigError(f"unit {ids[int(terr.isna().to_numpy().argmax())]} has no territory to group")
    terr = terr.astype(str)
    names = pd.Index(sorted(terr.unique()))
    if len(names) != levels[-1].count:
        raise ConfigError(f"there are {len(names)} territories, not the {levels[-1].count} of the plan")
    t0 = time.perf_counter()
    planned_left = float(time_limit)
    root = plan_counts(levels)
    # nodes of the level below, starting with the territories: their measures, weight, point and graph
    code = names.get_indexer(terr)
    node_leaves = np.ones(len(names), dtype=int)
    node_children = np.ones(len(names), dtype=int)
    labels = pd.DataFrame({"territory_id": terr.to_numpy()}, index=pd.Index(ids, name="unit_id"))
    upper = list(levels[:-1])
    outcomes: dict[str, LevelOutcome] = {}
    for depth in range(len(upper) - 1, -1, -1):
        level = upper[depth]
        groups = _nodes_at(root, depth + 1)
        parents_per_group = np.array([len(g.children) for g in groups]) if depth + 1 < len(upper) else None
        seconds = max(planned_left / (depth + 1), 2.0)  # planned from the limit asked for: deterministic
        planned_left -= seconds
        start = time.perf_counter()
        group, reached, status, messages = _group(
            problem, code, node_leaves, node_children if depth + 1 < len(upper) else None, groups,
            parents_per_group, level, seconds, seed, solver,
        )  # fmt: skip
        labels[level.column] = [node_name(level.name, g, level.count) for g in group[code]]
        outcomes[level.name] = _measure(
            problem, labels, level, status, 1, time.perf_counter() - start, messages, reached
        )
        node_leaves = np.bincount(group, weights=node_leaves, minlength=len(groups)).astype(int)
        node_children = np.bincount(group, minlength=len(groups)).astype(int)
        code = group[code]
    labels = labels[[lv.column for lv in levels]]
    bottom = _measure(problem, labels, levels[-1], "given", 0, 0.0, [])
    plan_outcomes = [outcomes[lv.name] for lv in upper] + [bottom]
    return NestedPlan(labels, list(levels), plan_outcomes, time.perf_counter() - t0, "bottom-up")


def _nodes_at(root: Node, depth: int) -> list[Node]:
    nodes = [root]
    for _ in range(depth):
        nodes = [c for n in nodes for c in n.children]
    return nodes


def _group(problem, code, leaves, children, groups, children_per_group, level, time_limit, seed, solver):
    """Group the nodes of the level below (``code`` per unit) into ``groups``; returns the group of each
    node, the tolerances reached, the status and the messages."""
    d = problem.data
    n_nodes = int(code.max()) + 1
    member = sp.csr_matrix((np.ones(d.n), (code, np.arange(d.n))), shape=(n_nodes, d.n))
    idx = _level_measures(d, level)
    values = member @ d.measures[:, idx]
    weight = member @ d.weight
    xy = d.xy_km if d.xy_km is not None else np.zeros((d.n, 2))
    w = np.where(weight > 0, weight, 1.0)
    points = (member @ (xy * np.where(d.weight > 0, d.weight, 0.0)[:, None])) / w[:, None]
    empty = weight <= 0
    points[empty] = (member @ xy)[empty] / np.asarray(member.sum(axis=1)).ravel()[empty, None]
    graph = None
    if d.adjacency is not None:
        graph = (member @ sp.csr_matrix(d.adjacency) @ member.T).tocsr()
        graph.setdiag(0)
        graph.eliminate_zeros()
    k = len(groups)
    share_leaves = np.array([g.leaves for g in groups], dtype=float)
    measures = {d.measure_names[j]: values[:, i] for i, j in enumerate(idx)}
    measures["territories"] = leaves.astype(float)
    counts = [Balance("territories", 0.0, share_leaves / share_leaves.sum())]
    if children is not None:
        measures["children"] = children.astype(float)
        per = np.asarray(children_per_group, dtype=float)
        counts.append(Balance("children", 0.0, per / per.sum()))
    asked = {d.measure_names[j]: level.balance[d.measure_names[j]] for j in idx}
    tol, messages = dict(asked), []
    deadline = time.perf_counter() + time_limit
    work_left = default_work(time_limit)  # counted in work: the same grouping on any machine
    while True:
        balances = [Balance(m, t, share_leaves / share_leaves.sum()) for m, t in tol.items()] + counts
        grouping = QuickCheckProblem.from_arrays(
            np.arange(n_nodes), k, xy=points, measures=pd.DataFrame(measures), balance=balances,
            weight=weight, adjacency=graph, contiguous=d.contiguous and graph is not None,
            source=f"{level.name} grouping",
        )  # fmt: skip
        try:
            result = grouping.solve(
                solver=solver,
                time_limit=max(deadline - time.perf_counter(), 1.0),
                seed=seed,
                method="heuristic",
                work=max(work_left / 2, default_work(1.0)),
            )
            work_left -= result.work_used or 0.0
            if not result.violations:
                return result.labels.to_numpy().astype(np.int64), tol, result.status, messages
            why = "; ".join(result.violations[:2])
        except InfeasibleError as err:
            why, result = " ".join(str(err).split())[:300], None
        if all(t >= 1.0 for t in tol.values()):
            if result is None:
                raise InfeasibleError(f"no grouping into {k} {level.name}s exists: {why}")
            messages.append(f"{level.name}s: {why}")
            return result.labels.to_numpy().astype(np.int64), tol, "requirements_not_met", messages
        tol = {m: min(1.0, t * WIDEN) for m, t in tol.items()}
        messages.append(f"{level.name}s: tolerance widened to {_fmt(tol)} ({why})")


def _fmt(tol: dict[str, float]) -> str:
    return ", ".join(f"{m} ±{t:.0%}" for m, t in tol.items())
