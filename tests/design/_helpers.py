"""Independent invariant checks for territory designs (no code shared with the engine)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[2]


def shared_benchmarks() -> Path:
    env = os.environ.get("TERRKIT_SHARED_BENCHMARKS")
    return Path(env) if env else ROOT.parent / "shared" / "benchmarks"


def assert_partition(labels, ids, k):
    """Every unit assigned exactly once, to one of k territories, every territory used."""
    assert list(labels.index) == list(ids)
    assert labels.notna().all()
    assert labels.index.is_unique
    assert labels.nunique() == k


def assert_balanced(labels, values, tol, k):
    totals = values.groupby(labels.to_numpy()).sum()
    target = values.sum() / k
    assert (totals <= target * (1 + tol) + 1e-9).all(), totals
    assert (totals >= target * (1 - tol) - 1e-9).all(), totals


def assert_contiguous(labels, adjacency):
    lab = labels.to_numpy()
    a = sp.csr_matrix(adjacency)
    for t in np.unique(lab):
        idx = np.flatnonzero(lab == t)
        ncomp, _ = connected_components(a[idx][:, idx], directed=False)
        assert ncomp == 1, f"territory {t} has {ncomp} pieces"


def read_pmed(path):
    lines = Path(path).read_text().split("\n")
    n, _, p = (int(v) for v in lines[0].split()[:3])
    w = np.full((n, n), np.inf)
    np.fill_diagonal(w, 0)
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 3:
            i, j, c = int(parts[0]) - 1, int(parts[1]) - 1, float(parts[2])
            w[i, j] = w[j, i] = c  # the last listed cost of an edge wins
    from scipy.sparse.csgraph import floyd_warshall

    return floyd_warshall(np.where(np.isinf(w), 0, w), directed=False), p
