"""How a realignment plan is measured: balance, travel and disruption, always computed the same way.

- **balance**: the largest relative deviation of a territory from the mean, per measure (and the
  coefficient of variation of the first one);
- **travel**: the weighted mean great-circle distance (km) from each account to its new rep's home
  base (weights: ``account_weight``, e.g. calls per year, so that accounts visited often count more);
- **disruption**: the share of revenue whose rep changes, and the customers who keep their rep.

:func:`evaluate_plan` measures a plan from the accounts, independently of the engine that made it;
:func:`units_for_design` sums account measures per unit; :func:`pareto_front` marks the plans that no
other plan beats on every figure. The plans themselves come from :mod:`terrkit.realign.front`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError
from terrkit.geo import haversine_km
from terrkit.realign.moves import account_assignments, assign_reps, proposal_alignment
from terrkit.review.balance import coefficient_of_variation, max_deviation


def _parse_shares(text: str | Sequence[float], what: str, allow_zero: bool) -> list[float]:
    items = (
        [t for t in str(text).replace(";", ",").split(",") if t.strip()]
        if isinstance(text, str)
        else list(text)
    )
    if not items:
        raise ConfigError(f"give at least one {what}, e.g. '0.05, 0.2, 1'")
    values = []
    for item in items:
        try:
            v = float(item)
        except ValueError:
            raise ConfigError(f"{what} {item!r} is not a number; give shares such as 0.05, 0.2, 1") from None
        lo_ok = v >= 0 if allow_zero else v > 0
        if not (lo_ok and v <= 1) or math.isnan(v):
            raise ConfigError(
                f"{what} {v} must be a share {'between 0' if allow_zero else 'above 0'} and at most 1"
            )
        values.append(v)
    return sorted(set(values))


def min_feasible_tolerance(values: pd.Series, k: int) -> float:
    """Smallest balance tolerance any plan can meet: the largest unit against the mean territory, minus 1.

    A unit cannot be split, so a territory holding the largest unit :math:`x_{max}` deviates at least
    :math:`x_{max} / (\\sum x / k) - 1` from the mean.
    """
    v = np.asarray(values, dtype=float)
    mean = v.sum() / k
    return float(max(0.0, v.max() / mean - 1.0)) if mean > 0 else 0.0


def parse_tolerances(
    text: str | Sequence[float], values: pd.Series | None = None, k: int | None = None
) -> list[float]:
    """Balance tolerances from a comma-separated string, or ``"auto"``.

    ``"auto"`` gives two tolerances: the smallest achievable one (:func:`min_feasible_tolerance`,
    at least 10%) rounded up to 5 points, and that plus 15 points.
    """
    if isinstance(text, str) and text.strip().lower() == "auto":
        if values is None or k is None:
            raise ConfigError(
                "'auto' tolerances need the balance measure per unit and the number of territories"
            )
        low = max(0.10, min_feasible_tolerance(values, k) + 0.01)
        low = math.ceil(low * 20 - 1e-9) / 20
        return [round(low, 2), round(low + 0.15, 2)]
    return _parse_shares(text, "balance tolerance", allow_zero=True)


def units_for_design(
    units: gpd.GeoDataFrame,
    accounts: pd.DataFrame,
    alignment: pd.DataFrame,
    measures: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """One row per unit for the design engine: geometry, current territory and summed account measures.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and geometry (a mixed layer's ``level`` and ``parent_id`` are kept).
    accounts : pandas.DataFrame
        ``unit_id`` per account.
    alignment : pandas.DataFrame
        Current ``unit_id``, ``territory_id``.
    measures : pandas.DataFrame
        Numeric columns aligned with ``accounts`` (e.g. ``sales``, ``potential``, ``workload``);
        units without accounts get 0.
    """
    sums = measures.astype(float).groupby(accounts["unit_id"].astype(str).to_numpy()).sum()
    keep = ["unit_id", *[c for c in ("level", "parent_id") if c in units.columns], "geometry"]
    out = units[keep].copy()
    ids = out["unit_id"].astype(str)
    for col in measures.columns:
        out[col] = ids.map(sums[col]).fillna(0.0).to_numpy()
    out["territory_id"] = ids.map(
        alignment.drop_duplicates("unit_id").set_index(
            alignment.drop_duplicates("unit_id")["unit_id"].astype(str)
        )["territory_id"]
    )
    return out


def evaluate_plan(
    proposed: pd.Series,
    units: pd.DataFrame,
    accounts: pd.DataFrame,
    revenue: pd.Series,
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    balance_col: str = "potential",
    balance_cols: Sequence[str] | None = None,
    account_weight: pd.Series | None = None,
    keep_exceptions: bool = True,
    rep_map: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Balance, travel and disruption of one plan (definitions in the module docstring).

    Parameters
    ----------
    proposed : pandas.Series
        Proposed territory label per unit (by ``unit_id``).
    units : pandas.DataFrame
        ``unit_id`` and the ``balance_cols``.
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id``, ``owner_rep_id``, ``lat``, ``lon``.
    revenue : pandas.Series
        Revenue per account (by ``account_id``).
    balance_col : str, default "potential"
        The measure of ``balance`` and ``cv``.
    balance_cols : sequence of str, optional
        Measures whose balance is reported as ``balance_<measure>`` (default: ``balance_col`` alone);
        the first one gives ``balance`` and ``cv``.
    account_weight : pandas.Series, optional
        Travel weight per account, aligned with ``accounts`` (e.g. calls per year); default 1.
    rep_map : pandas.DataFrame, optional
        The rep of each proposed territory (``proposal``, ``territory_id``, ``rep_id``), e.g. for a
        rep-anchored plan; default: :func:`terrkit.realign.moves.assign_reps` (keep the most revenue).

    Returns
    -------
    dict
        ``balance`` (max deviation of the first measure), ``balance_<measure>`` for each measure, ``cv``,
        ``travel_km``, ``revenue_moved_share``, ``revenue_moved``, ``units_changing_rep``, ``customers``,
        ``customers_kept``, ``territories``.
    """
    rep_map = (
        assign_reps(proposed, accounts, revenue, current_alignment, reps) if rep_map is None else rep_map
    )
    alignment = proposal_alignment(proposed, rep_map)
    asg = account_assignments(accounts, alignment, current_alignment, keep_exceptions)
    by_unit = units.set_index(units["unit_id"].astype(str))
    labels = proposed.copy()
    labels.index = labels.index.astype(str)
    rev = accounts["account_id"].map(revenue).fillna(0.0).to_numpy(dtype=float)
    moved = (asg["old_rep_id"].fillna("") != asg["new_rep_id"].fillna("")).to_numpy()
    home = reps.set_index("rep_id")
    lat = asg["new_rep_id"].map(home["home_lat"]).to_numpy(dtype=float)
    lon = asg["new_rep_id"].map(home["home_lon"]).to_numpy(dtype=float)
    dist = haversine_km(
        accounts["lon"].to_numpy(dtype=float), accounts["lat"].to_numpy(dtype=float), lon, lat
    )
    w = np.ones(len(accounts)) if account_weight is None else np.asarray(account_weight, dtype=float)
    ok = np.isfinite(dist) & np.isfinite(w)
    travel = float(np.sum(w[ok] * dist[ok]) / np.sum(w[ok])) if np.sum(w[ok]) > 0 else float("nan")
    cur = current_alignment.drop_duplicates("unit_id")
    cur = cur.set_index(cur["unit_id"].astype(str))["rep_id"]
    new = alignment.set_index(alignment["unit_id"].astype(str))["rep_id"]
    customer = rev > 0
    out: dict[str, float] = {}
    for j, col in enumerate(list(balance_cols) if balance_cols else [balance_col]):
        totals = by_unit[col].groupby(labels.reindex(by_unit.index)).sum()
        out[f"balance_{col}"] = max_deviation(totals)
        if j == 0:
            out["balance"] = out[f"balance_{col}"]
            out["cv"] = coefficient_of_variation(totals)
    out.update(
        travel_km=travel,
        revenue_moved_share=float(rev[moved].sum() / rev.sum()) if rev.sum() > 0 else 0.0,
        revenue_moved=float(rev[moved].sum()),
        units_changing_rep=int((new.reindex(cur.index).fillna("") != cur.fillna("")).sum()),
        customers=int(customer.sum()),
        customers_kept=int((customer & ~moved).sum()),
        territories=int(proposed.nunique()),
    )
    return out


def pareto_front(
    table: pd.DataFrame, columns: Sequence[str] = ("balance", "travel_km", "revenue_moved_share")
) -> pd.Series:
    """True for the plans no other plan beats on every column (all to be minimised)."""
    vals = table[list(columns)].to_numpy(dtype=float)
    ok = np.all(np.isfinite(vals), axis=1)
    front = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(ok):
        others = vals[ok]
        dominated = np.any(np.all(others <= vals[i], axis=1) & np.any(others < vals[i], axis=1))
        front[i] = not dominated
    return pd.Series(front, index=table.index, name="on_front")
