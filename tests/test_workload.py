"""Coverage model, travel, workload, sizing arithmetic, rep load, marginal view and deliverables."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from terrkit.coverage import CoverageModel, load_coverage
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.workload import (
    account_workload,
    calibrate_response,
    captured,
    headcount_curve,
    marginal_view,
    rep_load,
    rep_marginal,
    score_accounts,
    sensitivity_table,
    size_salesforce,
    travel_minutes,
    workload_by_segment,
    write_scored,
)

KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360  # 111.195 km along a meridian


@pytest.fixture()
def tiny():
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "home_lat": [0.0, 10.0],
            "home_lon": [0.0, 10.0],
            "capacity_hours": [100.0, 1000.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "unit_id": ["01001", "01001", "01003"],
            "lat": [1.0, 0.0, 10.0],
            "lon": [0.0, 0.0, 10.0],
            "owner_rep_id": ["R1", "R1", "R2"],
        }
    )
    return accounts, reps


# -------------------------------------------------------------------------------------- coverage


def test_default_coverage_and_lookup():
    cov = CoverageModel.default("abc")
    assert cov.segments == ["A", "B", "C"]
    got = cov.apply(pd.Series(["C", "A"], index=[5, 7]))
    assert got.index.tolist() == [5, 7]
    assert got["calls_per_year"].tolist() == [0.5, 6.0]
    assert got["minutes_per_call"].tolist() == [30.0, 60.0]
    assert "Prospect" in CoverageModel.default("rfm").segments
    with pytest.raises(ValueError, match="abc"):
        CoverageModel.default("kmeans")


def test_coverage_from_csv_and_yaml(tmp_path):
    csv = tmp_path / "cov.csv"
    csv.write_text("segment,calls_per_year,minutes_per_call\n1,10,30\n2,5,20\n*,1,15\n")
    cov = load_coverage(str(csv))
    got = cov.apply(pd.Series([1, 2, 3]))  # int labels match "1", "2"; 3 uses the catch-all
    assert got["calls_per_year"].tolist() == [10.0, 5.0, 1.0]
    assert got["response_calls"].tolist() == [5.0, 2.5, 0.5]  # default: half the planned calls
    yml = tmp_path / "cov.yaml"
    yml.write_text(
        "A: {calls_per_year: 20, minutes_per_call: 50, response_calls: 7}\n"
        "B: {calls_per_year: 4, minutes_per_call: 30}\n"
    )
    cov = load_coverage(yml)
    assert cov.table.set_index("segment").loc["A", "response_calls"] == 7.0
    yl = tmp_path / "list.yml"
    yl.write_text("- {segment: A, calls_per_year: 3, minutes_per_call: 10}\n")
    assert load_coverage(yl).segments == ["A"]
    assert load_coverage("", scheme="rfm").source == "default:rfm"


def test_coverage_errors(tmp_path):
    with pytest.raises(ConfigError, match="no row for segment"):
        CoverageModel.default("abc").apply(pd.Series(["A", "Z"]))
    with pytest.raises(ConfigError, match="not found"):
        load_coverage(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("segment,calls_per_year,minutes_per_call\nA,-1,30\n")
    with pytest.raises(ConfigError, match="calls_per_year"):
        load_coverage(bad)
    with pytest.raises(ConfigError, match="minutes_per_call"):
        load_coverage(pd.DataFrame({"segment": ["A"], "calls_per_year": [1]}))
    with pytest.raises(ConfigError, match="more than once"):
        load_coverage(
            pd.DataFrame({"segment": ["A", "A"], "calls_per_year": [1, 2], "minutes_per_call": [1, 1]})
        )
    with pytest.raises(ConfigError, match=".txt"):
        (tmp_path / "c.txt").write_text("x")
        load_coverage(tmp_path / "c.txt")


# ---------------------------------------------------------------------------------------- travel


def test_travel_minutes_by_hand(tiny):
    accounts, reps = tiny
    t = travel_minutes(accounts, reps, calls_per_trip=1)
    # one degree north: 111.195 km * 1.3 circuity = 144.55 road km; / 60 km/h * 60 * 2 = 289.1 minutes
    assert t["travel_km"].iloc[0] == pytest.approx(KM_PER_DEGREE * 1.3)
    assert t["travel_minutes"].iloc[0] == pytest.approx(2 * KM_PER_DEGREE * 1.3)
    assert t["travel_minutes"].iloc[1] == pytest.approx(0.0)
    shared = travel_minutes(accounts, reps)  # default: four calls share one round trip
    assert shared["travel_minutes"].iloc[0] == pytest.approx(2 * KM_PER_DEGREE * 1.3 / 4)
    t2 = travel_minutes(accounts, reps, circuity=1.0, speed_kmh=30, round_trip=False, calls_per_trip=2)
    assert t2["travel_minutes"].iloc[0] == pytest.approx(KM_PER_DEGREE / 30 * 60 / 2)


def test_travel_from_cost_matrix(tiny):
    accounts, reps = tiny
    cm = pd.DataFrame({"rep_id": ["R1", "R2"], "unit_id": ["01001", "01003"], "minutes": [15.0, 40.0]})
    t = travel_minutes(accounts, reps, cost_matrix=cm, calls_per_trip=1)
    assert t["travel_minutes"].tolist() == [30.0, 30.0, 80.0]
    with pytest.raises(DataValidationError, match="no travel time"):
        travel_minutes(accounts, reps, cost_matrix=cm.iloc[:1])
    with pytest.raises(ConfigError, match="cost_matrix needs"):
        travel_minutes(accounts, reps, cost_matrix=cm.rename(columns={"minutes": "min"}))


def test_travel_errors(tiny):
    accounts, reps = tiny
    with pytest.raises(DataValidationError, match="owner rep"):
        travel_minutes(accounts.assign(owner_rep_id="R9"), reps)
    with pytest.raises(ConfigError, match="circuity"):
        travel_minutes(accounts, reps, circuity=0.5)
    with pytest.raises(ConfigError, match="calls_per_trip"):
        travel_minutes(accounts, reps, calls_per_trip=0)


def test_account_workload_by_hand(tiny):
    accounts, reps = tiny
    wl = account_workload(accounts, pd.Series(["A", "B", "C"]), reps)
    travel = 2 * KM_PER_DEGREE * 1.3 / 4  # default coverage: A 6 x 60 min, B 2 x 45, C 0.5 x 30
    assert wl["workload"].iloc[0] == pytest.approx(6 * (60 + travel) / 60)
    assert wl["workload"].iloc[1] == pytest.approx(2 * 45 / 60)
    assert wl["workload"].iloc[2] == pytest.approx(0.5 * 30 / 60)
    with pytest.raises(ConfigError, match="segments has"):
        account_workload(accounts, pd.Series(["A"]), reps)


# ---------------------------------------------------------------------------------------- sizing


def test_sizing_arithmetic():
    s = size_salesforce(10_000, 1_600, current_headcount=5)
    assert s.fte == pytest.approx(6.25)
    assert s.headcount == 7 and s.gap == 2
    assert size_salesforce(pd.Series([1600.0, 1600.0]), 1600).headcount == 2  # exactly 2, not 3
    assert size_salesforce(0.1 + 0.2, 0.3).headcount == 1  # floating noise does not add a rep
    assert size_salesforce(0, 1600).headcount == 0
    assert s.to_frame()["recommended_headcount"].item() == 7
    for bad in (0, -5, float("nan")):
        with pytest.raises(ConfigError, match="capacity_hours"):
            size_salesforce(100, bad)


def test_sensitivity_table_by_hand():
    wide = sensitivity_table(16_000, 1_600)
    assert list(wide.columns) == ["capacity -10%", "capacity +0%", "capacity +10%"]
    assert list(wide.index) == ["calls -20%", "calls -10%", "calls +0%", "calls +10%", "calls +20%"]
    # base 10; 16000 / 1440 = 11.1 -> 12; 16000 / 1760 = 9.09 -> 10; 19200 / 1600 = 12
    assert wide.loc["calls +0%"].tolist() == [12, 10, 10]
    assert wide.loc["calls +20%", "capacity +0%"] == 12
    assert wide.loc["calls -20%", "capacity +10%"] == 8  # 12800 / 1760 = 7.27 -> 8
    long = sensitivity_table(16_000, 1_600, capacity_changes=[0.0], frequency_changes=[0.5], wide=False)
    assert long[["workload_hours", "capacity_hours", "fte", "headcount"]].iloc[0].tolist() == [
        24_000,
        1_600,
        15,
        15,
    ]
    with pytest.raises(ConfigError):
        sensitivity_table(100, 10, capacity_changes=[-1.0])


def test_rep_load_flags(tiny):
    accounts, reps = tiny
    load = rep_load(pd.Series([80.0, 40.0, 500.0]), accounts["owner_rep_id"], reps, tolerance=0.1)
    assert load["workload_hours"].tolist() == [120.0, 500.0]
    assert load["utilisation"].tolist() == pytest.approx([1.2, 0.5])
    assert load["status"].tolist() == ["over", "under"]
    ok = rep_load(pd.Series([50.0, 55.0, 0.0]), accounts["owner_rep_id"], reps, capacity_hours=100)
    assert ok["status"].tolist() == ["ok", "under"]
    with pytest.raises(ConfigError, match="tolerance"):
        rep_load(pd.Series([1.0, 1.0, 1.0]), accounts["owner_rep_id"], reps, tolerance=1.5)


# -------------------------------------------------------------------------------- marginal view


def _two_segments():
    # segment X: two accounts, potential 1000 each, 2 calls planned, one hour per call; sales 1000 = half
    # segment Y: one account, potential 100, 1 call planned, one hour per call (30 + 30); sales 75
    return pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "segment": ["X", "X", "Y"],
            "owner_rep_id": ["R1", "R1", "R2"],
            "potential": [1000.0, 1000.0, 100.0],
            "sales": [600.0, 400.0, 75.0],
            "calls_per_year": [2.0, 2.0, 1.0],
            "minutes_per_call": [60.0, 60.0, 30.0],
            "travel_minutes": [0.0, 0.0, 30.0],
            "response_calls": [1.0, 1.0, 2.0],  # the coverage table's guess: ignored once calibrated
        }
    ).assign(workload=lambda d: d["calls_per_year"] * (d["minutes_per_call"] + d["travel_minutes"]) / 60)


def test_calibration_reproduces_todays_sales_by_hand():
    t = calibrate_response(_two_segments())
    # X: 2000 (1 - e^{-2/c}) = 1000  ->  c = 2 / ln 2;  Y: 100 (1 - e^{-1/c}) = 75  ->  c = 1 / ln 4
    assert t.loc["X", "response_calls"] == pytest.approx(2 / math.log(2))
    assert t.loc["Y", "response_calls"] == pytest.approx(1 / math.log(4))
    assert t["calibration"].tolist() == ["calibrated", "calibrated"]
    assert t.loc["X", "penetration"] == pytest.approx(0.5)
    c = t.loc["X", "response_calls"]
    assert captured(2000.0, 2.0, c) == pytest.approx(1000.0, rel=1e-12)


def test_calibration_with_uneven_calls_solves_the_sum():
    scored = _two_segments().assign(calls_per_year=[1.0, 3.0, 1.0])
    t = calibrate_response(scored)
    c = t.loc["X", "response_calls"]
    assert captured(1000.0, 1.0, c) + captured(1000.0, 3.0, c) == pytest.approx(1000.0, rel=1e-9)


def test_calibration_edge_cases():
    scored = pd.DataFrame(
        {
            "segment": ["none", "full", "nocall", "nopot", "ok"],
            "potential": [100.0, 100.0, 100.0, 0.0, 100.0],
            "sales": [0.0, 100.0, 50.0, 10.0, 50.0],
            "calls_per_year": [2.0, 2.0, 0.0, 2.0, 2.0],
            "minutes_per_call": 60.0,
            "travel_minutes": 0.0,
        }
    )
    t = calibrate_response(scored)
    assert t["calibration"].to_dict() == {
        "full": "saturated", "nocall": "no calls", "none": "no sales", "nopot": "no potential",
        "ok": "calibrated",
    }  # fmt: skip
    assert t.loc["none", "response_calls"] == np.inf and t.loc["full", "response_calls"] == 0.0
    assert np.isnan(t.loc["nocall", "response_calls"]) and np.isnan(t.loc["nopot", "response_calls"])
    mv = marginal_view(scored).set_index("segment")
    assert mv.loc["none", "captured"] == 0.0 and mv.loc["none", "gain_next_call"] == 0.0
    assert mv.loc["full", "captured"] == 100.0 and mv.loc["full", "gain_next_call"] == 0.0
    assert mv.loc["nocall", "captured"] == 50.0 and np.isnan(mv.loc["nocall", "gain_per_hour"])
    assert mv.loc["ok", "rank"] == 1
    curve = headcount_curve(scored, 1.0, [0, 1, 5])
    # flat segments add their modelled sales at every headcount (0 + 100), unmodelled ones today's (50 + 10)
    assert curve["captured"].iloc[0] == pytest.approx(160.0)
    with pytest.raises(DataValidationError, match="sales"):
        calibrate_response(scored.assign(sales=[1.0, np.nan, 1.0, 1.0, 1.0]))


def test_marginal_view_by_hand():
    mv = marginal_view(_two_segments()).set_index("segment")
    assert mv.loc["X", "captured"] == pytest.approx(1000.0)  # today's sales, not 1 - e^-2 of potential
    assert mv.loc["Y", "captured"] == pytest.approx(75.0)
    assert mv["captured_share"].to_dict() == pytest.approx({"X": 0.5, "Y": 0.75})
    gain_x = 2000 * (0.5 - 0.5**1.5)  # e^{-2/c} = 1/2, e^{-3/c} = 2^{-3/2}
    assert mv.loc["X", "gain_next_call"] == pytest.approx(gain_x / 2)
    assert mv.loc["X", "gain_per_hour"] == pytest.approx(gain_x / 2)  # two accounts, one hour each
    assert mv.loc["Y", "gain_next_call"] == pytest.approx(100 * (0.25 - 0.0625))
    assert mv.loc["X", "rank"] == 1
    assert captured(100.0, 0.0, 3.0) == 0.0


def test_headcount_curve_next_rep_is_a_one_rep_step():
    scored = _two_segments()
    curve = headcount_curve(scored, capacity_hours=1.0, headcounts=range(9), cost_per_rep=10.0)
    assert curve["captured"].iloc[0] == 0.0
    assert curve["captured"].is_monotonic_increasing
    step = curve["captured"].diff().shift(-1).iloc[:-1].to_numpy()
    assert curve["gain_of_next_rep"].iloc[:-1].to_numpy() == pytest.approx(step, rel=1e-9)
    assert np.all(np.diff(curve["gain_of_next_rep"].to_numpy()) <= 1e-9)  # diminishing returns
    assert curve["next_rep_sales_per_cost"].to_numpy() == pytest.approx(curve["gain_of_next_rep"] / 10.0)
    assert curve.attrs["today_captured"] == pytest.approx(curve.attrs["today_sales"]) == 1075.0
    hours = 2 * curve["calls_X"] + 1 * curve["calls_Y"]
    assert np.all(hours <= curve["hours"] + 1e-6)
    # with 8 hours the optimum equalises the gain per hour: P_X / (c_X H_X) e^{-x/c_X} = lambda
    cx, cy = 2 / math.log(2), 1 / math.log(4)
    row = curve.set_index("headcount").loc[8]
    assert 2000 / (cx * 2) * math.exp(-row["calls_X"] / cx) == pytest.approx(row["value_per_hour"], rel=1e-6)
    # a hand check against brute force over a grid for 4 hours
    xs = np.linspace(0, 2, 20001)
    brute = max(2000 * (1 - np.exp(-xs / cx)) + 100 * (1 - np.exp(-(4 - 2 * xs) / cy)))
    assert curve.set_index("headcount").loc[4, "captured"] == pytest.approx(brute, rel=1e-6)
    with pytest.raises(ConfigError, match="cost_per_rep"):
        headcount_curve(scored, 1.0, [1], cost_per_rep=-1)


def test_rep_marginal_ranks_overloaded_books_first():
    scored = _two_segments()
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "capacity_hours": [2.0, 10.0]})
    rm = rep_marginal(scored, reps).set_index("rep_id")
    assert rm.loc["R1", "call_share"] == pytest.approx(0.5)  # 4 planned hours, 2 available
    assert rm.loc["R2", "call_share"] == 1.0
    assert rm.loc["R1", "rank"] == 1
    # R1: (1/4) * 2 * 1000 * (2/c) e^{-1/c} with 1/c = ln 2 / 2: 500 ln 2 / sqrt 2
    assert rm.loc["R1", "gain_per_added_hour"] == pytest.approx(500 * math.log(2) / math.sqrt(2))
    assert rm.loc["R2", "captured"] == pytest.approx(75.0)  # a full call share reproduces today's sales


# --------------------------------------------------------------------------- pipeline/deliverables


@pytest.fixture(scope="module")
def company():
    from terrkit.datasets import generate_company

    return generate_company(1500, seed=11, n_reps=10)


@pytest.mark.filterwarnings("ignore::terrkit.exceptions.DataWarning")
def test_score_and_write_deliverables(company, tmp_path):
    ds = company
    scored, extra = score_accounts(ds.accounts, ds.sales, ds.reps, scheme="abc")
    assert len(scored) == len(ds.accounts)
    assert (scored["workload"] > 0).all()
    assert (scored["potential"] >= scored["sales"]).all()
    assert set(scored["segment"]) <= {"A", "B", "C"}
    units, paths = write_scored(scored, ds.units, tmp_path)
    acc = pd.read_csv(paths["accounts_scored"], dtype={"account_id": str, "unit_id": str})
    for col in ("account_id", "abc_tier_by_potential", "rfm_segment", "rfm_code", "potential"):
        assert col in acc.columns
    # time columns carry their unit in the file
    assert {"workload_hours_per_year", "call_hours_per_year", "travel_minutes_per_call"} <= set(acc.columns)
    assert acc["workload_hours_per_year"].sum() == pytest.approx(scored["workload"].sum())
    assert len(acc) == len(ds.accounts)
    gpkg = gpd.read_file(paths["units_scored"])
    assert len(gpkg) == len(ds.units) and gpkg.geometry.notna().all()
    assert gpkg["potential"].sum() == pytest.approx(scored["potential"].sum())
    assert gpkg["workload_hours_per_year"].sum() == pytest.approx(scored["workload"].sum())
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes left no temporary files
    # no output_dir: nothing written
    assert write_scored(scored, ds.units, "")[1] == {}
    # deterministic
    again, _ = score_accounts(ds.accounts, ds.sales, ds.reps, scheme="abc")
    pd.testing.assert_frame_equal(scored, again)


@pytest.mark.filterwarnings("ignore::terrkit.exceptions.DataWarning")
def test_score_with_rfm_coverage_and_errors(company):
    ds = company
    scored, _ = score_accounts(ds.accounts, ds.sales, ds.reps, scheme="rfm")
    assert set(scored["segment"]) <= set(CoverageModel.default("rfm").segments)
    with pytest.raises(ValueError, match="valid schemes"):
        score_accounts(ds.accounts, ds.sales, ds.reps, scheme="abcd")
    with pytest.raises(ValueError, match="no default coverage"):
        score_accounts(ds.accounts, ds.sales, ds.reps, scheme="kmeans", segment_params={"k_range": [2]})


def test_bundled_coverage_file_matches_the_documented_default():
    from terrkit.datasets import data_dir

    from_file = load_coverage(data_dir() / "coverage_default.csv")
    pd.testing.assert_frame_equal(from_file.table, CoverageModel.default("abc").table)


def test_workload_by_segment_sums():
    scored = _two_segments()
    t = workload_by_segment(scored)
    assert t.loc["X", "accounts"] == 2 and t.loc["X", "calls"] == 4.0
    assert t["workload_hours"].sum() == pytest.approx(scored["workload"].sum())
