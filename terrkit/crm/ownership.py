"""Who owns what after an import: account owners matched to reps, the reps, and the current alignment.

**Owners** (:func:`assign_owners`, :func:`match_owners`). An account's owner value (an id, email or name
as the CRM exports it) is matched to a rep of the reps file by ``rep_id``, then ``owner_id``, then
``email`` (case-insensitively), then ``name`` (case-insensitively, only names no two reps share). An
owner matching no rep is left empty and counted. Without a reps file every owner value is a rep id.

**Reps** (:func:`rep_table`). The reps written are those owning at least one imported account (a CRM's
user list also holds admins and integration users; the others are counted). Each has a home ZIP: the
reps file's, else one found from their accounts (:func:`terrkit.crm.places.rep_homes`).

**Current alignment** (:func:`current_alignment`). Each county with owned accounts goes to the territory
of the rep who owns the most revenue there (total imported sales of the rep's accounts in the county);
ties go to the rep with more accounts there, then to the smaller rep id. The territory of rep ``R`` is
``T-R`` (:func:`territory_id`), so each territory has one rep and ids stay readable. Counties whose
accounts have no owner, and counties without accounts, get no territory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.crm.import_report import ImportReport, examples, plural, rows_of
from terrkit.crm.mapping import ImportMapping
from terrkit.crm.places import HOME_RULES, known_zips, lookup_zips, rep_homes
from terrkit.crm.records import rep_records
from terrkit.crm.sources import SourceTable
from terrkit.crm.values import member, normalize_zips

TERRITORY_PREFIX = "T-"
#: Rep columns written only when the reps file has them.
REP_NUMBERS: tuple[str, ...] = ("capacity_hours", "quota")

#: Order in which a reps file's columns are tried to recognise an owner value.
MATCH_KEYS: tuple[str, ...] = ("rep_id", "owner_id", "email", "name")


def territory_id(rep_ids: pd.Series) -> pd.Series:
    """The territory id of each rep: ``T-<rep_id>``."""
    return TERRITORY_PREFIX + rep_ids.astype("string")


def match_owners(owners: pd.Series, reps: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The rep id of each owner value, and which reps-file column recognised it.

    Parameters
    ----------
    owners : pandas.Series
        Owner values (missing for accounts without an owner).
    reps : pandas.DataFrame
        ``rep_id`` and any of ``owner_id``, ``email``, ``name``.

    Returns
    -------
    rep_id : pandas.Series
        Missing where the owner is blank or matches no rep.
    matched_by : pandas.Series
        The key of :data:`MATCH_KEYS` that matched, missing where none did.
    """
    text = owners.astype("string").str.strip()
    rep_id = pd.Series(pd.NA, index=owners.index, dtype="string")
    matched_by = pd.Series(pd.NA, index=owners.index, dtype="string")
    for key in MATCH_KEYS:
        if key not in reps.columns:
            continue
        keys = reps[key].astype("string").str.strip()
        if key in ("email", "name"):
            keys = keys.str.casefold()
        lookup = pd.Series(reps["rep_id"].astype("string").to_numpy(), index=keys.to_numpy())
        lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep=False)]
        probe = text.str.casefold() if key in ("email", "name") else text
        found = probe.map(lookup).astype("string")
        new = rep_id.isna() & found.notna()
        rep_id = rep_id.mask(new, found)
        matched_by = matched_by.mask(new, key)
    return rep_id, matched_by


