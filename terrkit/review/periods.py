"""Review periods: a year or a quarter, and the period it is compared with.

Sales are recorded per quarter (``"YYYYQn"``). A review compares a *current* period with the
*previous* one:

- a year ``"2025"`` is compared with the year before (``"2024"``); the default (an empty string)
  is the last *full* year, the last year with all four quarters in the data;
- a quarter ``"2025Q3"`` is compared with the quarter before (``"2025Q2"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from terrkit.exceptions import ConfigError

_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class ReviewPeriod:
    """A review period and the period it is compared with.

    Attributes
    ----------
    label, previous_label : str
        ``"2025"`` and ``"2024"``, or ``"2025Q3"`` and ``"2025Q2"``.
    current, previous : tuple of str
        The quarters ``"YYYYQn"`` each covers.
    kind : {"year", "quarter"}
    """

    label: str
    previous_label: str
    current: tuple[str, ...]
    previous: tuple[str, ...]
    kind: str

    @property
    def year_fraction(self) -> float:
        """Share of a year the period covers (1 or 0.25): scales annual quota, potential and capacity."""
        return 1.0 if self.kind == "year" else 0.25

    @property
    def start(self) -> str:
        """First quarter of the current period."""
        return self.current[0]

    @property
    def end(self) -> str:
        """Last quarter of the current period (the "as of" date of potential and workload)."""
        return self.current[-1]


def _quarters_of(year: int) -> tuple[str, ...]:
    return tuple(f"{year}Q{q}" for q in range(1, 5))


def full_years(periods: Iterable[str]) -> list[int]:
    """Years with all four quarters among ``periods``, in order."""
    present = set(periods)
    years = sorted({int(p[:4]) for p in present if _QUARTER.match(str(p))})
    return [y for y in years if set(_quarters_of(y)) <= present]


def resolve_period(periods: Iterable[str], period: str | None = "") -> ReviewPeriod:
    """Turn a period parameter into the current and previous quarters.

    Parameters
    ----------
    periods : iterable of str
        Quarters present in the sales data.
    period : str, optional
        ``""``/None (the last full year), a year ``"YYYY"`` or a quarter ``"YYYYQn"``.

    Returns
    -------
    ReviewPeriod

    Raises
    ------
    ConfigError
        If the period is malformed, or it or the period before it has no sales data; the message
        lists the valid choices.
    """
    present = sorted({str(p) for p in periods})
    years = full_years(present)
    text = (period or "").strip().upper()
    valid_years = [str(y) for y in years[1:]]
    valid_quarters = present[1:]
    choices = f"valid years: {', '.join(valid_years) or 'none'}; valid quarters: " + (
        f"{valid_quarters[0]}..{valid_quarters[-1]}" if valid_quarters else "none"
    )
    if not text:
        if len(years) < 2:
            raise ConfigError(
                "a review needs two full years of quarterly sales (the last full year and the one before); "
                f"the data has full years {years or 'none'}"
            )
        text = str(years[-1])
    if _YEAR.match(text):
        year = int(text)
        if year not in years or year - 1 not in years:
            raise ConfigError(
                f"period {text!r} cannot be reviewed: it needs full years {year} and {year - 1}; {choices}"
            )
        return ReviewPeriod(text, str(year - 1), _quarters_of(year), _quarters_of(year - 1), "year")
    match = _QUARTER.match(text)
    if match:
        year, q = int(match.group(1)), int(match.group(2))
        prev = f"{year}Q{q - 1}" if q > 1 else f"{year - 1}Q4"
        if text not in present or prev not in present:
            raise ConfigError(
                f"period {text!r} cannot be reviewed: it needs sales in {text} and {prev}; {choices}"
            )
        return ReviewPeriod(text, prev, (text,), (prev,), "quarter")
    raise ConfigError(f"period {period!r} is neither a year 'YYYY' nor a quarter 'YYYYQn'; {choices}")
