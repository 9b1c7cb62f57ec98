"""The headline figures, each defined once and named for what it counts.

Every notebook and deliverable that reports sales or customers takes them from here, so the same
period gives the same number everywhere:

``net_sales``
    Per account, the sum of the amounts in the quarters of a period, **credits included**: a
    net-negative account keeps its negative total, so the sum over accounts equals the sum of
    ``sales.csv`` over those quarters (the books).
``annual_sales``
    ``net_sales`` over the four quarters that end at ``as_of`` (default the latest quarter with
    sales): the sales "of the last four quarters".
``customers_in`` / ``customers_last_4q``
    Accounts whose net sales over the period are positive; ``customers_last_4q`` over the last four
    quarters. Everyone else is a *prospect* of that period.
``ever_customers``
    Accounts with positive net sales in at least one quarter up to ``as_of`` ("ever bought"): the
    accounts RFM scores (the rest are RFM's prospects). Always labelled *ever customers*, never plain
    *customers*.

Periods are quarters ``"YYYYQn"``. All steps are column-wise (no loops over accounts or rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError

#: Quarters in a year: annual sales and "customers" look back this many quarters.
QUARTERS_PER_YEAR = 4


def period_to_quarter(periods: pd.Series | np.ndarray | Sequence[str]) -> np.ndarray:
    """Absolute quarter number of ``"YYYYQn"`` strings: ``4 * year + (n - 1)``.

    Parses each distinct period once, so it is fast on millions of sales rows.

    Raises
    ------
    DataValidationError
        If a period is not of the form ``YYYYQ1``..``YYYYQ4``.
    """
    codes, uniques = pd.factorize(pd.Series(periods, copy=False).astype(str), sort=False)
    u = pd.Series(np.asarray(uniques, dtype=object)).str.strip().str.upper()
    ok = u.str.fullmatch(r"\d{4}Q[1-4]")
    if not ok.all():
        bad = u[~ok].iloc[0]
        raise DataValidationError(
            "sales", "period must look like 2024Q3 (year, 'Q', quarter 1-4)", column="period", value=bad
        )
    q = u.str.slice(0, 4).astype(int).to_numpy() * 4 + u.str.slice(5, 6).astype(int).to_numpy() - 1
    return q[codes]


def quarter_to_period(q: int) -> str:
    """Inverse of :func:`period_to_quarter` for one quarter number."""
    return f"{q // 4}Q{q % 4 + 1}"


def latest_period(sales: pd.DataFrame) -> str:
    """The latest quarter in ``sales`` (``"YYYYQn"``).

    Raises
    ------
    ConfigError
        If ``sales`` has no rows.
    """
    _require(sales, ["period"], "sales")
    if len(sales) == 0:
        raise ConfigError("sales has no rows: there is no latest period to measure up to")
    return quarter_to_period(int(period_to_quarter(sales["period"]).max()))


def trailing_quarters(as_of: str, n_quarters: int = QUARTERS_PER_YEAR) -> tuple[str, ...]:
    """The ``n_quarters`` quarters ending at ``as_of``, oldest first.

    >>> trailing_quarters("2025Q2")
    ('2024Q3', '2024Q4', '2025Q1', '2025Q2')
    """
    if not isinstance(n_quarters, int | np.integer) or n_quarters < 1:
        raise ConfigError(f"n_quarters must be a positive whole number of quarters; got {n_quarters!r}")
    end = int(period_to_quarter([str(as_of)])[0])
    return tuple(quarter_to_period(q) for q in range(end - int(n_quarters) + 1, end + 1))


def _require(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(name, f"missing column(s) {missing}; has {list(df.columns)[:20]}")


def _rows(accounts: pd.DataFrame, sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account position (-1 = not in ``accounts``), quarter number and amount of every sales row."""
    _require(accounts, ["account_id"], "accounts")
    _require(sales, ["account_id", "period", "amount"], "sales")
    acc = pd.Index(accounts["account_id"].astype(str)).get_indexer(sales["account_id"].astype(str))
    quarter = period_to_quarter(sales["period"]) if len(sales) else np.zeros(0, dtype=np.int64)
    amount = pd.to_numeric(sales["amount"], errors="coerce").to_numpy(dtype=float)
    known = (acc >= 0) & np.isfinite(amount)
    return np.where(known, acc, -1), quarter, np.where(known, amount, 0.0)


