"""Exact models and solver selection.

- :mod:`~terrkit.design.exact.mip`: the p-median / capacitated MIP with balance rows, contiguity flow and
  disruption constraints, built with PuLP;
- :mod:`~terrkit.design.exact.solvers`: which solver runs (HiGHS, CBC, the heuristic), its status, bound
  and gap, and the solve entry point :func:`~terrkit.design.exact.solvers.solve_problem`.
"""
