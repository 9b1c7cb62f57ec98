"""Every rejected input is one line naming the file, line, column and value, and nothing is written."""

from __future__ import annotations

import pytest

from terrkit.crm.importing import import_crm
from terrkit.exceptions import DataValidationError, TerrkitError

ACCOUNT = """\
Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingPostalCode,BillingLatitude,BillingLongitude,OwnerId
001A,Acme Corp,Manufacturing,120,25000000,02139,42.3601,-71.0942,005X
001B,Beta LLC,Retail,15,800000,10001,,,005X
001C,Gamma Inc,Finance,40,1000000,60601,,,005X
"""
OPPORTUNITY = """\
Id,AccountId,StageName,CloseDate,Amount,IsWon
0061,001A,Closed Won,2024-01-15,1000,true
0062,001B,Closed Won,2024-03-31,500.50,true
0063,001C,Closed Lost,not a date,lots,false
0064,001C,Closed Won,2024-04-01,200,true
"""
USER = "Id,Name,PostalCode\n005X,Alice Smith,02138\n"


def _replace(text: str, line: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1], (line, old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines)


def _sources(tmp_path, account=ACCOUNT, opportunity=OPPORTUNITY, user=USER):
    files = {"Account.csv": account, "Opportunity.csv": opportunity, "User.csv": user}
    paths = []
    for name, text in files.items():
        if text is None:
            continue
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    return paths


def test_the_clean_export_imports(tmp_path):
    result = import_crm(_sources(tmp_path), tmp_path / "out", preset="salesforce")
    assert result.data.sales["amount"].tolist() == [1000.0, 500.5, 200.0]
    assert result.report.count("dropped.not_won") == 1, "a lost deal's bad date and amount do not matter"


BAD = [
    (
        "Opportunity.csv",
        5,
        "2024-04-01",
        "01/04/2024",
        "Opportunity.csv, column 'CloseDate', line 5: value '01/04/2024': is not a date written like "
        "2024-12-31 (ISO 8601, YYYY-MM-DD",
    ),
    (
        "Opportunity.csv",
        3,
        "500.50",
        '"500,50"',
        "Opportunity.csv, column 'Amount', line 3: value '500,50': is not a number "
        "(written with decimal '.', thousands ',')",
    ),
    (
        "Opportunity.csv",
        2,
        "2024-01-15",
        "",
        "Opportunity.csv, column 'CloseDate', line 2: value '': is empty; a won sale needs its date",
    ),
    (
        "Account.csv",
        3,
        ",15,",
        ",-15,",
        "Account.csv, column 'NumberOfEmployees', line 3: value '-15': is below 0; "
        "employees must be at least 0",
    ),
    (
        "Account.csv",
        4,
        "1000000",
        "1 million",
        "Account.csv, column 'AnnualRevenue', line 4: value '1 million': is not a number",
    ),
    (
        "Account.csv",
        4,
        "001C",
        "001A",
        "Account.csv, column 'Id', line 2: value '001A': duplicate id: also on line 4 of",
    ),
    (
        "Account.csv",
        3,
        "001B",
        "",
        "Account.csv, column 'Id', line 3: value '': is empty; every account needs an id",
    ),
    (
        "Account.csv",
        2,
        "42.3601",
        "142.3601",
        "Account.csv, column 'BillingLatitude', line 2: value '142.3601': "
        "is not a latitude; allowed -90 to 90",
    ),
    (
        "Account.csv",
        3,
        "Beta LLC",
        "Beta, LLC",
        "Account.csv, line 3: has 10 fields where the header has 9; check the delimiter (',') and quoting",
    ),
    (
        "User.csv",
        2,
        "Alice Smith",
        "Alice Smith\n005X,Alice Again",
        "User.csv, column 'Id', line 2: value '005X': duplicate id: also on line 3 of",
    ),
]


