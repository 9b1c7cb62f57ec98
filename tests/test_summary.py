"""The executive summary (index.html): its figures equal the deliverables', the recommended plan is the
notebook's, the flags, a run without a realignment, numbers for people, the PDF, and a real run."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from terrkit.realign import change_list, recommend_plan, rep_movement
from terrkit.summary import build_summary, find_chromium, fmt, read_recommendation, write_answer, write_pdf
from terrkit.summary.answer import read_sweep
from terrkit.summary.catalog import FILES, describe, is_described
from terrkit.summary.data import load_run
from terrkit.summary.figures import headline

# ------------------------------------------------------------------ a tiny hand-made run folder

REVENUE = {"a1": 14_599_712.0, "a2": 2_500.0, "a3": 830_000.0, "a4": 1_234_567.0, "a5": 0.0, "a6": 99.0}
OLD = {"a1": "R1", "a2": "R1", "a3": "R2", "a4": "R2", "a5": "R1", "a6": "R2"}
UNIT = {"a1": "u2", "a2": "u1", "a3": "u4", "a4": "u3", "a5": "u2", "a6": "u4"}
TODAY = {"u1": ("T1", "R1"), "u2": ("T1", "R1"), "u3": ("T2", "R2"), "u4": ("T2", "R2")}
PROPOSED = {"u1": ("T1", "R1"), "u2": ("T2", "R2"), "u3": ("T2", "R2"), "u4": ("T1", "R1")}
SWEEP = pd.DataFrame(
    {
        "plan": ["current", "±5%", "±20%"],
        "label": ["today", "±5%", "±20%"],
        "tolerance": [np.nan, 0.05, 0.2],
        "status": ["current", "feasible", "feasible"],
        "method": ["", "test", "test"],
        "seconds": [0.0, 1.0, 1.0],
        "message": ["", "", ""],
        "revenue_bound": [0.0, 15_000_000.0, 1_000_000.0],
        "travel_bound_km": [np.nan, 120.0, 110.0],
        "kept_from": ["", "", ""],
        "balance_potential": [0.8123, 0.0491, 0.1987],
        "balance": [0.8123, 0.0491, 0.1987],
        "cv": [0.5, 0.03, 0.1],
        "balance_call_hours": [0.6, 0.0912, 0.31],
        "travel_km": [143.4, 151.6, 140.2],
        "revenue_moved_share": [0.0, 15_429_811 / 16_666_878, 0.05],
        "revenue_moved": [0.0, 15_429_811.0, 833_000.0],
        "units_changing_rep": [0, 2, 1],
        "customers": [5, 5, 5],
        "customers_kept": [5, 2, 4],
        "territories": [2, 2, 2],
        "meets_tolerance": [False, True, True],
        "on_front": [True, True, True],
    }
)


def _square(i: int, j: int) -> shapely.Polygon:
    return shapely.box(-100 + i, 40 + j, -99 + i, 41 + j)


def make_run(folder: Path, *, answer: bool = True) -> Path:
    """A run folder with every realignment deliverable, made with terrkit's own functions."""
    folder.mkdir(parents=True, exist_ok=True)
    assignments = pd.DataFrame(
        {
            "account_id": list(REVENUE),
            "old_rep_id": [OLD[a] for a in REVENUE],
            "new_rep_id": [PROPOSED[UNIT[a]][1] for a in REVENUE],
            "territory_id": [PROPOSED[UNIT[a]][0] for a in REVENUE],
        }
    )
    revenue = pd.Series(REVENUE)
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann Lee", "Bo Chan"]})
    assignments.to_csv(folder / "account_assignments.csv", index=False)
    change_list(assignments, revenue).to_csv(folder / "changes.csv", index=False)
    rep_movement(assignments, revenue, reps).reset_index().to_csv(folder / "rep_movement.csv", index=False)
    alignment = pd.DataFrame(
        [(u, "county", "", t, r) for u, (t, r) in PROPOSED.items()],
        columns=["unit_id", "level", "parent_id", "territory_id", "rep_id"],
    )
    alignment.to_csv(folder / "alignment.csv", index=False)
    pd.DataFrame(
        {"territory_id": ["T1", "T2"], "rep_id": ["R1", "R2"], "workload_ratio": [1.31, 0.62]}
    ).to_csv(folder / "territory_summary.csv", index=False)
    reps.to_csv(folder / "review_rep_kpis.csv", index=False)
    SWEEP.to_csv(folder / "realignment_sweep.csv", index=False)
    pd.DataFrame({"a": [1]}).to_csv(folder / "segments.csv", index=False)
    (folder / "crm").mkdir(exist_ok=True)
    (folder / "crm" / "owner_changes.csv").write_text("account_id,old_owner,new_owner\n")
    if answer:
        units = gpd.GeoDataFrame(
            {"unit_id": ["u1", "u2", "u3", "u4"]},
            geometry=[_square(0, 0), _square(1, 0), _square(0, 1), _square(1, 1)],
            crs="EPSG:4326",
        )
        current = pd.DataFrame(
            [(u, t, r) for u, (t, r) in TODAY.items()], columns=["unit_id", "territory_id", "rep_id"]
        )
        issues = pd.DataFrame(
            {"kind": ["territory_not_contiguous"], "unit_id": ["u4"], "territory_id": ["T1"], "detail": ["x"]}
        )
        write_answer(
            folder,
            plan="±5%",
            target=0.05,
            meets_target=True,
            balance={"potential": 0.05, "call_hours": 0.1},
            summary={"revenue": 16_666_878.0},
            units=units,
            current=current,
            issues=issues,
            explanation="Recommended: **±5%**, the plan that moves the least revenue.",
            period="2025",
        )
    return folder


