"""The figures of the executive summary, taken from the run's deliverables and nowhere else.

- :func:`headline`: the recommended plan against today: territories, balance, revenue that changes rep,
  travel, customers who keep their rep;
- :func:`front_rows`: every plan of the trade-off sweep, the recommended one marked;
- :func:`decision_flags`: what still needs a decision (reps over or under capacity, territories in
  several pieces, units without a territory, vacant territories, a target not met);
- :func:`largest_moves`: the largest accounts that change rep.

Each figure names the file it comes from, so that a reader can check it, and the tests compare every
figure with its file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from terrkit.realign.front import scaled_balance
from terrkit.summary import fmt
from terrkit.summary.data import RunData

#: A rep whose proposed territory needs more than this share of their capacity is over-loaded (the
#: performance review's default ``workload_flag``).
OVERLOADED = 1.15
#: A rep whose proposed territory needs less than this share of their capacity is under-loaded.
UNDERLOADED = 0.85

#: Names of the balanced measures, for people.
MEASURE_NAMES = {
    "potential": "potential",
    "call_hours": "call hours",
    "workload": "workload",
    "sales": "sales",
    "accounts": "accounts",
}


def measure_name(measure: str) -> str:
    """A balanced measure's name for people (``call_hours`` -> ``call hours``)."""
    return MEASURE_NAMES.get(measure, measure.replace("_", " "))


@dataclass
class Headline:
    """The recommended plan against today, every figure from a deliverable.

    Attributes
    ----------
    plan : str
        Key of the plan in ``realignment_sweep.csv``.
    target : float
        Balance target (tolerance of the first measure); ``meets_target`` whether the plan meets it.
    measures : list of str
        The balanced measures, the first one being the target's.
    balance_today, balance_plan : dict
        Largest deviation of a territory from the mean, per measure (``realignment_sweep.csv``).
    balance_target : dict
        The target per measure (``recommendation.json``; only the first measure when unknown).
    territories : int
        Territories of the plan (``realignment_sweep.csv``, else ``alignment.csv``).
    revenue : float
        Revenue of all accounts in the period (``rep_movement.csv``: revenue before, summed).
    revenue_moved : float
        Revenue whose rep changes (``changes.csv``, summed); ``accounts_moved`` its rows.
    accounts : int
        Accounts (``account_assignments.csv`` rows).
    customers, customers_kept : int
        Customers (accounts with revenue) and those who keep their rep (``rep_movement.csv``).
    travel_today, travel_plan : float
        Call-weighted mean km from an account to its rep's home (``realignment_sweep.csv``).
    revenue_bound : float
        The least revenue any plan within the plan's tolerance must move (NaN when unknown).
    """

    plan: str
    target: float
    meets_target: bool
    measures: list[str]
    balance_today: dict[str, float]
    balance_plan: dict[str, float]
    balance_target: dict[str, float]
    territories: int
    revenue: float
    revenue_moved: float
    accounts_moved: int
    accounts: int
    customers: int
    customers_kept: int
    travel_today: float
    travel_plan: float
    revenue_bound: float = float("nan")
    period: str = ""

    @property
    def revenue_moved_share(self) -> float:
        """Share of revenue that changes rep."""
        return self.revenue_moved / self.revenue if self.revenue > 0 else 0.0

    @property
    def customers_kept_share(self) -> float:
        """Share of customers who keep their rep."""
        return self.customers_kept / self.customers if self.customers > 0 else 1.0

    @property
    def plan_label(self) -> str:
        """The plan for people: ``the ±10% plan`` or ``today's alignment``."""
        return "today's alignment" if self.plan == "current" else f"the {self.plan} plan"


def balance_measures(sweep: pd.DataFrame, preferred: list[str] | None = None) -> list[str]:
    """The balanced measures of a sweep (its ``balance_<measure>`` columns), in the target's order."""
    found = [c[len("balance_") :] for c in sweep.columns if c.startswith("balance_")]
    order = [m for m in (preferred or []) if m in found]
    return order + [m for m in found if m not in order]


