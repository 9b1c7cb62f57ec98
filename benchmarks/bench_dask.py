"""Benchmark: score 20,000,000 accounts with their quarterly sales on Dask, within 8 GB (issue 15).

Three measurements, each a ``terrkit score`` run in its own process whose whole process tree (client,
scheduler, workers) is sampled for memory every 0.2 s:

1. **pandas**, the in-memory path, on 1,000,000 accounts: its throughput (accounts per second) is
   the yardstick;
2. **dask** on 20,000,000 accounts, 2 local worker processes with ``--memory-limit`` each: time,
   throughput and peak memory of the tree (target <= 8 GB);
3. **scaling**: the same Dask run on ``--scaling-accounts`` accounts with 1 worker and with 2.

The companies are generated first with ``terrkit sample --format parquet`` (parts of 250,000
accounts, ``--chunk-accounts``: a part is one Dask partition, and validating a part of a million accounts
with its sales takes more than a 3 GB worker; kept in ``--root`` and reused by later runs). Run alone on the
machine: it uses both cores for about half an hour::

    .venv/bin/python benchmarks/bench_dask.py
    .venv/bin/python benchmarks/bench_dask.py --accounts 4000000 --scaling-accounts 1000000   # quicker
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

TARGET_PEAK_GB = 8.0
RESULTS = Path(__file__).resolve().parent / "results" / "bench_dask.json"


def ensure_company(root: Path, accounts: int, seed: int, chunk: int) -> tuple[Path, float]:
    """The Parquet company of ``accounts`` accounts under ``root`` (made when missing), and seconds taken."""
    from terrkit.datasets.chunked import write_company_parquet

    folder = root / f"company_{accounts}_seed{seed}_chunk{chunk}"
    manifest = folder / "dataset.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("accounts") == accounts:
        return folder, 0.0
    started = time.perf_counter()
    write_company_parquet(folder, accounts, seed, chunk_accounts=chunk, overwrite=True)
    return folder, time.perf_counter() - started


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_score(data: Path, out: Path, engine: str, workers: int | None, memory_limit: str | None) -> dict:
    """Run ``terrkit score`` in a child process; its scoring.json plus the peak memory of its tree."""
    command = [sys.executable, "-m", "terrkit.cli", "score", str(data), "--out", str(out), "--engine", engine]
    command += ["--overwrite"]
    if workers:
        command += ["--workers", str(workers)]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    watched = psutil.Process(child.pid)

    def watch() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], tree_rss(watched))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = child.communicate()
    watcher.join()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise SystemExit(f"terrkit score failed ({engine}, {workers} workers):\n{tail}")
    summary = json.loads((out / "scoring.json").read_text())
    summary.update(wall_seconds=round(wall, 1), peak_gb=round(peak[0] / 1024**3, 2), workers=workers)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000_000, help="accounts of the Dask run")
    parser.add_argument("--pandas-accounts", type=int, default=1_000_000, help="accounts of the pandas run")
    parser.add_argument("--scaling-accounts", type=int, default=2_000_000, help="accounts of the 1 vs 2 runs")
    parser.add_argument("--memory-limit", default="3GB", help="memory per Dask worker (default 3GB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--chunk-accounts", type=int, default=250_000, help="accounts per Parquet part (one Dask partition)"
    )
    parser.add_argument("--root", default="/tmp/terrkit-bench-dask", help="where the companies are kept")
    args = parser.parse_args()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)

    runs: list[dict] = []
    sizes = sorted({args.pandas_accounts, args.scaling_accounts, args.accounts})
    companies = {}
    for n in sizes:
        companies[n], seconds = ensure_company(root, n, args.seed, args.chunk_accounts)
        made = f"generated in {seconds:.0f} s" if seconds else "reused"
        print(f"company of {n:,} accounts: {companies[n]} ({made})")

    plan = [
        ("pandas", args.pandas_accounts, None),
        ("dask", args.accounts, 2),
        ("dask", args.scaling_accounts, 1),
        ("dask", args.scaling_accounts, 2),
    ]
    for engine, n, workers in plan:
        label = f"{engine} {n:,} accounts" + (f", {workers} worker(s)" if workers else "")
        print(f"running {label} ...", flush=True)
        limit = args.memory_limit if engine == "dask" else None
        result = run_score(companies[n], root / f"scored_{engine}_{n}_{workers}", engine, workers, limit)
        result["label"] = label
        runs.append(result)
        print(
            f"  {result['seconds']['total']:.1f} s ({result['seconds']['score accounts']:.1f} s scoring), "
            f"{result['accounts_per_second']:,.0f} accounts/s, peak {result['peak_gb']:.2f} GB",
            flush=True,
        )

    pandas_rate = runs[0]["accounts_per_second"]
    big, one, two = runs[1], runs[2], runs[3]
    print()
    print(f"{'run':<40s} {'seconds':>8s} {'accounts/s':>11s} {'vs pandas':>9s} {'peak GB':>8s}")
    for r in runs:
        ratio = r["accounts_per_second"] / pandas_rate
        print(
            f"{r['label']:<40s} {r['seconds']['total']:8.1f} {r['accounts_per_second']:11,.0f} "
            f"{ratio:8.2f}x {r['peak_gb']:8.2f}"
        )
    verdict = "OK" if big["peak_gb"] <= TARGET_PEAK_GB else "OVER"
    target = f"target <= {TARGET_PEAK_GB:.0f} GB"
    print(f"\n{args.accounts:,} accounts on Dask: peak {big['peak_gb']:.2f} GB ({target}) -> {verdict}")
    speedup = one["seconds"]["total"] / two["seconds"]["total"]
    print(f"scaling on {args.scaling_accounts:,} accounts: 2 workers {speedup:.2f}x faster than 1")
    counted = "all" if big["accounts"] == args.accounts else f"ONLY {big['accounts']:,}"
    print(f"big run: {counted} accounts summed into {big['units_with_accounts']:,} units")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": runs, "args": vars(args)}, indent=2) + "\n")
    print(f"figures written to {RESULTS}")


if __name__ == "__main__":
    main()
