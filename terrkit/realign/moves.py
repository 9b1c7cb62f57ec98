"""What moves between the current alignment and a proposal: reps for the proposed territories,
account assignments, the change list, and revenue gained and lost per rep.

Reps follow their business: each proposed territory gets the rep who currently owns the most of its
revenue, found as an assignment problem (:func:`scipy.optimize.linear_sum_assignment`) that
maximises the total revenue that stays with its rep,

.. math:: \\max \\sum_{t} \\text{overlap}(t, r(t)), \\quad
          \\text{overlap}(t, r) = \\sum_{i \\in t,\\ \\text{owner}(i) = r} \\text{revenue}_i
          + \\varepsilon \\cdot \\#\\{u \\in t : u \\text{ currently in a territory of } r\\},

with a small :math:`\\varepsilon` so that territories without revenue go to the rep whose ground
they cover. Each proposed territory takes the id of its rep's current territory (stable ids for
the CRM); proposed territories left without a rep are named ``NEW<n>`` and have no rep.

An account's new rep is the rep of its unit's proposed territory. With ``keep_exceptions`` (default),
an account whose current owner is not its current territory's rep (a named-account override) keeps
its owner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from terrkit.exceptions import DataValidationError

#: Label used for accounts whose proposed territory has no rep.
VACANT = "(vacant)"


def _revenue_of(accounts: pd.DataFrame, revenue: pd.Series) -> np.ndarray:
    return accounts["account_id"].map(revenue).fillna(0.0).to_numpy(dtype=float)


def assign_reps(
    proposed: pd.Series,
    accounts: pd.DataFrame,
    revenue: pd.Series,
    current_alignment: pd.DataFrame,
    reps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Give each proposed territory a rep, keeping as much revenue as possible with its current rep.

    Parameters
    ----------
    proposed : pandas.Series
        Proposed territory label per unit, indexed by ``unit_id``.
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id``, ``owner_rep_id``.
    revenue : pandas.Series
        Revenue per account (indexed by ``account_id``), e.g. last year's sales.
    current_alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id``.
    reps : pandas.DataFrame, optional
        The roster; default: the reps of the current alignment.

    Returns
    -------
    pandas.DataFrame
        One row per proposed territory: ``proposal`` (its label), ``territory_id``, ``rep_id``
        (NaN when vacant) and ``revenue_kept`` (revenue of its accounts the rep already owns).
    """
    if proposed.index.has_duplicates:
        raise DataValidationError("proposal", "each unit must have one proposed territory", column="unit_id")
    labels = pd.Index(pd.unique(proposed.dropna()))
    labels = labels.sort_values() if labels.inferred_type in ("string", "integer") else labels
    roster = pd.Index(reps["rep_id"] if reps is not None else current_alignment["rep_id"].dropna().unique())
    t_acc = labels.get_indexer(accounts["unit_id"].map(proposed))
    r_acc = roster.get_indexer(accounts["owner_rep_id"])
    ok = (t_acc >= 0) & (r_acc >= 0)
    nt, nr = len(labels), len(roster)
    rev = np.zeros((nt, nr))
    np.add.at(rev, (t_acc[ok], r_acc[ok]), _revenue_of(accounts, revenue)[ok])
    first = current_alignment.drop_duplicates("unit_id").set_index("unit_id")
    t_unit = labels.get_indexer(proposed.to_numpy())
    r_unit = roster.get_indexer(proposed.index.map(first["rep_id"]))
    okk = (t_unit >= 0) & (r_unit >= 0)
    cover = np.zeros((nt, nr))
    np.add.at(cover, (t_unit[okk], r_unit[okk]), 1.0)
    total = rev.sum()
    score = (rev / total if total > 0 else rev) + 1e-3 * cover / max(len(proposed), 1)
    rows, cols = linear_sum_assignment(score, maximize=True)
    rep_of = np.full(nt, None, dtype=object)
    rep_of[rows] = roster[cols].to_numpy()
    kept = np.zeros(nt)
    kept[rows] = rev[rows, cols]
    home = current_alignment.dropna(subset=["rep_id"]).sort_values("territory_id")
    home_terr = home.drop_duplicates("rep_id").set_index("rep_id")["territory_id"]
    names = []
    used: set = set()
    new = 0
    for t in range(nt):
        name = home_terr.get(rep_of[t]) if rep_of[t] is not None else None
        if name is None or name in used:
            new += 1
            while f"NEW{new}" in used:
                new += 1
            name = f"NEW{new}"
        used.add(name)
        names.append(name)
    return pd.DataFrame(
        {"proposal": labels.to_numpy(), "territory_id": names, "rep_id": rep_of, "revenue_kept": kept}
    )


