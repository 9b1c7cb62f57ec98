"""Rep-anchored, least-disruption realignment: for a balance target, the plan that moves the least revenue.

Each territory belongs to one rep and is built around the rep's home base; a vacancy (a territory without a
rep) is built around a given point. For unit :math:`i` and territory :math:`t` the design engine is handed
the cost

.. math:: c_{it} = R_{it} + \\lambda \\, \\frac{R}{D} \\, D_{it},

- :math:`R_{it}`: the revenue of the accounts of unit :math:`i` whose rep changes when :math:`i` joins
  :math:`t` (accounts owned by the territory's rep stay; named-account exceptions keep their owner and never
  move; every account of a vacancy changes rep). Credits (negative revenue) count as 0.
- :math:`D_{it}`: the call-weighted great-circle km from the accounts of :math:`i` to the home of
  :math:`t`'s rep, exactly as the review measures travel (exceptions are measured from their owner).
- :math:`\\lambda` (``travel_weight``, default :data:`TRAVEL_WEIGHT`) prices travel in revenue: a plan whose
  total call-weighted travel is 1% longer than today's costs as much as moving :math:`\\lambda`% of revenue.
  :math:`R` and :math:`D` are the total revenue and today's total travel.

So moved revenue is the objective and travel a small secondary term. The engine
(:class:`terrkit.design.TerritoryDesignProblem` with fixed centers and this cost matrix) meets the
balance bands, contiguity and locks; its start shifts the borders of today's alignment
(:mod:`terrkit.design.heuristic.border_shift`). The home unit of each rep is locked to the rep's territory, so
territories are built around the reps.

**Lower bounds.** The transportation LP that assigns units fractionally, with the same balance rows and locks
but without contiguity, minimising :math:`\\sum R_{it} x_{it}` alone, bounds from below the revenue that any
plan meeting the target must move (:func:`revenue_lower_bound`); minimising travel alone, it bounds the travel
of any such plan around these centers (:func:`travel_lower_bound`). Both are solved exactly by column
generation in a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.design.heuristic.budget import default_work
from terrkit.exceptions import ConfigError, DataValidationError, InfeasibleError
from terrkit.geo import haversine_km

#: Default price of travel: 1% more call-weighted travel weighs as much as moving this many % of revenue.
TRAVEL_WEIGHT = 0.5

#: Cheapest territories per unit the lower-bound LP starts from (the others are priced in as needed).
BOUND_START_PAIRS = 10

#: Most seconds each lower-bound LP may take (and at most a fifth of the design's time limit).
BOUND_SECONDS = 10.0
#: Default seconds per plan. The work budget follows from it (96 M units at 800,000 per second): a layer of
#: about 6,000 units and 50 territories needs 30-40 s of search to meet ±5%, and the two bounds take up to
#: 2 x 10 s of the same clock first, so 60 s cut the search short on a busy or slow machine.
PLAN_TIME_LIMIT = 120.0

#: Default balance targets: measure -> relative tolerance. The workload balanced is ``call_hours`` (calls x
#: minutes per call): the hours with customers, which do not depend on who the rep is. Driving depends on
#: the plan itself, so it is not a fixed weight of a unit: it is the travel term of the objective.
DEFAULT_BALANCE = {"potential": 0.05, "call_hours": 0.10}


@dataclass
class Territories:
    """The territories of an anchored design, in column order.

    Attributes
    ----------
    ids : list of str
        Territory ids.
    rep_ids : list
        Rep of each territory (None for a vacancy).
    home : numpy.ndarray
        ``(k, 2)`` lon/lat of each territory's center: its rep's home, or the vacancy's point.
    """

    ids: list[str]
    rep_ids: list
    home: np.ndarray

    @property
    def k(self) -> int:
        """Number of territories."""
        return len(self.ids)

    def rep_map(self) -> pd.DataFrame:
        """``proposal``, ``territory_id``, ``rep_id``, as :func:`terrkit.realign.moves.assign_reps` gives."""
        return pd.DataFrame(
            {"proposal": self.ids, "territory_id": self.ids, "rep_id": self.rep_ids, "revenue_kept": np.nan}
        )


def anchored_territories(
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame,
    vacancies: Mapping[str, tuple[float, float]] | None = None,
) -> Territories:
    """One territory per rep of today's alignment, centered on the rep's home; plus vacancies.

    Parameters
    ----------
    current_alignment : pandas.DataFrame
        ``territory_id``, ``rep_id``; a territory whose rep is missing is a vacancy and needs a point in
        ``vacancies``.
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon``.
    vacancies : mapping {territory id: (lon, lat)}, optional
        Territories without a rep (new or vacated) and the point they are built around (e.g. where the new
        hire will live).
    """
    vacancies = dict(vacancies or {})
    terr = (
        current_alignment[["territory_id", "rep_id"]]
        .drop_duplicates("territory_id")
        .sort_values("territory_id", kind="stable")
    )
    home = reps.drop_duplicates("rep_id").set_index("rep_id")
    ids, rep_ids, points = [], [], []
    for tid, rid in zip(terr["territory_id"].astype(str), terr["rep_id"], strict=True):
        if tid in vacancies:
            ids.append(tid), rep_ids.append(None), points.append(vacancies.pop(tid))
            continue
        if pd.isna(rid) or rid not in home.index:
            raise ConfigError(
                f"territory {tid} has no rep with a home base (rep {rid!r}); give it as a vacancy with the "
                "point to build it around"
            )
        ids.append(tid), rep_ids.append(rid)
        points.append((float(home.at[rid, "home_lon"]), float(home.at[rid, "home_lat"])))
    for tid, point in vacancies.items():
        ids.append(str(tid)), rep_ids.append(None), points.append(point)
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if not np.all(np.isfinite(pts)):
        bad = ids[int(np.flatnonzero(~np.isfinite(pts).all(axis=1))[0])]
        raise DataValidationError("reps.csv", f"territory {bad}: its home base has no coordinates")
    return Territories(ids, rep_ids, pts)


@dataclass
class RealignmentCosts:
    """Per unit and territory: the revenue that changes rep and the call-weighted travel.

    Attributes
    ----------
    unit_ids : pandas.Index
        Units (rows).
    territories : Territories
        Territories (columns).
    moved_revenue : numpy.ndarray
        ``(n, k)`` revenue of the unit whose rep changes if the unit joins the territory.
    travel : numpy.ndarray
        ``(n, k)`` call-weighted km from the unit's accounts to the territory's center.
    current : numpy.ndarray
        ``(n,)`` today's territory (column index), -1 when none.
    revenue_total : float
        Revenue of all accounts (credits as 0).
    calls_total : float
        Sum of the travel weights of the accounts with a location.
    """

    unit_ids: pd.Index
    territories: Territories
    moved_revenue: np.ndarray
    travel: np.ndarray
    current: np.ndarray
    revenue_total: float
    calls_total: float

    def of(self, labels: np.ndarray) -> tuple[float, float]:
        """Moved revenue and mean travel (km per weighted call) of a plan given as column indices."""
        rows = np.arange(len(labels))
        moved = float(self.moved_revenue[rows, labels].sum())
        km = float(self.travel[rows, labels].sum()) / self.calls_total if self.calls_total > 0 else np.nan
        return moved, km

    def today(self) -> tuple[float, float]:
        """Moved revenue (0 where every unit has a territory) and travel of today's alignment."""
        have = self.current >= 0
        rows = np.flatnonzero(have)
        km = float(self.travel[rows, self.current[have]].sum()) / self.calls_total
        return float(self.moved_revenue[rows, self.current[have]].sum()), km


