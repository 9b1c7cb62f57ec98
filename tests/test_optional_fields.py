"""Optional account and rep fields, and the gaps a CRM export brings: flagged, filled by stated rules."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from terrkit.datasets.bundled import load_zip_points
from terrkit.exceptions import ConfigError, DataWarning
from terrkit.io import load_dataset
from terrkit.io.schema import DEFAULT_CAPACITY_HOURS
from terrkit.potential import annual_sales, peer_potential
from terrkit.segment import cluster_firmographics
from terrkit.workload import travel_minutes


def _edit(folder: Path, file: str, edit) -> None:
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    result = edit(frame)
    (result if isinstance(result, pd.DataFrame) else frame).to_csv(folder / file, index=False)


def _load_quietly(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return load_dataset(folder)


def test_accounts_without_firmographics_load_and_are_noted(company_copy):
    _edit(company_copy, "accounts.csv", lambda f: f.drop(columns=["industry", "employees", "revenue_band"]))
    data = _load_quietly(company_copy)
    assert data.accounts["employees"].isna().all()
    assert data.accounts["industry"].isna().all() and data.accounts["revenue_band"].isna().all()
    assert any("no industry, employees, revenue_band column" in note for note in data.summary.notes)


def test_peer_potential_without_firmographics_is_the_customers_sales_history(company_copy):
    _edit(company_copy, "accounts.csv", lambda f: f.drop(columns=["industry", "employees"]))
    data = _load_quietly(company_copy)
    sales = annual_sales(data.accounts, data.sales).to_numpy()
    with pytest.warns(DataWarning, match="lack an industry or employee count: 0 are compared within"):
        result = peer_potential(data.accounts.assign(sales=sales), quantile=0.8)
    benchmark = np.quantile(sales[sales > 0], 0.8)
    np.testing.assert_allclose(result.accounts["potential"], np.maximum(sales, benchmark))
    assert (result.accounts["peer_level"] == "all").all()
    row = result.fallback.set_index("level").loc["all"]
    assert row["no_data"] == len(sales) and row["too_few_peers"] == 0


def test_peer_potential_without_employees_groups_by_industry(company_copy):
    data = _load_quietly(company_copy)
    accounts = data.accounts.assign(sales=annual_sales(data.accounts, data.sales).to_numpy())
    accounts.loc[accounts.index[:50], "employees"] = np.nan
    with pytest.warns(
        DataWarning, match="50 of .* accounts lack an industry or employee count: 50 are compared"
    ):
        result = peer_potential(accounts, quantile=0.8, min_group=5)
    first = accounts.iloc[0]
    peers = accounts[(accounts["industry"] == first["industry"]) & (accounts["sales"] > 0)]
    peers = peers[peers["employees"].notna()]
    expected = max(first["sales"], np.quantile(peers["sales"], 0.8))
    assert result.accounts["peer_level"].iloc[0] == "industry"
    assert result.accounts["potential"].iloc[0] == pytest.approx(expected)


def test_clusters_need_firmographics(company_copy):
    _edit(company_copy, "accounts.csv", lambda f: f.drop(columns=["employees"]))
    data = _load_quietly(company_copy)
    with pytest.raises(ConfigError, match="no employees: use the abc or rfm scheme"):
        cluster_firmographics(data.accounts)


def test_rep_fields_fall_back_to_stated_defaults(company_copy):
    original = _load_quietly(company_copy)

    def strip(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, ["home_lat", "home_lon"]] = ""
        return frame.drop(columns=["capacity_hours", "quota"])

    _edit(company_copy, "reps.csv", strip)
    data = _load_quietly(company_copy)
    rep = data.reps.iloc[0]
    point = load_zip_points().drop_duplicates("zip").set_index("zip").loc[rep["home_zip"]]
    assert (rep["home_lat"], rep["home_lon"]) == (point["lat"], point["lon"])
    assert (data.reps["capacity_hours"] == DEFAULT_CAPACITY_HOURS).all()
    last_four = sorted(data.sales["period"].unique())[-4:]
    recent = data.sales[data.sales["period"].isin(last_four)]
    owner = data.accounts.set_index("account_id")["owner_rep_id"]
    book = recent.groupby(recent["account_id"].map(owner))["amount"].sum()
    expected = data.reps["rep_id"].map(book).fillna(0.0)
    np.testing.assert_allclose(data.reps["quota"], expected)
    assert data.reps["quota"].sum() == pytest.approx(recent["amount"].sum())
    assert (original.reps["quota"] != data.reps["quota"]).any()
    notes = " ".join(data.summary.notes)
    assert "rep homes placed at their home_zip: 1" in notes and "without a quota" in notes


def test_gaps_are_flagged_not_rejected(company_copy):
    data = _load_quietly(company_copy)
    rep_gone = data.alignment["rep_id"].iloc[0]
    busy_unit = data.accounts["unit_id"].value_counts().index[0]

    def owner_gone(frame: pd.DataFrame) -> None:
        frame.loc[3, "owner_rep_id"] = "R999"

    _edit(company_copy, "accounts.csv", owner_gone)
    _edit(
        company_copy,
        "current_alignment.csv",
        lambda f: f[(f["rep_id"] != rep_gone) & (f["unit_id"] != busy_unit)],
    )
    with pytest.warns(DataWarning, match="accounts.csv, column 'owner_rep_id', line 5: value 'R999'"):
        data = load_dataset(company_copy)
    assert data.accounts.loc[3, "owner_rep_id"] is None
    assert data.summary.accounts_unknown_owner == 1
    assert data.summary.reps_without_territory == 1
    gone = ~data.units["unit_id"].isin(data.alignment["unit_id"])
    assert data.summary.units_unaligned == int(gone.sum()) > 1
    in_gaps = ~data.accounts["unit_id"].isin(data.alignment["unit_id"])
    assert data.summary.accounts_unaligned == int(in_gaps.sum())
    lines = "\n".join(data.summary.lines())
    assert "reps without a territory: 1" in lines and "owned by reps not in reps.csv: 1" in lines


def test_unowned_accounts_travel_from_the_nearest_home():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "home_lat": [40.0, 30.0], "home_lon": [-100.0, -90.0]})
    accounts = pd.DataFrame({"owner_rep_id": [None, "R1"], "lat": [30.1, 30.1], "lon": [-90.0, -90.0]})
    out = travel_minutes(accounts, reps, calls_per_trip=1.0)
    near, far = out["travel_km"]
    assert near == pytest.approx(0.1 * 111.195 * 1.3, rel=1e-3)
    assert far > 1000


def test_model_potential_needs_some_firmographics(company_copy):
    from terrkit.potential import firmographics_present, model_potential

    _edit(company_copy, "accounts.csv", lambda f: f.drop(columns=["industry", "employees", "revenue_band"]))
    data = _load_quietly(company_copy)
    current = annual_sales(data.accounts, data.sales)
    assert firmographics_present(data.accounts) == []
    with pytest.raises(ConfigError, match="use the peer method"):
        model_potential(data.accounts, current)
    with_industry = data.accounts.assign(
        industry=np.where(np.arange(len(data.accounts)) % 2, "Retail", "Energy")
    )
    assert firmographics_present(with_industry) == ["industry"]
    result = model_potential(with_industry, current, n_splits=2, max_iter=10)
    assert (result.accounts["potential"] >= current.to_numpy() - 1e-9).all()


def test_review_lists_accounts_in_gaps_and_without_owner():
    from terrkit.review.coverage import coverage_checks

    alignment = pd.DataFrame({"unit_id": ["u1"], "territory_id": ["T1"], "rep_id": ["R1"]})
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "unit_id": ["u1", "u1", "u2", "u1"],
            "owner_rep_id": ["R1", None, "R1", "R2"],
        }
    )
    issues = coverage_checks(alignment, accounts=accounts, contiguity=False)
    by_kind = issues.groupby("kind")["account_id"].apply(list).to_dict()
    assert by_kind == {
        "account_exception": ["d"],
        "account_unassigned": ["c"],
        "account_without_owner": ["b"],
    }


def test_unowned_accounts_take_their_new_territorys_rep():
    from terrkit.realign.moves import account_assignments, change_list

    current = pd.DataFrame({"unit_id": ["u1", "u2"], "territory_id": ["T1", "T2"], "rep_id": ["R1", "R2"]})
    proposed = pd.DataFrame({"unit_id": ["u1", "u2"], "territory_id": ["T1", "T1"], "rep_id": ["R1", "R1"]})
    accounts = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "unit_id": ["u1", "u2", "u2"], "owner_rep_id": [None, "R2", "R1"]}
    )
    out = account_assignments(accounts, proposed, current).set_index("account_id")
    assert out.loc["a", "new_rep_id"] == "R1"  # unowned: no exception, the territory's rep
    assert out.loc["b", "new_rep_id"] == "R1"  # moved with its unit
    assert out.loc["c", "new_rep_id"] == "R1"  # an exception kept by its owner
    changes = change_list(out.reset_index(), pd.Series({"a": 5.0, "b": 7.0, "c": 1.0}))
    assert list(changes["account_id"]) == ["b", "a"] and changes["revenue"].sum() == 12.0


def test_reps_and_accounts_without_names(company_copy):
    _edit(company_copy, "reps.csv", lambda f: f.drop(columns=["name"]))
    _edit(company_copy, "accounts.csv", lambda f: f.drop(columns=["name"]))
    data = _load_quietly(company_copy)
    assert (data.reps["name"] == data.reps["rep_id"]).all()
    assert data.accounts["name"].isna().all()
