"""Nested alignments of a unit layer (a GeoDataFrame with measures), and what nesting costs.

The layer is the one the realignment and the design notebook use (:func:`terrkit.units.refine_dataset`,
:func:`terrkit.realign.units_for_design`): ``unit_id``, ``level``, ``parent_id``, geometry and the measures.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.design.problem.definition import TerritoryDesignProblem, evaluate_alignment
from terrkit.hierarchy.design import NestedPlan, design_top_down, group_bottom_up
from terrkit.hierarchy.levels import build_levels

#: Default territory balance, as in the design notebook and ``terrkit design``.
DEFAULT_BALANCE = {"potential": 0.05, "call_hours": 0.10}


def flat_problem(
    units: gpd.GeoDataFrame,
    k: int,
    balance: Mapping[str, float] | None = None,
    *,
    weight: str | None = "call_hours",
    contiguous: bool = True,
) -> TerritoryDesignProblem:
    """The flat problem of ``k`` territories on the layer (as the design notebook builds it)."""
    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    cols = [c for c in ("unit_id", "level", "parent_id") if c in units.columns]
    measures = list(dict.fromkeys([*balance, *([weight] if weight else [])]))
    frame = units[[*cols, "geometry", *measures]]
    return TerritoryDesignProblem.from_geodataframe(
        frame, k, id="unit_id", balance=balance, weight=weight, contiguous=contiguous
    )


def design_hierarchy(
    units: gpd.GeoDataFrame,
    levels: str | Mapping[str, int],
    k: int,
    *,
    balance: Mapping[str, float] | None = None,
    level_balance: Mapping[str, Mapping[str, float]] | None = None,
    weight: str | None = "call_hours",
    contiguous: bool = True,
    time_limit: float = 150.0,
    seed: int = 0,
) -> NestedPlan:
    """Design ``levels`` (e.g. ``"region=4,district=12"``) over ``k`` territories top-down.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The unit layer with the measures.
    balance : mapping {measure: tolerance}, optional
        The territories' tolerances (default :data:`DEFAULT_BALANCE`).
    level_balance : mapping {level: {measure: tolerance}}, optional
        An upper level's tolerances (default 60% of the territories', e.g. regions ±3% potential).
    weight : str, optional
        The objective's weight (default call hours: compact where the visits are).
    time_limit : float, default 150
        Seconds for the whole hierarchy.
    """
    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    problem = flat_problem(units, k, balance, weight=weight, contiguous=contiguous)
    plan_levels = build_levels(levels, k, balance, level_balance)
    return design_top_down(problem, plan_levels, time_limit=time_limit, seed=seed)


def group_territories(
    units: gpd.GeoDataFrame,
    territory: pd.Series,
    levels: str | Mapping[str, int],
    *,
    balance: Mapping[str, float] | None = None,
    level_balance: Mapping[str, Mapping[str, float]] | None = None,
    weight: str | None = "call_hours",
    contiguous: bool = True,
    time_limit: float = 30.0,
    seed: int = 0,
) -> NestedPlan:
    """Group existing territories (``territory``: territory id per unit id) into ``levels``, bottom-up."""
    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    k = int(pd.Series(territory).nunique())
    problem = flat_problem(units, k, balance, weight=weight, contiguous=contiguous)
    plan_levels = build_levels(levels, k, balance, level_balance)
    return group_bottom_up(problem, territory, plan_levels, time_limit=time_limit, seed=seed)


def nesting_cost(
    problem: TerritoryDesignProblem, nested: NestedPlan, flat_labels: pd.Series
) -> dict[str, float]:
    """The objective (weighted distance to each territory's best center) of the nested and the flat plan.

    Both are measured the same way (:func:`terrkit.design.evaluate_alignment`: each territory's
    center is its 1-median), so the difference is what the nesting costs.

    Returns
    -------
    dict
        ``nested``, ``flat``, ``extra`` (``nested / flat - 1``).
    """
    nested_eval = evaluate_alignment(problem, nested.labels["territory_id"], "nested plan")
    flat_eval = evaluate_alignment(problem, flat_labels, "flat plan")
    extra = nested_eval.objective / flat_eval.objective - 1 if flat_eval.objective else np.nan
    return {"nested": float(nested_eval.objective), "flat": float(flat_eval.objective), "extra": float(extra)}
