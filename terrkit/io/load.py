"""Loaders for a terrkit dataset folder, with validation and ZIP geocoding."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.datasets.bundled import load_counties, load_zip_points, sample_dir
from terrkit.exceptions import DataValidationError, DataWarning
from terrkit.io.schema import (
    ACCOUNTS,
    ALIGNMENT,
    DEFAULT_CAPACITY_HOURS,
    FIRMOGRAPHICS,
    REPS,
    SALES,
    TableSpec,
)
from terrkit.io.validate import check_references, fail_rows, validate_table
from terrkit.measures import ever_customers

MANIFEST = "dataset.json"
BUNDLED_UNITS = "bundled:us_counties"
_UNIT_FILES = ("units.parquet", "units.gpkg", "units.geojson")


@dataclass
class ValidationSummary:
    """What a dataset holds, and what validation had to repair or noticed."""

    accounts: int = 0
    customers: int = 0
    prospects: int = 0
    sales_rows: int = 0
    first_period: str | None = None
    last_period: str | None = None
    credit_rows: int = 0
    credit_total: float = 0.0
    sales_total: float = 0.0
    reps: int = 0
    territories: int = 0
    units: int = 0
    units_unaligned: int = 0
    accounts_unaligned: int = 0
    reps_without_territory: int = 0
    accounts_unknown_owner: int = 0
    geocoded_from_zip: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = [
            f"accounts: {self.accounts:,} ({self.customers:,} ever customers, "
            f"{self.prospects:,} never bought)",
            f"sales rows: {self.sales_rows:,} from {self.first_period} to {self.last_period}, "
            f"total {self.sales_total:,.0f}",
            f"credits (negative amounts, allowed): {self.credit_rows:,} rows, total {self.credit_total:,.0f}",
            f"reps: {self.reps}, territories: {self.territories}, units: {self.units:,}",
        ]
        if self.geocoded_from_zip:
            out.append(f"accounts located from their ZIP code: {self.geocoded_from_zip:,}")
        if self.units_unaligned:
            out.append(
                f"units without a territory: {self.units_unaligned:,} "
                f"(holding {self.accounts_unaligned:,} accounts; the proposal assigns them)"
            )
        if self.reps_without_territory:
            out.append(f"reps without a territory: {self.reps_without_territory:,}")
        if self.accounts_unknown_owner:
            out.append(
                f"accounts owned by reps not in reps.csv: {self.accounts_unknown_owner:,} "
                "(treated as unowned; the proposal gives them a rep)"
            )
        return out + self.notes


@dataclass
class Dataset:
    """A validated company: accounts, sales, reps, the current alignment and the unit geometry."""

    accounts: pd.DataFrame
    sales: pd.DataFrame
    reps: pd.DataFrame
    alignment: pd.DataFrame
    units: gpd.GeoDataFrame
    path: Path | None = None
    summary: ValidationSummary = field(default_factory=ValidationSummary)

    @property
    def periods(self) -> list[str]:
        """Sales periods in order."""
        return sorted(self.sales["period"].unique())


def read_table(path: Path, spec: TableSpec) -> pd.DataFrame:
    """Read a CSV with every column as text, then validate it against ``spec``."""
    if not path.exists():
        raise DataValidationError(str(path), f"file not found; a dataset folder must contain {spec.file}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataValidationError(str(path), f"cannot be read as CSV: {str(err).strip()}") from None
    spec = TableSpec(path.name, spec.key, spec.columns)
    return validate_table(raw, spec)


def load_units(folder: Path | None = None) -> gpd.GeoDataFrame:
    """Unit geometry of a dataset: its own ``units.*`` file, else the bundled US counties."""
    if folder is not None:
        for name in _UNIT_FILES:
            candidate = folder / name
            if candidate.exists():
                return _read_units_file(candidate)
        manifest = folder / MANIFEST
        if manifest.exists():
            units = json.loads(manifest.read_text()).get("units", BUNDLED_UNITS)
            if units != BUNDLED_UNITS:
                return _read_units_file(folder / units)
    return load_counties()


def _read_units_file(path: Path) -> gpd.GeoDataFrame:
    try:
        units = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    except Exception as err:  # noqa: BLE001 - any reader failure means the file is unusable
        raise DataValidationError(str(path), f"cannot be read as a geographic file: {err}") from None
    if "unit_id" not in units.columns:
        raise DataValidationError(path.name, "missing required column unit_id")
    units["unit_id"] = units["unit_id"].astype(str)
    if units.crs is not None and not units.crs.is_geographic:
        units = units.to_crs("EPSG:4326")
    dup = units["unit_id"].duplicated()
    fail_rows(units, path.name, "unit_id", dup, "duplicate unit id; each unit must appear once")
    return units


def locate_accounts(accounts: pd.DataFrame, units: gpd.GeoDataFrame, file: str) -> tuple[pd.DataFrame, int]:
    """Fill missing coordinates and unit ids from the ZIP code; reject unknown ZIPs and half coordinates.

    Returns the located accounts and how many were located from their ZIP code.
    """
    zips = load_zip_points().drop_duplicates("zip").set_index("zip")
    known_zip = accounts["zip"].isin(zips.index)
    fail_rows(
        accounts,
        file,
        "zip",
        ~known_zip,
        "is not a known ZIP code of the contiguous US (bundled list from the zipcodes package)",
    )
    out = accounts.copy()
    for column in ("lat", "lon", "unit_id", "city", "state"):
        if column not in out.columns:
            out[column] = np.nan if column in ("lat", "lon") else None
    lat_blank = out["lat"].isna()
    lon_blank = out["lon"].isna()
    fail_rows(out, file, "lat", lat_blank & ~lon_blank, "is empty while lon is given; give both or neither")
    fail_rows(out, file, "lon", lon_blank & ~lat_blank, "is empty while lat is given; give both or neither")
    from_zip = lat_blank & lon_blank
    matched = zips.reindex(out["zip"])
    out.loc[from_zip, "lat"] = matched["lat"].to_numpy()[from_zip.to_numpy()]
    out.loc[from_zip, "lon"] = matched["lon"].to_numpy()[from_zip.to_numpy()]
    for column in ("unit_id", "city", "state"):
        blank = out[column].isna()
        out.loc[blank, column] = matched[column].to_numpy()[blank.to_numpy()]
    check_references(out, file, "unit_id", units["unit_id"], "the unit geometry (county FIPS codes)")
    return out, int(from_zip.sum())


def load_dataset(path: str | os.PathLike | None = None) -> Dataset:
    """Load and validate a dataset folder.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Folder with ``accounts.csv``, ``sales.csv``, ``reps.csv`` and ``current_alignment.csv``
        (and optionally ``units.parquet``/``units.gpkg``/``units.geojson``). ``None`` or ``""``
        loads the bundled sample.

    Returns
    -------
    Dataset
        Typed tables, the unit geometry and a :class:`ValidationSummary`.

    Raises
    ------
    DataValidationError
        On the first problem found, naming the file, column, line and value.
    """
    folder = Path(path) if path else sample_dir()
    if not folder.is_dir():
        raise DataValidationError(str(folder), "is not a folder; give the folder that holds accounts.csv")
    units = load_units(folder)
    accounts = read_table(folder / ACCOUNTS.file, ACCOUNTS)
    accounts, geocoded = locate_accounts(accounts, units, ACCOUNTS.file)
    accounts, missing_firmographics = add_missing_firmographics(accounts)
    sales = read_table(folder / SALES.file, SALES)
    reps = read_table(folder / REPS.file, REPS)
    alignment = read_table(folder / ALIGNMENT.file, ALIGNMENT)

    check_references(sales, SALES.file, "account_id", accounts["account_id"], ACCOUNTS.file)
    accounts, unknown_owner = drop_unknown_owners(accounts, reps["rep_id"])
    reps, rep_notes = complete_reps(reps, accounts, sales)
    check_references(alignment, ALIGNMENT.file, "rep_id", reps["rep_id"], REPS.file)
    check_references(alignment, ALIGNMENT.file, "unit_id", units["unit_id"], "the unit geometry")
    reps_per_territory = alignment.dropna(subset=["rep_id"]).groupby("territory_id")["rep_id"].nunique()
    split = alignment["territory_id"].isin(reps_per_territory.index[reps_per_territory > 1])
    fail_rows(
        alignment, ALIGNMENT.file, "territory_id", split, "has more than one rep; give each territory one rep"
    )

    summary = summarize(accounts, sales, reps, alignment, units)
    summary.geocoded_from_zip = geocoded
    summary.accounts_unknown_owner = unknown_owner
    if missing_firmographics:
        summary.notes.append(
            f"{ACCOUNTS.file} has no {', '.join(missing_firmographics)} column: peer potential groups "
            "accounts by what is there (industry, else all customers' sales history)"
        )
    summary.notes.extend(rep_notes)
    if summary.accounts_unaligned:
        warnings.warn(
            f"{summary.accounts_unaligned:,} accounts lie in units that {ALIGNMENT.file} does not assign to "
            "any territory; the proposal assigns those units",
            DataWarning,
            stacklevel=2,
        )
    return Dataset(accounts, sales, reps, alignment, units, folder, summary)


def add_missing_firmographics(accounts: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add the optional columns a file leaves out, empty; return the names of the missing firmographics."""
    out = accounts if "name" in accounts.columns else accounts.assign(name=None)
    missing = [c for c in FIRMOGRAPHICS if c not in out.columns]
    if not missing:
        return out, []
    out = out.copy()
    for column in missing:
        out[column] = np.nan if column == "employees" else None
    return out, missing


