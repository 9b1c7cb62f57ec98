"""The geography and sample company that ship in the repository's ``data/`` folder."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from terrkit.exceptions import TerrkitError

COUNTIES_FILE = "us_counties.parquet"
ZIP_POINTS_FILE = "us_zip_points.parquet"
SAMPLE_FOLDER = "sample"


def data_dir() -> Path:
    """Folder with the bundled data (``$TERRKIT_DATA`` overrides the repository's ``data/``)."""
    override = os.environ.get("TERRKIT_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2] / "data"
    if not (folder / COUNTIES_FILE).exists():
        raise TerrkitError(
            f"bundled data not found in {folder}: expected {COUNTIES_FILE}; "
            "install terrkit from its repository (pip install -e .) or set TERRKIT_DATA"
        )
    return folder


def sample_dir() -> Path:
    """Folder of the bundled sample company (``data/sample``)."""
    return data_dir() / SAMPLE_FOLDER


@lru_cache(maxsize=1)
def _counties() -> gpd.GeoDataFrame:
    return gpd.read_parquet(data_dir() / COUNTIES_FILE)


def load_counties() -> gpd.GeoDataFrame:
    """Contiguous-US counties (3,108 units) with simplified polygons in EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``unit_id`` (5-digit FIPS string), ``name``, ``state`` (USPS code),
        ``state_fips``, ``land_km2`` and ``geometry``. A fresh copy on every call.
    """
    return _counties().copy()


@lru_cache(maxsize=1)
def _zip_points() -> pd.DataFrame:
    return pd.read_parquet(data_dir() / ZIP_POINTS_FILE)


def load_zip_points(standard_only: bool = False) -> pd.DataFrame:
    """ZIP code points of the contiguous US with the county each falls in.

    Parameters
    ----------
    standard_only : bool, default False
        Keep only ``STANDARD`` ZIP codes (drop PO boxes, unique and military codes).

    Returns
    -------
    pandas.DataFrame
        Columns ``zip`` (5-character string), ``zip_type``, ``city``, ``state``,
        ``lat``, ``lon`` and ``unit_id`` (county FIPS).
    """
    zips = _zip_points()
    if standard_only:
        zips = zips[zips["zip_type"] == "STANDARD"]
    return zips.reset_index(drop=True).copy()
