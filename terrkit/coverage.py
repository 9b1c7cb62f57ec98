"""Coverage model: how often each segment is called on and how long a call takes.

A coverage model is a small table with one row per segment::

    segment, calls_per_year, minutes_per_call, response_calls

``calls_per_year`` and ``minutes_per_call`` drive the workload
(:func:`terrkit.workload.account_workload`). ``response_calls`` is accepted for older tables but no
longer used: the marginal view calibrates each segment's response constant so that today's calls
reproduce today's sales (:func:`terrkit.workload.calibrate_response`).

The defaults follow a common B2B field-sales cadence for a national field force: top
accounts are visited every other month, the middle twice a year, the long tail once every
two years (it is mostly served by phone); calls on larger accounts take longer. They are not
tuned to any dataset. With the default coverage rule of :mod:`terrkit.workload` (remote coverage
beyond a day's drive) the bundled sample (20,000 accounts, 49 reps) needs about 36 reps.

Default tables (documented here, overridable by a CSV or YAML file or a DataFrame):

ABC tiers (``scheme="abc"``)

======  ==============  ================  ==============
tier    calls per year  minutes per call  response_calls
======  ==============  ================  ==============
A       6               60                3
B       2               45                1
C       0.5             30                0.25
======  ==============  ================  ==============

RFM segments (``scheme="rfm"``)

===============  ==============  ================  ==============
segment          calls per year  minutes per call  response_calls
===============  ==============  ================  ==============
Champions        6               60                3
Loyal            4               45                2
Promising        3               45                1.5
At risk          4               45                2
Lost             1               30                0.5
Other            2               30                1
Prospect         1               45                0.5
===============  ==============  ================  ==============

``data/coverage_default.csv`` holds the ABC default as a template to copy and edit.
A row with segment ``*`` is a catch-all for segments not listed. Firmographic clusters
(k-means, GMM) have no default: their segments are data-driven, so pass a table.

YAML files may be either a list of records with the columns above or a mapping
``segment: {calls_per_year: .., minutes_per_call: ..}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from terrkit.exceptions import ConfigError

COLUMNS = ("segment", "calls_per_year", "minutes_per_call")
OPTIONAL_COLUMNS = ("response_calls",)
CATCH_ALL = "*"

_DEFAULTS: dict[str, list[tuple[str, float, float, float]]] = {
    "abc": [
        ("A", 6, 60, 3),
        ("B", 2, 45, 1),
        ("C", 0.5, 30, 0.25),
    ],
    "rfm": [
        ("Champions", 6, 60, 3),
        ("Loyal", 4, 45, 2),
        ("Promising", 3, 45, 1.5),
        ("At risk", 4, 45, 2),
        ("Lost", 1, 30, 0.5),
        ("Other", 2, 30, 1),
        ("Prospect", 1, 45, 0.5),
    ],
}


@dataclass(frozen=True)
class CoverageModel:
    """Segment -> calls per year, minutes per call (and response constant).

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``segment`` (str), ``calls_per_year``, ``minutes_per_call``, ``response_calls``.
    source : str
        Where the table came from (``"default:abc"``, a file path or ``"DataFrame"``).
    """

    table: pd.DataFrame
    source: str = "DataFrame"

    @classmethod
    def default(cls, scheme: str = "abc") -> CoverageModel:
        """The documented default table for ``scheme`` ("abc" or "rfm")."""
        if scheme not in _DEFAULTS:
            raise ValueError(
                f"no default coverage model for scheme {scheme!r}; defaults exist for "
                f"{sorted(_DEFAULTS)}. Pass a coverage table (CSV/YAML file or DataFrame) instead."
            )
        df = pd.DataFrame(_DEFAULTS[scheme], columns=[*COLUMNS, "response_calls"])
        return cls(_validate(df, f"default:{scheme}"), f"default:{scheme}")

    @classmethod
    def from_frame(cls, df: pd.DataFrame, source: str = "DataFrame") -> CoverageModel:
        """Validate a table with the columns ``segment, calls_per_year, minutes_per_call``."""
        return cls(_validate(df, source), source)

    @classmethod
    def from_file(cls, path: str | Path) -> CoverageModel:
        """Read a coverage table from a ``.csv`` or ``.yaml``/``.yml`` file."""
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"coverage table file not found: {path}")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            df = pd.read_csv(path, dtype={"segment": str}, keep_default_na=False)
        elif suffix in (".yaml", ".yml"):
            import yaml

            with path.open() as fh:
                data = yaml.safe_load(fh)
            if isinstance(data, dict):
                try:
                    df = pd.DataFrame([{"segment": str(k), **dict(v)} for k, v in data.items()])
                except (TypeError, ValueError) as exc:
                    raise ConfigError(
                        f"{path}: a YAML mapping must map each segment to "
                        "{calls_per_year: .., minutes_per_call: ..}"
                    ) from exc
            elif isinstance(data, list):
                df = pd.DataFrame(data)
            else:
                raise ConfigError(f"{path}: expected a list of records or a mapping of segments")
        else:
            raise ConfigError(f"{path}: coverage table must be .csv, .yaml or .yml, not {suffix!r}")
        return cls(_validate(df, str(path)), str(path))

    @property
    def segments(self) -> list[str]:
        """Segments listed in the table (the catch-all ``*`` included)."""
        return self.table["segment"].tolist()

    def apply(self, segments: pd.Series) -> pd.DataFrame:
        """Look up the coverage of each account's segment.

        Parameters
        ----------
        segments : pandas.Series
            One segment label per account (converted to str).

        Returns
        -------
        pandas.DataFrame
            Same index as ``segments``; columns ``calls_per_year``, ``minutes_per_call``,
            ``response_calls``.

        Raises
        ------
        ConfigError
            If a segment is not in the table and there is no catch-all row ``*``.
        """
        keys = segments.astype(str)
        table = self.table.set_index("segment")
        uniques = pd.unique(keys.to_numpy())
        missing = [u for u in uniques if u not in table.index]
        if missing and CATCH_ALL not in table.index:
            raise ConfigError(
                f"coverage model ({self.source}) has no row for segment(s) {sorted(missing)[:10]}; "
                f"it lists {self.segments}. Add rows (or a catch-all row '{CATCH_ALL}')."
            )
        lookup_keys = keys.where(keys.isin(table.index), CATCH_ALL)
        codes = table.index.get_indexer(lookup_keys.to_numpy())
        out = pd.DataFrame(
            {
                col: table[col].to_numpy(dtype=float)[codes]
                for col in ("calls_per_year", "minutes_per_call", "response_calls")
            },
            index=segments.index,
        )
        return out


def load_coverage(source: str | Path | pd.DataFrame | CoverageModel | None = None, scheme: str = "abc"):
    """Coverage model from a file, a DataFrame, or the documented default for ``scheme``.

    Parameters
    ----------
    source : str, path, DataFrame, CoverageModel or None
        ``None`` or ``""`` gives :meth:`CoverageModel.default` for ``scheme``.
    scheme : str, default "abc"
        Segmentation scheme whose default table is used when ``source`` is empty.

    Returns
    -------
    CoverageModel
    """
    if isinstance(source, CoverageModel):
        return source
    if source is None or (isinstance(source, str) and source.strip() == ""):
        return CoverageModel.default(scheme)
    if isinstance(source, pd.DataFrame):
        return CoverageModel.from_frame(source)
    return CoverageModel.from_file(source)


def _validate(df: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(
            f"coverage table ({source}) lacks column(s) {missing}; required: {list(COLUMNS)}, "
            f"optional: {list(OPTIONAL_COLUMNS)}"
        )
    if len(df) == 0:
        raise ConfigError(f"coverage table ({source}) has no rows")
    out = pd.DataFrame({"segment": df["segment"].astype(str).str.strip().to_numpy()})
    if out["segment"].duplicated().any():
        dups = sorted(out.loc[out["segment"].duplicated(), "segment"].unique())
        raise ConfigError(f"coverage table ({source}) lists segment(s) {dups} more than once")
    for col in ("calls_per_year", "minutes_per_call"):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ConfigError(
                f"coverage table ({source}): column '{col}' must be a non-negative number; "
                f"segment {out['segment'].iloc[i]!r} has {df[col].iloc[i]!r}"
            )
        out[col] = values
    if "response_calls" in df.columns:
        rc = pd.to_numeric(df["response_calls"], errors="coerce").to_numpy(dtype=float)
        rc = np.where(np.isfinite(rc), rc, np.nan)
        if (rc <= 0).any():
            raise ConfigError(f"coverage table ({source}): 'response_calls' must be positive")
    else:
        rc = np.full(len(out), np.nan)
    out["response_calls"] = np.where(np.isnan(rc), np.maximum(out["calls_per_year"] / 2.0, 0.5), rc)
    return out
