"""Loaders and validation: typed tables, and one precise error per kind of bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from terrkit.exceptions import DataValidationError, DataWarning
from terrkit.io import load_dataset, write_csv, write_json
from terrkit.io.schema import ACCOUNTS
from terrkit.io.validate import validate_table


def _edit(folder: Path, file: str, edit) -> None:
    """Apply ``edit`` to a file's table; an edit that returns a DataFrame replaces the table."""
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    result = edit(frame)
    (result if isinstance(result, pd.DataFrame) else frame).to_csv(folder / file, index=False)


def test_sample_loads_with_typed_columns(sample_dir):
    data = load_dataset(sample_dir)
    assert data.accounts["zip"].str.fullmatch(r"\d{5}").all()
    assert (data.accounts["zip"].str.startswith("0")).any(), "New England ZIPs keep their leading zero"
    assert data.sales["amount"].dtype == float
    assert data.accounts["account_id"].is_unique
    assert set(data.alignment["unit_id"]) == set(data.units["unit_id"])
    assert data.summary.accounts == len(data.accounts) == 20_000
    assert data.summary.credit_rows == int((data.sales["amount"] < 0).sum()) > 0
    assert data.summary.customers + data.summary.prospects == data.summary.accounts


def test_default_path_is_the_bundled_sample(sample_dir):
    assert load_dataset().path == sample_dir


def test_accounts_are_located_from_zip_when_coordinates_are_missing(company_copy):
    def drop_location(frame):
        frame.loc[:9, ["lat", "lon", "unit_id"]] = ""

    _edit(company_copy, "accounts.csv", drop_location)
    data = load_dataset(company_copy)
    assert data.summary.geocoded_from_zip == 10
    assert data.accounts.loc[:9, ["lat", "lon", "unit_id"]].notna().all().all()


def test_zip_plus4_is_accepted_and_shortened(company_copy):
    def plus4(frame):
        frame.loc[0, "zip"] = frame.loc[0, "zip"] + "-1234"

    _edit(company_copy, "accounts.csv", plus4)
    data = load_dataset(company_copy)
    assert len(data.accounts.loc[0, "zip"]) == 5


CORRUPTIONS = [
    # (file, edit, column, line, fragment of the problem)
    (
        "accounts.csv",
        lambda f: f.__setitem__("account_id", f["account_id"].where(f.index != 5, f.loc[2, "account_id"])),
        "account_id",
        4,
        "duplicate id: also on line 7",
    ),
    ("accounts.csv", lambda f: f.pop("zip"), None, None, "missing required column zip"),
    ("accounts.csv", lambda f: f.loc.__setitem__((7, "lat"), ""), "lat", 9, "empty while lon is given"),
    ("accounts.csv", lambda f: f.loc.__setitem__((3, "zip"), "00000"), "zip", 5, "not a known ZIP code"),
    ("accounts.csv", lambda f: f.loc.__setitem__((3, "zip"), "2139"), "zip", 5, "leading zero"),
    ("accounts.csv", lambda f: f.loc.__setitem__((4, "employees"), "many"), "employees", 6, "not a number"),
    (
        "accounts.csv",
        lambda f: f.loc.__setitem__((4, "employees"), "-3"),
        "employees",
        6,
        "below the minimum 0",
    ),
    (
        "accounts.csv",
        lambda f: f.loc.__setitem__((6, "revenue_band"), "huge"),
        "revenue_band",
        8,
        "use one of <1M",
    ),
    ("sales.csv", lambda f: f.loc.__setitem__((10, "amount"), "12,50"), "amount", 12, "not a number"),
    ("sales.csv", lambda f: f.loc.__setitem__((10, "period"), "2024-03"), "period", 12, "YYYYQn"),
    (
        "sales.csv",
        lambda f: f.loc.__setitem__((10, "account_id"), "A9999999"),
        "account_id",
        12,
        "not in accounts.csv",
    ),
    ("reps.csv", lambda f: f.loc.__setitem__((1, "home_lat"), "nan"), "home_lat", 3, "not a number"),
    ("reps.csv", lambda f: f.loc.__setitem__((1, "quota"), "inf"), "quota", 3, "not a finite number"),
    ("reps.csv", lambda f: f.loc.__setitem__((1, "home_lon"), ""), "home_lon", 3, "empty while home_lat"),
    (
        "reps.csv",
        lambda f: f.loc.__setitem__((2, ["home_lat", "home_lon", "home_zip"]), ""),
        "home_zip",
        4,
        "give the rep's home",
    ),
    (
        "current_alignment.csv",
        lambda f: f.loc.__setitem__((0, "rep_id"), "R404"),
        "rep_id",
        2,
        "not in reps.csv",
    ),
    (
        "current_alignment.csv",
        lambda f: f.loc.__setitem__((0, "unit_id"), "99999"),
        "unit_id",
        2,
        "unit geometry",
    ),
]


