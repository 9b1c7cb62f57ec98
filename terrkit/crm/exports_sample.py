"""Sample CRM exports of a generated company, for tests, demos and trying ``terrkit import``.

:func:`sample_exports` turns a company of :func:`terrkit.datasets.generate_company` into the files a CRM
would export, with the CRM's own field names and the mess real exports have:

- ``salesforce``: ``Account.csv``, ``Opportunity.csv`` and ``User.csv`` (18-character Ids, ``IsWon``,
  ``StageName``; every quarter's sales split into one or two won opportunities, plus lost and open
  ones; some ``BillingPostalCode`` values as ZIP+4; one user owning nothing; two Canadian accounts).
- ``hubspot``: ``companies.csv``, ``deals.csv`` and ``owners.csv`` (numeric Record IDs, owners as
  emails, ``Deal Stage`` labels, some deals associated with a second company).
- ``orders``: ``orders.csv``, one row per order line (one to three per account and quarter), written the
  European way (UTF-8 with a BOM, semicolons, CRLF, decimal commas, ``dd/mm/yyyy``), with some ZIP codes
  as ZIP+4 or without their leading zero and some lines shipped to a second ZIP, and
  ``orders_mapping.yaml`` (:data:`ORDERS_MAPPING`, shipped with terrkit) to import it.

Won amounts add up, to the cent, to the company's sales per account and quarter, so an import gives
back the company's sales (and, for the CRM presets, its accounts, owners and firmographics).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.crm.folder import write_files
from terrkit.exceptions import ConfigError
from terrkit.io.load import Dataset
from terrkit.io.schema import REVENUE_BANDS

#: The sample exports :func:`sample_exports` writes -> the preset that imports them (``None``: the
#: mapping file written next to them, :data:`MAPPING_FILE`).
CRMS: dict[str, str | None] = {"salesforce": "salesforce", "hubspot": "hubspot", "orders": None}
#: The shipped mapping of the order-line sample (package data of terrkit.crm) and its name in the sample.
ORDERS_MAPPING = "orders_eu.yaml"
MAPPING_FILE = "orders_mapping.yaml"

_BAND_EDGES = (1e5, 1e6, 10e6, 50e6, 250e6, 2e9)
_LOST_SHARE = 0.25
_OPEN_SHARE = 0.05
_FOREIGN = (("Maple Leaf Supply Ltd", "K1A 0B6", "ON"), ("Northern Lights Trading Inc", "V6B 1A1", "BC"))


def orders_mapping_text() -> str:
    """The shipped mapping YAML of the order-line sample (``terrkit/crm/mappings/orders_eu.yaml``)."""
    return resources.files("terrkit.crm").joinpath("mappings", ORDERS_MAPPING).read_text(encoding="utf-8")


def _sf_ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    """18-character Salesforce-style Ids: key prefix, pod, a zero-padded number, suffix."""
    return np.array([f"{prefix}8d{n:010d}AAA" for n in numbers], dtype=object)


def _annual_revenue(rng: np.random.Generator, bands: pd.Series) -> np.ndarray:
    """A revenue inside each account's band (thousands of dollars, floored so the band is kept)."""
    position = bands.map({band: i for i, band in enumerate(REVENUE_BANDS)}).to_numpy(dtype=int)
    low, high = np.array(_BAND_EDGES[:-1])[position], np.array(_BAND_EDGES[1:])[position]
    value = low * (high / low) ** rng.random(len(position))
    return np.maximum(np.floor(value / 1000) * 1000, low).astype(np.int64)


