"""``terrkit score``: score every account and sum to units, on pandas or on a Dask cluster.

::

    terrkit score DATA --out FOLDER [--engine pandas|dask]
                  [--scheduler ADDRESS | --workers N --memory-limit SIZE]

The headless path for companies too big for one machine's memory: the account-level steps
(:func:`terrkit.workload.score_accounts`) run on the chosen engine, and only the unit totals, which
the territory design needs, are brought into memory. ``FOLDER`` receives

* ``units_scored.csv``: accounts, customers, sales, potential, whitespace, workload per unit;
* ``accounts_scored.csv`` (pandas) or ``accounts_scored/part-*.parquet`` (Dask, one file per
  partition): every account's segments, potential and workload;
* ``scoring.json``: engine, cluster, as-of quarter, counts, totals and the time of each step.

The folder appears whole or not at all. With ``--engine dask`` and no ``--scheduler`` a local
cluster sized to the machine is started; the Dask dashboard's address is printed, and a progress bar
follows the long step. Exit codes: 0 success, 1 a worker ran out of memory (one line on stderr saying what
to change), 2 bad input (one line on stderr); nothing is written unless the run succeeds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from terrkit.exceptions import ConfigError, DataWarning, ResourceError
from terrkit.scale.backend import ENGINES, check_engine, dashboard_link, is_dask, persist_with_progress

EXIT_OK = 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``score`` subcommand on ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(
        "score",
        help="score every account (segments, potential, workload) and sum to units, on pandas or Dask",
        description="Score every account of a dataset and sum the measures to units. With --engine dask the "
        "account-level steps run on a Dask cluster (local, or the one at --scheduler) and only the unit "
        "totals are brought into memory.",
    )
    p.add_argument("data", metavar="DATA", help="dataset folder (CSV files or partitioned Parquet)")
    p.add_argument("--out", required=True, metavar="FOLDER", help="folder to create for the scored files")
    p.add_argument("--engine", default="pandas", help=f"{' or '.join(ENGINES)} (default pandas)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (engine dask)")
    p.add_argument(
        "--workers", type=int, metavar="N", help="local Dask worker processes (default: one per core)"
    )
    p.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="memory per local Dask worker, e.g. 3GB (default: a share of RAM)",
    )
    p.add_argument("--as-of", metavar="YYYYQn", help="last quarter measured (default: the latest with sales)")
    p.add_argument("--overwrite", action="store_true", help="replace FOLDER if it exists")


def run(args: argparse.Namespace) -> int:
    """Handle ``terrkit score``; a :class:`~terrkit.exceptions.TerrkitError` becomes the CLI's one line."""
    engine = check_engine(args.engine)
    if args.scheduler and engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")
    final = Path(args.out)
    if final.exists() and not args.overwrite:
        raise ConfigError(f"{final} already exists; choose another --out or pass --overwrite")
    client = None
    if engine == "dask":
        from terrkit.scale.backend import start_client

        client = start_client(args.scheduler, workers=args.workers, memory_limit=args.memory_limit)
        print(f"Dask dashboard: {dashboard_link(client) or 'not served'}")
    try:
        summary = score_dataset(args.data, final, engine=engine, as_of=args.as_of, say=print)
    except Exception as err:
        from distributed import KilledWorker  # imported only on failure: a pandas run never loads it

        if not isinstance(err, KilledWorker):
            raise
        raise ResourceError(
            "a Dask worker died while scoring, most often because one partition needs more memory than a "
            "worker has; give each worker more (--memory-limit) or write the data in smaller parts "
            f"(terrkit sample --chunk-accounts, or smaller Parquet files). Dask said: {err}"
        ) from None
    finally:
        if client is not None:
            client.close()
    print(
        f"scored {summary['accounts']:,} accounts in {summary['seconds']['total']:.1f} s "
        f"({summary['accounts_per_second']:,.0f} accounts/s, engine {engine}); wrote {final}"
    )
    return EXIT_OK


def score_dataset(
    data: str | Path, out: str | Path, *, engine: str = "pandas", as_of: str | None = None, say: Any = print
) -> dict[str, Any]:
    """Load, score and sum a dataset to units, and write the scored files into ``out`` (all or none).

    Parameters
    ----------
    data : path
        Dataset folder (:func:`terrkit.io.load_dataset`).
    out : path
        Folder to create (replaced when it exists).
    engine : {"pandas", "dask"}
        Back end of the account-level steps; Dask uses the current ``distributed`` client, if any.
    as_of : str, optional
        Last quarter measured.
    say : callable
        Receives one line per step.

    Returns
    -------
    dict
        What ``scoring.json`` holds: counts, totals, the as-of quarter and seconds per step.
    """
    from terrkit import io as tio
    from terrkit.io import load_dataset
    from terrkit.potential import aggregate_to_units
    from terrkit.workload import FILE_COLUMNS, SCORED_COLUMNS, score_accounts

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    dataset = load_dataset(data, engine=engine)
    seconds["load and validate"] = time.perf_counter() - started
    counts = dataset.summary
    say(f"loaded {data} ({engine}): {counts.accounts:,} accounts, {counts.sales_rows:,} sales rows")

    step = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # peer fallbacks: counted in the potential notebook
        # the loader's summary knows the latest quarter: one pass less over the sales rows
        as_of = as_of or counts.last_period
        scored, info = score_accounts(dataset.accounts, dataset.sales, dataset.reps, as_of=as_of)
    columns = [c for c in SCORED_COLUMNS if c in scored.columns]
    scored = persist_with_progress(scored[columns])
    seconds["score accounts"] = time.perf_counter() - step

    step = time.perf_counter()
    units = aggregate_to_units(scored, dataset.units.drop(columns="geometry", errors="ignore"))
    seconds["sum to units"] = time.perf_counter() - step

    with tio.staged_folder(out) as staging:
        step = time.perf_counter()
        files = scored.rename(columns=FILE_COLUMNS)
        text = {c: "string" for c, kind in files.dtypes.items() if pd.api.types.is_object_dtype(kind)}
        files = files.astype(text)  # a typed Parquet schema: Dask cannot infer one from generic objects
        if is_dask(files):
            files.to_parquet(
                staging / "accounts_scored",
                write_index=False,
                name_function=lambda i: f"part-{i:05d}.parquet",
            )
        else:
            files.to_csv(staging / "accounts_scored.csv", index=False)
        units.rename(columns=FILE_COLUMNS).to_csv(staging / "units_scored.csv", index=False)
        seconds["write"] = time.perf_counter() - step
        seconds["total"] = time.perf_counter() - started
        n_accounts = int(units["n_accounts"].sum())
        summary = {
            "engine": engine,
            "as_of": info["rules"].as_of,
            "accounts": n_accounts,
            "units": int(len(units)),
            "units_with_accounts": int((units["n_accounts"] > 0).sum()),
            "totals": {c: float(units[c].sum()) for c in ("sales", "potential", "whitespace", "workload")},
            "seconds": {k: round(v, 2) for k, v in seconds.items()},
            "accounts_per_second": n_accounts / max(seconds["total"], 1e-9),
        }
        tio.write_json(summary, staging / "scoring.json")
    for name, value in seconds.items():
        say(f"  {name:<18s} {value:8.1f} s")
    return summary
