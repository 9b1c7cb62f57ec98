"""Events picked from the data, for notebooks and the command line when no rep or home is given.

The picks are deterministic and work on any dataset: a typical rep leaves, a new rep joins where the
customers are, a rep of a busy territory goes part-time, and a large customer is merged into
a large customer of a neighbouring territory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError
from terrkit.scenarios.baseline import Baseline
from terrkit.scenarios.books import book_territory, book_totals, rep_territory


def _books(base: Baseline) -> pd.DataFrame:
    ids = base.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    table = book_totals(book_territory(base.accounts, base.alignment, base.books), base.account_measures, ids)
    table["rep_id"] = base.rep_of_territory().reindex(table.index)
    return table.dropna(subset=["rep_id"]).sort_values(["call_hours", "rep_id"], kind="stable")


def _pick(table: pd.DataFrame, quantile: float, avoid: set[str]) -> str:
    if table.empty:
        raise ConfigError("no territory of the alignment in force has a rep")
    rows = table[~table["rep_id"].isin(avoid)]
    rows = rows if len(rows) else table
    return str(rows["rep_id"].iloc[int(round(quantile * (len(rows) - 1)))])


def leaving_rep(base: Baseline) -> str:
    """The rep of the territory with the median workload (call hours)."""
    return _pick(_books(base), 0.5, set())


def part_time_rep(base: Baseline, avoid: set[str] | None = None) -> str:
    """The rep of a busy territory (the upper quartile of call hours), other than those in ``avoid``."""
    return _pick(_books(base), 0.75, avoid or set())


def joining_home_zip(base: Baseline) -> str:
    """The ZIP code with the most call hours: where the customers are, a new rep is busy from day one."""
    hours = base.account_measures["call_hours"]
    by_zip = hours.groupby(base.accounts["zip"].astype(str).to_numpy()).sum().sort_index()
    return str(by_zip.idxmax())


def merger_pair(base: Baseline) -> tuple[str, str]:
    """``(acquired, acquirer)``: the largest customer of a territory next to the busiest territory, merged
    into the largest customer of the busiest territory."""
    held = rep_territory(base.alignment)
    owner_terr = base.accounts["owner_rep_id"].map(held).astype(object).to_numpy()
    revenue = base.accounts["account_id"].map(base.revenue).fillna(0.0).to_numpy()
    books = _books(base)
    busiest = str(books.index[-1])
    terr = base.territory_of_unit()
    members = np.flatnonzero((terr == busiest).to_numpy())
    nbr = sorted(set(terr.iloc[base.adjacency[members].tocoo().col].dropna().astype(str)) - {busiest})
    acquirers = np.flatnonzero(owner_terr == busiest)
    targets = np.flatnonzero(np.isin(owner_terr, nbr) if nbr else (owner_terr != busiest))
    if not len(acquirers) or not len(targets):
        raise ConfigError("no pair of customers in neighbouring territories to merge; name the accounts")
    acquirer = acquirers[np.argmax(revenue[acquirers])]
    acquired = targets[np.argmax(revenue[targets])]
    ids = base.accounts["account_id"].astype(str).to_numpy()
    return str(ids[acquired]), str(ids[acquirer])
