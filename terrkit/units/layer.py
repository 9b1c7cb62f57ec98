"""The mixed-resolution unit layer: counties, ZIP cells where a county is too big, named accounts where a
cell still is.

A territory's fair share of a measure is :math:`T_m / k` (total over accounts, :math:`k` territories). A
unit may hold at most :math:`t_m = s\\,T_m/k` of any measure (``max_share`` :math:`s`, default 0.2):

1. a county above :math:`t_m` on some measure is split into ZIP cells (:mod:`terrkit.units.cells`), and its
   accounts go to their cells (:mod:`terrkit.units.assign`); a county with fewer than two distinct ZIP
   points (or two non-empty cells) is not split;
2. a cell, or a county that could not be split, still above :math:`t_m` gives up its biggest accounts as
   named-account units until it is within the share (:mod:`terrkit.units.carve`). An account above
   :math:`t_m` on its own cannot be split and is reported as oversized.

Ids never collide across levels: counties keep their id, cells are ``zip:<zip>`` (``zip:<zip>:<county>``
when a ZIP code has cells in two counties), named accounts ``acct:<account_id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.io.validate import fail_rows
from terrkit.units.assign import account_points, assign_to_cells
from terrkit.units.carve import carve_accounts
from terrkit.units.cells import zip_cells

LEVELS = ("county", "zip", "account")
ACCOUNT_PREFIX = "acct:"
LAYER_COLUMNS = ["unit_id", "level", "parent_id", "county_id", "name", "state", "zip"]
_ORDER = ["_county", "_cell", "_rank"]


@dataclass
class UnitLayer:
    """A mixed county / ZIP cell / named-account unit layer and where each account went.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        One row per unit (EPSG:4326): ``unit_id``, ``level`` (``county``, ``zip`` or ``account``),
        ``parent_id`` (None for counties, the county for cells, the cell or county an account was carved
        from), ``county_id``, ``name``, ``state``, ``zip`` (None for counties), ``geometry``, each measure
        summed over the unit's accounts and ``n_accounts``.
    account_unit : pandas.Series
        The layer ``unit_id`` of every account, indexed like the accounts.
    max_share : float
        Largest share of a territory's target a unit may hold.
    thresholds : dict of str to float
        Largest total per unit, per measure (``max_share * total / k``).
    oversized : list of str
        Units still above the share: single accounts, which cannot be split.
    """

    units: gpd.GeoDataFrame
    account_unit: pd.Series
    max_share: float
    thresholds: dict[str, float]
    oversized: list[str] = field(default_factory=list)

    @property
    def measures(self) -> list[str]:
        """The balance measures the layer was built for."""
        return list(self.thresholds)

    def summary(self) -> dict[str, Any]:
        """Counts per level, counties split, named accounts and oversized units.

        Returns
        -------
        dict
            ``units``, ``levels`` (count per level), ``counties_kept``, ``counties_split``, ``cells``,
            ``named_accounts``, ``named_in_counties`` (named accounts carved from a county without ZIP
            cells), ``counties_carved_directly`` (how many such counties), ``oversized``, ``max_share`` and
            ``thresholds``.
        """
        level = self.units["level"]
        counts = {name: int((level == name).sum()) for name in LEVELS}
        named = self.units[level == "account"]
        in_county = named["parent_id"] == named["county_id"]
        return {
            "units": len(self.units),
            "levels": counts,
            "counties_kept": counts["county"],
            "counties_split": int(self.units.loc[level == "zip", "county_id"].nunique()),
            "cells": counts["zip"],
            "named_accounts": counts["account"],
            "named_in_counties": int(in_county.sum()),
            "counties_carved_directly": int(named.loc[in_county, "county_id"].nunique()),
            "oversized": list(self.oversized),
            "max_share": self.max_share,
            "thresholds": dict(self.thresholds),
        }

    def lines(self) -> list[str]:
        """The summary in words, one line per level."""
        s = self.summary()
        direct = s["named_in_counties"]
        carved_note = f" ({direct:,} of them in counties without ZIP cells)" if direct else ""
        over = s["oversized"]
        listed = ", ".join(over[:5]) + ("..." if len(over) > 5 else "")
        over_note = f"; {len(over):,} above the share on their own: {listed}" if over else ""
        return [
            f"counties kept whole: {s['counties_kept']:,}",
            f"counties split: {s['counties_split']:,} into {s['cells']:,} ZIP cells",
            f"named accounts: {s['named_accounts']:,}{carved_note}{over_note}",
        ]

    def account_frame(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """The accounts with ``unit_id`` replaced by their layer unit and the county kept in ``county_id``.

        Raises
        ------
        ConfigError
            If an account is not one the layer was built from (matched by index).
        """
        unit = self.account_unit.reindex(accounts.index)
        if unit.isna().any():
            raise ConfigError(
                f"{int(unit.isna().sum()):,} accounts are not among those the unit layer was built from"
            )
        return accounts.assign(county_id=accounts["unit_id"], unit_id=unit.to_numpy())


# --------------------------------------------------------------------------------------------------
# checking the inputs


def _check_parameters(k: int, max_share: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"the number of territories must be a whole number >= 1, got {k!r}")
    if isinstance(max_share, bool) or not isinstance(max_share, Real) or not 0 < max_share <= 1:
        raise ConfigError(f"max_share must be a number in (0, 1], got {max_share!r}")


def _check_counties(counties: gpd.GeoDataFrame, file: str) -> gpd.GeoDataFrame:
    if "unit_id" not in counties.columns:
        raise DataValidationError(file, "missing required column unit_id")
    out = counties.copy()
    out["unit_id"] = out["unit_id"].astype(str)
    fail_rows(
        out, file, "unit_id", out["unit_id"].duplicated(), "duplicate unit id; each unit must appear once"
    )
    if out.crs is None:
        out = out.set_crs("EPSG:4326")
    elif not out.crs.is_geographic or out.crs.to_epsg() != 4326:
        out = out.to_crs("EPSG:4326")
    return out


def _check_accounts(accounts: pd.DataFrame, unit_ids: pd.Series, file: str) -> pd.DataFrame:
    missing = [c for c in ("account_id", "unit_id") if c not in accounts.columns]
    if missing:
        raise DataValidationError(file, f"missing required column(s) {', '.join(missing)}")
    ids = accounts["account_id"].astype(str)
    fail_rows(accounts, file, "account_id", ids.duplicated(), "duplicate account id")
    county = accounts["unit_id"].astype(object).where(accounts["unit_id"].notna())
    unknown = county.isna() | ~county.astype(str).isin(pd.Index(unit_ids))
    fail_rows(accounts, file, "unit_id", unknown, "is not one of the units (county FIPS codes)")
    out = pd.DataFrame({"account_id": ids, "county": county.astype(str)}, index=accounts.index)
    zips = accounts["zip"] if "zip" in accounts.columns else pd.Series(None, index=accounts.index)
    text = np.full(len(accounts), None, dtype=object)
    given = zips.notna().to_numpy()
    text[given] = zips[given].astype(str).str.strip().to_numpy(object)
    out["zip"] = pd.Series(text, index=accounts.index, dtype=object)
    for column in ("lat", "lon"):
        raw = accounts[column] if column in accounts.columns else pd.Series(np.nan, index=accounts.index)
        number = pd.to_numeric(raw, errors="coerce")
        fail_rows(accounts, file, column, number.isna() & raw.notna(), "is not a number")
        out[column] = number.astype(float)
    names = accounts["name"] if "name" in accounts.columns else pd.Series(None, index=accounts.index)
    out["name"] = names.astype(object).where(names.notna(), ids)
    return out


def _check_measures(measures: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    if isinstance(measures, pd.Series):
        measures = measures.to_frame()
    if not isinstance(measures, pd.DataFrame) or measures.shape[1] == 0:
        raise ConfigError("measures must be a DataFrame with at least one numeric column (e.g. potential)")
    if not measures.index.equals(accounts.index):
        raise ConfigError("measures must be aligned with the accounts (the same index, in the same order)")
    clash = sorted(set(map(str, measures.columns)) & {*LAYER_COLUMNS, "geometry", "n_accounts"})
    if clash:
        raise ConfigError(f"measure name(s) {', '.join(clash)} are layer columns; rename them")
    out = pd.DataFrame(index=measures.index)
    for column in measures.columns:
        raw = measures[column]
        if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
            raise DataValidationError("measures", f"is not numeric (dtype {raw.dtype})", column=str(column))
        value = raw.astype(float)
        fail_rows(
            measures, "measures", column, value.isna(), "is missing; give every account a value (0 for none)"
        )
        fail_rows(measures, "measures", column, ~np.isfinite(value), "is not a finite number")
        fail_rows(measures, "measures", column, value < 0, "is negative; measures must be >= 0")
        out[str(column)] = value
    return out


# --------------------------------------------------------------------------------------------------
# building the layer


def _text(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """``values`` looked up by ``keys``, as objects with None where missing."""
    found = values.reindex(keys).to_numpy(object)
    return np.where(pd.isna(found), None, found)


def _county_rows(kept: gpd.GeoDataFrame, position: pd.Series) -> pd.DataFrame:
    ids = kept["unit_id"]
    return pd.DataFrame(
        {
            "unit_id": ids.to_numpy(),
            "level": "county",
            "parent_id": None,
            "county_id": ids.to_numpy(),
            "name": kept["name"].to_numpy(object) if "name" in kept.columns else None,
            "state": kept["state"].to_numpy(object) if "state" in kept.columns else None,
            "zip": None,
            "geometry": np.asarray(kept.geometry.values),
            "_county": position.reindex(ids).to_numpy(),
            "_cell": -1,
            "_rank": -1,
        }
    )


def _cell_rows(cells: gpd.GeoDataFrame, state: pd.Series, position: pd.Series) -> pd.DataFrame:
    city = cells["city"].astype(object)
    return pd.DataFrame(
        {
            "unit_id": cells["cell_id"].to_numpy(),
            "level": "zip",
            "parent_id": cells["county_id"].to_numpy(),
            "county_id": cells["county_id"].to_numpy(),
            "name": (city.where(city.notna(), "ZIP").astype(str) + " " + cells["zip"]).to_numpy(object),
            "state": _text(state, cells["county_id"]),
            "zip": cells["zip"].to_numpy(object),
            "geometry": np.asarray(cells.geometry.values),
            "_county": position.reindex(cells["county_id"]).to_numpy(),
            "_cell": np.arange(len(cells)),
            "_rank": -1,
        }
    )


def _account_rows(
    named: pd.DataFrame,
    points: pd.DataFrame,
    parent_shapes: pd.Series,
    cell_position: pd.Series,
    state: pd.Series,
    position: pd.Series,
) -> pd.DataFrame:
    """Rows of the named-account units; ``named`` has ``account_id, county, zip, name, parent, rank``."""
    xy = points[["lon", "lat"]].to_numpy(float)
    geometry = shapely.points(xy)
    no_point = np.isnan(xy).any(axis=1)
    fallback = shapely.point_on_surface(
        np.asarray(parent_shapes.reindex(named["parent"]).values, dtype=object)
    )
    geometry[no_point] = fallback[no_point]
    return pd.DataFrame(
        {
            "unit_id": (ACCOUNT_PREFIX + named["account_id"]).to_numpy(object),
            "level": "account",
            "parent_id": named["parent"].to_numpy(object),
            "county_id": named["county"].to_numpy(object),
            "name": named["name"].to_numpy(object),
            "state": _text(state, named["county"]),
            "zip": named["zip"].to_numpy(object),
            "geometry": geometry,
            "_county": position.reindex(named["county"]).to_numpy(),
            "_cell": cell_position.reindex(named["parent"]).fillna(-1).to_numpy(int),
            "_rank": named["rank"].to_numpy(int),
        }
    )


def _parents(
    accounts: pd.DataFrame, cells: gpd.GeoDataFrame, points: pd.DataFrame, file: str, source: pd.DataFrame
) -> pd.Series:
    """The cell of each account of a split county, else its county."""
    parent = accounts["county"].astype(object).copy()
    in_split = accounts["county"].isin(pd.Index(cells["county_id"])).to_numpy()
    if in_split.any():
        parent[in_split] = assign_to_cells(accounts[in_split], cells, points[in_split]).to_numpy()
    problem = "has no location (lat/lon) and no known ZIP code, so it cannot be placed in a ZIP cell"
    fail_rows(source, file, "account_id", parent.isna(), problem)
    return parent


def _layer_rows(
    counties: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, named: pd.DataFrame, points: pd.DataFrame
) -> pd.DataFrame:
    """Every unit of the layer, in layer order, without measures.

    Counties in input order; a split county's cells by ZIP code in its place; named accounts after the unit
    they were carved from, biggest first.
    """
    ids = counties["unit_id"]
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    state = counties.set_index("unit_id")["state"] if "state" in counties.columns else pd.Series(dtype=object)
    shapes = pd.concat([counties.set_index("unit_id").geometry, cells.set_index("cell_id").geometry])
    cell_position = pd.Series(np.arange(len(cells)), index=cells["cell_id"].to_numpy())
    rows = pd.concat(
        [
            _county_rows(counties[~ids.isin(pd.Index(cells["county_id"]))], position),
            _cell_rows(cells, state, position),
            _account_rows(named, points, shapes, cell_position, state, position),
        ],
        ignore_index=True,
    )
    rows = rows.sort_values(_ORDER, kind="mergesort").drop(columns=_ORDER).reset_index(drop=True)
    twice = rows["unit_id"][rows["unit_id"].duplicated()]
    if len(twice):
        raise DataValidationError(
            "units",
            "unit id is used at two levels of the layer (cells are zip:<zip>, named accounts acct:<id>); "
            "rename the unit",
            value=twice.iloc[0],
        )
    return rows


def _add_measures(units: pd.DataFrame, values: pd.DataFrame, account_unit: pd.Series) -> pd.DataFrame:
    totals = values.groupby(account_unit.to_numpy()).sum().reindex(units["unit_id"], fill_value=0.0)
    counts = account_unit.value_counts().reindex(units["unit_id"], fill_value=0)
    for column in values.columns:
        units[column] = totals[column].to_numpy(float)
    units["n_accounts"] = counts.to_numpy(int)
    return units


def build_unit_layer(
    counties: gpd.GeoDataFrame,
    zip_points: pd.DataFrame,
    accounts: pd.DataFrame,
    measures: pd.DataFrame,
    k: int,
    *,
    max_share: float = 0.2,
    source: str = "accounts",
) -> UnitLayer:
    """Split counties into ZIP cells and carve named accounts until no unit exceeds ``max_share``.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        The base units: ``unit_id``, polygon geometry, optionally ``name`` and ``state``.
    zip_points : pandas.DataFrame
        ``zip``, ``lat``, ``lon``, ``unit_id`` (the county each lies in), optionally ``zip_type``
        (``STANDARD`` points seed the cells) and ``city`` (names the cells).
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id`` (the county, authoritative), optionally ``zip``, ``lat``, ``lon``
        (may be missing) and ``name``.
    measures : pandas.DataFrame
        Numeric, non-negative balance measures aligned with ``accounts`` (e.g. ``potential``, ``workload``).
    k : int
        Number of territories.
    max_share : float, default 0.2
        Largest share of a territory's target (total / k) a unit may hold on any measure.
    source : str, default "accounts"
        Name of the accounts input in error messages.

    Returns
    -------
    UnitLayer
        Counties in input order, each split county's cells by ZIP code, named accounts after the unit they
        were carved from (biggest first). Measure totals equal the account totals at every level.

    Raises
    ------
    ConfigError
        ``k < 1``, ``max_share`` outside (0, 1], or measures not aligned with the accounts.
    DataValidationError
        A negative, missing or non-numeric measure, a duplicate account id, an account in an unknown
        county, or an account of a split county with neither a location nor a known ZIP code.
    """
    _check_parameters(k, max_share)
    counties = _check_counties(counties, "units")
    accts = _check_accounts(accounts, counties["unit_id"], source)
    values = _check_measures(measures, accounts)
    thresholds = max_share * values.sum() / k
    ids = counties["unit_id"]
    totals = values.groupby(accts["county"].to_numpy()).sum().reindex(ids, fill_value=0.0)
    too_big = (totals.to_numpy() > thresholds.to_numpy()).any(axis=1)
    cells = zip_cells(counties[too_big], zip_points)
    points = account_points(accts, zip_points)
    parent = _parents(accts, cells, points, source, accounts)
    carving = carve_accounts(parent, values, thresholds)
    carved = carving["carved"].to_numpy()
    account_unit = parent.where(~carved, ACCOUNT_PREFIX + accts["account_id"]).rename("unit_id")

    named = accts[carved].assign(parent=parent[carved], rank=carving["rank"][carved])
    rows = _layer_rows(counties, cells, named, points[carved])
    units = gpd.GeoDataFrame(_add_measures(rows, values, account_unit), geometry="geometry", crs="EPSG:4326")
    above = (units[list(values.columns)].to_numpy() > thresholds.to_numpy()).any(axis=1)
    return UnitLayer(
        units=units,
        account_unit=account_unit,
        max_share=float(max_share),
        thresholds={m: float(t) for m, t in thresholds.items()},
        oversized=units.loc[above, "unit_id"].tolist(),
    )
