"""Next year's quotas: the blend of sales and potential, exact totals, attainment, the rep impact table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.geo import haversine_km
from terrkit.realign import (
    VACANT,
    account_assignments,
    attainment_spread,
    company_quota_of,
    rep_impact_table,
    rounding_step,
    rule_text,
    set_quotas,
    with_next_year_quotas,
)

# ------------------------------------------------------------------------------------------ quotas


@pytest.fixture
def three():
    """Three territories: sales 200/300/500, potential 600/300/100 (both out of 1,000)."""
    index = pd.Index(["T1", "T2", "T3"], name="territory_id")
    return pd.Series([200.0, 300.0, 500.0], index=index), pd.Series([600.0, 300.0, 100.0], index=index)


def test_hand_computed_blend_with_largest_remainder(three):
    sales, potential = three
    quotas = set_quotas(sales, potential, 1_234_000, history_weight=0.25)
    # shares: T1 .25*.2 + .75*.6 = .5, T2 .25*.3 + .75*.3 = .3, T3 .25*.5 + .75*.1 = .2
    assert quotas["quota_share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    # 1,234 steps of 1,000: 617, 370.2, 246.8 -> floors 617, 370, 246 (1,233); the step left goes to T3 (.8)
    assert quotas["quota"].tolist() == [617_000.0, 370_000.0, 247_000.0]
    assert quotas["quota"].sum() == 1_234_000
    assert quotas["sales_share"].tolist() == pytest.approx([0.2, 0.3, 0.5])
    assert quotas["potential_share"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert list(quotas.index) == ["T1", "T2", "T3"]


def test_weight_one_is_sales_shares_weight_zero_is_potential_shares(three):
    sales, potential = three
    assert set_quotas(sales, potential, 1_000_000, history_weight=1)["quota"].tolist() == [2e5, 3e5, 5e5]
    assert set_quotas(sales, potential, 1_000_000, history_weight=0)["quota"].tolist() == [6e5, 3e5, 1e5]


def test_ties_in_the_remainder_go_to_the_first_territory():
    equal = pd.Series([1.0, 1.0, 1.0], index=["T1", "T2", "T3"])
    quotas = set_quotas(equal, equal, 100_000)
    assert quotas["quota"].tolist() == [34_000.0, 33_000.0, 33_000.0]


@pytest.mark.parametrize("seed", range(5))
def test_quotas_add_up_to_the_company_number_exactly(seed):
    rng = np.random.default_rng(seed)
    n = 37
    index = pd.Index([f"T{i:02d}" for i in range(n)])
    sales = pd.Series(rng.lognormal(13, 1, n), index=index)
    potential = pd.Series(rng.lognormal(14, 0.7, n), index=index)
    company = float(np.round(rng.lognormal(12, 0.5, n), -3).sum())  # today's quotas, each to the 1,000
    w = float(rng.uniform())
    quotas = set_quotas(sales, potential, company, history_weight=w)
    assert quotas["quota"].sum() == company
    exact = company * (w * sales / sales.sum() + (1 - w) * potential / potential.sum())
    assert ((quotas["quota"] - exact).abs() < 1000).all()  # each within one step of its exact share
    assert (quotas["quota"] % 1000 == 0).all()


def test_rounding_step_is_the_coarsest_that_divides_the_company_number():
    assert rounding_step(250_000_000) == 1000
    assert rounding_step(1_234_500) == 100
    assert rounding_step(1_234_567) == 1
    assert rounding_step(1234.56) == 0.01
    with pytest.raises(ConfigError, match="fractions of a cent"):
        rounding_step(1234.5678)
    sales = pd.Series([1.0, 2.0], index=["A", "B"])
    assert set_quotas(sales, sales, 1_234_567)["quota"].sum() == 1_234_567
    assert set_quotas(sales, sales, 1234.56)["quota"].sum() == pytest.approx(1234.56, abs=1e-9)
    with pytest.raises(ConfigError, match="does not divide"):
        set_quotas(sales, sales, 1_234_500, round_to=1000)


def test_bad_weights_totals_and_territories_are_refused(three):
    sales, potential = three
    for weight in (-0.1, 1.5, float("nan")):
        with pytest.raises(ConfigError, match="history_weight must be between 0"):
            set_quotas(sales, potential, 1e6, history_weight=weight)
    for company in (0, -5, float("inf")):
        with pytest.raises(ConfigError, match="company quota must be a number > 0"):
            set_quotas(sales, potential, company)
    nothing = sales * 0
    with pytest.raises(DataValidationError, match="sales add up to 0"):
        set_quotas(nothing, potential, 1e6, history_weight=0.5)
    assert set_quotas(nothing, potential, 1e6, history_weight=0)["quota"].sum() == 1e6  # sales get no weight
    with pytest.raises(DataValidationError, match="potential add up to 0"):
        set_quotas(sales, potential * 0, 1e6, history_weight=0.5)
    with pytest.raises(DataValidationError, match="T2"):
        set_quotas(sales.mask(sales.index == "T2", -1.0), potential, 1e6)
    with pytest.raises(DataValidationError, match="same territories"):
        set_quotas(sales, potential.rename({"T3": "T4"}), 1e6)


def test_rule_text_states_the_weights_and_the_company_number():
    text = rule_text(0.5, 250_000_000, source="the sum of today's quotas")
    assert "250,000,000 (the sum of today's quotas)" in text
    assert "50% of it in proportion to its share of last year's sales" in text
    assert "rounded to 1,000 by the largest remainder" in text
    assert "75%" in rule_text(0.25, 1e6) and "25%" in rule_text(0.25, 1e6)
    assert "share of the sales of 2025Q4 (the sales" in rule_text(0.5, 1e6, period="2025Q4")
    with pytest.raises(ConfigError):
        rule_text(2, 1e6)


def test_company_quota_of_the_reps():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [2_747_000.0, 5_506_000.0]})
    assert company_quota_of(reps) == 8_253_000.0
    with pytest.raises(DataValidationError, match="line 3"):
        company_quota_of(reps.assign(quota=[1.0, -2.0]))
    with pytest.raises(DataValidationError, match="no quota column"):
        company_quota_of(reps.drop(columns="quota"))
    with pytest.raises(DataValidationError, match="add up to 0"):
        company_quota_of(reps.assign(quota=0.0))


def test_attainment_is_recomputed_on_next_year_quotas(three):
    sales, potential = three
    quotas = set_quotas(sales, potential, 1_000_000, history_weight=1)  # 200k, 300k, 500k
    summary = pd.DataFrame(
        {"territory_id": ["T3", "T1", "T2"], "sales": [100_000.0, 50_000.0, 0.0], "quota": [1.0, 2.0, 3.0]}
    )
    out = with_next_year_quotas(summary, quotas, year_fraction=0.25)
    assert out["quota_next_year"].tolist() == [500_000.0, 200_000.0, 300_000.0]
    # a quarter's sales against a quarter of the annual quota
    assert out["attainment_next_year_quota"].tolist() == pytest.approx([0.8, 1.0, 0.0])
    assert out["quota"].tolist() == [1.0, 2.0, 3.0]  # today's quota is kept
    with pytest.raises(DataValidationError, match="T9"):
        with_next_year_quotas(summary.assign(territory_id=["T9", "T1", "T2"]), quotas)


def test_attainment_spread_counts_the_outliers():
    spread = attainment_spread(
        {"today": pd.Series([0.36, 0.79, 1.0, 1.21, 2.32]), "next": pd.Series([0.9, 1.0, np.nan])}
    )
    assert spread.loc["today"].to_dict() == pytest.approx(
        {
            "territories": 5,
            "lowest": 0.36,
            "median": 1.0,
            "highest": 2.32,
            "below_80pct": 2,
            "above_120pct": 2,
        }
    )
    assert spread.loc["next", "territories"] == 2 and spread.loc["next", "below_80pct"] == 0


# ------------------------------------------------------------------------------------------ rep impact


@pytest.fixture
def moved():
    """T1 (R1, home -100) = u1, u2; T2 (R2, home -90) = u3, u4. The proposal moves u2 to T2.

    Account c in u2 is an exception owned by R2: it stays with R2. Account b moves from R1 to R2.
    """
    current = pd.DataFrame(
        {
            "unit_id": ["u1", "u2", "u3", "u4"],
            "territory_id": ["T1", "T1", "T2", "T2"],
            "rep_id": ["R1"] * 2 + ["R2"] * 2,
        }
    )
    proposed = current.assign(territory_id=["T1", "T2", "T2", "T2"], rep_id=["R1", "R2", "R2", "R2"])
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "name": ["Ann", "Bob"],
            "home_lat": [40.0, 40.0],
            "home_lon": [-100.0, -90.0],
            "quota": [200_000.0, 300_000.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "unit_id": ["u1", "u2", "u2", "u3", "u4"],
            "owner_rep_id": ["R1", "R1", "R2", "R2", "R2"],
            "lat": [40.0] * 5,
            "lon": [-100.0, -91.0, -91.0, -90.0, -90.0],
        }
    )
    revenue = pd.Series({"a": 100_000.0, "b": 60_000.0, "c": 5_000.0, "d": 200_000.0, "e": 0.0})
    scores = pd.DataFrame(
        {
            "account_id": accounts["account_id"],
            "potential": [300_000.0, 100_000.0, 20_000.0, 400_000.0, 80_000.0],
            "call_hours": [10.0, 6.0, 2.0, 12.0, 4.0],
            "calls_per_year": [12.0, 8.0, 4.0, 12.0, 6.0],
        }
    )
    return current, proposed, reps, accounts, revenue, scores


def test_rep_impact_before_after_and_totals(moved):
    current, proposed, reps, accounts, revenue, scores = moved
    assignments = account_assignments(accounts, proposed, current)
    assert assignments["new_rep_id"].tolist() == ["R1", "R2", "R2", "R2", "R2"]
    summary = pd.DataFrame({"territory_id": ["T1", "T2"], "sales": [100_000.0, 265_000.0]})
    pot = pd.Series([300_000.0, 600_000.0], index=["T1", "T2"])
    quotas = set_quotas(summary.set_index("territory_id")["sales"], pot, 500_000, history_weight=0.5)
    # travel as plain day trips (no overnight or remote tier), so the hours can be computed by hand
    table = rep_impact_table(
        accounts,
        reps,
        assignments,
        revenue,
        scores,
        quotas,
        current,
        proposed,
        overnight_km=1e6,
        remote_km=1e6,
    ).set_index("rep_id")
    assert list(table.index) == ["R1", "R2"]
    r1, r2 = table.loc["R1"], table.loc["R2"]
    assert (r1["name"], r1["territories_before"], r1["territories_after"]) == ("Ann", "T1", "T1")
    assert (r1["accounts_before"], r1["accounts_after"], r1["accounts_lost"], r2["accounts_gained"]) == (
        2,
        1,
        1,
        1,
    )
    assert (r1["sales_before"], r1["sales_after"], r1["sales_change"]) == (160_000.0, 100_000.0, -60_000.0)
    assert r1["sales_change_pct"] == pytest.approx(-37.5)
    assert (r2["potential_per_year_before"], r2["potential_per_year_after"]) == (500_000.0, 600_000.0)
    # b moves from R1 (home 9 degrees west) to R2 (home 1 degree west): its travel shrinks
    km = {lon: float(haversine_km(-91.0, 40.0, lon, 40.0)) for lon in (-100.0, -90.0)}
    minutes = {lon: 2 * d * 1.3 / 60.0 * 60 / 4 for lon, d in km.items()}  # round trip, 4 calls per trip
    b_before = 6.0 + 8.0 * minutes[-100.0] / 60
    b_after = 6.0 + 8.0 * minutes[-90.0] / 60
    c_travel = 4.0 * minutes[-90.0] / 60
    assert r1["workload_hours_per_year_before"] == pytest.approx(10.0 + b_before)
    assert r1["workload_hours_per_year_after"] == pytest.approx(10.0)
    assert r2["workload_hours_per_year_before"] == pytest.approx(2.0 + c_travel + 12.0 + 4.0)
    assert r2["workload_hours_per_year_after"] == pytest.approx(2.0 + c_travel + 12.0 + 4.0 + b_after)
    # quotas: T1 .5*100/365 + .5*300/900 of 500,000; R2 gets T2's
    assert r1["quota_per_year_after"] == quotas.loc["T1", "quota"]
    assert r2["quota_per_year_after"] == quotas.loc["T2", "quota"]
    assert (r1["quota_per_year_before"], r2["quota_per_year_before"]) == (200_000.0, 300_000.0)
    assert r1["attainment_before"] == pytest.approx(160_000 / 200_000)
    assert r1["attainment_after"] == pytest.approx(100_000 / quotas.loc["T1", "quota"])
    # every account is assigned: the book, potential and accounts add up to the same before and after
    for stem in ("accounts", "sales", "potential_per_year", "quota_per_year"):
        assert table[f"{stem}_before"].sum() == pytest.approx(table[f"{stem}_after"].sum())
    assert table["accounts_gained"].sum() == table["accounts_lost"].sum()
    assert table["sales_change"].sum() == pytest.approx(0.0)


def test_rep_impact_keeps_a_vacant_row_so_totals_hold(moved):
    current, proposed, reps, accounts, revenue, scores = moved
    proposed = proposed.assign(territory_id=["T1", "NEW1", "T2", "T2"], rep_id=["R1", None, "R2", "R2"])
    assignments = account_assignments(accounts, proposed, current)
    equal = pd.Series([1.0, 1.0, 1.0], index=["T1", "NEW1", "T2"])
    quotas = set_quotas(equal, equal, 300_000)
    table = rep_impact_table(
        accounts, reps, assignments, revenue, scores, quotas, current, proposed
    ).set_index("rep_id")
    assert list(table.index) == ["R1", "R2", VACANT]
    assert table.loc[VACANT, "name"] == "no rep" and table.loc[VACANT, "accounts_after"] == 1  # b
    assert table.loc[VACANT, "quota_per_year_after"] == 100_000.0
    assert table["sales_after"].sum() == table["sales_before"].sum()
    assert table["quota_per_year_after"].sum() == 300_000.0


def test_rep_impact_refuses_misaligned_scores(moved):
    current, proposed, reps, accounts, revenue, scores = moved
    assignments = account_assignments(accounts, proposed, current)
    quotas = set_quotas(
        pd.Series([1.0, 1.0], index=["T1", "T2"]), pd.Series([1.0, 1.0], index=["T1", "T2"]), 1000
    )
    with pytest.raises(DataValidationError, match="in the order of accounts.csv"):
        rep_impact_table(accounts, reps, assignments, revenue, scores.iloc[::-1], quotas, current, proposed)
    with pytest.raises(DataValidationError, match="not in the proposal"):
        rep_impact_table(
            accounts, reps, assignments, revenue, scores, quotas.rename({"T2": "T7"}), current, proposed
        )