def proposal_alignment(proposed: pd.Series, rep_map: pd.DataFrame) -> pd.DataFrame:
    """``unit_id``, ``territory_id``, ``rep_id`` of the proposal, one row per unit, sorted by unit."""
    by_label = rep_map.set_index("proposal")
    out = pd.DataFrame({"unit_id": proposed.index.to_numpy()})
    out["territory_id"] = proposed.map(by_label["territory_id"]).to_numpy()
    out["rep_id"] = proposed.map(by_label["rep_id"]).to_numpy()
    return out.sort_values("unit_id", kind="stable").reset_index(drop=True)


def account_assignments(
    accounts: pd.DataFrame,
    proposed_alignment: pd.DataFrame,
    current_alignment: pd.DataFrame | None = None,
    keep_exceptions: bool = True,
) -> pd.DataFrame:
    """Old and new rep of every account.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id``, ``owner_rep_id`` (the old rep).
    proposed_alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id`` of the proposal.
    current_alignment : pandas.DataFrame, optional
        Needed for ``keep_exceptions``.
    keep_exceptions : bool, default True
        Accounts whose owner differs from their current territory's rep keep their owner.
        An account without an owner is no exception: it takes its proposed territory's rep.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``old_rep_id``, ``new_rep_id``, ``territory_id`` (proposed), one row per account.
    """
    prop = proposed_alignment.drop_duplicates("unit_id").set_index("unit_id")
    out = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()})
    out["old_rep_id"] = accounts["owner_rep_id"].to_numpy()
    out["new_rep_id"] = accounts["unit_id"].map(prop["rep_id"]).to_numpy()
    out["territory_id"] = accounts["unit_id"].map(prop["territory_id"]).to_numpy()
    if keep_exceptions and current_alignment is not None:
        cur = current_alignment.drop_duplicates("unit_id").set_index("unit_id")["rep_id"]
        cur_rep = accounts["unit_id"].map(cur).to_numpy()
        old = out["old_rep_id"].to_numpy()
        exception = pd.notna(cur_rep) & pd.notna(old) & (old != cur_rep)
        out.loc[exception, "new_rep_id"] = out.loc[exception, "old_rep_id"]
    return out


