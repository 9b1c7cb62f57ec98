"""A realignment plan and the files a report run delivers.

Files (written into ``output_dir``, all or none; see :func:`write_realignment`):

``alignment.csv``
    ``unit_id, territory_id, rep_id``: every unit exactly once.
``account_assignments.csv``
    Every account once: ``account_id, account_name, account_type`` (customer, prospect or net credit),
    old territory and rep (id and name), new territory and rep, ``changed``, ``change_reason`` and
    ``effective_date`` (:mod:`terrkit.realign.account_lists`).
``changes.csv``
    Exactly the accounts whose rep differs in ``account_assignments.csv``, largest revenue first, with
    the same names and reasons; ``revenue_<period>`` is the account's net sales in the review period
    (``revenue_2025``).
``territory_summary.csv``
    One row per proposed territory with its rep's name and every KPI, balance deviation and compactness
    figure of the performance review (:func:`terrkit.review.pipeline.review_alignment`), plus
    ``accounts_gained`` and ``revenue_gained``: what comes to it from another rep.
``rep_movement.csv``
    Accounts and revenue gained and lost per rep.
``hierarchy_levels.csv`` (with a sales hierarchy, :meth:`Realignment.with_hierarchy`)
    One row per district, region, ...: its parents' ids and the KPIs of its territories added up
    (:func:`terrkit.hierarchy.rollup`); ``alignment.csv`` then carries a ``<level>_id`` column per level
    (``region_id, district_id``), top first, right after ``territory_id``.
``realignment.xlsx``
    The tables above as sheets of one workbook, ids as text cells so that ZIP and FIPS codes survive
    a spreadsheet.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from terrkit.exceptions import TerrkitError
from terrkit.io import write_all
from terrkit.realign.account_lists import describe_assignments, describe_changes, revenue_column
from terrkit.realign.moves import (
    VACANT,
    account_assignments,
    assign_reps,
    change_list,
    movement_summary,
    rep_movement,
)
from terrkit.realign.plan_files import plan_alignment
from terrkit.review.kpis import rep_names
from terrkit.review.periods import ReviewPeriod
from terrkit.review.pipeline import Review, review_alignment

if TYPE_CHECKING:
    from terrkit.hierarchy.tree import Hierarchy

#: File names of the CSV deliverables, in writing order.
CSV_FILES = (
    "alignment.csv",
    "account_assignments.csv",
    "changes.csv",
    "territory_summary.csv",
    "rep_movement.csv",
)

#: The same tables as one workbook, one sheet each, ids as text cells (ZIP and FIPS codes keep their zeros).
WORKBOOK = "realignment.xlsx"

#: Every file :func:`write_realignment` writes.
FILES = (*CSV_FILES, WORKBOOK)

#: The KPIs of every district and region, written when the plan carries a sales hierarchy.
HIERARCHY_FILE = "hierarchy_levels.csv"


@dataclass
class Realignment:
    """A proposal compared with the current alignment.

    Attributes
    ----------
    alignment : pandas.DataFrame
        Proposed ``unit_id, territory_id, rep_id``; on a mixed unit layer also ``level`` and ``parent_id``
        (a county rule with its ZIP-cell and named-account exceptions, as a CRM loads them).
    rep_map : pandas.DataFrame
        Proposed territory label -> territory id and rep (:func:`assign_reps`).
    assignments, changes, movement : pandas.DataFrame
        :func:`account_assignments`, :func:`change_list`, :func:`rep_movement`.
    summary : dict
        :func:`movement_summary`.
    review : Review or None
        The performance review of the proposal (accounts credited to their new rep).
    territory_summary : pandas.DataFrame
        One row per proposed territory (the ``territory_summary.csv`` table).
    period_label : str
        The review period (``2025``): the revenue column of ``changes.csv`` is named for it.
    hierarchy : Hierarchy or None
        The districts and regions of the proposed territories (:meth:`with_hierarchy`); None: a flat plan.
    """

    alignment: pd.DataFrame
    rep_map: pd.DataFrame
    assignments: pd.DataFrame
    changes: pd.DataFrame
    movement: pd.DataFrame
    summary: dict[str, float]
    review: Review | None
    territory_summary: pd.DataFrame
    period_label: str = ""
    hierarchy: Hierarchy | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The deliverable tables by file name (the revenue column named for the period); with a
        hierarchy, ``alignment.csv`` carries the level columns and ``hierarchy_levels.csv`` is added."""
        changes = self.changes
        if self.period_label:
            changes = changes.rename(columns={"revenue": revenue_column(self.period_label)})
        alignment = self.alignment if self.hierarchy is None else self.hierarchy.on_alignment(self.alignment)
        out = {
            "alignment.csv": alignment,
            "account_assignments.csv": self.assignments,
            "changes.csv": changes,
            "territory_summary.csv": self.territory_summary,
            "rep_movement.csv": self.movement.reset_index(),
        }
        if self.hierarchy is not None:
            out[HIERARCHY_FILE] = self.hierarchy_levels()
        return out

    def with_hierarchy(self, tree: Hierarchy | None) -> Realignment:
        """The plan with ``tree`` as its districts and regions (None: flat), checked against its territories.

        Raises
        ------
        TerrkitError
            The tree does not hold exactly the plan's territories, or does not nest.
        """
        plan = dataclasses.replace(self, hierarchy=tree)
        if tree is not None:
            _check_hierarchy(plan)
        return plan

    def hierarchy_levels(self) -> pd.DataFrame:
        """KPIs of every district and region, added up from ``territory_summary`` (``hierarchy_levels.csv``).

        Raises
        ------
        TerrkitError
            The plan has no hierarchy.
        """
        from terrkit.hierarchy.rollup import levels_table, rollup

        if self.hierarchy is None:
            raise TerrkitError("the plan has no hierarchy; attach one with with_hierarchy")
        territories = self.territory_summary.set_index("territory_id")
        return levels_table(rollup(territories, self.hierarchy), self.hierarchy)


