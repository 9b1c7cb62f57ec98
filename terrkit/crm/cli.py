"""``terrkit import``: CRM exports in, a terrkit data folder out; and ``terrkit sample --crm``.

::

    terrkit import SOURCE... (--preset NAME | --mapping MAP.yaml) --out DIR [--overwrite]
    terrkit sample --accounts N --seed S --crm salesforce|hubspot|orders --out DIR

``SOURCE`` is an export file, or ``KIND=FILE`` to name its kind (``accounts``, ``sales``, ``reps`` or the
mapping's label, such as ``opportunity``); otherwise the kind is recognised from the header. The import
prints what it read, mapped, aggregated and dropped, with the count of each, and the rules it applied.
Exit codes: 0 success, 2 bad input (one line on stderr naming the file, line, column and value; nothing
is written).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from terrkit.crm.presets import PRESETS

if TYPE_CHECKING:
    from terrkit.io.load import Dataset

EXIT_OK = 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``import`` subcommand on ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(
        "import",
        help="turn CRM exports (Salesforce, HubSpot, order lines) into a terrkit data folder",
        description="Read CRM exports with a preset or a mapping file and write a terrkit data folder "
        "(accounts.csv, sales.csv, reps.csv, current_alignment.csv, dataset.json), all files or none.",
    )
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="export file (CSV); KIND=FILE names its kind (accounts, sales, reps, or a label such as "
        "opportunity), otherwise it is recognised from its header",
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--preset", metavar="NAME", help=f"built-in mapping: {', '.join(PRESETS)}")
    how.add_argument(
        "--mapping", metavar="MAP.yaml", help="mapping file (it may extend a preset with 'extends: NAME')"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="data folder to create")
    p.add_argument("--overwrite", action="store_true", help="replace the folder if it exists")


def run(args: argparse.Namespace) -> int:
    """Run ``terrkit import``: write the folder and print the import report."""
    from terrkit.crm.importing import import_crm

    result = import_crm(
        args.sources, args.out, preset=args.preset, mapping=args.mapping, overwrite=args.overwrite
    )
    for line in result.report.lines():
        print(line)
    return EXIT_OK


def write_sample(company: Dataset, args: argparse.Namespace) -> int:
    """Write a company as ``args.crm`` exports (``terrkit sample --crm``) and say how to import them."""
    from terrkit.crm.exports_sample import CRMS, MAPPING_FILE, write_sample_exports

    paths = write_sample_exports(company, args.crm, args.out, seed=args.seed, overwrite=args.overwrite)
    accounts, reps = len(company.accounts), len(company.reps)
    print(f"wrote {args.crm} exports of a company of {accounts:,} accounts and {reps} reps to {args.out}:")
    for name, path in paths.items():
        rows = sum(1 for _ in path.open(encoding="utf-8-sig")) - 1 if name.endswith(".csv") else None
        print(f"  {name}" + (f" ({rows:,} rows)" if rows is not None else ""))
    csvs = " ".join(str(path) for name, path in paths.items() if name.endswith(".csv"))
    preset = CRMS[args.crm]
    how = f"--preset {preset}" if preset else f"--mapping {paths[MAPPING_FILE]}"
    print(f"import them with: terrkit import {csvs} {how} --out DATA_DIR")
    return EXIT_OK