def net_sales(accounts: pd.DataFrame, sales: pd.DataFrame, quarters: Iterable[str]) -> pd.Series:
    """Net sales per account over ``quarters``, credits included.

    .. math:: S_i = \\sum_{t \\in \\text{quarters}} \\text{amount}_{i,t}

    Negative totals stay negative, so :math:`\\sum_i S_i` equals the sum of the sales rows of those
    quarters for the accounts in ``accounts``. Accounts without rows get 0; rows of accounts not in
    ``accounts`` or with a non-numeric amount are left out (the loader rejects both).

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``.
    sales : pandas.DataFrame
        ``account_id``, ``period`` (``"YYYYQn"``), ``amount``.
    quarters : iterable of str
        The quarters of the period, e.g. ``("2025Q1", ..., "2025Q4")``.

    Returns
    -------
    pandas.Series
        Named ``"sales"``, indexed like ``accounts``; ``attrs["quarters"]`` holds the quarters.
    """
    wanted = tuple(str(q).strip().upper() for q in quarters)
    acc, quarter, amount = _rows(accounts, sales)
    in_period = np.isin(quarter, period_to_quarter(list(wanted))) if wanted else np.zeros(len(acc), bool)
    keep = in_period & (acc >= 0)
    total = np.bincount(acc[keep], weights=amount[keep], minlength=len(accounts))
    out = pd.Series(total, index=accounts.index, name="sales")
    out.attrs["quarters"] = wanted
    return out


def annual_sales(
    accounts: pd.DataFrame, sales: pd.DataFrame, as_of: str | None = None, n_quarters: int = QUARTERS_PER_YEAR
) -> pd.Series:
    """Net sales per account over the last ``n_quarters`` quarters up to ``as_of`` (credits included).

    :func:`net_sales` over :func:`trailing_quarters` of ``as_of``; ``as_of`` defaults to the latest
    quarter in ``sales``.

    Returns
    -------
    pandas.Series
        Named ``"sales"``, indexed like ``accounts``; ``attrs["as_of"]`` and ``attrs["quarters"]``
        say which quarters were summed.
    """
    _require(sales, ["account_id", "period", "amount"], "sales")
    if as_of is None or str(as_of).strip() == "":
        as_of = latest_period(sales) if len(sales) else None
    if as_of is None:
        raise ConfigError("sales is empty and no as_of period was given")
    quarters = trailing_quarters(str(as_of).strip().upper(), n_quarters)
    out = net_sales(accounts, sales, quarters)
    out.attrs["as_of"] = quarters[-1]
    return out


def customers_in(period_sales: pd.Series) -> pd.Series:
    """Whether each account is a customer of the period: net sales over the period > 0.

    Parameters
    ----------
    period_sales : pandas.Series
        Net sales per account over a period (:func:`net_sales`, :func:`annual_sales`).
    """
    return (pd.to_numeric(period_sales, errors="coerce").fillna(0.0) > 0).rename("is_customer")


def customers_last_4q(accounts: pd.DataFrame, sales: pd.DataFrame, as_of: str | None = None) -> pd.Series:
    """Whether each account has positive net sales over the last four quarters up to ``as_of``.

    Returns
    -------
    pandas.Series
        Boolean, indexed like ``accounts``; ``attrs`` as in :func:`annual_sales`.
    """
    current = annual_sales(accounts, sales, as_of)
    out = customers_in(current).rename("customer_last_4q")
    out.attrs.update(current.attrs)
    return out


