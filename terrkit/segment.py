"""Account segmentation: value tiers, RFM scores and firmographic clusters.

One front end, :func:`segment`, dispatches on a string key (like mapclassify's
``classify(y, scheme)``):

``"abc"``
    ABC/Pareto value tiers on a value column (current sales or potential).
``"rfm"``
    Recency, frequency and monetary value from the sales history, each scored 1..5 by quantile.
``"kmeans"``
    k-means clusters on scaled firmographics, the number of clusters chosen by silhouette.
``"gmm"``
    Gaussian-mixture clusters on scaled firmographics, the number chosen by BIC.

Every scheme returns a :class:`SegmentResult` whose ``labels`` frame has one row per
account (same index as the input) and whose ``profiles`` frame says in words what sets
each segment apart. All steps are column-wise (no loops over accounts); the clustering
schemes fit on a seeded sample when there are many accounts and then label all of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError, DataWarning
from terrkit.measures import account_history, period_to_quarter, with_history

SCHEMES = ("abc", "rfm", "kmeans", "gmm")
#: Ordered revenue bands of the data model (ordinal 0..4 in the firmographic features).
REVENUE_BANDS = ("<1M", "1-10M", "10-50M", "50-250M", "250M+")
#: Segment given to accounts without any purchase up to the as-of period (RFM).
PROSPECT = "Prospect"
#: ABC cut points: tier A closes at 50% of the value, B at 80% (C is the tail holding the last 20%).
#: Half of the value in A keeps the A list short enough to call on often.
ABC_CUTS = (0.5, 0.8)


@dataclass
class SegmentResult:
    """Outcome of :func:`segment`.

    Attributes
    ----------
    scheme : str
        The scheme key ("abc", "rfm", "kmeans", "gmm").
    column : str
        Name of the main segment column in ``labels`` (e.g. ``"abc_tier"``).
    labels : pandas.DataFrame
        One row per input account (same index), ``account_id`` when the input has it,
        then the scheme's columns.
    profiles : pandas.DataFrame
        One row per segment: counts, shares, medians and a ``description`` in words.
    selection : pandas.DataFrame or None
        For the clustering schemes: the criterion (silhouette or BIC) per number of clusters.
    params : dict
        The parameters used (defaults filled in), for reports.
    """

    scheme: str
    column: str
    labels: pd.DataFrame
    profiles: pd.DataFrame
    selection: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"SegmentResult(scheme={self.scheme!r}, column={self.column!r}, "
            f"accounts={len(self.labels)}, segments={len(self.profiles)})"
        )


def segment(df: pd.DataFrame, scheme: str = "abc", **params: Any) -> SegmentResult:
    """Segment accounts with one of the schemes in :data:`SCHEMES`.

    Parameters
    ----------
    df : pandas.DataFrame
        Accounts (columns of ``accounts.csv``, plus any value column for ``"abc"``).
    scheme : {"abc", "rfm", "kmeans", "gmm"}
        Segmentation method; see :func:`abc_tiers`, :func:`rfm_scores`, :func:`cluster_firmographics`.
    **params
        Passed to the scheme's function.

    Returns
    -------
    SegmentResult

    Raises
    ------
    ValueError
        If ``scheme`` is not one of :data:`SCHEMES`.
    """
    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise ValueError(f"unknown segmentation scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    if key == "abc":
        return abc_tiers(df, **params)
    if key == "rfm":
        return rfm_scores(df, **params)
    return cluster_firmographics(df, method=key, **params)


def segment_dataset(
    dataset: Any,
    scheme: str = "abc",
    value: str = "sales",
    quantile: float = 0.8,
    potential_method: str = "peer",
    seed: int = 0,
    **params: Any,
) -> SegmentResult:
    """Convenience wrapper: segment a :class:`terrkit.io.Dataset` with the inputs each scheme needs.

    ``"abc"`` tiers on ``value``: ``"sales"`` (net sales of the last four quarters,
    :func:`terrkit.measures.annual_sales`) or ``"potential"`` (:func:`terrkit.potential.estimate_potential`
    with ``potential_method``, ``quantile`` and ``seed``, the same call as
    :func:`terrkit.workload.score_accounts`, so the tiers on potential are the same in every deliverable);
    the tier column names its basis (``abc_tier_by_sales``, ``abc_tier_by_potential``). ``"rfm"`` uses
    the dataset's sales; the clustering schemes its firmographics. ``params`` go to the scheme's function.
    """
    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise ValueError(f"unknown segmentation scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    accounts = dataset.accounts
    if key == "abc":
        from terrkit.measures import annual_sales

        if value not in ("sales", "potential"):
            raise ValueError(f"unknown ABC value {value!r}; valid values: sales, potential")
        current = annual_sales(accounts, dataset.sales)
        if value == "potential":
            from terrkit.potential import estimate_potential

            extra = {"seed": seed} if str(potential_method).strip().lower() == "model" else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                pot = estimate_potential(
                    accounts, current, method=potential_method, quantile=quantile, **extra
                )
            v = pot.accounts["potential"].rename("potential")
        else:
            v = current
        return abc_tiers(accounts, value=v, **params)
    if key == "rfm":
        return rfm_scores(accounts, sales=dataset.sales, **params)
    return cluster_firmographics(accounts, method=key, **params)


# --------------------------------------------------------------------------------------------- ABC


def abc_tiers(
    df: pd.DataFrame,
    value: str | pd.Series | np.ndarray = "potential",
    cuts: Sequence[float] = ABC_CUTS,
    labels: Sequence[str] = ("A", "B", "C"),
    basis: str | None = None,
) -> SegmentResult:
    """ABC (Pareto) value tiers.

    Accounts are sorted by value, largest first (ties by input order). With
    :math:`S_i` the cumulative share of the total value held by the accounts ranked
    *before* account :math:`i`, the account gets the tier of the first cut point
    :math:`c_k` with :math:`S_i < c_k`, and the last tier when there is none. So with
    the default ``cuts=(0.5, 0.8)`` tier A holds (just over) the top half of the value,
    B the next 30% and C the last 20% (the long tail of small accounts); the account
    that crosses a cut belongs to the higher tier, so a single account holding 90% of
    value is A. Negative and missing values count as zero.

    Parameters
    ----------
    df : pandas.DataFrame
        Accounts.
    value : str, Series or array, default "potential"
        Column of ``df`` (or values aligned with it) to tier on, e.g. annual sales or potential.
    cuts : sequence of float, default :data:`ABC_CUTS` (0.5, 0.8)
        Increasing cumulative-share cut points in (0, 1]; :func:`describe_abc_cuts` says them in words.
    labels : sequence of str, default ("A", "B", "C")
        Tier names, one more than ``cuts``.
    basis : str, optional
        What the value is (``"sales"``, ``"potential"``), named in the columns; default the column
        name or the Series name of ``value``.

    Returns
    -------
    SegmentResult
        ``labels`` columns, each naming the basis: ``abc_value_by_<basis>`` (the value tiered on,
        negatives and missing as 0), ``abc_cum_share_by_<basis>`` (cumulative share including the
        account) and ``abc_tier_by_<basis>`` (the result's ``column``).
    """
    cuts = [float(c) for c in cuts]
    labels = [str(x) for x in labels]
    if (
        len(cuts) == 0
        or any(not 0 < c <= 1 for c in cuts)
        or any(b <= a for a, b in zip(cuts[:-1], cuts[1:], strict=True))
    ):
        raise ConfigError(f"ABC cuts must be increasing cumulative shares in (0, 1]; got {cuts}")
    if len(labels) != len(cuts) + 1:
        raise ConfigError(f"ABC needs {len(cuts) + 1} labels for {len(cuts)} cuts; got {labels}")
    vname, v = _value_array(df, value)
    vname = _basis_name(basis if basis is not None else vname)
    v = abc_value(v)
    n = len(v)
    total = v.sum()
    order = np.argsort(-v, kind="stable")
    cum_incl = np.empty(n)
    if total > 0:
        cum_incl[order] = np.cumsum(v[order]) / total
    else:
        warnings.warn(
            f"ABC tiers: total {vname} is zero; every account gets tier {labels[-1]!r}",
            DataWarning,
            stacklevel=2,
        )
        cum_incl[:] = 1.0
    rows = np.arange(n, dtype=np.int64)
    rules = abc_rules(pd.DataFrame({"value": v, "row": rows}), cuts)
    tier_idx = abc_tier_codes(v, rows, rules)
    column = f"abc_tier_by_{vname}"
    out = _id_frame(df)
    out[f"abc_value_by_{vname}"] = v
    out[f"abc_cum_share_by_{vname}"] = cum_incl
    out[column] = pd.Categorical.from_codes(tier_idx, categories=labels)
    profiles = describe_segments(df, out[column], value=v, value_name=vname, label="Tier")
    return SegmentResult(
        "abc", column, out, profiles, params={"value": vname, "cuts": cuts, "labels": labels}
    )


def abc_value(values: np.ndarray) -> np.ndarray:
    """The value ABC tiers on: negative and missing values count as zero."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, 0.0)


@dataclass(frozen=True)
class AbcRules:
    """Where each ABC cut falls, so that any partition can tier its own accounts (:func:`abc_rules`).

    Account :math:`i` (value :math:`v_i`, position :math:`r_i` in the input) is above cut :math:`k`
    when :math:`v_i > t_k`, or :math:`v_i = t_k` and :math:`r_i < b_k`: the ``thresholds`` :math:`t_k`
    and the ``tie_rows`` :math:`b_k` (accounts tied at the threshold are taken in input order).
    """

    total: float
    thresholds: np.ndarray
    tie_rows: np.ndarray


def _ties(part: pd.DataFrame, thresholds: np.ndarray) -> list[tuple[float, np.ndarray]]:
    v = part["value"].to_numpy(dtype=float)
    rows = part["row"].to_numpy(dtype=np.int64)
    return [(float(v[v > t].sum()), rows[v == t]) for t in thresholds]


def abc_rules(frame: Any, cuts: Sequence[float]) -> AbcRules:
    """The ABC cut points of a table of accounts, exactly, on pandas or Dask.

    The accounts ranked before account :math:`i` (larger value, or equal value and earlier in the
    input) hold the share :math:`S_i`; the account is above cut :math:`c` when :math:`S_i < c`
    (:func:`abc_tiers`). That set is the accounts above a value threshold :math:`t`, the smallest value
    whose larger values sum to less than :math:`c T` (:func:`terrkit.scale.order_stats.share_thresholds`),
    plus the first of the accounts tied at :math:`t` while their running sum stays below :math:`c T`.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
        ``value`` (:func:`abc_value`: non-negative) and ``row`` (the account's position in the input,
        the tie-break).
    cuts : sequence of float
        Increasing cumulative shares in (0, 1].
    """
    from terrkit.scale.backend import compute, partition_results
    from terrkit.scale.order_stats import share_thresholds

    cuts = np.asarray(cuts, dtype=float)
    total = float(compute(frame["value"].sum()))
    if not total > 0:
        return AbcRules(total, np.full(len(cuts), np.inf), np.zeros(len(cuts), dtype=np.int64))
    thresholds = share_thresholds(frame, (1.0 - cuts) * total, "value")
    parts = partition_results(frame, _ties, thresholds)
    tie_rows = np.zeros(len(cuts), dtype=np.int64)
    for k, (c, t) in enumerate(zip(cuts, thresholds, strict=True)):
        above = sum(p[k][0] for p in parts)
        tied = np.sort(np.concatenate([p[k][1] for p in parts]))
        # ties at t in input order: the j-th (0-based) is above the cut while above + j * t < c * total
        take = max(int(np.ceil((c * total - above) / t)), 0)  # >= 1 but for rounding at the boundary
        tie_rows[k] = tied[take] if take < len(tied) else np.iinfo(np.int64).max
    return AbcRules(total, thresholds, tie_rows)


def abc_tier_codes(values: np.ndarray, rows: np.ndarray, rules: AbcRules) -> np.ndarray:
    """Tier code (0 = the first tier) of each account: the number of cuts it is not above. Row-wise."""
    v = np.asarray(values, dtype=float)
    r = np.asarray(rows, dtype=np.int64)
    codes = np.zeros(len(v), dtype=np.int64)
    for t, b in zip(rules.thresholds, rules.tie_rows, strict=True):
        codes += ~((v > t) | ((v == t) & (r < b)))
    return codes


def describe_abc_cuts(
    cuts: Sequence[float] = ABC_CUTS, labels: Sequence[str] = ("A", "B", "C"), basis: str = "value"
) -> str:
    """The ABC split of :func:`abc_tiers` in words, from its parameters.

    For ``cuts=(0.5, 0.8)`` and ``basis="sales"``: "Accounts are ranked by sales, largest first.
    Tier A: the accounts that together hold the first 50% of sales; tier B: the next 30% (up to 80%);
    tier C: the remaining 20%. The account that straddles a cut goes to the higher tier."
    Notebooks print this sentence instead of stating the split in fixed prose.
    """
    cuts = [float(c) for c in cuts]
    labels = [str(x) for x in labels]
    if len(labels) != len(cuts) + 1:
        raise ConfigError(f"ABC needs {len(cuts) + 1} labels for {len(cuts)} cuts; got {labels}")
    parts = [f"tier {labels[0]}: the accounts that together hold the first {cuts[0]:.0%} of {basis}"]
    for label, lo, hi in zip(labels[1:-1], cuts[:-1], cuts[1:], strict=True):
        parts.append(f"tier {label}: the next {hi - lo:.0%} (up to {hi:.0%})")
    if cuts[-1] < 1:
        parts.append(f"tier {labels[-1]}: the remaining {1 - cuts[-1]:.0%}")
    else:
        parts.append(f"tier {labels[-1]}: accounts without {basis}")
    text = "; ".join(parts)
    return (
        f"Accounts are ranked by {basis}, largest first. {text[0].upper()}{text[1:]}. "
        "The account that straddles a cut goes to the higher tier."
    )


def compare_abc_tiers(first: SegmentResult, second: SegmentResult) -> pd.DataFrame:
    """Accounts per pair of tiers of two ABC segmentations of the same accounts (by sales and by potential).

    Rows are the tiers of ``first``, columns those of ``second``, each axis named by its column
    (``abc_tier_by_sales``...); every tier appears, and the cells sum to the number of accounts.
    Accounts on the diagonal have the same tier in both; the corners are the lists that disagree most
    (A by potential but C by sales: large opportunities that buy little today).

    Raises
    ------
    ConfigError
        If either result is not an ABC segmentation, or they cover different accounts.
    """
    if first.scheme != "abc" or second.scheme != "abc":
        raise ConfigError(
            f"compare_abc_tiers compares two ABC segmentations; got {first.scheme}, {second.scheme}"
        )
    a, b = first.labels[first.column], second.labels[second.column]
    if not a.index.equals(b.index):
        raise ConfigError(
            "the two ABC segmentations cover different accounts; segment the same accounts table"
        )
    table = pd.crosstab(a.rename(first.column), b.rename(second.column), dropna=False)
    return table.reindex(index=a.cat.categories, columns=b.cat.categories, fill_value=0).rename_axis(
        index=first.column, columns=second.column
    )


# --------------------------------------------------------------------------------------------- RFM


def quantile_scores(x: pd.Series | np.ndarray, n_bins: int = 5, higher_is_better: bool = True) -> np.ndarray:
    """Score values 1..n_bins by quantile of the empirical distribution.

    With :math:`F(x_i)` the share of the :math:`n` values that are no better than
    :math:`x_i` (ties included), the score is

    .. math:: s_i = \\lceil n_\\text{bins} \\, F(x_i) \\rceil

    so the top fifth scores 5 and the bottom fifth 1; five distinct values get 1..5, and
    tied values share the highest score their block reaches (everyone who bought in the
    latest quarter has the best recency). For ``higher_is_better=False`` (recency) smaller
    values are better.
    """
    from terrkit.scale.order_stats import apply_score_cuts, quantile_score_cuts

    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int8)
    v = x if higher_is_better else -x
    _, cuts = quantile_score_cuts(pd.Series(v), n_bins)
    return apply_score_cuts(v, cuts)


