"""Editor state logic (no widgets, no browser): assign, undo, redo, locks, totals, contiguity, moved share.

The hand-made case is a 2 x 3 grid of units with rook adjacency::

    a b c
    d e f

measures ``accounts`` = 1..6 (a..f) and ``sales`` = 10 x accounts; territories ``W`` = {a, b, d, e} and
``E`` = {c, f}. Totals: W accounts 1+2+4+5 = 12, E 3+6 = 9; target (12+9)/2 = 10.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from terrkit.exceptions import DataValidationError
from terrkit.interactive.engine import DesignRequest, answer_centers
from terrkit.interactive.state import EditorState
from terrkit.interactive.table import balance_frame, balance_table_html

IDS = ["a", "b", "c", "d", "e", "f"]
EDGES = [("a", "b"), ("b", "c"), ("d", "e"), ("e", "f"), ("a", "d"), ("b", "e"), ("c", "f")]


def grid_adjacency() -> sp.csr_matrix:
    pos = {u: i for i, u in enumerate(IDS)}
    r = [pos[a] for a, _ in EDGES]
    c = [pos[b] for _, b in EDGES]
    a = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(6, 6))
    return (a + a.T).tocsr()


@pytest.fixture
def state() -> EditorState:
    accounts = np.arange(1, 7, dtype=float)
    return EditorState(
        IDS,
        ["W", "E"],
        ["W", "W", "E", "W", "W", "E"],
        pd.DataFrame({"accounts": accounts, "sales": accounts * 10}),
        adjacency=grid_adjacency(),
        tolerance=0.1,
        xy=np.array([[0, 1], [1, 1], [2, 1], [0, 0], [1, 0], [2, 0]], dtype=float),
    )


def test_totals_deviation_and_targets(state: EditorState) -> None:
    tot = state.totals()
    assert tot.loc["W", "accounts"] == 12 and tot.loc["E", "accounts"] == 9
    assert tot.loc["W", "sales"] == 120
    assert state.targets().loc["W", "accounts"] == pytest.approx(10.5)
    dev = state.deviation()
    assert dev.loc["W", "accounts"] == pytest.approx(1.5 / 10.5)
    assert dev.loc["E", "accounts"] == pytest.approx(-1.5 / 10.5)
    # +-14.3% is outside a 10% tolerance, inside 20%
    assert not state.in_balance().any()
    state.tolerance = 0.2
    assert state.in_balance().all()


def test_assign_moves_units_and_preserves_totals(state: EditorState) -> None:
    before = state.totals().sum()
    edit = state.assign(["e"], "E")  # accounts 5 from W to E
    assert list(state.ids[edit.units]) == ["e"]
    assert state.territory_of("e") == "E"
    tot = state.totals()
    assert tot.loc["W", "accounts"] == 7 and tot.loc["E", "accounts"] == 14
    pd.testing.assert_series_equal(state.totals().sum(), before)
    assert set(edit.territories) == {0, 1}
    assert state.unit_counts().to_dict() == {"W": 3, "E": 3}


def test_assign_to_own_territory_records_nothing(state: EditorState) -> None:
    edit = state.assign(["a", "b"], "W")
    assert len(edit.units) == 0
    assert not state.can_undo


def test_undo_redo_walk_the_history(state: EditorState) -> None:
    start = state.labels.copy()
    state.assign(["e"], "E")
    after_first = state.labels.copy()
    state.assign(["c", "f"], "W")
    assert state.labels.to_dict() == {"a": "W", "b": "W", "c": "W", "d": "W", "e": "E", "f": "W"}
    assert state.undo() is not None
    pd.testing.assert_series_equal(state.labels, after_first)
    assert state.undo() is not None
    pd.testing.assert_series_equal(state.labels, start)
    assert state.undo() is None and not state.can_undo
    assert state.redo() is not None
    pd.testing.assert_series_equal(state.labels, after_first)
    # a new change clears the redo list
    state.assign(["a"], "E")
    assert not state.can_redo and state.redo() is None
    assert state.totals()["accounts"].sum() == 21


def test_locked_units_refuse_reassignment(state: EditorState) -> None:
    newly = state.lock(["b", "e"])
    assert list(state.ids[newly]) == ["b", "e"]
    edit = state.assign(["a", "b", "e"], "E")
    assert list(state.ids[edit.units]) == ["a"]
    assert sorted(state.ids[edit.refused]) == ["b", "e"]
    assert state.territory_of("b") == "W" and state.territory_of("a") == "E"
    assert "locked" in edit.note
    # only locks move nothing: nothing recorded beyond the first edit
    assert len(state.history) == 1
    state.unlock(["b"])
    state.assign(["b"], "E")
    assert state.territory_of("b") == "E"
    assert state.locks() == {"e": "W"}


def test_replace_keeps_locked_units_and_is_undoable(state: EditorState) -> None:
    state.lock(["a"])
    state.assign(["c"], "W")  # moved by hand
    assert state.locks(include_edits=True) == {"a": "W", "c": "W"}
    new = pd.Series({"a": "E", "b": "E", "c": "W", "d": "E", "e": "W", "f": "W"})
    edit = state.replace(new, note="engine")
    assert state.territory_of("a") == "W"  # locked: refused
    assert list(state.ids[edit.refused]) == ["a"]
    assert state.labels.drop("a").equals(new.drop("a"))
    assert state.edited[state.index_of("c")[0]]  # kept in place: still counts as edited
    state.undo()
    assert state.labels.to_dict() == {"a": "W", "b": "W", "c": "W", "d": "W", "e": "W", "f": "E"}


def test_contiguity_flag_changes_when_a_territory_is_cut(state: EditorState) -> None:
    assert state.contiguous().all()
    assert state.pieces().to_dict() == {"W": 1, "E": 1}
    state.assign(["b"], "E")  # W = {a, d, e}: a-d-e connected; E = {b, c, f} connected
    assert state.contiguous().all()
    state.assign(["d"], "E")  # W = {a, e}: not neighbours; E = {b, c, f} + d, which touches only a and e
    assert state.pieces().to_dict() == {"W": 2, "E": 2}
    assert not state.contiguous()["W"]
    assert state.summary()["fragments"] == 2
    assert state.summary()["contiguous"] is False
    state.undo()
    assert state.contiguous().all()


def test_moved_share_against_the_start(state: EditorState) -> None:
    assert state.moved_share() == 0
    state.assign(["e"], "E")  # 5 of 21 accounts moved
    assert state.moved_share() == pytest.approx(5 / 21)
    assert state.moved_share("sales") == pytest.approx(50 / 210)
    moved = state.moved_by_territory()
    assert moved.loc["E", "moved_in"] == pytest.approx(5 / 14)  # E now 3+5+6 = 14
    assert moved.loc["W", "moved_out"] == pytest.approx(5 / 12)
    assert moved.loc["W", "moved_in"] == 0 and moved.loc["E", "moved_out"] == 0
    state.assign(["e"], "W")  # back home: nothing moved
    assert state.moved_share() == 0


def test_start_plan_with_other_names_counts_as_moved() -> None:
    st = EditorState(["x", "y"], ["A"], ["A", "A"], {"m": [1.0, 3.0]}, start=["A", "OLD"])
    assert st.moved_share() == pytest.approx(0.75)
    assert st.start_labels.tolist() == ["A", "OLD"]


def test_balance_table_and_html(state: EditorState) -> None:
    state.assign(["e"], "E")
    table = state.balance_table()
    assert table.loc["E", "units"] == 3 and table.loc["W", "accounts"] == 7
    assert table.loc["W", "accounts_dev"] == pytest.approx((7 - 10.5) / 10.5)
    assert bool(table["contiguous"].all())
    page = balance_table_html(state, {"W": "#ff0000", "E": "#00ff00"}, changed={"E"}, version=3)
    assert 'data-version="3"' in page
    assert '<tr class="changed" data-territory="E">' in page
    assert 'data-col="accounts" data-value="14.0"' in page
    assert list(balance_frame(state).columns[:3]) == ["units", "accounts", "accounts dev"]


def test_assignment_frame_has_the_design_format(state: EditorState) -> None:
    frame = state.to_assignment_frame()
    assert list(frame.columns) == ["unit_id", "territory", "is_center"]
    assert frame["is_center"].sum() == 2  # one center per territory
    centers = state.centers()
    # W = a, b, d, e with accounts 1, 2, 4, 5: weighted centroid (0.67, 0.25) -> nearest is e (1, 0)
    assert centers == {"W": "e", "E": "f"}


def test_known_center_is_kept_while_in_its_territory() -> None:
    st = EditorState(
        IDS,
        ["W", "E"],
        ["W", "W", "E", "W", "W", "E"],
        {"m": np.ones(6)},
        xy=np.zeros((6, 2)),
        centers={"W": "a", "E": "c"},
    )
    assert st.centers() == {"W": "a", "E": "c"}
    st.assign(["a"], "E")
    assert st.centers()["E"] == "c" and st.centers()["W"] != "a"


def test_bad_inputs_are_reported() -> None:
    with pytest.raises(DataValidationError, match="not one of the 1 territories"):
        EditorState(["a", "b"], ["A"], ["A", "B"], {"m": [1, 2]})
    with pytest.raises(DataValidationError, match="duplicate"):
        EditorState(["a", "a"], ["A"], ["A", "A"], {"m": [1, 2]})
    st = EditorState(["a", "b"], ["A", "B"], ["A", "B"], {"m": [1, 2]})
    with pytest.raises(ValueError, match="valid: A, B"):
        st.assign(["a"], "C")
    with pytest.raises(KeyError, match="zz"):
        st.assign(["zz"], "A")
    with pytest.raises(ValueError, match="unknown balance measure"):
        EditorState(["a"], ["A"], ["A"], {"m": [1]}, balance=["x"])


def test_with_plan_starts_a_new_history_and_keeps_the_start(state: EditorState) -> None:
    state.lock(["a"])
    state.assign(["e"], "E")
    new = state.with_plan(["N01", "N02", "N03"], ["N01", "N01", "N02", "N01", "N03", "N02"])
    assert new.k == 3 and not new.can_undo
    assert new.moved_share() == pytest.approx(1.0)  # no start name survives
    assert new.locked.sum() == 0  # a's territory W no longer exists
    assert new.pieces().sum() == 3


def test_answer_centers_from_a_result_list() -> None:
    labels = pd.Series({"a": "W", "b": "W", "c": "E"})
    assert answer_centers(type("R", (), {"centers": ["b", "c"]})(), labels) == {"W": "b", "E": "c"}
    assert answer_centers(object(), labels) == {}


def test_editor_rebalance_uses_the_injected_design_function() -> None:
    """The editor widget logic with a fake design engine (no browser, no solver)."""
    pytest.importorskip("ipyleaflet")
    import geopandas as gpd
    from shapely.geometry import box

    from terrkit.interactive.editor import TerritoryEditor

    cells = [box(x, y, x + 1, y + 1) for y, x in ((1, 0), (1, 1), (1, 2), (0, 0), (0, 1), (0, 2))]
    units = gpd.GeoDataFrame(
        {
            "unit_id": IDS,
            "name": [f"unit {u}" for u in IDS],
            "accounts": np.arange(1, 7, dtype=float),
            "territory": list("WWEWWE"),
        },
        geometry=cells,
        crs="EPSG:4326",
    )
    seen: list[DesignRequest] = []

    def fake_design(request: DesignRequest):
        seen.append(request)
        labels = pd.Series({"a": "W", "b": "W", "c": "E", "d": "W", "e": "E", "f": "E"})
        labels.update(pd.Series(request.locks, dtype=object))
        return type("Answer", (), {"labels": labels, "centers": ["a", "f"], "status": "feasible"})()

    editor = TerritoryEditor(
        units,
        ["accounts"],
        design=fake_design,
        adjacency=grid_adjacency(),
        xy=np.zeros((6, 2)),
        tolerance=0.2,
    )
    assert editor.state.territories == ["E", "W"]  # natural order
    editor.select(["a"])
    editor.assign_selected("E")
    assert editor.state.territory_of("a") == "E"
    assert 'data-territory="E"' in editor.table.value
    edit = editor.rebalance()
    assert seen[-1].locks == {"a": "E"} and seen[-1].k == 2 and seen[-1].measure == "accounts"
    assert editor.state.territory_of("e") == "E" and editor.state.territory_of("a") == "E"
    assert edit is not None and editor.state.can_undo
    editor.undo()
    assert editor.state.territory_of("e") == "W"


def test_run_design_engine_keeps_locks_and_names() -> None:
    """The default design function on a 4 x 3 grid: locks hold and the current names are kept."""
    pytest.importorskip("terrkit.design.problem.definition")
    import geopandas as gpd
    from shapely.geometry import box

    from terrkit.interactive.engine import run_design_engine

    cells = [(x, y) for y in range(3) for x in range(4)]
    ids = [f"u{x}{y}" for x, y in cells]
    units = gpd.GeoDataFrame(
        {"unit_id": ids, "accounts": np.ones(12)},
        geometry=[box(x * 0.1, y * 0.1, x * 0.1 + 0.1, y * 0.1 + 0.1) for x, y in cells],
        crs="EPSG:4326",
    )
    current = pd.Series(["West" if x < 2 else "East" for x, _ in cells], index=ids)
    locks = {"u20": "West", "u21": "West"}  # pull two eastern units west
    request = DesignRequest(
        units=units,
        id="unit_id",
        k=2,
        measure="accounts",
        tolerance=0.0,
        locks=locks,
        current=current,
        contiguous=True,
        time_limit=20,
    )
    labels = run_design_engine(request).labels
    labels.index = labels.index.astype(str)
    assert set(labels) == {"West", "East"}
    assert labels["u20"] == "West" and labels["u21"] == "West"
    assert labels.value_counts().to_dict() == {"West": 6, "East": 6}


def test_map_layers_for_points_and_box_selection() -> None:
    """ZIP-like point units: one GeoJSON layer per territory, CSS classes per unit, box selection."""
    pytest.importorskip("ipyleaflet")
    import geopandas as gpd
    from shapely.geometry import Point, box

    from terrkit.interactive.map import TerritoryMap

    pts = [Point(x, y) for y, x in ((1, 0), (1, 1), (1, 2), (0, 0), (0, 1), (0, 2))]
    units = gpd.GeoDataFrame({"unit_id": IDS, "name": IDS}, geometry=pts, crs="EPSG:4326")
    st = EditorState(
        IDS, ["W", "E"], list("WWEWWE"), {"accounts": np.arange(1, 7)}, adjacency=grid_adjacency()
    )
    m = TerritoryMap(units, st, {"W": "#ff0000", "E": "#0000ff"})
    assert m.points
    layers = m._territory_layers
    assert [len(layer.data["features"]) for layer in layers] == [4, 2]
    style = layers[1].data["features"][0]["properties"]["style"]
    assert style["fillColor"] == "#0000ff" and "terrkit-t-E" in style["className"]
    assert "terrkit-u-c" in style["className"]
    picked = m.select_within(box(0.5, -0.5, 2.5, 0.5))  # e and f
    assert sorted(st.ids[picked]) == ["e", "f"]
    assert len(m._selection_layer.data["features"]) == 2
    st.assign(["e"], "E")
    m.refresh([0, 1])
    assert [len(layer.data["features"]) for layer in layers] == [3, 3]
    st.lock(["a"])
    m.refresh_units(st.index_of(["a"]))
    first = layers[0].data["features"][0]["properties"]["style"]
    assert "terrkit-locked" in first["className"]


def test_editor_reports_engine_errors_and_saves_the_alignment_format(tmp_path) -> None:
    pytest.importorskip("ipyleaflet")
    import geopandas as gpd
    from shapely.geometry import box

    from terrkit.exceptions import InfeasibleError
    from terrkit.interactive.editor import TerritoryEditor

    cells = [box(x, y, x + 1, y + 1) for y, x in ((1, 0), (1, 1), (1, 2), (0, 0), (0, 1), (0, 2))]
    units = gpd.GeoDataFrame(
        {"unit_id": IDS, "accounts": np.arange(1, 7, dtype=float), "territory": list("WWEWWE")},
        geometry=cells,
        crs="EPSG:4326",
    )

    def infeasible(request: DesignRequest):
        raise InfeasibleError("unit f has accounts 6, but the +10% upper bound is 5.8")

    editor = TerritoryEditor(
        units, ["accounts"], design=infeasible, adjacency=grid_adjacency(), xy=np.zeros((6, 2))
    )
    assert editor.rebalance() is None
    assert "rebalance failed" in editor.status.value and "upper bound" in editor.status.value
    editor.assign(["c"], "W")
    path = editor.save(tmp_path / "out" / "plan.csv")
    saved = pd.read_csv(path, dtype={"unit_id": str})
    assert list(saved.columns) == ["unit_id", "territory_id", "is_center"]
    assert saved.set_index("unit_id").loc["c", "territory_id"] == "W"
    assert saved["is_center"].sum() == 2


def test_read_plan_validates_the_design_format(tmp_path) -> None:
    from terrkit.interactive.inputs import read_plan

    ids = pd.Series(["01001", "01003"])
    good = tmp_path / "good.csv"
    good.write_text("unit_id,territory,is_center\n01001,T1,True\n01003,T2,False\n")
    plan = read_plan(good, ids)
    assert plan["unit_id"].tolist() == ["01001", "01003"] and plan["is_center"].tolist() == [True, False]
    missing = tmp_path / "missing.csv"
    missing.write_text("unit_id,territory\n01001,T1\n")
    with pytest.raises(DataValidationError, match="has no territory"):
        read_plan(missing, ids)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("unit_id,territory\n01001,T1\n01003,T1\n99999,T2\n")
    with pytest.raises(DataValidationError, match="line 4.*not one of"):
        read_plan(unknown, ids)
    twice = tmp_path / "twice.csv"
    twice.write_text("unit_id,territory\n01001,T1\n01003,T1\n01001,T2\n")
    with pytest.raises(DataValidationError, match="line 4: value '01001': duplicate unit id"):
        read_plan(twice, ids)
    blank = tmp_path / "blank.csv"
    blank.write_text("unit_id,territory\n01001,T1\n01003, \n")
    with pytest.raises(DataValidationError, match="column 'territory', line 3.*territory is missing"):
        read_plan(blank, ids)


def test_read_plan_accepts_an_alignment_with_territory_id_and_rep(tmp_path) -> None:
    from terrkit.interactive.inputs import read_plan

    ids = pd.Series(["01001", "01003"])
    path = tmp_path / "alignment.csv"
    path.write_text("unit_id,territory_id,rep_id\n01003,T2,R2\n01001,T1,R1\n")
    plan = read_plan(path, ids)
    assert plan["unit_id"].tolist() == ["01001", "01003"]  # in the order of the units
    assert plan["territory"].tolist() == ["T1", "T2"] and plan["rep_id"].tolist() == ["R1", "R2"]
    assert not plan["is_center"].any()
    blank = tmp_path / "blank.csv"
    blank.write_text("unit_id,territory_id,rep_id\n01001,T1,R1\n01003,,R2\n")
    with pytest.raises(DataValidationError, match="column 'territory_id', line 3.*territory is missing"):
        read_plan(blank, ids)
    neither = tmp_path / "neither.csv"
    neither.write_text("unit_id,team\n01001,T1\n")
    with pytest.raises(DataValidationError, match="column 'territory'.*territory_id"):
        read_plan(neither, ids)
