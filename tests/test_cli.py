"""The command line as a user meets it: help, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


def terrkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "terrkit.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_help_lists_the_commands():
    result = terrkit("--help")
    assert result.returncode == 0
    for command in ("sample", "validate", "report"):
        assert command in result.stdout


def test_sample_then_validate(tmp_path):
    out = tmp_path / "co"
    result = terrkit("sample", "--accounts", "500", "--reps", "6", "--seed", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "500 accounts" in result.stdout
    result = terrkit("validate", str(out))
    assert result.returncode == 0 and "valid" in result.stdout and "credits" in result.stdout
    again = terrkit("sample", "--accounts", "500", "--seed", "3", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("file", "column", "value", "expected"),
    [
        ("accounts.csv", "zip", "1234", "accounts.csv, column 'zip', line 4: value '1234'"),
        ("sales.csv", "amount", "ten", "sales.csv, column 'amount', line 4: value 'ten': is not a number"),
        (
            "reps.csv",
            "rep_id",
            None,
            "reps.csv, column 'rep_id', line 3: value 'R002': duplicate id: also on line 4",
        ),
    ],
)
def test_validate_rejects_a_corrupted_copy_with_one_line(
    small_company_dir, tmp_path, file, column, value, expected
):
    copy = tmp_path / "bad"
    shutil.copytree(small_company_dir, copy)
    frame = pd.read_csv(copy / file, dtype=str, keep_default_na=False)
    frame.loc[2, column] = value if value is not None else frame.loc[1, column]  # None: duplicate the id
    frame.to_csv(copy / file, index=False)
    result = terrkit("validate", str(copy))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert expected in lines[0]


def test_report_with_unknown_parameter_fails_before_running(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("parameters:\n  no_such_parameter: 1\n")
    result = terrkit("report", "--config", str(config), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "unknown parameter 'no_such_parameter'" in result.stderr
    assert not Path(tmp_path / "run").exists()