def realignment_costs(
    accounts: pd.DataFrame,
    revenue: pd.Series,
    call_weight: pd.Series | np.ndarray | None,
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame,
    unit_ids: Sequence,
    territories: Territories,
    *,
    keep_exceptions: bool = True,
) -> RealignmentCosts:
    """Moved revenue and travel of every (unit, territory) pair, from the accounts.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id`` (units of ``unit_ids``), ``owner_rep_id``, ``lat``, ``lon``.
    revenue : pandas.Series
        Revenue per account id (e.g. last year's sales).
    call_weight : array-like, optional
        Travel weight per account, aligned with ``accounts`` (calls per year); default 1.
    current_alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id`` of today (on the same units).
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon`` (the homes of exception owners).
    unit_ids : sequence
        The units, in row order.
    territories : Territories
        The columns (:func:`anchored_territories`).
    keep_exceptions : bool, default True
        Accounts owned by someone other than their unit's current rep keep their owner.
    """
    units = pd.Index([str(u) for u in unit_ids])
    k = territories.k
    n = len(units)
    ui = units.get_indexer(accounts["unit_id"].astype(str))
    if (ui < 0).any():
        r = int(np.flatnonzero(ui < 0)[0])
        raise DataValidationError(
            "accounts", "account's unit is not one of the units", column="unit_id", row=r,
            value=accounts["unit_id"].iloc[r],
        )  # fmt: skip
    cur_by_unit = current_alignment.drop_duplicates("unit_id").set_index(
        current_alignment.drop_duplicates("unit_id")["unit_id"].astype(str)
    )
    terr_index = pd.Index(territories.ids)
    current = terr_index.get_indexer(units.map(cur_by_unit["territory_id"]).astype(str))
    owner = accounts["owner_rep_id"].astype(object).to_numpy()
    unit_rep = accounts["unit_id"].astype(str).map(cur_by_unit["rep_id"]).to_numpy()
    exception = pd.notna(unit_rep) & pd.notna(owner) & (owner != unit_rep)
    if not keep_exceptions:
        exception = np.zeros(len(accounts), dtype=bool)
    rev = accounts["account_id"].map(revenue).fillna(0.0).clip(lower=0.0).to_numpy(dtype=float)
    rep_of = np.asarray(territories.rep_ids, dtype=object)
    changes = ~exception[:, None] & ((owner[:, None] != rep_of[None, :]) | pd.isna(rep_of)[None, :])
    moved = np.zeros((n, k))
    np.add.at(moved, ui, rev[:, None] * changes)

    w = np.ones(len(accounts)) if call_weight is None else np.asarray(call_weight, dtype=float)
    lon = accounts["lon"].to_numpy(dtype=float)
    lat = accounts["lat"].to_numpy(dtype=float)
    located = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(w)
    dist = haversine_km(
        lon[:, None], lat[:, None], territories.home[None, :, 0], territories.home[None, :, 1]
    )
    if exception.any():  # exceptions keep their owner: their travel does not depend on the unit's territory
        home = reps.drop_duplicates("rep_id").set_index("rep_id")
        olat = pd.Series(owner[exception]).map(home["home_lat"]).to_numpy(dtype=float)
        olon = pd.Series(owner[exception]).map(home["home_lon"]).to_numpy(dtype=float)
        dist[exception] = haversine_km(lon[exception], lat[exception], olon, olat)[:, None]
    wd = np.where(located[:, None], w[:, None] * dist, 0.0)
    wd = np.nan_to_num(wd, nan=0.0)
    travel = np.zeros((n, k))
    np.add.at(travel, ui, wd)
    return RealignmentCosts(
        units, territories, moved, travel, current, float(rev.sum()), float(w[located].sum())
    )


