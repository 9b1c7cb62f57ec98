"""Seeded, realistic potential surfaces for the territory-design benchmarks.

Each surface is a non-negative value per unit (county or ZIP point) that looks like market potential:

* ``zip_density``: population-like, the number of STANDARD ZIP points per county times lognormal noise;
* ``metro``: concentrated around the ~40 densest counties (exponential decay, 60-150 km) on a low rural floor;
* ``regional``: a smooth regional gradient (coastal / east-west / north-south mix) with mild noise;
* ``area_workload``: proportional to land area to the power 0.5 (a travel-workload-like measure);
* ``sample``: the bundled sample company's peer-benchmark potential per county (not seeded; counties without
  accounts get a small floor of 1% of the median so that every county carries some weight).

No unit may hold more than ``max_share`` of a territory's mean (default 40%): a single county bigger than a
territory's whole band would make +-2% balance impossible, so the tail is capped (the cap is reported).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SURFACES = ("zip_density", "metro", "regional", "area_workload", "sample")


def _cap(v: np.ndarray, k: int, max_share: float) -> tuple[np.ndarray, int]:
    v = np.asarray(v, dtype=float).copy()
    capped = 0
    for _ in range(20):  # capping lowers the mean, iterate to a fixed point
        cap = max_share * v.sum() / k
        over = v > cap
        if not over.any():
            break
        capped = max(capped, int(over.sum()))
        v[over] = cap
    return v, capped


def county_surfaces(
    counties: pd.DataFrame,
    zips: pd.DataFrame,
    xy_km: np.ndarray,
    *,
    k: int = 50,
    seed: int = 0,
    max_share: float = 0.4,
    names: tuple[str, ...] = SURFACES,
) -> dict[str, np.ndarray]:
    """Potential per county for every named surface (aligned with ``counties`` rows)."""
    n = len(counties)
    counts = zips.groupby("unit_id").size().reindex(counties["unit_id"]).fillna(0.0).to_numpy()
    out: dict[str, np.ndarray] = {}
    x = (xy_km[:, 0] - xy_km[:, 0].min()) / np.ptp(xy_km[:, 0])
    y = (xy_km[:, 1] - xy_km[:, 1].min()) / np.ptp(xy_km[:, 1])
    for name in names:
        if name not in SURFACES:
            raise ValueError(f"unknown surface {name!r}; valid surfaces: {', '.join(SURFACES)}")
        # one stream per surface: a surface does not depend on which other surfaces are asked for
        rng = np.random.default_rng([seed, SURFACES.index(name)])
        if name == "zip_density":
            v = (counts + 0.5) * rng.lognormal(0.0, 0.5, n)
        elif name == "metro":
            hubs = np.argsort(-counts, kind="stable")[:40]
            amp = rng.lognormal(0.0, 0.6, len(hubs))
            scale = rng.uniform(60.0, 150.0, len(hubs))
            d = np.hypot(*(xy_km[:, None, :] - xy_km[hubs][None, :, :]).transpose(2, 0, 1))
            v = (amp[None, :] * np.exp(-d / scale[None, :])).sum(1) * 20 + 0.3
            v = v * rng.lognormal(0.0, 0.3, n)
        elif name == "regional":
            coast = np.minimum(x, 1 - x)  # low near both coasts
            v = np.exp(1.2 * (0.5 - coast) + 0.8 * np.sin(3 * y + 1.0) + 0.6 * x) * rng.lognormal(0.0, 0.2, n)
        elif name == "sample":
            v = sample_potential(counties)
        elif name == "area_workload":
            v = np.sqrt(np.asarray(counties["land_km2"], dtype=float).clip(1.0)) * rng.lognormal(0.0, 0.2, n)
        out[name], _ = _cap(v, k, max_share)
    return out


def sample_potential(counties: pd.DataFrame) -> np.ndarray:
    """Peer-benchmark potential of the bundled sample's accounts, summed per county."""
    import warnings

    from terrkit.io import load_dataset
    from terrkit.potential import annual_sales, peer_potential

    ds = load_dataset()
    acc = ds.accounts.copy()
    acc["sales"] = annual_sales(acc, ds.sales).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = peer_potential(acc, "sales")
    per = pd.Series(np.asarray(pot.accounts["potential"], dtype=float), index=acc.index)
    v = per.groupby(acc["unit_id"].astype(str)).sum().reindex(counties["unit_id"].astype(str)).fillna(0.0)
    v = v.to_numpy()
    floor = 0.01 * float(np.median(v[v > 0])) if (v > 0).any() else 1.0
    return np.maximum(v, floor)


def zip_surface(zips: pd.DataFrame, xy_km: np.ndarray, *, k: int = 200, seed: int = 0) -> np.ndarray:
    """Population-like potential per ZIP point: denser ZIP neighbourhoods weigh more, lognormal noise."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    tree = cKDTree(xy_km)
    dens = np.array([len(r) for r in tree.query_ball_point(xy_km, r=15.0)], dtype=float)
    v = np.sqrt(dens) * rng.lognormal(0.0, 0.6, len(zips))
    v, _ = _cap(v, k, 0.3)
    return v


def weighted_centroid_distance(xy_km: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> float:
    """Weighted mean planar distance (km) from every unit to its territory's weighted centroid.

    .. math:: \\bar d = \\frac{\\sum_i w_i \\lVert x_i - \\bar x_{t(i)} \\rVert}{\\sum_i w_i},\\quad
        \\bar x_t = \\frac{\\sum_{i \\in t} w_i x_i}{\\sum_{i \\in t} w_i}
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    w = np.asarray(weight, dtype=float)
    sw = np.bincount(labels, w, minlength=k)
    cx = np.bincount(labels, w * xy_km[:, 0], minlength=k) / np.where(sw > 0, sw, 1)
    cy = np.bincount(labels, w * xy_km[:, 1], minlength=k) / np.where(sw > 0, sw, 1)
    d = np.hypot(xy_km[:, 0] - cx[labels], xy_km[:, 1] - cy[labels])
    return float((w * d).sum() / w.sum())


def max_deviation(labels: np.ndarray, value: np.ndarray, k: int) -> float:
    """Largest relative deviation of a territory's total from the mean total."""
    tot = np.bincount(np.asarray(labels), np.asarray(value, dtype=float), minlength=k)
    mean = tot.sum() / k
    return float(np.abs(tot / mean - 1).max())
