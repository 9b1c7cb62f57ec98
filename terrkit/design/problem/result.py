"""Result of a territory design solve: assignment, quality figures and a JSON-ready summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.design.problem.definition import DesignData


def count_fragments(adjacency: sp.csr_matrix, labels: np.ndarray, k: int) -> tuple[int, np.ndarray]:
    """Connected pieces of each territory in the unit graph.

    Returns
    -------
    fragments : int
        :math:`\\sum_t (\\text{components}_t - 1)` over non-empty territories: 0 when every territory is
        connected.
    pieces : numpy.ndarray
        ``(k,)`` number of connected components per territory (0 for an empty territory).
    """
    labels = np.asarray(labels)
    adj = sp.csr_matrix(adjacency)
    coo = adj.tocoo()
    same = labels[coo.row] == labels[coo.col]
    g = sp.csr_matrix((np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=adj.shape)
    _, comp = connected_components(g, directed=False)
    pieces = np.zeros(k, dtype=int)
    pairs = np.unique(np.stack([labels, comp], axis=1), axis=0)
    np.add.at(pieces, pairs[:, 0], 1)
    return int(np.maximum(pieces - 1, 0).sum()), pieces


def objective_value(data: DesignData, labels: np.ndarray, centers: np.ndarray) -> float:
    """Objective of an assignment: :math:`\\sum_i w_i c(i, \\text{center}(t_i))^{p}` plus move penalties."""
    labels = np.asarray(labels)
    obj = float(np.sum(data.weight * data.unit_cost(np.arange(data.n), np.asarray(centers)[labels])))
    if data.current is not None and data.move_penalty:
        moved = (data.current >= 0) & (labels != data.current)
        obj += data.move_penalty * float(moved.sum())
    return obj


@dataclass
class DesignResult:
    """Territory design answer.

    Attributes
    ----------
    labels : pandas.Series
        Territory (0..k-1) of each unit, indexed by unit id.
    centers : list
        Center of each territory: a unit id, or the given center's id for fixed point centers.
    status : str
        ``"optimal"`` (proven), ``"feasible"`` (every requirement met, but not proven best: time
        limit, gap stop or heuristic) or ``"requirements_not_met"`` (the best plan found breaks at
        least one requirement; :attr:`violations` says which). A proven infeasible problem raises
        :class:`~terrkit.exceptions.InfeasibleError` instead of returning.
    objective, bound, gap : float or None
        Objective of the answer (recomputed from the assignment), best lower bound and relative gap
        :math:`(\\text{objective} - \\text{bound}) / \\text{objective}`.
    seconds : float
        Wall-clock time of the solve.
    method : str
        What produced the answer (e.g. ``"mip-pmedian-radius"``, ``"mip-assign"``, ``"heuristic-..."``).
    territory_totals : pandas.DataFrame
        One row per territory: center, units, and the total of every measure.
    max_deviation : dict
        Per balance measure, the largest relative deviation of a territory from its target.
    contiguous : bool or None
        Whether every territory is connected (None when no adjacency is known).
    fragments : int or None
        :math:`\\sum_t(\\text{pieces}_t - 1)`; 0 when contiguous.
    moved_share : float or None
        Share of the moved measure (default: the weight) that changes territory, when a current
        alignment was given.
    island_links : list of tuple
        Links added to the adjacency to connect islands.
    bound_note : str
        Set when the bound is not a separate proof but the objective itself: the method reached a
        proven optimum that reports no bound of its own (CBC, or each unit at its nearest fixed center).
    stopped_by : str
        Why the solve stopped: ``"converged"`` (the exact model proved its answer, or every step of the
        heuristic ended by its own rule), ``"budget"`` (a heuristic step ran out of work) or
        ``"time_limit"`` (the time limit cut it short: only then may a busy machine give another plan).
    work_used, work_budget : float or None
        The heuristic's work units spent and allowed (None for the exact model).
    """

    labels: pd.Series
    centers: list
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    method: str
    territory_totals: pd.DataFrame
    max_deviation: dict[str, float]
    contiguous: bool | None
    fragments: int | None
    moved_share: float | None = None
    moved_units: int | None = None
    island_links: list[tuple] = field(default_factory=list)
    center_is_unit: bool = True
    violations: list[str] = field(default_factory=list)
    bound_note: str = ""
    stopped_by: str = "converged"
    work_used: float | None = None
    work_budget: float | None = None

    def matched_to(self, current: pd.Series, weight: pd.Series | None = None) -> DesignResult:
        """A copy whose territories carry the names of the current territories they overlap most.

        Proposed and current territories are paired by a maximum-weight matching (Hungarian algorithm)
        on the shared ``weight`` (unit count when None); unmatched proposed territories keep a ``new_``
        name. ``moved_share`` is then the share of ``weight`` whose territory changes.

        Parameters
        ----------
        current : pandas.Series
            Current territory per unit id.
        weight : pandas.Series, optional
            Measure per unit id whose overlap is maximised (e.g. sales).
        """
        from scipy.optimize import linear_sum_assignment

        ids = self.labels.index.astype(str)
        cur = pd.Series(current).copy()
        cur.index = cur.index.astype(str)
        cur = cur.reindex(ids)
        w = (
            pd.Series(1.0, index=ids)
            if weight is None
            else pd.Series(weight).set_axis(pd.Series(weight).index.astype(str)).reindex(ids).fillna(0.0)
        )
        prop = pd.Index(pd.unique(self.labels))
        old = pd.Index(pd.unique(cur.dropna()))
        overlap = np.zeros((len(prop), len(old)))
        pi = prop.get_indexer(self.labels.to_numpy())
        has = cur.notna().to_numpy()
        oi = old.get_indexer(cur.to_numpy()[has])
        np.add.at(overlap, (pi[has], oi), w.to_numpy()[has])
        rows, cols = linear_sum_assignment(-overlap)
        mapping = {prop[r]: old[c] for r, c in zip(rows, cols, strict=True)}
        used = set(mapping.values())
        for j, t in enumerate(p for p in prop if p not in mapping):
            name = f"new_{j + 1}"
            while name in used:
                name += "_"
            mapping[t] = name
        out = DesignResult(**{**self.__dict__})
        out.labels = self.labels.map(mapping)
        out.territory_totals = self.territory_totals.rename(index=mapping)
        moved = has & (out.labels.to_numpy() != cur.to_numpy())
        total = float(w.to_numpy()[has].sum())
        out.moved_share = float(w.to_numpy()[moved].sum()) / total if total > 0 else 0.0
        out.moved_units = int(moved.sum())
        return out

    def to_assignment_frame(self, id_name: str = "unit_id") -> pd.DataFrame:
        """One row per unit: id, territory and whether the unit is its territory's center."""
        centers = set(self.centers) if self.center_is_unit else set()
        ids = self.labels.index
        return pd.DataFrame(
            {
                id_name: ids,
                "territory": self.labels.to_numpy(),
                "is_center": [i in centers for i in ids],
            }
        )

    def summary_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the keys of the ``terrkit design --report`` file)."""

        def num(x: Any) -> Any:
            if x is None:
                return None
            if isinstance(x, (np.integer,)):
                return int(x)
            if isinstance(x, (float, np.floating)):
                return None if not math.isfinite(float(x)) else float(x)
            return x

        territories = []
        for t, row in self.territory_totals.iterrows():
            entry = {"territory": num(t), "center": num(row["center"]), "units": int(row["units"])}
            entry.update(
                {c: num(row[c]) for c in self.territory_totals.columns if c not in ("center", "units")}
            )
            territories.append(entry)
        out = {
            "status": self.status,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            **({"bound_note": self.bound_note} if self.bound_note else {}),
            "seconds": round(float(self.seconds), 3),
            "stopped_by": self.stopped_by,
            **(
                {"work_used": round(self.work_used), "work_budget": round(self.work_budget)}
                if self.work_used is not None
                else {}
            ),
            "method": self.method,
            "territories": territories,
            "max_deviation": {k: num(v) for k, v in self.max_deviation.items()},
            "contiguous": self.contiguous,
            "fragments": self.fragments,
        }
        if self.moved_share is not None:
            out["moved_share"] = num(self.moved_share)
        if self.island_links:
            out["island_links"] = [[num(a), num(b)] for a, b in self.island_links]
        if self.violations:
            out["violations"] = list(self.violations)
        return out


def _amount(x: float) -> str:
    """A measure total for a message: 17,268,300 rather than 1.72683e+07; small values keep decimals."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}"


