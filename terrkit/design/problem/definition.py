"""Territory design problem: the array form the optimiser core works on.

The user-facing :class:`TerritoryDesignProblem` (built from a GeoDataFrame or from arrays) converts its
inputs once into :class:`DesignData`; the exact models (:mod:`terrkit.design.exact.mip`) and the heuristic
(:mod:`terrkit.design.heuristic.search`) only see :class:`DesignData`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.geo import equal_area_crs, equal_area_of, haversine_km

if TYPE_CHECKING:
    from terrkit.design.problem.result import DesignResult


@dataclass
class DesignData:
    """Array form of a territory design problem.

    Units are indexed ``0..n-1`` and territories ``0..k-1``. Candidate centers are the units themselves
    (:attr:`centers_are_units`, the one test of it) unless ``candidate_ids`` names the cost matrix's
    columns, even a square one (fixed point centers are turned into such a matrix, one column per
    center, with ``fixed_centers = arange(k)``).

    Attributes
    ----------
    ids : numpy.ndarray
        ``(n,)`` unit ids (str or int).
    k : int
        Number of territories.
    xy_km : numpy.ndarray or None
        ``(n, 2)`` planar coordinates in km (lon/lat input: the equal-area projection suited to
        the units, EPSG:5070 in the US; x/y input: as given).
    lonlat : numpy.ndarray or None
        ``(n, 2)`` lon/lat degrees when the input was geographic, else None.
    cost : numpy.ndarray or None
        ``(n, m)`` user cost matrix unit -> candidate center (not yet raised to ``distance_power``).
    distance_power : float
        1 (p-median) or 2 (Hess model).
    weight : numpy.ndarray
        ``(n,)`` objective weight :math:`w_i \\ge 0`.
    measure_names : list of str
        Names of the balance / capacity measures.
    measures : numpy.ndarray
        ``(n, q)`` measure values (``q`` may be 0).
    lower, upper : numpy.ndarray
        ``(k, q)`` bounds of each measure per territory (capacity folded into ``upper``); ``-inf`` / ``inf``
        where unbounded.
    adjacency : scipy.sparse.csr_matrix or None
        ``(n, n)`` symmetric 0/1 adjacency; None when contiguity is not required and no graph was given.
    contiguous : bool
        Whether every territory must be connected in ``adjacency``.
    fixed_centers : numpy.ndarray or None
        ``(k,)`` candidate (column) indices of the given centers, or None when the model chooses them.
    locked : numpy.ndarray
        ``(n,)`` territory a unit is locked to, -1 if free.
    forbidden : numpy.ndarray
        ``(f, 2)`` int pairs (unit index, territory index) that are not allowed.
    current : numpy.ndarray or None
        ``(n,)`` current territory index, -1 if none.
    max_moved : float or None
        Cap on the share of ``moved_measure`` that may change territory.
    move_penalty : float
        Objective penalty per moved unit (0 = none).
    moved_measure : numpy.ndarray or None
        ``(n,)`` measure whose moved share is capped (defaults to ``weight``).
    island_links : list of tuple
        Adjacency links added to connect islands, as (unit id, unit id) pairs.
    target : numpy.ndarray or None
        ``(k, q)`` balance target of each measure per territory (NaN for capacity-only measures); used
        for the deviation figures.
    territory_names : list or None
        Labels of the territories (for readable model names and results); default ``0..k-1``.
    candidate_ids : numpy.ndarray or None
        ``(m,)`` ids of the candidate centers when they are not the units (fixed point centers, or the
        columns of a rectangular cost matrix); None when the candidates are the units.
    """

    ids: np.ndarray
    k: int
    xy_km: np.ndarray | None
    lonlat: np.ndarray | None
    cost: np.ndarray | None
    distance_power: float
    weight: np.ndarray
    measure_names: list[str]
    measures: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    adjacency: sp.csr_matrix | None
    contiguous: bool
    fixed_centers: np.ndarray | None
    locked: np.ndarray
    forbidden: np.ndarray
    current: np.ndarray | None = None
    max_moved: float | None = None
    move_penalty: float = 0.0
    moved_measure: np.ndarray | None = None
    island_links: list[tuple] = field(default_factory=list)
    target: np.ndarray | None = None
    candidate_ids: np.ndarray | None = None
    territory_names: list | None = None

    @property
    def centers_are_units(self) -> bool:
        """True when candidate center ``j`` is unit ``j``."""
        return self.candidate_ids is None

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.ids)

    @property
    def m(self) -> int:
        """Number of candidate centers (columns of the cost)."""
        return self.n if self.cost is None else self.cost.shape[1]

    @property
    def q(self) -> int:
        """Number of balance / capacity measures."""
        return self.measures.shape[1]

    def unit_cost(self, units: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """Cost of serving ``units`` from candidate ``centers`` (index arrays, broadcasting).

        Great-circle km for lon/lat input, planar km for x/y input, the user matrix when given;
        raised to ``distance_power``. The objective weight is *not* applied.
        """
        units = np.asarray(units, dtype=np.int64)
        centers = np.asarray(centers, dtype=np.int64)
        if self.cost is not None:
            d = self.cost[units, centers]
        elif self.lonlat is not None:
            a = self.lonlat
            d = haversine_km(a[units, 0], a[units, 1], a[centers, 0], a[centers, 1])
        elif self.xy_km is not None:
            a = self.xy_km
            d = np.hypot(a[units, 0] - a[centers, 0], a[units, 1] - a[centers, 1])
        else:  # pragma: no cover - guarded at construction
            raise ValueError("DesignData has neither coordinates nor a cost matrix")
        d = np.asarray(d, dtype=float)
        if self.distance_power != 1:
            d = d**self.distance_power
        return d

    def cost_matrix(self, units: np.ndarray | None = None, centers: np.ndarray | None = None) -> np.ndarray:
        """Dense ``(len(units), len(centers))`` cost matrix (all units / candidates by default)."""
        units = np.arange(self.n) if units is None else np.asarray(units)
        centers = np.arange(self.m) if centers is None else np.asarray(centers)
        return self.unit_cost(units[:, None], centers[None, :])


# ======================================================================================================
# user-facing problem


@dataclass
class Balance:
    """A balance requirement on one measure.

    Parameters
    ----------
    column : str
        Measure (column) to balance.
    tolerance : float, default 0.05
        Relative tolerance around the target: territory totals must lie in
        :math:`[(1-\\tau)T_t, (1+\\tau)T_t]`. 0 means exact balance wherever the units allow it
        (for integer measures, totals between :math:`\\lfloor T_t \\rfloor` and :math:`\\lceil T_t \\rceil`).
    target_shares : sequence of float, optional
        Share of the total each territory should get (normalised to sum 1); default equal shares, so
        :math:`T_t = \\text{total} / k`.
    """

    column: str
    tolerance: float = 0.05
    target_shares: Sequence[float] | None = None


def _is_missing_or_non_numeric(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna().to_numpy()
    return num.to_numpy(dtype=float), bad


class TerritoryDesignProblem:
    """A territory design problem: assign units to ``k`` territories.

    Build it with :meth:`from_geodataframe` or :meth:`from_arrays`, then call :meth:`solve`.
    The model (see :mod:`terrkit.design.exact.mip` for the formulation) minimises

    .. math:: \\sum_i w_i\\, c(i, \\text{center}(t_i))^{p} + \\pi \\cdot \\#\\text{moved units}

    subject to balance bounds on every balance measure, capacities, contiguity, locks, forbidden pairs
    and a cap on the moved share of a measure. With automatic centers and nothing else it is exactly the
    p-median problem.

    Attributes
    ----------
    data : DesignData
        The array form.
    territory_names : list
        Label of each territory (0..k-1 by default; the current alignment's territory ids when a current
        alignment is given; the centers' names when fixed centers are given by name).
    balances : list of Balance
        The balance requirements.
    """

    def __init__(
        self,
        data: DesignData,
        *,
        territory_names: list | None = None,
        balances: list[Balance] | None = None,
        source: str = "input",
        id_name: str = "unit_id",
    ) -> None:
        self.data = data
        self.territory_names = list(range(data.k)) if territory_names is None else list(territory_names)
        self.balances = list(balances or [])
        self.source = source
        self.id_name = id_name

    # --------------------------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        ids: Sequence | np.ndarray,
        k: int | None,
        *,
        xy: np.ndarray | None = None,
        lonlat: np.ndarray | None = None,
        cost: np.ndarray | pd.DataFrame | None = None,
        candidate_ids: Sequence | None = None,
        measures: pd.DataFrame | Mapping[str, Sequence[float]] | None = None,
        balance: Mapping[str, float] | Sequence[Balance | str] | None = None,
        capacity: Mapping[str, float] | None = None,
        weight: str | Sequence[float] | np.ndarray | None = None,
        adjacency: sp.spmatrix | np.ndarray | Sequence[tuple] | None = None,
        contiguous: bool = False,
        centers: str | Sequence | Mapping | np.ndarray = "auto",
        current: Sequence | np.ndarray | None = None,
        max_moved: float | None = None,
        moved_measure: str | None = None,
        move_penalty: float = 0.0,
        locks: Mapping | None = None,
        forbidden: Sequence[tuple] | None = None,
        distance_power: float = 1,
        target_shares: Sequence[float] | None = None,
        link_islands: bool = True,
        source: str = "arrays",
        id_name: str = "unit_id",
    ) -> TerritoryDesignProblem:
        """Build a problem from arrays.

        Parameters
        ----------
        ids : sequence
            Unit ids (unique).
        k : int or None
            Number of territories (None = the number of fixed centers).
        xy : array (n, 2), optional
            Planar coordinates in km.
        lonlat : array (n, 2), optional
            Longitude/latitude in degrees (great-circle distances; planar equal-area coordinates are
            derived for the heuristics).
        cost : array (n, m) or DataFrame, optional
            Cost from each unit to each candidate center (replaces distances). Square = the candidates
            are the units; otherwise give ``candidate_ids`` (or a DataFrame with them as columns).
        measures : DataFrame or mapping, optional
            Numeric columns (balance, capacity, weight, moved measure), aligned with ``ids``.
        balance : mapping {column: tolerance} or list of Balance / column names, optional
            Balance requirements (default tolerance 0.05).
        capacity : mapping {column: value}, optional
            Absolute upper bound of a measure per territory.
        weight : str or array, optional
            Objective weight (a measure name or an array). Default: the first balance column, else 1.
        adjacency : sparse matrix, dense 0/1 matrix or list of (id, id) edges, optional
            Unit graph for contiguity.
        contiguous : bool, default False
            Require every territory to be connected.
        centers : "auto", sequence of ids, mapping {territory: id} or array (k, 2) of points
            Fixed centers: unit ids (or candidate ids) or points in the units' coordinate system.
        current : sequence, optional
            Current territory of each unit (None/NaN = none).
        max_moved : float, optional
            Cap on the share of ``moved_measure`` (default the weight) that changes territory.
        move_penalty : float, default 0
            Objective penalty per moved unit.
        locks : mapping {unit id: territory}, optional
            Units that must stay in / go to a territory.
        forbidden : sequence of (unit id, territory), optional
            Pairs that are not allowed.
        distance_power : {1, 2}
            2 squares the cost (Hess model).
        target_shares : sequence of float, optional
            Per-territory target shares for every balance measure without its own.
        link_islands : bool, default True
            Link disconnected parts of the adjacency to their nearest unit (reported in the result).
        """
        src = source
        ids_arr = np.asarray(list(ids), dtype=object)
        n = len(ids_arr)
        if n == 0:
            raise DataValidationError(src, "there are no units")
        ids_s = pd.Series(ids_arr)
        if ids_s.isna().any():
            r = int(np.flatnonzero(ids_s.isna().to_numpy())[0])
            raise DataValidationError(
                src, "unit id is missing", column=id_name, row=r, more=int(ids_s.isna().sum()) - 1
            )
        dup = ids_s.astype(str).duplicated(keep="first").to_numpy()
        if dup.any():
            r = int(np.flatnonzero(dup)[0])
            raise DataValidationError(
                src,
                "duplicate unit id (each unit must appear once)",
                column=id_name,
                value=ids_arr[r],
                more=int(dup.sum()) - 1,
            )
        if all(isinstance(x, (int, np.integer)) for x in ids_arr):
            ids_arr = ids_arr.astype(np.int64)
        else:
            ids_arr = np.array([str(x) for x in ids_arr], dtype=object)
        id_index = pd.Index([str(x) for x in ids_arr])

        # measures -------------------------------------------------------------------------------
        if measures is None:
            mframe = pd.DataFrame(index=range(n))
        else:
            mframe = pd.DataFrame(measures).reset_index(drop=True)
            if len(mframe) != n:
                raise DataValidationError(src, f"measures have {len(mframe)} rows but there are {n} units")
        bal_list: list[Balance] = []
        if balance is not None:
            items = (
                balance.items()
                if isinstance(balance, Mapping)
                else [(b, None) if isinstance(b, str) else (b, "obj") for b in balance]
            )
            for col, tol in items:
                if isinstance(col, Balance):
                    bal_list.append(col)
                else:
                    bal_list.append(Balance(str(col), 0.05 if tol is None else float(tol)))
        cap = {str(c): float(v) for c, v in (capacity or {}).items()}
        needed = [b.column for b in bal_list] + list(cap)
        if isinstance(weight, str):
            needed.append(weight)
        if moved_measure is not None:
            needed.append(moved_measure)
        for col in needed:
            if col not in mframe.columns:
                raise DataValidationError(
                    src,
                    f"unknown column; available numeric columns: "
                    f"{', '.join(map(str, mframe.columns)) or '(none)'}",
                    column=col,
                )
        names: list[str] = []
        for col in needed:
            if col not in names:
                names.append(col)
        values = {}
        for col in names:
            vals, bad = _is_missing_or_non_numeric(mframe[col])
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raw = mframe[col].iloc[r]
                what = "missing value" if pd.isna(raw) or str(raw).strip() == "" else "non-numeric value"
                raise DataValidationError(
                    src,
                    f"{what} for unit {ids_arr[r]} (a number is required)",
                    column=col,
                    value=None if what == "missing value" else raw,
                    more=int(bad.sum()) - 1,
                )
            if not np.all(np.isfinite(vals)):
                r = int(np.flatnonzero(~np.isfinite(vals))[0])
                raise DataValidationError(
                    src, f"value for unit {ids_arr[r]} is not finite", column=col, value=vals[r]
                )
            values[col] = vals

        # weight
        if weight is None:
            w = values[bal_list[0].column].copy() if bal_list else np.ones(n)
            wname = bal_list[0].column if bal_list else None
        elif isinstance(weight, str):
            w, wname = values[weight].copy(), weight
        else:
            w = np.asarray(weight, dtype=float)
            wname = "weight"
            if w.shape != (n,) or not np.all(np.isfinite(w)):
                raise DataValidationError(src, "weight must be one finite number per unit", column="weight")
        if (w < 0).any():
            r = int(np.flatnonzero(w < 0)[0])
            raise DataValidationError(
                src,
                f"negative weight for unit {ids_arr[r]} (weights must be >= 0)",
                column=wname,
                value=float(w[r]),
                more=int((w < 0).sum()) - 1,
            )
        for b in bal_list:
            v = values[b.column]
            if (v < 0).any():
                r = int(np.flatnonzero(v < 0)[0])
                raise DataValidationError(
                    src,
                    f"negative value for unit {ids_arr[r]} in a balance measure",
                    column=b.column,
                    value=float(v[r]),
                    more=int((v < 0).sum()) - 1,
                )
            if b.tolerance < 0:
                raise ConfigError(f"balance tolerance of {b.column} must be >= 0, got {b.tolerance}")

        # centers --------------------------------------------------------------------------------
        territory_names: list | None = None
        fixed_centers = None
        center_points = None
        cand_ids = None if candidate_ids is None else np.asarray(list(candidate_ids), dtype=object)
        cost_arr = None
        if cost is not None:
            if isinstance(cost, pd.DataFrame):
                if cand_ids is None:
                    cand_ids = np.asarray(cost.columns, dtype=object)
                cost_arr = cost.to_numpy(dtype=float)
            else:
                cost_arr = np.asarray(cost, dtype=float)
            if cost_arr.ndim != 2 or cost_arr.shape[0] != n:
                raise DataValidationError(
                    src, f"cost matrix must have one row per unit ({n}), got {cost_arr.shape}"
                )
            if not np.all(np.isfinite(cost_arr)):
                r, c = np.argwhere(~np.isfinite(cost_arr))[0]
                raise DataValidationError(
                    src,
                    f"cost from unit {ids_arr[r]} to candidate "
                    f"{(cand_ids if cand_ids is not None else ids_arr)[c]} is missing",
                )
            if (cost_arr < 0).any():
                raise DataValidationError(src, "costs must be >= 0", value=float(cost_arr.min()))
            if (
                cand_ids is not None
                and cost_arr.shape[1] == n
                and [str(c) for c in cand_ids] == list(id_index)
            ):
                cand_ids = None
            if cand_ids is None and cost_arr.shape[1] != n:
                raise DataValidationError(src, "a non-square cost matrix needs candidate_ids for its columns")
        if xy is None and lonlat is None and cost_arr is None:
            raise DataValidationError(src, "give coordinates (xy or lonlat) or a cost matrix")
        xy_km = None if xy is None else np.asarray(xy, dtype=float)
        ll = None if lonlat is None else np.asarray(lonlat, dtype=float)
        for arr, nm in ((xy_km, "xy"), (ll, "lonlat")):
            if arr is not None and (arr.shape != (n, 2) or not np.all(np.isfinite(arr))):
                bad = np.flatnonzero(~np.isfinite(arr).all(axis=1)) if arr.shape == (n, 2) else []
                extra = f" (unit {ids_arr[bad[0]]})" if len(bad) else ""
                raise DataValidationError(
                    src, f"{nm} coordinates must be finite (n, 2) numbers{extra}", column=nm
                )
        if ll is not None and xy_km is None:
            xy_km = project_lonlat_km(ll)

        if isinstance(centers, str):
            if centers != "auto":
                raise ValueError(f"unknown centers {centers!r}; valid: 'auto', a list of ids, or points")
        else:
            if isinstance(centers, Mapping):
                territory_names = list(centers.keys())
                cvals = list(centers.values())
            elif isinstance(centers, pd.Series):
                territory_names = list(centers.index)
                cvals = list(centers.to_numpy())
            else:
                cvals = list(centers) if not isinstance(centers, np.ndarray) or centers.ndim == 1 else centers
            arr = np.asarray(cvals, dtype=object)
            if arr.ndim == 2 and arr.shape[1] == 2 and not (cand_ids is not None and cost_arr is not None):
                center_points = np.asarray(arr, dtype=float)
            else:
                lookup = id_index if cand_ids is None else pd.Index([str(c) for c in cand_ids])
                pos = lookup.get_indexer([str(c) for c in arr])
                if (pos < 0).any():
                    bad = arr[np.flatnonzero(pos < 0)[0]]
                    raise DataValidationError(
                        src,
                        "center is not one of the " + ("units" if cand_ids is None else "candidate centers"),
                        value=bad,
                    )
                if len(set(pos)) != len(pos):
                    raise DataValidationError(src, "the same center is given twice")
                fixed_centers = pos.astype(np.int64)
            kk = len(arr)
            if k is not None and int(k) != kk:
                raise ConfigError(f"{kk} centers were given but {k} territories were asked for")
            k = kk
        if k is None:
            raise ConfigError("the number of territories k is required with automatic centers")
        k = int(k)
        if k < 1:
            raise ConfigError(f"the number of territories must be at least 1, got {k}")
        if k > n:
            raise DataValidationError(src, f"{k} territories were asked for but there are only {n} units")
        if center_points is not None:
            if ll is not None:
                cost_arr = haversine_km(
                    ll[:, None, 0], ll[:, None, 1], center_points[None, :, 0], center_points[None, :, 1]
                )
            elif xy_km is not None:
                cost_arr = np.hypot(
                    xy_km[:, None, 0] - center_points[None, :, 0],
                    xy_km[:, None, 1] - center_points[None, :, 1],
                )
            else:
                raise DataValidationError(src, "point centers need unit coordinates")
            cand_ids = np.asarray(
                territory_names if territory_names is not None else list(range(k)), dtype=object
            )
            fixed_centers = np.arange(k)
        if territory_names is None:
            territory_names = list(range(k))

        # current alignment ----------------------------------------------------------------------
        cur_idx = None
        if current is not None:
            cur = pd.Series(list(current), dtype=object)
            if len(cur) != n:
                raise DataValidationError(src, f"current alignment has {len(cur)} entries for {n} units")
            has = cur.notna() & (cur.astype(str).str.strip() != "")
            labels = sorted({str(v) for v in cur[has]})
            if fixed_centers is None and territory_names == list(range(k)):
                if len(labels) > k:
                    raise ConfigError(
                        f"the current alignment has {len(labels)} territories but only {k} "
                        f"territories were asked for; use at least {len(labels)}"
                    )
                extra = [f"new_{i + 1}" for i in range(k - len(labels))]
                territory_names = labels + extra
            tn = {str(t): i for i, t in enumerate(territory_names)}
            cur_idx = np.array([tn.get(str(v), -1) if h else -1 for v, h in zip(cur, has, strict=True)])
        tname_index = {str(t): i for i, t in enumerate(territory_names)}

        def territory_index(t, what) -> int:
            if str(t) in tname_index:
                return tname_index[str(t)]
            raise DataValidationError(
                src,
                f"{what} names an unknown territory; territories are "
                f"{', '.join(map(str, territory_names[:10]))}{'...' if k > 10 else ''}",
                value=t,
            )

        def unit_index(u, what) -> int:
            p = id_index.get_indexer([str(u)])[0]
            if p < 0:
                raise DataValidationError(src, f"{what} names an unknown unit", value=u)
            return int(p)

        locked = np.full(n, -1, dtype=np.int64)
        for u, t in (locks or {}).items():
            locked[unit_index(u, "lock")] = territory_index(t, f"lock of unit {u}")
        fb = np.array(
            [
                (unit_index(u, "forbidden pair"), territory_index(t, f"forbidden pair of unit {u}"))
                for u, t in (forbidden or [])
            ],
            dtype=np.int64,
        ).reshape(-1, 2)

        # measures, bounds -----------------------------------------------------------------------
        mnames = [b.column for b in bal_list] + [c for c in cap if c not in {b.column for b in bal_list}]
        q = len(mnames)
        M = np.column_stack([values[c] for c in mnames]) if q else np.zeros((n, 0))
        lower = np.full((k, q), -np.inf)
        upper = np.full((k, q), np.inf)
        target = np.full((k, q), np.nan)
        for j, b in enumerate(bal_list):
            shares = b.target_shares if b.target_shares is not None else target_shares
            if shares is None:
                sh = np.full(k, 1.0 / k)
            else:
                sh = np.asarray(list(shares), dtype=float)
                if sh.shape != (k,) or (sh < 0).any() or sh.sum() <= 0:
                    raise ConfigError(f"target shares of {b.column} must be {k} non-negative numbers")
                sh = sh / sh.sum()
            tgt = M[:, j].sum() * sh
            target[:, j] = tgt
            if b.tolerance == 0:
                integral = np.allclose(M[:, j], np.round(M[:, j]))
                lower[:, j] = np.floor(tgt + 1e-9) if integral else tgt * (1 - 1e-9)
                upper[:, j] = np.ceil(tgt - 1e-9) if integral else tgt * (1 + 1e-9)
            else:
                lower[:, j] = tgt * (1 - b.tolerance)
                upper[:, j] = tgt * (1 + b.tolerance)
        for c, v in cap.items():
            j = mnames.index(c)
            upper[:, j] = np.minimum(upper[:, j], v)

        # adjacency ------------------------------------------------------------------------------
        adj = None
        links: list[tuple] = []
        if adjacency is not None:
            if sp.issparse(adjacency) or (
                isinstance(adjacency, np.ndarray) and adjacency.ndim == 2 and adjacency.shape == (n, n)
            ):
                a = sp.csr_matrix(adjacency)
                adj = sp.csr_matrix(((a + a.T) > 0).astype(np.int8))
                adj.setdiag(0)
                adj.eliminate_zeros()
            else:
                from terrkit.geo_adjacency import edges_to_adjacency

                e = pd.DataFrame(list(adjacency))
                adj = edges_to_adjacency(e.iloc[:, 0], e.iloc[:, 1], ids_arr, src)
        if adj is None and contiguous:
            if xy_km is None:
                raise DataValidationError(src, "contiguity needs an adjacency (edges) or coordinates")
            from terrkit.geo_adjacency import delaunay_adjacency

            adj = delaunay_adjacency(xy_km)
        if adj is not None and link_islands:
            from terrkit.geo_adjacency import link_islands as _link

            if xy_km is not None:
                adj, pairs = _link(adj, xy_km)
                links = [(ids_arr[a], ids_arr[b]) for a, b in pairs]
        if distance_power not in (1, 2, 1.0, 2.0):
            raise ConfigError(f"distance power must be 1 or 2, got {distance_power}")
        if max_moved is not None and not (0 <= float(max_moved) <= 1):
            raise ConfigError(f"max moved share must be between 0 and 1, got {max_moved}")
        if (max_moved is not None or move_penalty) and cur_idx is None:
            raise ConfigError("a moved-share cap or move penalty needs the current alignment")
        if move_penalty < 0:
            raise ConfigError(f"move penalty must be >= 0, got {move_penalty}")
        data = DesignData(
            ids=ids_arr,
            k=k,
            xy_km=xy_km,
            lonlat=ll,
            cost=cost_arr,
            distance_power=float(distance_power),
            weight=np.asarray(w, dtype=float),
            measure_names=mnames,
            measures=M,
            lower=lower,
            upper=upper,
            adjacency=adj,
            contiguous=bool(contiguous),
            fixed_centers=fixed_centers,
            locked=locked,
            forbidden=fb,
            current=cur_idx,
            max_moved=None if max_moved is None else float(max_moved),
            move_penalty=float(move_penalty),
            moved_measure=None if moved_measure is None else values[moved_measure],
            island_links=links,
            target=target,
            candidate_ids=cand_ids,
            territory_names=list(territory_names),
        )
        return cls(data, territory_names=territory_names, balances=bal_list, source=src, id_name=id_name)

    # --------------------------------------------------------------------------------------------
    @classmethod
    def from_geodataframe(
        cls,
        gdf: gpd.GeoDataFrame,
        k: int | None,
        *,
        id: str | None = None,
        balance: Mapping[str, float] | Sequence[Balance | str] | None = None,
        capacity: Mapping[str, float] | None = None,
        weight: str | None = None,
        contiguous: bool = False,
        centers: str | Sequence | Mapping | gpd.GeoSeries = "auto",
        current: str | Sequence | None = None,
        max_moved: float | None = None,
        moved_measure: str | None = None,
        move_penalty: float = 0.0,
        locks: Mapping | None = None,
        forbidden: Sequence[tuple] | None = None,
        distance_power: float = 1,
        target_shares: Sequence[float] | None = None,
        adjacency: sp.spmatrix | Sequence[tuple] | None = None,
        source: str = "GeoDataFrame",
    ) -> TerritoryDesignProblem:
        """Build a problem from a GeoDataFrame of polygons or points.

        Geographic input (lon/lat CRS) gets great-circle distances between representative points and
        equal-area planar coordinates (EPSG:5070 in the US); projected input gets planar distances
        in km. Polygons get queen contiguity, points Delaunay edges (unless ``adjacency`` is given).
        Other parameters as in :meth:`from_arrays`; ``current`` may be a column name; ``centers``
        may be a GeoSeries of points (its index names the territories).
        """
        if id is None:
            ids = gdf.index.to_numpy()
            id_name = gdf.index.name or "unit_id"
        else:
            if id not in gdf.columns:
                raise DataValidationError(
                    source, "unknown id column; columns are " + ", ".join(map(str, gdf.columns)), column=id
                )
            ids = gdf[id].to_numpy()
            id_name = id
        if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
            bad = np.flatnonzero((gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy())[0]
            raise DataValidationError(source, f"unit {ids[bad]} has no geometry", column="geometry")
        geographic = gdf.crs is None or gdf.crs.is_geographic
        if gdf.crs is None:
            b = gdf.total_bounds
            geographic = -180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90
        pts = gdf.geometry
        if geographic:
            src_crs = gdf.crs or "EPSG:4326"
            source = gpd.GeoSeries(gdf.geometry.values, crs=src_crs)
            planar = equal_area_of(source)
            proj = source.to_crs(planar)
            rp = proj.representative_point() if not (proj.geom_type == "Point").all() else proj
            cen = proj.centroid if not (proj.geom_type == "Point").all() else proj
            inside = cen.within(proj) | (proj.geom_type == "Point")
            rp = gpd.GeoSeries(np.where(inside, cen, rp), crs=planar)
            xy_km = np.column_stack([rp.x, rp.y]) / 1000.0
            ll_pts = rp.to_crs("EPSG:4326")
            lonlat = np.column_stack([ll_pts.x, ll_pts.y])
        else:
            rp = pts.centroid if not (pts.geom_type == "Point").all() else pts
            unit = 1000.0
            try:
                if gdf.crs.axis_info[0].unit_name not in ("metre", "meter"):
                    unit = 1.0
            except (AttributeError, IndexError):
                unit = 1.0
            xy_km = np.column_stack([rp.x, rp.y]) / unit
            lonlat = None
        adj = adjacency
        if adj is None:
            from terrkit.geo_adjacency import unit_adjacency

            adj = unit_adjacency(gdf)
        cur = current
        if isinstance(current, str):
            if current not in gdf.columns:
                raise DataValidationError(source, "unknown current-territory column", column=current)
            cur = gdf[current].to_numpy()
        ctr = centers
        if isinstance(centers, (gpd.GeoSeries, gpd.GeoDataFrame)):
            g = centers.geometry if isinstance(centers, gpd.GeoDataFrame) else centers
            if (g.geom_type != "Point").any():
                raise DataValidationError(source, "fixed centers given as geometry must be points")
            if geographic:
                gg = g.to_crs("EPSG:4326") if g.crs is not None else g
                ctr = pd.Series(list(zip(gg.x, gg.y, strict=True)), index=g.index)
            else:
                gg = g.to_crs(gdf.crs) if g.crs is not None and gdf.crs is not None else g
                ctr = pd.Series(list(zip(gg.x / unit, gg.y / unit, strict=True)), index=g.index)
            ctr = pd.Series([np.array(v) for v in ctr], index=ctr.index)
            ctr = dict(zip(ctr.index, np.stack(ctr.to_numpy()), strict=True))
            ctr = _PointCenters(ctr)
        elif isinstance(centers, Mapping) and not geographic:
            vals = list(centers.values())
            if vals and all(np.ndim(v) == 1 and len(v) == 2 for v in vals):
                # point centers in the data's CRS units -> the same km as the units' coordinates
                ctr = {t: (float(v[0]) / unit, float(v[1]) / unit) for t, v in centers.items()}
        numeric = gdf.drop(columns=[gdf.geometry.name])
        prob = cls.from_arrays(
            ids,
            k,
            xy=None if geographic else xy_km,
            lonlat=lonlat if geographic else None,
            measures=numeric,
            balance=balance,
            capacity=capacity,
            weight=weight,
            adjacency=adj,
            contiguous=contiguous,
            centers=ctr,
            current=cur,
            max_moved=max_moved,
            moved_measure=moved_measure,
            move_penalty=move_penalty,
            locks=locks,
            forbidden=forbidden,
            distance_power=distance_power,
            target_shares=target_shares,
            source=source,
            id_name=id_name,
        )
        if geographic:
            prob.data.xy_km = xy_km
        return prob

    # --------------------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Business-language reasons why the problem cannot be solved (empty when none is found)."""
        from terrkit.design.checks.feasibility import feasibility_issues

        return feasibility_issues(self.data, self.territory_names, self.balances)

    def write_lp(self, path: str | os.PathLike) -> None:
        """Write the exact model as an LP file with business names (``assign_<unit>_<territory>``...)."""
        from terrkit.design.exact.mip import write_lp

        write_lp(self.data, os.fspath(path))

    def solve(
        self,
        solver: str = "highs",
        time_limit: float = 60,
        gap: float | None = None,
        seed: int = 0,
        method: str = "auto",
        msg: bool = False,
        work: float | None = None,
    ) -> DesignResult:
        """Solve the problem.

        Parameters
        ----------
        solver : {"highs", "cbc"}
            MIP solver (HiGHS via highspy by default).
        time_limit : float, default 60
            Seconds for the whole solve. For the heuristic it is a safety stop: its search is counted in
            work (see ``work``), so the same inputs and seed give the same plan on a quiet or a busy machine
            unless this limit cuts it short (``stopped_by = "time_limit"``).
        gap : float, optional
            Relative MIP gap at which to stop (the answer is then "feasible", not "optimal").
        seed : int, default 0
            Seed of the solver and the heuristic.
        method : {"auto", "exact", "heuristic"}
            ``auto`` uses the exact model for small problems (and pure p-median problems up to a few
            thousand units) and the heuristic for large ones, or for contiguity on more than
            ``EXACT_CONTIGUITY_UNITS`` units.
        work : float, optional
            The heuristic's work budget in work units (:mod:`terrkit.design.heuristic.budget`); default
            from the time limit at a fixed rate.

        Returns
        -------
        DesignResult

        Raises
        ------
        InfeasibleError
            With the business reasons when the checks or the solver show that no alignment exists.
        SolverError
            When the solver fails or finds nothing in time and no heuristic is available.
        """
        from terrkit.design.exact.solvers import solve_problem

        return solve_problem(
            self, solver=solver, time_limit=time_limit, gap=gap, seed=seed, method=method, msg=msg, work=work
        )


class _PointCenters(dict):
    """Marker: fixed centers given as points {territory name: (x, y)}."""


def project_lonlat_km(lonlat: np.ndarray, crs: str | None = None) -> np.ndarray:
    """Project lon/lat degrees to planar kilometres.

    ``crs`` defaults to the equal-area projection suited to the points' extent
    (:func:`terrkit.geo.equal_area_crs`: US Albers, EPSG:5070, within the contiguous US).
    """
    from pyproj import Transformer

    lonlat = np.asarray(lonlat, dtype=float)
    if crs is None:
        west, south = lonlat.min(axis=0) if len(lonlat) else (0.0, 0.0)
        east, north = lonlat.max(axis=0) if len(lonlat) else (0.0, 0.0)
        crs = equal_area_crs((west, south, east, north))
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y]) / 1000.0


