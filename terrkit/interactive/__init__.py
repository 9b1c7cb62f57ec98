"""Interactive territory map and editor for JupyterLab (ipyleaflet + ipywidgets).

- :class:`EditorState`: the plan, history, locks and balance figures (pure logic, no widgets).
- :class:`TerritoryMap`: the ipyleaflet map, one layer per territory, offline by default.
- :class:`TerritoryEditor`: map + live balance table + controls; ``TerritoryEditor.from_dataset(ds)``.
- :func:`editor_inputs`: units with measures and the starting plan, from a dataset (counties, or a dataset
  refined onto the mixed unit layer of :mod:`terrkit.units`: counties, ZIP cells, named accounts);
  :func:`layer_editor_inputs` builds that layer as the realignment notebook does and opens a plan on it.

The widget modules import ipyleaflet lazily, so ``terrkit.interactive.state`` works without a front end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terrkit.interactive.colors import territory_colors
from terrkit.interactive.engine import DesignRequest, run_design_engine
from terrkit.interactive.inputs import (
    EditorInputs,
    assignment_frame,
    editor_inputs,
    layer_editor_inputs,
    read_plan,
    start_state,
    starting_plan,
)
from terrkit.interactive.state import Edit, EditorState
from terrkit.interactive.table import balance_frame, balance_table_html

if TYPE_CHECKING:
    from terrkit.interactive.editor import TerritoryEditor
    from terrkit.interactive.map import TerritoryMap

__all__ = [
    "DesignRequest",
    "Edit",
    "EditorInputs",
    "EditorState",
    "TerritoryEditor",
    "TerritoryMap",
    "assignment_frame",
    "balance_frame",
    "balance_table_html",
    "editor_inputs",
    "layer_editor_inputs",
    "read_plan",
    "run_design_engine",
    "start_state",
    "starting_plan",
    "territory_colors",
]


def __getattr__(name: str) -> Any:
    if name == "TerritoryEditor":
        from terrkit.interactive.editor import TerritoryEditor

        return TerritoryEditor
    if name == "TerritoryMap":
        from terrkit.interactive.map import TerritoryMap

        return TerritoryMap
    raise AttributeError(name)