def requirement_violations(
    data: DesignData, labels: np.ndarray, names: list, centers: np.ndarray | None = None
) -> list[str]:
    """Requirements an assignment breaks, each in business words (empty when it meets them all).

    Checked independently of how the assignment was found: one territory per unit among the ``k``,
    no empty territory, each center unit in its own territory (when ``centers`` are units), every
    balance and capacity bound of every territory, contiguity when required, the moved-share cap,
    locks and forbidden pairs.
    """
    labels = np.asarray(labels, dtype=int)
    if len(labels) != data.n:
        return [f"the assignment has {len(labels)} labels for {data.n} units"]
    outside = np.flatnonzero((labels < 0) | (labels >= data.k))
    if len(outside):
        return [
            f"unit {data.ids[outside[0]]} has no territory among the {data.k} (label {labels[outside[0]]})"
        ]
    out: list[str] = []
    empty = np.flatnonzero(np.bincount(labels, minlength=data.k) == 0)
    if len(empty):
        out.append(
            f"{len(empty)} territor{'ies are' if len(empty) > 1 else 'y is'} empty, e.g. {names[empty[0]]}"
        )
    if centers is not None and data.centers_are_units:
        centers = np.asarray(centers, dtype=int)
        astray = np.flatnonzero(labels[centers] != np.arange(data.k))
        if len(astray):
            t = astray[0]
            out.append(
                f"the center of territory {names[t]}, unit {data.ids[centers[t]]}, lies in another territory"
            )
    sums = np.zeros((data.k, data.q))
    np.add.at(sums, labels, data.measures)
    for j, measure in enumerate(data.measure_names):
        slack = 1e-9 * max(1.0, float(np.abs(data.measures[:, j]).sum()))
        over = np.flatnonzero(sums[:, j] > data.upper[:, j] + slack)
        under = np.flatnonzero(sums[:, j] < data.lower[:, j] - slack)
        for t in over[:3]:
            total, bound = _amount(sums[t, j]), _amount(data.upper[t, j])
            out.append(f"territory {names[t]} has {measure} {total} above its upper bound {bound}")
        for t in under[:3]:
            total, bound = _amount(sums[t, j]), _amount(data.lower[t, j])
            out.append(f"territory {names[t]} has {measure} {total} below its lower bound {bound}")
        if len(over) + len(under) > 6:
            out.append(f"{len(over) + len(under)} territories in all are outside their {measure} bounds")
    if data.contiguous and data.adjacency is not None:
        fragments, _ = count_fragments(data.adjacency, labels, data.k)
        if fragments:
            out.append(f"territories are not contiguous: {fragments} detached piece(s)")
    if data.current is not None and data.max_moved is not None:
        has = data.current >= 0
        measure = data.weight if data.moved_measure is None else data.moved_measure
        total = float(measure[has].sum())
        moved = float(measure[has & (labels != data.current)].sum()) / total if total > 0 else 0.0
        if moved > data.max_moved + 1e-9:
            out.append(
                f"{moved:.1%} of the moved measure changes territory, above the cap of {data.max_moved:.1%}"
            )
    locked = data.locked >= 0
    broken = np.flatnonzero(locked & (labels != data.locked))
    if len(broken):
        out.append(f"{len(broken)} locked unit(s) left their territory, e.g. unit {data.ids[broken[0]]}")
    if len(data.forbidden):
        pairs = np.asarray(data.forbidden, dtype=int)
        hit = pairs[labels[pairs[:, 0]] == pairs[:, 1]]
        if len(hit):
            out.append(
                f"unit {data.ids[hit[0, 0]]} is in territory {names[hit[0, 1]]}, which is forbidden for it"
            )
    return out


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """:math:`(\\text{objective} - \\text{bound}) / |\\text{objective}|`, 0 when both are 0."""
    if objective is None or bound is None:
        return None
    if abs(objective) < 1e-12:
        return 0.0 if abs(bound) < 1e-12 else None
    return max(0.0, (objective - bound) / abs(objective))