def _split(rng: np.random.Generator, amounts: np.ndarray, max_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Split each amount into 1..max_parts parts to the cent; returns (row of each part, part amount)."""
    parts = rng.integers(1, max_parts + 1, len(amounts))
    row = np.repeat(np.arange(len(amounts)), parts)
    total = np.round(amounts * 100).astype(np.int64)[row]
    weight = rng.random(len(row)) + 0.25
    share = weight / np.bincount(row, weights=weight)[row]
    cents = np.trunc(total * share).astype(np.int64)
    last = np.r_[row[1:] != row[:-1], True]
    cents[last] += np.round(amounts * 100).astype(np.int64) - np.bincount(row, weights=cents).astype(np.int64)
    return row, cents / 100


def _dates(rng: np.random.Generator, periods: pd.Series) -> np.ndarray:
    """A random day inside each quarter ``YYYYQn``."""
    year = periods.str.slice(0, 4).astype(int).to_numpy()
    quarter = periods.str.slice(5, 6).astype(int).to_numpy()
    start = (year - 1970) * 12 + (quarter - 1) * 3
    first = np.array(start, dtype="datetime64[M]").astype("datetime64[D]")
    after = np.array(start + 3, dtype="datetime64[M]").astype("datetime64[D]")
    days = (after - first).astype(int)
    return first + np.floor(rng.random(len(first)) * days).astype("timedelta64[D]")


def _emails(names: pd.Series) -> pd.Series:
    """first.last@example.com, numbered when two reps share a name."""
    base = names.str.lower().str.replace(r"[^a-z]+", ".", regex=True).str.strip(".")
    rank = base.groupby(base).cumcount()
    return base.where(rank == 0, base + (rank + 1).astype(str)) + "@example.com"


def _lost_and_open(rng: np.random.Generator, sales: pd.DataFrame, accounts: pd.Series) -> pd.DataFrame:
    """Opportunities that are not won: lost ones among the quarters sold, open ones after the last."""
    lost = sales[rng.random(len(sales)) < _LOST_SHARE]
    lost = pd.DataFrame(
        {
            "account_id": lost["account_id"],
            "period": lost["period"],
            "amount": np.round(lost["amount"].abs() * rng.uniform(0.3, 1.5, len(lost))),
        }
    )
    future = accounts[rng.random(len(accounts)) < _OPEN_SHARE]
    last = sorted(sales["period"].unique())[-1]
    year, quarter = int(last[:4]), int(last[-1])
    next_period = f"{year + quarter // 4}Q{quarter % 4 + 1}"
    open_ = pd.DataFrame(
        {
            "account_id": future.to_numpy(),
            "period": next_period,
            "amount": np.round(rng.uniform(2e3, 5e4, len(future))),
        }
    )
    return pd.concat([lost.assign(state="lost"), open_.assign(state="open")], ignore_index=True)


def _deal_rows(rng: np.random.Generator, company: Dataset, max_won_parts: int) -> pd.DataFrame:
    """Won parts of every sale plus lost and open deals: ``account_id, period, date, amount, state``."""
    sales = company.sales.reset_index(drop=True)
    row, amount = _split(rng, sales["amount"].to_numpy(dtype=float), max_won_parts)
    won = pd.DataFrame(
        {"account_id": sales["account_id"].to_numpy()[row], "period": sales["period"].to_numpy()[row]}
    )
    won = won.assign(amount=amount, state="won")
    deals = pd.concat([won, _lost_and_open(rng, sales, company.accounts["account_id"])], ignore_index=True)
    deals["date"] = _dates(rng, deals["period"])
    return deals.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)


def _salesforce(rng: np.random.Generator, company: Dataset) -> dict[str, pd.DataFrame]:
    accounts, reps = company.accounts, company.reps.reset_index(drop=True)
    user_id = dict(zip(reps["rep_id"], _sf_ids("005", np.arange(1, len(reps) + 1)), strict=True))
    account_id = dict(
        zip(accounts["account_id"], _sf_ids("001", np.arange(1, len(accounts) + 1)), strict=True)
    )
    zips = accounts["zip"].astype(str)
    plus4 = rng.random(len(accounts)) < 0.1
    zips = zips.where(~plus4, zips + "-" + pd.Series(rng.integers(1000, 10000, len(accounts)).astype(str)))
    account = pd.DataFrame(
        {
            "Id": accounts["account_id"].map(account_id),
            "Name": accounts["name"],
            "Industry": accounts["industry"],
            "NumberOfEmployees": accounts["employees"].astype(int),
            "AnnualRevenue": _annual_revenue(rng, accounts["revenue_band"]),
            "BillingCity": accounts["city"],
            "BillingState": accounts["state"],
            "BillingPostalCode": zips,
            "BillingCountry": "United States",
            "BillingLatitude": accounts["lat"],
            "BillingLongitude": accounts["lon"],
            "OwnerId": accounts["owner_rep_id"].map(user_id),
        }
    )
    foreign_ids = _sf_ids("001", np.arange(len(accounts) + 1, len(accounts) + 1 + len(_FOREIGN)))
    foreign = pd.DataFrame(
        {
            "Id": foreign_ids,
            "Name": [f[0] for f in _FOREIGN],
            "Industry": "Logistics",
            "NumberOfEmployees": 40,
            "AnnualRevenue": 8_000_000,
            "BillingState": [f[2] for f in _FOREIGN],
            "BillingPostalCode": [f[1] for f in _FOREIGN],
            "BillingCountry": "Canada",
            "OwnerId": user_id[reps["rep_id"].iloc[0]],
        }
    )
    account = pd.concat([account, foreign], ignore_index=True)

    deals = _deal_rows(rng, company, max_won_parts=2)
    stage = np.where(
        deals["state"] == "won",
        "Closed Won",
        np.where(
            deals["state"] == "lost",
            "Closed Lost",
            np.where(rng.random(len(deals)) < 0.5, "Prospecting", "Negotiation/Review"),
        ),
    )
    names = accounts.set_index("account_id")["name"]
    opportunity = pd.DataFrame(
        {
            "Id": _sf_ids("006", np.arange(1, len(deals) + 1)),
            "Name": deals["account_id"].map(names) + " " + deals["period"],
            "AccountId": deals["account_id"].map(account_id),
            "StageName": stage,
            "CloseDate": pd.to_datetime(deals["date"]).dt.strftime("%Y-%m-%d"),
            "Amount": deals["amount"],
            "IsWon": np.where(deals["state"] == "won", "true", "false"),
            "IsClosed": np.where(deals["state"] == "open", "false", "true"),
        }
    )
    foreign_sales = pd.DataFrame(
        {
            "Id": _sf_ids("006", np.arange(len(deals) + 1, len(deals) + 1 + len(_FOREIGN))),
            "Name": [f"{f[0]} first order" for f in _FOREIGN],
            "AccountId": foreign_ids,
            "StageName": "Closed Won",
            "CloseDate": deals["date"].max().strftime("%Y-%m-%d"),
            "Amount": 12_500.0,
            "IsWon": "true",
            "IsClosed": "true",
        }
    )
    opportunity = pd.concat([opportunity, foreign_sales], ignore_index=True)
    idle = pd.DataFrame(
        {
            "Id": _sf_ids("005", np.array([len(reps) + 1])),
            "Name": ["Integration User"],
            "Email": ["integration@example.com"],
            "PostalCode": [""],
        }
    )
    user = pd.concat(
        [
            pd.DataFrame(
                {
                    "Id": reps["rep_id"].map(user_id),
                    "Name": reps["name"],
                    "Email": _emails(reps["name"]),
                    "PostalCode": reps["home_zip"],
                }
            ),
            idle,
        ],
        ignore_index=True,
    )
    return {"Account.csv": account, "Opportunity.csv": opportunity, "User.csv": user}


def _hubspot(rng: np.random.Generator, company: Dataset) -> dict[str, pd.DataFrame]:
    accounts, reps = company.accounts, company.reps.reset_index(drop=True)
    email = dict(zip(reps["rep_id"], _emails(reps["name"]), strict=True))
    record = dict(
        zip(
            accounts["account_id"],
            (5_000_000_000 + 17 * np.arange(1, len(accounts) + 1)).astype(str),
            strict=True,
        )
    )
    companies = pd.DataFrame(
        {
            "Record ID": accounts["account_id"].map(record),
            "Company name": accounts["name"],
            "Industry": accounts["industry"],
            "Number of Employees": accounts["employees"].astype(int),
            "Annual Revenue": _annual_revenue(rng, accounts["revenue_band"]),
            "City": accounts["city"],
            "State/Region": accounts["state"],
            "Postal Code": accounts["zip"],
            "Company owner": accounts["owner_rep_id"].map(email),
        }
    )
    deals = _deal_rows(rng, company, max_won_parts=2)
    stage = np.where(
        deals["state"] == "won",
        "Closed Won",
        np.where(
            deals["state"] == "lost",
            "Closed Lost",
            np.where(rng.random(len(deals)) < 0.5, "Appointment Scheduled", "Contract Sent"),
        ),
    )
    associated = deals["account_id"].map(record)
    partner = rng.random(len(deals)) < 0.03
    other = accounts["account_id"].map(record).to_numpy()[rng.integers(0, len(accounts), len(deals))]
    associated = associated.where(~partner, associated + ";" + pd.Series(other, index=deals.index))
    hours = rng.integers(8, 18, len(deals)).astype(str)
    close = (
        pd.to_datetime(deals["date"]).dt.strftime("%Y-%m-%d") + " " + pd.Series(hours).str.zfill(2) + ":00"
    )
    deals_out = pd.DataFrame(
        {
            "Record ID": (9_000_000_000 + np.arange(1, len(deals) + 1)).astype(str),
            "Deal Name": deals["account_id"].map(accounts.set_index("account_id")["name"])
            + " "
            + deals["period"],
            "Pipeline": "Sales Pipeline",
            "Deal Stage": stage,
            "Close Date": close,
            "Amount": deals["amount"],
            "Associated Company IDs": associated,
        }
    )
    owners = pd.DataFrame(
        {
            "Owner ID": (70_000_000 + 101 * np.arange(1, len(reps) + 2)).astype(str),
            "Email": [*reps["rep_id"].map(email), "marketing.ops@example.com"],
            "Name": [*reps["name"], "Marketing Ops"],
            "Postal Code": [*reps["home_zip"], ""],
        }
    )
    return {"companies.csv": companies, "deals.csv": deals_out, "owners.csv": owners}


def _european(amounts: pd.Series) -> pd.Series:
    """1234.5 -> '1.234,50'."""
    return amounts.map("{:,.2f}".format).str.translate(str.maketrans({",": ".", ".": ","}))


def _orders(rng: np.random.Generator, company: Dataset) -> dict[str, pd.DataFrame]:
    accounts = company.accounts.set_index("account_id")
    sales = company.sales.reset_index(drop=True)
    row, amount = _split(rng, sales["amount"].to_numpy(dtype=float), 3)
    lines = pd.DataFrame(
        {
            "account_id": sales["account_id"].to_numpy()[row],
            "period": sales["period"].to_numpy()[row],
            "amount": amount,
        }
    )
    lines["date"] = _dates(rng, lines["period"])
    lines = lines.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)
    home = lines["account_id"].map(accounts["zip"]).astype(str)
    # some accounts have a second delivery ZIP on every third of their lines: never their most frequent
    shipping = pd.Series(rng.random(len(accounts)) < 0.15, index=accounts.index)
    other_zip = pd.Series(accounts["zip"].to_numpy()[rng.permutation(len(accounts))], index=accounts.index)
    third = (lines.groupby("account_id").cumcount() % 3 == 2) & lines["account_id"].map(shipping)
    postcode = home.where(~third, lines["account_id"].map(other_zip).astype(str))
    lost_zero = postcode.str.startswith("0") & (rng.random(len(lines)) < 0.3)
    postcode = postcode.where(~lost_zero, postcode.str.lstrip("0"))
    plus4 = ~lost_zero & (rng.random(len(lines)) < 0.1)
    postcode = postcode.where(
        ~plus4, postcode + "-" + pd.Series(rng.integers(1000, 10000, len(lines)).astype(str))
    )
    orders = pd.DataFrame(
        {
            "Order No": [f"SO-{n:07d}" for n in range(1, len(lines) + 1)],
            "Customer No": lines["account_id"],
            "Customer": lines["account_id"].map(accounts["name"]),
            "Postcode": postcode,
            "Invoice date": pd.to_datetime(lines["date"]).dt.strftime("%d/%m/%Y"),
            "Net amount": _european(lines["amount"]),
            "Sales rep": lines["account_id"].map(accounts["owner_rep_id"]),
        }
    )
    return {"orders.csv": orders}


def sample_exports(company: Dataset, crm: str, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The export files of a company as a CRM writes them (see the module notes).

    Parameters
    ----------
    company : Dataset
        A generated company (:func:`terrkit.datasets.generate_company`).
    crm : {"salesforce", "hubspot", "orders"}
        Which exports.
    seed : int, default 0
        Seed of the draws (splits, dates, lost deals, ZIP variants).

    Returns
    -------
    dict
        File name -> table of text and numbers, before formatting.

    Raises
    ------
    ConfigError
        For an unknown ``crm``.
    """
    rng = np.random.default_rng(seed)
    builders = {"salesforce": _salesforce, "hubspot": _hubspot, "orders": _orders}
    if crm not in builders:
        raise ConfigError(f"unknown CRM sample {crm!r}; use one of {', '.join(builders)}")
    return builders[crm](rng, company)


def _encode(name: str, table: pd.DataFrame, crm: str) -> bytes:
    if crm == "orders":
        text = table.to_csv(index=False, sep=";", lineterminator="\r\n")
        return text.encode("utf-8-sig")
    return table.to_csv(index=False).encode("utf-8")


def write_sample_exports(
    company: Dataset, crm: str, out: str | os.PathLike, *, seed: int = 0, overwrite: bool = False
) -> dict[str, Path]:
    """Write the sample exports of a company to the folder ``out``, all files or none.

    The order-line sample comes with :data:`MAPPING_FILE`, a copy of the shipped mapping.

    Parameters
    ----------
    company : Dataset
        A generated company.
    crm : {"salesforce", "hubspot", "orders"}
        Which exports.
    out : path
        Folder to create.
    seed : int, default 0
        Seed of the draws.
    overwrite : bool, default False
        Replace the folder if it exists.

    Returns
    -------
    dict
        File name -> path written.
    """
    tables = sample_exports(company, crm, seed=seed)
    contents = {name: _encode(name, table, crm) for name, table in tables.items()}
    if crm == "orders":
        contents[MAPPING_FILE] = orders_mapping_text().encode("utf-8")
    folder = write_files(contents, out, overwrite=overwrite)
    return {name: folder / name for name in contents}
