"""ipyleaflet map of territories: one GeoJSON layer per territory, so an edit re-sends only the layers of
the territories it touched (tens of units), never the whole map.

What is drawn
-------------
- Units as polygons (counties) or as points (ZIP codes), filled with their territory's colour. Each SVG
  path gets the CSS classes ``terrkit-unit``, ``terrkit-t-<territory>`` and ``terrkit-u-<unit id>``
  (``terrkit-locked`` when locked), so pages and tests can find them.
- The selection as a thick black outline (a layer that does not catch clicks).
- Rep home bases as red circles (class ``terrkit-rep``).
- An info box (top right) that shows the unit under the mouse: name, territory and measures.
- A legend (:attr:`TerritoryMap.legend`, an HTML widget to place under the map).

No tile layer unless ``basemap`` is given: the map works offline.

Selecting: a click on a unit toggles it; a rectangle or polygon drawn with the draw tools (top left) adds
the units whose representative point lies inside it.
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


def css_name(value: str) -> str:
    """A CSS-class-safe version of an id or territory name (other characters become ``_``)."""
    return _SAFE.sub("_", str(value))


def _round_coords(geometry: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometry, lambda xy: np.round(xy, decimals))


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
        self.points = bool((shapely.get_type_id(geoms) == 0).all())
        rounded = _round_coords(geoms, decimals)
        self._geometry = [json.loads(g) for g in shapely.to_geojson(rounded)]
        rep = geoms if self.points else shapely.point_on_surface(geoms)
        self._x, self._y = shapely.get_x(rep), shapely.get_y(rep)
        self._classes = [f"terrkit-unit terrkit-u-{css_name(u)}" for u in ids]
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
            layout=widgets.Layout(height=height, width="100%"),
        )
        self.map.add_class("terrkit-map")
        self._territory_layers: list[ipyleaflet.GeoJSON] = []
        self._selection_layer = ipyleaflet.GeoJSON(data=self._collection([]), name="selection")
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

    def _make_rep_layer(self, reps: pd.DataFrame | None) -> ipyleaflet.GeoJSON | None:
        if reps is None or not len(reps):
            return None
        feats = []
        for r in reps.itertuples(index=False):
            props = {
                "rep_id": str(r.rep_id),
                "name": str(getattr(r, "name", r.rep_id)),
                "territory": str(getattr(r, "territory", "")),
                "style": {"className": f"terrkit-rep terrkit-rep-{css_name(r.rep_id)}"},
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
        for t, name in enumerate(state.territories):
            layer = ipyleaflet.GeoJSON(
                data=self._territory_data(t),
                name=f"territory {name}",
                hover_style={"weight": 2.5, "color": "#000000", "fillOpacity": 0.95},
                point_style={"radius": 3.5} if self.points else {},
            )
            layer.on_click(self._on_click)
            layer.on_hover(self._on_hover)
            layers.append(layer)
        keep = tuple(x for x in self.map.layers if getattr(x, "base", False))
        self._territory_layers = layers
        extra = (self._selection_layer,) + ((self._rep_layer,) if self._rep_layer is not None else ())
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
        feats = [self._feature(int(i), style) for i in self.selection]
        self._selection_layer.point_style = {"radius": 6} if self.points else {}
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

    def unit_info(self, i: int) -> str:
        """HTML of the info box for unit index ``i``: name, id, territory, measures, lock."""
        st = self.state
        t = st.territories[int(st.codes[i])]
        rows = "".join(
            f"<tr><td>{html.escape(m)}</td>"
            f"<td style='text-align:right;padding-left:8px'>{st.values[i, j]:,.0f}</td></tr>"
            for j, m in enumerate(st.measure_names)
        )
        lock = " · locked" if st.locked[i] else ""
        return (
            f'<div class="terrkit-info-box" style="{self._BOX}"><b>{html.escape(self._names[i])}</b> '
            f"({html.escape(self._ids[i])})<br>territory <b>{html.escape(t)}</b>{lock}"
            f"<table>{rows}</table></div>"
        )
