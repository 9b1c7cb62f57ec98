"""The alignment in force before a mid-year event: the dataset on its unit layer, scored, with its owners.

A mid-year event happens to the alignment in force, which is the last realignment's plan, not necessarily
the ``current_alignment.csv`` the dataset was loaded with. :func:`prepare_baseline` builds the unit layer as
the realignment does (:func:`terrkit.units.refine_dataset`), scores the accounts as the performance review
does, and puts in force either the dataset's own alignment or a realignment's deliverables
(``alignment.csv`` and ``account_assignments.csv``, as :func:`terrkit.realign.write_realignment` writes
them, or a :class:`terrkit.realign.Realignment` in memory): the units take the plan's territories and reps,
and every account its new owner.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from terrkit.exceptions import ConfigError, DataValidationError
from terrkit.io.load import Dataset
from terrkit.realign.deliverables import Realignment
from terrkit.review.periods import ReviewPeriod

#: Default balance of a mid-year event: workload (call hours) within ±10% of each territory's target. Mid-year
#: the job must stay doable; the balance of potential is revisited at the next annual realignment.
DEFAULT_BALANCE = {"call_hours": 0.10}

#: How a territory's workload is counted: ``territory`` (its units' accounts, as the review and the
#: realignment count it, named-account exceptions included where they sit) or ``rep`` (the accounts its rep
#: owns, exceptions counted with their owner).
BOOKS = ("territory", "rep")

#: Measures carried per unit and per account (``sales`` is the revenue at stake).
MEASURES = ("potential", "call_hours", "sales")

#: Price of travel, as in the realignment: 1% more travel weighs as much as moving 0.5% of revenue.
TRAVEL_WEIGHT = 0.5


@dataclass
class Baseline:
    """The alignment in force and everything an event is measured with.

    Attributes
    ----------
    dataset : terrkit.io.Dataset
        On the unit layer: ``units`` are the layer, ``accounts.unit_id`` layer units with their owner in
        force, ``alignment`` the alignment in force (``unit_id``, ``territory_id``, ``rep_id``, plus any
        parent columns such as ``district_id``).
    units : geopandas.GeoDataFrame
        The layer units in layer order with ``level``, ``parent_id``, geometry and the :data:`MEASURES`
        summed over their accounts.
    account_measures : pandas.DataFrame
        The :data:`MEASURES` per account (aligned with ``dataset.accounts``): potential and call hours as
        the review scores them, ``sales`` the revenue in the period (credits as 0).
    scores : pandas.DataFrame
        :func:`terrkit.review.pipeline.score_accounts_for_review`, aligned with the accounts.
    revenue : pandas.Series
        Net sales per account id in ``period`` (the revenue at stake).
    calls : numpy.ndarray
        Calls per year per account (the travel weight).
    period : terrkit.review.periods.ReviewPeriod
    balance : dict
        Measure -> tolerance every territory must meet (:data:`DEFAULT_BALANCE` by default).
    adjacency : scipy.sparse.csr_matrix
        The layer's unit graph with islands linked (:func:`terrkit.geo_adjacency.unit_graph`).
    xy : numpy.ndarray
        ``(n, 2)`` planar km of each unit.
    source : str
        Where the alignment in force comes from (for the reports).
    books : str
        How a territory's workload is counted (:data:`BOOKS`).
    """

    dataset: Dataset
    units: gpd.GeoDataFrame
    account_measures: pd.DataFrame
    scores: pd.DataFrame
    revenue: pd.Series
    calls: np.ndarray
    period: ReviewPeriod
    balance: dict[str, float]
    adjacency: sp.csr_matrix
    xy: np.ndarray
    source: str
    books: str = "territory"

    @property
    def accounts(self) -> pd.DataFrame:
        """Accounts on the layer, with their owner in force."""
        return self.dataset.accounts

    @property
    def alignment(self) -> pd.DataFrame:
        """The alignment in force, one row per aligned unit."""
        return self.dataset.alignment

    @property
    def reps(self) -> pd.DataFrame:
        """The roster."""
        return self.dataset.reps

    @property
    def unit_ids(self) -> pd.Index:
        """Unit ids in layer order."""
        return pd.Index(self.units["unit_id"].astype(str))

    def territory_of_unit(self) -> pd.Series:
        """Territory in force per unit id (missing for units no territory covers)."""
        first = self.alignment.drop_duplicates("unit_id")
        return first.set_index(first["unit_id"].astype(str))["territory_id"].reindex(self.unit_ids)

    def rep_of_territory(self) -> pd.Series:
        """Rep per territory id (missing for a vacancy)."""
        first = self.alignment.drop_duplicates("territory_id")
        return first.set_index("territory_id")["rep_id"]

    def territory_of_rep(self, rep_id: str) -> str:
        """The territory a rep holds; :class:`ConfigError` naming the reps when the rep holds none."""
        held = self.alignment.loc[self.alignment["rep_id"] == rep_id, "territory_id"].drop_duplicates()
        if held.empty:
            reps = ", ".join(sorted(self.alignment["rep_id"].dropna().astype(str).unique())[:8])
            raise ConfigError(
                f"rep {rep_id!r} holds no territory in the alignment in force (reps: {reps}, ...)"
            )
        return str(held.iloc[0])


def prepare_baseline(
    dataset: Dataset,
    *,
    in_force: str | os.PathLike | Realignment | None = None,
    balance: Mapping[str, float] | None = None,
    period: str = "",
    max_share: float = 0.2,
    layered: tuple[Dataset, object] | None = None,
    scores: pd.DataFrame | None = None,
    books: str = "territory",
) -> Baseline:
    """Build the baseline of mid-year events from a loaded dataset.

    Parameters
    ----------
    dataset : terrkit.io.Dataset
        As :func:`terrkit.io.load_dataset` gives it (on its own units).
    in_force : path or Realignment, optional
        The plan in force: a folder holding a realignment's ``alignment.csv`` and
        ``account_assignments.csv``, or the :class:`~terrkit.realign.Realignment` itself. Default: the
        dataset's ``current_alignment.csv`` and owners.
    balance : mapping {measure: tolerance}, optional
        Default :data:`DEFAULT_BALANCE`; measures among ``potential``, ``call_hours``, ``sales``.
    period : str
        Review period whose sales are the revenue at stake (default the last full year).
    max_share : float, default 0.2
        Unit layer refinement, as in the realignment (use the same value to reuse its plan).
    layered : (Dataset, UnitLayer), optional
        The dataset already refined (:func:`terrkit.units.refine_dataset`), to skip the refinement.
    scores : pandas.DataFrame, optional
        The accounts already scored (:func:`terrkit.review.pipeline.score_accounts_for_review`).
    books : {"territory", "rep"}
        How a territory's workload is counted (:data:`BOOKS`); an account an event reassigns always counts
        with its new rep.
    """
    from terrkit import review
    from terrkit.geo_adjacency import unit_graph
    from terrkit.review.pipeline import score_accounts_for_review
    from terrkit.units import refine_dataset

    if books not in BOOKS:
        raise ConfigError(f"unknown books {books!r}; valid: {', '.join(BOOKS)}")
    balance = dict(DEFAULT_BALANCE if balance is None else balance)
    unknown = [m for m in balance if m not in MEASURES]
    if unknown or not balance:
        raise ConfigError(
            f"unknown balance measure {', '.join(unknown) or '(none given)'}; valid: {', '.join(MEASURES)}"
        )
    chosen = review.resolve_period(dataset.periods, period)
    if scores is None:
        scores = score_accounts_for_review(dataset.accounts, dataset.sales, dataset.reps, chosen)
    revenue = review.account_activity(dataset.accounts, dataset.sales, chosen).set_index("account_id")[
        "sales"
    ]
    measures = pd.DataFrame(
        {
            "potential": scores["potential"].to_numpy(dtype=float),
            "call_hours": scores["call_hours"].to_numpy(dtype=float),
            "sales": dataset.accounts["account_id"].map(revenue).fillna(0.0).clip(lower=0).to_numpy(),
        },
        index=dataset.accounts.index,
    )
    if layered is None:
        k = int(dataset.alignment["territory_id"].nunique())
        layered = refine_dataset(dataset, measures[["potential", "call_hours"]], k, max_share=max_share)
    refined = layered[0]
    source = "current_alignment.csv"
    if in_force is not None:
        refined, source = _put_in_force(refined, in_force)
    units = _unit_measures(refined.units, refined.accounts, measures)
    adjacency, xy, _links = unit_graph(units)
    return Baseline(
        dataset=refined,
        units=units,
        account_measures=measures.reset_index(drop=True),
        scores=scores.reset_index(drop=True),
        revenue=revenue,
        calls=scores["calls_per_year"].to_numpy(dtype=float),
        period=chosen,
        balance=balance,
        adjacency=adjacency.tocsr(),
        xy=xy,
        source=source,
        books=books,
    )


def _unit_measures(
    layer: gpd.GeoDataFrame, accounts: pd.DataFrame, measures: pd.DataFrame
) -> gpd.GeoDataFrame:
    keep = [c for c in ("unit_id", "level", "parent_id", "county_id", "name", "state") if c in layer.columns]
    out = gpd.GeoDataFrame(layer[keep].copy(), geometry=layer.geometry.values, crs=layer.crs)
    out["unit_id"] = out["unit_id"].astype(str)
    sums = measures.groupby(accounts["unit_id"].astype(str).to_numpy()).sum()
    for col in MEASURES:
        out[col] = out["unit_id"].map(sums[col]).fillna(0.0).to_numpy()
    return out.reset_index(drop=True)


def _put_in_force(refined: Dataset, in_force: str | os.PathLike | Realignment) -> tuple[Dataset, str]:
    """The refined dataset with a realignment's alignment and owners in force."""
    from terrkit.units import map_alignment_down

    if isinstance(in_force, Realignment):
        alignment, assignments, source = in_force.alignment, in_force.assignments, "the realignment's plan"
    else:
        folder = Path(in_force)
        alignment = _read(folder / "alignment.csv", ("unit_id", "territory_id", "rep_id"))
        assignments = _read(folder / "account_assignments.csv", ("account_id", "new_rep_id"))
        source = str(folder / "alignment.csv")
    mapped = map_alignment_down(
        refined.units, alignment.drop(columns=["level", "parent_id"], errors="ignore"), source="alignment.csv"
    )
    mapped = (
        mapped.dropna(subset=["territory_id"]).drop(columns=["level", "parent_id"]).reset_index(drop=True)
    )
    owner = assignments.drop_duplicates("account_id").set_index(assignments["account_id"].astype(str))
    ids = refined.accounts["account_id"].astype(str)
    listed = ids.isin(owner.index).to_numpy()
    new_owner = ids.map(owner["new_rep_id"])
    unknown = new_owner.notna() & ~new_owner.isin(pd.Index(refined.reps["rep_id"]))
    if unknown.any():
        raise DataValidationError(
            "account_assignments.csv", "new rep is not in reps.csv", column="new_rep_id",
            value=new_owner[unknown].iloc[0],
        )  # fmt: skip
    accounts = refined.accounts.assign(
        owner_rep_id=np.where(
            listed, new_owner.to_numpy(object), refined.accounts["owner_rep_id"].to_numpy(object)
        )
    )
    return dataclasses.replace(refined, alignment=mapped, accounts=accounts), source


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise DataValidationError(
            str(path), "file not found; give the folder of a realignment's deliverables"
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(path.name, f"missing required column(s) {', '.join(missing)}")
    return frame
