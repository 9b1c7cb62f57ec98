"""Static figures of the performance review and the realignment (matplotlib; maps in EPSG:5070)."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from terrkit import viz
from terrkit.geo import equal_area_of
from terrkit.review.balance import gini, lorenz_curve
from terrkit.review.compactness import dissolve_territories


def lorenz_chart(
    measures: Mapping[str, pd.Series], title: str = "Lorenz curves across territories"
) -> Figure:
    """Lorenz curves of several measures (one value per territory), with their Gini in the legend."""
    fig, ax = plt.subplots(figsize=(6, 5.5), layout="constrained")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect balance")
    for name, values in measures.items():
        curve = lorenz_curve(values)
        ax.plot(
            curve["share_of_territories"],
            curve["share_of_measure"],
            lw=1.8,
            label=f"{name} (Gini {gini(values):.2f})",
        )
    ax.set_xlabel("share of territories (smallest first)")
    ax.set_ylabel("share of the measure")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    return fig


def ranking_chart(
    values: pd.Series,
    *,
    threshold: float | None,
    title: str,
    xlabel: str,
    flag_below: bool = True,
    percent: bool = True,
) -> Figure:
    """Horizontal bars of every territory (or rep), sorted, flagged bars in red, the threshold as a line."""
    shown = values.astype(float).sort_values(ascending=True)
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(shown) + 1.4), layout="constrained")
    flagged = (
        (shown < threshold)
        if (threshold is not None and flag_below)
        else ((shown > threshold) if threshold is not None else pd.Series(False, index=shown.index))
    )
    colors = np.where(flagged, "#d62728", "#2b7bba")
    ax.barh(shown.index.astype(str), shown.to_numpy(), color=colors)
    if threshold is not None:
        ax.axvline(
            threshold,
            color="black",
            ls="--",
            lw=1,
            label=f"flag {'below' if flag_below else 'above'} {threshold:.0%}" if percent else None,
        )
        ax.legend(loc="lower right", fontsize=8)
    if percent:
        ax.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return fig


def territory_map(
    units: gpd.GeoDataFrame,
    unit_territory: pd.Series,
    values: pd.Series,
    *,
    title: str,
    legend: str,
    points: pd.DataFrame | None = None,
    bins: list[float] | None = None,
    highlight: list | None = None,
) -> Figure:
    """Map a value per territory (drawn on its units), with territory borders and optional points.

    Parameters
    ----------
    unit_territory : pandas.Series
        Territory per unit, indexed by ``unit_id``.
    values : pandas.Series
        Value per territory.
    highlight : list, optional
        Territories to outline in red (e.g. flagged ones).
    """
    per_unit = unit_territory.map(values)
    fig = viz.choropleth(units, per_unit, title=title, legend=legend, points=points, bins=bins)
    ax = fig.axes[0]
    shapes = dissolve_territories(units, unit_territory)
    shapes.boundary.plot(ax=ax, color="#333333", linewidth=0.5)
    if highlight:
        shapes[shapes.index.isin(highlight)].boundary.plot(ax=ax, color="#d62728", linewidth=1.4)
    return fig


def moves_map(
    units: gpd.GeoDataFrame,
    proposed_territory: pd.Series,
    moved: pd.Series,
    *,
    title: str = "Units that change rep (proposal borders)",
) -> Figure:
    """Units whose rep changes in orange, the others grey, with the proposed territory borders.

    Parameters
    ----------
    proposed_territory : pandas.Series
        Proposed territory per unit (by ``unit_id``).
    moved : pandas.Series
        Boolean per unit (by ``unit_id``): its rep changes.
    """
    fig, ax = plt.subplots(figsize=(11, 6.5), layout="constrained")
    frame = units[["unit_id", "geometry"]].to_crs(equal_area_of(units.geometry))
    flag = frame["unit_id"].map(moved).fillna(False).astype(bool)
    frame[~flag].plot(ax=ax, color="#e6e6e6", linewidth=0.05, edgecolor="#bbbbbb")
    if flag.any():
        frame[flag].plot(ax=ax, color="#ff7f0e", linewidth=0.05, edgecolor="#bbbbbb")
    dissolve_territories(units, proposed_territory).boundary.plot(ax=ax, color="#333333", linewidth=0.6)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="#ff7f0e", label=f"changes rep ({int(flag.sum())} units)"),
        plt.Rectangle((0, 0), 1, 1, color="#e6e6e6", ec="#bbbbbb", label="keeps its rep"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title(title)
    ax.set_axis_off()
    return fig


def movement_chart(
    movement: pd.DataFrame, top: int = 25, title: str = "Revenue gained and lost per rep"
) -> Figure:
    """Revenue gained (right) and lost (left) per rep, the reps with the most movement."""
    frame = movement.assign(total=movement["revenue_gained"] + movement["revenue_lost"])
    frame = frame.sort_values("total", ascending=False).head(top)[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.25 * len(frame) + 1.4), layout="constrained")
    y = frame.index.astype(str)
    ax.barh(y, frame["revenue_gained"], color="#2ca02c", label="gained")
    ax.barh(y, -frame["revenue_lost"], color="#d62728", label="lost")
    ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(lambda v, _p: viz._thousands(abs(v)))
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("revenue (last period's sales)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    return fig


def front_chart(
    plans: pd.DataFrame,
    chosen: object | None = None,
    *,
    title: str = "Travel against disruption: one least-disruption plan per balance tolerance",
) -> Figure:
    """Call-weighted travel (y) against the share of revenue that changes rep (x), one dot per plan.

    Parameters
    ----------
    plans : pandas.DataFrame
        One row per plan (index = plan key) with ``revenue_moved_share``, ``travel_km`` and ``label``; the row
        ``current`` (today) is drawn as a reference line.
    chosen : object, optional
        Index of the recommended plan (starred).
    """
    ok = plans.dropna(subset=["revenue_moved_share", "travel_km"])
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    today = ok.loc["current"] if "current" in ok.index else None
    rest = ok.drop(index="current", errors="ignore").sort_values("revenue_moved_share")
    ax.plot(rest["revenue_moved_share"], rest["travel_km"], "-o", color="#1f77b4", zorder=3, label="plans")
    for key, row in rest.iterrows():
        ax.annotate(str(row.get("label", key)), (row["revenue_moved_share"], row["travel_km"]),
                    textcoords="offset points", xytext=(6, 4), fontsize=8)  # fmt: skip
    if today is not None:
        ax.axhline(today["travel_km"], color="grey", ls="--", lw=1,
                   label=f"today: {today['travel_km']:,.0f} km")  # fmt: skip
    if chosen is not None and chosen in rest.index:
        star = rest.loc[[chosen]]
        ax.scatter(star["revenue_moved_share"], star["travel_km"], marker="*", s=420, facecolor="none",
                   edgecolor="#d62728", linewidth=1.8, zorder=4, label="recommended")  # fmt: skip
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.yaxis.set_major_formatter(lambda v, _p: viz._thousands(v))
    ax.set_xlabel("disruption: share of revenue that changes rep")
    ax.set_ylabel("travel: call-weighted mean km to the rep's home")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title)
    return fig
