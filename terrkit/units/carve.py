"""Named-account units: carve the biggest accounts out of a unit that is still above the share.

Within each parent unit, accounts are ranked by their size relative to the share,
:math:`s_a = \\max_m v_{a,m} / t_m` (measure :math:`m`, threshold :math:`t_m`; measures with a zero
threshold count 0), largest first (ties: input order). The account of rank :math:`r` is carved out when
what the parent still holds before it, :math:`V_m - \\sum_{r' < r} v_{r',m}`, is above :math:`t_m` on
some measure. Values are non-negative, so that remainder only shrinks with :math:`r`: the carved
accounts are exactly those the one-by-one rule takes, found with one grouped cumulative sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def share_scores(values: pd.DataFrame, thresholds: pd.Series) -> np.ndarray:
    """:math:`\\max_m v_{a,m} / t_m` per account (0 on measures whose threshold is 0)."""
    limits = thresholds.reindex(values.columns).to_numpy(float)
    raw = values.to_numpy(float)
    ratio = np.divide(raw, limits, out=np.zeros_like(raw), where=limits > 0)
    return ratio.max(axis=1) if ratio.shape[1] else np.zeros(len(values))


def carve_accounts(parent: pd.Series, values: pd.DataFrame, thresholds: pd.Series) -> pd.DataFrame:
    """Which accounts become their own unit, and in which order within their parent.

    Parameters
    ----------
    parent : pandas.Series
        The unit each account is in before carving (a cell, or a county without cells).
    values : pandas.DataFrame
        Non-negative measures per account, indexed like ``parent``.
    thresholds : pandas.Series
        Largest total a unit may hold, per measure.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parent``: ``carved`` (bool) and ``rank`` (0 for the parent's biggest account).
    """
    n = len(parent)
    limits = thresholds.reindex(values.columns).to_numpy(float)
    codes = pd.factorize(parent, sort=False)[0]
    order = np.lexsort((np.arange(n), -share_scores(values, thresholds), codes))
    ranked = pd.DataFrame(values.to_numpy(float)[order], columns=values.columns)
    group = codes[order]
    held_before = ranked.groupby(group).transform("sum") - (ranked.groupby(group).cumsum() - ranked)
    carved_sorted = (held_before.to_numpy() > limits).any(axis=1)
    carved = np.empty(n, dtype=bool)
    rank = np.empty(n, dtype=int)
    carved[order] = carved_sorted
    rank[order] = ranked.groupby(group).cumcount().to_numpy()
    return pd.DataFrame({"carved": carved, "rank": rank}, index=parent.index)