def home_units(layer: gpd.GeoDataFrame, territories: Territories) -> dict[str, str]:
    """The polygon unit holding each rep's home, by territory (homes outside every unit are left out).

    Two reps whose homes fall in the same unit cannot both keep it: the unit goes to the first territory
    (by id) and the other rep is built around a home outside its own territory.
    """
    polys = layer[~layer.geometry.geom_type.isin(["Point", "MultiPoint"])]
    pts = gpd.GeoDataFrame(
        {"territory_id": territories.ids},
        geometry=gpd.points_from_xy(territories.home[:, 0], territories.home[:, 1]),
        crs="EPSG:4326",
    )
    hit = gpd.sjoin(pts, polys[["unit_id", "geometry"]].to_crs("EPSG:4326"), predicate="within", how="inner")
    hit = hit.sort_values("territory_id", kind="stable").drop_duplicates("territory_id")
    hit = hit.drop_duplicates("unit_id")
    return dict(zip(hit["territory_id"], hit["unit_id"].astype(str), strict=True))


def travel_weight_scale(costs: RealignmentCosts, travel_weight: float) -> float:
    """The factor :math:`\\lambda R / D` that turns call-weighted km into revenue units."""
    _, today_km = costs.today()
    travel_today = today_km * costs.calls_total
    if travel_weight < 0:
        raise ConfigError(f"travel weight must be >= 0, got {travel_weight}")
    return travel_weight * costs.revenue_total / travel_today if travel_today > 0 else 0.0


