"""Geographic helpers: distances, projections and adjacency between units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import geopandas as gpd

EARTH_RADIUS_KM = 6371.0088
#: Equal-area projection used for maps and planar work on the contiguous US.
US_ALBERS = "EPSG:5070"
#: Equal-area projection of the European statistical offices (ETRS89 Lambert azimuthal equal-area).
EUROPE_LAEA = "EPSG:3035"
#: (west, south, east, north) extents, in degrees, that each standard projection covers well.
CONUS_EXTENT = (-125.0, 24.0, -66.5, 49.5)
EUROPE_EXTENT = (-25.0, 34.0, 45.0, 72.0)


def equal_area_crs(bounds: npt.ArrayLike) -> str:
    """An equal-area projection suited to data within ``bounds`` (west, south, east, north in degrees).

    Areas, perimeters and planar distances must come from an equal-area projection centred on the
    data. The US Albers projection (EPSG:5070) serves data within the contiguous US, the European
    LAEA (EPSG:3035) data within Europe; anything else gets a Lambert azimuthal equal-area
    projection centred on the data's extent (areas exact everywhere, distances good within a few
    thousand kilometres of the centre).

    Parameters
    ----------
    bounds : array_like
        ``(west, south, east, north)`` in degrees, for example ``GeoSeries.total_bounds`` in EPSG:4326.

    Returns
    -------
    str
        An EPSG code or a PROJ string that :meth:`geopandas.GeoSeries.to_crs` accepts.

    Examples
    --------
    >>> equal_area_crs((-100.0, 30.0, -90.0, 40.0))
    'EPSG:5070'
    >>> equal_area_crs((2.0, 48.0, 8.0, 52.0))
    'EPSG:3035'
    >>> equal_area_crs((140.0, -38.0, 150.0, -30.0))
    '+proj=laea +lat_0=-34.0000 +lon_0=145.0000 +datum=WGS84 +units=m +no_defs'
    """
    west, south, east, north = (float(v) for v in np.asarray(bounds, dtype=float))
    for extent, crs in ((CONUS_EXTENT, US_ALBERS), (EUROPE_EXTENT, EUROPE_LAEA)):
        if extent[0] <= west and south >= extent[1] and east <= extent[2] and north <= extent[3]:
            return crs
    lat0, lon0 = (south + north) / 2.0, (west + east) / 2.0
    return f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m +no_defs"


def lonlat_bounds(geometry: gpd.GeoSeries) -> np.ndarray:
    """``(west, south, east, north)`` in degrees of a GeoSeries (one without a CRS is taken as lon/lat)."""
    geo = geometry if geometry.crs is not None else geometry.set_crs("EPSG:4326")
    if not geo.crs.is_geographic:
        geo = geo.to_crs("EPSG:4326")
    return np.asarray(geo.total_bounds, dtype=float)


def equal_area_of(geometry: gpd.GeoSeries) -> Any:
    """The equal-area projection suited to a GeoSeries: its own when it is already in one, else
    :func:`equal_area_crs` of its extent."""
    crs = geometry.crs
    if crs is not None and not crs.is_geographic:
        operation = crs.coordinate_operation
        if operation is not None and "Equal Area" in operation.method_name:
            return crs
    return equal_area_crs(lonlat_bounds(geometry))


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> np.ndarray:
    """Great-circle distance in kilometres, broadcasting over its arguments.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Coordinates in decimal degrees.

    Returns
    -------
    numpy.ndarray
        :math:`2R \\arcsin\\sqrt{h}` with
        :math:`h = \\sin^2(\\Delta\\varphi/2) + \\cos\\varphi_1\\cos\\varphi_2\\sin^2(\\Delta\\lambda/2)`
        and :math:`R` = 6371.0088 km (the mean Earth radius).
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def pairwise_haversine_km(lon: npt.ArrayLike, lat: npt.ArrayLike, lon2=None, lat2=None) -> np.ndarray:
    """Matrix of great-circle distances between two point sets (or one set and itself)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    lon2 = lon if lon2 is None else np.asarray(lon2, dtype=float)
    lat2 = lat if lat2 is None else np.asarray(lat2, dtype=float)
    return haversine_km(lon[:, None], lat[:, None], lon2[None, :], lat2[None, :])
