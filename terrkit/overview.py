"""Descriptive tables of a dataset: where the accounts and the sales are, and how sales move."""

from __future__ import annotations

import pandas as pd

from terrkit.io import Dataset


def year_of(period: pd.Series) -> pd.Series:
    """Calendar year of ``YYYYQn`` periods."""
    return period.str.slice(0, 4).astype(int)


def annual_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Sales per account and year (credits included), one column per year."""
    table = sales.assign(year=year_of(sales["period"])).pivot_table(
        index="account_id", columns="year", values="amount", aggfunc="sum", fill_value=0.0
    )
    table.columns = [int(c) for c in table.columns]
    return table


def sales_trend(sales: pd.DataFrame) -> pd.DataFrame:
    """Total sales, credits and active customers per period."""
    grouped = sales.groupby("period")
    return (
        pd.DataFrame(
            {
                "sales": grouped["amount"].sum(),
                "credits": sales[sales["amount"] < 0].groupby("period")["amount"].sum(),
                "customers": sales[sales["amount"] > 0].groupby("period")["account_id"].nunique(),
            }
        )
        .fillna(0.0)
        .sort_index()
    )


def by_state(dataset: Dataset) -> pd.DataFrame:
    """Accounts, customers and yearly sales per state, largest last year first."""
    yearly = annual_sales(dataset.sales)
    accounts = dataset.accounts[["account_id", "state"]].join(yearly, on="account_id").fillna(0.0)
    years = list(yearly.columns)
    table = accounts.groupby("state").agg(
        accounts=("account_id", "size"),
        **{f"sales_{y}": (y, "sum") for y in years},
    )
    customers = dataset.accounts.loc[
        dataset.accounts["account_id"].isin(yearly.index), "state"
    ].value_counts()
    table.insert(1, "customers", customers.reindex(table.index).fillna(0).astype(int))
    if years:
        table = table.sort_values(f"sales_{years[-1]}", ascending=False)
    return table


def unit_totals(dataset: Dataset, year: int | None = None) -> pd.DataFrame:
    """Accounts, customers and sales of ``year`` (default: the last) per unit; every unit appears.

    The column totals equal the account totals: accounts outside the unit geometry are
    rejected when the dataset is loaded.
    """
    yearly = annual_sales(dataset.sales)
    year = year if year is not None else (max(yearly.columns) if len(yearly.columns) else None)
    sales = yearly[year] if year is not None else pd.Series(dtype=float)
    accounts = dataset.accounts[["account_id", "unit_id"]].copy()
    accounts["sales"] = accounts["account_id"].map(sales).fillna(0.0)
    accounts["customer"] = accounts["sales"] > 0
    totals = accounts.groupby("unit_id").agg(
        accounts=("account_id", "size"), customers=("customer", "sum"), sales=("sales", "sum")
    )
    totals = totals.reindex(dataset.units["unit_id"]).fillna(0.0)
    totals[["accounts", "customers"]] = totals[["accounts", "customers"]].astype(int)
    return totals.rename_axis("unit_id").reset_index()
