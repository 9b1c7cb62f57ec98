"""Potential: peer benchmark by hand, model quality, aggregation totals, generated company."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from terrkit.exceptions import ConfigError, DataValidationError, DataWarning
from terrkit.potential import (
    METHODS,
    aggregate_to_units,
    annual_sales,
    estimate_potential,
    model_potential,
    peer_potential,
    pinball_loss,
    size_band,
)


def test_size_band_edges():
    got = size_band([0, 9, 10, 49, 50, 249, 250, 999, 1000, 40000])
    assert list(got.astype(str)) == [
        "0-9", "0-9", "10-49", "10-49", "50-249", "50-249", "250-999", "250-999", "1000+", "1000+",
    ]  # fmt: skip


def test_annual_sales_nets_credits_over_last_four_quarters():
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"]})
    sales = pd.DataFrame(
        [
            ("a", "2024Q4", 1000.0),  # outside the last four quarters
            ("a", "2025Q1", 100.0),
            ("a", "2025Q4", 50.0),
            ("a", "2025Q4", -30.0),
            ("b", "2025Q2", -10.0),  # net negative: stays negative, like the books
        ],
        columns=["account_id", "period", "amount"],
    )
    cur = annual_sales(accounts, sales)
    assert cur.tolist() == [120.0, -10.0, 0.0]
    assert cur.attrs["as_of"] == "2025Q4"
    assert cur.attrs["quarters"] == ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
    assert annual_sales(accounts, sales, as_of="2025Q1", n_quarters=2).tolist() == [1100.0, 0.0, 0.0]


@pytest.fixture()
def peer_table():
    # Retail 0-9: three customers (100, 200, 300) and a prospect -> full group (min_group=3)
    # Finance 0-9: one customer (1000) -> falls back to Finance (1000, 10, 20, 30)
    # Finance 50-249: three customers (10, 20, 30)
    return pd.DataFrame(
        {
            "account_id": ["r1", "r2", "r3", "r4", "f1", "f2", "f3", "f4"],
            "industry": ["Retail"] * 4 + ["Finance"] * 4,
            "employees": [5, 5, 5, 5, 5, 100, 100, 100],
            "sales": [100.0, 200.0, 300.0, 0.0, 1000.0, 10.0, 20.0, 30.0],
        }
    )


def test_peer_potential_by_hand(peer_table):
    with pytest.warns(DataWarning, match="1 of 8 accounts"):
        res = peer_potential(peer_table, "sales", quantile=0.8, min_group=3)
    a = res.accounts.set_index("account_id")
    # quantile 0.8 of (100, 200, 300): position 1.6 -> 200 + 0.6 * 100 = 260
    assert a.loc["r1", "estimate"] == pytest.approx(260.0)
    assert a.loc["r4", "potential"] == pytest.approx(260.0)  # prospect
    assert a.loc["r3", "potential"] == pytest.approx(300.0)  # never below current sales
    # f1 falls back to Finance: quantile 0.8 of (10, 20, 30, 1000): position 2.4 -> 30 + 0.4 * 970
    assert a.loc["f1", "estimate"] == pytest.approx(418.0)
    assert a.loc["f1", "potential"] == pytest.approx(1000.0)
    assert str(a.loc["f1", "peer_level"]) == "industry"
    assert a.loc["f1", "peer_group_size"] == 4
    # Finance 50-249: quantile 0.8 of (10, 20, 30) = 26
    assert a.loc["f2", "potential"] == pytest.approx(26.0)
    assert res.fallback_accounts.tolist() == ["f1"]
    assert res.fallback.set_index("level")["n_accounts"].tolist() == [7, 1, 0]
    assert (a["potential"] >= a["sales"]).all()
    assert np.allclose(a["whitespace"], a["potential"] - a["sales"])
    assert a.loc["r4", "penetration"] == 0.0 and bool(a.loc["r4", "is_prospect"])


def test_net_credit_account_keeps_its_net_sales(peer_table):
    # r4 returned more than it bought: its net sales stay -40 (the books), its spend counts as 0
    table = peer_table.assign(sales=peer_table["sales"].where(peer_table["account_id"] != "r4", -40.0))
    with pytest.warns(DataWarning):
        res = peer_potential(table, "sales", quantile=0.8, min_group=3)
    a = res.accounts.set_index("account_id")
    assert a["sales"].sum() == pytest.approx(table["sales"].sum())  # totals equal the books
    assert a.loc["r4", "sales"] == -40.0 and bool(a.loc["r4", "is_prospect"])
    assert a.loc["r4", "potential"] == pytest.approx(260.0)  # benchmark of r1..r3, as without the credit
    assert a.loc["r4", "whitespace"] == pytest.approx(300.0)  # potential - net sales
    assert a.loc["r4", "penetration"] == pytest.approx(-40.0 / 260.0)


def test_peer_falls_back_to_all_accounts(peer_table):
    with pytest.warns(DataWarning, match="8 to all"):
        res = peer_potential(peer_table, "sales", quantile=0.5, min_group=10)
    assert (res.accounts["peer_level"].astype(str) == "all").all()
    # median of the seven customers (10, 20, 30, 100, 200, 300, 1000) = 100
    assert res.accounts.loc[res.accounts["account_id"] == "r4", "potential"].item() == pytest.approx(100.0)


@pytest.mark.parametrize("quantile", [0, 1, 1.5, -0.2])
def test_invalid_quantile(peer_table, quantile):
    with pytest.raises(ConfigError, match="quantile"):
        peer_potential(peer_table, "sales", quantile=quantile)


def test_invalid_method_and_inputs(peer_table):
    with pytest.raises(ValueError, match="peer, model"):
        estimate_potential(peer_table, "sales", method="magic")
    assert METHODS == ("peer", "model")
    with pytest.raises(ConfigError, match="min_group"):
        peer_potential(peer_table, "sales", min_group=0)
    with pytest.raises(ConfigError, match="at least one account"):
        peer_potential(peer_table.assign(sales=0.0), "sales")
    with pytest.raises(ConfigError, match="not in the accounts"):
        peer_potential(peer_table, "revenue")
    with pytest.raises(DataValidationError, match="employees"):
        peer_potential(peer_table.assign(employees=-3), "sales")


def test_pinball_loss_by_hand():
    assert pinball_loss([10.0], [8.0], 0.8) == pytest.approx(1.6)
    assert pinball_loss([10.0], [12.0], 0.8) == pytest.approx(0.4)
    assert pinball_loss([10.0, 10.0], [8.0, 12.0], 0.8) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------ aggregation


def _scored():
    return pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "unit_id": ["01001", "01001", "01003", "01003"],
            "sales": [100.0, 0.0, 50.0, 25.0],
            "potential": [200.0, 80.0, 50.0, 75.0],
            "workload": [10.0, 2.0, 3.0, 4.5],
        }
    ).assign(whitespace=lambda d: d["potential"] - d["sales"])


def test_aggregation_by_hand_preserves_totals_and_keeps_geometry():
    units = gpd.GeoDataFrame(
        {"unit_id": ["01001", "01003", "01005"], "name": ["X", "Y", "Z"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )
    scored = _scored()
    agg = aggregate_to_units(scored, units)
    assert isinstance(agg, gpd.GeoDataFrame) and agg.crs == units.crs
    a = agg.set_index("unit_id")
    assert a["n_accounts"].tolist() == [2, 2, 0]
    assert a["n_customers"].tolist() == [1, 2, 0]
    assert a["n_prospects"].tolist() == [1, 0, 0]
    assert a["sales"].tolist() == [100.0, 75.0, 0.0]
    assert a["potential"].tolist() == [280.0, 125.0, 0.0]
    assert a["whitespace"].tolist() == [180.0, 50.0, 0.0]
    assert a["penetration"].tolist() == pytest.approx([100 / 280, 75 / 125, 0.0])
    assert a["workload"].tolist() == [12.0, 7.5, 0.0]
    for col in ("sales", "potential", "whitespace", "workload"):
        assert agg[col].sum() == pytest.approx(scored[col].sum())
    assert a.loc["01005", "name"] == "Z"


def test_aggregation_without_units_and_errors():
    agg = aggregate_to_units(_scored())
    assert agg["unit_id"].tolist() == ["01001", "01003"]
    units = pd.DataFrame({"unit_id": ["01001"]})
    with pytest.raises(DataValidationError, match="01003"):
        aggregate_to_units(_scored(), units)
    with pytest.raises(DataValidationError, match="unit_id"):
        aggregate_to_units(_scored().drop(columns="unit_id"))
    with pytest.raises(DataValidationError, match="unique"):
        aggregate_to_units(_scored(), pd.DataFrame({"unit_id": ["01001", "01001", "01003"]}))


# ------------------------------------------------------------------------------ generated company


@pytest.fixture(scope="module")
def company():
    from terrkit.datasets import generate_company

    ds = generate_company(3000, seed=7)
    return ds, annual_sales(ds.accounts, ds.sales)


def _sensible(ds, res):
    a = res.accounts
    emp = ds.accounts["employees"].to_numpy(dtype=float)
    assert (a["potential"] >= a["sales"] - 1e-9).all()
    cust = a["sales"] > 0
    assert cust.any() and (~cust).any()
    assert ((a.loc[cust, "penetration"] > 0) & (a.loc[cust, "penetration"] <= 1 + 1e-12)).all()
    assert (a.loc[~cust, "potential"] > 0).all()
    assert np.corrcoef(np.log1p(emp), np.log(a["potential"]))[0, 1] > 0.3


def test_peer_potential_sensible_on_generated_company(company):
    ds, cur = company
    with pytest.warns(DataWarning):
        res = estimate_potential(ds.accounts, cur, method="peer", quantile=0.8, min_group=20)
    _sensible(ds, res)
    units = aggregate_to_units(res.accounts.assign(unit_id=ds.accounts["unit_id"]), ds.units)
    assert units["potential"].sum() == pytest.approx(res.accounts["potential"].sum())
    assert len(units) == len(ds.units)


@pytest.mark.slow
def test_model_potential_sensible_deterministic_and_reported(company):
    ds, cur = company
    res = model_potential(ds.accounts, cur, quantile=0.8, n_splits=3, seed=4, max_iter=40)
    _sensible(ds, res)
    q = res.quality.set_index("method")
    assert list(q.index) == ["quantile gradient boosting", "peer benchmark"]
    # out-of-fold coverage should be near the target quantile for both methods
    assert ((q["coverage"] > 0.65) & (q["coverage"] < 0.92)).all()
    assert (q["pinball_loss"] > 0).all()
    again = model_potential(ds.accounts, cur, quantile=0.8, n_splits=3, seed=4, max_iter=40)
    assert np.array_equal(res.accounts["potential"].to_numpy(), again.accounts["potential"].to_numpy())
    assert res.quality.equals(again.quality)
    with pytest.raises(ConfigError, match="n_splits"):
        model_potential(ds.accounts, cur, n_splits=1)