class _Text(HTMLParser):
    """The visible text of a page (no style or script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):  # noqa: ANN001
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):  # noqa: ANN001
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


# ------------------------------------------------------------------ numbers for people


def test_numbers_for_people():
    assert fmt.money(14_599_712.4) == "14,599,712"
    assert fmt.money(-1200) == "-1,200"
    assert fmt.count(np.int64(13526)) == "13,526"
    assert fmt.percent(0.0734) == "7.3%" and fmt.percent(1.887684, 0) == "189%"
    assert fmt.tolerance(0.05) == "±5%" and fmt.tolerance(0.075) == "±7.5%"
    assert fmt.km(231.09) == "231 km"
    assert fmt.money(float("nan")) == fmt.MISSING and fmt.percent(None) == fmt.MISSING


# ------------------------------------------------------------------ the recommendation


def test_recommendation_file_round_trip_and_same_plan_as_the_rule(run_folder):
    rec = read_recommendation(run_folder)
    assert rec is not None and rec.source == "recommendation.json"
    assert (rec.plan, rec.target, rec.meets_target) == ("±5%", 0.05, True)
    assert rec.balance == {"potential": 0.05, "call_hours": 0.1} and rec.period == "2025"
    sweep = read_sweep(run_folder)
    assert rec.plan == recommend_plan(sweep, rec.target)[0]
    # without the JSON (an older run), the same rule on the sweep gives the same plan
    (run_folder / "recommendation.json").unlink()
    again = read_recommendation(run_folder)
    assert again is not None and again.source == "realignment_sweep.csv"
    assert (again.plan, again.target, again.meets_target) == (rec.plan, rec.target, rec.meets_target)


def test_units_layer_keeps_todays_territories(run_folder):
    layer = gpd.read_file(run_folder / "units_layer.gpkg")
    assert dict(zip(layer["unit_id"], layer["territory_id"], strict=True)) == {
        u: t for u, (t, _) in TODAY.items()
    }


# ------------------------------------------------------------------ the page's figures are the files'


def test_headline_figures_equal_the_deliverables(run_folder):
    head = headline(load_run(run_folder))
    changes = pd.read_csv(run_folder / "changes.csv")
    movement = pd.read_csv(run_folder / "rep_movement.csv")
    sweep = pd.read_csv(run_folder / "realignment_sweep.csv").set_index("plan")
    assert head.plan == "±5%"
    assert head.revenue_moved == changes["revenue"].sum() and head.accounts_moved == len(changes)
    assert head.revenue == movement["revenue_before"].sum() == sum(REVENUE.values())
    assert head.customers == movement["customers_before"].sum() == 5
    assert head.customers_kept == movement["customers_kept"].sum()
    # the deliverables agree with each other, as the notebook writes them
    assert head.revenue_moved == sweep.loc["±5%", "revenue_moved"]
    assert head.customers_kept == sweep.loc["±5%", "customers_kept"]
    assert head.travel_today == sweep.loc["current", "travel_km"]
    assert head.travel_plan == sweep.loc["±5%", "travel_km"]
    assert head.balance_today == {"potential": 0.8123, "call_hours": 0.6}
    assert head.balance_plan == {"potential": 0.0491, "call_hours": 0.0912}
    assert head.balance_target == pytest.approx({"potential": 0.05, "call_hours": 0.1})
    assert head.territories == 2


def test_page_opens_with_the_answer_in_the_deliverables_figures(run_folder):
    result = build_summary(run_folder, data_dir=None)
    text = page_text(result.index)
    head = result.page.headline
    changes = pd.read_csv(run_folder / "changes.csv")
    movement = pd.read_csv(run_folder / "rep_movement.csv")
    answer = text[: text.index("The options")]
    # the answer, in this order: the plan and balance, what it costs, travel
    expected = [
        "We recommend the ±5% plan",
        "2 territories",
        f"from {fmt.percent(0.8123, 0)} to {fmt.percent(0.0491)} on potential",
        f"{fmt.money(changes['revenue'].sum())} of revenue changing rep",
        f"{fmt.percent(changes['revenue'].sum() / movement['revenue_before'].sum())} of "
        f"{fmt.money(movement['revenue_before'].sum())} in 2025",
        f"{fmt.count(movement['customers_kept'].sum())} of {fmt.count(movement['customers_before'].sum())} "
        "customers",
        f"from {fmt.km(143.4)} to {fmt.km(151.6)}",
    ]
    positions = [answer.index(piece) for piece in expected]
    assert positions == sorted(positions), "the answer's sentences come in the stated order"
    assert "15,429,811" in answer and head.revenue_moved == 15_429_811.0
    assert not re.search(r"\d\.\d+e[+-]\d", text), "no scientific notation on the page"
    # the front table marks the recommended plan
    html = result.index.read_text()
    row = re.search(r'<tr class="recommended">(.*?)</tr>', html).group(1)
    assert "±5%" in row and "recommended" in row and "15,429,811" in row
    assert html.count('class="recommended"') == 1
    # why, from the notebook
    assert "<strong>±5%</strong>" in html


def test_maps_before_and_after(run_folder):
    result = build_summary(run_folder)
    assert [p.name for p in result.maps] == ["map_today.png", "map_proposal.png"]
    for path in result.maps:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
        assert f'src="{path.relative_to(run_folder).as_posix()}"' in result.index.read_text()


def test_decisions_needed(run_folder):
    alignment = pd.read_csv(run_folder / "alignment.csv", dtype=str)
    extra = pd.DataFrame([{"unit_id": "u9", "level": "county", "territory_id": None, "rep_id": None}])
    pd.concat([alignment, extra]).to_csv(run_folder / "alignment.csv", index=False)
    result = build_summary(run_folder)
    titles = [f.title for f in result.page.flags]
    assert "1 rep over capacity in the proposal" in titles
    assert "1 rep under capacity in the proposal" in titles
    assert "1 proposed territory is in several pieces" in titles
    assert "1 unit without a territory" in titles
    over = next(f for f in result.page.flags if "over capacity" in f.title)
    assert over.items == ["Ann Lee (R1), territory T1: 131% of capacity"]
    text = page_text(result.index)
    assert "Decisions needed" in text and "u9" in text
    # the largest accounts that change rep, largest first, with the reps' names
    moves = result.page.moves
    changes = pd.read_csv(run_folder / "changes.csv")
    assert [m.account_id for m in moves] == changes.sort_values("revenue", ascending=False)[
        "account_id"
    ].tolist()
    assert moves[0].from_rep == "Ann Lee (R1)" and moves[0].to_rep == "Bo Chan (R2)"
    assert fmt.money(moves[0].revenue) in text


def test_target_not_met_is_a_decision(run_folder):
    record = json.loads((run_folder / "recommendation.json").read_text())
    record.update(plan="±20%", meets_target=False)
    (run_folder / "recommendation.json").write_text(json.dumps(record))
    result = build_summary(run_folder)
    assert result.page.flags[0].title == "No plan meets the ±5% balance target"
    assert "No plan reached the ±5% balance target" in page_text(result.index)


def test_files_are_linked_with_what_they_are_for(run_folder):
    written = {
        "10_segmentation": ["segments.csv"],
        "60_realignment": ["changes.csv", "crm/owner_changes.csv"],
    }
    notebooks = [
        {"notebook": "10_segmentation", "seconds": 3.2},
        {"notebook": "60_realignment", "seconds": 61.0},
    ]
    result = build_summary(run_folder, notebooks=notebooks, files_by_notebook=written)
    html = result.index.read_text()
    for path in (
        "changes.csv",
        "crm/owner_changes.csv",
        "segments.csv",
        "alignment.csv",
        "recommendation.json",
    ):
        assert f'<a href="{path}">{path}</a>' in html
        assert describe(path).what in html
    assert "send to the CRM admin" in html
    assert "Written by 60_realignment" in html and "Other files" in html
    assert "assets/" not in "".join(re.findall(r'<a href="([^"]+)"', html))


def test_the_realignment_and_crm_files_are_described():
    from terrkit.crm.load_files import FILES as CRM_FILES
    from terrkit.crm.load_files import FOLDER
    from terrkit.realign import FILES as REALIGN_FILES

    for name in (*REALIGN_FILES, *(f"{FOLDER}/{f}" for f in CRM_FILES), "realignment_sweep.csv"):
        assert name in FILES, f"{name} has no description in terrkit.summary.catalog"


# ------------------------------------------------------------------ runs without a realignment


def test_run_without_realignment_says_so(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    pd.DataFrame({"x": [1.0]}).to_csv(folder / "first.csv", index=False)
    result = build_summary(folder)
    text = page_text(result.index)
    assert result.page.headline is None and result.maps == []
    assert "This run has no realignment recommendation" in text
    assert "recommendation.json" in text and "changes.csv" in text
    assert '<a href="first.csv">first.csv</a>' in result.index.read_text()


def test_older_run_without_the_answer_files(tmp_path):
    folder = make_run(tmp_path / "run", answer=False)
    result = build_summary(folder)
    assert result.page.headline is not None and result.page.headline.plan == "±5%"
    assert result.maps == [] and "units_layer.gpkg" in page_text(result.index)
    assert any("not checked" in f.title for f in result.page.flags)


# ------------------------------------------------------------------ the PDF


def test_pdf_skipped_without_a_browser(run_folder, monkeypatch):
    monkeypatch.setenv("TERRKIT_CHROMIUM", str(run_folder / "no-such-browser"))
    result = build_summary(run_folder)
    outcome = write_pdf(result)
    assert not outcome.written and "no Chromium" in outcome.reason
    assert not (run_folder / "summary.pdf").exists()
    assert result.manifest()["pdf"] is None and "no Chromium" in result.manifest()["pdf_skipped"]
    assert "summary.pdf" not in result.index.read_text()


def test_pdf_printed_with_chromium(run_folder):
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine")
    result = build_summary(run_folder)
    outcome = write_pdf(result)
    assert outcome.written, outcome.reason
    data = outcome.path.read_bytes()
    assert data[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
    assert '<a href="summary.pdf">summary.pdf</a>' in result.index.read_text()


# ------------------------------------------------------------------ a real run


@pytest.mark.slow
def test_summary_of_a_real_run(generated_report):
    run = generated_report
    manifest = json.loads((run / "run.json").read_text())
    sweep = read_sweep(run)
    rec = read_recommendation(run)
    assert rec.source == "recommendation.json"
    # the notebook's recommendation is the rule's on the sweep it wrote
    assert rec.target == sweep["tolerance"].min()
    assert (rec.plan, rec.meets_target) == recommend_plan(sweep, rec.target)
    head = headline(load_run(run))
    changes = pd.read_csv(run / "changes.csv")
    changes = changes.rename(columns={f"revenue_{rec.period}": "revenue"})  # named for the review period
    assert head.revenue_moved == pytest.approx(changes["revenue"].sum())
    assert head.revenue_moved == pytest.approx(sweep.loc[rec.plan, "revenue_moved"])
    assert head.customers_kept == sweep.loc[rec.plan, "customers_kept"]
    assert head.revenue_moved == pytest.approx(rec.summary["revenue_moved"])
    assert head.revenue == pytest.approx(rec.summary["revenue"])
    text = page_text(run / "index.html")
    assert fmt.money(changes["revenue"].sum()) in text
    assert (
        f"{fmt.km(sweep.loc['current', 'travel_km'])} to {fmt.km(sweep.loc[rec.plan, 'travel_km'])}" in text
    )
    assert not re.search(r"\d\.\d+e[+-]\d", text)
    summary = manifest["summary"]
    assert summary["recommended_plan"] == rec.plan
    assert [Path(p).name for p in summary["maps"]] == ["map_today.png", "map_proposal.png"]
    assert (summary["pdf"] == "summary.pdf") == (run / "summary.pdf").exists()
    assert summary.get("pdf") or summary.get("pdf_skipped")
    assert "60_realignment" in manifest["deliverables_by_notebook"]
    assert "recommendation.json" in manifest["deliverables_by_notebook"]["60_realignment"]
    assert not any(p.startswith("assets/") for p in manifest["deliverables"])
    undescribed = [p for p in manifest["deliverables"] if not is_described(p)]
    assert not undescribed, f"files the summary cannot describe: {undescribed}"


def test_a_unit_without_a_territory_today_does_not_change_rep():
    from terrkit.summary.maps import changes_rep

    today = pd.Series(["T1", "T1", None, "T2"])
    rep_today = pd.Series(["R1", "R1", None, None])  # T2 is vacant today
    proposed = pd.Series(["R1", "R2", "R2", "R3"])
    assert changes_rep(today, rep_today, proposed).tolist() == [False, True, False, True]


def test_scenario_files_are_described():
    info = describe("scenarios/rep-leaves/changes.csv")
    assert info.what.startswith("rep leaves: one row per account whose rep changes")
    assert is_described("scenarios/capacity/scenario_comparison.csv")
    assert is_described("scenarios/hierarchy_levels.csv")
    assert not is_described("scenarios/rep-leaves/unknown.csv") and not is_described("other/changes.csv")
