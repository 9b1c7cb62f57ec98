"""Seeded generator of a realistic company on the real US geography.

The generated company sells business-to-business across the contiguous US:

* **Accounts** sit at real ZIP code locations. A ZIP code is drawn with probability
  proportional to ``(ZIP codes in its city) ** 0.6`` times a seeded log-normal factor, so
  accounts crowd into metropolitan areas the way businesses do.
* **Firmographics**: industry (with a seeded regional mix per state), employees
  (log-normal, by industry), revenue band (employees x revenue per employee).
* **Potential** (what the account could buy per year, never written to the files) grows
  with ``employees ** 0.85`` and varies by industry and with a log-normal factor.
* **Current alignment**: drawn "by state lines years ago": reps were shared out between
  states by their share of counties and ZIP codes (not by today's accounts), large states
  were cut into strips, small states grouped within their Census division. It is
  plausibly imbalanced, as real legacy alignments are.
* **Workload and penetration**: each rep's load is the calls their accounts need
  (by size) times call plus travel time from the rep's home base. Overloaded reps
  under-serve their accounts: share of wallet is multiplied by
  ``min(1, mean load / rep load) ** 0.7``, so the analysis finds real opportunity there.
* **Sales**: three years of quarterly totals (2023Q1-2025Q4) with market growth,
  seasonality, churn, newly won customers and occasional credits (negative amounts).
  Customers do not all buy every quarter: :data:`BUYER_MIX` makes most of them frequent
  buyers, some seasonal (one or two season quarters a year) and some lapsing (ordering
  less and less). A purchase is scaled by how often the kind buys, so frequent and
  seasonal buyers spend their share of wallet over a year and lapsing buyers fade.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``, column-wise,
so the same seed always gives identical files and a million accounts take seconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.datasets.bundled import load_counties, load_zip_points
from terrkit.datasets.regions import CENSUS_DIVISION
from terrkit.exceptions import TerrkitError
from terrkit.geo import haversine_km
from terrkit.io.load import BUNDLED_UNITS, MANIFEST, Dataset, summarize
from terrkit.io.schema import REVENUE_BANDS
from terrkit.io.write import staged_folder

GENERATOR_VERSION = 3  # 2: unique rep names; 3: buyer mix (frequent, seasonal, lapsing)
YEARS = (2023, 2024, 2025)
QUARTERS = [f"{year}Q{q}" for year in YEARS for q in (1, 2, 3, 4)]


@dataclass(frozen=True)
class Industry:
    """Parameters of one industry in the generated market."""

    name: str
    share: float
    median_employees: float
    revenue_per_employee: float  # dollars per year
    wallet_factor: float  # potential per employee ** 0.85, relative


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Manufacturing", 0.16, 60, 320_000, 1.4),
    Industry("Healthcare", 0.13, 45, 150_000, 1.2),
    Industry("Retail", 0.14, 20, 250_000, 0.8),
    Industry("Professional Services", 0.15, 15, 180_000, 0.7),
    Industry("Construction", 0.10, 18, 280_000, 1.0),
    Industry("Technology", 0.08, 30, 300_000, 1.1),
    Industry("Finance", 0.07, 35, 400_000, 0.9),
    Industry("Hospitality", 0.08, 25, 90_000, 0.6),
    Industry("Logistics", 0.05, 40, 220_000, 1.3),
    Industry("Education", 0.04, 80, 110_000, 0.9),
)

_FIRST = np.array(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark Ashley Maria "
    "Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kevin Carol Brian Amanda Jose Melissa Wei "
    "Priya Ahmed Olivia Hiroshi Fatima Luis".split()
)
_LAST = np.array(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Chen Patel Kim".split()
)
_NAME_WORDS = np.array(
    "Summit Pioneer Harbor Granite Cedar Atlas Beacon Liberty Prairie Keystone Meridian Silver Eagle "
    "Horizon Frontier Heritage Pinnacle River Lakeside Northern Southern Western Eastern Central Blue "
    "Golden Redwood Oak Maple Valley Coastal Metro Union Allied Premier Evergreen Apex Crescent Sterling "
    "Ironwood Bluewater Highland Canyon Mesa Willow Falcon Sequoia Aspen Juniper".split()
)
_NAME_SUFFIX = {
    "Manufacturing": "Industries",
    "Healthcare": "Health",
    "Retail": "Stores",
    "Professional Services": "Partners",
    "Construction": "Builders",
    "Technology": "Systems",
    "Finance": "Capital",
    "Hospitality": "Hospitality",
    "Logistics": "Logistics",
    "Education": "Academy",
}
_LEGAL = np.array(["Inc", "LLC", "Co", "Group", "Corp"])

#: Calls per year by size (used only to simulate rep load; the coverage model lives in terrkit.coverage).
_CALLS_BY_SIZE = ((0, 3.0), (50, 6.0), (250, 12.0), (1000, 18.0))
_CALL_MINUTES = 45.0
_CIRCUITY = 1.3
_SPEED_KMH = 60.0

#: Seasonality of quarterly demand Q1..Q4 (a slow first quarter, a year-end push).
_SEASONALITY = np.array([0.92, 1.0, 0.96, 1.12])
#: Kinds of buyer and their share of customers: many B2B customers re-order every quarter, many
#: order only in their season (budget cycle, school year, building season), and about one in seven
#: is lapsing (ordering less and less, often drifting to a competitor). With these shares about half
#: of the customers buy in the latest quarter, so RFM recency spreads over its scores.
BUYER_MIX: dict[str, float] = {"frequent": 0.45, "seasonal": 0.40, "lapsing": 0.15}
#: A frequent buyer orders in a given quarter with this probability (about one quarter in seven is skipped).
FREQUENT_P = 0.85
#: A seasonal buyer orders in a season quarter with SEASON_P and off season with OFF_SEASON_P.
SEASON_P, OFF_SEASON_P = 0.9, 0.08
#: Share of seasonal buyers with two seasons half a year apart (spring and autumn); the rest have one.
TWO_SEASONS = 0.4
#: A lapsing buyer orders like a frequent one until it starts to lapse (a quarter drawn uniformly
#: from its quarters as a customer); from then on each quarter multiplies the probability by
#: LAPSE_DECAY (it halves in about two quarters).
LAPSE_DECAY = 0.7


def generate_company(n_accounts: int = 20_000, seed: int = 0, n_reps: int = 50) -> Dataset:
    """Generate a realistic company on the contiguous-US counties.

    Parameters
    ----------
    n_accounts : int, default 20_000
        Number of accounts (customers and prospects).
    seed : int, default 0
        Seed of every random draw; the same seed gives identical tables.
    n_reps : int, default 50
        Approximate number of reps (the state-line alignment may land one or two off).

    Returns
    -------
    terrkit.io.Dataset
        Accounts, quarterly sales 2023Q1-2025Q4, reps, current alignment and the counties.
    """
    if n_accounts < 100:
        raise ValueError(f"n_accounts must be at least 100, got {n_accounts}")
    if not 2 <= n_reps <= 1000:
        raise ValueError(f"n_reps must be between 2 and 1000, got {n_reps}")
    rng = np.random.default_rng(seed)
    counties = load_counties()
    zips = load_zip_points(standard_only=True)

    accounts = _draw_accounts(rng, zips, n_accounts)
    alignment = _state_line_alignment(counties, zips, n_reps)
    reps = _draw_reps(rng, alignment, accounts.assign(weight=1.0), zips)
    accounts["owner_rep_id"] = _owners(rng, accounts, alignment)
    potential = _potential(rng, accounts)
    share = _share_of_wallet(rng, accounts, reps, potential)
    sales = _draw_sales(rng, accounts, potential * share)
    reps["quota"] = _quotas(rng, reps, accounts, sales)
    accounts = accounts[
        ["account_id", "name", "industry", "employees", "revenue_band", "zip", "city", "state", "unit_id"]
        + ["lat", "lon", "owner_rep_id"]
    ]
    summary = summarize(accounts, sales, reps, alignment, counties)
    return Dataset(accounts, sales, reps, alignment, counties, None, summary)


def _draw_accounts(rng: np.random.Generator, zips: pd.DataFrame, n: int) -> pd.DataFrame:
    weight = _zip_weights(rng, zips)
    located = _pick_zips(rng, zips, weight, n)
    market = _regional_mix(rng, zips)
    return _account_columns(rng, located, market, np.arange(1, n + 1), ACCOUNT_ID_WIDTH)


#: Digits of an account id ("A0000001"); a company of more accounts takes as many digits as it needs.
ACCOUNT_ID_WIDTH = 7


def _zip_weights(rng: np.random.Generator, zips: pd.DataFrame) -> np.ndarray:
    """Probability of each ZIP code to house an account: city size ** 0.6 times a log-normal factor."""
    city_size = zips.groupby(["state", "city"])["zip"].transform("size").to_numpy(dtype=float)
    weight = city_size**0.6 * rng.lognormal(0.0, 0.5, len(zips))
    return weight / weight.sum()


def _pick_zips(rng: np.random.Generator, zips: pd.DataFrame, weight: np.ndarray, n: int) -> pd.DataFrame:
    pick = rng.choice(len(zips), size=n, p=weight)
    return zips.iloc[pick].reset_index(drop=True)


def _regional_mix(rng: np.random.Generator, zips: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The states and, per state, the cumulative industry shares (national shares times a regional factor)."""
    states = np.sort(zips["state"].unique())
    shares = np.array([ind.share for ind in INDUSTRIES])
    regional = shares[None, :] * rng.lognormal(0.0, 0.35, (len(states), len(INDUSTRIES)))
    cumulative = np.cumsum(regional / regional.sum(axis=1, keepdims=True), axis=1)
    return states, cumulative


