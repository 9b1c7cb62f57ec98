"""Adjacency: queen contiguity, Delaunay edges, island links, edge files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from terrkit.exceptions import DataValidationError
from terrkit.geo_adjacency import (
    delaunay_adjacency,
    link_islands,
    queen_adjacency,
    read_edges,
    unit_adjacency,
)


def test_queen_includes_corners():
    cells = gpd.GeoSeries(
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2), box(5, 5, 6, 6)]
    )
    a = queen_adjacency(cells).toarray()
    assert a[0, 3] == 1 and a[1, 2] == 1  # diagonal neighbours (queen)
    assert a[0].sum() == 3 and a[4].sum() == 0
    assert (a == a.T).all() and np.diag(a).sum() == 0


def test_delaunay_square_and_line_and_duplicates():
    sq = np.array([[0, 0], [1, 0], [0, 1], [1.1, 1.05]])
    a = delaunay_adjacency(sq)
    assert a.nnz == 2 * 5  # 4 sides + 1 diagonal
    line = np.column_stack([np.arange(5.0), np.zeros(5)])
    b = delaunay_adjacency(line).toarray()
    assert b.sum() == 8 and b[0, 1] == 1 and b[0, 2] == 0
    dup = np.array([[0, 0], [0, 0], [1, 0], [0, 1], [1, 1]])
    c = delaunay_adjacency(dup).toarray()
    assert c[0, 1] == 1
    # the duplicate is no leaf: it touches what its location touches, so it may join any of those territories
    assert c[1, 2:].tolist() == c[0, 2:].tolist() and c[1].sum() == c[0].sum() >= 3
    assert (c == c.T).all() and np.diag(c).sum() == 0


def test_delaunay_links_every_point_of_a_location_to_the_locations_next_to_it():
    # three points on one location in the middle of a square: each touches the four corners
    xy = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1], [1, 1], [1, 1]], dtype=float)
    a = delaunay_adjacency(xy).toarray()
    for p in (4, 5, 6):
        assert a[p, :4].tolist() == [1, 1, 1, 1]
    assert a[5, 4] == 1 and a[6, 4] == 1


def test_islands_linked_to_nearest_unit():
    cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 0, 6, 1)])
    a = unit_adjacency(cells)
    xy = np.array([[0.5, 0.5], [1.5, 0.5], [5.5, 0.5]])
    linked, links = link_islands(a, xy)
    assert links == [(2, 1)]
    assert linked[1, 2] == 1 and linked[2, 1] == 1


def test_read_edges(tmp_path):
    p = tmp_path / "e.csv"
    pd.DataFrame({"a": ["x", "y"], "b": ["y", "z"]}).to_csv(p, index=False)
    a = read_edges(p, np.array(["x", "y", "z"])).toarray()
    assert a.sum() == 4 and a[0, 1] == a[1, 0] == 1
    pd.DataFrame({"a": ["x", "q"], "b": ["y", "z"]}).to_csv(p, index=False)
    with pytest.raises(DataValidationError, match="'q'"):
        read_edges(p, np.array(["x", "y", "z"]))


def test_bundled_counties_are_one_component_after_links():
    from terrkit.datasets import load_counties

    counties = load_counties()
    a = unit_adjacency(counties)
    assert a.shape == (len(counties), len(counties))
    deg = np.asarray(a.sum(axis=1)).ravel()
    assert np.median(deg) >= 5  # counties have about six queen neighbours


def test_unit_graph_of_the_counties_is_one_piece_with_three_island_links():
    from scipy.sparse.csgraph import connected_components

    from terrkit.datasets import load_counties
    from terrkit.geo_adjacency import unit_graph

    counties = load_counties()
    adjacency, xy, links = unit_graph(counties)
    assert connected_components(adjacency, directed=False)[0] == 1
    islands = {counties["unit_id"].iloc[i] for link in links for i in link}
    assert {"25007", "25019", "53055"} <= islands  # Dukes, Nantucket, San Juan
    assert len(links) == 3 and xy.shape == (3108, 2)
    assert 1000 < np.ptp(xy[:, 0]) < 5000, "planar coordinates are in km"
