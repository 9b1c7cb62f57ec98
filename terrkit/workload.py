"""Workload per account, sales-force sizing, rep load and the marginal view.

Workload model (hours per year)::

    workload_i = calls_i * (minutes_per_call_i + travel_minutes_i) / 60

``calls`` and ``minutes_per_call`` come from the coverage model of the account's segment
(:mod:`terrkit.coverage`). Travel is a round trip from the owner rep's home base per call:

    travel_minutes_i = 2 * d_i * circuity / speed_kmh * 60 / calls_per_trip

with :math:`d_i` the straight-line (great-circle) distance in km, ``circuity`` = 1.3 (roads
are about 30% longer than the straight line; a common rule of thumb for US road networks)
and ``speed_kmh`` = 60 (mixed urban and highway driving). Alternatively travel minutes come
from a user cost matrix (rep x unit or rep x account, one way). Treating each call as its own
round trip overstates travel for reps who chain calls; ``calls_per_trip`` (default 4: a field
day chains about four visits) shares one round trip among several calls.

Sizing: recommended headcount :math:`= \\lceil \\sum_i workload_i / capacity \\rceil`.

Marginal view: potential captured by :math:`x` calls per year on an account of segment
:math:`s` follows the concave response :math:`P (1 - e^{-x / c_s})`, so each added call earns
less than the previous one; :func:`marginal_view` and :func:`headcount_curve` show where an
added call or rep earns the most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from terrkit.coverage import CoverageModel, load_coverage
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.geo import haversine_km

#: Ratio of road distance to straight-line distance (documented default).
CIRCUITY = 1.3
#: Average driving speed in km/h (documented default).
SPEED_KMH = 60.0


# ---------------------------------------------------------------------------------------- travel


def nearest_home(accounts: pd.DataFrame, reps: pd.DataFrame) -> np.ndarray:
    """Position in ``reps`` of the rep whose home is nearest each account (great-circle distance)."""
    lon = accounts["lon"].to_numpy(dtype=float)[:, None]
    lat = accounts["lat"].to_numpy(dtype=float)[:, None]
    home_lon = reps["home_lon"].to_numpy(dtype=float)[None, :]
    home_lat = reps["home_lat"].to_numpy(dtype=float)[None, :]
    return np.argmin(haversine_km(lon, lat, home_lon, home_lat), axis=1).astype(np.intp)


def travel_minutes(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    circuity: float = CIRCUITY,
    speed_kmh: float = SPEED_KMH,
    round_trip: bool = True,
    cost_matrix: pd.DataFrame | None = None,
    calls_per_trip: float = 4.0,
) -> pd.DataFrame:
    """Travel time per call from the owner rep's home base.

    .. math:: t_i = \\frac{2 \\cdot d_i \\cdot \\text{circuity}}{\\text{speed}} \\cdot 60 / k

    minutes, with :math:`d_i` the great-circle km from the owner rep's home to the account
    and :math:`k` = ``calls_per_trip`` (1 = every call is its own round trip). An account without
    an owner (empty ``owner_rep_id``) is measured from the nearest rep's home, the rep who would
    most likely be sent.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``owner_rep_id`` and ``lat``, ``lon`` (or ``unit_id``/``account_id`` for a cost matrix).
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon``.
    circuity : float, default 1.3
        Road distance / straight-line distance.
    speed_kmh : float, default 60
        Average speed.
    round_trip : bool, default True
        Count the way back (x 2).
    cost_matrix : pandas.DataFrame, optional
        One-way travel minutes, long form with ``rep_id``, ``minutes`` and ``unit_id`` or
        ``account_id``; replaces the distance model.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``accounts``: ``travel_km`` (one way, road km; NaN with a cost matrix) and
        ``travel_minutes`` (per call, round trip when ``round_trip``).
    """
    if circuity < 1 or speed_kmh <= 0 or calls_per_trip < 1:
        raise ConfigError(
            f"circuity must be >= 1, speed_kmh > 0 and calls_per_trip >= 1; got {circuity}, {speed_kmh}, "
            f"{calls_per_trip}"
        )
    for c in ("owner_rep_id",):
        if c not in accounts.columns:
            raise DataValidationError("accounts", f"missing column {c!r}")
    unowned = accounts["owner_rep_id"].isna().to_numpy()
    owner = accounts["owner_rep_id"].astype(str)
    rep_index = pd.Index(reps["rep_id"].astype(str))
    rpos = rep_index.get_indexer(owner)
    if unowned.any() and cost_matrix is None:
        rpos[unowned] = nearest_home(accounts.loc[unowned], reps)
        owner = owner.where(~unowned, pd.Series(rep_index[rpos], index=owner.index))
    if (rpos < 0).any():
        bad = np.flatnonzero(rpos < 0)
        raise DataValidationError(
            "accounts", "owner rep not in reps", column="owner_rep_id", row=int(bad[0]),
            value=accounts["owner_rep_id"].iloc[int(bad[0])], more=len(bad) - 1,
        )  # fmt: skip
    factor = (2.0 if round_trip else 1.0) / float(calls_per_trip)
    out = pd.DataFrame(index=accounts.index)
    if cost_matrix is None:
        d = haversine_km(
            accounts["lon"].to_numpy(dtype=float),
            accounts["lat"].to_numpy(dtype=float),
            reps["home_lon"].to_numpy(dtype=float)[rpos],
            reps["home_lat"].to_numpy(dtype=float)[rpos],
        )
        road = d * circuity
        out["travel_km"] = road
        out["travel_minutes"] = factor * road / speed_kmh * 60.0
        return out
    key = "account_id" if "account_id" in cost_matrix.columns else "unit_id"
    need = ["rep_id", key, "minutes"]
    if any(c not in cost_matrix.columns for c in need) or key not in accounts.columns:
        raise ConfigError(
            "cost_matrix needs columns rep_id, minutes and unit_id or account_id (long form, one-way "
            f"minutes); got {list(cost_matrix.columns)}"
        )
    cm = cost_matrix.assign(
        _k=cost_matrix["rep_id"].astype(str) + "\x1f" + cost_matrix[key].astype(str)
    ).drop_duplicates("_k", keep="last")
    look = pd.Index(cm["_k"]).get_indexer(owner + "\x1f" + accounts[key].astype(str))
    if (look < 0).any():
        bad = np.flatnonzero(look < 0)
        raise DataValidationError(
            "cost matrix", f"no travel time for (owner_rep_id, {key}) of {len(bad)} account(s)",
            row=int(bad[0]), value=(owner.iloc[int(bad[0])], str(accounts[key].iloc[int(bad[0])])),
        )  # fmt: skip
    minutes = pd.to_numeric(cm["minutes"], errors="coerce").to_numpy(dtype=float)[look]
    if not np.all(np.isfinite(minutes) & (minutes >= 0)):
        raise DataValidationError("cost matrix", "minutes must be numbers >= 0", column="minutes")
    out["travel_km"] = np.nan
    out["travel_minutes"] = factor * minutes
    return out


def account_workload(
    accounts: pd.DataFrame,
    segments: pd.Series,
    reps: pd.DataFrame,
    coverage: CoverageModel | pd.DataFrame | str | Path | None = None,
    scheme: str = "abc",
    **travel: Any,
) -> pd.DataFrame:
    """Workload in hours per year per account.

    .. math:: w_i = \\text{calls}_{s(i)} \\,(\\text{minutes}_{s(i)} + t_i) / 60

    with :math:`s(i)` the account's segment, the coverage model's calls per year and
    minutes per call, and :math:`t_i` the travel minutes per call (:func:`travel_minutes`).

    Parameters
    ----------
    accounts : pandas.DataFrame
        Accounts (``owner_rep_id``, ``lat``, ``lon``).
    segments : pandas.Series
        Segment per account (e.g. ``SegmentResult.labels["abc_tier"]``).
    reps : pandas.DataFrame
        Reps with home bases.
    coverage : CoverageModel, DataFrame, path or None
        Coverage model; None = the documented default for ``scheme``.
    scheme : str, default "abc"
        Used to pick the default coverage table.
    **travel
        Passed to :func:`travel_minutes` (``circuity``, ``speed_kmh``, ``cost_matrix``...).

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``calls_per_year``, ``minutes_per_call``, ``response_calls``, ``travel_km``,
        ``travel_minutes``, ``call_hours`` (hours per year with the customer: calls x minutes per call,
        the same whoever the rep is) and ``workload`` (hours per year, call hours plus the travel from the
        owner's home).
    """
    cov = load_coverage(coverage, scheme)
    if len(segments) != len(accounts):
        raise ConfigError(f"segments has {len(segments)} values for {len(accounts)} accounts")
    seg = pd.Series(np.asarray(segments), index=accounts.index)
    c = cov.apply(seg)
    t = travel_minutes(accounts, reps, **travel)
    out = pd.concat([pd.DataFrame({"segment": seg.astype(str)}), c, t], axis=1)
    out["call_hours"] = out["calls_per_year"] * out["minutes_per_call"] / 60.0
    out["workload"] = out["call_hours"] + out["calls_per_year"] * out["travel_minutes"] / 60.0
    return out


def workload_by_segment(scored: pd.DataFrame, segment_col: str = "segment") -> pd.DataFrame:
    """Accounts, potential, planned calls, mean travel per call and workload hours per segment."""
    return scored.groupby(segment_col, observed=True, sort=True).agg(
        accounts=("account_id", "size"),
        potential=("potential", "sum"),
        calls=("calls_per_year", "sum"),
        travel_minutes_per_call=("travel_minutes", "mean"),
        workload_hours=("workload", "sum"),
    )


# ---------------------------------------------------------------------------------------- sizing


@dataclass(frozen=True)
class SizingResult:
    """Sales-force sizing.

    Attributes
    ----------
    workload_hours : float
        Total workload (hours per year).
    capacity_hours : float
        Capacity of one rep (hours per year).
    fte : float
        ``workload_hours / capacity_hours``.
    headcount : int
        Recommended headcount, ``ceil(fte)`` (at least 1 when there is work).
    current_headcount : int or None
        Reps today, when known.
    """

    workload_hours: float
    capacity_hours: float
    fte: float
    headcount: int
    current_headcount: int | None = None

    @property
    def gap(self) -> int | None:
        """Recommended minus current headcount (positive = hire)."""
        return None if self.current_headcount is None else self.headcount - self.current_headcount

    def to_frame(self) -> pd.DataFrame:
        """One-row summary table."""
        return pd.DataFrame(
            [
                {
                    "workload_hours": self.workload_hours,
                    "capacity_hours_per_rep": self.capacity_hours,
                    "fte": self.fte,
                    "recommended_headcount": self.headcount,
                    "current_headcount": self.current_headcount,
                    "gap": self.gap,
                }
            ]
        )


def _headcount(fte: float) -> int:
    # a tolerance so that 3.0000000001 FTE (floating noise) stays 3
    return int(math.ceil(fte - 1e-9)) if fte > 0 else 0


def size_salesforce(
    workload: float | pd.Series | np.ndarray,
    capacity_hours: float,
    current_headcount: int | None = None,
) -> SizingResult:
    """Recommended headcount :math:`\\lceil W / C \\rceil` for total workload W and capacity C.

    Parameters
    ----------
    workload : float or array
        Total workload in hours per year, or per-account workloads (summed).
    capacity_hours : float
        Selling hours per rep per year (> 0).
    current_headcount : int, optional
    """
    w = float(np.sum(workload))
    cap = float(capacity_hours)
    if not np.isfinite(cap) or cap <= 0:
        raise ConfigError(
            f"capacity_hours must be a positive number of hours per rep per year; got {capacity_hours!r}"
        )
    if not np.isfinite(w) or w < 0:
        raise ConfigError(f"total workload must be a non-negative number of hours; got {w!r}")
    fte = w / cap
    return SizingResult(w, cap, fte, _headcount(fte), current_headcount)


def sensitivity_table(
    workload: float | pd.Series | np.ndarray,
    capacity_hours: float,
    capacity_changes: Sequence[float] = (-0.1, 0.0, 0.1),
    frequency_changes: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
    wide: bool = True,
) -> pd.DataFrame:
    """Recommended headcount under changed capacity and call frequency.

    Workload is linear in calls (travel is per call), so a call-frequency change :math:`f`
    scales it by :math:`1 + f`; a capacity change :math:`g` scales capacity by :math:`1 + g`:

    .. math:: h(f, g) = \\lceil W (1 + f) / (C (1 + g)) \\rceil

    Returns
    -------
    pandas.DataFrame
        ``wide=True``: headcount with one row per call-frequency change and one column per
        capacity change (labels like ``"+10%"``). ``wide=False``: long table with
        ``frequency_change``, ``capacity_change``, ``workload_hours``, ``capacity_hours``,
        ``fte``, ``headcount``.
    """
    w = float(np.sum(workload))
    rows = []
    for f in frequency_changes:
        for g in capacity_changes:
            if 1 + g <= 0 or 1 + f < 0:
                raise ConfigError(f"changes must keep capacity > 0 and calls >= 0; got {f}, {g}")
            s = size_salesforce(w * (1 + f), capacity_hours * (1 + g))
            rows.append(
                {
                    "frequency_change": f,
                    "capacity_change": g,
                    "workload_hours": s.workload_hours,
                    "capacity_hours": s.capacity_hours,
                    "fte": s.fte,
                    "headcount": s.headcount,
                }
            )
    long = pd.DataFrame(rows)
    if not wide:
        return long
    table = long.pivot(index="frequency_change", columns="capacity_change", values="headcount")
    table.index = [f"calls {x:+.0%}" for x in table.index]
    table.columns = [f"capacity {x:+.0%}" for x in table.columns]
    return table


def rep_load(
    workload: pd.Series | np.ndarray,
    owner_rep_id: pd.Series,
    reps: pd.DataFrame,
    tolerance: float = 0.1,
    capacity_hours: float | None = None,
) -> pd.DataFrame:
    """Current workload per rep against capacity, flagging over- and under-loaded reps.

    ``utilisation = workload / capacity``; status is ``"over"`` when
    ``utilisation > 1 + tolerance``, ``"under"`` when ``< 1 - tolerance``, else ``"ok"``.

    Parameters
    ----------
    workload : Series or array
        Hours per year per account.
    owner_rep_id : pandas.Series
        Owner rep per account.
    reps : pandas.DataFrame
        ``rep_id`` and ``capacity_hours`` (unless ``capacity_hours`` is given).
    tolerance : float, default 0.1
    capacity_hours : float, optional
        One capacity for every rep (overrides ``reps.capacity_hours``).

    Returns
    -------
    pandas.DataFrame
        One row per rep: ``rep_id``, ``n_accounts``, ``workload_hours``, ``capacity_hours``,
        ``utilisation``, ``status``. Accounts without an owner load no rep; their number and
        hours are in ``attrs["unowned_accounts"]`` and ``attrs["unowned_hours"]``.
    """
    if not 0 <= tolerance < 1:
        raise ConfigError(f"tolerance must be in [0, 1); got {tolerance}")
    idx = pd.Index(reps["rep_id"].astype(str))
    owner = pd.Series(owner_rep_id)
    owned = owner.notna().to_numpy()
    pos = idx.get_indexer(owner.astype(str))
    if (owned & (pos < 0)).any():
        raise DataValidationError(
            "accounts",
            "owner rep not in reps",
            column="owner_rep_id",
            value=owner[owned & (pos < 0)].iloc[0],
            more=int((owned & (pos < 0)).sum()) - 1,
        )
    w = np.asarray(workload, dtype=float)
    unowned_hours = float(w[~owned].sum())
    pos, w = pos[owned], w[owned]
    out = pd.DataFrame({"rep_id": idx.to_numpy()})
    if "name" in reps.columns:
        out["name"] = reps["name"].to_numpy()
    out["n_accounts"] = np.bincount(pos, minlength=len(idx))
    out["workload_hours"] = np.bincount(pos, weights=w, minlength=len(idx))
    if capacity_hours is not None:
        cap = np.full(len(idx), float(capacity_hours))
    elif "capacity_hours" in reps.columns:
        cap = pd.to_numeric(reps["capacity_hours"], errors="coerce").to_numpy(dtype=float)
    else:
        raise ConfigError("reps has no capacity_hours; pass capacity_hours=")
    if not np.all(np.isfinite(cap) & (cap > 0)):
        raise DataValidationError("reps", "capacity_hours must be > 0", column="capacity_hours")
    out["capacity_hours"] = cap
    out["utilisation"] = out["workload_hours"] / cap
    out["status"] = np.select(
        [out["utilisation"] > 1 + tolerance, out["utilisation"] < 1 - tolerance], ["over", "under"], "ok"
    )
    out.attrs["unowned_accounts"] = int((~owned).sum())
    out.attrs["unowned_hours"] = unowned_hours
    return out


# ---------------------------------------------------------------------------------- marginal view


def captured(potential: float | np.ndarray, calls: float | np.ndarray, c: float | np.ndarray) -> np.ndarray:
    """Concave response: potential captured by ``calls`` per year, :math:`P (1 - e^{-x / c})`."""
    return np.asarray(potential, dtype=float) * (
        1.0 - np.exp(-np.asarray(calls, dtype=float) / np.asarray(c))
    )


def _segment_totals(scored: pd.DataFrame, segment_col: str) -> pd.DataFrame:
    need = [
        segment_col,
        "potential",
        "calls_per_year",
        "minutes_per_call",
        "travel_minutes",
        "response_calls",
    ]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(
            f"scored accounts lack column(s) {missing} (use score_accounts or account_workload)"
        )
    s = scored.assign(
        _hours_per_call=(scored["minutes_per_call"] + scored["travel_minutes"]) / 60.0,
        _seg=scored[segment_col].astype(str),
    )
    g = s.groupby("_seg", sort=True)
    return pd.DataFrame(
        {
            "n_accounts": g.size(),
            "potential": g["potential"].sum(),
            "calls_per_year": g["calls_per_year"].first(),
            "response_calls": g["response_calls"].first(),
            "hours_per_extra_call": g["_hours_per_call"].sum(),
        }
    ).rename_axis("segment")


def marginal_view(scored: pd.DataFrame, segment_col: str = "segment") -> pd.DataFrame:
    """Captured potential per segment at the planned coverage, and the value of one more call.

    For segment :math:`s` with total potential :math:`P_s`, :math:`n_s` accounts, planned
    calls :math:`x_s` per account and response constant :math:`c_s`:

    * captured :math:`= P_s (1 - e^{-x_s/c_s})`;
    * gain of one more call on every account :math:`= P_s (e^{-x_s/c_s} - e^{-(x_s+1)/c_s})`,
      reported per account (``gain_per_added_call``) and per hour of rep time
      (``gain_per_hour``: divided by the call and travel hours it takes).

    The segment with the highest ``gain_per_hour`` is where an added call earns most.
    """
    t = _segment_totals(scored, segment_col)
    x, c, p = t["calls_per_year"], t["response_calls"], t["potential"]
    t["captured"] = captured(p, x, c)
    t["captured_share"] = np.where(p > 0, t["captured"] / p.where(p > 0, 1.0), 0.0)
    gain = p * (np.exp(-x / c) - np.exp(-(x + 1) / c))
    t["gain_per_added_call"] = gain / t["n_accounts"]
    t["gain_per_hour"] = np.where(t["hours_per_extra_call"] > 0, gain / t["hours_per_extra_call"], 0.0)
    t["rank"] = t["gain_per_hour"].rank(ascending=False, method="first").astype(int)
    return t.reset_index().sort_values("rank").reset_index(drop=True)


def headcount_curve(
    scored: pd.DataFrame,
    capacity_hours: float,
    headcounts: Sequence[int],
    segment_col: str = "segment",
    max_calls: float = 52.0,
) -> pd.DataFrame:
    """Potential captured with each headcount when calls go where they earn most.

    With the team's hours :math:`B = h \\cdot \\text{capacity}` the call plan solves

    .. math:: \\max_x \\sum_s P_s (1 - e^{-x_s/c_s}) \\quad
              \\text{s.t.} \\sum_s H_s x_s \\le B,\\ 0 \\le x_s \\le x_{max}

    where :math:`x_s` is the (average, possibly fractional) calls per account per year in
    segment :math:`s` and :math:`H_s` the hours one call on every account of :math:`s` takes
    (call plus travel). The optimum equalises the gain per hour,
    :math:`\\frac{P_s}{c_s H_s} e^{-x_s/c_s} = \\lambda`, so
    :math:`x_s = c_s \\ln\\frac{P_s}{c_s H_s \\lambda}` clipped to :math:`[0, x_{max}]`, with
    :math:`\\lambda` found by bisection. :math:`\\lambda` is the value of one more hour; one
    more rep earns about :math:`\\lambda \\cdot \\text{capacity}`, less as the team grows.

    Returns
    -------
    pandas.DataFrame
        ``headcount``, ``hours``, ``captured``, ``captured_share``, ``value_per_hour``
        (:math:`\\lambda`), ``gain_of_last_rep`` (captured gained per rep since the previous row)
        and ``calls_<segment>`` (optimal calls per account per year).
    """
    if capacity_hours <= 0:
        raise ConfigError(f"capacity_hours must be > 0; got {capacity_hours}")
    t = _segment_totals(scored, segment_col)
    t = t[(t["potential"] > 0) & (t["hours_per_extra_call"] > 0)]
    segs = t.index.to_numpy()
    p = t["potential"].to_numpy(dtype=float)
    c = t["response_calls"].to_numpy(dtype=float)
    h = t["hours_per_extra_call"].to_numpy(dtype=float)
    total_p = float(p.sum())

    def plan(lam: float) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.clip(c * np.log(p / (c * h * lam)), 0.0, max_calls)

    rows = []
    for hc in sorted(int(x) for x in headcounts):
        budget = hc * float(capacity_hours)
        if len(p) == 0:
            x, lam = np.zeros(0), 0.0
        elif float(np.sum(h * max_calls)) <= budget:
            x = np.full(len(p), max_calls)
            lam = float(np.min(p / (c * h) * np.exp(-max_calls / c)))
        elif budget <= 0:
            x, lam = np.zeros(len(p)), float(np.max(p / (c * h)))
        else:
            lo, hi = np.log(1e-300), np.log(float(np.max(p / (c * h))))
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if float(np.sum(h * plan(np.exp(mid)))) > budget:
                    lo = mid
                else:
                    hi = mid
            lam = float(np.exp(hi))
            x = plan(lam)
        row = {
            "headcount": hc,
            "hours": budget,
            "captured": float(np.sum(captured(p, x, c))),
            "value_per_hour": lam,
        }
        for s_, xs in zip(segs, x, strict=True):
            row[f"calls_{s_}"] = float(xs)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["captured_share"] = out["captured"] / total_p if total_p > 0 else 0.0
    out["gain_of_last_rep"] = out["captured"].diff() / out["headcount"].diff()
    return out


def rep_marginal(
    scored: pd.DataFrame, reps: pd.DataFrame, capacity_hours: float | None = None
) -> pd.DataFrame:
    """Where an added rep earns most: the value of one more hour in each rep's book.

    A rep whose planned workload :math:`W_r` exceeds capacity :math:`C_r` can make only the
    share :math:`f_r = \\min(1, C_r / W_r)` of the planned calls :math:`x_i`, so the book
    captures :math:`\\sum_i P_i (1 - e^{-f_r x_i / c_i})`. One more hour raises :math:`f_r` by
    :math:`1/W_r`, which earns

    .. math:: g_r = \\frac{1}{W_r} \\sum_i P_i \\frac{x_i}{c_i} e^{-f_r x_i / c_i}

    Reps with the highest :math:`g_r` are where a new rep (taking part of the book) earns most.

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``workload_hours``, ``capacity_hours``, ``call_share`` (:math:`f_r`),
        ``captured``, ``potential``, ``gain_per_added_hour``, ``rank``.
    """
    need = ["owner_rep_id", "potential", "calls_per_year", "response_calls", "workload"]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(f"scored accounts lack column(s) {missing} (use score_accounts)")
    scored = scored[scored["owner_rep_id"].notna()]  # accounts without an owner load no rep
    idx = pd.Index(reps["rep_id"].astype(str))
    pos = idx.get_indexer(scored["owner_rep_id"].astype(str))
    if (pos < 0).any():
        raise DataValidationError("accounts", "owner rep not in reps", column="owner_rep_id")
    m = len(idx)
    load = np.bincount(pos, weights=scored["workload"].to_numpy(dtype=float), minlength=m)
    cap = (
        np.full(m, float(capacity_hours))
        if capacity_hours is not None
        else pd.to_numeric(reps["capacity_hours"], errors="coerce").to_numpy(dtype=float)
    )
    f = np.where(load > cap, cap / np.where(load > 0, load, 1.0), 1.0)
    pi = scored["potential"].to_numpy(dtype=float)
    xi = scored["calls_per_year"].to_numpy(dtype=float)
    ci = scored["response_calls"].to_numpy(dtype=float)
    e = np.exp(-f[pos] * xi / ci)
    cap_i = pi * (1 - e)
    deriv = np.bincount(pos, weights=pi * xi / ci * e, minlength=m)
    out = pd.DataFrame({"rep_id": idx.to_numpy()})
    out["workload_hours"] = load
    out["capacity_hours"] = cap
    out["call_share"] = f
    out["potential"] = np.bincount(pos, weights=pi, minlength=m)
    out["captured"] = np.bincount(pos, weights=cap_i, minlength=m)
    out["gain_per_added_hour"] = np.where(load > 0, deriv / np.where(load > 0, load, 1.0), 0.0)
    out["rank"] = out["gain_per_added_hour"].rank(ascending=False, method="first").astype(int)
    return out.sort_values("rank").reset_index(drop=True)


# -------------------------------------------------------------------------------------- pipeline


def score_accounts(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    scheme: str = "abc",
    coverage: CoverageModel | pd.DataFrame | str | Path | None = None,
    potential_method: str = "peer",
    quantile: float = 0.8,
    as_of: str | None = None,
    seed: int = 0,
    segment_params: dict[str, Any] | None = None,
    potential_params: dict[str, Any] | None = None,
    travel_params: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Segment, estimate potential and compute workload for every account.

    Steps: current annual sales (:func:`terrkit.potential.annual_sales`), potential
    (:func:`terrkit.potential.estimate_potential`), ABC tiers on potential and RFM scores
    (always), firmographic clusters when ``scheme`` is "kmeans" or "gmm", then workload from
    the coverage model of ``scheme``'s segments.

    Returns
    -------
    (pandas.DataFrame, dict)
        The scored accounts (``account_id``, ``unit_id``, ``owner_rep_id``, segment columns,
        ``sales``, ``potential``, ``whitespace``, ``penetration``, coverage and travel columns,
        ``workload``) and the intermediate results (``"segments"``, ``"potential"``,
        ``"coverage"``).
    """
    from terrkit.potential import annual_sales, estimate_potential
    from terrkit.segment import SCHEMES, segment

    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise ValueError(f"unknown segmentation scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    cov = load_coverage(coverage, key)  # fail fast on a bad or missing coverage table
    cur = annual_sales(accounts, sales, as_of=as_of)
    pp = dict(potential_params or {})
    if potential_method == "model":
        pp.setdefault("seed", seed)
    pot = estimate_potential(accounts, cur, method=potential_method, quantile=quantile, **pp)
    sp = dict(segment_params or {})
    segs = {
        "abc": segment(accounts, "abc", value=pot.accounts["potential"], **(sp if key == "abc" else {})),
        "rfm": segment(
            accounts, "rfm", sales=sales, as_of=cur.attrs["as_of"], **(sp if key == "rfm" else {})
        ),
    }
    if key in ("kmeans", "gmm"):
        sp.setdefault("seed", seed)
        segs[key] = segment(accounts, key, **sp)
    main = segs[key]
    wl = account_workload(accounts, main.labels[main.column], reps, coverage=cov, **(travel_params or {}))
    out = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()}, index=accounts.index)
    for c in ("unit_id", "owner_rep_id"):
        if c in accounts.columns:
            out[c] = accounts[c].to_numpy()
    out["abc_tier_by_potential"] = segs["abc"].labels[segs["abc"].column]
    rl = segs["rfm"].labels
    for c in ("r_score", "f_score", "m_score", "rfm_code", "rfm_score", "rfm_segment"):
        out[c] = rl[c]
    if key in ("kmeans", "gmm"):
        out[main.column] = main.labels[main.column]
    out["segment"] = wl["segment"]
    for c in ("sales", "potential", "whitespace", "penetration"):
        out[c] = pot.accounts[c]
    for c in (
        "calls_per_year",
        "minutes_per_call",
        "response_calls",
        "travel_km",
        "travel_minutes",
        "call_hours",
        "workload",
    ):
        out[c] = wl[c]
    return out, {"segments": segs, "potential": pot, "coverage": cov, "main_segment": main}


