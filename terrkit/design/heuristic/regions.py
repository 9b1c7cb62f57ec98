"""Large designs in regions: split the units into regions of about fifty territories, then design each.

A national design of 1,000 territories on 30,000 ZIP codes is too large for one location-allocation: its
assignment LP cannot balance a thousand territories from each unit's few nearest centers, widens to tens of
candidates per unit (over a million columns) and spends its share of the work there, and the local search is
left with a plan three times outside the band. Designing in regions keeps every search at the size the
engine handles well (3,108 counties into 50 territories):

1. **Regions.** The same search designs ``R`` regions, region ``r`` to hold ``sizes[r]`` territories: its
   balance band is the region's share of the total, ``REGION_BAND_SHARE`` of the territories' half-band
   wide (:func:`region_problem`). A region's territories then average within that share of the half-band
   of the whole design's mean, and the rest of the band is left for their own balance.
2. **Territories within each region**, each region on its own units and graph
   (:func:`terrkit.design.heuristic.forced.only_units`), with the
   original band for every territory.
3. **The joined plan** is polished by the local search over every territory, so the borders between regions
   are improved like any other.

This applies where fixing forced territories does (the model chooses the centers among the units, no locks,
forbidden pairs or current plan, contiguity required), every measure has the same band in every territory,
and there are at least ``REGIONS_FROM_K`` territories (:func:`regions_apply`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from terrkit.design.heuristic.forced import fixing_applies, uniform_band
from terrkit.design.problem.definition import DesignData

__all__ = [
    "REGIONS_FROM_K",
    "REGION_TERRITORIES",
    "region_problem",
    "region_sizes",
    "regions_apply",
    "regions_fit",
]

#: Territories per region: the size the engine designs well in one search (3,108 counties into 50).
REGION_TERRITORIES = 50
#: Design in regions from this many territories: on the ZIP instance one search and regions are within 1% of
#: each other at 400 territories, regions are 3% shorter at 600, and one search does not balance 800 or 1,000.
REGIONS_FROM_K = 400
#: Width of a region's band, as a share of its territories' half-band (±1% at ±5%): the territories keep four
#: fifths of theirs, and on the ZIP instance (1,000 territories, seed 0) it gives a 0.65% shorter plan than a
#: quarter of that width (the split draws more compact regions).
REGION_BAND_SHARE = 0.2


def regions_apply(data: DesignData) -> bool:
    """Whether :func:`terrkit.design.heuristic.search.solve_heuristic` designs in regions (module notes)."""
    return bool(
        data.k >= REGIONS_FROM_K
        and fixing_applies(data)
        and all(uniform_band(data, j) is not None for j in range(data.q))
    )


def region_sizes(k: int, per_region: int | None = None) -> np.ndarray:
    """Territories in each region: ``round(k / per_region)`` regions (at least 2), as equal as possible.

    ``per_region`` defaults to :data:`REGION_TERRITORIES`.

    Examples
    --------
    >>> region_sizes(1000).tolist() == [50] * 20
    True
    >>> region_sizes(430).tolist()
    [48, 48, 48, 48, 48, 48, 48, 47, 47]
    """
    per_region = REGION_TERRITORIES if per_region is None else per_region
    count = max(2, int(round(k / per_region)))
    base, extra = divmod(int(k), count)
    return np.array([base + 1] * extra + [base] * (count - extra), dtype=np.int64)


def region_problem(data: DesignData, sizes: np.ndarray) -> DesignData:
    """The problem of splitting ``data``'s units into ``len(sizes)`` regions, region ``r`` for ``sizes[r]``.

    Every measure's band for region ``r`` is centred on the region's share of the total,
    ``total * sizes[r] / k``, and is ``REGION_BAND_SHARE`` of the territories' half-band (times
    ``sizes[r]``) wide on each side, inside ``sizes[r]`` times the territory band. The objective, graph
    and weights are the territories' own.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    lower = np.empty((len(sizes), data.q))
    upper = np.empty((len(sizes), data.q))
    for j in range(data.q):
        v, lo, hi = uniform_band(data, j)
        centre = float(v.sum()) * sizes / data.k
        half = REGION_BAND_SHARE * (hi - lo) / 2.0 * sizes
        lower[:, j] = np.maximum(centre - half, sizes * lo)
        upper[:, j] = np.minimum(centre + half, sizes * hi)
    return dataclasses.replace(
        data,
        k=len(sizes),
        lower=lower,
        upper=upper,
        target=(lower + upper) / 2.0,
        territory_names=None,
    )


def regions_fit(data: DesignData, regions: np.ndarray, sizes: np.ndarray) -> bool:
    """Whether every region could hold its territories: each measure's total within ``sizes[r]`` bands.

    A region outside that range has no balanced plan of its own; the split is then not used.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    for j in range(data.q):
        v, lo, hi = uniform_band(data, j)
        totals = np.bincount(regions, weights=v, minlength=len(sizes))
        tol = 1e-9 * max(abs(hi), 1.0) * sizes
        if ((totals < sizes * lo - tol) | (totals > sizes * hi + tol)).any():
            return False
    return True
