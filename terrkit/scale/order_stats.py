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


def _sorted_values(part: pd.DataFrame, column: str) -> np.ndarray:
    v = pd.to_numeric(part[column], errors="coerce").to_numpy(dtype=float)
    return np.sort(v[np.isfinite(v)])


def _sample(part: pd.DataFrame, columns: list[str]) -> list[tuple[int, np.ndarray]]:
    out = []
    for column in columns:
        v = _sorted_values(part, column)
        idx = np.unique(np.linspace(0, len(v) - 1, min(len(v), SAMPLE_POINTS)).round().astype(np.int64))
        out.append((len(v), v[idx] if len(v) else v))
    return out


def _counts(
    part: pd.DataFrame, columns: list[str], probes: list[np.ndarray], weighted: bool
) -> list[np.ndarray]:
    out = []
    for column, p in zip(columns, probes, strict=True):
        v = _sorted_values(part, column)
        upto = np.searchsorted(v, p, side="right")
        out.append(np.concatenate([[0.0], np.cumsum(v)])[upto] if weighted else upto.astype(float))
    return out


def _bracket(
    part: pd.DataFrame, columns: list[str], lo: list[np.ndarray], hi: list[np.ndarray]
) -> list[list[np.ndarray]]:
    """Per column and wanted rank, the values strictly between ``lo`` and ``hi``."""
    out = []
    for column, a, b in zip(columns, lo, hi, strict=True):
        v = _sorted_values(part, column)
        start = np.searchsorted(v, a, side="right")
        stop = np.searchsorted(v, b, side="left")
        out.append([v[i:j] for i, j in zip(start, stop, strict=True)])
    return out


def _as_frame(frame: Any, column: str | None) -> tuple[Any, str]:
    """A frame and the column to read: a Series becomes a one-column frame."""
    if column is not None:
        return frame, column
    name = frame.name if getattr(frame, "name", None) is not None else "value"
    return frame.to_frame(name=name), name


def _select(
    frame: Any, columns: list[str], wanted: Any, weighted: bool = False
) -> list[tuple[int, float, np.ndarray]]:
    """The three passes for several columns at once: (n, total, values at the wanted ranks or sums).

    ``wanted(n, total)`` gives, per column, the 1-based ranks (or, ``weighted``, the running-sum
    targets) from the column's count and total, known after the first pass.
    """
    samples = partition_results(frame, _sample, columns)
    sizes = [int(sum(p[i][0] for p in samples)) for i in range(len(columns))]
    probes = [
        np.unique(np.concatenate([p[i][1] for p in samples])) if sizes[i] else np.zeros(0)
        for i in range(len(columns))
    ]
    per_partition = partition_results(frame, _counts, columns, probes, weighted)
    counts = [np.sum([p[i] for p in per_partition], axis=0) for i in range(len(columns))]
    targets, lo, hi, below = [], [], [], []
    for i in range(len(columns)):
        total = float(counts[i][-1]) if sizes[i] else 0.0
        t = np.asarray(wanted(sizes[i], total), dtype=float) if sizes[i] else np.zeros(0)
        a, b, c = _brackets(probes[i], counts[i], t, weighted) if len(t) else (t, t, t)
        targets.append(t), lo.append(a), hi.append(b), below.append(c)
    inside = partition_results(frame, _bracket, columns, lo, hi)
    out = []
    for i in range(len(columns)):
        values = np.empty(len(targets[i]))
        for k, t in enumerate(targets[i]):
            between = np.sort(np.concatenate([p[i][k] for p in inside]))
            if weighted:  # the first value whose running sum exceeds the target
                passed = np.flatnonzero(below[i][k] + np.cumsum(between) > t)
                values[k] = between[passed[0]] if len(passed) else hi[i][k]
            else:  # the value at the rank, counted from the last probe below it
                need = int(t - below[i][k])
                values[k] = between[need - 1] if need <= len(between) else hi[i][k]
        total = float(counts[i][-1]) if sizes[i] else 0.0
        out.append((sizes[i], total, values))
    return out


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
    frame, column = _as_frame(frame, column)

    def checked(n: int, _total: float) -> np.ndarray:
        if len(ranks) and (ranks.min() < 1 or ranks.max() > n):
            raise ValueError(f"ranks must lie in 1..{n}; got {ranks.min()}..{ranks.max()}")
        return ranks

    n, _, values = _select(frame, [column], checked)[0]
    if n == 0 and len(ranks):
        raise ValueError("ranks must lie in 1..0: there are no finite values")
    return values


def share_thresholds(frame: Any, targets: np.ndarray | list[float], column: str | None = None) -> np.ndarray:
    """For each target t, the smallest value v whose values up to v sum to more than t.

    With :math:`W(v) = \\sum_{x_j \\le v} x_j` over the finite values (non-negative), the result is
    :math:`\\min\\{v : W(v) > t\\}`, NaN when no value qualifies (t at or above the total). This is
    where the accounts ranked from the top stop holding a cumulative share: the ABC cut points.
    """
    targets = np.asarray(targets, dtype=float)
    frame, column = _as_frame(frame, column)
    n, total, values = _select(frame, [column], lambda _n, _total: targets, weighted=True)[0]
    if n == 0:
        return np.full(len(targets), np.nan)
    return np.where(targets < total, values, np.nan)


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
    frame, column = _as_frame(frame, column)
    return quantile_score_cuts_by_column(frame, [column], n_bins)[column]


def quantile_score_cuts_by_column(
    frame: Any, columns: list[str], n_bins: int
) -> dict[str, tuple[int, np.ndarray]]:
    """:func:`quantile_score_cuts` of several columns of one table, in the same three passes."""
    k = np.arange(1, n_bins, dtype=np.int64)
    found = _select(frame, list(columns), lambda n, _total: (k * n) // n_bins + 1)
    return {c: (n, values) for c, (n, _, values) in zip(columns, found, strict=True)}


def apply_score_cuts(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Score 1.. len(cuts) + 1 of each value: one plus the number of cuts it reaches (``>=``)."""
    return (
        np.searchsorted(np.asarray(cuts, dtype=float), np.asarray(values, dtype=float), side="right") + 1
    ).astype(np.int8)
