"""Salesforce Enterprise Territory Management (ETM) load files of a realignment, and their reader.

One table per Salesforce object, with the API field names, in load order:

``Territory2.csv``
    ``Name, DeveloperName, Territory2ModelId, Territory2TypeId, ParentTerritory2Id``: one row per
    territory, parents before their children. The model and type ids are placeholders the admin
    replaces; ``ParentTerritory2Id`` holds the parent's DeveloperName (empty without a hierarchy).
``UserTerritory2Association.csv``
    ``UserId, Territory2Id, RoleInTerritory2``: the rep of every staffed territory (a vacant territory
    has no row).
``ObjectTerritory2Association.csv``
    ``ObjectId, Territory2Id, AssociationCause``: every account exactly once, ``Territory2Manual``.
``Territory2ObjectExclusion.csv``
    ``ObjectId, Territory2Id, Note``: accounts kept out of the territory whose assignment rule would
    otherwise take them (see below).

``Territory2Id`` and ``ParentTerritory2Id`` hold the territory's DeveloperName: Salesforce knows the
record Id only once ``Territory2.csv`` is inserted, so these references are resolved at load.

**Which territory holds an account.** An account goes to its unit's proposed territory when that
territory's rep is its new rep (``account_assignments.csv``), which is the case for every account but
the named-account exceptions kept by their owner. Such an account goes to a territory of its new rep
(the first by id); a rep without a territory in the proposal gets a ``Named accounts <rep_id>``
territory of its own, and an account left without a rep in a staffed territory goes to an
``Unassigned accounts`` territory without users. So every account's territory user is its new rep.

**Exclusions** (what an admin loading a county rule with its exceptions needs). The territories are
defined geographically: a county rule, ZIP-cell exceptions of split counties, and named accounts
carved out of a cell or county (``acct:<account_id>`` units, whose ``parent_id`` is that cell or
county). A rule written for a cell or county also matches the named accounts carved out of it, so an
account is excluded from

- the territory of each unit it was carved from (its parent cell or county, and that unit's own
  parents when they are units of the alignment), and
- the territory of its own unit (``account_assignments.csv``'s ``territory_id``),

whenever that territory differs from the one the account is associated with.

Limits checked: at most ``max_territories`` (Salesforce's default, 1,000) territories per model;
every DeveloperName valid (letters, digits and underscores, starting with a letter, at most 80
characters, no trailing underscore and no two underscores in a row) and unique (case-insensitively);
and a :class:`CrmLoadWarning` above ``publish_cap`` (50,000) account associations, the most the
map-based territory planners publish in one go.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from terrkit.exceptions import TerrkitError, TerrkitWarning
from terrkit.realign.moves import VACANT

#: Salesforce objects in load order, with their file names.
TERRITORY_FILE = "Territory2.csv"
USER_FILE = "UserTerritory2Association.csv"
OBJECT_FILE = "ObjectTerritory2Association.csv"
EXCLUSION_FILE = "Territory2ObjectExclusion.csv"
ETM_FILES = (TERRITORY_FILE, USER_FILE, OBJECT_FILE, EXCLUSION_FILE)

#: Placeholders the admin replaces with the Ids of the territory model and territory type.
MODEL_ID_PLACEHOLDER = "REPLACE_WITH_TERRITORY2MODEL_ID"
TYPE_ID_PLACEHOLDER = "REPLACE_WITH_TERRITORY2TYPE_ID"
#: Default ``RoleInTerritory2`` (a picklist value the org must define; "" leaves it empty).
DEFAULT_ROLE = "Owner"
#: ``AssociationCause`` of an account assigned by a load rather than by a rule.
ASSOCIATION_CAUSE = "Territory2Manual"

#: Territories per territory model Salesforce allows by default (Support can raise it).
MAX_TERRITORIES = 1_000
#: Records the map-based territory planners publish at most.
PUBLISH_CAP = 50_000
#: Longest DeveloperName, Name and exclusion Note Salesforce accepts.
DEVELOPER_NAME_MAX = 80
NAME_MAX = 80
NOTE_MAX = 255

#: Territory ids terrkit adds for accounts no proposed territory can hold.
NAMED_ACCOUNTS = "Named accounts {rep}"
UNASSIGNED = "Unassigned accounts"

_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$")
_ACCOUNT_UNIT = "acct:"

TERRITORY_COLUMNS = ["Name", "DeveloperName", "Territory2ModelId", "Territory2TypeId", "ParentTerritory2Id"]
USER_COLUMNS = ["UserId", "Territory2Id", "RoleInTerritory2"]
OBJECT_COLUMNS = ["ObjectId", "Territory2Id", "AssociationCause"]
EXCLUSION_COLUMNS = ["ObjectId", "Territory2Id", "Note"]


class CrmLoadWarning(TerrkitWarning):
    """The load files are valid but exceed a limit of some loading tool."""


# ------------------------------------------------------------------------------------- DeveloperNames


def is_valid_developer_name(name: str) -> bool:
    """Whether ``name`` is a valid Salesforce DeveloperName.

    Letters, digits and underscores only, starting with a letter, at most 80 characters, not ending
    with an underscore and without two underscores in a row.
    """
    return isinstance(name, str) and len(name) <= DEVELOPER_NAME_MAX and bool(_VALID.match(name))


def _fit(text: str, limit: int) -> str:
    return text[:limit].rstrip("_")


def _base_name(territory_id: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", territory_id).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_")
    if not text:
        return "T"
    if not text[0].isalpha():
        text = f"T_{text}"
    return _fit(text, DEVELOPER_NAME_MAX)


def developer_names(territory_ids: Iterable[Any]) -> pd.Series:
    """A valid, unique DeveloperName for each territory id, derived deterministically.

    Accents are dropped (``Zürich`` -> ``Zurich``), every run of other characters becomes one
    underscore, leading and trailing underscores go, a name not starting with a letter gets ``T_`` in
    front (``7-West`` -> ``T_7_West``; ``T07`` stays ``T07``) and names are cut to 80 characters. Ids
    whose names collide (case-insensitively, as Salesforce compares them) are taken in order of their
    text: the first keeps the name, the next get ``_2``, ``_3``, ... (the smallest number free).

    Parameters
    ----------
    territory_ids : iterable
        Territory ids (turned to text; duplicates are named once).

    Returns
    -------
    pandas.Series
        DeveloperName indexed by territory id (as text), in order of the ids' text.

    Raises
    ------
    TerrkitError
        A name is still invalid or not unique (a safeguard; the derivation above prevents it).
    """
    ids = sorted({str(t) for t in territory_ids})
    base = {t: _base_name(t) for t in ids}
    taken = {name.lower() for name in base.values()}
    named: set[str] = set()
    out: dict[str, str] = {}
    for t in ids:
        name = base[t]
        if name.lower() not in named:
            named.add(name.lower())
            out[t] = name
            continue
        n = 2
        while True:
            suffix = f"_{n}"
            candidate = _fit(name, DEVELOPER_NAME_MAX - len(suffix)) + suffix
            if candidate.lower() not in taken:
                break
            n += 1
        taken.add(candidate.lower())
        out[t] = candidate
    result = pd.Series(out, dtype=object, name="DeveloperName")
    result.index.name = "territory_id"
    bad = [name for name in result if not is_valid_developer_name(name)]
    if bad:
        raise TerrkitError(f"cannot derive a valid Salesforce DeveloperName: {bad[0]!r}")
    if result.str.lower().duplicated().any():
        raise TerrkitError("cannot derive unique Salesforce DeveloperNames for the territories")
    return result


# ------------------------------------------------------------------------------------- the load tables


@dataclass
class EtmLoad:
    """The ETM load tables of a realignment and what was checked on the way.

    Attributes
    ----------
    territories, users, objects, exclusions : pandas.DataFrame
        The rows of ``Territory2.csv``, ``UserTerritory2Association.csv``,
        ``ObjectTerritory2Association.csv`` and ``Territory2ObjectExclusion.csv``.
    names : pandas.Series
        DeveloperName of every territory, indexed by territory id.
    max_territories, publish_cap : int
        The limits checked.
    added : list of str
        Territory ids terrkit added (parents from the hierarchy, named-account and unassigned
        territories).
    warnings : list of str
        Messages of the :class:`CrmLoadWarning` raised.
    """

    territories: pd.DataFrame
    users: pd.DataFrame
    objects: pd.DataFrame
    exclusions: pd.DataFrame
    names: pd.Series
    max_territories: int = MAX_TERRITORIES
    publish_cap: int = PUBLISH_CAP
    added: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file name, in load order."""
        return {
            TERRITORY_FILE: self.territories,
            USER_FILE: self.users,
            OBJECT_FILE: self.objects,
            EXCLUSION_FILE: self.exclusions,
        }