def drop_unknown_owners(accounts: pd.DataFrame, rep_ids: pd.Series) -> tuple[pd.DataFrame, int]:
    """Treat accounts owned by a rep missing from ``reps.csv`` as unowned; return them and their count.

    A CRM export often names owners who have left (inactive users). Their accounts keep no owner, so the
    proposal gives them a rep and the change list shows them; validation reports the first such line.
    """
    owner = accounts["owner_rep_id"]
    unknown = owner.notna() & ~owner.isin(pd.Index(rep_ids))
    count = int(unknown.sum())
    if not count:
        return accounts, 0
    first = int(np.flatnonzero(unknown.to_numpy())[0])
    warnings.warn(
        f"{ACCOUNTS.file}, column 'owner_rep_id', line {first + 2}: value {owner.iloc[first]!r} is not in "
        f"{REPS.file} ({count:,} accounts in all); these accounts are treated as unowned",
        DataWarning,
        stacklevel=3,
    )
    return accounts.assign(owner_rep_id=owner.where(~unknown, None)), count


def complete_reps(
    reps: pd.DataFrame, accounts: pd.DataFrame, sales: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """Fill the optional rep fields with their stated defaults; return the reps and one note per default.

    - **Name**: the rep id.
    - **Home base**: a rep without ``home_lat``/``home_lon`` is placed at the point of ``home_zip``.
    - **Capacity**: :data:`~terrkit.io.schema.DEFAULT_CAPACITY_HOURS` selling hours a year.
    - **Quota**: the sales of the rep's own accounts over the last four quarters of data (a flat
      quota; attainment on today's book then reads 100%).
    """
    out = reps.copy()
    notes: list[str] = []
    for column in ("home_lat", "home_lon", "capacity_hours", "quota"):
        if column not in out.columns:
            out[column] = np.nan
    # a rep without a name is shown by its id
    out["name"] = out["name"].fillna(out["rep_id"]) if "name" in out.columns else out["rep_id"]
    lat_blank, lon_blank = out["home_lat"].isna(), out["home_lon"].isna()
    fail_rows(
        out, REPS.file, "home_lat", lat_blank & ~lon_blank, "is empty while home_lon is given; give both"
    )
    fail_rows(
        out, REPS.file, "home_lon", lon_blank & ~lat_blank, "is empty while home_lat is given; give both"
    )
    from_zip = lat_blank & lon_blank
    if from_zip.any():
        zip_col = (
            out["home_zip"] if "home_zip" in out.columns else pd.Series(None, index=out.index, dtype=object)
        )
        fail_rows(
            out.assign(home_zip=zip_col),
            REPS.file,
            "home_zip",
            from_zip & zip_col.isna(),
            "is empty and so are home_lat and home_lon; give the rep's home as coordinates or a ZIP code",
        )
        zips = load_zip_points().drop_duplicates("zip").set_index("zip")
        fail_rows(
            out,
            REPS.file,
            "home_zip",
            from_zip & ~zip_col.isin(zips.index),
            "is not a known ZIP code of the contiguous US (needed: the rep has no home_lat/home_lon)",
        )
        matched = zips.reindex(zip_col[from_zip])
        out.loc[from_zip, "home_lat"] = matched["lat"].to_numpy()
        out.loc[from_zip, "home_lon"] = matched["lon"].to_numpy()
        notes.append(f"rep homes placed at their home_zip: {int(from_zip.sum())}")
    no_capacity = out["capacity_hours"].isna()
    if no_capacity.any():
        out.loc[no_capacity, "capacity_hours"] = DEFAULT_CAPACITY_HOURS
        notes.append(
            f"reps without capacity_hours: {int(no_capacity.sum())}, given "
            f"{DEFAULT_CAPACITY_HOURS:,.0f} selling hours a year"
        )
    no_quota = out["quota"].isna()
    if no_quota.any():
        book = last_year_book(accounts, sales)
        out.loc[no_quota, "quota"] = out.loc[no_quota, "rep_id"].map(book).fillna(0.0).to_numpy()
        notes.append(
            f"reps without a quota: {int(no_quota.sum())}, given their own accounts' sales over the last "
            "four quarters"
        )
    return out, notes


def last_year_book(accounts: pd.DataFrame, sales: pd.DataFrame) -> pd.Series:
    """Sales of each owner's accounts over the last four quarters of ``sales``, indexed by rep id."""
    periods = sorted(sales["period"].unique())[-4:]
    recent = sales[sales["period"].isin(periods)]
    by_account = recent.groupby("account_id")["amount"].sum()
    owner = accounts.set_index("account_id")["owner_rep_id"]
    return by_account.groupby(owner.reindex(by_account.index)).sum()


def summarize(
    accounts: pd.DataFrame,
    sales: pd.DataFrame,
    reps: pd.DataFrame,
    alignment: pd.DataFrame,
    units: gpd.GeoDataFrame,
) -> ValidationSummary:
    """Counts and totals that describe a dataset."""
    credits = sales["amount"] < 0
    customers = int(ever_customers(accounts, sales).sum())  # terrkit.measures: the one definition
    periods = sales["period"]
    return ValidationSummary(
        accounts=len(accounts),
        customers=int(customers),
        prospects=int(len(accounts) - customers),
        sales_rows=len(sales),
        first_period=periods.min() if len(periods) else None,
        last_period=periods.max() if len(periods) else None,
        credit_rows=int(credits.sum()),
        credit_total=float(sales.loc[credits, "amount"].sum()),
        sales_total=float(sales["amount"].sum()),
        reps=len(reps),
        territories=int(alignment["territory_id"].nunique()),
        units=len(units),
        units_unaligned=int((~units["unit_id"].isin(alignment["unit_id"])).sum()),
        accounts_unaligned=int((~accounts["unit_id"].isin(alignment["unit_id"])).sum()),
        reps_without_territory=int((~reps["rep_id"].isin(alignment["rep_id"].dropna())).sum()),
    )
