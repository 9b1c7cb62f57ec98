"""Each territory's book and its balance band after an event.

**Books.** A territory's workload is counted as the review and the realignment count it, from the accounts
of its units (the ``territory`` view, named-account exceptions included where they sit), or as the accounts
its rep owns (the ``rep`` view: the named-account exceptions, accounts owned by another rep than their
unit's, count with their owner). In both views an account that the event hands to a rep counts with that
rep. The design engine balances sums of units, so the accounts that count with their owner enter it as a
fixed offset on their owner's territory (:func:`unit_measures`): the engine's band for the units of a
territory is its band minus what its rep carries outside them.

**Bands.** After the event every territory has a target, ``total x share`` (equal shares, or shares
proportional to capacity), and must end within ``target x (1 ± tolerance)`` on every balance measure. A
territory that was already outside its band before the event is not redrawn for that alone: its band is
widened to hold its book of today, so it may stay as it is but may not get worse (:func:`event_bands`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


def rep_territory(alignment: pd.DataFrame) -> pd.Series:
    """Territory held by each rep (the first one when a rep holds several)."""
    held = alignment.dropna(subset=["rep_id"]).sort_values("territory_id", kind="stable")
    return held.drop_duplicates("rep_id").set_index("rep_id")["territory_id"]


def unit_rep(accounts: pd.DataFrame, alignment: pd.DataFrame) -> pd.Series:
    """Rep of each account's unit in ``alignment`` (aligned with ``accounts``)."""
    first = alignment.drop_duplicates("unit_id")
    rep = first.set_index(first["unit_id"].astype(str))["rep_id"]
    return accounts["unit_id"].astype(str).map(rep)


def exceptions(accounts: pd.DataFrame, alignment: pd.DataFrame) -> np.ndarray:
    """Named-account exceptions: accounts owned by another rep than their unit's (they keep their owner)."""
    owner = accounts["owner_rep_id"]
    rep = unit_rep(accounts, alignment)
    return (owner.notna() & rep.notna() & (owner.astype(object) != rep.astype(object))).to_numpy()


def with_owner(
    accounts: pd.DataFrame, alignment: pd.DataFrame, view: str, carried: np.ndarray | None = None
) -> np.ndarray:
    """Accounts counted with their owner rather than their unit: the exceptions in the ``rep`` view, and the
    ``carried`` accounts (those an event hands to a rep) in both views."""
    out = exceptions(accounts, alignment) if view == "rep" else np.zeros(len(accounts), dtype=bool)
    return out if carried is None else out | np.asarray(carried, dtype=bool)


def book_territory(
    accounts: pd.DataFrame,
    alignment: pd.DataFrame,
    view: str = "territory",
    carried: np.ndarray | None = None,
) -> pd.Series:
    """Territory whose book each account is in (see the module docstring)."""
    first = alignment.drop_duplicates("unit_id")
    by_unit = first.set_index(first["unit_id"].astype(str))["territory_id"]
    unit_terr = accounts["unit_id"].astype(str).map(by_unit)
    by_owner = accounts["owner_rep_id"].map(rep_territory(alignment))
    owner = with_owner(accounts, alignment, view, carried) & by_owner.notna().to_numpy()
    return unit_terr.where(~owner, by_owner)


def book_totals(
    territory: pd.Series | np.ndarray, measures: pd.DataFrame, territory_ids: Sequence[str]
) -> pd.DataFrame:
    """Sum of each measure per territory (rows ``territory_ids``; 0 for a territory without accounts)."""
    key = np.asarray(territory, dtype=object)
    sums = measures.reset_index(drop=True).groupby(key).sum()
    return sums.reindex(pd.Index(list(territory_ids), name="territory_id")).fillna(0.0)


