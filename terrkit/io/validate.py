"""Column-wise validation of input tables.

Every check works on whole columns (no Python loop over rows), so validation scales to
millions of accounts and can run per partition. The first problem found raises a
:class:`~terrkit.exceptions.DataValidationError` naming the file, column, line and value,
what is allowed, and how many further rows share the problem.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.io.schema import Column, TableSpec

HEADER_LINES = 1
#: ``frame.attrs`` keys that say where a frame's rows come from (a part of a partitioned table):
#: the number of its first row in the file, and what that number counts ("line" or "row").
FIRST_ROW = "terrkit_first_row"
ROW_LABEL = "terrkit_row_label"
_ZIP_PLUS4 = r"^\d{5}-\d{4}$"
_PERIOD = r"^\d{4}Q[1-4]$"


def line_number(frame: pd.DataFrame, position: int) -> int:
    """Line in the source file of the row at ``position`` (the header is line 1).

    A part of a partitioned table (:func:`mark_rows`) counts from its own first row instead.
    """
    return int(position) + int(frame.attrs.get(FIRST_ROW, HEADER_LINES + 1))


def row_label(frame: pd.DataFrame) -> str:
    """What :func:`line_number` counts in ``frame``'s file: ``"line"`` (CSV) or ``"row"`` (Parquet)."""
    return str(frame.attrs.get(ROW_LABEL, "line"))


def mark_rows(frame: pd.DataFrame, first_row: int, label: str) -> pd.DataFrame:
    """Record on ``frame`` the number of its first row in its file and what it counts; returns ``frame``.

    A CSV block starting at line 1,002 is marked ``(1002, "line")``; a Parquet part ``(1, "row")``.
    """
    frame.attrs[FIRST_ROW] = int(first_row)
    frame.attrs[ROW_LABEL] = label
    return frame


def fail_rows(
    frame: pd.DataFrame,
    file: str,
    column: str,
    bad: np.ndarray | pd.Series,
    problem: str,
    values: pd.Series | None = None,
) -> None:
    """Raise for the first row flagged in ``bad``; do nothing when no row is flagged."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    positions = np.flatnonzero(bad)
    first = positions[0]
    source = frame[column] if values is None else values
    value = source.iloc[first]
    if isinstance(value, np.generic):  # a typed (Parquet) column: show -5.0, not np.float64(-5.0)
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        value = ""
    raise DataValidationError(
        file,
        problem,
        column=column,
        row=line_number(frame, first),
        value=value,
        more=len(positions) - 1,
        row_label=row_label(frame),
    )


def check_columns(frame: pd.DataFrame, spec: TableSpec) -> None:
    """All required columns are present (names are compared after stripping blanks)."""
    missing = [name for name in spec.required if name not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "no columns"
        raise DataValidationError(
            spec.file,
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the file has: {have}; required: {', '.join(spec.required)})",
        )


def _is_blank(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw.dtype):  # a typed (Parquet) number is blank only when missing
        return raw.isna()
    return raw.isna() | (raw.astype("string").str.strip() == "")


def normalize_zip(raw: pd.Series) -> pd.Series:
    """Strip blanks and ZIP+4 suffixes; other values are returned unchanged for checking."""
    text = raw.astype("string").str.strip()
    plus4 = text.str.match(_ZIP_PLUS4).fillna(False)
    return text.mask(plus4, text.str.slice(0, 5))


def coerce_column(frame: pd.DataFrame, spec: TableSpec, column: Column) -> pd.Series:
    """Check one column and return it converted to its proper type."""
    raw = frame[column.name]
    blank = _is_blank(raw)
    if not column.nullable:
        fail_rows(frame, spec.file, column.name, blank, "is empty; a value is required")
    if column.kind == "number":
        values = pd.to_numeric(raw, errors="coerce")
        fail_rows(frame, spec.file, column.name, values.isna() & ~blank, "is not a number")
        fail_rows(frame, spec.file, column.name, ~np.isfinite(values.fillna(0)), "is not a finite number")
        if column.minimum is not None:
            fail_rows(frame, spec.file, column.name, values < column.minimum, _range_text(column))
        if column.maximum is not None:
            fail_rows(frame, spec.file, column.name, values > column.maximum, _range_text(column))
        return values.astype(float)
    text = raw.astype("string").str.strip()
    if column.kind == "zip":
        text = normalize_zip(raw)
        malformed = ~text.str.fullmatch(r"\d{5}").fillna(False) & ~blank
        fail_rows(
            frame,
            spec.file,
            column.name,
            malformed,
            "is not a 5-digit ZIP code (write ZIPs as text such as '02139'; a spreadsheet may have dropped "
            "the leading zero)",
        )
    elif column.kind == "period":
        bad = ~text.str.fullmatch(_PERIOD).fillna(False) & ~blank
        fail_rows(frame, spec.file, column.name, bad, "is not a quarter written YYYYQn, such as 2024Q3")
    if column.allowed:
        bad = ~text.isin(column.allowed) & ~blank
        fail_rows(
            frame, spec.file, column.name, bad, f"is not allowed; use one of {', '.join(column.allowed)}"
        )
    return text.astype(object).where(~blank, None)


def _range_text(column: Column) -> str:
    if column.minimum is not None and column.maximum is not None:
        return f"is out of range; allowed {column.minimum:g} to {column.maximum:g}"
    if column.minimum is not None:
        return f"is below the minimum {column.minimum:g}"
    return f"is above the maximum {column.maximum:g}"


def check_unique(frame: pd.DataFrame, file: str, column: str) -> None:
    """Values of ``column`` are unique; a duplicate names both lines."""
    dup = frame[column].duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    positions = np.flatnonzero(dup)
    first_value = frame[column].iloc[positions[0]]
    same = np.flatnonzero((frame[column] == first_value).to_numpy())
    raise DataValidationError(
        file,
        f"duplicate id: also on {row_label(frame)} {line_number(frame, same[1])}; each {column} must "
        "appear once",
        column=column,
        row=line_number(frame, same[0]),
        value=first_value,
        more=int(frame[column].duplicated().sum()) - 1,
        row_label=row_label(frame),
    )


def check_references(
    frame: pd.DataFrame,
    file: str,
    column: str,
    known: Iterable[str],
    target: str,
    *,
    allow_empty: bool = True,
) -> None:
    """Every non-empty value of ``column`` exists in ``known`` (the ids of ``target``)."""
    values = frame[column]
    present = values.notna() if allow_empty else pd.Series(True, index=values.index)
    missing = present & ~values.isin(pd.Index(known))
    fail_rows(frame, file, column, missing, f"is not in {target}")


def validate_table(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Validate a raw table (all columns read as text) and return it with typed columns.

    Extra columns are kept as they are. The key column, when the spec has one, must be unique.
    """
    attrs = dict(frame.attrs)
    frame = frame.rename(columns=lambda c: str(c).strip())
    frame.attrs.update(attrs)  # where the rows come from (mark_rows), whatever pandas keeps
    check_columns(frame, spec)
    out = frame.copy()
    out.attrs.update(attrs)
    for column in spec.columns:
        if column.name in frame.columns:
            out[column.name] = coerce_column(frame, spec, column)
    if spec.key is not None:
        check_unique(out, spec.file, spec.key)
    return out