def _account_columns(
    rng: np.random.Generator,
    located: pd.DataFrame,
    market: tuple[np.ndarray, np.ndarray],
    numbers: np.ndarray,
    id_width: int,
) -> pd.DataFrame:
    """Firmographics, names and jittered locations of accounts at the ZIP points ``located``."""
    n = len(located)
    states, cumulative = market
    state_pos = np.searchsorted(states, located["state"].to_numpy())
    industry_idx = (rng.random(n)[:, None] > cumulative[state_pos]).sum(axis=1)
    industry_idx = np.minimum(industry_idx, len(INDUSTRIES) - 1)
    industry_names = np.array([ind.name for ind in INDUSTRIES])[industry_idx]

    median = np.array([ind.median_employees for ind in INDUSTRIES])[industry_idx]
    employees = np.clip(np.round(median * rng.lognormal(0.0, 1.25, n)), 1, 50_000).astype(int)
    per_employee = np.array([ind.revenue_per_employee for ind in INDUSTRIES])[industry_idx]
    revenue = employees * per_employee * rng.lognormal(0.0, 0.4, n)
    band_edges = np.array([1e6, 10e6, 50e6, 250e6])
    revenue_band = np.array(REVENUE_BANDS)[np.searchsorted(band_edges, revenue, side="right")]

    suffix = np.array([_NAME_SUFFIX[name] for name in industry_names])
    names = _join_words(
        _NAME_WORDS[rng.integers(0, len(_NAME_WORDS), n)],
        suffix,
        _LEGAL[rng.integers(0, len(_LEGAL), n)],
    )
    return pd.DataFrame(
        {
            "account_id": _ids("A", numbers, id_width),
            "name": names,
            "industry": industry_names,
            "employees": employees,
            "revenue_band": revenue_band,
            "zip": located["zip"].to_numpy(),
            "city": located["city"].to_numpy(),
            "state": located["state"].to_numpy(),
            "unit_id": located["unit_id"].to_numpy(),
            "lat": np.round(located["lat"].to_numpy() + rng.normal(0.0, 0.008, n), 5),
            "lon": np.round(located["lon"].to_numpy() + rng.normal(0.0, 0.008, n), 5),
            "_industry": industry_idx,
        }
    )


