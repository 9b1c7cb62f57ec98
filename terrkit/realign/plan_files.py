"""The plans of a run that are not the plan of record, in ``plans/``, each named for what it is.

A report run has **one plan of record**: the realignment's recommended plan (``alignment.csv`` and every
deliverable derived from it). The other plans a run computes are options, not instructions, so they go in
a ``plans/`` folder where nobody loads them into a CRM by mistake:

``plans/least_disruption_within_5pct.csv`` (one per swept tolerance)
    The least-disruption plan of that balance tolerance (notebook 60's front); a wider tolerance whose
    tighter plan was kept holds that plan.
``plans/compact_design.csv``
    Notebook 40's design from scratch: the most compact balanced territories, centers free, without
    regard to today's relationships.

Every plan file has the columns of ``alignment.csv``: ``unit_id`` (and ``level``, ``parent_id`` on a mixed
unit layer), ``territory_id``, ``rep_id``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from terrkit.io import write_all
from terrkit.realign.moves import proposal_alignment

#: The folder of a run's other plans.
PLANS_FOLDER = "plans"


def least_disruption_file(tolerance: float) -> str:
    """File name of the least-disruption plan of a balance tolerance.

    Examples
    --------
    >>> least_disruption_file(0.05)
    'least_disruption_within_5pct.csv'
    >>> least_disruption_file(0.025)
    'least_disruption_within_2.5pct.csv'
    """
    pct = round(tolerance * 100, 6)
    text = f"{pct:.0f}" if pct == round(pct) else f"{pct:g}"
    return f"least_disruption_within_{text}pct.csv"


def plan_alignment(
    labels: pd.Series, rep_map: pd.DataFrame, units: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A plan (territory label per unit) as an alignment with the columns of ``alignment.csv``.

    Parameters
    ----------
    labels : pandas.Series
        Territory label per unit, indexed by ``unit_id``.
    rep_map : pandas.DataFrame
        ``proposal`` (label), ``territory_id``, ``rep_id``.
    units : pandas.DataFrame, optional
        ``unit_id, level, parent_id`` of a mixed unit layer, added when given.
    """
    alignment = proposal_alignment(labels, rep_map)
    if units is not None and {"level", "parent_id"} <= set(units.columns):
        levels = units[["unit_id", "level", "parent_id"]].astype({"unit_id": str})
        alignment = alignment.astype({"unit_id": str}).merge(levels, on="unit_id", how="left")
        alignment = alignment[["unit_id", "level", "parent_id", "territory_id", "rep_id"]]
    return alignment


def front_plans(
    table: pd.DataFrame,
    proposals: Mapping[str, pd.Series],
    rep_map: pd.DataFrame,
    units: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The alignment of every swept tolerance that has a plan, by file name.

    Parameters
    ----------
    table : pandas.DataFrame
        The sweep (:attr:`terrkit.realign.front.FrontResult.table`): ``tolerance`` per plan key.
    proposals : mapping
        Plan key -> territory label per unit (:attr:`~terrkit.realign.front.FrontResult.proposals`).
    rep_map, units
        As in :func:`plan_alignment`.
    """
    out: dict[str, pd.DataFrame] = {}
    for key, row in table.iterrows():
        if key == "current" or key not in proposals or pd.isna(row.get("tolerance")):
            continue
        out[least_disruption_file(float(row["tolerance"]))] = plan_alignment(proposals[key], rep_map, units)
    return out


def write_plans(plans: Mapping[str, pd.DataFrame], output_dir: str | os.PathLike) -> dict[str, Path]:
    """Write plans into ``output_dir/plans/``, all or none.

    Parameters
    ----------
    plans : mapping
        File name -> alignment (:func:`front_plans`, :func:`plan_alignment`).
    output_dir : str or os.PathLike
        The run folder.

    Returns
    -------
    dict
        File name -> written path.
    """
    folder = Path(output_dir) / PLANS_FOLDER
    paths = {name: folder / name for name in plans}
    write_all(
        {paths[name]: (lambda tmp, t=table: t.to_csv(tmp, index=False)) for name, table in plans.items()}
    )
    return paths
