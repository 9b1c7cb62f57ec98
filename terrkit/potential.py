"""Market potential: what each account could buy, not only what it buys today.

Two estimators share one front end, :func:`estimate_potential`:

``"peer"`` (:func:`peer_potential`)
    An account's potential is a high quantile (default the 80th percentile) of the current
    annual spend of comparable customers: same industry and size band. Groups with too few
    customers fall back to the industry, then to all customers, and the result says which
    accounts fell back.
``"model"`` (:func:`model_potential`)
    Quantile gradient boosting on firmographics (scikit-learn), K-fold cross-validated, with
    the out-of-sample pinball loss and coverage reported next to the peer benchmark.

Both give prospects (no sales yet) a potential from the same benchmark or model, and both
return ``potential = max(estimate, current sales)``. Current sales are
:func:`terrkit.measures.annual_sales`: net sales of the last four quarters, credits included.
:func:`aggregate_to_units` sums accounts to geographic units (potential, sales, penetration,
whitespace, counts) and checks totals; its customers are :func:`terrkit.measures.customers_in`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError, DataWarning, TerrkitError
from terrkit.measures import annual_sales as annual_sales  # re-exported: the one definition of sales
from terrkit.segment import REVENUE_BANDS

METHODS = ("peer", "model")
#: Employee-count band edges (lower bounds) and labels used to form peer groups.
SIZE_BAND_EDGES = (0, 10, 50, 250, 1000)
SIZE_BAND_LABELS = ("0-9", "10-49", "50-249", "250-999", "1000+")
#: Peer-group levels, from the narrowest to the broadest.
PEER_LEVELS = ("industry x size band", "industry", "all")


@dataclass
class PotentialResult:
    """Outcome of a potential estimate.

    Attributes
    ----------
    method : str
        "peer" or "model".
    accounts : pandas.DataFrame
        One row per account (input index): ``account_id``, ``sales`` (net annual sales as given,
        credits included),
        ``estimate`` (benchmark or model prediction), ``potential = max(estimate, sales)``,
        ``whitespace``, ``penetration``, ``is_prospect``; the peer method adds ``peer_level``
        and ``peer_group_size``.
    fallback : pandas.DataFrame or None
        Peer method: accounts and groups per peer level (how many fell back).
    quality : pandas.DataFrame or None
        Model method: out-of-fold pinball loss and coverage of the model and the peer baseline.
    params : dict
        Parameters used.
    """

    method: str
    accounts: pd.DataFrame
    fallback: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def potential(self) -> pd.Series:
        """Potential per account."""
        return self.accounts["potential"]

    @property
    def fallback_accounts(self) -> pd.Series:
        """``account_id`` of accounts whose peer group fell back to a broader level."""
        if "peer_level" not in self.accounts:
            return pd.Series([], dtype=object, name="account_id")
        fell = self.accounts["peer_level"] != PEER_LEVELS[0]
        return self.accounts.loc[fell, "account_id"]

    def __repr__(self) -> str:
        a = self.accounts
        return (
            f"PotentialResult(method={self.method!r}, accounts={len(a)}, "
            f"potential={a['potential'].sum():,.0f}, sales={a['sales'].sum():,.0f})"
        )


# ---------------------------------------------------------------------------------- inputs


def size_band(employees: pd.Series | np.ndarray) -> pd.Categorical:
    """Employee-count band: 0-9, 10-49, 50-249, 250-999, 1000+."""
    emp = np.asarray(employees, dtype=float)
    codes = np.searchsorted(np.asarray(SIZE_BAND_EDGES[1:], dtype=float), emp, side="right")
    codes = np.where(np.isfinite(emp) & (emp >= 0), codes, -1)
    return pd.Categorical.from_codes(codes, categories=list(SIZE_BAND_LABELS))


def _net_sales(accounts: pd.DataFrame, current: pd.Series | np.ndarray | str) -> np.ndarray:
    """Net annual sales per account as given (credits included; missing = 0)."""
    if isinstance(current, str):
        if current not in accounts.columns:
            raise ConfigError(f"column {current!r} (current annual sales) not in the accounts table")
        cur = pd.to_numeric(accounts[current], errors="coerce").to_numpy(dtype=float)
    else:
        cur = np.asarray(current, dtype=float)
    if cur.shape != (len(accounts),):
        raise ConfigError(f"current sales has {cur.size} values for {len(accounts)} accounts")
    return np.where(np.isfinite(cur), cur, 0.0)


def _spend(net: np.ndarray) -> np.ndarray:
    """Spend the benchmarks learn from: net sales floored at 0 (a net credit is no spend)."""
    return np.maximum(net, 0.0)


def _check_quantile(quantile: float) -> float:
    q = float(quantile)
    if not 0 < q < 1:
        raise ConfigError(f"quantile must be strictly between 0 and 1 (e.g. 0.8); got {quantile!r}")
    return q


def industries_of(accounts: Any) -> list[str]:
    """The industries named in the accounts, sorted: the codes of the peer groups (pandas or Dask)."""
    from terrkit.scale.backend import compute

    values = compute(accounts["industry"].dropna().astype(str).unique())
    return sorted(str(v) for v in np.asarray(values, dtype=object))


def _codes(
    accounts: pd.DataFrame, industries: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Industry and size-band codes per account; -1 where the account has no industry or employee count.

    ``industries`` fixes the industry codes (:func:`industries_of` on the whole table), so that every
    partition of a Dask table codes them alike; default the industries of ``accounts`` itself.
    """
    for c in ("industry", "employees"):
        if c not in accounts.columns:
            raise DataValidationError("accounts", f"missing column {c!r} needed for peer groups")
    industry = accounts["industry"].astype(object)
    industry = industry.where(industry.notna(), None)
    ind = pd.Categorical(industry) if industries is None else pd.Categorical(industry, categories=industries)
    employees = pd.to_numeric(accounts["employees"], errors="coerce")
    band = size_band(employees).codes
    negative = (employees < 0).to_numpy()
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise DataValidationError(
            "accounts", "employees must be a number >= 0", column="employees", row=i,
            value=accounts["employees"].iloc[i], more=int(negative.sum()) - 1,
        )  # fmt: skip
    return ind.codes.astype(np.int64), band.astype(np.int64), list(ind.categories)


