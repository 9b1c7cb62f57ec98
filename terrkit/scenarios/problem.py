"""An event as a design problem: the realignment's costs, the books' bands, locks and the event's own moves.

:func:`event_problem` turns the baseline and the territories after an event into the
:class:`~terrkit.scenarios.staged.EventProblem` that :func:`~terrkit.scenarios.staged.solve_staged` solves:

- **cost**: :func:`terrkit.realign.least_disruption.realignment_costs` (the revenue that changes rep when a
  unit joins a territory, and the call-weighted km to the territory's home), priced as in the realignment
  (``travel_weight``), plus, for a unit that is not the event's, a price on leaving its territory of at
  least what the move would save in travel: no unit moves for travel alone;
- **bands**: :func:`terrkit.scenarios.books.event_bands` on the territories' whole books, the exceptions
  entering the engine as offsets (:func:`terrkit.scenarios.books.unit_measures`);
- **locks**: each rep's home unit stays in the rep's territory, and the caller's locks hold;
- **pieces**: a territory already in several pieces keeps them (its pieces are joined by a link between
  their nearest units), so that an event does not have to mend what it did not break; what a territory
  gains must touch one of its pieces;
- **core**: the territories the event concerns, plus every territory outside its band before anything moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from terrkit.exceptions import ConfigError
from terrkit.realign.least_disruption import (
    RealignmentCosts,
    Territories,
    home_units,
    realignment_costs,
    travel_weight_scale,
)
from terrkit.scenarios.baseline import TRAVEL_WEIGHT, Baseline
from terrkit.scenarios.books import (
    book_territory,
    book_totals,
    event_bands,
    unit_measures,
    with_owner,
)
from terrkit.scenarios.staged import EventProblem


def event_problem(
    base: Baseline,
    territories: Territories,
    *,
    owners: pd.Series | None = None,
    carried: np.ndarray | None = None,
    reps: pd.DataFrame | None = None,
    shares: Sequence[float] | None = None,
    stage0: np.ndarray,
    core: Sequence[str],
    locks: Mapping[str, str] | None = None,
    free_columns: Sequence[str] = (),
    strict: Sequence[str] = (),
    travel_weight: float = TRAVEL_WEIGHT,
    contiguous: bool = True,
) -> tuple[EventProblem, RealignmentCosts]:
    """The event's design problem (see the module docstring).

    Parameters
    ----------
    base : Baseline
    territories : terrkit.realign.Territories
        The territories after the event, centered on their reps' homes.
    owners : pandas.Series, optional
        Owner of each account in the plan (aligned with ``base.accounts``): None for the accounts of a rep
        who leaves, the new owner of a reassigned account; default the owners in force.
    reps : pandas.DataFrame, optional
        The roster with the homes of every owner (default ``base.reps``; add a joining rep).
    shares : sequence of float, optional
        Target share of each territory (default equal).
    stage0 : numpy.ndarray
        ``(n, k)`` the event's own moves (pairs allowed at stage 0 besides staying).
    core : sequence of str
        Territories the event concerns.
    locks : mapping {unit id: territory id}, optional
        Units that must end in a territory.
    free_columns : sequence of str
        Territories a unit may join without the price on leaving its own (a new territory).
    strict : sequence of str
        Territories that must end within their band even if they were outside it before
        (:func:`terrkit.scenarios.books.event_bands`).
    """
    accounts = base.accounts if owners is None else base.accounts.assign(owner_rep_id=owners.to_numpy())
    roster = base.reps if reps is None else reps
    costs = realignment_costs(
        accounts, base.revenue, base.calls, base.alignment, roster, base.unit_ids, territories
    )
    names = list(base.balance)
    held = pd.Series(territories.ids, index=pd.Index(territories.rep_ids, dtype=object))
    held = held[held.index.notna()]
    owner_terr = accounts["owner_rep_id"].map(held[~held.index.duplicated()])
    exc = with_owner(accounts, base.alignment, base.books, carried) & owner_terr.notna().to_numpy()
    measures, offset = unit_measures(
        accounts, base.account_measures[names], base.unit_ids, exc, owner_terr, territories.ids
    )
    in_force = base.alignment["territory_id"].drop_duplicates().astype(str).tolist()
    before = book_totals(
        book_territory(base.accounts, base.alignment, base.books), base.account_measures, in_force
    )
    bands = event_bands(
        territories.ids, base.account_measures.sum(), base.balance, before, shares=shares, strict=strict
    )
    cost = priced_costs(costs, travel_weight, free_columns)
    lock = lock_columns(base, territories, locks)
    ep = EventProblem(
        unit_ids=base.unit_ids.to_numpy(dtype=object),
        territory_ids=list(territories.ids),
        cost=cost,
        current=costs.current.copy(),
        measures=measures,
        offset=offset,
        bands=bands,
        adjacency=link_pieces(base.adjacency, costs.current, base.xy),
        xy=base.xy,
        locks=lock,
        stage0=np.asarray(stage0, dtype=bool) | _unplaced(costs.current, territories.k),
        core=np.zeros(0, dtype=int),
        contiguous=contiguous,
    )
    ep.core = core_columns(ep, core)
    return ep, costs


def _unplaced(current: np.ndarray, k: int) -> np.ndarray:
    """Units without a territory may go anywhere from stage 0 (they have to go somewhere)."""
    out = np.zeros((len(current), k), dtype=bool)
    out[current < 0] = True
    return out


def priced_costs(
    costs: RealignmentCosts, travel_weight: float, free_columns: Sequence[str] = ()
) -> np.ndarray:
    """Moved revenue + priced travel, plus the price on leaving one's territory (module docstring)."""
    scale = travel_weight_scale(costs, travel_weight)
    travel = scale * costs.travel
    cost = costs.moved_revenue + travel
    has = costs.current >= 0
    rows = np.flatnonzero(has)
    saving = np.maximum(travel[rows, costs.current[has]] - travel[rows].min(axis=1), 0.0)
    tiny = 1e-6 * max(costs.revenue_total, 1.0) / max(len(costs.current), 1)
    price = np.zeros(len(costs.current))
    price[rows] = saving + tiny
    leave = np.ones(cost.shape, dtype=bool)
    leave[rows, costs.current[has]] = False
    leave[~has] = False
    free = pd.Index(costs.territories.ids).get_indexer(list(free_columns))
    leave[:, free[free >= 0]] = False
    return cost + np.where(leave, price[:, None], 0.0)


