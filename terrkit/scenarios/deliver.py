"""An event's plan as a realignment: the same change files, a before/after comparison and what moved.

The files are those of :func:`terrkit.realign.write_realignment` (``alignment.csv``,
``account_assignments.csv``, ``changes.csv``, ``territory_summary.csv``, ``rep_movement.csv``, checked the
same way), plus ``scenario_comparison.csv`` (every territory before and after, against its band),
``scenario.json`` (what happened and what moved) and the event's own tables (e.g. ``coverage.csv`` for a
vacancy).

The accounts follow their unit's new rep, and named-account exceptions keep their owner
(:func:`terrkit.realign.moves.account_assignments`), with two event rules on top: an exception owned by a rep
who leaves goes to its unit's new rep, and a reassigned account goes to the rep it is given to.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.io import write_csv, write_json
from terrkit.realign.deliverables import Realignment, review_proposal, write_realignment
from terrkit.realign.moves import (
    VACANT,
    account_assignments,
    change_list,
    movement_summary,
    proposal_alignment,
    rep_movement,
)
from terrkit.scenarios.baseline import MEASURES, Baseline
from terrkit.scenarios.books import Bands, book_territory, book_totals
from terrkit.scenarios.staged import StagedOutcome


def scenario_realignment(
    base: Baseline,
    proposed: pd.Series,
    rep_map: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    released: Collection[str] = (),
    overrides: pd.Series | None = None,
    shapes: bool = False,
) -> Realignment:
    """The plan of an event as a :class:`~terrkit.realign.Realignment` (see the module docstring).

    Parameters
    ----------
    proposed : pandas.Series
        Territory per unit id (every unit of the alignment in force).
    rep_map : pandas.DataFrame
        ``proposal``, ``territory_id``, ``rep_id`` of each territory (None for a vacancy).
    reps : pandas.DataFrame, optional
        The roster (default ``base.reps``; with a joining rep added).
    released : collection of str
        Reps who leave: the exceptions they owned go to their unit's new rep.
    overrides : pandas.Series, optional
        New rep per account id (reassigned accounts).
    shapes : bool, default False
        Compute the territories' Polsby-Popper compactness for ``territory_summary.csv`` (slower).
    """
    roster = base.reps if reps is None else reps
    alignment = proposal_alignment(proposed, rep_map)
    levels = base.units[["unit_id", "level", "parent_id"]].astype({"unit_id": str})
    alignment = alignment.astype({"unit_id": str}).merge(levels, on="unit_id", how="left")
    alignment = with_parents(base, alignment[["unit_id", "level", "parent_id", "territory_id", "rep_id"]])
    assignments = account_assignments(base.accounts, alignment, base.alignment, keep_exceptions=True)
    unit_new_rep = base.accounts["unit_id"].astype(str).map(alignment.set_index("unit_id")["rep_id"])
    gone = assignments["new_rep_id"].isin(pd.Index(list(released))).to_numpy()
    assignments.loc[gone, "new_rep_id"] = unit_new_rep[gone].to_numpy()
    if overrides is not None and len(overrides):
        given = assignments["account_id"].map(overrides)
        assignments["new_rep_id"] = given.where(given.notna(), assignments["new_rep_id"])
    revenue = base.revenue
    changes = change_list(assignments, revenue)
    movement = rep_movement(assignments, revenue, roster)
    summary = movement_summary(base.alignment, alignment, assignments, revenue)
    review, table = review_proposal(
        base.accounts, base.dataset.sales, roster, alignment, assignments, changes, base.period,
        units=base.units, scores=base.scores, shapes=shapes,
    )  # fmt: skip
    return Realignment(
        alignment, rep_map, assignments, changes, movement, summary, review, table.reset_index()
    )


def with_parents(base: Baseline, alignment: pd.DataFrame) -> pd.DataFrame:
    """The proposal with the parent columns of the alignment in force, right after ``territory_id``.

    Territories keep their parents; a new territory takes the parents of the territory most of its units
    come from.
    """
    from terrkit.hierarchy.tree import Hierarchy

    tree = Hierarchy.from_alignment(base.alignment)
    if tree is None:
        return alignment
    parents = tree.tree.set_index("territory_id")
    cols = list(parents.columns)
    out = alignment.join(parents, on="territory_id")
    new = out[cols[0]].isna()
    if new.any():
        before = base.territory_of_unit().reindex(out.loc[new, "unit_id"].to_numpy())
        origin = before.groupby(out.loc[new, "territory_id"].to_numpy()).agg(
            lambda v: v.value_counts().index[0] if v.notna().any() else None
        )
        for col in cols:
            out.loc[new, col] = out.loc[new, "territory_id"].map(origin.map(parents[col])).to_numpy()
    # the level columns right after territory_id, top first, as in the realignment's alignment.csv
    first = list(alignment.columns)
    at = first.index("territory_id") + 1
    return out[first[:at] + cols + first[at:]]


def proposal_of(base: Baseline, territory_ids: list[str], labels: np.ndarray) -> pd.Series:
    """Territory id per unit of a plan given as columns (units left without a territory are left out)."""
    ids = np.asarray(territory_ids, dtype=object)
    placed = np.asarray(labels) >= 0
    return pd.Series(ids[np.asarray(labels)[placed]], index=base.unit_ids[placed], name="territory_id")


def stage_note(outcome: StagedOutcome) -> str:
    """How far the plan had to reach, in one sentence."""
    if not outcome.meets_target:
        return f"No plan keeps every territory within its band: {outcome.message[:400]}."
    if outcome.stage == 0:
        return "Only the event's own moves were needed to keep every territory within its band."
    rings = "ring" if outcome.stage == 1 else "rings"
    return (
        f"Keeping every territory within its band needed the units of {outcome.stage} {rings} of territories "
        f"around the event, or around territories the event left outside their band, to shift too "
        f"({len(outcome.territories)} territories took part)."
    )


def book_after(base: Baseline, plan: Realignment, carried: np.ndarray | None = None) -> pd.Series:
    """Territory whose book each account is in after the plan (:mod:`terrkit.scenarios.books`)."""
    credited = base.accounts.assign(owner_rep_id=plan.assignments["new_rep_id"].to_numpy())
    return book_territory(credited, plan.alignment, base.books, carried)


def comparison(
    base: Baseline, plan: Realignment, bands: Bands | None, carried: np.ndarray | None = None
) -> pd.DataFrame:
    """Every territory before and after the event: rep, units, books, and each balanced measure against
    its target and band.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``territory_id`` (those in force and those after): ``rep_before``, ``rep_after``,
        ``units_before``, ``units_after``, ``<measure>_before``, ``<measure>_after`` for every measure,
        and for each balanced measure ``<measure>_target``, ``_lower``, ``_upper``, ``_deviation`` (after,
        from the target), ``_held`` (band widened to hold today's book); ``within`` (every balanced
        measure inside its band after the event).
    """
    before_ids = base.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    after_ids = plan.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    ids = before_ids + [t for t in after_ids if t not in before_ids]
    measures = base.account_measures[list(MEASURES)]
    before = book_totals(book_territory(base.accounts, base.alignment, base.books), measures, ids)
    after = book_totals(book_after(base, plan, carried).to_numpy(), measures, ids)
    out = pd.DataFrame(index=pd.Index(ids, name="territory_id"))
    out["rep_before"] = base.rep_of_territory().reindex(ids).to_numpy()
    out["rep_after"] = (
        plan.alignment.drop_duplicates("territory_id").set_index("territory_id")["rep_id"].reindex(ids)
    )
    out["units_before"] = base.alignment.groupby("territory_id").size().reindex(ids).fillna(0).astype(int)
    out["units_after"] = plan.alignment.groupby("territory_id").size().reindex(ids).fillna(0).astype(int)
    for m in MEASURES:
        out[f"{m}_before"] = before[m].to_numpy()
        out[f"{m}_after"] = after[m].to_numpy()
    if bands is not None:
        frame = bands.frame().reindex(ids)
        for m in bands.measures:
            for part in ("target", "lower", "upper", "held"):
                out[f"{m}_{part}"] = frame[f"{m}_{part}"]
            out[f"{m}_deviation"] = out[f"{m}_after"] / out[f"{m}_target"] - 1
        eps = 1e-9
        inside = [
            (out[f"{m}_after"] >= out[f"{m}_lower"] * (1 - eps))
            & (out[f"{m}_after"] <= out[f"{m}_upper"] * (1 + eps))
            for m in bands.measures
        ]
        out["within"] = np.logical_and.reduce(inside) | out["rep_after"].isna() & (out["units_after"] == 0)
    return out


def moved_figures(
    base: Baseline, plan: Realignment, event_units: Collection[str], event_accounts: np.ndarray
) -> dict[str, float]:
    """What moved, split between the event's own units and accounts and the rest.

    Parameters
    ----------
    event_units : collection of str
        Units the event itself moves (the leaving rep's units, the units a new territory takes...).
    event_accounts : numpy.ndarray
        ``(accounts,)`` True for the accounts the event itself moves (those of the event's units, a leaving
        rep's exceptions, reassigned accounts).

    Returns
    -------
    dict
        ``units_changing_rep``, ``event_units``, ``units_beyond`` (units that change rep outside the event's),
        ``revenue_changing_rep``, ``event_revenue``, ``revenue_beyond``, ``other_revenue`` (revenue of the
        accounts outside the event), ``beyond_share`` (``revenue_beyond / other_revenue``) and
        ``accounts_beyond``.
    """
    before = base.alignment.drop_duplicates("unit_id").set_index("unit_id")["rep_id"]
    after = plan.alignment.set_index("unit_id")["rep_id"]
    both = after.index.intersection(before.index)
    changed = both[(before[both].fillna(VACANT) != after[both].fillna(VACANT)).to_numpy()]
    own = pd.Index([str(u) for u in event_units])
    rev = base.accounts["account_id"].map(base.revenue).fillna(0.0).clip(lower=0.0).to_numpy()
    moved = (
        plan.assignments["old_rep_id"].fillna(VACANT) != plan.assignments["new_rep_id"].fillna(VACANT)
    ).to_numpy()
    event = np.asarray(event_accounts, dtype=bool)
    other = float(rev[~event].sum())
    beyond = float(rev[moved & ~event].sum())
    return {
        "units_changing_rep": int(len(changed)),
        "event_units": int(changed.isin(own).sum()),
        "units_beyond": int((~changed.isin(own)).sum()),
        "revenue_changing_rep": float(rev[moved].sum()),
        "event_revenue": float(rev[moved & event].sum()),
        "revenue_beyond": beyond,
        "accounts_beyond": int((moved & ~event).sum()),
        "other_revenue": other,
        "beyond_share": beyond / other if other > 0 else 0.0,
    }


@dataclass
class ScenarioResult:
    """One event's plan, its change list, the comparison and what moved.

    Attributes
    ----------
    event : str
        ``rep-leaves``, ``rep-joins``, ``capacity`` or ``reassign``.
    summary : str
        What happened, in one paragraph.
    plan : terrkit.realign.Realignment
        The deliverables (``plan.changes`` is the change list).
    comparison : pandas.DataFrame
        :func:`comparison` (``scenario_comparison.csv``).
    moved : dict
        :func:`moved_figures`.
    outcome : StagedOutcome or None
        The engine's stages (None when nothing was designed, e.g. a vacancy held).
    bands : Bands or None
    details : dict
        Event figures (rep, mode, capacity...).
    extra : dict
        File name -> further table of the event (e.g. ``coverage.csv``).
    """

    event: str
    summary: str
    plan: Realignment
    comparison: pd.DataFrame
    moved: dict[str, float]
    outcome: StagedOutcome | None = None
    bands: Bands | None = None
    details: dict = field(default_factory=dict)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def changes(self) -> pd.DataFrame:
        """Accounts whose rep changes (``changes.csv``)."""
        return self.plan.changes

    @property
    def meets_target(self) -> bool:
        """Every territory within its band after the event (measured from the accounts)."""
        return bool(self.comparison["within"].all()) if "within" in self.comparison else True

    def record(self) -> dict:
        """``scenario.json``: the event, its figures, the stages tried and what moved."""
        out = self.outcome
        worst = {}
        if self.bands is not None:
            for m in self.bands.measures:
                worst[m] = float(self.comparison[f"{m}_deviation"].abs().max())
        return {
            "event": self.event,
            "summary": self.summary,
            "details": self.details,
            "status": "held" if out is None else out.status,
            "stage": None if out is None else out.stage,
            "territories_involved": [] if out is None else out.territories,
            "stages_tried": [] if out is None else out.tried,
            "seconds": 0.0 if out is None else round(out.seconds, 2),
            "method": "" if out is None else out.method,
            "tolerance": {} if self.bands is None else self.bands.tolerance,
            "max_deviation": worst,
            "every_territory_within_band": self.meets_target,
            "moved": self.moved,
        }


def write_scenario(result: ScenarioResult, folder: str | os.PathLike, base: Baseline) -> dict[str, Path]:
    """Write the event's deliverables into ``folder`` (see the module docstring); returns name -> path."""
    paths = write_realignment(result.plan, folder, base.units["unit_id"].astype(str))
    folder = Path(folder)
    paths["scenario_comparison.csv"] = write_csv(
        result.comparison.reset_index(), folder / "scenario_comparison.csv"
    )
    for name, table in result.extra.items():
        paths[name] = write_csv(table, folder / name)
    paths["scenario.json"] = write_json(result.record(), folder / "scenario.json")
    return paths