def _join_words(*parts: np.ndarray) -> np.ndarray:
    out = parts[0].astype(object)
    for part in parts[1:]:
        out = out + " " + part.astype(object)
    return out


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _state_line_alignment(counties: pd.DataFrame, zips: pd.DataFrame, n_reps: int) -> pd.DataFrame:
    """Territories drawn along state lines from old data (county and ZIP counts, not accounts)."""
    centroids = counties.geometry.representative_point()
    frame = pd.DataFrame(
        {"unit_id": counties["unit_id"], "state": counties["state"], "x": centroids.x, "y": centroids.y}
    )
    frame["zips"] = frame["unit_id"].map(zips.groupby("unit_id").size()).fillna(0)
    by_state = frame.groupby("state").agg(counties=("unit_id", "size"), zips=("zips", "sum"), x=("x", "mean"))
    old_weight = 0.5 * by_state["counties"] / by_state["counties"].sum() + 0.5 * by_state["zips"] / (
        by_state["zips"].sum()
    )
    reps_share = old_weight * n_reps
    territory_of_unit: dict[str, int] = {}
    next_territory = 0
    division = by_state.index.map(CENSUS_DIVISION)
    for div in sorted(set(division)):
        states = by_state[division == div].sort_values("x")
        group: list[str] = []
        group_share = 0.0
        for state, share in reps_share[states.index].items():
            if share >= 1.5:
                units = frame[frame["state"] == state]
                for part in _split_state(units, int(round(share))):
                    territory_of_unit.update(dict.fromkeys(part, next_territory))
                    next_territory += 1
                continue
            group.append(state)
            group_share += share
            if group_share >= 0.8:
                units = frame.loc[frame["state"].isin(group), "unit_id"]
                territory_of_unit.update(dict.fromkeys(units, next_territory))
                next_territory += 1
                group, group_share = [], 0.0
        if group:  # leftovers join the division's last territory, or form one of their own
            units = frame.loc[frame["state"].isin(group), "unit_id"]
            target = next_territory - 1 if next_territory > 0 and group_share < 0.4 else next_territory
            territory_of_unit.update(dict.fromkeys(units, target))
            next_territory = max(next_territory, target + 1)
    territory = frame["unit_id"].map(territory_of_unit).to_numpy()
    # renumber west to east so that ids read naturally on a map
    order = pd.Series(frame["x"].to_numpy()).groupby(territory).mean().sort_values().index
    renumber = {old: new for new, old in enumerate(order)}
    number = np.array([renumber[t] for t in territory]) + 1
    return pd.DataFrame(
        {
            "unit_id": frame["unit_id"].to_numpy(),
            "territory_id": _ids("T", number, 2),
            "rep_id": _ids("R", number, 3),
        }
    )


