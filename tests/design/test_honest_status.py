"""A plan that breaks a requirement is never reported as feasible, whatever produced it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from terrkit.design import TerritoryDesignProblem
from terrkit.design.problem.result import requirement_violations
from terrkit.exceptions import InfeasibleError


def _impossible_path() -> TerritoryDesignProblem:
    """Five units on a line with integer weights summing to 9: no half holds 4.5 +- 5%."""
    ids = ["a", "b", "c", "d", "e"]
    return TerritoryDesignProblem.from_arrays(
        ids,
        2,
        xy=np.column_stack([np.arange(5.0), np.zeros(5)]),
        measures={"load": [3.0, 1.0, 1.0, 1.0, 3.0]},
        balance={"load": 0.05},
        adjacency=[("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")],
        contiguous=True,
    )


def _impossible_locks() -> TerritoryDesignProblem:
    """Four units of load 1 on a line a-b-c-d into 2 territories of exactly 2, with a and c locked together.

    Each requirement alone can be met (a and c weigh 2 together; every unit sits in some connected pair),
    but a connected territory holding a and c also holds b: 3, not 2.
    """
    return TerritoryDesignProblem.from_arrays(
        ["a", "b", "c", "d"],
        2,
        xy=np.column_stack([np.arange(4.0), np.zeros(4)]),
        measures={"load": [1.0, 1.0, 1.0, 1.0]},
        balance={"load": 0.0},
        adjacency=[("a", "b"), ("b", "c"), ("c", "d")],
        contiguous=True,
        locks={"a": 0, "c": 0},
    )


def test_a_star_is_explained_before_solving():
    # a hub with three spokes of load 1 into 2 territories of 2: the territory of a spoke takes the hub and
    # cuts the two other spokes off, and a single spoke is no territory
    problem = TerritoryDesignProblem.from_arrays(
        ["hub", "n", "e", "s"],
        2,
        xy=np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0]]),
        measures={"load": [1.0, 1.0, 1.0, 1.0]},
        balance={"load": 0.0},
        adjacency=[("hub", "n"), ("hub", "e"), ("hub", "s")],
        contiguous=True,
    )
    (issue,) = problem.check()
    assert "cut off" in issue and "no whole number of territories can hold" in issue


def test_exact_model_proves_infeasibility():
    assert _impossible_locks().check() == []
    with pytest.raises(InfeasibleError, match="no alignment satisfies all requirements"):
        _impossible_locks().solve(method="exact", time_limit=10)


def test_dead_end_is_explained_before_solving():
    with pytest.raises(InfeasibleError, match="no contiguous territory can hold unit a with load within ±5%"):
        _impossible_path().solve(method="exact", time_limit=10)


def test_heuristic_answer_that_breaks_balance_is_flagged():
    result = _impossible_locks().solve(method="heuristic", time_limit=5)
    assert result.status == "requirements_not_met"
    assert result.violations and all("load" in v or "contiguous" in v for v in result.violations)
    assert result.summary_dict()["violations"] == result.violations
    assert result.labels.notna().all() and len(result.labels) == 4, "the best plan found is still returned"


def test_violations_are_worded_per_requirement():
    problem = _impossible_path()
    data = problem.data
    names = list(problem.territory_names)
    labels = np.array([0, 1, 0, 1, 1])  # 4 vs 5: unbalanced, both territories in pieces
    found = requirement_violations(data, labels, names)
    assert any("above its upper bound" in v for v in found)
    assert any("below its lower bound" in v for v in found)
    assert any("not contiguous: 2 detached" in v for v in found)  # {a, c} and {b | d, e}
    assert requirement_violations(data, np.array([0, 0, 1, 1, 1]), names) == [
        f"territory {names[1]} has load 5 above its upper bound 4.725",
        f"territory {names[0]} has load 4 below its lower bound 4.275",
    ]


def test_post_solve_checks_catch_bad_labels_empty_territories_and_stray_centers():
    problem = _impossible_path()
    data = problem.data
    names = list(problem.territory_names)
    assert requirement_violations(data, np.array([0, 1, 0]), names) == [
        "the assignment has 3 labels for 5 units"
    ]
    (out_of_range,) = requirement_violations(data, np.array([0, 0, 1, 2, 1]), names)
    assert out_of_range == f"unit {data.ids[3]} has no territory among the 2 (label 2)"
    assert any(
        v == f"1 territory is empty, e.g. {names[1]}"
        for v in requirement_violations(data, np.zeros(5), names)
    )
    if data.centers_are_units:
        stray = requirement_violations(data, np.array([0, 0, 1, 1, 1]), names, centers=np.array([0, 1]))
        assert f"the center of territory {names[1]}, unit {data.ids[1]}, lies in another territory" in stray


def test_cli_infeasible_design_is_one_line_and_writes_nothing(tmp_path):
    units = tmp_path / "units.csv"
    pd.DataFrame({"id": list("abcde"), "x": range(5), "y": [0] * 5, "load": [3, 1, 1, 1, 3]}).to_csv(
        units, index=False
    )
    edges = tmp_path / "edges.csv"
    pd.DataFrame({"a": list("abcd"), "b": list("bcde")}).to_csv(edges, index=False)
    out = tmp_path / "plan.csv"
    result = subprocess.run(
        [sys.executable, "-m", "terrkit.cli", "design", str(units), "--id", "id", "--territories", "2",
         "--balance", "load:0.05", "--contiguous", "--edges", str(edges), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3, "proven infeasible"
    assert len(result.stderr.strip().splitlines()) == 1
    assert (
        "no contiguous territory can hold unit a with load" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert not out.exists()


def test_an_existing_alignment_that_breaks_requirements_is_flagged():
    from terrkit.design import evaluate_alignment

    problem = _impossible_path()
    names = list(problem.territory_names)
    labels = pd.Series([names[0], names[1], names[0], names[1], names[1]], index=list("abcde"))
    figures = evaluate_alignment(problem, labels, method="current alignment")
    assert figures.status == "requirements_not_met"
    assert figures.fragments == 2 and any("detached" in v for v in figures.violations)


def test_a_bound_that_is_the_objective_says_so():
    xy = np.column_stack([np.arange(6.0), np.zeros(6)])
    nearest = TerritoryDesignProblem.from_arrays(list("abcdef"), 2, xy=xy, centers=["a", "f"]).solve(
        method="exact"
    )
    assert nearest.status == "optimal" and nearest.bound == nearest.objective
    assert "the bound is the objective" in nearest.summary_dict()["bound_note"]
    proven = TerritoryDesignProblem.from_arrays(
        list("abcdef"), 2, xy=xy, measures={"m": np.ones(6)}, balance={"m": 0.0}
    ).solve(method="exact")
    assert (
        proven.status == "optimal" and proven.bound_note == "" and "bound_note" not in proven.summary_dict()
    )
    cbc = TerritoryDesignProblem.from_arrays(
        list("abcdef"), 2, xy=xy, measures={"m": np.ones(6)}, balance={"m": 0.0}
    ).solve(method="exact", solver="cbc")
    assert cbc.status == "optimal" and cbc.bound == cbc.objective and cbc.bound_note
