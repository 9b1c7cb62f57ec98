"""What the editor works on, built from a dataset: units with measures, the plan to start from, reps.

The unit table is the county (or ZIP point) geometry joined with the per-unit account, customer and
sales totals (:func:`terrkit.overview.unit_totals`) and the territory each unit starts in: the dataset's
current alignment, or a plan written by ``terrkit design`` (columns ``unit_id, territory, is_center``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit import overview
from terrkit.exceptions import DataValidationError
from terrkit.interactive.state import EditorState
from terrkit.io import Dataset
from terrkit.io.validate import fail_rows

#: Measures the editor shows by default (columns of :func:`terrkit.overview.unit_totals`).
DEFAULT_MEASURES = ("accounts", "customers", "sales")
START_COLUMN = "territory"


@dataclass
class EditorInputs:
    """Inputs of :class:`terrkit.interactive.TerritoryEditor`.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id``, ``name``, measure columns, ``territory`` (the starting plan) and ``geometry``
        (EPSG:4326 polygons or points).
    measures : list of str
        Measure columns.
    reps : pandas.DataFrame or None
        ``rep_id``, ``name``, ``lat``, ``lon``, ``territory`` (home bases drawn on the map).
    centers : dict
        Known center unit per territory (from a ``terrkit design`` file), else empty.
    """

    units: gpd.GeoDataFrame
    measures: list[str]
    reps: pd.DataFrame | None = None
    centers: dict[str, str] = field(default_factory=dict)


def read_plan(path: str | os.PathLike, unit_ids: pd.Series) -> pd.DataFrame:
    """Read a plan in the ``terrkit design`` format (``unit_id, territory, is_center``).

    Raises
    ------
    DataValidationError
        Missing columns, unknown or duplicate unit ids, units without a territory.
    """
    name = os.fspath(path)
    try:
        plan = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(name, f"cannot read the plan ({exc})") from exc
    for col in ("unit_id", "territory"):
        if col not in plan.columns:
            raise DataValidationError(
                name, "missing column; a plan has columns unit_id, territory, is_center", column=col
            )
    plan["unit_id"] = plan["unit_id"].str.strip()
    fail_rows(
        plan, name, "unit_id", plan["unit_id"].duplicated(), "duplicate unit id; each unit must appear once"
    )
    fail_rows(
        plan, name, "unit_id", ~plan["unit_id"].isin(unit_ids), "unit id is not one of the dataset's units"
    )
    fail_rows(plan, name, "territory", plan["territory"].str.strip() == "", "territory is missing")
    missing = ~unit_ids.isin(plan["unit_id"])
    if missing.any():
        raise DataValidationError(
            name,
            "unit has no territory in the plan (every unit must be assigned)",
            column="unit_id",
            value=unit_ids[missing].iloc[0],
            more=int(missing.sum()) - 1,
        )
    if "is_center" not in plan.columns:
        plan["is_center"] = "False"
    plan["is_center"] = plan["is_center"].str.strip().str.lower().isin(("true", "1", "yes"))
    return plan[["unit_id", "territory", "is_center"]]


def editor_inputs(
    dataset: Dataset, plan: str | os.PathLike | pd.DataFrame | None = None, year: int | None = None
) -> EditorInputs:
    """Units, measures, starting plan and reps of a dataset, ready for the editor.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`terrkit.io.load_dataset`).
    plan : path or DataFrame, optional
        Starting plan in the ``terrkit design`` format; default the dataset's current alignment.
    year : int, optional
        Sales year of the ``sales`` and ``customers`` measures (default: the last one).
    """
    totals = overview.unit_totals(dataset, year=year)
    units = dataset.units[["unit_id", "name", "geometry"]].merge(totals, on="unit_id", how="left")
    measures = [m for m in DEFAULT_MEASURES if m in units.columns]
    units[measures] = units[measures].fillna(0)
    centers: dict[str, str] = {}
    if plan is None:
        start = dataset.alignment[["unit_id", "territory_id"]].rename(columns={"territory_id": START_COLUMN})
    else:
        frame = read_plan(plan, units["unit_id"]) if not isinstance(plan, pd.DataFrame) else plan
        start = frame[["unit_id", "territory"]].rename(columns={"territory": START_COLUMN})
        if "is_center" in frame.columns:
            flagged = frame[frame["is_center"].astype(bool)]
            centers = dict(zip(flagged["territory"].astype(str), flagged["unit_id"].astype(str), strict=True))
    units = units.merge(start, on="unit_id", how="left")
    if units[START_COLUMN].isna().any():
        raise DataValidationError(
            "alignment",
            "unit has no territory (every unit must be assigned)",
            column="unit_id",
            value=units.loc[units[START_COLUMN].isna(), "unit_id"].iloc[0],
            more=int(units[START_COLUMN].isna().sum()) - 1,
        )
    units[START_COLUMN] = units[START_COLUMN].astype(str)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=dataset.units.crs)
    reps = None
    if len(dataset.reps):
        owner = dataset.alignment.dropna(subset=["rep_id"]).drop_duplicates("rep_id").set_index("rep_id")
        reps = pd.DataFrame(
            {
                "rep_id": dataset.reps["rep_id"].astype(str),
                "name": dataset.reps["name"].fillna(dataset.reps["rep_id"]).astype(str)
                if "name" in dataset.reps
                else dataset.reps["rep_id"].astype(str),
                "lat": dataset.reps["home_lat"].astype(float),
                "lon": dataset.reps["home_lon"].astype(float),
                "territory": dataset.reps["rep_id"].map(owner["territory_id"]).fillna("").astype(str),
            }
        )
    return EditorInputs(units=units, measures=measures, reps=reps, centers=centers)


def natural_key(name: str) -> tuple:
    """Sort key that puts ``T2`` before ``T10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(name)))


def unit_graph(units: gpd.GeoDataFrame) -> tuple[Any, np.ndarray]:
    """Unit adjacency (islands linked, as the design engine does) and planar coordinates in km.

    See :func:`terrkit.geo_adjacency.unit_graph`.
    """
    from terrkit.geo_adjacency import unit_graph as linked_graph

    adjacency, xy, _links = linked_graph(units)
    return adjacency, xy


def start_state(
    units: gpd.GeoDataFrame,
    measures: list[str],
    *,
    territory: str = START_COLUMN,
    id_col: str = "unit_id",
    balance: str | None = None,
    tolerance: float = 0.1,
    centers: Mapping[str, str] | None = None,
    adjacency: Any = None,
    xy: np.ndarray | None = None,
) -> EditorState:
    """The editor's state on a unit table: territories in natural order, every measure a balance measure,
    moved shares weighted by ``balance`` (default the first measure), contiguity on the unit graph."""
    if adjacency is None or xy is None:
        adjacency, xy = unit_graph(units)
    start = units[territory].astype(str)
    territories = sorted(start.unique(), key=natural_key)
    return EditorState(
        units[id_col].astype(str),
        territories,
        start,
        units[list(measures)],
        adjacency=adjacency,
        tolerance=tolerance,
        moved_measure=balance or measures[0],
        xy=xy,
        centers=centers,
    )
