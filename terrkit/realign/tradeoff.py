"""The trade-off between balance, travel and disruption, swept through the design engine.

A realignment can make territories more even (balance) and shorter to drive (travel), but every
unit that changes territory may take customers away from the rep who knows them (disruption).
:func:`sweep` asks the design engine for one plan per pair (disruption cap, balance tolerance):

- the **disruption cap** is the largest share of revenue allowed to change territory
  (``max_moved`` of :class:`terrkit.design.problem.TerritoryDesignProblem`);
- the **balance tolerance** is how far a territory may be from the mean on the balance measure.

Each plan is measured the same way (:func:`evaluate_plan`), after reps are assigned to the
proposed territories (:func:`terrkit.realign.moves.assign_reps`):

- **balance**: the largest relative deviation of a territory from the mean on the balance measure
  (and its coefficient of variation);
- **travel**: the weighted mean great-circle distance (km) from each account to its new rep's home
  base (weights: ``account_weight``, e.g. calls per year, so that accounts visited often count more);
- **disruption**: the share of revenue whose rep changes.

:func:`choose_plan` recommends **the least disruptive plan whose balance is within the target
tolerance** (ties broken by travel); when no plan meets the target, the best balanced one.

The design step is a parameter (``design=``), so that any engine, or a small fake in tests, can be
swept; :func:`engine_design` wraps terrkit's engine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, InfeasibleError, SolverError
from terrkit.geo import haversine_km
from terrkit.realign.moves import account_assignments, assign_reps, proposal_alignment
from terrkit.review.balance import coefficient_of_variation, max_deviation

#: A design step: ``design(units, k=..., tolerance=..., max_moved=..., time_limit=..., seed=...)`` returns
#: the proposed territory label per unit (a Series indexed by ``unit_id``).
DesignFn = Callable[..., pd.Series]


def parse_caps(text: str | Sequence[float]) -> list[float]:
    """Disruption caps from a comma-separated string (``"0.05, 0.1, 1"``); each in (0, 1], sorted."""
    return _parse_shares(text, "disruption cap", allow_zero=False)


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


def engine_design(
    balance_col: str = "potential",
    weight_col: str | None = "workload",
    moved_col: str = "sales",
    current_col: str = "territory_id",
    contiguous: bool = True,
    solver: str = "highs",
) -> DesignFn:
    """A design step backed by :class:`terrkit.design.problem.TerritoryDesignProblem`.

    The returned callable builds ``TerritoryDesignProblem.from_geodataframe(units, k, id="unit_id",
    balance={balance_col: tolerance}, weight=weight_col, contiguous=contiguous, current=current_col,
    max_moved=max_moved, moved_measure=moved_col)``, solves it with ``solver`` and returns the
    proposed territory per unit, named like the current territories. ``attrs`` carry the solver's
    ``status``, ``method``, ``seconds`` and a ``message`` listing the requirements a plan breaks.
    """

    def design(
        units: gpd.GeoDataFrame, *, k: int, tolerance: float, max_moved: float, time_limit: float, seed: int
    ) -> pd.Series:
        from terrkit.design.problem import TerritoryDesignProblem

        cols = ["unit_id", balance_col, moved_col, current_col, "geometry"]
        if weight_col and weight_col not in cols:
            cols.insert(2, weight_col)
        problem = TerritoryDesignProblem.from_geodataframe(
            units[cols],
            k,
            id="unit_id",
            balance={balance_col: tolerance},
            weight=weight_col,
            contiguous=contiguous,
            current=current_col,
            max_moved=max_moved,
            moved_measure=moved_col,
        )
        result = problem.solve(solver=solver, time_limit=time_limit, seed=seed)
        labels = result.labels.copy()
        names = list(problem.territory_names)
        if pd.api.types.is_integer_dtype(labels) and not set(labels.unique()) <= set(names):
            labels = labels.map(dict(enumerate(names)))  # engine versions that return 0..k-1
        labels.index = labels.index.astype(str)
        labels.index.name = "unit_id"
        labels.attrs.update(
            status=result.status,
            method=result.method,
            seconds=result.seconds,
            message="; ".join(result.violations),
        )
        return labels

    return design


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
        ``travel_km``, ``disruption``, ``revenue_moved``, ``units_changing_rep``, ``customers``,
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
        disruption=float(rev[moved].sum() / rev.sum()) if rev.sum() > 0 else 0.0,
        revenue_moved=float(rev[moved].sum()),
        units_changing_rep=int((new.reindex(cur.index).fillna("") != cur.fillna("")).sum()),
        customers=int(customer.sum()),
        customers_kept=int((customer & ~moved).sum()),
        territories=int(proposed.nunique()),
    )
    return out


def pareto_front(
    table: pd.DataFrame, columns: Sequence[str] = ("balance", "travel_km", "disruption")
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


@dataclass
class SweepResult:
    """Plans of a trade-off sweep.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per plan (index ``plan``): ``label``, ``cap``, ``tolerance``, ``status``, ``method``,
        ``seconds``, ``message``, the measures of :func:`evaluate_plan`, ``meets_cap`` and
        ``meets_tolerance`` (whether the measured plan honours what was asked: a heuristic answer
        may not) and ``on_front``.
        The first row, ``current``, is the current alignment.
    proposals : dict
        Plan -> proposed territory per unit.
    """

    table: pd.DataFrame
    proposals: dict[str, pd.Series] = field(default_factory=dict)


def sweep(
    units: gpd.GeoDataFrame,
    accounts: pd.DataFrame,
    revenue: pd.Series,
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame,
    caps: Sequence[float],
    tolerances: Sequence[float],
    *,
    design: DesignFn | None = None,
    k: int | None = None,
    balance_col: str = "potential",
    account_weight: pd.Series | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
    keep_exceptions: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SweepResult:
    """Design one plan per (cap, tolerance) and measure every plan.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        One row per unit: ``unit_id``, geometry, the current territory (``territory_id``) and the
        measures the design step needs (``balance_col``, the weight and the moved measure).
    accounts, revenue, current_alignment, reps
        As in :func:`evaluate_plan`.
    caps, tolerances : sequence of float
        Disruption caps (shares of revenue) and balance tolerances.
    design : callable, optional
        The design step (:data:`DesignFn`); default :func:`engine_design` with ``balance_col``.
    k : int, optional
        Number of territories (default: as many as today).
    time_limit : float, default 10
        Seconds per plan.
    seed : int, default 0

    Returns
    -------
    SweepResult
        A plan that cannot be made is kept as a row with no measures, its status (``infeasible`` when
        the engine proves it impossible, ``failed`` for any other error of the design step) and the
        message; the sweep goes on with the next plan.
    """
    design = design or engine_design(balance_col=balance_col)
    say = progress or (lambda _line: None)
    k = k or int(current_alignment["territory_id"].nunique())
    current = units["unit_id"].map(
        current_alignment.drop_duplicates("unit_id").set_index("unit_id")["territory_id"]
    )
    current.index = units["unit_id"].to_numpy()
    measure = {
        "accounts": accounts,
        "revenue": revenue,
        "current_alignment": current_alignment,
        "reps": reps,
        "balance_col": balance_col,
        "account_weight": account_weight,
        "keep_exceptions": keep_exceptions,
    }
    rows = [
        {
            "plan": "current",
            "label": "current",
            "cap": 0.0,
            "tolerance": np.nan,
            "status": "current",
            "method": "",
            "seconds": 0.0,
            "message": "",
            **evaluate_plan(current, units, **measure),
        }
    ]
    proposals = {"current": current}
    for tol in tolerances:
        for cap in caps:
            key = f"cap {cap:.0%} / tol {tol:.0%}"
            row = {"plan": key, "label": f"{cap:.0%}/{tol:.0%}", "cap": cap, "tolerance": tol}
            t0 = time.perf_counter()
            try:
                labels = design(units, k=k, tolerance=tol, max_moved=cap, time_limit=time_limit, seed=seed)
            except Exception as err:  # noqa: BLE001 - one failed plan must not stop the sweep; it is reported
                status = "infeasible" if isinstance(err, InfeasibleError) else "failed"
                message = (
                    str(err)
                    if isinstance(err, InfeasibleError | SolverError)
                    else f"{type(err).__name__}: {err}"
                )
                row.update(status=status, message=message, method="", seconds=time.perf_counter() - t0)
                rows.append(row)
                say(f"{key}: {row['status']}")
                continue
            labels = labels.reindex(units["unit_id"].to_numpy())
            if labels.isna().any():
                row.update(
                    status="failed",
                    message="the design left units without a territory",
                    method="",
                    seconds=time.perf_counter() - t0,
                )
                rows.append(row)
                continue
            row.update(
                status=labels.attrs.get("status", "feasible"),
                method=labels.attrs.get("method", ""),
                seconds=labels.attrs.get("seconds", time.perf_counter() - t0),
                message=labels.attrs.get("message", ""),
            )
            row.update(evaluate_plan(labels, units, **measure))
            proposals[key] = labels
            rows.append(row)
            say(
                f"{key}: balance {row['balance']:.1%}, disruption {row['disruption']:.1%}, "
                f"travel {row['travel_km']:.0f} km"
            )
    table = pd.DataFrame(rows).set_index("plan")
    for col in ("balance", "cv", "travel_km", "disruption"):
        if col not in table:
            table[col] = np.nan
    table["meets_cap"] = table["disruption"] <= table["cap"] + 1e-9
    table.loc["current", "meets_cap"] = True
    table["meets_tolerance"] = table["balance"] <= table["tolerance"] + 1e-9
    table["on_front"] = pareto_front(table)
    return SweepResult(table, proposals)


def choose_plan(table: pd.DataFrame, tolerance: float) -> tuple[str, bool]:
    """The least disruptive plan whose balance is within ``tolerance``; ties go to the shorter travel.

    Returns
    -------
    (plan, meets_target)
        When no plan meets the target, the best balanced plan and False.
    """
    ok = table.dropna(subset=["balance", "disruption"])
    if ok.empty:
        raise ConfigError("no plan of the sweep could be measured; see the status and message columns")
    within = ok[ok["balance"] <= tolerance + 1e-9]
    if len(within):
        best = within.sort_values(["disruption", "travel_km", "balance"], kind="stable").index[0]
        return str(best), True
    best = ok.sort_values(["balance", "disruption", "travel_km"], kind="stable").index[0]
    return str(best), False


def recommendation(table: pd.DataFrame, plan: str, tolerance: float, meets_target: bool) -> str:
    """The recommendation in plain words: what the chosen plan gains and costs against today."""
    row = table.loc[plan]
    cur = table.loc["current"] if "current" in table.index else None
    rule = (
        "Rule: among the plans whose territories are all within the balance target, pick the one that "
        "moves the least revenue between reps (ties: shorter travel)."
    )
    if not meets_target:
        head = (
            f"No plan brings every territory within {tolerance:.0%} of the mean, so the best balanced plan, "
            f"**{plan}**, is recommended: its largest deviation is {row['balance']:.0%}."
        )
    elif plan == "current":
        head = (
            f"The current alignment already meets the balance target of {tolerance:.0%}: "
            "no realignment is needed."
        )
    else:
        head = (
            f"Recommended: **{plan}**, the least disruptive plan with every territory within "
            f"{tolerance:.0%} of the mean (largest deviation {row['balance']:.0%})."
        )
    parts = [head, rule]
    if cur is not None and plan != "current":
        parts.append(
            f"Against today it changes the rep of {row['disruption']:.1%} of revenue "
            f"({int(row['units_changing_rep'])} units), moves the largest imbalance from "
            f"{cur['balance']:.0%} to {row['balance']:.0%} (CV {cur['cv']:.2f} to {row['cv']:.2f}) and "
            f"the weighted travel from {cur['travel_km']:.0f} km to {row['travel_km']:.0f} km."
        )
    less = table.dropna(subset=["balance"]).query("disruption < @row['disruption'] and plan != @plan")
    if len(less):
        alt = less.sort_values("balance").iloc[0]
        parts.append(
            f"Moving less is possible (e.g. {alt.name}: {alt['disruption']:.1%} of revenue) but leaves a "
            f"territory {alt['balance']:.0%} away from the mean."
        )
    return " ".join(parts)
