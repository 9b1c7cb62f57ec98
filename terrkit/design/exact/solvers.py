"""Solver selection: a string key ("highs" or "cbc") -> a configured PuLP solver object.

HiGHS (through highspy, in-process) is the default; CBC (``pulp.PULP_CBC_CMD``) is the alternative.
After a solve, :func:`solve_status` reads the status, incumbent, bound and gap without trusting PuLP's
coarse ``LpStatus`` alone (PuLP reports a time-limited HiGHS run as "Optimal").
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pulp

from terrkit.exceptions import SolverError

#: Relative gap below which a MIP answer counts as proven optimal.
PROVEN_GAP = 1e-6
#: Valid solver keys.
SOLVERS: tuple[str, ...] = ("highs", "cbc")


@contextmanager
def muted_stdout() -> Iterator[None]:
    """Silence file descriptor 1 for a moment (C libraries print there, below Python's ``sys.stdout``).

    highspy prints its banner when the first ``Highs`` object is built, before any option can turn
    output off; this keeps it out of quiet runs (CLI output, notebooks, reports).
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def quiet_highs():
    """A ``highspy.Highs`` object that prints nothing (no banner, no log)."""
    import highspy

    with muted_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def check_solver(name: str) -> str:
    """Normalise a solver key; raise ``ValueError`` listing the valid keys when unknown."""
    key = str(name).strip().lower()
    if key not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; valid solvers: {', '.join(SOLVERS)}")
    return key


class _HiGHS(pulp.HiGHS):
    """``pulp.HiGHS`` that can hand HiGHS a starting solution (the variables' initial values)."""

    def __init__(self, *args, warm_start: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.warm_start = warm_start

    def createAndConfigureSolver(self, lp):  # noqa: N802 - PuLP's method name
        if self.msg:
            return super().createAndConfigureSolver(lp)
        with muted_stdout():  # the highspy banner comes before PuLP can turn output off
            return super().createAndConfigureSolver(lp)

    def callSolver(self, lp):  # noqa: N802 - PuLP's method name
        if self.warm_start:
            import highspy

            values = [v.varValue if v.varValue is not None else 0.0 for v in lp.variables()]
            sol = highspy.HighsSolution()
            sol.col_value = values
            sol.value_valid = True
            lp.solverModel.setSolution(sol)
        lp.solverModel.run()


def make_solver(
    name: str = "highs",
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    seed: int = 0,
    msg: bool = False,
    threads: int | None = None,
    warm_start: bool = False,
) -> pulp.LpSolver:
    """Build a PuLP solver object.

    Parameters
    ----------
    name : {"highs", "cbc"}
        Solver key.
    time_limit : float, optional
        Wall-clock limit in seconds.
    gap : float, optional
        Relative MIP gap at which the solver may stop (e.g. 0.01 = 1%).
    seed : int, default 0
        Random seed passed to the solver.
    msg : bool, default False
        Show the solver log.
    threads : int, optional
        Number of threads.
    warm_start : bool, default False
        Start from the variables' initial values (set with ``LpVariable.setInitialValue``).
    """
    key = check_solver(name)
    if key == "highs":
        solver = _HiGHS(
            warm_start=warm_start,
            msg=msg,
            timeLimit=time_limit,
            gapRel=PROVEN_GAP if gap is None else max(float(gap), PROVEN_GAP),
            threads=threads,
            random_seed=int(seed) % 2147483647,
        )
        if not solver.available():
            raise SolverError("HiGHS is not available: install highspy (pip install highspy)")
        return solver
    options = [f"randomSeed {int(seed) % 2147483647 or 1}", f"randomCbcSeed {int(seed) % 2147483647 or 1}"]
    kwargs = dict(
        msg=msg, timeLimit=time_limit, gapRel=gap, threads=threads, options=options, warmStart=warm_start
    )
    coin = pulp.COIN_CMD(**kwargs)
    if coin.available():  # a system CBC: PuLP 4's way
        return coin
    with warnings.catch_warnings():  # PuLP 3.3 deprecates its bundled CBC in favour of COIN_CMD
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(**kwargs)
    if not solver.available():
        raise SolverError("CBC is not available in this PuLP installation")
    return solver


@dataclass
class SolveStatus:
    """Outcome of one MIP solve.

    Attributes
    ----------
    status : {"optimal", "feasible", "infeasible", "no_solution", "error"}
        ``feasible`` = an incumbent exists but optimality was not proven (time limit, gap stop).
    objective : float or None
        Incumbent objective.
    bound : float or None
        Solver's best bound (a lower bound for minimisation), when known.
    """

    status: str
    objective: float | None
    bound: float | None


def solve_status(prob: pulp.LpProblem, solver: pulp.LpSolver, gap: float | None = None) -> SolveStatus:
    """Solve ``prob`` with ``solver`` and classify the outcome honestly.

    A run stopped by the time limit is ``feasible`` (never ``optimal``); a run stopped at a
    user-requested relative gap above 1e-6 is also ``feasible``, with its bound.
    """
    try:
        prob.solve(solver)
    except pulp.PulpSolverError as exc:  # pragma: no cover - solver crash
        raise SolverError(f"solver {solver.name} failed: {exc}") from exc
    sol = prob.sol_status
    objective = pulp.value(prob.objective)
    objective = None if objective is None else float(objective)
    if isinstance(solver, pulp.HiGHS):
        import highspy

        h = prob.solverModel
        ms = h.getModelStatus()
        info = h.getInfo()
        bound = info.mip_dual_bound if prob.isMIP() else info.objective_function_value
        bound = None if bound is None or not math.isfinite(bound) else float(bound)
        if bound is not None and objective is not None and math.isfinite(info.objective_function_value):
            # HiGHS reports its bound without the objective's constant term; PuLP's objective includes it
            bound += objective - float(info.objective_function_value)
        if ms == highspy.HighsModelStatus.kOptimal:
            if prob.isMIP() and objective is not None and bound is not None:
                closed = objective - bound <= PROVEN_GAP * max(1.0, abs(objective)) + 1e-9
                # stopped at the user's gap: a good answer, not a proven optimum
                return SolveStatus("optimal" if closed else "feasible", objective, bound)
            return SolveStatus("optimal", objective, objective if bound is None else bound)
        if ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return SolveStatus("infeasible", None, None)
        if info.primal_solution_status == 2 and objective is not None:  # feasible incumbent
            return SolveStatus("feasible", objective, bound)
        return SolveStatus("no_solution", None, bound)
    # CBC (command line): PuLP's sol_status is the only reliable signal
    if sol == pulp.LpSolutionOptimal:  # CBC reports no bound: the result says the bound is the objective
        return SolveStatus("optimal" if not gap else "feasible", objective, None)
    if sol == pulp.LpSolutionIntegerFeasible:
        return SolveStatus("feasible", objective, None)
    if sol == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        return SolveStatus("infeasible", None, None)
    return SolveStatus("no_solution", None, None)


# --------------------------------------------------------------------------------------------------
# exact model or heuristic

#: Seconds the heuristic gets at least when the exact model found nothing in time: a short search within the
#: 2 s a solve may overrun its time limit, rather than no plan at all.
MIN_FALLBACK_SECONDS = 0.5
#: Largest number of units on which contiguity is enforced by the exact flow model.
EXACT_CONTIGUITY_UNITS = 150
#: Largest exact assignment model (rough variable count) tried before switching to the heuristic.
EXACT_MODEL_SIZE = 120_000
#: Largest pure p-median instance (units x candidates) solved by the exact radius model.
EXACT_PMEDIAN_PAIRS = 4_000_000
#: Valid values of ``method``.
METHODS: tuple[str, ...] = ("auto", "exact", "heuristic")


def choose_method(data) -> str:
    """``"exact"`` or ``"heuristic"`` for ``method="auto"`` (see :meth:`TerritoryDesignProblem.solve`)."""
    from terrkit.design.exact.mip import is_pure_pmedian, model_size

    if is_pure_pmedian(data):
        return "exact" if data.n * data.m <= EXACT_PMEDIAN_PAIRS else "heuristic"
    if data.contiguous and data.n > EXACT_CONTIGUITY_UNITS:
        return "heuristic"
    return "exact" if model_size(data) <= EXACT_MODEL_SIZE else "heuristic"


def _heuristic(data, time_limit: float, seed: int, solver: str, work: float | None = None):
    try:
        from terrkit.design.heuristic.search import solve_heuristic
    except ImportError as exc:
        raise SolverError(
            f"this problem ({data.n} units, {data.k} territories) needs the large-instance heuristic, "
            "which is "
            f"not available ({exc}); use method='exact' with a time limit"
        ) from exc
    return solve_heuristic(data, time_limit=time_limit, seed=seed, solver=solver, work=work)


def solve_problem(
    problem, *, solver="highs", time_limit=60, gap=None, seed=0, method="auto", msg=False, work=None
):
    """Check, choose the method, solve and build the :class:`~terrkit.design.DesignResult`."""
    import time

    import numpy as np

    from terrkit.design.exact.mip import is_pure_pmedian, nearest_assignment, solve_assignment, solve_pmedian
    from terrkit.design.problem.result import build_result, requirement_violations
    from terrkit.exceptions import InfeasibleError

    solver = check_solver(solver)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"time limit must be positive, got {time_limit}")
    time_limit = 1e9 if time_limit is None else float(time_limit)
    if work is None:  # from the time limit asked for, not the time left after the checks: deterministic
        from terrkit.design.heuristic.budget import default_work

        work = default_work(time_limit)
    data = problem.data
    t0 = time.perf_counter()
    issues = problem.check()
    if issues:
        raise InfeasibleError("no alignment is possible: " + "; ".join(issues))
    chosen = choose_method(data) if method == "auto" else method
    status, bound = "feasible", None
    h = None  # the heuristic's outcome, when it ran
    if chosen == "exact":
        if data.fixed_centers is not None and data.q == 0 and not data.contiguous and data.max_moved is None:
            out = nearest_assignment(data)
        elif is_pure_pmedian(data):
            out = solve_pmedian(data, solver=solver, time_limit=time_limit, gap=gap, seed=seed, msg=msg)
        else:
            out = solve_assignment(data, solver=solver, time_limit=time_limit, gap=gap, seed=seed, msg=msg)
        if out.status == "infeasible":
            raise InfeasibleError(
                "no alignment satisfies all requirements together (each one alone can be met); loosen the "
                "balance tolerances, capacities, moved-share cap, locks or contiguity"
            )
        if out.labels is None:
            left = time_limit - (time.perf_counter() - t0)
            try:
                h = _heuristic(data, max(left, MIN_FALLBACK_SECONDS), seed, solver, work)
            except SolverError as exc:
                raise SolverError(
                    f"the exact model found no alignment within {time_limit:g} s; "
                    f"raise the time limit ({exc})"
                ) from exc
            labels, centers = np.asarray(h.labels), np.asarray(h.centers)
            method_name = f"{h.method} (after {out.method} found nothing in time)"
            bound = h.lower_bound if out.bound is None else max(out.bound, h.lower_bound or -np.inf)
        else:
            labels, centers, status, bound, method_name = (
                out.labels,
                out.centers,
                out.status,
                out.bound,
                out.method,
            )
    else:
        h = _heuristic(data, time_limit, seed, solver, work)
        labels, centers = np.asarray(h.labels), np.asarray(h.centers)
        bound = h.lower_bound
        method_name = h.method
    if status == "optimal" and not (chosen == "exact"):
        status = "feasible"
    result = build_result(
        data,
        labels,
        centers,
        status=status,
        bound=bound,
        seconds=time.perf_counter() - t0,
        method=method_name,
        center_ids=None if data.centers_are_units else list(data.candidate_ids),
        target=data.target,
        balance_names=[b.column for b in problem.balances],
    )
    if h is not None:
        result.stopped_by = h.stopped_by
        result.work_used, result.work_budget = h.work_used, h.work_budget
    elif status != "optimal" and gap is None:
        result.stopped_by = "time_limit"  # an exact solve that is not proven optimal ran out of time
    names = problem.territory_names
    violations = requirement_violations(data, labels, list(names), centers)
    if violations:
        # never present a plan that breaks a requirement as feasible, let alone optimal
        result.status = "requirements_not_met"
        result.violations = violations
    result.labels = result.labels.map(dict(enumerate(names))).rename("territory")
    result.territory_totals.index = pd_index(names)
    return result


def pd_index(names):
    import pandas as pd

    return pd.Index(names, name="territory")
