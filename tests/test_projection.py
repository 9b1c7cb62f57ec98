"""Units outside the US: areas, distances and designs use an equal-area projection fitted to the data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from scipy.sparse.csgraph import connected_components

from terrkit.design.exact.solvers import solve_problem
from terrkit.design.problem.definition import TerritoryDesignProblem
from terrkit.geo import US_ALBERS, equal_area_crs, equal_area_of, haversine_km
from terrkit.geo_adjacency import planar_points_km, unit_adjacency
from terrkit.review.compactness import dissolve_territories

GEOD = Geod(ellps="WGS84")


def _grid(west: float, south: float, n: int = 4, step: float = 0.25) -> gpd.GeoDataFrame:
    """``n`` x ``n`` lon/lat squares of ``step`` degrees, ids ``r{row}c{col}``, one account each."""
    cells, ids = [], []
    for row in range(n):
        for col in range(n):
            x, y = west + col * step, south + row * step
            cells.append(shapely.box(x, y, x + step, y + step))
            ids.append(f"r{row}c{col}")
    return gpd.GeoDataFrame({"unit_id": ids, "accounts": 1.0}, geometry=cells, crs="EPSG:4326")


@pytest.mark.parametrize(
    ("west", "south", "expected"),
    [(-95.0, 35.0, US_ALBERS), (4.0, 50.0, "EPSG:3035"), (150.0, -34.0, "+proj=laea")],
)
def test_the_projection_follows_the_data(west, south, expected):
    assert equal_area_crs((west, south, west + 1, south + 1)).startswith(expected)


@pytest.mark.parametrize(("west", "south"), [(4.0, 50.0), (150.0, -34.0)])
def test_areas_and_perimeters_are_true_outside_the_us(west, south):
    """Belgian and Australian squares keep their geodesic area and perimeter (Polsby-Popper needs both)."""
    grid = _grid(west, south)
    geodesic = np.array([GEOD.geometry_area_perimeter(g) for g in grid.geometry])
    planar = grid.to_crs(equal_area_of(grid.geometry))
    np.testing.assert_allclose(planar.area, np.abs(geodesic[:, 0]), rtol=1e-4)
    np.testing.assert_allclose(planar.length, geodesic[:, 1], rtol=1e-3)
    territories = dissolve_territories(grid, pd.Series(["A"] * 8 + ["B"] * 8, index=grid["unit_id"]))
    assert territories.area.sum() == pytest.approx(np.abs(geodesic[:, 0]).sum(), rel=1e-4)


def test_the_us_albers_would_stretch_australian_shapes():
    grid = _grid(150.0, -34.0)
    geodesic = np.array([GEOD.geometry_area_perimeter(g)[1] for g in grid.geometry])
    albers = grid.to_crs(US_ALBERS).length.to_numpy()
    assert np.max(np.abs(albers / geodesic - 1)) > 0.05  # why one projection cannot serve every market


def test_planar_distances_match_great_circles_outside_the_us():
    grid = _grid(150.0, -34.0)
    xy = planar_points_km(grid)
    first, last = xy[0], xy[-1]
    points = grid.geometry.representative_point()
    km = haversine_km(points.x.iloc[0], points.y.iloc[0], points.x.iloc[-1], points.y.iloc[-1])
    assert np.hypot(*(last - first)) == pytest.approx(km, rel=0.005)


def test_a_design_on_non_us_units_is_contiguous_and_balanced():
    grid = _grid(4.0, 50.0)
    adjacency = unit_adjacency(grid)
    assert adjacency[0].nnz == 3  # a corner square touches its two sides and its diagonal (queen)
    problem = TerritoryDesignProblem.from_geodataframe(
        grid, 2, id="unit_id", balance={"accounts": 0.0}, contiguous=True
    )
    result = solve_problem(problem, time_limit=20, seed=0)
    labels = result.labels
    assert labels.index.tolist() == grid["unit_id"].tolist()
    assert labels.value_counts().tolist() == [8, 8]
    for territory in labels.unique():
        members = np.flatnonzero((labels == territory).to_numpy())
        sub = adjacency[members][:, members]
        assert connected_components(sub, directed=False)[0] == 1


def test_units_already_in_an_equal_area_projection_stay_in_it():
    grid = _grid(4.0, 50.0).to_crs("EPSG:3035")
    assert equal_area_of(grid.geometry) == grid.crs
    mercator = _grid(4.0, 50.0).to_crs("EPSG:3857")  # projected, but not equal-area
    assert equal_area_of(mercator.geometry) == "EPSG:3035"
