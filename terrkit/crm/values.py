"""Source values to terrkit values, column-wise: numbers, dates to quarters, ZIP codes, won flags, bands.

Every function takes a text column (missing for blanks) and returns the converted column together with
a mask of the values it could not convert, so that the caller can name the first bad file line.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from terrkit.crm.mapping import RevenueBandRule, WonRule
from terrkit.io.schema import REVENUE_BANDS

#: Blanks that may group digits besides the configured separator: space, no-break and narrow no-break space.
_SPACES = "\u0020\u00a0\u202f"
_CURRENCY = "$€£"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T].*)?"
YEARS = (1900, 2100)


def member(values: pd.Series | pd.Index, universe: pd.Series | pd.Index) -> np.ndarray:
    """Whether each value is in ``universe`` (missing values never are).

    A hash lookup on object arrays: pandas' ``isin`` on Arrow strings loops in Python over ``universe``,
    which is slow for the 40,000 ZIP codes or a million account ids.
    """
    keys = pd.Index(np.asarray(values, dtype=object), dtype=object)
    if not (isinstance(universe, pd.Index) and universe.dtype == object):
        universe = pd.Index(np.asarray(universe, dtype=object), dtype=object)
    return keys.isin(universe.dropna()) & ~keys.isna()


def number_pattern(decimal: str, thousands: str) -> str:
    """Regular expression of a number written with these separators (grouping in threes only)."""
    d = re.escape(decimal)
    t = "[" + (re.escape(thousands) if thousands else "") + _SPACES + "]"
    integer = rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)"
    exponent = r"(?:[eE][+-]?\d+)?" if decimal == "." else ""
    return rf"[+-]?(?:{integer}(?:{d}\d*)?|{d}\d+){exponent}"


def parse_numbers(text: pd.Series, decimal: str = ".", thousands: str = ",") -> tuple[pd.Series, pd.Series]:
    """Numbers written with a decimal point or comma and optional digit grouping.

    Currency signs ($, €, £) and surrounding blanks are ignored; grouping must be in threes, so
    ``1,5`` with decimal ``.`` is rejected rather than read as 15.

    Parameters
    ----------
    text : pandas.Series
        Text values, missing for blanks.
    decimal, thousands : str
        Separators (see :class:`terrkit.crm.mapping.SourceFormat`).

    Returns
    -------
    values : pandas.Series of float
        Missing where blank or bad.
    bad : pandas.Series of bool
        Non-blank values that are not numbers.

    Examples
    --------
    >>> values, bad = parse_numbers(pd.Series(["1.234,5", "-7", "12,3.4"]), decimal=",", thousands=".")
    >>> values.tolist(), bad.tolist()
    ([1234.5, -7.0, nan], [False, False, True])
    """
    cleaned = text.astype("string").str.strip().str.replace(f"[{_CURRENCY}]", "", regex=True).str.strip()
    blank = cleaned.isna() | (cleaned == "")
    ok = cleaned.str.fullmatch(number_pattern(decimal, thousands)).fillna(False).astype(bool)
    plain = cleaned.str.replace(f"[{_SPACES}]", "", regex=True)
    if thousands and thousands not in _SPACES:
        plain = plain.str.replace(thousands, "", regex=False)
    if decimal != ".":
        plain = plain.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(plain.where(ok), errors="coerce").astype(float)
    bad = ~blank & (~ok | ~np.isfinite(values.fillna(0.0)))
    return values.where(~bad), bad.astype(bool)


def parse_dates(text: pd.Series, date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Dates in ``date_format`` (strptime codes), or ISO 8601 ``YYYY-MM-DD`` with any time part ignored.

    Returns
    -------
    dates : pandas.Series of datetime64
    bad : pandas.Series of bool
        Non-blank values that are not such dates, or fall outside the years 1900-2100.
    """
    cleaned = text.astype("string").str.strip()
    blank = cleaned.isna() | (cleaned == "")
    if date_format is None:
        iso = cleaned.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
        dates = pd.to_datetime(cleaned.str.slice(0, 10).where(iso), format="%Y-%m-%d", errors="coerce")
    else:
        dates = pd.to_datetime(cleaned, format=date_format, errors="coerce")
    in_range = dates.dt.year.between(*YEARS).fillna(False).astype(bool)
    return dates.where(in_range), (~blank & ~in_range).astype(bool)


