"""A rep's capacity changes (part-time, a leave, back to full time): rebalance the workload around them.

Every territory's target is proportional to its rep's capacity: with a part-time rep at 60%, the targets are
``total x c_t / sum(c)`` with ``c = 0.6`` for that rep and 1 for the others, so the part-time rep carries 60%
of a full load and the others a little more than before (the engine's unequal targets, ``target_shares`` of
:class:`terrkit.design.Balance`). The rep's territory must end within its new band even if it was
outside its band before: the event is about it. At stage 0 only the rep's territory and its neighbours trade
units
(:mod:`terrkit.scenarios.staged`): it gives units when its capacity drops, takes when it rises.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError
from terrkit.realign.least_disruption import anchored_territories
from terrkit.scenarios.baseline import TRAVEL_WEIGHT, Baseline
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


def capacity_share(base: Baseline, rep_id: str, fraction: float | None, hours: float | None) -> float:
    """The rep's new capacity as a share of today's: ``fraction`` itself, or ``hours`` over the rep's
    ``capacity_hours``."""
    if (fraction is None) == (hours is None):
        raise ConfigError("give the new capacity either as a fraction of today's (0.6) or in hours per year")
    if hours is not None:
        today = base.reps.set_index("rep_id")["capacity_hours"].get(rep_id)
        if today is None or not np.isfinite(today) or today <= 0:
            raise ConfigError(
                f"rep {rep_id} has no capacity_hours to compare {hours:g} hours with; give a fraction"
            )
        fraction = float(hours) / float(today)
    if not np.isfinite(fraction) or not 0 < fraction <= 2:
        raise ConfigError(
            f"capacity share {fraction:g} must be above 0 and at most 2 "
            "(0 is a rep who leaves: use rep-leaves)"
        )
    return float(fraction)


def capacity_change(
    base: Baseline,
    rep_id: str,
    *,
    fraction: float | None = None,
    hours: float | None = None,
    locks: Mapping[str, str] | None = None,
    travel_weight: float = TRAVEL_WEIGHT,
    time_limit: float = 30.0,
    seed: int = 0,
    shapes: bool = False,
) -> ScenarioResult:
    """Plan for rep ``rep_id``'s capacity becoming ``fraction`` of today's (or ``hours`` per year).

    Parameters
    ----------
    base : Baseline
    rep_id : str
    fraction : float, optional
        New capacity as a share of today's (0.6 = three days a week); or give ``hours``.
    hours : float, optional
        New capacity in hours per year (compared with the rep's ``capacity_hours``).
    locks : mapping {unit id: territory id}, optional
    time_limit : float, default 30
        Seconds for the design engine.
    """
    share = capacity_share(base, rep_id, fraction, hours)
    territory = base.territory_of_rep(rep_id)
    territories = anchored_territories(base.alignment, base.reps)
    cols = pd.Index(territories.ids)
    col = cols.get_loc(territory)
    shares = np.ones(territories.k)
    shares[col] = share
    terr = base.territory_of_unit().astype(object)
    members = np.flatnonzero((terr == territory).to_numpy())
    around = sorted(set(terr.iloc[base.adjacency[members].tocoo().col].dropna().astype(str)) - {territory})
    stage0 = np.zeros((len(base.unit_ids), territories.k), dtype=bool)
    if share < 1:
        stage0[np.ix_(members, cols.get_indexer(around))] = True
    else:
        stage0[terr.isin(around).to_numpy(), col] = True
    ep, _costs = event_problem(
        base, territories, shares=shares, stage0=stage0, core=[territory, *around], locks=locks,
        strict=[territory], travel_weight=travel_weight,
    )  # fmt: skip
    outcome = solve_staged(ep, time_limit=time_limit, seed=seed)
    proposed = proposal_of(base, territories.ids, outcome.labels)
    plan = scenario_realignment(base, proposed, territories.rep_map(), shapes=shapes)
    before = terr.dropna()
    changed = proposed.index[(proposed != before.reindex(proposed.index)).to_numpy()]
    touched = changed[
        (before.reindex(changed) == territory).to_numpy() | (proposed[changed] == territory).to_numpy()
    ]
    unit_of = base.accounts["unit_id"].astype(str)
    moved = moved_figures(base, plan, touched, unit_of.isin(pd.Index(touched)).to_numpy())
    compare = comparison(base, plan, ep.bands)
    m = list(base.balance)[0]
    row = compare.loc[territory]
    direction = "gives" if share < 1 else "takes"
    summary = (
        f"Rep {rep_id}'s capacity becomes {share:.0%} of today's: territory {territory}'s target is "
        f"{row[f'{m}_target']:,.0f} {m} (was {row[f'{m}_before']:,.0f}, now {row[f'{m}_after']:,.0f}); it "
        f"{direction} {len(touched):,} units. Beyond them, {moved['units_beyond']:,} units and "
        f"{moved['beyond_share']:.1%} of the other revenue change rep. {stage_note(outcome)}"
    )
    details = {"rep_id": rep_id, "territory_id": territory, "capacity_share": share}
    return ScenarioResult("capacity", summary, plan, compare, moved, outcome, ep.bands, details)
