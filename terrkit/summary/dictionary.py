"""``DATA_DICTIONARY.md``: every file a report run wrote, every column, what it means, its unit, who uses it.

A run folder is read by people who did not write it: a finance analyst reconciling quotas, a CRM admin
mapping columns to fields. :func:`write_data_dictionary` lists every CSV file of the run with what it is for
and who loads it (:mod:`terrkit.summary.catalog`), and each of its columns with its meaning and unit.

Columns are described by name, the same name meaning the same thing in every file (:data:`COLUMNS`), or by
a rule for families of names (:data:`PATTERNS`: ``sales_2025``, ``balance_potential``,
``potential_deviation``, ``potential_before``). A column that neither describes is listed as "not
described" so that a gap is visible, and :func:`undescribed_columns` finds such gaps for tests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from terrkit.io import atomic_path
from terrkit.summary.catalog import describe

#: File name of the dictionary in the run folder.
DICTIONARY_FILE = "DATA_DICTIONARY.md"

# units, written once
MONEY = "money (the sales data's currency)"
SHARE = "share (0.25 = 25%)"
COUNT = "count"
TEXT = "text"
ID = "id (text; keep leading zeros)"
KM = "km"
FLAG = "true/false"
HOURS = "hours per year"

#: Meaning and unit of each column name, the same in every file.
COLUMNS: dict[str, tuple[str, str]] = {
    # ids and names
    "account_id": ("the account's id (the CRM's id when the data came from a CRM)", ID),
    "unit_id": ("the geographic unit: a county FIPS code, a ZIP cell `zip:<ZIP>` or a named account", ID),
    "territory_id": ("the territory (in the proposal, where the file holds a plan)", ID),
    "rep_id": ("the rep (the CRM's user id when the data came from a CRM)", ID),
    "owner_rep_id": ("the rep who owns the account today", ID),
    "old_rep_id": ("the account's rep today", ID),
    "new_rep_id": ("the account's rep in the plan of record", ID),
    "from_rep_id": ("the rep who hands the account over", ID),
    "to_rep_id": ("the rep who takes the account over", ID),
    "old_territory_id": ("the territory of the account's unit today", ID),
    "parent_id": ("the unit this unit was split from (the county of a ZIP cell, the cell of an account)", ID),
    "county_id": ("the county (FIPS code) the unit lies in", ID),
    "state_fips": ("the state's FIPS code", ID),
    "name": ("name (of the account, rep or county, as the file says)", TEXT),
    "account_name": ("the account's name", TEXT),
    "rep_name": ("the rep's name", TEXT),
    "old_rep_name": ("the name of the account's rep today", TEXT),
    "new_rep_name": ("the name of the account's rep in the plan of record", TEXT),
    "from_rep_name": ("the name of the rep who hands the account over", TEXT),
    "to_rep_name": ("the name of the rep who takes the account over", TEXT),
    "state": ("US state (two letters)", TEXT),
    "industry": ("the account's industry", TEXT),
    "level": (
        "the unit's level: `county`, `zip` (a ZIP cell) or `account` (a named account); in a hierarchy file, "
        "the row's level of the sales hierarchy (`region`, `district`, `territory`)",
        TEXT,
    ),
    "is_center": ("the unit is its territory's center", FLAG),
    # the change lists
    "account_type": (
        "`customer` (net sales in the review period), `prospect` (no sales in it) or `net_credit` (returns "
        "and credits exceeded sales in it, so its revenue is negative)",
        TEXT,
    ),
    "changed": ("the account's rep changes", FLAG),
    "change_reason": ("why the rep changes, or why it stays although the account's unit moves", TEXT),
    "effective_date": ("the day the new owner takes over (ISO date)", "date"),
    "revenue": ("the account's net sales in the review period", MONEY),
    # territory and rep KPIs
    "units": ("units in the territory", COUNT),
    "accounts": ("accounts", COUNT),
    "customers": ("accounts with net sales in the review period", COUNT),
    "prospects": ("accounts without sales in the review period", COUNT),
    "n_accounts": ("accounts", COUNT),
    "n_customers": ("accounts with sales in the last four quarters", COUNT),
    "n_prospects": ("accounts without sales in the last four quarters", COUNT),
    "sales": ("net sales in the review period (the last full year unless the file says otherwise)", MONEY),
    "sales_prev": ("net sales in the period before the review period", MONEY),
    "new_customers": ("customers in the review period who did not buy in the period before", COUNT),
    "lost_customers": ("customers of the period before who did not buy in the review period", COUNT),
    "potential": ("what the accounts could buy in a year (peer benchmark, notebook 20)", "money per year"),
    "whitespace": ("potential minus sales: what is not yet won", "money per year"),
    "penetration": ("sales / potential", SHARE),
    "workload": ("hours a year the accounts need: calls and travel (notebook 30)", HOURS),
    "workload_hours": ("hours the accounts need in the review period: calls and travel", "hours"),
    "quota": ("the sales target of the review period", MONEY),
    "capacity_hours": ("the rep's selling hours in the review period", "hours"),
    "growth": ("sales / sales of the period before − 1", SHARE),
    "attainment": ("sales / quota", SHARE),
    "workload_ratio": ("workload hours / capacity hours", SHARE),
    "mean_distance_km": ("mean distance from the territory's accounts to its rep's home", KM),
    "polsby_popper": ("compactness of the territory's shape: 4π·area / perimeter² (1 = a circle)", SHARE),
    "low_attainment": ("flagged: attainment below the notebook's threshold", FLAG),
    "overloaded": ("flagged: workload above the notebook's multiple of capacity", FLAG),
    "flag_reasons": ("why the territory or rep is flagged", TEXT),
    "exceptions": ("accounts the rep owns outside its own territory", COUNT),
    "accounts_gained": ("accounts that come to the territory from another rep", COUNT),
    "revenue_gained": ("revenue of the accounts that come from another rep", MONEY),
    # rep movement
    "accounts_before": ("accounts the rep owns today", COUNT),
    "accounts_after": ("accounts the rep owns in the plan of record", COUNT),
    "accounts_lost": ("accounts the rep hands to another rep", COUNT),
    "revenue_before": ("revenue the rep owns today", MONEY),
    "revenue_after": ("revenue the rep owns in the plan of record", MONEY),
    "revenue_lost": ("revenue of the accounts the rep hands over", MONEY),
    "net_revenue": ("revenue gained minus revenue lost", MONEY),
    "customers_before": ("customers the rep owns today", COUNT),
    "customers_kept": ("customers who keep their rep", COUNT),
    "customers_kept_share": ("customers kept / customers before", SHARE),
    # the sweep
    "plan": ("the plan: `current` (today) or the balance tolerance it was designed for (`±5%`)", TEXT),
    "label": ("the plan's name for people", TEXT),
    "tolerance": ("the balance tolerance asked of the first measure", SHARE),
    "status": (
        "`optimal` or `feasible` (the plan meets its tolerance), `requirements_not_met`, `infeasible`, "
        "`failed`, or `current`",
        TEXT,
    ),
    "engine_status": ("what the design engine reported for its own plan", TEXT),
    "method": ("how the engine found the plan", TEXT),
    "seconds": ("time the design took", "seconds"),
    "stopped_by": ("why the engine stopped: `converged`, `budget` (work budget spent) or `time_limit`", TEXT),
    "message": ("the engine's or the check's explanation", TEXT),
    "revenue_bound": ("the least revenue any plan within the tolerance must move (a lower bound)", MONEY),
    "travel_bound_km": ("the least call-weighted travel any plan within the tolerance can have", KM),
    "kept_from": ("the tighter plan kept for this tolerance because it meets it and moves less", TEXT),
    "balance": ("largest deviation of a territory from the mean territory, first balance measure", SHARE),
    "cv": ("coefficient of variation of the territories' totals", SHARE),
    "travel_km": ("mean distance from accounts to their rep's home, weighted by calls per year", KM),
    "revenue_moved": ("revenue whose rep changes", MONEY),
    "revenue_moved_share": ("revenue whose rep changes / all revenue", SHARE),
    "units_changing_rep": ("units whose rep changes", COUNT),
    "territories": ("territories in the plan", COUNT),
    "meets_tolerance": ("every balance measure within its tolerance, measured from the accounts", FLAG),
    "on_front": ("no other plan is better on balance, travel and revenue moved at once", FLAG),
    # balance indices
    "measure": ("the measure the row is about", TEXT),
    "mean": ("mean over territories", "the measure's unit"),
    "min": ("smallest territory", "the measure's unit"),
    "max": ("largest territory", "the measure's unit"),
    "max_min_ratio": ("largest / smallest territory", "ratio"),
    "max_deviation": ("largest deviation of a territory from the mean territory", SHARE),
    "gini": ("Gini index of the territories' totals (0 = all equal)", SHARE),
    # coverage issues
    "kind": ("the kind of issue", TEXT),
    "detail": ("the issue in words", TEXT),
    # key accounts
    "share_of_book": ("the account's revenue / its rep's revenue", SHARE),
    "action": ("what the realignment did with the key account", TEXT),
    "reason": ("why", TEXT),
    # data overview, potential, units
    "is_prospect": ("the account has no sales in the last four quarters", FLAG),
    "land_km2": ("land area", "km²"),
    # segmentation and workload
    "segment": ("the account's segment under the notebook's segmentation scheme", TEXT),
    "abc_value": ("the value the ABC tiers rank accounts by", MONEY),
    "abc_cum_share": ("cumulative share of that value, largest accounts first, including the account", SHARE),
    "abc_tier": ("ABC tier", TEXT),
    "rfm_segment": ("RFM segment (recency, frequency, monetary value)", TEXT),
    "rfm_score": ("RFM score: the recency, frequency and monetary scores added up (1 to 5 each)", "points"),
    "calls_per_year": ("calls the coverage model plans for the account", "calls per year"),
    "travel_minutes": ("travel time per call from the rep's home", "minutes per call"),
    "call_hours": ("hours a year with the customer: calls per year × minutes per call", HOURS),
    "workload_hours_per_year": ("hours a year the accounts need: calls and travel (notebook 30)", HOURS),
    "call_hours_per_year": ("hours a year with the customers: calls per year × minutes per call", HOURS),
    "travel_minutes_per_call": ("travel time charged per call under the coverage rule", "minutes per call"),
    # territory plans
    "rank": ("rank of the target account in its territory", COUNT),
    "focus": ("what to do with the account", TEXT),
    "territory_whitespace": ("the territory's whitespace", "money per year"),
    "territory_penetration": ("the territory's sales / potential", SHARE),
    "top_segment": ("the segment holding most of the territory's whitespace", TEXT),
    "top_segment_share": ("its share of the territory's whitespace", SHARE),
    "top_industry": ("the industry holding most of the territory's whitespace", TEXT),
    "top_industry_share": ("its share of the territory's whitespace", SHARE),
    "rfm_code": ("R, F and M scores side by side (a label such as 552, not a number)", TEXT),
    "coverage_mode": (
        "how the account is covered: `field` (day trips), `overnight` (travel per call capped) or `remote` "
        "(phone and video, a fixed time per call)",
        TEXT,
    ),
    "customers_last_4q": ("accounts with positive net sales in the last four quarters", COUNT),
    "ever_customers": ("accounts that bought in at least one quarter of the data", COUNT),
    # quotas and the rep impact table
    "quota_next_year": ("next year's quota of the proposed territory (notebook 60's stated rule)", MONEY),
    "attainment_next_year_quota": ("the period's sales / next year's quota for the period", SHARE),
    "potential_per_year": ("potential of the rep's accounts", "money per year"),
    "quota_per_year": ("the rep's annual quota", MONEY),
    "territories_before": ("the rep's territories today", TEXT),
    "territories_after": ("the rep's territories in the plan of record", TEXT),
    # scenarios and the hierarchy
    "rep": ("the territory's rep", ID),
    "within": ("the territory is within its band after the event", FLAG),
    "region_id": ("the region the territory belongs to", ID),
    "district_id": ("the district the territory belongs to", ID),
    "id": ("the district's, region's or territory's id (the row's level says which)", ID),
    "children": ("units of the level below in it", COUNT),
    "flagged": ("flagged for balance or workload", FLAG),
    "flagged_children": ("units of the level below that are flagged", COUNT),
    "manager": ("the level's manager", TEXT),
    "manager_distance_km": ("mean distance from the level's accounts to its manager's home", KM),
    # CRM load files (named as the CRM expects)
    "ObjectId": ("Salesforce: the account's id", ID),
    "Territory2Id": ("Salesforce: the territory, by DeveloperName", ID),
    "AssociationCause": ("Salesforce: how the account came to the territory", TEXT),
    "Name": ("Salesforce: the territory's label", TEXT),
    "DeveloperName": ("Salesforce: the territory's unique API name", ID),
    "Territory2ModelId": ("Salesforce: the territory model", ID),
    "Territory2TypeId": ("Salesforce: the territory type", ID),
    "ParentTerritory2Id": ("Salesforce: the parent territory (district, region)", ID),
    "Note": ("why the account is excluded from its unit's territory", TEXT),
    "UserId": ("Salesforce: the rep's user id", ID),
    "RoleInTerritory2": ("Salesforce: the rep's role in the territory", TEXT),
    "Record ID": ("HubSpot: the company's record id", ID),
    "Company owner": ("HubSpot: the new owner", ID),
    "old_owner": ("the rep who owns the account today", ID),
    "new_owner": ("the rep who owns the account from the effective date", ID),
    "territory": ("the account's territory in the plan", ID),
}

#: Rules for families of column names: pattern, meaning (``{0}`` is the matched part), unit.
PATTERNS: tuple[tuple[str, str, str], ...] = (
    (r"sales_(\d{4}(?:Q\d)?)", "net sales in {0}", MONEY),
    (r"revenue_(\d{4}(?:Q\d)?)", "the account's net sales in {0} (the revenue at stake)", MONEY),
    (r"balance_(\w+)", "largest deviation of a territory's {0} from the mean territory", SHARE),
    (r"(\w+)_deviation", "the territory's {0} / the mean territory's − 1", SHARE),
    (r"abc_tier_by_(\w+)", "ABC tier of the account ranked by {0}", TEXT),
    (r"abc_value_by_(\w+)", "the {0} the ABC tiers rank accounts by", MONEY),
    (r"abc_cum_share_by_(\w+)", "cumulative share of {0}, largest accounts first, account included", SHARE),
    (r"(\w+)_change_pct", "{0} after / before − 1, in percent", "percent"),
    (r"(\w+)_lower", "the least {0} the territory may hold (its band)", "as {0}"),
    (r"(\w+)_upper", "the most {0} the territory may hold (its band)", "as {0}"),
    (r"(\w+)_held", "{0} the territory holds after the event", "as {0}"),
    (r"(\w+)_before", "{0} before the change", "as {0}"),
    (r"(\w+)_after", "{0} after the change", "as {0}"),
    (r"(\w+)_change", "{0} after minus before", "as {0}"),
    (r"(\w+)_target", "the territory's target {0} (the equal share)", "as {0}"),
    (r"(\w+)_id", "the {0} (a level of the sales hierarchy above the territories) it belongs to", ID),
)


def column_info(column: str) -> tuple[str, str] | None:
    """Meaning and unit of a column, or None when terrkit does not describe it.

    Examples
    --------
    >>> column_info("sales_2024")
    ('net sales in 2024', "money (the sales data's currency)")
    >>> column_info("potential_deviation")[1]
    'share (0.25 = 25%)'
    """
    if column in COLUMNS:
        return COLUMNS[column]
    for pattern, meaning, unit in PATTERNS:
        match = re.fullmatch(pattern, column)
        if match:
            base = COLUMNS.get(match[1])
            takes_base_unit = unit.startswith("as ")  # "as {0}": the unit of the column it is derived from
            if takes_base_unit and base is None:
                continue
            return meaning.format(match[1]), base[1] if takes_base_unit else unit
    return None


def run_tables(folder: str | os.PathLike) -> dict[str, list[str]]:
    """The CSV files of a run folder (relative paths, sorted) with their columns."""
    root = Path(folder)
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.csv")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        out[rel] = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    return out


def undescribed_columns(folder: str | os.PathLike) -> dict[str, list[str]]:
    """Columns of the run's CSV files that :func:`column_info` does not describe, by file."""
    gaps = {f: [c for c in cols if column_info(c) is None] for f, cols in run_tables(folder).items()}
    return {f: cols for f, cols in gaps.items() if cols}


def dictionary_text(folder: str | os.PathLike) -> str:
    """The Markdown of ``DATA_DICTIONARY.md`` for the run in ``folder``."""
    lines = [
        "# Data dictionary",
        "",
        "Every CSV file this run wrote: what it is for, who uses it, and each column's meaning and unit.",
        "Ids are text: open the files as text columns (or import them) so that ZIP and FIPS codes keep their",
        "leading zeros; the same ids are in `realignment.xlsx` as text cells.",
        "",
    ]
    for rel, columns in run_tables(folder).items():
        info = describe(rel)
        what = info.what[:1].upper() + info.what[1:]
        lines += [f"## `{rel}`", "", f"{what}. **Who uses it:** {info.who}.", ""]
        lines += ["| column | meaning | unit |", "|---|---|---|"]
        for col in columns:
            meaning, unit = column_info(col) or ("not described", "")
            lines.append(f"| `{col}` | {meaning.replace('|', '/')} | {unit} |")
        lines.append("")
    return "\n".join(lines)


def write_data_dictionary(folder: str | os.PathLike) -> Path:
    """Write ``DATA_DICTIONARY.md`` into the run folder (atomically) and return its path."""
    path = Path(folder) / DICTIONARY_FILE
    text = dictionary_text(folder)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
