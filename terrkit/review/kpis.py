"""Key performance indicators per territory and per rep, flags and rankings.

Every account-level step is a column-wise pandas/numpy operation; groups are formed with
``groupby``/``bincount`` so that millions of accounts are fine.

Definitions (for a review period :math:`P` compared with the period before, :math:`P'`):

- **sales** :math:`S = \\sum` net amounts in :math:`P` (credits included; :func:`terrkit.measures.net_sales`),
  **sales_prev** the same in :math:`P'`, **growth** :math:`S / S' - 1` (empty when :math:`S' \\le 0`);
- **customer**: an account with net sales > 0 in the period (:func:`terrkit.measures.customers_in`; for a
  year under review these are the customers of its four quarters); **new customer** (acquired): a customer
  in :math:`P` with no positive net sales in any quarter before :math:`P`; **lost customer**: a customer
  in :math:`P'` that is not one in :math:`P`;
- **quota attainment** :math:`S / (f \\cdot Q)` with :math:`Q` the rep's annual quota and :math:`f` the
  share of a year the period covers (1 for a year, 0.25 for a quarter); a rep with several
  territories has the quota split equally among them;
- **penetration** :math:`S / (f \\cdot \\text{potential})` and **whitespace**
  :math:`\\sum_i \\max(0, f \\cdot \\text{potential}_i - S_i)` (potential is annual, from
  :mod:`terrkit.potential`);
- **workload ratio**: annual workload hours (:mod:`terrkit.workload`) / the rep's annual capacity hours.

Territory of an account = the territory of its unit (current alignment); the territory's rep is
the rep of that territory. An account whose owner is not its territory's rep is an *exception*.
Rep KPIs group accounts by their owner (who is credited in the CRM).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.measures import customers_in, ever_customers, net_sales, period_to_quarter, quarter_to_period
from terrkit.review.periods import ReviewPeriod

#: KPI columns that are sums over accounts.
SUM_COLUMNS = ("accounts", "customers", "sales", "sales_prev", "new_customers", "lost_customers")


def rep_names(reps: pd.DataFrame | None) -> pd.Series:
    """Each rep's name by ``rep_id`` (the roster's first row per rep); empty when the roster has no names.

    Examples
    --------
    >>> rep_names(pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann Lee", "Bo Kim"]}))["R2"]
    'Bo Kim'
    """
    if reps is None or not {"rep_id", "name"} <= set(reps.columns):
        return pd.Series(dtype=object)
    return reps.drop_duplicates("rep_id").set_index("rep_id")["name"]


def territory_of_accounts(accounts: pd.DataFrame, alignment: pd.DataFrame) -> pd.DataFrame:
    """Territory and territory rep of every account, and whether its owner is an exception.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``unit_id``, ``owner_rep_id``.
    alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id``. A unit listed twice counts with its first row
        (the coverage checks report the duplicate).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``accounts``: ``account_id``, ``unit_id``, ``owner_rep_id``, ``territory_id``,
        ``territory_rep_id`` (empty when the unit has no territory) and ``is_exception``
        (the account has an owner, and it differs from the territory rep).
    """
    for col in ("account_id", "unit_id", "owner_rep_id"):
        if col not in accounts.columns:
            raise DataValidationError("accounts", f"missing column {col!r}")
    first = alignment.drop_duplicates("unit_id").set_index("unit_id")
    out = accounts[["account_id", "unit_id", "owner_rep_id"]].copy()
    out["territory_id"] = out["unit_id"].map(first["territory_id"])
    out["territory_rep_id"] = out["unit_id"].map(first["rep_id"])
    owned = out["owner_rep_id"].notna()
    out["is_exception"] = (
        out["territory_rep_id"].notna() & owned & (out["owner_rep_id"] != out["territory_rep_id"])
    )
    return out


def account_activity(accounts: pd.DataFrame, sales: pd.DataFrame, period: ReviewPeriod) -> pd.DataFrame:
    """Sales and customer status of every account in the review period and the one before.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``accounts``: ``account_id``, ``sales``, ``sales_prev``, ``is_customer``,
        ``was_customer``, ``new_customer``, ``lost_customer`` (definitions in the module docstring).
    """
    ids = accounts["account_id"]
    # "bought before": positive net sales in some quarter before the period (an ever customer then)
    quarter_before = quarter_to_period(int(period_to_quarter([period.start])[0]) - 1)
    bought_before = ever_customers(accounts, sales, as_of=quarter_before).to_numpy()
    out = pd.DataFrame({"account_id": ids}, index=accounts.index)
    out["sales"] = net_sales(accounts, sales, period.current).to_numpy()
    out["sales_prev"] = net_sales(accounts, sales, period.previous).to_numpy()
    out["is_customer"] = customers_in(out["sales"]).to_numpy()
    out["was_customer"] = customers_in(out["sales_prev"]).to_numpy()
    out["new_customer"] = out["is_customer"] & ~bought_before
    out["lost_customer"] = out["was_customer"] & ~out["is_customer"]
    return out


def _group_sums(frame: pd.DataFrame, key: str, index: pd.Index, year_fraction: float) -> pd.DataFrame:
    """Sums of the account columns per group, reindexed to ``index`` (missing groups get 0)."""
    work = pd.DataFrame({key: frame[key]})
    work["accounts"] = 1
    work["customers"] = frame["is_customer"].astype(int)
    work["sales"] = frame["sales"].astype(float)
    work["sales_prev"] = frame["sales_prev"].astype(float)
    work["new_customers"] = frame["new_customer"].astype(int)
    work["lost_customers"] = frame["lost_customer"].astype(int)
    if "potential" in frame:
        pot = frame["potential"].astype(float).fillna(0.0) * year_fraction
        work["potential"] = pot
        work["whitespace"] = np.maximum(pot - work["sales"], 0.0)
    if "workload" in frame:
        work["workload_hours"] = frame["workload"].astype(float).fillna(0.0)
    sums = work.groupby(key).sum().reindex(index).fillna(0.0)
    for col in ("accounts", "customers", "new_customers", "lost_customers"):
        sums[col] = sums[col].astype(int)
    return sums


def _ratios(table: pd.DataFrame) -> pd.DataFrame:
    def div(a: pd.Series, b: pd.Series) -> pd.Series:
        b = b.astype(float)
        return (a / b.where(b > 0)).astype(float)

    table.insert(table.columns.get_loc("accounts") + 2, "prospects", table["accounts"] - table["customers"])
    table["growth"] = div(table["sales"], table["sales_prev"]) - 1
    table["attainment"] = div(table["sales"], table["quota"])
    if "potential" in table:
        table["penetration"] = div(table["sales"], table["potential"])
    if "workload_hours" in table:
        table["workload_ratio"] = div(table["workload_hours"], table["capacity_hours"])
    return table


def territory_kpis(
    frame: pd.DataFrame,
    alignment: pd.DataFrame,
    reps: pd.DataFrame,
    year_fraction: float = 1.0,
) -> pd.DataFrame:
    """KPIs per territory.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per account with ``territory_id`` (:func:`territory_of_accounts`), the activity
        columns (:func:`account_activity`) and optionally ``potential`` and ``workload``.
    alignment : pandas.DataFrame
        ``unit_id``, ``territory_id``, ``rep_id``: every territory appears in the result.
    reps : pandas.DataFrame
        ``rep_id``, ``quota``, ``capacity_hours``.
    year_fraction : float, default 1
        Share of a year the period covers (:attr:`ReviewPeriod.year_fraction`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``territory_id``: ``rep_id``, ``units``, ``accounts``, ``customers``, ``prospects``,
        ``sales``, ``sales_prev``, ``new_customers``, ``lost_customers``, [``potential``,
        ``whitespace``], [``workload_hours``], ``quota``, ``capacity_hours``, ``growth``,
        ``attainment``, [``penetration``], [``workload_ratio``].
    """
    terr = alignment.drop_duplicates("unit_id").dropna(subset=["territory_id"])
    info = terr.groupby("territory_id").agg(rep_id=("rep_id", "first"), units=("unit_id", "size"))
    sums = _group_sums(frame.dropna(subset=["territory_id"]), "territory_id", info.index, year_fraction)
    table = pd.concat([info, sums], axis=1)
    per_rep = info.groupby("rep_id").size()
    rep = reps.set_index("rep_id")
    share = 1.0 / info["rep_id"].map(per_rep)
    table["quota"] = info["rep_id"].map(rep["quota"]).astype(float) * year_fraction * share
    table["capacity_hours"] = info["rep_id"].map(rep["capacity_hours"]).astype(float) * share
    table.index.name = "territory_id"
    return _ratios(table)


def rep_kpis(frame: pd.DataFrame, reps: pd.DataFrame, year_fraction: float = 1.0) -> pd.DataFrame:
    """KPIs per rep, grouping accounts by their owner (``owner_rep_id``); every rep appears.

    Columns as in :func:`territory_kpis` (without ``units``), plus ``name`` and
    ``exceptions`` (owned accounts outside the rep's territories) when ``frame`` has
    ``is_exception``.
    """
    index = pd.Index(reps["rep_id"], name="rep_id")
    sums = _group_sums(frame, "owner_rep_id", index, year_fraction)
    rep = reps.set_index("rep_id")
    table = sums.copy()
    if "name" in rep:
        table.insert(0, "name", rep["name"])
    if "is_exception" in frame:
        exc = frame.loc[frame["is_exception"], "owner_rep_id"].value_counts()
        table["exceptions"] = exc.reindex(index).fillna(0).astype(int)
    table["quota"] = rep["quota"].astype(float) * year_fraction
    table["capacity_hours"] = rep["capacity_hours"].astype(float)
    return _ratios(table)


def flag_kpis(kpis: pd.DataFrame, attainment_flag: float = 0.8, workload_flag: float = 1.15) -> pd.DataFrame:
    """Add flags: attainment below ``attainment_flag``, workload above ``workload_flag`` x capacity.

    Returns a copy with boolean ``low_attainment`` and ``overloaded`` and a text column ``flag_reasons``
    ("attainment 72% below 80%; workload 131% above 115% of capacity"), empty when nothing is flagged.
    """
    out = kpis.copy()

    def pct(x: pd.Series) -> pd.Series:
        return (x * 100).round().astype("Int64").astype(str) + "%"

    att = out["attainment"].astype(float)
    out["low_attainment"] = (att < attainment_flag).fillna(False).astype(bool)
    text_att = pd.Series(
        np.where(out["low_attainment"], "attainment " + pct(att) + f" below {attainment_flag:.0%}", ""),
        index=out.index,
    )
    if "workload_ratio" in out:
        wr = out["workload_ratio"].astype(float)
        out["overloaded"] = (wr > workload_flag).fillna(False).astype(bool)
        text_wl = pd.Series(
            np.where(
                out["overloaded"], "workload " + pct(wr) + f" above {workload_flag:.0%} of capacity", ""
            ),
            index=out.index,
        )
    else:
        out["overloaded"] = False
        text_wl = pd.Series("", index=out.index)
    both = (text_att != "") & (text_wl != "")
    out["flag_reasons"] = text_att + np.where(both, "; ", "") + text_wl
    return out


def rank_kpis(kpis: pd.DataFrame, measure: str, ascending: bool = False) -> pd.DataFrame:
    """Rank rows by ``measure`` (1 = best; ``ascending=True`` ranks the smallest first)."""
    if measure not in kpis.columns:
        raise ValueError(f"unknown measure {measure!r}; valid measures: {', '.join(map(str, kpis.columns))}")
    out = kpis.sort_values(measure, ascending=ascending, na_position="last").copy()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
