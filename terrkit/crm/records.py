"""Source tables to typed records: won sales, accounts and reps, each value checked.

A value that breaks the data model (a date not in the mapping's format, a negative employee count, a
duplicate id, ...) raises :class:`~terrkit.exceptions.DataValidationError` naming the file, line, column and
value. Rows an export legitimately holds but terrkit does not use (lost or open deals, deals without an
account or an amount) are dropped and counted in the import report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.crm.import_report import ImportReport, plural, rows_of
from terrkit.crm.mapping import FileMapping, ImportMapping
from terrkit.crm.sources import FILE, LINE, SourceTable
from terrkit.crm.values import (
    date_example,
    parse_dates,
    parse_numbers,
    quarters,
    revenue_bands,
    translate_bands,
    won_status,
)
from terrkit.io.schema import REVENUE_BANDS

#: Account attributes a file may carry, besides its id and ZIP codes.
ATTRIBUTES: tuple[str, ...] = (
    "name",
    "industry",
    "employees",
    "revenue_band",
    "owner",
    "state",
    "lat",
    "lon",
)
_TOP_REASONS = 4


def _columns(table: SourceTable, name: str) -> str:
    return "/".join(table.column_names(name)) or name


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _numbers(
    table: SourceTable, rows: pd.DataFrame, name: str, fmt_source: FileMapping, minimum: float | None = None
) -> pd.Series:
    fmt = fmt_source.format
    values, bad = parse_numbers(rows[name], fmt.decimal, fmt.thousands)
    grouping = f", thousands {fmt.thousands!r}" if fmt.thousands else ""
    table.fail(bad, name, f"is not a number (written with decimal {fmt.decimal!r}{grouping})", frame=rows)
    if minimum is not None:
        table.fail(
            values < minimum, name, f"is below {minimum:g}; {name} must be at least {minimum:g}", frame=rows
        )
    return values


def sales_records(table: SourceTable, mapping: ImportMapping, report: ImportReport) -> pd.DataFrame:
    """The won sales of the sales files, with their account, quarter and amount.

    Lost and open deals are dropped (counted by stage), and so are won rows without an account or an
    amount; a won row's date and amount must parse.

    Returns
    -------
    pandas.DataFrame
        ``account_id, date, period, amount``, :data:`~terrkit.crm.sources.FILE`,
        :data:`~terrkit.crm.sources.LINE`, and the sales file's ``zip``/``billing_zip`` text and account
        attributes when it has them.
    """
    spec = mapping.files["sales"]
    label, frame = table.label, table.frame
    if table.has("won") or table.has("stage"):
        won, reason = won_status(frame.get("won"), frame.get("stage"), mapping.won)
        if table.has("won"):
            rule = f"{_columns(table, 'won')} is {' or '.join(mapping.won.flag_values)}"
        else:
            rule = (
                f"{_columns(table, 'stage')} is {' or '.join(mapping.won.stages) or '(no stage configured)'}"
            )
        report.add(
            "rules", "won.rule", int(won.sum()), f"won: rows of {label} whose {rule}: {int(won.sum()):,}"
        )
        lost = ~won
        if lost.any():
            counts = reason[lost].value_counts()
            detail = ", ".join(f"{value} {n:,}" for value, n in counts.head(_TOP_REASONS).items())
            if len(counts) > _TOP_REASONS:
                detail += (
                    f", {len(counts) - _TOP_REASONS} more values {int(counts.iloc[_TOP_REASONS:].sum()):,}"
                )
            report.add(
                "dropped",
                "dropped.not_won",
                int(lost.sum()),
                f"{rows_of(int(lost.sum()), label)} not won ({detail})",
            )
        rows = frame[won.to_numpy()]
    else:
        report.add(
            "rules",
            "won.rule",
            len(frame),
            f"won: every row of {label} (no won flag or stage column): {len(frame):,}",
        )
        rows = frame

    account = rows["account_id"].astype("string")
    if spec.account_separator:
        parts = account.str.split(spec.account_separator, regex=False)
        several = (parts.str.len() > 1).fillna(False).astype(bool)
        account = parts.str[0].str.strip().astype("string")
        if several.any():
            report.add(
                "rules",
                "sales.first_account",
                int(several.sum()),
                f"{rows_of(int(several.sum()), label, 'won')} naming several accounts in "
                f"{_columns(table, 'account_id')}: each counts for the first",
            )
    no_account = account.isna() | (account == "")
    if no_account.any():
        report.add(
            "dropped",
            "dropped.no_account",
            int(no_account.sum()),
            f"{rows_of(int(no_account.sum()), label, 'won')} without an account "
            f"({_columns(table, 'account_id')} empty)",
        )
    rows = rows[~no_account.to_numpy()].assign(account_id=account[~no_account])

    amount = _numbers(table, rows, "amount", spec)
    no_amount = amount.isna()
    if no_amount.any():
        report.add(
            "dropped",
            "dropped.no_amount",
            int(no_amount.sum()),
            f"{rows_of(int(no_amount.sum()), label, 'won')} without an amount "
            f"({_columns(table, 'amount')} empty)",
        )
    rows = rows[~no_amount.to_numpy()].assign(amount=amount[~no_amount])

    dates, bad = parse_dates(rows["date"], spec.format.date_format)
    written = spec.format.date_format or "ISO 8601, YYYY-MM-DD"
    table.fail(
        rows["date"].isna(), "date", "is empty; a won sale needs its date (it gives the quarter)", frame=rows
    )
    table.fail(
        bad,
        "date",
        f"is not a date written like {date_example(spec.format.date_format)} ({written}, years "
        "1900-2100); set format.date_format in a mapping",
        frame=rows,
    )
    return rows.assign(date=dates, period=quarters(dates))


def _check_ids(table: SourceTable, name: str, what: str) -> pd.Series:
    ids = table.frame[name].astype("string")
    table.fail(ids.isna(), name, f"is empty; every {what} needs an id")
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        same = np.flatnonzero((ids == ids.iloc[first]).to_numpy())
        source = table.files[int(table.frame[FILE].iloc[same[1]])]
        table.fail(
            duplicated,
            name,
            f"duplicate id: also on line {int(table.frame[LINE].iloc[same[1]])} of {source.name}; "
            f"each {what} must appear once",
            values=ids,
        )
    return ids


def attributes(
    table: SourceTable, rows: pd.DataFrame, mapping: ImportMapping, report: ImportReport
) -> pd.DataFrame:
    """The account attributes ``rows`` carry, checked and typed (see :data:`ATTRIBUTES`).

    ``annual_revenue`` becomes ``revenue_band`` by the mapping's thresholds; a ``revenue_band`` text
    fills the accounts without a revenue. Half coordinates (lat without lon) are dropped and counted.
    """
    spec = mapping.files[table.kind]
    band_rule = mapping.revenue_band
    out = pd.DataFrame(index=rows.index)
    name_field = "account_name" if table.kind == "sales" else "name"
    if name_field in rows.columns:
        out["name"] = rows[name_field].astype("string")
    if "industry" in rows.columns:
        out["industry"] = rows["industry"].astype("string")
    if "employees" in rows.columns:
        out["employees"] = _numbers(table, rows, "employees", spec, minimum=0)
    bands = []
    if "annual_revenue" in rows.columns:
        revenue = _numbers(table, rows, "annual_revenue", spec, minimum=0)
        bands.append(revenue_bands(revenue, band_rule))
    if "revenue_band" in rows.columns:
        translated, bad = translate_bands(rows["revenue_band"], band_rule)
        table.fail(
            bad,
            "revenue_band",
            f"is not a revenue band; use one of {', '.join(REVENUE_BANDS)} or translate it under "
            "revenue_band.values in a mapping",
            frame=rows,
        )
        bands.append(translated)
    if bands:
        out["revenue_band"] = bands[0] if len(bands) == 1 else bands[0].fillna(bands[1])
    for field in ("owner", "state"):
        if field in rows.columns:
            out[field] = rows[field].astype("string")
    if "lat" in rows.columns and "lon" in rows.columns:
        lat = _numbers(table, rows, "lat", spec)
        lon = _numbers(table, rows, "lon", spec)
        table.fail(lat.abs() > 90, "lat", "is not a latitude; allowed -90 to 90", frame=rows)
        table.fail(lon.abs() > 180, "lon", "is not a longitude; allowed -180 to 180", frame=rows)
        half = lat.isna() != lon.isna()
        if half.any():
            report.add(
                "dropped",
                "dropped.half_coordinates",
                int(half.sum()),
                f"coordinates of {rows_of(int(half.sum()), table.label)} with only one of "
                f"{_columns(table, 'lat')}/{_columns(table, 'lon')} (the ZIP point is used)",
            )
        out["lat"], out["lon"] = lat.where(~half), lon.where(~half)
    return out


def account_records(table: SourceTable, mapping: ImportMapping, report: ImportReport) -> pd.DataFrame:
    """The accounts file's accounts: unique non-empty ids, their billing ZIP text and attributes.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``zip`` (text as written, when mapped), the attributes,
        :data:`~terrkit.crm.sources.FILE` and :data:`~terrkit.crm.sources.LINE`.
    """
    ids = _check_ids(table, "account_id", "account")
    out = pd.DataFrame({"account_id": ids}, index=table.frame.index)
    if table.has("zip"):
        out["zip"] = table.frame["zip"]
    out = out.join(attributes(table, table.frame, mapping, report))
    out[FILE], out[LINE] = table.frame[FILE], table.frame[LINE]
    return out


def accounts_from_sales(
    sales: pd.DataFrame, table: SourceTable, mapping: ImportMapping, report: ImportReport
) -> pd.DataFrame:
    """Accounts known only from their sales: each attribute from the account's latest line that has it.

    Lines are ordered by date, then file and line; blanks do not hide earlier values.
    """
    attrs = attributes(table, sales, mapping, report)
    ordered = attrs.assign(
        account_id=sales["account_id"], _date=sales["date"], _f=sales[FILE], _l=sales[LINE]
    )
    ordered = ordered.sort_values(["account_id", "_date", "_f", "_l"], kind="stable")
    latest = ordered.drop(columns=["_date", "_f", "_l"]).groupby("account_id", sort=True).last()
    if len(attrs.columns):
        report.add(
            "aggregated",
            "accounts.from_sales",
            len(latest),
            f"{plural(len(latest), 'account')} built from the rows of {table.label}; "
            f"{', '.join(attrs.columns)} from each account's latest row",
        )
    return latest.reset_index()


def rep_records(table: SourceTable, mapping: ImportMapping) -> pd.DataFrame:
    """The reps file's reps: unique non-empty ids, their match keys, home ZIP text and numbers.

    Returns
    -------
    pandas.DataFrame
        ``rep_id`` and those of ``owner_id, email, name, zip, capacity_hours, quota`` the file has,
        with :data:`~terrkit.crm.sources.FILE` and :data:`~terrkit.crm.sources.LINE`.
    """
    spec = mapping.files["reps"]
    out = pd.DataFrame({"rep_id": _check_ids(table, "rep_id", "rep")}, index=table.frame.index)
    for field in ("owner_id", "email", "name", "zip"):
        if table.has(field):
            out[field] = table.frame[field].astype("string")
    for field in ("capacity_hours", "quota"):
        if table.has(field):
            out[field] = _numbers(table, table.frame, field, spec, minimum=0)
    out[FILE], out[LINE] = table.frame[FILE], table.frame[LINE]
    return out
