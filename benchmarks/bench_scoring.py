"""Benchmark: segment and score 1,000,000 generated accounts (target <= 60 s).

Generates a company with :func:`terrkit.datasets.generate_company` (timed separately), then
times the account-level scoring the issue names: current annual sales, ABC tiers on
potential, RFM scores and peer-benchmark potential, plus the aggregation to units.

Run alone on the machine (it is CPU- and memory-heavy)::

    .venv/bin/python benchmarks/bench_scoring.py            # 1,000,000 accounts
    .venv/bin/python benchmarks/bench_scoring.py --accounts 200000 --seed 3
"""

from __future__ import annotations

import argparse
import time
import warnings

from terrkit.datasets import generate_company
from terrkit.exceptions import DataWarning
from terrkit.potential import aggregate_to_units, annual_sales, peer_potential
from terrkit.segment import segment

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    ds = generate_company(args.accounts, seed=args.seed)
    t_gen = time.perf_counter() - t0
    print(f"generate_company({args.accounts:,}, seed={args.seed}): {t_gen:.1f} s "
          f"({len(ds.sales):,} sales rows, {len(ds.reps)} reps)")  # fmt: skip

    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    t = time.perf_counter()
    current = annual_sales(ds.accounts, ds.sales)
    timings["annual sales"] = time.perf_counter() - t

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        pot = peer_potential(ds.accounts, current, quantile=0.8)
    timings["peer-benchmark potential"] = time.perf_counter() - t

    t = time.perf_counter()
    abc = segment(ds.accounts, "abc", value=pot.accounts["potential"])
    timings["ABC tiers"] = time.perf_counter() - t

    t = time.perf_counter()
    rfm = segment(ds.accounts, "rfm", sales=ds.sales)
    timings["RFM scores"] = time.perf_counter() - t

    t = time.perf_counter()
    scored = pot.accounts.assign(unit_id=ds.accounts["unit_id"].to_numpy())
    units = aggregate_to_units(scored, ds.units)
    timings["aggregate to units"] = time.perf_counter() - t

    total = time.perf_counter() - t_all
    for name, sec in timings.items():
        print(f"  {name:<26s} {sec:6.1f} s")
    print(f"segment and score {args.accounts:,} accounts: {total:.1f} s (target <= {TARGET_SECONDS:.0f} s) "
          f"-> {'OK' if total <= TARGET_SECONDS else 'TOO SLOW'}")  # fmt: skip
    tiers = abc.labels[abc.column].value_counts().sort_index().to_dict()
    segs = rfm.labels["rfm_segment"].value_counts().to_dict()
    print(f"  tiers {tiers}; RFM segments {segs}")
    print(f"  potential {pot.accounts['potential'].sum():,.0f}, sales {current.sum():,.0f}, "
          f"{(units['n_accounts'] > 0).sum():,} units with accounts")  # fmt: skip


if __name__ == "__main__":
    main()
