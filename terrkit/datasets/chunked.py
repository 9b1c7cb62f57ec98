"""A generated company written as partitioned Parquet, in chunks of accounts (bounded memory).

:func:`write_company_parquet` writes the company :func:`~terrkit.datasets.generate_company` would
describe, for tens of millions of accounts, holding one chunk of accounts and its sales at a time::

    out/
      accounts/part-00000.parquet, part-00001.parquet, ...   (chunk i's accounts)
      sales/part-00000.parquet, ...                          (the sales of chunk i's accounts)
      reps.csv, current_alignment.csv, dataset.json

How the chunked draw differs from :func:`~terrkit.datasets.generate_company` (it is the same market,
drawn honestly without holding every account):

* **Seeds.** ``numpy.random.SeedSequence(seed).spawn(parts + 1)``: the first child draws what belongs
  to the whole company (the ZIP weights, the regional industry mix, the reps, the quotas), child
  ``i + 1`` draws chunk ``i``. Same seed and chunk size give identical files; another chunk size
  gives another (equally valid) company.
* **Alignment**: drawn once from county and ZIP counts, as in the in-memory generator (it never
  depended on the accounts).
* **Rep homes**: the territory's ZIP code with the most *expected* accounts (ZIP probability times
  the number of accounts) instead of the most drawn accounts.
* **Rep load** (which lowers the share of wallet of overloaded reps): exact. A first pass draws every
  chunk's accounts and owners and sums the call hours per rep; the second pass redraws each chunk from
  the same seed (identical accounts) and draws its potential, share of wallet and sales.
* **Quotas**: each rep's last-year sales summed over the chunks of the second pass, then drawn once.
* **Account ids** ``A0000001`` ... have at least 7 digits and more when the company needs them, so they
  stay unique and sort in generation order across chunks.

The Parquet columns have the types the CSV loader gives after validation: text as strings, numbers
(``employees`` too) as float64.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from terrkit.datasets.bundled import load_counties, load_zip_points
from terrkit.datasets.generator import (
    ACCOUNT_ID_WIDTH,
    GENERATOR_VERSION,
    QUARTERS,
    _account_columns,
    _draw_reps,
    _draw_sales,
    _owners,
    _pick_zips,
    _potential,
    _regional_mix,
    _share_given_load,
    _state_line_alignment,
    _zip_weights,
    last_year_by_owner,
    quotas_from_book,
    relative_load,
    rep_hours,
)
from terrkit.exceptions import TerrkitError
from terrkit.io.load import BUNDLED_UNITS, MANIFEST
from terrkit.io.write import staged_folder

#: Accounts per chunk by default: a chunk and its sales (about 6 rows per account) take about 2 GB.
DEFAULT_CHUNK_ACCOUNTS = 1_000_000
#: The smallest company (as for :func:`~terrkit.datasets.generate_company`).
MIN_ACCOUNTS = 100

ACCOUNT_COLUMNS = (
    "account_id name industry employees revenue_band zip city state unit_id lat lon owner_rep_id".split()
)
_NUMERIC = {"employees", "lat", "lon", "amount"}

#: Parquet schemas: text as strings, every number as float64 (what the CSV loader gives after validation).
ACCOUNTS_SCHEMA = pa.schema([(c, pa.float64() if c in _NUMERIC else pa.string()) for c in ACCOUNT_COLUMNS])
SALES_SCHEMA = pa.schema([("account_id", pa.string()), ("period", pa.string()), ("amount", pa.float64())])


def part_name(index: int) -> str:
    """File name of part ``index`` (``part-00003.parquet``)."""
    return f"part-{index:05d}.parquet"


def write_company_parquet(
    out: str | os.PathLike,
    n_accounts: int,
    seed: int = 0,
    *,
    n_reps: int = 50,
    chunk_accounts: int = DEFAULT_CHUNK_ACCOUNTS,
    overwrite: bool = False,
) -> Path:
    """Generate a company chunk by chunk and write it as partitioned Parquet, all files or none.

    Parameters
    ----------
    out : path
        Destination folder. It must not exist unless ``overwrite`` is true.
    n_accounts : int
        Number of accounts (at least 100).
    seed : int, default 0
        Seed of every draw (see the module docstring for how chunks are seeded).
    n_reps : int, default 50
        Approximate number of reps.
    chunk_accounts : int, default 1_000_000
        Accounts per part file; at most one chunk and its sales are in memory at a time.
    overwrite : bool, default False
        Replace an existing folder.

    Returns
    -------
    pathlib.Path
        The folder written; its ``dataset.json`` records the sizes, the parts and the seed.
    """
    if n_accounts < MIN_ACCOUNTS:
        raise TerrkitError(f"--accounts must be at least {MIN_ACCOUNTS}, got {n_accounts}")
    if chunk_accounts < 1:
        raise TerrkitError(f"--chunk-accounts must be a positive number, got {chunk_accounts}")
    if not 2 <= n_reps <= 1000:
        raise TerrkitError(f"--reps must be between 2 and 1000, got {n_reps}")
    final = Path(out)
    if final.exists() and not overwrite:
        raise TerrkitError(f"{final} already exists; choose another --out or pass --overwrite")
    with staged_folder(final) as staging:
        manifest = _write_parts(staging, n_accounts, seed, n_reps, chunk_accounts)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return final


def chunk_sizes(n_accounts: int, chunk_accounts: int) -> list[int]:
    """Accounts in each chunk: full chunks, the last one holding the rest."""
    full, rest = divmod(n_accounts, chunk_accounts)
    return [chunk_accounts] * full + ([rest] if rest else [])


def _write_parts(staging: Path, n_accounts: int, seed: int, n_reps: int, chunk_accounts: int) -> dict:
    sizes = chunk_sizes(n_accounts, chunk_accounts)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes) + 1)
    company_rng = np.random.default_rng(seeds[0])
    counties = load_counties()
    zips = load_zip_points(standard_only=True)
    weight = _zip_weights(company_rng, zips)
    market = _regional_mix(company_rng, zips)
    alignment = _state_line_alignment(counties, zips, n_reps)
    expected = zips[["unit_id", "zip"]].assign(weight=weight * n_accounts)
    reps = _draw_reps(company_rng, alignment, expected, zips)
    width = max(ACCOUNT_ID_WIDTH, len(str(n_accounts)))

    def chunks() -> Iterator[tuple[np.random.Generator, pd.DataFrame]]:
        first = 1
        for size, chunk_seed in zip(sizes, seeds[1:], strict=True):
            rng = np.random.default_rng(chunk_seed)
            located = _pick_zips(rng, zips, weight, size)
            accounts = _account_columns(rng, located, market, np.arange(first, first + size), width)
            accounts["owner_rep_id"] = _owners(rng, accounts, alignment)
            first += size
            yield rng, accounts
            del located, accounts  # one chunk at a time: free this one before drawing the next

    hours = pd.Series(dtype=float)
    for _, accounts in chunks():  # first pass: the call hours each rep's accounts need
        hours = hours.add(rep_hours(accounts, reps), fill_value=0.0)
    load = relative_load(hours, reps)

    (staging / "accounts").mkdir()
    (staging / "sales").mkdir()
    book = pd.Series(dtype=float)
    sales_rows = 0
    for index, (rng, accounts) in enumerate(chunks()):  # second pass: the same accounts, their sales
        potential = _potential(rng, accounts)
        share = _share_given_load(rng, accounts, load)
        sales = _draw_sales(rng, accounts, potential * share)
        book = book.add(last_year_by_owner(accounts, sales), fill_value=0.0)
        _write_table(accounts[ACCOUNT_COLUMNS], ACCOUNTS_SCHEMA, staging / "accounts" / part_name(index))
        _write_table(sales, SALES_SCHEMA, staging / "sales" / part_name(index))
        sales_rows += len(sales)
        del accounts, sales, potential, share
    reps["quota"] = quotas_from_book(company_rng, reps, book)
    reps.to_csv(staging / "reps.csv", index=False)
    alignment.to_csv(staging / "current_alignment.csv", index=False)
    return {
        "generator": "terrkit.datasets.write_company_parquet",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "format": "parquet",
        "chunk_accounts": chunk_accounts,
        "parts": len(sizes),
        "accounts": n_accounts,
        "sales_rows": sales_rows,
        "reps": len(reps),
        "periods": [QUARTERS[0], QUARTERS[-1]],
        "units": BUNDLED_UNITS,
    }


def _write_table(frame: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    columns = {
        name: frame[name].to_numpy(dtype=float if pa.types.is_floating(schema.field(name).type) else object)
        for name in schema.names
    }
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), path)
