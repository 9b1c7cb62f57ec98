"""The territory design problem and its result.

- :mod:`~terrkit.design.problem.definition`: :class:`TerritoryDesignProblem` (units, balance measures,
  contiguity, centers, current alignment) and its array form :class:`DesignData`;
- :mod:`~terrkit.design.problem.result`: :class:`DesignResult` (labels, status, objective, bound, gap,
  KPIs) and the post-solve requirement checks;
- :mod:`~terrkit.design.problem.contiguity`: the graph operations every solver shares (pieces, repairs,
  gap fill).
"""

from terrkit.design.problem.definition import (
    Balance,
    DesignData,
    TerritoryDesignProblem,
    evaluate_alignment,
    parse_balance_spec,
    project_lonlat_km,
)
from terrkit.design.problem.result import DesignResult, compare_results, plot_design

__all__ = [
    "Balance",
    "DesignData",
    "DesignResult",
    "TerritoryDesignProblem",
    "compare_results",
    "evaluate_alignment",
    "parse_balance_spec",
    "plot_design",
    "project_lonlat_km",
]
