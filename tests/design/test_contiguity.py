"""Contiguity helpers on small hand-made graphs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from terrkit.design.problem.contiguity import (
    articulation_points,
    count_fragments,
    is_contiguous,
    label_components,
    repair_fragments,
    territory_graph,
)


def graph(n, edges):
    e = np.asarray(edges)
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return (a + a.T).tocsr()


def grid(rows, cols):
    edges = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                edges.append((i, i + 1))
            if r + 1 < rows:
                edges.append((i, i + cols))
    return graph(rows * cols, edges)


def test_articulation_points_path_star_cycle():
    path = graph(4, [(0, 1), (1, 2), (2, 3)])
    assert articulation_points(path.indptr, path.indices).tolist() == [False, True, True, False]
    star = graph(4, [(0, 1), (0, 2), (0, 3)])
    assert articulation_points(star.indptr, star.indices).tolist() == [True, False, False, False]
    cycle = graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    assert not articulation_points(cycle.indptr, cycle.indices).any()


def test_articulation_points_two_triangles_sharing_a_vertex():
    # 0-1-2 triangle and 2-3-4 triangle: only 2 is a cut vertex
    g = graph(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (2, 4)])
    assert np.flatnonzero(articulation_points(g.indptr, g.indices)).tolist() == [2]


def test_articulation_points_of_induced_subgraph():
    g = grid(3, 3)  # 0..8; the middle column 1,4,7 and left column 0,3,6
    nodes = np.array([0, 1, 2, 5, 8])  # top row + right column: a path 0-1-2-5-8
    ap = articulation_points(g.indptr, g.indices, nodes)
    assert nodes[ap].tolist() == [1, 2, 5]


def test_label_components_and_fragments():
    g = grid(2, 3)  # 0 1 2 / 3 4 5
    labels = np.array([0, 1, 0, 0, 1, 1])  # territory 0: {0,3} and {2} -> one fragment
    comp = label_components(g, labels)
    assert comp[0] == comp[3] and comp[0] != comp[2]
    assert count_fragments(g, labels) == 1
    assert not is_contiguous(g, labels)
    assert is_contiguous(g, np.array([0, 0, 1, 0, 1, 1]))


def test_territory_graph():
    g = grid(1, 4)
    tg = territory_graph(g, np.array([0, 0, 1, 2]), 3).toarray()
    assert tg.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]


def test_repair_fragments_hands_piece_to_cheapest_neighbour():
    g = grid(3, 3)
    # territory 0 = left column + stray unit 5 (right middle), territory 1 = rest
    labels = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1])
    anchors = [np.array([3]), np.array([4])]
    new, released = repair_fragments(g, labels, 2, anchors, lambda i, t: np.zeros(len(i)))
    assert released == 1
    assert new.tolist() == [0, 1, 1, 0, 1, 1, 0, 1, 1]
    assert is_contiguous(g, new)


def test_repair_fragments_respects_forbidden_and_costs():
    g = grid(1, 5)  # path 0-1-2-3-4
    labels = np.array([0, 1, 0, 2, 2])  # unit 2 is a stray piece of territory 0, between 1 and 2
    anchors = [np.array([0]), np.array([1]), np.array([4])]
    cost = np.array([[0, 1, 2], [1, 0, 1], [2, 0.5, 0.2], [3, 2, 0.1], [4, 3, 0]], dtype=float)
    new, _ = repair_fragments(g, labels, 3, anchors, lambda i, t: cost[i, t])
    assert new[2] == 2  # cheapest adjacent territory
    forbidden = np.zeros((5, 3), dtype=bool)
    forbidden[2, 2] = True
    new, _ = repair_fragments(g, labels, 3, anchors, lambda i, t: cost[i, t], forbidden=forbidden)
    assert new[2] == 1
    assert is_contiguous(g, new)