def build_result(
    data: DesignData,
    labels: np.ndarray,
    centers: np.ndarray,
    *,
    status: str,
    bound: float | None,
    seconds: float,
    method: str,
    center_ids: list | None = None,
    target: np.ndarray | None = None,
    balance_names: list[str] | None = None,
) -> DesignResult:
    """Assemble a :class:`DesignResult` from array answers, recomputing every figure independently.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(n,)`` territory index of each unit.
    centers : numpy.ndarray
        ``(k,)`` candidate (column) index of each territory's center.
    center_ids : list, optional
        Ids of the candidate columns; default: unit ids.
    target : numpy.ndarray, optional
        ``(k, q)`` targets for the deviation figures (NaN for capacity-only measures).
    balance_names : list of str, optional
        Measures to report ``max_deviation`` for (default: those with a finite target).
    """
    labels = np.asarray(labels, dtype=int)
    centers = np.asarray(centers, dtype=int)
    k = data.k
    cids = list(data.ids) if center_ids is None else list(center_ids)
    center_list = [cids[c] for c in centers]
    objective = objective_value(data, labels, centers)
    if status == "optimal" and bound is not None and bound < objective - 1e-6 * max(1, abs(objective)):
        # the recomputed objective is the truth; a bound below it is not a proof any more
        status = "feasible"
    counts = np.bincount(labels, minlength=k)
    totals = pd.DataFrame({"center": center_list, "units": counts}, index=pd.RangeIndex(k, name="territory"))
    sums = np.zeros((k, data.q))
    np.add.at(sums, labels, data.measures)
    for j, name in enumerate(data.measure_names):
        totals[name] = sums[:, j]
    max_dev: dict[str, float] = {}
    if target is not None:
        for j, name in enumerate(data.measure_names):
            if balance_names is not None and name not in balance_names:
                continue
            tj = target[:, j]
            if np.all(np.isfinite(tj)) and np.all(tj > 0):
                max_dev[name] = float(np.max(np.abs(sums[:, j] - tj) / tj))
    contiguous = fragments = None
    if data.adjacency is not None:
        fragments, _ = count_fragments(data.adjacency, labels, k)
        contiguous = fragments == 0
    moved_share = moved_units = None
    if data.current is not None:
        has = data.current >= 0
        moved = has & (labels != data.current)
        mm = data.weight if data.moved_measure is None else data.moved_measure
        total = float(mm[has].sum())
        moved_share = float(mm[moved].sum()) / total if total > 0 else 0.0
        moved_units = int(moved.sum())
    bound_note = ""
    if status == "optimal" and bound is None:
        bound = objective
        bound_note = (
            "the bound is the objective: the method proves its answer optimal but reports no bound of its own"
        )
    return DesignResult(
        labels=pd.Series(labels, index=pd.Index(data.ids, name="unit_id"), name="territory"),
        centers=center_list,
        status=status,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=float(seconds),
        method=method,
        territory_totals=totals,
        max_deviation=max_dev,
        contiguous=contiguous,
        fragments=fragments,
        moved_share=moved_share,
        moved_units=moved_units,
        island_links=list(data.island_links),
        center_is_unit=center_ids is None,
        bound_note=bound_note,
    )


