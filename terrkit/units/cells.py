"""ZIP cells: the Voronoi cells of a county's ZIP points, clipped to the county so that they tile it.

A county's cells are built from its *sites*: its ``STANDARD`` ZIP points (all of its ZIP points when it
has fewer than two distinct standard locations), one per location (the smallest ZIP code keeps a location
that several ZIP codes share). The Voronoi diagram of the sites is extended to the county's envelope
(``shapely.voronoi_polygons(..., extend_to=county, ordered=True)``), so its cells cover the county, and each
cell is intersected with the county polygon. Voronoi cells do not overlap and cover the envelope, so the
clipped cells tile the county: no gap, no overlap, the same total area (up to floating-point rounding).

Every county is handled in one vectorised call per step (no loop over counties or points).
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: ZIP type whose points are the preferred sites of a county's cells.
STANDARD = "STANDARD"
CELL_PREFIX = "zip:"
CELL_COLUMNS = ["cell_id", "county_id", "zip", "city", "geometry"]


def cell_sites(zip_points: pd.DataFrame, county_ids: Iterable[str]) -> pd.DataFrame:
    """The ZIP points that seed the cells of each county, one per distinct location.

    Parameters
    ----------
    zip_points : pandas.DataFrame
        ``zip``, ``lat``, ``lon``, ``unit_id`` (the county) and optionally ``zip_type`` and ``city``.
    county_ids : iterable of str
        Counties to seed.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``zip``, ``city``, ``lat``, ``lon``, sorted by county and ZIP code: the county's
        ``STANDARD`` points when it has at least two distinct standard locations, else all its points;
        a location shared by several ZIP codes is kept once, under the smallest ZIP code.
    """
    points = zip_points[zip_points["unit_id"].isin(pd.Index(county_ids))].dropna(subset=["lat", "lon"])
    points = points.assign(city=points["city"] if "city" in points.columns else None)
    if "zip_type" in points.columns:
        standard = (points["zip_type"] == STANDARD).to_numpy()
    else:
        standard = np.ones(len(points), dtype=bool)
    distinct_standard = points[standard].drop_duplicates(["unit_id", "lat", "lon"]).groupby("unit_id").size()
    enough = points["unit_id"].map(distinct_standard).fillna(0).to_numpy() >= 2
    sites = points[standard | ~enough].sort_values(["unit_id", "zip"], kind="mergesort")
    sites = sites.drop_duplicates(["unit_id", "lat", "lon"]).drop_duplicates(["unit_id", "zip"])
    return sites[["unit_id", "zip", "city", "lat", "lon"]].reset_index(drop=True)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (clipping can leave stray lines or points); empty if none."""
    kinds = shapely.get_type_id(geoms)
    polygonal = np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    out = geoms.copy()
    mixed = np.flatnonzero(~polygonal & ~shapely.is_empty(geoms))
    if len(mixed):
        members, member_owner = shapely.get_parts(geoms[mixed], return_index=True)
        parts, part_owner = shapely.get_parts(members, return_index=True)  # flatten multi-parts
        owner = member_owner[part_owner]
        keep = shapely.get_type_id(parts) == 3
        rebuilt = np.full(len(mixed), shapely.Polygon(), dtype=object)
        if keep.any():
            owners = np.unique(owner[keep])
            rebuilt[owners] = shapely.multipolygons(parts[keep], indices=owner[keep])[owners]
        out[mixed] = rebuilt
    out[~polygonal & shapely.is_empty(geoms)] = shapely.Polygon()
    return out


def voronoi_cells(sites: pd.DataFrame, counties: gpd.GeoSeries) -> np.ndarray:
    """Clipped Voronoi cell of every site, in the order of ``sites``.

    Parameters
    ----------
    sites : pandas.DataFrame
        From :func:`cell_sites` (sorted by county; distinct locations within a county).
    counties : geopandas.GeoSeries
        County polygons indexed by county id; every site's county must be present.

    Returns
    -------
    numpy.ndarray of shapely geometries
        Each site's cell intersected with its county (empty when none of the cell lies in the county,
        as for a point off the coast). Counties with fewer than two sites get empty cells.
    """
    n = len(sites)
    cells = np.full(n, shapely.Polygon(), dtype=object)
    if n == 0:
        return cells
    codes, county_ids = pd.factorize(sites["unit_id"], sort=False)
    size = np.bincount(codes, minlength=len(county_ids))
    outlines = np.asarray(counties.reindex(county_ids).values, dtype=object)
    points = shapely.points(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
    multipoints = shapely.multipoints(points, indices=codes)
    diagrams = shapely.voronoi_polygons(multipoints, extend_to=outlines, ordered=True)
    diagrams[size < 2] = shapely.GeometryCollection()
    parts, owner = shapely.get_parts(diagrams, return_index=True)
    splittable = size[codes] >= 2
    if len(parts) != splittable.sum() or not (owner == codes[splittable]).all():
        raise RuntimeError("the Voronoi diagram did not return one cell per ZIP point")  # pragma: no cover
    clipped = shapely.intersection(parts, outlines[owner])
    cells[np.flatnonzero(splittable)] = _polygonal(clipped)
    return cells


def cell_ids(zips: pd.Series, county_ids: pd.Series) -> pd.Series:
    """Layer ids of cells: ``zip:<zip>``, or ``zip:<zip>:<county>`` for a ZIP code in two counties."""
    zips = zips.astype(str)
    shared = zips.duplicated(keep=False).to_numpy()
    plain = CELL_PREFIX + zips
    return plain.where(~shared, plain + ":" + county_ids.astype(str))


def zip_cells(counties: gpd.GeoDataFrame, zip_points: pd.DataFrame) -> gpd.GeoDataFrame:
    """ZIP cells of the given counties, keeping only counties that get at least two non-empty cells.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        ``unit_id`` and polygon geometry (EPSG:4326) of the counties to split.
    zip_points : pandas.DataFrame
        ZIP points with the county they lie in (``unit_id``); see :func:`cell_sites`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id``, ``county_id``, ``zip``, ``city``, ``geometry`` (EPSG:4326), ordered as the counties,
        then by ZIP code. A site whose clipped cell is empty is dropped (its neighbours cover the county);
        a county left with fewer than two cells is not split and has no rows.
    """
    ids = counties["unit_id"].astype(str)
    outlines = gpd.GeoSeries(counties.geometry.values, index=ids.to_numpy(), crs=counties.crs)
    sites = cell_sites(zip_points, ids)
    geometry = voronoi_cells(sites, outlines)
    found = ~shapely.is_empty(geometry) & (shapely.area(geometry) > 0)
    cells = sites[found].rename(columns={"unit_id": "county_id"})
    cells = cells.assign(geometry=geometry[found])
    per_county = cells.groupby("county_id")["zip"].transform("size")
    cells = cells[per_county.to_numpy() >= 2]
    order = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    cells = cells.assign(_order=cells["county_id"].map(order).to_numpy())
    cells = cells.sort_values(["_order", "zip"], kind="mergesort").reset_index(drop=True)
    cells.insert(0, "cell_id", cell_ids(cells["zip"], cells["county_id"]).to_numpy())
    return gpd.GeoDataFrame(cells[CELL_COLUMNS], geometry="geometry", crs=counties.crs)
