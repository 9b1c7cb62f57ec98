"""What a realignment changes for each rep: book of business, potential, workload and quota, before and after.

One row per rep, for the conversation a sales manager has with each rep about the new plan:

- **book of business**: the net sales in the review period of the accounts the rep owns (before: today's
  owner; after: the new rep of :func:`terrkit.realign.moves.account_assignments`);
- **potential**: the annual potential of those accounts;
- **workload**: hours per year to cover them, :math:`\\sum_i \\text{call hours}_i + \\text{calls}_i \\cdot
  \\text{travel}_i / 60`, with travel measured from the owner's home before and from the new rep's home
  after (:func:`terrkit.workload.travel_minutes`, the model of the review's workload);
- **quota**: today's annual quota (``reps.csv``) before, the sum of next year's quotas of the rep's proposed
  territories after (:func:`terrkit.realign.quotas.set_quotas`);
- **attainment**: the book's sales over the quota, before and after (the period's share of the annual quota).

Each measure has ``<measure>_before``, ``<measure>_after``, ``<measure>_change`` (after - before) and
``<measure>_change_pct`` (the change in % of before; empty when before is 0). Accounts without a rep form a
``(vacant)`` row, so that book, potential and accounts add up to the same totals before and after.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.realign.moves import VACANT
from terrkit.workload import travel_minutes

__all__ = ["MEASURES", "rep_impact_table"]

#: The measures of the table (column stems, with their units) in display order.
MEASURES = ("sales", "potential_per_year", "workload_hours_per_year", "quota_per_year")


def _territories_of(alignment: pd.DataFrame) -> pd.Series:
    """Territory ids of each rep, joined by ", " (a rep may hold several)."""
    terr = alignment.drop_duplicates("unit_id").dropna(subset=["rep_id", "territory_id"])
    return terr.groupby("rep_id")["territory_id"].agg(lambda ids: ", ".join(sorted(map(str, pd.unique(ids)))))


def _workload(
    accounts: pd.DataFrame, owner: pd.Series, scores: pd.DataFrame, reps: pd.DataFrame, **travel: Any
) -> np.ndarray:
    """Hours per year per account with travel from ``owner``'s home (nearest home when there is none)."""
    minutes = travel_minutes(accounts.assign(owner_rep_id=owner.to_numpy()), reps, **travel)["travel_minutes"]
    calls = scores["calls_per_year"].to_numpy(float)
    return scores["call_hours"].to_numpy(float) + calls * minutes.to_numpy() / 60