@pytest.mark.parametrize(("file", "edit", "column", "line", "problem"), CORRUPTIONS)
def test_each_corruption_is_named_precisely(company_copy, file, edit, column, line, problem):
    _edit(company_copy, file, edit)
    with pytest.raises(DataValidationError) as caught:
        load_dataset(company_copy)
    err = caught.value
    assert err.file == file
    assert err.column == column
    assert err.row == line
    assert problem in str(err)
    assert "\n" not in str(err)


def test_unreadable_and_missing_files(company_copy, small_company_dir):
    (company_copy / "sales.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x00")
    with pytest.raises(DataValidationError, match="sales.csv: cannot be read as CSV"):
        load_dataset(company_copy)
    (company_copy / "sales.csv").write_bytes((small_company_dir / "sales.csv").read_bytes())
    (company_copy / "reps.csv").unlink()
    with pytest.raises(DataValidationError, match=r"reps.csv.*file not found"):
        load_dataset(company_copy)


def test_accounts_outside_the_alignment_are_warned_about(company_copy):
    data = load_dataset(company_copy)
    busy_unit = data.accounts["unit_id"].value_counts().index[0]
    _edit(company_copy, "current_alignment.csv", lambda f: f[f["unit_id"] != busy_unit])
    with pytest.warns(DataWarning, match="accounts lie in units that current_alignment.csv does not assign"):
        data = load_dataset(company_copy)
    assert data.summary.units_unaligned == 1
    assert data.summary.accounts_unaligned == int((data.accounts["unit_id"] == busy_unit).sum())
    assert any("units without a territory: 1 " in line for line in data.summary.lines())


def test_negative_amounts_are_credits_and_counted(company_copy):
    def credit(frame):
        frame.loc[:2, "amount"] = "-125"

    _edit(company_copy, "sales.csv", credit)
    data = load_dataset(company_copy)
    assert data.summary.credit_rows >= 3
    assert data.summary.credit_total <= -375


def test_more_rows_with_the_same_problem_are_counted():
    raw = pd.DataFrame(
        {c: ["x"] * 4 for c in ACCOUNTS.required}
        | {"employees": ["1", "a", "b", "c"], "revenue_band": ["<1M"] * 4, "zip": ["02139"] * 4}
    )
    raw["account_id"] = ["a1", "a2", "a3", "a4"]
    with pytest.raises(DataValidationError) as caught:
        validate_table(raw, ACCOUNTS)
    assert caught.value.row == 3 and caught.value.more == 2
    assert re.search(r"2 more rows", str(caught.value))


def test_writers_are_atomic(tmp_path):
    target = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"a": [1, 2]}), target)
    assert target.read_text() == "a\n1\n2\n"
    with pytest.raises(ValueError):
        write_json({"bad": float("nan")}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"], "no temporary file is left behind"
    write_json({"x": np.int64(3), "y": np.array([1.5])}, tmp_path / "ok.json")
    assert (tmp_path / "ok.json").read_text().split() == ["{", '"x":', "3,", '"y":', "[", "1.5", "]", "}"]


def test_terrkit_warnings_read_as_messages_about_the_data():
    import warnings

    assert warnings.formatwarning("3 accounts fell back", DataWarning, "/x/potential.py", 436) == (
        "DataWarning: 3 accounts fell back\n"
    )
    assert "/x/y.py:7: UserWarning" in warnings.formatwarning("other", UserWarning, "/x/y.py", 7)


def test_write_all_writes_every_file_or_none(tmp_path):
    from terrkit.io import write_all

    (tmp_path / "b.txt").write_text("old")

    def boom(tmp):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_all({tmp_path / "a.txt": lambda tmp: tmp.write_text("a"), tmp_path / "b.txt": boom})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]  # no a.txt, no temporary file
    assert (tmp_path / "b.txt").read_text() == "old"
    written = write_all(
        {
            tmp_path / "a.txt": lambda tmp: tmp.write_text("a"),
            tmp_path / "b.txt": lambda tmp: tmp.write_text("b"),
        }
    )
    assert written == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["a", "b"]
