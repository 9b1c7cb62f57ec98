"""Coverage checks: is every unit, account and rep covered exactly once and sensibly?

:func:`coverage_checks` returns a tidy table with one row per issue (``kind``, ``unit_id``,
``territory_id``, ``rep_id``, ``account_id``, ``detail``). The kinds are listed in :data:`ISSUE_KINDS`.
Contiguity uses queen adjacency (units sharing a border or a corner) from
:mod:`terrkit.geo_adjacency`; units on islands are linked to their nearest neighbour first, as the
design engine does, so that an island county does not make its territory "non-contiguous".
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.review.kpis import territory_of_accounts

#: Issue kinds and what they mean.
ISSUE_KINDS: dict[str, str] = {
    "unit_assigned_twice": "a unit appears in the alignment more than once",
    "unit_unassigned": "a unit of the geometry has no territory",
    "unknown_unit": "the alignment names a unit that is not in the geometry",
    "territory_not_contiguous": "a piece of a territory is cut off from the rest of it",
    "territory_without_rep": "a territory has no rep",
    "territory_several_reps": "a territory has more than one rep",
    "rep_without_territory": "a rep of the roster has no territory",
    "account_exception": "an account's owner is not the rep of its territory",
    "account_unassigned": "an account lies in a unit that has no territory",
    "account_without_owner": "an account has no owner (none given, or one not in the roster)",
}
COLUMNS = ("kind", "unit_id", "territory_id", "rep_id", "account_id", "detail")


def _frame(kind: str, n: int, **columns: object) -> pd.DataFrame:
    out = pd.DataFrame({c: columns.get(c, [None] * n) for c in COLUMNS[1:]})
    out.insert(0, "kind", kind)
    return out


def unit_adjacency_with_islands(units: gpd.GeoDataFrame) -> sp.csr_matrix:
    """Queen adjacency of the units, with islands linked to their nearest unit (see
    :func:`terrkit.geo_adjacency.unit_graph`)."""
    from terrkit.geo_adjacency import unit_graph

    return unit_graph(units)[0]


def territory_pieces(unit_ids: pd.Series, territory: pd.Series, adjacency: sp.spmatrix) -> pd.DataFrame:
    """Connected pieces of every territory in the unit graph.

    Parameters
    ----------
    unit_ids : pandas.Series
        Unit ids, in the order of ``adjacency``'s rows.
    territory : pandas.Series
        Territory of each unit, aligned with ``unit_ids`` (NaN = none; such units are skipped).
    adjacency : scipy.sparse matrix
        Symmetric unit adjacency.

    Returns
    -------
    pandas.DataFrame
        One row per piece: ``territory_id``, ``piece`` (0 = the largest), ``units`` (count) and
        ``unit_ids`` (list).
    """
    labels = pd.Series(np.asarray(territory), dtype=object)
    has = labels.notna().to_numpy()
    codes, names = pd.factorize(labels)
    coo = sp.coo_matrix(adjacency)
    keep = has[coo.row] & has[coo.col] & (codes[coo.row] == codes[coo.col])
    n = len(labels)
    graph = sp.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    frame = pd.DataFrame({"t": codes[has], "comp": comp[has], "unit": np.asarray(unit_ids)[has]})
    pieces = frame.groupby(["t", "comp"])["unit"].agg(["size", list]).reset_index()
    pieces = pieces.sort_values(["t", "size"], ascending=[True, False], kind="stable")
    pieces["piece"] = pieces.groupby("t").cumcount()
    return pd.DataFrame(
        {
            "territory_id": names[pieces["t"].to_numpy()],
            "piece": pieces["piece"].to_numpy(),
            "units": pieces["size"].to_numpy(),
            "unit_ids": pieces["list"].to_numpy(),
        }
    )


def coverage_checks(
    alignment: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    adjacency: sp.spmatrix | None = None,
    contiguity: bool = True,
) -> pd.DataFrame:
    """Every coverage problem of an alignment, one row per issue.

    Parameters
    ----------
    alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id``.
    units : geopandas.GeoDataFrame, optional
        All units (``unit_id``, geometry): enables the unassigned, unknown and contiguity checks.
    accounts : pandas.DataFrame, optional
        ``account_id``, ``unit_id``, ``owner_rep_id``: enables the account checks (exceptions,
        accounts in units without a territory, accounts without an owner).
    reps : pandas.DataFrame, optional
        The roster (``rep_id``): enables the rep-without-territory check.
    adjacency : scipy.sparse matrix, optional
        Unit adjacency in the order of ``units``; computed (queen, islands linked) when needed.
    contiguity : bool, default True
        Check that every territory is connected.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (one of :data:`ISSUE_KINDS`), ``unit_id``, ``territory_id``, ``rep_id``,
        ``account_id``, ``detail``; empty when everything is covered.
    """
    found: list[pd.DataFrame] = []
    align = alignment[["unit_id", "territory_id", "rep_id"]].copy()

    counts = align["unit_id"].value_counts()
    twice = counts[counts > 1]
    if len(twice):
        lists = (
            align[align["unit_id"].isin(twice.index)]
            .groupby("unit_id")["territory_id"]
            .agg(lambda s: ", ".join(map(str, s)))
        )
        found.append(
            _frame(
                "unit_assigned_twice",
                len(twice),
                unit_id=list(twice.index),
                detail=[f"assigned {counts[u]} times: territories {lists[u]}" for u in twice.index],
            )
        )
    first = align.drop_duplicates("unit_id")
    if units is not None:
        known = pd.Index(units["unit_id"])
        missing = known[~known.isin(first.dropna(subset=["territory_id"])["unit_id"])]
        if len(missing):
            found.append(
                _frame(
                    "unit_unassigned",
                    len(missing),
                    unit_id=list(missing),
                    detail=["unit has no territory"] * len(missing),
                )
            )
        unknown = first.loc[~first["unit_id"].isin(known), "unit_id"]
        if len(unknown):
            found.append(
                _frame(
                    "unknown_unit",
                    len(unknown),
                    unit_id=list(unknown),
                    detail=["unit is not in the unit geometry"] * len(unknown),
                )
            )
        if contiguity:
            adj = adjacency if adjacency is not None else unit_adjacency_with_islands(units)
            terr = units["unit_id"].map(first.set_index("unit_id")["territory_id"])
            pieces = territory_pieces(units["unit_id"], terr, adj)
            total = pieces.groupby("territory_id")["units"].transform("sum")
            cut = pieces[pieces["piece"] > 0]
            if len(cut):
                found.append(
                    _frame(
                        "territory_not_contiguous",
                        len(cut),
                        unit_id=[ids[0] for ids in cut["unit_ids"]],
                        territory_id=list(cut["territory_id"]),
                        detail=[
                            f"piece of {n} unit(s) ({', '.join(map(str, ids[:5]))}{'...' if n > 5 else ''}) "
                            f"cut off from the rest of the territory ({tot - n} units)"
                            for n, ids, tot in zip(
                                cut["units"], cut["unit_ids"], total[cut.index], strict=True
                            )
                        ],
                    )
                )
    terr_reps = first.dropna(subset=["territory_id"]).groupby("territory_id")["rep_id"]
    n_reps = terr_reps.nunique()
    no_rep = n_reps[n_reps == 0].index
    if len(no_rep):
        found.append(
            _frame(
                "territory_without_rep",
                len(no_rep),
                territory_id=list(no_rep),
                detail=["territory has no rep"] * len(no_rep),
            )
        )
    several = n_reps[n_reps > 1].index
    if len(several):
        names = terr_reps.agg(lambda s: ", ".join(sorted(map(str, s.dropna().unique()))))
        found.append(
            _frame(
                "territory_several_reps",
                len(several),
                territory_id=list(several),
                detail=[f"territory has reps {names[t]}" for t in several],
            )
        )
    if reps is not None:
        idle = reps.loc[~reps["rep_id"].isin(first["rep_id"].dropna()), "rep_id"]
        if len(idle):
            found.append(
                _frame(
                    "rep_without_territory",
                    len(idle),
                    rep_id=list(idle),
                    detail=["rep has no territory"] * len(idle),
                )
            )
    if accounts is not None:
        located = territory_of_accounts(accounts, first)
        outside = located[located["territory_id"].isna()]
        if len(outside):
            found.append(
                _frame(
                    "account_unassigned",
                    len(outside),
                    unit_id=outside["unit_id"].to_numpy(),
                    rep_id=outside["owner_rep_id"].to_numpy(),
                    account_id=outside["account_id"].to_numpy(),
                    detail=["unit has no territory"] * len(outside),
                )
            )
        unowned = located[located["owner_rep_id"].isna()]
        if len(unowned):
            found.append(
                _frame(
                    "account_without_owner",
                    len(unowned),
                    unit_id=unowned["unit_id"].to_numpy(),
                    territory_id=unowned["territory_id"].to_numpy(),
                    account_id=unowned["account_id"].to_numpy(),
                    detail=["account has no owner"] * len(unowned),
                )
            )
        exc = located[located["is_exception"]]
        if len(exc):
            detail = (
                "owner "
                + exc["owner_rep_id"].astype(str)
                + " is not the rep of territory "
                + exc["territory_id"].astype(str)
                + " ("
                + exc["territory_rep_id"].astype(str)
                + ")"
            )
            found.append(
                _frame(
                    "account_exception",
                    len(exc),
                    unit_id=exc["unit_id"].to_numpy(),
                    territory_id=exc["territory_id"].to_numpy(),
                    rep_id=exc["owner_rep_id"].to_numpy(),
                    account_id=exc["account_id"].to_numpy(),
                    detail=detail.to_numpy(),
                )
            )
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    return pd.concat(found, ignore_index=True)


def issue_counts(issues: pd.DataFrame) -> pd.DataFrame:
    """Number of issues per kind, every kind listed (0 when clean), with its meaning."""
    counts = issues["kind"].value_counts().reindex(list(ISSUE_KINDS)).fillna(0).astype(int)
    return pd.DataFrame({"issues": counts, "meaning": pd.Series(ISSUE_KINDS)}).rename_axis("kind")
