"""Territories forced by the balance band and contiguity, fixed before the heuristic designs the rest."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from terrkit.design.checks.band_reach import sole_witnesses
from terrkit.design.heuristic.forced import fit_every_band, forced_groups, uniform_band, without_units
from terrkit.design.heuristic.search import solve_heuristic

from .test_heuristic import make_data

# Suffolk - Nassau - Queens, Queens to Kings and the Bronx, the Bronx on to a - b - c.
#   index:  0=suffolk 1=nassau 2=queens 3=kings 4=bronx 5=a 6=b 7=c
VALUES = np.array([3.0, 3.0, 3.0, 1.0, 2.0, 3.0, 3.0, 2.0])  # total 20: two territories of 10 +- 5%
EDGES = [(0, 1), (1, 2), (2, 3), (2, 4), (3, 4), (4, 5), (5, 6), (6, 7)]


def _adjacency() -> sp.csr_matrix:
    e = np.array(EDGES)
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(8, 8))
    return (a + a.T).tocsr()


def _data(**kw):
    return make_data(np.c_[np.arange(8.0) * 10, np.zeros(8)], _adjacency(), VALUES, 2, 0.05, **kw)


def test_the_only_witness_of_suffolk_is_found():
    # Suffolk's territory grows through Nassau and Queens (9); with Kings it holds 10, with the Bronx 11:
    # {Suffolk, Nassau, Queens, Kings} is the only group in 9.5..10.5 that holds Suffolk
    assert (0, 1, 2, 3) in sole_witnesses(_adjacency(), VALUES, 9.5, 10.5)
    # with a wider band Suffolk + Nassau + Queens (9) is a witness too: nothing is forced by Suffolk
    assert all(0 not in g for g in sole_witnesses(_adjacency(), VALUES, 8.9, 11.1))


def test_forced_groups_only_when_eligible():
    (group,) = forced_groups(_data())
    assert group.tolist() == [0, 1, 2, 3]
    locked = np.full(8, -1)
    locked[7] = 1
    assert forced_groups(_data(locked=locked)) == [], "locks make the reduction unsafe: not applied"
    assert forced_groups(_data(contiguous=False)) == []


def test_without_units_keeps_the_rest_consistent():
    data = _data()
    sub, keep = without_units(data, np.array([0, 1, 2, 3]), 1)
    assert keep.tolist() == [4, 5, 6, 7]
    assert sub.k == 1 and sub.n == 4 and sub.lower.shape == (1, 1)
    assert sub.measures[:, 0].tolist() == [2.0, 3.0, 3.0, 2.0]
    assert sub.adjacency.shape == (4, 4) and sub.adjacency.nnz == 6  # bronx-a, a-b, b-c both ways
    assert sub.ids.tolist() == ["u4", "u5", "u6", "u7"]


def test_heuristic_fixes_the_forced_territory_and_says_so():
    out = solve_heuristic(_data(), time_limit=20, seed=0)
    assert out.balanced and out.contiguous
    assert len(set(out.labels[[0, 1, 2, 3]].tolist())) == 1
    assert set(out.labels.tolist()) == {0, 1}
    assert "forced by the band and contiguity" in out.method
    for t in range(2):
        assert out.labels[out.centers[t]] == t


def test_fixed_groups_are_checked_against_the_last_territories():
    data = _data()  # two territories of 9.5..10.5
    assert fit_every_band(data, [np.array([0, 1, 2, 3])])  # 10
    assert not fit_every_band(data, [np.array([0, 1, 2])]), "9 is below the band"
    assert not fit_every_band(data, [np.array([0, 1, 2, 3]), np.array([3, 4, 5, 6])]), "Kings twice"
    # per-territory bands: a group fixed as the last territory must fit that territory's band
    uneven = _data(lower=np.array([[9.5], [5.5]]), upper=np.array([[10.5], [6.5]]))
    assert fit_every_band(uneven, [np.array([5, 6])])  # 6 fits territory 1
    assert not fit_every_band(uneven, [np.array([0, 1, 2, 3])])  # 10 does not
    assert uniform_band(uneven, 0) is None
    v, lo, hi = uniform_band(data, 0)
    assert (lo, hi) == (9.5, 10.5) and v.tolist() == VALUES.tolist()


def _all_witnesses(neighbours: list[set[int]], values: np.ndarray, lo: float, hi: float) -> list[frozenset]:
    """Every connected set with its total in [lo, hi] that cuts off no pocket, by enumerating all subsets.

    A pocket is a connected piece of the rest that no whole number m >= 1 of territories can hold
    (m lo <= total <= m hi). The graphs here are small enough that no piece passes the search's cap.
    """

    def pieces(units: set[int]) -> list[set[int]]:
        left, out = set(units), []
        while left:
            stack = [left.pop()]
            piece = set(stack)
            while stack:
                for w in neighbours[stack.pop()] & left:
                    left.discard(w)
                    piece.add(w)
                    stack.append(w)
            out.append(piece)
        return out

    n = len(values)
    found = []
    for mask in range(1, 1 << n):
        members = {i for i in range(n) if mask >> i & 1}
        total = values[list(members)].sum()
        if not lo <= total <= hi or len(pieces(members)) != 1:
            continue
        rest = pieces(set(range(n)) - members)
        if all(any(m * lo <= values[list(p)].sum() <= m * hi for m in range(1, n + 1)) for p in rest):
            found.append(frozenset(members))
    return found


def test_sole_witnesses_agree_with_brute_force_on_small_graphs():
    # every group returned must be the only witness of one of its units (the soundness the heuristic relies
    # on); checked against an enumeration of all subsets on random graphs of 9 to 11 units
    rng = np.random.default_rng(13)
    returned = 0
    for _ in range(60):
        n = int(rng.integers(9, 12))
        edges = {(int(rng.integers(0, i)), i) for i in range(1, n)}  # a random tree: connected
        edges |= {
            tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(int(rng.integers(0, 4)))
        }
        e = np.array(sorted(edges))
        a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
        adjacency = (a + a.T).tocsr()
        values = rng.integers(1, 7, n).astype(float)
        k = int(rng.integers(2, 4))  # k <= 3 keeps every piece under the pocket search's cap (3 x upper)
        tol = float(rng.choice([0.02, 0.05, 0.1, 0.2]))
        lo, hi = values.sum() / k * (1 - tol), values.sum() / k * (1 + tol)
        neighbours = [
            set(adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]].tolist()) for i in range(n)
        ]
        witnesses = _all_witnesses(neighbours, values, lo, hi)
        for group in sole_witnesses(adjacency, values, lo, hi):
            returned += 1
            g = frozenset(group)
            assert any([w for w in witnesses if r in w] == [g] for r in group), (
                group,
                values.tolist(),
                edges,
            )
    assert returned >= 20, f"the random graphs must exercise the check (only {returned} groups)"
