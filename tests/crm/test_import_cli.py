"""``terrkit import`` and ``terrkit sample --crm`` as a user meets them: report, exit codes, errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from terrkit.cli import main

ACCOUNT = """\
Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingPostalCode,OwnerId
001A,Acme Corp,Manufacturing,120,25000000,02139,005X
001B,Beta LLC,Retail,15,800000,10001,005Y
"""
OPPORTUNITY = """\
Id,AccountId,StageName,CloseDate,Amount,IsWon
0061,001A,Closed Won,2024-01-15,1000,true
0062,001A,Closed Won,2024-02-15,500,true
0063,001B,Closed Lost,2024-03-31,750,false
0064,001B,Closed Won,2024-04-01,200,true
"""


@pytest.fixture
def exports(tmp_path):
    (tmp_path / "Account.csv").write_text(ACCOUNT)
    (tmp_path / "Opportunity.csv").write_text(OPPORTUNITY)
    return [str(tmp_path / "Account.csv"), str(tmp_path / "Opportunity.csv")]


def test_import_prints_what_it_mapped_aggregated_and_dropped(exports, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["import", *exports, "--preset", "salesforce", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for heading in ("read:", "mapped:", "aggregated:", "dropped:", "rules applied:", "wrote:"):
        assert f"\n{heading}\n" in printed, heading
    assert "Account.csv: Id -> account_id, Name -> name" in printed
    assert (
        "3 won rows of Opportunity summed into 2 account-quarters (2024Q1 to 2024Q2), total 1,700.00"
        in printed
    )
    assert "1 row of Opportunity not won (Closed Lost 1)" in printed
    assert "reps placed at the ZIP of their accounts nearest to all their revenue" in printed
    assert pd.read_csv(out / "sales.csv").to_dict("list") == {
        "account_id": ["001A", "001B"],
        "period": ["2024Q1", "2024Q2"],
        "amount": [1500, 200],
    }
    alignment = pd.read_csv(out / "current_alignment.csv", dtype=str)
    assert dict(zip(alignment["unit_id"], alignment["territory_id"], strict=True)) == {
        "25017": "T-005X",  # Cambridge, MA: Acme
        "36061": "T-005Y",  # New York County: Beta
    }


def test_bad_input_is_exit_2_with_one_line_and_nothing_written(exports, tmp_path, capsys):
    (tmp_path / "Opportunity.csv").write_text(OPPORTUNITY.replace("500,true", "five hundred,true"))
    out = tmp_path / "data"
    assert main(["import", *exports, "--preset", "salesforce", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("terrkit import: error: ")
    assert "Opportunity.csv, column 'Amount', line 3: value 'five hundred': is not a number" in lines[0]
    assert not out.exists()


def test_existing_folder_needs_overwrite(exports, tmp_path, capsys):
    out = tmp_path / "data"
    args = ["import", *exports, "--preset", "salesforce", "--out", str(out)]
    assert main(args) == 0
    assert main(args) == 2
    assert "already exists; choose another --out or pass --overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


def test_unknown_preset_and_bad_mapping_are_exit_2(exports, tmp_path, capsys):
    assert main(["import", *exports, "--preset", "sap", "--out", str(tmp_path / "d")]) == 2
    assert "unknown preset 'sap'; use one of salesforce, hubspot, generic" in capsys.readouterr().err
    mapping = tmp_path / "m.yaml"
    mapping.write_text("extends: salesforce\nfiles:\n  sales:\n    colums: {}\n")
    assert main(["import", *exports, "--mapping", str(mapping), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"terrkit import: error: {mapping}, line 4: files.sales: unknown file key 'colums'")
    assert not (tmp_path / "d").exists()


def test_preset_and_mapping_exclude_each_other(exports, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["import", *exports, "--preset", "salesforce", "--mapping", "m.yaml", "--out", str(tmp_path)])
    assert caught.value.code == 2


def test_sample_crm_writes_exports_that_import(tmp_path, capsys):
    folder = tmp_path / "exports"
    args = [
        "sample",
        "--accounts",
        "150",
        "--reps",
        "4",
        "--seed",
        "1",
        "--crm",
        "orders",
        "--out",
        str(folder),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == ["orders.csv", "orders_mapping.yaml"]
    assert f"terrkit import {folder / 'orders.csv'} --mapping {folder / 'orders_mapping.yaml'}" in printed
    out = tmp_path / "data"
    mapping = str(folder / "orders_mapping.yaml")
    assert main(["import", str(folder / "orders.csv"), "--mapping", mapping, "--out", str(out)]) == 0
    assert (out / "accounts.csv").exists()
    assert main(args) == 2, "the folder exists"


def test_a_real_process_prints_no_traceback(exports, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "terrkit.cli",
            "import",
            exports[0],
            "--preset",
            "salesforce",
            "--out",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "Opportunity export: missing: no source looks like it" in result.stderr
