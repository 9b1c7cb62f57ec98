"""A static map of the hierarchy: territories filled by their top node, borders thicker for higher levels."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from terrkit.geo import equal_area_of
from terrkit.review.compactness import dissolve_territories

#: Border width per level, bottom (territories) first; higher levels use the last ones.
LINE_WIDTHS = (0.35, 1.1, 2.2, 3.0)


def hierarchy_map(
    units: gpd.GeoDataFrame,
    labels: pd.DataFrame,
    levels: Sequence[str],
    *,
    homes: pd.DataFrame | None = None,
    title: str = "Sales hierarchy",
    ax: plt.Axes | None = None,
) -> Figure:
    """Draw the hierarchy.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and geometry.
    labels : pandas.DataFrame
        Indexed by unit id: ``territory_id`` and a ``<level>_id`` column per upper level.
    levels : sequence of str
        The upper levels, top first (``["region", "district"]``).
    homes : pandas.DataFrame, optional
        Manager homes to mark (``home_lat``, ``home_lon``), e.g. of the districts.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 6.5), layout="constrained")
    else:
        fig = ax.figure
    crs = equal_area_of(units.geometry)
    frame = units[["unit_id", "geometry"]].to_crs(crs)
    lab = labels.copy()
    lab.index = lab.index.astype(str)
    top = f"{levels[0]}_id" if levels else "territory_id"
    codes = {t: i for i, t in enumerate(sorted(pd.unique(lab[top].dropna())))}
    frame["code"] = frame["unit_id"].astype(str).map(lab[top]).map(codes)
    frame.plot(column="code", cmap="Pastel1", ax=ax, linewidth=0, missing_kwds={"color": "#eeeeee"})
    unit_terr = lab["territory_id"].reindex(units["unit_id"].astype(str).to_numpy())
    unit_terr.index = units["unit_id"].astype(str).to_numpy()
    shapes = dissolve_territories(units, unit_terr.dropna())  # each level dissolves the territories' shapes
    parents = lab.drop_duplicates("territory_id").set_index("territory_id")
    for i, col in enumerate(["territory_id", *[f"{name}_id" for name in reversed(levels)]]):
        level_shapes = (
            shapes if i == 0 else shapes.assign(node=parents[col].reindex(shapes.index)).dissolve("node")
        )
        level_shapes.boundary.plot(
            ax=ax, color="#222222" if i else "#777777", linewidth=LINE_WIDTHS[min(i, len(LINE_WIDTHS) - 1)]
        )
    if homes is not None and len(homes):
        pts = gpd.GeoSeries(gpd.points_from_xy(homes["home_lon"], homes["home_lat"]), crs="EPSG:4326").to_crs(
            crs
        )
        ax.scatter(pts.x, pts.y, s=28, c="black", marker="*", label="manager's home", zorder=5)
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_title(title)
    ax.set_axis_off()
    return fig
