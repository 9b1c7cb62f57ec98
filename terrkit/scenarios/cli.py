"""``terrkit scenario``: plan a mid-year event and write the same change files as a realignment.

::

    terrkit scenario rep-leaves DATA [--rep R] [--mode split|hold] --out DIR [common options]
    terrkit scenario rep-joins DATA [--home-zip Z | --home LON,LAT] [--rep-id R] [--name N] --out DIR
    terrkit scenario capacity DATA [--rep R] (--fraction F | --hours H) --out DIR
    terrkit scenario reassign DATA (--account ID=REP | --merge ACQUIRED:ACQUIRER | --file CSV)... --out DIR

Common options: ``--in-force DIR`` (a realignment's deliverables: the alignment in force), ``--balance
call_hours:0.1`` (measures and tolerances), ``--books territory|rep``, ``--lock FILE`` (unit id, territory),
``--time-limit S``, ``--seed N``, ``--max-share S``, ``--period P``. A rep not given is picked from the data
(:mod:`terrkit.scenarios.defaults`). Errors are :class:`~terrkit.exceptions.TerrkitError` (one line, exit 2).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError

EXIT_OK = 0
_EVENTS = ("rep-leaves", "rep-joins", "capacity", "reassign")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``scenario`` subcommand on ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(
        "scenario",
        help="plan a mid-year event (a rep leaves or joins, capacity changes, accounts are reassigned)",
        description="Plan a mid-year event on the alignment in force, moving as little as possible, and "
        "write the realignment's change files (alignment.csv, account_assignments.csv, changes.csv, "
        "rep_movement.csv, "
        "territory_summary.csv) with scenario_comparison.csv and scenario.json.",
    )
    events = p.add_subparsers(dest="event", metavar="EVENT", required=True)
    leaves = _event(events, "rep-leaves", "a rep leaves: split the territory or hold it as a vacancy")
    leaves.add_argument("--rep", metavar="R", help="the rep who leaves (default: picked from the data)")
    leaves.add_argument("--mode", choices=("split", "hold"), default="split", help="default split")
    joins = _event(events, "rep-joins", "a rep joins: carve a territory around their home")
    joins.add_argument("--home-zip", metavar="Z", help="the new rep's home ZIP code (default: picked)")
    joins.add_argument("--home", metavar="LON,LAT", help="the new rep's home as a point")
    joins.add_argument("--rep-id", default="NEW", metavar="R", help="id of the new rep (default NEW)")
    joins.add_argument("--name", metavar="N", help="name of the new rep")
    joins.add_argument("--territory-id", metavar="T", help="id of the new territory (default: the next id)")
    capacity = _event(events, "capacity", "a rep's capacity changes: rebalance around them")
    capacity.add_argument("--rep", metavar="R", help="the rep (default: picked from the data)")
    capacity.add_argument("--fraction", type=float, metavar="F", help="new capacity as a share of today's")
    capacity.add_argument("--hours", type=float, metavar="H", help="new capacity in hours per year")
    reassign = _event(events, "reassign", "accounts are reassigned: apply the change, rebalance the rest")
    reassign.add_argument("--account", action="append", default=[], metavar="ID=REP", help="repeatable")
    reassign.add_argument(
        "--merge", action="append", default=[], metavar="ACQUIRED:ACQUIRER",
        help="the acquired account goes to the acquirer's rep; repeatable",
    )  # fmt: skip
    reassign.add_argument("--file", metavar="CSV", help="account_id, rep_id per line")


def _event(events: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    p = events.add_parser(name, help=text, description=text)
    p.add_argument("data", metavar="DATA", help="dataset folder")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the change files into")
    p.add_argument("--in-force", metavar="DIR", help="a realignment's deliverables (the alignment in force)")
    p.add_argument("--balance", default="call_hours:0.1", metavar="M:TOL,...", help="default call_hours:0.1")
    p.add_argument("--books", choices=("territory", "rep"), default="territory", help="default territory")
    p.add_argument("--lock", metavar="FILE", help="CSV of unit id, territory to keep")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="seconds (default 30)")
    p.add_argument("--seed", type=int, default=0, metavar="N")
    p.add_argument("--max-share", type=float, default=0.2, metavar="S", help="unit layer (default 0.2)")
    p.add_argument("--period", default="", metavar="P", help="revenue period (default the last full year)")
    return p


def read_locks(path: str | None) -> dict[str, str]:
    """``{unit id: territory id}`` from a two-column CSV (empty when no file)."""
    if not path:
        return {}
    if not Path(path).exists():
        raise DataValidationError(path, "lock file does not exist")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if frame.shape[1] < 2:
        raise DataValidationError(path, "a lock file needs two columns: unit id, territory")
    return dict(zip(frame.iloc[:, 0].str.strip(), frame.iloc[:, 1].str.strip(), strict=True))


def reassignments(args: argparse.Namespace, base) -> dict[str, str]:
    """Account id -> rep id from ``--account``, ``--merge`` and ``--file`` (a merger picked when none)."""
    from terrkit.scenarios import defaults
    from terrkit.scenarios.reassign import merger

    out: dict[str, str] = {}
    for item in args.account:
        account, sep, rep = item.partition("=")
        if not sep or not account.strip() or not rep.strip():
            raise ConfigError(f"--account {item!r}: expected ACCOUNT_ID=REP_ID")
        out[account.strip()] = rep.strip()
    for item in args.merge:
        acquired, sep, acquirer = item.partition(":")
        if not sep or not acquired.strip() or not acquirer.strip():
            raise ConfigError(f"--merge {item!r}: expected ACQUIRED_ID:ACQUIRER_ID")
        out.update(merger(base, [acquired.strip()], acquirer.strip()))
    if args.file:
        if not Path(args.file).exists():
            raise DataValidationError(args.file, "file does not exist")
        frame = pd.read_csv(args.file, dtype=str, keep_default_na=False)
        if not {"account_id", "rep_id"} <= set(frame.columns):
            raise DataValidationError(args.file, "needs the columns account_id, rep_id")
        out.update(dict(zip(frame["account_id"].str.strip(), frame["rep_id"].str.strip(), strict=True)))
    if not out:
        acquired, acquirer = defaults.merger_pair(base)
        out = merger(base, [acquired], acquirer)
    return out


def _home(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--home {text!r}: expected LON,LAT in degrees") from None
    return lon, lat


def run(args: argparse.Namespace) -> int:
    """Run ``terrkit scenario EVENT``; errors propagate as TerrkitError (exit code 2)."""
    from terrkit.design.problem.definition import parse_balance_spec
    from terrkit.io import load_dataset
    from terrkit.scenarios import defaults
    from terrkit.scenarios.baseline import prepare_baseline
    from terrkit.scenarios.capacity import capacity_change
    from terrkit.scenarios.deliver import write_scenario
    from terrkit.scenarios.join import rep_joins
    from terrkit.scenarios.leave import rep_leaves
    from terrkit.scenarios.reassign import reassign_accounts

    started = time.perf_counter()
    if args.event == "capacity" and (args.fraction is None) == (args.hours is None):
        raise ConfigError("capacity: give --fraction F or --hours H")
    dataset = load_dataset(args.data)
    base = prepare_baseline(
        dataset, in_force=args.in_force, balance=parse_balance_spec(args.balance), period=args.period,
        max_share=args.max_share, books=args.books,
    )  # fmt: skip
    common = {"locks": read_locks(args.lock), "time_limit": args.time_limit, "seed": args.seed}
    if args.event == "rep-leaves":
        result = rep_leaves(base, args.rep or defaults.leaving_rep(base), mode=args.mode, **common)
    elif args.event == "rep-joins":
        home = _home(args.home)
        zip_code = args.home_zip or (None if home else defaults.joining_home_zip(base))
        result = rep_joins(
            base, home, home_zip=zip_code, rep_id=args.rep_id, name=args.name, territory_id=args.territory_id,
            **common,
        )  # fmt: skip
    elif args.event == "capacity":
        rep = args.rep or defaults.part_time_rep(base)
        result = capacity_change(base, rep, fraction=args.fraction, hours=args.hours, **common)
    else:
        result = reassign_accounts(base, reassignments(args, base), **common)
    paths = write_scenario(result, args.out, base)
    print(result.summary)
    print(
        f"{result.moved['units_changing_rep']:,} units and {result.moved['revenue_changing_rep']:,.0f} "
        "of revenue "
        f"change rep; every territory within its band: {result.meets_target}; "
        f"{time.perf_counter() - started:.1f} s; wrote {len(paths)} files to {args.out}"
    )
    return EXIT_OK