def plan_realignment(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    current_alignment: pd.DataFrame,
    proposed: pd.Series,
    period: ReviewPeriod,
    *,
    units: gpd.GeoDataFrame | None = None,
    scores: pd.DataFrame | None = None,
    keep_exceptions: bool = True,
    shapes: bool = True,
    rep_map: pd.DataFrame | None = None,
    effective_date: date | str | None = None,
    last_period: str | None = None,
) -> Realignment:
    """Turn a proposal (territory label per unit) into a complete realignment.

    Revenue is each account's net sales in ``period`` (the review period, by default the last full
    year).

    Parameters
    ----------
    proposed : pandas.Series
        Proposed territory label per unit, indexed by ``unit_id`` (every unit once).
    scores : pandas.DataFrame, optional
        Potential/workload/segment per account for the territory summary
        (:func:`terrkit.review.pipeline.score_accounts_for_review`). Workload keeps the travel of
        the current owner; it is not recomputed for the new rep.
    rep_map : pandas.DataFrame, optional
        The rep of each proposed territory (``proposal``, ``territory_id``, ``rep_id``), as a
        rep-anchored design fixes it (:meth:`terrkit.realign.least_disruption.Territories.rep_map`);
        default: the reps that keep the most revenue (:func:`~terrkit.realign.moves.assign_reps`).
    effective_date : datetime.date or str, optional
        The day the new owners take over; default: the first day of the quarter after ``last_period``
        (the sales data's last quarter), else after the review period.
    last_period : str, optional
        The sales data's last period (``YYYYQn``).
    """
    from terrkit.crm.load_files import resolve_effective_date
    from terrkit.review.kpis import account_activity

    revenue = account_activity(accounts, sales, period).set_index("account_id")["sales"]
    if rep_map is None:
        rep_map = assign_reps(proposed, accounts, revenue, current_alignment, reps)
    alignment = plan_alignment(proposed, rep_map, units)
    assignments = account_assignments(accounts, alignment, current_alignment, keep_exceptions)
    changes = change_list(assignments, revenue)
    starts = resolve_effective_date(effective_date, last_period or period.end)
    assignments = describe_assignments(
        assignments, accounts, reps, current_alignment, alignment, revenue, starts
    )
    changes = describe_changes(changes, assignments)
    movement = rep_movement(assignments, revenue, reps)
    summary = movement_summary(current_alignment, alignment, assignments, revenue)
    review, summary_table = review_proposal(
        accounts, sales, reps, alignment, assignments, changes, period,
        units=units, scores=scores, shapes=shapes,
    )  # fmt: skip
    summary_table = summary_table.reset_index()
    if reps is not None and "name" in reps.columns and "rep_id" in summary_table:
        summary_table.insert(
            summary_table.columns.get_loc("rep_id") + 1,
            "rep_name",
            summary_table["rep_id"].map(rep_names(reps)),
        )
    return Realignment(
        alignment, rep_map, assignments, changes, movement, summary, review, summary_table, period.label
    )


def review_proposal(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    alignment: pd.DataFrame,
    assignments: pd.DataFrame,
    changes: pd.DataFrame,
    period: ReviewPeriod,
    *,
    units: gpd.GeoDataFrame | None = None,
    scores: pd.DataFrame | None = None,
    shapes: bool = True,
) -> tuple[Review, pd.DataFrame]:
    """The performance review of a proposal, and its territories with what each gains from other reps.

    Every account is credited to its new rep (``assignments``' ``new_rep_id``); the review runs without
    the coverage checks.

    Returns
    -------
    Review
        :func:`terrkit.review.pipeline.review_alignment` of the proposal.
    pandas.DataFrame
        ``Review.territories`` (indexed by ``territory_id``) with ``accounts_gained`` and ``revenue_gained``:
        the accounts of ``changes`` that come to the territory, and their revenue.
    """
    credited = accounts.assign(owner_rep_id=assignments["new_rep_id"].to_numpy())
    review = review_alignment(
        credited, sales, reps, alignment, period, units=units, scores=scores, coverage=False, shapes=shapes
    )
    inflow = changes.assign(
        territory_id=changes["account_id"].map(assignments.set_index("account_id")["territory_id"])
    )
    gained = inflow.groupby("territory_id").agg(
        accounts_gained=("account_id", "size"), revenue_gained=("revenue", "sum")
    )
    table = review.territories.join(gained).fillna({"accounts_gained": 0, "revenue_gained": 0.0})
    table["accounts_gained"] = table["accounts_gained"].astype(int)
    return review, table


