"""The connected-band check: units that no balanced, connected territory can hold (a proof, never a guess)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.design import TerritoryDesignProblem
from terrkit.design.checks.band_reach import may_reach_band, unit_witnesses, unreachable_units
from terrkit.exceptions import InfeasibleError

# A Long Island: Suffolk - Nassau - Queens, then Kings and the Bronx, then a chain a - b - c.
LI_IDS = ["suffolk", "nassau", "queens", "kings", "bronx", "a", "b", "c"]
LI_VALUES = [3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0, 3.0]
LI_EDGES = [
    ("suffolk", "nassau"), ("nassau", "queens"), ("queens", "kings"), ("queens", "bronx"),
    ("kings", "bronx"), ("bronx", "a"), ("a", "b"), ("b", "c"),
]  # fmt: skip


def _adjacency(n: int, edges: list[tuple[int, int]]) -> sp.csr_matrix:
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return ((a + a.T) > 0).astype(float).tocsr()


def _li_adjacency() -> sp.csr_matrix:
    pos = {u: i for i, u in enumerate(LI_IDS)}
    return _adjacency(len(LI_IDS), [(pos[a], pos[b]) for a, b in LI_EDGES])


def _li_problem(tolerance: float) -> TerritoryDesignProblem:
    return TerritoryDesignProblem.from_arrays(
        LI_IDS,
        2,
        xy=np.c_[np.arange(8.0), np.zeros(8)],
        measures={"potential": LI_VALUES},
        balance={"potential": tolerance},
        adjacency=LI_EDGES,
        contiguous=True,
    )


def test_dead_end_chain_is_proven_with_the_closest_groups():
    # target 10 (total 20, 2 territories), band 9.6..10.4. The group holding Suffolk grows through Nassau and
    # Queens (9) and then must take Kings or the Bronx (11): it can never hold 9.6..10.4.
    gaps = {g.unit: g for g in unreachable_units(_li_adjacency(), np.array(LI_VALUES), 9.6, 10.4)}
    suffolk = gaps[0]
    assert suffolk.below == 9.0 and set(suffolk.below_set) == {0, 1, 2}
    assert suffolk.above == 11.0 and set(suffolk.above_set) in ({0, 1, 2, 3}, {0, 1, 2, 4})
    # Nassau + Queens + Kings + Bronx = 10 is in the band but cuts Suffolk off, and 3 is no territory
    nassau = gaps[1]
    assert set(nassau.blocked_set) == {1, 2, 3, 4} and nassau.pocket == (0,) and nassau.pocket_total == 3.0
    # c: c+b+a+bronx = 9, one more unit makes 11 (kings) or 12 (queens)
    assert gaps[7].below == 9.0 and gaps[7].above == 11.0


def test_problem_check_explains_the_dead_end_in_business_words():
    issues = _li_problem(0.04).check()
    assert len(issues) == 1
    assert issues[0].startswith(
        "no contiguous territory can hold unit suffolk with potential within ±4% of the target 10: "
        "the connected groups of units around it reach at most 90% of the target "
        "(suffolk with nassau, queens)"
    )
    assert "or at least 110%" in issues[0]
    assert "raise the tolerance to at least 10% or split a unit" in issues[0]
    with pytest.raises(InfeasibleError, match="no alignment is possible: no contiguous territory"):
        _li_problem(0.04).solve(time_limit=10)


def test_the_tolerance_it_asks_for_is_enough_for_the_check():
    assert _li_problem(0.10).check() == []
    result = _li_problem(0.10).solve(time_limit=20)
    assert result.status == "optimal"
    assert result.max_deviation["potential"] <= 0.10 + 1e-9


def test_a_unit_in_the_band_alone_that_cuts_pockets_off_is_explained():
    # the hub alone holds exactly 2 but cuts the spokes off; with a spoke it holds 3 or more
    problem = TerritoryDesignProblem.from_arrays(
        ["hub", "n", "e", "s"],
        2,
        xy=np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0]]),
        measures={"load": [2.0, 1.0, 1.0, 0.0]},
        balance={"load": 0.0},
        adjacency=[("hub", "n"), ("hub", "e"), ("hub", "s")],
        contiguous=True,
    )
    (issue,) = problem.check()
    assert (
        "the groups inside the band (such as hub alone) cut off n, whose load (50% of a territory)" in issue
    )
    assert "the other groups reach at least 150% (hub with n)" in issue and "at most" not in issue


def test_without_contiguity_the_band_is_not_checked():
    problem = TerritoryDesignProblem.from_arrays(
        LI_IDS,
        2,
        xy=np.c_[np.arange(8.0), np.zeros(8)],
        measures={"potential": LI_VALUES},
        balance={"potential": 0.04},
    )
    assert problem.check() == []


def _cuts_off_a_pocket(adj: sp.csr_matrix, v: np.ndarray, members: list[int], lo: float, hi: float) -> bool:
    rest = np.setdiff1d(np.arange(len(v)), members)
    if len(rest) == 0:
        return False
    _, comp = connected_components(adj[rest][:, rest], directed=False)
    for total in np.bincount(comp, v[rest]):
        if not any(m * lo <= total <= m * hi for m in range(1, 100)):
            return True
    return False


def _brute_force(adj: sp.csr_matrix, v: np.ndarray, lo: float, hi: float):
    """For every unit: whether a connected set in the band, cutting off no pocket, holds it; the best total
    below and above the band."""
    n = len(v)
    reach = np.zeros(n, dtype=bool)
    below = np.full(n, -np.inf)
    above = np.full(n, np.inf)
    for size in range(1, n + 1):
        for members in itertools.combinations(range(n), size):
            m = list(members)
            if connected_components(adj[m][:, m], directed=False)[0] != 1:
                continue
            total = float(v[m].sum())
            witness = lo <= total <= hi and not _cuts_off_a_pocket(adj, v, m, lo, hi)
            for u in m:
                if witness:
                    reach[u] = True
                elif lo <= total <= hi:
                    pass
                elif total < lo:
                    below[u] = max(below[u], total)
                else:
                    above[u] = min(above[u], total)
    return reach, below, above


@pytest.mark.parametrize("seed", range(8))
def test_agrees_with_brute_force_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = 11
    xy = rng.uniform(0, 1, (n, 2))
    d = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if d[i, j] < 0.38]
    edges += [(i, i + 1) for i in range(n - 1)]  # connected
    adj = _adjacency(n, edges)
    v = rng.integers(1, 9, n).astype(float)
    target = v.sum() / 3
    lo, hi = 0.97 * target, 1.03 * target
    reach, below, above = _brute_force(adj, v, lo, hi)
    gaps = {g.unit: g for g in unreachable_units(adj, v, lo, hi)}
    for u in range(n):
        if v[u] > hi:
            assert u not in gaps  # too big alone: another check reports it
        elif reach[u]:
            assert u not in gaps
        else:
            g = gaps[u]
            assert g.below == below[u] and g.above == above[u]
            members = list(g.below_set)
            assert u in members and v[members].sum() == g.below
            assert connected_components(adj[members][:, members], directed=False)[0] == 1
            if np.isfinite(g.above):
                members = list(g.above_set)
                assert u in members and v[members].sum() == g.above
                assert connected_components(adj[members][:, members], directed=False)[0] == 1


def test_a_search_out_of_budget_proves_nothing():
    v = np.array(LI_VALUES)
    assert unreachable_units(_li_adjacency(), v, 9.6, 10.4, node_budget=0) == []


def test_a_grid_of_equal_units_is_all_reachable():
    n = 6
    edges = [(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
    edges += [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)]
    assert unreachable_units(_adjacency(n * n, edges), np.ones(n * n), 8.9, 9.1) == []


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        unreachable_units(_li_adjacency(), -np.array(LI_VALUES), 9.6, 10.4)


def test_cli_explains_the_dead_end_and_writes_nothing(tmp_path):
    units = tmp_path / "units.csv"
    pd.DataFrame({"id": LI_IDS, "x": range(8), "y": [0] * 8, "potential": LI_VALUES}).to_csv(
        units, index=False
    )
    edges = tmp_path / "edges.csv"
    pd.DataFrame(LI_EDGES, columns=["a", "b"]).to_csv(edges, index=False)
    out = tmp_path / "plan.csv"
    result = subprocess.run(
        [sys.executable, "-m", "terrkit.cli", "design", str(units), "--id", "id", "--territories", "2",
         "--balance", "potential:0.04", "--contiguous", "--edges", str(edges), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3, "proven infeasible"
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "unit suffolk" in result.stderr and "raise the tolerance to at least 10%" in result.stderr
    assert not out.exists()


def test_unit_witnesses_leave_out_groups_that_cut_a_pocket_off():
    # A - B - C - D - E with 30, 30, 40, 30, 70 and a band of 100 +- 2: C's groups in the band are
    # {A, B, C} and {B, C, D}, but the second cuts A (30) off
    adj = _adjacency(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    values = np.array([30.0, 30.0, 40.0, 30.0, 70.0])
    found = unit_witnesses(adj, values, 98, 102, 2, limit=10)
    assert [sorted(w) for w in found] == [[0, 1, 2]]
    assert found[0][0] == 2, "the unit comes first"
    assert unit_witnesses(adj, values, 98, 102, 4, limit=10) == [(4, 3)]


def test_may_reach_band_is_false_only_on_proof():
    adj = _adjacency(3, [(0, 1), (1, 2)])
    assert not may_reach_band(adj, np.array([60.0, 60.0, 60.0]), 98, 102, 0)  # 60 or 120: proof
    assert not may_reach_band(adj, np.array([50.0, 50.0, 60.0]), 98, 102, 0), "{0, 1} cuts 60 off"
    assert may_reach_band(adj, np.array([50.0, 50.0, 100.0]), 98, 102, 0)
    assert not may_reach_band(adj, np.array([150.0, 10.0, 10.0]), 98, 102, 0), "too big alone"


def test_the_exact_model_confirms_the_dead_ends_of_the_chain():
    from terrkit.design.checks.confirm import confirm_dead_end

    adj, v = _li_adjacency(), np.array(LI_VALUES)
    suffolk = confirm_dead_end(adj, v, 9.6, 10.4, 0)
    assert suffolk.verdict == "confirmed" and suffolk.groups_cut == 0  # no in-band group at all
    # Nassau's in-band groups (Nassau, Queens, Kings, Bronx; Nassau, Queens, Bronx, a) all cut Suffolk off
    nassau = confirm_dead_end(adj, v, 9.6, 10.4, 1)
    assert nassau.verdict == "confirmed" and nassau.groups_cut == 2


@pytest.mark.parametrize("seed", range(6))
def test_the_exact_model_agrees_with_brute_force(seed):
    """Every unit the brute force can place is refuted with a valid group; every other one is confirmed."""
    from terrkit.design.checks.confirm import confirm_dead_end

    rng = np.random.default_rng(100 + seed)
    n = 10
    xy = rng.uniform(0, 1, (n, 2))
    d = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if d[i, j] < 0.38]
    edges += [(i, i + 1) for i in range(n - 1)]
    adj = _adjacency(n, edges)
    v = rng.integers(1, 9, n).astype(float)
    target = v.sum() / 3
    lo, hi = 0.97 * target, 1.03 * target
    reach, _, _ = _brute_force(adj, v, lo, hi)
    for u in range(n):
        if v[u] > hi:
            continue
        check = confirm_dead_end(adj, v, lo, hi, u)
        if reach[u]:
            assert check.verdict == "refuted"
            group = list(check.group)
            assert u in group and lo <= v[group].sum() <= hi
            assert connected_components(adj[group][:, group], directed=False)[0] == 1
            assert not _cuts_off_a_pocket(adj, v, group, lo, hi)
        else:
            assert check.verdict == "confirmed", (u, check)