def ever_customers(accounts: pd.DataFrame, sales: pd.DataFrame, as_of: str | None = None) -> pd.Series:
    """Whether each account had positive net sales in at least one quarter up to ``as_of``.

    A quarter counts as a purchase when the account's net amount in it is positive (a credit that
    cancels the quarter's invoice is no purchase). ``as_of`` defaults to the latest quarter.

    Returns
    -------
    pandas.Series
        Boolean, named ``"ever_customer"``, indexed like ``accounts``; ``attrs["as_of"]``.
    """
    acc, quarter, amount = _rows(accounts, sales)
    if as_of is None or str(as_of).strip() == "":
        q_asof = int(quarter.max()) if len(quarter) else 0
    else:
        q_asof = int(period_to_quarter([str(as_of)])[0])
    keep = (acc >= 0) & (quarter <= q_asof)
    acc, quarter, amount = acc[keep].astype(np.int64), quarter[keep], amount[keep]
    q_min = int(quarter.min()) if len(quarter) else q_asof
    span = q_asof - q_min + 1
    keys, inverse = np.unique(acc * span + (quarter - q_min), return_inverse=True)
    net = np.bincount(inverse.ravel(), weights=amount, minlength=len(keys))
    bought = np.zeros(len(accounts), dtype=bool)
    bought[keys[net > 0] // span] = True
    out = pd.Series(bought, index=accounts.index, name="ever_customer")
    out.attrs["as_of"] = quarter_to_period(q_asof)
    return out


# ------------------------------------------------------------------- per-account history (either back end)

#: Columns of :func:`account_history`, with the value of an account without sales rows.
HISTORY_COLUMNS = {"sales": 0.0, "monetary": 0.0, "frequency": 0, "last_purchase": -1}


def _quarter_rows(part: pd.DataFrame) -> pd.DataFrame:
    """Sales rows as (account_id, quarter number, amount), rows without a numeric amount left out."""
    amount = pd.to_numeric(part["amount"], errors="coerce").to_numpy(dtype=float)
    quarter = period_to_quarter(part["period"]) if len(part) else np.zeros(0, dtype=np.int64)
    keep = np.isfinite(amount)
    ids = part["account_id"].astype(str)[keep].reset_index(drop=True)  # keeps the (Arrow) string dtype
    return pd.DataFrame({"account_id": ids, "quarter": quarter[keep], "amount": amount[keep]})


def _history_of_partition(
    part: pd.DataFrame, q_asof: int, n_quarters: int, window: int | None
) -> pd.DataFrame:
    """The history of every account whose rows are all in ``part`` (see :func:`account_history`).

    Integer keys (account code x quarter) and ``bincount`` instead of a group-by on text: the same
    sums, several times faster on millions of rows.
    """
    codes, ids = pd.factorize(part["account_id"], sort=False)
    n = len(ids)
    q = part["quarter"].to_numpy(dtype=np.int64)
    if len(q) == 0:
        return pd.DataFrame(
            {"account_id": ids} | {c: np.zeros(0, dtype=type(v)) for c, v in HISTORY_COLUMNS.items()}
        )
    q_min = int(q.min())
    span = int(q.max()) - q_min + 1
    keys, inverse = np.unique(codes.astype(np.int64) * span + (q - q_min), return_inverse=True)
    net = np.bincount(inverse.ravel(), weights=part["amount"].to_numpy(dtype=float), minlength=len(keys))
    account = keys // span
    quarter = keys % span + q_min
    bought = net > 0
    in_window = np.ones(len(keys), dtype=bool) if window is None else quarter > q_asof - window
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, account[bought], quarter[bought])
    in_year = quarter > q_asof - n_quarters
    return pd.DataFrame(
        {
            "account_id": ids,
            "sales": np.bincount(account[in_year], weights=net[in_year], minlength=n),
            "monetary": np.bincount(account[in_window], weights=net[in_window], minlength=n),
            "frequency": np.bincount(account[bought & in_window], minlength=n).astype(np.int64),
            "last_purchase": last,
        }
    )