def _split_state(units: pd.DataFrame, parts: int) -> list[np.ndarray]:
    """Cut a state's counties into strips of equal county count along its longer axis."""
    axis = "x" if np.ptp(units["x"]) >= np.ptp(units["y"]) else "y"
    ordered = units.sort_values([axis, "unit_id"])["unit_id"].to_numpy()
    return [chunk for chunk in np.array_split(ordered, parts) if len(chunk)]


def _draw_reps(
    rng: np.random.Generator, alignment: pd.DataFrame, accounts: pd.DataFrame, zips: pd.DataFrame
) -> pd.DataFrame:
    """One rep per territory, living in the territory's ZIP code with the most accounts.

    ``accounts`` has ``unit_id``, ``zip`` and ``weight``: how many accounts each row stands for (1 for
    drawn accounts, the expected number of accounts of a ZIP code for the chunked writer).
    """
    territory = accounts["unit_id"].map(alignment.set_index("unit_id")["territory_id"])
    counts = accounts.assign(territory_id=territory).groupby(["territory_id", "zip"])["weight"].sum()
    home_zip = counts.reset_index(name="n").sort_values(
        ["territory_id", "n", "zip"], ascending=[True, False, True]
    )
    home_zip = home_zip.drop_duplicates("territory_id").set_index("territory_id")["zip"]
    territories = alignment.drop_duplicates("territory_id").sort_values("territory_id")
    # a territory without accounts gets the first ZIP of its first county, or of any of its counties
    first_zip = zips.drop_duplicates("unit_id").set_index("unit_id")["zip"]
    zip_territory = zips["unit_id"].map(alignment.set_index("unit_id")["territory_id"])
    any_zip = zips.assign(territory_id=zip_territory).drop_duplicates("territory_id")
    homes = (
        territories["territory_id"]
        .map(home_zip)
        .fillna(territories["unit_id"].map(first_zip))
        .fillna(territories["territory_id"].map(any_zip.set_index("territory_id")["zip"]))
    )
    if homes.isna().any():  # only 7 counties have no standard ZIP code, none a territory of its own
        missing = territories["territory_id"][homes.isna()].iloc[0]
        raise ValueError(f"territory {missing} has no ZIP code to house its rep")
    homes = homes.to_numpy()
    located = zips.drop_duplicates("zip").set_index("zip").loc[homes]
    n = len(territories)
    return pd.DataFrame(
        {
            "rep_id": territories["rep_id"].to_numpy(),
            "name": _rep_names(rng.integers(0, len(_FIRST), n), rng.integers(0, len(_LAST), n)),
            "home_zip": homes,
            "home_lat": located["lat"].to_numpy(),
            "home_lon": located["lon"].to_numpy(),
            "capacity_hours": np.round(rng.normal(1500, 90, n), -1),
        }
    )


