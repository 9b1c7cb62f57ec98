"""Nested alignments of a unit layer (a GeoDataFrame with measures), and what nesting costs.

The layer is the one the realignment and the design notebook use (:func:`terrkit.units.refine_dataset`,
:func:`terrkit.realign.units_for_design`): ``unit_id``, ``level``, ``parent_id``, geometry and the measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from terrkit.design.problem.definition import TerritoryDesignProblem, evaluate_alignment
from terrkit.design.problem.result import compare_results
from terrkit.exceptions import ConfigError
from terrkit.hierarchy.design import NestedPlan, design_top_down, group_bottom_up
from terrkit.hierarchy.levels import build_levels, fit_levels, plural
from terrkit.hierarchy.rollup import rollup
from terrkit.hierarchy.tree import Hierarchy

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


def _evaluate(problem: TerritoryDesignProblem, labels: pd.Series, method: str):
    """:func:`terrkit.design.evaluate_alignment` of a plan whose territories are named otherwise than the
    problem's: each territory takes one of the problem's names (in order of its first unit), so every
    territory is measured against its own band."""
    lab = pd.Series(labels)
    codes, _ = pd.factorize(lab)
    names = list(problem.territory_names)
    if codes.max() + 1 != len(names):
        raise ConfigError(
            f"the {method} has {codes.max() + 1} territories, not the {len(names)} of the problem"
        )
    coded = pd.Series(np.asarray(names, dtype=object)[codes], index=lab.index)
    return evaluate_alignment(problem, coded, method)


def nesting_comparison(
    problem: TerritoryDesignProblem, nested: NestedPlan, flat_labels: pd.Series
) -> pd.DataFrame:
    """The flat and the nested plan measured the same way (:func:`terrkit.design.compare_results`): the
    objective with each territory's best 1-median as its center, the largest deviation of every balanced
    measure, contiguity and status; rows ``flat`` and ``nested``."""
    return compare_results({
        "flat": _evaluate(problem, flat_labels, "flat plan"),
        "nested": _evaluate(problem, nested.labels["territory_id"], "nested plan"),
    })  # fmt: skip


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
    table = nesting_comparison(problem, nested, flat_labels)
    nested_obj, flat_obj = float(table.at["nested", "objective"]), float(table.at["flat", "objective"])
    extra = nested_obj / flat_obj - 1 if flat_obj else np.nan
    return {"nested": nested_obj, "flat": flat_obj, "extra": float(extra)}


def nested_rollup(units: pd.DataFrame, plan: NestedPlan, measures: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The units' ``measures`` summed per territory of ``plan`` and rolled up to every level
    (:func:`terrkit.hierarchy.rollup`, balance of each measure per territory at every level).

    Parameters
    ----------
    units : pandas.DataFrame
        ``unit_id`` and the measure columns (the layer the plan was designed on).
    plan : NestedPlan
    measures : sequence of str
        Columns of ``units`` to add up.
    """
    values = units.set_index(units["unit_id"].astype(str))[list(measures)]
    territory = plan.labels["territory_id"].reindex(values.index)
    totals = values.groupby(territory.to_numpy()).sum()
    totals.index.name = "territory_id"
    return rollup(totals, plan.hierarchy, measures=list(measures))


@dataclass
class PlanHierarchy:
    """The districts and regions of a plan's territories, and where they come from.

    Attributes
    ----------
    tree : Hierarchy or None
        None when no hierarchy was asked for.
    grouped : NestedPlan or None
        The bottom-up grouping, when the territories were grouped (its :meth:`NestedPlan.summary` says
        each level's status and the tolerance reached).
    source : str
        One sentence: the given parent columns, or the grouping and why.
    """

    tree: Hierarchy | None
    grouped: NestedPlan | None
    source: str


def hierarchy_of_plan(
    units: gpd.GeoDataFrame,
    territory: pd.Series,
    levels: str | Mapping[str, int],
    *,
    given: Hierarchy | None = None,
    balance: Mapping[str, float] | None = None,
    seed: int = 0,
    time_limit: float = 5.0,
) -> PlanHierarchy:
    """The hierarchy of a plan (``territory``: territory id per unit id), as notebook 80 takes it.

    Empty ``levels``: no hierarchy. Else the ``given`` tree (the parent columns of the alignment in force,
    :meth:`Hierarchy.from_alignment`) when it holds every territory of the plan, cut to them; else the
    plan's territories grouped bottom-up into ``levels`` (:func:`group_territories`; a level never holds
    more nodes than there are territories, :func:`~terrkit.hierarchy.levels.fit_levels`).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The unit layer with the measures of ``balance`` and ``call_hours`` (the grouping's weight).
    balance : mapping {measure: tolerance}, optional
        The territories' tolerances, scaled down for the levels above (default: :data:`DEFAULT_BALANCE`).
    time_limit : float, default 5
        Seconds (planned as work) for the grouping.
    """
    if not levels:
        return PlanHierarchy(None, None, "no hierarchy (levels is empty)")
    plan_ids = set(pd.Series(territory).dropna().astype(str))
    note = ""
    if given is not None:
        held = set(given.tree["territory_id"])
        missing = sorted(plan_ids - held)
        if not missing:
            tree = Hierarchy(given.tree[given.tree["territory_id"].isin(plan_ids)].reset_index(drop=True),
                             list(given.levels))  # fmt: skip
            tree.check("the parent columns of the alignment in force")
            names = " and ".join(plural(n) for n in tree.levels)
            return PlanHierarchy(
                tree, None, f"the {names} given by the parent columns of the alignment in force"
            )
        note = (
            f"the parent columns of the alignment in force lack {len(missing)} of the plan's territories "
            f"({', '.join(missing[:3])}); "
        )
    fitted = dict(fit_levels(levels, len(plan_ids)))
    grouped = group_territories(units, territory, fitted, balance=balance, seed=seed, time_limit=time_limit)
    counts = " > ".join(f"{n} {plural(name)}" for name, n in fitted.items())
    return PlanHierarchy(
        grouped.hierarchy,
        grouped,
        f"{note}the plan's {len(plan_ids)} territories grouped bottom-up into {counts}",
    )