def check_realignment(plan: Realignment, unit_ids: pd.Series | None = None) -> None:
    """Check the invariants of the deliverables; raise :class:`TerrkitError` naming the first broken one.

    - every unit exactly once in ``alignment`` (and exactly the units of ``unit_ids`` when given);
    - every account once in ``account_assignments``;
    - ``changes`` holds exactly the accounts whose old and new rep differ, with the same reps;
    - revenue gained minus lost sums to zero over reps, and equals the change list's revenue;
    - with a hierarchy: it holds exactly the proposed territories, each in one node of every level, and
      no id names nodes of two levels.
    """
    align = plan.alignment
    if align["unit_id"].duplicated().any():
        raise TerrkitError(
            f"alignment lists unit {align.loc[align['unit_id'].duplicated(), 'unit_id'].iloc[0]} twice"
        )
    if align["territory_id"].isna().any():
        raise TerrkitError("alignment has a unit without a territory")
    if unit_ids is not None:
        missing = set(unit_ids) - set(align["unit_id"])
        extra = set(align["unit_id"]) - set(unit_ids)
        if missing or extra:
            raise TerrkitError(
                f"alignment misses {len(missing)} unit(s) and has {len(extra)} unknown unit(s)"
            )
    asg = plan.assignments
    if asg["account_id"].duplicated().any():
        raise TerrkitError("account_assignments lists an account twice")
    differ = asg[asg["old_rep_id"].fillna(VACANT) != asg["new_rep_id"].fillna(VACANT)]
    if set(differ["account_id"]) != set(plan.changes["account_id"]) or len(differ) != len(plan.changes):
        raise TerrkitError("changes.csv does not hold exactly the accounts whose rep changes")
    joined = plan.changes.merge(differ, on="account_id")
    same = (joined["from_rep_id"].fillna(VACANT) == joined["old_rep_id"].fillna(VACANT)) & (
        joined["to_rep_id"].fillna(VACANT) == joined["new_rep_id"].fillna(VACANT)
    )
    if not same.all():
        raise TerrkitError("changes.csv and account_assignments.csv disagree on a rep")
    mv = plan.movement
    tol = 1e-6 * max(1.0, float(plan.changes["revenue"].abs().sum()))
    if (
        abs(float(mv["net_revenue"].sum())) > tol
        or abs(float(mv["revenue_gained"].sum()) - float(plan.changes["revenue"].sum())) > tol
    ):
        raise TerrkitError("revenue gained and lost per rep does not add up to the change list")
    if plan.hierarchy is not None:
        _check_hierarchy(plan)


def _check_hierarchy(plan: Realignment) -> None:
    """The tree holds exactly the plan's territories and nests (:meth:`Hierarchy.check`)."""
    tree = plan.hierarchy
    planned = set(plan.alignment["territory_id"].astype(str))
    held = set(tree.tree["territory_id"].astype(str))
    if planned != held:
        odd = sorted(planned ^ held)[0]
        where = "the hierarchy lacks" if odd in planned else "the plan has no"
        raise TerrkitError(f"{where} territory {odd}: the hierarchy must hold exactly the plan's territories")
    tree.check("hierarchy")  # a DataValidationError is a TerrkitError
    tree.parent_links()


def write_realignment(
    plan: Realignment, output_dir: str | os.PathLike, unit_ids: pd.Series | None = None
) -> dict[str, Path]:
    """Check the plan, then write every deliverable atomically, all or none.

    Each file is written to a temporary file in ``output_dir``; only when every file is complete are
    they renamed into place. If anything fails, the temporary files are removed and no deliverable
    appears (an existing file of the same name is left as it was).

    Returns
    -------
    dict
        File name -> written path.
    """
    check_realignment(plan, unit_ids)
    folder = Path(output_dir)
    tables = plan.tables()
    paths = {name: folder / name for name in (*tables, WORKBOOK)}
    writers = {
        paths[name]: (lambda tmp, t=table: t.to_csv(tmp, index=False)) for name, table in tables.items()
    }
    writers[paths[WORKBOOK]] = lambda tmp: write_workbook(tables, tmp)
    write_all(writers)
    return paths


def write_workbook(tables: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """Write tables into one ``.xlsx`` workbook, a sheet per table named after its file.

    Every id column is written as text cells, so that a spreadsheet keeps ZIP and FIPS codes such as
    ``01001`` as they are (a CSV opened in a spreadsheet turns them into the number 1001).
    """
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name, table in tables.items():
            frame = table.copy()
            for col in frame.columns:
                if col.endswith("_id"):
                    frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
                    frame[col] = frame[col].map(lambda v: v if v is None else str(v))
            frame.to_excel(book, sheet_name=name.removesuffix(".csv")[:31], index=False)
