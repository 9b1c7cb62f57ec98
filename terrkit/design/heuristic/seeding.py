"""Seeding and center updates for the territory-design heuristic.

* :func:`allowed_pairs` folds locks, fixed center units and forbidden pairs into one ``(n, k)`` mask.
* :func:`initial_centers` picks a starting center for every territory: the given centers; the weighted medoid
  of the current territory when realigning; the locked units' medoid for territories with locks; weighted
  k-means (k-means++ seeding) on planar coordinates, or weighted k-means++ :math:`D^2` sampling on the cost
  matrix, for the rest.
* :func:`medoid_centers` moves each center to the member minimising :math:`\\sum_{j \\in t} w_j d(j, c)^p`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["allowed_pairs", "initial_centers", "medoid", "medoid_centers", "planar_xy"]


def planar_xy(data) -> np.ndarray | None:
    """Planar km coordinates: ``xy_km`` if given, else an equirectangular projection of ``lonlat``."""
    if data.xy_km is not None:
        return np.asarray(data.xy_km, dtype=float)
    if data.lonlat is not None:
        lon, lat = np.radians(np.asarray(data.lonlat, dtype=float).T)
        lat0 = float(np.mean(lat))
        return np.c_[6371.0088 * lon * np.cos(lat0), 6371.0088 * lat]
    return None


def allowed_pairs(data) -> np.ndarray:
    """``(n, k)`` mask of allowed unit-territory pairs (forbidden pairs out; locked units only to their lock).

    When centers are units and fixed, the center unit of territory ``t`` is treated as locked to ``t``.
    """
    n, k = data.n, data.k
    allowed = np.ones((n, k), dtype=bool)
    f = np.asarray(data.forbidden, dtype=np.int64).reshape(-1, 2)
    if len(f):
        allowed[f[:, 0], f[:, 1]] = False
    locked = effective_locks(data)
    li = np.flatnonzero(locked >= 0)
    allowed[li] = False
    allowed[li, locked[li]] = True
    return allowed


def effective_locks(data) -> np.ndarray:
    """Locks, plus fixed center units locked to their territory (when centers are units)."""
    locked = np.asarray(data.locked, dtype=np.int64).copy()
    if data.fixed_centers is not None and data.centers_are_units:
        fc = np.asarray(data.fixed_centers, dtype=np.int64)
        free = locked[fc] < 0
        locked[fc[free]] = np.arange(data.k)[free]
    return locked


def medoid(data, members: np.ndarray, xy: np.ndarray | None, n_try: int = 12) -> int:
    """The member of least weighted cost to all ``members``: a territory's center among its own units.

    With planar coordinates only the ``n_try`` members nearest the weighted centroid are tried (the medoid
    is nearly always among them); without, at most about 200 members spread over the list.
    """
    w = np.asarray(data.weight, dtype=float)[members]
    if xy is not None:
        pts = xy[members]
        cen = (pts * w[:, None]).sum(0) / w.sum() if w.sum() > 0 else pts.mean(0)
        cands = members[np.argsort(np.hypot(*(pts - cen).T), kind="stable")[:n_try]]
    else:
        cands = members if len(members) <= 200 else members[:: max(1, len(members) // 200)]
    cm = data.unit_cost(members[:, None], cands[None, :]) * w[:, None]
    return int(cands[np.argmin(cm.sum(axis=0))])


def medoid_centers(data, labels: np.ndarray, centers: np.ndarray, xy: np.ndarray | None) -> np.ndarray:
    """Weighted medoid of every territory (fixed centers and point centers are kept)."""
    centers = np.asarray(centers, dtype=np.int64).copy()
    if data.fixed_centers is not None or data.m != data.n:
        return centers
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(data.k + 1))
    for t in range(data.k):
        members = order[starts[t] : starts[t + 1]]
        if len(members):
            centers[t] = medoid(data, members, xy)
    return centers


def weighted_kmeans(
    xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 100
) -> tuple[np.ndarray, float]:
    """Weighted k-means (Lloyd) with weighted k-means++ seeding; returns ``(k, 2)`` centers and the SSE.

    Minimises :math:`\\sum_i w_i \\lVert x_i - \\mu_{c(i)} \\rVert^2`. Seeding draws the first center with
    probability :math:`\\propto w_i` and each next one with probability :math:`\\propto w_i D(x_i)^2`.
    """
    from scipy.spatial import cKDTree

    n = len(xy)
    p = w / w.sum()
    idx = [int(rng.choice(n, p=p))]
    d2 = ((xy - xy[idx[0]]) ** 2).sum(1)
    for _ in range(1, k):
        pr = w * d2
        tot = pr.sum()
        nxt = int(rng.choice(n, p=pr / tot)) if tot > 0 else int(rng.integers(n))
        idx.append(nxt)
        d2 = np.minimum(d2, ((xy - xy[nxt]) ** 2).sum(1))
    cc = xy[idx].astype(float)
    lab = None
    for _ in range(max_iter):
        new = cKDTree(cc).query(xy)[1]
        if lab is not None and np.array_equal(new, lab):
            break
        lab = new
        sw = np.bincount(lab, w, minlength=k)
        has = sw > 0
        cx = np.bincount(lab, w * xy[:, 0], minlength=k)
        cy = np.bincount(lab, w * xy[:, 1], minlength=k)
        cc[has] = np.c_[cx[has] / sw[has], cy[has] / sw[has]]
    d, lab = cKDTree(cc).query(xy)
    return cc, float((w * d**2).sum())


def balanced_kmeans(
    xy: np.ndarray, w: np.ndarray, bal: np.ndarray, cc: np.ndarray, iters: int = 40, n_near: int = 16
) -> np.ndarray:
    """Move k-means centers towards balanced clusters with a price per cluster (Lagrangian relaxation).

    Each unit joins the cluster minimising :math:`\\lVert x_i - \\mu_t \\rVert + \\lambda_t` among its
    ``n_near`` nearest centers; prices rise for clusters above the mean load of ``bal`` and fall below it:
    :math:`\\lambda_t \\leftarrow \\lambda_t + \\eta\\,(B_t / \\bar B - 1)`; centers move to the weighted
    centroid.
    """
    from scipy.spatial import cKDTree

    k = len(cc)
    n = len(xy)
    cc = cc.copy()
    target = bal.sum() / k
    if target <= 0:
        return cc
    lam = np.zeros(k)
    d0, _ = cKDTree(cc).query(xy)
    scale = float(np.average(d0, weights=w)) if w.sum() > 0 else float(d0.mean())
    nn = min(n_near, k)
    for it in range(iters):
        d, idx = cKDTree(cc).query(xy, k=nn)
        d, idx = d.reshape(n, nn), idx.reshape(n, nn)
        lab = idx[np.arange(n), np.argmin(d + lam[idx], axis=1)]
        load = np.bincount(lab, bal, minlength=k)
        eta = scale * (0.5 * (1 - it / iters) + 0.05)
        lam += eta * (load / target - 1)
        sw = np.bincount(lab, w, minlength=k)
        has = sw > 0
        cx = np.bincount(lab, w * xy[:, 0], minlength=k)
        cy = np.bincount(lab, w * xy[:, 1], minlength=k)
        cc[has] = np.c_[cx[has] / sw[has], cy[has] / sw[has]]
    return cc


def _kmeanspp_cost(data, k: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted k-means++ :math:`D^2` sampling on the cost matrix (no coordinates)."""
    n = data.n
    w = np.asarray(data.weight, dtype=float) + 1e-12
    first = int(rng.choice(n, p=w / w.sum()))
    chosen = [first]
    d = data.unit_cost(np.arange(n), np.full(n, first)).astype(float) ** 2
    for _ in range(1, k):
        p = w * d
        p[chosen] = 0
        nxt = int(rng.choice(n, p=p / p.sum())) if p.sum() > 0 else int(np.setdiff1d(np.arange(n), chosen)[0])
        chosen.append(nxt)
        d = np.minimum(d, data.unit_cost(np.arange(n), np.full(n, nxt)).astype(float) ** 2)
    return np.array(chosen, dtype=np.int64)


