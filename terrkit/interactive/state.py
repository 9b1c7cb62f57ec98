"""Editor state: the assignment of units to territories and everything the balance table shows.

Pure logic, no widgets: the map and the editor only read this object and call its methods, so every
behaviour (assign, undo, redo, lock, totals, contiguity, moved share) is tested without a browser.

Model
-----
Units :math:`i = 0..n-1` carry measures :math:`m_{ij}` (accounts, sales, ...). The plan is a label
:math:`t_i \\in \\{0..k-1\\}` per unit; the starting plan :math:`s_i` is kept for comparison.

- Territory totals: :math:`M_{tj} = \\sum_{i: t_i = t} m_{ij}`; their sum over territories is the
  (constant) column total.
- Target and deviation: :math:`T_j = \\sum_i m_{ij} / k` (equal shares unless targets are given) and
  :math:`d_{tj} = (M_{tj} - T_j) / T_j`; a territory is in balance on measure :math:`j` when
  :math:`|d_{tj}| \\le \\tau`.
- Contiguity: territory :math:`t` is contiguous when the units with :math:`t_i = t` form one connected
  component of the unit graph (queen contiguity for polygons), counted with scipy's connected components
  on the edges whose two ends share a label.
- Moved share (of a measure :math:`m`): :math:`\\sum_{i: t_i \\ne s_i} m_i / \\sum_i m_i` over the units
  that have a starting territory. Per territory, *moved in* is the share of its current total that
  started elsewhere and *moved out* the share of its starting total that is now elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from terrkit.exceptions import ConfigError, DataValidationError


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class Edit:
    """One recorded change of the plan (an entry of the undo history).

    Attributes
    ----------
    kind : str
        ``"assign"`` (by hand) or ``"replace"`` (a new plan from the design engine).
    units : numpy.ndarray
        Indices of the units whose territory changed.
    before, after : numpy.ndarray
        Territory index of those units before and after the change.
    edited_before, edited_after : numpy.ndarray
        Whether those units counted as edited by hand before and after the change.
    refused : numpy.ndarray
        Indices of locked units that the change left where they were.
    note : str
        Human-readable description ("moved 3 units to T07").
    """

    kind: str
    units: np.ndarray
    before: np.ndarray
    after: np.ndarray
    edited_before: np.ndarray
    edited_after: np.ndarray
    refused: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    note: str = ""

    @property
    def territories(self) -> np.ndarray:
        """Indices of the territories this change touched (losers and gainers), sorted."""
        return np.unique(np.concatenate([self.before, self.after]))


class EditorState:
    """Assignment of units to territories with history, locks and live balance figures.

    Parameters
    ----------
    ids : sequence
        Unit ids (unique; compared as strings).
    territories : sequence
        Territory names, in display order.
    labels : sequence
        Territory name of each unit (the plan the editor opens with).
    measures : DataFrame or mapping of column -> values
        Numeric measures per unit, aligned with ``ids``.
    adjacency : scipy sparse matrix, optional
        ``(n, n)`` symmetric unit graph; without it contiguity is not reported (None).
    start : sequence, optional
        Territory name of each unit in the starting plan that moved shares are measured against
        (default: ``labels``). Names that are not in ``territories`` (after a change of the number of
        territories) count as "elsewhere"; None or NaN means the unit had no territory.
    locked : sequence of bool, optional
        Units locked from the start.
    tolerance : float, default 0.1
        Relative balance tolerance :math:`\\tau` used to flag territories.
    balance : sequence of str, optional
        Measures the deviation is reported for (default: all).
    targets : mapping of measure -> float or sequence of k floats, optional
        Target per territory; default the equal share :math:`\\sum_i m_{ij} / k`.
    moved_measure : str, optional
        Measure the moved shares are weighted by (default: the first balance measure).
    xy : array (n, 2), optional
        Planar coordinates (km), used to pick a center unit per territory when saving.
    centers : mapping of territory -> unit id, optional
        Known centers (from the design engine); kept while the unit stays in its territory.

    Raises
    ------
    DataValidationError
        Duplicate ids, labels naming unknown territories, non-numeric measures or mismatched lengths.
    """

    def __init__(
        self,
        ids: Sequence,
        territories: Sequence,
        labels: Sequence,
        measures: pd.DataFrame | Mapping[str, Sequence[float]],
        *,
        adjacency: sp.spmatrix | None = None,
        start: Sequence | None = None,
        locked: Sequence[bool] | np.ndarray | None = None,
        tolerance: float = 0.1,
        balance: Sequence[str] | None = None,
        targets: Mapping[str, float | Sequence[float]] | None = None,
        moved_measure: str | None = None,
        xy: np.ndarray | None = None,
        centers: Mapping | None = None,
    ) -> None:
        src = "editor state"
        self._ids = pd.Index([str(u) for u in ids], name="unit_id")
        n = len(self._ids)
        if self._ids.has_duplicates:
            dup = self._ids[self._ids.duplicated()][0]
            raise DataValidationError(src, "duplicate unit id (each unit must appear once)", value=dup)
        self.territories: list[str] = [str(t) for t in territories]
        if not self.territories:
            raise ConfigError("the editor needs at least one territory")
        if len(set(self.territories)) != len(self.territories):
            raise ConfigError("territory names must be unique")
        self._tindex = pd.Index(self.territories)
        self._labels = self._codes(labels, src, "labels", allow_unknown=False)
        start_names = labels if start is None else start
        self._start = self._start_codes(start_names, src)

        frame = pd.DataFrame(measures).reset_index(drop=True)
        if len(frame) != n:
            raise DataValidationError(src, f"measures have {len(frame)} rows but there are {n} units")
        values = frame.apply(pd.to_numeric, errors="coerce")
        if values.isna().any().any():
            col = values.columns[values.isna().any()][0]
            r = int(np.flatnonzero(values[col].isna().to_numpy())[0])
            raise DataValidationError(
                src, "measure values must be numbers", column=str(col), row=r, value=frame[col].iloc[r]
            )
        self.measure_names: list[str] = [str(c) for c in values.columns]
        self._m = values.to_numpy(dtype=float).reshape(n, len(self.measure_names))
        self.balance: list[str] = list(self.measure_names if balance is None else balance)
        for b in self.balance:
            if b not in self.measure_names:
                raise ValueError(f"unknown balance measure {b!r}; valid: {', '.join(self.measure_names)}")
        if moved_measure is None:
            moved_measure = self.balance[0] if self.balance else (self.measure_names or [None])[0]
        if moved_measure is not None and moved_measure not in self.measure_names:
            raise ValueError(
                f"unknown moved measure {moved_measure!r}; valid: {', '.join(self.measure_names)}"
            )
        self.moved_measure: str | None = moved_measure
        if tolerance < 0:
            raise ConfigError(f"the balance tolerance must be >= 0, got {tolerance}")
        self.tolerance = float(tolerance)
        self._targets = self._target_matrix(targets or {})

        self._locked = np.zeros(n, dtype=bool) if locked is None else np.asarray(locked, dtype=bool).copy()
        if self._locked.shape != (n,):
            raise DataValidationError(src, f"locked flags have {self._locked.size} entries for {n} units")
        self._edited = np.zeros(n, dtype=bool)
        self._xy = None if xy is None else np.asarray(xy, dtype=float)
        self._centers: dict[int, int] = {}
        self.set_centers(centers or {})

        self._edge_rows = self._edge_cols = None
        if adjacency is not None:
            a = sp.coo_matrix(adjacency)
            if a.shape != (n, n):
                raise DataValidationError(src, f"adjacency is {a.shape}, expected ({n}, {n})")
            upper = a.row < a.col
            self._edge_rows = a.row[upper].astype(np.int64)
            self._edge_cols = a.col[upper].astype(np.int64)
            # symmetric input gives each edge once in the upper triangle; lower-only input too
            lower = a.row > a.col
            if lower.any():
                r = np.concatenate([self._edge_rows, a.col[lower]])
                c = np.concatenate([self._edge_cols, a.row[lower]])
                pairs = np.unique(np.stack([r, c], axis=1), axis=0)
                self._edge_rows, self._edge_cols = pairs[:, 0], pairs[:, 1]
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._cache: dict[str, object] = {}

    # ------------------------------------------------------------------------------------------------
    # construction helpers
    def _codes(self, names: Sequence, src: str, what: str, *, allow_unknown: bool) -> np.ndarray:
        values = pd.Series(list(names), dtype=object)
        if len(values) != len(self._ids):
            raise DataValidationError(src, f"{what} have {len(values)} entries for {len(self._ids)} units")
        codes = self._tindex.get_indexer(values.astype(str))
        bad = np.flatnonzero(codes < 0)
        if len(bad) and not allow_unknown:
            r = int(bad[0])
            raise DataValidationError(
                src,
                f"unit {self._ids[r]} is in a territory that is not one of the {len(self.territories)} "
                f"territories",
                column=what,
                value=values.iloc[r],
                more=len(bad) - 1,
            )
        return codes.astype(np.int64)

    def _start_codes(self, names: Sequence, src: str) -> np.ndarray:
        values = pd.Series(list(names), dtype=object)
        if len(values) != len(self._ids):
            raise DataValidationError(src, f"start plan has {len(values)} entries for {len(self._ids)} units")
        has = values.notna().to_numpy()
        text = values.astype(str)
        codes = self._tindex.get_indexer(text).astype(np.int64)
        # names outside the territory list get codes k, k+1, ... so "moved" still compares names
        extra = sorted(set(text[has & (codes < 0)]))
        self._start_extra = extra
        for j, name in enumerate(extra):
            codes[(text == name).to_numpy() & has] = len(self.territories) + j
        codes[~has] = -1
        return codes

    def _target_matrix(self, targets: Mapping[str, float | Sequence[float]]) -> np.ndarray:
        k, q = self.k, len(self.measure_names)
        out = np.tile(self._m.sum(axis=0) / k, (k, 1)) if q else np.zeros((k, 0))
        for name, value in targets.items():
            if name not in self.measure_names:
                raise ValueError(f"unknown target measure {name!r}; valid: {', '.join(self.measure_names)}")
            arr = np.broadcast_to(np.asarray(value, dtype=float), (k,))
            out[:, self.measure_names.index(name)] = arr
        return out

    # ------------------------------------------------------------------------------------------------
    # basic views
    @property
    def n(self) -> int:
        """Number of units."""
        return len(self._ids)

    @property
    def k(self) -> int:
        """Number of territories."""
        return len(self.territories)

    @property
    def ids(self) -> pd.Index:
        """Unit ids (str)."""
        return self._ids

    @property
    def codes(self) -> np.ndarray:
        """Territory index of every unit (a read-only view)."""
        return _readonly(self._labels)

    @property
    def labels(self) -> pd.Series:
        """Territory name of every unit, indexed by unit id."""
        return pd.Series(
            np.asarray(self.territories, dtype=object)[self._labels], index=self._ids, name="territory"
        )

    @property
    def start_labels(self) -> pd.Series:
        """Territory name of every unit in the starting plan (None where it had none)."""
        names = np.asarray(self.territories + self._start_extra + [None], dtype=object)
        return pd.Series(names[self._start], index=self._ids, name="start_territory")

    @property
    def measures(self) -> pd.DataFrame:
        """Measures per unit (a copy)."""
        return pd.DataFrame(self._m.copy(), index=self._ids, columns=self.measure_names)

    @property
    def adjacency(self) -> sp.coo_matrix | None:
        """The unit graph (each edge once, upper triangle), None when none was given."""
        if self._edge_rows is None:
            return None
        ones = np.ones(len(self._edge_rows), dtype=np.int8)
        return sp.coo_matrix((ones, (self._edge_rows, self._edge_cols)), shape=(self.n, self.n))

    @property
    def values(self) -> np.ndarray:
        """``(n, q)`` measure values (a read-only view)."""
        return _readonly(self._m)

    @property
    def locked(self) -> np.ndarray:
        """Lock flag of every unit (a read-only view)."""
        return _readonly(self._locked)

    @property
    def edited(self) -> np.ndarray:
        """Units moved by hand since the last plan from the design engine (a read-only view)."""
        return _readonly(self._edited)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def history(self) -> list[Edit]:
        """Recorded changes, oldest first (what :meth:`undo` walks back)."""
        return list(self._undo)

    def index_of(self, units: Iterable | str) -> np.ndarray:
        """Positions of unit ids (a single id or an iterable of ids).

        Raises
        ------
        KeyError
            An id that is not a unit.
        """
        if isinstance(units, str):
            units = [units]
        keys = [str(u) for u in units]
        pos = self._ids.get_indexer(keys)
        if (pos < 0).any():
            bad = keys[int(np.flatnonzero(pos < 0)[0])]
            raise KeyError(f"unknown unit id {bad!r}")
        return pos.astype(np.int64)

    def territory_index(self, territory: str) -> int:
        """Position of a territory name; ValueError listing the valid names when unknown."""
        key = str(territory)
        if key not in self._tindex:
            shown = ", ".join(self.territories[:12]) + (", ..." if self.k > 12 else "")
            raise ValueError(f"unknown territory {territory!r}; valid: {shown}")
        return int(self._tindex.get_loc(key))

    def territory_of(self, unit: str) -> str:
        """Territory name of one unit id."""
        return self.territories[int(self._labels[self.index_of(unit)[0]])]

    def members(self, territory: str | int) -> np.ndarray:
        """Indices of the units of a territory (name or index)."""
        t = territory if isinstance(territory, (int, np.integer)) else self.territory_index(territory)
        return np.flatnonzero(self._labels == int(t))

    # ------------------------------------------------------------------------------------------------
    # changes
    def assign(self, units: Iterable | str, territory: str) -> Edit:
        """Move units (ids) to a territory; locked units refuse and stay where they are.

        Units already in the territory are not counted as moved. A change that moves nothing is not
        recorded in the history. Any new change clears the redo list.

        Returns
        -------
        Edit
            What changed (possibly nothing) and which locked units refused.
        """
        idx = np.unique(self.index_of(units))
        t = self.territory_index(territory)
        refused = idx[self._locked[idx] & (self._labels[idx] != t)]
        move = idx[~self._locked[idx] & (self._labels[idx] != t)]
        note = f"moved {len(move)} unit{'s' if len(move) != 1 else ''} to {self.territories[t]}"
        if len(refused):
            note += f"; {len(refused)} locked unit{'s' if len(refused) != 1 else ''} not moved"
        edit = Edit(
            kind="assign",
            units=move,
            before=self._labels[move].copy(),
            after=np.full(len(move), t, dtype=np.int64),
            edited_before=self._edited[move].copy(),
            edited_after=np.ones(len(move), dtype=bool),
            refused=refused,
            note=note,
        )
        if len(move):
            self._apply(edit, forward=True)
            self._undo.append(edit)
            self._redo.clear()
        return edit

    def replace(self, labels: pd.Series | Mapping, note: str = "new plan") -> Edit:
        """Replace the whole plan (a design engine answer) as one undoable change.

        Parameters
        ----------
        labels : Series or mapping unit id -> territory
            Territory of every unit (units missing from it keep their territory).

        Locked units keep their territory whatever ``labels`` says (they are reported as refused).
        Units edited by hand stay marked as edited where the new plan keeps them in place.
        """
        series = pd.Series(labels) if not isinstance(labels, pd.Series) else labels
        series = series.copy()
        series.index = series.index.astype(str)
        pos = self._ids.get_indexer(series.index)
        if (pos < 0).any():
            raise KeyError(f"unknown unit id {series.index[int(np.flatnonzero(pos < 0)[0])]!r}")
        codes = self._tindex.get_indexer(series.astype(str).to_numpy())
        if (codes < 0).any():
            bad = series.iloc[int(np.flatnonzero(codes < 0)[0])]
            raise ValueError(
                f"the new plan names an unknown territory {bad!r}; valid: {', '.join(self.territories)}"
            )
        new = self._labels.copy()
        new[pos] = codes
        refused = np.flatnonzero(self._locked & (new != self._labels))
        new[refused] = self._labels[refused]
        move = np.flatnonzero(new != self._labels)
        edit = Edit(
            kind="replace",
            units=move,
            before=self._labels[move].copy(),
            after=new[move],
            edited_before=self._edited[move].copy(),
            edited_after=np.zeros(len(move), dtype=bool),
            refused=refused,
            note=f"{note}: {len(move)} unit{'s' if len(move) != 1 else ''} changed territory",
        )
        if len(move):
            self._apply(edit, forward=True)
            self._undo.append(edit)
            self._redo.clear()
        return edit

    def set_centers(self, centers: Mapping) -> None:
        """Record known centers {territory: unit id} (unknown names or ids are ignored)."""
        for t, u in centers.items():
            if str(t) in self._tindex and str(u) in self._ids:
                self._centers[int(self._tindex.get_loc(str(t)))] = int(self._ids.get_loc(str(u)))

    def undo(self) -> Edit | None:
        """Take back the last change; returns it (None when there is nothing to undo)."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._apply(edit, forward=False)
        self._redo.append(edit)
        return edit

    def redo(self) -> Edit | None:
        """Apply the last undone change again; returns it (None when there is nothing to redo)."""
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._apply(edit, forward=True)
        self._undo.append(edit)
        return edit

    def _apply(self, edit: Edit, *, forward: bool) -> None:
        self._labels[edit.units] = edit.after if forward else edit.before
        self._edited[edit.units] = edit.edited_after if forward else edit.edited_before
        self._cache.clear()

    def lock(self, units: Iterable | str) -> np.ndarray:
        """Lock units in their current territory; returns the indices that were newly locked.

        Locks are not part of the undo history.
        """
        idx = np.unique(self.index_of(units))
        new = idx[~self._locked[idx]]
        self._locked[idx] = True
        return new

    def unlock(self, units: Iterable | str) -> np.ndarray:
        """Unlock units; returns the indices that were locked before."""
        idx = np.unique(self.index_of(units))
        was = idx[self._locked[idx]]
        self._locked[idx] = False
        return was

    def locks(self, include_edits: bool = False) -> dict[str, str]:
        """Locked units as {unit id: territory} (what the design engine gets as ``locks``).

        With ``include_edits`` the units moved by hand are locked too ("rebalance the rest").
        """
        mask = self._locked | (self._edited if include_edits else False)
        idx = np.flatnonzero(mask)
        names = np.asarray(self.territories, dtype=object)
        return dict(zip(self._ids[idx], names[self._labels[idx]], strict=True))

    # ------------------------------------------------------------------------------------------------
    # figures (numpy arrays cached until the next change; the DataFrame methods wrap them)
    def _cached(self, key: str, compute) -> np.ndarray:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def totals_array(self) -> np.ndarray:
        """``(k, q)`` total of every measure per territory."""

        def compute() -> np.ndarray:
            sums = np.zeros((self.k, len(self.measure_names)))
            for j in range(len(self.measure_names)):
                sums[:, j] = np.bincount(self._labels, weights=self._m[:, j], minlength=self.k)
            return sums

        return self._cached("totals", compute)

    def deviation_array(self) -> np.ndarray:
        """``(k, b)`` relative deviation of the balance measures (NaN where the target is 0)."""

        def compute() -> np.ndarray:
            cols = [self.measure_names.index(b) for b in self.balance]
            tot = self.totals_array()[:, cols]
            tgt = self._targets[:, cols]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(tgt != 0, (tot - tgt) / np.where(tgt != 0, tgt, 1), np.nan)

        return self._cached("deviation", compute)

    def pieces_array(self) -> np.ndarray | None:
        """``(k,)`` connected pieces per territory, None without an adjacency."""
        if self._edge_rows is None:
            return None

        def compute() -> np.ndarray:
            lab = self._labels
            same = lab[self._edge_rows] == lab[self._edge_cols]
            r, c = self._edge_rows[same], self._edge_cols[same]
            graph = sp.csr_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(self.n, self.n))
            _, comp = connected_components(graph, directed=False)
            pairs = np.unique(lab.astype(np.int64) * self.n + comp)
            return np.bincount(pairs // self.n, minlength=self.k)

        return self._cached("pieces", compute)

    def moved_arrays(self, measure: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(k,)`` moved-in and moved-out shares per territory (see :meth:`moved_by_territory`)."""

        def compute() -> tuple[np.ndarray, np.ndarray]:
            w = self._moved_weights(measure)
            moved = self.moved_mask()
            k = self.k
            now = np.bincount(self._labels, weights=w, minlength=k)
            came = np.bincount(self._labels[moved], weights=w[moved], minlength=k)
            has = self._start >= 0
            start_codes = self._start[has]
            in_list = start_codes < k
            start_total = np.bincount(start_codes[in_list], weights=w[has][in_list], minlength=k)[:k]
            moved_start = self._start[moved]
            keep = moved_start < k
            left = np.bincount(moved_start[keep], weights=w[moved][keep], minlength=k)[:k]
            with np.errstate(divide="ignore", invalid="ignore"):
                moved_in = np.where(now > 0, came / np.where(now > 0, now, 1), 0.0)
                moved_out = np.where(start_total > 0, left / np.where(start_total > 0, start_total, 1), 0.0)
            return moved_in, moved_out

        return self._cached(f"moved:{measure}", compute)

    def locked_counts(self) -> np.ndarray:
        """``(k,)`` locked units per territory."""
        return np.bincount(self._labels[self._locked], minlength=self.k)

    def _frame(self, values: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
        return pd.DataFrame(values, index=pd.Index(self.territories, name="territory"), columns=list(columns))

    def totals(self) -> pd.DataFrame:
        """Total of every measure per territory (rows in territory order); columns sum to the unit totals."""
        return self._frame(self.totals_array(), self.measure_names)

    def unit_counts(self) -> pd.Series:
        """Number of units per territory."""
        return pd.Series(
            np.bincount(self._labels, minlength=self.k),
            index=pd.Index(self.territories, name="territory"),
            name="units",
        )

    def targets(self) -> pd.DataFrame:
        """Target per territory and measure."""
        return self._frame(self._targets, self.measure_names)

    def deviation(self) -> pd.DataFrame:
        """Relative deviation :math:`(M_{tj} - T_j) / T_j` of the balance measures (NaN for a 0 target)."""
        return self._frame(self.deviation_array(), self.balance)

    def in_balance_array(self) -> np.ndarray:
        """``(k,)`` whether each territory is within the tolerance on every balance measure."""
        dev = np.abs(self.deviation_array())
        return ((dev <= self.tolerance + 1e-12) | np.isnan(dev)).all(axis=1)

    def in_balance(self) -> pd.Series:
        """Whether each territory is within the tolerance on every balance measure."""
        return pd.Series(
            self.in_balance_array(), index=pd.Index(self.territories, name="territory"), name="in_balance"
        )

    def pieces(self) -> pd.Series | None:
        """Connected pieces per territory (1 = contiguous, 0 = empty); None without an adjacency."""
        arr = self.pieces_array()
        if arr is None:
            return None
        return pd.Series(arr, index=pd.Index(self.territories, name="territory"), name="pieces")

    def contiguous(self) -> pd.Series | None:
        """Whether each territory is connected (an empty territory counts as connected)."""
        pieces = self.pieces()
        return None if pieces is None else (pieces <= 1).rename("contiguous")

    def _moved_weights(self, measure: str | None) -> np.ndarray:
        measure = measure if measure is not None else self.moved_measure
        if measure is None:
            return np.ones(self.n)
        if measure not in self.measure_names:
            raise ValueError(f"unknown measure {measure!r}; valid: {', '.join(self.measure_names)}")
        return self._m[:, self.measure_names.index(measure)]

    def moved_mask(self) -> np.ndarray:
        """Units whose territory differs from the starting plan (units without a start never count)."""
        return (self._start >= 0) & (self._labels != self._start)

    def moved_share(self, measure: str | None = None) -> float:
        """Share of the measure (default :attr:`moved_measure`) that changed territory since the start."""
        w = self._moved_weights(measure)
        has = self._start >= 0
        total = float(w[has].sum())
        return float(w[self.moved_mask()].sum()) / total if total > 0 else 0.0

    def moved_by_territory(self, measure: str | None = None) -> pd.DataFrame:
        """Per territory: share of its current total that started elsewhere (``moved_in``) and share of
        its starting total that is now elsewhere (``moved_out``)."""
        moved_in, moved_out = self.moved_arrays(measure)
        return pd.DataFrame(
            {"moved_in": moved_in, "moved_out": moved_out}, index=pd.Index(self.territories, name="territory")
        )

    def balance_table(self) -> pd.DataFrame:
        """Everything the live table shows, one row per territory.

        Columns: ``units``; per measure ``<m>`` (total) and, for balance measures, ``<m>_dev`` (relative
        deviation); ``pieces`` and ``contiguous`` (when an adjacency is known); ``in_balance``;
        ``moved_in`` and ``moved_out`` (shares of the moved measure); ``locked`` (locked units).
        """
        totals = self.totals_array()
        dev = self.deviation_array()
        table = pd.DataFrame({"units": self.unit_counts()})
        for j, name in enumerate(self.measure_names):
            table[name] = totals[:, j]
            if name in self.balance:
                table[f"{name}_dev"] = dev[:, self.balance.index(name)]
        pieces = self.pieces_array()
        if pieces is not None:
            table["pieces"] = pieces
            table["contiguous"] = pieces <= 1
        table["in_balance"] = self.in_balance_array()
        table["moved_in"], table["moved_out"] = self.moved_arrays()
        table["locked"] = self.locked_counts()
        return table

    def summary(self) -> dict[str, float | int | bool | None]:
        """Plan-level figures: largest absolute deviation per balance measure, contiguity, moved share."""
        dev = np.abs(self.deviation_array())
        pieces = self.pieces_array()
        out: dict[str, float | int | bool | None] = {
            f"max_dev_{m}": float(np.nanmax(dev[:, j])) if np.isfinite(dev[:, j]).any() else float("nan")
            for j, m in enumerate(self.balance)
        }
        out["contiguous"] = None if pieces is None else bool((pieces <= 1).all())
        out["fragments"] = None if pieces is None else int(np.maximum(pieces - 1, 0).sum())
        out["moved_share"] = self.moved_share()
        out["moved_units"] = int(self.moved_mask().sum())
        out["locked_units"] = int(self._locked.sum())
        return out

    # ------------------------------------------------------------------------------------------------
    # output
    def centers(self) -> dict[str, str]:
        """A center unit per non-empty territory.

        A known center (from the design engine) is kept while it stays in its territory; otherwise the
        unit nearest to the territory's centroid weighted by the moved measure (plain centroid when the
        weights are all 0), or the first unit when no coordinates are known.
        """
        out: dict[str, str] = {}
        w = self._moved_weights(None)
        for t in range(self.k):
            members = np.flatnonzero(self._labels == t)
            if not len(members):
                continue
            c = self._centers.get(t)
            if c is None or self._labels[c] != t:
                if self._xy is None:
                    c = int(members[0])
                else:
                    xy = self._xy[members]
                    wt = w[members]
                    mid = (xy * wt[:, None]).sum(axis=0) / wt.sum() if wt.sum() > 0 else xy.mean(axis=0)
                    c = int(members[np.argmin(((xy - mid) ** 2).sum(axis=1))])
            out[self.territories[t]] = str(self._ids[c])
        return out

    def to_assignment_frame(self, id_name: str = "unit_id") -> pd.DataFrame:
        """The plan in the format ``terrkit design`` writes: unit id, territory, is_center."""
        centers = set(self.centers().values())
        return pd.DataFrame(
            {
                id_name: self._ids.to_numpy(),
                "territory": np.asarray(self.territories, dtype=object)[self._labels],
                "is_center": self._ids.isin(centers),
            }
        )

    def with_plan(
        self,
        territories: Sequence,
        labels: Sequence,
        centers: Mapping | None = None,
        tolerance: float | None = None,
        balance: Sequence[str] | None = None,
    ) -> EditorState:
        """A new state on the same units with another territory list and plan (a fresh history).

        The starting plan, measures, adjacency, coordinates and locks carry over; locks whose territory
        no longer exists are dropped.
        """
        start = self.start_labels.to_numpy()
        new = EditorState(
            self._ids,
            territories,
            labels,
            pd.DataFrame(self._m, columns=self.measure_names),
            start=start,
            tolerance=self.tolerance if tolerance is None else tolerance,
            balance=self.balance if balance is None else balance,
            moved_measure=self.moved_measure if balance is None else None,
            xy=self._xy,
            centers=centers,
        )
        new._edge_rows, new._edge_cols = self._edge_rows, self._edge_cols
        names = set(new.territories)
        old_names = np.asarray(self.territories, dtype=object)[self._labels]
        new_names = np.asarray(new.territories, dtype=object)[new._labels]
        keep = self._locked & np.array([x in names for x in old_names]) & (old_names == new_names)
        new._locked = keep
        return new
