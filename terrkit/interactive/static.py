"""Static (matplotlib) picture of a plan, for headless report runs of the editor notebook.

Same colours as the interactive map; drawn in US Albers (EPSG:5070) like :mod:`terrkit.viz`.

On a mixed unit layer (units with ``level`` and ``parent_id``, see :mod:`terrkit.units`) the ZIP cells are
filled like counties with faint edges, the borders of the counties that were split are drawn over their
cells in grey, territory borders in dark grey over both, and named-account units as dots in their
territory's colour with a black ring. ``focus`` zooms on a few units or counties (e.g. the county split
into the most cells) so that cells and accounts can be told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from terrkit.geo import equal_area_of

Bounds = tuple[float, float, float, float]


def _focus_bounds(frame: gpd.GeoDataFrame, focus: Iterable[str] | Bounds, id_col: str) -> np.ndarray:
    """Bounds, in ``frame``'s projection, of a lon/lat box or of the units (or counties) in ``focus``."""
    items = list(focus)
    if len(items) == 4 and all(isinstance(v, (int, float, np.floating, np.integer)) for v in items):
        box = gpd.GeoSeries([shapely.box(*map(float, items))], crs="EPSG:4326").to_crs(frame.crs)
        return np.asarray(box.total_bounds)
    keys = pd.Index([str(v) for v in items])
    hit = frame[id_col].astype(str).isin(keys)
    if "county_id" in frame.columns:
        hit |= frame["county_id"].astype(str).isin(keys)
    if not hit.any():
        raise ValueError(f"focus: none of {', '.join(keys[:5])} is a unit or county of the map")
    return np.asarray(frame[hit.to_numpy()].total_bounds)


