"""CRM load files: every account once, the owner changes exactly, valid DeveloperNames, Salesforce's limits,
the hierarchy, the ETM round trip, and nothing written on failure."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from terrkit.crm.etm import (
    EXCLUSION_FILE,
    OBJECT_FILE,
    TERRITORY_FILE,
    USER_FILE,
    CrmLoadWarning,
    developer_names,
    etm_load,
    is_valid_developer_name,
    read_etm_assignments,
)
from terrkit.crm.load_files import (
    FILES,
    GENERIC_FILE,
    HUBSPOT_FILE,
    next_quarter_start,
    resolve_effective_date,
    write_crm_load_files,
)
from terrkit.exceptions import TerrkitError
from terrkit.realign import (
    Realignment,
    account_assignments,
    change_list,
    movement_summary,
    plan_realignment,
    proposal_alignment,
    rep_movement,
    write_realignment,
)

# ------------------------------------------------------------------------------------------ helpers


def make_plan(accounts, current, proposed, rep_map, layer=None, revenue=None) -> Realignment:
    """A consistent plan built with the real realignment functions, without the performance review."""
    revenue = revenue if revenue is not None else pd.Series(1.0, index=accounts["account_id"])
    alignment = proposal_alignment(proposed, rep_map)
    if layer is not None:
        alignment = alignment.merge(layer, on="unit_id", how="left")[
            ["unit_id", "level", "parent_id", "territory_id", "rep_id"]
        ]
    assignments = account_assignments(accounts, alignment, current, keep_exceptions=True)
    return Realignment(
        alignment=alignment,
        rep_map=rep_map,
        assignments=assignments,
        changes=change_list(assignments, revenue),
        movement=rep_movement(assignments, revenue),
        summary=movement_summary(current, alignment, assignments, revenue),
        review=None,
        territory_summary=pd.DataFrame(),
    )


def new_reps(plan: Realignment) -> pd.Series:
    return plan.assignments.set_index(plan.assignments["account_id"].astype(str))["new_rep_id"]


def same_reps(got: pd.Series, want: pd.Series) -> bool:
    """Equal per account, treating missing (vacant) as equal."""
    got = got.reindex(want.index)
    return bool((got.fillna("").astype(str) == want.fillna("").astype(str)).all()) and len(got) == len(want)


def own_rule(name: str) -> bool:
    """Salesforce's DeveloperName rule, written out independently of the module."""
    return (
        0 < len(name) <= 80
        and name[0].isascii()
        and name[0].isalpha()
        and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)
        and not name.endswith("_")
        and "__" not in name
    )


# ------------------------------------------------------------------------------------------ by hand


@pytest.fixture
def hand_plan() -> Realignment:
    """Counties 01001, 01005, 01007 and split county 01003 (cells zip:11111, zip:22222); acct:c was carved out
    of zip:11111. Proposal: T1 (R1) = 01001 + zip:11111; T2 (R2) = acct:c + zip:22222 + 01005; 01007 becomes
    the vacant NEW1. g is R2's account in R1's county (kept by R2); h is R3's (R3 has no territory)."""
    layer = pd.DataFrame(
        {
            "unit_id": ["01001", "zip:11111", "zip:22222", "acct:c", "01005", "01007"],
            "level": ["county", "zip", "zip", "account", "county", "county"],
            "parent_id": [None, "01003", "01003", "zip:11111", None, None],
        }
    )
    current = pd.DataFrame(
        {
            "unit_id": layer["unit_id"],
            "territory_id": ["T1", "T1", "T2", "T1", "T2", "T2"],
            "rep_id": ["R1", "R1", "R2", "R1", "R2", "R2"],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": list("abcdefgh"),
            "unit_id": ["01001", "zip:11111", "acct:c", "zip:22222", "01005", "01007", "01001", "01007"],
            "owner_rep_id": ["R1", "R1", "R1", "R2", "R2", "R2", "R2", "R3"],
        }
    )
    proposed = pd.Series(
        {"01001": "T1", "zip:11111": "T1", "acct:c": "T2", "zip:22222": "T2", "01005": "T2", "01007": "N"}
    )
    rep_map = pd.DataFrame(
        {"proposal": ["T1", "T2", "N"], "territory_id": ["T1", "T2", "NEW1"], "rep_id": ["R1", "R2", None]}
    )
    return make_plan(accounts, current, proposed, rep_map, layer)