def unit_measures(
    accounts: pd.DataFrame,
    measures: pd.DataFrame,
    unit_ids: pd.Index,
    exception: np.ndarray,
    owner_territory: pd.Series,
    territory_ids: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's unit measures and each territory's offset (see the module docstring).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``unit_id`` per account.
    measures : pandas.DataFrame
        Measures aligned with ``accounts``.
    unit_ids : pandas.Index
        The units, in row order.
    exception : numpy.ndarray
        ``(accounts,)`` True for an account counted with its owner (:func:`with_owner`).
    owner_territory : pandas.Series
        Territory of each such account's owner (aligned with ``accounts``).
    territory_ids : sequence of str
        The territories, in column order.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(n, q)`` sums of the accounts that follow their unit, and ``(k, q)`` sums of the others per
        owner's territory.
    """
    values = measures.to_numpy(dtype=float)
    ui = unit_ids.get_indexer(accounts["unit_id"].astype(str))
    follow = ~exception & (ui >= 0)
    per_unit = np.zeros((len(unit_ids), values.shape[1]))
    np.add.at(per_unit, ui[follow], values[follow])
    ti = pd.Index(list(territory_ids)).get_indexer(np.asarray(owner_territory, dtype=object))
    kept = exception & (ti >= 0)
    offset = np.zeros((len(territory_ids), values.shape[1]))
    np.add.at(offset, ti[kept], values[kept])
    return per_unit, offset


@dataclass
class Bands:
    """Targets and bands of the territories after an event, on their whole books.

    Attributes
    ----------
    territory_ids : list of str
    measures : list of str
    tolerance : dict
        Measure -> tolerance.
    target, lower, upper : numpy.ndarray
        ``(k, q)`` target and band of each territory's book.
    held : numpy.ndarray
        ``(k, q)`` True where the band was widened to hold today's book (the territory was outside its
        band before the event).
    """

    territory_ids: list[str]
    measures: list[str]
    tolerance: dict[str, float]
    target: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    held: np.ndarray

    def frame(self) -> pd.DataFrame:
        """One row per territory: ``<measure>_target``, ``_lower``, ``_upper``, ``_held`` for each measure."""
        out = pd.DataFrame(index=pd.Index(self.territory_ids, name="territory_id"))
        for j, m in enumerate(self.measures):
            out[f"{m}_target"] = self.target[:, j]
            out[f"{m}_lower"] = self.lower[:, j]
            out[f"{m}_upper"] = self.upper[:, j]
            out[f"{m}_held"] = self.held[:, j]
        return out

    def within(self, totals: np.ndarray) -> np.ndarray:
        """``(k,)`` True where every measure of ``totals`` (``(k, q)``) is inside its band."""
        eps = 1e-9 * np.maximum(1.0, np.abs(self.target))
        return ((totals >= self.lower - eps) & (totals <= self.upper + eps)).all(axis=1)


def event_bands(
    territory_ids: Sequence[str],
    totals: pd.Series,
    tolerance: Mapping[str, float],
    before: pd.DataFrame,
    *,
    shares: Sequence[float] | None = None,
    before_shares: Mapping[str, float] | None = None,
    strict: Sequence[str] = (),
) -> Bands:
    """The bands of the territories after an event (see the module docstring).

    Parameters
    ----------
    territory_ids : sequence of str
        The territories after the event.
    totals : pandas.Series
        Total of each measure over all accounts.
    tolerance : mapping {measure: tolerance}
    before : pandas.DataFrame
        Book of each territory before the event (rows: the territories then; columns: the measures).
    shares : sequence of float, optional
        Target share of each territory after the event (normalised); default equal.
    before_shares : mapping {territory: share}, optional
        Target share of each territory before the event; default equal over ``before``'s rows.
    strict : sequence of str
        Territories whose band is never widened (the event is about them, e.g. a rep's new capacity).
    """
    ids = [str(t) for t in territory_ids]
    names = list(tolerance)
    k = len(ids)
    sh = np.full(k, 1.0 / k) if shares is None else np.asarray(list(shares), dtype=float)
    sh = sh / sh.sum()
    tol = np.array([float(tolerance[m]) for m in names])
    total = np.array([float(totals[m]) for m in names])
    target = sh[:, None] * total[None, :]
    lower, upper = target * (1 - tol), target * (1 + tol)
    held = np.zeros((k, len(names)), dtype=bool)
    if len(before):
        b_share = (
            pd.Series(1.0 / len(before), index=before.index)
            if before_shares is None
            else pd.Series(before_shares).reindex(before.index).fillna(0.0)
        )
        b_target = b_share.to_numpy()[:, None] * total[None, :]
        b_value = before[names].to_numpy(dtype=float)
        eps = 1e-9 * np.maximum(1.0, np.abs(b_target))
        outside = (b_value < b_target * (1 - tol) - eps) | (b_value > b_target * (1 + tol) + eps)
        row = pd.Index([str(t) for t in before.index]).get_indexer(ids)
        keep = set(map(str, strict))
        for t in np.flatnonzero(row >= 0):
            if ids[t] in keep:
                continue
            r = row[t]
            held[t] = outside[r]
            lower[t] = np.where(outside[r], np.minimum(lower[t], b_value[r]), lower[t])
            upper[t] = np.where(outside[r], np.maximum(upper[t], b_value[r]), upper[t])
    return Bands(ids, names, {m: float(tolerance[m]) for m in names}, target, lower, upper, held)