def change_list(assignments: pd.DataFrame, revenue: pd.Series) -> pd.DataFrame:
    """One row per account whose rep changes: ``account_id``, ``from_rep_id``, ``to_rep_id``, ``revenue``.

    A vacant new territory counts as a change (``to_rep_id`` empty). Sorted by revenue, largest first.
    """
    old = assignments["old_rep_id"]
    new = assignments["new_rep_id"]
    moved = (old.fillna(VACANT) != new.fillna(VACANT)).to_numpy()
    out = pd.DataFrame(
        {
            "account_id": assignments.loc[moved, "account_id"].to_numpy(),
            "from_rep_id": old[moved].to_numpy(),
            "to_rep_id": new[moved].to_numpy(),
        }
    )
    out["revenue"] = out["account_id"].map(revenue).fillna(0.0).astype(float)
    return out.sort_values(["revenue", "account_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def rep_movement(
    assignments: pd.DataFrame, revenue: pd.Series, reps: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Accounts and revenue each rep gains and loses, and the share of its customers it keeps.

    Over all reps (including the ``(vacant)`` row when a territory has no rep), revenue gained minus
    revenue lost sums to zero, and so do accounts.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep_id``: ``accounts_before``, ``accounts_after``, ``accounts_gained``,
        ``accounts_lost``, ``revenue_before``, ``revenue_after``, ``revenue_gained``, ``revenue_lost``,
        ``net_revenue``, ``customers_before``, ``customers_kept`` and ``customers_kept_share``
        (customers = accounts with revenue > 0).
    """
    old = assignments["old_rep_id"].fillna(VACANT).astype(str)
    new = assignments["new_rep_id"].fillna(VACANT).astype(str)
    rev = assignments["account_id"].map(revenue).fillna(0.0).astype(float)
    moved = old != new
    customer = rev > 0
    frame = pd.DataFrame({"old": old, "new": new, "rev": rev, "moved": moved, "cust": customer})
    parts = ([reps["rep_id"].astype(str)] if reps is not None else []) + [old, new]
    index = pd.Index(pd.unique(pd.concat(parts, ignore_index=True)), name="rep_id")
    before = frame.groupby("old").agg(
        accounts_before=("rev", "size"), revenue_before=("rev", "sum"), customers_before=("cust", "sum")
    )
    after = frame.groupby("new").agg(accounts_after=("rev", "size"), revenue_after=("rev", "sum"))
    mv = frame[frame["moved"]]
    gained = mv.groupby("new").agg(accounts_gained=("rev", "size"), revenue_gained=("rev", "sum"))
    lost = mv.groupby("old").agg(accounts_lost=("rev", "size"), revenue_lost=("rev", "sum"))
    kept = frame[~frame["moved"] & frame["cust"]].groupby("old").size().rename("customers_kept")
    out = pd.concat([before, after, gained, lost, kept], axis=1).reindex(index).fillna(0)
    for col in (
        "accounts_before",
        "accounts_after",
        "accounts_gained",
        "accounts_lost",
        "customers_before",
        "customers_kept",
    ):
        out[col] = out[col].astype(int)
    out["net_revenue"] = out["revenue_gained"] - out["revenue_lost"]
    out["customers_kept_share"] = out["customers_kept"] / out["customers_before"].where(
        out["customers_before"] > 0
    )
    cols = [
        "accounts_before",
        "accounts_after",
        "accounts_gained",
        "accounts_lost",
        "revenue_before",
        "revenue_after",
        "revenue_gained",
        "revenue_lost",
        "net_revenue",
        "customers_before",
        "customers_kept",
        "customers_kept_share",
    ]
    return out[cols]


def movement_summary(
    current_alignment: pd.DataFrame,
    proposed_alignment: pd.DataFrame,
    assignments: pd.DataFrame,
    revenue: pd.Series,
) -> dict[str, float]:
    """Headline figures of what moves.

    Returns
    -------
    dict
        ``units``, ``units_changing_rep``, ``accounts``, ``accounts_changing_rep``, ``revenue``,
        ``revenue_moved``, ``revenue_moved_share``, ``customers``, ``customers_keeping_rep``,
        ``customers_keeping_rep_share``.
    """
    cur = current_alignment.drop_duplicates("unit_id").set_index("unit_id")["rep_id"]
    prop = proposed_alignment.drop_duplicates("unit_id").set_index("unit_id")["rep_id"]
    both = prop.index.intersection(cur.index)
    unit_moves = int((cur[both].fillna(VACANT) != prop[both].fillna(VACANT)).sum())
    rev = assignments["account_id"].map(revenue).fillna(0.0).astype(float)
    moved = assignments["old_rep_id"].fillna(VACANT) != assignments["new_rep_id"].fillna(VACANT)
    customer = rev > 0
    total = float(rev.sum())
    return {
        "units": int(len(prop)),
        "units_changing_rep": unit_moves,
        "accounts": int(len(assignments)),
        "accounts_changing_rep": int(moved.sum()),
        "revenue": total,
        "revenue_moved": float(rev[moved].sum()),
        "revenue_moved_share": float(rev[moved].sum()) / total if total > 0 else 0.0,
        "customers": int(customer.sum()),
        "customers_keeping_rep": int((customer & ~moved).sum()),
        "customers_keeping_rep_share": float((customer & ~moved).sum() / customer.sum())
        if customer.any()
        else 1.0,
    }
