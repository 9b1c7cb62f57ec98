"""``terrkit units``: build the mixed county / ZIP cell / named-account unit layer of a dataset.

::

    terrkit units DATA --territories K [--max-share S] [--measures potential,call_hours] --out UNITS.gpkg

The accounts are scored as in the performance review (potential, workload and call hours as of the end of
the last full year), the layer is built so that no unit holds more than ``S`` of a territory's target on
any measure, and written atomically (the file appears whole or not at all). Exit codes: 0 success, 2 bad input
(one line on stderr, no output file).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pandas as pd

from terrkit.exceptions import ConfigError

EXIT_OK = 0
DEFAULT_MEASURES = "potential,call_hours"
_OUT_SUFFIXES = (".gpkg", ".geojson", ".json", ".parquet")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``units`` subcommand on ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(
        "units",
        help="split big counties into ZIP cells and named accounts so that no unit is too big",
        description="Build the mixed unit layer of a dataset: counties, ZIP cells where a county holds more "
        "than --max-share of a territory's target (total / K) on a measure, and named accounts where a cell "
        "still does.",
    )
    p.add_argument("data", metavar="DATA", help="dataset folder (accounts.csv, sales.csv, reps.csv, ...)")
    p.add_argument("--territories", "-k", required=True, metavar="K", help="number of territories")
    p.add_argument(
        "--max-share", default="0.2", metavar="S", help="largest share of a territory per unit (default 0.2)"
    )
    p.add_argument(
        "--measures",
        default=DEFAULT_MEASURES,
        metavar="M1,M2",
        help=f"balance measures, comma-separated (default {DEFAULT_MEASURES})",
    )
    p.add_argument("--out", required=True, metavar="UNITS.gpkg", help="layer file to write (.gpkg, .parquet)")


def _territories(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"--territories must be a whole number >= 1, got {text!r}")
    return value


def _max_share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise ConfigError(f"--max-share must be a number in (0, 1], e.g. 0.2, got {text!r}")
    return value


def _out_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in _OUT_SUFFIXES:
        raise ConfigError(f"--out must end in one of {', '.join(_OUT_SUFFIXES)}, got {text!r}")
    return path


def _measures(text: str, scores: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The requested measure columns, from the scores or else from the accounts' numeric columns."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    pool = pd.concat([scores, accounts.drop(columns=scores.columns, errors="ignore")], axis=1)
    numeric = [c for c in pool.columns if pd.api.types.is_numeric_dtype(pool[c]) and c not in ("lat", "lon")]
    unknown = [name for name in names if name not in numeric]
    if not names or unknown:
        raise ConfigError(
            f"unknown measure {', '.join(unknown) or '(none given)'}; valid measures: {', '.join(numeric)}"
        )
    return pool[names]


def run(args: argparse.Namespace) -> int:
    """Run ``terrkit units``; errors propagate as :class:`~terrkit.exceptions.TerrkitError` (exit code 2)."""
    from terrkit.io import load_dataset, write_geo
    from terrkit.review import resolve_period
    from terrkit.review.pipeline import score_accounts_for_review
    from terrkit.units.dataset import zip_points_for_units
    from terrkit.units.layer import build_unit_layer

    k = _territories(args.territories)
    max_share = _max_share(args.max_share)
    out = _out_path(args.out)
    started = time.perf_counter()
    dataset = load_dataset(args.data)
    period = resolve_period(dataset.periods, "")
    scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, period)
    measures = _measures(args.measures, scores, dataset.accounts)
    prepared = time.perf_counter()
    from terrkit.datasets.bundled import load_zip_points

    points = zip_points_for_units(dataset.units, load_zip_points())
    layer = build_unit_layer(dataset.units, points, dataset.accounts, measures, k, max_share=max_share)
    built = time.perf_counter()
    try:
        write_geo(layer.units, out)
    except OSError as err:
        raise ConfigError(f"cannot write {out}: {err}") from None
    for line in layer.lines():
        print(line)
    print(
        f"{len(layer.units):,} units for {k} territories (max share {max_share:g}) built in "
        f"{built - prepared:.1f} s (loading and scoring {prepared - started:.1f} s); wrote {out}"
    )
    return EXIT_OK
