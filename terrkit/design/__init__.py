"""Territory design engine: problem definition, exact models, heuristics and solver selection.

>>> from terrkit.design import TerritoryDesignProblem
>>> problem = TerritoryDesignProblem.from_geodataframe(units, 49, id="unit_id",
...                                                    balance={"potential": 0.05}, contiguous=True)
>>> result = problem.solve(solver="highs", time_limit=60)
>>> result.labels, result.status, result.summary_dict()
"""

from terrkit.design.exact.solvers import SOLVERS
from terrkit.design.problem import (
    Balance,
    DesignData,
    DesignResult,
    TerritoryDesignProblem,
    compare_results,
    evaluate_alignment,
    parse_balance_spec,
    plot_design,
)

__all__ = [
    "SOLVERS",
    "Balance",
    "DesignData",
    "DesignResult",
    "TerritoryDesignProblem",
    "compare_results",
    "evaluate_alignment",
    "parse_balance_spec",
    "plot_design",
]
