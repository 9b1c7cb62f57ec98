"""Shared by the territory-design benchmarks: one balanced, contiguous problem and the timed check + solve."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from terrkit.design.checks.feasibility import feasibility_issues
from terrkit.design.heuristic.budget import default_work
from terrkit.design.heuristic.search import HeuristicOutcome, solve_heuristic
from terrkit.design.problem.definition import Balance, DesignData


def balanced_contiguous_data(
    ids: np.ndarray,
    xy_km: np.ndarray,
    lonlat: np.ndarray | None,
    adjacency: sp.csr_matrix,
    potential: np.ndarray,
    k: int,
    tol: float,
) -> DesignData:
    """``k`` contiguous territories with ``potential`` within ``tol`` of the mean, weighted by potential."""
    n = len(ids)
    mean = potential.sum() / k
    return DesignData(
        ids=np.asarray(ids),
        k=k,
        xy_km=xy_km,
        lonlat=lonlat,
        cost=None,
        distance_power=1.0,
        weight=potential,
        measure_names=["potential"],
        measures=potential[:, None],
        lower=np.full((k, 1), (1 - tol) * mean),
        upper=np.full((k, 1), (1 + tol) * mean),
        target=np.full((k, 1), mean),
        adjacency=adjacency,
        contiguous=True,
        fixed_centers=None,
        locked=np.full(n, -1),
        forbidden=np.empty((0, 2), dtype=np.int64),
    )


def check_then_solve(
    data: DesignData, tol: float, time_limit: float, seed: int, skip: tuple[str, ...] = ()
) -> tuple[list[str], float, HeuristicOutcome | None]:
    """Run the pre-solve check as ``terrkit design`` does, then the heuristic with the time that is left.

    Returns the check's issues, its seconds, and the outcome (None when the check proves the problem
    infeasible); the outcome's ``seconds`` include the check. ``skip`` switches operators off
    (``terrkit.design.heuristic.search.OPERATORS``).
    """
    t0 = time.perf_counter()
    issues = feasibility_issues(data, balances=[Balance("potential", tol)])
    check_s = time.perf_counter() - t0
    if issues:
        return issues, check_s, None
    # the work budget follows from the whole time limit, as in ``terrkit design``: deriving it from the time
    # left after the check would make the plan depend on how fast the check ran
    out = solve_heuristic(
        data, time_limit=max(time_limit - check_s, 1.0), seed=seed, work=default_work(time_limit), skip=skip
    )
    out.seconds += check_s
    return issues, check_s, out