def _rep_names(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Rep names from drawn first- and last-name indices, made unique without further draws.

    A rep whose first and last name repeat an earlier rep's takes the next free combination
    (the next last name, wrapping round to the next first name), so names stay deterministic
    for a seed and the random stream, hence every other column, is not disturbed.
    """
    n_last = len(_LAST)
    n_combinations = len(_FIRST) * n_last
    if len(first) > n_combinations:
        raise ValueError(f"{len(first)} reps need more than the {n_combinations} distinct generated names")
    taken = np.zeros(n_combinations, dtype=bool)
    codes = np.asarray(first) * n_last + np.asarray(last)
    for i, code in enumerate(codes):  # reps are few (at most about 1,000)
        while taken[code]:
            code = (code + 1) % n_combinations
        taken[code] = True
        codes[i] = code
    return _join_words(_FIRST[codes // n_last], _LAST[codes % n_last])


def _owners(rng: np.random.Generator, accounts: pd.DataFrame, alignment: pd.DataFrame) -> np.ndarray:
    """Owner is the territory's rep, except about 2% kept by another rep (legacy relationships)."""
    owner = accounts["unit_id"].map(alignment.set_index("unit_id")["rep_id"]).to_numpy().copy()
    reps = np.sort(alignment["rep_id"].unique())
    legacy = rng.random(len(owner)) < 0.02
    owner[legacy] = reps[rng.integers(0, len(reps), legacy.sum())]
    return owner


def _potential(rng: np.random.Generator, accounts: pd.DataFrame) -> np.ndarray:
    factor = np.array([ind.wallet_factor for ind in INDUSTRIES])[accounts["_industry"].to_numpy()]
    return 900.0 * factor * accounts["employees"].to_numpy() ** 0.85 * rng.lognormal(0.0, 0.45, len(accounts))


def _share_of_wallet(
    rng: np.random.Generator, accounts: pd.DataFrame, reps: pd.DataFrame, potential: np.ndarray
) -> np.ndarray:
    """Share of each account's potential the company captures, lowered for overloaded owners."""
    hours = rep_hours(accounts, reps)
    return _share_given_load(rng, accounts, relative_load(hours, reps))


def rep_hours(accounts: pd.DataFrame, reps: pd.DataFrame) -> pd.Series:
    """Call plus travel hours a year the accounts need from their owners, summed per owner (rep id)."""
    homes = reps.set_index("rep_id").loc[accounts["owner_rep_id"]]
    distance = haversine_km(accounts["lon"], accounts["lat"], homes["home_lon"], homes["home_lat"])
    travel_minutes = 2 * distance * _CIRCUITY / _SPEED_KMH * 60
    thresholds, calls_per_year = zip(*_CALLS_BY_SIZE, strict=True)
    calls = np.array(calls_per_year)[np.searchsorted(thresholds, accounts["employees"], side="right") - 1]
    hours = calls * (_CALL_MINUTES + travel_minutes) / 60
    return pd.Series(hours).groupby(accounts["owner_rep_id"].to_numpy()).sum()


def relative_load(hours: pd.Series, reps: pd.DataFrame) -> pd.Series:
    """Each owning rep's hours over capacity, relative to the mean over the reps who own accounts."""
    load = hours / reps.set_index("rep_id")["capacity_hours"].reindex(hours.index)
    return load / load.mean()


def _share_given_load(rng: np.random.Generator, accounts: pd.DataFrame, load: pd.Series) -> np.ndarray:
    service = np.minimum(1.0, 1.0 / load.reindex(accounts["owner_rep_id"]).to_numpy()) ** 0.7
    base = rng.beta(2.2, 3.0, len(accounts))
    return np.clip(base * service, 0.02, 0.95)


def _draw_sales(rng: np.random.Generator, accounts: pd.DataFrame, annual: np.ndarray) -> pd.DataFrame:
    """Quarterly sales of each account around its expected annual spend ``annual``.

    An account is a customer from its start quarter (initial or won) until it churns; in
    those quarters it buys when its buyer kind (:func:`_buying_pattern`) says so. A purchase
    is ``annual / 4`` divided by the kind's full purchase rate, times growth, seasonality and
    noise, so a frequent or seasonal buyer spends ``annual`` a year on average.
    """
    n = len(accounts)
    q = len(QUARTERS)
    initial = rng.random(n) < 0.58
    won = ~initial & (rng.random(n) < 0.35)
    start = np.where(initial, 0, np.where(won, rng.integers(1, q, n), q))
    churns = rng.random(n) < 0.14
    end = np.where(churns, np.minimum(q, start + 2 + rng.integers(0, q, n)), q)
    quarter = np.arange(q)
    active = (quarter[None, :] >= start[:, None]) & (quarter[None, :] < end[:, None])
    growth = (1.05 + rng.normal(0, 0.06, n))[:, None] ** (quarter[None, :] / 4)
    seasonality = np.tile(_SEASONALITY, len(YEARS))[None, :]
    noise = rng.lognormal(0.0, 0.25, (n, q))
    credit = active & (rng.random((n, q)) < 0.004)
    credit_share = rng.uniform(0.05, 0.5, (n, q))
    _, buys, rate = _buying_pattern(rng, start)
    amount = np.round(annual[:, None] / (4 * rate[:, None]) * growth * seasonality * noise)
    amount = np.where(credit, -np.round(amount * credit_share), amount)
    rows, cols = np.nonzero(active & (buys | credit) & (amount != 0))
    return pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[rows],
            "period": np.array(QUARTERS, dtype=object)[cols],
            "amount": amount[rows, cols],
        }
    )