def build_problem(
    units: gpd.GeoDataFrame,
    costs: RealignmentCosts,
    *,
    balance: Mapping[str, float] | None = None,
    travel_weight: float = TRAVEL_WEIGHT,
    contiguous: bool = True,
    locks: Mapping[str, str] | None = None,
    anchor_homes: bool = True,
):
    """The design problem of a least-disruption plan (see the module docstring for the cost).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id``, geometry and the balance measures, in the order of ``costs.unit_ids``
        (a mixed layer may carry ``level`` and ``parent_id``: named accounts join their cell's graph).
    balance : mapping {measure: tolerance}, optional
        Default :data:`DEFAULT_BALANCE`.
    locks : mapping {unit id: territory id}, optional
        Units that must stay in / go to a territory (on top of the reps' home units).
    anchor_homes : bool, default True
        Lock each rep's home unit to the rep's territory.

    Returns
    -------
    terrkit.design.TerritoryDesignProblem
    """
    from terrkit.design.problem.definition import TerritoryDesignProblem
    from terrkit.geo_adjacency import planar_points_km, unit_adjacency

    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    ids = units["unit_id"].astype(str).to_numpy()
    if list(ids) != list(costs.unit_ids):
        raise ConfigError("the units and the cost matrices must list the same units in the same order")
    terr = costs.territories
    scale = travel_weight_scale(costs, travel_weight)
    cost = pd.DataFrame(costs.moved_revenue + scale * costs.travel, columns=terr.ids)
    all_locks = dict(home_units(units, terr)) if anchor_homes else {}
    all_locks = {u: t for t, u in all_locks.items()}
    all_locks.update({str(u): str(t) for u, t in (locks or {}).items()})
    current = np.asarray(terr.ids, dtype=object)[np.clip(costs.current, 0, None)]
    current = np.where(costs.current >= 0, current, None)
    return TerritoryDesignProblem.from_arrays(
        ids,
        terr.k,
        xy=planar_points_km(units),  # for the heuristics' geometry; distances come from the cost matrix
        cost=cost,
        measures=units[list(balance)].reset_index(drop=True),
        balance=balance,
        weight=np.ones(len(ids)),
        adjacency=unit_adjacency(units) if contiguous else None,
        contiguous=contiguous,
        centers={t: t for t in terr.ids},
        current=current,
        locks=all_locks,
        source="units",
    )


