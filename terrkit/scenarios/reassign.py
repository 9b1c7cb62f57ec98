"""Accounts are reassigned (a merger, a named account): apply the change, then rebalance the rest.

Each account given to a rep becomes that rep's (a named-account exception when its unit belongs to another
territory) and counts in that rep's territory. The territories that gain or lose its workload may leave
their band; at stage 0 nothing else moves, and only if a band is broken do the units of the territories
around them shift (:mod:`terrkit.scenarios.staged`). A merger hands the acquired accounts to the acquirer's
rep (:func:`merger`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError
from terrkit.realign.least_disruption import anchored_territories
from terrkit.scenarios.baseline import TRAVEL_WEIGHT, Baseline
from terrkit.scenarios.books import rep_territory
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


def merger(base: Baseline, acquired: Sequence[str], acquirer: str) -> dict[str, str]:
    """The reassignment of a merger: every ``acquired`` account goes to the rep who owns ``acquirer``."""
    owner = base.accounts.set_index("account_id")["owner_rep_id"]
    if acquirer not in owner.index:
        raise ConfigError(f"acquirer {acquirer!r} is not an account")
    rep = owner[acquirer]
    if pd.isna(rep):
        raise ConfigError(f"acquirer {acquirer} has no owner to hand the acquired accounts to")
    return {str(a): str(rep) for a in acquired}


def reassign_accounts(
    base: Baseline,
    accounts: Mapping[str, str],
    *,
    locks: Mapping[str, str] | None = None,
    travel_weight: float = TRAVEL_WEIGHT,
    time_limit: float = 30.0,
    seed: int = 0,
    shapes: bool = False,
) -> ScenarioResult:
    """Plan for handing ``accounts`` (account id -> rep id) to their new reps, then rebalancing.

    Parameters
    ----------
    base : Baseline
    accounts : mapping {account id: rep id}
        The new owner of each account (a rep of the roster).
    locks : mapping {unit id: territory id}, optional
    time_limit : float, default 30
        Seconds for the design engine.
    """
    given = pd.Series({str(a): str(r) for a, r in accounts.items()}, dtype=object)
    if given.empty:
        raise ConfigError("give at least one account to reassign, e.g. A0000123=R005")
    ids = base.accounts["account_id"].astype(str)
    unknown = given.index[~given.index.isin(pd.Index(ids))]
    if len(unknown):
        raise ConfigError(f"account {unknown[0]!r} is not an account of the dataset")
    roster = pd.Index(base.reps["rep_id"].astype(str))
    bad = given[~given.isin(roster)]
    if len(bad):
        raise ConfigError(f"rep {bad.iloc[0]!r} (for account {bad.index[0]}) is not in reps.csv")
    carried = ids.isin(given.index).to_numpy()
    owners = base.accounts["owner_rep_id"].astype(object).copy()
    owners[carried] = ids[carried].map(given).to_numpy()
    territories = anchored_territories(base.alignment, base.reps)
    held = rep_territory(base.alignment)
    old_terr = base.accounts.loc[carried, "owner_rep_id"].map(held)
    core = sorted(set(old_terr.dropna().astype(str)) | set(given.map(held).dropna().astype(str)))
    stage0 = np.zeros((len(base.unit_ids), territories.k), dtype=bool)
    ep, _costs = event_problem(
        base, territories, owners=owners, carried=carried, stage0=stage0, core=core, locks=locks,
        travel_weight=travel_weight,
    )  # fmt: skip
    outcome = solve_staged(ep, time_limit=time_limit, seed=seed)
    proposed = proposal_of(base, territories.ids, outcome.labels)
    plan = scenario_realignment(base, proposed, territories.rep_map(), overrides=given, shapes=shapes)
    moved = moved_figures(base, plan, [], carried)
    compare = comparison(base, plan, ep.bands, carried)
    revenue = float(base.revenue.reindex(given.index).fillna(0.0).clip(lower=0).sum())
    summary = (
        f"{len(given):,} account{'s' if len(given) > 1 else ''} ({revenue:,.0f} of revenue) "
        "go to their new reps "
        f"({', '.join(f'{a} to {r}' for a, r in list(given.items())[:3])}{'...' if len(given) > 3 else ''}). "
        f"Beyond them, {moved['units_beyond']:,} units and {moved['beyond_share']:.1%} of the other revenue "
        f"change rep. {stage_note(outcome)}"
    )
    details = {"accounts": given.to_dict(), "territories": core}
    return ScenarioResult("reassign", summary, plan, compare, moved, outcome, ep.bands, details)
