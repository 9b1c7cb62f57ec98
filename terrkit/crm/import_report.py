"""What an import did, with the count of each thing: read, mapped, aggregated, dropped and rules applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Report sections in print order, with their headings.
SECTIONS: dict[str, str] = {
    "read": "read",
    "mapped": "mapped",
    "aggregated": "aggregated",
    "dropped": "dropped",
    "rules": "rules applied",
    "wrote": "wrote",
}


def rows_of(count: int, label: str, adjective: str = "") -> str:
    """``6,306 won rows of deals``, ``1 row of owners``: a count of a source file's rows."""
    word = "row" if count == 1 else "rows"
    return f"{count:,} {adjective + ' ' if adjective else ''}{word} of {label}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 account``, ``2 accounts``."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def money(value: float) -> str:
    """``1,234.50``."""
    return f"{value:,.2f}"


def short_number(value: float) -> str:
    """``1M``, ``250M``, ``2.5K``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def examples(values: pd.Series, count: int = 3) -> str:
    """`` (e.g. a, b, c)`` from the first distinct values, or nothing."""
    shown = [str(v) for v in pd.unique(values.dropna())[:count]]
    return f" (e.g. {', '.join(shown)})" if shown else ""


@dataclass(frozen=True)
class ReportItem:
    """One fact of the report.

    Attributes
    ----------
    section : str
        A key of :data:`SECTIONS`.
    key : str
        Stable name of the fact (``dropped.not_won``, ``zip.billing``, ...), for programs and tests.
    count : int
        How many rows, accounts, reps or units it concerns.
    text : str
        The sentence printed.
    """

    section: str
    key: str
    count: int
    text: str


@dataclass
class ImportReport:
    """The facts of an import in the order they were found.

    Examples
    --------
    >>> report = ImportReport("salesforce")
    >>> report.add("dropped", "dropped.not_won", 3, "3 opportunities not won")
    >>> report.count("dropped.not_won"), report.count("dropped.other")
    (3, 0)
    """

    mapping: str
    items: list[ReportItem] = field(default_factory=list)

    def add(self, section: str, key: str, count: int, text: str) -> None:
        """Record a fact (``section`` must be a key of :data:`SECTIONS`)."""
        if section not in SECTIONS:
            raise ValueError(f"unknown report section {section!r}; use one of {', '.join(SECTIONS)}")
        self.items.append(ReportItem(section, key, int(count), text))

    def count(self, key: str) -> int:
        """The count of fact ``key`` (summed if recorded more than once), 0 if absent."""
        return sum(item.count for item in self.items if item.key == key)

    def has(self, key: str) -> bool:
        """Whether fact ``key`` was recorded."""
        return any(item.key == key for item in self.items)

    def text(self, key: str) -> str:
        """The sentence of fact ``key`` (the first one recorded)."""
        return next(item.text for item in self.items if item.key == key)

    def lines(self) -> list[str]:
        """Printable lines: a heading per section, then its facts, indented."""
        out = [f"import with the {self.mapping} mapping"]
        for section, heading in SECTIONS.items():
            items = [item for item in self.items if item.section == section]
            if not items:
                continue
            out.append(f"{heading}:")
            out.extend(f"  {item.text}" for item in items)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the mapping and every fact with its section, key, count and text."""
        return {"mapping": self.mapping, "items": [item.__dict__.copy() for item in self.items]}
