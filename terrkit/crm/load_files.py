"""The ``crm/`` folder of a report run: load files for Salesforce ETM, HubSpot and any CRM.

Written next to the realignment deliverables (``alignment.csv``, ``account_assignments.csv``,
``changes.csv``), all files or none, by :func:`write_crm_load_files`:

- the Salesforce Enterprise Territory Management files of :mod:`terrkit.crm.etm`, in load order;
- ``hubspot_company_owner_update.csv``: ``Record ID, Company owner`` of each company whose owner
  changes (an import that updates existing companies);
- ``owner_changes.csv``: ``account_id, old_owner, new_owner, territory, effective_date`` of each
  account whose owner changes, for any other CRM;
- ``README.md``: the load order, how references are resolved, the rules and the limits checked.

Owners are terrkit's rep ids and records are terrkit's account ids: when the data came from a CRM
import they are that CRM's ids (Salesforce Account and User Ids, HubSpot Record IDs and owners). A
vacant territory has no rep: its accounts' new owner is written empty.

The effective date of the owner changes is the date given, else the first day of the quarter after
``last_period`` (the sales data's last period, ``YYYYQn``; a year ``YYYY`` means its fourth quarter),
else the first day of the quarter after the plan's review period.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from terrkit import __version__
from terrkit.crm.etm import (
    DEFAULT_ROLE,
    ETM_FILES,
    EXCLUSION_FILE,
    MAX_TERRITORIES,
    MODEL_ID_PLACEHOLDER,
    OBJECT_FILE,
    PUBLISH_CAP,
    TERRITORY_FILE,
    TYPE_ID_PLACEHOLDER,
    USER_FILE,
    EtmLoad,
    etm_load,
)
from terrkit.exceptions import TerrkitError
from terrkit.io import staged_folder
from terrkit.realign.deliverables import Realignment, check_realignment
from terrkit.realign.moves import VACANT

#: Name of the folder written next to the deliverables.
FOLDER = "crm"
HUBSPOT_FILE = "hubspot_company_owner_update.csv"
GENERIC_FILE = "owner_changes.csv"
README_FILE = "README.md"
#: Files of the folder, in load order (the README last).
FILES = (*ETM_FILES, HUBSPOT_FILE, GENERIC_FILE, README_FILE)

HUBSPOT_COLUMNS = ["Record ID", "Company owner"]
GENERIC_COLUMNS = ["account_id", "old_owner", "new_owner", "territory", "effective_date"]

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


# ------------------------------------------------------------------------------------ effective date


def next_quarter_start(period: str) -> date:
    """The first day of the quarter after ``period``.

    Parameters
    ----------
    period : str
        A quarter ``YYYYQn`` or a year ``YYYY`` (its fourth quarter).

    Examples
    --------
    >>> next_quarter_start("2025Q3")
    datetime.date(2025, 10, 1)
    >>> next_quarter_start("2025")
    datetime.date(2026, 1, 1)
    """
    match = _PERIOD.match(str(period).strip())
    if not match:
        raise TerrkitError(f"period {period!r} is neither a quarter YYYYQn nor a year YYYY")
    year, quarter = int(match[1]), int(match[2] or 4)
    return date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)


def _effective(
    effective_date: date | str | None, last_period: str | None, plan: Realignment | None
) -> tuple[date, str]:
    """The effective date and where it comes from (a phrase for the README)."""
    if isinstance(effective_date, datetime):
        return effective_date.date(), "given when the files were written"
    if isinstance(effective_date, date):
        return effective_date, "given when the files were written"
    if effective_date is not None and str(effective_date).strip():
        try:
            return date.fromisoformat(str(effective_date).strip()), "given when the files were written"
        except ValueError:
            raise TerrkitError(f"effective date {effective_date!r} is not a date YYYY-MM-DD") from None
    if last_period:
        return (
            next_quarter_start(last_period),
            f"the first day of the quarter after {last_period}, the sales data's last period",
        )
    if plan is not None and plan.review is not None:
        end = plan.review.period.end
        return next_quarter_start(end), f"the first day of the quarter after {end}, the review period's end"
    raise TerrkitError("give the effective date of the owner changes, or the sales data's last period")


def resolve_effective_date(
    effective_date: date | str | None = None,
    last_period: str | None = None,
    plan: Realignment | None = None,
) -> date:
    """The date owner changes take effect (see the module notes for the rule).

    Parameters
    ----------
    effective_date : datetime.date or str, optional
        A date, or its ISO text ``YYYY-MM-DD``; wins over everything else.
    last_period : str, optional
        The sales data's last period (``YYYYQn``).
    plan : Realignment, optional
        Its review period's last quarter is the fallback.

    Raises
    ------
    TerrkitError
        The date is not ISO text, or there is nothing to derive it from.
    """
    return _effective(effective_date, last_period, plan)[0]


# ------------------------------------------------------------------------------------- owner changes


def _owner(value: Any) -> str:
    """A rep id as written in a load file: empty for no rep."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    return "" if text == VACANT else text


