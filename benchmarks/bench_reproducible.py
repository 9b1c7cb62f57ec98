"""Same seed, same plan on a quiet and a busy machine: the ZIP instance designed twice.

The experiment of the reproducibility issue: the ZIP benchmark instance (about 30,000 points, 200 territories,
±5%, contiguous, ``--time-limit 60 --seed 1``) is designed once on a quiet machine and once with ``--busy``
CPU-bound processes beside it. Before work budgets, the two runs gave different plans (objective 2,968,337
against 2,976,636). It prints both runs' seconds, objective, work and ``stopped_by``, and whether the
assignments are identical.

Usage::

    python benchmarks/bench_reproducible.py [--time-limit 60] [--seed 1] [--busy 2] [--instance zip|metro:1]
        [--work UNITS]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_work_rate import county_instance, zip_instance  # noqa: E402

from terrkit.design.heuristic.search import solve_heuristic  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--busy", type=int, default=2, help="CPU-bound processes beside the second run")
    ap.add_argument("--instance", default="zip")
    ap.add_argument("--work", type=float, help="work budget (default: from the time limit)")
    args = ap.parse_args(argv)
    if args.instance == "zip":
        data = zip_instance()
    else:
        surface, seed = args.instance.split(":")
        data = county_instance(surface, int(seed))
    runs = []
    for busy in (0, args.busy):
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            out = solve_heuristic(data, time_limit=args.time_limit, seed=args.seed, work=args.work)
        finally:
            for p in burners:
                p.kill()
                p.wait()
        runs.append(out)
        print(
            f"{'quiet' if busy == 0 else f'{busy} busy processes'}: {out.seconds:.1f} s, objective "
            f"{out.objective:,.0f}, balanced {out.balanced}, work {out.work_used:,.0f} of "
            f"{out.work_budget:,.0f} units, stopped by {out.stopped_by}"
        )
    same = np.array_equal(runs[0].labels, runs[1].labels) and runs[0].objective == runs[1].objective
    cut = [r.stopped_by == "time_limit" for r in runs]
    print("identical plans:", "yes" if same else "NO" + (" (the safety stop cut a run)" if any(cut) else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
