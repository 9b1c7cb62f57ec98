"""Write a terrkit data folder all at once: into a temporary sibling folder, then renamed into place."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from terrkit.exceptions import ConfigError, TerrkitError
from terrkit.io import staged_folder


def check_destination(
    out: str | os.PathLike, *, overwrite: bool, keep: Iterable[str | os.PathLike] = ()
) -> Path:
    """The folder to write, after checking it may be written.

    Parameters
    ----------
    out : path
        Destination folder.
    overwrite : bool
        Whether an existing folder may be replaced.
    keep : iterable of path
        Files that must survive (the import's sources): replacing a folder that holds one is refused.

    Raises
    ------
    TerrkitError
        The folder exists and ``overwrite`` is false, or it holds a file of ``keep``.
    """
    final = Path(out)
    if final.exists() and not final.is_dir():
        raise ConfigError(f"{final} exists and is not a folder; choose another --out")
    if final.exists() and not overwrite:
        raise TerrkitError(f"{final} already exists; choose another --out or pass --overwrite")
    if final.exists():
        root = final.resolve()
        for path in keep:
            source = Path(path).resolve()
            if source == root or root in source.parents:
                raise ConfigError(
                    f"--out {final} holds the source {path}; write the import to another folder"
                )
    return final


def write_files(
    contents: dict[str, bytes],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    keep: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write files to the folder ``out``, all of them or none.

    The files go into a hidden temporary folder next to ``out`` which is renamed into place; an existing
    ``out`` (with ``overwrite``) is moved aside first and deleted only once the new folder is in place,
    so a failure leaves it as it was.

    Parameters
    ----------
    contents : dict
        File name -> bytes.
    out : path
        Destination folder.
    overwrite : bool, default False
        Replace an existing folder.
    keep : iterable of path
        Files that must not be deleted by the replacement (see :func:`check_destination`).

    Returns
    -------
    Path
        The folder written.
    """
    final = check_destination(out, overwrite=overwrite, keep=keep)
    with staged_folder(final) as staging:
        for name, data in contents.items():
            (staging / name).write_bytes(data)
    return final


def write_folder(
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    keep: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write CSV tables (UTF-8, no index) and ``dataset.json`` to ``out``, all files or none.

    See :func:`write_files`.
    """
    contents = {name: table.to_csv(index=False).encode("utf-8") for name, table in tables.items()}
    contents["dataset.json"] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    return write_files(contents, out, overwrite=overwrite, keep=keep)