def hubspot_owner_updates(changes: pd.DataFrame) -> pd.DataFrame:
    """``Record ID, Company owner`` of each company whose owner changes (``changes.csv``, same order).

    A company moving to a vacant territory gets an empty ``Company owner``.
    """
    return pd.DataFrame(
        {
            "Record ID": changes["account_id"].astype(str).to_numpy(),
            "Company owner": [_owner(r) for r in changes["to_rep_id"]],
        },
        columns=HUBSPOT_COLUMNS,
    )


def owner_changes(changes: pd.DataFrame, assignments: pd.DataFrame, effective_date: date) -> pd.DataFrame:
    """``account_id, old_owner, new_owner, territory, effective_date`` of each account whose owner changes.

    Parameters
    ----------
    changes : pandas.DataFrame
        ``account_id, from_rep_id, to_rep_id`` (``changes.csv``; its order is kept, largest revenue first).
    assignments : pandas.DataFrame
        ``account_id, territory_id`` (``account_assignments.csv``): the proposed territory.
    effective_date : datetime.date
        Written as ``YYYY-MM-DD`` on every row.
    """
    territory = assignments.assign(account_id=assignments["account_id"].astype(str)).set_index("account_id")
    ids = changes["account_id"].astype(str)
    return pd.DataFrame(
        {
            "account_id": ids.to_numpy(),
            "old_owner": [_owner(r) for r in changes["from_rep_id"]],
            "new_owner": [_owner(r) for r in changes["to_rep_id"]],
            "territory": [_owner(t) for t in ids.map(territory["territory_id"])],
            "effective_date": effective_date.isoformat(),
        },
        columns=GENERIC_COLUMNS,
    )


# ------------------------------------------------------------------------------------------- README


