"""``terrkit design``: design territories from a units file.

::

    terrkit design UNITS --territories K --out ASSIGNMENT.csv [--report SUMMARY.json]
        [--id COL] [--balance COL[:TOL]]... [--capacity COL:VALUE]... [--weight COL] [--contiguous]
        [--edges FILE] [--cost FILE] [--distance-power P] [--centers auto|FILE] [--current COL]
        [--max-moved FRAC] [--lock FILE] [--solver highs|cbc] [--time-limit S] [--gap G] [--seed N]
        [--levels NAME=N,...]

Exit codes: 0 success, 2 bad input or infeasible design (one line on stderr, no output file),
1 solver failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, DataValidationError, InfeasibleError, SolverError, TerrkitError
from terrkit.io.validate import fail_rows

#: Exit codes of ``terrkit design`` (documented in the README).
EXIT_OK = 0
#: The solver or terrkit failed (an internal error).
EXIT_SOLVER = 1
#: Bad input: data, configuration or parameters.
EXIT_BAD_INPUT = 2
#: Proven infeasible: no plan can meet the requirements (the checks or the exact model prove it).
EXIT_INFEASIBLE = 3
#: No plan meeting every requirement was found within the work budget and time limit (none is proven
#: impossible: more work, looser tolerances or fewer locks may find one).
EXIT_NOT_FOUND = 4

_GEO_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".parquet", ".geoparquet", ".fgb"}
_LONLAT = (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"))
_XY = (("x", "y"),)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``design`` subcommand on ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(
        "design",
        help="design balanced, compact (optionally contiguous) territories from a units file",
        description="Assign units to K territories: balanced on measures, compact around centers, optionally "
        "contiguous, respecting locks and limiting disruption of a current alignment.",
    )
    p.add_argument(
        "units",
        metavar="UNITS",
        help="GeoPackage/GeoJSON/GeoParquet/Shapefile, or CSV with "
        "lon/lat or x/y columns (a CSV of ids and numeric columns suffices with --cost)",
    )
    p.add_argument("--territories", "-k", type=int, required=True, metavar="K", help="number of territories")
    p.add_argument("--out", required=True, metavar="ASSIGNMENT.csv", help="assignment file to write")
    p.add_argument("--report", metavar="SUMMARY.json", help="summary file to write")
    p.add_argument("--id", metavar="COL", help="unit id column (default: unit_id, id, or the first column)")
    p.add_argument(
        "--balance",
        action="append",
        default=[],
        metavar="COL[:TOL]",
        help="balance COL within relative tolerance TOL (default 0.05; 0 = exact); repeatable",
    )
    p.add_argument(
        "--capacity",
        action="append",
        default=[],
        metavar="COL:VALUE",
        help="upper bound of COL per territory; repeatable",
    )
    p.add_argument("--weight", metavar="COL", help="objective weight (default: first balance column, else 1)")
    p.add_argument("--contiguous", action="store_true", help="enforce contiguity")
    p.add_argument("--edges", metavar="FILE", help="adjacency CSV (two id columns) for data without polygons")
    p.add_argument("--cost", metavar="FILE", help="long-form CSV (from_id, to_id, cost) replacing distances")
    p.add_argument("--distance-power", type=float, default=1.0, metavar="P", help="1 (default) or 2")
    p.add_argument(
        "--centers",
        default="auto",
        metavar="auto|FILE",
        help="auto = chosen among units (default); FILE = fixed centers (unit ids, or points)",
    )
    p.add_argument("--current", metavar="COL", help="current territory of each unit")
    p.add_argument("--max-moved", type=float, metavar="FRAC", help="cap on the moved share of the weight")
    p.add_argument("--lock", metavar="FILE", help="CSV of unit id, territory to keep")
    p.add_argument("--solver", default="highs", choices=("highs", "cbc"), help="MIP solver (default highs)")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="seconds (default 60)")
    p.add_argument("--gap", type=float, metavar="G", help="relative MIP gap at which to stop")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument(
        "--work",
        type=float,
        metavar="UNITS",
        help="the heuristic's work budget in work units (default: from the time limit, about "
        "800,000 per second of it); the same budget and seed give the same plan on any machine",
    )
    p.add_argument(
        "--levels",
        metavar="NAME=N,...",
        help="nested levels above the territories, top first (e.g. region=4,district=12): designed top-down, "
        "each within 60%% (top) to 80%% of the territories' tolerances; --out gets a column per level",
    )
    p.set_defaults(func=run)


# --------------------------------------------------------------------------------------------------
# reading inputs


def _read_csv(path: str, what: str) -> pd.DataFrame:
    if not os.path.exists(path):
        raise DataValidationError(path, f"{what} file does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataValidationError(
            path, f"cannot read the {what} file as CSV ({str(exc).splitlines()[0]})"
        ) from exc


def _read_units(path: str):
    """Read UNITS: a geo file (GeoDataFrame) or a CSV (DataFrame of strings)."""
    suffix = Path(path).suffix.lower()
    if not os.path.exists(path):
        raise DataValidationError(path, "units file does not exist")
    if suffix in _GEO_SUFFIXES:
        import geopandas as gpd

        try:
            if suffix in (".parquet", ".geoparquet"):
                return gpd.read_parquet(path)
            return gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
            raise DataValidationError(
                path, f"cannot read the units file ({str(exc).splitlines()[0]})"
            ) from exc
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path, "units")
    raise DataValidationError(
        path, f"unsupported units file type {suffix!r}; use .gpkg, .geojson, .parquet, .shp or .csv"
    )


def _id_column(frame: pd.DataFrame, requested: str | None, file: str) -> str:
    if requested is not None:
        if requested not in frame.columns:
            raise DataValidationError(
                file, "unknown id column; columns are " + ", ".join(map(str, frame.columns)), column=requested
            )
        return requested
    for c in ("unit_id", "id"):
        if c in frame.columns:
            return c
    return str(frame.columns[0])


def _find_pair(frame: pd.DataFrame, pairs) -> tuple[str, str] | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for a, b in pairs:
        if a in lower and b in lower:
            return lower[a], lower[b]
    return None


def _numeric(frame: pd.DataFrame, col: str, file: str, ids: pd.Series) -> np.ndarray:
    raw = frame[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(num.isna().to_numpy())
    if len(bad):
        r = int(bad[0])
        missing = pd.isna(raw.iloc[r]) or str(raw.iloc[r]).strip() == ""
        raise DataValidationError(
            file,
            f"{'missing' if missing else 'non-numeric'} value for unit {ids.iloc[r]}",
            column=col,
            row=r + 2,
            value=None if missing else raw.iloc[r],
            more=len(bad) - 1,
        )
    return num.to_numpy(dtype=float)


def _parse_balance(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        col, _, tol = item.partition(":")
        if not col:
            raise ConfigError(f"--balance {item!r}: expected COL or COL:TOL")
        try:
            value = 0.05 if tol == "" else float(tol)
        except ValueError:
            raise ConfigError(f"--balance {item!r}: tolerance {tol!r} is not a number") from None
        if value < 0 or not np.isfinite(value):
            raise ConfigError(f"--balance {item!r}: tolerance must be >= 0")
        out[col] = value
    return out


def _parse_capacity(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        col, sep, val = item.rpartition(":")
        try:
            value = float(val)
        except ValueError:
            value = float("nan")
        if not sep or not col or not np.isfinite(value) or value < 0:
            raise ConfigError(f"--capacity {item!r}: expected COL:VALUE with a number VALUE >= 0")
        out[col] = value
    return out


def read_cost(path: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Long-form cost CSV (from_id, to_id, cost) -> (n, m) matrix and candidate ids (None = the units).

    Every unit needs a cost to every center; a missing pair is an error naming both ids.
    """
    frame = _read_csv(path, "cost")
    cols = {c.lower(): c for c in frame.columns}
    if all(c in cols for c in ("from_id", "to_id", "cost")):
        f, t, c = cols["from_id"], cols["to_id"], cols["cost"]
    elif frame.shape[1] >= 3:
        f, t, c = frame.columns[:3]
    else:
        raise DataValidationError(path, "a cost file needs the columns from_id, to_id, cost")
    fr = frame[f].astype(str).str.strip()
    to = frame[t].astype(str).str.strip()
    cost = pd.to_numeric(frame[c], errors="coerce")
    fail_rows(frame, path, c, cost.isna() | (cost < 0), "cost must be a number >= 0")
    unit_index = pd.Index([str(x) for x in ids])
    fi = unit_index.get_indexer(fr)
    fail_rows(frame, path, f, fi < 0, "from_id is not one of the units", values=fr)
    to_ids = pd.unique(to)
    if set(to_ids) == set(unit_index):
        cand_index, cand = unit_index, None
    else:
        cand_index = pd.Index(to_ids)
        cand = np.asarray(to_ids, dtype=object)
    ti = cand_index.get_indexer(to)
    mat = np.full((len(ids), len(cand_index)), np.nan)
    mat[fi, ti] = cost.to_numpy(dtype=float)
    missing = np.argwhere(np.isnan(mat))
    if len(missing):
        i, j = missing[0]
        raise DataValidationError(
            path,
            f"missing cost from unit {ids[i]} to center {cand_index[j]} (every unit "
            f"needs a cost to every center)",
            more=len(missing) - 1,
        )
    return mat, cand


