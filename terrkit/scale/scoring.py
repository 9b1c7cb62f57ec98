"""Score every account on pandas or Dask: sales, potential, segments and workload, one code path.

:func:`score_frame` is the account-level pipeline behind :func:`terrkit.workload.score_accounts`.
Each step is either row-wise (applied to every partition with :func:`terrkit.scale.backend.map_partitions`:
the same pandas code on a whole pandas table or on each Dask partition) or needs the whole table, and
then uses the exact algorithm named at the step:

========================  ==================================================================
step                      whole-table statistic and how it is found on Dask
========================  ==================================================================
sales history             per account over its sales rows: rows shuffled by account (exact)
peer potential            quantile of spend per peer group: customers shuffled by group (exact)
ABC tiers on potential    cumulative-share cut points: partition-wise order statistics (exact)
RFM scores                quintile cut points: partition-wise order statistics (exact)
workload                  row-wise (the reps and the coverage table are broadcast)
unit totals               sums per unit: Dask's tree reduction (exact up to summation order)
========================  ==================================================================

So both back ends give the same numbers; sums may differ in the last bits because partitions are
added in another order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from terrkit.coverage import CoverageModel
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.measures import account_history, period_to_quarter, with_history
from terrkit.potential import (
    PEER_LEVELS,
    _codes,
    _result_frame,
    _spend,
    apply_peer_benchmarks,
    industries_of,
    peer_benchmarks,
    reference_members,
    split_levels,
)
from terrkit.scale.backend import compute, is_dask, map_partitions, persist
from terrkit.segment import (
    ABC_CUTS,
    RFM_SEGMENTS,
    abc_rules,
    abc_tier_codes,
    abc_value,
    rfm_cuts,
    rfm_labels,
)

#: Account columns the scoring reads; the rest of the accounts table is left behind (less to move).
ACCOUNT_COLUMNS = ("account_id", "unit_id", "owner_rep_id", "industry", "employees", "lat", "lon")

#: Columns :func:`score_frame` returns, in order (``segment`` is the coverage model's segment).
SCORED_FRAME_COLUMNS = (
    "account_id", "unit_id", "owner_rep_id", "abc_tier_by_potential", "r_score", "f_score", "m_score",
    "rfm_code", "rfm_score", "rfm_segment", "segment", "sales", "potential", "whitespace", "penetration",
    "peer_level", "peer_group_size", "calls_per_year", "minutes_per_call", "response_calls", "travel_km",
    "coverage_mode", "travel_minutes", "call_hours", "workload",
)  # fmt: skip


@dataclass(frozen=True)
class ScoringRules:
    """The whole-table statistics of a scoring run: what each partition needs to score its accounts."""

    as_of: str
    industries: list[str]
    peer_tables: list[pd.DataFrame]
    abc: Any
    rfm: dict[str, np.ndarray]


def _prepare(part: pd.DataFrame) -> pd.DataFrame:
    """Spend (net sales floored at 0) per account: what the peer benchmark learns from."""
    return part.assign(spend=_spend(part["sales"].to_numpy(dtype=float)))


def _potential_columns(
    part: pd.DataFrame,
    industries: list[str],
    tables: list[pd.DataFrame],
    min_group: int,
    estimate: str | None,
) -> pd.DataFrame:
    """Potential, whitespace, penetration and peer level of the accounts of ``part``. Row-wise."""
    ind, band, _ = _codes(part, industries)
    bench, level, gsize = apply_peer_benchmarks(ind, band, tables, min_group)
    est = part[estimate].to_numpy(dtype=float) if estimate else bench
    out = _result_frame(part, part["sales"].to_numpy(dtype=float), est)
    out["peer_level"] = pd.Categorical.from_codes(level, categories=list(PEER_LEVELS))
    out["peer_group_size"] = gsize
    return pd.concat([part, out.drop(columns=[c for c in out.columns if c in part.columns])], axis=1)


def _segment_columns(
    part: pd.DataFrame, abc: Any, labels: list[str], rfm: dict[str, np.ndarray], n_bins: int, q_asof: int
) -> pd.DataFrame:
    """ABC tier by potential and the RFM columns of the accounts of ``part``. Row-wise."""
    codes = abc_tier_codes(abc_value(part["potential"].to_numpy()), part["row"].to_numpy(), abc)
    out = part.assign(abc_tier_by_potential=pd.Categorical.from_codes(codes, categories=labels))
    rl = rfm_labels(part, rfm, n_bins, q_asof)
    for c in ("r_score", "f_score", "m_score", "rfm_code", "rfm_score", "rfm_segment"):
        out[c] = rl[c]
    return out


def _workload_columns(
    part: pd.DataFrame, segment_column: str, reps: pd.DataFrame, cov: CoverageModel, travel: dict[str, Any]
) -> pd.DataFrame:
    """Coverage, travel and workload of the accounts of ``part`` (:func:`account_workload`). Row-wise."""
    from terrkit.workload import account_workload

    wl = account_workload(part, part[segment_column], reps, coverage=cov, **travel)
    out = part.assign(segment=wl["segment"])
    for c in ("calls_per_year", "minutes_per_call", "response_calls", "travel_km", "coverage_mode",
              "travel_minutes", "call_hours", "workload"):  # fmt: skip
        out[c] = wl[c]
    return out


def _meta(frame: Any, func: Any, *args: Any) -> Any:
    """The empty pandas frame a row-wise step returns (what Dask needs to plan it)."""
    if not is_dask(frame):
        return None
    return func(frame._meta, *args)


def score_frame(
    accounts: Any,
    sales: Any,
    reps: pd.DataFrame,
    coverage: CoverageModel,
    *,
    segment_column: str = "abc_tier_by_potential",
    quantile: float = 0.8,
    min_group: int = 20,
    as_of: str | None = None,
    abc_cuts: Any = ABC_CUTS,
    abc_labels: Any = ("A", "B", "C"),
    rfm_window: int | None = None,
    n_bins: int = 5,
    estimate_column: str | None = None,
    travel_params: dict[str, Any] | None = None,
) -> tuple[Any, ScoringRules]:
    """Sales, peer potential, ABC tiers, RFM scores and workload per account, on pandas or Dask.

    Parameters
    ----------
    accounts, sales : pandas or Dask DataFrame
        Validated tables (:func:`terrkit.io.load_dataset`), both of the same kind.
    reps : pandas.DataFrame
        Reps with home bases (small: broadcast to every partition).
    coverage : CoverageModel
        Calls and minutes per segment.
    segment_column : str, default "abc_tier_by_potential"
        The segment the coverage model is keyed on: ``abc_tier_by_potential``, ``rfm_segment``, or a
        column of ``accounts`` (clusters computed beforehand).
    quantile, min_group : float, int
        Peer benchmark (:func:`terrkit.potential.peer_potential`).
    as_of : str, optional
        Last quarter of the sales measured; default the latest in ``sales``.
    abc_cuts, abc_labels : sequence
        ABC tiers on potential (:func:`terrkit.segment.abc_tiers`).
    rfm_window, n_bins : int
        RFM (:func:`terrkit.segment.rfm_scores`).
    estimate_column : str, optional
        A column of ``accounts`` holding another estimate of potential (the model's); default the
        peer benchmark.
    travel_params : dict, optional
        Travel and coverage rule (:func:`terrkit.workload.travel_minutes`).

    Returns
    -------
    (frame, ScoringRules)
        The scored accounts (:data:`SCORED_FRAME_COLUMNS` plus the extra input columns named above),
        of the input's kind (a pandas result keeps the accounts' order and index; a Dask result is
        partitioned by account), and the whole-table statistics used.
    """
    if is_dask(accounts) != is_dask(sales):
        raise ConfigError("accounts and sales must both be pandas or both be Dask DataFrames")
    missing = [c for c in ACCOUNT_COLUMNS if c not in accounts.columns]
    if missing:
        raise DataValidationError("accounts", f"missing column(s) {missing} needed to score accounts")
    extra = [c for c in (segment_column, estimate_column) if c and c in accounts.columns]
    frame = accounts[list(ACCOUNT_COLUMNS) + [c for c in extra if c not in ACCOUNT_COLUMNS]]
    # the accounts' input order: the tie-break of the ABC tiers, whichever partition an account lands in
    frame = frame.assign(row=1)
    frame = frame.assign(row=frame["row"].cumsum() - 1)
    # one pass over the sales: ``sales`` is always the last four quarters, the window bounds only the RFM
    # measures (``monetary``, ``frequency``)
    history, as_of_period = account_history(sales, as_of, rfm_window)
    frame = with_history(frame, history)
    frame = persist(map_partitions(frame, _prepare, meta=_meta(frame, _prepare)))

    industries = industries_of(frame)
    tables = split_levels(peer_benchmarks(reference_members(frame, industries), quantile))
    args = (industries, tables, int(min_group), estimate_column)
    # not persisted: the passes below recompute this cheap row-wise step from the persisted history
    # rather than hold a second copy of every account in the workers' memory
    frame = map_partitions(frame, _potential_columns, *args, meta=_meta(frame, _potential_columns, *args))

    labels = [str(x) for x in abc_labels]
    values = map_partitions(frame[["potential", "row"]], _abc_frame, meta=_meta(frame, _abc_frame))
    abc = abc_rules(values, abc_cuts)
    rfm = rfm_cuts(frame, n_bins)
    q_asof = int(period_to_quarter([as_of_period])[0])
    args2 = (abc, labels, rfm, n_bins, q_asof)
    frame = map_partitions(frame, _segment_columns, *args2, meta=_meta(frame, _segment_columns, *args2))

    travel = dict(travel_params or {})
    args3 = (segment_column, reps, coverage, travel)
    frame = map_partitions(frame, _workload_columns, *args3, meta=_meta(frame, _workload_columns, *args3))
    keep = [c for c in SCORED_FRAME_COLUMNS if c in frame.columns] + [
        c for c in extra if c not in frame.columns
    ]
    rules = ScoringRules(as_of_period, industries, tables, abc, rfm)
    return frame[keep], rules


def _abc_frame(part: pd.DataFrame) -> pd.DataFrame:
    """The value ABC tiers on (potential, negatives as 0) and the account's input position."""
    return pd.DataFrame({"value": abc_value(part["potential"].to_numpy()), "row": part["row"].to_numpy()})


def unit_totals(
    scored: Any, measures: tuple[str, ...] = ("sales", "potential", "whitespace", "workload")
) -> pd.DataFrame:
    """Accounts, customers and the sums of ``measures`` per unit, as a small pandas table.

    A group-by sum on either back end (Dask's tree reduction: each partition sums its units, the sums
    are added); :func:`terrkit.potential.aggregate_to_units` turns it into the unit table.
    """
    from terrkit.measures import customers_in

    present = [c for c in measures if c in scored.columns]
    counted = scored[["unit_id", *present]].assign(n_accounts=1)
    if "sales" in present:
        counted["n_customers"] = map_partitions(
            scored["sales"], lambda s: customers_in(s).astype(np.int64), meta=("sales", np.int64)
        )
    else:
        counted["n_customers"] = 0
    sums = compute(counted.groupby("unit_id").sum())
    return sums.astype({"n_accounts": np.int64, "n_customers": np.int64})


__all__ = ["RFM_SEGMENTS", "SCORED_FRAME_COLUMNS", "ScoringRules", "score_frame", "unit_totals"]
