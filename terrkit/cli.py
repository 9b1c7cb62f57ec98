"""The ``terrkit`` command line.

Every command reports a user error (bad data, bad configuration, an infeasible design)
as one line on stderr and exits with code 2, without a traceback; a failed report run
exits with code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from terrkit import __version__
from terrkit.exceptions import ReportError, ResourceError, TerrkitError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _cmd_sample(args: argparse.Namespace) -> int:
    from terrkit.datasets import generate_company, write_company

    if args.format == "parquet":
        return _write_parquet_sample(args)
    company = generate_company(args.accounts, seed=args.seed, n_reps=args.reps)
    if args.crm:
        from terrkit.crm.cli import write_sample

        return write_sample(company, args)
    folder = write_company(company, args.out, seed=args.seed, overwrite=args.overwrite)
    print(f"wrote a company of {len(company.accounts):,} accounts and {len(company.reps)} reps to {folder}")
    for line in company.summary.lines():
        print(f"  {line}")
    return EXIT_OK


def _write_parquet_sample(args: argparse.Namespace) -> int:
    import json

    from terrkit.datasets import write_company_parquet
    from terrkit.exceptions import ConfigError

    if args.crm:
        raise ConfigError("--crm writes CSV exports; leave out --format parquet")
    folder = write_company_parquet(
        args.out,
        args.accounts,
        seed=args.seed,
        n_reps=args.reps,
        chunk_accounts=args.chunk_accounts,
        overwrite=args.overwrite,
    )
    manifest = json.loads((folder / "dataset.json").read_text())
    print(
        f"wrote a company of {manifest['accounts']:,} accounts, {manifest['sales_rows']:,} sales rows and "
        f"{manifest['reps']} reps to {folder} ({manifest['parts']} Parquet parts)"
    )
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from terrkit.io import load_dataset

    dataset = load_dataset(args.data)
    print(f"{dataset.path}: valid")
    for line in dataset.summary.lines():
        print(f"  {line}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from terrkit.report import run_report

    run = run_report(
        config=args.config, data=args.data, out=args.out, progress=print, engine=args.engine,
        scheduler=args.scheduler,
    )  # fmt: skip
    print(f"report written to {run}")
    return EXIT_OK


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``terrkit`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="terrkit",
        description="Sales territory management: sample data, validation, territory design and reports.",
    )
    parser.add_argument("--version", action="version", version=f"terrkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sample = commands.add_parser("sample", help="generate a realistic company on the US counties")
    sample.add_argument(
        "--accounts", type=_positive_int, default=20_000, help="number of accounts (default 20000)"
    )
    sample.add_argument(
        "--reps", type=_positive_int, default=50, help="approximate number of reps (default 50)"
    )
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.add_argument("--out", required=True, help="folder to create")
    sample.add_argument("--overwrite", action="store_true", help="replace the folder if it exists")
    sample.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="csv (default): one file per table; parquet: accounts/ and sales/ as part files, in chunks",
    )
    sample.add_argument(
        "--chunk-accounts",
        type=_positive_int,
        default=1_000_000,
        help="with --format parquet: accounts per part file, the most held in memory (default 1000000)",
    )
    sample.add_argument(
        "--crm",
        choices=("salesforce", "hubspot", "orders"),
        help="write the company as this CRM's exports (to try terrkit import) instead of a data folder",
    )
    sample.set_defaults(handler=_cmd_sample)

    validate = commands.add_parser("validate", help="check a dataset folder and summarise it")
    validate.add_argument("data", help="folder with accounts.csv, sales.csv, reps.csv, current_alignment.csv")
    validate.set_defaults(handler=_cmd_validate)

    report = commands.add_parser("report", help="run the notebooks into a new report folder")
    report.add_argument("--config", help="YAML file of notebook parameters")
    report.add_argument("--data", help="dataset folder (default: the bundled sample)")
    report.add_argument("--out", help="run folder to create (default: reports/<timestamp>)")
    report.add_argument(
        "--engine", help="pandas or dask: back end of the account-level steps (default pandas)"
    )
    report.add_argument(
        "--scheduler", help="address of a running Dask scheduler (engine dask; default local)"
    )
    report.set_defaults(handler=_cmd_report)

    for name, (register, handler) in _feature_commands().items():
        register(commands)
        commands.choices[name].set_defaults(handler=handler)
    return parser


def _feature_commands() -> dict[str, tuple[Callable[[argparse._SubParsersAction], None], Callable]]:
    """Subcommands that live next to the feature they drive: name -> (register, handler)."""
    from terrkit.crm import cli as crm_cli
    from terrkit.design import cli as design_cli
    from terrkit.scale import cli as scale_cli
    from terrkit.scenarios import cli as scenarios_cli
    from terrkit.units import cli as units_cli

    return {
        "import": (crm_cli.add_parser, crm_cli.run),
        "design": (design_cli.add_parser, design_cli.run),
        "units": (units_cli.add_parser, units_cli.run),
        "score": (scale_cli.add_parser, scale_cli.run),
        "scenario": (scenarios_cli.add_parser, scenarios_cli.run),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ReportError, ResourceError) as err:
        print(f"terrkit {args.command}: {err}", file=sys.stderr)
        return EXIT_FAILED
    except TerrkitError as err:
        print(f"terrkit {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"terrkit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
