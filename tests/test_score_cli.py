"""``terrkit score`` and the report's engine settings (pandas or Dask)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from terrkit.cli import main
from terrkit.datasets.bundled import sample_dir
from terrkit.exceptions import ConfigError
from terrkit.report import load_config, resolve_parameters


@pytest.fixture(scope="module")
def parquet_company(tmp_path_factory):
    from terrkit.datasets.chunked import write_company_parquet

    return write_company_parquet(
        tmp_path_factory.mktemp("parquet") / "company", 3000, seed=4, chunk_accounts=1000
    )


def _score(data, out, *extra):
    return main(["score", str(data), "--out", str(out), *extra])


@pytest.mark.filterwarnings("ignore::terrkit.exceptions.DataWarning")
def test_score_on_pandas_writes_every_file_and_the_totals_match(tmp_path, capsys):
    from terrkit.io import load_dataset
    from terrkit.workload import score_accounts

    assert _score(sample_dir(), tmp_path / "scored") == 0
    folder = tmp_path / "scored"
    assert sorted(p.name for p in folder.iterdir()) == [
        "accounts_scored.csv",
        "scoring.json",
        "units_scored.csv",
    ]
    summary = json.loads((folder / "scoring.json").read_text())
    ds = load_dataset(None)
    scored, _ = score_accounts(ds.accounts, ds.sales, ds.reps)
    units = pd.read_csv(folder / "units_scored.csv", dtype={"unit_id": str})
    accounts = pd.read_csv(folder / "accounts_scored.csv", dtype={"account_id": str})
    assert summary["engine"] == "pandas" and summary["accounts"] == len(ds.accounts) == len(accounts)
    assert units["n_accounts"].sum() == len(ds.accounts)
    assert units["potential"].sum() == pytest.approx(scored["potential"].sum(), rel=1e-12)
    assert units["workload_hours_per_year"].sum() == pytest.approx(scored["workload"].sum(), rel=1e-12)
    assert summary["totals"]["sales"] == pytest.approx(scored["sales"].sum(), rel=1e-12)
    assert "accounts/s" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::terrkit.exceptions.DataWarning")
def test_score_on_a_local_dask_cluster_equals_pandas(parquet_company, tmp_path, capsys):
    assert _score(parquet_company, tmp_path / "pandas") == 0
    assert _score(parquet_company, tmp_path / "dask", "--engine", "dask", "--workers", "1") == 0
    out = capsys.readouterr().out
    assert "Dask dashboard: http" in out
    on_pandas = pd.read_csv(tmp_path / "pandas" / "units_scored.csv", dtype={"unit_id": str})
    on_dask = pd.read_csv(tmp_path / "dask" / "units_scored.csv", dtype={"unit_id": str})
    pd.testing.assert_frame_equal(on_pandas, on_dask)
    parts = sorted((tmp_path / "dask" / "accounts_scored").glob("part-*.parquet"))
    accounts = pd.concat([pd.read_parquet(p) for p in parts]).sort_values("account_id")
    flat = pd.read_csv(tmp_path / "pandas" / "accounts_scored.csv", dtype={"account_id": str, "unit_id": str})
    flat = flat.sort_values("account_id")
    assert len(accounts) == len(flat) == 3000
    assert (
        accounts["abc_tier_by_potential"].astype(str).to_numpy() == flat["abc_tier_by_potential"].to_numpy()
    ).all()
    assert np.array_equal(accounts["potential"].to_numpy(), flat["potential"].to_numpy())
    assert json.loads((tmp_path / "dask" / "scoring.json").read_text())["engine"] == "dask"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "spark"], "engine must be one of pandas, dask; got 'spark'"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
    ],
)
def test_score_refuses_bad_options_in_one_line_and_writes_nothing(tmp_path, capsys, extra, message):
    assert _score(sample_dir(), tmp_path / "out", *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_score_keeps_an_existing_folder_unless_told(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert _score(sample_dir(), tmp_path / "out") == 2
    assert "already exists" in capsys.readouterr().err


def test_report_config_takes_the_engine_at_the_top_level(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("engine: Dask\nscheduler: tcp://10.0.0.5:8786\n")
    config = load_config(good)
    assert (config.engine, config.scheduler) == ("dask", "tcp://10.0.0.5:8786")
    assert load_config(None).engine == "pandas"
    bad = tmp_path / "bad.yaml"
    bad.write_text("engine: spark\n")
    with pytest.raises(ConfigError, match="engine must be one of pandas, dask"):
        load_config(bad)
    nested = tmp_path / "nested.yaml"
    nested.write_text("parameters:\n  engine: dask\n")
    from terrkit.report import discover_notebooks

    with pytest.raises(ConfigError, match="top-level key 'engine'"):
        resolve_parameters(load_config(nested), discover_notebooks())


def test_a_worker_out_of_memory_is_one_line_saying_what_to_change(tmp_path, capsys, monkeypatch):
    from distributed.scheduler import KilledWorker

    import terrkit.scale.cli as score_cli

    def dies(*_args, **_kwargs):
        raise KilledWorker("('validate', 3)", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)

    monkeypatch.setattr(score_cli, "score_dataset", dies)
    assert _score(sample_dir(), tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "--memory-limit" in err and "--chunk-accounts" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
