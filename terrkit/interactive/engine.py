"""The editor's link to the design engine (:mod:`terrkit.design`).

The editor never imports the engine directly: it calls a *design function* that takes a
:class:`DesignRequest` and returns an object with ``labels`` (territory per unit id, a pandas Series)
and optionally ``centers`` and ``status``, like :class:`terrkit.design.DesignResult`. The default,
:func:`run_design_engine`, builds a :class:`terrkit.design.TerritoryDesignProblem`; tests pass a
fake function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
import scipy.sparse as sp


@dataclass
class DesignRequest:
    """What the editor asks the design engine for.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        Unit id column, measure columns and geometry.
    id : str
        Name of the unit id column.
    k : int
        Number of territories.
    measure : str
        Balance measure.
    tolerance : float
        Relative balance tolerance around the equal share.
    locks : dict
        {unit id: territory} units that must stay where they are (locked units, and for "rebalance the
        rest" the units moved by hand).
    current : pandas.Series or None
        Territory of each unit in the plan on screen (by unit id); it names the territories of the answer.
    centers : dict or None
        {territory: unit id} fixed centers, or None to let the engine choose them.
    contiguous : bool
        Whether every territory must be connected.
    adjacency : scipy sparse matrix or None
        Unit graph (rows in the order of ``units``), passed on so the engine does not rebuild it.
    time_limit : float
        Seconds the engine may take.
    seed : int
        Seed of the engine.
    """

    units: gpd.GeoDataFrame
    id: str
    k: int
    measure: str
    tolerance: float
    locks: dict[str, str] = field(default_factory=dict)
    current: pd.Series | None = None
    centers: dict[str, str] | None = None
    contiguous: bool = True
    adjacency: sp.spmatrix | None = None
    time_limit: float = 20.0
    seed: int = 0


class DesignAnswer(Protocol):
    """What a design function returns (a :class:`~terrkit.design.DesignResult` fits)."""

    labels: pd.Series


DesignFunction = Callable[[DesignRequest], DesignAnswer]


def run_design_engine(request: DesignRequest) -> Any:
    """Solve a :class:`DesignRequest` with :class:`terrkit.design.TerritoryDesignProblem`.

    The current plan is passed as ``current`` (so the answer keeps its territory names) when it has no
    more territories than ``k``; otherwise the engine names the territories itself.

    Returns
    -------
    terrkit.design.DesignResult
    """
    from terrkit.design.problem.definition import TerritoryDesignProblem

    cols = [request.id, request.measure, request.units.geometry.name]
    gdf = request.units[list(dict.fromkeys(cols))].copy()
    current = None
    if request.current is not None and request.current.nunique() <= request.k:
        gdf["_current"] = gdf[request.id].astype(str).map(request.current.astype(str)).to_numpy()
        current = "_current"
    problem = TerritoryDesignProblem.from_geodataframe(
        gdf,
        None if request.centers else request.k,
        id=request.id,
        balance={request.measure: request.tolerance},
        contiguous=request.contiguous,
        centers=dict(request.centers) if request.centers else "auto",
        current=current,
        locks=request.locks or None,
        adjacency=request.adjacency,
    )
    return problem.solve(time_limit=request.time_limit, seed=request.seed)


def answer_centers(answer: Any, labels: pd.Series) -> dict[str, str]:
    """{territory: center unit id} from an answer's ``centers`` (a list aligned with its territories, or a
    mapping), keeping only centers that are units of their territory."""
    centers = getattr(answer, "centers", None)
    if centers is None:
        return {}
    if isinstance(centers, Mapping):
        pairs = {str(t): str(u) for t, u in centers.items()}
    else:
        pairs = {}
        by_id = labels.astype(str)
        by_id.index = by_id.index.astype(str)
        for u in centers:
            if str(u) in by_id.index:
                pairs[by_id[str(u)]] = str(u)
    by_id = labels.astype(str)
    by_id.index = by_id.index.astype(str)
    return {t: u for t, u in pairs.items() if u in by_id.index and by_id[u] == t}