def rep_impact_table(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    assignments: pd.DataFrame,
    revenue: pd.Series,
    scores: pd.DataFrame,
    quotas: pd.DataFrame | None,
    current_alignment: pd.DataFrame,
    proposed_alignment: pd.DataFrame,
    year_fraction: float = 1.0,
    **travel: Any,
) -> pd.DataFrame:
    """Book of business, potential, workload and quota of every rep, before and after a realignment.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``owner_rep_id`` (today's owner), ``lat``, ``lon``.
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon`` and optionally ``quota`` (without it the quota columns
        before are empty) and ``name``.
    assignments : pandas.DataFrame
        ``account_id``, ``old_rep_id``, ``new_rep_id`` (:func:`terrkit.realign.moves.account_assignments`).
    revenue : pandas.Series
        Net sales per account in the review period, indexed by ``account_id``.
    scores : pandas.DataFrame
        One row per account, aligned with ``accounts``: ``account_id``, ``potential`` (annual),
        ``call_hours`` and ``calls_per_year`` (:func:`terrkit.review.pipeline.score_accounts_for_review`).
    quotas : pandas.DataFrame or None
        Next year's quota per proposed territory (:func:`terrkit.realign.quotas.set_quotas`); None when
        there is no company number to spread (the quota columns after are then empty).
    current_alignment, proposed_alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id`` today and in the proposal.
    year_fraction : float, default 1
        Share of a year the review period covers (scales the annual quota for attainment).
    **travel
        Passed to :func:`terrkit.workload.travel_minutes`, as when the scores were computed (default: none).

    Returns
    -------
    pandas.DataFrame
        One row per rep of ``reps`` (then ``(vacant)`` when some accounts have no rep): ``rep_id``, ``name``,
        ``territories_before``, ``territories_after``, ``accounts_before``, ``accounts_after``,
        ``accounts_gained``, ``accounts_lost``, for each of :data:`MEASURES` ``_before``, ``_after``,
        ``_change`` and ``_change_pct``, then ``attainment_before`` and ``attainment_after``.
    """
    for name, frame, cols in (
        ("accounts", accounts, ("account_id", "owner_rep_id", "lat", "lon")),
        ("account assignments", assignments, ("account_id", "old_rep_id", "new_rep_id")),
        ("scores", scores, ("account_id", "potential", "call_hours", "calls_per_year")),
        ("reps", reps, ("rep_id", "home_lat", "home_lon")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataValidationError(name, f"missing column(s) {', '.join(missing)}")
    ids = accounts["account_id"].to_numpy()
    for name, frame in (("account assignments", assignments), ("scores", scores)):
        if len(frame) != len(accounts) or not np.array_equal(frame["account_id"].to_numpy(), ids):
            raise DataValidationError(name, "must list the accounts once each, in the order of accounts.csv")
    if quotas is None:  # no company number to spread: quotas after are unknown, not zero
        quotas = pd.DataFrame({"quota": pd.Series(dtype=float)})
    unknown = ~quotas.index.isin(proposed_alignment["territory_id"])
    if unknown.any():
        raise DataValidationError(
            "quotas", "a territory with a quota is not in the proposal", column="territory_id",
            value=quotas.index[unknown][0], more=int(unknown.sum()) - 1,
        )  # fmt: skip

    old = assignments["old_rep_id"]
    new = assignments["new_rep_id"]
    frame = pd.DataFrame({
        "old": old.fillna(VACANT).astype(str).to_numpy(),
        "new": new.fillna(VACANT).astype(str).to_numpy(),
        "sales": assignments["account_id"].map(revenue).fillna(0.0).astype(float).to_numpy(),
        "potential": scores["potential"].fillna(0.0).astype(float).to_numpy(),
        "workload_old": _workload(accounts, old, scores, reps, **travel),
        "workload_new": _workload(accounts, new, scores, reps, **travel),
    })  # fmt: skip
    frame["moved"] = frame["old"] != frame["new"]
    roster = reps["rep_id"].astype(str)
    index = pd.Index(
        pd.unique(pd.concat([roster, frame["old"], frame["new"]], ignore_index=True)), name="rep_id"
    )
    before = frame.groupby("old").agg(
        accounts_before=("sales", "size"), sales_before=("sales", "sum"),
        potential_per_year_before=("potential", "sum"),
        workload_hours_per_year_before=("workload_old", "sum"),
    )  # fmt: skip
    after = frame.groupby("new").agg(
        accounts_after=("sales", "size"), sales_after=("sales", "sum"),
        potential_per_year_after=("potential", "sum"),
        workload_hours_per_year_after=("workload_new", "sum"),
    )  # fmt: skip
    gained = frame[frame["moved"]].groupby("new").size().rename("accounts_gained")
    lost = frame[frame["moved"]].groupby("old").size().rename("accounts_lost")
    territory_rep = proposed_alignment.drop_duplicates("territory_id").set_index("territory_id")["rep_id"]
    rep_of_quota = quotas.index.map(territory_rep).to_series(index=quotas.index).fillna(VACANT).astype(str)
    after_quota = quotas["quota"].astype(float).groupby(rep_of_quota).sum()
    # a vacant territory's quota gets the (vacant) row even when all its accounts keep an exception owner
    index = index.append(after_quota.index.difference(index)).rename("rep_id")
    table = pd.concat([before, after, gained, lost], axis=1).reindex(index).fillna(0.0)
    for col in ("accounts_before", "accounts_after", "accounts_gained", "accounts_lost"):
        table[col] = table[col].astype(int)
    rep = reps.assign(rep_id=roster).set_index("rep_id")
    known_before = "quota" in rep and rep["quota"].notna().any()
    table["quota_per_year_before"] = (
        pd.to_numeric(rep["quota"], errors="coerce").reindex(index).fillna(0.0) if known_before else np.nan
    )
    table["quota_per_year_after"] = after_quota.reindex(index).fillna(0.0) if len(after_quota) else np.nan

    out = pd.DataFrame(index=index)
    out["name"] = rep["name"].reindex(index) if "name" in rep else index.to_series(index=index)
    out.loc[out.index == VACANT, "name"] = "no rep"
    out["territories_before"] = _territories_of(current_alignment).reindex(index).fillna("")
    out["territories_after"] = _territories_of(proposed_alignment).reindex(index).fillna("")
    for col in ("accounts_before", "accounts_after", "accounts_gained", "accounts_lost"):
        out[col] = table[col]
    for measure in MEASURES:
        b, a = table[f"{measure}_before"], table[f"{measure}_after"]
        out[f"{measure}_before"] = b
        out[f"{measure}_after"] = a
        out[f"{measure}_change"] = a - b
        out[f"{measure}_change_pct"] = (a - b) / b.where(b > 0) * 100.0
    for when in ("before", "after"):
        quota = table[f"quota_per_year_{when}"] * float(year_fraction)
        out[f"attainment_{when}"] = table[f"sales_{when}"] / quota.where(quota > 0)
    return out.reset_index()
