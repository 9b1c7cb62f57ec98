"""Sales hierarchies: counts, nesting invariants, roll-ups that add up, managers and the command line."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from terrkit import hierarchy
from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.hierarchy.design import level_totals
from terrkit.hierarchy.levels import build_levels, largest_remainder, parse_levels, plan_counts


def grid_units(rows: int = 8, cols: int = 8, seed: int = 0) -> gpd.GeoDataFrame:
    """A grid of 0.5-degree square units with smooth potential and call hours."""
    rng = np.random.default_rng(seed)
    ids, cells = [], []
    for r in range(rows):
        for c in range(cols):
            ids.append(f"u{r:02d}{c:02d}")
            cells.append(box(-100 + 0.5 * c, 40 + 0.5 * r, -99.5 + 0.5 * c, 40.5 + 0.5 * r))
    n = len(ids)
    return gpd.GeoDataFrame(
        {
            "unit_id": ids,
            "potential": rng.uniform(80, 120, n),
            "call_hours": rng.uniform(8, 12, n),
        },
        geometry=cells,
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def nested():
    units = grid_units()
    plan = hierarchy.design_hierarchy(
        units, "region=2,district=4", 8, balance={"potential": 0.10, "call_hours": 0.15}, time_limit=60
    )
    return units, plan


def test_counts_follow_each_parents_share_by_largest_remainder():
    assert parse_levels("region=4,district=12") == [("region", 4), ("district", 12)]
    assert parse_levels("region:4, district:12") == [("region", 4), ("district", 12)]
    assert list(largest_remainder(49, [1, 1, 1, 1])) == [13, 12, 12, 12]
    assert list(largest_remainder(12, [13, 12, 12, 12])) == [3, 3, 3, 3]
    assert list(largest_remainder(10, [5, 3, 2])) == [5, 3, 2]
    assert list(largest_remainder(7, [1, 1, 1])) == [3, 2, 2]
    root = plan_counts(build_levels("region=4,district=12", 49, {"potential": 0.05}))
    assert [r.leaves for r in root.children] == [13, 12, 12, 12]
    assert [[d.leaves for d in r.children] for r in root.children] == [
        [5, 4, 4],
        [4, 4, 4],
        [4, 4, 4],
        [4, 4, 4],
    ]
    levels = build_levels("region=4,district=12", 49, {"potential": 0.05, "call_hours": 0.10})
    assert levels[0].balance == pytest.approx({"potential": 0.03, "call_hours": 0.06})
    assert levels[1].balance == pytest.approx({"potential": 0.04, "call_hours": 0.08})
    assert levels[2].balance == {"potential": 0.05, "call_hours": 0.10}
    for bad, message in [
        ("district=12,region=4", "fewer than"),
        ("region=four", "NAME=COUNT"),
        ("territory=5", "bottom level"),
        ("region=0", ">= 1"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_levels(bad)
    with pytest.raises(ConfigError, match="only 8 territories"):
        build_levels("region=2,district=12", 8, {"potential": 0.05})
    assert hierarchy.fit_levels("region=4,district=12", 8) == [("region", 4), ("district", 8)]


def test_nesting_invariants_of_a_top_down_design(nested):
    units, plan = nested
    labels = plan.labels
    assert len(labels) == len(units) and labels.notna().all().all()
    assert labels["territory_id"].nunique() == 8
    assert labels["district_id"].nunique() == 4 and labels["region_id"].nunique() == 2
    # every territory in exactly one district, every district in exactly one region
    assert (labels.groupby("territory_id")["district_id"].nunique() == 1).all()
    assert (labels.groupby("district_id")["region_id"].nunique() == 1).all()
    plan.hierarchy.check()
    assert plan.within, plan.summary()
    assert list(plan.summary().index) == ["region", "district", "territory"]


def test_level_totals_equal_the_sums_of_their_children(nested):
    units, plan = nested
    problem = hierarchy.flat_problem(units, 8, {"potential": 0.10, "call_hours": 0.15})
    levels = plan.levels
    terr, _ = level_totals(problem, plan.labels, levels[2])
    dist, dist_leaves = level_totals(problem, plan.labels, levels[1])
    reg, reg_leaves = level_totals(problem, plan.labels, levels[0])
    tree = plan.hierarchy
    pd.testing.assert_frame_equal(terr.groupby(tree.parent_of("territory")).sum(), dist, check_names=False)
    pd.testing.assert_frame_equal(dist.groupby(tree.parent_of("district")).sum(), reg, check_names=False)
    assert reg_leaves.sum() == 8 and dist_leaves.sum() == 8
    # the KPI roll-up: every additive column of a parent is the sum of its children
    kpis = terr.assign(
        accounts=np.arange(8) + 10, sales=np.linspace(100, 800, 8), quota=1000.0, sales_prev=90.0
    )
    kpis.index.name = "territory_id"
    tables = hierarchy.rollup(kpis, tree)
    for child, parent in (("territory", "district"), ("district", "region")):
        up = tree.parent_of(child).reindex(tables[child].index)
        for col in ("accounts", "sales", "potential", "quota", "territories"):
            summed = tables[child][col].groupby(up.to_numpy()).sum()
            pd.testing.assert_series_equal(
                summed, tables[parent][col], check_names=False, check_index_type=False
            )
    region = tables["region"]
    assert region["attainment"].to_numpy() == pytest.approx((region["sales"] / region["quota"]).to_numpy())
    assert region["territories"].sum() == 8 and region["children"].sum() == 4
    balance = hierarchy.level_balance(tables, ["potential"])
    assert set(balance.index.get_level_values("level")) == {"territory", "district", "region"}


def test_bottom_up_groups_existing_territories_into_contiguous_balanced_levels(nested):
    units, plan = nested
    grouped = hierarchy.group_territories(
        units, plan.labels["territory_id"], "region=2,district=4",
        balance={"potential": 0.10, "call_hours": 0.15},
        time_limit=20,
    )  # fmt: skip
    labels = grouped.labels
    assert (labels["territory_id"] == plan.labels["territory_id"].reindex(labels.index)).all()
    assert (labels.groupby("territory_id")["district_id"].nunique() == 1).all()
    assert (labels.groupby("district_id")["region_id"].nunique() == 1).all()
    assert (labels.groupby("district_id")["territory_id"].nunique() == 2).all()  # 8 territories, 4 districts
    assert grouped.within  # at the tolerance reached (widened only when needed, and said so)
    for outcome in grouped.outcomes[:-1]:
        assert all(outcome.tolerance[m] >= outcome.asked[m] for m in outcome.asked)


def test_the_tree_is_read_from_parent_columns_and_must_nest():
    alignment = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d"],
            "territory_id": ["T1", "T1", "T2", "T3"],
            "rep_id": ["R1", "R1", "R2", "R3"],
            "district_id": ["D1", "D1", "D1", "D2"],
            "region_id": ["N", "N", "N", "N"],
        }
    )
    tree = hierarchy.Hierarchy.from_alignment(alignment)
    assert tree.levels == ["region", "district"]
    assert tree.parent_of("territory").to_dict() == {"T1": "D1", "T2": "D1", "T3": "D2"}
    assert hierarchy.Hierarchy.from_alignment(alignment[["unit_id", "territory_id", "rep_id"]]) is None
    with pytest.raises(DataValidationError, match="more than one district_id"):
        hierarchy.Hierarchy.from_alignment(alignment.assign(district_id=["D1", "D2", "D1", "D2"]))
    with pytest.raises(DataValidationError, match="more than one region"):
        hierarchy.Hierarchy.from_alignment(alignment.assign(region_id=["N", "N", "S", "N"]))


def test_managers_homes_and_compactness(tmp_path):
    (tmp_path / "managers.csv").write_text(
        "manager_id,name,level,unit,home_lat,home_lon,home_zip\nM1,Ann,district,D1,40.0,-100.0,\n"
        "M2,Bob,district,D2,,,10001\n"
    )
    managers = hierarchy.read_managers(tmp_path)
    assert managers["home_lat"].notna().all()  # Bob's home from his ZIP code
    accounts = pd.DataFrame({"lat": [40.0, 40.0, 41.0], "lon": [-100.0, -99.0, -99.0]})
    node = pd.Series(["D1", "D1", "D3"])
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "home_lat": [41.0, 45.0], "home_lon": [-99.0, -90.0]})
    homes = hierarchy.manager_homes("district", node, accounts, np.array([1.0, 3.0, 1.0]),
                                    pd.Series(["R1", "R2"], index=["D3", "D3"]), reps, managers)  # fmt: skip
    assert homes.loc["D1", "name"] == "Ann" and homes.loc["D3", "source"] == "central rep R1"
    distance = hierarchy.manager_distance(node, accounts, np.array([1.0, 3.0, 1.0]), homes)
    assert distance["D3"] == pytest.approx(0.0)
    assert 0 < distance["D1"] < 85 * 3 / 4 + 1  # call-weighted: 3/4 of the weight is 85 km away
    (tmp_path / "managers.csv").write_text("manager_id,name,level,unit\nM1,Ann,district,D1\n")
    with pytest.raises(DataValidationError, match="has no home"):
        hierarchy.read_managers(tmp_path)


def test_the_command_line_designs_levels(tmp_path):
    from terrkit.design.cli import main

    path = tmp_path / "units.geojson"
    grid_units(6, 6).to_file(path, driver="GeoJSON")
    out, report = tmp_path / "plan.csv", tmp_path / "plan.json"
    code = main([
        "design", str(path), "--id", "unit_id", "--territories", "6", "--balance", "potential:0.15",
        "--balance", "call_hours:0.2", "--weight", "call_hours", "--contiguous",
        "--levels", "region=2,district=3",
        "--out", str(out), "--report", str(report), "--time-limit", "60",
    ])  # fmt: skip
    assert code == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["unit_id", "territory", "district", "region"]
    assert (frame.groupby("territory")["district"].nunique() == 1).all()
    assert (frame.groupby("district")["region"].nunique() == 1).all()
    levels = {row["level"]: row for row in json.loads(report.read_text())["levels"]}
    assert set(levels) == {"region", "district", "territory"} and all(r["within"] for r in levels.values())
    assert main(["design", str(path), "--territories", "6", "--levels", "district=9", "--out", str(out)]) == 2


# ------------------------------------------------------------------ the plan of record carries the tree


def tree_plan():
    """Six units in four territories (T1 = a, b; T2 = c; T3 = d, e; T4 = f), each rep keeping their own,
    with KPIs by hand, grouped as REG1 > DIS1 {T1, T2}, DIS2 {T3} and REG2 > DIS3 {T4}."""
    from terrkit.realign import Realignment, account_assignments, change_list, movement_summary, rep_movement

    alignment = pd.DataFrame(
        {"unit_id": list("abcdef"), "territory_id": ["T1", "T1", "T2", "T3", "T3", "T4"],
         "rep_id": ["R1", "R1", "R2", "R3", "R3", "R4"]}
    )  # fmt: skip
    accounts = pd.DataFrame(
        {"account_id": ["x1", "x2", "x3", "x4", "x5", "x6"], "unit_id": list("abcdef"),
         "owner_rep_id": ["R1", "R1", "R2", "R3", "R3", "R1"]}
    )  # fmt: skip
    revenue = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], index=accounts["account_id"])
    assignments = account_assignments(accounts, alignment, alignment.assign(rep_id=["R1"] * 6), True)
    summary = pd.DataFrame(
        {"territory_id": ["T1", "T2", "T3", "T4"], "rep_id": ["R1", "R2", "R3", "R4"],
         "accounts": [2, 1, 2, 1], "sales": [30.0, 30.0, 90.0, 60.0], "potential": [100.0, 80.0, 150.0, 90.0],
         "workload_hours": [500.0, 400.0, 700.0, 450.0], "quota": [40.0, 40.0, 80.0, 50.0]}
    )  # fmt: skip
    plan = Realignment(
        alignment=alignment,
        rep_map=pd.DataFrame({"proposal": ["T1"], "territory_id": ["T1"], "rep_id": ["R1"]}),
        assignments=assignments,
        changes=change_list(assignments, revenue),
        movement=rep_movement(assignments, revenue),
        summary=movement_summary(alignment, alignment, assignments, revenue),
        review=None,
        territory_summary=summary,
    )
    tree = hierarchy.Hierarchy(
        pd.DataFrame({"region_id": ["REG1", "REG1", "REG1", "REG2"],
                      "district_id": ["DIS1", "DIS1", "DIS2", "DIS3"],
                      "territory_id": ["T1", "T2", "T3", "T4"]}),
        ["region", "district"],
    )  # fmt: skip
    return plan, tree


def test_alignment_csv_and_hierarchy_levels_csv_carry_the_tree(tmp_path):
    from terrkit.realign import HIERARCHY_FILE, write_realignment

    plan, tree = tree_plan()
    flat = write_realignment(plan, tmp_path / "flat")
    assert HIERARCHY_FILE not in flat and "region_id" not in pd.read_csv(flat["alignment.csv"]).columns
    paths = write_realignment(plan.with_hierarchy(tree), tmp_path / "run")
    alignment = pd.read_csv(paths["alignment.csv"], dtype=str)
    assert list(alignment.columns) == ["unit_id", "territory_id", "region_id", "district_id", "rep_id"]
    # every territory in exactly one district, every district in exactly one region
    assert (alignment.groupby("territory_id")["district_id"].nunique() == 1).all()
    assert (alignment.groupby("district_id")["region_id"].nunique() == 1).all()
    levels = pd.read_csv(paths[HIERARCHY_FILE], dtype={"id": str, "region_id": str, "district_id": str})
    assert list(levels["level"]) == ["region", "region", "district", "district", "district"]
    districts = levels[levels["level"] == "district"].set_index("id")
    regions = levels[levels["level"] == "region"].set_index("id")
    # the level columns of alignment.csv agree with hierarchy_levels.csv
    pairs = alignment.drop_duplicates("district_id").set_index("district_id")["region_id"]
    assert districts["region_id"].to_dict() == pairs.to_dict()
    assert set(regions.index) == set(alignment["region_id"]) and regions["region_id"].isna().all()
    # totals per level: the sums of their children, by hand and from territory_summary.csv
    assert districts.loc["DIS1", "sales"] == 60.0 and districts.loc["DIS1", "territories"] == 2
    assert regions.loc["REG1", "potential"] == 330.0 and regions.loc["REG1", "children"] == 2
    territories = pd.read_csv(paths["territory_summary.csv"]).set_index("territory_id")
    parent = alignment.drop_duplicates("territory_id").set_index("territory_id")
    for col in ("accounts", "sales", "potential", "workload_hours", "quota"):
        by_district = territories[col].groupby(parent["district_id"]).sum()
        assert by_district.to_dict() == pytest.approx(districts[col].to_dict())
        by_region = districts[col].groupby(districts["region_id"]).sum()
        assert by_region.to_dict() == pytest.approx(regions[col].to_dict())
    assert regions.loc["REG2", "attainment"] == pytest.approx(60 / 50)
    assert "hierarchy_levels" in pd.ExcelFile(paths["realignment.xlsx"]).sheet_names


def test_territory2_rows_of_districts_and_regions_come_before_their_children(tmp_path):
    from terrkit.crm.etm import TERRITORY_FILE, USER_FILE
    from terrkit.crm.load_files import write_crm_load_files

    plan, tree = tree_plan()
    paths = write_crm_load_files(plan.with_hierarchy(tree), tmp_path, last_period="2025Q4")
    rows = pd.read_csv(paths[TERRITORY_FILE], dtype=str, keep_default_na=False)
    parent = dict(zip(rows["DeveloperName"], rows["ParentTerritory2Id"], strict=True))
    assert {k: v for k, v in parent.items() if not k.startswith("Named")} == {
        "REG1": "", "REG2": "", "DIS1": "REG1", "DIS2": "REG1", "DIS3": "REG2",
        "T1": "DIS1", "T2": "DIS1", "T3": "DIS2", "T4": "DIS3",
    }  # fmt: skip
    position = {name: i for i, name in enumerate(rows["DeveloperName"])}
    assert all(p in position and position[p] < position[child] for child, p in parent.items() if p)
    users = pd.read_csv(paths[USER_FILE], dtype=str)
    assert set(users["Territory2Id"]).isdisjoint({"REG1", "REG2", "DIS1", "DIS2", "DIS3"})
    flat = write_crm_load_files(plan, tmp_path / "flat", last_period="2025Q4")
    assert (pd.read_csv(flat[TERRITORY_FILE], keep_default_na=False)["ParentTerritory2Id"] == "").all()


def test_a_tree_that_does_not_fit_the_plan_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    from terrkit.exceptions import TerrkitError
    from terrkit.realign import deliverables, write_realignment

    plan, tree = tree_plan()
    with pytest.raises(TerrkitError, match="lacks territory T4"):
        plan.with_hierarchy(hierarchy.Hierarchy(tree.tree.iloc[:3], tree.levels))
    clash = tree.tree.assign(district_id=["DIS1", "DIS1", "T3", "DIS3"])
    with pytest.raises(TerrkitError, match="names both a district and a territory"):
        plan.with_hierarchy(hierarchy.Hierarchy(clash, tree.levels))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(deliverables, "write_workbook", broken)
    with pytest.raises(OSError):
        write_realignment(plan.with_hierarchy(tree), tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither alignment.csv nor hierarchy_levels.csv


def test_nested_plan_file_level_balance_and_the_cost_of_nesting(nested):
    units, plan = nested
    frame = plan.to_frame(units.assign(level="county"))
    assert list(frame.columns) == ["unit_id", "level", "region_id", "district_id", "territory_id"]
    assert len(frame) == len(units) and frame["unit_id"].is_unique
    # every level of the nested plan adds up from its units, call hours included (not a review KPI)
    tables = hierarchy.nested_rollup(units, plan, ["potential", "call_hours"])
    by_unit = units.set_index("unit_id").join(plan.labels)
    for level in ("territory", "district", "region"):
        want = by_unit.groupby(f"{level}_id")[["potential", "call_hours"]].sum()
        pd.testing.assert_frame_equal(tables[level][["potential", "call_hours"]], want, check_names=False)
    balance = hierarchy.level_balance(tables, ["potential", "call_hours"])
    assert balance.loc[("region", "call_hours"), "max_deviation"] == pytest.approx(
        plan.summary().loc["region", "call_hours_max_deviation"]
    )
    # what nesting costs, against a flat plan of 8 column strips, whatever the territories are called
    problem = hierarchy.flat_problem(units, 8, {"potential": 0.10, "call_hours": 0.15})
    strips = pd.Series([f"S{int(u[-2:])}" for u in units["unit_id"]], index=units["unit_id"])
    table = hierarchy.nesting_comparison(problem, plan, strips)
    assert list(table.index) == ["flat", "nested"]
    cost = hierarchy.nesting_cost(problem, plan, strips)
    assert cost["extra"] == pytest.approx(cost["nested"] / cost["flat"] - 1)
    assert table.at["nested", "max_deviation_potential"] == pytest.approx(
        plan.summary().loc["territory", "potential_max_deviation"]
    )  # each territory against its own band, not against a renamed empty one
    same = hierarchy.nesting_cost(problem, plan, plan.labels["territory_id"].map(lambda t: f"X{t}"))
    assert same["extra"] == pytest.approx(0.0)
    assert hierarchy.plural("territory") == "territories" and hierarchy.plural("region") == "regions"


@pytest.mark.slow
def test_report_run_carries_the_hierarchy_in_the_plan_of_record(generated_report):
    """The files of a report run: alignment.csv, hierarchy_levels.csv and crm/Territory2.csv hold one tree,
    whose totals add up; the nested design of notebook 40 is an option in plans/."""
    from terrkit.crm.etm import developer_names

    run = generated_report
    alignment = pd.read_csv(run / "alignment.csv", dtype=str, keep_default_na=False)
    cols = list(alignment.columns)
    at = cols.index("territory_id")
    assert cols[at + 1 : at + 3] == ["region_id", "district_id"]
    assert (alignment[["region_id", "district_id"]] != "").all().all()
    # every territory in exactly one district, every district in exactly one region
    assert (alignment.groupby("territory_id")["district_id"].nunique() == 1).all()
    assert (alignment.groupby("district_id")["region_id"].nunique() == 1).all()
    tree = alignment.drop_duplicates("territory_id").set_index("territory_id")

    ids = {"id": str, "region_id": str, "district_id": str, "territory_id": str}
    levels = pd.read_csv(run / "hierarchy_levels.csv", dtype=ids)
    districts = levels[levels["level"] == "district"].set_index("id")
    regions = levels[levels["level"] == "region"].set_index("id")
    assert set(districts.index) == set(tree["district_id"]) and set(regions.index) == set(tree["region_id"])
    assert (
        districts["region_id"].to_dict()
        == tree.drop_duplicates("district_id").set_index("district_id")["region_id"].to_dict()
    )
    assert (districts["territories"] == tree.groupby("district_id").size().reindex(districts.index)).all()
    territories = pd.read_csv(run / "territory_summary.csv", dtype=ids).set_index("territory_id")
    for col in ("accounts", "sales", "potential", "workload_hours"):
        summed = territories[col].groupby(tree["district_id"].reindex(territories.index)).sum()
        assert summed.to_dict() == pytest.approx(districts[col].to_dict())
        assert districts[col].groupby(districts["region_id"]).sum().to_dict() == pytest.approx(
            regions[col].to_dict()
        )
    assert territories["accounts"].sum() == regions["accounts"].sum()

    rows = pd.read_csv(run / "crm" / "Territory2.csv", dtype=str, keep_default_na=False)
    names = developer_names([*tree.index, *tree["district_id"], *tree["region_id"]])
    parent = dict(zip(rows["DeveloperName"], rows["ParentTerritory2Id"], strict=True))
    position = {name: i for i, name in enumerate(rows["DeveloperName"])}
    assert all(p in position and position[p] < position[child] for child, p in parent.items() if p)
    for territory, row in tree.iterrows():
        assert parent[names[territory]] == names[row["district_id"]]
        assert parent[names[row["district_id"]]] == names[row["region_id"]]

    nested = pd.read_csv(run / "plans" / "nested_design.csv", dtype=str)
    assert (nested.groupby("territory_id")["district_id"].nunique() == 1).all()
    assert (nested.groupby("district_id")["region_id"].nunique() == 1).all()
    assert not (run / "nested_design.csv").exists()

    # a mid-year event on the plan of record keeps its tree, in the same columns
    for event in ("rep-leaves", "capacity"):
        after = pd.read_csv(run / "scenarios" / event / "alignment.csv", dtype=str, keep_default_na=False)
        cols = list(after.columns)
        at = cols.index("territory_id")
        assert cols[at + 1 : at + 3] == ["region_id", "district_id"], event
        assert (after.groupby("territory_id")["district_id"].nunique() == 1).all()


def test_a_plan_takes_the_given_parent_columns_else_groups_its_territories(nested):
    units, plan = nested
    territory = plan.labels["territory_id"]
    assert hierarchy.hierarchy_of_plan(units, territory, "").tree is None
    given = plan.hierarchy
    bigger = hierarchy.Hierarchy(
        pd.concat([given.tree, pd.DataFrame({"region_id": ["REG1"], "district_id": ["DIS1"],
                                             "territory_id": ["T99"]})], ignore_index=True),
        given.levels,
    )  # fmt: skip
    kept = hierarchy.hierarchy_of_plan(units, territory, "region=2,district=4", given=bigger)
    assert kept.grouped is None and "given by the parent columns" in kept.source
    assert set(kept.tree.tree["territory_id"]) == set(territory)  # cut to the plan's territories
    assert kept.tree.parent_of("territory").to_dict() == given.parent_of("territory").to_dict()
    partial = hierarchy.Hierarchy(given.tree[given.tree["territory_id"] != "T1"], given.levels)
    grouped = hierarchy.hierarchy_of_plan(
        units, territory, "region=2,district=4", given=partial, balance={"potential": 0.1, "call_hours": 0.15}
    )
    assert grouped.grouped is not None and "lack 1 of the plan's territories (T1)" in grouped.source
    assert "8 territories grouped bottom-up into 2 regions > 4 districts" in grouped.source
    tree = grouped.tree.tree
    assert set(tree["territory_id"]) == set(territory) and tree["district_id"].nunique() == 4
    assert (tree.groupby("district_id")["region_id"].nunique() == 1).all()
