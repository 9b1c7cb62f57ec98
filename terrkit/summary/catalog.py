"""What each file of a report run is for, and who loads it: one line per file for the summary's links.

The descriptions are keyed by the file's path in the run folder (``crm/owner_changes.csv``). A file that
is not listed here (a new notebook's output, a file of your own notebook) is still linked, with a neutral
description, so that nothing a run writes is hidden from its readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FileInfo:
    """A deliverable's purpose and its audience.

    Attributes
    ----------
    what : str
        What the file holds, in one line.
    who : str
        Who uses it and how (``send to the CRM admin``).
    """

    what: str
    who: str


#: Known deliverables by path in the run folder.
FILES: dict[str, FileInfo] = {
    # 60 realignment: the recommendation
    "changes.csv": FileInfo(
        "one row per account whose rep changes: name, type (customer, prospect, net credit), old and new "
        "territory and rep, reason, effective date and revenue, largest first",
        "send to the CRM admin; sales managers plan the hand-overs from it",
    ),
    "account_assignments.csv": FileInfo(
        "every account with its old and new territory and rep, whether and why its rep changes, and when",
        "the CRM admin loads the new owners; finance updates commission splits",
    ),
    "alignment.csv": FileInfo(
        "every unit (county, ZIP cell, named account) with its proposed territory, the district and region "
        "of that territory when the run has a sales hierarchy (region_id, district_id), and its rep",
        "the CRM admin loads the territory rules (a county rule with its ZIP-cell and account exceptions)",
    ),
    "hierarchy_levels.csv": FileInfo(
        "one row per region and district of the plan of record: the ids of its parents, and the accounts, "
        "sales, potential, workload and quotas of its territories added up, with balance and flags",
        "regional and district managers: their part of the plan; finance: quotas by region",
    ),
    "territory_summary.csv": FileInfo(
        "one row per proposed territory: accounts, revenue, potential, workload, balance, travel, "
        "next year's quota and the attainment it gives",
        "sales leadership and finance: quota setting for the new territories",
    ),
    "realignment.xlsx": FileInfo(
        "the files above (alignment, account lists, territory summary, rep movement, hierarchy levels) as "
        "sheets of one workbook, ids kept as text (ZIP and FIPS codes keep their leading zeros)",
        "sales managers and finance who work in a spreadsheet",
    ),
    "rep_impact.csv": FileInfo(
        "each rep's book of business, potential, workload and quota, before and after the realignment",
        "sales managers: talk each rep through the new territory and quota; finance: the quota letters",
    ),
    "rep_movement.csv": FileInfo(
        "accounts and revenue each rep gains and loses",
        "sales managers: talk each rep through what changes for them",
    ),
    "key_accounts.csv": FileInfo(
        "the accounts worth at least a set share of their rep's book, locked to their rep through the "
        "realignment (or why not)",
        "sales leaders: the relationships the plan protects; account managers: what stays with whom",
    ),
    "realignment_sweep.csv": FileInfo(
        "every plan of the trade-off front (one per balance tolerance) with its balance, travel and revenue "
        "moved",
        "sales operations: compare the options behind the recommendation",
    ),
    "recommendation.json": FileInfo(
        "the recommended plan and its headline figures, machine-readable",
        "dashboards and scripts that pick up the run's answer",
    ),
    "proposal_coverage_issues.csv": FileInfo(
        "the coverage checks run on the proposal: territories in pieces, units or accounts without a "
        "territory",
        "sales operations: confirm each one before the CRM load",
    ),
    "units_layer.gpkg": FileInfo(
        "the geometry of the units the alignment is made of (counties and ZIP cells)",
        "GIS analysts: map the territories in QGIS or ArcGIS",
    ),
    # crm/ load files
    "crm/README.md": FileInfo(
        "how to load the crm/ files: load order, references, rules checked",
        "read first by the CRM admin",
    ),
    "crm/Territory2.csv": FileInfo(
        "the territories, for Salesforce Enterprise Territory Management (load 1st)",
        "Salesforce admin: Data Loader insert into Territory2",
    ),
    "crm/UserTerritory2Association.csv": FileInfo(
        "which rep works which territory, for Salesforce ETM (load 2nd)",
        "Salesforce admin: Data Loader insert",
    ),
    "crm/ObjectTerritory2Association.csv": FileInfo(
        "which account belongs to which territory, for Salesforce ETM (load 3rd)",
        "Salesforce admin: Data Loader insert",
    ),
    "crm/Territory2ObjectExclusion.csv": FileInfo(
        "accounts kept out of a territory's assignment rules (named-account exceptions), for Salesforce ETM",
        "Salesforce admin: Data Loader insert",
    ),
    "crm/hubspot_company_owner_update.csv": FileInfo(
        "Record ID and new Company owner of each company whose owner changes",
        "HubSpot admin: import that updates existing companies",
    ),
    "crm/owner_changes.csv": FileInfo(
        "each account whose owner changes, with old and new owner, territory and effective date",
        "admins of any other CRM",
    ),
    # 50 performance review
    "review_territory_kpis.csv": FileInfo(
        "today's KPIs per territory: sales, attainment, potential, workload, flags",
        "sales leadership: the quarterly territory review",
    ),
    "review_rep_kpis.csv": FileInfo(
        "today's KPIs per rep: sales, quota attainment, workload against capacity",
        "sales managers: rep one-to-ones and capacity planning",
    ),
    "review_balance.csv": FileInfo(
        "balance indices of today's territories (spread, largest deviation, Gini) per measure",
        "sales operations",
    ),
    "review_coverage_issues.csv": FileInfo(
        "coverage problems today: units without a territory, territories in pieces, account exceptions",
        "sales operations and the CRM admin: fix or confirm each one",
    ),
    "territory_plans.csv": FileInfo(
        "per territory: where the whitespace is and which accounts to target",
        "reps and their managers: account planning",
    ),
    # 40 territory design
    "plans/compact_design.csv": FileInfo(
        "an option, not the plan of record: the most compact balanced design from scratch (not anchored on "
        "today's reps), unit by unit",
        "sales operations: a reference for a larger redesign",
    ),
    "plans/compact_design_summary.json": FileInfo(
        "the optimizer's status, objective, bound and gap for that design",
        "analysts: audit of the design run",
    ),
    "plans/nested_design.csv": FileInfo(
        "an option, not the plan of record: a nested design from scratch (regions, then districts inside "
        "them, then territories inside the districts), unit by unit with the id of every level",
        "sales leadership: a reference for redrawing regions and districts",
    ),
    "plans/nested_design_summary.json": FileInfo(
        "every level of that design: status, tolerances, largest deviations, seconds, and what nesting "
        "costs against the flat design",
        "analysts: audit of the nested design",
    ),
    # 30 workload
    "accounts_scored.csv": FileInfo(
        "every account with its segment, potential, workload and call plan",
        "sales operations and marketing: load as account fields",
    ),
    "units_scored.gpkg": FileInfo(
        "every county with its accounts, sales, potential, whitespace and workload",
        "GIS analysts: potential and workload maps",
    ),
    "units_scored.csv": FileInfo(
        "every unit with its accounts, sales, potential, whitespace and workload",
        "analysts",
    ),
    # 20 potential
    "accounts_potential.csv": FileInfo(
        "every account's sales, estimated potential, whitespace and penetration",
        "marketing and sales managers: prioritise prospects",
    ),
    "units_potential.csv": FileInfo(
        "potential, sales and whitespace per county",
        "analysts and marketing: where the market is",
    ),
    # 10 segmentation
    "segments.csv": FileInfo(
        "the segment of every account (ABC tier by potential or by sales, named in the column; RFM; or "
        "firmographic cluster)",
        "marketing and the CRM admin: load as an account field",
    ),
    # 00 data overview
    "data_summary_by_state.csv": FileInfo(
        "accounts, customers (last four quarters and ever) and net sales per state and year",
        "finance and sales operations: a check against the books",
    ),
    # 70 editor (only when the plan was edited)
    "edited_alignment.csv": FileInfo(
        "the plan as edited by hand in the interactive editor (written only when there were edits)",
        "sales operations: review the edits before they replace the plan of record",
    ),
    # the run itself
    "DATA_DICTIONARY.md": FileInfo(
        "every file of the run and each of its columns: what it means, its unit, who uses it",
        "everyone who opens a file: finance, the CRM admin mapping columns to fields, analysts",
    ),
    "run.json": FileInfo(
        "the run's parameters, timings and file list",
        "whoever repeats or audits the run",
    ),
    "summary.pdf": FileInfo(
        "this page as a PDF",
        "attach to an e-mail or print for the meeting",
    ),
    # 80 scenarios: the hierarchy of the alignment in force
    "scenarios/hierarchy_alignment.csv": FileInfo(
        "each territory in force with its district and region",
        "sales leadership; the CRM admin loads it as the territory tree",
    ),
    "scenarios/hierarchy_levels.csv": FileInfo(
        "KPIs and balance rolled up to districts and regions",
        "district and region managers",
    ),
}

#: Files of one mid-year event (``scenarios/<event>/``) that the realignment does not write.
SCENARIO_FILES: dict[str, FileInfo] = {
    "scenario_comparison.csv": FileInfo(
        "each territory before and after the event, and the change",
        "the sales manager deciding on the event",
    ),
    "scenario.json": FileInfo(
        "the event, its status and how much moved beyond the event's own units",
        "analysts; audit of the event",
    ),
    "coverage.csv": FileInfo(
        "the held vacancy's accounts with the neighbouring rep who covers each",
        "the neighbouring reps and their manager",
    ),
}


def describe(path: str) -> FileInfo:
    """What a file of the run folder is for (a neutral line for files terrkit does not know).

    Parameters
    ----------
    path : str
        The file's path in the run folder, with ``/`` separators.

    Returns
    -------
    FileInfo
    """
    known = FILES.get(path) or _scenario_file(path) or _front_plan_file(path)
    if known is not None:
        return known
    kind = path.rsplit(".", 1)[-1].upper() if "." in path else "file"
    return FileInfo(f"a {kind} file written by the run", "see the notebook that wrote it")


def _scenario_file(path: str) -> FileInfo | None:
    """A file of ``scenarios/<event>/``: the realignment's files for that event, or the event's own."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "scenarios":
        return None
    event, name = parts[1], parts[2]
    own = SCENARIO_FILES.get(name) or FILES.get(name)
    if own is None:
        return None
    return FileInfo(f"{event.replace('-', ' ')}: {own.what}", own.who)


def _front_plan_file(path: str) -> FileInfo | None:
    """A least-disruption plan of the sweep (``plans/least_disruption_within_5pct.csv``)."""
    match = re.fullmatch(r"plans/least_disruption_within_([0-9.]+)pct\.csv", path)
    if match is None:
        return None
    return FileInfo(
        f"an option, not the plan of record: the least-disruption plan within ±{match[1]}% balance, "
        "unit by unit",
        "sales operations: compare with the recommended plan (alignment.csv)",
    )


def is_described(path: str) -> bool:
    """Whether :func:`describe` knows what the file at ``path`` is for."""
    return path in FILES or _scenario_file(path) is not None or _front_plan_file(path) is not None
