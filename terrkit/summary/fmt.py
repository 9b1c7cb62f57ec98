"""Numbers for people: thousands separators, percentages, kilometres; never ``1.46e+07``.

Every figure of the executive summary goes through these functions, so that the tests can format a
deliverable's value the same way and find it on the page.
"""

from __future__ import annotations

import math
from numbers import Real

#: Shown for a missing value (None, NaN).
MISSING = "–"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, Real) and math.isnan(float(value)))


def count(value: object) -> str:
    """A whole number with thousands separators: ``12,345``.

    Parameters
    ----------
    value : number or None
        Rounded to the nearest integer.

    Returns
    -------
    str
        The formatted number, or ``–`` when missing.
    """
    if _missing(value):
        return MISSING
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def money(value: object) -> str:
    """An amount of money, rounded to whole units with thousands separators: ``14,599,712``.

    Negative amounts keep their sign (``-1,200``).
    """
    return count(value)


def percent(value: object, digits: int = 1) -> str:
    """A share as a percentage: ``0.0734 -> 7.3%``."""
    if _missing(value):
        return MISSING
    return f"{float(value):.{digits}%}"  # type: ignore[arg-type]


def tolerance(value: object) -> str:
    """A balance tolerance: ``0.05 -> ±5%`` (one decimal only when needed: ``±7.5%``)."""
    if _missing(value):
        return MISSING
    v = float(value) * 100  # type: ignore[arg-type]
    return f"±{v:.0f}%" if abs(v - round(v)) < 1e-6 else f"±{v:.1f}%"


def km(value: object) -> str:
    """A distance in whole kilometres: ``1,234 km``."""
    if _missing(value):
        return MISSING
    return f"{count(value)} km"