def current_alignment(accounts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Counties to the territories of the reps owning the most revenue there.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``unit_id``, ``owner_rep_id`` (missing for no owner) and ``revenue`` of each account.

    Returns
    -------
    alignment : pandas.DataFrame
        ``unit_id, territory_id, rep_id``, one row per county with an owned account, by ``unit_id``.
    counts : dict
        ``units`` (with accounts), ``aligned``, ``ties`` (decided by account count or rep id) and
        ``unowned_units`` (whose accounts have no owner).
    """
    owned = accounts.dropna(subset=["owner_rep_id"])
    tally = (
        owned.groupby(["unit_id", "owner_rep_id"])
        .agg(revenue=("revenue", "sum"), n=("revenue", "size"))
        .reset_index()
        .sort_values(["unit_id", "revenue", "n", "owner_rep_id"], ascending=[True, False, False, True])
    )
    grouped = tally.groupby("unit_id", sort=False)
    first = grouped.nth(0).set_index("unit_id")
    second = grouped.nth(1).set_index("unit_id").reindex(first.index)
    ties = int(np.isclose(first["revenue"], second["revenue"].fillna(np.inf)).sum())
    alignment = pd.DataFrame(
        {
            "unit_id": first.index.astype("string"),
            "territory_id": territory_id(first["owner_rep_id"]).to_numpy(),
            "rep_id": first["owner_rep_id"].astype("string").to_numpy(),
        }
    ).reset_index(drop=True)
    units = accounts["unit_id"].nunique()
    counts = {
        "units": int(units),
        "aligned": len(alignment),
        "ties": ties,
        "unowned_units": int(units - len(alignment)),
    }
    return alignment, counts


def assign_owners(
    tables: dict[str, SourceTable], accounts: pd.DataFrame, mapping: ImportMapping, report: ImportReport
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Match each account's owner to a rep and set ``owner_rep_id``.

    With a reps file, an owner matching no rep is left empty and counted; without one, the owner value
    is the rep id.

    Returns
    -------
    accounts : pandas.DataFrame
        With ``owner_rep_id`` (missing for no owner).
    reps : pandas.DataFrame or None
        The reps file's records (:func:`terrkit.crm.records.rep_records`), ``None`` without a reps file.
    """
    owner_table = tables["accounts" if "accounts" in tables else "sales"]
    column = "/".join(owner_table.column_names("owner")) or "owner"
    owner = (
        accounts["owner"]
        if "owner" in accounts.columns
        else pd.Series(pd.NA, index=accounts.index, dtype="string")
    )
    reps_in = None
    if "reps" in tables:
        reps_table = tables["reps"]
        reps_in = rep_records(reps_table, mapping)
        rep_id, matched_by = match_owners(owner, reps_in)
        unknown = owner.notna() & rep_id.isna()
        if unknown.any():
            report.add(
                "dropped",
                "dropped.unknown_owner",
                int(unknown.sum()),
                f"owners of {plural(int(unknown.sum()), 'account')}: their {column} is not in "
                f"{reps_table.label}{examples(owner[unknown])}; owner_rep_id left empty",
            )
        for key, count in matched_by.value_counts().items():
            if key != "rep_id":
                columns = "/".join(reps_table.column_names(str(key)))
                report.add(
                    "rules",
                    f"owner.by_{key}",
                    int(count),
                    f"owners recognised by the {columns} of {reps_table.label}: {int(count):,}",
                )
    else:
        rep_id = owner
    if owner.isna().any():
        report.add(
            "rules",
            "owner.blank",
            int(owner.isna().sum()),
            f"accounts without an owner: {int(owner.isna().sum()):,}",
        )
    return accounts.assign(owner_rep_id=rep_id.astype("string")), reps_in


def rep_table(
    tables: dict[str, SourceTable],
    accounts: pd.DataFrame,
    reps_in: pd.DataFrame | None,
    revenue: pd.Series,
    report: ImportReport,
) -> pd.DataFrame:
    """The rows of ``reps.csv``: the reps owning imported accounts, each with a known home ZIP and its point.

    The home ZIP is the reps file's when it is a known ZIP code, else the one
    :func:`~terrkit.crm.places.rep_homes` finds from the rep's accounts (``revenue``: each account's
    imported sales). The report says which rule placed how many reps.

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``name`` (when known), ``home_zip``, ``home_lat``, ``home_lon`` and the reps file's
        ``capacity_hours`` and ``quota`` when it has them.
    """
    owned = pd.Index(accounts["owner_rep_id"].dropna().unique()).sort_values()
    if reps_in is not None:
        label = tables["reps"].label
        reps = reps_in[member(reps_in["rep_id"], owned)].sort_values("rep_id").reset_index(drop=True)
        idle = len(reps_in) - len(reps)
        if idle:
            report.add(
                "dropped",
                "dropped.idle_reps",
                idle,
                f"{rows_of(idle, label)} owning no imported account (not written as reps)",
            )
        home = (
            normalize_zips(reps["zip"])[0]
            if "zip" in reps.columns
            else pd.Series(pd.NA, index=reps.index, dtype="string")
        )
        bad_home = (
            reps["zip"].notna() & ~member(home, known_zips()) if "zip" in reps.columns else home.notna()
        )
        if bad_home.any():
            report.add(
                "rules",
                "home.unknown_zip",
                int(bad_home.sum()),
                f"reps whose home ZIP ({'/'.join(tables['reps'].column_names('zip'))}) is not a known ZIP, "
                f"placed by their accounts{examples(reps.loc[bad_home, 'zip'])}: {int(bad_home.sum()):,}",
            )
        home = home.where(member(home, known_zips()))
    else:
        reps = pd.DataFrame({"rep_id": pd.array(owned, dtype="string")})
        column = "/".join(tables["accounts" if "accounts" in tables else "sales"].column_names("owner"))
        report.add(
            "aggregated",
            "reps.from_owners",
            len(reps),
            f"{plural(len(reps), 'rep')}: the distinct owners ({column}) of the accounts",
        )
        home = pd.Series(pd.NA, index=reps.index, dtype="string")
    rule = pd.Series(np.where(home.notna(), "given", ""), index=reps.index)
    need = home.isna()
    if need.any():
        own = accounts[member(accounts["owner_rep_id"], reps.loc[need, "rep_id"])]
        inferred = rep_homes(own.assign(revenue=own["account_id"].map(revenue).fillna(0.0)))
        home = home.fillna(reps["rep_id"].map(inferred["zip"]).astype("string"))
        rule = rule.mask(need, reps["rep_id"].map(inferred["rule"]))
    for key, count in rule.value_counts().reindex(list(HOME_RULES)).dropna().items():
        report.add("rules", f"home.{key}", int(count), f"reps placed {HOME_RULES[key]}: {int(count):,}")
    where = lookup_zips(home)
    out = pd.DataFrame({"rep_id": reps["rep_id"].astype("string")})
    if "name" in reps.columns:
        out["name"] = reps["name"]
    out["home_zip"] = home.astype("string").to_numpy()
    out["home_lat"] = where["lat"].to_numpy()
    out["home_lon"] = where["lon"].to_numpy()
    for column in REP_NUMBERS:
        if column in reps.columns:
            out[column] = reps[column].to_numpy()
    return out


def align_by_owners(
    accounts: pd.DataFrame, revenue: pd.Series, reps: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    """The current alignment from the accounts' owners (:func:`current_alignment`), with its counts reported.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id`` and ``owner_rep_id`` of the imported accounts.
    revenue : pandas.Series
        Imported sales per account id (accounts without sales count 0).
    reps : pandas.DataFrame
        The reps written (``rep_id``), to count those left without a territory.
    report : ImportReport
        Receives the rule and its counts.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, territory_id, rep_id``.
    """
    alignment, counts = current_alignment(
        accounts.assign(revenue=accounts["account_id"].map(revenue).fillna(0.0))
    )
    territories = alignment["territory_id"].nunique()
    report.add(
        "rules",
        "alignment.units",
        counts["aligned"],
        f"current alignment: {plural(counts['aligned'], 'county', 'counties')} with owned accounts, each "
        "in the territory T-<rep_id> of the rep owning the most revenue there "
        f"({plural(territories, 'territory', 'territories')}; ties to more accounts, then the smaller rep "
        f"id: {counts['ties']:,}); other counties have no territory",
    )
    if counts["unowned_units"]:
        report.add(
            "rules",
            "alignment.unowned_units",
            counts["unowned_units"],
            f"counties whose accounts have no owner, left without a territory: {counts['unowned_units']:,}",
        )
    without = int((~member(reps["rep_id"], alignment["rep_id"])).sum())
    if without:
        report.add(
            "rules",
            "alignment.reps_without_territory",
            without,
            f"reps owning no county (no territory): {without:,}",
        )
    return alignment