def lock_columns(base: Baseline, territories: Territories, locks: Mapping[str, str] | None) -> np.ndarray:
    """``(n,)`` column each unit is locked to (-1 free): the reps' home units, then the caller's locks."""
    index = base.unit_ids
    cols = pd.Index(territories.ids)
    out = np.full(len(index), -1, dtype=np.int64)
    for tid, uid in home_units(base.units, territories).items():
        out[index.get_loc(uid)] = cols.get_loc(tid)
    for uid, tid in (locks or {}).items():
        u, t = index.get_indexer([str(uid)])[0], cols.get_indexer([str(tid)])[0]
        if u < 0:
            raise ConfigError(f"lock: {uid!r} is not a unit of the layer (e.g. {index[0]!r})")
        if t < 0:
            raise ConfigError(
                f"lock of unit {uid}: territory {tid!r} does not exist after the event "
                f"(territories: {', '.join(cols[:8])}, ...)"
            )
        out[u] = t
    return out


def link_pieces(adjacency: sp.csr_matrix, labels: np.ndarray, xy: np.ndarray) -> sp.csr_matrix:
    """The unit graph plus, for each territory in several pieces, a link from each piece to its largest
    one (between their nearest units), so that today's pieces count as one territory."""
    adj = sp.csr_matrix(adjacency)
    coo = adj.tocoo()
    same = labels[coo.row] == labels[coo.col]
    inside = sp.csr_matrix((np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=adj.shape)
    _, comp = connected_components(inside, directed=False)
    rows, cols = [], []
    for t in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == t)
        pieces = comp[members]
        ids, sizes = np.unique(pieces, return_counts=True)
        if len(ids) < 2:
            continue
        main = members[pieces == ids[np.argmax(sizes)]]
        tree = cKDTree(xy[main])
        for p in ids[ids != ids[np.argmax(sizes)]]:
            piece = members[pieces == p]
            dist, near = tree.query(xy[piece])
            j = int(np.argmin(dist))
            rows += [piece[j], main[near[j]]]
            cols += [main[near[j]], piece[j]]
    if not rows:
        return adj
    links = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=adj.shape)
    return ((adj + links) > 0).astype(np.int8).tocsr()


def core_columns(ep: EventProblem, core: Sequence[str]) -> np.ndarray:
    """Columns of ``core``, plus territories outside their band today, plus the targets of locks that move a
    unit, plus the territories next to units without a territory."""
    cols = pd.Index(ep.territory_ids)
    given = cols.get_indexer([str(t) for t in core])
    out = set(given[given >= 0].tolist())
    today = ep.current.copy()
    out |= set(np.flatnonzero(~ep.bands.within(ep.totals(today))).tolist())
    moved = (ep.locks >= 0) & (ep.locks != ep.current)
    out |= set(ep.locks[moved].tolist())
    unplaced = np.flatnonzero(ep.current < 0)
    if len(unplaced):
        nbr = ep.adjacency[unplaced].tocoo().col
        out |= set(ep.current[nbr][ep.current[nbr] >= 0].tolist())
    return np.array(sorted(out), dtype=int)