@pytest.mark.parametrize(("file", "line", "old", "new", "expected"), BAD, ids=[b[4][:40] for b in BAD])
def test_a_bad_value_is_one_line_naming_file_line_column_and_value(tmp_path, file, line, old, new, expected):
    texts = {"account": ACCOUNT, "opportunity": OPPORTUNITY, "user": USER}
    key = file.removesuffix(".csv").lower()
    texts[key] = _replace(texts[key], line, old, new)
    out = tmp_path / "out"
    with pytest.raises(DataValidationError) as caught:
        import_crm(_sources(tmp_path, **texts), out, preset="salesforce")
    message = str(caught.value)
    assert message.startswith(str(tmp_path)), message
    assert expected in message, message
    assert "\n" not in message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no staging folder is left"


def test_a_missing_required_file_says_which_and_how_to_give_it(tmp_path):
    with pytest.raises(DataValidationError) as caught:
        import_crm(_sources(tmp_path, opportunity=None), tmp_path / "out", preset="salesforce")
    assert str(caught.value).startswith("Opportunity export: missing: no source looks like it; Opportunity")
    assert "AccountId" in str(caught.value) and "opportunity=PATH" in str(caught.value)


def test_a_missing_column_names_the_file_and_the_column(tmp_path):
    opportunity = OPPORTUNITY.replace("Amount", "Value")
    with pytest.raises(DataValidationError) as caught:
        import_crm(_sources(tmp_path, opportunity=opportunity), tmp_path / "out", preset="salesforce")
    assert str(caught.value).startswith(
        f"{tmp_path / 'Opportunity.csv'}, line 1: missing column for Opportunity (sales): amount: Amount "
        "(the file has: Id, AccountId, StageName, CloseDate, Value, IsWon)"
    )


def test_without_any_zip_column_the_import_says_so(tmp_path):
    account = ACCOUNT.replace("BillingPostalCode", "Zip")
    with pytest.raises(DataValidationError) as caught:
        import_crm(_sources(tmp_path, account=account), tmp_path / "out", preset="salesforce")
    assert str(caught.value).startswith(f"{tmp_path / 'Account.csv'}, line 1: no ZIP code column")


def test_a_file_that_fits_no_export_is_named(tmp_path):
    odd = tmp_path / "notes.csv"
    odd.write_text("when,what\n2024-01-01,call\n")
    with pytest.raises(DataValidationError) as caught:
        import_crm([*_sources(tmp_path), str(odd)], tmp_path / "out", preset="salesforce")
    assert str(caught.value).startswith(
        f"{odd}, line 1: its header matches no export of the salesforce mapping"
    )
    assert "(the file has: when, what)" in str(caught.value)


def test_unknown_kind_and_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="unknown file kind 'invoices'"):
        import_crm(["invoices=x.csv"], tmp_path / "out", preset="salesforce")
    with pytest.raises(DataValidationError, match="nope.csv: file not found"):
        import_crm([str(tmp_path / "nope.csv")], tmp_path / "out", preset="salesforce")


def test_an_existing_folder_is_kept_unless_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(TerrkitError, match="already exists; choose another --out or pass --overwrite"):
        import_crm(_sources(tmp_path), out, preset="salesforce")
    assert (out / "keep.txt").read_text() == "mine"
    bad = _replace(OPPORTUNITY, 2, "1000", "ten")
    with pytest.raises(DataValidationError):
        import_crm(_sources(tmp_path, opportunity=bad), out, preset="salesforce", overwrite=True)
    assert (out / "keep.txt").read_text() == "mine", "a failed import leaves the old folder as it was"
    import_crm(_sources(tmp_path), out, preset="salesforce", overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "sales.csv").exists()


def test_overwrite_never_deletes_the_sources(tmp_path):
    sources = _sources(tmp_path)
    with pytest.raises(TerrkitError, match="holds the source"):
        import_crm(sources, tmp_path, preset="salesforce", overwrite=True)
    assert all((tmp_path / name).exists() for name in ("Account.csv", "Opportunity.csv", "User.csv"))
