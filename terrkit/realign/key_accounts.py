"""Key relationships: accounts big enough in their rep's book to keep their rep through a realignment.

A realignment that moves a rep's largest customer to someone else risks the relationship and the rep's year.
Commercial planners let users pin such accounts; terrkit pins them by default. An account is **key** when its
revenue is at least ``share`` (default 10%) of its owner's book. For each key account:

- when it lies in its owner's territory today, its unit is **locked** to that territory, so the account keeps
  its rep (on the mixed unit layer the biggest accounts are units of their own, so the lock holds that
  account alone);
- when its owner covers it from outside the territory (an exception), the realignment keeps it with the owner
  anyway, and no lock is needed;
- a lock is left out, with the reason, when the unit is another rep's home (anchored to that rep's
  territory).

>>> keys = key_account_locks(accounts, revenue, alignment, share=0.1, homes=home_units(units, territories))
>>> keys.locks          # {unit id: territory id} for the design
>>> keys.table          # one row per key account, with what was done and why
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from terrkit.exceptions import ConfigError

__all__ = ["KEY_ACCOUNT_SHARE", "KeyAccounts", "key_account_locks"]

#: An account worth at least this share of its rep's book keeps its rep (0 turns the locks off).
KEY_ACCOUNT_SHARE = 0.10

#: What was done for a key account (the ``action`` column).
LOCKED, EXCEPTION, NOT_LOCKED = "locked", "kept as exception", "not locked"


@dataclass
class KeyAccounts:
    """The key accounts of a realignment and the unit locks that keep them with their reps.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per key account, biggest first: ``account_id``, ``name``, ``rep_id``, ``revenue``,
        ``share_of_book``, ``unit_id``, ``territory_id`` (today's territory of the unit), ``action``
        (``locked``, ``kept as exception`` or ``not locked``) and ``reason``.
    locks : dict
        Unit id -> territory id, for the design's ``locks``.
    share : float
        The share of the book that makes an account key.
    """

    table: pd.DataFrame
    locks: dict[str, str]
    share: float

    def lines(self) -> list[str]:
        """A short account of the locks, for the notebook."""
        if not len(self.table):
            return [f"no account is worth {self.share:.0%} or more of its rep's book"]
        counts = self.table["action"].value_counts()
        return [
            f"{len(self.table)} key accounts (each at least {self.share:.0%} of its rep's book, "
            f"{self.table['revenue'].sum():,.0f} of revenue): "
            + ", ".join(
                f"{counts.get(a, 0)} {a}" for a in (LOCKED, EXCEPTION, NOT_LOCKED) if counts.get(a, 0)
            )
        ]


def key_account_locks(
    accounts: pd.DataFrame,
    revenue: pd.Series,
    alignment: pd.DataFrame,
    *,
    share: float = KEY_ACCOUNT_SHARE,
    homes: Mapping[str, str] | None = None,
) -> KeyAccounts:
    """Find the key accounts and the unit locks that keep them with their reps.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id``, ``owner_rep_id`` (empty for unowned accounts) and optionally ``name``.
    revenue : pandas.Series
        Revenue per account id (the period at stake); negative revenue counts as 0.
    alignment : pandas.DataFrame
        Today's ``unit_id``, ``territory_id``, ``rep_id``.
    share : float, default 0.10
        An account is key when its revenue is at least this share of its owner's book; 0 turns the locks
        off.
    homes : mapping, optional
        Territory id -> the unit of its rep's home (anchored to that territory by the design).

    Returns
    -------
    KeyAccounts
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"key-account share must be between 0 and 1, got {share}")
    columns = ["account_id", "name", "rep_id", "revenue", "share_of_book", "unit_id", "territory_id"]
    empty = pd.DataFrame(columns=[*columns, "action", "reason"])
    if share == 0.0:
        return KeyAccounts(empty, {}, share)
    owned = accounts[accounts["owner_rep_id"].notna() & (accounts["owner_rep_id"].astype(str) != "")].copy()
    owned["rep_id"] = owned["owner_rep_id"].astype(str)
    owned["unit_id"] = owned["unit_id"].astype(str)
    owned["revenue"] = owned["account_id"].map(revenue).fillna(0.0).clip(lower=0.0).to_numpy()
    book = owned.groupby("rep_id")["revenue"].transform("sum")
    owned["share_of_book"] = (owned["revenue"] / book.where(book > 0)).fillna(0.0)
    key = owned[(owned["revenue"] > 0) & (owned["share_of_book"] >= share)].copy()
    if not len(key):
        return KeyAccounts(empty, {}, share)
    if "name" not in key:
        key["name"] = key["account_id"]
    today = alignment.drop_duplicates("unit_id").assign(unit_id=lambda a: a["unit_id"].astype(str))
    key["territory_id"] = key["unit_id"].map(today.set_index("unit_id")["territory_id"].astype(str))
    rep_of = today.drop_duplicates("territory_id").set_index("territory_id")["rep_id"].astype(str)
    home_of = {str(u): str(t) for t, u in (homes or {}).items()}
    key = key.sort_values(["revenue", "account_id"], ascending=[False, True], kind="stable")
    locks: dict[str, str] = {}
    actions, reasons = [], []
    for row in key.itertuples(index=False):
        unit, terr, rep = row.unit_id, row.territory_id, row.rep_id
        book_note = f"{row.share_of_book:.0%} of {rep}'s book"
        if pd.isna(terr) or rep_of.get(terr) != rep:
            actions.append(EXCEPTION)
            reasons.append(
                f"{book_note}; covered by {rep} from outside the territory, so it stays with {rep}"
            )
        elif unit in home_of and home_of[unit] != terr:
            actions.append(NOT_LOCKED)
            reasons.append(f"{book_note}; its unit {unit} is the home of territory {home_of[unit]}'s rep")
        else:
            locks[unit] = terr
            actions.append(LOCKED)
            reasons.append(f"{book_note}; its unit {unit} stays in {terr}")
    key["action"] = actions
    key["reason"] = reasons
    table = key[[*columns, "action", "reason"]].reset_index(drop=True)
    return KeyAccounts(table, locks, share)