def headline(run: RunData) -> Headline:
    """The headline figures of the recommended plan (see :class:`Headline` for each file).

    Raises
    ------
    ValueError
        When the run has no realignment (check :attr:`RunData.has_realignment` first).
    """
    if not run.has_realignment:
        raise ValueError("the run has no realignment deliverables")
    rec, sweep, changes = run.recommendation, run.sweep, run.changes
    assert rec is not None and sweep is not None and changes is not None
    if rec.plan not in sweep.index:
        raise ValueError(f"the recommended plan {rec.plan!r} is not a row of realignment_sweep.csv")
    row = sweep.loc[rec.plan]
    today = sweep.loc["current"] if "current" in sweep.index else pd.Series(dtype=float)
    measures = balance_measures(sweep, list(rec.balance))
    if rec.balance:  # the target of every measure: the others keep their ratio to the first one
        target = scaled_balance(rec.balance, rec.target)
    else:
        target = {measures[0]: rec.target} if measures else {}
    if "territories" in sweep and pd.notna(row.get("territories")):
        territories = int(row["territories"])
    elif run.alignment is not None:
        territories = int(run.alignment["territory_id"].nunique())
    else:
        territories = 0
    movement = run.movement
    if movement is not None:
        revenue = float(movement["revenue_before"].sum())
        customers = int(movement["customers_before"].sum())
        kept = int(movement["customers_kept"].sum())
    else:
        revenue = float(rec.summary.get("revenue", np.nan))
        customers = int(row.get("customers", 0) or 0)
        kept = int(row.get("customers_kept", 0) or 0)
    accounts = len(run.assignments) if run.assignments is not None else int(rec.summary.get("accounts", 0))
    return Headline(
        plan=rec.plan,
        target=rec.target,
        meets_target=rec.meets_target,
        measures=measures,
        balance_today={m: float(today.get(f"balance_{m}", np.nan)) for m in measures},
        balance_plan={m: float(row.get(f"balance_{m}", np.nan)) for m in measures},
        balance_target=target,
        territories=territories,
        revenue=revenue,
        revenue_moved=float(changes["revenue"].sum()),
        accounts_moved=len(changes),
        accounts=accounts,
        customers=customers,
        customers_kept=kept,
        travel_today=float(today.get("travel_km", np.nan)),
        travel_plan=float(row.get("travel_km", np.nan)),
        revenue_bound=float(row.get("revenue_bound", np.nan)),
        period=rec.period,
    )


@dataclass
class PlanRow:
    """One plan of the trade-off sweep, for the summary's table.

    Attributes
    ----------
    plan : str
        Key (``current``, ``±5%``).
    label : str
        For people (``today``, ``±5%``).
    balance : dict
        Largest deviation per measure.
    revenue_moved, revenue_moved_share, travel_km : float
        Revenue that changes rep, its share, call-weighted travel.
    customers_kept, customers : float
        Customers who keep their rep, of all customers.
    note : str
        Status in words (met, not met, kept from a tighter plan, not on the front).
    recommended : bool
        The recommended plan.
    on_front : bool
        No other plan is better on every figure.
    kept_from : str
        The tighter plan kept for this tolerance (it meets it and moves less), else empty.
    """

    plan: str
    label: str
    balance: dict[str, float]
    revenue_moved: float
    revenue_moved_share: float
    travel_km: float
    customers_kept: float
    customers: float
    note: str
    recommended: bool = False
    on_front: bool = True
    kept_from: str = ""


_STATUS = {
    "requirements_not_met": "not met in the time limit",
    "infeasible": "impossible",
    "failed": "failed",
}


def _note(plan: str, row: pd.Series) -> str:
    if plan == "current":
        return "today"
    status = str(row.get("status", ""))
    kept = str(row.get("kept_from", "") or "")
    if kept:
        return f"the {kept} plan: it also meets {row.get('label', plan)} and moves less"
    if status in _STATUS:
        return _STATUS[status]
    if bool(row.get("meets_tolerance", False)):
        return f"within {row.get('label', plan)}"
    return "not within its tolerance"


