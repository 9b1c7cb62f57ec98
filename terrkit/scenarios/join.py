"""A rep joins: carve a territory around the new rep's home out of the neighbouring territories.

The new territory is built around the home (the unit holding it is locked to it), and every territory's
target shrinks to ``total / (k + 1)``. At stage 0 only the territories around the home give units, and only
to the new territory (:mod:`terrkit.scenarios.staged`); the other units move only if a band cannot
otherwise be met. The first plan starts from today's alignment; if it does not meet every band, a second
starts from the new territory grown around its home (:func:`grown_territory`).

All the revenue the new territory takes changes rep whatever the plan, so the engine spreads the take:
after the first plan, the revenue of the rep who gave the most is priced higher and the plan is made again,
for ``rounds`` rounds, and the plan that takes the least revenue from any one rep is kept (ties: the least
revenue in all).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from terrkit.design.heuristic.budget import default_work
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.io.schema import DEFAULT_CAPACITY_HOURS
from terrkit.realign.least_disruption import anchored_territories, home_units
from terrkit.scenarios.baseline import TRAVEL_WEIGHT, Baseline
from terrkit.scenarios.deliver import (
    ScenarioResult,
    comparison,
    moved_figures,
    proposal_of,
    scenario_realignment,
    stage_note,
)
from terrkit.scenarios.problem import event_problem, lock_columns
from terrkit.scenarios.staged import StagedOutcome, solve_staged

#: Re-plans that price the revenue of the most-giving rep higher (0 = the least total revenue only).
ROUNDS = 2

#: Share of the work left that the first plan may use, from today's alignment (quick when it works)...
FIRST_SHARE = 0.35

#: ...and the second, from the new territory grown around its home; the re-plans share what they leave.
GROWN_SHARE = 0.8


def home_point(home: tuple[float, float] | None, home_zip: str | None) -> tuple[float, float]:
    """``(lon, lat)`` of a home given as a point or a ZIP code of the bundled list."""
    if home is not None:
        lon, lat = (float(v) for v in home)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ConfigError(f"home {home!r} is not a (lon, lat) point in degrees")
        return lon, lat
    if not home_zip:
        raise ConfigError("give the new rep's home as a (lon, lat) point or a ZIP code")
    from terrkit.datasets.bundled import load_zip_points

    zips = load_zip_points().drop_duplicates("zip").set_index("zip")
    key = str(home_zip).strip().zfill(5)
    if key not in zips.index:
        raise DataValidationError("home ZIP", "is not a known ZIP code of the bundled list", value=home_zip)
    return float(zips.at[key, "lon"]), float(zips.at[key, "lat"])


def next_territory_id(ids: list[str]) -> str:
    """The id after the last one when ids share a prefix and digits (``T49`` -> ``T50``), else ``NEW1``."""
    parts = [re.fullmatch(r"(\D*)(\d+)", str(t)) for t in ids]
    if parts and all(parts) and len({p.group(1) for p in parts}) == 1:
        width = max(len(p.group(2)) for p in parts)
        return f"{parts[0].group(1)}{max(int(p.group(2)) for p in parts) + 1:0{width}d}"
    n = 1
    while f"NEW{n}" in ids:
        n += 1
    return f"NEW{n}"


def rep_joins(
    base: Baseline,
    home: tuple[float, float] | None = None,
    *,
    home_zip: str | None = None,
    rep_id: str = "NEW",
    name: str | None = None,
    territory_id: str | None = None,
    capacity_hours: float | None = None,
    locks: Mapping[str, str] | None = None,
    rounds: int = ROUNDS,
    travel_weight: float = TRAVEL_WEIGHT,
    time_limit: float = 30.0,
    seed: int = 0,
    shapes: bool = False,
) -> ScenarioResult:
    """Plan for a new rep joining at ``home`` (see the module docstring).

    Parameters
    ----------
    base : Baseline
    home : (lon, lat), optional
        The new rep's home; or give ``home_zip``.
    rep_id, name : str
        The new rep (a rep of ``reps.csv`` without a territory may be named; their home is then the default).
    territory_id : str, optional
        Id of the new territory (default the next id, e.g. ``T50``).
    capacity_hours : float, optional
        The new rep's capacity (default the roster's default).
    locks : mapping {unit id: territory id}, optional
    rounds : int, default 2
        Re-plans that spread the take over the reps (see the module docstring), made while time is left
        and only when the first plan meets every band.
    time_limit : float, default 30
        Seconds for the design engine over all rounds.
    """
    held = base.alignment["rep_id"].dropna().astype(str)
    if str(rep_id) in set(held):
        raise ConfigError(f"rep {rep_id} already holds a territory; give the joining rep a new id")
    roster = base.reps
    known = roster[roster["rep_id"].astype(str) == str(rep_id)]
    if (
        home is None
        and home_zip is None
        and len(known)
        and known[["home_lon", "home_lat"]].notna().all(axis=1).any()
    ):
        home = (float(known["home_lon"].iloc[0]), float(known["home_lat"].iloc[0]))
    lon, lat = home_point(home, home_zip)
    ids = base.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    new_id = str(territory_id) if territory_id else next_territory_id(ids)
    if new_id in ids:
        raise ConfigError(f"territory {new_id} already exists; give the new territory another id")
    newcomer = {
        "rep_id": rep_id, "name": name or str(rep_id), "home_zip": home_zip, "home_lat": lat, "home_lon": lon,
        "capacity_hours": DEFAULT_CAPACITY_HOURS if capacity_hours is None else float(capacity_hours),
        "quota": np.nan,
    }  # fmt: skip
    roster = pd.concat(
        [roster[roster["rep_id"].astype(str) != str(rep_id)], pd.DataFrame([newcomer])], ignore_index=True
    )
    territories = anchored_territories(base.alignment, roster, vacancies={new_id: (lon, lat)})
    territories.rep_ids[-1] = rep_id
    new_col = territories.k - 1

    seed_row = _seed_unit(base, territories, (lon, lat), lock_columns(base, territories, locks))
    around = _territories_around(base, seed_row)
    terr = base.territory_of_unit().astype(object)
    stage0 = np.zeros((len(base.unit_ids), territories.k), dtype=bool)
    stage0[terr.isin(around).to_numpy(), new_col] = True
    seed_lock = {str(base.unit_ids[seed_row]): new_id}
    ep, costs = event_problem(
        base, territories, reps=roster, stage0=stage0, core=[new_id, *around],
        locks={**(locks or {}), **seed_lock},
        free_columns=[new_id], travel_weight=travel_weight,
    )  # fmt: skip
    base_cost = ep.cost[:, new_col].copy()
    revenue_in = costs.moved_revenue[:, new_col]
    deadline = time.perf_counter() + time_limit
    work_left = default_work(time_limit)  # the search is counted in work: the same plan on any machine
    outcome, best_key = None, None
    # the first plan: from today's alignment, else from the new territory grown around its home
    for start in (None, grown_territory(ep, new_col, stage0[:, new_col])):
        ep.start = start
        share = FIRST_SHARE if start is None else GROWN_SHARE
        safety = max(deadline - time.perf_counter(), 1.0)
        tried = solve_staged(ep, time_limit=safety, work=share * work_left, seed=seed)
        work_left -= tried.work_used
        key = _key(tried, ep, revenue_in, new_col, territories.k)
        if best_key is None or key < best_key:
            outcome, best_key, chosen = tried, key, start
        if tried.meets_target:
            break
    ep.start = chosen
    price = np.zeros(territories.k)
    for _ in range(max(rounds, 0) if outcome.meets_target else 0):
        take = _take(outcome, ep.current, revenue_in, new_col, territories.k)
        if (
            work_left < default_work(2.0)
            or time.perf_counter() > deadline - 1.0
            or take.sum() <= 0
            or ((take > 0).sum() < 2 and not _more_donors(ep, new_col))
        ):
            break
        price = price + take / take[take > 0].mean()  # the more a rep gave, the dearer their revenue
        ep.cost[:, new_col] = base_cost + revenue_in * price[np.clip(ep.current, 0, None)] * (ep.current >= 0)
        tried = solve_staged(
            ep, time_limit=max(deadline - time.perf_counter(), 1.0), work=work_left, seed=seed
        )
        work_left -= tried.work_used
        key = _key(tried, ep, revenue_in, new_col, territories.k)
        if key < best_key:
            outcome, best_key = tried, key
    ep.cost[:, new_col] = base_cost
    proposed = proposal_of(base, territories.ids, outcome.labels)
    plan = scenario_realignment(base, proposed, territories.rep_map(), reps=roster, shapes=shapes)
    carved = proposed.index[(proposed == new_id).to_numpy()]
    unit_terr = base.accounts["unit_id"].astype(str)
    event_accounts = unit_terr.isin(pd.Index(carved)).to_numpy()
    moved = moved_figures(base, plan, carved, event_accounts)
    take = _take(outcome, ep.current, revenue_in, new_col, territories.k)
    donors = pd.Series(take, index=pd.Index(territories.ids))
    donors = donors[donors > 0].sort_values(ascending=False)
    givers = ", ".join(f"{t} {v:,.0f}" for t, v in donors.head(5).items())
    summary = (
        f"Rep {rep_id} joins with territory {new_id} around ({lon:.3f}, {lat:.3f}): it takes "
        f"{len(carved):,} units and {moved['event_revenue']:,.0f} of revenue from {len(donors)} territories "
        f"({givers}); the most any one rep gives is {donors.max() if len(donors) else 0:,.0f}. Beyond them, "
        f"{moved['units_beyond']:,} units and {moved['beyond_share']:.1%} of the other revenue change rep. "
        f"{stage_note(outcome)}"
    )
    details = {
        "rep_id": rep_id, "territory_id": new_id, "home": [lon, lat], "donors": donors.to_dict(),
        "max_take": float(donors.max()) if len(donors) else 0.0,
    }  # fmt: skip
    compare = comparison(base, plan, ep.bands)
    return ScenarioResult("rep-joins", summary, plan, compare, moved, outcome, ep.bands, details)


def grown_territory(ep, col: int, candidates: np.ndarray) -> np.ndarray:
    """A starting plan in which territory ``col`` has grown from its locked units to its target.

    Units are added one at a time, always the cheapest (``ep.cost``) of the candidates bordering it, until
    every balanced measure reaches the target; a unit that would take the territory above its band, or its
    territory below its own, is passed over. It is only where the engine starts from: growing a territory
    from one unit takes it many rounds of border shifting.
    """
    import heapq

    labels = np.where(ep.locks >= 0, ep.locks, ep.current)
    inside = labels == col
    have = ep.offset[col] + ep.measures[inside].sum(axis=0)
    adj = ep.adjacency
    heap: list[tuple[float, int]] = []
    seen = inside.copy()

    def push(units: np.ndarray) -> None:
        for j in units:
            if not seen[j] and candidates[j] and ep.locks[j] < 0:
                seen[j] = True
                heapq.heappush(heap, (float(ep.cost[j, col]), int(j)))

    for i in np.flatnonzero(inside):
        push(adj.indices[adj.indptr[i] : adj.indptr[i + 1]])
    while heap and (have < ep.bands.target[col]).any():
        _, j = heapq.heappop(heap)
        if (have + ep.measures[j] > ep.bands.upper[col]).any():
            continue  # too big to take now: the territory would leave its band
        donor = labels[j]
        if donor >= 0:
            left = ep.offset[donor] + ep.measures[labels == donor].sum(axis=0) - ep.measures[j]
            if (left < ep.bands.lower[donor]).any():
                continue  # the giving territory would fall below its band
        labels[j] = col
        have = have + ep.measures[j]
        push(adj.indices[adj.indptr[j] : adj.indptr[j + 1]])
    return labels


def _seed_unit(base: Baseline, territories, home: tuple[float, float], locked: np.ndarray) -> int:
    """Row of the unit the new territory starts from: the one holding the home, else (when that is another
    rep's home unit, or the home is outside every unit) the nearest unit no lock holds."""
    found = home_units(base.units, territories)
    new_id = territories.ids[-1]
    if new_id in found:
        return int(base.unit_ids.get_loc(found[new_id]))
    from terrkit.geo import haversine_km

    points = base.units.geometry.representative_point()
    dist = haversine_km(points.x.to_numpy(), points.y.to_numpy(), home[0], home[1])
    return int(np.argmin(np.where(locked >= 0, np.inf, dist)))


def _territories_around(base: Baseline, unit: int) -> list[str]:
    """The territory holding ``unit`` and the territories bordering it."""
    terr = base.territory_of_unit()
    home_terr = terr.iloc[unit]
    members = np.flatnonzero((terr == home_terr).to_numpy())
    nbr = terr.iloc[base.adjacency[members].tocoo().col].dropna().astype(str)
    return sorted(set(nbr) | {str(home_terr)})


def _take(
    outcome: StagedOutcome, current: np.ndarray, revenue: np.ndarray, new_col: int, k: int
) -> np.ndarray:
    """``(k,)`` revenue each territory gives to the new one."""
    gone = (outcome.labels == new_col) & (current >= 0)
    return np.bincount(current[gone], weights=revenue[gone], minlength=k)


def _key(outcome: StagedOutcome, ep, revenue_in: np.ndarray, new_col: int, k: int) -> tuple:
    """Rank of a plan: within every band first, then the least revenue from any one rep, then in all."""
    take = _take(outcome, ep.current, revenue_in, new_col, k)
    return (not outcome.meets_target, float(take.max(initial=0.0)), float(take.sum()))


def _more_donors(ep, new_col: int) -> bool:
    """Whether more than one territory may give units to the new one at stage 0."""
    can = ep.stage0[:, new_col] & (ep.current >= 0)
    return len(np.unique(ep.current[can])) > 1
