"""Geographic helpers: distances, projections and adjacency between units."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
#: Equal-area projection used for maps and planar work on the contiguous US.
US_ALBERS = "EPSG:5070"


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
