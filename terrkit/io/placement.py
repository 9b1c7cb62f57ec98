"""Accounts into units by their coordinates (point in polygon), partition by partition.

:func:`place_by_point` gives every account that has ``lat``/``lon`` the unit whose polygon contains its
point, on pandas or Dask alike: the unit layer is small, so it is handed whole to each partition
(:func:`terrkit.scale.backend.map_partitions`) and each partition runs a geopandas spatial join.

The rules are those of :mod:`terrkit.units.assign` (accounts into ZIP cells):

* a point inside a polygon takes that unit (``sjoin`` with ``predicate="within"``);
* a point inside no polygon (off the coast, on a border line, across the edge of the layer) takes the
  **nearest** unit, by planar distance on the layer's equal-area projection
  (:func:`terrkit.geo.equal_area_of`; ``sjoin_nearest``);
* ties (a point on the border of two units) go to the first unit in layer order.

Accounts without coordinates keep the ``unit_id`` they have (from their ZIP code, see
:func:`terrkit.io.load.locate_accounts`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.geo import equal_area_of
from terrkit.scale.backend import is_dask, map_partitions

#: Coordinates of accounts: WGS84 longitude and latitude, as the loaders give them.
ACCOUNT_CRS = "EPSG:4326"


def place_by_point(accounts: Any, units: gpd.GeoDataFrame) -> Any:
    """Each located account's ``unit_id`` from the unit polygon its point lies in (pandas or Dask).

    Parameters
    ----------
    accounts : pandas.DataFrame or dask.dataframe.DataFrame
        ``lat`` and ``lon`` (WGS84; missing for accounts without coordinates), and any other columns.
    units : geopandas.GeoDataFrame
        ``unit_id`` and polygons (any CRS; a layer without one is taken as WGS84).

    Returns
    -------
    DataFrame
        ``accounts`` of the same kind, with ``unit_id`` set for every account with coordinates (see the
        module docstring for points inside no polygon); other accounts keep theirs.
    """
    for column in ("lat", "lon"):
        if column not in accounts.columns:
            raise DataValidationError("accounts", f"missing column {column} (needed to place by point)")
    layer = _layer(units)
    meta = None
    if is_dask(accounts):
        meta = accounts._meta.assign(unit_id=pd.Series(dtype=object))
    return map_partitions(accounts, _place_partition, layer, meta=meta)


def _layer(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The units as a WGS84 layer of ``unit_id`` and geometry, numbered in layer order."""
    if "unit_id" not in units.columns:
        raise DataValidationError("units", "missing required column unit_id")
    layer = units[["unit_id", "geometry"]].reset_index(drop=True)
    layer["unit_id"] = layer["unit_id"].astype(str).astype(object)
    if layer.crs is None:
        return layer.set_crs(ACCOUNT_CRS)
    return layer if layer.crs.equals(ACCOUNT_CRS) else layer.to_crs(ACCOUNT_CRS)


def _place_partition(accounts: pd.DataFrame, layer: gpd.GeoDataFrame) -> pd.DataFrame:
    """:func:`place_by_point` on one pandas partition."""
    out = accounts.copy()
    if "unit_id" not in out.columns:
        out["unit_id"] = None
    unit = out["unit_id"].astype(object).to_numpy(copy=True)
    lon = pd.to_numeric(out["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(out["lat"], errors="coerce").to_numpy(dtype=float)
    has = np.flatnonzero(~(np.isnan(lon) | np.isnan(lat)))
    if len(has):
        unit[has] = layer["unit_id"].to_numpy(dtype=object)[unit_positions(lon[has], lat[has], layer)]
    out["unit_id"] = pd.Series(unit, index=out.index, dtype=object)
    return out


def unit_positions(lon: np.ndarray, lat: np.ndarray, layer: gpd.GeoDataFrame) -> np.ndarray:
    """Position in ``layer`` (WGS84, numbered 0..n-1) of the unit of each point: containing, else nearest."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=ACCOUNT_CRS)
    found = np.full(len(points), -1, dtype=np.int64)
    inside = gpd.sjoin(points, layer[["geometry"]], predicate="within", how="inner")
    _keep_first(found, inside.index.to_numpy(), inside["index_right"].to_numpy())
    outside = np.flatnonzero(found < 0)
    if len(outside):
        planar = equal_area_of(layer.geometry)
        near = gpd.sjoin_nearest(points.iloc[outside].to_crs(planar), layer[["geometry"]].to_crs(planar))
        _keep_first(found, near.index.to_numpy(), near["index_right"].to_numpy())
    return found


def _keep_first(found: np.ndarray, point: np.ndarray, unit: np.ndarray) -> None:
    """Set ``found[point] = unit``, the first unit in layer order where a point has several."""
    order = np.lexsort((unit, point))
    point, unit = point[order], unit[order]
    first = np.r_[True, point[1:] != point[:-1]] if len(point) else np.zeros(0, dtype=bool)
    found[point[first]] = unit[first]
