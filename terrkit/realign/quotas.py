"""Next year's quota per territory: a company number spread over the new territories by a stated rule.

A realignment changes what each territory holds, so last year's quota of its rep no longer fits it: a rep
who gains accounts keeps a quota set on a smaller book and reads far above 100%, a rep who loses them far
below. Quotas are set again for the new territories with the usual rule of sales operations, a blend of
**sales history** (what the territory sells today: its customers' sales re-mapped to the new territories)
and **potential** (what it could sell):

.. math:: q_t = Q \\left( w \\frac{S_t}{\\sum_u S_u} + (1 - w) \\frac{P_t}{\\sum_u P_u} \\right)

with :math:`Q` the company number (by default the sum of today's quotas), :math:`S_t` the net sales of the
accounts territory :math:`t` holds in the proposal, :math:`P_t` their potential and :math:`w` the weight of
history (:data:`QUOTA_HISTORY_WEIGHT`). The shares add up to one, so the quotas add up to :math:`Q`. They
are then rounded to a round step (1,000 when the company number allows it) by the **largest remainder**:
every territory gets its share rounded down, and the steps left over go one each to the territories with
the largest fractions dropped (ties to the first territory in order), so the rounded quotas still add up
to :math:`Q` exactly. No floor or cap is applied: a territory with neither sales nor potential gets no quota.

Usage, with a realignment's territory summary::

    quotas = set_quotas(summary["sales"], summary["potential"], company_quota_of(reps), history_weight=0.5)
    summary = with_next_year_quotas(summary, quotas, year_fraction=1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError

__all__ = [
    "QUOTA_HISTORY_WEIGHT",
    "ROUNDING_STEPS",
    "attainment_spread",
    "company_quota_of",
    "rounding_step",
    "rule_text",
    "set_quotas",
    "with_next_year_quotas",
]

#: Weight of sales history in the quota rule: the usual even blend of what a territory sells and could sell.
QUOTA_HISTORY_WEIGHT = 0.5

#: Steps quotas are rounded to, coarsest first: the first that divides the company number is used.
ROUNDING_STEPS = (1000.0, 100.0, 10.0, 1.0, 0.01)

#: Attainment below this reads as a quota out of reach (the review's low-attainment flag).
LOW_ATTAINMENT = 0.8
#: Attainment above this reads as a quota set too low for the territory.
HIGH_ATTAINMENT = 1.2


def company_quota_of(reps: pd.DataFrame, required: bool = True) -> float | None:
    """The default company number: the sum of today's annual quotas in ``reps.csv``.

    Parameters
    ----------
    reps : pandas.DataFrame
        ``reps.csv``; ``quota`` is optional in a dataset (CRM exports often lack it).
    required : bool, default True
        Without quotas (no ``quota`` column, or every quota empty): raise when True, return None when
        False (the caller then sets no quotas and says so).

    Raises
    ------
    DataValidationError
        When ``reps`` has no quotas and ``required``, a quota is missing or negative, or the quotas add up
        to zero.
    """
    if "quota" not in reps.columns or not reps["quota"].notna().any():
        if not required:
            return None
        raise DataValidationError("reps.csv", "no quota column: give the company quota as a parameter")
    quota = pd.to_numeric(reps["quota"], errors="coerce")
    bad = quota.isna() | (quota < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            "reps.csv", "a quota must be a number >= 0", column="quota", row=row + 2,
            value=reps["quota"].iloc[row], more=int(bad.sum()) - 1,
        )  # fmt: skip
    total = float(quota.sum())
    if total <= 0:
        raise DataValidationError("reps.csv", "the quotas add up to 0: give the company quota as a parameter")
    return total


def rounding_step(company_quota: float) -> float:
    """The coarsest of :data:`ROUNDING_STEPS` that divides ``company_quota``.

    Quotas rounded to that step can add up to the company number exactly.

    Raises
    ------
    ConfigError
        When the company number has fractions of a cent.
    """
    for step in ROUNDING_STEPS:
        units = round(company_quota / step)
        if abs(units * step - company_quota) <= 1e-9 * max(1.0, abs(company_quota)):
            return step
    raise ConfigError(
        f"company quota {company_quota!r} has fractions of a cent; give it in whole cents at most"
    )


def _check_weight(history_weight: float) -> float:
    weight = float(history_weight)
    if not math.isfinite(weight) or not 0.0 <= weight <= 1.0:
        raise ConfigError(
            f"history_weight must be between 0 (quota from potential alone) and 1 (from sales alone), "
            f"got {history_weight!r}"
        )
    return weight


def _check_measure(values: pd.Series, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy()) | (numbers.to_numpy() < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"territory {name}", f"{name} per territory must be numbers >= 0 to share a quota",
            column="territory_id", value=(values.index[first], values.iloc[first]), more=int(bad.sum()) - 1,
        )  # fmt: skip
    return numbers


def _largest_remainder(exact_units: np.ndarray, total_units: int) -> np.ndarray:
    """Whole units per territory that add up to ``total_units``, each within one unit of its exact share."""
    floor = np.floor(exact_units).astype(np.int64)
    left = int(total_units - floor.sum())
    fraction = exact_units - floor
    if left >= 0:
        # the steps left over go to the largest fractions dropped; ties to the first territory (stable sort)
        floor[np.argsort(-fraction, kind="stable")[:left]] += 1
    else:
        # float shares a hair over 1 in total can leave a step too many: take it from the smallest fractions
        held = np.flatnonzero(floor > 0)
        floor[held[np.argsort(fraction[held], kind="stable")[:-left]]] -= 1
    return floor


def set_quotas(
    territory_sales: pd.Series,
    territory_potential: pd.Series,
    company_quota: float,
    history_weight: float = QUOTA_HISTORY_WEIGHT,
    round_to: float | None = None,
) -> pd.DataFrame:
    """Spread a company quota over territories by a blend of their sales history and potential.

    .. math:: q_t = Q \\left( w \\frac{S_t}{\\sum_u S_u} + (1 - w) \\frac{P_t}{\\sum_u P_u} \\right)

    then rounded to ``round_to`` by the largest remainder, so that :math:`\\sum_t q_t = Q` exactly (see the
    module docstring; :func:`rule_text` states the rule in words).

    Parameters
    ----------
    territory_sales : pandas.Series
        Net sales per territory (indexed by ``territory_id``) of the accounts it holds in the proposal:
        last year's history re-mapped to the new territories. Numbers >= 0.
    territory_potential : pandas.Series
        Potential per territory, same index. Any scale (annual or per period): only shares count.
    company_quota : float
        The company number to spread, > 0 (e.g. :func:`company_quota_of` the reps).
    history_weight : float, default 0.5
        :math:`w`, between 0 (potential alone) and 1 (sales alone).
    round_to : float, optional
        Step the quotas are rounded to; it must divide ``company_quota``. Default :func:`rounding_step`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``territory_id`` in the order given: ``sales``, ``potential``, ``sales_share``,
        ``potential_share``, ``quota_share`` (the blend) and ``quota`` (annual, rounded; sums to
        ``company_quota``).

    Raises
    ------
    ConfigError
        For a weight outside [0, 1], a company number <= 0 or not a multiple of ``round_to``.
    DataValidationError
        For negative or missing figures, territories in one series and not the other, or total sales
        (potential) of 0 while the rule gives them weight.
    """
    weight = _check_weight(history_weight)
    company = float(company_quota)
    if not math.isfinite(company) or company <= 0:
        raise ConfigError(f"the company quota must be a number > 0, got {company_quota!r}")
    if territory_sales.index.has_duplicates:
        raise DataValidationError("territory sales", "a territory is listed twice", column="territory_id")
    differ = territory_sales.index.symmetric_difference(territory_potential.index)
    if len(differ):
        raise DataValidationError(
            "territory sales and potential", "the two must list the same territories",
            column="territory_id", value=differ[0], more=len(differ) - 1,
        )  # fmt: skip
    sales = _check_measure(territory_sales, "sales")
    potential = _check_measure(territory_potential.reindex(territory_sales.index), "potential")
    for name, values, used in (("sales", sales, weight > 0), ("potential", potential, weight < 1)):
        if used and values.sum() <= 0:
            raise DataValidationError(
                f"territory {name}",
                f"the territories' {name} add up to 0, so it cannot share a quota; set history_weight to "
                f"{0 if name == 'sales' else 1} to use {'potential' if name == 'sales' else 'sales'} alone",
            )
    step = rounding_step(company) if round_to is None else float(round_to)
    if not math.isfinite(step) or step <= 0:
        raise ConfigError(f"round_to must be a number > 0, got {round_to!r}")
    total_units = round(company / step)
    if abs(total_units * step - company) > 1e-9 * company:
        raise ConfigError(
            f"round_to {step:g} does not divide the company quota {company:,.2f}: quotas rounded to it "
            "cannot add up to it; leave round_to empty to pick a step that does"
        )
    out = pd.DataFrame({"sales": sales, "potential": potential})
    out.index.name = "territory_id"
    out["sales_share"] = sales / sales.sum() if sales.sum() > 0 else 0.0
    out["potential_share"] = potential / potential.sum() if potential.sum() > 0 else 0.0
    out["quota_share"] = weight * out["sales_share"] + (1.0 - weight) * out["potential_share"]
    units = _largest_remainder(out["quota_share"].to_numpy() * total_units, total_units)
    decimals = max(0, -math.floor(math.log10(step)))  # whole steps shown without float noise (0.01 -> 2)
    out["quota"] = np.round(units * step, decimals)
    return out


def rule_text(
    history_weight: float,
    company_quota: float,
    source: str = "the sum of today's quotas",
    round_to: float | None = None,
    period: str | None = None,
) -> str:
    """The quota rule in words, with its figures, for the notebook (Markdown).

    Parameters
    ----------
    history_weight, company_quota, round_to
        As given to :func:`set_quotas`.
    source : str
        Where the company number comes from (e.g. "the sum of today's quotas", "the parameter company_quota").
    period : str, optional
        Label of the period whose sales are the history (e.g. "2025"); default "last year".
    """
    weight = _check_weight(history_weight)
    step = rounding_step(float(company_quota)) if round_to is None else float(round_to)
    history = "last year's sales" if period is None else f"the sales of {period}"
    return (
        f"**Next year's quotas.** The company quota of {company_quota:,.0f} ({source}) is spread over the "
        f"proposed territories: each gets {weight:.0%} of it in proportion to its share of {history} "
        f"(the sales of the accounts it holds in the proposal) and {1 - weight:.0%} in proportion to its "
        f"share of potential, "
        f"q = Q x ({weight:g} x sales share + {1 - weight:g} x potential share). Quotas are rounded to "
        f"{step:,g} by the largest remainder, so they add up to the company quota exactly; no floor or cap "
        "is applied."
    )


def with_next_year_quotas(
    territory_summary: pd.DataFrame, quotas: pd.DataFrame, year_fraction: float = 1.0
) -> pd.DataFrame:
    """The territory summary with next year's quota and the attainment it gives.

    Parameters
    ----------
    territory_summary : pandas.DataFrame
        One row per territory with ``territory_id`` and ``sales`` (the review period's), such as
        :attr:`terrkit.realign.Realignment.territory_summary`. Its ``quota`` and ``attainment`` (today's
        quota of the territory's rep) are kept as they are.
    quotas : pandas.DataFrame
        :func:`set_quotas`, indexed by ``territory_id``; every territory of the summary must have a quota.
    year_fraction : float, default 1
        Share of a year the review period covers (the annual quota is scaled by it, as in the review).

    Returns
    -------
    pandas.DataFrame
        A copy with ``quota_next_year`` (annual) and ``attainment_next_year_quota`` (the period's sales over
        ``year_fraction`` x ``quota_next_year``; empty when that quota is 0).
    """
    ids = territory_summary["territory_id"]
    missing = ~ids.isin(quotas.index)
    if missing.any():
        raise DataValidationError(
            "quotas", "a territory of the summary has no quota", column="territory_id",
            value=ids[missing].iloc[0], more=int(missing.sum()) - 1,
        )  # fmt: skip
    out = territory_summary.copy()
    out["quota_next_year"] = ids.map(quotas["quota"]).astype(float).to_numpy()
    period_quota = out["quota_next_year"] * float(year_fraction)
    out["attainment_next_year_quota"] = out["sales"].astype(float) / period_quota.where(period_quota > 0)
    return out


def attainment_spread(
    attainments: Mapping[str, pd.Series], low: float = LOW_ATTAINMENT, high: float = HIGH_ATTAINMENT
) -> pd.DataFrame:
    """How far attainment spreads: lowest, highest, how many territories fall below ``low``, above ``high``.

    Parameters
    ----------
    attainments : mapping of str to pandas.Series
        Attainment per territory (1 = 100%) under each set of quotas, e.g. ``{"today's quotas": ...,
        "next year's quotas": ...}``. Empty values (no quota) are left out.

    Returns
    -------
    pandas.DataFrame
        One row per entry: ``territories``, ``lowest``, ``median``, ``highest``, ``below_<low>`` and
        ``above_<high>`` (counts, named by their percentages, e.g. ``below_80pct``).
    """
    below, above = f"below_{low * 100:g}pct", f"above_{high * 100:g}pct"
    rows = {}
    for name, values in attainments.items():
        att = pd.to_numeric(values, errors="coerce").dropna()
        rows[name] = {
            "territories": len(att),
            "lowest": float(att.min()) if len(att) else np.nan,
            "median": float(att.median()) if len(att) else np.nan,
            "highest": float(att.max()) if len(att) else np.nan,
            below: int((att < low).sum()),
            above: int((att > high).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