def _read_centers(path: str, id_col: str | None):
    """Centers file -> ({territory: unit id} or {territory: (x, y)})."""
    frame = _read_csv(path, "centers")
    if frame.empty:
        raise DataValidationError(path, "the centers file has no rows")
    pair = _find_pair(frame, _LONLAT) or _find_pair(frame, _XY)
    name_col = next(
        (c for c in frame.columns if str(c).lower() in ("territory", "territory_id", "name")), None
    )
    names = frame[name_col].tolist() if name_col is not None else list(range(len(frame)))
    if len(set(map(str, names))) != len(names):
        raise DataValidationError(path, "duplicate territory name", column=name_col)
    if pair is not None:
        pts = np.column_stack(
            [
                _numeric(frame, pair[0], path, pd.Series(names)),
                _numeric(frame, pair[1], path, pd.Series(names)),
            ]
        )
        return {n: tuple(p) for n, p in zip(names, pts, strict=True)}
    col = (
        id_col
        if id_col is not None and id_col in frame.columns
        else next((c for c in frame.columns if c not in (name_col,)), frame.columns[0])
    )
    return dict(zip(names, frame[col].astype(str).str.strip(), strict=True))


def build_problem(args: argparse.Namespace):
    """Read every input named in ``args`` and build the :class:`TerritoryDesignProblem`."""
    from terrkit.design.problem.definition import TerritoryDesignProblem

    path = args.units
    units = _read_units(path)
    is_geo = hasattr(units, "geometry") and "geometry" in getattr(units, "columns", [])
    id_col = _id_column(units, args.id, path)
    ids = units[id_col]
    if ids.isna().any():
        r = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataValidationError(path, "missing unit id", column=id_col, row=r + 2)
    ids = ids.astype(str).str.strip()
    duplicate = ids.duplicated()
    fail_rows(units, path, id_col, duplicate, "duplicate unit id (each unit must appear once)", values=ids)
    balance = _parse_balance(args.balance)
    capacity = _parse_capacity(args.capacity)
    columns = list(balance) + list(capacity) + ([args.weight] if args.weight else [])
    if args.current:
        if args.current not in units.columns:
            raise DataValidationError(path, "unknown column", column=args.current)
    for col in columns:
        if col not in units.columns:
            raise DataValidationError(
                path, "unknown column; columns are " + ", ".join(map(str, units.columns)), column=col
            )
    measures = pd.DataFrame(
        {c: _numeric(units, c, path, ids) for c in dict.fromkeys(columns)}, index=range(len(ids))
    )
    if args.weight:
        w = measures[args.weight].to_numpy()
        neg = np.flatnonzero(w < 0)
        if len(neg):
            r = int(neg[0])
            raise DataValidationError(
                path,
                f"negative weight for unit {ids.iloc[r]} (weights must be >= 0)",
                column=args.weight,
                row=r + 2,
                value=units[args.weight].iloc[r],
                more=len(neg) - 1,
            )
    if args.territories > len(ids):
        raise DataValidationError(
            path, f"{args.territories} territories were asked for but the file has only {len(ids)} units"
        )
    if args.territories < 1:
        raise ConfigError(f"--territories must be at least 1, got {args.territories}")
    if args.max_moved is not None and not args.current:
        raise ConfigError("--max-moved needs --current COL (the current territory of each unit)")
    cost = cand = None
    if args.cost:
        cost, cand = read_cost(args.cost, ids.to_numpy())
    adjacency = None
    if args.edges:
        from terrkit.geo_adjacency import read_edges

        adjacency = read_edges(args.edges, ids.to_numpy())
    centers = "auto" if args.centers in (None, "auto") else _read_centers(args.centers, args.id)
    locks = None
    if args.lock:
        lf = _read_csv(args.lock, "lock")
        if lf.shape[1] < 2:
            raise DataValidationError(args.lock, "a lock file needs two columns: unit id, territory")
        locks = dict(
            zip(lf.iloc[:, 0].astype(str).str.strip(), lf.iloc[:, 1].astype(str).str.strip(), strict=True)
        )
    current = None
    if args.current:
        current = units[args.current].astype(object).where(units[args.current].notna(), None)
        current = [None if v is None else str(v).strip() for v in current]
    common = dict(
        balance=balance or None,
        capacity=capacity or None,
        weight=args.weight,
        contiguous=args.contiguous,
        centers=centers,
        current=current,
        max_moved=args.max_moved,
        locks=locks,
        distance_power=args.distance_power,
    )
    if is_geo and cost is None:
        import geopandas as gpd

        frame = gpd.GeoDataFrame(
            measures.assign(**{id_col: ids.to_numpy()}), geometry=units.geometry.values, crs=units.crs
        )
        if frame.geometry.isna().any() or frame.geometry.is_empty.any():
            r = int(np.flatnonzero((frame.geometry.isna() | frame.geometry.is_empty).to_numpy())[0])
            raise DataValidationError(path, f"unit {ids.iloc[r]} has no geometry", column="geometry")
        return TerritoryDesignProblem.from_geodataframe(
            frame, args.territories, id=id_col, adjacency=adjacency, source=path, **common
        )
    xy = lonlat = None
    if is_geo:
        import geopandas as gpd

        g = gpd.GeoSeries(units.geometry.values, crs=units.crs)
        pts = g.representative_point() if not (g.geom_type == "Point").all() else g
        if units.crs is None or units.crs.is_geographic:
            lonlat = np.column_stack([pts.x, pts.y])
        else:
            xy = np.column_stack([pts.x, pts.y]) / 1000.0
        if adjacency is None:
            from terrkit.geo_adjacency import unit_adjacency

            layer_cols = [c for c in ("level", "parent_id") if c in units.columns]  # a mixed unit layer
            adjacency = unit_adjacency(gpd.GeoDataFrame(units[layer_cols].reset_index(drop=True), geometry=g))
    else:
        pair = _find_pair(units, _LONLAT)
        if pair is not None:
            lonlat = np.column_stack([_numeric(units, c, path, ids) for c in pair])
            if (np.abs(lonlat[:, 0]) > 180).any() or (np.abs(lonlat[:, 1]) > 90).any():
                r = int(np.flatnonzero((np.abs(lonlat[:, 0]) > 180) | (np.abs(lonlat[:, 1]) > 90))[0])
                raise DataValidationError(
                    path,
                    f"coordinates of unit {ids.iloc[r]} are not valid lon/lat degrees",
                    column=pair[0],
                    row=r + 2,
                )
        else:
            pair = _find_pair(units, _XY)
            if pair is not None:
                xy = np.column_stack([_numeric(units, c, path, ids) for c in pair])
        if adjacency is None and (xy is not None or lonlat is not None):
            # Delaunay edges, so the summary can report contiguity even when it is not required
            from terrkit.design.problem.definition import project_lonlat_km
            from terrkit.geo_adjacency import delaunay_adjacency

            adjacency = delaunay_adjacency(xy if xy is not None else project_lonlat_km(lonlat))
        if cost is None and xy is None and lonlat is None:
            raise DataValidationError(
                path, "no coordinates: give lon/lat or x/y columns, a geo file, or --cost"
            )
    return TerritoryDesignProblem.from_arrays(
        ids.to_numpy(),
        args.territories,
        xy=xy,
        lonlat=lonlat,
        cost=cost,
        candidate_ids=cand,
        measures=measures,
        adjacency=adjacency,
        source=path,
        id_name=id_col,
        **common,
    )


