"""Errors and warnings raised by terrkit.

Every error a user can cause derives from :class:`TerrkitError`; the command-line
interface prints its message on one line and exits non-zero, without a traceback.
"""

from __future__ import annotations

import warnings
from typing import Any


class TerrkitError(Exception):
    """Base class of every error terrkit raises on purpose."""


class DataValidationError(TerrkitError, ValueError):
    """An input file breaks the data model.

    Parameters
    ----------
    file : str
        File name (or description) of the offending input.
    problem : str
        What is wrong and what is allowed.
    column : str, optional
        Column holding the bad value.
    row : int, optional
        Line number in the file (the header is line 1), or the position in a frame.
    row_label : str, default "line"
        What ``row`` counts: ``"line"`` of a text file, ``"row"`` of a Parquet file (1 = first row).
    value : object, optional
        The offending value.
    more : int, default 0
        How many further rows have the same problem.
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
        more: int = 0,
        row_label: str = "line",
    ) -> None:
        self.file = file
        self.row_label = row_label
        self.column = column
        self.row = row
        self.value = value
        self.problem = problem
        self.more = more
        where = [file]
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"{row_label} {row}")
        text = ", ".join(where) + ": "
        if value is not None:
            text += f"value {value!r}: "
        text += problem
        if more:
            text += f" ({more} more row{'s' if more != 1 else ''} with the same problem)"
        super().__init__(text)

    def __reduce__(self) -> tuple:
        # the arguments are keyword-only, so rebuild from them (a Dask worker sends the error pickled)
        return (_rebuild_validation_error, (self.file, self.problem, self._keywords()))

    def _keywords(self) -> dict[str, Any]:
        keys = ("column", "row", "value", "more", "row_label")
        return {key: getattr(self, key) for key in keys}


def _rebuild_validation_error(file: str, problem: str, keywords: dict[str, Any]) -> DataValidationError:
    return DataValidationError(file, problem, **keywords)


class ConfigError(TerrkitError, ValueError):
    """A configuration file or parameter is invalid."""


class ReportError(TerrkitError):
    """A report run failed; the message says which notebook and where its copy is kept."""


class InfeasibleError(TerrkitError):
    """A territory design problem has no solution; the message explains why in business terms."""


class ResourceError(TerrkitError):
    """The machine or the cluster ran out of a resource (memory) on a valid request; the message says how to
    give it more."""


class SolverError(TerrkitError):
    """The optimisation solver failed or is unavailable."""


class TerrkitWarning(UserWarning):
    """Base class of terrkit's warnings."""


class DataWarning(TerrkitWarning):
    """Input data is usable but suspicious (for example, credits or fallbacks were applied)."""


_default_formatwarning = warnings.formatwarning


def _format_terrkit_warning(message, category, filename, lineno, line=None) -> str:  # noqa: ANN001
    """Show terrkit's warnings as ``DataWarning: message``: they speak about the data, not the code.

    Other warnings keep Python's format (file, line and source).
    """
    if isinstance(category, type) and issubclass(category, TerrkitWarning):
        return f"{category.__name__}: {message}\n"
    return _default_formatwarning(message, category, filename, lineno, line)


warnings.formatwarning = _format_terrkit_warning
