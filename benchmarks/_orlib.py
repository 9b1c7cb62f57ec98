"""Readers for the public benchmark instances in ../shared/benchmarks (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path


def shared_benchmarks() -> Path:
    """Folder of the shared instances: $TERRKIT_SHARED_BENCHMARKS or <project root>/../shared/benchmarks."""
    env = os.environ.get("TERRKIT_SHARED_BENCHMARKS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def read_pmed(path: str | Path) -> tuple[np.ndarray, int]:
    """OR-Library pmed file -> (all-pairs shortest-path distance matrix, p). The last cost of an edge wins."""
    lines = Path(path).read_text().split("\n")
    n, _, p = (int(v) for v in lines[0].split()[:3])
    edges: dict[tuple[int, int], float] = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < 3:
            continue
        i, j, c = int(parts[0]) - 1, int(parts[1]) - 1, float(parts[2])
        edges[(min(i, j), max(i, j))] = c
    ij = np.array(list(edges.keys()))
    c = np.array(list(edges.values()))
    g = csr_matrix((c, (ij[:, 0], ij[:, 1])), shape=(n, n))
    return shortest_path(g, method="D", directed=False), p


def read_pmed_optima(folder: str | Path) -> dict[str, float]:
    """pmedopt.txt -> {"pmed1": 5819.0, ...}."""
    out = {}
    for line in (Path(folder) / "pmedopt.txt").read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


def read_pmedcap(path: str | Path):
    """Capacitated p-median file -> (ids, xy, demand, p, capacity, best_known)."""
    rows = [r.split() for r in Path(path).read_text().splitlines() if r.strip()]
    best = float(rows[0][1])
    n, p, cap = int(rows[1][0]), int(rows[1][1]), float(rows[1][2])
    data = np.array([[float(v) for v in r[:4]] for r in rows[2 : 2 + n]])
    return data[:, 0].astype(int), data[:, 1:3], data[:, 3], p, cap, best
