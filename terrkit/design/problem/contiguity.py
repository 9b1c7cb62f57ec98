"""Contiguity helpers on ``scipy.sparse`` unit graphs.

A plan is contiguous when, for every territory :math:`t`, the subgraph of the unit adjacency graph induced by
the units labelled :math:`t` is connected. The helpers here count the connected pieces of every territory,
find the articulation points of a territory (units whose removal would disconnect it), hand disconnected
fragments to adjacent territories, and build the territory adjacency graph.

All functions take the adjacency as a symmetric ``scipy.sparse`` matrix (any format; it is converted to CSR)
whose non-zero pattern defines the edges; values are ignored and the diagonal is ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = [
    "articulation_points",
    "edge_arrays",
    "label_components",
    "count_fragments",
    "is_contiguous",
    "repair_fragments",
    "connect_anchor_pieces",
    "territory_graph",
]


def _csr(adjacency: sp.spmatrix) -> sp.csr_matrix:
    a = sp.csr_matrix(adjacency)
    a.sum_duplicates()
    return a


def edge_arrays(adjacency: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Directed edge list ``(src, dst)`` of the graph, both directions, without self-loops."""
    a = sp.coo_matrix(adjacency)
    keep = a.row != a.col
    return a.row[keep].astype(np.int64), a.col[keep].astype(np.int64)


def label_components(adjacency: sp.spmatrix, labels: np.ndarray) -> np.ndarray:
    """Connected piece of every unit within its own territory.

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` unit adjacency.
    labels : numpy.ndarray
        ``(n,)`` territory of every unit; units labelled ``-1`` form singleton pieces.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` component id; two units share an id iff they have the same label and are joined by a path
        of units with that label.
    """
    labels = np.asarray(labels)
    src, dst = edge_arrays(adjacency)
    keep = (labels[src] == labels[dst]) & (labels[src] >= 0)
    n = len(labels)
    g = sp.csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def count_fragments(adjacency: sp.spmatrix, labels: np.ndarray) -> int:
    """Number of surplus pieces: total connected pieces over all territories minus the number of territories.

    A contiguous plan has 0 fragments. Units labelled -1 are ignored.
    """
    labels = np.asarray(labels)
    comp = label_components(adjacency, labels)
    ok = labels >= 0
    if not ok.any():
        return 0
    pieces = len(np.unique(comp[ok]))
    return int(pieces - len(np.unique(labels[ok])))


def is_contiguous(adjacency: sp.spmatrix, labels: np.ndarray) -> bool:
    """Whether every territory is connected in ``adjacency``."""
    return count_fragments(adjacency, labels) == 0


def articulation_points(
    indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray | None = None
) -> np.ndarray:
    """Articulation points (cut vertices) of a graph or of the subgraph induced by ``nodes``.

    Iterative Hopcroft-Tarjan: a vertex :math:`v` is a cut vertex iff it is a DFS root with two or more
    children, or a non-root with a child :math:`c` such that :math:`low(c) \\ge disc(v)`.

    Parameters
    ----------
    indptr, indices : numpy.ndarray
        CSR structure of the whole (symmetric) graph.
    nodes : numpy.ndarray, optional
        Vertex indices of the induced subgraph to analyse (default: all vertices).

    Returns
    -------
    numpy.ndarray
        Boolean mask aligned with ``nodes`` (or with all vertices): True for articulation points.
    """
    n_all = len(indptr) - 1
    if nodes is None:
        nodes = np.arange(n_all)
    nodes = np.asarray(nodes, dtype=np.int64)
    s = len(nodes)
    local = {int(v): i for i, v in enumerate(nodes)}
    # local adjacency lists
    ip = indptr.tolist() if isinstance(indptr, np.ndarray) else list(indptr)
    idx = indices
    nbrs: list[list[int]] = []
    for v in nodes.tolist():
        row = idx[ip[v] : ip[v + 1]].tolist()
        nbrs.append([local[u] for u in row if u in local and u != v])
    disc = [-1] * s
    low = [0] * s
    cut = [False] * s
    timer = 0
    for root in range(s):
        if disc[root] != -1:
            continue
        disc[root] = low[root] = timer
        timer += 1
        root_children = 0
        stack = [(root, -1, 0)]
        while stack:
            v, parent, pos = stack[-1]
            nb = nbrs[v]
            if pos < len(nb):
                stack[-1] = (v, parent, pos + 1)
                u = nb[pos]
                if disc[u] == -1:
                    disc[u] = low[u] = timer
                    timer += 1
                    if v == root:
                        root_children += 1
                    stack.append((u, v, 0))
                elif u != parent:
                    if disc[u] < low[v]:
                        low[v] = disc[u]
            else:
                stack.pop()
                if parent >= 0:
                    if low[v] < low[parent]:
                        low[parent] = low[v]
                    if parent != root and low[v] >= disc[parent]:
                        cut[parent] = True
        if root_children >= 2:
            cut[root] = True
    return np.array(cut, dtype=bool)


