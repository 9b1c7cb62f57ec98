"""Where imported accounts and reps are: one ZIP code each, and its county.

**Accounts** (:func:`locate_accounts`). An account's candidate ZIP codes are its billing ZIP (the
accounts file's ``zip``, or a sales line's ``billing_zip``) and, only when it has none, the ZIP codes of
its sales lines (``zip``), after :func:`terrkit.crm.values.normalize_zips` (ZIP+4 cut, lost leading zeros
restored). Among the candidates that are known ZIP codes (the bundled list,
:func:`terrkit.datasets.load_zip_points`) it is placed at the most frequent one; a tie goes to the one
with the most revenue, then to the smallest code (:func:`choose_zips`). Its unit is the county of that
ZIP point. An account without a known ZIP code is dropped with its sales and counted, or, with the
mapping's ``unknown_zip: error``, the first unknown ZIP code is an error.

**Reps without a home ZIP** (:func:`rep_homes`). A rep is placed at the ZIP code of their own accounts
that is nearest to all of their revenue: the revenue-weighted medoid, the account ZIP minimising
:math:`\\sum_j r_j d(z, z_j)` over the rep's accounts :math:`j` (revenue :math:`r_j \\ge 0`, great-circle
distance :math:`d`; the candidates :math:`z` are the rep's 500 ZIP codes with the most revenue). A rep
whose accounts have no revenue is placed at their most frequent account ZIP. Ties go to the smallest ZIP.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from terrkit.crm.import_report import ImportReport, examples, money, plural, rows_of
from terrkit.crm.mapping import ImportMapping
from terrkit.crm.sources import SourceTable
from terrkit.crm.values import member, normalize_zips
from terrkit.datasets.bundled import load_zip_points
from terrkit.exceptions import DataValidationError
from terrkit.geo import haversine_km

#: How an account's ZIP was chosen, as written in the import report.
ZIP_RULES: dict[str, str] = {
    "billing": "at their billing ZIP",
    "only": "at the only ZIP of their sales lines",
    "frequent": "at the most frequent of their sales lines' ZIPs",
    "revenue": "at the ZIP with the most revenue among equally frequent ones",
    "smallest": "at the smallest of equally frequent ZIPs with equal revenue",
}
HOME_RULES: dict[str, str] = {
    "given": "at their home ZIP from the reps file",
    "medoid": "at the ZIP of their accounts nearest to all their revenue (revenue-weighted medoid)",
    "frequent": "at their most frequent account ZIP (their accounts have no revenue)",
}
_CANDIDATES = 500
_CHUNK = 100


@lru_cache(maxsize=1)
def _points() -> pd.DataFrame:
    points = (
        load_zip_points().drop_duplicates("zip").set_index("zip")[["city", "state", "lat", "lon", "unit_id"]]
    )
    # an object index keeps one hash table for every lookup (an Arrow-string index rebuilds it each time)
    return points.set_axis(pd.Index(points.index.to_numpy(dtype=object), dtype=object))


def zip_points() -> pd.DataFrame:
    """Bundled ZIP points indexed by ZIP code: ``city, state, lat, lon, unit_id`` (the county)."""
    return _points().copy()


def known_zips() -> pd.Index:
    """The bundled ZIP codes as an object index, for fast :func:`terrkit.crm.values.member` tests."""
    return _points().index


def lookup_zips(zips: pd.Series) -> pd.DataFrame:
    """The ZIP point of each of ``zips`` (same index; missing rows for unknown or missing ZIP codes)."""
    found = _points().reindex(zips.to_numpy(dtype=object, na_value=None))
    return found.set_axis(zips.index)


def choose_zips(candidates: pd.DataFrame) -> pd.DataFrame:
    """One ZIP code per account from its candidates (see the module notes).

    Parameters
    ----------
    candidates : pandas.DataFrame
        One row per occurrence of a known ZIP: ``account_id``, ``zip``, ``billing`` (bool) and
        ``amount`` (revenue of the line, 0 for an account record).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id``: ``zip`` and ``rule`` (a key of :data:`ZIP_RULES`).
    """
    if candidates.empty:
        return pd.DataFrame({"zip": pd.Series(dtype="string"), "rule": pd.Series(dtype="string")})
    has_billing = candidates.groupby("account_id")["billing"].transform("any")
    pool = candidates[candidates["billing"] | ~has_billing]
    tally = (
        pool.groupby(["account_id", "zip"], sort=False)
        .agg(n=("zip", "size"), revenue=("amount", "sum"), billing=("billing", "any"))
        .reset_index()
        .sort_values(["account_id", "n", "revenue", "zip"], ascending=[True, False, False, True])
    )
    grouped = tally.groupby("account_id", sort=False)
    first = grouped.nth(0).set_index("account_id")
    second = grouped.nth(1).set_index("account_id").reindex(first.index)
    rule = np.select(
        [
            first["billing"].to_numpy(dtype=bool, na_value=False),
            second["n"].isna().to_numpy(dtype=bool),
            (first["n"] > second["n"]).to_numpy(dtype=bool, na_value=False),
            (first["revenue"] > second["revenue"]).to_numpy(dtype=bool, na_value=False),
        ],
        ["billing", "only", "frequent", "revenue"],
        default="smallest",
    )
    return pd.DataFrame({"zip": first["zip"].astype("string"), "rule": rule}, index=first.index)


def rep_homes(accounts: pd.DataFrame) -> pd.DataFrame:
    """Home ZIP of each rep from their accounts (see the module notes).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``owner_rep_id``, ``zip`` (known ZIP codes) and ``revenue`` of each owned account.

    Returns
    -------
    pandas.DataFrame
        Indexed by rep id: ``zip`` and ``rule`` (``medoid`` or ``frequent``, keys of :data:`HOME_RULES`).
    """
    points = _points()
    weights = (
        accounts.assign(weight=accounts["revenue"].clip(lower=0.0))
        .groupby(["owner_rep_id", "zip"])
        .agg(weight=("weight", "sum"), n=("zip", "size"))
        .reset_index()
    )
    rows = []
    for rep, own in weights.groupby("owner_rep_id", sort=True):
        if own["weight"].sum() > 0:
            rows.append((rep, _medoid(own, points), "medoid"))
        else:
            top = own.sort_values(["n", "zip"], ascending=[False, True]).iloc[0]
            rows.append((rep, top["zip"], "frequent"))
    return pd.DataFrame(rows, columns=["rep_id", "zip", "rule"]).set_index("rep_id")


def _medoid(own: pd.DataFrame, points: pd.DataFrame) -> str:
    """The ZIP of ``own`` minimising the weighted distance to all of ``own`` (candidates: the heaviest)."""
    located = own.assign(
        lat=points["lat"].reindex(own["zip"].to_numpy(dtype=object)).to_numpy(),
        lon=points["lon"].reindex(own["zip"].to_numpy(dtype=object)).to_numpy(),
    )
    candidates = located.sort_values(["weight", "n", "zip"], ascending=[False, False, True]).head(_CANDIDATES)
    candidates = candidates.sort_values("zip")
    weight = located["weight"].to_numpy()
    lat, lon = located["lat"].to_numpy(), located["lon"].to_numpy()
    cost = np.empty(len(candidates))
    c_lat, c_lon = candidates["lat"].to_numpy(), candidates["lon"].to_numpy()
    for start in range(0, len(candidates), _CHUNK):
        part = slice(start, start + _CHUNK)
        distance = haversine_km(c_lon[part, None], c_lat[part, None], lon[None, :], lat[None, :])
        cost[part] = distance @ weight
    return str(candidates["zip"].iloc[int(np.argmin(cost))])


def _zip_sources(
    tables: dict[str, SourceTable], accounts: pd.DataFrame, sales: pd.DataFrame
) -> list[tuple[SourceTable, pd.DataFrame, str, bool]]:
    """(table, rows, field, billing) for each column that gives ZIP candidates."""
    found = []
    if "accounts" in tables and "zip" in accounts.columns:
        found.append((tables["accounts"], accounts.assign(amount=0.0), "zip", True))
    for name, billing in (("billing_zip", True), ("zip", False)):
        if tables["sales"].has(name):
            found.append((tables["sales"], sales, name, billing))
    if not found:
        table = tables.get("accounts", tables["sales"])
        raise DataValidationError(
            table.files[0].name,
            "no ZIP code column: map zip for the accounts file or zip/billing_zip for the sales file "
            "(an account is placed by its ZIP code)",
            row=1,
        )
    return found


def locate_accounts(
    tables: dict[str, SourceTable],
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    mapping: ImportMapping,
    report: ImportReport,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place each account at one known ZIP code and its county; drop (and count) those without one.

    Parameters
    ----------
    tables : dict
        The source tables by kind (:func:`terrkit.crm.sources.read_sources`).
    accounts : pandas.DataFrame
        ``account_id`` and, from an accounts file, ``zip`` text with :data:`~terrkit.crm.sources.FILE` and
        :data:`~terrkit.crm.sources.LINE`.
    sales : pandas.DataFrame
        The won sales (:func:`terrkit.crm.records.sales_records`) with ``amount`` and any ``zip`` or
        ``billing_zip`` text.
    mapping : ImportMapping
        Its ``unknown_zip`` rule decides between dropping and an error.
    report : ImportReport
        Receives the rules applied and the accounts dropped.

    Returns
    -------
    accounts : pandas.DataFrame
        The placed accounts with ``zip``, ``city``, ``state`` and ``unit_id`` (the county).
    sales : pandas.DataFrame
        The sales of the placed accounts.

    Raises
    ------
    DataValidationError
        No ZIP column at all, or (with ``unknown_zip: error``) the first unknown ZIP code.
    """
    candidates, unknown_values = [], []
    plus4 = padded = 0
    for table, rows, name, billing in _zip_sources(tables, accounts, sales):
        zips, has_plus4, was_padded = normalize_zips(rows[name])
        known = pd.Series(member(zips, known_zips()), index=zips.index)
        unknown = rows[name].notna() & ~known
        if mapping.unknown_zip == "error":
            table.fail(
                unknown,
                name,
                "is not a known ZIP code of the contiguous US (the bundled ZIP list); correct it, or set "
                "unknown_zip: drop in a mapping to leave such accounts out",
                frame=rows,
            )
        plus4 += int((has_plus4 & known).sum())
        padded += int((was_padded & known).sum())
        unknown_values.append(
            pd.DataFrame({"account_id": rows["account_id"][unknown], "value": rows[name][unknown]})
        )
        candidates.append(
            pd.DataFrame(
                {"account_id": rows["account_id"], "zip": zips, "billing": billing, "amount": rows["amount"]}
            )[known.to_numpy()]
        )
    chosen = choose_zips(pd.concat(candidates, ignore_index=True))
    unknown = pd.concat(unknown_values, ignore_index=True)
    if plus4 or padded:
        report.add(
            "rules",
            "zip.normalised",
            plus4 + padded,
            "ZIP codes normalised: "
            + ", ".join(
                text
                for count, text in (
                    (plus4, f"{plus4:,} ZIP+4 cut to five digits"),
                    (padded, f"{padded:,} with lost leading zeros restored (2134 -> 02134)"),
                )
                if count
            ),
        )
    for rule, count in chosen["rule"].value_counts().reindex(list(ZIP_RULES)).dropna().items():
        report.add("rules", f"zip.{rule}", int(count), f"accounts placed {ZIP_RULES[rule]}: {int(count):,}")

    placed = pd.Series(member(accounts["account_id"], chosen.index), index=accounts.index)
    has_unknown = pd.Series(member(accounts["account_id"], unknown["account_id"]), index=accounts.index)
    label = tables["sales"].label
    for key, lost, what in (
        (
            "dropped.unknown_zip",
            ~placed & has_unknown,
            "whose ZIP code is not a known ZIP of the contiguous US",
        ),
        ("dropped.no_zip", ~placed & ~has_unknown, "without a ZIP code"),
    ):
        if not lost.any():
            continue
        ids = accounts.loc[lost, "account_id"]
        lost_sales = member(sales["account_id"], ids)
        shown = (
            examples(unknown.loc[member(unknown["account_id"], ids), "value"])
            if key.endswith("unknown_zip")
            else ""
        )
        report.add(
            "dropped",
            key,
            int(lost.sum()),
            f"{plural(int(lost.sum()), 'account')} {what}{shown}, with "
            f"{rows_of(int(lost_sales.sum()), label, 'won')} "
            f"worth {money(sales.loc[lost_sales, 'amount'].sum())}",
        )
    kept_unknown = pd.Series(member(unknown["account_id"], chosen.index), index=unknown.index)
    if kept_unknown.any():
        report.add(
            "rules",
            "zip.unknown_values",
            int(kept_unknown.sum()),
            f"rows with an unknown ZIP code, of accounts placed by their other ZIP codes"
            f"{examples(unknown.loc[kept_unknown, 'value'])}: {int(kept_unknown.sum()):,}",
        )

    located = accounts[placed.to_numpy()].copy()
    located["zip"] = located["account_id"].map(chosen["zip"]).astype("string")
    where = lookup_zips(located["zip"])
    if "state" in located.columns:
        given = located["state"].str.strip().str.upper()
        mismatch = (given.str.len() == 2).fillna(False) & (given != where["state"].to_numpy()).fillna(False)
        if mismatch.any():
            column = "/".join(tables["accounts" if "accounts" in tables else "sales"].column_names("state"))
            report.add(
                "rules",
                "zip.state_mismatch",
                int(mismatch.sum()),
                f"accounts whose {column} is not their ZIP's state (the ZIP decides): "
                f"{int(mismatch.sum()):,}",
            )
    for column in ("city", "state", "unit_id"):
        located[column] = where[column].astype("string").to_numpy()
    return located, sales[member(sales["account_id"], located["account_id"])]
