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
