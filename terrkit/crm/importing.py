"""``terrkit import``: CRM exports in, a terrkit data folder out.

:func:`import_crm` reads the exports (:mod:`terrkit.crm.sources`) with a preset or a mapping file
(:mod:`terrkit.crm.mapping`) and builds the four tables of a data folder:

1. **sales.csv**: the won deals, opportunities or order lines, summed per account and calendar quarter
   (``YYYYQn`` of the close or order date). Lost and open deals are dropped and counted by stage.
2. **accounts.csv**: the accounts file's accounts, or, without one, the accounts the sales name (each
   attribute from the account's latest line). Each is placed at one ZIP code and its county
   (:mod:`terrkit.crm.places`); an account with no known ZIP code is dropped with its sales and counted
   (or, with ``unknown_zip: error``, the first unknown ZIP is an error). ``name``, ``industry``,
   ``employees``, ``revenue_band``, ``lat`` and ``lon`` are written only when the source has them.
3. **reps.csv**: the reps that own at least one imported account, from the reps file when there is one
   (owners are matched as :mod:`terrkit.crm.ownership` says; an owner matching no rep is left empty and
   counted), else the distinct owner values. ``home_zip`` comes from the reps file, else from the
   rep's accounts (:func:`terrkit.crm.places.rep_homes`), and ``home_lat``/``home_lon`` from its ZIP point.
4. **current_alignment.csv**: each county with owned accounts in the territory ``T-<rep_id>`` of the rep
   owning the most revenue there; other counties have no territory.

Every step adds its counts to an :class:`~terrkit.crm.import_report.ImportReport`. The folder, with a
``dataset.json`` recording the sources and the report, is written all at once, and only if every
step succeeded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from terrkit import __version__
from terrkit.crm.folder import check_destination, write_folder
from terrkit.crm.import_report import ImportReport, examples, money, plural, rows_of, short_number
from terrkit.crm.mapping import KINDS, ImportMapping, resolve_mapping
from terrkit.crm.ownership import REP_NUMBERS, align_by_owners, assign_owners, rep_table
from terrkit.crm.places import locate_accounts
from terrkit.crm.records import account_records, accounts_from_sales, sales_records
from terrkit.crm.sources import SourceFile, SourceTable, read_sources, split_source_arg
from terrkit.crm.values import member
from terrkit.io.load import BUNDLED_UNITS

_ACCOUNT_COLUMNS = ("account_id", "name", "industry", "employees", "revenue_band", "zip", "city", "state")


@dataclass
class ImportedData:
    """The tables of an imported data folder, and what the import did.

    Attributes
    ----------
    accounts, sales, reps, alignment : pandas.DataFrame
        The contents of ``accounts.csv``, ``sales.csv``, ``reps.csv`` and ``current_alignment.csv``.
    report : ImportReport
        Counts of what was read, mapped, aggregated and dropped, and the rules applied.
    sources : list of SourceFile
        The files read, with their kind and column mapping.
    mapping : ImportMapping
        The mapping used.
    """

    accounts: pd.DataFrame
    sales: pd.DataFrame
    reps: pd.DataFrame
    alignment: pd.DataFrame
    report: ImportReport
    sources: list[SourceFile] = field(default_factory=list)
    mapping: ImportMapping | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table, as written to the folder."""
        return {
            "accounts.csv": self.accounts,
            "sales.csv": self.sales,
            "reps.csv": self.reps,
            "current_alignment.csv": self.alignment,
        }

    def manifest(self) -> dict[str, Any]:
        """The folder's ``dataset.json``: provenance, sizes, unit geometry and the import report."""
        periods = sorted(self.sales["period"].unique())
        return {
            "importer": "terrkit import",
            "terrkit_version": __version__,
            "mapping": self.report.mapping,
            "sources": [{"file": s.name, "kind": s.kind, "rows": s.rows} for s in self.sources],
            "accounts": len(self.accounts),
            "reps": len(self.reps),
            "periods": [periods[0], periods[-1]] if periods else [],
            "units": BUNDLED_UNITS,
            "import_report": self.report.lines(),
        }


@dataclass
class ImportResult:
    """A written import: the folder and its data."""

    path: Path
    data: ImportedData

    @property
    def report(self) -> ImportReport:
        """What the import did."""
        return self.data.report


def _report_sources(tables: dict[str, SourceTable], mapping: ImportMapping, report: ImportReport) -> None:
    for kind in KINDS:
        if kind not in tables:
            continue
        spec = mapping.files[kind]
        for source in tables[kind].files:
            report.add(
                "read",
                f"read.{kind}",
                source.rows,
                f"{spec.label} ({kind}): {source.name}, {plural(source.rows, 'row')}",
            )
            pairs = []
            for name, column in source.columns.items():
                text = f"{column} -> {name}"
                if name == "annual_revenue":
                    cuts = "/".join(short_number(t) for t in mapping.revenue_band.thresholds)
                    text += f" -> revenue_band (thresholds {cuts}"
                    text += (
                        f", scale {mapping.revenue_band.scale:g})" if mapping.revenue_band.scale != 1 else ")"
                    )
                if name == "date":
                    text += " -> period (calendar quarter)"
                pairs.append(text)
            line = f"{source.path.name}: {', '.join(pairs)}"
            absent = [f for f in spec.columns if f not in source.columns]
            if absent:
                line += f"; not in the file: {', '.join(absent)}"
            if source.unused:
                shown = ", ".join(source.unused[:6]) + (
                    f" and {len(source.unused) - 6} more" if len(source.unused) > 6 else ""
                )
                line += f"; columns not used: {shown}"
            report.add("mapped", f"mapped.{kind}", len(source.columns), line)


