"""Static maps and charts (matplotlib) for reports.

Maps are drawn in the US Albers equal-area projection (EPSG:5070), so that areas and
shapes look right across the contiguous US.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from terrkit.geo import equal_area_of


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def _thousands(value: float, _pos: int | None = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def choropleth(
    units: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    title: str,
    legend: str,
    points: pd.DataFrame | None = None,
    point_label: str = "rep home base",
    bins: Sequence[float] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Map a value per unit with classed colours; optional points (lon/lat columns) on top.

    Parameters
    ----------
    units : GeoDataFrame
        Unit polygons with a ``unit_id`` column.
    values : Series
        Values indexed by unit id; missing units are drawn as "no data".
    bins : sequence of float, optional
        Upper class bounds (the last should be at least the maximum); default: quantiles
        (0.2, 0.4, 0.6, 0.8, 1) of the positive values. Zero is always a class of its own.
    """
    fig, ax = _axes(ax, (11, 6.5))
    planar = equal_area_of(units.geometry)
    frame = units[["unit_id", "geometry"]].to_crs(planar)
    frame["value"] = frame["unit_id"].map(values)
    positive = frame["value"][frame["value"] > 0]
    if bins is None:
        bins = sorted(set(np.quantile(positive, [0.2, 0.4, 0.6, 0.8, 1.0]))) if len(positive) else [1.0]
    top = float(positive.max()) if len(positive) else 1.0
    edges = [0.0, *sorted({float(b) for b in bins if 0 < b < top}), top]
    colors = plt.get_cmap("YlGnBu")(np.linspace(0.15, 0.95, len(edges) - 1))
    cmap = ListedColormap(["#f2f2f2", *colors])
    norm = BoundaryNorm([-1e-9, 1e-9, *edges[1:]], cmap.N)
    frame.plot(
        column="value",
        cmap=cmap,
        norm=norm,
        linewidth=0.05,
        edgecolor="#999999",
        ax=ax,
        missing_kwds={"color": "white", "hatch": "///", "label": "no data"},
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color="#f2f2f2", ec="#999999", label="0")]
    for color, high in zip(colors, edges[1:], strict=True):
        handles.append(plt.Rectangle((0, 0), 1, 1, color=color, label=f"up to {_thousands(high)}"))
    if points is not None and len(points):
        xy = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs="EPSG:4326").to_crs(planar)
        handles.append(
            ax.scatter(
                xy.x,
                xy.y,
                s=28,
                marker="*",
                color="#d62728",
                edgecolor="black",
                linewidth=0.4,
                zorder=5,
                label=point_label,
            )
        )
    ax.legend(handles=handles, title=legend, loc="lower left", fontsize=8, title_fontsize=9, frameon=True)
    ax.set_title(title)
    ax.set_axis_off()
    return fig


def bar_chart(values: pd.Series, *, title: str, xlabel: str, top: int = 20, ax: Axes | None = None) -> Figure:
    """Horizontal bars of the ``top`` largest values, largest at the top."""
    fig, ax = _axes(ax, (8, 0.3 * min(top, len(values)) + 1.2))
    shown = values.sort_values(ascending=False).head(top)[::-1]
    ax.barh(shown.index.astype(str), shown.to_numpy(), color="#2b7bba")
    ax.xaxis.set_major_formatter(_thousands)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return fig


def trend_chart(trend: pd.DataFrame, *, title: str, ax: Axes | None = None) -> Figure:
    """Sales per period as a line, with active customers on a second axis."""
    fig, ax = _axes(ax, (9, 3.8))
    x = np.arange(len(trend))
    ax.plot(x, trend["sales"].to_numpy(), marker="o", color="#2b7bba", label="sales")
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_ylabel("sales")
    ax.set_xticks(x, trend.index, rotation=45, ha="right")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    if "customers" in trend:
        right = ax.twinx()
        right.plot(x, trend["customers"].to_numpy(), ls="--", color="#ff7f0e", label="active customers")
        right.set_ylabel("active customers")
        right.set_ylim(bottom=0)
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], loc="lower right")
    ax.set_title(title)
    return fig
