"""The territory editor on a mixed unit layer (counties, ZIP cells, named accounts).

The hand-made layer is a 3 x 3 grid of one-degree county squares (lon -100..-97, lat 40..43)::

    01001  01002  01003
    01004  [5]    01006
    01007  01008  01009

whose centre county 01005 is split into four ZIP cells ``zip:10001`` (NW), ``zip:10002`` (NE),
``zip:10003`` (SW) and ``zip:10004`` (SE), and the NW cell gave up one named account ``acct:A9`` (a point
in the cell's north-west corner). 13 units. Every unit has one account with sales 100 per quarter, except
``acct:A9`` (1,000 per quarter); the layer measure ``potential`` is 10 x the unit's position (1..13).

Territories of the current alignment: ``W`` = the west column, ``M`` = 01002, 01008, the four cells and
the named account, ``E`` = the east column.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point, box

from terrkit.exceptions import DataValidationError
from terrkit.geo_adjacency import unit_adjacency
from terrkit.interactive.inputs import (
    assignment_frame,
    editor_inputs,
    read_plan,
    start_state,
    starting_plan,
)
from terrkit.interactive.state import EditorState
from terrkit.io import Dataset

COUNTIES = [f"0100{i}" for i in range(1, 10)]
CELLS = ["zip:10001", "zip:10002", "zip:10003", "zip:10004"]
ACCOUNT = "acct:A9"
START = {
    "01001": "W",
    "01004": "W",
    "01007": "W",
    "01002": "M",
    "01008": "M",
    **dict.fromkeys([*CELLS, ACCOUNT], "M"),
    "01003": "E",
    "01006": "E",
    "01009": "E",
}
REPS = {"W": "R1", "M": "R2", "E": "R3"}


def layer_units() -> gpd.GeoDataFrame:
    rows = []
    for i, cid in enumerate(COUNTIES):
        r, c = divmod(i, 3)
        shape = box(-100 + c, 42 - r, -99 + c, 43 - r)
        if cid == "01005":
            x0, y0 = -99.0, 41.0
            quads = [(0, 0.5), (0.5, 0.5), (0, 0), (0.5, 0)]  # NW, NE, SW, SE
            for (dx, dy), cell in zip(quads, CELLS, strict=True):
                zipcode = cell.split(":")[1]
                geom = box(x0 + dx, y0 + dy, x0 + dx + 0.5, y0 + dy + 0.5)
                rows.append((cell, "zip", cid, cid, f"Town {zipcode}", zipcode, geom))
                if cell == "zip:10001":
                    rows.append((ACCOUNT, "account", cell, cid, "Big Co", zipcode, Point(-98.9, 41.9)))
            continue
        rows.append((cid, "county", None, cid, f"County {cid}", None, shape))
    frame = pd.DataFrame(
        rows, columns=["unit_id", "level", "parent_id", "county_id", "name", "zip", "geometry"]
    )
    frame["state"] = "NE"
    frame["potential"] = 10.0 * np.arange(1, len(frame) + 1)
    frame["n_accounts"] = 1
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def layered_dataset() -> Dataset:
    units = layer_units()
    ids = units["unit_id"].tolist()
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" if u != ACCOUNT else "A9" for i, u in enumerate(ids, start=100)],
            "unit_id": ids,
            "county_id": units["county_id"].tolist(),
        }
    )
    quarters = [f"2024Q{q}" for q in range(1, 5)]
    sales = pd.DataFrame(
        [
            (a, p, 1000.0 if u == ACCOUNT else 100.0)
            for a, u in zip(accounts["account_id"], ids, strict=True)
            for p in quarters
        ],
        columns=["account_id", "period", "amount"],
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "name": ["West Rep", "Mid Rep", "East Rep"],
            "home_lat": [42.5, 41.5, 42.5],
            "home_lon": [-99.5, -98.5, -97.5],
        }
    )
    alignment = pd.DataFrame(
        {"unit_id": ids, "territory_id": [START[u] for u in ids], "rep_id": [REPS[START[u]] for u in ids]}
    )
    return Dataset(accounts=accounts, sales=sales, reps=reps, alignment=alignment, units=units)


ZIP_POINTS = pd.DataFrame(
    {
        "zip": ["10001", "10002", "10003", "10004"],
        "unit_id": ["01005"] * 4,
        "lat": [41.75, 41.75, 41.25, 41.25],
        "lon": [-98.75, -98.25, -98.75, -98.25],
    }
)


@pytest.fixture
def dataset() -> Dataset:
    return layered_dataset()


@pytest.fixture
def inputs(dataset: Dataset):
    return editor_inputs(dataset, zip_points=ZIP_POINTS)


def test_inputs_keep_levels_measures_and_the_layer_totals(dataset, inputs) -> None:
    units = inputs.units
    assert inputs.mixed
    assert len(units) == 13 and units["unit_id"].is_unique
    assert inputs.level_counts() == {"county": 8, "zip": 4, "account": 1}
    assert inputs.measures == ["potential", "accounts", "customers", "sales"]
    row = units.set_index("unit_id").loc[ACCOUNT]
    assert (row["level"], row["parent_id"], row["county_id"]) == ("account", "zip:10001", "01005")
    assert row["sales"] == 4000 and row["accounts"] == 1
    state = start_state(units, inputs.measures)
    # every unit exactly once, totals preserved: territory totals add up to the layer totals
    assert state.unit_counts().sum() == 13
    totals = state.totals()
    assert totals.sum()["potential"] == pytest.approx(dataset.units["potential"].sum()) == 910.0
    assert totals.sum()["sales"] == pytest.approx(12 * 400 + 4000)
    assert totals.loc["M", "sales"] == pytest.approx(6 * 400 + 4000)
    assert totals.loc["M", "potential"] == pytest.approx(10 * (2 + 5 + 6 + 7 + 8 + 9 + 12))
    assert state.summary()["contiguous"] is True
    # the reps keep their territories
    assert inputs.reps.set_index("rep_id")["territory"].to_dict() == {"R1": "W", "R2": "M", "R3": "E"}


def test_the_editor_graph_is_the_layer_adjacency(inputs) -> None:
    state = start_state(inputs.units, inputs.measures)
    ids = list(state.ids)
    edges = state.adjacency
    got = {frozenset((ids[a], ids[b])) for a, b in zip(edges.row, edges.col, strict=True)}
    layer = sp.coo_matrix(unit_adjacency(inputs.units))
    want = {frozenset((ids[a], ids[b])) for a, b in zip(layer.row, layer.col, strict=True) if a != b}
    assert got == want
    # across levels: cells touch the counties around them, the named account its cell and the cell's
    # neighbours, never a county the cell does not touch
    assert frozenset(("zip:10001", "01002")) in got and frozenset(("zip:10004", "01009")) in got
    assert frozenset((ACCOUNT, "zip:10001")) in got and frozenset((ACCOUNT, "01001")) in got
    assert frozenset((ACCOUNT, "01008")) not in got


def test_contiguity_across_levels(inputs) -> None:
    state = start_state(inputs.units, inputs.measures)
    # the west half of the split county goes west: M still connects 01002 - NE - SE - 01008
    state.assign(["zip:10001", "zip:10003"], "W")
    assert state.pieces().to_dict() == {"W": 1, "M": 1, "E": 1}
    # the east half goes east too: M = 01002 + the named account (next to its cell's neighbours) and 01008
    state.assign(["zip:10002", "zip:10004"], "E")
    assert state.pieces()["M"] == 2 and not state.contiguous()["M"]
    assert state.summary()["fragments"] == 1
    state.undo()
    assert state.pieces()["M"] == 1


def _editor(inputs, **kwargs):
    pytest.importorskip("ipyleaflet")
    from terrkit.interactive.editor import TerritoryEditor

    return TerritoryEditor.from_inputs(inputs, balance="potential", tolerance=0.5, **kwargs)


def test_clicking_a_cell_assigns_just_that_cell(inputs) -> None:
    editor = _editor(inputs)
    st = editor.state
    before = st.totals()
    cell = st.index_of("zip:10002")[0]
    editor.map._on_click(feature={"properties": {"unit_id": "zip:10002"}})
    assert editor.selected_ids == ["zip:10002"]
    assert "ZIP cell of county 01005" in editor.map.unit_info(int(cell))
    edit = editor.assign_selected("E")
    assert [st.ids[i] for i in edit.units] == ["zip:10002"]
    assert st.territory_of("zip:10002") == "E"
    assert all(st.territory_of(c) == "M" for c in ("zip:10001", "zip:10003", "zip:10004", ACCOUNT))
    moved = st.values[cell]
    after = st.totals()
    assert np.allclose(after.loc["E"] - before.loc["E"], moved)
    assert np.allclose(before.loc["M"] - after.loc["M"], moved)
    assert np.allclose(after.sum(), before.sum())
    # the map re-sent the two territories: the cell is drawn in E, not in M
    layers = {st.territories[t]: layer for t, layer in enumerate(editor.map._territory_layers)}
    assert "zip:10002" in {f["id"] for f in layers["E"].data["features"]}
    assert "zip:10002" not in {f["id"] for f in layers["M"].data["features"]}
    assert editor.last_update_ms is not None and editor.last_update_ms < 1000


def test_named_account_is_a_clickable_marker(inputs) -> None:
    editor = _editor(inputs)
    m = editor.map
    i = int(editor.state.index_of(ACCOUNT)[0])
    feature = next(f for layer in m._territory_layers for f in layer.data["features"] if f["id"] == ACCOUNT)
    style = feature["properties"]["style"]
    assert feature["geometry"]["type"] == "Point"
    assert style["pane"] == "terrkit-accounts" and style["radius"] > 0
    assert "terrkit-level-account" in style["className"] and "terrkit-u-acct_A9" in style["className"]
    # point features of the territory layers become circle markers in the account pane
    assert all(layer.point_style.get("pane") == "terrkit-accounts" for layer in m._territory_layers)
    assert "terrkit-accounts" in m.map.panes
    info = m.unit_info(i)
    assert "named account" in info and "zip:10001" in info and "01005" in info
    m._on_click(feature={"properties": {"unit_id": ACCOUNT}})
    assert editor.selected_ids == [ACCOUNT]
    edit = editor.assign_selected("W")
    assert [editor.state.ids[j] for j in edit.units] == [ACCOUNT]
    assert editor.state.territory_of("zip:10001") == "M"
    # the split county's border is drawn over its cells, and the legend explains both marks
    assert [f["properties"]["county_id"] for f in m._border_layer.data["features"]] == ["01005"]
    assert m._border_layer in m.map.layers
    assert "named account" in m.legend.value and "split into ZIP cells" in m.legend.value


def test_box_selection_picks_cells_and_accounts(inputs) -> None:
    editor = _editor(inputs)
    m, st = editor.map, editor.state
    picked = m.select_within(box(-98.45, 40.9, -97.9, 41.9))  # the east half of 01005 only
    assert sorted(st.ids[picked]) == ["zip:10002", "zip:10004"]
    m.clear_selection()
    picked = m.select_within(box(-98.95, 41.85, -98.85, 41.95))  # around the named account only
    assert list(st.ids[picked]) == [ACCOUNT]
    m.clear_selection()
    picked = m.select_within(box(-99.1, 40.9, -97.9, 42.1))  # the whole split county
    assert sorted(st.ids[picked]) == sorted([*CELLS, ACCOUNT])
    # the selection outline draws the account as a ring in the selection pane
    ring = next(f for f in m._selection_layer.data["features"] if f["id"] == ACCOUNT)
    assert ring["properties"]["style"]["pane"] == "terrkit-selection"


def test_lock_undo_redo_on_the_layer(inputs) -> None:
    editor = _editor(inputs)
    st = editor.state
    editor.select(["zip:10003"])
    assert editor.lock_selected() == 1
    edit = editor.assign(["zip:10003", "zip:10001"], "W")
    assert [st.ids[i] for i in edit.units] == ["zip:10001"]
    assert [st.ids[i] for i in edit.refused] == ["zip:10003"]
    editor.undo()
    assert st.territory_of("zip:10001") == "M"
    editor.redo()
    assert st.territory_of("zip:10001") == "W"
    assert st.moved_share("potential") == pytest.approx(50 / 910)


def test_rebalance_on_the_layer_keeps_hand_moves(inputs) -> None:
    seen = {}

    def engine(request):
        from terrkit.interactive.engine import run_design_engine

        seen["adjacency"] = request.adjacency
        seen["locks"] = dict(request.locks)
        return run_design_engine(request)

    editor = _editor(inputs, design=engine, time_limit=10)
    editor.assign([ACCOUNT], "E")
    editor.rebalance()
    st = editor.state
    assert seen["locks"] == {ACCOUNT: "E"}
    assert seen["adjacency"].shape == (13, 13)
    assert st.territory_of(ACCOUNT) == "E"
    assert st.unit_counts().sum() == 13 and set(st.labels) <= {"W", "M", "E"}
    assert st.summary()["contiguous"] is True


def realignment_csv(path: Path) -> Path:
    """A plan as notebook 60 writes alignment.csv: every layer unit with level and parent."""
    units = layer_units()
    plan = {u: "W" for u in units["unit_id"]}
    plan.update({"01003": "E", "01006": "E", "01009": "E", "zip:10002": "E", "zip:10004": "E"})
    plan.update({"01002": "M", "01008": "M", "zip:10001": "M", "zip:10003": "M", ACCOUNT: "M"})
    frame = pd.DataFrame(
        {
            "unit_id": units["unit_id"],
            "level": units["level"],
            "parent_id": units["parent_id"],
            "territory_id": units["unit_id"].map(plan),
            "rep_id": units["unit_id"].map(plan).map(REPS),
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_realignment_plan_opens_and_saving_keeps_levels(dataset, tmp_path) -> None:
    path = realignment_csv(tmp_path / "alignment.csv")
    inputs = editor_inputs(dataset, path)
    assert inputs.source == str(path)
    labels = inputs.units.set_index("unit_id")["territory"]
    assert labels["zip:10002"] == "E" and labels["zip:10001"] == "M" and labels["01004"] == "W"
    editor = _editor(inputs)
    editor.assign(["zip:10001"], "W")
    saved = pd.read_csv(
        editor.save(tmp_path / "out" / "edited_alignment.csv"), dtype=str, keep_default_na=False
    )
    assert list(saved.columns) == ["unit_id", "level", "parent_id", "territory_id", "is_center"]
    original = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert saved["unit_id"].tolist() == original["unit_id"].tolist()
    assert saved["level"].tolist() == original["level"].tolist()
    assert saved["parent_id"].tolist() == original["parent_id"].tolist()
    assert saved.set_index("unit_id").loc["zip:10001", "territory_id"] == "W"
    assert (saved["is_center"] == "True").sum() == 3
    # the saved file opens again, unchanged
    again = read_plan(tmp_path / "out" / "edited_alignment.csv", saved["unit_id"], layer=dataset.units)
    assert again["territory"].tolist() == saved["territory_id"].tolist()
    saving = assignment_frame(editor.state, inputs.units)
    assert saving["territory_id"].tolist() == saved["territory_id"].tolist()


def test_county_plan_maps_down_to_cells_and_accounts(dataset, tmp_path) -> None:
    path = tmp_path / "by_county.csv"
    rows = [f"{c},{'E' if c == '01005' else START.get(c, 'W')},R9" for c in COUNTIES]
    path.write_text("unit_id,territory_id,rep_id\n" + "\n".join(rows) + "\nzip:10003,W,R1\n")
    inputs = editor_inputs(dataset, path, zip_points=ZIP_POINTS)
    labels = inputs.units.set_index("unit_id")["territory"]
    assert labels[["zip:10001", "zip:10002", "zip:10004", ACCOUNT]].tolist() == ["E"] * 4
    assert labels["zip:10003"] == "W"  # a ZIP row beats its county's row
    assert labels["01002"] == "M" and len(labels) == 13


def test_plan_with_unit_ids_not_in_the_layer_is_a_clear_error(dataset, tmp_path) -> None:
    path = realignment_csv(tmp_path / "alignment.csv")
    text = path.read_text().splitlines()
    text[3] = "zip:99999,zip,01005,M,R2"  # line 4 of the file
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataValidationError) as err:
        editor_inputs(dataset, path)
    e = err.value
    assert (e.file, e.column, e.row, e.value) == (str(path), "unit_id", 4, "zip:99999")
    assert "alignment.csv, column 'unit_id', line 4: value 'zip:99999'" in str(e)
    assert "not a unit of the unit layer" in str(e)
    # a plan by county naming an unknown county: the same kind of message from the mapping down
    bad = tmp_path / "bad_county.csv"
    bad.write_text("unit_id,territory\n01001,W\n99999,M\n")
    with pytest.raises(DataValidationError, match=r"bad_county.csv, column 'unit_id', line 3: value '99999'"):
        editor_inputs(dataset, bad, zip_points=ZIP_POINTS)
    # a layer plan that misses a unit
    short = realignment_csv(tmp_path / "short.csv")
    short.write_text("\n".join(short.read_text().splitlines()[:-1]) + "\n")  # without 01009
    with pytest.raises(DataValidationError, match="column 'unit_id': value '01009': unit has no territory"):
        editor_inputs(dataset, short)


def test_starting_plan_prefers_the_parameter_then_the_recommendation(tmp_path) -> None:
    assert starting_plan("", tmp_path) is None
    assert starting_plan("", "") is None
    (tmp_path / "alignment.csv").write_text("unit_id,territory_id,rep_id\n")
    assert starting_plan("", tmp_path) == tmp_path / "alignment.csv"
    assert starting_plan("mine.csv", tmp_path) == Path("mine.csv")


def test_static_map_draws_cells_borders_and_accounts(inputs) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from terrkit.interactive.colors import territory_colors
    from terrkit.interactive.static import most_split_county, plan_map

    state = start_state(inputs.units, inputs.measures)
    colors = territory_colors(state.territories, state.codes, state.adjacency)
    assert most_split_county(inputs.units) == "01005"
    for focus in (None, ["01005"]):
        fig = plan_map(inputs.units, state.labels, colors, reps=inputs.reps, focus=focus)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["rep home base", "border of a county split into ZIP cells", "named account"]
        if focus:
            names = {t.get_text() for t in ax.texts}
            assert {"W", "M", "E"} <= names
        plt.close(fig)


def test_assigning_a_selection_on_a_large_layer_is_fast() -> None:
    """6,400 units (about the sample's 5,840): one assignment with every figure of the table < 1 s."""
    side = 80
    n = side * side
    idx = np.arange(n).reshape(side, side)
    rows = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    cols = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    adjacency = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    labels = [f"T{(i // side) // 10 * 8 + (i % side) // 10:02d}" for i in range(n)]
    rng = np.random.default_rng(0)
    state = EditorState(
        [f"u{i}" for i in range(n)],
        sorted(set(labels)),
        labels,
        {"potential": rng.random(n), "accounts": rng.integers(0, 9, n)},
        adjacency=adjacency,
    )
    block = [f"u{i}" for i in idx[:10, 10:20].ravel()]  # one whole territory, 100 units
    t0 = time.perf_counter()
    state.assign(block, "T00")
    state.balance_table()
    state.summary()
    seconds = time.perf_counter() - t0
    assert state.unit_counts()["T00"] == 200 and state.unit_counts()["T01"] == 0
    assert seconds < 1.0


@pytest.mark.slow
def test_report_run_opens_the_recommended_plan_in_the_editor(generated_report) -> None:
    """In a report run notebook 70 starts from notebook 60's alignment.csv, on the same unit layer."""
    run = generated_report
    assert (run / "alignment.csv").exists()
    # nothing was edited in a headless run: no edited alignment beside the plan of record
    assert not (run / "edited_alignment.csv").exists()
    html = (run / "70_interactive_editor.html").read_text()
    assert "recommended plan (alignment.csv from notebook 60)" in html
    assert "no edits" in html


def test_a_current_alignment_with_gaps_opens_with_the_gaps_filled(company_copy):
    """A CRM import leaves counties without accounts unassigned; the editor starts from a complete plan."""
    import warnings

    from terrkit.exceptions import DataWarning
    from terrkit.io import load_dataset

    alignment = pd.read_csv(company_copy / "current_alignment.csv", dtype=str)
    keep = alignment.groupby("territory_id").head(5)  # five counties per territory, the rest a gap
    keep.to_csv(company_copy / "current_alignment.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        dataset = load_dataset(company_copy)
    inputs = editor_inputs(dataset)
    units = inputs.units
    assert units["territory"].notna().all() and units["unit_id"].is_unique
    assert "units without a territory given a neighbour's territory" in inputs.source
    kept = units.set_index("unit_id").loc[keep["unit_id"], "territory"]
    assert (kept.to_numpy() == keep["territory_id"].to_numpy()).all()  # what was assigned stays
    assert set(units["territory"]) == set(keep["territory_id"])
