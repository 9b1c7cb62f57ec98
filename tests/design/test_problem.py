"""Problem construction: validation of inputs and business-language infeasibility explanations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from terrkit.design.problem.definition import Balance, TerritoryDesignProblem
from terrkit.exceptions import ConfigError, DataValidationError, InfeasibleError

XY = np.column_stack([np.arange(6.0), np.zeros(6)])
IDS = ["u1", "u2", "u3", "u4", "u5", "u6"]


def make(**kw):
    kw.setdefault("xy", XY)
    return TerritoryDesignProblem.from_arrays(kw.pop("ids", IDS), kw.pop("k", 2), **kw)


def test_array_form_and_unit_cost():
    p = make(measures={"pot": [1, 2, 3, 4, 5, 6]}, balance={"pot": 0.1}, capacity={"pot": 11.0})
    d = p.data
    assert d.n == 6 and d.k == 2 and d.q == 1
    assert d.measure_names == ["pot"]
    np.testing.assert_allclose(d.lower[:, 0], 10.5 * 0.9)
    np.testing.assert_allclose(d.upper[:, 0], 11.0)  # capacity folded in: min(11.55, 11)
    np.testing.assert_allclose(d.weight, [1, 2, 3, 4, 5, 6])  # first balance column
    assert d.unit_cost(np.array([0]), np.array([5]))[0] == pytest.approx(5.0)
    p2 = make(distance_power=2)
    assert p2.data.unit_cost(np.array([0, 1]), np.array([3, 3])).tolist() == [9.0, 4.0]


def test_lonlat_uses_great_circle_km():
    ll = np.array([[-100.0, 40.0], [-101.0, 40.0]])
    p = TerritoryDesignProblem.from_arrays(["a", "b"], 1, lonlat=ll)
    assert p.data.unit_cost(np.array([0]), np.array([1]))[0] == pytest.approx(85.2, abs=0.3)
    assert p.data.xy_km.shape == (2, 2)


def test_balance_list_and_target_shares():
    p = make(measures={"a": [1] * 6, "b": [2] * 6}, balance=[Balance("a", 0.0), Balance("b", 0.5, [1, 2])])
    np.testing.assert_allclose(p.data.target[:, 1], [4, 8])
    np.testing.assert_allclose(p.data.lower[:, 0], [3, 3])
    np.testing.assert_allclose(p.data.upper[:, 0], [3, 3])


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(ids=["a", "a", "b", "c", "d", "e"]), "duplicate unit id"),
        (dict(measures={"pot": [1, 2, None, 4, 5, 6]}, balance={"pot": 0.1}), "missing value for unit u3"),
        (dict(measures={"pot": [1, 2, "x", 4, 5, 6]}, balance={"pot": 0.1}), "non-numeric"),
        (dict(measures={"pot": [1, 2, 3, 4, 5, 6]}, balance={"nope": 0.1}), "unknown column"),
        (dict(weight=np.array([1, 1, -1, 1, 1, 1.0])), "negative weight for unit u3"),
        (dict(k=7), "only 6 units"),
        (dict(xy=None, cost=np.array([[0, 1.0]] * 6)), "candidate_ids"),
        (dict(centers=["u1", "zz"]), "not one of the units"),
        (dict(locks={"zz": 0}), "unknown unit"),
    ],
)
def test_validation_errors(kw, match):
    with pytest.raises(DataValidationError, match=match):
        make(**kw)


def test_config_errors():
    with pytest.raises(ConfigError):
        make(distance_power=3)
    with pytest.raises(ConfigError):
        make(max_moved=0.1)  # no current alignment
    with pytest.raises(ValueError, match="auto"):
        make(centers="random")


def test_unit_too_large_for_the_tolerance():
    p = make(
        ids=["48201", "b", "c", "d", "e", "f"],
        measures={"potential": [912, 100, 100, 100, 100, 122]},
        balance={"potential": 0.05},
    )
    # target 1434/2 = 717, +5% = 752.85
    with pytest.raises(InfeasibleError) as err:
        p.solve()
    msg = str(err.value)
    assert "unit 48201 has potential 912, but the +5% upper bound is 753" in msg
    assert "raise the tolerance to at least 28% or split the unit" in msg


def test_other_infeasibility_explanations():
    issues = make(measures={"d": [5] * 6}, capacity={"d": 10}).check()
    assert any("total d is 30 but the 2 territories can hold at most 20" in s for s in issues)
    issues = make(locks={"u1": 0}, forbidden=[("u1", 0)]).check()
    assert any("locked to territory 0 but that pair is also forbidden" in s for s in issues)
    issues = make(
        measures={"d": [5] * 6}, balance={"d": 0.1}, locks={"u1": 1, "u2": 1, "u3": 1, "u4": 1}
    ).check()
    assert any("4 units locked to territory 1 already have d 20" in s for s in issues)
    issues = make(measures={"d": [50, 1, 1, 1, 1, 1]}, capacity={"d": 20}).check()
    assert any("more than the capacity 20" in s for s in issues)
    issues = make(current=["A", "A", "A", "B", "B", "B"], max_moved=0.1, locks={"u1": "B", "u2": "B"}).check()
    assert any("locks move 33.3%" in s for s in issues)


def test_from_geodataframe_polygons_and_points():
    cells = [box(i, j, i + 1, j + 1) for j in range(2) for i in range(3)]
    gdf = gpd.GeoDataFrame({"uid": list("abcdef"), "pot": [1.0] * 6}, geometry=cells, crs="EPSG:5070")
    p = TerritoryDesignProblem.from_geodataframe(gdf, 2, id="uid", balance={"pot": 0}, contiguous=True)
    assert p.data.adjacency.sum() == 2 * 11  # queen: 7 rook + 4 diagonal links on a 3x2 grid
    np.testing.assert_allclose(p.data.xy_km[0], [0.0005, 0.0005])  # metres -> km
    res = p.solve()
    assert res.contiguous and res.status == "optimal"
    pts = gpd.GeoDataFrame(
        {"uid": list("abcd")},
        geometry=[Point(-100, 40), Point(-99, 40), Point(-100, 41), Point(-99.5, 41.5)],
        crs="EPSG:4326",
    )
    pp = TerritoryDesignProblem.from_geodataframe(pts, 2, id="uid")
    assert pp.data.lonlat is not None and pp.data.adjacency.nnz > 0
    with pytest.raises(DataValidationError, match="unknown id column"):
        TerritoryDesignProblem.from_geodataframe(pts, 2, id="nope")


def test_write_lp_has_business_names(tmp_path):
    p = make(measures={"potential": [1] * 6}, balance={"potential": 0.1})
    p.write_lp(tmp_path / "m.lp")
    text = (tmp_path / "m.lp").read_text()
    for name in ("assign_u1_u2", "assign_once_u1", "open_u3", "balance_potential_u3_upper"):
        assert name in text
    pm = make()
    pm.write_lp(tmp_path / "p.lp")
    assert "open_u1" in (tmp_path / "p.lp").read_text()


def test_geoseries_point_centers_name_the_territories():
    pts = gpd.GeoDataFrame(
        {"uid": list("abcd"), "pot": [1.0, 1.0, 1.0, 1.0]},
        geometry=[Point(-100, 40), Point(-99.9, 40), Point(-90, 40), Point(-90.1, 40)],
        crs="EPSG:4326",
    )
    homes = gpd.GeoSeries([Point(-100.05, 40), Point(-90.05, 40)], index=["R1", "R2"], crs="EPSG:4326")
    prob = TerritoryDesignProblem.from_geodataframe(pts, None, id="uid", centers=homes, balance={"pot": 0})
    res = prob.solve()
    assert res.labels.to_dict() == {"a": "R1", "b": "R1", "c": "R2", "d": "R2"}
    assert res.centers == ["R1", "R2"]
    assert not res.to_assignment_frame()["is_center"].any()
