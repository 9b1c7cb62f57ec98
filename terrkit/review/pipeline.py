"""Everything the performance review computes, for one alignment of a dataset.

:func:`review_alignment` is used twice: for the current alignment (the performance review) and
for a proposal (the realignment's ``territory_summary.csv``), so that both are measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from terrkit.review.balance import balance_indices, deviation_from_mean
from terrkit.review.compactness import distance_to_home, polsby_popper, weighted_mean_distance
from terrkit.review.coverage import coverage_checks
from terrkit.review.kpis import (
    account_activity,
    flag_kpis,
    rep_kpis,
    rep_names,
    territory_kpis,
    territory_of_accounts,
)
from terrkit.review.periods import ReviewPeriod
from terrkit.review.plans import GROW_BELOW, TerritoryPlans, territory_plans

#: Measures whose balance across territories is reported (those present in the KPI table).
BALANCE_MEASURES = ("sales", "potential", "workload_hours", "accounts", "customers")


@dataclass
class Review:
    """A performance review of one alignment.

    Attributes
    ----------
    period : ReviewPeriod
    accounts : pandas.DataFrame
        One row per account: territory, territory rep, exception flag, activity in the period,
        ``potential``/``workload``/``segment`` when scores were given, ``distance_km`` to the
        territory rep's home base.
    territories : pandas.DataFrame
        KPIs per territory with flags, ``mean_distance_km``, ``polsby_popper`` and, for each balance
        measure, ``<measure>_deviation`` (relative deviation from the mean territory).
    reps : pandas.DataFrame
        KPIs per rep (accounts grouped by owner) with flags.
    balance : pandas.DataFrame
        Balance indices (rows: measures).
    issues : pandas.DataFrame
        Coverage issues (:func:`terrkit.review.coverage.coverage_checks`).
    plans : TerritoryPlans or None
        Territory plans (when potential is known).
    """

    period: ReviewPeriod
    accounts: pd.DataFrame
    territories: pd.DataFrame
    reps: pd.DataFrame
    balance: pd.DataFrame
    issues: pd.DataFrame
    plans: TerritoryPlans | None


def score_accounts_for_review(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    period: ReviewPeriod,
    seed: int = 0,
    travel_params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Potential (annual), workload (hours per year) and segment per account, as of the period's end.

    Uses :func:`terrkit.workload.score_accounts` (ABC tiers on peer-benchmark potential) with the same
    travel and coverage rule as the sizing notebook: the defaults of :func:`terrkit.workload.travel_minutes`
    unless ``travel_params`` says otherwise (pass the notebook's ``calls_per_trip``, ``overnight_km``,
    ``overnight_cap_minutes``, ``remote_km`` and ``remote_minutes_per_call``), so that sizing, review and
    realignment count the same hours.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``accounts``: ``account_id``, ``segment``, ``potential``, ``workload`` (hours per
        year, travel from the owner's home under the coverage rule), ``call_hours`` (the hours with
        customers alone, which do not depend on who the rep is) and ``calls_per_year``.
    """
    import warnings

    from terrkit.exceptions import DataWarning
    from terrkit.workload import score_accounts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # peer fallbacks: reported by the potential notebook
        scored, _ = score_accounts(
            accounts, sales, reps, as_of=period.end, seed=seed, travel_params=travel_params
        )
    return scored[["account_id", "segment", "potential", "workload", "call_hours", "calls_per_year"]]


def review_alignment(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    alignment: pd.DataFrame,
    period: ReviewPeriod,
    *,
    units: gpd.GeoDataFrame | None = None,
    scores: pd.DataFrame | None = None,
    attainment_flag: float = 0.8,
    workload_flag: float = 1.15,
    top_targets: int = 5,
    grow_below: float = GROW_BELOW,
    coverage: bool = True,
    shapes: bool = True,
) -> Review:
    """Review an alignment: KPIs, flags, balance, compactness, coverage issues and territory plans.

    Parameters
    ----------
    accounts, sales, reps, alignment : pandas.DataFrame
        Dataset tables (:class:`terrkit.io.Dataset`). ``accounts.owner_rep_id`` is the owner whose
        KPIs the rep table shows.
    period : ReviewPeriod
        From :func:`terrkit.review.periods.resolve_period`.
    units : geopandas.GeoDataFrame, optional
        Unit geometry: enables the unit and contiguity checks and Polsby-Popper.
    scores : pandas.DataFrame, optional
        Per account (aligned with ``accounts``): ``potential``, ``workload``, ``segment`` and
        ``calls_per_year`` (:func:`score_accounts_for_review`). Without it, penetration, whitespace,
        workload and plans are left out. The mean distance to the rep's home is weighted by calls per
        year when known (accounts visited often count more), else by workload, else equally.
    attainment_flag, workload_flag : float
        Flag thresholds (:func:`terrkit.review.kpis.flag_kpis`).
    top_targets, grow_below
        Territory plan settings (:func:`terrkit.review.plans.territory_plans`).
    coverage, shapes : bool, default True
        Run the coverage checks / compute Polsby-Popper (both need ``units`` for the geometric parts).
    """
    frame = territory_of_accounts(accounts, alignment)
    activity = account_activity(accounts, sales, period)
    for col in ("sales", "sales_prev", "is_customer", "was_customer", "new_customer", "lost_customer"):
        frame[col] = activity[col]
    for col in ("name", "industry", "employees", "lat", "lon"):
        if col in accounts:
            frame[col] = accounts[col]
    if scores is not None:
        for col in ("potential", "workload", "segment", "calls_per_year"):
            if col in scores:
                frame[col] = scores[col].to_numpy()
    frame["distance_km"] = distance_to_home(frame, reps) if {"lat", "lon"} <= set(frame) else float("nan")

    fraction = period.year_fraction
    terr = territory_kpis(frame, alignment, reps, fraction)
    weight = next((frame[c] for c in ("calls_per_year", "workload") if c in frame), None)
    terr["mean_distance_km"] = weighted_mean_distance(frame["distance_km"], frame["territory_id"], weight)
    if shapes and units is not None:
        first = alignment.drop_duplicates("unit_id").set_index("unit_id")["territory_id"]
        terr["polsby_popper"] = polsby_popper(units, first)
    measures = [m for m in BALANCE_MEASURES if m in terr]
    for m in measures:
        terr[f"{m}_deviation"] = deviation_from_mean(terr[m])
    terr = flag_kpis(terr, attainment_flag, workload_flag)
    rep = flag_kpis(rep_kpis(frame, reps, fraction), attainment_flag, workload_flag)
    issues = (
        coverage_checks(alignment, units=units, accounts=accounts, reps=reps)
        if coverage
        else pd.DataFrame(columns=["kind", "unit_id", "territory_id", "rep_id", "account_id", "detail"])
    )
    plans = None
    if "potential" in frame:
        plan_frame = frame.assign(potential=frame["potential"] * fraction, rep_id=frame["territory_rep_id"])
        if "name" in reps:
            plan_frame["rep_name"] = plan_frame["rep_id"].map(rep_names(reps))
        plans = territory_plans(plan_frame, top=top_targets, grow_below=grow_below)
    return Review(period, frame, terr, rep, balance_indices(terr, measures), issues, plans)
