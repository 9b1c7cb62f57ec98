"""Compactness of territories: travel from the rep's home base, and shape.

- **Weighted mean distance** of territory :math:`t` with rep home :math:`h_t`:
  :math:`\\bar d_t = \\sum_{i \\in t} w_i\\, d(i, h_t) / \\sum_{i \\in t} w_i`, with :math:`d` the
  great-circle distance (:func:`terrkit.geo.haversine_km`) and :math:`w_i` a weight per account
  (e.g. workload hours, so that accounts called on often count more; 1 when not given).
- **Polsby-Popper** :math:`PP = 4 \\pi A / P^2` of the dissolved territory polygon in an equal-area
  projection (US Albers, EPSG:5070, in the US; elsewhere the one :func:`terrkit.geo.equal_area_crs`
  chooses): 1 for a disc, near 0 for a long thin or ragged shape. For a
  territory in several pieces, :math:`A` and :math:`P` are the totals over its pieces.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.geo import equal_area_of, haversine_km


def distance_to_home(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    rep_col: str = "territory_rep_id",
) -> pd.Series:
    """Great-circle distance (km) from each account to the home base of its rep (NaN without a rep).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``lat``, ``lon`` and ``rep_col``.
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon``.
    """
    home = reps.set_index("rep_id")
    lat = accounts[rep_col].map(home["home_lat"]).astype(float)
    lon = accounts[rep_col].map(home["home_lon"]).astype(float)
    dist = haversine_km(accounts["lon"].astype(float), accounts["lat"].astype(float), lon, lat)
    return pd.Series(dist, index=accounts.index, name="distance_km")


def weighted_mean_distance(
    distance: pd.Series, groups: pd.Series, weight: pd.Series | None = None
) -> pd.Series:
    """:math:`\\sum w_i d_i / \\sum w_i` per group (equal weights when ``weight`` is None).

    Rows with a missing distance or group are left out; a group whose weights sum to 0 falls back
    to the plain mean.
    """
    w = pd.Series(1.0, index=distance.index) if weight is None else weight.astype(float).fillna(0.0)
    ok = distance.notna() & groups.notna()
    frame = pd.DataFrame({"g": groups[ok], "wd": (w * distance)[ok], "w": w[ok], "d": distance[ok]})
    sums = frame.groupby("g").agg(wd=("wd", "sum"), w=("w", "sum"), d=("d", "mean"))
    out = (sums["wd"] / sums["w"].where(sums["w"] > 0)).fillna(sums["d"])
    out.index.name = groups.name
    return out.rename("mean_distance_km")


def dissolve_territories(units: gpd.GeoDataFrame, territory: pd.Series) -> gpd.GeoDataFrame:
    """Territory polygons in an equal-area projection: units dissolved by ``territory`` (by ``unit_id``).

    Units without a territory are left out.
    """
    frame = units[["unit_id", "geometry"]].to_crs(equal_area_of(units.geometry))
    frame["territory_id"] = frame["unit_id"].map(territory)
    frame = frame.dropna(subset=["territory_id"])
    return frame.dissolve(by="territory_id")[["geometry"]]


def polsby_popper(units: gpd.GeoDataFrame, territory: pd.Series) -> pd.Series:
    """Polsby-Popper score :math:`4\\pi A / P^2` per territory (equal-area projection).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and polygon geometry (any CRS; projected to EPSG:5070).
    territory : pandas.Series
        Territory per unit, indexed by ``unit_id``.

    Returns
    -------
    pandas.Series
        Indexed by territory, named ``polsby_popper``; NaN for point units (no area).
    """
    shapes = dissolve_territories(units, territory)
    area = shapes.geometry.area.to_numpy()
    perimeter = shapes.geometry.length.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, np.nan)
    return pd.Series(score, index=shapes.index, name="polsby_popper")