def front_rows(run: RunData) -> list[PlanRow]:
    """Every plan of ``realignment_sweep.csv``, today first, the recommended one marked."""
    sweep = run.sweep
    if sweep is None:
        return []
    measures = balance_measures(sweep, list(run.recommendation.balance) if run.recommendation else None)
    chosen = run.recommendation.plan if run.recommendation else None
    rows = []
    for plan, row in sweep.iterrows():
        rows.append(
            PlanRow(
                plan=str(plan),
                label="today" if plan == "current" else str(row.get("label", plan)),
                balance={m: float(row.get(f"balance_{m}", np.nan)) for m in measures},
                revenue_moved=float(row.get("revenue_moved", np.nan)),
                revenue_moved_share=float(row.get("revenue_moved_share", np.nan)),
                travel_km=float(row.get("travel_km", np.nan)),
                customers_kept=float(row.get("customers_kept", np.nan)),
                customers=float(row.get("customers", np.nan)),
                note=_note(str(plan), row),
                recommended=plan == chosen,
                on_front=bool(row.get("on_front", True)),
                kept_from=str(row.get("kept_from", "") or ""),
            )
        )
    return rows


@dataclass
class Flag:
    """Something that needs a decision.

    Attributes
    ----------
    title : str
        One line (``3 reps over capacity``).
    detail : str
        What it means and what to decide.
    items : list of str
        The cases, largest first (a few; the file has all of them).
    source : str
        The file that lists every case.
    ok : bool
        Good news that needs no decision (shown apart).
    """

    title: str
    detail: str
    items: list[str] = field(default_factory=list)
    source: str = ""
    ok: bool = False


def rep_label(rep_id: object, names: pd.Series | None) -> str:
    """``Brian Carter (R001)``, or the id alone when the name is unknown; ``no rep`` when empty."""
    if rep_id is None or (isinstance(rep_id, float) and np.isnan(rep_id)) or str(rep_id) == "":
        return "no rep"
    if names is not None and rep_id in names.index:
        return f"{names[rep_id]} ({rep_id})"
    return str(rep_id)


def _listed(items: list[str], limit: int) -> list[str]:
    if len(items) <= limit:
        return items
    return [*items[:limit], f"and {len(items) - limit:,} more"]


def workload_flags(run: RunData, limit: int = 6) -> list[Flag]:
    """Reps whose proposed territory needs more than 115% or less than 85% of their capacity."""
    terr = run.territories
    if terr is None or "workload_ratio" not in terr:
        return []
    flags = []
    ratio = terr.set_index("territory_id")["workload_ratio"].astype(float)
    rep = terr.set_index("territory_id")["rep_id"] if "rep_id" in terr else pd.Series(dtype=str)
    over = ratio[ratio > OVERLOADED].sort_values(ascending=False)
    under = ratio[ratio < UNDERLOADED].sort_values()
    for chosen, word, bound, action in (
        (over, "over", OVERLOADED, "add a rep, move accounts to a neighbour or lower the call plan"),
        (under, "under", UNDERLOADED, "give them more accounts or a wider area"),
    ):
        if chosen.empty:
            continue
        items = [
            f"{rep_label(rep.get(t), run.rep_names)}, territory {t}: {fmt.percent(v, 0)} of capacity"
            for t, v in chosen.items()
        ]
        n = len(chosen)
        flags.append(
            Flag(
                title=f"{n:,} rep{'s' if n != 1 else ''} {word} capacity in the proposal",
                detail=(
                    f"Workload (call hours plus travel) {'above' if word == 'over' else 'below'} "
                    f"{fmt.percent(bound, 0)} of the rep's capacity: {action}."
                ),
                items=_listed(items, limit),
                source="territory_summary.csv",
            )
        )
    return flags


