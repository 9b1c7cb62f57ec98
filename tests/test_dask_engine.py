"""The account-level steps give the same answers on Dask as on pandas (issue: prospect universes).

The main test scores a 200,000-account company on both back ends, the Dask one on a local cluster of
two worker processes, and compares every account-level output and the unit totals. Generated sales
amounts are whole currency units, so every sum is exact in floating point and the comparison is
exact: segments, scores, potential, workload and unit totals are equal, not merely close.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from terrkit.datasets import generate_company  # noqa: E402
from terrkit.exceptions import ConfigError, DataWarning  # noqa: E402
from terrkit.potential import aggregate_to_units  # noqa: E402
from terrkit.scale import backend  # noqa: E402
from terrkit.scale.order_stats import order_statistics, quantile_score_cuts, share_thresholds  # noqa: E402
from terrkit.segment import AbcRules, abc_rules, abc_tier_codes, abc_tiers, quantile_scores  # noqa: E402
from terrkit.workload import score_accounts  # noqa: E402

N_ACCOUNTS = 200_000


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def company():
    return generate_company(N_ACCOUNTS, seed=5)


def _same(pandas_frame: pd.DataFrame, dask_frame: pd.DataFrame, key: str = "account_id") -> None:
    """Every column equal, row for row (matched on ``key``); text compared as text."""
    ordered = dask_frame.set_index(key).loc[pandas_frame[key].astype(str)].reset_index()
    ordered.index = pandas_frame.index
    assert list(ordered.columns) == list(pandas_frame.columns)
    for column in pandas_frame.columns:
        a, b = pandas_frame[column], ordered[column]
        if a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
            assert np.array_equal(a.to_numpy(), b.to_numpy()), column
        else:
            assert (a.astype(str).to_numpy() == b.astype(str).to_numpy()).all(), column


@pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")  # the tables come from memory here
def test_200k_accounts_score_the_same_on_dask_and_pandas(client, company):
    ds = company
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        on_pandas, _ = score_accounts(ds.accounts, ds.sales, ds.reps)
        accounts = dd.from_pandas(ds.accounts, npartitions=8, sort=False)
        sales = dd.from_pandas(ds.sales, npartitions=11, sort=False)
        lazy, info = score_accounts(accounts, sales, ds.reps)
    assert backend.is_dask(lazy)
    on_dask = lazy.compute()
    assert len(on_dask) == len(ds.accounts) == on_dask["account_id"].nunique()
    _same(on_pandas, on_dask)
    # the segments are not trivially equal: every tier, RFM segment and coverage mode occurs
    assert set(on_dask["abc_tier_by_potential"].astype(str)) == {"A", "B", "C"}
    assert on_dask["rfm_segment"].nunique() == 7
    assert set(on_dask["coverage_mode"].astype(str)) == {"field", "overnight", "remote"}
    # unit totals: the Dask table is summed per unit without bringing the accounts into memory
    units_pandas = aggregate_to_units(on_pandas, ds.units)
    units_dask = aggregate_to_units(lazy, ds.units)
    pd.testing.assert_frame_equal(units_pandas, units_dask)
    assert units_dask["n_accounts"].sum() == N_ACCOUNTS
    assert units_dask["workload"].sum() == pytest.approx(on_pandas["workload"].sum(), rel=1e-12)
    assert info["rules"].as_of == "2025Q4"


def test_dask_rejects_the_in_memory_methods_with_a_clear_error(client, company):
    accounts = dd.from_pandas(company.accounts.head(500), npartitions=2)
    sales = dd.from_pandas(company.sales.head(500), npartitions=2)
    with pytest.raises(ConfigError, match="pandas engine only"):
        score_accounts(accounts, sales, company.reps, potential_method="model")
    with pytest.raises(ConfigError, match="both be pandas or both be Dask"):
        from terrkit.coverage import load_coverage
        from terrkit.scale.scoring import score_frame

        score_frame(accounts, company.sales, company.reps, load_coverage(None, "abc"))


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_order_statistics_are_exact_on_every_partitioning(parts):
    rng = np.random.default_rng(parts)
    values = np.concatenate([rng.lognormal(0, 2, 5000), np.zeros(800), np.full(1200, 3.0), [np.nan, np.inf]])
    rng.shuffle(values)
    frame = dd.from_pandas(pd.DataFrame({"v": values}), npartitions=parts)
    finite = np.sort(values[np.isfinite(values)])
    ranks = np.array([1, 2, 799, 800, 801, 1999, 2000, 2001, 3500, len(finite)])
    assert np.array_equal(order_statistics(frame, ranks, "v"), finite[ranks - 1])
    n, cuts = quantile_score_cuts(frame, 5, "v")
    assert n == len(finite)
    # the cuts reproduce the rank-based scores of the whole table
    from terrkit.scale.order_stats import apply_score_cuts

    assert np.array_equal(apply_score_cuts(finite, cuts), quantile_scores(finite, 5))
    # share thresholds: the smallest value whose values up to it sum to more than t
    targets = np.array([0.0, 0.25, 0.9]) * finite.sum()
    cumulative = np.cumsum(finite)
    expected = finite[np.searchsorted(cumulative, targets, side="right")]
    assert np.array_equal(share_thresholds(frame, targets, "v"), expected)


def test_quantile_scores_by_hand():
    # 10 values, quintiles: two per score; ties share the highest score their block reaches
    assert quantile_scores(np.arange(10.0)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quantile_scores([1.0, 1.0, 1.0, 2.0, 2.0]).tolist() == [3, 3, 3, 5, 5]
    # lower is better: ranks of -x are 4, 4, 2, 1 of 4 -> ceil(5 r / 4) = 5, 5, 3, 2
    assert quantile_scores([0, 0, 1, 5], higher_is_better=False).tolist() == [5, 5, 3, 2]


def test_abc_ties_are_taken_in_input_order_across_partitions():
    # values 4, then ten accounts tied at 1 spread over partitions: total 14. Cut 0.5 (7): the 4 holds
    # 0, then ties in input order hold 4, 5, 6 before them (< 7) -> 4 and the first three ties are A;
    # cut 0.8 (11.2): ties with 4 + j < 11.2 -> j <= 7, so ties 3..7 are B and the last two C.
    values = np.array([1, 1, 4, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    rows = np.arange(len(values))
    expected = [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
    frame = pd.DataFrame({"value": values, "row": rows})
    for parts in (1, 2, 4):
        rules = abc_rules(dd.from_pandas(frame.iloc[::-1], npartitions=parts), (0.5, 0.8))
        assert isinstance(rules, AbcRules)
        assert abc_tier_codes(values, rows, rules).tolist() == expected
    # the same as the pandas tiers (ties by input order) of the segmentation front end
    tiers = abc_tiers(pd.DataFrame({"account_id": [str(i) for i in rows]}), value=values)
    assert tiers.labels[tiers.column].cat.codes.tolist() == expected


def test_backend_helpers_treat_pandas_as_one_partition():
    frame = pd.DataFrame({"a": range(10)})
    lazy = dd.from_pandas(frame, npartitions=3)
    assert backend.engine_of(frame) == "pandas" and backend.engine_of(lazy) == "dask"
    assert backend.partition_results(frame, len) == [10]
    assert sum(backend.partition_results(lazy, len)) == 10
    assert backend.partition_offsets(frame).tolist() == [0]
    assert backend.partition_offsets(lazy).tolist()[0] == 0
    assert backend.compute(lazy["a"].sum()) == 45
    assert backend.check_engine(" Dask ") == "dask"
    with pytest.raises(ConfigError, match="engine must be one of pandas, dask"):
        backend.check_engine("spark")


def test_an_rfm_window_bounds_the_rfm_measures_not_the_annual_sales(client):
    # one history pass serves both the sales of the last four quarters and the RFM window
    from terrkit.measures import annual_sales

    ds = generate_company(2_000, seed=3)
    given = ds.accounts.set_axis(ds.accounts.index + 1_000)  # an index of the caller's, not 0..n-1
    annual = annual_sales(given, ds.sales).to_numpy()
    window = {"window": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        whole, _ = score_accounts(given, ds.sales, ds.reps, scheme="rfm")
        windowed, _ = score_accounts(given, ds.sales, ds.reps, scheme="rfm", segment_params=window)
        accounts = dd.from_pandas(given, npartitions=3, sort=False)
        sales = dd.from_pandas(ds.sales, npartitions=4, sort=False)
        lazy, _ = score_accounts(accounts, sales, ds.reps, scheme="rfm", segment_params=window)
    assert windowed.index.equals(given.index), "a pandas result keeps the accounts' index"
    assert np.array_equal(whole["sales"].to_numpy(), annual)
    assert np.array_equal(windowed["sales"].to_numpy(), annual), "the window does not shorten the sales"
    changed = windowed["rfm_code"].to_numpy() != whole["rfm_code"].to_numpy()
    assert changed.any(), "the window does change the RFM scores"
    _same(windowed, lazy.compute())
