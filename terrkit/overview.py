"""Descriptive tables of a dataset: where the accounts and the sales are, and how sales move.

Sales and customers are those of :mod:`terrkit.measures`: net sales (credits included), customers of a
period = accounts with positive net sales over it, ever customers = accounts that bought in at least one
quarter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrkit.io import Dataset
from terrkit.measures import annual_sales, customers_in, ever_customers, net_sales


def year_of(period: pd.Series) -> pd.Series:
    """Calendar year of ``YYYYQn`` periods."""
    return period.str.slice(0, 4).astype(int)


def sales_by_year(sales: pd.DataFrame) -> pd.DataFrame:
    """Net sales per account and calendar year (credits included), one column per year."""
    table = sales.assign(year=year_of(sales["period"])).pivot_table(
        index="account_id", columns="year", values="amount", aggfunc="sum", fill_value=0.0
    )
    table.columns = [int(c) for c in table.columns]
    return table


def sales_trend(sales: pd.DataFrame) -> pd.DataFrame:
    """Net sales, credits and customers per quarter.

    ``customers`` of a quarter are the accounts with positive net sales in it
    (:func:`terrkit.measures.customers_in` over that quarter).
    """
    net = sales.groupby(["period", "account_id"])["amount"].sum()
    grouped = sales.groupby("period")
    return (
        pd.DataFrame(
            {
                "sales": grouped["amount"].sum(),
                "credits": sales[sales["amount"] < 0].groupby("period")["amount"].sum(),
                "customers": customers_in(net).groupby(level="period").sum(),
            }
        )
        .fillna(0.0)
        .sort_index()
    )


def by_state(dataset: Dataset) -> pd.DataFrame:
    """Accounts, customers and yearly net sales per state, largest last year first.

    Columns: ``accounts``, ``customers_last_4q`` (positive net sales over the last four quarters),
    ``ever_customers`` (positive net sales in at least one quarter) and ``sales_<year>`` per calendar
    year. The column sums equal :func:`terrkit.measures.headline`.
    """
    yearly = sales_by_year(dataset.sales)
    accounts = dataset.accounts[["account_id", "state"]].join(yearly, on="account_id").fillna(0.0)
    accounts["customers_last_4q"] = customers_in(annual_sales(dataset.accounts, dataset.sales)).to_numpy()
    accounts["ever_customers"] = ever_customers(dataset.accounts, dataset.sales).to_numpy()
    years = list(yearly.columns)
    table = accounts.groupby("state").agg(
        accounts=("account_id", "size"),
        customers_last_4q=("customers_last_4q", "sum"),
        ever_customers=("ever_customers", "sum"),
        **{f"sales_{y}": (y, "sum") for y in years},
    )
    counts = ["customers_last_4q", "ever_customers"]
    table[counts] = table[counts].astype(int)
    if years:
        table = table.sort_values(f"sales_{years[-1]}", ascending=False)
    return table


def unit_totals(dataset: Dataset, year: int | None = None) -> pd.DataFrame:
    """Accounts, customers and net sales per unit; every unit appears.

    ``sales`` are the net sales (:func:`terrkit.measures.net_sales`) of the four quarters of ``year``,
    or, by default, of the last four quarters (:func:`terrkit.measures.annual_sales`); ``customers``
    are the accounts with positive net sales over those quarters. The column totals equal the
    account totals: accounts outside the unit geometry are rejected when the dataset is loaded.
    """
    if year is not None:
        sales = net_sales(dataset.accounts, dataset.sales, [f"{int(year)}Q{q}" for q in range(1, 5)])
    elif len(dataset.sales):
        sales = annual_sales(dataset.accounts, dataset.sales)
    else:
        sales = pd.Series(np.zeros(len(dataset.accounts)), index=dataset.accounts.index, name="sales")
    accounts = dataset.accounts[["account_id", "unit_id"]].copy()
    accounts["sales"] = sales.to_numpy()
    accounts["customer"] = customers_in(sales).to_numpy()
    totals = accounts.groupby("unit_id").agg(
        accounts=("account_id", "size"), customers=("customer", "sum"), sales=("sales", "sum")
    )
    totals = totals.reindex(dataset.units["unit_id"]).fillna(0.0)
    totals[["accounts", "customers"]] = totals[["accounts", "customers"]].astype(int)
    return totals.rename_axis("unit_id").reset_index()
