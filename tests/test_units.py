"""The mixed unit layer: ZIP cells tile their county, totals are preserved, no unit is above the share,
alignments map down, adjacency across levels, and ``terrkit units``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse.csgraph import connected_components
from shapely.geometry import box

from terrkit.cli import main
from terrkit.datasets import load_counties, load_zip_points
from terrkit.exceptions import ConfigError, DataValidationError, DataWarning
from terrkit.geo_adjacency import delaunay_adjacency, planar_points_km, unit_adjacency, unit_graph
from terrkit.io import Dataset, load_dataset
from terrkit.review import resolve_period
from terrkit.review.pipeline import score_accounts_for_review
from terrkit.units import (
    build_unit_layer,
    map_alignment_down,
    refine_dataset,
    zip_cells,
    zip_points_for_units,
)

MEASURES = ["potential", "call_hours"]
K = 49
REL = 1e-9

# --------------------------------------------------------------------------------------------------
# a hand-made world: county 90001 = [-100, -96] x [40, 44] with four standard ZIP points on the line
# lat 42 (their Voronoi cells are vertical strips), county 90003 = [-96, -92] x [40, 44] east of it.


def _counties() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ["90001", "90003"], "name": ["West", "East"], "state": ["ZZ", "ZZ"]},
        geometry=[box(-100, 40, -96, 44), box(-96, 40, -92, 44)],
        crs="EPSG:4326",
    )


def _zip_points(east_po_box: bool = True) -> pd.DataFrame:
    rows = [
        ("10001", "STANDARD", -99.0, 42.0, "90001"),
        ("10002", "STANDARD", -98.5, 42.0, "90001"),
        ("10003", "STANDARD", -97.0, 42.0, "90001"),
        ("10004", "STANDARD", -96.5, 42.0, "90001"),
        ("10005", "STANDARD", -96.5, 42.0, "90001"),  # same location as 10004: dropped as a site
        ("10009", "PO BOX", -99.9, 40.1, "90001"),  # not a site (the county has standard points)
        ("20001", "STANDARD", -94.0, 42.0, "90003"),
    ]
    if east_po_box:
        rows.append(("20002", "PO BOX", -93.0, 41.0, "90003"))
    frame = pd.DataFrame(rows, columns=["zip", "zip_type", "lon", "lat", "unit_id"])
    return frame.assign(city="Town", state="ZZ")


def _hand_accounts() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounts = pd.DataFrame(
        [
            ("a1", "90001", "10001", -99.9, 41.0),  # located, in the first strip
            ("a2", "90001", "10003", np.nan, np.nan),  # no location: its ZIP's cell
            ("a3", "90001", "10005", np.nan, np.nan),  # ZIP not a cell: the cell holding its ZIP point
            ("a4", "90001", "10004", -95.5, 41.0),  # located across the county line: nearest own cell
            ("a5", "90001", "10009", np.nan, np.nan),  # PO box ZIP: the cell holding its point
            ("a6", "90001", "10002", -98.2, 43.0),  # located, second strip
            ("b1", "90003", "20001", -94.0, 42.0),
        ],
        columns=["account_id", "unit_id", "zip", "lon", "lat"],
    )
    measures = pd.DataFrame({"potential": [10.0, 1, 1, 1, 1, 1, 1], "workload": [1.0] * 7})
    return accounts, measures


@pytest.fixture(scope="module")
def hand_layer():
    accounts, measures = _hand_accounts()
    # totals 16 and 7, k=2, share 1: thresholds 8 and 3.5; county 90001 (15, 6) is split
    return build_unit_layer(_counties(), _zip_points(), accounts, measures, 2, max_share=1.0)


# --------------------------------------------------------------------------------------------------
# the bundled sample


@pytest.fixture(scope="module")
def sample(sample_dir):
    dataset = load_dataset(sample_dir)
    period = resolve_period(dataset.periods, "")
    scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, period)
    return dataset, scores[MEASURES]


@pytest.fixture(scope="module")
def fine_layer(sample):
    """A layer fine enough (2% of a territory) to have every level and oversized single accounts."""
    dataset, measures = sample
    return build_unit_layer(dataset.units, load_zip_points(), dataset.accounts, measures, K, max_share=0.02)


def _area_checks(cells: gpd.GeoDataFrame, county) -> tuple[float, float, float]:
    """Relative area error, relative pairwise overlap and relative union symmetric difference."""
    geoms = np.asarray(cells.geometry.values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    union = shapely.union_all(geoms)
    area = county.area
    return (
        abs(shapely.area(geoms).sum() - area) / area,
        overlap / area,
        shapely.area(shapely.symmetric_difference(union, county)) / area,
    )


# --------------------------------------------------------------------------------------------------
# cells


def test_cells_of_a_square_county_are_the_hand_computed_strips():
    cells = zip_cells(_counties(), _zip_points(east_po_box=False))
    # bisectors at -98.75, -97.75 and -96.75: strips 1.25, 1, 1 and 0.75 degrees wide, 4 high
    assert cells["cell_id"].tolist() == ["zip:10001", "zip:10002", "zip:10003", "zip:10004"]
    assert cells["county_id"].unique().tolist() == ["90001"]  # the east county has one site: no cells
    np.testing.assert_allclose(shapely.area(cells.geometry.values), [5.0, 4.0, 4.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(cells.geometry.bounds["minx"], [-100, -98.75, -97.75, -96.75], atol=1e-12)
    area_error, overlap, gap = _area_checks(cells, box(-100, 40, -96, 44))
    assert area_error < 1e-12 and overlap < 1e-12 and gap < 1e-12


@pytest.mark.parametrize("fips", ["48201", "06037", "36061", "17031"])
def test_cells_tile_real_counties_exactly(fips):
    counties = load_counties()
    county = counties[counties["unit_id"] == fips]
    cells = zip_cells(county, load_zip_points())
    outline = county.geometry.iloc[0]
    area_error, overlap, gap = _area_checks(cells, outline)
    assert area_error < REL and overlap < REL and gap < REL
    sites = load_zip_points(standard_only=True)
    sites = sites[sites["unit_id"] == fips].drop_duplicates(["lat", "lon"])
    assert 30 <= len(cells) <= len(sites)  # one cell per distinct standard location, empty ones dropped
    located = sites.set_index("zip").reindex(cells["zip"])
    points = shapely.points(located["lon"].to_numpy(), located["lat"].to_numpy())
    inside = shapely.covers(outline, points)
    assert inside.mean() > 0.9
    assert shapely.covers(np.asarray(cells.geometry.values)[inside], points[inside]).all()


# --------------------------------------------------------------------------------------------------
# accounts into cells, totals, named accounts


def test_hand_layer_rows_order_and_totals(hand_layer):
    units = hand_layer.units
    assert units["unit_id"].tolist() == [
        "zip:10001",
        "acct:a1",
        "zip:10002",
        "zip:10003",
        "zip:10004",
        "90003",
    ]
    assert units["level"].tolist() == ["zip", "account", "zip", "zip", "zip", "county"]
    assert units["parent_id"].tolist()[:5] == ["90001", "zip:10001", "90001", "90001", "90001"]
    assert pd.isna(units["parent_id"].iloc[5]) and pd.isna(units["zip"].iloc[5])
    assert units["county_id"].tolist() == ["90001"] * 5 + ["90003"]
    assert units["potential"].tolist() == [1.0, 10.0, 1.0, 1.0, 2.0, 1.0]
    assert units["workload"].tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 1.0]
    assert units["n_accounts"].tolist() == [1, 1, 1, 1, 2, 1]
    assert hand_layer.thresholds == {"potential": 8.0, "workload": 3.5}
    assert hand_layer.oversized == ["acct:a1"]  # 10 > 8 on its own
    assert units.crs.to_epsg() == 4326
    assert units.geometry.iloc[1].equals(shapely.Point(-99.9, 41.0))


def test_accounts_fall_into_cells_of_their_own_county(hand_layer):
    assert hand_layer.account_unit.tolist() == [
        "acct:a1",
        "zip:10003",  # its ZIP's cell
        "zip:10004",  # ZIP 10005 shares 10004's location
        "zip:10004",  # across the county line: the nearest cell of its own county
        "zip:10001",  # PO box point inside the first strip
        "zip:10002",
        "90003",
    ]
    accounts, _ = _hand_accounts()
    frame = hand_layer.account_frame(accounts)
    assert frame["unit_id"].tolist() == hand_layer.account_unit.tolist()
    assert frame["county_id"].tolist() == accounts["unit_id"].tolist()


def test_named_accounts_are_carved_biggest_first_until_the_county_fits():
    accounts = pd.DataFrame(
        {
            "account_id": ["b1", "b2", "b3", "b4", "w1"],
            "unit_id": ["90003"] * 4 + ["90001"],
            "zip": ["20001"] * 4 + ["10001"],
            "lat": [np.nan, 41.0, 41.5, 42.5, 41.0],
            "lon": [np.nan, -95.0, -93.0, -94.5, -99.0],
            "name": ["Big", "Mid", "Busy", "Small", "West"],
        }
    )
    measures = pd.DataFrame({"potential": [50.0, 30, 10, 5, 5], "workload": [1.0, 1, 10, 1, 1]})
    # k=1, share 0.5: thresholds 50 and 7; the east county (95, 13) has one ZIP point, so no cells.
    # Scores: b3 10/7, b1 50/50, b2 0.6, b4 1/7: carve b3 (85, 3 left), then b1 (35, 2 left): done.
    layer = build_unit_layer(
        _counties(), _zip_points(east_po_box=False), accounts, measures, 1, max_share=0.5
    )
    units = layer.units.set_index("unit_id")
    assert layer.units["unit_id"].tolist() == ["90001", "90003", "acct:b3", "acct:b1"]
    assert units.loc["90003", ["potential", "workload", "n_accounts"]].tolist() == [35.0, 2.0, 2]
    assert units.loc["acct:b3", "parent_id"] == "90003" and units.loc["acct:b3", "name"] == "Busy"
    assert units.loc["acct:b1", "geometry"].equals(shapely.Point(-94.0, 42.0))  # its ZIP point
    assert layer.oversized == ["acct:b3"]  # workload 10 > 7; b1 is exactly at the share, not above
    summary = layer.summary()
    assert summary["levels"] == {"county": 2, "zip": 0, "account": 2}
    assert summary["named_in_counties"] == 2 and summary["counties_carved_directly"] == 1
    assert summary["counties_split"] == 0 and summary["oversized"] == ["acct:b3"]


def test_sample_totals_are_preserved_at_every_level(sample, fine_layer):
    dataset, measures = sample
    units = fine_layer.units.set_index("unit_id")
    unit = fine_layer.account_unit
    assert unit.index.equals(dataset.accounts.index) and unit.isin(units.index).all()
    assert (units.loc[unit, "county_id"].to_numpy() == dataset.accounts["unit_id"].to_numpy()).all()
    assert units["n_accounts"].sum() == len(dataset.accounts)
    assert (units.loc[units["level"] == "account", "n_accounts"] == 1).all()
    for m in MEASURES:
        assert units[m].sum() == pytest.approx(measures[m].sum(), rel=1e-12)
        by_county = measures[m].groupby(dataset.accounts["unit_id"]).sum()
        layer_county = units.groupby("county_id")[m].sum()
        np.testing.assert_allclose(layer_county.reindex(by_county.index), by_county, rtol=REL)
        # each cell together with the accounts carved out of it holds the accounts assigned to it
        named = units["level"] == "account"
        cell_of_unit = units["parent_id"].where(named, units.index.to_series())
        cell_of_account = cell_of_unit.reindex(unit).to_numpy()
        expected = measures[m].groupby(cell_of_account).sum()
        got = units[m].groupby(cell_of_unit).sum()
        np.testing.assert_allclose(got.reindex(expected.index), expected, rtol=REL)


def test_sample_located_accounts_lie_in_their_cell(sample, fine_layer):
    dataset, _ = sample
    units = fine_layer.units.set_index("unit_id")
    unit = fine_layer.account_unit
    in_cell = (units.loc[unit, "level"] == "zip").to_numpy()
    acc = dataset.accounts[in_cell]
    points = shapely.points(acc["lon"].to_numpy(), acc["lat"].to_numpy())
    county = load_counties().set_index("unit_id").geometry
    in_county = shapely.covers(np.asarray(county.reindex(acc["unit_id"]).values), points)
    cells = np.asarray(units.geometry.reindex(unit[in_cell]).values)
    assert in_county.mean() > 0.97
    assert shapely.covers(cells[in_county], points[in_county]).all()


def test_no_unit_above_the_share_except_single_accounts(fine_layer):
    units = fine_layer.units
    limits = np.array([fine_layer.thresholds[m] for m in MEASURES])
    above = (units[MEASURES].to_numpy() > limits * (1 + REL)).any(axis=1)
    assert set(units.loc[above, "unit_id"]) == set(fine_layer.oversized)
    oversized = units[units["unit_id"].isin(fine_layer.oversized)]
    assert len(oversized) > 0 and (oversized["level"] == "account").all()
    assert (oversized["n_accounts"] == 1).all()
    summary = fine_layer.summary()
    assert summary["levels"]["account"] > len(oversized) and summary["levels"]["zip"] > 1000
    assert summary["units"] == len(units) == sum(summary["levels"].values())
    ids = units["unit_id"]
    assert ids.is_unique
    assert ids[units["level"] == "zip"].str.fullmatch(r"zip:\d{5}").all()
    assert ids[units["level"] == "county"].str.fullmatch(r"\d{5}").all()


@pytest.mark.parametrize(
    ("change", "error", "text"),
    [
        (lambda m: m.assign(potential=-m["potential"]), DataValidationError, "negative"),
        (lambda m: m.assign(workload=m["workload"].where(m.index != 3)), DataValidationError, "line 5"),
        (lambda m: m.assign(potential="x"), DataValidationError, "not numeric"),
        (lambda m: m.iloc[::-1], ConfigError, "aligned"),
    ],
)
def test_bad_measures_are_refused(change, error, text):
    accounts, measures = _hand_accounts()
    with pytest.raises(error, match=text):
        build_unit_layer(_counties(), _zip_points(), accounts, change(measures), 2)


@pytest.mark.parametrize(("k", "share"), [(0, 0.2), (2, 0.0), (2, 1.5), (2.5, 0.2)])
def test_bad_parameters_are_refused(k, share):
    accounts, measures = _hand_accounts()
    with pytest.raises(ConfigError):
        build_unit_layer(_counties(), _zip_points(), accounts, measures, k, max_share=share)


def test_an_account_in_an_unknown_county_is_refused():
    accounts, measures = _hand_accounts()
    accounts.loc[2, "unit_id"] = "99999"
    with pytest.raises(DataValidationError, match="line 4.*'99999'"):
        build_unit_layer(_counties(), _zip_points(), accounts, measures, 2)


# --------------------------------------------------------------------------------------------------
# alignment


def test_a_county_alignment_maps_down_exactly(sample, fine_layer):
    dataset, _ = sample
    mapped = map_alignment_down(fine_layer.units, dataset.alignment)
    county = dataset.alignment.set_index("unit_id")
    expected = fine_layer.units["county_id"].map(county["territory_id"])
    assert mapped["unit_id"].tolist() == fine_layer.units["unit_id"].tolist()
    assert (mapped["territory_id"].to_numpy() == expected.to_numpy()).all()
    assert (
        mapped["rep_id"].to_numpy() == fine_layer.units["county_id"].map(county["rep_id"]).to_numpy()
    ).all()
    assert mapped["territory_id"].notna().all()


def test_zip_rows_and_the_most_specific_row_win(hand_layer):
    alignment = pd.DataFrame(
        {
            "unit_id": ["90001", "10001", "10003", "zip:10004", "20001", "20002"],
            "territory_id": ["T1", "T6", "T2", "T3", "T5", "T0"],
            "rep_id": ["R1", "R6", "R2", "R3", "R5", "R0"],
            "note": list("abcdef"),
        }
    )
    mapped = map_alignment_down(hand_layer.units, alignment, zip_points=_zip_points())
    assert mapped.columns.tolist() == ["unit_id", "level", "parent_id", "territory_id", "rep_id", "note"]
    # zip:10001 by its ZIP, acct:a1 by its cell's ZIP, zip:10002 by its county, 10003 and 10004 by ZIP
    # rows (plain and prefixed); county 90003 has only ZIP rows: 1-1 tie, the smallest territory id wins
    assert mapped["territory_id"].tolist() == ["T6", "T6", "T1", "T2", "T3", "T0"]
    assert mapped["rep_id"].tolist() == ["R6", "R6", "R1", "R2", "R3", "R0"]
    assert mapped["note"].tolist() == ["b", "b", "a", "c", "d", "f"]
    own = pd.concat([alignment, pd.DataFrame({"unit_id": ["acct:a1"], "territory_id": ["T4"]})])
    mapped = map_alignment_down(hand_layer.units, own, zip_points=_zip_points())
    assert mapped["territory_id"].tolist() == ["T6", "T4", "T1", "T2", "T3", "T0"]
    # a ZIP row of the split county does not vote for the east county
    votes = pd.DataFrame({"unit_id": ["10002", "20001", "zip:20002"], "territory_id": ["T1", "T9", "T9"]})
    mapped = map_alignment_down(hand_layer.units, votes, zip_points=_zip_points())
    assert mapped["territory_id"].tolist() == [np.nan, np.nan, "T1", np.nan, np.nan, "T9"]


def test_units_no_row_reaches_keep_no_territory(hand_layer):
    alignment = pd.DataFrame({"unit_id": ["10003"], "territory_id": ["T2"], "rep_id": ["R2"]})
    mapped = map_alignment_down(hand_layer.units, alignment, zip_points=_zip_points())
    assert mapped["territory_id"].isna().tolist() == [True, True, True, False, True, True]


def test_bad_alignment_rows_are_refused(hand_layer):
    unknown = pd.DataFrame({"unit_id": ["90001", "55555"], "territory_id": ["T1", "T2"]})
    with pytest.raises(DataValidationError, match="line 3.*'55555'"):
        map_alignment_down(hand_layer.units, unknown, zip_points=_zip_points())
    twice = pd.DataFrame({"unit_id": ["10003", "zip:10003"], "territory_id": ["T1", "T2"]})
    with pytest.raises(DataValidationError, match="ZIP code listed more than once"):
        map_alignment_down(hand_layer.units, twice, zip_points=_zip_points())


def test_a_five_digit_id_that_is_a_county_and_a_zip_is_read_as_the_county():
    units = pd.DataFrame(
        {
            "unit_id": ["zip:10002", "zip:10003", "10002"],
            "level": ["zip", "zip", "county"],
            "parent_id": ["90001", "90001", None],
            "county_id": ["90001", "90001", "10002"],
            "zip": ["10002", "10003", None],
        }
    )
    alignment = pd.DataFrame({"unit_id": ["10002", "10003", "90001"], "territory_id": ["TC", "TZ", "TW"]})
    with pytest.warns(DataWarning, match="read as counties"):
        mapped = map_alignment_down(units, alignment, zip_points=_zip_points())
    assert mapped["territory_id"].tolist() == ["TW", "TZ", "TC"]


# --------------------------------------------------------------------------------------------------
# adjacency


def test_hand_layer_adjacency(hand_layer):
    a = unit_adjacency(hand_layer.units).toarray()
    # 0 zip:10001, 1 acct:a1, 2 zip:10002, 3 zip:10003, 4 zip:10004, 5 county 90003
    expected = np.zeros((6, 6), dtype=int)
    for i, j in [(0, 2), (2, 3), (3, 4), (4, 5), (1, 0), (1, 2)]:
        expected[i, j] = expected[j, i] = 1
    assert (a == expected).all()
    xy = planar_points_km(hand_layer.units)
    point = gpd.GeoSeries([shapely.Point(-99.9, 41.0)], crs="EPSG:4326").to_crs("EPSG:5070")
    np.testing.assert_allclose(xy[1], [point.x[0] / 1000, point.y[0] / 1000])


def test_the_mixed_rule_keeps_county_adjacency():
    counties = load_counties()
    exact = unit_adjacency(counties)
    mixed = unit_adjacency(counties.assign(level="county", parent_id=None))
    assert (exact != mixed).nnz == 0


def test_cells_are_adjacent_across_and_inside_the_county_border(fine_layer):
    units = fine_layer.units
    adjacency = unit_adjacency(units).tocsr()
    counties = load_counties()
    county_adjacency = unit_adjacency(counties).tocsr()
    harris = int(np.flatnonzero(counties["unit_id"] == "48201")[0])
    neighbours = set(counties["unit_id"].iloc[county_adjacency[harris].indices])
    cells = np.flatnonzero((units["county_id"] == "48201").to_numpy() & (units["level"] == "zip").to_numpy())
    assert len(cells) > 100
    touched = units.iloc[np.unique(adjacency[cells].indices)]
    assert set(touched.loc[touched["county_id"] != "48201", "county_id"]) == neighbours
    # inside the county, adjacent cells are Voronoi neighbours (Delaunay edges of their ZIP points)
    sites = load_zip_points().set_index("zip").loc[units["zip"].iloc[cells]]
    delaunay = delaunay_adjacency(sites[["lon", "lat"]].to_numpy()).toarray()
    inside = adjacency[cells][:, cells].toarray()
    assert inside.sum() > 2 * len(cells)
    assert (inside <= delaunay).all()


def test_named_accounts_touch_their_parent_and_its_neighbours(fine_layer):
    units = fine_layer.units
    adjacency = unit_adjacency(units).tocsr()
    position = pd.Series(np.arange(len(units)), index=units["unit_id"])
    named = np.flatnonzero((units["level"] == "account").to_numpy())
    assert len(named) > 100
    is_named = (units["level"] == "account").to_numpy()
    for i in named:
        parent = position[units["parent_id"].iloc[i]]
        around = adjacency[parent].indices
        expected = {parent, *around[~is_named[around]]}
        assert set(adjacency[i].indices) == expected


def test_the_sample_layer_is_one_graph_after_island_links(fine_layer):
    adjacency, xy, links = unit_graph(fine_layer.units)
    assert connected_components(adjacency, directed=False)[0] == 1
    assert xy.shape == (len(fine_layer.units), 2) and np.isfinite(xy).all()
    assert 3 <= len(links) <= 10  # the three island counties, and a few island cells


# --------------------------------------------------------------------------------------------------
# datasets and the command line


def test_refine_dataset_moves_units_accounts_and_alignment(sample):
    dataset, measures = sample
    refined, layer = refine_dataset(dataset, measures, K)
    assert refined.units is layer.units and dataset.units is not layer.units
    assert refined.accounts["unit_id"].isin(layer.units["unit_id"]).all()
    assert (refined.accounts["county_id"] == dataset.accounts["unit_id"]).all()
    assert refined.alignment.columns.tolist() == ["unit_id", "territory_id", "rep_id"]
    assert refined.alignment["unit_id"].tolist() == layer.units["unit_id"].tolist()
    county = dataset.alignment.set_index("unit_id")["territory_id"]
    assert (refined.alignment["territory_id"] == layer.units["county_id"].map(county)).all()
    assert refined.summary.units == len(layer.units) and refined.summary.units_unaligned == 0
    assert layer.summary()["counties_split"] > 10
    # at the default share only an account above the limit on its own stays oversized
    limits = np.array([layer.thresholds[m] for m in MEASURES])
    alone = (measures[MEASURES].to_numpy() > limits).any(axis=1)
    assert layer.oversized == ["acct:" + a for a in dataset.accounts["account_id"].to_numpy()[alone]]
    assert len(layer.oversized) <= 2, "the sample has at most a couple of accounts that big"


def test_refine_dataset_places_zip_points_in_a_users_own_polygons(hand_layer):
    accounts, measures = _hand_accounts()
    own = _counties().assign(unit_id=["west", "east"])
    accounts["unit_id"] = accounts["unit_id"].map({"90001": "west", "90003": "east"})
    points = zip_points_for_units(own, _zip_points())
    assert points.groupby("unit_id").size().to_dict() == {"east": 2, "west": 6}
    alignment = pd.DataFrame(
        {"unit_id": ["west", "east"], "territory_id": ["T1", "T2"], "rep_id": ["R1", "R2"]}
    )
    empty = pd.DataFrame()
    dataset = Dataset(accounts, empty, empty, alignment, own)
    refined, layer = refine_dataset(dataset, measures, 2, max_share=1.0, zip_points=_zip_points())
    assert layer.account_unit.tolist() == hand_layer.account_unit.replace({"90003": "east"}).tolist()
    assert refined.alignment["territory_id"].tolist() == ["T1"] * 5 + ["T2"]
    # point units: no ZIP cells, only named accounts
    as_points = own.assign(geometry=own.geometry.representative_point())
    assert zip_points_for_units(as_points, _zip_points().assign(unit_id="elsewhere")).empty
    _, layer = refine_dataset(
        Dataset(accounts, empty, empty, alignment, as_points),
        measures,
        2,
        max_share=1.0,
        zip_points=_zip_points(),
    )
    # west (15, 6) vs (8, 3.5): a1 (score 10/8) leaves (5, 5), then a2 and a3 (ties: input order) leave (3, 3)
    assert layer.units["unit_id"].tolist() == ["west", "acct:a1", "acct:a2", "acct:a3", "east"]
    assert layer.units["parent_id"].tolist()[1:4] == ["west"] * 3


def test_cli_writes_a_readable_geopackage(sample_dir, sample, tmp_path, capsys):
    _, measures = sample
    out = tmp_path / "units.gpkg"
    assert main(["units", str(sample_dir), "--territories", str(K), "--out", str(out)]) == 0
    written = gpd.read_file(out)
    assert written.columns.tolist() == [
        "unit_id",
        "level",
        "parent_id",
        "county_id",
        "name",
        "state",
        "zip",
        "potential",
        "call_hours",
        "n_accounts",
        "geometry",
    ]
    assert written.crs.to_epsg() == 4326 and written["unit_id"].is_unique
    assert written["potential"].sum() == pytest.approx(measures["potential"].sum(), rel=1e-12)
    assert written["n_accounts"].sum() == len(measures)
    lines = capsys.readouterr().out.strip().splitlines()
    counts = written["level"].value_counts()
    assert lines[0] == f"counties kept whole: {counts['county']:,}"
    assert lines[
        1
    ] == f"counties split: {written.loc[written['level'] == 'zip', 'county_id'].nunique():,} " + (
        f"into {counts['zip']:,} ZIP cells"
    )
    assert lines[2].startswith("named accounts: ") and "built in" in lines[3]


@pytest.mark.parametrize(
    "extra",
    [["--max-share", "1.5"], ["--max-share", "zero"], ["--territories", "0"], ["--measures", "nope"]],
)
def test_cli_bad_input_is_one_line_and_exit_2(sample_dir, tmp_path, capsys, extra):
    out = tmp_path / "units.gpkg"
    argv = ["units", str(sample_dir), "--territories", str(K), "--out", str(out), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("terrkit units: error: ")
    assert not out.exists()


def test_a_county_with_two_points_but_one_standard_is_split_by_all_its_points():
    cells = zip_cells(_counties().iloc[[1]], _zip_points())
    assert cells["cell_id"].tolist() == ["zip:20001", "zip:20002"]
    np.testing.assert_allclose(shapely.area(cells.geometry.values).sum(), 16.0, rtol=1e-12)


def test_an_account_of_a_split_county_without_any_location_is_refused():
    accounts, measures = _hand_accounts()
    accounts.loc[1, "zip"] = None
    with pytest.raises(DataValidationError, match="line 3.*'a2'.*cannot be placed"):
        build_unit_layer(_counties(), _zip_points(), accounts, measures, 2, max_share=1.0)