def _integral(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Float columns holding whole numbers only, written without a decimal point."""
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            values = out[column].astype(float)
            if np.all(np.isnan(values) | (values == np.round(values))):
                out[column] = values.round().astype("Int64")
    return out


def build_import(sources: Sequence[str | os.PathLike], mapping: ImportMapping) -> ImportedData:
    """Read the exports and build the tables of a data folder, without writing anything.

    Parameters
    ----------
    sources : sequence of str or path
        ``PATH`` or ``KIND=PATH`` per export (see :func:`terrkit.crm.sources.read_sources`).
    mapping : ImportMapping
        A preset or mapping file (:func:`terrkit.crm.mapping.resolve_mapping`).

    Returns
    -------
    ImportedData

    Raises
    ------
    DataValidationError
        Naming the file, line, column and value of the first bad input.
    """
    tables = read_sources(sources, mapping)
    report = ImportReport(mapping.name)
    _report_sources(tables, mapping, report)
    sales_table = tables["sales"]
    sales = sales_records(sales_table, mapping, report)
    if "accounts" in tables:
        accounts = account_records(tables["accounts"], mapping, report)
        known = pd.Series(member(sales["account_id"], accounts["account_id"]), index=sales.index)
        if (~known).any():
            report.add(
                "dropped",
                "dropped.unknown_account",
                int((~known).sum()),
                f"{rows_of(int((~known).sum()), sales_table.label, 'won')} of accounts not in "
                f"{tables['accounts'].label}{examples(sales.loc[~known, 'account_id'])}, worth "
                f"{money(sales.loc[~known, 'amount'].sum())}",
            )
        sales = sales[known.to_numpy()]
    else:
        accounts = accounts_from_sales(sales, sales_table, mapping, report)

    accounts, sales = locate_accounts(tables, accounts, sales, mapping, report)
    accounts, reps_in = assign_owners(tables, accounts, mapping, report)
    revenue = sales.groupby("account_id")["amount"].sum()
    reps = rep_table(tables, accounts, reps_in, revenue, report)

    summed = sales.groupby(["account_id", "period"], sort=True)["amount"].sum().round(2).reset_index()
    periods = sorted(summed["period"].unique())
    span = f" ({periods[0]} to {periods[-1]})" if periods else ""
    report.add(
        "aggregated",
        "sales.summed",
        len(sales),
        f"{rows_of(len(sales), sales_table.label, 'won')} summed into {len(summed):,} "
        f"account-quarters{span}, total {money(summed['amount'].sum())}",
    )

    alignment = align_by_owners(accounts, revenue, reps, report)

    keep = [c for c in _ACCOUNT_COLUMNS if c in accounts.columns]
    keep += ["unit_id"] + [c for c in ("lat", "lon") if c in accounts.columns] + ["owner_rep_id"]
    out_accounts = _integral(accounts[keep].sort_values("account_id").reset_index(drop=True), ["employees"])
    sources_read = [f for kind in KINDS if kind in tables for f in tables[kind].files]
    return ImportedData(
        accounts=out_accounts,
        sales=_integral(summed, ["amount"]),
        reps=_integral(reps, REP_NUMBERS),
        alignment=alignment,
        report=report,
        sources=sources_read,
        mapping=mapping,
    )


def import_crm(
    sources: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    preset: str | None = None,
    mapping: str | os.PathLike | ImportMapping | None = None,
    overwrite: bool = False,
) -> ImportResult:
    """Import CRM exports into a new terrkit data folder, all files or none.

    Parameters
    ----------
    sources : sequence of str or path
        The exports, ``PATH`` or ``KIND=PATH`` each; kinds are recognised from the headers.
    out : path
        The data folder to write.
    preset : {"salesforce", "hubspot", "generic"}, optional
        A built-in mapping.
    mapping : path or ImportMapping, optional
        A mapping YAML file (it may ``extends:`` a preset) or a mapping object; exactly one of ``preset``
        and ``mapping`` is given.
    overwrite : bool, default False
        Replace ``out`` if it exists (never when it holds a source).

    Returns
    -------
    ImportResult
        The folder and the imported tables with the report.

    Raises
    ------
    ConfigError
        The preset or mapping is invalid, or ``out`` cannot be written.
    DataValidationError
        A source is missing or holds a bad value; nothing is written.
    """
    resolved = resolve_mapping(preset, mapping)
    check_destination(out, overwrite=overwrite, keep=_source_paths(sources, resolved))
    data = build_import(sources, resolved)
    path = write_folder(
        data.tables(), data.manifest(), out, overwrite=overwrite, keep=[s.path for s in data.sources]
    )
    data.report.add(
        "wrote",
        "wrote.folder",
        len(data.accounts),
        f"{path}: {len(data.accounts):,} accounts, {len(data.sales):,} sales rows, {len(data.reps):,} reps, "
        f"{len(data.alignment):,} counties in {data.alignment['territory_id'].nunique():,} territories",
    )
    return ImportResult(path, data)


def _source_paths(sources: Sequence[str | os.PathLike], mapping: ImportMapping) -> list[Path]:
    return [split_source_arg(arg, mapping)[1] for arg in sources]