def rfm_scores(
    df: pd.DataFrame,
    sales: pd.DataFrame | None = None,
    as_of: str | None = None,
    window: int | None = None,
    n_bins: int = 5,
) -> SegmentResult:
    """Recency, frequency and monetary scores from the sales history.

    For each account, over the periods up to and including ``as_of``:

    * a period *counts as a purchase* when the account's net amount in it is positive;
    * **recency** = quarters between the last purchase and ``as_of`` (0 = bought in ``as_of``);
    * **frequency** = number of purchase quarters within the last ``window`` quarters;
    * **monetary** = net amount within the last ``window`` quarters.

    Customers (at least one purchase up to ``as_of``) are scored 1..n_bins on each measure
    by :func:`quantile_scores` among customers (recent = high R score). Accounts that never
    bought get scores 0 and the segment ``"Prospect"``. The named segment follows R and F:
    Champions (R>=4, F>=4), At risk (R<=2, F>=3), Loyal (F>=4), Promising (R>=4), Lost
    (R<=2, F<=2), Other.

    Parameters
    ----------
    df : pandas.DataFrame
        Accounts with ``account_id``.
    sales : pandas.DataFrame
        ``account_id``, ``period`` ("YYYYQn"), ``amount``. Required.
    as_of : str, optional
        Reference period, default the latest period in ``sales``.
    window : int or None, default None
        Quarters for frequency and monetary value (None = the whole history up to ``as_of``).
    n_bins : int, default 5
        Number of quantile scores.

    Returns
    -------
    SegmentResult
        ``labels`` columns: ``recency_quarters``, ``frequency``, ``monetary``, ``r_score``,
        ``f_score``, ``m_score``, ``rfm_code`` (the three scores side by side, e.g. "545": a label,
        not a number), ``rfm_score`` (:math:`R + F + M`, 3..3 * n_bins, 0 for prospects) and
        ``rfm_segment``. The accounts that are not prospects are the
        :func:`terrkit.measures.ever_customers` as of ``as_of``.
    """
    if sales is None:
        raise ConfigError(
            "RFM needs the sales history: segment(accounts, 'rfm', sales=sales, as_of='2025Q4')"
        )
    _require(df, ["account_id"], "accounts")
    _require(sales, ["account_id", "period", "amount"], "sales")
    if not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise ConfigError(f"n_bins must be an integer >= 2; got {n_bins!r}")
    if window is not None and (not isinstance(window, int | np.integer) or window < 1):
        raise ConfigError(f"window must be a positive number of quarters or None; got {window!r}")
    ids = df["account_id"].astype(str)
    unknown = ~sales["account_id"].astype(str).isin(ids)
    if unknown.any():
        warnings.warn(
            f"RFM: {int(unknown.sum())} sales rows refer to accounts not in the table; ignored",
            DataWarning,
            stacklevel=2,
        )
    if (as_of is None or str(as_of).strip() == "") and len(sales) == 0:
        raise ConfigError("RFM: sales is empty and no as_of period was given")
    history, as_of_period = account_history(sales, as_of, window)
    frame = with_history(pd.DataFrame({"account_id": ids}, index=df.index), history)
    q_asof = int(period_to_quarter([as_of_period])[0])
    labels = rfm_labels(frame, rfm_cuts(frame, n_bins), n_bins, q_asof)
    out = pd.concat([_id_frame(df), labels], axis=1)
    monetary = labels["monetary"].to_numpy()
    profiles = describe_segments(df, out["rfm_segment"], value=monetary, value_name="monetary", label="")
    return SegmentResult(
        "rfm",
        "rfm_segment",
        out,
        profiles,
        params={"as_of": as_of_period, "window": window, "n_bins": n_bins},
    )


