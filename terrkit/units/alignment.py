"""An alignment given by counties, ZIP codes or layer units, mapped down to every unit of a layer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError, DataWarning
from terrkit.io.validate import fail_rows
from terrkit.units.cells import CELL_PREFIX

ALIGNMENT_COLUMNS = ["unit_id", "level", "parent_id", "territory_id", "rep_id"]
_LAYER_NEEDS = ("unit_id", "level", "parent_id", "county_id", "zip")
_ZIP = r"^\d{5}$"
_PREFIXED_ZIP = rf"^{CELL_PREFIX}(\d{{5}})$"


def _rows(alignment: pd.DataFrame, units: pd.DataFrame, source: str) -> pd.DataFrame:
    """The alignment with ``_key`` (the stripped id), ``_named`` (it is a unit or county id), ``_zip`` (the
    ZIP code it names, if any) and ``_plain_zip`` (a plain five-digit ZIP row)."""
    for column in ("unit_id", "territory_id"):
        if column not in alignment.columns:
            raise DataValidationError(source, f"missing required column {column}")
    rows = alignment.reset_index(drop=True).copy()
    if "rep_id" not in rows.columns:
        rows["rep_id"] = None
    key = rows["unit_id"].astype(str).str.strip()
    named = key.isin(pd.Index(units["unit_id"].astype(str))) | key.isin(
        pd.Index(units["county_id"].astype(str))
    )
    prefixed = key.str.extract(_PREFIXED_ZIP, expand=False)
    plain = key.where(key.str.match(_ZIP) & ~named)
    return rows.assign(_key=key, _named=named, _zip=prefixed.fillna(plain), _plain_zip=plain.notna())


def _check_rows(rows: pd.DataFrame, units: pd.DataFrame, known_zips: pd.Index, source: str) -> None:
    unknown = ~rows["_named"] & ~rows["_zip"].isin(known_zips)
    fail_rows(rows, source, "unit_id", unknown, "is not a unit, county or ZIP code of the unit layer")
    twice = rows["_named"] & rows["_key"].duplicated(keep=False)
    fail_rows(rows, source, "unit_id", twice, "is listed more than once")
    zip_twice = rows["_zip"].notna() & rows["_zip"].duplicated(keep=False)
    fail_rows(rows, source, "unit_id", zip_twice, "names a ZIP code listed more than once")
    cell_zips = pd.Index(units.loc[units["level"] == "zip", "zip"].dropna())
    ambiguous = rows["_named"] & rows["_key"].str.match(_ZIP) & rows["_key"].isin(cell_zips)
    if ambiguous.any() and rows["_plain_zip"].any():
        warnings.warn(
            f"{source}: {int(ambiguous.sum()):,} rows (e.g. {rows.loc[ambiguous, '_key'].iloc[0]}) are "
            "both a county id and the ZIP code of a cell; they were read as counties "
            f"(write {CELL_PREFIX}<zip> to mean the ZIP code)",
            DataWarning,
            stacklevel=3,
        )


def _majority_by_zip(rows: pd.DataFrame, counties: pd.Index, zip_points: pd.DataFrame) -> pd.Series:
    """Row chosen for each county given only by ZIP rows: its most listed territory (ties: smallest id)."""
    zip_rows = rows.loc[rows["_zip"].notna(), ["_zip", "territory_id"]].rename_axis("row").reset_index()
    where = zip_points[["zip", "unit_id"]].drop_duplicates()
    votes = zip_rows.merge(where, left_on="_zip", right_on="zip")
    votes = votes[votes["unit_id"].isin(counties)]
    if votes.empty:
        return pd.Series(dtype=int)
    tally = votes.groupby(["unit_id", "territory_id"], as_index=False).agg(
        n=("row", "size"), row=("row", "min")
    )
    tally = tally.sort_values(
        ["unit_id", "n", "territory_id"], ascending=[True, False, True], kind="mergesort"
    )
    best = tally.drop_duplicates("unit_id")
    return pd.Series(best["row"].to_numpy(int), index=best["unit_id"].to_numpy())


def _first_found(candidates: list[np.ndarray]) -> np.ndarray:
    """Element-wise first candidate that is not -1."""
    out = candidates[0].copy()
    for option in candidates[1:]:
        out = np.where(out < 0, option, out)
    return out


def _lookup(index: pd.Series, keys: pd.Series) -> np.ndarray:
    return index.reindex(keys.astype(object)).fillna(-1).to_numpy(int)


def _winning_rows(
    units: pd.DataFrame, rows: pd.DataFrame, counties: pd.Index, zip_points: pd.DataFrame
) -> np.ndarray:
    """Position in ``rows`` of the most specific row of each unit (-1 when none reaches it)."""
    by_id = pd.Series(rows.index[rows["_named"]], index=rows.loc[rows["_named"], "_key"].to_numpy())
    by_zip = pd.Series(rows.index[rows["_zip"].notna()], index=rows["_zip"].dropna().to_numpy())
    whole = pd.Index(units.loc[units["level"] == "county", "unit_id"])
    county_row = by_id.reindex(counties).dropna().astype(int)
    by_votes = _majority_by_zip(rows, whole.difference(county_row.index), zip_points)
    county_row = pd.concat([county_row, by_votes])
    cell_zip = units.loc[units["level"] == "zip"].set_index("unit_id")["zip"]
    is_cell = (units["level"] == "zip").to_numpy()
    is_account = (units["level"] == "account").to_numpy()
    none = np.full(len(units), -1)
    return _first_found(
        [
            _lookup(by_id, units["unit_id"]),
            np.where(is_cell, _lookup(by_zip, units["zip"]), none),
            np.where(is_account, _lookup(by_id, units["parent_id"]), none),
            np.where(is_account, _lookup(by_zip, units["parent_id"].map(cell_zip)), none),
            _lookup(county_row, units["county_id"]),
        ]
    )


def map_alignment_down(
    layer_units: pd.DataFrame,
    alignment: pd.DataFrame,
    *,
    zip_points: pd.DataFrame | None = None,
    source: str = "current_alignment.csv",
) -> pd.DataFrame:
    """The territory and rep of every unit of a layer, from an alignment by county, ZIP code or unit.

    Each row of ``alignment`` names a layer unit (``48201``, ``zip:77002``, ``acct:A0001234``), a county
    (also one that was split into cells) or a ZIP code (five digits, plain, or ``zip:<zip>``). For each
    layer unit the most specific row wins:

    1. a row naming the unit itself;
    2. for a ZIP cell, a row naming its ZIP code;
    3. for a named account, a row naming the unit it was carved from, or that cell's ZIP code;
    4. a row naming its county.

    A county kept whole that has no row of its own but whose ZIP codes have rows takes the territory that
    most of its listed ZIP codes have (ties: the smallest territory id), with the rep of the first such row.
    This is a simple majority by ZIP count, not weighted by area or accounts. A five-digit id that is
    both a county of the layer and a ZIP code is read as the county (a warning says so when the file
    also has ZIP rows); write ``zip:<zip>`` to mean the ZIP code.

    Parameters
    ----------
    layer_units : pandas.DataFrame
        ``unit_id``, ``level``, ``parent_id``, ``county_id``, ``zip`` (as in :attr:`UnitLayer.units`).
    alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, optionally ``rep_id`` and further columns (carried along).
    zip_points : pandas.DataFrame, optional
        ``zip`` and ``unit_id`` (county) of the ZIP points, for the majority rule and to recognise ZIP
        codes; default the bundled ZIP points.
    source : str, default "current_alignment.csv"
        Name of the alignment in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per layer unit, in layer order: ``unit_id``, ``level``, ``parent_id``, ``territory_id``,
        ``rep_id`` and the alignment's other columns. Units that no row reaches have a missing territory.

    Raises
    ------
    DataValidationError
        A row naming nothing in the layer, a unit or ZIP code listed twice, or a missing column.
    """
    missing = [c for c in _LAYER_NEEDS if c not in layer_units.columns]
    if missing:
        raise DataValidationError("unit layer", f"missing column(s) {', '.join(missing)}")
    units = pd.DataFrame(layer_units[list(_LAYER_NEEDS)]).reset_index(drop=True)
    if zip_points is None:
        from terrkit.datasets.bundled import load_zip_points

        zip_points = load_zip_points()
    counties = pd.Index(units["county_id"].astype(str).unique())
    rows = _rows(alignment, units, source)
    in_layer = zip_points.loc[zip_points["unit_id"].isin(counties), "zip"]
    _check_rows(rows, units, pd.Index(units["zip"].dropna()).append(pd.Index(in_layer)), source)

    chosen = _winning_rows(units, rows, counties, zip_points)
    extras = [c for c in alignment.columns if c not in ALIGNMENT_COLUMNS]
    table = pd.concat([rows[["territory_id", "rep_id", *extras]], pd.DataFrame(index=[-1])])
    picked = table.loc[chosen].reset_index(drop=True)
    return pd.concat([units[["unit_id", "level", "parent_id"]], picked], axis=1)