def _write(result, args: argparse.Namespace, id_col: str) -> None:
    try:
        from terrkit.io import write_csv, write_json
    except ImportError:  # pragma: no cover - foundation not present
        write_csv = write_json = None
    frame = result.to_assignment_frame(id_name=id_col)
    summary = result.summary_dict()
    if write_csv is None:  # pragma: no cover
        raise SolverError("terrkit.io writers are missing")
    write_csv(frame, args.out)
    if args.report:
        write_json(summary, args.report)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def run(args: argparse.Namespace) -> int:
    """Run ``terrkit design``; returns the exit code.

    0 ok, 1 solver or internal failure, 2 bad input, 3 proven infeasible, 4 no plan meeting every
    requirement found within the work budget and time limit.
    """
    try:
        problem = build_problem(args)
        if getattr(args, "levels", None):
            from terrkit.hierarchy.command import design_levels

            print(design_levels(problem, args))
            return EXIT_OK
        result = problem.solve(
            solver=args.solver,
            time_limit=args.time_limit,
            gap=args.gap,
            seed=args.seed,
            work=getattr(args, "work", None),
        )
        if result.violations:
            broken = "; ".join(result.violations[:3])
            print(
                "terrkit design: no plan meeting every requirement was found "
                f"(stopped by {result.stopped_by}, {result.method}): {broken}; loosen the tolerances, "
                "capacities, moved-share cap or locks, or raise --work / --time-limit",
                file=sys.stderr,
            )
            return EXIT_NOT_FOUND
        _write(result, args, problem.id_name)
    except SolverError as exc:
        print(f"terrkit design: solver failure: {_one_line(exc)}", file=sys.stderr)
        return EXIT_SOLVER
    except InfeasibleError as exc:
        print(f"terrkit design: infeasible: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except (DataValidationError, ConfigError, TerrkitError, ValueError) as exc:
        print(f"terrkit design: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    extra = f", gap {result.gap:.2%}" if result.gap else ""
    print(
        f"{len(result.labels)} units -> {problem.data.k} territories: {result.status} ({result.method}), "
        f"objective {result.objective:,.6g}{extra}, {result.seconds:.1f} s, stopped by {result.stopped_by}; "
        f"wrote {args.out}" + (f" and {args.report}" if args.report else "")
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m terrkit.design.cli``) for testing before the main CLI wires it."""
    parser = argparse.ArgumentParser(prog="terrkit")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