def _buying_pattern(rng: np.random.Generator, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which quarters each account buys in, by its kind of buyer (:data:`BUYER_MIX`).

    * ``frequent``: buys in each quarter with probability :data:`FREQUENT_P`;
    * ``seasonal``: one or two season quarters a year (two half a year apart with probability
      :data:`TWO_SEASONS`; the season drawn in proportion to the quarter's seasonality), bought
      in with :data:`SEASON_P`, other quarters with :data:`OFF_SEASON_P`;
    * ``lapsing``: like ``frequent`` until its lapse quarter, drawn uniformly from ``start``
      (its first quarter as a customer) to the last quarter; ``k`` quarters after it the
      probability is ``FREQUENT_P * LAPSE_DECAY ** k``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the draws.
    start : numpy.ndarray
        First quarter (0-based index into :data:`QUARTERS`) of each account as a customer.

    Returns
    -------
    kind : numpy.ndarray of str
        The buyer kind of each account.
    buys : numpy.ndarray of bool, shape (accounts, quarters)
        Whether the account buys in the quarter (before its lifecycle is applied).
    rate : numpy.ndarray of float
        The kind's purchase probability per quarter at full engagement (for a seasonal buyer
        the mean over the year): what a purchase is scaled by.
    """
    n, q = len(start), len(QUARTERS)
    kind = rng.choice(np.array(list(BUYER_MIX)), size=n, p=list(BUYER_MIX.values()))
    season = rng.choice(4, size=n, p=_SEASONALITY / _SEASONALITY.sum())
    two_seasons = rng.random(n) < TWO_SEASONS
    draw = rng.random((n, q))
    quarter_of_year = np.arange(q) % 4
    in_season = (quarter_of_year[None, :] == season[:, None]) | (
        two_seasons[:, None] & (quarter_of_year[None, :] == (season[:, None] + 2) % 4)
    )
    lapse = start + np.floor(rng.random(n) * np.maximum(q - start, 1)).astype(int)
    since_lapse = np.maximum(np.arange(q)[None, :] - lapse[:, None], 0)
    p = np.select(
        [kind[:, None] == "frequent", kind[:, None] == "seasonal"],
        [np.full((n, q), FREQUENT_P), np.where(in_season, SEASON_P, OFF_SEASON_P)],
        default=FREQUENT_P * LAPSE_DECAY**since_lapse,
    )
    seasons = np.where(two_seasons, 2, 1)
    seasonal_rate = (seasons * SEASON_P + (4 - seasons) * OFF_SEASON_P) / 4
    rate = np.where(kind == "seasonal", seasonal_rate, FREQUENT_P)
    return kind, draw < p, rate


def _quotas(
    rng: np.random.Generator, reps: pd.DataFrame, accounts: pd.DataFrame, sales: pd.DataFrame
) -> np.ndarray:
    """Quota: the rep's sales in the last year, plus 8% growth, with a little negotiation noise."""
    return quotas_from_book(rng, reps, last_year_by_owner(accounts, sales))


def last_year_by_owner(accounts: pd.DataFrame, sales: pd.DataFrame) -> pd.Series:
    """Sales of the last generated year per owner of the account (rep id)."""
    last_year = sales[sales["period"].str.startswith(str(YEARS[-1]))]
    owner = last_year["account_id"].map(accounts.set_index("account_id")["owner_rep_id"])
    return last_year["amount"].groupby(owner).sum()


def quotas_from_book(rng: np.random.Generator, reps: pd.DataFrame, book: pd.Series) -> np.ndarray:
    """Quota of each rep from their last year's sales ``book`` (indexed by rep id)."""
    by_rep = book.reindex(reps["rep_id"]).fillna(0).to_numpy()
    floor = np.median(by_rep[by_rep > 0]) * 0.5 if (by_rep > 0).any() else 100_000.0
    return np.round(np.maximum(by_rep, floor) * 1.08 * rng.lognormal(0, 0.06, len(reps)), -3)


def write_company(company: Dataset, out: str | os.PathLike, *, seed: int, overwrite: bool = False) -> Path:
    """Write a generated company to a folder, all files or none.

    The files are written into a temporary sibling folder which is renamed into place at
    the end, so an interrupted run never leaves a half-written dataset.

    Parameters
    ----------
    company : Dataset
        Output of :func:`generate_company`.
    out : path
        Destination folder. It must not exist unless ``overwrite`` is true.
    seed : int
        Recorded in ``dataset.json`` for provenance.
    overwrite : bool, default False
        Replace an existing folder.
    """
    final = Path(out)
    if final.exists() and not overwrite:
        raise TerrkitError(f"{final} already exists; choose another --out or pass --overwrite")
    with staged_folder(final) as staging:
        company.accounts.to_csv(staging / "accounts.csv", index=False)
        company.sales.to_csv(staging / "sales.csv", index=False, float_format="%.0f")
        company.reps.to_csv(staging / "reps.csv", index=False)
        company.alignment.to_csv(staging / "current_alignment.csv", index=False)
        manifest = {
            "generator": "terrkit.datasets.generate_company",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "accounts": len(company.accounts),
            "reps": len(company.reps),
            "periods": [QUARTERS[0], QUARTERS[-1]],
            "units": BUNDLED_UNITS,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return final