def parse_balance_spec(text: str, default_tolerance: float = 0.05) -> dict[str, float]:
    """Parse ``"sales:0.05,accounts:0.15"`` (or ``"sales"``, tolerance 0.05) into ``{column: tolerance}``.

    Raises
    ------
    ConfigError
        On an empty column name or a tolerance that is not a number >= 0.
    """
    out: dict[str, float] = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        col, _, tol = item.partition(":")
        col = col.strip()
        try:
            value = default_tolerance if tol.strip() == "" else float(tol)
        except ValueError:
            raise ConfigError(f"balance {item!r}: tolerance {tol!r} is not a number") from None
        if not col or not np.isfinite(value) or value < 0:
            raise ConfigError(f"balance {item!r}: expected COLUMN or COLUMN:TOLERANCE with a tolerance >= 0")
        out[col] = value
    return out


def evaluate_alignment(problem: TerritoryDesignProblem, labels: pd.Series, method: str = "given alignment"):
    """Figures of an existing alignment (e.g. the current one) on the same problem, for comparison.

    Each territory's center is its best 1-median (the member unit with the least weighted cost to the other
    members); the objective, balance, contiguity and totals are computed exactly as for a designed result,
    and so is the status: ``"requirements_not_met"`` with :attr:`DesignResult.violations` when the
    alignment breaks the problem's requirements, else ``"feasible"``. ``labels`` is indexed by unit id with
    territory names; units missing from it raise DataValidationError.
    """
    from terrkit.design.problem.result import build_result, requirement_violations

    d = problem.data
    lab = pd.Series(labels)
    lab.index = lab.index.astype(str)
    ids = [str(x) for x in d.ids]
    missing = [i for i in ids if i not in lab.index]
    if missing:
        raise DataValidationError(
            problem.source, f"{len(missing)} units have no territory in the alignment", value=missing[0]
        )
    names = list(dict.fromkeys(problem.territory_names))
    extra = sorted(set(map(str, lab.loc[ids])) - set(map(str, names)))
    all_names = [str(t) for t in names] + extra
    index = {t: i for i, t in enumerate(all_names)}
    idx = np.array([index[str(t)] for t in lab.loc[ids]])
    k = len(all_names)
    data = (
        d
        if k == d.k
        else DesignData(
            **{
                **d.__dict__,
                "k": k,
                "lower": np.resize(d.lower, (k, d.q)),
                "upper": np.resize(d.upper, (k, d.q)),
                "target": None if d.target is None else np.resize(d.target, (k, d.q)),
            }
        )
    )
    centers = np.zeros(k, dtype=int)
    for t in range(k):
        members = np.flatnonzero(idx == t)
        if len(members) == 0:
            continue
        if d.fixed_centers is not None and t < len(d.fixed_centers):
            centers[t] = d.fixed_centers[t]
            continue
        cand = members if d.centers_are_units else np.arange(d.m)
        c = d.unit_cost(members[:, None], cand[None, :]) * d.weight[members, None]
        centers[t] = cand[int(np.argmin(c.sum(axis=0)))]
    res = build_result(
        data,
        idx,
        centers,
        status="feasible",
        bound=None,
        seconds=0.0,
        method=method,
        center_ids=None if d.centers_are_units else list(d.candidate_ids),
        target=data.target,
        balance_names=[b.column for b in problem.balances],
    )
    res.violations = requirement_violations(data, idx, all_names)
    if res.violations:
        res.status = "requirements_not_met"
    res.labels = res.labels.map(dict(enumerate(all_names)))
    res.territory_totals.index = pd.Index(all_names, name="territory")
    return res