def _kind(issues: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    if issues is None or "kind" not in issues:
        return pd.DataFrame(columns=["kind", "territory_id", "unit_id"])
    return issues[issues["kind"] == kind]


def coverage_flags(run: RunData, limit: int = 6) -> list[Flag]:
    """Territories in several pieces, units and accounts without a territory, territories without a rep."""
    flags = []
    cut = _kind(run.issues, "territory_not_contiguous")
    today_cut = _kind(run.issues_today, "territory_not_contiguous")
    if run.issues is None:
        flags.append(
            Flag(
                title="Territories in several pieces: not checked",
                detail="The run has no proposal_coverage_issues.csv (written by notebook 60).",
            )
        )
    elif len(cut):
        pieces = cut.groupby("territory_id").size().sort_values(ascending=False)
        n = len(pieces)
        flags.append(
            Flag(
                title=f"{n:,} proposed territor{'ies are' if n != 1 else 'y is'} in several pieces",
                detail="Decide whether to accept the detached pieces or move them to a neighbour.",
                items=_listed([f"{t}: {p + 1} pieces" for t, p in pieces.items()], limit),
                source="proposal_coverage_issues.csv",
            )
        )
    if run.issues is not None and not len(cut) and today_cut["territory_id"].nunique():
        n = today_cut["territory_id"].nunique()
        flags.append(
            Flag(
                title=(
                    f"Every proposed territory is in one piece (today {n:,} "
                    f"{'are' if n != 1 else 'is'} in several pieces)"
                ),
                detail="No decision needed: the proposal makes today's split territories whole.",
                source="review_coverage_issues.csv",
                ok=True,
            )
        )
    align = run.alignment
    if align is not None:
        loose = align[align["territory_id"].isna()]
        unassigned = pd.concat([loose["unit_id"], _kind(run.issues, "unit_unassigned")["unit_id"]]).dropna()
        unassigned = unassigned.drop_duplicates()
        if len(unassigned):
            n = len(unassigned)
            flags.append(
                Flag(
                    title=f"{n:,} unit{'s' if n != 1 else ''} without a territory",
                    detail="Assign them before loading the alignment into the CRM.",
                    items=_listed([str(u) for u in unassigned], limit),
                    source="alignment.csv",
                )
            )
        vacant = align[align["territory_id"].notna() & align["rep_id"].isna()]["territory_id"].unique()
        if len(vacant):
            flags.append(
                Flag(
                    title=f"{len(vacant):,} territor{'ies have' if len(vacant) != 1 else 'y has'} no rep",
                    detail="Hire or assign a rep; until then their accounts have no owner in the CRM.",
                    items=_listed(sorted(map(str, vacant)), limit),
                    source="alignment.csv",
                )
            )
    return flags


def target_flag(run: RunData, head: Headline) -> Flag | None:
    """A flag when no plan met the balance target (the recommendation is then the best balanced plan)."""
    if head.meets_target or run.sweep is None:
        return None
    sweep = run.sweep
    asked = sweep[(sweep["tolerance"] - head.target).abs() < 1e-9]
    why = ""
    if len(asked):
        status = str(asked["status"].iloc[0])
        why = {
            "requirements_not_met": (
                " The engine did not find one within its time limit; that is not a proof that none exists: "
                "a longer time limit (notebook 60's time_limit) may find one."
            ),
            "infeasible": (
                " It is impossible with these units: split the largest units or accept a wider target."
            ),
        }.get(status, "")
    return Flag(
        title=f"No plan meets the {fmt.tolerance(head.target)} balance target",
        detail=(
            f"The recommendation is the best balanced plan found, {head.plan}: accept it, or run longer.{why}"
        ),
        source="realignment_sweep.csv",
    )


def decision_flags(run: RunData, head: Headline | None = None) -> list[Flag]:
    """Everything that needs a decision, the balance target first."""
    flags: list[Flag] = []
    if head is not None:
        first = target_flag(run, head)
        if first is not None:
            flags.append(first)
    return flags + workload_flags(run) + coverage_flags(run)


@dataclass
class MoveRow:
    """An account that changes rep (a row of ``changes.csv``), with names where known."""

    account_id: str
    name: str
    place: str
    from_rep: str
    to_rep: str
    revenue: float


def largest_moves(run: RunData, n: int = 10) -> list[MoveRow]:
    """The ``n`` accounts with the most revenue among those that change rep (``changes.csv``)."""
    if run.changes is None or run.changes.empty:
        return []
    top = run.changes.sort_values(["revenue", "account_id"], ascending=[False, True], kind="stable").head(n)
    names = run.accounts.set_index("account_id") if run.accounts is not None else None
    rows = []
    for _, r in top.iterrows():
        name = place = ""
        if names is not None and r["account_id"] in names.index:
            info = names.loc[r["account_id"]]
            name = str(info.get("name", ""))
            place = ", ".join(str(info.get(c, "")) for c in ("city", "state") if str(info.get(c, "")))
        rows.append(
            MoveRow(
                account_id=str(r["account_id"]),
                name=name,
                place=place,
                from_rep=rep_label(r["from_rep_id"], run.rep_names),
                to_rep=rep_label(r["to_rep_id"], run.rep_names),
                revenue=float(r["revenue"]),
            )
        )
    return rows
