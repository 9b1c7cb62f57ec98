"""Same inputs and seed, same plan: on a quiet machine and beside busy processes (issue: reproducible engine).

The heuristic counts its search in work units, never in seconds (:mod:`terrkit.design.heuristic.budget`), so
two runs with the same data, seed and budget write byte-identical assignment files whatever the machine is
doing, unless the safety stop (the time limit) fires, which the summary would say.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from terrkit.datasets import load_counties
from terrkit.design import TerritoryDesignProblem
from terrkit.design.heuristic.budget import WorkBudget

#: Work for one run: a few seconds on the reference machine, long enough for every phase (location-
#: allocation, contiguity repair, balance repair, moves and swaps) to run and for a clock-driven search to
#: diverge between a quiet and a busy machine.
WORK = 5_000_000


def _counties_problem() -> TerritoryDesignProblem:
    counties = load_counties()
    rng = np.random.default_rng(7)
    counties["potential"] = rng.gamma(0.8, 100.0, len(counties)).round(1)
    return TerritoryDesignProblem.from_geodataframe(
        counties, 40, id="unit_id", balance={"potential": 0.05}, weight="potential", contiguous=True
    )


def _assignment_bytes(problem: TerritoryDesignProblem, tmp_path, name: str) -> tuple[bytes, object]:
    result = problem.solve(method="heuristic", time_limit=300, seed=3, work=WORK)
    path = tmp_path / name
    result.to_assignment_frame().to_csv(path, index=False)
    return path.read_bytes(), result


@pytest.mark.slow
def test_same_plan_on_a_quiet_and_a_busy_machine(tmp_path):
    problem = _counties_problem()
    quiet, first = _assignment_bytes(problem, tmp_path, "quiet.csv")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy, second = _assignment_bytes(problem, tmp_path, "busy.csv")
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert first.stopped_by != "time_limit" and second.stopped_by != "time_limit"
    assert first.work_used == second.work_used
    assert quiet == busy
    assert first.objective == second.objective
    # the run is a real design, not a trivial one: every county assigned once, 40 territories
    assert first.labels.index.is_unique and first.labels.nunique() == 40


def test_the_safety_stop_is_reported_and_respected():
    """A budget far beyond the time limit: the clock stops the search, and the result says so."""
    problem = _counties_problem()
    # the search converges after about 4.7 M units (4 s on the reference machine): 2 s cannot be enough
    result = problem.solve(method="heuristic", time_limit=2, seed=3, work=1e12)
    assert result.stopped_by == "time_limit"
    assert result.seconds <= 2 + 2.0  # at most 2 s (or 5%) past the limit
    summary = result.summary_dict()
    assert summary["stopped_by"] == "time_limit" and summary["work_budget"] == 10**12


def test_budget_slices_share_the_work_and_say_what_stopped_them():
    budget = WorkBudget(1000, time_limit=60)
    phase = budget.slice(0.25)
    phase.charge(300, "moves")
    assert phase.exhausted() and budget.stopped_by == "budget"
    assert budget.left() == 700 and budget.by_step == {"moves": 300.0}
    fresh = WorkBudget(1000, time_limit=60)
    fresh.charge(10, "lp")
    assert not fresh.exhausted() and fresh.stopped_by == "converged"
    late = WorkBudget(1e9, time_limit=0)
    assert late.exhausted() and late.stopped_by == "time_limit"
