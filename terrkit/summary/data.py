"""Read the deliverables of a report run that the executive summary is built from.

Every file is optional: a run without notebook 60 has no realignment files, a run of a custom pipeline
may have none at all. :func:`load_run` reads what is there and leaves the rest ``None``; the summary then
says what is missing instead of failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from terrkit.review.kpis import rep_names
from terrkit.summary.answer import (
    ISSUES_FILE,
    LAYER_FILE,
    SWEEP_FILE,
    Recommendation,
    read_recommendation,
    read_sweep,
)

_IDS = {
    "unit_id": str,
    "parent_id": str,
    "territory_id": str,
    "rep_id": str,
    "account_id": str,
    "old_rep_id": str,
    "new_rep_id": str,
    "from_rep_id": str,
    "to_rep_id": str,
}


@dataclass
class RunData:
    """The deliverables of one run (``None`` where a file is missing).

    Attributes
    ----------
    folder : pathlib.Path
        The run folder.
    recommendation : Recommendation or None
        :func:`terrkit.summary.answer.read_recommendation`.
    sweep : pandas.DataFrame or None
        ``realignment_sweep.csv`` indexed by plan.
    alignment, assignments, changes, territories, movement : pandas.DataFrame or None
        ``alignment.csv``, ``account_assignments.csv``, ``changes.csv``, ``territory_summary.csv``,
        ``rep_movement.csv``.
    issues, issues_today : pandas.DataFrame or None
        Coverage checks of the proposal (``proposal_coverage_issues.csv``) and of today's alignment
        (``review_coverage_issues.csv``, notebook 50).
    layer : geopandas.GeoDataFrame or None
        ``units_layer.gpkg``: unit geometry with today's ``territory_id`` and ``rep_id``.
    rep_names : pandas.Series
        Rep name by rep id (empty when unknown).
    accounts : pandas.DataFrame or None
        ``account_id``, ``name``, ``city``, ``state`` of the dataset's accounts, to name the accounts.
    reps : pandas.DataFrame or None
        The dataset's roster with ``home_lat`` and ``home_lon`` when known (rep homes on the maps).
    """

    folder: Path
    recommendation: Recommendation | None = None
    sweep: pd.DataFrame | None = None
    alignment: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None
    territories: pd.DataFrame | None = None
    movement: pd.DataFrame | None = None
    issues: pd.DataFrame | None = None
    issues_today: pd.DataFrame | None = None
    layer: gpd.GeoDataFrame | None = None
    rep_names: pd.Series | None = None
    accounts: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None

    @property
    def has_realignment(self) -> bool:
        """The run holds a recommendation and its change files (notebook 60 wrote its deliverables)."""
        return self.recommendation is not None and self.sweep is not None and self.changes is not None


def _csv(path: Path, **kwargs) -> pd.DataFrame | None:
    if not path.exists():
        return None
    header = pd.read_csv(path, nrows=0).columns
    dtypes = {c: t for c, t in _IDS.items() if c in header}
    return pd.read_csv(path, dtype=dtypes, keep_default_na=True, **kwargs)


def _changes(path: Path) -> pd.DataFrame | None:
    """``changes.csv`` with its revenue column (named for the period, ``revenue_2025``) as ``revenue``."""
    frame = _csv(path)
    if frame is None or "revenue" in frame.columns:
        return frame
    named = [c for c in frame.columns if c.startswith("revenue_")]
    return frame.rename(columns={named[0]: "revenue"}) if len(named) == 1 else frame


def _rep_names(folder: Path, reps: pd.DataFrame | None) -> pd.Series:
    for frame in (_csv(folder / "review_rep_kpis.csv"), reps):
        if frame is not None and {"rep_id", "name"} <= set(frame.columns):
            return rep_names(frame).astype(str)
    return pd.Series(dtype=str)


def load_run(folder: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> RunData:
    """Read the summary's inputs from a run folder.

    Parameters
    ----------
    folder : path
        The run folder.
    data_dir : path, optional
        The dataset the run was made from: account names and rep homes are read from its
        ``accounts.csv`` and ``reps.csv`` when they are there.

    Returns
    -------
    RunData
    """
    folder = Path(folder)
    sweep = read_sweep(folder) if (folder / SWEEP_FILE).exists() else None
    accounts = reps = None
    if data_dir is not None:
        data = Path(data_dir)
        if (data / "accounts.csv").exists():
            wanted = ["account_id", "name", "city", "state"]
            accounts = pd.read_csv(
                data / "accounts.csv", dtype=str, usecols=lambda c: c in wanted, keep_default_na=False
            )
        if (data / "reps.csv").exists():
            reps = pd.read_csv(data / "reps.csv", dtype={"rep_id": str, "home_zip": str})
    layer = None
    if (folder / LAYER_FILE).exists():
        layer = gpd.read_file(folder / LAYER_FILE)
        for col in ("unit_id", "territory_id", "rep_id"):
            if col in layer:
                layer[col] = layer[col].where(layer[col].isna(), layer[col].astype(str))
    return RunData(
        folder=folder,
        recommendation=read_recommendation(folder, sweep),
        sweep=sweep,
        alignment=_csv(folder / "alignment.csv"),
        assignments=_csv(folder / "account_assignments.csv"),
        changes=_changes(folder / "changes.csv"),
        territories=_csv(folder / "territory_summary.csv"),
        movement=_csv(folder / "rep_movement.csv"),
        issues=_csv(folder / ISSUES_FILE),
        issues_today=_csv(folder / "review_coverage_issues.csv"),
        layer=layer,
        rep_names=_rep_names(folder, reps),
        accounts=accounts,
        reps=reps,
    )
