"""Next year's quotas: the blend of sales and potential, exact totals, attainment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.realign import (
    attainment_spread,
    company_quota_of,
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
