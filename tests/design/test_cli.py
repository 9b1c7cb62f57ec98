"""``terrkit design`` command line: outputs, summary keys, bad inputs (exit 2, one line, no file)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from terrkit.design.cli import main

SUMMARY_KEYS = {
    "status",
    "objective",
    "bound",
    "gap",
    "seconds",
    "stopped_by",
    "method",
    "territories",
    "max_deviation",
    "contiguous",
    "fragments",
}


@pytest.fixture
def units_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 14
    df = pd.DataFrame(
        {
            "unit_id": [f"{i:05d}" for i in range(n)],
            "lon": -100 + rng.random(n) * 4,
            "lat": 38 + rng.random(n) * 3,
            "potential": rng.integers(5, 15, n).astype(float),
            "accounts": rng.integers(1, 5, n),
            "current": ["T1"] * 7 + ["T2"] * 7,
        }
    )
    path = tmp_path / "units.csv"
    df.to_csv(path, index=False)
    return path, df


def _run(args, capsys):
    code = main(["design", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_design_csv_writes_assignment_and_summary(units_csv, tmp_path, capsys):
    path, df = units_csv
    out, rep = tmp_path / "a.csv", tmp_path / "s.json"
    code, stdout, err = _run(
        [
            path,
            "--territories",
            3,
            "--out",
            out,
            "--report",
            rep,
            "--balance",
            "potential:0.1",
            "--balance",
            "accounts:0.5",
            "--contiguous",
        ],
        capsys,
    )
    assert code == 0, err
    a = pd.read_csv(out, dtype={"unit_id": str})
    assert list(a.columns) == ["unit_id", "territory", "is_center"]
    assert sorted(a["unit_id"]) == sorted(df["unit_id"])  # every unit exactly once
    assert a["is_center"].sum() == 3
    s = json.loads(rep.read_text())
    assert SUMMARY_KEYS <= set(s)
    assert s["status"] in ("optimal", "feasible")
    assert s["contiguous"] is True and s["fragments"] == 0
    assert len(s["territories"]) == 3
    assert {"center", "units", "potential", "accounts"} <= set(s["territories"][0])
    assert s["max_deviation"]["potential"] <= 0.1 + 1e-9
    totals = df.set_index("unit_id")["potential"].groupby(a.set_index("unit_id")["territory"]).sum()
    assert totals.max() <= df["potential"].sum() / 3 * 1.1 + 1e-9


def test_design_current_and_max_moved(units_csv, tmp_path, capsys):
    path, _ = units_csv
    out, rep = tmp_path / "a.csv", tmp_path / "s.json"
    code, _, err = _run(
        [
            path,
            "-k",
            2,
            "--out",
            out,
            "--report",
            rep,
            "--current",
            "current",
            "--max-moved",
            0.1,
            "--balance",
            "potential:0.2",
        ],
        capsys,
    )
    assert code == 0, err
    s = json.loads(rep.read_text())
    assert s["moved_share"] <= 0.1 + 1e-9
    assert set(pd.read_csv(out)["territory"]) == {"T1", "T2"}


def test_design_with_cost_file_and_centers(tmp_path, capsys):
    units = pd.DataFrame({"id": ["u1", "u2", "u3", "u4"], "demand": [1, 1, 1, 1]})
    units.to_csv(tmp_path / "u.csv", index=False)
    rows = [
        (u, s, c)
        for u, cs in zip(units["id"], [[1, 9], [2, 8], [9, 1], [8, 3]], strict=True)
        for s, c in zip(["S1", "S2"], cs, strict=True)
    ]
    pd.DataFrame(rows, columns=["from_id", "to_id", "cost"]).to_csv(tmp_path / "c.csv", index=False)
    out, rep = tmp_path / "a.csv", tmp_path / "s.json"
    code, _, err = _run(
        [tmp_path / "u.csv", "-k", 2, "--out", out, "--report", rep, "--cost", tmp_path / "c.csv"], capsys
    )
    assert code == 0, err
    assert json.loads(rep.read_text())["objective"] == pytest.approx(7.0)
    pd.DataFrame({"territory": ["A", "B"], "site": ["S1", "S2"]}).to_csv(tmp_path / "ctr.csv", index=False)
    code, _, err = _run(
        [
            tmp_path / "u.csv",
            "-k",
            2,
            "--out",
            out,
            "--cost",
            tmp_path / "c.csv",
            "--centers",
            tmp_path / "ctr.csv",
            "--capacity",
            "demand:2",
        ],
        capsys,
    )
    assert code == 0, err
    a = pd.read_csv(out)
    assert a["territory"].value_counts().max() == 2


def test_lock_file(units_csv, tmp_path, capsys):
    path, df = units_csv
    pd.DataFrame({"unit_id": ["00000", "00001"], "territory": ["T2", "T2"]}).to_csv(
        tmp_path / "l.csv", index=False
    )
    out = tmp_path / "a.csv"
    code, _, err = _run(
        [path, "-k", 2, "--out", out, "--current", "current", "--lock", tmp_path / "l.csv"], capsys
    )
    assert code == 0, err
    a = pd.read_csv(out, dtype={"unit_id": str}).set_index("unit_id")
    assert a.loc["00000", "territory"] == "T2" and a.loc["00001", "territory"] == "T2"


def _corrupt(df, tmp_path, how):
    d = df.copy()
    if how == "duplicate":
        d.loc[3, "unit_id"] = d.loc[2, "unit_id"]
    elif how == "missing":
        d["potential"] = d["potential"].astype(object)
        d.loc[5, "potential"] = None
    elif how == "nonnumeric":
        d["potential"] = d["potential"].astype(object)
        d.loc[5, "potential"] = "lots"
    elif how == "negative":
        d.loc[4, "potential"] = -3
    p = tmp_path / f"{how}.csv"
    d.to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    "case,extra,expect",
    [
        ("duplicate", ["--balance", "potential"], "duplicate unit id"),
        ("missing", ["--balance", "potential"], "missing value"),
        ("nonnumeric", ["--balance", "potential"], "'lots'"),
        ("negative", ["--weight", "potential"], "negative weight"),
        ("ok", ["--balance", "nosuchcol"], "nosuchcol"),
        ("ok", ["--territories", 99], "only 14 units"),
    ],
)
def test_bad_inputs_exit_2_one_line_no_output(units_csv, tmp_path, capsys, case, extra, expect):
    path, df = units_csv
    src = path if case == "ok" else _corrupt(df, tmp_path, case)
    out, rep = tmp_path / "out.csv", tmp_path / "sum.json"
    args = [src, "--territories", 3, "--out", out, "--report", rep, *extra]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert expect in err
    assert not out.exists() and not rep.exists()


def test_proven_infeasible_exits_3_one_line_no_output(units_csv, tmp_path, capsys):
    path, _ = units_csv
    out, rep = tmp_path / "out.csv", tmp_path / "sum.json"
    args = [path, "--territories", 3, "--out", out, "--report", rep]
    code, _, err = _run([*args, "--balance", "potential:0.01", "--capacity", "potential:1"], capsys)
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and "infeasible" in err and "capacity" in err
    assert not out.exists() and not rep.exists()


def test_no_plan_found_exits_4_and_says_why_it_stopped(units_csv, tmp_path, capsys, monkeypatch):
    """A plan that breaks a requirement is never written: exit 4, not 'infeasible' (nothing proves it)."""
    from terrkit.design.problem.definition import TerritoryDesignProblem

    real_solve = TerritoryDesignProblem.solve

    def cut_short(self, **kw):
        result = real_solve(self, **kw)
        result.violations = ["territory T1: potential 40 above its upper bound 30"]
        result.status, result.stopped_by = "requirements_not_met", "budget"
        return result

    monkeypatch.setattr(TerritoryDesignProblem, "solve", cut_short)
    path, _ = units_csv
    out, rep = tmp_path / "out.csv", tmp_path / "sum.json"
    code, _, err = _run([path, "--territories", 3, "--out", out, "--report", rep, "--work", 1000], capsys)
    assert code == 4
    assert "stopped by budget" in err and "T1" in err and "infeasible" not in err
    assert not out.exists() and not rep.exists()


def test_unreadable_file_and_missing_cost_pair(tmp_path, capsys, units_csv):
    path, df = units_csv
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    out = tmp_path / "o.csv"
    code, _, err = _run([bad, "-k", 2, "--out", out], capsys)
    assert code == 2 and "bad.gpkg" in err and not out.exists()
    code, _, err = _run([tmp_path / "nope.csv", "-k", 2, "--out", out], capsys)
    assert code == 2 and "does not exist" in err
    pd.DataFrame({"from_id": ["00000"], "to_id": ["00000"], "cost": [0]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    code, _, err = _run([path, "-k", 2, "--out", out, "--cost", tmp_path / "c.csv"], capsys)
    assert code == 2 and "missing cost from unit" in err and not out.exists()
    assert len(err.strip().splitlines()) == 1


def test_geojson_polygons_queen_contiguity(tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    cells = [box(i, j, i + 1, j + 1) for j in range(3) for i in range(4)]
    gdf = gpd.GeoDataFrame(
        {"unit_id": [f"c{i}" for i in range(12)], "pot": [1.0] * 12}, geometry=cells, crs="EPSG:5070"
    )
    gdf.to_file(tmp_path / "u.geojson", driver="GeoJSON")
    out, rep = tmp_path / "a.csv", tmp_path / "s.json"
    code, _, err = _run(
        [
            tmp_path / "u.geojson",
            "-k",
            3,
            "--out",
            out,
            "--report",
            rep,
            "--balance",
            "pot:0",
            "--contiguous",
        ],
        capsys,
    )
    assert code == 0, err
    s = json.loads(rep.read_text())
    assert s["contiguous"] is True and s["max_deviation"]["pot"] == 0.0


def test_edges_file_and_point_centers(tmp_path, capsys):
    units = pd.DataFrame(
        {"unit_id": list("abcdef"), "x": [0, 1, 2, 0, 1, 2], "y": [0, 0, 0, 1, 1, 1], "n": 1}
    )
    units.to_csv(tmp_path / "u.csv", index=False)
    # a U-shaped path a-b-c-f-e-d: the only contiguous 3/3 split is {a,b,c} | {d,e,f}
    pd.DataFrame({"from": list("abcfe"), "to": list("bcfed")}).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"territory": ["S", "N"], "x": [1.0, 1.0], "y": [-0.5, 1.5]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    out, rep = tmp_path / "a.csv", tmp_path / "s.json"
    code, _, err = _run(
        [
            tmp_path / "u.csv",
            "-k",
            2,
            "--out",
            out,
            "--report",
            rep,
            "--edges",
            tmp_path / "e.csv",
            "--contiguous",
            "--balance",
            "n:0",
            "--centers",
            tmp_path / "c.csv",
        ],
        capsys,
    )
    assert code == 0, err
    a = pd.read_csv(out).set_index("unit_id")["territory"].to_dict()
    assert a == {"a": "S", "b": "S", "c": "S", "d": "N", "e": "N", "f": "N"}
    s = json.loads(rep.read_text())
    assert s["status"] == "optimal" and s["contiguous"] is True
    assert [t["center"] for t in s["territories"]] == ["S", "N"]