def date_example(date_format: str | None) -> str:
    """How 31 December 2024 is written in ``date_format`` (ISO without one)."""
    return datetime(2024, 12, 31).strftime(date_format or "%Y-%m-%d")


def quarters(dates: pd.Series) -> pd.Series:
    """Calendar quarter ``YYYYQn`` of each date."""
    return (
        dates.dt.year.astype("Int64").astype("string")
        + "Q"
        + dates.dt.quarter.astype("Int64").astype("string")
    )


def normalize_zips(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """5-digit ZIP codes: ZIP+4 cut to five digits, leading zeros a spreadsheet dropped put back.

    ``12345-6789`` and ``123456789`` become ``12345``; ``2134`` (and ``2134-5678``, ``21345678``,
    ``2134.0``) become ``02134``. Anything else (letters, two digits, ...) stays unusable.

    Returns
    -------
    zips : pandas.Series
        Five-digit text, missing where blank or unusable.
    plus4 : pandas.Series of bool
        Values that carried a +4 extension.
    padded : pandas.Series of bool
        Values that had lost leading zeros.
    """
    cleaned = text.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    parts = cleaned.str.extract(r"^(?P<zip>\d{3,5})(?:[- ]?(?P<plus4>\d{4}))?$")
    joined = cleaned.str.fullmatch(r"\d{8,9}").fillna(False).astype(bool)
    head = parts["zip"].where(~joined, cleaned.str.slice(0, -4))
    plus4 = (parts["plus4"].notna() | joined).fillna(False).astype(bool)
    padded = (head.str.len() < 5).fillna(False).astype(bool)
    return head.str.zfill(5), plus4, padded


def won_status(
    flags: pd.Series | None, stages: pd.Series | None, rule: WonRule
) -> tuple[pd.Series, pd.Series]:
    """Which sales are won, and why each other one is not.

    A ``won`` column decides when there is one (its value in ``rule.flag_values``); else the ``stage``
    column (its value in ``rule.stages``). Values are compared case-insensitively.

    Parameters
    ----------
    flags, stages : pandas.Series or None
        The ``won`` and ``stage`` columns (at least one).
    rule : WonRule

    Returns
    -------
    won : pandas.Series of bool
    reason : pandas.Series
        For every row, the stage when there is a stage column, else ``won flag <value>``.
    """
    if flags is None and stages is None:
        raise ValueError("won_status needs a won column or a stage column")
    if flags is not None:
        won = flags.astype("string").str.strip().str.casefold().isin([v.casefold() for v in rule.flag_values])
    else:
        won = stages.astype("string").str.strip().str.casefold().isin([v.casefold() for v in rule.stages])
    if stages is not None:
        reason = stages.astype("string").fillna("(no stage)")
    else:
        reason = "won flag " + flags.astype("string").fillna("(empty)")
    return won.fillna(False).astype(bool), reason


def revenue_bands(revenue: pd.Series, rule: RevenueBandRule) -> pd.Series:
    """terrkit revenue band of each annual revenue (missing stays missing).

    ``revenue * rule.scale`` below the first threshold is ``<1M``, at or above the last ``250M+``.
    """
    scaled = revenue.to_numpy(dtype=float) * rule.scale
    position = np.searchsorted(np.asarray(rule.thresholds), np.nan_to_num(scaled), side="right")
    bands = pd.Series(np.asarray(REVENUE_BANDS, dtype=object)[position], index=revenue.index)
    return bands.where(~np.isnan(scaled)).astype("string")


def translate_bands(text: pd.Series, rule: RevenueBandRule) -> tuple[pd.Series, pd.Series]:
    """A source's revenue-band texts as terrkit bands: terrkit's own names, or ``rule.values``.

    Returns
    -------
    bands : pandas.Series
    bad : pandas.Series of bool
        Non-blank texts that are neither a terrkit band nor in ``rule.values``.
    """
    cleaned = text.astype("string").str.strip()
    own = cleaned.where(cleaned.isin(REVENUE_BANDS))
    translated = cleaned.str.lower().map(rule.values)
    bands = own.fillna(translated.astype("string"))
    return bands, (cleaned.notna() & bands.isna()).astype(bool)
