"""KPIs, balance and flags of every level: each level's totals are the sums of its children.

A district's accounts, customers, sales, potential, workload, quota and capacity are the sums of its
territories', a region's the sums of its districts'; the ratios (growth, attainment, penetration, workload
against capacity) are recomputed from the sums, and the flags of the performance review
(:func:`terrkit.review.kpis.flag_kpis`) are raised on them, with the number of flagged children beside them.
A node's balance is measured per territory: a district of 5 territories is compared with 5 territories'
worth of the measure (``<measure>_deviation``), and the balance indices of a level are those of its nodes'
values per territory.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from terrkit.hierarchy.tree import Hierarchy
from terrkit.review.balance import balance_indices
from terrkit.review.kpis import flag_kpis

#: KPI columns that add up from children to parents (those present are summed).
ADDITIVE = (
    "units", "accounts", "customers", "prospects", "sales", "sales_prev", "new_customers", "lost_customers",
    "potential", "whitespace", "workload_hours", "quota", "quota_next_year", "capacity_hours",
)  # fmt: skip

#: Measures whose balance per territory is reported at every level (those present).
BALANCED = ("sales", "potential", "workload_hours", "accounts", "customers")


def _ratios(table: pd.DataFrame) -> pd.DataFrame:
    def div(a: str, b: str) -> pd.Series:
        den = table[b].astype(float)
        return (table[a].astype(float) / den.where(den > 0)).astype(float)

    if {"sales", "sales_prev"} <= set(table):
        table["growth"] = div("sales", "sales_prev") - 1
    if {"sales", "quota"} <= set(table):
        table["attainment"] = div("sales", "quota")
    if {"sales", "potential"} <= set(table):
        table["penetration"] = div("sales", "potential")
    if {"workload_hours", "capacity_hours"} <= set(table):
        table["workload_ratio"] = div("workload_hours", "capacity_hours")
    return table


def rollup(
    territories: pd.DataFrame,
    hierarchy: Hierarchy,
    *,
    attainment_flag: float = 0.8,
    workload_flag: float = 1.15,
    measures: Sequence[str] = BALANCED,
) -> dict[str, pd.DataFrame]:
    """The KPI table of every level, bottom (``territory``) first.

    Parameters
    ----------
    territories : pandas.DataFrame
        KPIs per territory, indexed by ``territory_id`` (e.g. ``Review.territories``).
    hierarchy : Hierarchy
        The tree.
    attainment_flag, workload_flag : float
        Flag thresholds, as in the review.
    measures : sequence of str
        Measures whose per-territory balance is reported (they add up too, as the :data:`ADDITIVE` KPIs).

    Returns
    -------
    dict
        Level name -> table indexed by the level's ids: the summed KPIs, ``territories`` (leaves),
        ``children``, the recomputed ratios, the flags, ``flagged_children`` and ``<measure>_deviation``.
    """
    present = list(dict.fromkeys([c for c in (*ADDITIVE, *measures) if c in territories.columns]))
    base = territories.copy()
    base["territories"] = 1
    base["children"] = 0
    flags = [c for c in ("low_attainment", "overloaded") if c in base]
    if flags:
        base["flagged"] = base[flags].any(axis=1)
    out = {"territory": _finish(base, measures, len(base))}
    child_level, child = "territory", base
    for level in reversed(hierarchy.levels):
        parent = hierarchy.parent_of(child_level).reindex(child.index)
        table = child[[*present, "territories"]].groupby(parent.to_numpy()).sum()
        table["children"] = parent.value_counts().reindex(table.index).fillna(0).astype(int)
        if "flagged" in child:
            table["flagged_children"] = child["flagged"].groupby(parent.to_numpy()).sum().astype(int)
        table.index.name = f"{level}_id"
        table = _ratios(table)
        if "attainment" in table:
            table = flag_kpis(table, attainment_flag, workload_flag)
        if flags:
            table["flagged"] = table[[c for c in flags if c in table]].any(axis=1)
        out[level] = _finish(table, measures, len(base))
        child_level, child = level, table
    return out


def _finish(table: pd.DataFrame, measures: Sequence[str], k: int) -> pd.DataFrame:
    """Add each measure's deviation from the node's per-territory share of the total."""
    for m in measures:
        if m in table:
            target = table["territories"] * table[m].sum() / max(int(table["territories"].sum()), 1)
            table[f"{m}_deviation"] = table[m] / target.where(target > 0) - 1
    return table


def level_balance(tables: dict[str, pd.DataFrame], measures: Sequence[str] = BALANCED) -> pd.DataFrame:
    """Balance indices of every level, on its nodes' values per territory.

    Returns
    -------
    pandas.DataFrame
        Indexed by (level, measure): ``mean``, ``min``, ``max``, ``cv``, ``max_min_ratio``,
        ``max_deviation``, ``gini`` (:func:`terrkit.review.balance.balance_indices`).
    """
    parts = {}
    for level, table in tables.items():
        present = [m for m in measures if m in table]
        per = table[present].div(table["territories"], axis=0)
        parts[level] = balance_indices(per, present)
    return pd.concat(parts, names=["level", "measure"])


def levels_table(tables: dict[str, pd.DataFrame], hierarchy: Hierarchy) -> pd.DataFrame:
    """The upper levels of :func:`rollup` as one table (``hierarchy_levels.csv``), top level first.

    One row per node: ``level`` (``region``, ``district``), ``id``, its ancestors' ``<level>_id`` columns
    (a district's ``region_id``; empty at and below the row's own level) and the level's KPIs.
    """
    parts = []
    for depth, level in enumerate(hierarchy.levels):
        table = tables[level].reset_index().rename(columns={f"{level}_id": "id"})
        ancestors = hierarchy.tree.drop_duplicates(f"{level}_id").set_index(f"{level}_id")
        cols = {}
        for above in hierarchy.levels:
            col = f"{above}_id"
            own = hierarchy.levels.index(above) >= depth
            cols[col] = None if own else table["id"].map(ancestors[col]).to_numpy()
        frame = pd.DataFrame({"level": level, "id": table["id"], **cols})
        parts.append(pd.concat([frame, table.drop(columns=["id"])], axis=1))
    return pd.concat(parts, ignore_index=True)