#: Named RFM segments in report order, prospects last.
RFM_SEGMENTS = ("Champions", "Loyal", "Promising", "At risk", "Other", "Lost", PROSPECT)

#: The history column each RFM score ranks: a later last purchase is a better (shorter) recency.
RFM_MEASURES = {"r_score": "last_purchase", "f_score": "frequency", "m_score": "monetary"}


def rfm_cuts(frame: Any, n_bins: int) -> dict[str, np.ndarray]:
    """Where each RFM score steps up, among the ever customers of ``frame``, exactly (pandas or Dask).

    ``frame`` holds the :func:`terrkit.measures.account_history` columns; the cuts are those of
    :func:`quantile_scores` (:func:`terrkit.scale.order_stats.quantile_score_cuts`), found on either
    back end by partition-wise passes instead of a sort.
    """
    from terrkit.scale.order_stats import quantile_score_cuts_by_column

    customers = frame[frame["last_purchase"] >= 0]
    cuts = quantile_score_cuts_by_column(customers, list(RFM_MEASURES.values()), n_bins)
    return {score: cuts[col][1] for score, col in RFM_MEASURES.items()}


def rfm_labels(part: pd.DataFrame, cuts: dict[str, np.ndarray], n_bins: int, q_asof: int) -> pd.DataFrame:
    """RFM columns of :func:`rfm_scores` for the accounts of ``part``, from :func:`rfm_cuts`. Row-wise."""
    from terrkit.scale.order_stats import apply_score_cuts

    last = part["last_purchase"].to_numpy(dtype=np.int64)
    customer = last >= 0
    scores = {}
    for score, col in RFM_MEASURES.items():
        values = part[col].to_numpy(dtype=float)
        scores[score] = np.where(customer, apply_score_cuts(values, cuts[score]), 0).astype(np.int8)
    r, f, m = scores["r_score"], scores["f_score"], scores["m_score"]
    hi, lo = n_bins - 1, 2  # "4 or more" and "2 or less" on a 1..5 scale, scaled for other n_bins
    if n_bins != 5:
        hi = int(np.ceil(0.8 * n_bins))
        lo = max(1, int(np.floor(0.4 * n_bins)))
    seg = np.select(
        [
            ~customer,
            (r >= hi) & (f >= hi),
            (r <= lo) & (f > lo),
            f >= hi,
            r >= hi,
            (r <= lo) & (f <= lo),
        ],
        [PROSPECT, "Champions", "At risk", "Loyal", "Promising", "Lost"],
        default="Other",
    )
    out = pd.DataFrame(index=part.index)
    rec = pd.array(np.where(customer, q_asof - last, 0), dtype="Int64")
    rec[~customer] = pd.NA
    out["recency_quarters"] = rec
    out["frequency"] = part["frequency"].to_numpy(dtype=np.int64)
    out["monetary"] = part["monetary"].to_numpy(dtype=float)
    out["r_score"] = r
    out["f_score"] = f
    out["m_score"] = m
    digits = r.astype(np.int64) * 100 + f.astype(np.int64) * 10 + m.astype(np.int64)
    out["rfm_code"] = pd.Series(digits, index=out.index).astype(str).str.zfill(3)
    out["rfm_score"] = r.astype(np.int64) + f.astype(np.int64) + m.astype(np.int64)
    out["rfm_segment"] = pd.Categorical(seg, categories=list(RFM_SEGMENTS))
    return out


