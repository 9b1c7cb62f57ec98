"""The seeded company generator: determinism, integrity and realistic marginals."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from terrkit.datasets import generate_company, generator, load_zip_points, write_company
from terrkit.exceptions import TerrkitError
from terrkit.geo import haversine_km
from terrkit.io import load_dataset
from terrkit.segment import segment

FILES = ["accounts.csv", "sales.csv", "reps.csv", "current_alignment.csv", "dataset.json"]


@pytest.fixture(scope="module")
def sample():
    return load_dataset()


def test_same_seed_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        write_company(generate_company(1_500, seed=5, n_reps=8), tmp_path / name, seed=5)
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", FILES, shallow=False)
    assert match == FILES and not mismatch and not errors
    other = generate_company(1_500, seed=6, n_reps=8)
    first = pd.read_csv(tmp_path / "a" / "accounts.csv", dtype=str)
    assert not first["zip"].equals(other.accounts["zip"].astype(str))


@pytest.mark.slow
def test_bundled_sample_is_reproducible_from_seed_0(tmp_path, sample_dir):
    write_company(generate_company(20_000, seed=0, n_reps=50), tmp_path / "again", seed=0)
    match, mismatch, errors = filecmp.cmpfiles(sample_dir, tmp_path / "again", FILES, shallow=False)
    assert mismatch == [] and errors == []


def test_written_company_validates_and_is_whole(small_company_dir):
    data = load_dataset(small_company_dir)
    assert data.summary.accounts == 2_000
    assert sorted(p.name for p in small_company_dir.iterdir()) == sorted(FILES)
    assert not [p for p in small_company_dir.parent.iterdir() if p.name.startswith(".")], "no staging left"


def test_existing_folder_is_not_overwritten_by_default(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(TerrkitError, match="already exists"):
        write_company(generate_company(200, seed=1, n_reps=4), tmp_path / "x", seed=1)


def test_alignment_covers_every_county_once_with_one_rep_per_territory(sample):
    alignment = sample.alignment
    assert alignment["unit_id"].is_unique
    assert set(alignment["unit_id"]) == set(sample.units["unit_id"])
    assert (alignment.groupby("territory_id")["rep_id"].nunique() == 1).all()
    assert 45 <= alignment["territory_id"].nunique() <= 55
    assert set(alignment["rep_id"]) == set(sample.reps["rep_id"])


def test_territories_follow_state_lines(sample):
    state = sample.units.set_index("unit_id")["state"]
    states_per_territory = (
        sample.alignment.assign(state=sample.alignment["unit_id"].map(state))
        .groupby("territory_id")["state"]
        .nunique()
    )
    territories_per_state = (
        sample.alignment.assign(state=sample.alignment["unit_id"].map(state))
        .groupby("state")["territory_id"]
        .nunique()
    )
    # a territory is either part of one state or a group of whole states
    split_states = territories_per_state[territories_per_state > 1].index
    for territory, n_states in states_per_territory.items():
        if n_states > 1:
            units = sample.alignment[sample.alignment["territory_id"] == territory]["unit_id"]
            assert not set(units.map(state)) & set(split_states)


def test_accounts_follow_zip_density(sample):
    zips = load_zip_points(standard_only=True)
    per_state_zips = zips.groupby("state").size()
    per_state_accounts = sample.accounts.groupby("state").size().reindex(per_state_zips.index).fillna(0)
    assert np.corrcoef(per_state_zips, per_state_accounts)[0, 1] > 0.9
    assert sample.accounts["zip"].isin(zips["zip"]).all()
    assert sample.accounts.groupby("unit_id").size().max() > 100, "metropolitan counties are dense"


def test_firmographics_and_sales_are_realistic(sample):
    accounts, sales = sample.accounts, sample.sales
    assert accounts["industry"].nunique() == 10
    assert 5 <= accounts["employees"].median() <= 100
    assert accounts["employees"].max() > 1_000
    assert 0.6 <= sample.summary.customers / sample.summary.accounts <= 0.85
    assert (sales["period"].min(), sales["period"].max()) == ("2023Q1", "2025Q4")
    yearly = sales.groupby(sales["period"].str[:4])["amount"].sum()
    assert yearly["2023"] < yearly["2024"] < yearly["2025"], "the market grows"
    first_period = sales.groupby("account_id")["period"].min()
    last_period = sales.groupby("account_id")["period"].max()
    # a whole year without a purchase is more than a season missed: a customer won or lost
    assert (first_period >= "2024Q1").sum() > 500, "new customers are won"
    assert (last_period <= "2024Q4").sum() > 300, "customers churn"
    bigger = accounts.set_index("account_id")["employees"].reindex(first_period.index)
    spend = sales[sales["period"].str.startswith("2025")].groupby("account_id")["amount"].sum()
    assert np.corrcoef(np.log(bigger.reindex(spend.index)), np.log(spend.clip(lower=1)))[0, 1] > 0.4


def test_overloaded_reps_under_serve_their_accounts(sample):
    accounts, reps = sample.accounts, sample.reps.set_index("rep_id")
    home = reps.loc[accounts["owner_rep_id"]]
    km = haversine_km(accounts["lon"], accounts["lat"], home["home_lon"], home["home_lat"])
    hours = pd.Series(km).groupby(accounts["owner_rep_id"].to_numpy()).sum() / reps["capacity_hours"]
    spend = sample.sales[sample.sales["period"].str.startswith("2025")].groupby("account_id")["amount"].sum()
    per_employee = (spend / accounts.set_index("account_id")["employees"] ** 0.85).dropna()
    owner = accounts.set_index("account_id")["owner_rep_id"].reindex(per_employee.index)
    service = per_employee.groupby(owner).median()
    assert np.corrcoef(hours.reindex(service.index), service)[0, 1] < -0.2
    assert 4e4 < reps["quota"].median() < 5e7
    assert reps["capacity_hours"].between(1000, 2000).all()


# rep names


@pytest.mark.parametrize(("seed", "n_reps"), [(0, 12), (1, 50), (7, 500), (3, 500)])
def test_rep_names_are_unique(seed, n_reps):
    # same seed, same names: test_same_seed_gives_identical_files compares reps.csv
    reps = generate_company(300, seed=seed, n_reps=n_reps).reps
    assert len(reps) >= n_reps * 0.9
    assert reps["name"].is_unique
    assert reps["home_zip"].notna().all(), "territories without accounts get a home too"


def test_the_bundled_reps_have_distinct_names(sample):
    assert sample.reps["name"].is_unique


def test_a_repeated_name_takes_the_next_free_combination():
    n_last = len(generator._LAST)
    first = np.array([0, 0, 0, 1, 49])
    last = np.array([0, 0, 1, 0, n_last - 1])
    names = generator._rep_names(first, last).tolist()
    james, mary, luis = generator._FIRST[0], generator._FIRST[1], generator._FIRST[49]
    smith, johnson, kim = generator._LAST[0], generator._LAST[1], generator._LAST[-1]
    # the first keeps its draw, the repeat moves on to Johnson, which pushes the real Johnson to Williams
    assert names[:3] == [f"{james} {smith}", f"{james} {johnson}", f"{james} {generator._LAST[2]}"]
    assert names[3:] == [f"{mary} {smith}", f"{luis} {kim}"]
    # the very last combination wraps round to the first one
    assert generator._rep_names(np.array([49, 49]), np.array([n_last - 1] * 2)).tolist() == [
        f"{luis} {kim}",
        f"{james} {smith}",
    ]
    too_many = len(generator._FIRST) * n_last + 1
    with pytest.raises(ValueError, match="distinct generated names"):
        generator._rep_names(np.zeros(too_many, int), np.zeros(too_many, int))


# buyer mix and RFM segments

RFM_SEGMENTS = ["Champions", "Loyal", "Promising", "At risk", "Other", "Lost", "Prospect"]


@pytest.fixture(scope="module")
def pattern():
    """The buying pattern of 20,000 customers all there from the first quarter."""
    start = np.zeros(20_000, dtype=int)
    kind, buys, rate = generator._buying_pattern(np.random.default_rng(4), start)
    return kind, buys, rate


def test_buyer_kinds_come_in_the_stated_shares(pattern):
    kind, _, rate = pattern
    for name, share in generator.BUYER_MIX.items():
        assert (kind == name).mean() == pytest.approx(share, abs=0.015), name
    seasonal = rate[kind == "seasonal"]
    two = (2 * generator.SEASON_P + 2 * generator.OFF_SEASON_P) / 4
    assert (seasonal == two).mean() == pytest.approx(generator.TWO_SEASONS, abs=0.025)


def test_frequent_and_seasonal_buyers_spend_their_annual_on_average(pattern):
    kind, buys, rate = pattern
    for name in ("frequent", "seasonal"):
        mine = kind == name
        # a purchase is annual / (4 * rate): spend per quarter over annual / 4 averages 1
        assert (buys[mine] / rate[mine, None]).mean() == pytest.approx(1.0, abs=0.02), name
    frequent = buys[kind == "frequent"]
    assert frequent.mean() == pytest.approx(generator.FREQUENT_P, abs=0.01)


def test_seasonal_buyers_buy_in_their_season(pattern):
    kind, buys, rate = pattern
    one_season = buys[(kind == "seasonal") & (rate < 0.35)].reshape(-1, 3, 4).sum(axis=1)
    # of 12 quarters, 3 are in season: expected 3 * 0.9 = 2.7 purchases there, 9 * 0.08 = 0.72 off
    top_share = one_season.max(axis=1).sum() / one_season.sum()
    assert top_share == pytest.approx(2.7 / 3.42, abs=0.03)


def test_lapsing_buyers_fade(pattern):
    kind, buys, _ = pattern
    lapsing = buys[kind == "lapsing"]
    p, d = generator.FREQUENT_P, generator.LAPSE_DECAY
    # lapse quarter uniform on 0..11: in quarter t the probability is p * mean_L d ** max(0, t - L)
    expected = [p * np.mean(d ** np.maximum(0, t - np.arange(12))) for t in range(12)]
    assert expected[0] == pytest.approx(p) and expected[-1] == pytest.approx(0.2328, abs=1e-4)
    assert lapsing.mean(axis=0) == pytest.approx(expected, abs=0.03)


def _segment_counts(accounts: pd.DataFrame, sales: pd.DataFrame) -> pd.Series:
    labels = segment(accounts, "rfm", sales=sales).labels["rfm_segment"]
    return labels.value_counts().reindex(RFM_SEGMENTS, fill_value=0)


@pytest.mark.parametrize("seed", [0, 5])
def test_every_rfm_segment_has_customers_on_a_generated_company(seed):
    company = generate_company(2_000, seed=seed, n_reps=12)
    counts = _segment_counts(company.accounts, company.sales)
    assert (counts >= 20).all(), counts.to_dict()


def test_every_rfm_segment_has_customers_on_the_bundled_sample(sample, small_company_dir):
    counts = _segment_counts(sample.accounts, sample.sales)
    assert (counts > 0.03 * len(sample.accounts)).all(), counts.to_dict()
    small = load_dataset(small_company_dir)
    assert (_segment_counts(small.accounts, small.sales) > 0).all()
