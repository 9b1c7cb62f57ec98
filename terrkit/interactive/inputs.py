"""What the editor works on, built from a dataset: units with measures, the plan to start from, reps.

The unit table is the dataset's units (counties, ZIP points, or the mixed unit layer of
:mod:`terrkit.units`: counties, ZIP cells and named accounts) joined with the per-unit account, customer
and sales totals (:func:`terrkit.overview.unit_totals`) and the territory each unit starts in: the
dataset's current alignment, or a plan file in one of these formats:

- ``terrkit design``: ``unit_id, territory, is_center``;
- an alignment, e.g. the realignment's ``alignment.csv``: ``unit_id, territory_id, rep_id`` (and, on the
  unit layer, ``level, parent_id``); notebook 40's ``plans/compact_design.csv`` adds ``is_center``.

On a mixed unit layer a plan may also name counties (or ZIP codes): it maps down to the cells and named
accounts (:func:`terrkit.units.map_alignment_down`). :func:`layer_editor_inputs` builds the same layer as
the realignment notebook (60) and opens a plan on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit import overview
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.geo_adjacency import is_mixed_layer
from terrkit.interactive.state import EditorState
from terrkit.io import Dataset
from terrkit.io.validate import fail_rows

if TYPE_CHECKING:
    from terrkit.units import UnitLayer

#: Measures the editor shows by default (columns of :func:`terrkit.overview.unit_totals`).
DEFAULT_MEASURES = ("accounts", "customers", "sales")
START_COLUMN = "territory"
#: Columns of a mixed unit layer the editor keeps (levels, parents and counties of the units).
LAYER_INFO = ("level", "parent_id", "county_id")
#: Measures the realignment notebook (60) builds its unit layer for (the measures of its balance target).
LAYER_MEASURES = ("potential", "call_hours")
#: File the realignment notebook writes its recommended plan to.
RECOMMENDED_PLAN = "alignment.csv"
_LAYER_BOOKKEEPING = {"unit_id", "level", "parent_id", "county_id", "name", "state", "zip", "n_accounts"}
_TRUE = ("true", "1", "yes")


@dataclass
class EditorInputs:
    """Inputs of :class:`terrkit.interactive.TerritoryEditor`.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id``, ``name``, measure columns, ``territory`` (the starting plan) and ``geometry``
        (EPSG:4326 polygons or points); on a mixed unit layer also ``level``, ``parent_id`` and
        ``county_id`` (and ``county_name`` from :func:`layer_editor_inputs`).
    measures : list of str
        Measure columns.
    reps : pandas.DataFrame or None
        ``rep_id``, ``name``, ``lat``, ``lon``, ``territory`` (home bases drawn on the map).
    centers : dict
        Known center unit per territory (from a ``terrkit design`` file), else empty.
    source : str
        Where the starting plan came from (a file name, or "current alignment").
    """

    units: gpd.GeoDataFrame
    measures: list[str]
    reps: pd.DataFrame | None = None
    centers: dict[str, str] = field(default_factory=dict)
    source: str = "current alignment"

    @property
    def mixed(self) -> bool:
        """Whether the units are a mixed unit layer (they have ``level`` and ``parent_id``)."""
        return is_mixed_layer(self.units)

    def level_counts(self) -> dict[str, int]:
        """Units per level (``{"county": n}`` when the units are not a mixed layer)."""
        if not self.mixed:
            return {"county": len(self.units)}
        counts = self.units["level"].value_counts()
        return {level: int(counts.get(level, 0)) for level in ("county", "zip", "account")}

    def assignment_frame(self, state: EditorState) -> pd.DataFrame:
        """The plan of ``state`` as written to ``edited_alignment.csv`` (see :func:`assignment_frame`)."""
        return assignment_frame(state, self.units)


def _normalise_plan(plan: pd.DataFrame, name: str) -> pd.DataFrame:
    """Plan columns as stripped strings; ``territory`` from ``territory`` or ``territory_id``."""
    frame = plan.reset_index(drop=True).copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    if "unit_id" not in frame.columns:
        raise DataValidationError(
            name,
            "missing column; a plan has columns unit_id, territory, is_center (terrkit design) or "
            "unit_id, territory_id, rep_id (an alignment, e.g. the realignment's alignment.csv)",
            column="unit_id",
        )
    territory = "territory" if "territory" in frame.columns else "territory_id"
    if territory not in frame.columns:
        raise DataValidationError(
            name,
            "missing column; a plan has columns unit_id, territory, is_center (terrkit design) or "
            "unit_id, territory_id, rep_id (an alignment, e.g. the realignment's alignment.csv)",
            column="territory",
        )

    def text(col: str) -> pd.Series:
        values = frame[col]
        return values.astype(object).where(values.notna(), "").astype(str).str.strip()

    out = pd.DataFrame({"unit_id": text("unit_id"), "territory": text(territory)})
    out.attrs["territory_column"] = territory
    out["rep_id"] = text("rep_id") if "rep_id" in frame.columns else ""
    if "is_center" in frame.columns:
        flag = frame["is_center"]
        if pd.api.types.is_bool_dtype(flag):
            out["is_center"] = flag.fillna(False).astype(bool).to_numpy()
        else:
            out["is_center"] = text("is_center").str.lower().isin(_TRUE).to_numpy()
    else:
        out["is_center"] = False
    for col in LAYER_INFO[:2]:
        if col in frame.columns:
            out[col] = text(col)
    return out


def read_plan(
    path: str | os.PathLike | pd.DataFrame,
    unit_ids: pd.Series,
    *,
    layer: pd.DataFrame | None = None,
    zip_points: pd.DataFrame | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """Read a starting plan and give every unit its territory.

    Accepted formats: ``terrkit design`` (``unit_id, territory, is_center``) and alignments
    (``unit_id, territory_id, rep_id``, optionally ``level, parent_id`` and ``is_center``), as a CSV file
    or a DataFrame.

    Parameters
    ----------
    path : path or DataFrame
        The plan.
    unit_ids : pandas.Series
        Unit ids of the editor, in order.
    layer : DataFrame, optional
        The mixed unit layer the units are (``unit_id, level, parent_id, county_id, zip``). A plan that
        names counties or ZIP codes instead of the layer's units (and has no ``level`` column) is then
        mapped down to the layer with :func:`terrkit.units.map_alignment_down`.
    zip_points : DataFrame, optional
        ZIP points for mapping down (default: the bundled ones).
    name : str, optional
        Name of the plan in error messages (default: the file name, or "plan").

    Returns
    -------
    pandas.DataFrame
        One row per unit, in the order of ``unit_ids``: ``unit_id``, ``territory``, ``is_center`` and
        ``rep_id`` ("" where the plan names none).

    Raises
    ------
    DataValidationError
        Missing columns, unknown or duplicate unit ids (naming file, column, line and value), units
        without a territory.
    """
    if isinstance(path, pd.DataFrame):
        source = name or "plan"
        raw = path
    else:
        source = name or os.fspath(path)
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise DataValidationError(source, f"cannot read the plan ({exc})") from exc
    plan = _normalise_plan(raw, source)
    territory_col = plan.attrs["territory_column"]
    ids = pd.Series(unit_ids, dtype=object).astype(str).reset_index(drop=True)
    fail_rows(
        plan, source, "unit_id", plan["unit_id"].duplicated(), "duplicate unit id; each unit must appear once"
    )
    known = plan["unit_id"].isin(pd.Index(ids))
    mixed = layer is not None and is_mixed_layer(layer)
    map_down = mixed and not known.all() and "level" not in plan.columns
    if not map_down:
        if mixed:
            problem = (
                "unit id is not a unit of the unit layer (counties, zip:<zip> cells, acct:<id> named "
                "accounts); the plan was made on another layer: build the layer with the same measures "
                "and max_share as the plan"
            )
        else:
            problem = "unit id is not one of the dataset's units"
        fail_rows(plan, source, "unit_id", ~known, problem)
    fail_rows(plan, source, territory_col, plan["territory"] == "", "territory is missing", plan["territory"])
    centers = plan.loc[plan["is_center"] & known, ["unit_id", "territory"]]
    if map_down:
        from terrkit.units import map_alignment_down

        rows = plan[["unit_id", "territory", "rep_id"]].rename(columns={"territory": "territory_id"})
        mapped = map_alignment_down(layer, rows, zip_points=zip_points, source=source)
        mapped = mapped.rename(columns={"territory_id": "territory"})
        mapped["unit_id"] = mapped["unit_id"].astype(str)
        by_unit = mapped.set_index("unit_id")
        territory = by_unit["territory"].reindex(ids)
        rep = by_unit["rep_id"].reindex(ids)
        what = "unit has no territory in the plan: no row names it, its ZIP code or its county"
    else:
        by_unit = plan.set_index("unit_id")
        territory = by_unit["territory"].reindex(ids)
        rep = by_unit["rep_id"].reindex(ids)
        what = "unit has no territory in the plan (every unit must be assigned)"
    missing = territory.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            source, what, column="unit_id", value=ids[missing].iloc[0], more=int(missing.sum()) - 1
        )
    is_center = ids.isin(pd.Index(centers["unit_id"])).to_numpy()
    return pd.DataFrame(
        {
            "unit_id": ids.to_numpy(),
            "territory": territory.astype(str).to_numpy(),
            "is_center": is_center,
            "rep_id": rep.astype(object).where(rep.notna(), "").astype(str).to_numpy(),
        }
    )


def layer_measure_columns(units: pd.DataFrame) -> list[str]:
    """The balance measures a mixed unit layer carries (numeric columns other than its bookkeeping)."""
    if not is_mixed_layer(units):
        return []
    geometry = units.geometry.name if isinstance(units, gpd.GeoDataFrame) else "geometry"
    return [
        str(c)
        for c in units.columns
        if c not in _LAYER_BOOKKEEPING
        and c != geometry
        and pd.api.types.is_numeric_dtype(units[c])
        and not pd.api.types.is_bool_dtype(units[c])
    ]


def editor_inputs(
    dataset: Dataset,
    plan: str | os.PathLike | pd.DataFrame | None = None,
    year: int | None = None,
    *,
    measures: Sequence[str] | None = None,
    zip_points: pd.DataFrame | None = None,
) -> EditorInputs:
    """Units, measures, starting plan and reps of a dataset, ready for the editor.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`terrkit.io.load_dataset`), or one refined onto a mixed unit layer
        (:func:`terrkit.units.refine_dataset`): then the units are the layer's counties, ZIP cells and
        named accounts, with their ``level``, ``parent_id`` and ``county_id``.
    plan : path or DataFrame, optional
        Starting plan (see :func:`read_plan` for the formats); default the dataset's current alignment.
        On a mixed layer a plan by county maps down to the cells and named accounts.
    year : int, optional
        Sales year of the ``sales`` and ``customers`` measures (default: the last four quarters).
    measures : sequence of str, optional
        Measure columns: those of :func:`terrkit.overview.unit_totals` (``accounts``, ``customers``,
        ``sales``) and, on a mixed layer, the layer's own measures (e.g. ``potential``, ``call_hours``).
        Default: the layer's measures, then accounts, customers and sales.
    zip_points : DataFrame, optional
        ZIP points used to map a plan by ZIP code or county down to the layer (default: bundled).

    Raises
    ------
    DataValidationError
        A plan naming units that are not in the dataset's units (or the layer), or leaving a unit
        without a territory.
    """
    totals = overview.unit_totals(dataset, year=year)
    mixed = is_mixed_layer(dataset.units)
    extra = [m for m in layer_measure_columns(dataset.units) if m not in totals.columns]
    info = [c for c in LAYER_INFO if mixed and c in dataset.units.columns]
    base = ["unit_id", "name", *info, *extra, dataset.units.geometry.name]
    units = pd.DataFrame(dataset.units[base]).reset_index(drop=True)
    units["unit_id"] = units["unit_id"].astype(str)
    units = units.merge(totals.astype({"unit_id": str}), on="unit_id", how="left")
    available = [*extra, *DEFAULT_MEASURES]
    if measures is None:
        chosen = [m for m in available if m in units.columns]
    else:
        chosen = [str(m) for m in measures]
        unknown = [m for m in chosen if m not in available]
        if unknown:
            raise ConfigError(f"unknown measure {unknown[0]!r}; available: {', '.join(available)}")
    units[chosen] = units[chosen].fillna(0)
    centers: dict[str, str] = {}
    source = "current alignment"
    plan_reps: pd.Series | None = None
    if plan is None:
        start = dataset.alignment[["unit_id", "territory_id"]].rename(columns={"territory_id": START_COLUMN})
        start = start.astype({"unit_id": str})
    else:
        source = "plan" if isinstance(plan, pd.DataFrame) else os.fspath(plan)
        frame = read_plan(
            plan, units["unit_id"], layer=dataset.units if mixed else None, zip_points=zip_points, name=source
        )
        start = frame[["unit_id", "territory"]].rename(columns={"territory": START_COLUMN})
        flagged = frame[frame["is_center"]]
        centers = dict(zip(flagged["territory"].astype(str), flagged["unit_id"].astype(str), strict=True))
        given = frame[frame["rep_id"] != ""].drop_duplicates("rep_id")
        if len(given):
            plan_reps = given.set_index("rep_id")["territory"]
    units = units.merge(start, on="unit_id", how="left")
    if plan is None and units[START_COLUMN].isna().any():
        units[START_COLUMN], filled = _fill_current_gaps(dataset, units[START_COLUMN])
        source = f"current alignment ({filled:,} units without a territory given a neighbour's territory)"
    if units[START_COLUMN].isna().any():
        raise DataValidationError(
            "alignment",
            "unit has no territory (every unit must be assigned)",
            column="unit_id",
            value=units.loc[units[START_COLUMN].isna(), "unit_id"].iloc[0],
            more=int(units[START_COLUMN].isna().sum()) - 1,
        )
    units[START_COLUMN] = units[START_COLUMN].astype(str)
    units = gpd.GeoDataFrame(units, geometry=dataset.units.geometry.name, crs=dataset.units.crs)
    return EditorInputs(
        units=units,
        measures=chosen,
        reps=_rep_bases(dataset, plan_reps),
        centers=centers,
        source=source,
    )


def _fill_current_gaps(dataset: Dataset, territory: pd.Series) -> tuple[pd.Series, int]:
    """Today's territories with the units that have none filled from their borders, and how many were filled.

    A current alignment may leave units without a territory (a CRM import only knows the counties that
    hold accounts). The editor needs a complete plan to start from: each such unit takes the territory of
    the nearest assigned units, growing ring by ring (:func:`terrkit.design.problem.contiguity.fill_gaps`).
    """
    from terrkit.design.problem.contiguity import fill_gaps
    from terrkit.geo_adjacency import unit_graph

    names = pd.Index(pd.unique(territory.dropna()))
    labels = np.where(territory.isna(), -1, names.get_indexer(territory))
    adjacency, xy, _links = unit_graph(dataset.units)
    filled = fill_gaps(labels, adjacency, xy=xy)
    return pd.Series(names[filled], index=territory.index), int((labels < 0).sum())


def _rep_bases(dataset: Dataset, plan_reps: pd.Series | None) -> pd.DataFrame | None:
    """Rep home bases with the territory each rep serves (the plan's, else the current alignment's)."""
    if not len(dataset.reps):
        return None
    owner = dataset.alignment.dropna(subset=["rep_id"]).drop_duplicates("rep_id").set_index("rep_id")
    territory = dataset.reps["rep_id"].map(owner["territory_id"])
    if plan_reps is not None:
        territory = dataset.reps["rep_id"].astype(str).map(plan_reps).fillna(territory)
    return pd.DataFrame(
        {
            "rep_id": dataset.reps["rep_id"].astype(str),
            "name": dataset.reps["name"].fillna(dataset.reps["rep_id"]).astype(str)
            if "name" in dataset.reps
            else dataset.reps["rep_id"].astype(str),
            "lat": dataset.reps["home_lat"].astype(float),
            "lon": dataset.reps["home_lon"].astype(float),
            "territory": territory.fillna("").astype(str),
        }
    )


def starting_plan(
    plan: str | os.PathLike | None = "", output_dir: str | os.PathLike | None = ""
) -> Path | None:
    """The plan file the editor notebook opens.

    ``plan`` when it is given; otherwise the realignment notebook's recommended plan
    (``alignment.csv`` in ``output_dir``) when it exists; otherwise None (the current alignment).
    """
    if plan:
        return Path(plan)
    if output_dir:
        recommended = Path(output_dir) / RECOMMENDED_PLAN
        if recommended.is_file():
            return recommended
    return None


def layer_editor_inputs(
    dataset: Dataset,
    plan: str | os.PathLike | pd.DataFrame | None = None,
    *,
    layer_measures: Sequence[str] = LAYER_MEASURES,
    max_share: float = 0.2,
    k: int | None = None,
    period: str = "",
    year: int | None = None,
    measures: Sequence[str] | None = None,
    zip_points: pd.DataFrame | None = None,
) -> tuple[EditorInputs, UnitLayer]:
    """The editor on the mixed unit layer the realignment notebook (60) builds, and that layer.

    Potential and workload are scored as in the performance review (as of ``period``); counties holding
    more than ``max_share`` of a territory's share of a layer measure are split into ZIP cells and named
    accounts (:func:`terrkit.units.refine_dataset`), with ``k`` territories (default: the number of
    territories of the current alignment, as notebook 60). The same data and parameters give the same
    layer, so notebook 60's ``alignment.csv`` opens on it.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (not yet refined).
    plan : path or DataFrame, optional
        Starting plan (see :func:`read_plan`); default the current alignment mapped down to the layer.
    layer_measures : sequence of str, default ("potential", "call_hours")
        Measures the layer is built for (columns of
        :func:`terrkit.review.pipeline.score_accounts_for_review`).
    max_share : float, default 0.2
        Largest share of a territory's target one unit may hold.
    k : int, optional
        Number of territories the shares refer to.
    period : str, default ""
        Year ``YYYY`` or quarter ``YYYYQn`` the accounts are scored at; empty means the last full year.
    year, measures, zip_points
        As in :func:`editor_inputs`.

    Raises
    ------
    ConfigError
        An unknown layer measure, a bad ``max_share`` or ``period``.
    """
    from terrkit import review
    from terrkit.review.pipeline import score_accounts_for_review
    from terrkit.units import refine_dataset

    chosen = review.resolve_period(dataset.periods, period)
    scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, chosen)
    names = [str(m).strip() for m in layer_measures if str(m).strip()]
    scored = [c for c in scores.columns if c not in ("account_id", "segment")]
    unknown = [m for m in names if m not in scored]
    if unknown or not names:
        raise ConfigError(
            f"unknown layer measure {unknown[0]!r}; available: {', '.join(scored)}"
            if unknown
            else f"the unit layer needs at least one measure; available: {', '.join(scored)}"
        )
    k = int(k or dataset.alignment["territory_id"].nunique())
    layered, layer = refine_dataset(dataset, scores[names], k, max_share=max_share, zip_points=zip_points)
    inputs = editor_inputs(layered, plan, year, measures=measures, zip_points=zip_points)
    counties = dataset.units.assign(unit_id=dataset.units["unit_id"].astype(str)).set_index("unit_id")
    if "name" in counties.columns:
        label = counties["name"].astype(str)
        if "state" in counties.columns:
            label = label + ", " + counties["state"].astype(str)
        inputs.units["county_name"] = inputs.units["county_id"].astype(str).map(label).to_numpy()
    return inputs, layer


def assignment_frame(state: EditorState, units: pd.DataFrame, id_col: str = "unit_id") -> pd.DataFrame:
    """The plan of ``state`` as the editor saves it.

    ``unit_id, territory_id, is_center`` (named as in every alignment file); on a mixed unit layer with
    each unit's ``level`` and ``parent_id`` after its id, so the file is a county rule with its ZIP-cell and
    named-account exceptions, like the realignment's ``alignment.csv``.
    """
    frame = state.to_assignment_frame(id_col).rename(columns={"territory": "territory_id"})
    if not is_mixed_layer(units):
        return frame
    info = pd.DataFrame(
        {
            "level": units["level"].to_numpy(object),
            "parent_id": units["parent_id"].to_numpy(object),
        },
        index=units[id_col].astype(str).to_numpy(),
    ).reindex(frame[id_col].astype(str))
    frame.insert(1, "level", info["level"].to_numpy(object))
    frame.insert(2, "parent_id", info["parent_id"].to_numpy(object))
    return frame


def natural_key(name: str) -> tuple:
    """Sort key that puts ``T2`` before ``T10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(name)))


def unit_graph(units: gpd.GeoDataFrame) -> tuple[Any, np.ndarray]:
    """Unit adjacency (islands linked, as the design engine does) and planar coordinates in km.

    On a mixed unit layer (``level`` and ``parent_id`` columns) this is the layer adjacency: shared
    borders between counties and ZIP cells, named accounts linked to their parent and its neighbours.
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
