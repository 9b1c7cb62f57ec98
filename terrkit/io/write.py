"""Atomic writers: an output file or folder appears whole or not at all.

Each writer writes to a hidden temporary file in the destination folder and then
renames it over the destination with :func:`os.replace`, which is atomic on POSIX
and Windows file systems. If anything fails on the way, the temporary file is removed
and the destination is left as it was. A folder of files is written the same way:
into a hidden staging folder next to it (:func:`staged_folder`), moved into place with
:func:`replace_folder`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination. Its folder is created if needed.

    Examples
    --------
    >>> with atomic_path("out/table.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # keep the real suffix last: some writers (GDAL) check it
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_atomic(path: str | os.PathLike, write: Callable[[Path], Any]) -> Path:
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_all(writers: Mapping[str | os.PathLike, Callable[[Path], Any]]) -> list[Path]:
    """Write several files, all or none.

    Each writer writes its file's temporary path (:func:`atomic_path`); the files are renamed into place
    only when every one is complete. If any writer fails, no file appears and existing files of the same
    names are left as they were.

    Parameters
    ----------
    writers : mapping
        Destination path -> function writing the file at the path it is given.

    Returns
    -------
    list of pathlib.Path
        The destinations, in the order given.
    """
    with ExitStack() as stack:
        for path, write in writers.items():
            write(stack.enter_context(atomic_path(path)))
    return [Path(path) for path in writers]


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False, **kwargs: Any) -> Path:
    """Write a DataFrame to CSV atomically (no index by default)."""
    return _write_atomic(path, lambda tmp: frame.to_csv(tmp, index=index, **kwargs))


def write_json(obj: Any, path: str | os.PathLike, *, indent: int = 2) -> Path:
    """Write a JSON-serialisable object atomically; NumPy scalars and arrays are converted."""

    def default(value: Any) -> Any:
        if hasattr(value, "tolist"):
            return value.tolist()
        if hasattr(value, "isoformat"):
            return value.isoformat()
        raise TypeError(f"cannot write {type(value).__name__} to JSON")

    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(obj, indent=indent, default=default, allow_nan=False) + "\n")

    return _write_atomic(path, write)


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a text file atomically."""
    return _write_atomic(path, lambda tmp: tmp.write_text(text))


_GEO_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


def write_geo(frame: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write a GeoDataFrame atomically; the format follows the suffix.

    ``.parquet`` writes GeoParquet; ``.gpkg``, ``.geojson`` and ``.json`` use the
    matching GDAL driver. Shapefiles (several files) are not written atomically and
    are refused.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return _write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
    if suffix == ".shp":
        raise ValueError("shapefiles are several files and cannot be written atomically; use .gpkg")
    if suffix not in _GEO_DRIVERS:
        allowed = ", ".join([".parquet", *sorted(_GEO_DRIVERS)])
        raise ValueError(f"unknown geographic file type {suffix!r}; use one of {allowed}")
    driver = _GEO_DRIVERS[suffix]
    # GDAL names a GeoPackage layer after the file; name it after the destination, not the temp file.
    layer = {"layer": Path(path).stem} if driver == "GPKG" else {}
    return _write_atomic(path, lambda tmp: frame.to_file(tmp, driver=driver, engine="pyogrio", **layer))


def replace_folder(staging: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Move the finished folder ``staging`` onto ``final``, all or nothing.

    An existing ``final`` is set aside first and removed only once the new folder is in place; if the
    move fails it is put back, so a reader never sees a half-replaced folder.
    """
    staging, final = Path(staging), Path(final)
    if not final.exists():
        os.replace(staging, final)
        return final
    old = final.parent / f".{final.name}.old.{uuid.uuid4().hex[:8]}"
    os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return final


#: Permissions of a staged folder: :func:`tempfile.mkdtemp` makes it owner-only (0o700), but the folder
#: it becomes must be readable like one made by ``mkdir`` (owner writes, everyone reads).
FOLDER_MODE = 0o755


@contextmanager
def staged_folder(final: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder next to ``final``; move it onto ``final`` if the block succeeds.

    The staging folder is hidden (``.<name>.<random>.partial``) in ``final``'s parent, which is created
    if needed. When the block ends normally the folder is moved into place with :func:`replace_folder`,
    so an existing ``final`` is replaced only once the new folder is complete. If the block (or the
    move) raises, the staging folder is removed, ``final`` is left as it was and the error propagates.

    Parameters
    ----------
    final : str or os.PathLike
        Destination folder. Whether an existing one may be replaced is the caller's check.

    Examples
    --------
    >>> with staged_folder("out/company") as staging:  # doctest: +SKIP
    ...     frame.to_csv(staging / "accounts.csv", index=False)
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        staging.chmod(FOLDER_MODE)
        yield staging
        replace_folder(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
