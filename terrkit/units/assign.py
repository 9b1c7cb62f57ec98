"""Accounts of split counties into their ZIP cells; account locations for named-account units.

An account never leaves its county (its ``unit_id`` is authoritative). Within a split county it falls,
in this order of preference:

1. with a location (``lat``/``lon``): into the cell of its county that contains the location;
2. without a location: into its ZIP code's cell when that ZIP code is a cell of its county, else into
   the cell of its county that contains its ZIP point;
3. otherwise (a location or ZIP point outside every cell of its county, e.g. across the county line or
   off the coast): into the nearest cell of its county (planar distance on EPSG:5070 from the point to
   the cell).

A point on the border of two cells goes to the first of them in layer order. Every step is column-wise:
an STRtree query for containment, and a join of the few remaining accounts with their county's cells.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from terrkit.geo import equal_area_of


def zip_point_lookup(zips: pd.Series, counties: pd.Series, zip_points: pd.DataFrame) -> pd.DataFrame:
    """Location (``lon``, ``lat``) of each account's ZIP code, preferring the point in the account's county.

    Returns
    -------
    pandas.DataFrame
        ``lon`` and ``lat`` aligned with ``zips`` (NaN for an unknown or missing ZIP code).
    """
    points = zip_points.dropna(subset=["lat", "lon"])
    in_county = points.drop_duplicates(["zip", "unit_id"]).set_index(["zip", "unit_id"])[["lon", "lat"]]
    anywhere = points.drop_duplicates("zip").set_index("zip")[["lon", "lat"]]
    key = pd.MultiIndex.from_arrays([zips.astype(object), counties.astype(object)])
    exact = in_county.reindex(key).to_numpy()
    fallback = anywhere.reindex(zips.astype(object)).to_numpy()
    return pd.DataFrame(np.where(np.isnan(exact), fallback, exact), index=zips.index, columns=["lon", "lat"])


def account_points(accounts: pd.DataFrame, zip_points: pd.DataFrame) -> pd.DataFrame:
    """Each account's location: its own ``lat``/``lon``, else its ZIP point (NaN when it has neither).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``county``, ``zip``, ``lat``, ``lon``.
    zip_points : pandas.DataFrame
        ``zip``, ``unit_id``, ``lat``, ``lon``.

    Returns
    -------
    pandas.DataFrame
        ``lon``, ``lat`` and ``located`` (True when the account had its own location), like ``accounts``.
    """
    located = (accounts["lat"].notna() & accounts["lon"].notna()).to_numpy()
    from_zip = zip_point_lookup(accounts["zip"], accounts["county"], zip_points)
    lon = np.where(located, accounts["lon"].to_numpy(float), from_zip["lon"].to_numpy())
    lat = np.where(located, accounts["lat"].to_numpy(float), from_zip["lat"].to_numpy())
    return pd.DataFrame({"lon": lon, "lat": lat, "located": located}, index=accounts.index)


def _first_containing_cell(points: np.ndarray, counties: np.ndarray, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the first cell of the point's county that contains the point, or -1."""
    found = np.full(len(points), -1)
    if len(points) == 0:
        return found
    tree = shapely.STRtree(np.asarray(cells.geometry.values))
    hit, cell = tree.query(points, predicate="intersects")
    same = cells["county_id"].to_numpy()[cell] == counties[hit]
    hit, cell = hit[same], cell[same]
    order = np.lexsort((cell, hit))
    hit, cell = hit[order], cell[order]
    first = np.r_[True, hit[1:] != hit[:-1]] if len(hit) else np.zeros(0, dtype=bool)
    found[hit[first]] = cell[first]
    return found


def _nearest_cell(points: np.ndarray, counties: np.ndarray, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the nearest cell of the point's county (planar distance on EPSG:5070), or -1."""
    found = np.full(len(points), -1)
    if len(points) == 0:
        return found
    pairs = pd.DataFrame({"point": np.arange(len(points)), "county_id": counties}).merge(
        pd.DataFrame({"cell": np.arange(len(cells)), "county_id": cells["county_id"].to_numpy()}),
        on="county_id",
    )
    if pairs.empty:
        return found
    planar = equal_area_of(cells.geometry)
    projected_cells = np.asarray(cells.geometry.to_crs(planar).values)
    projected_points = np.asarray(gpd.GeoSeries(points, crs=cells.crs).to_crs(planar).values)
    pairs["distance"] = shapely.distance(
        projected_points[pairs["point"].to_numpy()], projected_cells[pairs["cell"].to_numpy()]
    )
    best = pairs.sort_values(["point", "distance", "cell"], kind="mergesort").drop_duplicates("point")
    found[best["point"].to_numpy()] = best["cell"].to_numpy()
    return found


def assign_to_cells(accounts: pd.DataFrame, cells: gpd.GeoDataFrame, points: pd.DataFrame) -> pd.Series:
    """The cell of every account of a split county.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Accounts of split counties: ``account_id``, ``county``, ``zip``.
    cells : geopandas.GeoDataFrame
        ``cell_id``, ``county_id``, ``zip``, ``geometry`` (EPSG:4326), from
        :func:`terrkit.units.cells.zip_cells`.
    points : pandas.DataFrame
        :func:`account_points` of the accounts.

    Returns
    -------
    pandas.Series
        ``cell_id`` per account, indexed like ``accounts``; missing for an account with neither a location
        nor a known ZIP code, or whose county has no cells (it cannot be placed).
    """
    county = accounts["county"].to_numpy(object)
    cell = np.full(len(accounts), -1)
    by_zip = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[["county_id", "zip"]]))
    key = pd.MultiIndex.from_arrays([accounts["county"].astype(object), accounts["zip"].astype(object)])
    zip_cell = by_zip.reindex(key).fillna(-1).to_numpy(int)
    unlocated = ~points["located"].to_numpy()
    cell[unlocated] = zip_cell[unlocated]
    xy = points[["lon", "lat"]].to_numpy()
    has_point = ~np.isnan(xy).any(axis=1)
    for locate in (_first_containing_cell, _nearest_cell):
        todo = np.flatnonzero((cell < 0) & has_point)
        cell[todo] = locate(shapely.points(xy[todo]), county[todo], cells)
    ids = np.append(cells["cell_id"].to_numpy(object), None)
    return pd.Series(ids[cell], index=accounts.index, name="cell_id", dtype=object)
