"""Tiny hand-written exports through the whole import: sums, drops, ZIP rules, owners, homes, alignment."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from terrkit.crm.exports_sample import orders_mapping_text
from terrkit.crm.importing import build_import, import_crm
from terrkit.crm.mapping import load_mapping, preset_mapping
from terrkit.exceptions import DataValidationError

ACCOUNT = """\
Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingPostalCode,BillingState,BillingLatitude,BillingLongitude,OwnerId
001A,Acme Corp,Manufacturing,120,25000000,02139,MA,42.3601,-71.0942,005X
001B,Beta LLC,Retail,15,800000,10001-1234,NJ,,,005Y
001C,Gamma Inc,Finance,40,1000000,2134,MA,,,005Z
001D,Delta Co,Retail,5,,99999,TX,,,005X
001E,Epsilon,,,,60601,IL,,,
"""
OPPORTUNITY = """\
Id,AccountId,Name,StageName,CloseDate,Amount,IsWon
0061,001A,A1,Closed Won,2024-01-15,1000,true
0062,001A,A2,Closed Won,2024-03-31,500.50,true
0063,001A,A3,Closed Won,2024-04-01,200,true
0064,001A,A4,Closed Lost,2024-02-01,9999,false
0065,001B,B1,Closed Won,2024-12-31,-50,true
0066,001B,B2,Closed Won,2024-11-02,300,true
0067,001B,B3,Prospecting,2025-02-01,4000,false
0068,001C,C1,Closed Won,2023-07-04,700,true
0069,001D,D1,Closed Won,2024-05-05,123,true
0070,001F,F1,Closed Won,2024-05-05,77,true
0071,001A,A5,Closed Won,2024-06-30,,true
0072,,X1,Closed Won,2024-06-30,10,true
"""
USER = """\
Id,Name,Email,PostalCode
005X,Alice Smith,alice@example.com,02138
005Y,Bob Jones,bob@example.com,
005W,Integration User,int@example.com,
"""


def _write(folder, name, text, encoding="utf-8", newline="\n"):
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


@pytest.fixture
def salesforce(tmp_path):
    return [
        _write(tmp_path, "Account.csv", ACCOUNT),
        _write(tmp_path, "Opportunity.csv", OPPORTUNITY),
        _write(tmp_path, "User.csv", USER),
    ]


def test_salesforce_sums_won_deals_per_account_and_quarter(salesforce):
    data = build_import(salesforce, preset_mapping("salesforce"))
    assert data.sales.to_dict("list") == {
        "account_id": ["001A", "001A", "001B", "001C"],
        "period": ["2024Q1", "2024Q2", "2024Q4", "2023Q3"],
        "amount": [1500.5, 200.0, 250.0, 700.0],
    }
    report = data.report
    assert report.count("won.rule") == 10
    assert report.count("dropped.not_won") == 2
    assert "Closed Lost 1" in report.text("dropped.not_won") and "Prospecting 1" in report.text(
        "dropped.not_won"
    )
    assert report.count("dropped.no_account") == 1
    assert report.count("dropped.no_amount") == 1
    assert report.count("dropped.unknown_account") == 1  # 001F is not in Account.csv
    assert report.count("dropped.unknown_zip") == 1  # 001D at 99999, with its 123
    assert "worth 123.00" in report.text("dropped.unknown_zip")
    assert report.count("sales.summed") == 6
    assert "total 2,650.50" in report.text("sales.summed")


def test_salesforce_accounts_reps_and_alignment(salesforce):
    data = build_import(salesforce, preset_mapping("salesforce"))
    accounts = data.accounts.set_index("account_id")
    assert list(accounts.index) == ["001A", "001B", "001C", "001E"]
    assert accounts["zip"].tolist() == ["02139", "10001", "02134", "60601"]
    assert accounts["unit_id"].tolist() == ["25017", "36061", "25025", "17031"]
    assert accounts["state"].tolist() == ["MA", "NY", "MA", "IL"], "the ZIP's state, not BillingState"
    assert accounts["revenue_band"].tolist()[:3] == ["10-50M", "<1M", "1-10M"]
    assert accounts["employees"].tolist()[:3] == [120, 15, 40]
    assert accounts.loc["001A", ["lat", "lon"]].tolist() == [42.3601, -71.0942]
    assert accounts["owner_rep_id"].tolist()[:2] == ["005X", "005Y"]
    assert accounts.loc[["001C", "001E"], "owner_rep_id"].isna().all()
    assert accounts.loc["001E", ["industry", "employees", "revenue_band"]].isna().all()

    reps = data.reps.set_index("rep_id")
    assert list(reps.index) == ["005X", "005Y"], "the idle Integration User is not a rep"
    assert reps["home_zip"].tolist() == ["02138", "10001"]
    assert reps.loc["005X", ["home_lat", "home_lon"]].tolist() == [42.377, -71.1256]
    assert "capacity_hours" not in reps.columns and "quota" not in reps.columns

    assert data.alignment.to_dict("list") == {
        "unit_id": ["25017", "36061"],
        "territory_id": ["T-005X", "T-005Y"],
        "rep_id": ["005X", "005Y"],
    }
    report = data.report
    assert report.count("dropped.unknown_owner") == 1 and "005Z" in report.text("dropped.unknown_owner")
    assert report.count("owner.blank") == 1
    assert report.count("dropped.idle_reps") == 1
    assert report.count("zip.normalised") == 2
    assert "1 ZIP+4 cut to five digits, 1 with lost leading zeros restored" in report.text("zip.normalised")
    assert report.count("zip.billing") == 4
    assert report.count("zip.state_mismatch") == 1
    assert report.count("home.given") == 1 and report.count("home.medoid") == 1
    assert report.count("alignment.units") == 2 and report.count("alignment.unowned_units") == 2


COMPANIES = """\
Record ID,Company name,Industry,Number of Employees,Annual Revenue,Postal Code,Company owner
101,Acme,Retail,10,2000000,60601,ann@example.com
102,Bolt,Retail,20,60000000,60602,ann@example.com
103,Cog,Finance,30,300000000,10001,ann@example.com
104,Dyn,Finance,5,500000,10002,ben@example.com
"""
DEALS = """\
Record ID,Deal Name,Deal Stage,Close Date,Amount,Associated Company IDs
9001,d1,closedwon,2024-02-10 10:00,100,101
9002,d2,Closed Won,2024-02-11,50,101;103
9003,d3,closedlost,2024-02-12,999,102
9004,d4,appointmentscheduled,2024-03-01,5,103
9005,d5,closedwon,2024-09-30 23:59,1000,103
9006,d6,Closed Won,2024-10-01 00:00,10,104
"""


def test_hubspot_without_owners_file_places_owners_by_their_accounts(tmp_path):
    sources = [_write(tmp_path, "deals.csv", DEALS), _write(tmp_path, "companies.csv", COMPANIES)]
    data = build_import(sources, preset_mapping("hubspot"))
    assert data.sales.to_dict("list") == {
        "account_id": ["101", "103", "104"],
        "period": ["2024Q1", "2024Q3", "2024Q4"],
        "amount": [150.0, 1000.0, 10.0],
    }
    assert data.accounts["revenue_band"].tolist() == ["1-10M", "50-250M", "250M+", "<1M"]
    # ann's revenue is 150 in Chicago and 1000 in New York: her home is New York's account ZIP
    assert data.reps.to_dict("list")["rep_id"] == ["ann@example.com", "ben@example.com"]
    assert data.reps["home_zip"].tolist() == ["10001", "10002"]
    report = data.report
    assert report.count("dropped.not_won") == 2
    assert report.count("sales.first_account") == 1
    assert report.count("reps.from_owners") == 2
    assert report.count("home.medoid") == 2
    assert "revenue-weighted medoid" in report.text("home.medoid")
    assert data.alignment["territory_id"].tolist() == ["T-ann@example.com", "T-ann@example.com"]
    assert report.count("alignment.reps_without_territory") == 1  # ben is outsold in New York


ORDERS = """\
Order No;Customer No;Customer;Postcode;Invoice date;Net amount;Sales rep
SO-1;K1;Käse Müller;2134;15/01/2024;1.234,50;R1
SO-2;K1;Käse Müller;02134-0001;31/03/2024;0,50;R1
SO-3;K1;Käse Müller GmbH;10001;01/04/2024;-34,50;R1
SO-4;K2;Bolt;10001;05/05/2024;100,00;R2
SO-5;K2;Bolt;10002;06/05/2024;200,00;R2
SO-6;K3;Cog;60601;07/07/2023;"1.000.000,00";R2
SO-7;K4;Dyn;10003;08/08/2024;40,00;R2
SO-8;K4;Dyn;10002;09/08/2024;40;R2
"""


def test_european_order_file_with_bom_semicolons_decimal_commas_and_day_first_dates(tmp_path):
    orders = _write(tmp_path, "orders.csv", ORDERS, encoding="utf-8-sig", newline="\r\n")
    mapping = _write(tmp_path, "orders.yaml", orders_mapping_text())
    data = build_import([orders], load_mapping(mapping))
    assert data.sales.to_dict("list") == {
        "account_id": ["K1", "K1", "K2", "K3", "K4"],
        "period": ["2024Q1", "2024Q2", "2024Q2", "2023Q3", "2024Q3"],
        "amount": [1235.0, -34.5, 300.0, 1_000_000.0, 80.0],
    }
    accounts = data.accounts.set_index("account_id")
    assert accounts["name"].tolist() == ["Käse Müller GmbH", "Bolt", "Cog", "Dyn"], "name of the latest line"
    # K1: 02134 twice (once written 2134, once as ZIP+4) beats 10001 once; K2: one line each, 10002 has
    # more revenue; K3: its only ZIP; K4: one line each with equal revenue, the smallest ZIP
    assert accounts["zip"].tolist() == ["02134", "10002", "60601", "10002"]
    report = data.report
    assert (report.count("zip.frequent"), report.count("zip.revenue")) == (1, 1)
    assert (report.count("zip.only"), report.count("zip.smallest")) == (1, 1)
    assert report.count("zip.normalised") == 2
    assert "employees" not in data.accounts.columns and "revenue_band" not in data.accounts.columns
    assert data.alignment.set_index("unit_id")["rep_id"].to_dict() == {
        "17031": "R2",
        "25025": "R1",
        "36061": "R2",
    }


def test_billing_zip_beats_the_most_frequent_order_zip(tmp_path):
    orders = _write(
        tmp_path,
        "orders.csv",
        "customer_id,customer_name,postal_code,billing_zip,order_date,amount\n"
        "C1,One,10001,60601,2024-01-01,10\nC1,One,10001,,2024-01-02,10\nC1,One,10001,,2024-01-03,10\n",
    )
    data = build_import([orders], preset_mapping("generic"))
    assert data.accounts["zip"].tolist() == ["60601"]
    assert data.report.count("zip.billing") == 1


def test_latin1_file_needs_its_encoding_and_says_where_it_breaks(tmp_path):
    text = (
        "customer_id,customer_name,zip,date,amount\n"
        "C1,Acme,10001,2024-01-01,5\n"
        "C2,Müller,10002,2024-01-01,7\n"
    )
    orders = _write(tmp_path, "orders.csv", text, encoding="latin-1")
    with pytest.raises(DataValidationError) as caught:
        build_import([orders], preset_mapping("generic"))
    assert str(caught.value).startswith(f"{orders}, line 3: byte 0xfc is not valid utf-8 text")
    mapping = _write(tmp_path, "latin.yaml", "extends: generic\nformat: {encoding: latin-1}\n")
    data = build_import([orders], load_mapping(mapping))
    assert data.accounts["name"].tolist() == ["Acme", "Müller"]


def test_unknown_zip_dropped_and_counted_or_an_error(tmp_path):
    text = (
        "customer_id,zip,date,amount\nC1,10001,2024-01-01,5\nC2,00000,2024-01-01,7\nC2,00000,2024-02-01,1\n"
    )
    orders = _write(tmp_path, "orders.csv", text)
    data = build_import([orders], preset_mapping("generic"))
    assert data.accounts["account_id"].tolist() == ["C1"]
    assert data.report.count("dropped.unknown_zip") == 1
    assert "00000" in data.report.text("dropped.unknown_zip") and "worth 8.00" in data.report.text(
        "dropped.unknown_zip"
    )
    strict = _write(tmp_path, "strict.yaml", "extends: generic\nunknown_zip: error\n")
    with pytest.raises(DataValidationError) as caught:
        build_import([orders], load_mapping(strict))
    assert str(caught.value).startswith(f"{orders}, column 'zip', line 3: value '00000': is not a known ZIP")
    assert "(1 more row with the same problem)" in str(caught.value)


def test_lines_count_quoted_line_breaks_and_blank_lines(tmp_path):
    text = (
        "customer_id,customer_name,zip,date,amount\n"  # line 1
        'C1,"Acme\nEast",10001,2024-01-01,5\n'  # lines 2-3
        "\n"  # line 4
        "C2,Bolt,10002,2024-01-01,seven\n"  # line 5
    )
    orders = _write(tmp_path, "orders.csv", text)
    with pytest.raises(DataValidationError, match=r"column 'amount', line 5: value 'seven': is not a number"):
        build_import([orders], preset_mapping("generic"))


def test_several_files_of_one_kind_are_read_as_one(tmp_path):
    first = _write(tmp_path, "2023.csv", "customer_id,zip,date,amount\nC1,10001,2023-12-31,5\n")
    second = _write(
        tmp_path, "2024.csv", "customer_id,zip,date,amount\nC1,10001,2023-10-01,2.5\nC2,10002,2024-01-01,1\n"
    )
    data = build_import([f"orders={first}", second], preset_mapping("generic"))
    assert data.sales.to_dict("list") == {
        "account_id": ["C1", "C2"],
        "period": ["2023Q4", "2024Q1"],
        "amount": [7.5, 1.0],
    }
    assert data.report.count("read.sales") == 3


def test_written_folder_records_sources_and_report(salesforce, tmp_path):
    result = import_crm(salesforce, tmp_path / "data", preset="salesforce")
    assert sorted(p.name for p in result.path.iterdir()) == [
        "accounts.csv",
        "current_alignment.csv",
        "dataset.json",
        "reps.csv",
        "sales.csv",
    ]
    manifest = json.loads((result.path / "dataset.json").read_text())
    assert manifest["units"] == "bundled:us_counties"
    assert manifest["periods"] == ["2023Q3", "2024Q4"]
    assert [s["kind"] for s in manifest["sources"]] == ["accounts", "sales", "reps"]
    assert any("not won" in line for line in manifest["import_report"])
    written = pd.read_csv(result.path / "accounts.csv", dtype=str)
    assert written["zip"].tolist() == ["02139", "10001", "02134", "60601"], "ZIPs keep their leading zero"
    assert result.report.count("wrote.folder") == 4
