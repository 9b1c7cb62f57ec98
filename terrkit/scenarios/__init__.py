"""Mid-year scenarios: one call per event, each a plan that moves as little as possible.

>>> from terrkit.io import load_dataset
>>> from terrkit import scenarios
>>> base = scenarios.prepare_baseline(load_dataset(None), in_force="reports/run")  # doctest: +SKIP
>>> result = scenarios.rep_leaves(base, "R010")  # doctest: +SKIP
>>> result.summary, result.changes, result.comparison, result.moved  # doctest: +SKIP
>>> scenarios.write_scenario(result, "out/rep-leaves", base)  # doctest: +SKIP

Events: :func:`rep_leaves` (split the territory or hold it as a vacancy), :func:`rep_joins`,
:func:`capacity_change` and :func:`reassign_accounts` (with :func:`merger`). Each returns a
:class:`ScenarioResult` whose ``plan`` is a :class:`terrkit.realign.Realignment`, so the change files are
the realignment's. Modules: :mod:`~terrkit.scenarios.baseline` (the alignment in force),
:mod:`~terrkit.scenarios.books` (workload and bands), :mod:`~terrkit.scenarios.problem` (an event as a
design problem), :mod:`~terrkit.scenarios.staged` (least disruption, stage by stage),
:mod:`~terrkit.scenarios.deliver` (the plan, the comparison, the files), one module per event,
:mod:`~terrkit.scenarios.defaults` (events picked from the data) and :mod:`~terrkit.scenarios.cli`.
"""

from terrkit.scenarios.baseline import BOOKS, DEFAULT_BALANCE, Baseline, prepare_baseline
from terrkit.scenarios.capacity import capacity_change
from terrkit.scenarios.deliver import ScenarioResult, write_scenario
from terrkit.scenarios.join import rep_joins
from terrkit.scenarios.leave import rep_leaves, vacancy_coverage
from terrkit.scenarios.reassign import merger, reassign_accounts
from terrkit.scenarios.staged import EventProblem, StagedOutcome, solve_staged

#: Event names, as the command line and the notebook spell them.
EVENTS = ("rep-leaves", "rep-joins", "capacity", "reassign")

__all__ = [
    "BOOKS",
    "DEFAULT_BALANCE",
    "EVENTS",
    "Baseline",
    "EventProblem",
    "ScenarioResult",
    "StagedOutcome",
    "capacity_change",
    "merger",
    "prepare_baseline",
    "reassign_accounts",
    "rep_joins",
    "rep_leaves",
    "solve_staged",
    "vacancy_coverage",
    "write_scenario",
]
