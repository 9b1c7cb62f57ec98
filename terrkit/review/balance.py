"""Balance indices: how evenly a measure is spread across territories.

For values :math:`x_1, \\dots, x_n \\ge 0` (one per territory) with mean :math:`\\bar x`:

- coefficient of variation :math:`CV = \\sigma / \\bar x` with the population standard deviation
  :math:`\\sigma = \\sqrt{\\tfrac1n \\sum (x_i - \\bar x)^2}` (0 = perfectly even);
- max/min ratio :math:`\\max x / \\min x` (infinite when a territory has 0);
- maximum deviation from the mean :math:`\\max_i |x_i - \\bar x| / \\bar x` (the figure a balance
  tolerance of the design engine bounds);
- Gini coefficient :math:`G = \\sum_i \\sum_j |x_i - x_j| / (2 n^2 \\bar x)`.

Gini convention: this is the population Gini of the :math:`n` values. Its maximum, when one territory
holds everything, is :math:`(n-1)/n`, not 1 (e.g. :math:`G([0,0,0,1]) = 0.75`); pass
``normalized=True`` to divide by :math:`(n-1)/n` so that the maximum is 1. :math:`G` equals one minus
twice the area under the Lorenz curve drawn through the points :func:`lorenz_curve` returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Index names, in the order of :func:`balance_indices` columns.
INDICES = ("cv", "max_min_ratio", "max_deviation", "gini")


def _values(x: pd.Series | npt.ArrayLike) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def coefficient_of_variation(x: pd.Series | npt.ArrayLike) -> float:
    """:math:`\\sigma / \\bar x` with the population standard deviation; NaN when the mean is 0."""
    v = _values(x)
    if len(v) == 0 or v.mean() == 0:
        return float("nan")
    return float(v.std(ddof=0) / v.mean())


def max_min_ratio(x: pd.Series | npt.ArrayLike) -> float:
    """:math:`\\max x / \\min x`; ``inf`` when the smallest value is 0 and the largest is not."""
    v = _values(x)
    if len(v) == 0:
        return float("nan")
    lo, hi = v.min(), v.max()
    if lo == 0:
        return float("inf") if hi > 0 else float("nan")
    return float(hi / lo)


def max_deviation(x: pd.Series | npt.ArrayLike) -> float:
    """:math:`\\max_i |x_i - \\bar x| / \\bar x`; NaN when the mean is 0."""
    v = _values(x)
    if len(v) == 0 or v.mean() == 0:
        return float("nan")
    return float(np.max(np.abs(v - v.mean())) / v.mean())


def deviation_from_mean(x: pd.Series) -> pd.Series:
    """Signed relative deviation of each value from the mean, :math:`(x_i - \\bar x) / \\bar x`."""
    mean = float(np.nanmean(np.asarray(x, dtype=float))) if len(x) else float("nan")
    return (x.astype(float) - mean) / mean if mean else x.astype(float) * np.nan


def gini(x: pd.Series | npt.ArrayLike, normalized: bool = False) -> float:
    """Gini coefficient (population convention, maximum :math:`(n-1)/n`; see the module docstring).

    Computed from the sorted values :math:`x_{(1)} \\le \\dots \\le x_{(n)}` as
    :math:`G = \\frac{2 \\sum_i i\\, x_{(i)}}{n \\sum_i x_i} - \\frac{n+1}{n}`.

    Parameters
    ----------
    x : array_like
        Non-negative values.
    normalized : bool, default False
        Divide by :math:`(n-1)/n` so that one territory holding everything gives 1.
    """
    v = np.sort(_values(x))
    n = len(v)
    if n == 0 or v.sum() == 0:
        return float("nan")
    if (v < 0).any():
        raise ValueError("the Gini coefficient needs non-negative values")
    g = 2.0 * np.sum(np.arange(1, n + 1) * v) / (n * v.sum()) - (n + 1.0) / n
    if normalized:
        g = g * n / (n - 1) if n > 1 else 0.0
    return float(max(g, 0.0))


def lorenz_curve(x: pd.Series | npt.ArrayLike) -> pd.DataFrame:
    """Points of the Lorenz curve: territories sorted from the smallest, cumulative shares.

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows, ``share_of_territories`` and ``share_of_measure``, both from 0 to 1. The
        diagonal is perfect balance; the area between it and the curve is half the Gini coefficient.
    """
    v = np.sort(_values(x))
    n = len(v)
    total = v.sum()
    cum = np.concatenate([[0.0], np.cumsum(v) / total]) if total > 0 else np.linspace(0, 1, n + 1)
    return pd.DataFrame({"share_of_territories": np.arange(n + 1) / max(n, 1), "share_of_measure": cum})


def balance_indices(table: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Every balance index for each measure (column of ``table``, one row per territory).

    Returns
    -------
    pandas.DataFrame
        Indexed by measure, columns ``mean``, ``min``, ``max`` and :data:`INDICES`.
    """
    missing = [m for m in measures if m not in table.columns]
    if missing:
        raise ValueError(
            f"unknown measure {missing[0]!r}; valid measures: {', '.join(map(str, table.columns))}"
        )
    rows = []
    for m in measures:
        col = table[m].astype(float)
        rows.append(
            {
                "measure": m,
                "mean": col.mean(),
                "min": col.min(),
                "max": col.max(),
                "cv": coefficient_of_variation(col),
                "max_min_ratio": max_min_ratio(col),
                "max_deviation": max_deviation(col),
                "gini": gini(col),
            }
        )
    return pd.DataFrame(rows).set_index("measure")
