"""The managers of the upper levels, their home bases, and each level's compactness from them.

A district or region manager is a rep-like record with a home base. A dataset may list them in an optional
``managers.csv``::

    manager_id,name,level,unit,home_lat,home_lon,home_zip
    M01,Ana Ruiz,district,DIS01,33.75,-84.39,
    M02,Ben Okafor,region,REG1,,,75201

``level`` is the level's name, ``unit`` the district or region id, and the home is given by ``home_lat``
and ``home_lon`` or by ``home_zip`` (placed at the ZIP code's point). A node without a manager is measured
from the home of its most central rep: the rep of the node whose home has the least call-weighted distance
to the node's accounts.

A level's compactness is the call-weighted mean distance (km) from each account of a node to the node's
manager's home, measured as the realignment measures travel from a rep's home.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.exceptions import DataValidationError
from terrkit.geo import haversine_km

#: File name of the optional managers table in a dataset folder.
MANAGERS_FILE = "managers.csv"
_COLUMNS = ("manager_id", "name", "level", "unit")


def read_managers(folder: str | os.PathLike) -> pd.DataFrame | None:
    """``managers.csv`` of a dataset folder with every home placed (None when the folder has none).

    Raises
    ------
    DataValidationError
        A missing column, a duplicate manager or node, or a home that is neither a point nor a known ZIP.
    """
    path = Path(folder) / MANAGERS_FILE
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(MANAGERS_FILE, f"missing required column(s) {', '.join(missing)}")
    for col in ("manager_id",):
        dup = frame[col].duplicated()
        if dup.any():
            raise DataValidationError(
                MANAGERS_FILE, "is listed twice", column=col, value=frame.loc[dup, col].iloc[0]
            )
    twice = frame.duplicated(["level", "unit"])
    if twice.any():
        raise DataValidationError(
            MANAGERS_FILE, "has two managers", column="unit", value=frame.loc[twice, "unit"].iloc[0]
        )
    for col in ("home_lat", "home_lon"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
    if "home_zip" in frame:
        from terrkit.datasets.bundled import load_zip_points

        zips = load_zip_points().drop_duplicates("zip").set_index("zip")
        blank = frame["home_lat"].isna() | frame["home_lon"].isna()
        code = frame["home_zip"].astype(str).str.strip().str.zfill(5)
        known = code.isin(zips.index)
        frame.loc[blank & known, "home_lat"] = zips.loc[code[blank & known], "lat"].to_numpy()
        frame.loc[blank & known, "home_lon"] = zips.loc[code[blank & known], "lon"].to_numpy()
    placed = frame["home_lat"].notna() & frame["home_lon"].notna()
    if not placed.all():
        row = int((~placed).to_numpy().argmax())
        raise DataValidationError(
            MANAGERS_FILE, "has no home: give home_lat and home_lon, or a known home_zip", row=row + 2,
            value=frame["manager_id"].iloc[row],
        )  # fmt: skip
    return frame


def manager_homes(
    level: str,
    node_of_account: pd.Series,
    accounts: pd.DataFrame,
    weight: np.ndarray,
    reps_of_node: pd.Series,
    reps: pd.DataFrame,
    managers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The home each node of ``level`` is measured from: its manager's, else its most central rep's.

    Parameters
    ----------
    node_of_account : pandas.Series
        The node of ``level`` of each account (aligned with ``accounts``).
    accounts : pandas.DataFrame
        ``lat``, ``lon``.
    weight : numpy.ndarray
        Travel weight per account (calls per year).
    reps_of_node : pandas.Series
        Rep id per territory's rep, indexed by node id (several rows per node).
    reps : pandas.DataFrame
        ``rep_id``, ``home_lat``, ``home_lon``.
    managers : pandas.DataFrame, optional
        :func:`read_managers`.

    Returns
    -------
    pandas.DataFrame
        Indexed by node id: ``manager_id``, ``name``, ``home_lat``, ``home_lon``, ``source``.
    """
    home = reps.drop_duplicates("rep_id").set_index("rep_id")
    lat = accounts["lat"].to_numpy(dtype=float)
    lon = accounts["lon"].to_numpy(dtype=float)
    w = np.nan_to_num(np.asarray(weight, dtype=float))
    rows = []
    given = managers[managers["level"] == level].set_index("unit") if managers is not None else pd.DataFrame()
    for node in sorted(pd.unique(node_of_account.dropna())):
        if node in given.index:
            m = given.loc[node]
            rows.append((node, m["manager_id"], m["name"], m["home_lat"], m["home_lon"], MANAGERS_FILE))
            continue
        inside = (node_of_account == node).to_numpy() & np.isfinite(lat) & np.isfinite(lon)
        candidates = [
            r for r in pd.unique(reps_of_node[reps_of_node.index == node].dropna()) if r in home.index
        ]
        best, best_cost = None, np.inf
        for rep in candidates:
            d = haversine_km(
                lon[inside], lat[inside], float(home.at[rep, "home_lon"]), float(home.at[rep, "home_lat"])
            )
            cost = float(np.nansum(w[inside] * d))
            if cost < best_cost:
                best, best_cost = rep, cost
        if best is None:
            rows.append((node, None, None, np.nan, np.nan, "no rep"))
        else:
            rows.append((node, None, f"central rep {best}", home.at[best, "home_lat"],
                         home.at[best, "home_lon"],
                         f"central rep {best}"))  # fmt: skip
    out = pd.DataFrame(rows, columns=["node", "manager_id", "name", "home_lat", "home_lon", "source"])
    return out.set_index("node")


def manager_distance(
    node_of_account: pd.Series, accounts: pd.DataFrame, weight: np.ndarray, homes: pd.DataFrame
) -> pd.Series:
    """Call-weighted mean km from each node's accounts to its manager's home (:func:`manager_homes`)."""
    lat = homes["home_lat"].reindex(node_of_account.to_numpy()).to_numpy(dtype=float)
    lon = homes["home_lon"].reindex(node_of_account.to_numpy()).to_numpy(dtype=float)
    d = haversine_km(accounts["lon"].to_numpy(dtype=float), accounts["lat"].to_numpy(dtype=float), lon, lat)
    w = np.nan_to_num(np.asarray(weight, dtype=float))
    ok = np.isfinite(d) & (w > 0)
    frame = pd.DataFrame({"node": node_of_account.to_numpy()[ok], "wd": (w * d)[ok], "w": w[ok]})
    sums = frame.groupby("node")[["wd", "w"]].sum()
    return (sums["wd"] / sums["w"]).rename("manager_distance_km")
