"""A rep leaves: hold the territory as a vacancy, or split it among the neighbouring territories.

**Hold** (``mode="hold"``): nothing is redrawn. The territory keeps its units and waits for a hire; its
accounts have no rep (``changes.csv`` lists them to ``(vacant)``) and ``coverage.csv`` names, for each of
them, the nearest rep of a bordering territory to cover it meanwhile (distance from that rep's home). This
is the right call when the vacancy will be filled soon: every move now would be undone by the hire.

**Split** (``mode="split"``): the territory disappears and its units join the territories around it. All of
its revenue changes rep whatever the plan, so the plan minimises what moves beyond it: at stage 0 every other
unit is locked and the leaving rep's units go where they cost the least travel while every territory stays
within its band; only if no such plan exists are the neighbours' units freed, ring by ring
(:mod:`terrkit.scenarios.staged`). The exceptions the leaving rep owned elsewhere go to their unit's rep.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError
from terrkit.geo import haversine_km
from terrkit.realign.least_disruption import anchored_territories
from terrkit.realign.moves import VACANT
from terrkit.scenarios.baseline import TRAVEL_WEIGHT, Baseline
from terrkit.scenarios.books import book_territory, book_totals, event_bands
from terrkit.scenarios.deliver import (
    ScenarioResult,
    comparison,
    moved_figures,
    proposal_of,
    scenario_realignment,
    stage_note,
)
from terrkit.scenarios.problem import event_problem
from terrkit.scenarios.staged import solve_staged

MODES = ("split", "hold")


def rep_leaves(
    base: Baseline,
    rep_id: str,
    *,
    mode: str = "split",
    locks: Mapping[str, str] | None = None,
    travel_weight: float = TRAVEL_WEIGHT,
    time_limit: float = 30.0,
    seed: int = 0,
    shapes: bool = False,
) -> ScenarioResult:
    """Plan for rep ``rep_id`` leaving (see the module docstring).

    Parameters
    ----------
    base : Baseline
        The alignment in force (:func:`terrkit.scenarios.prepare_baseline`).
    rep_id : str
        The rep who leaves.
    mode : {"split", "hold"}
        Split the territory among its neighbours, or hold it as a vacancy.
    locks : mapping {unit id: territory id}, optional
        Units that must end in a territory (never the leaving rep's).
    time_limit : float, default 30
        Seconds for the design engine, over all stages.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r} for a rep who leaves; valid: {', '.join(MODES)}")
    territory = base.territory_of_rep(rep_id)
    if any(str(t) == territory for t in (locks or {}).values()):
        raise ConfigError(f"a lock names territory {territory}, whose rep {rep_id} leaves")
    if mode == "hold":
        return _hold(base, rep_id, territory, shapes)
    return _split(base, rep_id, territory, locks, travel_weight, time_limit, seed, shapes)


def _event_accounts(base: Baseline, rep_id: str, territory: str) -> np.ndarray:
    """The leaving rep's accounts and every account of the territory's units."""
    unit_terr = base.accounts["unit_id"].astype(str).map(base.territory_of_unit())
    return ((base.accounts["owner_rep_id"] == rep_id) | (unit_terr == territory)).to_numpy()


def _split(base, rep_id, territory, locks, travel_weight, time_limit, seed, shapes) -> ScenarioResult:
    remaining = base.alignment[base.alignment["territory_id"] != territory]
    if remaining.empty:
        raise ConfigError(f"territory {territory} is the only one: it cannot be split; hold it as a vacancy")
    territories = anchored_territories(remaining, base.reps)
    owners = base.accounts["owner_rep_id"].where(base.accounts["owner_rep_id"] != rep_id, None)
    own_units = base.alignment.loc[base.alignment["territory_id"] == territory, "unit_id"].astype(str)
    rows = base.unit_ids.get_indexer(own_units)
    stage0 = np.zeros((len(base.unit_ids), territories.k), dtype=bool)
    stage0[rows] = True
    nbr = base.adjacency[rows].tocoo().col
    around = base.territory_of_unit().iloc[nbr].dropna()
    around = sorted(set(around.astype(str)) - {territory})
    ep, _costs = event_problem(
        base, territories, owners=owners, stage0=stage0, core=around, locks=locks, travel_weight=travel_weight
    )
    outcome = solve_staged(ep, time_limit=time_limit, seed=seed)
    proposed = proposal_of(base, territories.ids, outcome.labels)
    plan = scenario_realignment(base, proposed, territories.rep_map(), released=[rep_id], shapes=shapes)
    compare = comparison(base, plan, ep.bands)
    moved = moved_figures(base, plan, own_units, _event_accounts(base, rep_id, territory))
    gained = plan.alignment[plan.alignment["unit_id"].isin(own_units)].groupby("territory_id").size()
    receivers = ", ".join(f"{t} {n}" for t, n in gained.sort_values(ascending=False).items())
    summary = (
        f"Rep {rep_id} leaves and territory {territory} is split: its {len(own_units):,} units go to "
        f"{len(gained)} territories ({receivers}). Beyond them, {moved['units_beyond']:,} units and "
        f"{moved['beyond_share']:.1%} of the other revenue change rep. {stage_note(outcome)}"
    )
    details = {"rep_id": rep_id, "territory_id": territory, "mode": "split", "receivers": gained.to_dict()}
    return ScenarioResult("rep-leaves", summary, plan, compare, moved, outcome, ep.bands, details)


