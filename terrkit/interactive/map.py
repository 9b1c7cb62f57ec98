"""ipyleaflet map of territories: one GeoJSON layer per territory, so an edit re-sends only the layers of
the territories it touched (tens of units), never the whole map.

What is drawn
-------------
- Units as polygons (counties) or as points (ZIP codes), filled with their territory's colour. Each SVG
  path gets the CSS classes ``terrkit-unit``, ``terrkit-t-<territory>`` and ``terrkit-u-<unit id>``
  (``terrkit-locked`` when locked), so pages and tests can find them.
- On a mixed unit layer (units with ``level`` and ``parent_id``, see :mod:`terrkit.units`): counties and
  the ZIP cells of split counties as polygons, named-account units as small circles with a dark ring, in
  a pane above the polygons so that they stay clickable; the borders of the split counties as dark lines
  over their cells (a layer that does not catch clicks). Paths also get ``terrkit-level-<level>``.
- The selection as a thick black outline (a layer that does not catch clicks).
- Rep home bases as red circles (class ``terrkit-rep``).
- An info box (top right) that shows the unit under the mouse: name, level and parent (on a mixed
  layer), territory and measures.
- A legend (:attr:`TerritoryMap.legend`, an HTML widget to place under the map).

No tile layer unless ``basemap`` is given: the map works offline.

Selecting: a click on a unit (county, ZIP cell or named account) toggles it; a rectangle or polygon drawn
with the draw tools (top left) adds the units whose representative point (the point itself for named
accounts) lies inside it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import geopandas as gpd
import ipyleaflet
import ipywidgets as widgets
import numpy as np
import pandas as pd
import shapely

from terrkit.interactive.state import EditorState

_SAFE = re.compile(r"[^A-Za-z0-9_-]")

#: Map panes (z-order above the polygons' overlay pane, 400): borders and reps do not hide units.
BORDER_PANE = "terrkit-borders"
REP_PANE = "terrkit-reps"
ACCOUNT_PANE = "terrkit-accounts"
SELECTION_PANE = "terrkit-selection"
PANES = {
    BORDER_PANE: {"zIndex": 410, "pointerEvents": "none"},
    REP_PANE: {"zIndex": 420},
    ACCOUNT_PANE: {"zIndex": 430},
    SELECTION_PANE: {"zIndex": 440, "pointerEvents": "none"},
}
#: How each level of a mixed unit layer is called in the info box.
LEVEL_NAMES = {"county": "county", "zip": "ZIP cell", "account": "named account"}


def css_name(value: str) -> str:
    """A CSS-class-safe version of an id or territory name (other characters become ``_``)."""
    return _SAFE.sub("_", str(value))


def _round_coords(geometry: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometry, lambda xy: np.round(xy, decimals))


def _texts(values: pd.Series) -> np.ndarray:
    """Values as str, "" where missing."""
    out = values.astype(object).to_numpy()
    return np.array(["" if pd.isna(v) else str(v) for v in out], dtype=object)


class TerritoryMap:
    """Territories on an ipyleaflet map, updated territory by territory.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit geometry in EPSG:4326 (polygons or points), in the same order as the state's units, with
        an id column and optionally a name column.
    state : EditorState
        The plan to draw.
    colors : mapping territory -> colour
        Fill colour per territory.
    id_col, name_col : str
        Columns of the unit id and name.
    level_col, parent_col, county_col, county_name_col : str
        Columns of a mixed unit layer (level, parent unit, county id and name); used when present.
    reps : DataFrame, optional
        ``rep_id``, ``name``, ``lat``, ``lon`` and optionally ``territory``.
    basemap : ipyleaflet TileLayer or basemap spec, optional
        Background tiles; none by default (no tile server is needed).
    height : str
        CSS height of the map.
    decimals : int, default 4
        Coordinates are rounded to this many decimals (about 10 m) to keep messages small.
    on_selection : callable, optional
        Called with the array of selected unit indices whenever the selection changes.
    """

    def __init__(
        self,
        units: gpd.GeoDataFrame,
        state: EditorState,
        colors: Mapping[str, str],
        *,
        id_col: str = "unit_id",
        name_col: str | None = "name",
        level_col: str = "level",
        parent_col: str = "parent_id",
        county_col: str = "county_id",
        county_name_col: str = "county_name",
        reps: pd.DataFrame | None = None,
        basemap: Any = None,
        height: str = "620px",
        decimals: int = 4,
        on_selection: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        if len(units) != state.n:
            raise ValueError(f"the map has {len(units)} units but the state has {state.n}")
        if units.crs is not None and not units.crs.is_geographic:
            units = units.to_crs("EPSG:4326")
        ids = units[id_col].astype(str).to_numpy()
        if not np.array_equal(ids, state.ids.to_numpy()):
            raise ValueError("the map's units must be in the same order as the state's units")
        self.state = state
        self.colors = dict(colors)
        self.on_selection = on_selection
        self._ids = ids
        self._names = units[name_col].astype(str).to_numpy() if name_col and name_col in units else ids.copy()
        geoms = units.geometry.to_numpy()
        self._is_point = shapely.get_type_id(geoms) == 0
        self.points = bool(self._is_point.all())
        self.mixed = level_col in units.columns and parent_col in units.columns
        n = len(units)
        self._levels = (
            units[level_col].astype(str).to_numpy(object) if self.mixed else np.full(n, "", dtype=object)
        )
        self._parents = _texts(units[parent_col]) if self.mixed else np.full(n, "", dtype=object)
        self._counties = (
            _texts(units[county_col]) if self.mixed and county_col in units else np.full(n, "", dtype=object)
        )
        self._county_names = (
            _texts(units[county_name_col])
            if self.mixed and county_name_col in units
            else np.full(n, "", dtype=object)
        )
        rounded = _round_coords(geoms, decimals)
        self._geometry = [json.loads(g) for g in shapely.to_geojson(rounded)]
        rep = shapely.point_on_surface(geoms)
        self._x, self._y = shapely.get_x(rep), shapely.get_y(rep)
        level_cls = [f" terrkit-level-{css_name(v)}" if v else "" for v in self._levels]
        self._classes = [
            f"terrkit-unit terrkit-u-{css_name(u)}{c}" for u, c in zip(ids, level_cls, strict=True)
        ]
        # named accounts among polygons: circle markers in their own pane, above the polygons
        self._marker_pane = not self.points and bool(self._is_point.any())
        self.selection = np.zeros(0, dtype=np.int64)

        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        center = ((miny + maxy) / 2, (minx + maxx) / 2)
        # fit the units into about 600 x 420 px (256 px show 360 degrees at zoom 0), in quarter steps
        span = max(maxx - minx, 1e-6) * 1.05
        rows = max(maxy - miny, 1e-6) * 1.05 / np.cos(np.radians(center[0]))
        fit = min(np.log2(600 * 360 / (256 * span)), np.log2(420 * 360 / (256 * rows)))
        zoom = float(np.clip(np.floor(fit * 4) / 4, 1, 14))
        layers: tuple = ()
        if basemap is not None:
            tile = (
                basemap if isinstance(basemap, ipyleaflet.TileLayer) else ipyleaflet.basemap_to_tiles(basemap)
            )
            tile.base = True
            layers = (tile,)
        self.map = ipyleaflet.Map(
            layers=layers,
            center=center,
            zoom=zoom,
            zoom_snap=0.25,
            scroll_wheel_zoom=True,
            panes=PANES,
            layout=widgets.Layout(height=height, width="100%"),
        )
        self.map.add_class("terrkit-map")
        self._territory_layers: list[ipyleaflet.GeoJSON] = []
        self._selection_layer = ipyleaflet.GeoJSON(data=self._collection([]), name="selection")
        self._border_layer = self._make_border_layer(units, decimals)
        self._rep_layer = self._make_rep_layer(reps)
        self.info = widgets.HTML(value=self._info_default(), layout=widgets.Layout(width="230px"))
        self.info.add_class("terrkit-info")
        self.legend = widgets.HTML()
        self.legend.add_class("terrkit-legend")
        self.draw = ipyleaflet.DrawControl(
            rectangle={"shapeOptions": {"color": "#222", "weight": 1, "fillOpacity": 0.08}},
            polygon={"shapeOptions": {"color": "#222", "weight": 1, "fillOpacity": 0.08}},
            polyline={},
            circle={},
            circlemarker={},
            marker={},
            edit=False,
            remove=False,
            position="topleft",
        )
        self.draw.on_draw(self._on_draw)
        self.map.add(self.draw)
        self.map.add(ipyleaflet.WidgetControl(widget=self.info, position="topright"))
        self.map.add(ipyleaflet.ScaleControl(position="bottomright", imperial=False))
        self.rebuild(state, colors)

    # ------------------------------------------------------------------------------------------------
    # features
    def _style(self, i: int, territory: str) -> dict[str, Any]:
        cls = f"{self._classes[i]} terrkit-t-{css_name(territory)}"
        style: dict[str, Any] = {
            "fillColor": self.colors.get(territory, "#cccccc"),
            "fillOpacity": 0.78,
            "color": "#ffffff",
            "weight": 0.6,
            "opacity": 0.9,
        }
        if self.points:
            style.update({"color": "#333333", "weight": 0.5, "radius": 3.5})
        elif self._is_point[i]:
            # a named account among polygons: a small circle with a dark ring, above the polygons
            style.update(
                {"color": "#111111", "weight": 1.4, "radius": 5, "fillOpacity": 0.95, "pane": ACCOUNT_PANE}
            )
        elif self._levels[i] == "zip":
            style["weight"] = 0.4
        if self.state.locked[i]:
            cls += " terrkit-locked"
            style.update({"color": "#111111", "weight": 1.6, "dashArray": "3 2"})
        style["className"] = cls
        return style

    def _feature(self, i: int, style: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self._ids[i],
            "properties": {"unit_id": self._ids[i], "style": style},
            "geometry": self._geometry[i],
        }

    def _collection(self, features: list[dict]) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": features}

    def _territory_data(self, t: int) -> dict[str, Any]:
        name = self.state.territories[t]
        members = self.state.members(t)
        return self._collection([self._feature(int(i), self._style(int(i), name)) for i in members])

    def _make_border_layer(self, units: gpd.GeoDataFrame, decimals: int) -> ipyleaflet.GeoJSON | None:
        """Outlines of the counties split into ZIP cells (the union of each county's cells), drawn over
        the cells; None when no county is split."""
        cells = np.flatnonzero((self._levels == "zip") & ~self._is_point)
        if not len(cells):
            return None
        county = np.where(self._counties[cells] != "", self._counties[cells], self._parents[cells])
        geoms = units.geometry.to_numpy()[cells]
        feats = []
        style = {
            "color": "#222222",
            "weight": 1.3,
            "opacity": 0.85,
            "fill": False,
            "interactive": False,
            "pane": BORDER_PANE,
            "className": "terrkit-county-border",
        }
        for cid in pd.unique(county):
            outline = shapely.boundary(shapely.coverage_union_all(geoms[county == cid]))
            feats.append(
                {
                    "type": "Feature",
                    "properties": {"county_id": str(cid), "style": style},
                    "geometry": json.loads(shapely.to_geojson(_round_coords(outline, decimals))),
                }
            )
        return ipyleaflet.GeoJSON(data=self._collection(feats), name="split county borders")

    def _make_rep_layer(self, reps: pd.DataFrame | None) -> ipyleaflet.GeoJSON | None:
        if reps is None or not len(reps):
            return None
        feats = []
        for r in reps.itertuples(index=False):
            props = {
                "rep_id": str(r.rep_id),
                "name": str(getattr(r, "name", r.rep_id)),
                "territory": str(getattr(r, "territory", "")),
                "style": {"className": f"terrkit-rep terrkit-rep-{css_name(r.rep_id)}", "pane": REP_PANE},
            }
            feats.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {"type": "Point", "coordinates": [round(r.lon, 4), round(r.lat, 4)]},
                }
            )
        layer = ipyleaflet.GeoJSON(
            data=self._collection(feats),
            name="rep home bases",
            point_style={
                "radius": 4,
                "color": "#ffffff",
                "weight": 1.2,
                "fillColor": "#d62728",
                "fillOpacity": 1.0,
                "pane": REP_PANE,
            },
            hover_style={"radius": 7},
        )
        layer.on_hover(self._on_rep_hover)
        return layer

    # ------------------------------------------------------------------------------------------------
    # drawing
    def rebuild(self, state: EditorState, colors: Mapping[str, str]) -> None:
        """Redraw every territory (a new plan with another territory list, or new colours)."""
        self.state = state
        self.colors = dict(colors)
        layers = []
        if self.points:
            point_style: dict[str, Any] = {"radius": 3.5}
        elif self._marker_pane:
            point_style = {"radius": 5, "pane": ACCOUNT_PANE}
        else:
            point_style = {}
        for t, name in enumerate(state.territories):
            layer = ipyleaflet.GeoJSON(
                data=self._territory_data(t),
                name=f"territory {name}",
                hover_style={"weight": 2.5, "color": "#000000", "fillOpacity": 0.95},
                point_style=point_style,
            )
            layer.on_click(self._on_click)
            layer.on_hover(self._on_hover)
            layers.append(layer)
        keep = tuple(x for x in self.map.layers if getattr(x, "base", False))
        self._territory_layers = layers
        extra = tuple(
            x for x in (self._border_layer, self._selection_layer, self._rep_layer) if x is not None
        )
        self.map.layers = keep + tuple(layers) + extra
        self.selection = np.zeros(0, dtype=np.int64)
        self._draw_selection()
        self.legend.value = self._legend_html()

    def refresh(self, territories: Iterable[int]) -> None:
        """Re-send the layers of the given territory indices (after units moved or were locked)."""
        for t in sorted({int(t) for t in territories}):
            self._territory_layers[t].data = self._territory_data(t)

    def refresh_units(self, units: Iterable[int]) -> None:
        """Re-send the layers that hold the given unit indices."""
        idx = np.asarray(list(units), dtype=np.int64)
        if len(idx):
            self.refresh(np.unique(self.state.codes[idx]))
            self._draw_selection()

    def _legend_html(self) -> str:
        items = "".join(
            f'<div style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis">'
            f'<span style="display:inline-block;width:10px;height:10px;background:{c};border:1px solid #555;'
            f'margin-right:3px;vertical-align:-1px"></span>{html.escape(t)}</div>'
            for t, c in self.colors.items()
            if t in self.state.territories
        )
        marks = (
            '<span style="color:#d62728;font-size:13px">&#9679;</span> rep home base &nbsp; '
            '<span style="border:1.5px dashed #111;padding:0 5px"></span> locked &nbsp; '
            '<span style="border:2.5px solid #000;padding:0 5px"></span> selected'
        )
        if self._border_layer is not None:
            marks += (
                ' &nbsp; <span style="border-bottom:2px solid #222;padding:0 6px;vertical-align:3px"></span>'
                " border of a county split into ZIP cells"
            )
        if self._marker_pane:
            marks += (
                ' &nbsp; <span style="display:inline-block;width:8px;height:8px;border-radius:50%;'
                'border:1.5px solid #111;vertical-align:-1px"></span> named account'
            )
        return (
            f'<div class="terrkit-legend-box" style="font-size:10.5px;line-height:1.3;padding:2px 0">'
            f"<div>{marks}</div>"
            f'<div style="display:grid;grid-template-columns:repeat(auto-fill, minmax(52px, 1fr));'
            f'column-gap:6px">{items}</div></div>'
        )

    # ------------------------------------------------------------------------------------------------
    # selection
    def set_selection(self, units: Iterable[int]) -> None:
        """Select these unit indices (replacing the selection)."""
        self.selection = np.unique(np.asarray(list(units), dtype=np.int64))
        self._draw_selection()
        if self.on_selection is not None:
            self.on_selection(self.selection)

    def toggle(self, unit: int) -> None:
        """Add a unit to the selection, or take it out if it is already selected."""
        if unit in self.selection:
            self.set_selection(self.selection[self.selection != unit])
        else:
            self.set_selection(np.append(self.selection, unit))

    def clear_selection(self) -> None:
        self.set_selection([])

    def select_within(self, shape: shapely.Geometry) -> np.ndarray:
        """Add the units whose representative point lies in ``shape`` (lon/lat); returns them."""
        inside = np.flatnonzero(shapely.contains_xy(shape, self._x, self._y))
        self.set_selection(np.concatenate([self.selection, inside]))
        return inside

    def _draw_selection(self) -> None:
        style = {
            "fill": False,
            "color": "#000000",
            "weight": 3,
            "opacity": 1,
            "interactive": False,
            "className": "terrkit-selected",
        }
        if self.points:
            style.update({"fill": True, "fillOpacity": 0, "radius": 6})
        elif self._marker_pane:
            style["pane"] = SELECTION_PANE
        point = {**style, "fill": True, "fillOpacity": 0, "radius": 8}
        feats = [self._feature(int(i), point if self._is_point[i] else style) for i in self.selection]
        if self.points:
            self._selection_layer.point_style = {"radius": 6}
        elif self._marker_pane:
            self._selection_layer.point_style = {"radius": 8, "pane": SELECTION_PANE}
        else:
            self._selection_layer.point_style = {}
        self._selection_layer.data = self._collection(feats)

    # ------------------------------------------------------------------------------------------------
    # events
    def _unit_index(self, unit_id: Any) -> int | None:
        pos = self.state.ids.get_indexer([str(unit_id)])[0]
        return None if pos < 0 else int(pos)

    def _on_click(
        self, event: str = "click", feature: dict | None = None, properties: dict | None = None, **_: Any
    ) -> None:
        props = properties or (feature or {}).get("properties", {})
        i = self._unit_index(props.get("unit_id"))
        if i is not None:
            self.toggle(i)

    def _on_hover(
        self, event: str = "mouseover", feature: dict | None = None, properties: dict | None = None, **_: Any
    ) -> None:
        props = properties or (feature or {}).get("properties", {})
        i = self._unit_index(props.get("unit_id"))
        if i is not None:
            self.info.value = self.unit_info(i)

    def _on_rep_hover(
        self, event: str = "mouseover", feature: dict | None = None, properties: dict | None = None, **_: Any
    ) -> None:
        p = properties or (feature or {}).get("properties", {})
        self.info.value = (
            f'<div class="terrkit-info-box" style="{self._BOX}"><b>{html.escape(p.get("name", ""))}'
            f"</b><br>rep {html.escape(p.get('rep_id', ''))} · home base<br>"
            f"territory {html.escape(p.get('territory', '') or '–')}</div>"
        )

    def _on_draw(self, target: Any = None, action: str = "", geo_json: dict | None = None) -> None:
        if action == "created" and geo_json:
            shape = shapely.geometry.shape(geo_json["geometry"])
            self.select_within(shape)
            self.draw.clear()

    _BOX = (
        "font-size:11.5px;line-height:1.35;background:rgba(255,255,255,0.94);padding:5px 8px;"
        "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.3)"
    )

    def _info_default(self) -> str:
        return (
            f'<div class="terrkit-info-box" style="{self._BOX}">Hover a unit to see it; click to select, '
            "or draw a box / polygon (tools on the left).</div>"
        )

    def level_text(self, i: int) -> str:
        """Level and parent of unit ``i`` in words ("ZIP cell of county 48201"); "" off a mixed layer."""
        if not self.mixed:
            return ""
        level = str(self._levels[i])
        text = LEVEL_NAMES.get(level, level)
        parent, county, county_name = self._parents[i], self._counties[i], self._county_names[i]
        named = f"{county_name} ({county})" if county_name and county else f"county {county or parent}"
        if level == "zip" and parent:
            text += f" of {named}"
        elif level == "account" and parent:
            text += f" from {named}" if parent == county else f" from ZIP cell {parent} in {named}"
        return text

    def unit_info(self, i: int) -> str:
        """HTML of the info box for unit index ``i``: name, id, level and parent, territory, measures,
        lock."""
        st = self.state
        t = st.territories[int(st.codes[i])]
        rows = "".join(
            f"<tr><td>{html.escape(m)}</td>"
            f"<td style='text-align:right;padding-left:8px'>{st.values[i, j]:,.0f}</td></tr>"
            for j, m in enumerate(st.measure_names)
        )
        lock = " · locked" if st.locked[i] else ""
        level = self.level_text(i)
        level = f"{html.escape(level)}<br>" if level else ""
        return (
            f'<div class="terrkit-info-box" style="{self._BOX}"><b>{html.escape(self._names[i])}</b> '
            f"({html.escape(self._ids[i])})<br>{level}territory <b>{html.escape(t)}</b>{lock}"
            f"<table>{rows}</table></div>"
        )
