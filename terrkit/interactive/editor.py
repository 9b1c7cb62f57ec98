"""The territory editor: map, live balance table and controls in one ipywidgets app.

Workflow (what an analyst does)
-------------------------------
1. Click units on the map (or draw a box / polygon with the draw tools) to select them. On the mixed
   unit layer (:mod:`terrkit.units`) a unit is a county, a ZIP cell of a split county or a named account
   (a small circle); each is selected and assigned on its own.
2. Pick a territory in "Move to" and press **Assign**: the map and the table update at once (only the
   layers of the two or more territories involved are re-sent, see :mod:`terrkit.interactive.map`).
3. **Undo** / **Redo** walk the history; **Lock** keeps selected units where they are (they refuse
   reassignment and the design engine must respect them).
4. **Rebalance the rest** calls the design engine with the locked units *and the units moved by hand*
   locked; the plan on screen is passed as the current alignment so territories keep their names. The
   answer is one undoable step; the status line warns when it breaks the tolerance.
5. The design controls (number of territories, tolerance, balance measure, contiguity) and **Re-run
   design** compute a fresh plan; a different number of territories starts a new history.
6. **Save CSV** writes the plan as ``unit_id, territory_id, is_center``; on a
   mixed unit layer with each unit's ``level`` and ``parent_id`` after its id
   (:func:`terrkit.interactive.inputs.assignment_frame`).

All logic lives in :class:`~terrkit.interactive.state.EditorState`; this module only wires widgets.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import ipywidgets as widgets
import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError, TerrkitError
from terrkit.interactive.colors import territory_colors
from terrkit.interactive.engine import DesignFunction, DesignRequest, answer_centers, run_design_engine
from terrkit.interactive.inputs import (
    START_COLUMN,
    EditorInputs,
    assignment_frame,
    editor_inputs,
    natural_key,
    start_state,
    unit_graph,
)
from terrkit.interactive.map import TerritoryMap
from terrkit.interactive.state import Edit
from terrkit.interactive.table import balance_table_html
from terrkit.io import Dataset, write_csv


class TerritoryEditor:
    """Interactive territory editor (display it in JupyterLab, or call its methods from code).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Id column, name column, measure columns, the starting territory column and geometry (EPSG:4326);
        on a mixed unit layer also ``level``, ``parent_id`` (and ``county_id``): the unit graph is then the
        layer adjacency and the saved plan keeps the levels.
    measures : sequence of str
        Measure columns shown in the table (all are balance measures there).
    territory : str, default "territory"
        Column with the starting territory of each unit.
    balance : str, optional
        Measure the design engine balances (default: the first measure).
    tolerance : float, default 0.1
        Relative balance tolerance (table flags and design engine).
    reps : DataFrame, optional
        ``rep_id, name, lat, lon, territory`` home bases.
    centers : dict, optional
        {territory: unit id} known centers.
    design : callable, optional
        Design function (:data:`terrkit.interactive.engine.DesignFunction`); default the terrkit design
        engine. Tests pass a fake.
    basemap : optional
        ipyleaflet basemap or TileLayer; none by default (offline).
    contiguous : bool, default True
        Ask the design engine for contiguous territories.
    time_limit : float, default 20
        Seconds the design engine may take.
    seed : int, default 0
        Seed of the design engine.
    adjacency, xy : optional
        Precomputed unit graph and planar coordinates (km); computed from the geometry otherwise.
    output_path : str, default "edited_alignment.csv"
        Initial value of the save path field.
    """

    def __init__(
        self,
        units: gpd.GeoDataFrame,
        measures: Sequence[str],
        *,
        territory: str = START_COLUMN,
        id_col: str = "unit_id",
        name_col: str | None = "name",
        balance: str | None = None,
        tolerance: float = 0.1,
        reps: pd.DataFrame | None = None,
        centers: dict[str, str] | None = None,
        design: DesignFunction | None = None,
        basemap: Any = None,
        contiguous: bool = True,
        time_limit: float = 20.0,
        seed: int = 0,
        adjacency: Any = None,
        xy: np.ndarray | None = None,
        map_height: str = "620px",
        output_path: str | os.PathLike = "edited_alignment.csv",
    ) -> None:
        self.units = units.reset_index(drop=True)
        self.id_col = id_col
        self.measure_names = list(measures)
        for col in [id_col, territory, *self.measure_names]:
            if col not in self.units.columns:
                raise ConfigError(
                    f"the units have no column {col!r}; columns: {', '.join(map(str, units.columns))}"
                )
        balance = balance or self.measure_names[0]
        if balance not in self.measure_names:
            raise ValueError(f"unknown balance measure {balance!r}; valid: {', '.join(self.measure_names)}")
        self.design: DesignFunction = design or run_design_engine
        self.contiguous = contiguous
        self.time_limit = float(time_limit)
        self.seed = int(seed)
        if adjacency is None or xy is None:
            adjacency, xy = unit_graph(self.units)
        self.adjacency, self.xy = adjacency, xy
        self.state = start_state(
            self.units,
            self.measure_names,
            territory=territory,
            id_col=id_col,
            balance=balance,
            tolerance=tolerance,
            centers=centers,
            adjacency=adjacency,
            xy=xy,
        )
        self.colors = territory_colors(self.state.territories, self.state.codes, adjacency)
        self.last_update_ms: float | None = None
        self._version = 0
        self._changed: set[str] = set()
        self.map = TerritoryMap(
            self.units,
            self.state,
            self.colors,
            id_col=id_col,
            name_col=name_col,
            reps=reps,
            basemap=basemap,
            height=map_height,
            on_selection=self._on_selection,
        )
        self._build_controls(balance, tolerance, output_path)
        self._refresh_table()
        self._refresh_controls()

    # ------------------------------------------------------------------------------------------------
    @classmethod
    def from_inputs(cls, inputs: EditorInputs, **kwargs: Any) -> TerritoryEditor:
        """Editor on :func:`terrkit.interactive.inputs.editor_inputs` output."""
        kwargs.setdefault("reps", inputs.reps)
        kwargs.setdefault("centers", inputs.centers or None)
        return cls(inputs.units, inputs.measures, **kwargs)

    @classmethod
    def from_dataset(
        cls, dataset: Dataset, plan: str | os.PathLike | pd.DataFrame | None = None, **kwargs: Any
    ) -> TerritoryEditor:
        """Editor on a dataset's units (counties, or a dataset refined onto the mixed unit layer), starting
        from its current alignment or a plan file (see :func:`terrkit.interactive.inputs.read_plan`)."""
        return cls.from_inputs(editor_inputs(dataset, plan), **kwargs)

    # ------------------------------------------------------------------------------------------------
    # widgets
    def _button(
        self, label: str, css: str, icon: str, tip: str, handler: Any, style: str = ""
    ) -> widgets.Button:
        b = widgets.Button(
            description=label, icon=icon, tooltip=tip, button_style=style, layout=widgets.Layout(width="auto")
        )
        b.add_class(css)
        b.on_click(lambda _b: handler())
        return b

    def _build_controls(self, balance: str, tolerance: float, output_path: str | os.PathLike) -> None:
        st = self.state
        self.status = widgets.HTML()
        self.status.add_class("terrkit-status")
        self.selected = widgets.HTML(value="no units selected")
        self.selected.add_class("terrkit-selected-info")
        self.target = widgets.Dropdown(
            options=st.territories,
            value=st.territories[0],
            description="Move to",
            layout=widgets.Layout(width="170px"),
            style={"description_width": "55px"},
        )
        self.target.add_class("terrkit-target")
        self.b_assign = self._button(
            "Assign",
            "terrkit-assign",
            "arrow-right",
            "move the selected units to the territory",
            self.assign_selected,
            "primary",
        )
        self.b_clear = self._button(
            "Clear", "terrkit-clear", "times", "clear the selection", self.map.clear_selection
        )
        self.b_lock = self._button(
            "Lock", "terrkit-lock", "lock", "lock the selected units", self.lock_selected
        )
        self.b_unlock = self._button(
            "Unlock", "terrkit-unlock", "unlock", "unlock the selected units", self.unlock_selected
        )
        self.b_undo = self._button("Undo", "terrkit-undo", "undo", "take back the last change", self.undo)
        self.b_redo = self._button(
            "Redo", "terrkit-redo", "repeat", "apply the undone change again", self.redo
        )
        self.k = widgets.BoundedIntText(
            value=st.k,
            min=1,
            max=st.n,
            description="Territories",
            layout=widgets.Layout(width="160px"),
            style={"description_width": "75px"},
        )
        self.k.add_class("terrkit-k")
        self.tolerance = widgets.BoundedFloatText(
            value=tolerance,
            min=0.0,
            max=10.0,
            step=0.05,
            description="Tolerance",
            layout=widgets.Layout(width="160px"),
            style={"description_width": "70px"},
        )
        self.tolerance.add_class("terrkit-tolerance")
        self.tolerance.observe(self._on_tolerance, names="value")
        self.measure = widgets.Dropdown(
            options=self.measure_names,
            value=balance,
            description="Balance",
            layout=widgets.Layout(width="190px"),
            style={"description_width": "55px"},
        )
        self.measure.add_class("terrkit-measure")
        self.contiguous_box = widgets.Checkbox(
            value=self.contiguous,
            description="contiguous",
            indent=False,
            layout=widgets.Layout(width="100px"),
        )
        self.b_rerun = self._button(
            "Re-run design",
            "terrkit-rerun",
            "refresh",
            "compute a new plan with these parameters (locked units stay)",
            self.rerun,
        )
        self.b_rebalance = self._button(
            "Rebalance the rest",
            "terrkit-rebalance",
            "balance-scale",
            "re-optimise all units except the locked ones and those moved by hand",
            self.rebalance,
            "warning",
        )
        self.path = widgets.Text(
            value=str(output_path),
            description="Save to",
            layout=widgets.Layout(width="300px"),
            style={"description_width": "55px"},
        )
        self.path.add_class("terrkit-path")
        self.b_save = self._button(
            "Save CSV",
            "terrkit-save",
            "save",
            "write unit id, territory, is_center (with level and parent_id on the unit layer)",
            self.save,
        )
        self.table = widgets.HTML(
            layout=widgets.Layout(flex="1.3 1 600px", min_width="420px", overflow="auto")
        )
        self.table.add_class("terrkit-table")
        map_column = widgets.VBox(
            [self.map.map, self.map.legend], layout=widgets.Layout(flex="1 1 480px", min_width="420px")
        )
        edit_row = widgets.HBox(
            [
                self.target,
                self.b_assign,
                self.b_clear,
                self.b_lock,
                self.b_unlock,
                self.b_undo,
                self.b_redo,
                self.selected,
            ],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        design_row = widgets.HBox(
            [
                self.k,
                self.tolerance,
                self.measure,
                self.contiguous_box,
                self.b_rerun,
                self.b_rebalance,
                self.path,
                self.b_save,
            ],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        body = widgets.HBox(
            [map_column, self.table],
            layout=widgets.Layout(flex_flow="row wrap", width="100%", align_items="flex-start"),
        )
        self.widget = widgets.VBox([self.status, edit_row, design_row, body])
        self.widget.add_class("terrkit-editor")
        self._say(f"{self._units_text()} in {st.k} territories. Click units or draw a box to select them.")

    def _units_text(self) -> str:
        """Number of units, per level on a mixed layer: 5,840 units (3,065 counties, 2,775 ZIP cells)."""
        text = f"{self.state.n:,} units"
        if "level" in self.units.columns:
            counts = self.units["level"].value_counts()
            parts = [
                f"{int(counts[level]):,} {word}"
                for level, word in (
                    ("county", "counties"),
                    ("zip", "ZIP cells"),
                    ("account", "named accounts"),
                )
                if counts.get(level, 0)
            ]
            text += f" ({', '.join(parts)})"
        return text

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------------------------------------
    # refreshing
    def _say(self, text: str, error: bool = False) -> None:
        color = "#c92a2a" if error else "#333"
        took = (
            f" <span style='color:#888'>({self.last_update_ms:.0f} ms)</span>" if self.last_update_ms else ""
        )
        self.status.value = f"<div style='color:{color};font-size:13px'>{text}{took}</div>"

    def _refresh_table(self) -> None:
        self._version += 1
        self.table.value = balance_table_html(self.state, self.colors, self._changed, self._version)

    def _refresh_controls(self) -> None:
        self.b_undo.disabled = not self.state.can_undo
        self.b_redo.disabled = not self.state.can_redo
        none = len(self.map.selection) == 0
        for b in (self.b_assign, self.b_clear, self.b_lock, self.b_unlock):
            b.disabled = none

    def _on_selection(self, selection: np.ndarray) -> None:
        st = self.state
        if len(selection) == 0:
            self.selected.value = "no units selected"
        else:
            sums = st.values[selection].sum(axis=0)
            terr = sorted({st.territories[int(c)] for c in st.codes[selection]}, key=natural_key)
            shown = ", ".join(terr[:4]) + (" ..." if len(terr) > 4 else "")
            figures = ", ".join(f"{m} {v:,.0f}" for m, v in zip(st.measure_names, sums, strict=True))
            self.selected.value = (
                f"<b>{len(selection)}</b> selected ({html.escape(shown)}): {html.escape(figures)}"
            )
        if hasattr(self, "b_assign"):
            self._refresh_controls()

    def _after_edit(self, edit: Edit | None, t0: float, action: str) -> None:
        if edit is not None and len(edit.units):
            self.map.refresh(edit.territories)
            self._changed = {self.state.territories[int(t)] for t in edit.territories}
        self._refresh_table()
        self._refresh_controls()
        self.last_update_ms = (time.perf_counter() - t0) * 1000
        if edit is None:
            self._say(f"nothing to {action}")
        else:
            self._say(
                f"{action}: {html.escape(edit.note)}", error=bool(len(edit.refused)) and not len(edit.units)
            )

    # ------------------------------------------------------------------------------------------------
    # actions (the buttons call these; code and tests may too)
    def select(self, unit_ids: Iterable[str]) -> None:
        """Select units by id (replacing the selection)."""
        self.map.set_selection(self.state.index_of(list(unit_ids)))

    @property
    def selected_ids(self) -> list[str]:
        return [str(self.state.ids[i]) for i in self.map.selection]

    def assign(self, unit_ids: Iterable[str], territory: str) -> Edit:
        """Move units to a territory and update map and table; returns the :class:`Edit`."""
        t0 = time.perf_counter()
        edit = self.state.assign(list(unit_ids), territory)
        self._after_edit(edit, t0, "assign")
        self.map._draw_selection()
        return edit

    def assign_selected(self, territory: str | None = None) -> Edit | None:
        """Move the selected units to ``territory`` (default: the "Move to" choice); clears the selection."""
        if not len(self.map.selection):
            self._say("select units first (click them, or draw a box)", error=True)
            return None
        t0 = time.perf_counter()
        edit = self.state.assign(self.state.ids[self.map.selection], territory or self.target.value)
        self.map.selection = np.zeros(0, dtype=np.int64)
        self.map._draw_selection()
        self._on_selection(self.map.selection)
        self._after_edit(edit, t0, "assign")
        return edit

    def undo(self) -> Edit | None:
        t0 = time.perf_counter()
        edit = self.state.undo()
        self._after_edit(edit, t0, "undo")
        return edit

    def redo(self) -> Edit | None:
        t0 = time.perf_counter()
        edit = self.state.redo()
        self._after_edit(edit, t0, "redo")
        return edit

    def lock_selected(self) -> int:
        """Lock the selected units; returns how many were newly locked."""
        sel = self.map.selection
        if not len(sel):
            return 0
        new = self.state.lock(self.state.ids[sel])
        self.map.refresh_units(sel)
        self._refresh_table()
        self._say(
            f"locked {len(new)} unit{'s' if len(new) != 1 else ''} "
            f"({int(self.state.locked.sum())} locked in all)"
        )
        return len(new)

    def unlock_selected(self) -> int:
        """Unlock the selected units; returns how many were locked."""
        sel = self.map.selection
        if not len(sel):
            return 0
        was = self.state.unlock(self.state.ids[sel])
        self.map.refresh_units(sel)
        self._refresh_table()
        self._say(f"unlocked {len(was)} unit{'s' if len(was) != 1 else ''}")
        return len(was)

    def _on_tolerance(self, change: dict) -> None:
        self.state.tolerance = float(change["new"])
        self._refresh_table()

    def _request(
        self, k: int, locks: dict[str, str], centers: dict[str, str] | None, current: pd.Series | None
    ) -> DesignRequest:
        cols = [self.id_col, *self.measure_names, self.units.geometry.name]
        return DesignRequest(
            units=self.units[cols],
            id=self.id_col,
            k=int(k),
            measure=self.measure.value,
            tolerance=float(self.tolerance.value),
            locks=locks,
            current=current,
            centers=centers,
            contiguous=bool(self.contiguous_box.value),
            adjacency=self.adjacency,
            time_limit=self.time_limit,
            seed=self.seed,
        )

    def _run(self, request: DesignRequest, what: str) -> Any:
        self._say(f"{what}: running the design engine (up to {request.time_limit:.0f} s) ...")
        try:
            return self.design(request)
        except ImportError as exc:
            self._say(f"{what}: the design engine is not available ({html.escape(str(exc))})", error=True)
            return None
        except (TerrkitError, ValueError) as exc:
            self._say(f"{what} failed: {html.escape(' '.join(str(exc).split()))}", error=True)
            return None

    def rebalance(self) -> Edit | None:
        """Re-optimise every unit except the locked ones and those moved by hand (one undoable step)."""
        st = self.state
        locks = st.locks(include_edits=True)
        request = self._request(st.k, locks, None, st.labels)
        t0 = time.perf_counter()
        answer = self._run(request, "rebalance")
        if answer is None:
            return None
        return self._adopt(answer, t0, f"rebalance with {len(locks)} units kept")

    def rerun(self) -> Edit | None:
        """Compute a fresh plan with the design controls; locked units stay where they are.

        The plan on screen names the territories when it has no more territories than asked for;
        otherwise the locks cannot be kept and are dropped (the status line says so).
        """
        st = self.state
        k = int(self.k.value)
        locks = st.locks()
        current = st.labels
        note = ""
        if current.nunique() > k:
            current = None
            if locks:
                note = f"; {len(locks)} locks dropped (fewer territories than the plan on screen)"
                locks = {}
        request = self._request(k, locks, None, current)
        t0 = time.perf_counter()
        answer = self._run(request, "re-run")
        if answer is None:
            return None
        return self._adopt(answer, t0, f"new design with {k} territories" + note)

    def _adopt(self, answer: Any, t0: float, note: str) -> Edit | None:
        labels = pd.Series(answer.labels).copy()
        labels.index = labels.index.astype(str)
        if not labels.map(type).eq(str).all():
            numeric = pd.to_numeric(labels, errors="coerce")
            if numeric.notna().all():
                labels = numeric.astype(int).map(lambda t: f"N{t + 1:02d}")
            else:
                labels = labels.astype(str)
        status = getattr(answer, "status", "")
        names = set(labels.unique())
        st = self.state
        if names <= set(st.territories) and len(labels) == st.n:
            edit = st.replace(labels, note=note)
            st.set_centers(answer_centers(answer, labels))
            self._after_edit(edit, t0, f"design engine ({status})" if status else "design engine")
            self._warn_balance()
            return edit
        full = labels.reindex(st.ids)
        if full.isna().any():
            raise TerrkitError(f"the design engine left {int(full.isna().sum())} units without a territory")
        territories = sorted(names, key=natural_key)
        self.state = st.with_plan(
            territories,
            full.to_numpy(),
            centers=answer_centers(answer, labels),
            tolerance=float(self.tolerance.value),
        )
        self.colors = territory_colors(territories, self.state.codes, self.adjacency)
        self.map.rebuild(self.state, self.colors)
        self.target.options = territories
        self.target.value = territories[0]
        self.k.value = len(territories)
        self._changed = set()
        self._refresh_table()
        self._refresh_controls()
        self.last_update_ms = (time.perf_counter() - t0) * 1000
        self._say(
            f"{html.escape(note)}: {len(territories)} territories ({status}); a new history starts here"
        )
        self._warn_balance()
        return None

    def _warn_balance(self) -> None:
        """Add a warning to the status line when the plan on screen breaks the tolerance."""
        worst = self.state.summary().get(f"max_dev_{self.measure.value}")
        if worst is not None and np.isfinite(worst) and worst > self.state.tolerance + 1e-9:
            self.status.value += (
                f"<div style='color:#c92a2a'>largest deviation on {html.escape(self.measure.value)} is "
                f"{worst:.0%}, above the ±{self.state.tolerance:.0%} tolerance</div>"
            )

    def assignment_frame(self) -> pd.DataFrame:
        """The plan on screen as :meth:`save` writes it (:func:`terrkit.interactive.assignment_frame`)."""
        return assignment_frame(self.state, self.units, self.id_col)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the plan (unit id, territory, is_center; on a mixed unit layer also level and parent_id)
        as CSV, atomically; returns the path."""
        target = Path(path or self.path.value).expanduser()
        write_csv(self.assignment_frame(), target)
        self._say(f"saved {self.state.n:,} units to {html.escape(str(target))}")
        return target
