"""Territory plans: where each territory's opportunity is and which accounts to work first.

For each territory:

- **opportunity profile**: whitespace (potential not yet bought, :math:`\\max(0, \\text{potential} -
  \\text{sales})`) by segment and by industry, with its share of the territory's whitespace;
- **top targets**: the accounts with the most whitespace, each with a suggested focus
  (:func:`focus_rules`):

  ========  ===================================================================================
  acquire   a prospect (no sales in the period): win the first order
  grow      a customer buying less than ``grow_below`` (80%) of its potential: sell more
  protect   a customer buying at least ``grow_below`` of its potential: little is left to win; keep it
  ========  ===================================================================================

  Targets are ranked by whitespace; accounts with equal whitespace (prospects of one peer group share
  one potential estimate) are ranked by size, the larger company (more employees) first, then by
  account id, so that the list is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError

#: Suggested focus values.
FOCUS = ("acquire", "grow", "protect")
#: Penetration from which a customer is protected rather than grown: one buying 80% of what it could
#: has little left to win, while one at 50-80% still has a third or more of its potential open.
GROW_BELOW = 0.8
_NEEDED = ("territory_id", "account_id", "sales", "potential")


def focus_rules(grow_below: float = GROW_BELOW) -> str:
    """The focus rules in words, for the notebook and the report.

    Examples
    --------
    >>> print(focus_rules(0.8))  # doctest: +NORMALIZE_WHITESPACE
    *acquire*: a prospect (no sales in the period); *grow*: a customer buying less than 80% of its
    potential; *protect*: a customer buying 80% or more of its potential.
    """
    return (
        "*acquire*: a prospect (no sales in the period); "
        f"*grow*: a customer buying less than {grow_below:.0%} of its potential; "
        f"*protect*: a customer buying {grow_below:.0%} or more of its potential."
    )


def suggest_focus(sales: pd.Series, potential: pd.Series, grow_below: float = GROW_BELOW) -> pd.Series:
    """Focus: ``acquire`` (no sales), ``grow`` (penetration < ``grow_below``), else ``protect``."""
    sales = sales.astype(float)
    pot = potential.astype(float)
    pen = sales / pot.where(pot > 0)
    focus = np.select([sales <= 0, (pen < grow_below).fillna(False)], ["acquire", "grow"], "protect")
    return pd.Series(focus, index=sales.index, name="focus")


@dataclass
class TerritoryPlans:
    """Plans for every territory.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per territory: ``rep_id``, ``sales``, ``potential``, ``whitespace``, ``penetration``,
        ``top_segment`` and ``top_industry`` (largest whitespace) with their shares.
    by_segment, by_industry : pandas.DataFrame
        Long tables: ``territory_id``, segment or industry, ``accounts``, ``whitespace``, ``share``.
    targets : pandas.DataFrame
        The top accounts per territory by whitespace: ``territory_id``, ``rank``, ``account_id``,
        ``name``, ``industry``, ``segment``, ``sales``, ``potential``, ``whitespace``, ``penetration``,
        ``focus``.
    """

    summary: pd.DataFrame
    by_segment: pd.DataFrame
    by_industry: pd.DataFrame
    targets: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The ``territory_plans.csv`` table: one row per target, with its territory's profile."""
        cols = [
            "rep_id",
            "rep_name",
            "whitespace",
            "penetration",
            "top_segment",
            "top_segment_share",
            "top_industry",
            "top_industry_share",
        ]
        head = self.summary[cols].rename(
            columns={"whitespace": "territory_whitespace", "penetration": "territory_penetration"}
        )
        return self.targets.merge(head, left_on="territory_id", right_index=True, how="left")

    def section(self, territory_id: object) -> dict[str, pd.DataFrame]:
        """The tables of one territory's plan: ``segment``, ``industry`` and ``targets``."""
        pick = {
            name: frame[frame["territory_id"] == territory_id].drop(columns="territory_id")
            for name, frame in (
                ("segment", self.by_segment),
                ("industry", self.by_industry),
                ("targets", self.targets),
            )
        }
        return pick


