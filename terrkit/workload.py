"""Workload per account, sales-force sizing, rep load and the marginal view.

Workload model (hours per year)::

    workload_i = calls_i * (minutes_per_call_i + travel_minutes_i) / 60

``calls`` and ``minutes_per_call`` come from the coverage model of the account's segment
(:mod:`terrkit.coverage`). Travel per call follows the **coverage rule**, by the one-way road
distance :math:`d_i` from the owner rep's home (great-circle km x ``circuity`` 1.3: roads are
about 30% longer than the straight line, a common rule of thumb for US road networks; driven at
``speed_kmh`` 60, mixed urban and highway driving):

* ``field`` (:math:`d_i \\le` ``overnight_km``): a day trip, the round trip shared among the
  ``calls_per_trip`` calls made on it, :math:`t_i = 2 d_i / \\text{speed} \\cdot 60 / k`;
* ``overnight`` (``overnight_km`` :math:`< d_i \\le` ``remote_km``): too far to drive there and
  back in a day, the rep stays overnight and chains more calls, so the travel charged per call is
  capped: :math:`t_i = \\min(2 d_i / \\text{speed} \\cdot 60 / k, \\text{overnight\\_cap\\_minutes})`;
* ``remote`` (:math:`d_i >` ``remote_km``): beyond a day's drive, the account is covered by phone
  or video, at a fixed ``remote_minutes_per_call`` instead of travel.

So no account is charged more than :func:`max_travel_minutes_per_call` minutes of travel per call.
Alternatively travel minutes come from a user cost matrix (rep x unit or rep x account, one way);
the distance thresholds then apply to the one-way minutes at ``speed_kmh``.

Sizing: recommended headcount :math:`= \\lceil \\sum_i workload_i / capacity \\rceil`.

Marginal view: sales won by :math:`x` calls per year on an account of segment :math:`s` follow
the concave response :math:`P (1 - e^{-x / c_s})`. The response constant :math:`c_s` is
**calibrated** (:func:`calibrate_response`) so that today's calls reproduce today's sales of the
segment; :func:`marginal_view`, :func:`headcount_curve` and :func:`rep_marginal` then show what one
more call, or one more rep, earns.
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
#: Calls chained on one day trip: a field day holds about four visits.
CALLS_PER_TRIP = 4.0
#: One-way road km beyond which a visit needs a night away: 240 km is 4 h at 60 km/h, so the round trip
#: alone fills an 8-hour working day.
OVERNIGHT_KM = 240.0
#: Travel charged per call on an overnight trip, at most: the per-call travel of the longest day trip
#: (240 km each way shared by four calls); a trip with a night away chains more calls to keep it there.
OVERNIGHT_CAP_MINUTES = 120.0
#: One-way road km beyond which an account is covered remotely (phone, video): 480 km is a full day's
#: drive (8 h at 60 km/h) each way, a trip no field plan makes for a call.
REMOTE_KM = 480.0
#: Time charged per remote call instead of travel: booking, setting up and following up a remote
#: meeting, which a visit folds into its trip.
REMOTE_MINUTES_PER_CALL = 30.0
#: How each account is covered, by distance from its rep's home (values of ``coverage_mode``).
COVERAGE_MODES = ("field", "overnight", "remote")
#: Fully loaded annual cost of one field rep (salary, bonus, benefits, car and expenses), a common US
#: B2B figure; the value a next rep must earn back.
COST_PER_REP = 150_000.0


# ---------------------------------------------------------------------------------------- travel


def nearest_home(accounts: pd.DataFrame, reps: pd.DataFrame) -> np.ndarray:
    """Position in ``reps`` of the rep whose home is nearest each account (great-circle distance)."""
    lon = accounts["lon"].to_numpy(dtype=float)[:, None]
    lat = accounts["lat"].to_numpy(dtype=float)[:, None]
    home_lon = reps["home_lon"].to_numpy(dtype=float)[None, :]
    home_lat = reps["home_lat"].to_numpy(dtype=float)[None, :]
    return np.argmin(haversine_km(lon, lat, home_lon, home_lat), axis=1).astype(np.intp)


def _check_rule(
    calls_per_trip: float,
    overnight_km: float,
    overnight_cap_minutes: float,
    remote_km: float,
    remote_minutes_per_call: float,
) -> None:
    values = {
        "calls_per_trip": calls_per_trip,
        "overnight_km": overnight_km,
        "overnight_cap_minutes": overnight_cap_minutes,
        "remote_km": remote_km,
        "remote_minutes_per_call": remote_minutes_per_call,
    }
    for name, value in values.items():
        try:
            bad = not float(value) >= 0  # NaN fails too
        except (TypeError, ValueError):
            bad = True
        if bad:
            raise ConfigError(f"{name} must be a number >= 0; got {value!r}")
    if calls_per_trip < 1:
        raise ConfigError(
            f"calls_per_trip must be >= 1 (1 = every call is its own trip); got {calls_per_trip}"
        )
    if overnight_km > remote_km:
        raise ConfigError(
            f"overnight_km ({overnight_km}) must not exceed remote_km ({remote_km}): accounts farther than "
            "remote_km are covered remotely, those between the two on overnight trips"
        )


def max_travel_minutes_per_call(
    speed_kmh: float = SPEED_KMH,
    round_trip: bool = True,
    calls_per_trip: float = CALLS_PER_TRIP,
    overnight_km: float = OVERNIGHT_KM,
    overnight_cap_minutes: float = OVERNIGHT_CAP_MINUTES,
    remote_km: float = REMOTE_KM,
    remote_minutes_per_call: float = REMOTE_MINUTES_PER_CALL,
) -> float:
    """The most travel the coverage rule charges any account per call, in minutes.

    .. math:: \\max\\Big(\\frac{2 \\cdot \\text{overnight\\_km}}{\\text{speed}} \\cdot \\frac{60}{k},\\;
              \\text{overnight\\_cap\\_minutes},\\; \\text{remote\\_minutes\\_per\\_call}\\Big)

    (the longest day trip, the overnight cap, the remote charge), the first term without the 2 when
    ``round_trip`` is False. With ``remote_km`` infinite and ``overnight_km`` infinite there is no bound.
    """
    _check_rule(calls_per_trip, overnight_km, overnight_cap_minutes, remote_km, remote_minutes_per_call)
    factor = (2.0 if round_trip else 1.0) / float(calls_per_trip)
    longest_day_trip = factor * overnight_km / speed_kmh * 60.0
    parts = [longest_day_trip, remote_minutes_per_call]
    if overnight_km < remote_km:
        parts.append(overnight_cap_minutes)
    return float(max(parts))


def describe_travel_rule(
    speed_kmh: float = SPEED_KMH,
    circuity: float = CIRCUITY,
    round_trip: bool = True,
    calls_per_trip: float = CALLS_PER_TRIP,
    overnight_km: float = OVERNIGHT_KM,
    overnight_cap_minutes: float = OVERNIGHT_CAP_MINUTES,
    remote_km: float = REMOTE_KM,
    remote_minutes_per_call: float = REMOTE_MINUTES_PER_CALL,
) -> str:
    """The coverage rule in words (Markdown), from its parameters, for a notebook or a report."""
    bound = max_travel_minutes_per_call(
        speed_kmh, round_trip, calls_per_trip, overnight_km, overnight_cap_minutes, remote_km,
        remote_minutes_per_call,
    )  # fmt: skip
    trip = "round trip" if round_trip else "one-way drive"
    reach = f"up to {overnight_km:,.0f} road km" if np.isfinite(overnight_km) else "at any distance"
    lines = [
        f"- **field**: accounts {reach} from the rep's home (straight line x {circuity:g}, driven at "
        f"{speed_kmh:g} km/h) are visited on day trips; each call is charged the {trip} shared among "
        f"{calls_per_trip:g} calls.",
    ]
    if overnight_km < remote_km:
        span = (
            f"from {overnight_km:,.0f} to {remote_km:,.0f} road km"
            if np.isfinite(remote_km)
            else f"beyond {overnight_km:,.0f} road km"
        )
        lines.append(
            f"- **overnight**: {span} the rep stays overnight and chains calls; "
            f"travel is charged the same way but capped at {overnight_cap_minutes:,.0f} minutes per call."
        )
    if np.isfinite(remote_km):
        lines.append(
            f"- **remote**: beyond {remote_km:,.0f} road km the account is covered by phone or video, "
            f"charged {remote_minutes_per_call:,.0f} minutes per call instead of travel."
        )
    if np.isfinite(bound):
        lines.append(f"\nNo account is charged more than **{bound:,.0f} minutes of travel per call**.")
    else:
        lines.append("\nTravel per call has no upper bound: it grows with the distance.")
    return "\n".join(lines)


def travel_minutes(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    circuity: float = CIRCUITY,
    speed_kmh: float = SPEED_KMH,
    round_trip: bool = True,
    cost_matrix: pd.DataFrame | None = None,
    calls_per_trip: float = CALLS_PER_TRIP,
    overnight_km: float = OVERNIGHT_KM,
    overnight_cap_minutes: float = OVERNIGHT_CAP_MINUTES,
    remote_km: float = REMOTE_KM,
    remote_minutes_per_call: float = REMOTE_MINUTES_PER_CALL,
) -> pd.DataFrame:
    """Travel time per call from the owner rep's home base, under the coverage rule.

    With :math:`d_i` the one-way road km from the owner rep's home to the account (great-circle km
    x ``circuity``), :math:`k` = ``calls_per_trip`` and the day-trip travel per call

    .. math:: f_i = \\frac{2 \\cdot d_i}{\\text{speed}} \\cdot 60 / k

    the minutes charged per call are :math:`f_i` (``field``, :math:`d_i \\le` ``overnight_km``),
    :math:`\\min(f_i, \\text{overnight\\_cap\\_minutes})` (``overnight``, up to ``remote_km``) or
    ``remote_minutes_per_call`` (``remote``, beyond). An account without an owner (empty
    ``owner_rep_id``) is measured from the nearest rep's home, the rep who would most likely be sent.

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
        ``account_id``; replaces the distance model. The distance thresholds then apply to the
        one-way minutes at ``speed_kmh`` (``overnight_km / speed_kmh * 60`` minutes, and so on).
    calls_per_trip : float, default 4
        Calls sharing one day trip (1 = every call is its own trip).
    overnight_km : float, default 240
        One-way road km beyond which a visit takes an overnight trip (:data:`OVERNIGHT_KM`).
    overnight_cap_minutes : float, default 120
        Most travel charged per call on an overnight trip (:data:`OVERNIGHT_CAP_MINUTES`).
    remote_km : float, default 480
        One-way road km beyond which the account is covered remotely (:data:`REMOTE_KM`);
        ``float("inf")`` turns remote coverage off.
    remote_minutes_per_call : float, default 30
        Minutes charged per remote call instead of travel (:data:`REMOTE_MINUTES_PER_CALL`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``accounts``: ``travel_km`` (one way, road km; NaN with a cost matrix),
        ``coverage_mode`` (``field``, ``overnight`` or ``remote``) and ``travel_minutes`` (charged
        per call, at most :func:`max_travel_minutes_per_call`).
    """
    if circuity < 1 or speed_kmh <= 0:
        raise ConfigError(f"circuity must be >= 1 and speed_kmh > 0; got {circuity}, {speed_kmh}")
    _check_rule(calls_per_trip, overnight_km, overnight_cap_minutes, remote_km, remote_minutes_per_call)
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
        one_way = road / speed_kmh * 60.0
    else:
        out["travel_km"] = np.nan
        one_way = _matrix_minutes(accounts, owner, cost_matrix)
    mode, minutes = _apply_rule(
        one_way, speed_kmh, round_trip, calls_per_trip, overnight_km, overnight_cap_minutes, remote_km,
        remote_minutes_per_call,
    )  # fmt: skip
    out["coverage_mode"] = pd.Categorical(mode, categories=list(COVERAGE_MODES))
    out["travel_minutes"] = minutes
    return out


def _apply_rule(
    one_way_minutes: np.ndarray,
    speed_kmh: float,
    round_trip: bool,
    calls_per_trip: float,
    overnight_km: float,
    overnight_cap_minutes: float,
    remote_km: float,
    remote_minutes_per_call: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage mode and travel minutes per call from one-way drive minutes (see :func:`travel_minutes`)."""
    factor = (2.0 if round_trip else 1.0) / float(calls_per_trip)
    day_trip = factor * one_way_minutes
    overnight_from = overnight_km / speed_kmh * 60.0
    remote_from = remote_km / speed_kmh * 60.0
    is_remote = one_way_minutes > remote_from
    is_overnight = ~is_remote & (one_way_minutes > overnight_from)
    minutes = np.where(
        is_remote,
        float(remote_minutes_per_call),
        np.where(is_overnight, np.minimum(day_trip, overnight_cap_minutes), day_trip),
    )
    mode = np.select([is_remote, is_overnight], ["remote", "overnight"], "field")
    return mode, minutes


def _matrix_minutes(accounts: pd.DataFrame, owner: pd.Series, cost_matrix: pd.DataFrame) -> np.ndarray:
    """One-way minutes from the owner rep to each account, looked up in a long-form cost matrix."""
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
    return minutes


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
    minutes per call, and :math:`t_i` the travel minutes per call under the coverage rule
    (:func:`travel_minutes`).

    Parameters
    ----------
    accounts : pandas.DataFrame
        Accounts (``owner_rep_id``, ``lat``, ``lon``).
    segments : pandas.Series
        Segment per account (e.g. ``SegmentResult.labels["abc_tier_by_potential"]``).
    reps : pandas.DataFrame
        Reps with home bases.
    coverage : CoverageModel, DataFrame, path or None
        Coverage model; None = the documented default for ``scheme``.
    scheme : str, default "abc"
        Used to pick the default coverage table.
    **travel
        Passed to :func:`travel_minutes` (``circuity``, ``speed_kmh``, ``cost_matrix``, ``calls_per_trip``
        and the coverage rule: ``overnight_km``, ``overnight_cap_minutes``, ``remote_km``,
        ``remote_minutes_per_call``).

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``calls_per_year``, ``minutes_per_call``, ``response_calls``, ``travel_km``,
        ``coverage_mode``, ``travel_minutes`` (per call), ``call_hours`` (hours per year with the
        customer: calls x minutes per call, the same whoever the rep is) and ``workload`` (hours per
        year, call hours plus the travel charged from the owner's home).
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


def workload_by_coverage(scored: pd.DataFrame) -> pd.DataFrame:
    """Accounts, sales, call hours and travel hours per coverage mode (field, overnight, remote).

    ``travel_hours`` is ``calls_per_year x travel_minutes / 60`` (for remote accounts the fixed remote
    charge); ``call_hours + travel_hours = workload_hours``. A last row ``total`` sums the modes, and
    ``travel_share`` is each row's share of its hours spent travelling.
    """
    need = ["coverage_mode", "calls_per_year", "travel_minutes", "call_hours", "workload"]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(
            f"scored accounts lack column(s) {missing} (use score_accounts or account_workload)"
        )
    frame = scored.assign(
        _travel_hours=scored["calls_per_year"] * scored["travel_minutes"] / 60.0,
        _mode=pd.Categorical(scored["coverage_mode"].astype(str), categories=list(COVERAGE_MODES)),
        _sales=scored["sales"] if "sales" in scored.columns else np.nan,
    )
    table = frame.groupby("_mode", observed=False).agg(
        accounts=("calls_per_year", "size"),
        sales=("_sales", "sum"),
        call_hours=("call_hours", "sum"),
        travel_hours=("_travel_hours", "sum"),
        workload_hours=("workload", "sum"),
    )
    table.index = table.index.astype(str)
    table.loc["total"] = table.sum()
    table["accounts"] = table["accounts"].astype(int)
    hours = table["workload_hours"]
    table["travel_share"] = np.where(hours > 0, table["travel_hours"] / hours.where(hours > 0, 1.0), 0.0)
    return table.rename_axis("coverage_mode")


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


#: Calibration outcomes of a segment's response curve (values of the ``calibration`` column).
CALIBRATION_STATUS = {
    "calibrated": "today's calls reproduce today's sales",
    "no sales": "no sales today: under this model calls win nothing (response constant infinite)",
    "saturated": "sales reach the potential: every call already wins it all (response constant 0)",
    "no calls": "sales without calls: the response to calls cannot be measured (no marginal value)",
    "no potential": "no potential: nothing to win",
}


def _response_ratio(calls: np.ndarray, c: np.ndarray) -> np.ndarray:
    """:math:`x / c` with the limits spelled out: c infinite gives 0; c = 0 gives infinity when x > 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = calls / c
    ratio = np.where(c == 0, np.where(calls > 0, np.inf, 0.0), ratio)
    return np.where(np.isinf(c), 0.0, ratio)


def captured(potential: float | np.ndarray, calls: float | np.ndarray, c: float | np.ndarray) -> np.ndarray:
    """Concave response: sales won by ``calls`` per year, :math:`P (1 - e^{-x / c})`.

    ``c`` infinite means calls win nothing (0); ``c`` = 0 means any call wins the whole potential;
    ``c`` NaN (not calibrated) gives NaN.
    """
    p, x, cc = np.broadcast_arrays(
        np.asarray(potential, dtype=float), np.asarray(calls, dtype=float), np.asarray(c, dtype=float)
    )
    return p * (1.0 - np.exp(-_response_ratio(x, cc)))


def calibrate_response(
    scored: pd.DataFrame, segment_col: str = "segment", sales_col: str = "sales"
) -> pd.DataFrame:
    """Calibrate each segment's response constant so that today's calls reproduce today's sales.

    The model: an account with potential :math:`P_i` called :math:`x_i` times a year buys
    :math:`P_i (1 - e^{-x_i / c_s})`, with one constant :math:`c_s` per segment. Today's calls are the
    coverage model's ``calls_per_year``; :math:`c_s` solves

    .. math:: \\sum_{i \\in s} P_i (1 - e^{-x_i / c_s}) = S_s

    for the segment's sales :math:`S_s`. When every account of the segment has the same calls
    :math:`x_s` (one coverage row per segment) this is
    :math:`c_s = -x_s / \\ln(1 - S_s / P_s)`; otherwise it is solved by bisection.

    Edge cases (``calibration`` column, see :data:`CALIBRATION_STATUS`): a segment without sales gets
    :math:`c_s = \\infty` (calls win nothing); one whose sales reach the potential of its called accounts
    gets :math:`c_s = 0` (saturated: more calls win nothing more); one with sales but no calls, or no
    potential, cannot be calibrated (:math:`c_s` NaN).

    Returns
    -------
    pandas.DataFrame
        One row per segment (index ``segment``): ``n_accounts``, ``potential``, ``sales``,
        ``calls_per_year`` (mean per account), ``penetration`` (sales / potential), ``response_calls``
        (:math:`c_s`) and ``calibration``.
    """
    need = [segment_col, "potential", sales_col, "calls_per_year"]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(f"scored accounts lack column(s) {missing} (use score_accounts)")
    frame = pd.DataFrame(
        {
            "segment": scored[segment_col].astype(str).to_numpy(),
            "potential": pd.to_numeric(scored["potential"], errors="coerce").to_numpy(dtype=float),
            "sales": pd.to_numeric(scored[sales_col], errors="coerce").to_numpy(dtype=float),
            "calls": pd.to_numeric(scored["calls_per_year"], errors="coerce").to_numpy(dtype=float),
        }
    )
    for col, name in (("potential", "potential"), ("sales", sales_col), ("calls", "calls_per_year")):
        bad = ~np.isfinite(frame[col].to_numpy())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataValidationError(
                "scored accounts", "must be a number", column=name, row=i, value=scored[name].iloc[i],
                more=int(bad.sum()) - 1,
            )  # fmt: skip
    frame["called_potential"] = np.where(frame["calls"] > 0, frame["potential"], 0.0)
    g = frame.groupby("segment", sort=True)
    t = pd.DataFrame(
        {
            "n_accounts": g.size(),
            "potential": g["potential"].sum(),
            "sales": g["sales"].sum(),
            "calls_per_year": g["calls"].mean(),
            "_called_potential": g["called_potential"].sum(),
            "_calls_min": g["calls"].min(),
            "_calls_max": g["calls"].max(),
        }
    ).rename_axis("segment")
    p, s = t["potential"].to_numpy(), t["sales"].to_numpy()
    t["penetration"] = np.where(p > 0, s / np.where(p > 0, p, 1.0), np.nan)
    status = np.select(
        [p <= 0, s <= 0, t["_called_potential"].to_numpy() <= 0, s >= t["_called_potential"].to_numpy()],
        ["no potential", "no sales", "no calls", "saturated"],
        "calibrated",
    )
    c = np.select(
        [status == "no sales", status == "saturated", status == "calibrated"], [np.inf, 0.0, 1.0], np.nan
    )
    for i in np.flatnonzero(status == "calibrated"):
        seg = t.index[i]
        lo_x, hi_x = t["_calls_min"].iloc[i], t["_calls_max"].iloc[i]
        if hi_x - lo_x <= 1e-12 * max(hi_x, 1.0):  # one cadence for the segment: closed form
            c[i] = -hi_x / np.log1p(-s[i] / p[i])
        else:
            members = frame[frame["segment"] == seg]
            c[i] = _solve_response(members["potential"].to_numpy(), members["calls"].to_numpy(), s[i])
    t["response_calls"] = c
    t["calibration"] = status
    return t.drop(columns=["_called_potential", "_calls_min", "_calls_max"])


def _solve_response(potential: np.ndarray, calls: np.ndarray, sales: float) -> float:
    """The c solving :math:`\\sum_i P_i (1 - e^{-x_i/c}) = S` (bisection on :math:`\\ln(1/c)`).

    The left side grows with :math:`k = 1/c` from 0 to the called potential, which exceeds ``sales``
    (checked by the caller), so the root is unique.
    """

    def won(log_k: float) -> float:
        return float(np.sum(potential * -np.expm1(-np.exp(log_k) * calls)))

    lo, hi = -60.0, 60.0  # k from 1e-26 to 1e26 calls^-1: far beyond any cadence
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if won(mid) < sales:
            lo = mid
        else:
            hi = mid
    return float(np.exp(-0.5 * (lo + hi)))


def _calibrated_accounts(scored: pd.DataFrame, segment_col: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The calibration table and each account's calibrated response constant."""
    table = calibrate_response(scored, segment_col)
    pos = table.index.get_indexer(scored[segment_col].astype(str))
    return table, table["response_calls"].to_numpy(dtype=float)[pos]


def _hours_per_call(scored: pd.DataFrame) -> np.ndarray:
    need = ["minutes_per_call", "travel_minutes"]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(
            f"scored accounts lack column(s) {missing} (use score_accounts or account_workload)"
        )
    return (
        scored["minutes_per_call"].to_numpy(dtype=float) + scored["travel_minutes"].to_numpy(dtype=float)
    ) / 60


def marginal_view(scored: pd.DataFrame, segment_col: str = "segment") -> pd.DataFrame:
    """Sales won per segment by today's calls, and the value of one more call.

    With the response constants calibrated to today (:func:`calibrate_response`), the model at
    today's calls reproduces each segment's sales (``captured`` = ``sales`` for calibrated segments).
    One more call on an account :math:`i` of segment :math:`s` adds

    .. math:: P_i \\big(e^{-x_i/c_s} - e^{-(x_i+1)/c_s}\\big)

    ``gain_next_call`` is its mean over the segment's accounts (one more call on a typical account);
    ``gain_per_hour`` divides the segment's total by the hours those calls take (call plus travel under
    the coverage rule). The segment with the highest ``gain_per_hour`` is where an added call earns most.

    Returns
    -------
    pandas.DataFrame
        One row per segment, best first: ``segment``, ``n_accounts``, ``potential``, ``sales``,
        ``calls_per_year``, ``response_calls``, ``calibration``, ``captured``, ``captured_share``
        (captured / potential), ``hours_per_call``, ``gain_next_call``, ``gain_per_hour``, ``rank``.
    """
    table, c_i = _calibrated_accounts(scored, segment_col)
    p_i = scored["potential"].to_numpy(dtype=float)
    x_i = scored["calls_per_year"].to_numpy(dtype=float)
    h_i = _hours_per_call(scored)
    now = captured(p_i, x_i, c_i)
    gain = captured(p_i, x_i + 1.0, c_i) - now
    seg = scored[segment_col].astype(str).to_numpy()
    sums = (
        pd.DataFrame({"segment": seg, "now": now, "gain": gain, "hours": h_i})
        .groupby("segment")
        .sum(min_count=1)
    )
    t = table.join(sums)
    uncalibrated = t["response_calls"].isna()
    t["captured"] = t["now"].where(~uncalibrated, t["sales"])  # not modelled: today's sales stand
    p = t["potential"]
    t["captured_share"] = np.where(p > 0, t["captured"] / p.where(p > 0, 1.0), 0.0)
    n = t["n_accounts"]
    t["hours_per_call"] = t["hours"] / n
    t["gain_next_call"] = t["gain"] / n
    t["gain_per_hour"] = np.where(t["hours"] > 0, t["gain"] / t["hours"].where(t["hours"] > 0, 1.0), 0.0)
    t.loc[uncalibrated, "gain_per_hour"] = np.nan
    t["rank"] = t["gain_per_hour"].rank(ascending=False, method="first", na_option="bottom").astype(int)
    cols = [
        "n_accounts", "potential", "sales", "calls_per_year", "response_calls", "calibration", "captured",
        "captured_share", "hours_per_call", "gain_next_call", "gain_per_hour", "rank",
    ]  # fmt: skip
    return t[cols].reset_index().sort_values("rank").reset_index(drop=True)


def _optimal_calls(
    p: np.ndarray, c: np.ndarray, h: np.ndarray, budget: float, max_calls: float
) -> tuple[np.ndarray, float]:
    """Calls per account per segment maximising :math:`\\sum_s P_s (1 - e^{-x_s/c_s})` in ``budget`` hours.

    Returns the calls and :math:`\\lambda`, the value of one more hour (see :func:`headcount_curve`).
    """
    if len(p) == 0:
        return np.zeros(0), 0.0
    if float(np.sum(h * max_calls)) <= budget:
        return np.full(len(p), max_calls), float(np.min(p / (c * h) * np.exp(-max_calls / c)))
    if budget <= 0:
        return np.zeros(len(p)), float(np.max(p / (c * h)))

    def plan(lam: float) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.clip(c * np.log(p / (c * h * lam)), 0.0, max_calls)

    lo, hi = np.log(1e-300), np.log(float(np.max(p / (c * h))))
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(np.sum(h * plan(np.exp(mid)))) > budget:
            lo = mid
        else:
            hi = mid
    lam = float(np.exp(hi))
    return plan(lam), lam


def headcount_curve(
    scored: pd.DataFrame,
    capacity_hours: float,
    headcounts: Sequence[int],
    segment_col: str = "segment",
    max_calls: float = 52.0,
    cost_per_rep: float = COST_PER_REP,
) -> pd.DataFrame:
    """Sales won with each headcount when calls go where they earn most, and what the next rep adds.

    With the team's hours :math:`B = h \\cdot \\text{capacity}` the call plan solves

    .. math:: \\max_x \\sum_s P_s (1 - e^{-x_s/c_s}) \\quad
              \\text{s.t.} \\sum_s H_s x_s \\le B,\\ 0 \\le x_s \\le x_{max}

    where :math:`c_s` is calibrated to today's sales (:func:`calibrate_response`), :math:`x_s` the
    (average, possibly fractional) calls per account per year in segment :math:`s` and :math:`H_s` the
    hours one call on every account of :math:`s` takes (call plus travel under the coverage rule). The
    optimum equalises the gain per hour, :math:`\\frac{P_s}{c_s H_s} e^{-x_s/c_s} = \\lambda`, so
    :math:`x_s = c_s \\ln\\frac{P_s}{c_s H_s \\lambda}` clipped to :math:`[0, x_{max}]`, with
    :math:`\\lambda` (the value of one more hour) found by bisection. Segments whose response is flat
    (no sales, saturated) or unknown (no calls) add their modelled sales at every headcount.

    ``gain_of_next_rep`` is the exact one-rep step: captured with :math:`h + 1` reps minus captured
    with :math:`h`, both optimal. Set against ``cost_per_rep`` (annual, fully loaded), a next rep whose
    ``next_rep_sales_per_cost`` times the gross margin is below 1 does not pay for itself.

    Returns
    -------
    pandas.DataFrame
        ``headcount``, ``hours``, ``captured``, ``captured_share``, ``value_per_hour`` (:math:`\\lambda`),
        ``gain_of_next_rep``, ``cost_per_rep``, ``next_rep_sales_per_cost`` and ``calls_<segment>``
        (optimal calls per account per year). ``attrs``: ``today_sales`` (the accounts' sales),
        ``today_captured`` (the model at today's calls: equal to today's sales when every segment
        calibrates), ``today_hours`` (the workload of today's calls).
    """
    if not capacity_hours > 0:
        raise ConfigError(f"capacity_hours must be > 0; got {capacity_hours}")
    if not cost_per_rep >= 0:
        raise ConfigError(
            f"cost_per_rep must be a number >= 0 (annual cost of one rep); got {cost_per_rep!r}"
        )
    mv = marginal_view(scored, segment_col).set_index("segment").sort_index()
    hours = mv["hours_per_call"] * mv["n_accounts"]
    c_all = mv["response_calls"].to_numpy(dtype=float)
    active = (mv["potential"] > 0).to_numpy() & (hours > 0).to_numpy() & np.isfinite(c_all) & (c_all > 0)
    fixed = float(mv.loc[~active, "captured"].sum())
    segs = mv.index[active].to_numpy()
    p = mv["potential"].to_numpy(dtype=float)[active]
    c = c_all[active]
    h = hours.to_numpy(dtype=float)[active]
    total_p = float(mv["potential"].sum())

    def solve(hc: int) -> tuple[float, float, np.ndarray]:
        x, lam = _optimal_calls(p, c, h, hc * float(capacity_hours), max_calls)
        return fixed + float(np.sum(captured(p, x, c))), lam, x

    rows = []
    for hc in sorted({int(v) for v in headcounts}):
        if hc < 0:
            raise ConfigError(f"headcounts must be >= 0; got {hc}")
        won, lam, x = solve(hc)
        row = {"headcount": hc, "hours": hc * float(capacity_hours), "captured": won, "value_per_hour": lam}
        row["gain_of_next_rep"] = solve(hc + 1)[0] - won
        for s_, xs in zip(segs, x, strict=True):
            row[f"calls_{s_}"] = float(xs)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["captured_share"] = out["captured"] / total_p if total_p > 0 else 0.0
    out["cost_per_rep"] = float(cost_per_rep)
    out["next_rep_sales_per_cost"] = out["gain_of_next_rep"] / cost_per_rep if cost_per_rep > 0 else np.nan
    first = ["headcount", "hours", "captured", "captured_share", "value_per_hour", "gain_of_next_rep"]
    rest = ["cost_per_rep", "next_rep_sales_per_cost"]
    out = out[first + rest + [col for col in out.columns if col.startswith("calls_")]]
    out.attrs["today_sales"] = float(mv["sales"].sum())
    out.attrs["today_captured"] = float(mv["captured"].sum())
    out.attrs["today_hours"] = float(scored["workload"].sum()) if "workload" in scored.columns else np.nan
    return out


def rep_marginal(
    scored: pd.DataFrame,
    reps: pd.DataFrame,
    capacity_hours: float | None = None,
    segment_col: str = "segment",
) -> pd.DataFrame:
    """Where an added rep earns most: the value of one more hour in each rep's book.

    A rep whose planned workload :math:`W_r` exceeds capacity :math:`C_r` can make only the
    share :math:`f_r = \\min(1, C_r / W_r)` of the planned calls :math:`x_i`, so the book
    wins :math:`\\sum_i P_i (1 - e^{-f_r x_i / c_s})`, with :math:`c_s` calibrated per segment to
    today's sales (:func:`calibrate_response`). One more hour raises :math:`f_r` by :math:`1/W_r`, which
    earns

    .. math:: g_r = \\frac{1}{W_r} \\sum_i P_i \\frac{x_i}{c_s} e^{-f_r x_i / c_s}

    Reps with the highest :math:`g_r` are where a new rep (taking part of the book) earns most. Accounts
    of segments that cannot be calibrated (:data:`CALIBRATION_STATUS`) count their sales and no gain.

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``workload_hours``, ``capacity_hours``, ``call_share`` (:math:`f_r`),
        ``potential``, ``captured``, ``gain_per_added_hour``, ``rank``.
    """
    need = ["owner_rep_id", "potential", "sales", "calls_per_year", "workload", segment_col]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ConfigError(f"scored accounts lack column(s) {missing} (use score_accounts)")
    _, c_all = _calibrated_accounts(scored, segment_col)  # calibrated on every account, owned or not
    owned = scored["owner_rep_id"].notna().to_numpy()  # accounts without an owner load no rep
    scored, c_i = scored[owned], c_all[owned]
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
    ratio = _response_ratio(f[pos] * xi, c_i)
    e = np.exp(-ratio)
    known = np.isfinite(c_i)
    cap_i = np.where(known, pi * (1 - e), scored["sales"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore"):  # inf x 0 of a saturated segment: masked just below
        slope = np.where(known & np.isfinite(ratio) & (c_i > 0), _response_ratio(xi, c_i) * e, 0.0)
    deriv = np.bincount(pos, weights=pi * slope, minlength=m)
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
    """Segment, estimate potential and compute workload for every account, on pandas or Dask.

    Steps (:func:`terrkit.scale.scoring.score_frame`, one code path for both back ends): current
    annual sales (:func:`terrkit.measures.annual_sales`), peer potential
    (:func:`terrkit.potential.peer_potential`) or the model's, ABC tiers on potential and RFM scores
    (always), firmographic clusters when ``scheme`` is "kmeans" or "gmm", then workload from the
    coverage model of ``scheme``'s segments.

    ``accounts`` and ``sales`` may be Dask DataFrames (``engine: dask``): the result is then a Dask
    DataFrame partitioned by account, with the same values as the pandas result. Clusters and the
    model potential are fitted in memory and need the pandas engine.

    Returns
    -------
    (DataFrame, dict)
        The scored accounts (``account_id``, ``unit_id``, ``owner_rep_id``, segment columns,
        ``sales``, ``potential``, ``whitespace``, ``penetration``, coverage and travel columns,
        ``workload``) and the intermediate results: ``"coverage"`` and ``"rules"`` (the whole-table
        statistics, :class:`terrkit.scale.scoring.ScoringRules`), and on pandas ``"segments"``,
        ``"potential"`` and ``"main_segment"``.
    """
    from terrkit.potential import PotentialResult, annual_sales, model_potential
    from terrkit.scale.backend import is_dask
    from terrkit.scale.scoring import score_frame
    from terrkit.segment import ABC_CUTS, SCHEMES, SegmentResult, describe_segments, segment

    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise ValueError(f"unknown segmentation scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    cov = load_coverage(coverage, key)  # fail fast on a bad or missing coverage table
    dask = is_dask(accounts)
    if dask and (key in ("kmeans", "gmm") or potential_method != "peer"):
        raise ConfigError(
            f"scheme {key!r} with potential {potential_method!r} runs on the pandas engine only; on the dask "
            "engine use scheme abc or rfm and potential peer (their whole-table steps have exact "
            "partition-wise forms; clustering and the model are fitted in memory)"
        )
    sp = dict(segment_params or {})
    pp = dict(potential_params or {})
    inputs = accounts
    segment_column = {"abc": "abc_tier_by_potential", "rfm": "rfm_segment"}.get(key, f"{key}_segment")
    clusters = None
    if key in ("kmeans", "gmm"):
        sp.setdefault("seed", seed)
        clusters = segment(accounts, key, **sp)
        inputs = inputs.assign(**{segment_column: clusters.labels[clusters.column].to_numpy()})
    estimate_column = None
    if potential_method == "model":
        pp.setdefault("seed", seed)
        model = model_potential(accounts, annual_sales(accounts, sales, as_of=as_of), quantile=quantile, **pp)
        estimate_column = "model_estimate"
        inputs = inputs.assign(model_estimate=model.accounts["estimate"].to_numpy())
    elif potential_method != "peer":
        raise ValueError(f"unknown potential method {potential_method!r}; valid methods: peer, model")
    abc_params = sp if key == "abc" else {}
    rfm_params = sp if key == "rfm" else {}
    scored, rules = score_frame(
        inputs, sales, reps, cov, segment_column=segment_column, quantile=quantile,
        min_group=int(pp.get("min_group", 20)), as_of=as_of,
        abc_cuts=abc_params.get("cuts", ABC_CUTS), abc_labels=abc_params.get("labels", ("A", "B", "C")),
        rfm_window=rfm_params.get("window"), n_bins=int(rfm_params.get("n_bins", 5)),
        estimate_column=estimate_column, travel_params=travel_params,
    )  # fmt: skip
    scored = scored.drop(columns=["peer_level", "peer_group_size", "model_estimate"], errors="ignore")
    if dask:
        return scored, {"coverage": cov, "rules": rules}
    abc_cuts = [float(c) for c in abc_params.get("cuts", ABC_CUTS)]
    tier = scored["abc_tier_by_potential"]
    rfm_columns = ["account_id", "r_score", "f_score", "m_score", "rfm_code", "rfm_score", "rfm_segment"]
    rfm_used = {
        "as_of": rules.as_of,
        "window": rfm_params.get("window"),
        "n_bins": rfm_params.get("n_bins", 5),
    }
    tier_profiles = describe_segments(
        accounts, tier, value=scored["potential"].to_numpy(), value_name="potential", label="Tier"
    )
    segs = {
        "abc": SegmentResult(
            "abc", "abc_tier_by_potential", scored[["account_id", "abc_tier_by_potential"]], tier_profiles,
            params={"value": "potential", "cuts": abc_cuts, "labels": list(tier.cat.categories)},
        ),
        "rfm": SegmentResult(
            "rfm", "rfm_segment", scored[rfm_columns],
            describe_segments(accounts, scored["rfm_segment"], label=""), params=rfm_used,
        ),
    }  # fmt: skip
    if clusters is not None:
        segs[key] = clusters
    pot_cols = ["account_id", "sales", "potential", "whitespace", "penetration"]
    potential = PotentialResult(potential_method, scored[pot_cols], params={"quantile": quantile})
    return scored, {"segments": segs, "potential": potential, "coverage": cov, "main_segment": segs[key],
                    "rules": rules}  # fmt: skip


#: Columns of accounts_scored.csv.
SCORED_COLUMNS = (
    "account_id", "unit_id", "owner_rep_id", "segment", "abc_tier_by_potential", "rfm_segment", "rfm_code",
    "rfm_score",
    "kmeans_segment", "gmm_segment", "sales", "potential", "whitespace", "penetration",
    "calls_per_year", "coverage_mode", "travel_minutes", "call_hours", "workload",
)  # fmt: skip


#: Names of the time columns in the written files: the unit in the name (``workload`` is hours per year).
FILE_COLUMNS = {
    "workload": "workload_hours_per_year",
    "call_hours": "call_hours_per_year",
    "travel_minutes": "travel_minutes_per_call",
}


def write_scored(
    scored: pd.DataFrame, units: pd.DataFrame, output_dir: str | Path | None
) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Aggregate to units and write ``accounts_scored.csv`` and ``units_scored.gpkg``.

    Files are written atomically with :mod:`terrkit.io` writers into ``output_dir``; nothing is
    written when ``output_dir`` is empty or None. In the files, the time columns carry their unit in
    their name (:data:`FILE_COLUMNS`: ``workload_hours_per_year``, ``travel_minutes_per_call``).

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
        tio.write_csv(scored[cols].rename(columns=FILE_COLUMNS), paths["accounts_scored"])
        unit_file = units_scored.rename(columns=FILE_COLUMNS)
        if "geometry" in units_scored.columns:
            paths["units_scored"] = folder / "units_scored.gpkg"
            tio.write_geo(unit_file, paths["units_scored"])
        else:
            paths["units_scored"] = folder / "units_scored.csv"
            tio.write_csv(unit_file, paths["units_scored"])
    return units_scored, paths
