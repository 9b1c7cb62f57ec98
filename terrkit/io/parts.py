"""Account and sales tables as CSV or partitioned Parquet, read on pandas or Dask and validated per part.

A dataset folder holds its accounts (and likewise its sales) as one of

* ``accounts.csv`` (the usual text file);
* ``accounts/``: a folder of ``*.parquet`` part files, read in name order (what
  ``terrkit sample --format parquet`` writes);
* ``accounts.parquet``: one Parquet file.

Every part (a Parquet file, or a block of a CSV file read by Dask) is validated by the one validator,
:func:`terrkit.io.validate.validate_table`, applied to each partition
(:func:`terrkit.scale.backend.map_partitions`).
Before validating, a partition is marked with its file and the number of its first row
(:func:`~terrkit.io.validate.mark_rows`), so an error names the part file (``accounts/part-00003.parquet``),
the row within it (1 = its first row; for CSV the line number, as always), the column and the value.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.io.schema import TableSpec
from terrkit.io.validate import HEADER_LINES, mark_rows, validate_table
from terrkit.scale.backend import check_engine, map_partitions, partition_offsets

#: Bytes of CSV per Dask partition: a few hundred thousand rows, small for a worker, large per task.
CSV_BLOCKSIZE = "64MB"
#: How the CSV loader reads text: every column as text, only an empty field is missing.
CSV_OPTIONS: dict[str, Any] = {
    "dtype": str,
    "keep_default_na": False,
    "na_values": [""],
    "skipinitialspace": True,
}


@dataclass(frozen=True)
class TableParts:
    """Where a table's rows come from: one entry per partition.

    Attributes
    ----------
    kind : {"csv", "parquet"}
        File format.
    paths : list of pathlib.Path
        The files (one for CSV, one per part for Parquet).
    names : tuple of str
        Name of each partition's file as errors show it (relative to the dataset folder).
    first_rows : tuple of int
        Number of each partition's first row in its file (a CSV line, or 1 for a Parquet part).
    label : str
        What the row numbers count: ``"line"`` (CSV) or ``"row"`` (Parquet).
    starts : tuple of int, optional
        For a pandas table made of several files: the position where each file's rows start.
    """

    kind: str
    paths: list[Path]
    names: tuple[str, ...]
    first_rows: tuple[int, ...]
    label: str
    starts: tuple[int, ...] | None = None

    def where(self, partition: int, position: int) -> tuple[str, int]:
        """File and row number (line for CSV) of the row at ``position`` of partition ``partition``."""
        if self.starts is not None:
            partition = bisect.bisect_right(self.starts, position) - 1
            position -= self.starts[partition]
        return self.names[partition], self.first_rows[partition] + position

    def mark(self, frame: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
        """``frame`` (partition ``partition_info["number"]``) marked with its file's row numbers."""
        number = partition_info["number"] if partition_info else 0
        return mark_rows(frame, self.first_rows[number], self.label)

    def name(self, partition_info: dict | None = None) -> str:
        return self.names[partition_info["number"] if partition_info else 0]


def find_table(folder: Path, spec: TableSpec) -> tuple[str, list[Path]]:
    """Format and files of table ``spec``: ``x.csv``, ``x/`` (Parquet parts) or ``x.parquet``."""
    stem = Path(spec.file).stem
    csv, parts, single = folder / spec.file, folder / stem, folder / f"{stem}.parquet"
    if csv.is_file():
        return "csv", [csv]
    if parts.is_dir():
        files = sorted(parts.glob("*.parquet"))
        if not files:
            raise DataValidationError(f"{stem}/", "holds no .parquet part files")
        return "parquet", files
    if single.is_file():
        return "parquet", [single]
    raise DataValidationError(
        str(csv),
        f"file not found; a dataset folder must contain {spec.file} (or {stem}/ of Parquet parts, or "
        f"{stem}.parquet)",
    )