def territory_graph(adjacency: sp.spmatrix, labels: np.ndarray, k: int) -> sp.csr_matrix:
    """``(k, k)`` 0/1 territory adjacency: :math:`a \\sim b` iff some unit of ``a`` borders ``b``."""
    labels = np.asarray(labels)
    src, dst = edge_arrays(adjacency)
    a, b = labels[src], labels[dst]
    keep = (a != b) & (a >= 0) & (b >= 0)
    g = sp.csr_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(k, k))
    g.data[:] = 1.0
    return g


def repair_fragments(
    adjacency: sp.spmatrix,
    labels: np.ndarray,
    k: int,
    anchors: list[np.ndarray],
    unit_cost: Callable[[np.ndarray, np.ndarray], np.ndarray],
    forbidden: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Make territories contiguous by handing their fragments to adjacent territories.

    For every territory the pieces holding one of its ``anchors`` (its center, locked units) are kept; every
    other piece is released and its units are re-attached, wave by wave, to the adjacent territory of least
    ``unit_cost`` (a unit bordering an already-kept unit of that territory). Each attachment borders a
    connected territory, so kept territories stay connected.

    Parameters
    ----------
    adjacency : scipy.sparse matrix
        ``(n, n)`` unit adjacency.
    labels : numpy.ndarray
        ``(n,)`` territory per unit (-1 = unassigned, treated as released).
    k : int
        Number of territories.
    anchors : list of numpy.ndarray
        ``anchors[t]``: unit indices whose pieces territory ``t`` keeps (may be empty: then the piece with the
        most units is kept).
    unit_cost : callable
        ``unit_cost(units, territories) -> cost`` for index arrays of equal length (lower is better).
    forbidden : numpy.ndarray, optional
        ``(n, k)`` boolean mask of unit-territory pairs that are not allowed.

    Returns
    -------
    labels : numpy.ndarray
        Repaired labels. Units that could not be attached through the graph (a released piece with no
        allowed neighbouring territory) get the allowed territory of least cost, which may break contiguity.
    released : int
        Number of units that were released and re-attached.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    n = len(labels)
    comp = label_components(adjacency, labels)
    keep_comp = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    for t in range(k):
        members = np.flatnonzero(labels == t)
        if len(members) == 0:
            continue
        anc = np.asarray(anchors[t], dtype=np.int64) if t < len(anchors) else np.empty(0, np.int64)
        anc = anc[labels[anc] == t] if len(anc) else anc
        if len(anc):
            keep_comp[comp[anc]] = True
        else:
            ids, counts = np.unique(comp[members], return_counts=True)
            keep_comp[ids[np.argmax(counts)]] = True
    released_mask = (labels < 0) | ~keep_comp[comp]
    labels[released_mask] = -1
    released = int(released_mask.sum())
    src, dst = edge_arrays(adjacency)
    while True:
        free = labels < 0
        if not free.any():
            break
        e = free[src] & (labels[dst] >= 0)
        i, t = src[e], labels[dst[e]]
        if forbidden is not None and len(i):
            ok = ~forbidden[i, t]
            i, t = i[ok], t[ok]
        if len(i) == 0:
            break
        key = i * k + t
        key, first = np.unique(key, return_index=True)
        i, t = i[first], t[first]
        c = unit_cost(i, t)
        order = np.lexsort((c, i))
        i, t = i[order], t[order]
        head = np.r_[True, i[1:] != i[:-1]]
        labels[i[head]] = t[head]
    free = np.flatnonzero(labels < 0)
    if len(free):  # stranded: nearest allowed territory, contiguity may break
        tt = np.arange(k)
        for u in free.tolist():
            c = unit_cost(np.full(k, u), tt).astype(float)
            if forbidden is not None:
                c[forbidden[u]] = np.inf
            labels[u] = int(np.argmin(c))
    return labels, released


def connect_anchor_pieces(
    adjacency: sp.spmatrix, labels: np.ndarray, anchors: list[np.ndarray], blocked: np.ndarray
) -> np.ndarray:
    """Join the pieces of a territory that hold its anchors (center, locked units) by shortest paths.

    For every territory whose anchors lie in several connected pieces, each extra piece is joined to the piece
    of its first anchor along a fewest-hops path through units that are not ``blocked`` (locked to another
    territory, another territory's center); the path units switch to the territory. Other territories may be
    cut by a path: run :func:`repair_fragments` afterwards.

    Returns
    -------
    numpy.ndarray
        New labels (unchanged where no path exists).
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    a = _csr(adjacency)
    for t, anc in enumerate(anchors):
        anc = np.asarray(anc, dtype=np.int64)
        anc = anc[labels[anc] == t]
        if len(anc) < 2:
            continue
        for _ in range(len(anc)):
            comp = label_components(a, labels)
            pieces = np.unique(comp[anc])
            if len(pieces) <= 1:
                break
            main = comp[anc[0]]
            other = next(int(p) for p in pieces if p != main)
            target = comp == main
            # multi-source BFS from the extra piece, never through blocked units of other territories
            src = np.flatnonzero(comp == other)
            pred = np.full(len(labels), -2, dtype=np.int64)
            pred[src] = -1
            frontier = src
            hit = -1
            while len(frontier) and hit < 0:
                nxt = []
                for u in frontier.tolist():
                    for v in a.indices[a.indptr[u] : a.indptr[u + 1]].tolist():
                        if pred[v] != -2 or (blocked[v] and labels[v] != t):
                            continue
                        pred[v] = u
                        if target[v]:
                            hit = v
                            break
                        nxt.append(v)
                    if hit >= 0:
                        break
                frontier = np.asarray(nxt, dtype=np.int64)
            if hit < 0:
                break
            v = int(pred[hit])
            while v >= 0:
                labels[v] = t
                v = int(pred[v])
    return labels


def fill_gaps(
    labels: np.ndarray,
    adjacency: sp.spmatrix | None,
    cost: np.ndarray | None = None,
    xy: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Give every unit labelled -1 a territory, growing the labelled units outwards ring by ring.

    A unit of the gap joins, among its labelled neighbours' territories, the one it costs least to
    serve from; a whole ring is labelled at once, so the result does not depend on the unit order.
    Units no labelled unit reaches (islands, or all neighbours forbidden) take their cheapest
    territory. Equal costs (units without accounts cost nothing anywhere) are broken by the planar
    distance to the territory, so that a gap splits between the territories around it.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(n,)`` territory per unit, -1 for the units to fill (not modified).
    adjacency : scipy.sparse matrix or None
        ``(n, n)`` unit adjacency; None fills by cost and distance only.
    cost : numpy.ndarray, optional
        ``(n, k)`` cost of serving each unit from each territory, ``inf`` where forbidden; zero when
        not given.
    xy : numpy.ndarray, optional
        ``(n, 2)`` planar coordinates for the distance tie-break.
    where : numpy.ndarray, optional
        ``(k, 2)`` planar position of each territory; default the mean position of its labelled units.

    Returns
    -------
    numpy.ndarray
        The labels with every gap filled.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    gap = np.flatnonzero(labels < 0)
    if not len(gap):
        return labels
    k = int(max(labels.max() + 1, 0 if cost is None else cost.shape[1]))
    cost = np.zeros((len(labels), k)) if cost is None else np.asarray(cost, dtype=float).copy()
    if xy is not None:
        xy = np.asarray(xy, dtype=float)
        if where is None:
            held = labels >= 0
            counts = np.bincount(labels[held], minlength=k).astype(float)
            sums = [np.bincount(labels[held], weights=xy[held, d], minlength=k) for d in (0, 1)]
            where = np.column_stack(sums) / np.maximum(counts, 1.0)[:, None]
        distance = np.linalg.norm(xy[gap, None, :] - np.asarray(where)[None, :, :], axis=2)
        finite = np.isfinite(cost[gap])
        scale = np.abs(cost[gap][finite]).max(initial=0.0)
        # far below any real cost difference: only breaks ties
        cost[gap] += np.where(finite, 1e-9 * (1.0 + scale) * distance / max(distance.max(), 1e-12), 0.0)
    if adjacency is not None:
        adjacency = sp.csr_matrix(adjacency)
        frontier = gap
        while len(frontier):
            reached = []
            for i in frontier:
                around = labels[adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]]]
                around = np.unique(around[around >= 0])
                if len(around) and np.isfinite(cost[i, around]).any():
                    reached.append((i, around[np.argmin(cost[i, around])]))
            if not reached:
                break
            for i, t in reached:
                labels[i] = t
            frontier = frontier[labels[frontier] < 0]
    left = np.flatnonzero(labels < 0)
    labels[left] = np.argmin(cost[left], axis=1)
    return labels