def crm_readme(
    etm: EtmLoad,
    hubspot: pd.DataFrame,
    generic: pd.DataFrame,
    effective_date: date,
    effective_source: str = "given when the files were written",
) -> str:
    """The folder's ``README.md``: load order, references, rules and the limits checked, with counts.

    Parameters
    ----------
    etm : EtmLoad
        The Salesforce tables (:func:`terrkit.crm.etm.etm_load`).
    hubspot, generic : pandas.DataFrame
        :func:`hubspot_owner_updates` and :func:`owner_changes`.
    effective_date : datetime.date
        The owner changes' effective date, and ``effective_source`` where it comes from.
    """
    n_terr = len(etm.territories)
    staffed = etm.users["Territory2Id"].nunique()
    with_parent = int((etm.territories["ParentTerritory2Id"] != "").sum())
    added = ", ".join(f"`{t}`" for t in etm.added) or "none"
    warned = "\n".join(f"- **Warning:** {m}" for m in etm.warnings) or "- no warning"
    vacant_hubspot = int((hubspot["Company owner"] == "").sum())
    return f"""# CRM load files

Written by terrkit {__version__} from this run's recommended realignment (`alignment.csv`,
`account_assignments.csv` and `changes.csv` in the folder above). All files are UTF-8 CSV with a header row.
Records and owners are terrkit's ids: `account_id` and `rep_id`. When the data came from a CRM import they are
that CRM's ids (a Salesforce Account Id and User Id, a HubSpot Record ID and owner); otherwise map them to
your CRM's ids before loading. A vacant territory has no rep: its accounts' new owner is empty.

## Salesforce Enterprise Territory Management

Load into a territory model in *Planning* state, in this order (each file refers to rows of the ones before):

| # | file | object | rows |
|---|---|---|---|
| 1 | `{TERRITORY_FILE}` | Territory2 | {n_terr:,} ({with_parent:,} with a parent) |
| 2 | `{USER_FILE}` | UserTerritory2Association | {len(etm.users):,} ({staffed:,} staffed territories) |
| 3 | `{OBJECT_FILE}` | ObjectTerritory2Association | {len(etm.objects):,} (every account once) |
| 4 | `{EXCLUSION_FILE}` | Territory2ObjectExclusion | {len(etm.exclusions):,} |

**To fill in before loading.** `Territory2ModelId` and `Territory2TypeId` hold the placeholders
`{MODEL_ID_PLACEHOLDER}` and `{TYPE_ID_PLACEHOLDER}`: replace them with the Ids of your model and
territory type. `RoleInTerritory2` must be a value of your org's picklist (or empty).

**References resolved at load.** `Territory2Id` (files 2-4) and `ParentTerritory2Id` (file 1) hold the
territory's **DeveloperName**, because Salesforce assigns the Territory2 Ids only when file 1 is inserted.
After inserting file 1, export `SELECT Id, DeveloperName FROM Territory2 WHERE Territory2ModelId = '<model>'`
and replace each DeveloperName by its Id (a lookup in a spreadsheet, or a Data Loader mapping) before
loading files 2-4. Rows of file 1 come parents first: insert them level by level, resolving
`ParentTerritory2Id` as you go, or insert all without it and update it in a second pass.

**DeveloperNames** are derived from terrkit's territory ids: accents dropped, every run of other characters
replaced by one underscore, `T_` in front of a name not starting with a letter (`7-West` -> `T_7_West`,
`T07` stays `T07`), cut to 80 characters; ids whose names would collide (case-insensitively) get `_2`, `_3`,
... in the order of their text. `Name` is the territory id itself (cut to 80 characters).

**Which territory holds an account.** Each account is associated (`AssociationCause` =
`Territory2Manual`) with its unit's proposed territory when that territory's rep is the account's new rep:
every account but the named-account exceptions kept by their owner. Those go to a territory of their new rep
(the first by id); a rep without a territory gets a `Named accounts <rep_id>` territory, and an account left
without a rep in a staffed territory goes to `Unassigned accounts`, which has no user. Reading the files back
(`terrkit.crm.etm.read_etm_assignments`) gives every account its new rep of `account_assignments.csv`.
Territories added by terrkit: {added}.

**Exclusions: a county rule plus its exceptions.** If you also define assignment rules (a county rule, ZIP
rules for the cells of split counties), a rule matches every account of its area, including the named
accounts carved out of it (`acct:<account_id>` units in `alignment.csv`, whose `parent_id` is the cell or
county they were carved from). So an account is excluded from the territory of each unit it was carved from
(its parent cell or county, and that unit's parents when they are units too), and from the territory of its
own unit, whenever that territory is not the one holding it. The `Note` column says which case applies.

### Limits checked

- {n_terr:,} territories, at most {etm.max_territories:,} per territory model (Salesforce's default limit;
  more is refused).
- Every DeveloperName is valid (letters, digits and underscores, starting with a letter, at most 80
  characters, no trailing underscore, no two underscores in a row) and unique, case-insensitively.
- {len(etm.objects):,} account associations; the map-based territory planners publish at most
  {etm.publish_cap:,} records at once (a warning is given above that).
{warned}

## HubSpot

`{HUBSPOT_FILE}`: {len(hubspot):,} companies whose owner changes, with `Record ID` (the company's HubSpot
Record ID) and `Company owner` (the new owner). Import it as an update of existing companies, matched on
Record ID. HubSpot assigns owners by the user's email address: if rep ids are not those emails, replace them
first. {vacant_hubspot:,} of these companies move to a vacant territory and have an empty `Company owner`;
an import may leave an existing value in place when the cell is empty, so check those owners after the import
and clear them if they should have none until the territory is staffed.

## Any other CRM

`{GENERIC_FILE}`: {len(generic):,} accounts whose owner changes (exactly the accounts of `changes.csv`,
largest revenue first): `account_id, old_owner, new_owner, territory, effective_date`. The effective date is
{effective_date.isoformat()}: {effective_source}. Unless a date is given, it is the first day of the quarter
after the sales data's last period.
"""


