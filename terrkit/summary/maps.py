"""Before and after maps of the executive summary (matplotlib PNGs, US Albers like :mod:`terrkit.viz`).

Both maps colour the units by territory with the same colour per territory (a territory keeps its id and
its rep in a realignment), so a reader sees the borders move. The map of the proposal hatches the units
whose rep changes. Rep home bases are red dots when the dataset's roster gives them.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from terrkit.geo import equal_area_of
from terrkit.interactive.colors import territory_colors

#: Width x height of each map in inches; drawn at :data:`DPI`.
SIZE = (7.0, 4.4)
DPI = 150
MOVED_COLOR = "#111111"


def _dissolve(frame: gpd.GeoDataFrame, column: str) -> gpd.GeoSeries:
    shapes = frame.dropna(subset=[column]).dissolve(column).geometry
    # grown by 2 m: closes the slivers between counties and the ZIP cells of split neighbours
    return shapes.buffer(2, quad_segs=1)


def _colors(today: gpd.GeoSeries, proposed: gpd.GeoSeries) -> dict[str, str]:
    """One colour per territory; territories that touch, today or in the proposal, differ."""
    names = sorted(set(map(str, today.index)) | set(map(str, proposed.index)))
    index = {n: i for i, n in enumerate(names)}
    rows, cols = [], []
    for shapes in (today, proposed):
        geoms = shapes.to_numpy()
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left != right
        rows += [index[str(shapes.index[i])] for i in left[keep]]
        cols += [index[str(shapes.index[j])] for j in right[keep]]
    k = len(names)
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, k))
    return territory_colors(names, np.arange(k), graph)


def _path(geom: shapely.Geometry) -> MplPath | None:
    """A matplotlib path of a (multi)polygon, holes included."""
    polygons = [
        g for g in shapely.get_parts(np.asarray([geom])) if g.geom_type == "Polygon" and not g.is_empty
    ]
    if not polygons:
        return None
    parts = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            parts.append(MplPath(xy, codes))
    return MplPath.make_compound_path(*parts)


def _fill(ax: Axes, shapes: gpd.GeoSeries, colors: list[str], **style) -> None:
    """Draw polygons as one collection (much faster than a patch per unit)."""
    paths, kept = [], []
    for geom, color in zip(shapes.to_numpy(), colors, strict=True):
        path = _path(geom)
        if path is not None:
            paths.append(path)
            kept.append(color)
    ax.add_collection(PathCollection(paths, facecolors=kept, **style))


def _draw(
    ax: Axes,
    shapes: gpd.GeoSeries,
    colors: dict[str, str],
    *,
    moved: shapely.Geometry | None,
    homes: gpd.GeoSeries | None,
    title: str,
) -> None:
    fills = [colors.get(str(t), "#dddddd") for t in shapes.index]
    _fill(ax, shapes, fills, edgecolors="#222222", linewidths=0.45)
    if moved is not None and not moved.is_empty:
        style = {"edgecolors": MOVED_COLOR, "linewidths": 0.0, "hatch": "//////"}
        _fill(ax, gpd.GeoSeries([moved]), ["none"], **style)
    if homes is not None and len(homes):
        ax.scatter(homes.x, homes.y, s=22, color="#d62728", edgecolor="white", linewidth=0.6, zorder=5)
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_aspect("equal")
    ax.set_axis_off()


def _homes(reps: pd.DataFrame | None, crs: str) -> gpd.GeoSeries | None:
    if reps is None or not {"home_lat", "home_lon"} <= set(reps.columns):
        return None
    ok = reps[["home_lat", "home_lon"]].notna().all(axis=1)
    if not ok.any():
        return None
    points = gpd.points_from_xy(reps.loc[ok, "home_lon"], reps.loc[ok, "home_lat"])
    return gpd.GeoSeries(points, crs="EPSG:4326").to_crs(crs)


def changes_rep(today: pd.Series, rep_today: pd.Series, rep_proposed: pd.Series) -> pd.Series:
    """Whether each unit changes rep: it has a territory today and its rep differs in the proposal.

    A unit without a territory today only gains one (no customer changes hands), so it does not count.
    """
    return today.notna() & (rep_today.fillna("") != rep_proposed.fillna(""))


def before_after_maps(
    layer: gpd.GeoDataFrame,
    alignment: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    reps: pd.DataFrame | None = None,
    plan: str = "proposal",
) -> tuple[Path, Path]:
    """Draw today's territories and the proposal into ``map_today.png`` and ``map_proposal.png``.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        ``units_layer.gpkg``: ``unit_id``, geometry, today's ``territory_id`` and ``rep_id``.
    alignment : pandas.DataFrame
        ``alignment.csv``: ``unit_id``, proposed ``territory_id`` and ``rep_id``.
    folder : path
        Where the PNGs go (created if needed).
    reps : pandas.DataFrame, optional
        Roster with ``home_lat`` and ``home_lon``: rep homes as red dots.
    plan : str
        Name of the plan in the second map's title.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The two PNGs: today, proposal.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    proposal = alignment.assign(unit_id=alignment["unit_id"].astype(str)).drop_duplicates("unit_id")
    proposal = proposal.set_index("unit_id")
    frame = layer[["unit_id", "territory_id", "rep_id", "geometry"]].copy()
    planar = equal_area_of(layer.geometry)
    frame = frame.rename(columns={"territory_id": "today", "rep_id": "rep_today"}).to_crs(planar)
    ids = frame["unit_id"].astype(str)
    frame["proposed"] = ids.map(proposal["territory_id"]).to_numpy()
    frame["rep_proposed"] = ids.map(proposal["rep_id"]).to_numpy()
    had_rep = frame["today"].notna()
    moved = changes_rep(frame["today"], frame["rep_today"], frame["rep_proposed"])
    today_shapes = _dissolve(frame, "today")
    proposed_shapes = _dissolve(frame, "proposed")
    colors = _colors(today_shapes, proposed_shapes)
    homes = _homes(reps, planar)
    view = np.asarray(frame.total_bounds)
    gone = frame[moved.to_numpy()]
    moved_area = shapely.union_all(gone.geometry.buffer(2, quad_segs=1).to_numpy()) if len(gone) else None
    paths = (out / "map_today.png", out / "map_proposal.png")
    panels = (
        (today_shapes, None, f"Today: {today_shapes.size:,} territories"),
        (proposed_shapes, moved_area, f"Proposed ({plan}): hatched units change rep"),
    )
    for path, (shapes, flag, title) in zip(paths, panels, strict=True):
        # a bare Figure (no pyplot): no global state, no interactive backend, drawn by Agg on save
        fig = Figure(figsize=SIZE, layout="constrained")
        ax = fig.subplots()
        _draw(ax, shapes, colors, moved=flag, homes=homes, title=title)
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
        handles = [Patch(facecolor="#bbbbbb", edgecolor="#222222", label="territory (one colour each)")]
        if flag is not None:
            n = int(moved.sum())
            label = f"changes rep ({n:,} unit{'s' if n != 1 else ''})"
            handles.append(Patch(facecolor="white", edgecolor=MOVED_COLOR, hatch="//////", label=label))
            gained = int((~had_rep).sum())
            if gained:
                label = f"had no territory today: {gained:,} unit{'s' if gained != 1 else ''}, now assigned"
                handles.append(Patch(facecolor="white", edgecolor="#bbbbbb", label=label))
        if homes is not None:
            handles.append(
                Line2D([], [], marker="o", ls="", color="#d62728", markeredgecolor="white", label="rep home")
            )
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
        fig.savefig(path, dpi=DPI)
    return paths
