"""Static (matplotlib) picture of a plan, for headless report runs of the editor notebook.

Same colours as the interactive map; drawn in US Albers (EPSG:5070) like :mod:`terrkit.viz`.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from terrkit.geo import US_ALBERS


def plan_map(
    units: gpd.GeoDataFrame,
    labels: pd.Series,
    colors: Mapping[str, str],
    *,
    id_col: str = "unit_id",
    reps: pd.DataFrame | None = None,
    locked: pd.Series | None = None,
    title: str = "Territories",
) -> Figure:
    """Units coloured by territory, territory borders drawn darker, rep home bases as red dots.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit geometry with an id column.
    labels : pandas.Series
        Territory per unit id.
    colors : mapping territory -> colour
    reps : DataFrame, optional
        ``lat``/``lon`` of rep home bases.
    locked : pandas.Series of bool, optional
        Locked units (by unit id), hatched.
    """
    frame = units[[id_col, "geometry"]].copy()
    frame["territory"] = frame[id_col].astype(str).map(labels.rename(index=str))
    frame = frame.to_crs(US_ALBERS)
    fig, ax = plt.subplots(figsize=(11, 6.5), layout="constrained")
    points = bool((frame.geom_type == "Point").all())
    fill = frame["territory"].map(colors).fillna("#cccccc")
    if points:
        frame.plot(ax=ax, color=fill, markersize=4)
    else:
        frame.plot(ax=ax, color=fill, linewidth=0.1, edgecolor="white")
        frame.dissolve("territory").boundary.plot(ax=ax, color="#333333", linewidth=0.5)
    if locked is not None and locked.any():
        mask = frame[id_col].astype(str).isin(locked[locked.astype(bool)].index.astype(str))
        frame[mask].plot(ax=ax, facecolor="none", edgecolor="black", hatch="///", linewidth=0.3)
    if reps is not None and len(reps):
        xy = gpd.GeoSeries(gpd.points_from_xy(reps["lon"], reps["lat"]), crs="EPSG:4326").to_crs(US_ALBERS)
        ax.scatter(
            xy.x,
            xy.y,
            s=18,
            color="#d62728",
            edgecolor="white",
            linewidth=0.6,
            zorder=5,
            label="rep home base",
        )
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title)
    ax.set_axis_off()
    return fig