# ------------------------------------------------------------------------------------------- writing


def write_crm_load_files(
    plan: Realignment,
    output_dir: str | os.PathLike,
    *,
    effective_date: date | str | None = None,
    last_period: str | None = None,
    parents: Mapping[Any, Any] | pd.Series | None = None,
    role: str = DEFAULT_ROLE,
    model_id: str = MODEL_ID_PLACEHOLDER,
    type_id: str = TYPE_ID_PLACEHOLDER,
    max_territories: int = MAX_TERRITORIES,
    publish_cap: int = PUBLISH_CAP,
) -> dict[str, Path]:
    """Write the ``crm/`` folder of a realignment into ``output_dir``, all files or none.

    Every table is built and checked first; the files are then written into a temporary folder next
    to ``crm/`` that is renamed into place (replacing an earlier ``crm/``). If anything fails, nothing
    is written and an earlier ``crm/`` is left as it was.

    Parameters
    ----------
    plan : Realignment
        The realignment (checked with :func:`terrkit.realign.check_realignment`).
    output_dir : path
        The folder of the deliverables; ``crm/`` is created inside it.
    effective_date : datetime.date or str, optional
        Date the owner changes take effect; default from ``last_period`` (see
        :func:`resolve_effective_date`).
    last_period : str, optional
        The sales data's last period (``YYYYQn``); the default effective date is the first day of the
        next quarter.
    parents : mapping or pandas.Series, optional
        Parent territory of each territory (the ETM hierarchy); see :func:`terrkit.crm.etm.etm_load`.
        Default: the plan's sales hierarchy (:attr:`Realignment.hierarchy`): every district and region is
        a Territory2 row of its own, parents before children; without one, the territories are flat.
    role, model_id, type_id, max_territories, publish_cap
        See :func:`terrkit.crm.etm.etm_load`.

    Returns
    -------
    dict
        File name -> written path, in load order (:data:`FILES`).

    Raises
    ------
    TerrkitError
        The plan is inconsistent or a Salesforce limit cannot be met (nothing is written).
    """
    check_realignment(plan)
    when, source = _effective(effective_date, last_period, plan)
    if parents is None and plan.hierarchy is not None:
        parents = plan.hierarchy.parent_links()
    etm = etm_load(
        plan.alignment,
        plan.assignments,
        parents=parents,
        role=role,
        model_id=model_id,
        type_id=type_id,
        max_territories=max_territories,
        publish_cap=publish_cap,
    )
    hubspot = hubspot_owner_updates(plan.changes)
    generic = owner_changes(plan.changes, plan.assignments, when)
    tables = {**etm.tables(), HUBSPOT_FILE: hubspot, GENERIC_FILE: generic}
    readme = crm_readme(etm, hubspot, generic, when, source)

    final = Path(output_dir) / FOLDER
    with staged_folder(final) as staging:
        for name, table in tables.items():
            table.to_csv(staging / name, index=False)
        (staging / README_FILE).write_text(readme, encoding="utf-8")
    return {name: final / name for name in FILES}
