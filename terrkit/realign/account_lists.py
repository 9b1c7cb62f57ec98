"""The account lists of a realignment, written for the people who use them.

A sales manager reads ``account_assignments.csv`` and ``changes.csv`` to brief reps; a CRM admin loads them.
Both need more than ids: the account's name, the reps' names, the old and the new territory, whether the
rep changes and why, the date it takes effect, and whether the account is a customer at all.

Columns added to the core lists of :mod:`terrkit.realign.moves` (``account_id``, ``old_rep_id``,
``new_rep_id``, ``territory_id``; ``from_rep_id``, ``to_rep_id``, ``revenue``):

``account_name``
    The account's name (``accounts.csv``), empty when the data has none.
``account_type``
    ``customer`` (positive net sales in the review period), ``prospect`` (no sales in the period) or
    ``net_credit`` (returns and credit notes exceeded sales in the period, so its revenue is negative).
``old_territory_id``
    The territory of the account's unit today.
``old_rep_name``, ``new_rep_name``
    The reps' names (``reps.csv``); the ids are the CRM's user ids when the data came from a CRM.
``changed``
    Whether the account's rep changes.
``change_reason``
    Why the rep changes (:data:`REASONS`), or why it stays although its unit moves.
``effective_date``
    The day the new owner takes over (ISO date).

The ids are the CRM's ids when the data was imported from a CRM (``terrkit import``).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from terrkit.realign.moves import VACANT
from terrkit.review.kpis import rep_names

#: Why an account's rep changes or stays (the ``change_reason`` column).
REASONS = {
    "unit_moves": "its unit moves to another rep's territory",
    "unowned": "no rep owns it today; it takes its territory's rep",
    "vacant": "its new territory has no rep yet (vacancy)",
    "exception_kept": "its unit moves, but its rep keeps it: an account covered from outside its territory",
    "stays": "its unit stays with its rep",
}

#: Values of the ``account_type`` column.
ACCOUNT_TYPES = ("customer", "prospect", "net_credit")


def account_type(revenue: pd.Series) -> np.ndarray:
    """``customer``, ``prospect`` or ``net_credit`` from each account's net sales in the review period.

    Examples
    --------
    >>> account_type(pd.Series([120.0, 0.0, np.nan, -40.0])).tolist()
    ['customer', 'prospect', 'prospect', 'net_credit']
    """
    rev = pd.to_numeric(revenue, errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return np.select([rev > 0, rev < 0], ["customer", "net_credit"], default="prospect")


def describe_assignments(
    assignments: pd.DataFrame,
    accounts: pd.DataFrame,
    reps: pd.DataFrame | None,
    current_alignment: pd.DataFrame,
    proposed_alignment: pd.DataFrame,
    revenue: pd.Series,
    effective_date: date,
) -> pd.DataFrame:
    """Every account's old and new rep and territory, with names, the reason and the effective date.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``account_id, old_rep_id, new_rep_id, territory_id`` in the order of ``accounts``
        (:func:`terrkit.realign.moves.account_assignments`).
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id`` and, when known, ``name``.
    reps : pandas.DataFrame or None
        ``rep_id`` and, when known, ``name``.
    current_alignment, proposed_alignment : pandas.DataFrame
        ``unit_id, territory_id, rep_id`` today and in the proposal.
    revenue : pandas.Series
        Net sales in the review period by ``account_id``.
    effective_date : datetime.date
        When the new owners take over.

    Returns
    -------
    pandas.DataFrame
        ``account_id, account_name, account_type, old_territory_id, old_rep_id, old_rep_name, territory_id,
        new_rep_id, new_rep_name, changed, change_reason, effective_date``, one row per account, in the
        order of ``assignments``.
    """
    names = rep_names(reps)
    units = accounts["unit_id"].astype(str).to_numpy()
    today = _first_per_unit(current_alignment)
    proposal = _first_per_unit(proposed_alignment)
    old = assignments["old_rep_id"]
    new = assignments["new_rep_id"]
    changed = (old.fillna(VACANT) != new.fillna(VACANT)).to_numpy()
    unit_rep_today = pd.Series(units).map(today["rep_id"]).fillna(VACANT).to_numpy()
    unit_rep_after = pd.Series(units).map(proposal["rep_id"]).fillna(VACANT).to_numpy()
    unit_moves = unit_rep_today != unit_rep_after
    reason = np.select(
        [
            changed & old.isna().to_numpy(),
            changed & new.isna().to_numpy(),
            changed,
            unit_moves,
        ],
        [REASONS["unowned"], REASONS["vacant"], REASONS["unit_moves"], REASONS["exception_kept"]],
        default=REASONS["stays"],
    )
    name = accounts["name"] if "name" in accounts.columns else pd.Series("", index=accounts.index)
    out = pd.DataFrame(
        {
            "account_id": assignments["account_id"].to_numpy(),
            "account_name": name.fillna("").astype(str).to_numpy(),
            "account_type": account_type(assignments["account_id"].map(revenue)),
            "old_territory_id": pd.Series(units).map(today["territory_id"]).to_numpy(),
            "old_rep_id": old.to_numpy(),
            "old_rep_name": old.map(names).to_numpy(),
            "territory_id": assignments["territory_id"].to_numpy(),
            "new_rep_id": new.to_numpy(),
            "new_rep_name": new.map(names).to_numpy(),
            "changed": changed,
            "change_reason": reason,
            "effective_date": effective_date.isoformat(),
        }
    )
    return out


def describe_changes(changes: pd.DataFrame, described: pd.DataFrame) -> pd.DataFrame:
    """The change list with the names, types, territories, reason and effective date of each account.

    Parameters
    ----------
    changes : pandas.DataFrame
        ``account_id, from_rep_id, to_rep_id, revenue`` (:func:`terrkit.realign.moves.change_list`).
    described : pandas.DataFrame
        :func:`describe_assignments`.

    Returns
    -------
    pandas.DataFrame
        ``account_id, account_name, account_type, revenue, old_territory_id, from_rep_id, from_rep_name,
        territory_id, to_rep_id, to_rep_name, change_reason, effective_date``, in the order of
        ``changes`` (largest revenue first: customers, then prospects, then net credits).
    """
    info = described.set_index("account_id")
    ids = changes["account_id"]
    return pd.DataFrame(
        {
            "account_id": ids.to_numpy(),
            "account_name": ids.map(info["account_name"]).to_numpy(),
            "account_type": ids.map(info["account_type"]).to_numpy(),
            "revenue": changes["revenue"].to_numpy(),
            "old_territory_id": ids.map(info["old_territory_id"]).to_numpy(),
            "from_rep_id": changes["from_rep_id"].to_numpy(),
            "from_rep_name": ids.map(info["old_rep_name"]).to_numpy(),
            "territory_id": ids.map(info["territory_id"]).to_numpy(),
            "to_rep_id": changes["to_rep_id"].to_numpy(),
            "to_rep_name": ids.map(info["new_rep_name"]).to_numpy(),
            "change_reason": ids.map(info["change_reason"]).to_numpy(),
            "effective_date": ids.map(info["effective_date"]).to_numpy(),
        }
    )


def revenue_column(period_label: str) -> str:
    """The name of the revenue column in the written files: the period in the name.

    Examples
    --------
    >>> revenue_column("2025")
    'revenue_2025'
    """
    return f"revenue_{period_label}"


def _first_per_unit(alignment: pd.DataFrame) -> pd.DataFrame:
    """The alignment's first row per unit, indexed by the unit id as text."""
    keyed = alignment.set_index(alignment["unit_id"].astype(str))
    return keyed[~keyed.index.duplicated()]