# ------------------------------------------------------------------------------------- clustering


def firmographic_features(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Scaled firmographic feature matrix used by the clustering schemes.

    Columns: :math:`\\log(1 + \\text{employees})` and the revenue-band ordinal (0 for
    "<1M" .. 4 for "250M+"), each standardised to mean 0 and standard deviation 1, then
    one 0/1 column per industry (one-hot, unscaled, sorted by name). An account that leaves a
    field empty gets the median employee count or band, and the industry ``unknown``.

    Raises
    ------
    DataValidationError
        On negative employees or an unknown revenue band.
    """
    _require(df, ["employees", "revenue_band", "industry"], "accounts")
    empty = [c for c in ("employees", "revenue_band", "industry") if df[c].isna().all()]
    if empty:
        raise ConfigError(
            f"clusters are formed on firmographics, and the accounts have no {', '.join(empty)}: "
            "use the abc or rfm scheme, or add the columns to accounts.csv"
        )
    emp = pd.to_numeric(df["employees"], errors="coerce").to_numpy(dtype=float)
    given = ~np.isnan(emp)
    bad = given & (~np.isfinite(emp) | (emp < 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            "accounts",
            "employees must be a number >= 0",
            column="employees",
            row=i,
            value=df["employees"].iloc[i],
            more=int(bad.sum()) - 1,
        )
    emp = np.where(given, emp, np.median(emp[given]))
    band_given = df["revenue_band"].notna().to_numpy()
    band = pd.Index(REVENUE_BANDS).get_indexer(df["revenue_band"].astype(str))
    if (band_given & (band < 0)).any():
        i = int(np.flatnonzero(band_given & (band < 0))[0])
        raise DataValidationError(
            "accounts",
            f"revenue_band must be one of {list(REVENUE_BANDS)}",
            column="revenue_band",
            row=i,
            value=df["revenue_band"].iloc[i],
            more=int((band_given & (band < 0)).sum()) - 1,
        )
    band = np.where(band_given, band, np.median(band[band_given]))
    num = np.column_stack([np.log1p(emp), band.astype(float)])
    sd = num.std(axis=0)
    num = (num - num.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    ind = pd.Categorical(df["industry"].fillna("unknown").astype(str))
    cats = sorted(ind.categories)
    ind = ind.reorder_categories(cats)
    onehot = np.zeros((len(df), len(cats)))
    onehot[np.arange(len(df)), ind.codes] = 1.0
    names = ["log_employees", "revenue_band_ordinal", *[f"industry={c}" for c in cats]]
    return np.hstack([num, onehot]), names


def cluster_firmographics(
    df: pd.DataFrame,
    method: str = "kmeans",
    k_range: Sequence[int] | range = range(2, 9),
    seed: int = 0,
    fit_sample: int = 50_000,
    silhouette_sample: int = 5_000,
    n_init: int = 4,
    n_threads: int | None = 1,
) -> SegmentResult:
    """Firmographic clusters with the number of clusters chosen by a stated criterion.

    Features: :func:`firmographic_features`. For each :math:`k` in ``k_range``:

    * ``method="kmeans"``: k-means (``n_init`` seeded restarts); criterion = mean silhouette
      :math:`\\frac{1}{n}\\sum_i (b_i - a_i)/\\max(a_i, b_i)` on a seeded sample of
      ``silhouette_sample`` accounts; the largest wins.
    * ``method="gmm"``: Gaussian mixture with diagonal covariances (``reg_covar=0.05`` keeps the
      0/1 industry columns from collapsing to zero variance); criterion =
      :math:`\\text{BIC} = -2\\ln\\hat L + p\\ln n`; the smallest wins.

    Models are fitted on a seeded sample of at most ``fit_sample`` accounts and then label
    every account. Segments are numbered 1..k by size (largest first).

    ``n_threads`` limits OpenMP threads (default 1: the fits are small, and one thread avoids
    oversubscription on shared machines; None = the library default).

    Returns
    -------
    SegmentResult
        ``labels`` column ``kmeans_segment`` or ``gmm_segment`` (int 1..k); ``selection``
        holds the criterion per k.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.mixture import GaussianMixture

    if method not in ("kmeans", "gmm"):
        raise ValueError(f"unknown clustering method {method!r}; valid: kmeans, gmm")
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2:
        raise ConfigError(f"k_range must hold cluster counts >= 2; got {list(k_range)}")
    if ks[-1] >= len(df):
        raise ConfigError(f"cannot form {ks[-1]} clusters from {len(df)} accounts; lower k_range")
    X, _ = firmographic_features(df)
    rng = np.random.default_rng(seed)
    fit_idx = np.sort(rng.choice(len(X), fit_sample, replace=False)) if len(X) > fit_sample else None
    X_fit = X if fit_idx is None else X[fit_idx]
    from threadpoolctl import threadpool_limits

    rows = []
    models = {}
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        for k in ks:
            if method == "kmeans":
                model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X_fit)
                lab = model.labels_
                if len(np.unique(lab)) < 2:
                    score = -1.0
                else:
                    score = float(
                        silhouette_score(
                            X_fit, lab, sample_size=min(silhouette_sample, len(X_fit)), random_state=seed
                        )
                    )
                rows.append({"k": k, "silhouette": score})
            else:
                model = GaussianMixture(
                    n_components=k, covariance_type="diag", reg_covar=0.05, random_state=seed, n_init=1
                ).fit(X_fit)
                rows.append({"k": k, "bic": float(model.bic(X_fit))})
            models[k] = model
    selection = pd.DataFrame(rows)
    crit = "silhouette" if method == "kmeans" else "bic"
    best_k = int(
        selection.loc[selection[crit].idxmax() if method == "kmeans" else selection[crit].idxmin(), "k"]
    )
    selection["chosen"] = selection["k"] == best_k
    if best_k == ks[-1] and len(ks) > 1:
        warnings.warn(
            f"{method}: the {crit} criterion is best at the largest k tried ({best_k}); "
            "a wider k_range may find more segments",
            DataWarning,
            stacklevel=3,
        )
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        raw = models[best_k].predict(X)
    # relabel 1..k by size (largest first, ties by raw label) so labels are stable and readable
    counts = np.bincount(raw, minlength=best_k)
    order = np.lexsort((np.arange(best_k), -counts))
    relabel = np.empty(best_k, dtype=np.int64)
    relabel[order] = np.arange(1, best_k + 1)
    col = f"{method}_segment"
    out = _id_frame(df)
    out[col] = relabel[raw]
    profiles = describe_segments(df, out[col], label="Segment")
    return SegmentResult(
        method,
        col,
        out,
        profiles,
        selection=selection,
        params={"k_range": ks, "k": best_k, "criterion": crit, "seed": seed, "fit_sample": fit_sample},
    )


