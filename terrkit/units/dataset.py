"""A dataset moved onto a mixed unit layer: units, accounts and the current alignment."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from terrkit.io.load import Dataset
from terrkit.io.schema import ACCOUNTS, ALIGNMENT
from terrkit.units.alignment import map_alignment_down
from terrkit.units.layer import UnitLayer, build_unit_layer

_POLYGONAL = ("Polygon", "MultiPolygon")


def zip_points_for_units(units: gpd.GeoDataFrame, zip_points: pd.DataFrame) -> pd.DataFrame:
    """The ZIP points of each unit, with ``unit_id`` set to the unit they belong to.

    When some unit ids are counties of the ZIP file (the bundled counties, or a copy of them), the
    points keep their county. Otherwise the points are placed in the units' polygons (point in polygon;
    a point on a shared border goes to the first unit). Units without polygons, or without any point
    inside, get no points, and only named accounts can refine them.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        ``unit_id`` and geometry.
    zip_points : pandas.DataFrame
        ``zip``, ``lat``, ``lon``, ``unit_id`` and optionally ``zip_type``, ``city``.

    Returns
    -------
    pandas.DataFrame
        The ZIP points that lie in the units, with the unit in ``unit_id``.
    """
    ids = pd.Index(units["unit_id"].astype(str))
    if zip_points["unit_id"].isin(ids).any():
        return zip_points[zip_points["unit_id"].isin(ids)].reset_index(drop=True)
    polygons = units[units.geom_type.isin(_POLYGONAL).to_numpy()]
    located = zip_points.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    if polygons.empty or located.empty:
        return zip_points.iloc[:0]
    points = gpd.GeoDataFrame(
        located.drop(columns="unit_id"),
        geometry=gpd.points_from_xy(located["lon"], located["lat"]),
        crs="EPSG:4326",
    )
    shapes = gpd.GeoDataFrame(
        {"unit_id": polygons["unit_id"].astype(str).to_numpy()},
        geometry=polygons.geometry.to_crs("EPSG:4326").values if polygons.crs else polygons.geometry.values,
        crs="EPSG:4326",
    )
    joined = points.sjoin(shapes, how="inner", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    return pd.DataFrame(joined.drop(columns=["geometry", "index_right"])).reset_index(drop=True)


def refine_dataset(
    dataset: Dataset,
    measures: pd.DataFrame,
    k: int,
    *,
    max_share: float = 0.2,
    zip_points: pd.DataFrame | None = None,
) -> tuple[Dataset, UnitLayer]:
    """The dataset on a mixed unit layer in which no unit holds more than ``max_share`` of a territory.

    Parameters
    ----------
    dataset : terrkit.io.Dataset
        A loaded dataset (bundled counties or its own units file).
    measures : pandas.DataFrame
        Non-negative balance measures aligned with ``dataset.accounts`` (e.g. the ``potential`` and
        ``workload`` columns of :func:`terrkit.review.pipeline.score_accounts_for_review`).
    k : int
        Number of territories.
    max_share : float, default 0.2
        Largest share of a territory's target (total / k) one unit may hold on any measure.
    zip_points : pandas.DataFrame, optional
        ZIP points (default the bundled ones); placed in the dataset's own polygons when its units are
        not counties of the ZIP file (see :func:`zip_points_for_units`).

    Returns
    -------
    (terrkit.io.Dataset, UnitLayer)
        A copy of the dataset whose ``units`` are the layer, whose accounts' ``unit_id`` are layer units
        (the original unit kept in ``county_id``) and whose ``alignment`` is mapped down to the layer
        (units no alignment row reaches are left out, as in ``current_alignment.csv``); and the layer.

    See Also
    --------
    build_unit_layer, map_alignment_down
    """
    if zip_points is None:
        from terrkit.datasets.bundled import load_zip_points

        zip_points = load_zip_points()
    points = zip_points_for_units(dataset.units, zip_points)
    layer = build_unit_layer(
        dataset.units, points, dataset.accounts, measures, k, max_share=max_share, source=ACCOUNTS.file
    )
    mapped = map_alignment_down(layer.units, dataset.alignment, zip_points=points, source=ALIGNMENT.file)
    alignment = (
        mapped.dropna(subset=["territory_id"]).drop(columns=["level", "parent_id"]).reset_index(drop=True)
    )
    s = layer.summary()
    note = (
        f"unit layer (max share {max_share:g} of {k} territories): {s['counties_kept']:,} counties, "
        f"{s['cells']:,} ZIP cells in {s['counties_split']:,} split counties, "
        f"{s['named_accounts']:,} named accounts"
    )
    summary = dataclasses.replace(
        dataset.summary,
        units=len(layer.units),
        units_unaligned=int(len(layer.units) - len(alignment)),
        notes=[*dataset.summary.notes, note],
    )
    refined = dataclasses.replace(
        dataset,
        accounts=layer.account_frame(dataset.accounts),
        units=layer.units,
        alignment=alignment,
        summary=summary,
    )
    return refined, layer