#: Columns of accounts_scored.csv.
SCORED_COLUMNS = (
    "account_id", "unit_id", "owner_rep_id", "segment", "abc_tier_by_potential", "rfm_segment", "rfm_code",
    "rfm_score",
    "kmeans_segment", "gmm_segment", "sales", "potential", "whitespace", "penetration",
    "calls_per_year", "travel_minutes", "call_hours", "workload",
)  # fmt: skip


def write_scored(
    scored: pd.DataFrame, units: pd.DataFrame, output_dir: str | Path | None
) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Aggregate to units and write ``accounts_scored.csv`` and ``units_scored.gpkg``.

    Files are written atomically with :mod:`terrkit.io` writers into ``output_dir``; nothing is
    written when ``output_dir`` is empty or None.

    Returns
    -------
    (units_scored, paths)
        The per-unit table (GeoDataFrame when ``units`` has geometry) and the written paths.
    """
    from terrkit.potential import aggregate_to_units

    units_scored = aggregate_to_units(scored, units)
    paths: dict[str, Path] = {}
    if output_dir:
        from terrkit import io as tio

        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        cols = [c for c in SCORED_COLUMNS if c in scored.columns]
        paths["accounts_scored"] = folder / "accounts_scored.csv"
        tio.write_csv(scored[cols], paths["accounts_scored"])
        if "geometry" in units_scored.columns:
            paths["units_scored"] = folder / "units_scored.gpkg"
            tio.write_geo(units_scored, paths["units_scored"])
        else:
            paths["units_scored"] = folder / "units_scored.csv"
            tio.write_csv(units_scored, paths["units_scored"])
    return units_scored, paths
