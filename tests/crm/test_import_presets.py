"""Each preset on the sample exports of a generated company: the import gives the company back and loads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from terrkit.crm.exports_sample import sample_exports, write_sample_exports
from terrkit.crm.importing import import_crm
from terrkit.datasets import generate_company
from terrkit.io import load_dataset

SEED = 7


@pytest.fixture(scope="module")
def company():
    return generate_company(600, seed=SEED, n_reps=8)


@pytest.fixture(scope="module")
def exported(company, tmp_path_factory):
    """crm -> (file name -> path) of the written sample exports."""
    root = tmp_path_factory.mktemp("exports")
    return {
        crm: write_sample_exports(company, crm, root / crm, seed=SEED)
        for crm in ("salesforce", "hubspot", "orders")
    }


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _same_sales(imported: pd.DataFrame, company, account_of: dict) -> None:
    back = imported.assign(account_id=imported["account_id"].map(account_of))
    merged = company.sales.merge(back, on=["account_id", "period"], how="outer", suffixes=("", "_imported"))
    assert len(merged) == len(company.sales) == len(imported), "the same account-quarters"
    np.testing.assert_allclose(merged["amount_imported"], merged["amount"], atol=1e-6)


def test_salesforce_round_trip(company, exported, tmp_path):
    files = exported["salesforce"]
    result = import_crm(list(files.values()), tmp_path / "data", preset="salesforce")
    n = len(company.accounts)
    account_of = dict(zip(_read(files["Account.csv"])["Id"][:n], company.accounts["account_id"], strict=True))
    rep_of = dict(
        zip(_read(files["User.csv"])["Id"][: len(company.reps)], company.reps["rep_id"], strict=True)
    )
    _same_sales(result.data.sales, company, account_of)

    accounts = result.data.accounts.assign(account_id=lambda f: f["account_id"].map(account_of))
    expected = company.accounts.set_index("account_id")
    accounts = accounts.set_index("account_id").loc[expected.index]
    for column in ("zip", "unit_id", "industry", "revenue_band"):
        assert (accounts[column].astype(str) == expected[column].astype(str)).all(), column
    assert (accounts["employees"].astype(float) == expected["employees"].astype(float)).all()
    assert (accounts["owner_rep_id"].map(rep_of) == expected["owner_rep_id"]).all()

    report = result.report
    assert report.count("dropped.not_won") == int((_read(files["Opportunity.csv"])["IsWon"] == "false").sum())
    assert report.count("dropped.unknown_zip") == 2, "the two Canadian accounts"
    assert report.count("dropped.idle_reps") == 1, "the integration user"
    assert report.count("home.given") == len(company.reps)

    dataset = load_dataset(result.path)
    assert dataset.summary.accounts == n and dataset.summary.reps == len(company.reps)
    assert dataset.summary.sales_total == pytest.approx(company.sales["amount"].sum())


def test_hubspot_round_trip(company, exported, tmp_path):
    """With the owners file; without it, owners' homes come from their accounts (test_import_files)."""
    files = exported["hubspot"]
    sources = [files["companies.csv"], files["deals.csv"], files["owners.csv"]]
    result = import_crm(sources, tmp_path / "data", preset="hubspot")
    companies = _read(files["companies.csv"])
    account_of = dict(zip(companies["Record ID"], company.accounts["account_id"], strict=True))
    _same_sales(result.data.sales, company, account_of)
    owner_email = dict(zip(company.accounts["account_id"], companies["Company owner"], strict=True))
    accounts = result.data.accounts
    assert (accounts["owner_rep_id"] == accounts["account_id"].map(account_of).map(owner_email)).all()
    report = result.report
    assert report.count("sales.first_account") > 0
    assert report.count("home.given") == len(company.reps)
    assert report.count("owner.by_email") == 0, "owners are their emails, the preset's rep_id"
    dataset = load_dataset(result.path)
    assert dataset.summary.accounts == len(company.accounts)
    assert dataset.reps["home_zip"].notna().all()


def test_order_lines_round_trip(company, exported, tmp_path):
    files = exported["orders"]
    result = import_crm([files["orders.csv"]], tmp_path / "data", mapping=files["orders_mapping.yaml"])
    customers = company.sales["account_id"].unique()
    _same_sales(result.data.sales, company, {a: a for a in customers})
    accounts = result.data.accounts.set_index("account_id")
    expected = company.accounts.set_index("account_id").loc[accounts.index]
    assert sorted(accounts.index) == sorted(customers), "prospects have no order lines"
    assert (accounts["zip"] == expected["zip"]).all(), "each account at its most frequent delivery ZIP"
    assert (accounts["owner_rep_id"] == expected["owner_rep_id"]).all()
    assert (accounts["name"] == expected["name"]).all()
    report = result.report
    assert report.count("zip.frequent") > 0 and report.count("zip.normalised") > 0
    assert report.count("dropped.not_won") == 0
    dataset = load_dataset(result.path)
    assert dataset.summary.accounts == len(customers)


def test_the_order_sample_is_written_the_european_way(exported):
    raw = exported["orders"]["orders.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    header, first = raw[3:].decode("utf-8").split("\r\n")[:2]
    assert header == "Order No;Customer No;Customer;Postcode;Invoice date;Net amount;Sales rep"
    fields = first.split(";")
    assert len(fields[4]) == 10 and fields[4][2] == "/" and fields[4][5] == "/", "dd/mm/yyyy"
    assert "," in fields[5] and "." not in fields[5].split(",")[1], "a decimal comma"


def test_sample_exports_are_deterministic(company):
    first = sample_exports(company, "hubspot", seed=3)
    again = sample_exports(company, "hubspot", seed=3)
    for name, table in first.items():
        pd.testing.assert_frame_equal(table, again[name])
