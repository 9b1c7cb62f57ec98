"""The run's answer, written by the realignment notebook for the executive summary to read.

Notebook 60 picks the recommended plan (:func:`terrkit.realign.recommend_plan`) and writes, next to the
realignment deliverables, with :func:`write_answer`:

``recommendation.json``
    The recommended plan, the balance target and whether the plan meets it, the notebook's paragraph
    explaining it, and the headline figures of :func:`terrkit.realign.movement_summary`.
``units_layer.gpkg``
    The geometry of the unit layer the alignment is made of (counties, ZIP cells, named accounts) with
    today's territory and rep of every unit: the before and after maps of the summary.
``proposal_coverage_issues.csv``
    The performance review's coverage checks run on the proposal (territories in several pieces, units
    without a territory, ...), one row per issue.

:func:`read_recommendation` reads the JSON back; a run folder without it (an older run, or notebook 60
not run) recomputes the recommendation from ``realignment_sweep.csv`` with the same rule.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from terrkit.io import atomic_path

RECOMMENDATION_FILE = "recommendation.json"
LAYER_FILE = "units_layer.gpkg"
ISSUES_FILE = "proposal_coverage_issues.csv"
SWEEP_FILE = "realignment_sweep.csv"


@dataclass
class Recommendation:
    """The recommended plan of a run.

    Attributes
    ----------
    plan : str
        The plan's key in ``realignment_sweep.csv`` (``±10%``; ``current`` when no change is needed).
    target : float
        The balance target: the tolerance of the first balance measure (the tightest of the sweep).
    meets_target : bool
        Every territory of the plan is within the target.
    balance : dict
        Every balanced measure with its tolerance at the target (empty when unknown).
    explanation : str
        The notebook's paragraph (Markdown) explaining the choice; empty when recomputed.
    summary : dict
        :func:`terrkit.realign.movement_summary` of the plan (empty when recomputed).
    period : str
        The period whose sales are the revenue at stake (empty when unknown).
    source : str
        ``recommendation.json``, or ``realignment_sweep.csv`` when recomputed.
    """

    plan: str
    target: float
    meets_target: bool
    balance: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    summary: dict[str, float] = field(default_factory=dict)
    period: str = ""
    source: str = RECOMMENDATION_FILE


def _plain(value: Any) -> Any:
    """JSON-friendly numbers: numpy scalars to Python, NaN to None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_answer(
    output_dir: str | os.PathLike,
    *,
    plan: str,
    target: float,
    meets_target: bool,
    balance: Mapping[str, float],
    summary: Mapping[str, float],
    units: gpd.GeoDataFrame,
    current: pd.DataFrame,
    issues: pd.DataFrame | None = None,
    explanation: str = "",
    period: str = "",
) -> dict[str, Path]:
    """Write ``recommendation.json``, ``units_layer.gpkg`` and ``proposal_coverage_issues.csv``.

    Parameters
    ----------
    output_dir : path
        The run folder.
    plan, target, meets_target
        As returned and used by :func:`terrkit.realign.recommend_plan` (``target`` is the tolerance of the
        first balance measure).
    balance : mapping {measure: tolerance}
        The balance target of every measure (the notebook's ``balance`` parameter, parsed).
    summary : mapping
        ``Realignment.summary`` of the recommended plan.
    units : geopandas.GeoDataFrame
        The unit layer (``unit_id``, optional ``level``, ``parent_id``, ``county_id``, geometry).
    current : pandas.DataFrame
        Today's alignment on that layer: ``unit_id``, ``territory_id``, ``rep_id``.
    issues : pandas.DataFrame, optional
        Coverage checks of the proposal (:func:`terrkit.review.coverage_checks`).
    explanation : str
        The recommendation in words (:func:`terrkit.realign.explain_recommendation`).
    period : str
        Label of the revenue period.

    Returns
    -------
    dict
        File name -> written path.
    """
    folder = Path(output_dir)
    record = {
        "plan": plan,
        "target": float(target),
        "meets_target": bool(meets_target),
        "balance": {str(k): float(v) for k, v in balance.items()},
        "period": period,
        "explanation": explanation,
        "summary": {str(k): _plain(v) for k, v in summary.items()},
    }
    paths = {name: folder / name for name in (RECOMMENDATION_FILE, LAYER_FILE, ISSUES_FILE)}
    with atomic_path(paths[RECOMMENDATION_FILE]) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    today = current.drop_duplicates("unit_id").astype({"unit_id": str}).set_index("unit_id")
    keep = ["unit_id", *[c for c in ("level", "parent_id", "county_id") if c in units.columns], "geometry"]
    layer = units[keep].copy()
    layer["unit_id"] = layer["unit_id"].astype(str)
    layer["territory_id"] = layer["unit_id"].map(today["territory_id"])
    layer["rep_id"] = layer["unit_id"].map(today["rep_id"])
    with atomic_path(paths[LAYER_FILE]) as tmp:
        layer.to_file(tmp, driver="GPKG", layer="units")
    frame = issues if issues is not None else pd.DataFrame(columns=["kind", "territory_id", "unit_id"])
    with atomic_path(paths[ISSUES_FILE]) as tmp:
        frame.to_csv(tmp, index=False)
    return paths


def read_recommendation(
    folder: str | os.PathLike, sweep: pd.DataFrame | None = None
) -> Recommendation | None:
    """The recommendation of a run: from ``recommendation.json``, else recomputed from the sweep.

    Parameters
    ----------
    folder : path
        The run folder.
    sweep : pandas.DataFrame, optional
        ``realignment_sweep.csv`` indexed by ``plan`` (read from ``folder`` when not given).

    Returns
    -------
    Recommendation or None
        None when the run has neither file (notebook 60 did not run or wrote nothing).
    """
    from terrkit.realign import recommend_plan

    path = Path(folder) / RECOMMENDATION_FILE
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Recommendation(
            plan=str(raw["plan"]),
            target=float(raw["target"]),
            meets_target=bool(raw["meets_target"]),
            balance={str(k): float(v) for k, v in (raw.get("balance") or {}).items()},
            explanation=str(raw.get("explanation") or ""),
            summary=dict(raw.get("summary") or {}),
            period=str(raw.get("period") or ""),
        )
    if sweep is None:
        if not (Path(folder) / SWEEP_FILE).exists():
            return None
        sweep = read_sweep(folder)
    tolerances = sweep["tolerance"].dropna()
    if tolerances.empty:
        return None
    target = float(tolerances.min())
    plan, meets = recommend_plan(sweep, target)
    return Recommendation(plan=plan, target=target, meets_target=meets, source=SWEEP_FILE)


def read_sweep(folder: str | os.PathLike) -> pd.DataFrame:
    """``realignment_sweep.csv`` of a run, indexed by ``plan``, with its flags as booleans."""
    sweep = pd.read_csv(Path(folder) / SWEEP_FILE, dtype={"plan": str, "label": str, "kept_from": str})
    for col in ("meets_tolerance", "on_front"):
        if col in sweep:
            sweep[col] = sweep[col].map(_truth).astype(bool)
    if "kept_from" in sweep:
        sweep["kept_from"] = sweep["kept_from"].fillna("")
    return sweep.set_index("plan")


def _truth(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) and not (isinstance(value, float) and math.isnan(value))
