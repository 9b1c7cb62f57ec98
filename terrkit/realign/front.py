"""The least-disruption front: one rep-anchored plan per balance tolerance, each moving the least revenue.

A realignment can make territories more even (balance) and shorter to drive (travel), but every
account that changes rep may lose a relationship (disruption). For each balance tolerance (by default
±5%, ±10%, ±20% and ±35%), :func:`least_disruption_front` asks the design engine for **the plan that
moves the least revenue** while every territory is within the tolerance
(:mod:`terrkit.realign.least_disruption`), so the table is a front: how much revenue each level of
balance costs. Other measures keep their ratio to the first one (with the defaults ±5% potential and
±10% call hours, the ±20% plan allows ±40% call hours).

Each plan is measured the same way, from the accounts and independently of the engine
(:func:`evaluate_plan`):

- **balance**: the largest relative deviation of a territory from the mean, per measure;
- **travel**: the weighted mean great-circle distance (km) from each account to its new rep's home
  (weights: ``account_weight``, e.g. calls per year, so that accounts visited often count more);
- **disruption**: the share of revenue whose rep changes; and the customers who keep their rep.

The front is made monotone on purpose: a plan that meets a tight tolerance also meets every wider one,
so when the engine's plan for a wider tolerance moves more revenue than a tighter plan, the tighter plan
is kept for it (the row says so). :func:`recommend_plan` recommends **the least disruptive plan whose
balance is within the target** (ties broken by travel).

The design step is a parameter (``design=``), so that a small fake can be swept in tests;
:func:`least_disruption_design` wraps terrkit's engine. Plans are measured by
:func:`terrkit.realign.tradeoff.evaluate_plan`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, InfeasibleError, SolverError
from terrkit.realign.least_disruption import PLAN_TIME_LIMIT
from terrkit.realign.tradeoff import evaluate_plan, pareto_front

#: Default balance tolerances of the front.
DEFAULT_TOLERANCES = (0.05, 0.10, 0.20, 0.35)

#: A design step: ``design(units, balance={measure: tolerance}, time_limit=..., seed=...)`` returns a
#: :class:`terrkit.realign.least_disruption.LeastDisruptionPlan` (or any object with ``status``,
#: ``labels`` (territory per unit), ``method``, ``seconds``, ``message`` and ``revenue_bound``).
DesignFn = Callable[..., object]


def scaled_balance(base: Mapping[str, float], tolerance: float) -> dict[str, float]:
    """Tolerances for every measure when the first one is ``tolerance``: the others keep their ratio to it.

    ``scaled_balance({"potential": 0.05, "workload": 0.10}, 0.2) == {"potential": 0.2, "workload": 0.4}``.
    """
    items = list(base.items())
    if not items:
        raise ConfigError("give at least one balance measure")
    first = items[0][1]
    if first <= 0:
        return {m: float(tolerance) for m, _ in items}
    return {m: float(tolerance) * float(t) / float(first) for m, t in items}


def least_disruption_design(
    costs,
    *,
    travel_weight: float | None = None,
    contiguous: bool = True,
    locks: Mapping[str, str] | None = None,
) -> DesignFn:
    """A design step backed by :func:`terrkit.realign.least_disruption.least_disruption_plan`.

    ``costs`` is the :class:`~terrkit.realign.least_disruption.RealignmentCosts` of the units that will
    be swept.
    """
    from terrkit.realign import least_disruption as ld

    weight = ld.TRAVEL_WEIGHT if travel_weight is None else travel_weight

    def design(units: gpd.GeoDataFrame, *, balance: Mapping[str, float], time_limit: float, seed: int):
        return ld.least_disruption_plan(
            units, costs, balance, travel_weight=weight, contiguous=contiguous, locks=locks,
            time_limit=time_limit, seed=seed,
        )  # fmt: skip

    return design


@dataclass
class FrontResult:
    """Plans of a trade-off sweep.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per plan (index ``plan``, e.g. ``±5%``): ``label``, ``tolerance`` (of the first
        measure), ``status``, ``method``, ``seconds``, ``stopped_by`` (``converged``, ``budget`` or
        ``time_limit``: why the engine stopped), ``message``, ``revenue_bound`` (least revenue any
        plan within the tolerance must move, NaN when unknown), ``travel_bound_km`` (least travel any
        plan within the tolerance can have around these centers, NaN when unknown), ``kept_from`` (the
        tighter plan kept for this tolerance, else empty), the measures of :func:`evaluate_plan`,
        ``meets_tolerance`` (every measure within its tolerance, measured independently of the engine) and
        ``on_front``.
        The first row, ``current``, is the current alignment.
    proposals : dict
        Plan -> proposed territory per unit.
    balance : dict
        The measures and their tolerances at the first swept tolerance.
    """

    table: pd.DataFrame
    proposals: dict[str, pd.Series] = field(default_factory=dict)
    balance: dict[str, float] = field(default_factory=dict)


def plan_key(tolerance: float) -> str:
    """Name of the plan of a tolerance: ``±5%``."""
    return f"±{tolerance:.0%}" if round(tolerance * 100, 6) == round(tolerance * 100) else f"±{tolerance:.1%}"


def least_disruption_front(
    units: gpd.GeoDataFrame,
    accounts: pd.DataFrame,
    revenue: pd.Series,
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame,
    tolerances: Sequence[float] = DEFAULT_TOLERANCES,
    *,
    design: DesignFn,
    balance: Mapping[str, float] | None = None,
    rep_map: pd.DataFrame | None = None,
    account_weight: pd.Series | None = None,
    time_limit: float = PLAN_TIME_LIMIT,
    seed: int = 0,
    keep_exceptions: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FrontResult:
    """Design one least-disruption plan per balance tolerance and measure every plan.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        One row per unit: ``unit_id``, geometry, ``territory_id`` (today) and the balance measures.
    accounts, revenue, current_alignment, reps
        As in :func:`evaluate_plan`.
    tolerances : sequence of float
        Tolerances of the first balance measure; the others scale with it (:func:`scaled_balance`).
    design : callable
        The design step (:data:`DesignFn`), e.g. :func:`least_disruption_design`.
    balance : mapping {measure: tolerance}, optional
        The measures and their ratio (default ``{"potential": 0.05, "call_hours": 0.10}``).
    rep_map : pandas.DataFrame, optional
        Rep of each territory for a rep-anchored design (see :func:`evaluate_plan`).
    time_limit : float, default 120
        Seconds per plan: sets its work budget, and is a safety stop (a plan cut short is reported as
        such). See :data:`terrkit.realign.least_disruption.PLAN_TIME_LIMIT`.

    Returns
    -------
    FrontResult
        A plan that cannot be made is kept as a row with no measures, its status (``infeasible`` with the
        reason when the engine proves it impossible, ``failed`` for any other error) and the message.
    """
    from terrkit.realign.least_disruption import DEFAULT_BALANCE

    base = dict(DEFAULT_BALANCE if balance is None else balance)
    measures = list(base)
    say = progress or (lambda _line: None)
    current = units["territory_id"].copy()
    current.index = units["unit_id"].astype(str).to_numpy()
    measure = {
        "accounts": accounts,
        "revenue": revenue,
        "current_alignment": current_alignment,
        "reps": reps,
        "balance_cols": measures,
        "account_weight": account_weight,
        "keep_exceptions": keep_exceptions,
    }
    rows = [
        {
            "plan": "current", "label": "today", "tolerance": np.nan, "status": "current", "method": "",
            "seconds": 0.0, "stopped_by": "", "message": "", "revenue_bound": 0.0, "travel_bound_km": np.nan,
            "kept_from": "",
            **evaluate_plan(current, units, **measure, rep_map=rep_map),
        }
    ]  # fmt: skip
    proposals = {"current": current}
    tols = sorted(set(float(t) for t in tolerances))
    best_key: str | None = None
    for tol in tols:
        key = plan_key(tol)
        asked = scaled_balance(base, tol)
        row = {
            "plan": key, "label": key, "tolerance": tol, "kept_from": "", "revenue_bound": np.nan,
            "travel_bound_km": np.nan,
        }  # fmt: skip
        t0 = time.perf_counter()
        try:
            plan = design(units, balance=asked, time_limit=time_limit, seed=seed)
        except Exception as err:  # noqa: BLE001 - one failed plan must not stop the sweep; it is reported
            status = "infeasible" if isinstance(err, InfeasibleError) else "failed"
            message = (
                str(err) if isinstance(err, InfeasibleError | SolverError) else f"{type(err).__name__}: {err}"
            )
            row.update(status=status, message=message, method="", seconds=time.perf_counter() - t0)
            rows.append(row)
            say(f"{key}: {status}")
            continue
        row.update(
            status=plan.status, method=plan.method, seconds=plan.seconds, message=plan.message,
            stopped_by=getattr(plan, "stopped_by", ""),
            revenue_bound=getattr(plan, "revenue_bound", np.nan),
            travel_bound_km=getattr(plan, "travel_bound_km", np.nan),
        )  # fmt: skip
        labels = None if plan.labels is None else plan.labels.reindex(current.index)
        if labels is not None and labels.isna().any():
            row.update(status="failed", message="the design left units without a territory")
            labels = None
        if labels is not None:
            row.update(evaluate_plan(labels, units, **measure, rep_map=rep_map))
            row["meets_tolerance"] = _within(row, asked)
        best = next((r for r in rows if r["plan"] == best_key), None)
        if best is not None and _within(best, asked):
            engine_moves = row["revenue_moved"] if labels is not None else np.inf
            if not row.get("meets_tolerance") or best["revenue_moved"] < engine_moves:
                row.update({c: best[c] for c in best if c.startswith("balance_") or c in _MEASURED})
                row.update(meets_tolerance=True, kept_from=best_key)
                row["message"] = (
                    f"the {best_key} plan also meets {key} and moves less revenue than the engine's "
                    f"plan for {key} ({plan.status}); it is kept"
                )
                labels = proposals[best_key]
        if labels is not None:
            proposals[key] = labels
            if row.get("meets_tolerance") and not row["kept_from"]:
                best_key = key
        rows.append(row)
        measured = "revenue_moved_share" in row and pd.notna(row["revenue_moved_share"])
        say(f"{key}: {row['status']}" + (f", {_figures(row)}" if measured else ""))
    table = pd.DataFrame(rows).set_index("plan")
    for col in ("balance", "cv", "travel_km", "revenue_moved_share", "revenue_moved"):
        if col not in table:
            table[col] = np.nan
    if "meets_tolerance" not in table:
        table["meets_tolerance"] = False
    table["meets_tolerance"] = table["meets_tolerance"].fillna(False).astype(bool)
    table.loc["current", "meets_tolerance"] = False
    table = settle_status(table)
    table["on_front"] = pareto_front(table)
    return FrontResult(table, proposals, scaled_balance(base, tols[0]) if tols else base)


#: Statuses of a sweep row whose plan meets its tolerance (as measured from the accounts).
MET = ("optimal", "feasible")


def settle_status(table: pd.DataFrame) -> pd.DataFrame:
    """Make each plan's ``status`` agree with its ``meets_tolerance`` flag; keep the engine's word apart.

    The engine's own status goes to ``engine_status``. ``status`` is then what the row's plan is:

    - ``optimal``: the engine proved its plan the least disruptive for the tolerance, and the plan,
      measured from the accounts, meets it;
    - ``feasible``: the plan meets the tolerance (the engine's without a proof, or a tighter plan kept);
    - ``requirements_not_met``: a plan exists but does not meet the tolerance (the message says which
      measure and by how much when the engine claimed otherwise);
    - ``infeasible`` or ``failed``: no plan (the message says why); ``current``: today's alignment.

    So ``status in ("optimal", "feasible")`` holds exactly when ``meets_tolerance`` does.
    """
    out = table.copy()
    out["engine_status"] = out["status"]
    for key, row in out.iterrows():
        status = row["status"]
        if status == "current":
            continue
        if row["meets_tolerance"]:
            kept = bool(row.get("kept_from", ""))
            out.at[key, "status"] = "optimal" if status == "optimal" and not kept else "feasible"
        elif pd.notna(row.get("balance")):
            if status in MET:
                measured = ", ".join(
                    f"{c.removeprefix('balance_')} {float(row[c]):.1%}"
                    for c in out.columns
                    if c.startswith("balance_") and pd.notna(row[c])
                )
                out.at[key, "message"] = (
                    f"the engine reported {status}, but measured from the accounts the plan is outside "
                    f"the tolerance (largest deviations: {measured})"
                )
            out.at[key, "status"] = "requirements_not_met"
        elif status in MET:
            out.at[key, "status"] = "failed"
            out.at[key, "message"] = f"the engine reported {status} but returned no plan to measure"
    return out


#: Columns of :func:`evaluate_plan` copied when a tighter plan is kept for a wider tolerance.
_MEASURED = (
    "cv", "travel_km", "revenue_moved_share", "revenue_moved", "units_changing_rep", "customers",
    "customers_kept", "territories",
)  # fmt: skip


def _figures(row: Mapping) -> str:
    return (
        f"balance {row['balance']:.1%}, revenue moved {row['revenue_moved_share']:.1%}, "
        f"travel {row['travel_km']:.0f} km"
    )


def _within(row: Mapping, asked: Mapping[str, float]) -> bool:
    """Every measure of a measured row within its asked tolerance."""
    return all(float(row.get(f"balance_{m}", np.inf)) <= t + 1e-9 for m, t in asked.items())


def recommend_plan(table: pd.DataFrame, tolerance: float) -> tuple[str, bool]:
    """The least disruptive plan that meets ``tolerance``; ties go to the shorter travel.

    A plan meets the tolerance when every balance measure is within it (scaled as in the sweep:
    ``meets_tolerance`` of the plan of that tolerance), or, without those columns, when ``balance`` is.

    Returns
    -------
    (plan, meets_target)
        When no plan meets the target, the best balanced plan and False.
    """
    ok = table.dropna(subset=["balance", "revenue_moved_share"])
    if ok.empty:
        raise ConfigError("no plan of the sweep could be measured; see the status and message columns")
    if "tolerance" in ok and "meets_tolerance" in ok:
        within = ok[ok["meets_tolerance"].astype(bool) & (ok["tolerance"] <= tolerance + 1e-9)]
        within = pd.concat([within, ok[ok.index.isin(["current"]) & (ok["balance"] <= tolerance + 1e-9)]])
    else:
        within = ok[ok["balance"] <= tolerance + 1e-9]
    if len(within):
        best = within.sort_values(["revenue_moved_share", "travel_km", "balance"], kind="stable").index[0]
        return str(best), True
    best = ok.sort_values(["balance", "revenue_moved_share", "travel_km"], kind="stable").index[0]
    return str(best), False


def _money(value: float) -> str:
    return f"{value:,.0f}"


def explain_recommendation(
    table: pd.DataFrame,
    plan: str,
    tolerance: float,
    meets_target: bool,
    movement: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
) -> str:
    """The recommendation in one paragraph a sales VP can follow: what moves, who gains and loses, and why.

    Parameters
    ----------
    table : pandas.DataFrame
        The sweep's table.
    plan : str
        The chosen plan; ``meets_target`` whether it meets ``tolerance``.
    movement : pandas.DataFrame, optional
        Revenue gained and lost per rep (:func:`terrkit.realign.moves.rep_movement`): names who gains
        and who loses most.
    reps : pandas.DataFrame, optional
        ``rep_id``, ``name``, to name the reps.
    """
    row = table.loc[plan]
    cur = table.loc["current"] if "current" in table.index else None
    if not meets_target:
        head = (
            f"No plan of the sweep brings every territory within {tolerance:.0%} of the mean, so the best "
            f"balanced plan, **{plan}**, is recommended: its largest deviation is {row['balance']:.0%}."
        )
        target_rows = (
            table[(table["tolerance"] - tolerance).abs() < 1e-9] if "tolerance" in table else table[:0]
        )
        if len(target_rows) and target_rows["status"].iloc[0] == "requirements_not_met":
            head += (
                f" The engine did not find a ±{tolerance:.0%} plan within its time limit; that is not a "
                "proof that none exists (a longer time limit may find one)."
            )
        elif len(target_rows) and target_rows["status"].iloc[0] == "infeasible":
            head += f" A ±{tolerance:.0%} plan is impossible: {target_rows['message'].iloc[0]}"
    elif plan == "current":
        head = (
            f"Today's alignment already meets the balance target of {tolerance:.0%}: "
            "no realignment is needed."
        )
    else:
        head = (
            f"Recommended: **{plan}**, the plan that moves the least revenue while every territory is within "
            f"{tolerance:.0%} of the mean (largest deviation {row['balance']:.1%})."
        )
    parts = [head]
    if cur is not None and plan != "current":
        moved = (
            f"It changes the rep of {row['revenue_moved_share']:.1%} of revenue "
            f"({_money(row.get('revenue_moved', np.nan))})"
            if "revenue_moved" in row
            else f"It changes the rep of {row['revenue_moved_share']:.1%} of revenue"
        )
        bound = row.get("revenue_bound", np.nan)
        if pd.notna(bound) and "revenue_moved" in row and row["revenue_moved"] > 0:
            moved += (
                f"; no plan within the target can move less than {_money(bound)} "
                f"({bound / row['revenue_moved']:.0%} of it)"
            )
        kept = ""
        if "customers" in row and row["customers"]:
            kept = (
                f"; {int(row['customers_kept']):,} of {int(row['customers']):,} customers "
                f"({row['customers_kept'] / row['customers']:.0%}) keep their rep"
            )
        travel = (
            f"the call-weighted travel from the reps' homes from {cur['travel_km']:.0f} km to "
            f"{row['travel_km']:.0f} km"
        )
        floor = row.get("travel_bound_km", np.nan)
        if pd.notna(floor) and floor > cur["travel_km"]:
            travel += (
                f" (no plan this balanced can keep today's travel around today's homes: at least "
                f"{floor:.0f} km; a looser tolerance, or reps who may move, drive less)"
            )
        parts.append(
            f"{moved}{kept}. The largest imbalance goes from {cur['balance']:.0%} to "
            f"{row['balance']:.1%} and {travel}."
        )
    if movement is not None and plan != "current" and len(movement):
        names = {} if reps is None else reps.set_index("rep_id")["name"].to_dict()
        net = movement["net_revenue"].sort_values()

        def who(rep_id) -> str:
            return f"{names.get(rep_id, rep_id)} ({rep_id})" if rep_id in names else str(rep_id)

        if net.iloc[-1] > 0 and net.iloc[0] < 0:
            parts.append(
                f"{who(net.index[-1])} gains the most ({_money(net.iloc[-1])} net) and {who(net.index[0])} "
                f"gives up the most ({_money(-net.iloc[0])} net): revenue moves from the territories that "
                "hold more than their share of the balanced measures to those that hold less."
            )
    less = table.dropna(subset=["balance"])
    less = less[
        (less["revenue_moved_share"] < row["revenue_moved_share"] - 1e-12)
        & (less.index != plan)
        & (less.index != "current")
    ]
    if len(less):
        # the best balanced of those that move less
        alt = less.sort_values(["balance", "revenue_moved_share"]).iloc[0]
        parts.append(
            f"Moving less is possible ({alt.name}: {alt['revenue_moved_share']:.1%} of revenue) but leaves a "
            "territory "
            f"{alt['balance']:.0%} away from the mean."
        )
    parts.append(
        "Why: among the plans that meet the balance target, this one keeps the most customers with the rep "
        "who knows them; shorter travel counts only as a small secondary term."
    )
    return " ".join(parts)