def test_hand_made_plan_files_round_trip(hand_plan, tmp_path):
    paths = write_crm_load_files(hand_plan, tmp_path, last_period="2025Q2")
    assert list(paths) == list(FILES) and all(p.parent == tmp_path / "crm" for p in paths.values())
    assert sorted(p.name for p in (tmp_path / "crm").iterdir()) == sorted(FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["crm"]  # no temporary folder left

    read = lambda name: pd.read_csv(paths[name], dtype=str, keep_default_na=False)  # noqa: E731
    territories = read(TERRITORY_FILE)
    assert list(territories.columns) == [
        "Name",
        "DeveloperName",
        "Territory2ModelId",
        "Territory2TypeId",
        "ParentTerritory2Id",
    ]
    assert sorted(territories["DeveloperName"]) == ["NEW1", "Named_accounts_R3", "T1", "T2"]
    assert (territories["Territory2ModelId"] == "REPLACE_WITH_TERRITORY2MODEL_ID").all()
    assert (territories["Territory2TypeId"] == "REPLACE_WITH_TERRITORY2TYPE_ID").all()
    assert (territories["ParentTerritory2Id"] == "").all()

    users = read(USER_FILE)
    assert list(users.columns) == ["UserId", "Territory2Id", "RoleInTerritory2"]
    assert sorted(zip(users["UserId"], users["Territory2Id"], strict=True)) == [
        ("R1", "T1"),
        ("R2", "T2"),
        ("R3", "Named_accounts_R3"),
    ]  # the vacant NEW1 has no user
    assert (users["RoleInTerritory2"] == "Owner").all()

    objects = read(OBJECT_FILE)
    assert list(objects.columns) == ["ObjectId", "Territory2Id", "AssociationCause"]
    assert dict(zip(objects["ObjectId"], objects["Territory2Id"], strict=True)) == {
        "a": "T1",
        "b": "T1",
        "c": "T2",  # the named account carved out to T2
        "d": "T2",
        "e": "T2",
        "f": "NEW1",
        "g": "T2",  # kept by its owner R2: in R2's territory
        "h": "Named_accounts_R3",  # kept by R3, who has no territory
    }
    assert (objects["AssociationCause"] == "Territory2Manual").all()

    exclusions = read(EXCLUSION_FILE)
    assert list(exclusions.columns) == ["ObjectId", "Territory2Id", "Note"]
    assert sorted(zip(exclusions["ObjectId"], exclusions["Territory2Id"], strict=True)) == [
        ("c", "T1"),  # carved out of zip:11111, whose rule is T1's
        ("g", "T1"),  # in county 01001 (T1) but held by T2
        ("h", "NEW1"),  # in county 01007 (NEW1) but held by R3's named accounts
    ]
    assert "zip:11111" in exclusions.set_index("ObjectId").loc["c", "Note"]

    back = read_etm_assignments(tmp_path / "crm")
    assert back.index.name == "account_id" and back.name == "rep_id"
    assert same_reps(back, new_reps(hand_plan))
    assert back.fillna("").to_dict() == {
        "a": "R1",
        "b": "R1",
        "c": "R2",
        "d": "R2",
        "e": "R2",
        "f": "",  # NEW1 is vacant
        "g": "R2",
        "h": "R3",
    }

    hubspot = read(HUBSPOT_FILE)
    assert list(hubspot.columns) == ["Record ID", "Company owner"]
    assert dict(zip(hubspot["Record ID"], hubspot["Company owner"], strict=True)) == {"c": "R2", "f": ""}
    generic = read(GENERIC_FILE)
    assert list(generic.columns) == ["account_id", "old_owner", "new_owner", "territory", "effective_date"]
    assert generic.set_index("account_id").to_dict("index") == {
        "c": {"old_owner": "R1", "new_owner": "R2", "territory": "T2", "effective_date": "2025-07-01"},
        "f": {"old_owner": "R2", "new_owner": "", "territory": "NEW1", "effective_date": "2025-07-01"},
    }

    readme = paths["README.md"].read_text()
    order = [readme.index(f"`{name}`") for name in (TERRITORY_FILE, USER_FILE, OBJECT_FILE, EXCLUSION_FILE)]
    assert order == sorted(order), "the README gives the load order"
    for text in ("1,000", "50,000", "DeveloperName", "2025-07-01", "2025Q2", "Named accounts"):
        assert text in readme


def test_hierarchy_parents_by_developer_name_and_before_their_children(hand_plan, tmp_path):
    parents = {"T1": "West", "T2": "West", "NEW1": "East Coast", "West": "US", "East Coast": "US"}
    paths = write_crm_load_files(hand_plan, tmp_path, last_period="2025Q4", parents=parents)
    territories = pd.read_csv(paths[TERRITORY_FILE], dtype=str, keep_default_na=False)
    parent = dict(zip(territories["DeveloperName"], territories["ParentTerritory2Id"], strict=True))
    assert parent == {
        "US": "",
        "West": "US",
        "East_Coast": "US",
        "T1": "West",
        "T2": "West",
        "NEW1": "East_Coast",
        "Named_accounts_R3": "",
    }
    row = {name: i for i, name in enumerate(territories["DeveloperName"])}
    assert all(row[p] < row[child] for child, p in parent.items() if p), "parents are inserted first"
    users = pd.read_csv(paths[USER_FILE], dtype=str)
    assert set(users["Territory2Id"]).isdisjoint({"US", "West", "East_Coast"})  # regions have no users
    assert same_reps(read_etm_assignments(tmp_path / "crm"), new_reps(hand_plan))

    # direct parents from a parent column of the alignment: the same as the mapping
    column = hand_plan.alignment.assign(parent_territory_id=hand_plan.alignment["territory_id"].map(parents))
    direct = {t: parents[t] for t in ("T1", "T2", "NEW1")}
    by_column = etm_load(column, hand_plan.assignments).territories
    assert by_column.equals(etm_load(hand_plan.alignment, hand_plan.assignments, parents=direct).territories)
    assert dict(zip(by_column["DeveloperName"], by_column["ParentTerritory2Id"], strict=True))["T1"] == "West"

    with pytest.raises(TerrkitError, match="cycle: West -> US -> West"):
        etm_load(
            hand_plan.alignment, hand_plan.assignments, parents={"T1": "West", "West": "US", "US": "West"}
        )
    with pytest.raises(TerrkitError, match="cycle: T2 -> T2"):
        etm_load(hand_plan.alignment, hand_plan.assignments, parents={"T2": "T2"})


def test_developer_names_are_valid_unique_and_deterministic_on_nasty_ids():
    nasty = [
        "T07",
        "7-West",
        "7 West",
        "t_7_west",  # collides with the two above, case-insensitively
        "T_7_West",
        "Zürich Nord",
        "東京",
        "",
        "___",
        "a__b",
        "end_",
        "-lead",
        "x" * 100,
        "x" * 100 + "y",  # same first 80 characters
        "x" * 79 + "_z",
        "NEW1",
        42,
    ]
    names = developer_names(nasty)
    assert len(names) == len(set(map(str, nasty)))
    assert all(own_rule(n) and is_valid_developer_name(n) for n in names), names.tolist()
    assert names.str.lower().is_unique
    assert names["T07"] == "T07" and names["Zürich Nord"] == "Zurich_Nord" and names["a__b"] == "a_b"
    assert names["42"] == "T_42" and names["-lead"] == "lead" and names["end_"] == "end"
    # "7 West", "7-West", "T_7_West", "t_7_west" all want T_7_West: in order of their text, the first keeps it
    assert names[["7 West", "7-West", "T_7_West", "t_7_west"]].tolist() == [
        "T_7_West",
        "T_7_West_2",
        "T_7_West_3",
        "t_7_west_4",
    ]
    assert developer_names(list(reversed(nasty))).to_dict() == names.to_dict(), "independent of order"
    assert developer_names(["7-West"]).tolist() == ["T_7_West"]
    for bad in ("", "7a", "_a", "a_", "a__b", "a-b", "é", "a" * 81):
        assert not is_valid_developer_name(bad)
    assert is_valid_developer_name("a" * 80) and is_valid_developer_name("A_1_b2")


def test_more_than_1000_territories_is_an_error_and_nothing_is_written(tmp_path):
    n = 1_001
    units = [f"u{i:04d}" for i in range(n)]
    current = pd.DataFrame({"unit_id": units, "territory_id": units, "rep_id": [f"R{i}" for i in range(n)]})
    accounts = pd.DataFrame(
        {"account_id": [f"A{i}" for i in range(n)], "unit_id": units, "owner_rep_id": current["rep_id"]}
    )
    proposed = pd.Series(units, index=units)
    rep_map = pd.DataFrame({"proposal": units, "territory_id": units, "rep_id": current["rep_id"]})
    plan = make_plan(accounts, current, proposed, rep_map)
    with pytest.raises(TerrkitError, match="1,001 territories exceed the 1,000"):
        write_crm_load_files(plan, tmp_path, last_period="2025Q4")
    assert list(tmp_path.iterdir()) == []
    # 1,000 territories fit, unless a parent region makes them 1,001
    small = make_plan(accounts[:1000], current[:1000], proposed[:1000], rep_map[:1000])
    assert len(etm_load(small.alignment, small.assignments).territories) == 1_000
    with pytest.raises(TerrkitError, match="1,001 territories"):
        etm_load(small.alignment, small.assignments, parents={"u0000": "Region"})
    assert len(etm_load(plan.alignment, plan.assignments, max_territories=5_000).territories) == n


def test_a_warning_above_50000_account_associations():
    alignment = pd.DataFrame({"unit_id": ["u1", "u2"], "territory_id": ["T1", "T2"], "rep_id": ["R1", "R2"]})

    def assignments(n: int) -> pd.DataFrame:
        territory = np.where(np.arange(n) % 2 == 0, "T1", "T2")
        rep = np.where(territory == "T1", "R1", "R2")
        return pd.DataFrame(
            {
                "account_id": [f"A{i}" for i in range(n)],
                "old_rep_id": rep,
                "new_rep_id": rep,
                "territory_id": territory,
            }
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error", CrmLoadWarning)
        at_cap = etm_load(alignment, assignments(50_000))
    assert at_cap.warnings == [] and len(at_cap.objects) == 50_000
    with pytest.warns(CrmLoadWarning, match="50,001 account associations exceed the 50,000"):
        over = etm_load(alignment, assignments(50_001))
    assert len(over.objects) == 50_001 and len(over.warnings) == 1


def test_effective_date_rule():
    assert next_quarter_start("2025Q1") == date(2025, 4, 1)
    assert next_quarter_start("2025Q3") == date(2025, 10, 1)
    assert next_quarter_start("2025Q4") == date(2026, 1, 1)
    assert next_quarter_start("2025") == date(2026, 1, 1)
    assert resolve_effective_date(None, "2024Q2") == date(2024, 7, 1)
    assert resolve_effective_date("2026-02-15", "2024Q2") == date(2026, 2, 15), "a given date wins"
    assert resolve_effective_date(date(2026, 3, 1)) == date(2026, 3, 1)
    for bad in ("15/02/2026", "soon"):
        with pytest.raises(TerrkitError, match="not a date"):
            resolve_effective_date(bad)
    with pytest.raises(TerrkitError, match="neither a quarter"):
        next_quarter_start("2025Q5")
    with pytest.raises(TerrkitError, match="effective date"):
        resolve_effective_date()


def test_nothing_is_written_on_failure_and_an_earlier_folder_survives(hand_plan, tmp_path, monkeypatch):
    from dataclasses import replace

    # no date to derive: refused before writing
    with pytest.raises(TerrkitError, match="effective date"):
        write_crm_load_files(hand_plan, tmp_path)
    # an inconsistent plan is refused before writing
    with pytest.raises(TerrkitError, match="exactly the accounts"):
        write_crm_load_files(
            replace(hand_plan, changes=hand_plan.changes.iloc[1:]), tmp_path, last_period="2025Q4"
        )
    assert list(tmp_path.iterdir()) == []

    first = write_crm_load_files(hand_plan, tmp_path, effective_date="2026-01-01")
    before = {name: path.read_bytes() for name, path in first.items()}
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_crm_load_files(hand_plan, tmp_path, effective_date="2027-01-01")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["crm"], "no temporary folder left"
    assert {name: path.read_bytes() for name, path in first.items()} == before, "the earlier folder is intact"

    # a successful run replaces the earlier folder
    write_crm_load_files(hand_plan, tmp_path, effective_date="2027-01-01")
    assert [p.name for p in tmp_path.iterdir()] == ["crm"]
    assert set(pd.read_csv(tmp_path / "crm" / GENERIC_FILE)["effective_date"]) == {"2027-01-01"}


def test_the_reader_refuses_ambiguous_or_broken_files(hand_plan, tmp_path):
    folder = tmp_path / "crm"
    write_crm_load_files(hand_plan, tmp_path, last_period="2025Q4")
    users = pd.read_csv(folder / USER_FILE, dtype=str)
    pd.concat([users, users.iloc[[0]].assign(UserId="R9")]).to_csv(folder / USER_FILE, index=False)
    with pytest.raises(TerrkitError, match="several users"):
        read_etm_assignments(folder)
    users.to_csv(folder / USER_FILE, index=False)
    objects = pd.read_csv(folder / OBJECT_FILE, dtype=str)
    objects.assign(Territory2Id="Nowhere").to_csv(folder / OBJECT_FILE, index=False)
    with pytest.raises(TerrkitError, match="references territory 'Nowhere'"):
        read_etm_assignments(folder)
    pd.concat([objects, objects.iloc[[0]]]).to_csv(folder / OBJECT_FILE, index=False)
    with pytest.raises(TerrkitError, match="twice"):
        read_etm_assignments(folder)


# ---------------------------------------------------------------------------------- a generated company


@pytest.fixture(scope="module")
def generated_plan(small_company_dir):
    """A realignment of the small generated company on its mixed unit layer (counties, ZIP cells, named
    accounts): a tenth of the units change territory, and every named account leaves its cell's territory."""
    from terrkit.io import load_dataset
    from terrkit.review import account_activity, resolve_period
    from terrkit.units import refine_dataset

    company = load_dataset(small_company_dir)
    period = resolve_period(company.periods)
    revenue = account_activity(company.accounts, company.sales, period).set_index("account_id")["sales"]
    sales = pd.DataFrame(
        {"sales": company.accounts["account_id"].map(revenue).clip(lower=0).fillna(0).to_numpy()}
    )
    layered, _ = refine_dataset(company, sales, 12, max_share=0.2)
    units = layered.units.set_index("unit_id")
    current = layered.alignment.set_index("unit_id")["territory_id"]
    proposed = pd.Series(units.index.map(current), index=units.index)
    territories = sorted(current.unique())
    rng = np.random.default_rng(3)
    moved = rng.choice(len(proposed), size=len(proposed) // 10, replace=False)
    proposed.iloc[moved] = rng.choice(territories, size=len(moved))
    named = units.index[units["level"] == "account"]
    assert len(named) > 0, "the generated company has named-account units"
    for unit in named:  # carve every named account out of its parent's territory
        parent_territory = proposed[units.loc[unit, "parent_id"]]
        proposed[unit] = next(t for t in territories if t != parent_territory)
    plan = plan_realignment(
        layered.accounts,
        layered.sales,
        layered.reps,
        layered.alignment,
        proposed,
        period,
        units=layered.units,
        shapes=False,
    )
    return plan, layered, company.periods[-1]


def test_generated_company_round_trip_and_owner_changes(generated_plan, tmp_path):
    plan, layered, last_period = generated_plan
    write_realignment(plan, tmp_path, layered.units["unit_id"])
    paths = write_crm_load_files(plan, tmp_path, last_period=last_period)
    assert (tmp_path / "crm").is_dir() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

    asg = pd.read_csv(tmp_path / "account_assignments.csv", dtype=str)
    objects = pd.read_csv(paths[OBJECT_FILE], dtype=str)
    assert objects["ObjectId"].is_unique and set(objects["ObjectId"]) == set(layered.accounts["account_id"])
    assert len(objects) == len(asg) == len(layered.accounts)

    back = read_etm_assignments(tmp_path / "crm")
    assert same_reps(back, asg.set_index("account_id")["new_rep_id"])

    changed = set(asg.loc[asg["old_rep_id"].fillna("") != asg["new_rep_id"].fillna(""), "account_id"])
    assert len(changed) > 0
    generic = pd.read_csv(paths[GENERIC_FILE], dtype=str, keep_default_na=False)
    assert generic["account_id"].is_unique and set(generic["account_id"]) == changed
    merged = generic.merge(asg, on="account_id")
    assert (merged["old_owner"] == merged["old_rep_id"].fillna("")).all()
    assert (merged["new_owner"] == merged["new_rep_id"].fillna("")).all()
    assert (merged["territory"] == merged["territory_id"]).all()
    assert set(generic["effective_date"]) == {next_quarter_start(last_period).isoformat()}
    hubspot = pd.read_csv(paths[HUBSPOT_FILE], dtype=str, keep_default_na=False)
    assert hubspot["Record ID"].is_unique and set(hubspot["Record ID"]) == changed

    # each named account is excluded from its cell's (or county's) territory; no account from its holder
    alignment = pd.read_csv(tmp_path / "alignment.csv", dtype=str)
    names = developer_names(alignment["territory_id"])
    territory = alignment.set_index("unit_id")["territory_id"]
    named = alignment[alignment["level"] == "account"]
    exclusions = pd.read_csv(paths[EXCLUSION_FILE], dtype=str)
    pairs = set(zip(exclusions["ObjectId"], exclusions["Territory2Id"], strict=True))
    for unit, parent in zip(named["unit_id"], named["parent_id"], strict=True):
        assert (unit.removeprefix("acct:"), names[territory[parent]]) in pairs
    holder = objects.set_index("ObjectId")["Territory2Id"]
    assert not (exclusions["Territory2Id"] == exclusions["ObjectId"].map(holder)).any()
    assert exclusions[["ObjectId", "Territory2Id"]].duplicated().sum() == 0

    territories = pd.read_csv(paths[TERRITORY_FILE], dtype=str)
    assert territories["DeveloperName"].map(own_rule).all() and territories["DeveloperName"].is_unique


# ------------------------------------------------------------------------------------------ the report


def test_the_report_index_lists_files_in_sub_folders(tmp_path, sample_dir, monkeypatch):
    """run_report's deliverables listing includes crm/ files (notebook execution is faked: fast)."""
    import papermill

    import terrkit.report as report

    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'data_dir: str = ""  # data\noutput_dir: str = ""  # out', metadata={"tags": ["parameters"]}
        )
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "00_only.ipynb")

    def execute(source, target, parameters, **kwargs):
        out = Path(parameters["output_dir"])
        pd.DataFrame({"x": [1]}).to_csv(out / "alignment.csv", index=False)
        (out / "crm").mkdir()
        pd.DataFrame({"x": [1]}).to_csv(out / "crm" / "Territory2.csv", index=False)
        nbformat.write(nb, target)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    monkeypatch.setattr(report, "export_html", lambda notebook, target: target.write_text("<html></html>"))
    run = report.run_report(None, sample_dir, tmp_path / "run", notebooks_dir=folder)
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["deliverables"] == ["alignment.csv", "crm/Territory2.csv"]
    assert '<a href="crm/Territory2.csv">crm/Territory2.csv</a>' in (run / "index.html").read_text()