def plot_design(units, result: DesignResult, *, title: str = "Territories", id_col: str = "unit_id", ax=None):
    """Static map of an alignment: one colour per territory, centers marked (equal-area projection).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit geometry with an id column ``id_col``.
    result : DesignResult
        The alignment to draw (its labels are joined to ``units`` by id).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from terrkit.geo import equal_area_of

    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 6.5))
    else:
        fig = ax.figure
    frame = units[[id_col, "geometry"]].to_crs(equal_area_of(units.geometry))
    lab = result.labels.copy()
    lab.index = lab.index.astype(str)
    codes = {t: i for i, t in enumerate(pd.unique(lab))}
    frame = frame.assign(code=frame[id_col].astype(str).map(lab).map(codes))
    base = plt.get_cmap("tab20").colors + plt.get_cmap("tab20b").colors + plt.get_cmap("tab20c").colors
    rng = np.random.default_rng(0)
    colours = [base[i] for i in rng.permutation(len(base))]
    cmap = ListedColormap([colours[i % len(colours)] for i in range(max(len(codes), 1))])
    frame.plot(
        column="code",
        cmap=cmap,
        ax=ax,
        linewidth=0.05,
        edgecolor="white",
        missing_kwds={"color": "lightgrey"},
    )
    if result.center_is_unit:
        ctr = frame[frame[id_col].astype(str).isin({str(c) for c in result.centers})]
        pts = ctr.representative_point()
        ax.scatter(pts.x, pts.y, s=10, c="black", marker="^", label="center")
        ax.legend(loc="lower left", frameon=False)
    ax.set_title(title)
    ax.set_axis_off()
    return fig


def compare_results(results: dict[str, DesignResult]) -> pd.DataFrame:
    """One row per named alignment: objective, max deviation per balance measure, contiguity, moved share."""
    rows = {}
    for name, r in results.items():
        row = {"objective": r.objective, "territories": int(r.labels.nunique())}
        row.update({f"max_deviation_{k}": v for k, v in r.max_deviation.items()})
        row.update(
            {
                "contiguous": r.contiguous,
                "fragments": r.fragments,
                "moved_share": r.moved_share,
                "status": r.status,
                "method": r.method,
            }
        )
        rows[name] = row
    return pd.DataFrame(rows).T
