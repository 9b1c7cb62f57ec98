"""Loaders for a terrkit dataset folder, with validation and ZIP geocoding."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.datasets.bundled import load_counties, load_zip_points, sample_dir
from terrkit.exceptions import DataValidationError, DataWarning
from terrkit.io.parts import TableParts, read_validated
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
from terrkit.scale.backend import check_engine, compute, is_dask, map_partitions

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
        return sorted(compute(self.sales["period"].unique()))


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


def locate_accounts(
    accounts: pd.DataFrame,
    units: gpd.GeoDataFrame | pd.Index | pd.Series,
    file: str,
    zips: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, int]:
    """Fill missing coordinates and unit ids from the ZIP code; reject unknown ZIPs and half coordinates.

    Works on one partition at a time (:func:`place_from_zip` is its per-partition form): the ZIP table
    and the unit ids are small and are handed to every partition.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Validated accounts (a whole table or one part of it, marked with its rows: errors name them).
    units : geopandas.GeoDataFrame or pandas.Index
        The unit geometry, or just its unit ids.
    file : str
        The file named in errors.
    zips : pandas.DataFrame, optional
        The ZIP points indexed by ``zip`` (:func:`zip_table`); loaded when not given.

    Returns
    -------
    tuple
        The located accounts and how many were located from their ZIP code.
    """
    zips = zip_table() if zips is None else zips
    unit_ids = units["unit_id"] if isinstance(units, pd.DataFrame) else units
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
    check_references(out, file, "unit_id", unit_ids, "the unit geometry (county FIPS codes)")
    return out, int(from_zip.sum())


def zip_table() -> pd.DataFrame:
    """The bundled ZIP points, one row per ZIP code, indexed by ``zip`` (what placing from a ZIP reads)."""
    return load_zip_points().drop_duplicates("zip").set_index("zip")


def place_from_zip(accounts: pd.DataFrame, file: str, zips: pd.DataFrame, unit_ids: pd.Index) -> pd.DataFrame:
    """One partition of validated accounts, located (:func:`locate_accounts`), with every firmographic.

    The per-partition step of :func:`load_dataset` (run by :func:`terrkit.scale.backend.map_partitions`,
    the small ``zips`` table and ``unit_ids`` handed to each partition).
    """
    located, _ = locate_accounts(accounts, unit_ids, file, zips)
    return add_missing_firmographics(located)[0]


def load_dataset(path: str | os.PathLike | None = None, engine: str = "pandas") -> Dataset:
    """Load and validate a dataset folder.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Folder with ``reps.csv``, ``current_alignment.csv``, the accounts and the sales (each as
        ``accounts.csv``, a folder ``accounts/`` of Parquet parts, or ``accounts.parquet``; see
        :mod:`terrkit.io.parts`) and optionally ``units.parquet``/``units.gpkg``/``units.geojson``.
        ``None`` or ``""`` loads the bundled sample.
    engine : {"pandas", "dask"}, default "pandas"
        ``dask`` gives Dask DataFrames of accounts and sales (one partition per Parquet part); reps,
        alignment and units stay pandas (they are small). Both are validated part by part by the same
        code, and the summary and the checks across tables are computed with reductions in one pass.
        The Dask frames stay lazy: each later computation reads and validates the parts again
        (:func:`terrkit.scale.backend.persist` keeps them in the cluster's memory instead).

    Returns
    -------
    Dataset
        Typed tables, the unit geometry and a :class:`ValidationSummary`.

    Raises
    ------
    DataValidationError
        On the first problem found, naming the file (the part file of a partitioned table), column,
        line (row within a Parquet part) and value.
    """
    engine = check_engine(engine)
    folder = Path(path) if path else sample_dir()
    if not folder.is_dir():
        raise DataValidationError(str(folder), "is not a folder; give the folder that holds accounts.csv")
    units = load_units(folder)
    unit_ids = pd.Index(units["unit_id"])
    raw_accounts, accounts, account_parts = read_validated(
        folder, ACCOUNTS, engine, after=place_from_zip, zips=zip_table(), unit_ids=unit_ids
    )
    missing_firmographics = [c for c in FIRMOGRAPHICS if c not in raw_accounts.columns]
    _, sales, sales_parts = read_validated(folder, SALES, engine)
    reps = read_table(folder / REPS.file, REPS)
    alignment = read_table(folder / ALIGNMENT.file, ALIGNMENT)

    rep_ids = pd.Index(reps["rep_id"])
    # one pass: the summary's reductions and the checks across tables (see unknown_accounts)
    geocoded = _located_from_zip(raw_accounts)
    unknown_sales = unknown_accounts(sales, accounts, sales_parts)
    repeated = repeated_ids(raw_accounts)
    unknown_owner = map_partitions(accounts, _flag_unknown_owner, rep_ids, meta=_FLAG_META)
    lazy = summary_reductions(accounts, sales, alignment)
    geocoded, repeated, unknown_sales, unknown_owner, *values = compute(
        geocoded, repeated, unknown_sales, unknown_owner, *lazy
    )
    _raise_repeated(repeated, account_parts)
    _raise_first(unknown_sales, sales_parts, "account_id", f"is not in {_file_of(account_parts)}")
    accounts = map_partitions(accounts, _clear_unknown_owner, rep_ids, meta=_meta_of(accounts))
    owner_count = _warn_unknown_owners(unknown_owner, account_parts)
    reps, rep_notes = complete_reps(reps, accounts, sales)
    check_references(alignment, ALIGNMENT.file, "rep_id", reps["rep_id"], REPS.file)
    check_references(alignment, ALIGNMENT.file, "unit_id", units["unit_id"], "the unit geometry")
    reps_per_territory = alignment.dropna(subset=["rep_id"]).groupby("territory_id")["rep_id"].nunique()
    split = alignment["territory_id"].isin(reps_per_territory.index[reps_per_territory > 1])
    fail_rows(
        alignment, ALIGNMENT.file, "territory_id", split, "has more than one rep; give each territory one rep"
    )

    summary = summary_from(values, reps, alignment, units)
    summary.geocoded_from_zip = int(geocoded)
    summary.accounts_unknown_owner = owner_count
    if missing_firmographics:
        summary.notes.append(
            f"{_file_of(account_parts)} has no {', '.join(missing_firmographics)} column: peer potential "
            "groups accounts by what is there (industry, else all customers' sales history)"
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


def _file_of(parts: TableParts) -> str:
    """How messages name a table: ``accounts.csv``, or ``accounts/`` for Parquet parts."""
    return parts.names[0] if len(set(parts.names)) == 1 else f"{Path(parts.names[0]).parent}/"


def _located_from_zip(accounts: Any) -> Any:
    """How many accounts have no coordinates (they are placed at their ZIP code), lazily on Dask."""
    if "lat" not in accounts.columns or "lon" not in accounts.columns:
        return accounts["zip"].size
    return (accounts["lat"].isna() & accounts["lon"].isna()).sum()


#: The per-partition result of a check: how many rows it flags and the first (partition, position, value).
_FLAG_META = pd.DataFrame(
    {
        "count": pd.Series(dtype="int64"),
        "partition": pd.Series(dtype="int64"),
        "position": pd.Series(dtype="int64"),
        "value": pd.Series(dtype=object),
    }
)


def _flag_stats(values: pd.Series, flagged: np.ndarray, partition: int) -> pd.DataFrame:
    hits = np.flatnonzero(flagged)
    first = int(hits[0]) if len(hits) else -1
    return pd.DataFrame(
        {
            "count": [len(hits)],
            "partition": [partition],
            "position": [first],
            "value": pd.Series([values.iloc[first] if len(hits) else None], dtype=object),
        }
    )


def _flag_unknown_owner(
    accounts: pd.DataFrame, rep_ids: pd.Index, partition_info: dict | None = None
) -> pd.DataFrame:
    owner = accounts["owner_rep_id"]
    unknown = (owner.notna() & ~owner.isin(rep_ids)).to_numpy()
    return _flag_stats(owner, unknown, partition_info["number"] if partition_info else 0)


def _clear_unknown_owner(accounts: pd.DataFrame, rep_ids: pd.Index) -> pd.DataFrame:
    return drop_unknown_owners(accounts, rep_ids, warn=False)[0]


def _first_flagged(stats: pd.DataFrame) -> tuple[int, int, int, Any] | None:
    """Total count and the first flagged row (partition, position, value) of per-partition ``stats``."""
    hits = stats[stats["count"] > 0]
    if hits.empty:
        return None
    first = hits.sort_values(["partition", "position"], kind="mergesort").iloc[0]
    return int(hits["count"].sum()), int(first["partition"]), int(first["position"]), first["value"]


def _raise_first(stats: pd.DataFrame, parts: TableParts, column: str, problem: str) -> None:
    found = _first_flagged(stats)
    if found is None:
        return
    count, partition, position, value = found
    file, row = parts.where(partition, position)
    raise DataValidationError(
        file, problem, column=column, row=row, value=value, more=count - 1, row_label=parts.label
    )


def _warn_unknown_owners(stats: pd.DataFrame, parts: TableParts) -> int:
    found = _first_flagged(stats)
    if found is None:
        return 0
    count, partition, position, value = found
    file, row = parts.where(partition, position)
    warnings.warn(
        f"{file}, column 'owner_rep_id', {parts.label} {row}: value {value!r} is not in "
        f"{REPS.file} ({count:,} accounts in all); these accounts are treated as unowned",
        DataWarning,
        stacklevel=3,
    )
    return count


def unknown_accounts(sales: Any, accounts: Any, parts: TableParts) -> Any:
    """Per-partition counts of sales rows whose ``account_id`` is not an account, with the first one.

    Both engines run the same anti-join: each sales row is tagged with its partition and position, merged
    (left) with the accounts' ids, and the rows that found no account are counted. On Dask this is a
    shuffle join, so no worker ever holds every account id (an ``isin`` would send them all to each
    partition).
    """
    tagged = map_partitions(sales, _tag_rows, meta=_tag_rows(_meta_of(sales)[["account_id"]]))
    known = accounts[["account_id"]].assign(_known=True)
    joined = tagged.merge(known, on="account_id", how="left")
    return map_partitions(joined, _missing_stats, meta=_FLAG_META)


def repeated_ids(accounts: Any) -> Any:
    """Per-partition counts of account ids that appear more than once in the whole table, with the first.

    Each part is checked on its own when it is validated; this finds an id repeated in two parts. On
    Dask the tagged ids are shuffled by ``account_id``, so every copy of an id meets in one partition.
    """
    tagged = map_partitions(accounts, _tag_rows, meta=_tag_rows(_meta_of(accounts)[["account_id"]]))
    by_id = tagged.shuffle(on="account_id") if is_dask(tagged) else tagged
    return map_partitions(by_id, _repeated_stats, meta=_REPEATED_META)


#: Per partition of :func:`repeated_ids`: the count, the first repeated row and the next copy of its id.
_REPEATED_META = _FLAG_META.assign(partition2=pd.Series(dtype="int64"), position2=pd.Series(dtype="int64"))


def _repeated_stats(tagged: pd.DataFrame) -> pd.DataFrame:
    ordered = tagged.sort_values(["_partition", "_position"], kind="mergesort")
    repeated = ordered[ordered["account_id"].duplicated(keep=False)]
    if repeated.empty:
        return _REPEATED_META.iloc[:0].copy()
    first, second = (
        repeated.iloc[0],
        repeated[repeated["account_id"] == repeated["account_id"].iloc[0]].iloc[1],
    )
    row = {
        "count": int(ordered["account_id"].duplicated().sum()),
        "partition": int(first["_partition"]),
        "position": int(first["_position"]),
        "value": first["account_id"],
        "partition2": int(second["_partition"]),
        "position2": int(second["_position"]),
    }
    return pd.DataFrame([row]).astype(_REPEATED_META.dtypes.to_dict())


def _raise_repeated(stats: pd.DataFrame, parts: TableParts) -> None:
    if stats.empty or not (stats["count"] > 0).any():
        return
    first = stats.sort_values(["partition", "position"], kind="mergesort").iloc[0]
    file, row = parts.where(int(first["partition"]), int(first["position"]))
    file2, row2 = parts.where(int(first["partition2"]), int(first["position2"]))
    raise DataValidationError(
        file,
        f"duplicate id: also in {file2}, {parts.label} {row2}; each account_id must appear once",
        column="account_id",
        row=row,
        value=first["value"],
        more=int(stats["count"].sum()) - 1,
        row_label=parts.label,
    )


def _tag_rows(sales: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": sales["account_id"].to_numpy(dtype=object),
            "_partition": np.full(
                len(sales), partition_info["number"] if partition_info else 0, dtype=np.int64
            ),
            "_position": np.arange(len(sales), dtype=np.int64),
        }
    )


def _missing_stats(joined: pd.DataFrame) -> pd.DataFrame:
    missing = joined[joined["_known"].isna()]
    if missing.empty:
        return _flag_stats(joined["account_id"], np.zeros(len(joined), dtype=bool), 0)
    first = missing.sort_values(["_partition", "_position"], kind="mergesort").iloc[0]
    return pd.DataFrame(
        {
            "count": [len(missing)],
            "partition": [int(first["_partition"])],
            "position": [int(first["_position"])],
            "value": pd.Series([first["account_id"]], dtype=object),
        }
    )


def _meta_of(frame: Any) -> pd.DataFrame:
    """The empty pandas frame ``frame`` looks like (itself, emptied, for pandas)."""
    return frame._meta if is_dask(frame) else frame.iloc[:0]


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


def drop_unknown_owners(
    accounts: pd.DataFrame, rep_ids: pd.Series | pd.Index, *, warn: bool = True
) -> tuple[pd.DataFrame, int]:
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
    if warn:
        warnings.warn(
            f"{ACCOUNTS.file}, column 'owner_rep_id', line {first + 2}: value {owner.iloc[first]!r} is "
            f"not in {REPS.file} ({count:,} accounts in all); these accounts are treated as unowned",
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
    if is_dask(sales):  # a shuffle join instead of a lookup in an index of every account
        periods = sorted(compute(sales["period"].drop_duplicates()))[-4:]
        recent = sales[sales["period"].isin(periods)][["account_id", "amount"]]
        joined = recent.merge(accounts[["account_id", "owner_rep_id"]], on="account_id")
        return compute(joined.groupby("owner_rep_id")["amount"].sum())
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
    """Counts and totals that describe a dataset (pandas or Dask accounts and sales)."""
    values = compute(*summary_reductions(accounts, sales, alignment))
    return summary_from(values, reps, alignment, units)


def summary_reductions(accounts: Any, sales: Any, alignment: pd.DataFrame) -> list[Any]:
    """The reductions over accounts and sales that :func:`summary_from` reads, lazy on Dask.

    Computed together (:func:`terrkit.scale.backend.compute`), they take one pass over the data.
    """
    credits = sales["amount"] < 0
    return [
        accounts["account_id"].size,
        ever_customer_count(sales),
        sales["amount"].size,
        map_partitions(sales, _period_range, meta=_PERIOD_RANGE_META),
        credits.sum(),
        sales["amount"][credits].sum(),
        sales["amount"].sum(),
        (~accounts["unit_id"].isin(alignment["unit_id"].tolist())).sum(),
    ]


def summary_from(
    values: Sequence[Any], reps: pd.DataFrame, alignment: pd.DataFrame, units: gpd.GeoDataFrame
) -> ValidationSummary:
    """The summary from the computed :func:`summary_reductions` and the small tables."""
    accounts, customers, sales_rows, ranges, credit_rows, credit_total, sales_total, unaligned = values
    first, last = ranges["first"].dropna().min(), ranges["last"].dropna().max()
    return ValidationSummary(
        accounts=int(accounts),
        customers=int(customers),
        prospects=int(accounts - customers),
        sales_rows=int(sales_rows),
        first_period=first if sales_rows else None,
        last_period=last if sales_rows else None,
        credit_rows=int(credit_rows),
        credit_total=float(credit_total),
        sales_total=float(sales_total),
        reps=len(reps),
        territories=int(alignment["territory_id"].nunique()),
        units=len(units),
        units_unaligned=int((~units["unit_id"].isin(alignment["unit_id"])).sum()),
        accounts_unaligned=int(unaligned),
        reps_without_territory=int((~reps["rep_id"].isin(alignment["rep_id"].dropna())).sum()),
    )


#: Per partition: its first and last sales period (Dask cannot take the min of text in one step).
_PERIOD_RANGE_META = pd.DataFrame({"first": pd.Series(dtype=object), "last": pd.Series(dtype=object)})


def _period_range(sales: pd.DataFrame) -> pd.DataFrame:
    periods = sales["period"].dropna()
    if periods.empty:
        return pd.DataFrame({"first": [None], "last": [None]}, dtype=object)
    return pd.DataFrame({"first": [periods.min()], "last": [periods.max()]}, dtype=object)


def ever_customer_count(sales: Any) -> Any:
    """How many accounts are ever customers (:func:`terrkit.measures.ever_customers`), lazily on Dask.

    Every sales account must be an account (the loader checks it). On Dask the sales are first shuffled
    by ``account_id``, so each account's rows meet in one partition, where the one definition runs.
    """
    rows = sales[["account_id", "period", "amount"]]
    by_account = rows.shuffle(on="account_id") if is_dask(rows) else rows
    counts = map_partitions(by_account, _ever_customers_in, meta=pd.Series(dtype="int64"))
    return counts.sum()


def _ever_customers_in(sales: pd.DataFrame) -> pd.Series:
    accounts = sales[["account_id"]].drop_duplicates()
    return pd.Series([int(ever_customers(accounts, sales).sum())], dtype="int64")
