"""Adjacency between geographic units: queen contiguity for polygons, Delaunay edges for points.

Mixed unit layers (counties, ZIP cells and named accounts, see :mod:`terrkit.units`) get the same queen
rule, robust to the floating-point noise of clipping, with named accounts linked to their parent.

Islands (units or groups of units with no neighbour in the rest of the graph) are linked to the
nearest unit of the largest component, and the added links are reported, so that a contiguity
requirement can always be met.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree

from terrkit.exceptions import DataValidationError
from terrkit.geo import equal_area_of

#: Largest gap (degrees) between two polygons of a mixed unit layer that still counts as a shared border:
#: clipping ZIP cells to their county leaves noise far below it (1e-7 degrees is about 1 cm).
MIXED_LAYER_TOLERANCE = 1e-7


def _symmetric(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.int8)
    return sp.csr_matrix(a)


def queen_adjacency(geometry: gpd.GeoSeries) -> sp.csr_matrix:
    """Queen contiguity: two polygons are neighbours when they share at least a point.

    Uses a shapely STRtree ``intersects`` query on the coverage (neighbours in a clean coverage
    share borders or corners, so ``intersects`` is exactly queen contiguity).
    """
    geoms = np.asarray(geometry.values)
    tree = gpd.GeoSeries(geoms).sindex
    left, right = tree.query(geoms, predicate="intersects")
    return _symmetric(np.asarray(left), np.asarray(right), len(geoms))


def delaunay_adjacency(xy: np.ndarray) -> sp.csr_matrix:
    """Edges of the Delaunay triangulation of planar points.

    Points that share a location are linked to its first point and to the first points of the locations
    next to it: a duplicate linked only to its twin would be a leaf, forced into its twin's territory (five
    ZIP codes on one Brooklyn point then make a group bigger than any territory may be).

    Examples
    --------
    >>> a = delaunay_adjacency(np.array([[0.0, 0], [1, 0], [0, 1], [0, 1]]))
    >>> a.toarray().tolist()
    [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]
    """
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if n < 2:
        return sp.csr_matrix((n, n), dtype=np.int8)
    uniq, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    m = len(uniq)
    centred = uniq - uniq.mean(axis=0)
    collinear = m < 3 or np.linalg.matrix_rank(centred, tol=1e-9 * max(1.0, np.abs(centred).max())) < 2
    if m < 2:
        a = b = np.empty(0, dtype=np.int64)
    elif collinear:  # points on a line: link neighbours along it
        order = np.argsort(centred @ np.linalg.svd(centred, full_matrices=False)[2][0])
        a, b = order[:-1], order[1:]
    elif m >= 4:
        s = Delaunay(uniq).simplices
        e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
        a, b = e[:, 0], e[:, 1]
    else:
        a, b = np.triu_indices(m, 1)
    locations = _symmetric(a, b, m)  # edges between locations
    dup = np.flatnonzero(first[inverse] != np.arange(n))
    near = locations[inverse[dup]].tocoo()  # the locations next to each duplicate's own
    rows = np.concatenate([first[a], dup, dup[near.row]])
    cols = np.concatenate([first[b], first[inverse[dup]], first[near.col]])
    return _symmetric(rows, cols, n)


def link_islands(adjacency: sp.csr_matrix, xy: np.ndarray) -> tuple[sp.csr_matrix, list[tuple[int, int]]]:
    """Connect every component to the rest of the graph by its shortest link (nearest pair of units).

    Components are merged one at a time, smallest first, each to its nearest unit outside itself.

    Returns
    -------
    adjacency : scipy.sparse.csr_matrix
        The connected adjacency.
    links : list of (int, int)
        Added links as unit index pairs.
    """
    adj = sp.lil_matrix(adjacency)
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    links: list[tuple[int, int]] = []
    while True:
        ncomp, comp = connected_components(sp.csr_matrix(adj), directed=False)
        if ncomp <= 1:
            break
        sizes = np.bincount(comp)
        c = int(np.argmin(sizes))
        inside = np.flatnonzero(comp == c)
        outside = np.flatnonzero(comp != c)
        tree = cKDTree(xy[outside])
        d, j = tree.query(xy[inside])
        a = int(inside[int(np.argmin(d))])
        b = int(outside[int(j[int(np.argmin(d))])])
        adj[a, b] = 1
        adj[b, a] = 1
        links.append((a, b))
        if len(links) > n:  # pragma: no cover - safety
            break
    return sp.csr_matrix(adj, dtype=np.int8), links


def read_edges(path: str | os.PathLike, ids: np.ndarray) -> sp.csr_matrix:
    """Read an adjacency CSV with two id columns (the first two columns) into a symmetric matrix.

    Raises
    ------
    DataValidationError
        Unreadable file, fewer than two columns, or an id that is not a unit.
    """
    name = os.fspath(path)
    try:
        edges = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(name, f"cannot read the edges file ({exc})") from exc
    if edges.shape[1] < 2:
        raise DataValidationError(name, "an edges file needs two id columns (from, to)")
    return edges_to_adjacency(edges.iloc[:, 0], edges.iloc[:, 1], ids, name)


def edges_to_adjacency(a: pd.Series, b: pd.Series, ids: np.ndarray, name: str = "edges") -> sp.csr_matrix:
    """Symmetric adjacency from two aligned id columns."""
    index = pd.Index([str(x) for x in ids])
    ia = index.get_indexer(a.astype(str).str.strip())
    ib = index.get_indexer(b.astype(str).str.strip())
    bad = np.flatnonzero((ia < 0) | (ib < 0))
    if len(bad):
        r = int(bad[0])
        col = a.name if ia[r] < 0 else b.name
        val = a.iloc[r] if ia[r] < 0 else b.iloc[r]
        raise DataValidationError(
            name, "id is not one of the units", column=str(col), row=r + 2, value=val, more=len(bad) - 1
        )
    return _symmetric(ia, ib, len(ids))


def _point_adjacency(units: gpd.GeoDataFrame) -> sp.csr_matrix:
    g = units.geometry
    if units.crs is not None and units.crs.is_geographic:
        g = g.to_crs(equal_area_of(g))
    return delaunay_adjacency(np.column_stack([g.x, g.y]))


def is_mixed_layer(units: pd.DataFrame) -> bool:
    """Whether ``units`` is a mixed unit layer (it has ``level`` and ``parent_id`` columns)."""
    return isinstance(units, pd.DataFrame) and {"level", "parent_id"} <= set(units.columns)


def near_adjacency(geometry: gpd.GeoSeries, tolerance: float = MIXED_LAYER_TOLERANCE) -> sp.csr_matrix:
    """Queen contiguity robust to floating-point noise: polygons within ``tolerance`` are neighbours.

    Uses a shapely STRtree ``dwithin`` query; ``tolerance`` is in the units of the coordinates (degrees
    for EPSG:4326, where the default 1e-7 is about 1 cm).
    """
    geoms = np.asarray(geometry.values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tolerance)
    return _symmetric(np.asarray(left), np.asarray(right), len(geoms))


def mixed_layer_adjacency(units: gpd.GeoDataFrame, tolerance: float = MIXED_LAYER_TOLERANCE) -> sp.csr_matrix:
    """Adjacency of a mixed unit layer (counties, ZIP cells, named accounts).

    Area units (every level but ``account``) are neighbours when they share a border or a corner, up to
    ``tolerance`` (:func:`near_adjacency`; Delaunay edges instead when the area units are all points). A
    named-account unit is adjacent to its parent (``parent_id``) and to every neighbour of its parent;
    one whose parent is not in the frame gets no neighbour here (:func:`link_islands` connects it).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id``, ``level``, ``parent_id`` and geometry.
    tolerance : float, default 1e-7
        Largest gap between two area units that still counts as a shared border.

    Returns
    -------
    scipy.sparse.csr_matrix
        Symmetric 0/1 adjacency in the order of ``units``.
    """
    n = len(units)
    named = (units["level"] == "account").to_numpy()
    areas = np.flatnonzero(~named)
    area_units = units.iloc[areas]
    if (area_units.geometry.geom_type == "Point").all():
        base = _point_adjacency(area_units).tocoo()
    else:
        base = near_adjacency(area_units.geometry, tolerance).tocoo()
    between_areas = _symmetric(areas[base.row], areas[base.col], n)
    accounts = np.flatnonzero(named)
    parent = pd.Index(units["unit_id"]).get_indexer(units["parent_id"].iloc[accounts])
    accounts, parent = accounts[parent >= 0], parent[parent >= 0]
    around = between_areas[parent].tocoo()
    rows = np.concatenate([accounts, accounts[around.row]])
    cols = np.concatenate([parent, around.col])
    return ((between_areas + _symmetric(rows, cols, n)) > 0).astype(np.int8).tocsr()


def unit_adjacency(units: gpd.GeoDataFrame) -> sp.csr_matrix:
    """Queen contiguity for polygon units, Delaunay edges (on equal-area planar coordinates) for point units.

    A mixed unit layer (a frame with ``level`` and ``parent_id`` columns, see :mod:`terrkit.units`) gets
    :func:`mixed_layer_adjacency`: borders shared up to floating-point noise, and named accounts linked to
    their parent and its neighbours. Other frames keep the exact ``intersects`` rule.
    """
    if is_mixed_layer(units):
        return mixed_layer_adjacency(units)
    kinds = set(units.geometry.geom_type.dropna().unique())
    if kinds <= {"Point"}:
        return _point_adjacency(units)
    return queen_adjacency(units.geometry)


def planar_points_km(units: gpd.GeoDataFrame) -> np.ndarray:
    """Planar coordinates in km of each unit's inner point (the point itself for point units).

    The projection is the equal-area one suited to the units' extent (:func:`terrkit.geo.equal_area_crs`:
    EPSG:5070 in the contiguous US). A GeoDataFrame without a CRS is taken to be lon/lat (EPSG:4326).
    """
    geo = units.geometry if units.crs is not None else units.geometry.set_crs("EPSG:4326")
    proj = geo.to_crs(equal_area_of(geo))
    points = proj if (proj.geom_type == "Point").all() else proj.representative_point()
    return np.column_stack([points.x, points.y]) / 1000.0


def unit_graph(units: gpd.GeoDataFrame) -> tuple[sp.csr_matrix, np.ndarray, list[tuple[int, int]]]:
    """Unit adjacency with islands linked to their nearest unit, as the design engine builds it.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray, list of (int, int))
        The adjacency (queen contiguity for polygons, Delaunay for points), the units' planar
        coordinates in km (:func:`planar_points_km`) and the island links added (row positions).
    """
    xy = planar_points_km(units)
    adjacency, links = link_islands(unit_adjacency(units), xy)
    return adjacency, xy, links
