"""Partitioned Parquet: the chunked sample writer, loading on pandas and Dask, errors naming the part file."""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import terrkit.io.parts as parts_module
from terrkit.cli import main
from terrkit.datasets import chunked, write_company_parquet
from terrkit.exceptions import DataValidationError
from terrkit.io import load_dataset
from terrkit.scale.backend import compute, is_dask

N_ACCOUNTS, CHUNK = 1_000, 200  # five parts of 200 accounts


@pytest.fixture(scope="module")
def client():
    """A small in-process cluster: errors and results travel the way they do on a real one."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    with Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def parquet_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parquet") / "company"
    return write_company_parquet(folder, N_ACCOUNTS, seed=5, n_reps=12, chunk_accounts=CHUNK)


@pytest.fixture
def parquet_copy(parquet_company: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(parquet_company, target)
    return target


def _load(path: Path, engine: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(path, engine=engine)


def _tables(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    accounts, sales = compute(data.accounts, data.sales)
    return accounts.reset_index(drop=True), sales.reset_index(drop=True)


# --- the chunked writer ------------------------------------------------------------------------------


def test_writer_lays_out_parts_and_manifest(parquet_company):
    names = [f"part-{i:05d}.parquet" for i in range(5)]
    assert sorted(p.name for p in (parquet_company / "accounts").iterdir()) == names
    assert sorted(p.name for p in (parquet_company / "sales").iterdir()) == names
    manifest = json.loads((parquet_company / "dataset.json").read_text())
    assert manifest["format"] == "parquet"
    assert (manifest["chunk_accounts"], manifest["parts"], manifest["accounts"]) == (CHUNK, 5, N_ACCOUNTS)
    accounts = [pd.read_parquet(parquet_company / "accounts" / n) for n in names]
    sales = [pd.read_parquet(parquet_company / "sales" / n) for n in names]
    assert [len(a) for a in accounts] == [CHUNK] * 5
    assert sum(len(s) for s in sales) == manifest["sales_rows"]
    # chunk i's sales belong to chunk i's accounts
    for acc, sal in zip(accounts, sales, strict=True):
        assert sal["account_id"].isin(acc["account_id"]).all()
    ids = pd.concat(accounts)["account_id"]
    assert ids.is_unique and ids.is_monotonic_increasing
    assert ids.iloc[0] == "A0000001" and ids.iloc[-1] == "A0001000"
    reps = pd.read_csv(parquet_company / "reps.csv")
    assert (reps["quota"] > 0).all() and len(reps) == manifest["reps"]


def test_writer_is_deterministic_and_chunk_size_matters(parquet_company, tmp_path):
    again = write_company_parquet(tmp_path / "again", N_ACCOUNTS, seed=5, n_reps=12, chunk_accounts=CHUNK)
    for file in sorted(p.relative_to(parquet_company) for p in parquet_company.rglob("*") if p.is_file()):
        assert (again / file).read_bytes() == (parquet_company / file).read_bytes(), file
    other = write_company_parquet(tmp_path / "other", N_ACCOUNTS, seed=5, n_reps=12, chunk_accounts=300)
    sizes = [len(pd.read_parquet(p)) for p in sorted((other / "accounts").glob("*.parquet"))]
    assert sizes == [300, 300, 300, 100]


def test_ids_widen_beyond_seven_digits():
    assert chunked.chunk_sizes(25, 10) == [10, 10, 5]
    from terrkit.datasets.generator import _ids

    ids = _ids("A", np.array([9_999_999, 10_000_000]), max(7, len(str(10_000_000))))
    assert list(ids) == ["A09999999", "A10000000"] and sorted(ids) == list(ids)


def test_writer_leaves_nothing_when_a_part_fails(tmp_path, monkeypatch):
    calls = []
    real = chunked._write_table

    def fail_on_third(frame, schema, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        real(frame, schema, path)

    monkeypatch.setattr(chunked, "_write_table", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        write_company_parquet(tmp_path / "broken", 300, seed=1, chunk_accounts=100)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_parquet_and_reports_errors_on_one_line(tmp_path, capsys):
    out = tmp_path / "pq"
    code = main(
        ["sample", "--accounts", "500", "--reps", "8", "--format", "parquet", "--chunk-accounts", "200"]
        + ["--out", str(out)]
    )
    assert code == 0
    assert "500 accounts" in capsys.readouterr().out
    assert len(list((out / "accounts").glob("*.parquet"))) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["validate", str(out)]) == 0
    assert "accounts: 500 " in capsys.readouterr().out
    assert main(["sample", "--accounts", "500", "--format", "parquet", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "already exists" in err


# --- loading -------------------------------------------------------------------------------------------


def test_pandas_and_dask_load_the_same_parquet_company(parquet_company, client):
    on_pandas, on_dask = _load(parquet_company, "pandas"), _load(parquet_company, "dask")
    assert is_dask(on_dask.accounts) and is_dask(on_dask.sales) and not is_dask(on_dask.reps)
    assert on_dask.accounts.npartitions == on_dask.sales.npartitions == 5
    accounts, sales = _tables(on_dask)
    pd.testing.assert_frame_equal(accounts, on_pandas.accounts)
    pd.testing.assert_frame_equal(sales, on_pandas.sales)
    assert on_dask.summary == on_pandas.summary
    assert on_pandas.summary.accounts == N_ACCOUNTS
    assert on_pandas.summary.sales_total == pytest.approx(on_pandas.sales["amount"].sum())
    assert on_dask.periods == on_pandas.periods


def test_csv_and_parquet_give_the_same_validated_tables(small_company_dir, tmp_path, client):
    """The CSV company rewritten as Parquet parts (and as one Parquet file) loads to the same frames."""
    from_csv = _load(small_company_dir, "pandas")
    folder = tmp_path / "as_parquet"
    shutil.copytree(small_company_dir, folder)
    raw_accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    raw_accounts[["employees", "lat", "lon"]] = raw_accounts[["employees", "lat", "lon"]].astype(float)
    (folder / "accounts.csv").unlink()
    (folder / "accounts").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(raw_accounts)), 3)):
        raw_accounts.iloc[part].to_parquet(folder / "accounts" / f"part-{i:05d}.parquet", index=False)
    pd.read_csv(folder / "sales.csv", dtype={"account_id": str, "period": str}).to_parquet(
        folder / "sales.parquet", index=False
    )
    (folder / "sales.csv").unlink()
    for engine in ("pandas", "dask"):
        data = _load(folder, engine)
        accounts, sales = _tables(data)
        pd.testing.assert_frame_equal(accounts, from_csv.accounts)
        pd.testing.assert_frame_equal(sales, from_csv.sales)
        assert data.summary == from_csv.summary
    accounts, sales = _tables(_load(small_company_dir, "dask"))
    pd.testing.assert_frame_equal(accounts, from_csv.accounts)
    pd.testing.assert_frame_equal(sales, from_csv.sales)


# --- errors name the part file and the row in it ---------------------------------------------------


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_bad_value_in_part_3_names_the_part_row_column_and_value(parquet_copy, engine, client):
    path = parquet_copy / "accounts" / "part-00003.parquet"
    part = pd.read_parquet(path)
    part.loc[6, "employees"] = -5.0  # the 7th row of the part
    part.loc[9, "employees"] = -1.0
    part.to_parquet(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        _load(parquet_copy, engine)
    err = caught.value
    assert (err.file, err.column, err.row, err.value, err.more) == (
        "accounts/part-00003.parquet",
        "employees",
        7,
        -5.0,
        1,
    )
    assert str(err).startswith("accounts/part-00003.parquet, column 'employees', row 7: value -5.0: is below")


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_sales_of_an_unknown_account_name_the_sales_part(parquet_copy, engine, client):
    path = parquet_copy / "sales" / "part-00002.parquet"
    part = pd.read_parquet(path)
    part.loc[4, "account_id"] = "A9999999"
    part.to_parquet(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        _load(parquet_copy, engine)
    err = caught.value
    assert (err.file, err.column, err.row, err.value) == (
        "sales/part-00002.parquet",
        "account_id",
        5,
        "A9999999",
    )
    assert "is not in accounts/" in str(err)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_an_id_repeated_in_two_parts_is_named(parquet_copy, engine, client):
    path = parquet_copy / "accounts" / "part-00004.parquet"
    part = pd.read_parquet(path)
    part.loc[2, "account_id"] = "A0000402"  # the 2nd row of part 2
    part.to_parquet(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        _load(parquet_copy, engine)
    err = caught.value
    assert (err.file, err.column, err.row, err.value) == (
        "accounts/part-00002.parquet",
        "account_id",
        2,
        "A0000402",
    )
    assert "also in accounts/part-00004.parquet, row 3" in str(err)


def test_dask_csv_blocks_report_the_same_line_as_pandas(company_copy, monkeypatch, client):
    sales = pd.read_csv(company_copy / "sales.csv", dtype=str)
    sales.loc[len(sales) - 10, "period"] = "2024Q5"
    sales.to_csv(company_copy / "sales.csv", index=False)
    monkeypatch.setattr(parts_module, "CSV_BLOCKSIZE", "20KB")  # many blocks
    messages = []
    for engine in ("pandas", "dask"):
        with pytest.raises(DataValidationError) as caught:
            _load(company_copy, engine)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert f"line {len(sales) - 10 + 2}" in messages[0]


def test_validation_error_survives_pickling():
    err = DataValidationError(
        "accounts/part-00001.parquet", "is bad", column="zip", row=3, value="x", more=2, row_label="row"
    )
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is DataValidationError and str(back) == str(err)
    assert (back.file, back.column, back.row, back.value, back.more, back.row_label) == (
        err.file,
        err.column,
        err.row,
        err.value,
        err.more,
        err.row_label,
    )


def test_a_folder_without_accounts_is_named(tmp_path):
    (tmp_path / "accounts").mkdir()
    with pytest.raises(DataValidationError, match="holds no .parquet part files"):
        load_dataset(tmp_path)