def _close_gaps(shapes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Dissolved shapes grown by 2 m (EPSG:5070 metres): closes the slivers between counties and the ZIP
    cells of their split neighbours, which would otherwise show as stray border lines."""
    return shapes.geometry.buffer(2, quad_segs=1)


def _fit_aspect(view: np.ndarray, ax: Axes) -> np.ndarray:
    """``view`` widened (or heightened) around its centre to the shape of the axes."""
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    ratio = (box.width * fig_w) / max(box.height * fig_h, 1e-9)
    w, h = view[2] - view[0], view[3] - view[1]
    cx, cy = (view[0] + view[2]) / 2, (view[1] + view[3]) / 2
    if w / h < ratio:
        w = h * ratio
    else:
        h = w / ratio
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def most_split_county(units: pd.DataFrame) -> str | None:
    """The county split into the most ZIP cells of a mixed unit layer (None when none is split)."""
    if "level" not in units.columns or "county_id" not in units.columns:
        return None
    cells = units.loc[units["level"] == "zip", "county_id"].astype(str)
    if cells.empty:
        return None
    counts = cells.value_counts()
    return str(counts.index[0])


def plan_map(
    units: gpd.GeoDataFrame,
    labels: pd.Series,
    colors: Mapping[str, str],
    *,
    id_col: str = "unit_id",
    reps: pd.DataFrame | None = None,
    locked: pd.Series | None = None,
    title: str = "Territories",
    focus: Iterable[str] | Bounds | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Units coloured by territory, territory borders drawn darker, rep home bases as red dots.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit geometry with an id column; on a mixed unit layer also ``level`` and ``county_id``.
    labels : pandas.Series
        Territory per unit id.
    colors : mapping territory -> colour
    reps : DataFrame, optional
        ``lat``/``lon`` of rep home bases.
    locked : pandas.Series of bool, optional
        Locked units (by unit id), hatched.
    title : str
    focus : unit or county ids, or a (min lon, min lat, max lon, max lat) box, optional
        Zoom on these units (or counties: all their cells) instead of showing every unit; lines and
        dots are drawn thicker.
    ax : matplotlib Axes, optional
        Draw into this axes (default: a new figure).
    """
    cols = [id_col, "geometry", *[c for c in ("level", "county_id") if c in units.columns]]
    frame = units[cols].copy()
    frame["territory"] = frame[id_col].astype(str).map(labels.rename(index=str))
    frame = frame.to_crs(equal_area_of(units.geometry))
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 6.5) if focus is None else (9, 8), layout="constrained")
    else:
        fig = ax.figure
    zoom = focus is not None
    view = _focus_bounds(frame, focus, id_col) if zoom else None
    if view is not None:
        pad = 0.08 * max(view[2] - view[0], view[3] - view[1], 1.0)
        view = _fit_aspect(view + np.array([-pad, -pad, pad, pad]), ax)
        frame = frame[frame.intersects(shapely.box(*view))]
    is_point = (frame.geom_type == "Point").to_numpy()
    fill = frame["territory"].map(colors).fillna("#cccccc")
    handles: list = []
    if is_point.all():
        frame.plot(ax=ax, color=fill, markersize=4 if not zoom else 12)
    else:
        areas, area_fill = frame[~is_point], fill[~is_point]
        level = areas["level"] if "level" in areas.columns else pd.Series("county", index=areas.index)
        cell = (level == "zip").to_numpy()
        edge = 0.6 if zoom else 0.1
        areas[~cell].plot(ax=ax, color=area_fill[~cell], linewidth=edge, edgecolor="white")
        if cell.any():
            areas[cell].plot(ax=ax, color=area_fill[cell], linewidth=edge * 0.6, edgecolor="white")
            split = areas[cell].dissolve("county_id") if "county_id" in areas else areas[cell].dissolve()
            _close_gaps(split).boundary.plot(
                ax=ax, color="#6b6b6b", linewidth=1.1 if zoom else 0.35, zorder=3
            )
            handles.append(
                Line2D(
                    [], [], color="#6b6b6b", linewidth=1.2, label="border of a county split into ZIP cells"
                )
            )
        territories = _close_gaps(areas.dissolve("territory"))
        territories.boundary.plot(ax=ax, color="#333333", linewidth=1.6 if zoom else 0.5, zorder=4)
        if is_point.any():
            points = frame[is_point]
            points.plot(
                ax=ax,
                color=fill[is_point],
                markersize=42 if zoom else 9,
                edgecolor="black",
                linewidth=0.9 if zoom else 0.4,
                zorder=6,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor="#bbbbbb",
                    markeredgecolor="black",
                    label="named account",
                )
            )
    if locked is not None and locked.any():
        mask = frame[id_col].astype(str).isin(locked[locked.astype(bool)].index.astype(str))
        frame[mask].plot(ax=ax, facecolor="none", edgecolor="black", hatch="///", linewidth=0.3, zorder=5)
    if reps is not None and len(reps):
        xy = gpd.GeoSeries(gpd.points_from_xy(reps["lon"], reps["lat"]), crs="EPSG:4326").to_crs(frame.crs)
        if view is not None:
            inside = (
                (xy.x >= view[0]) & (xy.x <= view[2]) & (xy.y >= view[1]) & (xy.y <= view[3])
            ).to_numpy()
            xy = xy[inside]
        ax.scatter(
            xy.x,
            xy.y,
            s=18 if not zoom else 60,
            color="#d62728",
            edgecolor="white",
            linewidth=0.6,
            zorder=7,
            label="rep home base",
        )
        handles.insert(
            0,
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="#d62728",
                markeredgecolor="white",
                label="rep home base",
            ),
        )
    if view is not None:
        if len(frame) and not is_point.all():
            _label_territories(ax, frame[~is_point], view)
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title(title)
    ax.set_axis_off()
    return fig


def _label_territories(ax: Axes, frame: gpd.GeoDataFrame, view: np.ndarray) -> None:
    """Territory names at the largest piece of each territory inside ``view`` (zoomed maps)."""
    window = shapely.box(*view)
    for name, shape in frame.dissolve("territory").geometry.items():
        parts = shapely.get_parts(np.asarray([shapely.intersection(shape, window)]))
        parts = parts[shapely.area(parts) > 0] if len(parts) else parts
        if not len(parts):
            continue
        big = parts[int(np.argmax(shapely.area(parts)))]
        p = shapely.point_on_surface(big)
        ax.annotate(
            str(name),
            (p.x, p.y),
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            color="#111111",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            zorder=8,
        )