def _hold(base: Baseline, rep_id: str, territory: str, shapes: bool) -> ScenarioResult:
    proposed = base.territory_of_unit().dropna()
    rep_map = (
        base.alignment.drop_duplicates("territory_id")[["territory_id", "rep_id"]]
        .assign(proposal=lambda f: f["territory_id"])
        .reset_index(drop=True)
    )
    rep_map.loc[rep_map["territory_id"] == territory, "rep_id"] = None
    plan = scenario_realignment(base, proposed, rep_map, released=[rep_id], shapes=shapes)
    ids = base.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    before = book_totals(
        book_territory(base.accounts, base.alignment, base.books), base.account_measures, ids
    )
    bands = event_bands(ids, base.account_measures.sum(), base.balance, before)
    own_units = base.alignment.loc[base.alignment["territory_id"] == territory, "unit_id"].astype(str)
    coverage = vacancy_coverage(base, plan, territory)
    moved = moved_figures(base, plan, own_units, _event_accounts(base, rep_id, territory))
    summary = (
        f"Rep {rep_id} leaves and territory {territory} is held as a vacancy: nothing is redrawn; its "
        f"{len(coverage):,} accounts wait for a hire, each covered meanwhile by the nearest rep of a "
        "bordering "
        f"territory ({coverage['covering_rep_id'].nunique()} reps cover them)."
    )
    details = {"rep_id": rep_id, "territory_id": territory, "mode": "hold"}
    return ScenarioResult(
        "rep-leaves", summary, plan, comparison(base, plan, bands), moved, None, bands, details,
        {"coverage.csv": coverage},
    )  # fmt: skip


def vacancy_coverage(base: Baseline, plan, territory: str) -> pd.DataFrame:
    """Each account left without a rep and the nearest rep of a bordering territory to cover it.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``territory_id``, ``covering_rep_id``, ``covering_territory_id``, ``distance_km``
        (from that rep's home) and ``revenue``, largest revenue first.
    """
    vacant = plan.assignments[plan.assignments["new_rep_id"].fillna(VACANT) == VACANT]
    terr = base.territory_of_unit()
    own = np.flatnonzero((terr == territory).to_numpy())
    nbr = terr.iloc[base.adjacency[own].tocoo().col].dropna().astype(str)
    neighbours = sorted(set(nbr) - {territory})
    reps = base.rep_of_territory().reindex(neighbours).dropna()
    if reps.empty:
        reps = base.rep_of_territory().drop(index=territory, errors="ignore").dropna()
    home = base.reps.set_index("rep_id").loc[reps.to_numpy(), ["home_lon", "home_lat"]].to_numpy(dtype=float)
    acc = (
        base.accounts.set_index("account_id").loc[vacant["account_id"], ["lon", "lat"]].to_numpy(dtype=float)
    )
    dist = haversine_km(acc[:, None, 0], acc[:, None, 1], home[None, :, 0], home[None, :, 1])
    dist = np.where(np.isfinite(dist), dist, np.inf)
    best = np.argmin(dist, axis=1) if len(acc) else np.zeros(0, dtype=int)
    out = pd.DataFrame(
        {
            "account_id": vacant["account_id"].to_numpy(),
            "territory_id": vacant["territory_id"].to_numpy(),
            "covering_rep_id": reps.to_numpy()[best],
            "covering_territory_id": reps.index.to_numpy()[best],
            "distance_km": dist[np.arange(len(acc)), best] if len(acc) else [],
            "revenue": vacant["account_id"].map(base.revenue).fillna(0.0).to_numpy(),
        }
    )
    return out.sort_values(["revenue", "account_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