# ---------------------------------------------------------------------------------------- profiles


def describe_segments(
    df: pd.DataFrame,
    labels: pd.Series,
    value: np.ndarray | pd.Series | None = None,
    value_name: str = "value",
    label: str = "Segment",
) -> pd.DataFrame:
    """Profile each segment and say in words what sets it apart.

    For each segment: number and share of accounts; median employees against the overall
    median ("larger than average" when the ratio is >= 1.5, "smaller" when <= 2/3); the
    dominant industry ("mostly X (61%)" when at least half, otherwise the most
    over-represented industry with its share against the overall share); the modal revenue
    band; and, when ``value`` is given, the segment's share of the total value.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``n_accounts``, ``share_accounts``, [``value_share``],
        [``median_employees``], [``top_industry``, ``top_industry_share``],
        [``top_revenue_band``], ``description``.
    """
    lab = pd.Series(labels.to_numpy(), index=df.index)
    cats = (
        list(lab.cat.categories)
        if isinstance(lab.dtype, pd.CategoricalDtype)
        else sorted(pd.unique(lab.dropna()).tolist())
    )
    n = len(lab)
    counts = lab.value_counts().reindex(cats, fill_value=0)
    prof = pd.DataFrame({"segment": cats, "n_accounts": counts.to_numpy()})
    prof["share_accounts"] = prof["n_accounts"] / max(n, 1)
    parts: list[list[str]] = [[] for _ in cats]
    if value is not None:
        v = pd.Series(np.clip(np.nan_to_num(np.asarray(value, dtype=float)), 0, None), index=df.index)
        tot = v.sum()
        vs = v.groupby(lab, observed=False).sum().reindex(cats, fill_value=0.0)
        prof["value_share"] = (vs / tot).to_numpy() if tot > 0 else 0.0
        for i, s in enumerate(prof["value_share"]):
            parts[i].append(f"holds {s:.0%} of {value_name}")
    if "employees" in df.columns:
        emp = pd.to_numeric(df["employees"], errors="coerce")
        overall = float(emp.median())
        med = emp.groupby(lab, observed=False).median().reindex(cats)
        prof["median_employees"] = med.to_numpy()
        for i, m in enumerate(med.to_numpy()):
            if not np.isfinite(m):
                continue
            ratio = (m + 1) / (overall + 1)
            word = (
                "larger than average"
                if ratio >= 1.5
                else "smaller than average"
                if ratio <= 2 / 3
                else "average size"
            )
            parts[i].append(f"{word} (median {m:,.0f} employees vs {overall:,.0f})")
    if "industry" in df.columns and df["industry"].notna().any():
        ct = (
            pd.crosstab(lab, df["industry"].fillna("unknown").astype(str), normalize="index")
            .reindex(cats)
            .fillna(0.0)
        )
        overall_share = df["industry"].fillna("unknown").astype(str).value_counts(normalize=True)
        top = ct.idxmax(axis=1)
        top_share = ct.max(axis=1)
        prof["top_industry"] = top.to_numpy()
        prof["top_industry_share"] = top_share.to_numpy()
        lift = ct.div(overall_share.reindex(ct.columns), axis=1).where(ct >= 0.1)
        for i, s in enumerate(cats):
            if counts[s] == 0:
                continue
            if top_share[s] >= 0.5:
                parts[i].append(f"mostly {top[s]} ({top_share[s]:.0%})")
            else:
                row = lift.loc[s].dropna()
                if len(row) and row.max() >= 1.25:
                    ind = row.idxmax()
                    parts[i].append(
                        f"more {ind} than average ({ct.loc[s, ind]:.0%} vs {overall_share[ind]:.0%})"
                    )
                else:
                    parts[i].append("mixed industries")
    if "revenue_band" in df.columns and df["revenue_band"].notna().any():
        ct = (
            pd.crosstab(lab, df["revenue_band"].fillna("unknown").astype(str), normalize="index")
            .reindex(cats)
            .fillna(0.0)
        )
        top = ct.idxmax(axis=1)
        prof["top_revenue_band"] = top.to_numpy()
        for i, s in enumerate(cats):
            if counts[s] == 0:
                continue
            share = ct.loc[s].max()
            word = "mostly" if share >= 0.5 else "most often"
            parts[i].append(f"{word} revenue band {top[s]} ({share:.0%})")
    prefix = f"{label} " if label else ""
    prof["description"] = [
        f"{prefix}{s} ({c:,} accounts, {sh:.0%}): " + ", ".join(p)
        for s, c, sh, p in zip(cats, prof["n_accounts"], prof["share_accounts"], parts, strict=True)
    ]
    return prof


# ----------------------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(name, f"missing column(s) {missing}; has {list(df.columns)[:20]}")


def _basis_name(name: str) -> str:
    """A value name fit for a column suffix: lower case, words joined by underscores."""
    import re

    text = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")
    return text or "value"


def _id_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    if "account_id" in df.columns:
        out["account_id"] = df["account_id"].to_numpy()
    return out


def _value_array(df: pd.DataFrame, value: str | pd.Series | np.ndarray) -> tuple[str, np.ndarray]:
    if isinstance(value, str):
        if value not in df.columns:
            raise ConfigError(
                f"value column {value!r} not in the accounts table; pass value=<column name> or a "
                f"Series of values (columns: {list(df.columns)[:20]})"
            )
        return value, pd.to_numeric(df[value], errors="coerce").to_numpy(dtype=float)
    arr = np.asarray(value, dtype=float)
    if arr.shape != (len(df),):
        raise ConfigError(f"value has {arr.shape[0] if arr.ndim else 0} entries for {len(df)} accounts")
    return getattr(value, "name", None) or "value", arr