def _lp_bound(
    problem, pair_cost: np.ndarray, time_limit: float, order: np.ndarray | None = None
) -> float | None:
    """Least total ``pair_cost`` of any plan within the balance bands and locks (LP, no contiguity).

    Solved by column generation: the LP starts on each unit's :data:`BOUND_START_PAIRS` cheapest allowed
    territories (by ``order``, default ``pair_cost``), with the balance rows softened by a slack priced far
    above any pair, and adds every allowed pair whose reduced cost is negative until none is left. The soft
    LP relaxes the hard one, so its optimum over all pairs is a valid lower bound (equal to the hard optimum
    when no slack is used).
    """
    from terrkit.design.heuristic.seeding import allowed_pairs
    from terrkit.design.heuristic.transport_lp import solve_transport_lp

    d = problem.data
    deadline = time.perf_counter() + time_limit
    allowed = allowed_pairs(d)
    M = np.asarray(d.measures, dtype=float).reshape(d.n, -1)
    masked = np.where(allowed, pair_cost if order is None else order, np.inf)
    first = np.argsort(masked, axis=1, kind="stable")[:, : min(BOUND_START_PAIRS, d.k)]
    use = np.zeros_like(allowed)
    np.put_along_axis(use, first, True, axis=1)
    use &= allowed
    scale = np.where(M.sum(axis=0) > 0, M.sum(axis=0) / d.k, 1.0)
    penalty = 1e3 * (float(np.abs(pair_cost[allowed]).max(initial=0.0)) + 1.0) * d.n / scale
    for _ in range(50):
        i, t = np.nonzero(use)
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        res = solve_transport_lp(
            i, t, pair_cost[i, t], d.n, d.k, M, d.lower, d.upper, soft=True, penalty=penalty, time_limit=left
        )
        if res.status != "optimal" or res.objective is None or res.row_dual is None:
            return None
        y = res.row_dual
        balance_dual = y[d.n : d.n + d.k * M.shape[1]].reshape(d.k, -1)
        reduced = pair_cost - y[: d.n, None] - M @ balance_dual.T
        add = allowed & ~use & (reduced < -1e-9 * (1.0 + np.abs(pair_cost)))
        if not add.any():
            return max(0.0, float(res.objective))
        use |= add
    return None


def revenue_lower_bound(problem, costs: RealignmentCosts, time_limit: float = 30.0) -> float | None:
    """Least revenue any plan within the balance bands must move (LP relaxation without contiguity).

    Returns None when the LP does not solve to optimality (the bound is then unknown, never guessed).
    """
    # moved revenue is the same for every territory but today's: start from the nearest ones
    return _lp_bound(
        problem, costs.moved_revenue, time_limit, order=costs.moved_revenue + 1e-9 * costs.travel
    )


def travel_lower_bound(problem, costs: RealignmentCosts, time_limit: float = 30.0) -> float | None:
    """Least call-weighted km (per weighted call) of any plan within the bands around these centers.

    The same LP relaxation as :func:`revenue_lower_bound`, minimising travel: when it is above today's
    travel, no plan that meets the target around today's homes can keep travel at today's level.
    """
    total = _lp_bound(problem, costs.travel, time_limit)
    return None if total is None or costs.calls_total <= 0 else total / costs.calls_total


@dataclass
class LeastDisruptionPlan:
    """A least-disruption plan for one balance target.

    Attributes
    ----------
    tolerance : dict
        Measure -> tolerance asked for.
    status : str
        ``optimal`` (proved by the exact model), ``feasible`` (a plan meeting every requirement, not proved
        the least), ``requirements_not_met`` (the engine stopped before meeting them; ``message`` lists
        what is broken), ``infeasible`` (proved impossible; ``message`` says why).
    labels : pandas.Series or None
        Territory id per unit.
    moved_revenue, revenue_bound : float
        Revenue that changes rep in the plan, and the LP lower bound for the target (NaN if unknown).
    travel_km, travel_bound_km : float
        Call-weighted mean km from the accounts to their territory's center, and the least any plan within
        the target can have around these centers (LP lower bound; NaN if unknown).
    max_deviation : dict
        Measure -> largest relative deviation of a territory from its target.
    contiguous : bool
    seconds : float
    stopped_by : str
        Why the engine stopped: ``converged``, ``budget`` (its work budget, the same on any machine) or
        ``time_limit`` (the safety stop: only then may a busy machine give another plan).
    method, message : str
    objective, bound : float
        The engine's objective (moved revenue + priced travel) and its LP bound.
    """

    tolerance: dict
    status: str
    labels: pd.Series | None = None
    moved_revenue: float = float("nan")
    revenue_bound: float = float("nan")
    travel_km: float = float("nan")
    travel_bound_km: float = float("nan")
    max_deviation: dict = field(default_factory=dict)
    contiguous: bool = False
    seconds: float = 0.0
    stopped_by: str = ""
    method: str = ""
    message: str = ""
    objective: float = float("nan")
    bound: float = float("nan")

    @property
    def meets_target(self) -> bool:
        """Every territory within every tolerance, and contiguous when asked (checked by the engine)."""
        return self.status in ("optimal", "feasible")


