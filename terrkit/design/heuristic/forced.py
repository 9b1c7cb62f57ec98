"""Territories that the balance band and contiguity force, fixed before the heuristic searches the rest.

When a unit has exactly one witness (one connected group holding it whose total lies in the band and that
cuts off no pocket, :func:`terrkit.design.checks.band_reach.sole_witnesses`), every feasible plan has that
group as a territory. On a lumpy metro surface, Suffolk's territory may have to be exactly Suffolk + Nassau +
Queens + the Bronx; local search rarely finds such a needle, so the group is fixed and the heuristic designs
the other :math:`k - f` territories on the remaining units.

This applies when centers are chosen by the model, there are no locks, forbidden pairs or current plan,
contiguity is required and every balanced measure has the same band in every territory
(:func:`fixing_applies`, :func:`uniform_band`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from terrkit.design.checks.band_reach import sole_witnesses
from terrkit.design.problem.definition import DesignData

__all__ = ["fit_every_band", "fixing_applies", "forced_groups", "only_units", "uniform_band", "without_units"]


def fixing_applies(data: DesignData) -> bool:
    """Whether territories may be fixed before the heuristic designs the rest (see the module notes)."""
    return bool(
        data.contiguous
        and data.adjacency is not None
        and data.fixed_centers is None
        and data.centers_are_units
        and data.current is None
        and not (np.asarray(data.locked) >= 0).any()
        and len(data.forbidden) == 0
        and data.q > 0
    )


def uniform_band(data: DesignData, j: int) -> tuple[np.ndarray, float, float] | None:
    """Measure ``j`` and its band when every territory has the same finite, positive band on it.

    Returns None when the bands differ or are open, or a value is negative or not finite.
    """
    v = np.asarray(data.measures[:, j], dtype=float)
    lo, hi = np.asarray(data.lower)[:, j], np.asarray(data.upper)[:, j]
    banded = np.isfinite(lo).all() and np.isfinite(hi).all() and lo.min() > 0
    if not banded or np.ptp(lo) > 0 or np.ptp(hi) > 0 or not np.isfinite(v).all() or (v < 0).any():
        return None
    return v, float(lo[0]), float(hi[0])


def fit_every_band(data: DesignData, groups: list[np.ndarray]) -> bool:
    """Whether the groups are disjoint and fit every measure's band as the last ``len(groups)`` territories.

    Fixed groups become the last territories, in order (see
    ``terrkit.design.heuristic.search._design_around``).
    """
    if not groups:
        return True
    members = np.concatenate(groups)
    if len(np.unique(members)) != len(members) or len(groups) > data.k:
        return False
    lo = np.asarray(data.lower)[data.k - len(groups) :]
    hi = np.asarray(data.upper)[data.k - len(groups) :]
    tots = np.array([np.asarray(data.measures)[g].sum(axis=0) for g in groups])
    return bool(((tots >= lo - 1e-9 * np.abs(lo)) & (tots <= hi + 1e-9 * np.abs(hi))).all())


def forced_groups(data: DesignData) -> list[np.ndarray]:
    """Disjoint groups of units that every feasible plan has as whole territories (possibly none).

    Parameters
    ----------
    data : DesignData
        The problem.

    Returns
    -------
    list of numpy.ndarray
        Unit indices of every forced group; empty when none is found, when the problem is not eligible
        (see the module notes), or when forced groups overlap or break another measure's band (the problem
        is then infeasible, and the plan found says so).
    """
    if not fixing_applies(data):
        return []
    groups: list[tuple[int, ...]] = []
    for j in range(data.q):
        band = uniform_band(data, j)
        if band is None:
            continue
        sole = sole_witnesses(data.adjacency, *band)
        groups += [g for g in sole if g not in groups]
    groups = groups[: data.k - 1]  # at least one territory is left to the heuristic
    out = [np.asarray(g, dtype=np.int64) for g in groups]
    return out if fit_every_band(data, out) else []


def without_units(data: DesignData, drop: np.ndarray, k: int) -> tuple[DesignData, np.ndarray]:
    """The problem on the units not in ``drop``, with ``k`` territories; also the kept unit indices."""
    keep = np.setdiff1d(np.arange(data.n), drop)
    return only_units(data, keep, k), keep


def only_units(data: DesignData, keep: np.ndarray, k: int) -> DesignData:
    """The problem on the units ``keep`` (sorted indices) with the first ``k`` territories' bands."""

    def rows(a):
        return None if a is None else np.asarray(a)[keep]

    return dataclasses.replace(
        data,
        ids=np.asarray(data.ids)[keep],
        k=k,
        xy_km=rows(data.xy_km),
        lonlat=rows(data.lonlat),
        cost=None if data.cost is None else np.asarray(data.cost)[np.ix_(keep, keep)],
        weight=np.asarray(data.weight)[keep],
        measures=np.asarray(data.measures)[keep],
        lower=np.asarray(data.lower)[:k],
        upper=np.asarray(data.upper)[:k],
        adjacency=data.adjacency[keep][:, keep].tocsr(),
        locked=np.asarray(data.locked)[keep],
        target=None if data.target is None else np.asarray(data.target)[:k],
        territory_names=None,
        island_links=[],
    )
