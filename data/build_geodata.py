"""Build the bundled geography in ``data/`` from packages that ship it offline.

Run once by a maintainer (``make data``); the outputs are committed, so users and CI
never need the build-only packages ``plotly-geo`` and ``zipcodes``.

Outputs
-------
us_counties.parquet
    GeoParquet, EPSG:4326. One row per county of the contiguous US (48 states + DC):
    ``unit_id`` (5-digit FIPS), ``name``, ``state`` (USPS code), ``state_fips``,
    ``land_km2`` and the polygon, simplified as a coverage so that neighbouring
    counties keep sharing their borders exactly (queen contiguity is preserved).
us_zip_points.parquet
    One row per active ZIP code in the contiguous US: ``zip`` (5-character string),
    ``zip_type``, ``city``, ``state``, ``lat``, ``lon`` and ``unit_id`` (the county
    the point falls in, by point-in-polygon on the unsimplified county polygons;
    points that fall in water or just outside the coast take the nearest county).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
NON_CONTIGUOUS_STATE_FIPS = {"02", "15", "60", "66", "69", "72", "78"}
SIMPLIFY_TOLERANCE_DEG = 0.01  # about 1 km; keeps the file small and shapes recognisable


def _plotly_geo_dir() -> Path:
    import _plotly_geo

    return Path(os.path.dirname(_plotly_geo.__file__)) / "package_data"


def build_counties() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    src = _plotly_geo_dir()
    counties = gpd.read_file(src / "cb_2016_us_county_500k.shp")
    states = gpd.read_file(src / "cb_2016_us_state_500k.shp")[["STATEFP", "STUSPS"]]
    counties = counties[~counties["STATEFP"].isin(NON_CONTIGUOUS_STATE_FIPS)]
    counties = counties.merge(states, on="STATEFP", how="left")
    full = gpd.GeoDataFrame(
        {
            "unit_id": counties["GEOID"].astype(str),
            "name": counties["NAME"].astype(str),
            "state": counties["STUSPS"].astype(str),
            "state_fips": counties["STATEFP"].astype(str),
            "land_km2": (counties["ALAND"].astype(float) / 1e6).round(1),
        },
        geometry=counties.geometry.values,
        crs="EPSG:4326",  # the files are NAD83 lon/lat; the difference is below a metre here
    )
    full = full.sort_values("unit_id").reset_index(drop=True)
    simple = full.copy()
    simple["geometry"] = shapely.coverage_simplify(full.geometry.values, SIMPLIFY_TOLERANCE_DEG)
    simple["geometry"] = shapely.set_precision(simple.geometry.values, 1e-5)
    simple["geometry"] = shapely.make_valid(simple.geometry.values)
    return full, simple


def build_zip_points(full_counties: gpd.GeoDataFrame) -> pd.DataFrame:
    import zipcodes

    rows = pd.DataFrame(zipcodes.list_all())
    rows = rows[rows["active"] & (rows["country"] == "US")]
    zips = pd.DataFrame(
        {
            "zip": rows["zip_code"].astype(str).str.zfill(5),
            "zip_type": rows["zip_code_type"].astype(str),
            "city": rows["city"].astype(str),
            "state": rows["state"].astype(str),
            "lat": pd.to_numeric(rows["lat"], errors="coerce"),
            "lon": pd.to_numeric(rows["long"], errors="coerce"),
        }
    ).dropna(subset=["lat", "lon"])
    points = gpd.GeoDataFrame(zips, geometry=gpd.points_from_xy(zips["lon"], zips["lat"]), crs="EPSG:4326")
    contiguous_states = set(full_counties["state"])
    points = points[points["state"].isin(contiguous_states)]
    inside = gpd.sjoin(points, full_counties[["unit_id", "geometry"]], how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]
    missing = inside["unit_id"].isna()
    if missing.any():
        projected = full_counties.to_crs("EPSG:5070")
        lost = points[missing].to_crs("EPSG:5070")
        nearest = gpd.sjoin_nearest(lost, projected[["unit_id", "geometry"]], how="left", max_distance=30_000)
        nearest = nearest[~nearest.index.duplicated(keep="first")]
        inside.loc[missing, "unit_id"] = nearest["unit_id"]
    inside = inside.dropna(subset=["unit_id"])
    out = pd.DataFrame(inside.drop(columns=["geometry", "index_right"]))
    out["lat"] = out["lat"].round(4)
    out["lon"] = out["lon"].round(4)
    return out.sort_values("zip").reset_index(drop=True)


def main() -> None:
    full, simple = build_counties()
    simple.to_parquet(HERE / "us_counties.parquet", compression="zstd", index=False)
    zips = build_zip_points(full)
    zips.to_parquet(HERE / "us_zip_points.parquet", compression="zstd", index=False)
    print(f"{len(simple)} counties, {len(zips)} ZIP points written to {HERE}")


if __name__ == "__main__":
    main()