# ---------------------------------------------------------------------------------- peer benchmark


def peer_keys(ind: np.ndarray, band: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Group key and "can join" mask of every account at each level of :data:`PEER_LEVELS`.

    An account without an industry (code -1) or an employee count (band -1) cannot join a group
    that needs it: it starts at the broadest level its data allows.
    """
    n_band = len(SIZE_BAND_LABELS)
    known = [(ind >= 0) & (band >= 0), ind >= 0, np.ones(len(ind), dtype=bool)]
    keys = [np.maximum(ind, 0) * n_band + np.maximum(band, 0), np.maximum(ind, 0), np.zeros_like(ind)]
    return keys, known


def _group_quantiles(part: pd.DataFrame, q: float) -> pd.DataFrame:
    """Customers and the ``q`` quantile of spend per group key, for the groups whole in ``part``."""
    grouped = part.groupby("key", sort=True)["spend"]
    return pd.DataFrame({"count": grouped.size(), "quantile": grouped.quantile(q)})


def peer_benchmarks(members: Any, q: float) -> pd.DataFrame:
    """Customers and the ``q`` quantile of their spend per peer group, exactly, on pandas or Dask.

    Parameters
    ----------
    members : pandas or Dask DataFrame
        The reference customers of one level: ``key`` (the group) and ``spend``.
    q : float
        Quantile (linear interpolation, as :meth:`pandas.Series.quantile`).

    Returns
    -------
    pandas.DataFrame
        Indexed by group key: ``count`` and ``quantile``.

    Notes
    -----
    A group quantile has no partition-wise form. On Dask the customers are first shuffled by group
    (Dask's hash shuffle, which puts each group whole into one partition); every partition then takes
    the pandas quantile of its groups, so the result equals the pandas back end's exactly.
    """
    from terrkit.scale.backend import colocate, partition_results

    parts = partition_results(colocate(members, "key"), _group_quantiles, q)
    table = pd.concat(parts) if parts else pd.DataFrame(columns=["count", "quantile"])
    return table.sort_index()


def apply_peer_benchmarks(
    ind: np.ndarray, band: np.ndarray, tables: Sequence[pd.DataFrame], min_group: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Benchmark, level (0/1/2) and size of the group used, per account, from the group tables.

    Each account takes the narrowest level its data allows whose group has at least ``min_group``
    customers (the broadest level, all customers, needs one). Row-wise: runs on any partition.
    """
    keys, known = peer_keys(ind, band)
    n = len(ind)
    bench = np.full(n, np.nan)
    level = np.full(n, -1, dtype=np.int8)
    gsize = np.zeros(n, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    for lev, (key, placed, table) in enumerate(zip(keys, known, tables, strict=True)):
        need = min_group if lev < 2 else 1
        pos = pd.Index(table.index).get_indexer(key)
        counts = np.append(table["count"].to_numpy(dtype=np.int64), 0)  # position -1: no such group
        count = counts[pos]
        ok = todo & placed & (count >= need)
        bench[ok] = table["quantile"].to_numpy()[pos[ok]]
        level[ok] = lev
        gsize[ok] = count[ok]
        todo &= ~ok
    return bench, level, gsize


#: Stride between the peer levels in the combined group key of :func:`reference_members` (larger than
#: any key of one level: industries x size bands).
LEVEL_STRIDE = 1_000_000_000


def _member_rows(ind: np.ndarray, band: np.ndarray, spend: np.ndarray, ref: np.ndarray) -> pd.DataFrame:
    """(key, spend) of the reference accounts ``ref``, once per level whose groups they can join."""
    keys, known = peer_keys(ind, band)
    takes = [placed & ref for placed in known]
    combined = [
        lev * LEVEL_STRIDE + key[take] for lev, (key, take) in enumerate(zip(keys, takes, strict=True))
    ]
    return pd.DataFrame({"key": np.concatenate(combined), "spend": np.concatenate([spend[t] for t in takes])})


def reference_members(frame: Any, industries: Sequence[str]) -> Any:
    """The reference customers of every peer level (``key``, ``spend``), on pandas or Dask.

    ``frame`` holds ``industry``, ``employees`` and ``spend`` (net sales floored at 0); customers
    are the accounts with spend > 0, once per level whose groups they can join. ``key`` is
    ``level * LEVEL_STRIDE + group``, so one shuffle brings every group of every level together.
    """
    from terrkit.scale.backend import map_partitions

    def members(part: pd.DataFrame) -> pd.DataFrame:
        ind, band, _ = _codes(part, industries)
        spend = part["spend"].to_numpy(dtype=float)
        return _member_rows(ind, band, spend, spend > 0)

    meta = pd.DataFrame({"key": pd.Series(dtype=np.int64), "spend": pd.Series(dtype=float)})
    return map_partitions(frame, members, meta=meta)


def split_levels(table: pd.DataFrame) -> list[pd.DataFrame]:
    """The per-level group tables of a :func:`peer_benchmarks` table keyed by :func:`reference_members`."""
    level = table.index.to_numpy() // LEVEL_STRIDE
    out = []
    for lev in range(len(PEER_LEVELS)):
        part = table[level == lev]
        out.append(part.set_axis(part.index.to_numpy() - lev * LEVEL_STRIDE))
    return out


def _peer_benchmark(
    ind: np.ndarray, band: np.ndarray, cur: np.ndarray, ref: np.ndarray, q: float, min_group: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Benchmark per account from the reference accounts ``ref`` (boolean mask).

    Returns (benchmark, level 0/1/2, size of the group used).
    """
    tables = split_levels(peer_benchmarks(_member_rows(ind, band, cur, ref), q))
    return apply_peer_benchmarks(ind, band, tables, min_group)


def peer_potential(
    accounts: pd.DataFrame,
    current: pd.Series | np.ndarray | str = "sales",
    quantile: float = 0.8,
    min_group: int = 20,
) -> PotentialResult:
    """Peer-benchmark potential.

    Peer groups are industry x size band (:func:`size_band`). With :math:`G(i)` the
    customers (current spend > 0) in account :math:`i`'s group,

    .. math:: \\text{potential}_i = \\max\\bigl(s_i,\\ Q_q\\{s_j : j \\in G(i)\\}\\bigr)

    where :math:`Q_q` is the ``quantile`` (linear interpolation). When a group has fewer
    than ``min_group`` customers the account falls back to its industry, and then to all
    customers; such accounts are listed in ``fallback_accounts`` and counted in ``fallback``,
    and a :class:`~terrkit.exceptions.DataWarning` says how many.

    ``industry`` and ``employees`` may be empty (a CRM export without firmographics): an account
    without an employee count is compared within its industry, one without an industry with all
    customers, that is with the company's own sales history. ``fallback`` counts both causes per
    level: ``no_data`` (the account's data allows no narrower group) and ``too_few_peers``.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``industry``, ``employees`` (plus ``current`` if it is a column name).
    current : str, Series or array, default "sales"
        Net annual sales per account (:func:`terrkit.measures.annual_sales`); a net credit counts as
        no spend in the benchmark.
    quantile : float, default 0.8
        Quantile of peer spend, in (0, 1).
    min_group : int, default 20
        Minimum number of customers for a peer group to be used.

    Returns
    -------
    PotentialResult
    """
    q = _check_quantile(quantile)
    if not isinstance(min_group, int | np.integer) or min_group < 1:
        raise ConfigError(f"min_group must be a positive integer; got {min_group!r}")
    net = _net_sales(accounts, current)
    cur = _spend(net)
    ref = cur > 0
    if not ref.any():
        raise ConfigError("peer benchmark needs at least one account with current sales > 0")
    ind, band, _ = _codes(accounts)
    bench, level, gsize = _peer_benchmark(ind, band, cur, ref, q, int(min_group))
    out = _result_frame(accounts, net, bench)
    out["peer_level"] = pd.Categorical.from_codes(level, categories=list(PEER_LEVELS))
    out["peer_group_size"] = gsize
    fallback = (
        out.groupby("peer_level", observed=False)
        .agg(n_accounts=("potential", "size"))
        .reset_index()
        .rename(columns={"peer_level": "level"})
    )
    fallback["share"] = fallback["n_accounts"] / max(len(out), 1)
    # the narrowest level each account's data allows: 0 with both fields, 1 with the industry only
    allowed = np.where(ind < 0, 2, np.where(band < 0, 1, 0))
    lacking = level > allowed
    fallback["no_data"] = np.bincount(allowed[allowed > 0], minlength=len(PEER_LEVELS))[: len(PEER_LEVELS)]
    fallback["too_few_peers"] = np.bincount(level[lacking], minlength=len(PEER_LEVELS))[: len(PEER_LEVELS)]
    n_short, n_fell = int((allowed > 0).sum()), int(lacking.sum())
    if n_short:
        warnings.warn(
            f"peer potential: {n_short:,} of {len(out):,} accounts lack an industry or employee count: "
            f"{int((allowed == 1).sum())} are compared within their industry only and "
            f"{int((allowed == 2).sum())} with all customers' sales",
            DataWarning,
            stacklevel=2,
        )
    if n_fell:
        warnings.warn(
            f"peer potential: {n_fell:,} of {len(out):,} accounts had fewer than {min_group} customers in "
            f"their peer group and fell back to a broader one "
            f"({int((level[lacking] == 1).sum())} to industry, "
            f"{int((level[lacking] == 2).sum())} to all accounts)",
            DataWarning,
            stacklevel=2,
        )
    return PotentialResult(
        "peer", out, fallback=fallback, params={"quantile": q, "min_group": int(min_group)}
    )


def _result_frame(accounts: pd.DataFrame, net: np.ndarray, estimate: np.ndarray) -> pd.DataFrame:
    """Sales (net, credits included), estimate, potential, whitespace, penetration, prospect flag.

    ``potential = max(estimate, spend)`` with spend the net sales floored at 0, so potential is never
    negative and never below what the account buys; ``whitespace = potential - sales`` and
    ``penetration = sales / potential`` use the net sales, like the performance review, so a net credit
    (rare) shows as whitespace above potential and a slightly negative penetration.
    """
    out = pd.DataFrame(index=accounts.index)
    if "account_id" in accounts.columns:
        out["account_id"] = accounts["account_id"].to_numpy()
    pot = np.maximum(np.nan_to_num(estimate, nan=0.0), _spend(net))
    out["sales"] = net
    out["estimate"] = estimate
    out["potential"] = pot
    out["whitespace"] = pot - net
    with np.errstate(invalid="ignore", divide="ignore"):
        out["penetration"] = np.where(pot > 0, net / np.where(pot > 0, pot, 1.0), 0.0)
    out["is_prospect"] = net <= 0
    return out


# ---------------------------------------------------------------------------------- model based


def firmographics_present(accounts: pd.DataFrame) -> list[str]:
    """The firmographic columns (industry, employees, revenue band) that hold at least one value."""
    return [
        c for c in ("industry", "employees", "revenue_band") if c in accounts and accounts[c].notna().any()
    ]


def _features(accounts: pd.DataFrame, ind: np.ndarray) -> np.ndarray:
    """Model features from the firmographics present; a missing value stays NaN (the trees route it)."""
    present = firmographics_present(accounts)
    columns = []
    if "employees" in present:
        columns.append(np.log1p(pd.to_numeric(accounts["employees"], errors="coerce").to_numpy(dtype=float)))
    if "revenue_band" in present:
        rb = pd.Index(REVENUE_BANDS).get_indexer(accounts["revenue_band"].astype(str))
        columns.append(np.where(rb >= 0, rb, np.nan).astype(float))
    if "industry" in present:
        columns.append(np.where(ind >= 0, ind, np.nan).astype(float))
    return np.column_stack(columns)


def pinball_loss(y: np.ndarray, pred: np.ndarray, quantile: float) -> float:
    """Mean pinball (quantile) loss :math:`\\frac1n\\sum_i \\max(q(y_i-\\hat y_i), (q-1)(y_i-\\hat y_i))`."""
    d = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)
    return float(np.mean(np.maximum(quantile * d, (quantile - 1) * d)))


def model_potential(
    accounts: pd.DataFrame,
    current: pd.Series | np.ndarray | str = "sales",
    quantile: float = 0.8,
    n_splits: int = 5,
    seed: int = 0,
    max_train: int = 100_000,
    min_group: int = 20,
    max_iter: int = 100,
    n_threads: int | None = 1,
) -> PotentialResult:
    """Model-based potential: quantile gradient boosting on firmographics.

    A :class:`sklearn.ensemble.HistGradientBoostingRegressor` with ``loss="quantile"`` learns
    the ``quantile`` of :math:`\\log s` (current spend of customers) from
    :math:`\\log(1+\\text{employees})`, the revenue-band ordinal and the industry code (trees
    isolate an industry with two splits; native categorical support was several times slower).
    Features a dataset leaves empty are left out; with no firmographics at all there is nothing
    to learn from and a :class:`~terrkit.exceptions.ConfigError` says so.
    Quantiles commute with the monotone log, so
    :math:`\\hat s_i = \\exp(\\hat f(x_i))` estimates the ``quantile`` of spend for accounts
    like :math:`i`; ``potential = max(s_i, \\hat s_i)``. Prospects get :math:`\\hat s_i` from the
    same model.

    Quality: ``n_splits``-fold cross-validation (shuffled, seeded) over the customers gives
    out-of-fold predictions; the table ``quality`` reports for the model and for the peer
    benchmark (fitted on the same training folds) the mean pinball loss on the spend scale
    and the coverage (share of actual spend at or under the predicted quantile; ideally
    ``quantile``).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``industry``, ``employees``, ``revenue_band``.
    current : str, Series or array, default "sales"
        Current annual spend per account.
    quantile : float, default 0.8
    n_splits : int, default 5
        Cross-validation folds (>= 2).
    seed : int, default 0
        Seed of the folds, the training sample and the booster.
    max_train : int, default 100000
        Customers used for training (a seeded sample when there are more).
    min_group : int, default 20
        ``min_group`` of the peer baseline.
    max_iter : int, default 100
        Boosting iterations.
    n_threads : int or None, default 1
        OpenMP threads for the booster. The model is small; one thread avoids the heavy
        oversubscription slow-down seen on shared machines (None = the library default).

    Returns
    -------
    PotentialResult
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold

    q = _check_quantile(quantile)
    if not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ConfigError(f"n_splits must be an integer >= 2; got {n_splits!r}")
    net = _net_sales(accounts, current)
    cur = _spend(net)
    if not firmographics_present(accounts):
        raise ConfigError(
            "model potential learns from firmographics (industry, employees, revenue_band) and the accounts "
            "have none; use the peer method, which then benchmarks on the customers' sales history"
        )
    ind, band, _ = _codes(accounts)
    X = _features(accounts, ind)
    cust = np.flatnonzero(cur > 0)
    if len(cust) < 2 * n_splits:
        raise ConfigError(f"model potential needs at least {2 * n_splits} customers; found {len(cust)}")
    rng = np.random.default_rng(seed)
    train = np.sort(rng.choice(cust, max_train, replace=False)) if len(cust) > max_train else cust

    def make() -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="quantile",
            quantile=q,
            max_iter=max_iter,
            learning_rate=0.1,
            min_samples_leaf=20,
            early_stopping=False,
            random_state=seed,
        )

    from threadpoolctl import threadpool_limits

    y = np.log(cur[train])
    oof_model = np.empty(len(train))
    oof_peer = np.empty(len(train))
    folds = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        for tr, te in folds.split(train):
            model = make().fit(X[train[tr]], y[tr])
            oof_model[te] = np.exp(model.predict(X[train[te]]))
            ref = np.zeros(len(cur), dtype=bool)
            ref[train[tr]] = True
            bench, _, _ = _peer_benchmark(ind, band, cur, ref, q, int(min_group))
            oof_peer[te] = bench[train[te]]
        final = make().fit(X[train], y)
        estimate = np.exp(final.predict(X))
    actual = cur[train]
    quality = pd.DataFrame(
        {
            "method": ["quantile gradient boosting", "peer benchmark"],
            "pinball_loss": [pinball_loss(actual, oof_model, q), pinball_loss(actual, oof_peer, q)],
            "coverage": [float(np.mean(actual <= oof_model)), float(np.mean(actual <= oof_peer))],
        }
    )
    quality["target_coverage"] = q
    quality["n_folds"] = n_splits
    quality["n_customers"] = len(train)
    out = _result_frame(accounts, net, estimate)
    return PotentialResult(
        "model",
        out,
        quality=quality,
        params={"quantile": q, "n_splits": n_splits, "seed": seed, "max_train": max_train},
    )


def estimate_potential(
    accounts: pd.DataFrame,
    current: pd.Series | np.ndarray | str = "sales",
    method: str = "peer",
    **params: Any,
) -> PotentialResult:
    """Front end for the potential estimators in :data:`METHODS` ("peer", "model").

    Raises
    ------
    ValueError
        On an unknown ``method``.
    """
    key = str(method).strip().lower()
    if key not in METHODS:
        raise ValueError(f"unknown potential method {method!r}; valid methods: {', '.join(METHODS)}")
    if key == "peer":
        return peer_potential(accounts, current, **params)
    return model_potential(accounts, current, **params)


# ---------------------------------------------------------------------------------- aggregation

#: Columns summed per unit when present in the scored accounts.
SUM_MEASURES = ("sales", "potential", "whitespace", "workload")


def aggregate_to_units(
    scored: pd.DataFrame,
    units: pd.DataFrame | None = None,
    unit_col: str = "unit_id",
    measures: Sequence[str] = SUM_MEASURES,
) -> pd.DataFrame:
    """Sum account measures to geographic units and check that totals are preserved (pandas or Dask).

    Per unit :math:`u`: ``n_accounts``, ``n_customers`` (:func:`terrkit.measures.customers_in`:
    sales > 0), ``n_prospects``, the sums
    of ``measures`` present in ``scored`` (sales, potential, whitespace = potential - sales,
    workload), and ``penetration`` :math:`= \\sum sales / \\sum potential` (0 where there is
    no potential).

    Parameters
    ----------
    scored : pandas or Dask DataFrame
        One row per account with ``unit_id`` and the measures (e.g. ``PotentialResult.accounts``
        joined with ``unit_id``). A Dask table is summed per unit by
        :func:`terrkit.scale.scoring.unit_totals`, and only the unit table is brought into memory.
    units : DataFrame or GeoDataFrame, optional
        All units (``unit_id`` column). Units without accounts get zeros; the result keeps
        the other columns of ``units`` (the geometry, when it is a GeoDataFrame).
    unit_col : str, default "unit_id"
    measures : sequence of str
        Columns to sum (missing ones are skipped).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        One row per unit.

    Raises
    ------
    DataValidationError
        If an account has no unit or a unit not in ``units``.
    TerrkitError
        If a unit total differs from the account total (should never happen).
    """
    from terrkit.scale.backend import compute, is_dask
    from terrkit.scale.scoring import unit_totals

    if unit_col not in scored.columns:
        raise DataValidationError("scored accounts", f"missing column {unit_col!r}")
    present = [c for c in measures if c in scored.columns]
    frame = scored[[unit_col, *present]]
    if unit_col != "unit_id":
        frame = frame.rename(columns={unit_col: "unit_id"})
    no_unit = frame["unit_id"].isna()
    n_rows, n_no_unit, account_sums = compute(
        frame["unit_id"].size, no_unit.sum(), frame[present].astype(float).fillna(0.0).sum()
    )
    if n_no_unit:
        first = int(np.flatnonzero(no_unit.to_numpy())[0]) if not is_dask(scored) else None
        raise DataValidationError(
            "scored accounts",
            "every account needs a unit",
            column=unit_col,
            row=first,
            more=int(n_no_unit) - 1,
        )
    frame = frame.assign(unit_id=frame["unit_id"].astype(str))
    for c in present:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").fillna(0.0).astype(float)
    sums = unit_totals(frame, tuple(present))
    if units is not None:
        if unit_col not in units.columns:
            raise DataValidationError("units", f"missing column {unit_col!r}")
        index = pd.Index(units[unit_col].astype(str))
        if index.has_duplicates:
            raise DataValidationError("units", "unit ids must be unique", column=unit_col)
    else:
        index = pd.Index(np.sort(sums.index.astype(str).to_numpy()))
    unknown = ~sums.index.astype(str).isin(index)
    if unknown.any():
        bad = str(sums.index[unknown][0])
        first = None if is_dask(scored) else int(np.flatnonzero(frame["unit_id"].to_numpy() == bad)[0])
        raise DataValidationError(
            "scored accounts", "unit not among the units", column=unit_col, row=first, value=bad,
            more=int(sums.loc[unknown, "n_accounts"].sum()) - 1,
        )  # fmt: skip
    sums.index = sums.index.astype(str)
    m = len(index)
    agg = pd.DataFrame({unit_col: index.to_numpy()})
    agg["n_accounts"] = sums["n_accounts"].reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    if "sales" in present:
        agg["n_customers"] = sums["n_customers"].reindex(index, fill_value=0).to_numpy(dtype=np.int64)
        agg["n_prospects"] = agg["n_accounts"] - agg["n_customers"]
    for c in present:
        agg[c] = sums[c].reindex(index, fill_value=0.0).to_numpy(dtype=float) if m else np.zeros(0)
    if "sales" in present and "potential" in present:
        pot = agg["potential"].to_numpy()
        agg["penetration"] = np.where(pot > 0, agg["sales"].to_numpy() / np.where(pot > 0, pot, 1.0), 0.0)
    # the check the issue asks for: unit totals equal account totals
    if int(agg["n_accounts"].sum()) != int(n_rows):
        raise TerrkitError(f"aggregation lost accounts: {int(agg['n_accounts'].sum())} of {int(n_rows)}")
    for c in present:
        a, u = float(account_sums[c]), float(agg[c].sum())
        if not np.isclose(a, u, rtol=1e-9, atol=1e-6):
            raise TerrkitError(f"aggregation changed the total of {c!r}: accounts {a:,.2f}, units {u:,.2f}")
    if units is not None:
        extra = units.drop(columns=[unit_col]).reset_index(drop=True)
        keep = [c for c in extra.columns if c not in agg.columns]
        agg = pd.concat([agg, extra[keep]], axis=1)
        if hasattr(units, "geometry") and "geometry" in agg.columns:
            import geopandas as gpd

            agg = gpd.GeoDataFrame(agg, geometry="geometry", crs=units.crs)
    return agg