def least_disruption_plan(
    units: gpd.GeoDataFrame,
    costs: RealignmentCosts,
    balance: Mapping[str, float] | None = None,
    *,
    travel_weight: float = TRAVEL_WEIGHT,
    contiguous: bool = True,
    locks: Mapping[str, str] | None = None,
    anchor_homes: bool = True,
    time_limit: float = PLAN_TIME_LIMIT,
    seed: int = 0,
) -> LeastDisruptionPlan:
    """The plan that moves the least revenue for a balance target (see the module docstring).

    A target that cannot be met is returned with status ``infeasible`` and the business reason (e.g. a
    rep's home unit alone above the band), not raised.

    ``time_limit`` sets the search's work budget (:func:`terrkit.design.heuristic.budget.default_work`,
    the same on any machine) and is the safety stop of the whole plan, the two bounds included; a plan
    that meets its target returns as soon as the search converges, usually well before it.
    """
    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    t0 = time.perf_counter()
    problem = build_problem(
        units, costs, balance=balance, travel_weight=travel_weight, contiguous=contiguous, locks=locks,
        anchor_homes=anchor_homes,
    )  # fmt: skip
    # the two bounds first (column generation: a few seconds), each at most a fifth of the budget; an LP cut
    # short gives no bound, never a guess
    bound_limit = min(BOUND_SECONDS, 0.2 * time_limit)
    bound = revenue_lower_bound(problem, costs, time_limit=bound_limit)
    travel_bound = travel_lower_bound(problem, costs, time_limit=bound_limit)
    try:  # solve() checks the problem first and raises with the business reasons
        # the work budget follows from the time limit asked for (the same on any machine); the time left
        # after the bounds is only the safety stop
        result = problem.solve(
            time_limit=max(time_limit - (time.perf_counter() - t0), 1.0),
            seed=seed,
            work=default_work(time_limit),
        )
    except InfeasibleError as err:
        return LeastDisruptionPlan(
            balance, "infeasible", seconds=time.perf_counter() - t0,
            message=_name_reps(str(err), problem, costs),
        )  # fmt: skip
    labels = result.labels.copy()
    labels.index = labels.index.astype(str)
    labels = labels.reindex(costs.unit_ids).astype(str)
    cols = pd.Index(costs.territories.ids).get_indexer(labels.to_numpy())
    moved, km = costs.of(cols)
    dev = {m: float(result.max_deviation.get(m, np.nan)) for m in balance}
    return LeastDisruptionPlan(
        tolerance=balance,
        status=result.status,
        labels=labels.rename("territory_id"),
        moved_revenue=moved,
        revenue_bound=np.nan if bound is None else bound,
        travel_km=km,
        travel_bound_km=np.nan if travel_bound is None else travel_bound,
        max_deviation=dev,
        contiguous=bool(result.contiguous) if contiguous else True,
        seconds=time.perf_counter() - t0,
        stopped_by=result.stopped_by,
        method=result.method,
        message=(
            f"not met within the search's budget (stopped by {result.stopped_by.replace('_', ' ')}; not a "
            f"proof that it is impossible: a longer time limit than {time_limit:g} s, which sets the budget, "
            "may meet it): " + "; ".join(result.violations)
            if result.violations
            else ""
        ),
        objective=float(result.objective),
        bound=np.nan if result.bound is None else float(result.bound),
    )


def _name_reps(message: str, problem, costs: RealignmentCosts) -> str:
    """Add which rep's home unit a message is about (a locked home unit above the band, for example)."""
    d = problem.data
    terr = costs.territories
    notes = []
    for u in np.flatnonzero(d.locked >= 0):
        uid = str(d.ids[u])
        if uid in message:
            t = int(d.locked[u])
            rep = terr.rep_ids[t]
            notes.append(f"unit {uid} is the home of rep {rep} (territory {terr.ids[t]})")
    return message + (f" ({'; '.join(notes)})" if notes else "")