def _text(value: Any) -> str | None:
    """A value as text, or None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _rep(value: Any) -> str | None:
    """A rep id as text, or None for no rep (missing, empty or :data:`VACANT`)."""
    text = _text(value)
    return None if text in (None, "", VACANT) else text


def _territory_reps(alignment: pd.DataFrame) -> dict[str, str | None]:
    """The rep of each territory of the alignment; a territory with two reps is an error."""
    reps: dict[str, str | None] = {}
    for territory, rep in zip(alignment["territory_id"], alignment["rep_id"], strict=True):
        t, r = str(territory), _rep(rep)
        if t in reps and reps[t] != r:
            raise TerrkitError(
                f"territory {t} has two reps in the alignment ({reps[t] or VACANT} and {r or VACANT}); "
                "ETM load files need one rep per territory"
            )
        reps[t] = r
    return reps


def _parent_map(parents: Mapping[Any, Any] | pd.Series | None) -> dict[str, str]:
    if parents is None:
        return {}
    items = parents.items()
    return {str(child): str(parent) for child, parent in items if _text(parent) not in (None, "")}


def _hierarchy(territories: list[str], parents: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """The parent of each territory and of each ancestor reached; the ancestors not in ``territories``."""
    parent_of: dict[str, str | None] = {}
    known = set(territories)
    added: list[str] = []
    for start in territories:
        chain: list[str] = []
        node: str | None = start
        while node is not None:
            if node in chain:
                cycle = " -> ".join([*chain[chain.index(node) :], node])
                raise TerrkitError(f"the territory hierarchy has a cycle: {cycle}")
            if node in parent_of:
                break
            chain.append(node)
            parent = parents.get(node)
            parent_of[node] = parent
            if parent is not None and parent not in known:
                known.add(parent)
                added.append(parent)
            node = parent
    return parent_of, added


def _depth(territory: str, parent_of: dict[str, str | None]) -> int:
    depth = 0
    node = parent_of.get(territory)
    while node is not None:
        depth += 1
        node = parent_of.get(node)
    return depth


def _ancestor_units(alignment: pd.DataFrame) -> dict[str, list[str]]:
    """For each ``acct:`` unit, the units it was carved from (parent, grandparent, ...) in the alignment."""
    if "parent_id" not in alignment.columns:
        return {}
    parent = {
        str(u): _text(p)
        for u, p in zip(alignment["unit_id"], alignment["parent_id"], strict=True)
        if _text(p) is not None
    }
    units = set(alignment["unit_id"].astype(str))
    out: dict[str, list[str]] = {}
    for unit in alignment["unit_id"].astype(str):
        if not unit.startswith(_ACCOUNT_UNIT):
            continue
        chain: list[str] = []
        node = parent.get(unit)
        while node is not None and node in units and node not in chain and node != unit:
            chain.append(node)
            node = parent.get(node)
        out[unit] = chain
    return out


def _note(text: str) -> str:
    return text if len(text) <= NOTE_MAX else text[: NOTE_MAX - 3] + "..."


def etm_load(
    alignment: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    parents: Mapping[Any, Any] | pd.Series | None = None,
    role: str = DEFAULT_ROLE,
    model_id: str = MODEL_ID_PLACEHOLDER,
    type_id: str = TYPE_ID_PLACEHOLDER,
    max_territories: int = MAX_TERRITORIES,
    publish_cap: int = PUBLISH_CAP,
) -> EtmLoad:
    """Build the ETM load tables of a realignment (see the module notes for the rules).

    Parameters
    ----------
    alignment : pandas.DataFrame
        ``unit_id, territory_id, rep_id`` of the proposal, with ``level, parent_id`` on a mixed unit
        layer (``alignment.csv``). With a ``parent_territory_id`` column and no ``parents``, that
        column is the hierarchy.
    assignments : pandas.DataFrame
        ``account_id, old_rep_id, new_rep_id, territory_id`` (``account_assignments.csv``).
    parents : mapping or pandas.Series, optional
        Parent territory id of each territory that has one; parents that are not territories of the
        alignment (regions, say) become territories without users. Default: no hierarchy.
    role : str, default "Owner"
        ``RoleInTerritory2`` of every rep (a value of the org's picklist; "" for none).
    model_id, type_id : str
        ``Territory2ModelId`` and ``Territory2TypeId`` of every territory (placeholders by default).
    max_territories : int, default 1000
        Territories allowed per model (Salesforce's default limit).
    publish_cap : int, default 50000
        Account associations above which a :class:`CrmLoadWarning` is raised.

    Returns
    -------
    EtmLoad

    Raises
    ------
    TerrkitError
        More territories than ``max_territories``, a territory with two reps, an account listed twice,
        or a cycle in the hierarchy.
    """
    if assignments["account_id"].astype(str).duplicated().any():
        raise TerrkitError("account_assignments lists an account twice; ETM needs each account once")
    if parents is None and "parent_territory_id" in alignment.columns:
        parents = alignment.drop_duplicates("territory_id").set_index("territory_id")["parent_territory_id"]
    rep_of = _territory_reps(alignment)
    own: dict[str, list[str]] = {}
    for t in sorted(rep_of):
        if rep_of[t] is not None:
            own.setdefault(rep_of[t], []).append(t)

    accounts = assignments["account_id"].astype(str).tolist()
    unit_territory = [_text(t) for t in assignments["territory_id"]]
    stray = sorted({t for t in unit_territory if t is not None} - set(rep_of))
    if stray:
        raise TerrkitError(f"account_assignments names territory {stray[0]!r}, which the alignment lacks")
    new_rep = [_rep(r) for r in assignments["new_rep_id"]]
    extra: dict[str, str | None] = {}  # added territory -> its rep
    held: list[str] = []
    for territory, rep in zip(unit_territory, new_rep, strict=True):
        if territory is not None and territory in rep_of and rep_of[territory] == rep:
            held.append(territory)
        elif rep is not None and rep in own:
            held.append(own[rep][0])
        elif rep is not None:
            name = NAMED_ACCOUNTS.format(rep=rep)
            extra[name] = rep
            held.append(name)
        else:
            extra[UNASSIGNED] = None
            held.append(UNASSIGNED)
    clash = sorted(set(extra) & set(rep_of))
    if clash:
        raise TerrkitError(f"territory id {clash[0]!r} is reserved for accounts no proposed territory holds")

    base = sorted(rep_of) + sorted(extra)
    parent_of, ancestors = _hierarchy(sorted(rep_of), _parent_map(parents))
    for t in extra:
        parent_of[t] = None
    everything = base + ancestors
    if len(everything) > max_territories:
        raise TerrkitError(
            f"{len(everything):,} territories exceed the {max_territories:,} a Salesforce territory model "
            "holds; merge territories, or have Salesforce raise the limit and pass max_territories"
        )
    names = developer_names(everything)
    order = sorted(everything, key=lambda t: (_depth(t, parent_of), names[t]))
    territories = pd.DataFrame(
        {
            "Name": [t[:NAME_MAX] for t in order],
            "DeveloperName": [names[t] for t in order],
            "Territory2ModelId": model_id,
            "Territory2TypeId": type_id,
            "ParentTerritory2Id": [names[p] if (p := parent_of.get(t)) else "" for t in order],
        },
        columns=TERRITORY_COLUMNS,
    )
    staffed = [(rep, t) for t in sorted(rep_of) if (rep := rep_of[t]) is not None]
    staffed += [(rep, t) for t, rep in sorted(extra.items()) if rep is not None]
    users = pd.DataFrame(
        {
            "UserId": [rep for rep, _ in staffed],
            "Territory2Id": [names[t] for _, t in staffed],
            "RoleInTerritory2": role,
        },
        columns=USER_COLUMNS,
    )
    objects = pd.DataFrame(
        {
            "ObjectId": accounts,
            "Territory2Id": [names[t] for t in held],
            "AssociationCause": ASSOCIATION_CAUSE,
        },
        columns=OBJECT_COLUMNS,
    )
    exclusions = _exclusions(alignment, accounts, unit_territory, held, names)

    messages: list[str] = []
    if len(objects) > publish_cap:
        messages.append(
            f"{len(objects):,} account associations exceed the {publish_cap:,} records the map-based "
            "territory planners publish at once; load ObjectTerritory2Association.csv with Data Loader "
            "or the Bulk API instead"
        )
    for message in messages:
        warnings.warn(message, CrmLoadWarning, stacklevel=2)
    return EtmLoad(
        territories,
        users,
        objects,
        exclusions,
        names,
        max_territories=max_territories,
        publish_cap=publish_cap,
        added=sorted(extra) + ancestors,
        warnings=messages,
    )


def _exclusions(
    alignment: pd.DataFrame,
    accounts: list[str],
    unit_territory: list[str | None],
    held: list[str],
    names: pd.Series,
) -> pd.DataFrame:
    """``Territory2ObjectExclusion`` rows: rule territories of an account other than the one holding it."""
    territory_of_unit = dict(
        zip(alignment["unit_id"].astype(str), alignment["territory_id"].astype(str), strict=True)
    )
    carved = _ancestor_units(alignment)
    rows: dict[tuple[str, str], str] = {}
    for account, territory, holder in zip(accounts, unit_territory, held, strict=True):
        unit = _ACCOUNT_UNIT + account
        for ancestor in carved.get(unit, []):
            t = territory_of_unit[ancestor]
            if t != holder and (account, t) not in rows:
                rows[(account, t)] = f"named account carved out of {ancestor} ({t}); held by {holder}"
        if territory is not None and territory != holder and (account, territory) not in rows:
            rows[(account, territory)] = f"exception kept out of {territory}; held by {holder}"
    return pd.DataFrame(
        {
            "ObjectId": [a for a, _ in rows],
            "Territory2Id": [names[t] for _, t in rows],
            "Note": [_note(n) for n in rows.values()],
        },
        columns=EXCLUSION_COLUMNS,
    )


# ------------------------------------------------------------------------------------------- reading


def _read(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    path = folder / name
    if not path.exists():
        raise TerrkitError(f"{path} is missing")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TerrkitError(f"{name} has no column {missing[0]!r}")
    return frame


def read_etm_assignments(folder: str | os.PathLike) -> pd.Series:
    """Read ETM load files back: the user of each account's territory.

    ``ObjectTerritory2Association.csv`` is joined through the territories' DeveloperName
    (``Territory2.csv``) to ``UserTerritory2Association.csv``.

    Parameters
    ----------
    folder : path
        Folder holding the files written by :func:`terrkit.crm.load_files.write_crm_load_files`.

    Returns
    -------
    pandas.Series
        ``rep_id`` (the ``UserId``; NaN for an account in a territory without users) indexed by
        ``account_id``, in file order.

    Raises
    ------
    TerrkitError
        A file or column is missing, an account is listed twice, a territory is referenced but not
        defined, or a territory has several users (its accounts' rep would be ambiguous).
    """
    root = Path(folder)
    territories = _read(root, TERRITORY_FILE, TERRITORY_COLUMNS)
    users = _read(root, USER_FILE, USER_COLUMNS)
    objects = _read(root, OBJECT_FILE, OBJECT_COLUMNS)
    known = set(territories["DeveloperName"])
    for name, frame in ((USER_FILE, users), (OBJECT_FILE, objects)):
        unknown = sorted(set(frame["Territory2Id"]) - known)
        if unknown:
            raise TerrkitError(f"{name} references territory {unknown[0]!r}, which {TERRITORY_FILE} lacks")
    if objects["ObjectId"].duplicated().any():
        twice = objects.loc[objects["ObjectId"].duplicated(), "ObjectId"].iloc[0]
        raise TerrkitError(f"{OBJECT_FILE} lists account {twice!r} twice")
    per_territory = users.groupby("Territory2Id")["UserId"].nunique()
    if (per_territory > 1).any():
        raise TerrkitError(
            f"territory {per_territory[per_territory > 1].index[0]!r} has several users: "
            "its accounts' rep is ambiguous"
        )
    user_of = users.drop_duplicates("Territory2Id").set_index("Territory2Id")["UserId"]
    rep = objects["Territory2Id"].map(user_of).replace("", None)
    return pd.Series(
        rep.to_numpy(dtype=object), index=pd.Index(objects["ObjectId"], name="account_id"), name="rep_id"
    )