def account_history(
    sales: object, as_of: str | None = None, window: int | None = None, n_quarters: int = QUARTERS_PER_YEAR
) -> tuple[object, str]:
    """Per account, its sales measures up to ``as_of``, from the sales rows (pandas or Dask).

    Net amounts are summed per account and quarter first (credits included), then per account:

    * ``sales``: net sales over the ``n_quarters`` quarters ending at ``as_of`` (:func:`annual_sales`);
    * ``monetary``: net sales over the last ``window`` quarters (all quarters up to ``as_of`` when None);
    * ``frequency``: quarters with a purchase (net amount > 0) among the last ``window``;
    * ``last_purchase``: the quarter number (:func:`period_to_quarter`) of the last purchase, -1 if none.

    Parameters
    ----------
    sales : pandas or Dask DataFrame
        ``account_id``, ``period``, ``amount``.
    as_of : str, optional
        Last quarter measured; default the latest quarter in ``sales``.
    window : int, optional
        Quarters of ``monetary`` and ``frequency``.
    n_quarters : int, default 4
        Quarters of ``sales``.

    Returns
    -------
    (frame, as_of)
        One row per account with sales rows up to ``as_of`` (of the input's kind: an account's rows
        are brought together by :func:`terrkit.scale.backend.colocate` on Dask), and the as-of quarter.
        Join it to the accounts with :func:`with_history`.
    """
    from terrkit.scale.backend import colocate, compute, map_partitions

    _require(sales, ["account_id", "period", "amount"], "sales")
    rows = map_partitions(
        sales[["account_id", "period", "amount"]], _quarter_rows,
        meta=pd.DataFrame({"account_id": pd.Series(dtype="str"), "quarter": pd.Series(dtype=np.int64),
                           "amount": pd.Series(dtype=float)}),
    )  # fmt: skip
    if as_of is None or str(as_of).strip() == "":
        latest = compute(rows["quarter"].max())
        if latest is None or pd.isna(latest):
            raise ConfigError("sales has no rows: there is no latest period to measure up to")
        q_asof = int(latest)
    else:
        q_asof = int(period_to_quarter([str(as_of).strip().upper()])[0])
    rows = rows[rows["quarter"] <= q_asof]
    meta = pd.DataFrame({"account_id": pd.Series(dtype="str")} | {
        c: pd.Series(dtype=type(v)) for c, v in HISTORY_COLUMNS.items()
    })  # fmt: skip
    history = map_partitions(colocate(rows, "account_id"), _history_of_partition, q_asof, n_quarters, window,
                             meta=meta)  # fmt: skip
    return history, quarter_to_period(q_asof)


def with_history(accounts: object, history: object) -> object:
    """``accounts`` with the :func:`account_history` columns (accounts without sales rows: 0 and -1).

    A left join on ``account_id``: a pandas result keeps the accounts' order and index, a Dask
    result is partitioned by account (Dask's hash join).
    """
    from terrkit.scale.backend import is_dask

    history = history.astype({"account_id": accounts["account_id"].dtype})
    joined = accounts.merge(history, on="account_id", how="left")
    if not is_dask(accounts):
        joined.index = accounts.index
    return joined.fillna(dict(HISTORY_COLUMNS)).astype({"frequency": np.int64, "last_purchase": np.int64})


@dataclass(frozen=True)
class Headline:
    """The headline figures of a dataset as of a quarter, each as defined in this module.

    Attributes
    ----------
    as_of : str
        Last quarter measured.
    quarters : tuple of str
        The four quarters of "the last four quarters".
    accounts : int
        Accounts in the accounts table.
    sales_last_4q : float
        Net sales over ``quarters`` (credits included).
    customers_last_4q : int
        Accounts with positive net sales over ``quarters``.
    ever_customers : int
        Accounts with positive net sales in at least one quarter up to ``as_of``.
    """

    as_of: str
    quarters: tuple[str, ...]
    accounts: int
    sales_last_4q: float
    customers_last_4q: int
    ever_customers: int

    @property
    def prospects_last_4q(self) -> int:
        """Accounts that are not customers of the last four quarters."""
        return self.accounts - self.customers_last_4q

    def lines(self) -> list[str]:
        """The figures in words, each with its definition."""
        span = f"{self.quarters[0]}-{self.quarters[-1]}"
        return [
            f"sales of the last four quarters ({span}, net of credits): {self.sales_last_4q:,.0f}",
            f"customers of the last four quarters (net sales > 0 in {span}): {self.customers_last_4q:,} "
            f"of {self.accounts:,} accounts ({self.prospects_last_4q:,} prospects)",
            f"ever customers (net sales > 0 in at least one quarter up to {self.as_of}): "
            f"{self.ever_customers:,}",
        ]


def headline(accounts: pd.DataFrame, sales: pd.DataFrame, as_of: str | None = None) -> Headline:
    """Sales and customers of the last four quarters, and ever customers, as of ``as_of``.

    ``as_of`` defaults to the latest quarter in ``sales``.
    """
    current = annual_sales(accounts, sales, as_of)
    return Headline(
        as_of=current.attrs["as_of"],
        quarters=current.attrs["quarters"],
        accounts=len(accounts),
        sales_last_4q=float(current.sum()),
        customers_last_4q=int(customers_in(current).sum()),
        ever_customers=int(ever_customers(accounts, sales, current.attrs["as_of"]).sum()),
    )