def read_validated(
    folder: Path,
    spec: TableSpec,
    engine: str,
    after: Callable[..., pd.DataFrame] | None = None,
    **after_kwargs: Any,
) -> tuple[Any, Any, TableParts]:
    """Read table ``spec`` of ``folder`` on ``engine`` and validate it part by part.

    Parameters
    ----------
    folder : pathlib.Path
        The dataset folder.
    spec : TableSpec
        The table's columns (its ``file`` is replaced by each part's name in errors).
    engine : {"pandas", "dask"}
        ``pandas`` returns a pandas DataFrame (the parts concatenated), ``dask`` a Dask DataFrame of one
        partition per Parquet part (or per :data:`CSV_BLOCKSIZE` of CSV).
    after : callable, optional
        A further per-part step ``after(frame, file, **after_kwargs)`` run on each validated part, its rows
        still marked (so its errors name the part file and row too); e.g. placing accounts in units.

    Returns
    -------
    validated : DataFrame
        The typed table, before ``after``.
    result : DataFrame
        The table after ``after`` (``validated`` when there is none).
    parts : TableParts
        Where each partition comes from.
    """
    engine = check_engine(engine)
    kind, paths = find_table(folder, spec)
    names = tuple(str(p.relative_to(folder)) for p in paths)
    if engine == "dask":
        raw = _read_dask(kind, paths)
        if kind == "csv":
            first = partition_offsets(raw) + HEADER_LINES + 1  # one pass counting the rows of each block
            parts = TableParts(kind, paths, names * raw.npartitions, tuple(int(i) for i in first), "line")
        else:
            if raw.npartitions != len(paths):
                raise DataValidationError(
                    names[0], f"expected one partition per part file, got {raw.npartitions}"
                )
            parts = TableParts(kind, paths, names, (1,) * len(paths), "row")
        meta = _validate_part(raw._meta, spec, parts)
        validated = map_partitions(raw, _validate_part, spec, parts, meta=meta)
        if after is None:
            return validated, validated, parts
        after_meta = _after_part(meta, parts, after, after_kwargs)
        result = map_partitions(validated, _after_part, parts, after, after_kwargs, meta=after_meta)
        return validated, result, parts
    if kind == "csv":
        parts = TableParts(kind, paths, names, (HEADER_LINES + 1,), "line")
        raws = [_read_csv(paths[0], names[0])]
    else:
        parts = TableParts(kind, paths, names, (1,) * len(paths), "row")
        raws = [_read_parquet(path, name) for path, name in zip(paths, names, strict=True)]
    validated, result = [], []
    for number, raw in enumerate(raws):
        info = {"number": number}
        part = _validate_part(raw, spec, parts, partition_info=info)
        validated.append(part)
        result.append(
            part if after is None else _after_part(part, parts, after, after_kwargs, partition_info=info)
        )
    lengths = np.cumsum([0] + [len(part) for part in validated[:-1]])
    parts = TableParts(kind, paths, names, parts.first_rows, parts.label, tuple(int(n) for n in lengths))
    return _concat(validated), _concat(result), parts


def _validate_part(
    frame: pd.DataFrame, spec: TableSpec, parts: TableParts, partition_info: dict | None = None
) -> pd.DataFrame:
    """Validate one partition against ``spec``, errors naming its file and its rows there."""
    part_spec = TableSpec(parts.name(partition_info), spec.key, spec.columns)
    out = validate_table(parts.mark(frame, partition_info), part_spec)
    frame.attrs.clear()
    out.attrs.clear()  # the marks describe this part only; a later step marks it again
    return out


def _after_part(
    frame: pd.DataFrame,
    parts: TableParts,
    after: Callable[..., pd.DataFrame],
    kwargs: dict[str, Any],
    partition_info: dict | None = None,
) -> pd.DataFrame:
    out = after(parts.mark(frame, partition_info), parts.name(partition_info), **kwargs)
    out.attrs.clear()  # the marks describe this part only
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    out.attrs.clear()
    return out


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **CSV_OPTIONS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataValidationError(name, f"cannot be read as CSV: {str(err).strip()}") from None


def _read_parquet(path: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - any reader failure means the file is unusable
        raise DataValidationError(name, f"cannot be read as Parquet: {err}") from None


def _read_dask(kind: str, paths: list[Path]) -> Any:
    import dask.dataframe as dd

    if kind == "csv":
        return dd.read_csv(str(paths[0]), blocksize=CSV_BLOCKSIZE, **CSV_OPTIONS)
    # one partition per part file, in name order (the row numbers of an error count within the file)
    return dd.read_parquet([str(p) for p in paths], split_row_groups=False)
