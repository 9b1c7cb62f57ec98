"""Source files of an import: read them, tell which kind each is by its header, and name bad values.

Each source is a CSV export. Its kind (accounts, sales or reps) is either given (``kind=PATH``, where
``kind`` is a kind or the mapping's label for it, such as ``opportunity=Opportunity.csv``) or recognised
from its header: it goes to the kind of which it has the most required columns, then the most mapped
columns (so an Opportunity export missing ``Amount`` is still an Opportunity export, and the error says
that ``Amount`` is missing). Several files of one kind are read as one table.

Rows keep the file and the physical line they came from (the header is line 1; a quoted value spanning
lines is counted), so every error names the file, line, column and value.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.crm.mapping import KINDS, REQUIRED_FIELDS, FileMapping, ImportMapping
from terrkit.exceptions import DataValidationError

FILE = "_file"
LINE = "_line"
_HEAD_BYTES = 1 << 16
_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass
class SourceFile:
    """One source file and how its header maps onto the fields of its kind.

    Attributes
    ----------
    path : Path
        The file.
    name : str
        The path as the user gave it (used in messages).
    kind : str
        ``accounts``, ``sales`` or ``reps``.
    header : list of str
        Column names as written.
    columns : dict
        Field -> the column that feeds it.
    rows : int
        Data rows read (blank lines excluded).
    """

    path: Path
    name: str
    kind: str
    header: list[str]
    columns: dict[str, str]
    rows: int = 0

    @property
    def unused(self) -> list[str]:
        """Header columns that feed no field."""
        used = set(self.columns.values())
        return [c for c in self.header if c not in used]


@dataclass
class SourceTable:
    """The rows of every source file of one kind, one column per mapped field.

    ``frame`` holds each mapped field as stripped text (missing for blanks), plus the columns
    :data:`FILE` (index into ``files``) and :data:`LINE` (line in that file).
    """

    kind: str
    label: str
    frame: pd.DataFrame
    files: list[SourceFile] = field(default_factory=list)

    def has(self, name: str) -> bool:
        """Whether some file of this kind has a column for field ``name``."""
        return name in self.frame.columns

    def column_names(self, name: str) -> list[str]:
        """The source columns feeding field ``name``, one per file that has it."""
        return list(dict.fromkeys(f.columns[name] for f in self.files if name in f.columns))

    def fail(
        self,
        bad: pd.Series | np.ndarray,
        name: str,
        problem: str,
        *,
        frame: pd.DataFrame | None = None,
        values: pd.Series | None = None,
    ) -> None:
        """Raise for the first row flagged in ``bad`` (rows of ``frame``, default the whole table).

        Parameters
        ----------
        bad : boolean array
            Rows with the problem.
        name : str
            The field; the message names its source column.
        problem : str
            What is wrong and what is allowed.
        frame : pandas.DataFrame, optional
            A subset of :attr:`frame` (with :data:`FILE` and :data:`LINE`) that ``bad`` refers to.
        values : pandas.Series, optional
            The values to show (default the field's text).

        Raises
        ------
        DataValidationError
            Naming the file, line, column and value of the first flagged row, and how many more there are.
        """
        rows = self.frame if frame is None else frame
        flags = np.asarray(bad, dtype=bool)
        if not flags.any():
            return
        positions = np.flatnonzero(flags)
        first = positions[0]
        source = self.files[int(rows[FILE].iloc[first])]
        shown = (rows[name] if values is None else values).iloc[first]
        raise DataValidationError(
            source.name,
            problem,
            column=source.columns.get(name, name),
            row=int(rows[LINE].iloc[first]),
            value="" if shown is None or (not isinstance(shown, str) and pd.isna(shown)) else shown,
            more=len(positions) - 1,
        )


def normalize_header(name: str) -> str:
    """A column name compared loosely: casefolded, letters and digits only (``Account ID``: ``accountid``)."""
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def match_columns(header: Sequence[str], mapping: FileMapping) -> dict[str, str]:
    """Field -> header column, for the fields of ``mapping`` whose columns the header has.

    For each field the candidate columns are tried in order; a candidate matches a column of the same
    name, else one equal after :func:`normalize_header`.
    """
    exact = {name.strip(): name for name in header}
    loose: dict[str, str] = {}
    for name in header:
        loose.setdefault(normalize_header(name), name)
    found: dict[str, str] = {}
    for name, candidates in mapping.columns.items():
        for candidate in candidates:
            column = exact.get(candidate.strip()) or loose.get(normalize_header(candidate))
            if column is not None:
                found[name] = column
                break
    return found


# ------------------------------------------------------------------------------------------- reading


def decode(data: bytes, encoding: str, name: str) -> str:
    """Bytes of a file as text; a UTF-8 (or UTF-16) byte-order mark decides over ``encoding``.

    Raises
    ------
    DataValidationError
        Naming the line of the first byte that is not valid in the encoding.
    """
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DataValidationError(
            name,
            f"byte 0x{data[err.start : err.end].hex()} is not valid {encoding} text; set format.encoding in "
            "a mapping (e.g. latin-1 or cp1252 for Excel files saved on Windows)",
            row=line,
        ) from None


def _header(text: str, delimiter: str) -> list[str]:
    try:
        row = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return []
    return [cell.strip() for cell in row]


def _record_start_line(text: str, delimiter: str, record: int) -> int:
    """Physical line where the ``record``-th record starts (the header is record 1)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    start = 1
    for number, _ in enumerate(reader, start=1):
        if number == record:
            return start
        start = reader.line_num + 1
    return start


def read_frame(text: str, delimiter: str, name: str) -> tuple[list[str], pd.DataFrame]:
    """Parse CSV text into its header and a frame of text cells with each row's physical line.

    The frame's columns are the header positions (0, 1, ...) and :data:`LINE`. Blank lines are skipped
    (their lines still count).

    Raises
    ------
    DataValidationError
        The file is empty, or a row has more fields than the header.
    """
    if not text.strip():
        raise DataValidationError(name, "is empty; an export starts with a header row")
    header = _header(text, delimiter)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as err:
        match = _PARSER_LINE.search(str(err))
        if not match:
            raise DataValidationError(name, f"cannot be read as CSV: {str(err).strip()}") from None
        expected, record, saw = (int(g) for g in match.groups())
        raise DataValidationError(
            name,
            f"has {saw} fields where the header has {expected}; check the delimiter ({delimiter!r}) "
            "and quoting",
            row=_record_start_line(text, delimiter, record),
        ) from None
    header_lines = _header_lines(text, delimiter)
    spans = np.zeros(len(frame), dtype=np.int64)
    if text.count("\n") > header_lines + len(frame):  # a quoted value spans lines
        for position in range(frame.shape[1]):
            spans += frame.iloc[:, position].str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    lines = (
        1 + header_lines + np.arange(len(frame)) + np.concatenate([[0], np.cumsum(spans)[:-1]])[: len(frame)]
    )
    blank = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        blank &= (frame.iloc[:, position].str.strip() == "").to_numpy(dtype=bool)
    frame = frame.set_axis(range(frame.shape[1]), axis=1).loc[~blank].reset_index(drop=True)
    frame[LINE] = lines[~blank]
    return header, frame


def _header_lines(text: str, delimiter: str) -> int:
    """Physical lines the header record takes (more than one when a quoted name holds a line break)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    return max(reader.line_num, 1)


# ------------------------------------------------------------------------------------ identification


def split_source_arg(arg: str | os.PathLike, mapping: ImportMapping) -> tuple[str | None, Path, str]:
    """``kind=PATH`` or ``PATH`` -> (kind or None, path, name as given).

    ``kind`` is a kind (``accounts``, ``sales``, ``reps``) or the label of one in the mapping,
    case-insensitively.
    """
    text = os.fspath(arg)
    names = {kind: kind for kind in mapping.files}
    names.update({f.label.casefold(): kind for kind, f in mapping.files.items()})
    prefix, sep, rest = text.partition("=")
    if sep and prefix.strip().casefold() in names:
        return names[prefix.strip().casefold()], Path(rest), rest
    if sep and not Path(text).exists() and re.fullmatch(r"[\w ]+", prefix):
        known = ", ".join(sorted(set(names) | set(KINDS)))
        raise DataValidationError(
            text, f"unknown file kind {prefix!r}; write KIND=PATH with KIND one of {known}"
        )
    return None, Path(text), text


def _requirement(mapping: FileMapping) -> str:
    needed = [" or ".join(mapping.columns[f][:2]) for f in REQUIRED_FIELDS[mapping.kind]]
    return f"{mapping.label} ({mapping.kind}) needs {', '.join(needed)}"


def _identify(name: str, heads: dict[str, list[str]], mapping: ImportMapping) -> str:
    """The kind of a file from its header (``heads``: kind -> header as that kind's format reads it)."""
    scores: dict[str, tuple[int, int]] = {}
    for kind, spec in mapping.files.items():
        found = match_columns(heads[kind], spec)
        if found:
            scores[kind] = (sum(f in found for f in REQUIRED_FIELDS[kind]), len(found))
    if not scores:
        needs = "; ".join(_requirement(spec) for spec in mapping.files.values())
        first = next(iter(mapping.files))
        have = ", ".join(heads[first][:12]) or "no columns"
        hint = "name the file's kind with KIND=PATH or map its columns in a mapping file"
        if len(heads[first]) == 1:
            other = [d for d in (";", "\t", "|", ",") if d in heads[first][0]]
            if other:
                hint = f"the header looks separated by {other[0]!r}: set format.delimiter in a mapping"
        raise DataValidationError(
            name,
            f"its header matches no export of the {mapping.name} mapping: {needs} "
            f"(the file has: {have}); {hint}",
            row=1,
        )
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    if len(winners) > 1:
        labels = " or ".join(f"{mapping.files[k].label} ({k})" for k in winners)
        raise DataValidationError(
            name, f"its header fits {labels} equally well; name its kind, e.g. {winners[0]}={name}", row=1
        )
    return winners[0]


def _head_text(data: bytes, encoding: str) -> str:
    head = data[:_HEAD_BYTES]
    if head.startswith(codecs.BOM_UTF8):
        head, encoding = head[len(codecs.BOM_UTF8) :], "utf-8"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    return head.decode(encoding, errors="replace")


def read_sources(args: Sequence[str | os.PathLike], mapping: ImportMapping) -> dict[str, SourceTable]:
    """Read every source, identify its kind and return one table per kind.

    Parameters
    ----------
    args : sequence of str or path
        ``PATH`` or ``KIND=PATH`` per source file.
    mapping : ImportMapping
        The files the import expects and how they are written.

    Returns
    -------
    dict
        Kind -> :class:`SourceTable`, for the kinds present.

    Raises
    ------
    DataValidationError
        A file is missing, unreadable or not recognised, or a required kind of file is missing.
    """
    if not args:
        raise DataValidationError("sources", "no source file given")
    files: dict[str, list[tuple[SourceFile, pd.DataFrame]]] = {}
    for arg in args:
        kind, path, name = split_source_arg(arg, mapping)
        if not path.is_file():
            raise DataValidationError(name, "file not found" if not path.exists() else "is not a file")
        data = path.read_bytes()
        if kind is None:
            heads = {
                k: _header(_head_text(data, spec.format.encoding), spec.format.delimiter)
                for k, spec in mapping.files.items()
            }
            kind = _identify(name, heads, mapping)
        spec = mapping.files[kind]
        header, frame = read_frame(decode(data, spec.format.encoding, name), spec.format.delimiter, name)
        columns = match_columns(header, spec)
        missing = [f for f in REQUIRED_FIELDS[kind] if f not in columns]
        if missing:
            wanted = "; ".join(f"{f}: {' or '.join(spec.columns[f])}" for f in missing)
            raise DataValidationError(
                name,
                f"missing column{'s' if len(missing) > 1 else ''} for {spec.label} ({kind}): {wanted} "
                f"(the file has: {', '.join(header) or 'no columns'})",
                row=1,
            )
        source = SourceFile(path, name, kind, header, columns, rows=len(frame))
        files.setdefault(kind, []).append((source, frame))
    for kind, spec in mapping.files.items():
        if spec.required and kind not in files:
            raise DataValidationError(
                f"{spec.label} export",
                f"missing: no source looks like it; {_requirement(spec)}; give it, or name it "
                f"{spec.label.casefold()}=PATH",
            )
    return {kind: _table(kind, mapping.files[kind].label, parts) for kind, parts in files.items()}


def _table(kind: str, label: str, parts: list[tuple[SourceFile, pd.DataFrame]]) -> SourceTable:
    pieces = []
    for number, (source, frame) in enumerate(parts):
        position = {name: source.header.index(column) for name, column in source.columns.items()}
        cells = {name: frame[position[name]].str.strip() for name in source.columns}
        piece = pd.DataFrame(cells, index=frame.index)
        piece = piece.mask(piece == "")
        piece[FILE] = number
        piece[LINE] = frame[LINE].to_numpy()
        pieces.append(piece)
    frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
    return SourceTable(kind, label, frame, [source for source, _ in parts])