def _profile(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    prof = frame.groupby(["territory_id", column], observed=True).agg(
        accounts=("account_id", "size"), whitespace=("whitespace", "sum")
    )
    prof = prof.reset_index()
    total = prof.groupby("territory_id")["whitespace"].transform("sum")
    prof["share"] = prof["whitespace"] / total.where(total > 0)
    return prof.sort_values(
        ["territory_id", "whitespace"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def territory_plans(
    accounts: pd.DataFrame,
    top: int = 5,
    grow_below: float = GROW_BELOW,
    segment_col: str = "segment",
) -> TerritoryPlans:
    """Build every territory's plan.

    Parameters
    ----------
    accounts : pandas.DataFrame
        One row per account: ``territory_id``, ``account_id``, ``sales`` (in the period), ``potential``
        (same time scale), and optionally ``rep_id``/``territory_rep_id``, ``rep_name``, ``name``,
        ``industry``, ``employees`` (breaks ties in the ranking) and the segment column.
    top : int, default 5
        Target accounts per territory.
    grow_below : float, default 0.8
        Penetration under which a customer is to be grown rather than protected (:data:`GROW_BELOW`).
    segment_col : str, default "segment"

    Returns
    -------
    TerritoryPlans
    """
    missing = [c for c in _NEEDED if c not in accounts.columns]
    if missing:
        raise DataValidationError("accounts", f"territory plans need column(s) {missing}")
    frame = accounts.dropna(subset=["territory_id"]).copy()
    frame["sales"] = frame["sales"].astype(float)
    frame["potential"] = frame["potential"].astype(float)
    frame["whitespace"] = np.maximum(frame["potential"] - frame["sales"], 0.0)
    frame["penetration"] = frame["sales"] / frame["potential"].where(frame["potential"] > 0)
    frame["focus"] = suggest_focus(frame["sales"], frame["potential"], grow_below)
    for col in ("industry", segment_col, "name"):
        frame[col] = frame[col].fillna("(none)") if col in frame else "(none)"
    frame[segment_col] = frame[segment_col].astype(str)
    rep_col = "rep_id" if "rep_id" in frame else ("territory_rep_id" if "territory_rep_id" in frame else None)

    summary = frame.groupby("territory_id").agg(
        sales=("sales", "sum"), potential=("potential", "sum"), whitespace=("whitespace", "sum")
    )
    if rep_col:
        summary.insert(0, "rep_id", frame.groupby("territory_id")[rep_col].first())
    else:
        summary.insert(0, "rep_id", None)
    names = frame.groupby("territory_id")["rep_name"].first() if "rep_name" in frame else None
    summary.insert(1, "rep_name", names)
    summary["penetration"] = summary["sales"] / summary["potential"].where(summary["potential"] > 0)
    by_segment = _profile(frame, segment_col).rename(columns={segment_col: "segment"})
    by_industry = _profile(frame, "industry")
    for prof, name in ((by_segment, "segment"), (by_industry, "industry")):
        best = prof.drop_duplicates("territory_id").set_index("territory_id")
        summary[f"top_{name}"] = best[name]
        summary[f"top_{name}_share"] = best["share"]

    size = pd.to_numeric(frame["employees"], errors="coerce") if "employees" in frame else 0.0
    frame["size_for_ties"] = size
    ranked = frame.sort_values(
        ["territory_id", "whitespace", "size_for_ties", "account_id"],
        ascending=[True, False, False, True],
        kind="stable",
        na_position="last",
    )
    ranked = ranked[ranked["whitespace"] > 0]
    targets = ranked.groupby("territory_id").head(top).copy()
    targets["rank"] = targets.groupby("territory_id").cumcount() + 1
    cols = [
        "territory_id",
        "rank",
        "account_id",
        "name",
        "industry",
        segment_col,
        "sales",
        "potential",
        "whitespace",
        "penetration",
        "focus",
    ]
    targets = targets[cols].rename(columns={segment_col: "segment"}).reset_index(drop=True)
    return TerritoryPlans(summary, by_segment, by_industry, targets)
