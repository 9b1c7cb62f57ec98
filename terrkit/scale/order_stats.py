"""Exact order statistics and value-share thresholds from partition-wise passes.

Quantile cuts (RFM scores) and cumulative-share cuts (ABC tiers) have no partition-wise form: an
account's score depends on every other account. Sorting the whole table would give them, but a sort
moves every row between workers. These functions find the few values the cuts need instead, exactly,
in three passes over the partitions, each returning a small summary:

1. **sample**: every partition sorts its values and returns :data:`SAMPLE_POINTS` evenly spaced order
   statistics of its own (its minimum and maximum included);
2. **count**: every partition counts its values (or sums them) up to each sampled value. The sampled
   values of all partitions are the probes, so the global count at every probe is exact, and each
   wanted rank falls between two consecutive probes;
3. **bracket**: every partition returns its values strictly between those two probes (at most its
   length / :data:`SAMPLE_POINTS` of them, as its own samples are probes) and how many equal the upper
   probe; the combined bracket is small enough to sort on the client.

A pandas frame is one partition, so the pandas back end runs the same passes (:mod:`.backend`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from terrkit.scale.backend import partition_results

#: Order statistics each partition contributes as probes. The values left between two probes, which
#: pass 3 collects, are at most n / SAMPLE_POINTS plus one per partition: about 20,000 values for
#: 20 million accounts.
SAMPLE_POINTS = 1024


def _sorted_values(part: pd.DataFrame | pd.Series, column: str | None) -> np.ndarray:
    s = part[column] if column is not None else part
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return np.sort(v[np.isfinite(v)])


def _sample(part: Any, column: str | None) -> tuple[int, np.ndarray]:
    v = _sorted_values(part, column)
    if len(v) == 0:
        return 0, v
    idx = np.unique(np.linspace(0, len(v) - 1, min(len(v), SAMPLE_POINTS)).round().astype(np.int64))
    return len(v), v[idx]


def _counts(part: Any, column: str | None, probes: np.ndarray, weighted: bool) -> np.ndarray:
    v = _sorted_values(part, column)
    upto = np.searchsorted(v, probes, side="right")
    if not weighted:
        return upto.astype(float)
    cum = np.concatenate([[0.0], np.cumsum(v)])
    return cum[upto]


def _bracket(part: Any, column: str | None, lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, int]]:
    v = _sorted_values(part, column)
    out = []
    for a, b in zip(lo, hi, strict=True):
        start = np.searchsorted(v, a, side="right")
        stop = np.searchsorted(v, b, side="left")
        out.append((v[start:stop], int(np.searchsorted(v, b, side="right") - stop)))
    return out


def _probes(frame: Any, column: str | None) -> tuple[int, np.ndarray]:
    samples = partition_results(frame, _sample, column)
    n = int(sum(k for k, _ in samples))
    probes = np.unique(np.concatenate([s for _, s in samples])) if n else np.zeros(0)
    return n, probes


def order_statistics(frame: Any, ranks: np.ndarray | list[int], column: str | None = None) -> np.ndarray:
    """The values at 1-based ``ranks`` of the sorted finite values of a column (smallest = rank 1).

    Parameters
    ----------
    frame : pandas or Dask DataFrame or Series
        The values (``frame[column]``, or the Series itself when ``column`` is None). Missing and
        infinite values are left out.
    ranks : array of int
        Positions wanted, each in 1..n with n the number of finite values.
    column : str, optional
        Column of ``frame``.

    Returns
    -------
    numpy.ndarray
        One value per rank: exactly what ``np.sort(values)[ranks - 1]`` gives.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    n, probes = _probes(frame, column)
    if len(ranks) == 0:
        return np.zeros(0)
    if ranks.min() < 1 or ranks.max() > n:
        raise ValueError(f"ranks must lie in 1..{n}; got {ranks.min()}..{ranks.max()}")
    counts = np.sum(partition_results(frame, _counts, column, probes, False), axis=0)
    lo, hi, below = _brackets(probes, counts, ranks.astype(float))
    parts = partition_results(frame, _bracket, column, lo, hi)
    out = np.empty(len(ranks))
    for k, r in enumerate(ranks):
        inside = np.sort(np.concatenate([p[k][0] for p in parts]))
        need = int(r - below[k])  # rank within (lo, hi]
        out[k] = inside[need - 1] if need <= len(inside) else hi[k]
    return out


def share_thresholds(frame: Any, targets: np.ndarray | list[float], column: str | None = None) -> np.ndarray:
    """For each target t, the smallest value v whose values up to v sum to more than t.

    With :math:`W(v) = \\sum_{x_j \\le v} x_j` over the finite values (non-negative), the result is
    :math:`\\min\\{v : W(v) > t\\}`, NaN when no value qualifies (t at or above the total). This is
    where the accounts ranked from the top stop holding a cumulative share: the ABC cut points.
    """
    targets = np.asarray(targets, dtype=float)
    n, probes = _probes(frame, column)
    if n == 0 or len(targets) == 0:
        return np.full(len(targets), np.nan)
    sums = np.sum(partition_results(frame, _counts, column, probes, True), axis=0)
    ok = targets < sums[-1]
    lo, hi, below = _brackets(probes, sums, np.where(ok, targets, -np.inf), weighted=True)
    parts = partition_results(frame, _bracket, column, lo, hi)
    out = np.full(len(targets), np.nan)
    for k, t in enumerate(targets):
        if not ok[k]:
            continue
        inside = np.sort(np.concatenate([p[k][0] for p in parts]))
        running = below[k] + np.cumsum(inside)
        first = np.flatnonzero(running > t)
        out[k] = inside[first[0]] if len(first) else hi[k]
    return out


def _brackets(
    probes: np.ndarray, cumulative: np.ndarray, wanted: np.ndarray, weighted: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, cumulative at lo) with the wanted rank (or sum) reached in (lo, hi] and not at lo."""
    # unweighted: the first probe whose count reaches the rank; weighted: whose sum exceeds the target
    hi_idx = np.searchsorted(cumulative, wanted, side="right" if weighted else "left")
    hi_idx = np.minimum(hi_idx, len(probes) - 1)
    lo = np.where(hi_idx > 0, probes[np.maximum(hi_idx - 1, 0)], -np.inf)
    below = np.where(hi_idx > 0, cumulative[np.maximum(hi_idx - 1, 0)], 0.0)
    return lo, probes[hi_idx], below


def quantile_score_cuts(frame: Any, n_bins: int, column: str | None = None) -> tuple[int, np.ndarray]:
    """The values at which a quantile score steps up, and the number of values scored.

    With :math:`c(x)` the number of values :math:`\\le x` out of :math:`n`, the score
    :math:`\\lceil n_\\text{bins} c(x) / n \\rceil` is at most :math:`k` exactly when :math:`x` lies
    below the order statistic :math:`x_{(\\lfloor k n / n_\\text{bins} \\rfloor + 1)}`. So the score of
    :math:`x` is one plus the number of these ``n_bins - 1`` cuts that :math:`x` reaches
    (:func:`apply_score_cuts`).
    """
    n, _ = _probes(frame, column)
    if n == 0:
        return 0, np.zeros(0)
    k = np.arange(1, n_bins, dtype=np.int64)
    ranks = (k * n) // n_bins + 1
    return n, order_statistics(frame, ranks, column)


def apply_score_cuts(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Score 1.. len(cuts) + 1 of each value: one plus the number of cuts it reaches (``>=``)."""
    return (
        np.searchsorted(np.asarray(cuts, dtype=float), np.asarray(values, dtype=float), side="right") + 1
    ).astype(np.int8)
