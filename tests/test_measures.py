"""Shared definitions of sales and customers, and the reconciliation of every deliverable with them.

The reconciliation tests stand in for the notebooks: each computes a figure with the same call the
notebook makes (00 overview, 10 segmentation, 20 potential, 30 workload, 50 review) and checks that
sales, accounts, customers and segment counts agree for the same period.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from terrkit import measures
from terrkit.exceptions import ConfigError, DataValidationError

# ------------------------------------------------------------------------------------ by hand


@pytest.fixture()
def ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounts = pd.DataFrame({"account_id": ["a", "b", "c", "d", "e"]})
    sales = pd.DataFrame(
        [
            ("a", "2024Q4", 1000.0),  # before the last four quarters
            ("a", "2025Q1", 100.0),
            ("a", "2025Q4", 50.0),
            ("a", "2025Q4", -30.0),
            ("b", "2025Q2", 40.0),
            ("b", "2025Q3", -70.0),  # net credit over the year: -30, no customer of the year
            ("c", "2024Q2", 25.0),  # bought only before: an ever customer, not a customer of the year
            ("d", "2024Q3", 60.0),
            ("d", "2024Q3", -60.0),  # the quarter nets to 0: never a purchase
            ("zz", "2025Q4", 999.0),  # not an account: left out
        ],
        columns=["account_id", "period", "amount"],
    )
    return accounts, sales


def test_net_sales_keep_credits_and_sum_to_the_books(ledger):
    accounts, sales = ledger
    year = measures.net_sales(accounts, sales, ("2025Q1", "2025Q2", "2025Q3", "2025Q4"))
    assert year.tolist() == [120.0, -30.0, 0.0, 0.0, 0.0]
    books = sales[sales["period"].str.startswith("2025") & sales["account_id"].isin(accounts["account_id"])]
    assert year.sum() == books["amount"].sum() == 90.0
    assert year.attrs["quarters"] == ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
    assert measures.net_sales(accounts, sales, []).tolist() == [0.0] * 5


def test_annual_sales_are_the_last_four_quarters(ledger):
    accounts, sales = ledger
    cur = measures.annual_sales(accounts, sales)
    assert cur.attrs["as_of"] == "2025Q4"
    assert cur.tolist() == [120.0, -30.0, 0.0, 0.0, 0.0]
    mid = measures.annual_sales(accounts, sales, as_of="2025Q1")  # 2024Q2..2025Q1
    assert mid.tolist() == [1100.0, 0.0, 25.0, 0.0, 0.0]
    assert measures.trailing_quarters("2025Q2") == ("2024Q3", "2024Q4", "2025Q1", "2025Q2")
    assert measures.trailing_quarters("2025Q2", 1) == ("2025Q2",)


def test_customers_last_4q_and_ever_customers_by_hand(ledger):
    accounts, sales = ledger
    assert measures.customers_last_4q(accounts, sales).tolist() == [True, False, False, False, False]
    assert measures.ever_customers(accounts, sales).tolist() == [True, True, True, False, False]
    # as of 2024Q3 only c had bought (a's first purchase is 2024Q4, b's 2025Q2)
    assert measures.ever_customers(accounts, sales, as_of="2024Q3").tolist() == [
        False,
        False,
        True,
        False,
        False,
    ]
    head = measures.headline(accounts, sales)
    assert (head.accounts, head.customers_last_4q, head.ever_customers) == (5, 1, 3)
    assert head.prospects_last_4q == 4 and head.sales_last_4q == 90.0
    text = "\n".join(head.lines())
    assert "sales of the last four quarters (2025Q1-2025Q4, net of credits): 90" in text
    assert "customers of the last four quarters (net sales > 0 in 2025Q1-2025Q4): 1 of 5 accounts" in text
    assert "ever customers (net sales > 0 in at least one quarter up to 2025Q4): 3" in text


def test_bad_input_is_named():
    accounts = pd.DataFrame({"account_id": ["a"]})
    with pytest.raises(DataValidationError, match="2025-Q1"):
        measures.annual_sales(
            accounts, pd.DataFrame({"account_id": ["a"], "period": ["2025-Q1"], "amount": [1]})
        )
    with pytest.raises(DataValidationError, match="amount"):
        measures.annual_sales(accounts, pd.DataFrame({"account_id": ["a"], "period": ["2025Q1"]}))
    empty = pd.DataFrame({"account_id": [], "period": [], "amount": []})
    with pytest.raises(ConfigError, match="no as_of"):
        measures.annual_sales(accounts, empty)
    assert measures.annual_sales(accounts, empty, as_of="2025Q4").tolist() == [0.0]
    with pytest.raises(ConfigError, match="n_quarters"):
        measures.trailing_quarters("2025Q4", 0)


# ---------------------------------------------------------------------------- reconciliation


@pytest.fixture(scope="module")
def company():
    """A generated company with one customer turned into a net credit over the last year.

    The credit makes "floored at zero" and "net" differ, which is how the two sales totals of
    issue 17 arose (200,971,851 against 200,971,123 on the bundled sample).
    """
    from terrkit.datasets import generate_company

    ds = generate_company(1500, seed=11, n_reps=10)
    cur = measures.annual_sales(ds.accounts, ds.sales)
    victim = ds.accounts["account_id"][cur > 0].iloc[0]
    credit = pd.DataFrame(
        {"account_id": [victim], "period": ["2025Q4"], "amount": [-(cur[cur > 0].iloc[0] + 500.0)]}
    )
    return dataclasses.replace(ds, sales=pd.concat([ds.sales, credit], ignore_index=True))


@pytest.fixture(scope="module")
def figures(company):
    """Each deliverable's sales, customers and segment counts, computed as its notebook does."""
    import warnings

    from terrkit import overview
    from terrkit.exceptions import DataWarning
    from terrkit.potential import aggregate_to_units, annual_sales, estimate_potential
    from terrkit.review import resolve_period
    from terrkit.review.pipeline import review_alignment, score_accounts_for_review
    from terrkit.segment import segment_dataset
    from terrkit.workload import score_accounts

    ds = company
    period = resolve_period(ds.periods, "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        states = overview.by_state(ds)  # notebook 00
        units00 = overview.unit_totals(ds)
        current = annual_sales(ds.accounts, ds.sales)  # notebook 20
        peer = estimate_potential(ds.accounts, current, method="peer")
        units20 = aggregate_to_units(
            peer.accounts.assign(unit_id=ds.accounts["unit_id"].to_numpy()), ds.units
        )
        tiers = segment_dataset(ds, "abc", value="potential")  # notebook 10
        rfm = segment_dataset(ds, "rfm")
        scored, _ = score_accounts(ds.accounts, ds.sales, ds.reps, scheme="abc")  # notebook 30
        scores = score_accounts_for_review(ds.accounts, ds.sales, ds.reps, period)  # notebook 50
        review = review_alignment(
            ds.accounts, ds.sales, ds.reps, ds.alignment, period, scores=scores, coverage=False, shapes=False
        )
    return {
        "ds": ds,
        "period": period,
        "head": measures.headline(ds.accounts, ds.sales, as_of=period.end),
        "states": states,
        "units00": units00,
        "peer": peer,
        "units20": units20,
        "tiers": tiers,
        "rfm": rfm,
        "scored": scored,
        "review": review,
    }


def test_sales_agree_across_notebooks(figures):
    head, period = figures["head"], figures["period"]
    assert head.quarters == figures["period"].current  # the review's last full year is the last four quarters
    books = figures["ds"].sales.loc[figures["ds"].sales["period"].isin(period.current), "amount"].sum()
    totals = {
        "books (sales.csv)": books,
        "00 by state": figures["states"][f"sales_{period.label}"].sum(),
        "00 per unit": figures["units00"]["sales"].sum(),
        "20 accounts_potential": figures["peer"].accounts["sales"].sum(),
        "20 units_potential": figures["units20"]["sales"].sum(),
        "30 accounts_scored": figures["scored"]["sales"].sum(),
        "50 territories": figures["review"].territories["sales"].sum(),
        "50 reps": figures["review"].reps["sales"].sum(),
    }
    for where, total in totals.items():
        assert total == pytest.approx(head.sales_last_4q, abs=1e-6), where


def test_customers_and_accounts_counted_one_way(figures):
    head = figures["head"]
    n = len(figures["ds"].accounts)
    customers = {
        "00 by state": figures["states"]["customers_last_4q"].sum(),
        "00 per unit": figures["units00"]["customers"].sum(),
        "20 accounts_potential": (~figures["peer"].accounts["is_prospect"]).sum(),
        "20 units_potential": figures["units20"]["n_customers"].sum(),
        "30 accounts_scored": (figures["scored"]["sales"] > 0).sum(),
        "50 territories": figures["review"].territories["customers"].sum(),
        "50 reps": figures["review"].reps["customers"].sum(),
    }
    for where, count in customers.items():
        assert count == head.customers_last_4q, where
    accounts = {
        "00 by state": figures["states"]["accounts"].sum(),
        "00 per unit": figures["units00"]["accounts"].sum(),
        "20 units_potential": figures["units20"]["n_accounts"].sum(),
        "30 accounts_scored": len(figures["scored"]),
        "50 territories": figures["review"].territories["accounts"].sum(),
    }
    for where, count in accounts.items():
        assert count == head.accounts == n, where
    # ever customers: the by-state column and RFM's non-prospects are the same accounts
    assert figures["states"]["ever_customers"].sum() == head.ever_customers
    rfm = figures["rfm"].labels["rfm_segment"].astype(str) != "Prospect"
    ever = measures.ever_customers(figures["ds"].accounts, figures["ds"].sales)
    assert rfm.tolist() == ever.tolist()
    assert (
        head.ever_customers > head.customers_last_4q
    )  # two different figures, never both called "customers"


def test_segment_counts_agree_between_segments_and_scored_accounts(figures):
    tiers, scored = figures["tiers"], figures["scored"]
    assert tiers.column == "abc_tier_by_potential"
    from_10 = tiers.labels[tiers.column].astype(str)
    from_30 = scored["abc_tier_by_potential"].astype(str)
    assert from_10.tolist() == from_30.tolist()
    assert (scored["segment"].astype(str) == from_30).all()  # the tiers workload is planned on
    counts = from_10.value_counts().to_dict()
    assert sum(counts.values()) == len(scored) and counts["A"] < counts["B"] + counts["C"]
    assert scored["rfm_code"].str.fullmatch(r"\d{3}").all()
    assert np.array_equal(
        scored["rfm_score"].to_numpy(),
        (scored[["r_score", "f_score", "m_score"]].astype(int).sum(axis=1)).to_numpy(),
    )
