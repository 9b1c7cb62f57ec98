"""Segmentation: ABC tiers and RFM scores by hand, clusters, front end and errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from terrkit.exceptions import ConfigError, DataValidationError, DataWarning
from terrkit.segment import (
    SCHEMES,
    describe_segments,
    period_to_quarter,
    quantile_scores,
    segment,
)

# ------------------------------------------------------------------------------------------- ABC


def test_abc_tiers_by_hand_in_any_input_order():
    # sorted: 50 (before 0) A, 30 (before .5) A, 10 (before .8) B, 5 (before .9) B, 5 (before .95) C
    df = pd.DataFrame({"account_id": ["e", "a", "d", "b", "c"], "v": [5.0, 50.0, 5.0, 30.0, 10.0]})
    res = segment(df, "abc", value="v", cuts=(0.8, 0.95))
    got = dict(zip(res.labels["account_id"], res.labels["abc_tier_by_v"].astype(str), strict=True))
    # the two 5s: the earlier row ("e") ranks first (stable sort), so "e" is B and "d" is C
    assert got == {"a": "A", "b": "A", "c": "B", "e": "B", "d": "C"}
    cum = dict(zip(res.labels["account_id"], res.labels["abc_cum_share_by_v"], strict=True))
    assert cum["a"] == pytest.approx(0.5)
    assert cum["b"] == pytest.approx(0.8)
    assert cum["d"] == pytest.approx(1.0)
    assert res.column == "abc_tier_by_v"
    assert list(res.profiles["segment"]) == ["A", "B", "C"]
    assert res.profiles["value_share"].tolist() == pytest.approx([0.8, 0.15, 0.05])


def test_abc_account_crossing_the_cut_is_in_the_higher_tier():
    df = pd.DataFrame({"account_id": ["x", "y"], "v": [90.0, 10.0]})
    res = segment(df, "abc", value="v", cuts=(0.8, 0.95))
    assert res.labels["abc_tier_by_v"].astype(str).tolist() == ["A", "B"]


def test_abc_custom_cuts_series_value_and_nonpositive_values():
    df = pd.DataFrame({"account_id": list("abcd")})
    value = pd.Series([60.0, -5.0, 40.0, np.nan], name="potential")
    res = segment(df, "abc", value=value, cuts=[0.5], labels=["top", "rest"])
    assert res.labels["abc_tier_by_potential"].astype(str).tolist() == ["top", "rest", "rest", "rest"]
    assert res.labels["abc_value_by_potential"].tolist() == [60.0, 0.0, 40.0, 0.0]
    assert res.params["value"] == "potential" and res.column == "abc_tier_by_potential"


def test_abc_columns_name_their_basis():
    df = pd.DataFrame({"account_id": list("abc"), "v": [3.0, 2.0, 1.0]})
    res = segment(df, "abc", value="v", basis="Sales (last 4Q)")
    assert list(res.labels.columns) == [
        "account_id",
        "abc_value_by_sales_last_4q",
        "abc_cum_share_by_sales_last_4q",
        "abc_tier_by_sales_last_4q",
    ]
    assert res.column == "abc_tier_by_sales_last_4q"


def test_abc_split_in_words_follows_the_cuts():
    from terrkit.segment import ABC_CUTS, describe_abc_cuts

    assert ABC_CUTS == (0.5, 0.8)
    assert describe_abc_cuts(ABC_CUTS, basis="sales") == (
        "Accounts are ranked by sales, largest first. Tier A: the accounts that together hold the first 50% "
        "of sales; tier B: the next 30% (up to 80%); tier C: the remaining 20%. "
        "The account that straddles a cut goes to the higher tier."
    )
    text = describe_abc_cuts([0.8, 0.95], basis="potential")
    assert "first 80% of potential" in text and "next 15% (up to 95%)" in text and "remaining 5%" in text
    four = describe_abc_cuts([0.6, 0.9, 1.0], labels="ABCD", basis="value")
    assert "tier C: the next 10% (up to 100%); tier D: accounts without value" in four
    with pytest.raises(ConfigError, match="3 labels for 2 cuts"):
        describe_abc_cuts([0.5, 0.8], labels=["A", "B"])


def test_compare_abc_tiers_counts_every_pair():
    from terrkit.segment import compare_abc_tiers

    df = pd.DataFrame(
        {"account_id": list("abcd"), "sales": [10.0, 0.0, 5.0, 1.0], "potential": [10, 30, 5, 2]}
    )
    # share ranked before each account. By sales (total 16): a 0 -> A, c .625 -> B, d .9375 -> C, b 1 -> C;
    # by potential (total 47): b 0 -> A, a .638 -> B, c .851 -> C, d .957 -> C
    by_sales = segment(df, "abc", value="sales")
    by_potential = segment(df, "abc", value="potential")
    table = compare_abc_tiers(by_sales, by_potential)
    assert table.index.name == "abc_tier_by_sales" and table.columns.name == "abc_tier_by_potential"
    assert table.to_numpy().tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 1]]
    assert int(table.to_numpy().sum()) == len(df)
    with pytest.raises(ConfigError, match="two ABC"):
        compare_abc_tiers(by_sales, dataclasses.replace(by_potential, scheme="rfm"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cuts": [0.95, 0.8]},
        {"cuts": [0.0, 0.5]},
        {"cuts": [0.8, 1.2]},
        {"cuts": [0.8, 0.95], "labels": ["A", "B"]},
        {"value": "no_such_column"},
    ],
)
def test_abc_invalid_parameters(kwargs):
    df = pd.DataFrame({"account_id": ["a"], "v": [1.0]})
    kwargs.setdefault("value", "v")
    with pytest.raises(ConfigError):
        segment(df, "abc", **kwargs)


def test_abc_all_zero_warns_and_puts_everyone_in_last_tier():
    df = pd.DataFrame({"account_id": ["a", "b"], "v": [0.0, 0.0]})
    with pytest.warns(DataWarning, match="total"):
        res = segment(df, "abc", value="v")
    assert set(res.labels["abc_tier_by_v"].astype(str)) == {"C"}


def test_unknown_scheme_lists_valid_ones():
    with pytest.raises(ValueError, match="abc, rfm, kmeans, gmm"):
        segment(pd.DataFrame({"account_id": ["a"]}), "pareto")
    assert SCHEMES == ("abc", "rfm", "kmeans", "gmm")


# ------------------------------------------------------------------------------------------- RFM


def test_quantile_scores_by_hand():
    assert quantile_scores([1, 2, 3, 4, 5]).tolist() == [1, 2, 3, 4, 5]
    assert quantile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share the highest score their block reaches: F = 4/5 -> ceil(4) = 4
    assert quantile_scores([0, 0, 0, 0, 10]).tolist() == [4, 4, 4, 4, 5]
    # lower is better (recency)
    assert quantile_scores([0, 4, 1, 3, 2], higher_is_better=False).tolist() == [5, 1, 4, 2, 3]


@pytest.fixture()
def rfm_table():
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4", "A5", "A6"]})
    rows = [
        ("A1", "2025Q1", 100),
        ("A1", "2025Q2", 100),
        ("A1", "2025Q3", 100),
        ("A1", "2025Q4", 100),
        ("A2", "2025Q4", 50),
        ("A2", "2026Q1", 999),  # after as_of: ignored
        ("A3", "2025Q1", 300),
        ("A3", "2025Q2", 300),
        ("A4", "2025Q2", 80),
        ("A4", "2025Q3", 20),
        ("A4", "2025Q3", -20),  # credit: Q3 nets to 0, so no purchase in Q3
        ("A5", "2025Q3", 10),
    ]
    sales = pd.DataFrame(rows, columns=["account_id", "period", "amount"])
    return accounts, sales


def test_rfm_scores_by_hand(rfm_table):
    accounts, sales = rfm_table
    res = segment(accounts, "rfm", sales=sales, as_of="2025Q4")
    lab = res.labels.set_index("account_id")
    # recency 0,0,2,2,1 -> R 5,5,2,2,3; frequency 4,1,2,1,1 -> F 5,3,4,3,3;
    # monetary 400,50,600,80,10 -> M 4,2,5,3,1
    assert lab["recency_quarters"].iloc[:5].tolist() == [0, 0, 2, 2, 1]
    assert pd.isna(lab.loc["A6", "recency_quarters"])
    assert lab["frequency"].tolist() == [4, 1, 2, 1, 1, 0]
    assert lab["monetary"].tolist() == [400, 50, 600, 80, 10, 0]
    assert lab["r_score"].tolist() == [5, 5, 2, 2, 3, 0]
    assert lab["f_score"].tolist() == [5, 3, 4, 3, 3, 0]
    assert lab["m_score"].tolist() == [4, 2, 5, 3, 1, 0]
    assert lab["rfm_code"].tolist() == ["554", "532", "245", "233", "331", "000"]
    # the score is a number: R + F + M (0 for the prospect)
    assert lab["rfm_score"].tolist() == [14, 10, 11, 8, 7, 0]
    assert lab["rfm_segment"].astype(str).tolist() == [
        "Champions",
        "Promising",
        "At risk",
        "At risk",
        "Other",
        "Prospect",
    ]
    assert res.params["as_of"] == "2025Q4"


def test_rfm_window_and_default_as_of(rfm_table):
    accounts, sales = rfm_table
    res = segment(accounts, "rfm", sales=sales, as_of="2025Q4", window=2)
    lab = res.labels.set_index("account_id")
    assert lab["frequency"].tolist() == [2, 1, 0, 0, 1, 0]
    assert lab["monetary"].tolist() == [200, 50, 0, 0, 10, 0]
    # recency is over the whole history, so A3 stays a customer
    assert lab.loc["A3", "recency_quarters"] == 2
    # default as_of = latest period in the sales (2026Q1)
    assert segment(accounts, "rfm", sales=sales).params["as_of"] == "2026Q1"


def test_rfm_errors(rfm_table):
    accounts, sales = rfm_table
    with pytest.raises(ConfigError, match="sales history"):
        segment(accounts, "rfm")
    bad = sales.assign(period=sales["period"].where(sales.index != 3, "2025-Q3"))
    with pytest.raises(DataValidationError, match="2025-Q3"):
        segment(accounts, "rfm", sales=bad)
    with pytest.raises(ConfigError, match="n_bins"):
        segment(accounts, "rfm", sales=sales, n_bins=1)
    with pytest.raises(ConfigError, match="window"):
        segment(accounts, "rfm", sales=sales, window=0)
    extra = pd.concat([sales, pd.DataFrame([{"account_id": "ZZ", "period": "2025Q1", "amount": 5}])])
    with pytest.warns(DataWarning, match="not in the table"):
        segment(accounts, "rfm", sales=extra)


def test_period_to_quarter():
    assert period_to_quarter(["2023Q1", "2025Q4", "2023Q1"]).tolist() == [8092, 8103, 8092]


# ------------------------------------------------------------------------------------ clustering


def _two_group_accounts(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    half = n // 2
    small = rng.integers(5, 60, half)
    large = rng.integers(300, 900, n - half)
    return pd.DataFrame(
        {
            "account_id": [f"A{i:04d}" for i in range(n)],
            "employees": np.concatenate([small, large]),
            "revenue_band": ["1-10M"] * half + ["50-250M"] * (n - half),
            "industry": ["Retail"] * half + ["Manufacturing"] * (n - half),
        }
    )


def test_kmeans_finds_two_groups_and_describes_them():
    df = _two_group_accounts()
    res = segment(df, "kmeans", k_range=range(2, 6), seed=1)
    assert res.params["k"] == 2
    assert res.selection["silhouette"].idxmax() == 0
    assert res.selection["chosen"].sum() == 1
    lab = res.labels["kmeans_segment"].to_numpy()
    # each true group ends up in one segment
    assert len(set(lab[:200])) == 1 and len(set(lab[200:])) == 1 and lab[0] != lab[-1]
    desc = " | ".join(res.profiles["description"])
    assert "larger than average" in desc and "smaller than average" in desc
    assert "mostly Manufacturing (100%)" in desc and "mostly Retail (100%)" in desc


def test_clusters_are_deterministic_for_a_seed_and_use_samples():
    df = _two_group_accounts(600, seed=3)
    a = segment(df, "kmeans", k_range=[2, 3], seed=5, fit_sample=300, silhouette_sample=200)
    b = segment(df, "kmeans", k_range=[2, 3], seed=5, fit_sample=300, silhouette_sample=200)
    assert a.labels.equals(b.labels)
    assert a.selection.equals(b.selection)
    g1 = segment(df, "gmm", k_range=[2, 3], seed=5)
    g2 = segment(df, "gmm", k_range=[2, 3], seed=5)
    assert g1.labels.equals(g2.labels)
    assert g1.column == "gmm_segment" and "bic" in g1.selection
    assert g1.params["k"] == int(g1.selection.loc[g1.selection["bic"].idxmin(), "k"])


def test_cluster_errors():
    df = _two_group_accounts(20)
    with pytest.raises(ConfigError, match="k_range"):
        segment(df, "kmeans", k_range=[1, 2])
    with pytest.raises(ConfigError, match="cannot form"):
        segment(df, "kmeans", k_range=[2, 30])
    with pytest.raises(DataValidationError, match="revenue_band"):
        segment(df.assign(revenue_band="huge"), "gmm", k_range=[2])
    with pytest.raises(DataValidationError, match="employees"):
        segment(df.assign(employees=-1), "kmeans", k_range=[2])


def test_profile_wording():
    df = pd.DataFrame(
        {
            "employees": [10, 10, 10, 10, 500, 500],
            "industry": ["Retail", "Retail", "Retail", "Finance", "Finance", "Finance"],
            "revenue_band": ["<1M"] * 4 + ["250M+"] * 2,
        }
    )
    prof = describe_segments(df, pd.Series([1, 1, 1, 1, 2, 2]))
    assert prof["n_accounts"].tolist() == [4, 2]
    assert prof["description"].iloc[1] == (
        "Segment 2 (2 accounts, 33%): larger than average (median 500 employees vs 10), "
        "mostly Finance (100%), mostly revenue band 250M+ (100%)"
    )
    assert prof["description"].iloc[0].startswith("Segment 1 (4 accounts, 67%): average size")


# ------------------------------------------------------------------------------- dataset wrapper


@pytest.mark.filterwarnings("ignore::terrkit.exceptions.DataWarning")
def test_segment_dataset_wrapper_on_generated_company():
    from terrkit.datasets import generate_company
    from terrkit.segment import segment_dataset

    ds = generate_company(1500, seed=11, n_reps=10)
    on_sales = segment_dataset(ds, "abc")
    on_potential = segment_dataset(ds, "abc", value="potential")
    assert on_sales.params["value"] == "sales" and on_potential.params["value"] == "potential"
    # tiers are nested: A holds about half of the value in both cases (default cuts 0.5, 0.8)
    for res in (on_sales, on_potential):
        share = res.profiles.set_index("segment")["value_share"]
        assert 0.5 <= share["A"] < 0.6 and share.sum() == pytest.approx(1.0)
    # potential is spread wider than sales, so more accounts are needed to reach 80% of it
    assert on_sales.column == "abc_tier_by_sales" and on_potential.column == "abc_tier_by_potential"
    n_a = {res.column: int((res.labels[res.column] == "A").sum()) for res in (on_sales, on_potential)}
    assert n_a["abc_tier_by_potential"] > n_a["abc_tier_by_sales"]
    rfm = segment_dataset(ds, "rfm")
    assert set(rfm.labels["rfm_segment"].astype(str)) >= {"Prospect", "Champions"}
    prospects = rfm.labels["rfm_segment"] == "Prospect"
    assert (rfm.labels.loc[prospects, "monetary"] <= 0).all()
    with pytest.raises(ValueError, match="sales, potential"):
        segment_dataset(ds, "abc", value="margin")
    with pytest.raises(ValueError, match="valid schemes"):
        segment_dataset(ds, "tiers")
