"""Territory design engine: problem definition, exact models, heuristics and solver selection.

The path from problem to plan:

- :mod:`terrkit.design.problem`: the problem (:class:`TerritoryDesignProblem`, its array form
  :class:`DesignData`), the result (:class:`DesignResult`, with the post-solve checks) and the graph
  operations every solver shares;
- :mod:`terrkit.design.checks`: the checks that run before solving and prove an instance infeasible, with an
  exact confirmation of their dead ends;
- :mod:`terrkit.design.exact`: the MIP models and solver selection
  (:meth:`TerritoryDesignProblem.solve` calls :func:`~terrkit.design.exact.solvers.solve_problem`);
- :mod:`terrkit.design.heuristic`: the large-instance heuristic, its steps in reading order, and the work
  budget that makes it reproducible;
- :mod:`terrkit.design.cli`: ``terrkit design``.

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
