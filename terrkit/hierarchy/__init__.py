"""Sales hierarchies: regions > districts > territories, designed top-down or grouped bottom-up.

>>> from terrkit import hierarchy
>>> plan = hierarchy.design_hierarchy(units, "region=4,district=12", k=49)  # doctest: +SKIP
>>> plan.summary()  # every level: status, tolerance, largest deviation  # doctest: +SKIP
>>> grouped = hierarchy.group_territories(units, current_territory, "region=4,district=12")  # doctest: +SKIP
>>> tables = hierarchy.rollup(review.territories, grouped.hierarchy)  # KPIs per level  # doctest: +SKIP

Modules: :mod:`~terrkit.hierarchy.levels` (levels, tolerances and counts), :mod:`~terrkit.hierarchy.tree`
(the tree and the ``district_id``/``region_id`` columns of an alignment), :mod:`~terrkit.hierarchy.design`
(top-down and bottom-up with the design engine), :mod:`~terrkit.hierarchy.layer` (on a unit layer, and the
cost of nesting), :mod:`~terrkit.hierarchy.rollup` (KPIs and balance per level),
:mod:`~terrkit.hierarchy.managers` (managers and their homes), :mod:`~terrkit.hierarchy.maps` (the map) and
:mod:`~terrkit.hierarchy.command` (``terrkit design --levels``).
"""

from terrkit.hierarchy.design import LevelOutcome, NestedPlan, design_top_down, group_bottom_up
from terrkit.hierarchy.layer import (
    PlanHierarchy,
    design_hierarchy,
    flat_problem,
    group_territories,
    hierarchy_of_plan,
    nested_rollup,
    nesting_comparison,
    nesting_cost,
)
from terrkit.hierarchy.levels import (
    Level,
    build_levels,
    fit_levels,
    largest_remainder,
    parse_levels,
    plan_counts,
    plural,
)
from terrkit.hierarchy.managers import MANAGERS_FILE, manager_distance, manager_homes, read_managers
from terrkit.hierarchy.maps import hierarchy_map
from terrkit.hierarchy.rollup import level_balance, levels_table, rollup
from terrkit.hierarchy.tree import Hierarchy

__all__ = [
    "MANAGERS_FILE",
    "Hierarchy",
    "Level",
    "LevelOutcome",
    "NestedPlan",
    "PlanHierarchy",
    "build_levels",
    "design_hierarchy",
    "design_top_down",
    "fit_levels",
    "flat_problem",
    "group_bottom_up",
    "group_territories",
    "hierarchy_of_plan",
    "hierarchy_map",
    "largest_remainder",
    "level_balance",
    "levels_table",
    "manager_distance",
    "manager_homes",
    "nested_rollup",
    "nesting_comparison",
    "nesting_cost",
    "parse_levels",
    "plan_counts",
    "plural",
    "read_managers",
    "rollup",
]