def initial_centers(data, xy: np.ndarray | None, allowed: np.ndarray, seed: int) -> np.ndarray:
    """Starting center (candidate index) of every territory; see the module docstring."""
    k, n = data.k, data.n
    if data.fixed_centers is not None:
        return np.asarray(data.fixed_centers, dtype=np.int64).copy()
    rng = np.random.default_rng(seed)
    centers = np.full(k, -1, dtype=np.int64)
    locked = np.asarray(data.locked, dtype=np.int64)
    if data.current is not None:
        cur = np.asarray(data.current, dtype=np.int64)
        for t in range(k):
            members = np.flatnonzero((cur == t) & allowed[:, t])
            if len(members):
                centers[t] = medoid(data, members, xy)
    for t in range(k):
        if centers[t] < 0:
            lk = np.flatnonzero(locked == t)
            if len(lk):
                centers[t] = medoid(data, lk, xy)
    free_t = np.flatnonzero(centers < 0)
    if len(free_t) == 0:
        return centers
    w = np.asarray(data.weight, dtype=float)
    if xy is not None:
        ww = w + 1e-9 * max(w.max(initial=0.0), 1.0)
        tries, iters = (8, 100) if n * k <= 1_000_000 else (2, 30)
        cc = min((weighted_kmeans(xy, ww, k, rng, iters) for _ in range(tries)), key=lambda c: c[1])[0]
        M = np.asarray(data.measures, dtype=float).reshape(n, -1)
        if M.shape[1] and (np.isfinite(data.lower).any() or np.isfinite(data.upper).any()):
            cc = balanced_kmeans(xy, ww, np.clip(M[:, 0], 0, None), cc)
        pinned = np.flatnonzero(centers >= 0)
        used_clusters = np.zeros(k, dtype=bool)
        if len(pinned):
            d = np.hypot(*(xy[centers[pinned]][:, None, :] - cc[None, :, :]).transpose(2, 0, 1))
            r, c = linear_sum_assignment(d)
            used_clusters[c] = True
        spare = np.flatnonzero(~used_clusters)[: len(free_t)]
        taken = np.zeros(n, dtype=bool)
        taken[centers[centers >= 0]] = True
        for t, cl in zip(free_t.tolist(), spare.tolist(), strict=True):
            d = np.hypot(*(xy - cc[cl]).T)
            d[taken | ~allowed[:, t]] = np.inf
            u = int(np.argmin(d))
            centers[t] = u
            taken[u] = True
        return centers
    picks = _kmeanspp_cost(data, k, rng)
    taken = set(centers[centers >= 0].tolist())
    picks = [p for p in picks.tolist() if p not in taken]
    for t in free_t.tolist():
        ok = [p for p in picks if allowed[p, t]]
        u = ok[0] if ok else int(np.flatnonzero(allowed[:, t] & ~np.isin(np.arange(n), list(taken)))[0])
        if u in picks:
            picks.remove(u)
        centers[t] = u
        taken.add(u)
    return centers
