"""Import mappings: which source column feeds which terrkit field, and how the values are written.

A mapping is a YAML file (or a built-in preset, :mod:`terrkit.crm.presets`, written the same way)::

    extends: generic               # optional: start from a preset; this file then changes only what it names
    description: order lines from the ERP
    format:                        # how every file is written; a file may override any key under files.<kind>
      encoding: utf-8              # utf-8 (with or without a BOM), latin-1, cp1252, ...
      delimiter: ";"               # one character, or "tab"
      decimal: ","                 # "." or ","
      thousands: "."               # grouping separator: "", ",", ".", "'" or " " (default "," or ".")
      date_format: "%d/%m/%Y"      # strptime codes; default ISO 8601 (2024-12-31, a time part is ignored)
    files:
      sales:                       # kinds: accounts, sales (deals, opportunities, order lines), reps
        label: orders              # what the report calls this file
        required: true             # an import without such a file is an error
        account_separator: ";"     # sales only: several account ids in one cell; the first one counts
        columns:                   # field: column, or a list of columns (the first present is used);
          account_id: Customer No  # null unmaps a field of the preset
          zip: Postcode
          date: Invoice date
          amount: Net amount
    won:
      flag_values: ["true", "1"]   # values of the `won` column meaning won (case-insensitive)
      stages: [Closed Won]         # values of the `stage` column meaning won, used without a `won` column
    revenue_band:
      thresholds: [1e6, 1e7, 5e7, 2.5e8]  # annual revenue -> <1M, 1-10M, 10-50M, 50-250M, 250M+
      scale: 1                     # multiply annual_revenue first (1000 when it is in thousands)
      values: {Small: "<1M"}       # a `revenue_band` column's text -> terrkit band
    unknown_zip: drop              # drop (and count) accounts whose ZIP is unknown, or error

The fields of each kind are in :data:`FIELDS`; :mod:`terrkit.crm.mapping_schema` checks every key.
Extending a preset merges key by key: ``format`` keys, ``files.<kind>.columns`` fields and
``won``/``revenue_band`` keys given in the file replace the preset's; everything else is kept.
``files: {reps: null}`` removes a file kind. Problems are reported as
:class:`~terrkit.exceptions.ConfigError` naming the file, line and key, with the allowed values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terrkit.crm.mapping_schema import (
    DEFAULT_THRESHOLDS,
    FIELDS,
    KINDS,
    REQUIRED_FIELDS,
    UNKNOWN_ZIP_RULES,
    normalize,
    parse_yaml,
)
from terrkit.crm.presets import PRESETS
from terrkit.exceptions import ConfigError

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FIELDS",
    "KINDS",
    "REQUIRED_FIELDS",
    "UNKNOWN_ZIP_RULES",
    "FileMapping",
    "ImportMapping",
    "RevenueBandRule",
    "SourceFormat",
    "WonRule",
    "load_mapping",
    "mapping_from_dict",
    "preset_mapping",
    "resolve_mapping",
]


@dataclass(frozen=True)
class SourceFormat:
    """How a source file is written.

    Attributes
    ----------
    encoding : str
        Text encoding; a UTF-8 byte-order mark is always honoured (and means UTF-8).
    delimiter : str
        Field separator, one character.
    decimal, thousands : str
        Decimal separator (``.`` or ``,``) and digit-grouping separator (``""`` for none).
    date_format : str or None
        :func:`~datetime.datetime.strptime` format; ``None`` reads ISO 8601 dates (a time part is ignored).
    """

    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ","
    date_format: str | None = None


@dataclass(frozen=True)
class FileMapping:
    """How one kind of source file maps onto terrkit fields.

    Attributes
    ----------
    kind : {"accounts", "sales", "reps"}
        What the file holds.
    label : str
        The file's name in the report (``Account``, ``deals``, ``orders``).
    columns : dict
        Field -> candidate column names, first present wins.
    format : SourceFormat
        How values are written.
    required : bool
        Whether an import needs such a file.
    account_separator : str or None
        Separator of several account ids in one cell (sales only); the first id counts.
    """

    kind: str
    label: str
    columns: dict[str, tuple[str, ...]]
    format: SourceFormat = field(default_factory=SourceFormat)
    required: bool = False
    account_separator: str | None = None


@dataclass(frozen=True)
class WonRule:
    """Which sales count: a ``won`` column's ``flag_values``, else a ``stage`` column's ``stages``.

    Both are compared case-insensitively.
    """

    flag_values: tuple[str, ...] = ("true", "1", "yes")
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevenueBandRule:
    """How ``annual_revenue`` (times ``scale``) or a ``revenue_band`` text becomes a terrkit band.

    A revenue equal to a threshold belongs to the upper band.
    """

    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    scale: float = 1.0
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportMapping:
    """A complete, validated mapping: the files it reads and the rules it applies.

    Attributes
    ----------
    name : str
        Preset name, or the mapping file's path.
    description : str
        One line about the source.
    files : dict
        Kind -> :class:`FileMapping`.
    won : WonRule
    revenue_band : RevenueBandRule
    unknown_zip : {"drop", "error"}
        What happens to an account whose ZIP code is not a known ZIP of the contiguous US.
    extends : str or None
        The preset this mapping extends.
    """

    name: str
    description: str
    files: dict[str, FileMapping]
    won: WonRule = field(default_factory=WonRule)
    revenue_band: RevenueBandRule = field(default_factory=RevenueBandRule)
    unknown_zip: str = "drop"
    extends: str | None = None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, key by key; ``None`` in ``files`` removes a kind."""
    out = dict(base)
    for key, value in over.items():
        if key == "files":
            files = dict(base.get("files", {}))
            for kind, spec in value.items():
                if spec is None:
                    files.pop(kind, None)
                elif files.get(kind) is None:
                    files[kind] = spec
                else:
                    merged = {
                        **files[kind],
                        **{k: v for k, v in spec.items() if k not in ("columns", "format")},
                    }
                    merged["columns"] = {**files[kind].get("columns", {}), **spec.get("columns", {})}
                    merged["format"] = {**files[kind].get("format", {}), **spec.get("format", {})}
                    files[kind] = merged
            out["files"] = files
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    return out


def _source_format(spec: dict[str, Any]) -> SourceFormat:
    decimal = spec.get("decimal", ".")
    thousands = spec.get("thousands", "," if decimal == "." else ".")
    return SourceFormat(
        encoding=spec.get("encoding", "utf-8"),
        delimiter=spec.get("delimiter", ","),
        decimal=decimal,
        thousands=thousands,
        date_format=spec.get("date_format"),
    )


def _build(spec: dict[str, Any], name: str, source: str) -> ImportMapping:
    top = spec.get("format", {})
    files: dict[str, FileMapping] = {}
    for kind in KINDS:
        file_spec = spec.get("files", {}).get(kind)
        if file_spec is None:
            continue
        columns = {f: c for f, c in file_spec.get("columns", {}).items() if c}
        missing = [f for f in REQUIRED_FIELDS[kind] if f not in columns]
        if missing:
            raise ConfigError(
                f"{source}: files.{kind}.columns: map the required field{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the fields of {kind}: {', '.join(FIELDS[kind])})"
            )
        fmt = _source_format({**top, **file_spec.get("format", {})})
        if fmt.thousands and fmt.thousands == fmt.decimal:
            raise ConfigError(
                f"{source}: files.{kind}: thousands and decimal are both {fmt.decimal!r}; set thousands too"
            )
        files[kind] = FileMapping(
            kind=kind,
            label=file_spec.get("label", kind),
            columns=columns,
            format=fmt,
            required=file_spec.get("required", kind == "sales"),
            account_separator=file_spec.get("account_separator"),
        )
    if "sales" not in files:
        raise ConfigError(f"{source}: files: a mapping needs a sales file (deals, opportunities or orders)")
    won = spec.get("won", {})
    band = spec.get("revenue_band", {})
    return ImportMapping(
        name=name,
        description=spec.get("description", ""),
        files=files,
        won=WonRule(
            flag_values=tuple(v.strip() for v in won.get("flag_values", WonRule.flag_values)),
            stages=tuple(v.strip() for v in won.get("stages", ())),
        ),
        revenue_band=RevenueBandRule(
            thresholds=band.get("thresholds", DEFAULT_THRESHOLDS),
            scale=band.get("scale", 1.0),
            values=band.get("values", {}),
        ),
        unknown_zip=spec.get("unknown_zip", "drop"),
        extends=spec.get("extends"),
    )


# ------------------------------------------------------------------------------------------ public API


def preset_mapping(name: str) -> ImportMapping:
    """The built-in mapping of a preset.

    Parameters
    ----------
    name : {"salesforce", "hubspot", "generic"}
        Preset name.

    Raises
    ------
    ConfigError
        For an unknown name, listing the valid ones.
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return _build(normalize(PRESETS[name], f"preset {name}"), name, f"preset {name}")


def mapping_from_dict(data: Any, source: str = "mapping") -> ImportMapping:
    """Validate a mapping given as a dict (the parsed YAML) and resolve its ``extends``.

    Parameters
    ----------
    data : dict
        The mapping, as in the module notes.
    source : str
        What error messages call it.

    Raises
    ------
    ConfigError
        Naming the key (and line, for YAML) of the first problem.
    """
    spec = normalize(data, source)
    base = spec.get("extends")
    if base is not None:
        spec = _merge(normalize(PRESETS[base], f"preset {base}"), spec)
    return _build(spec, source, source)


def load_mapping(path: str | os.PathLike) -> ImportMapping:
    """Read and validate a mapping YAML file.

    Parameters
    ----------
    path : str or os.PathLike
        The YAML file.

    Raises
    ------
    ConfigError
        The file is missing, is not valid YAML, or breaks the mapping schema (the message names the line).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{file}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{file}: cannot be read as UTF-8 text: {err}") from None
    return mapping_from_dict(parse_yaml(text, str(file)), str(file))


def resolve_mapping(
    preset: str | None = None, mapping: str | os.PathLike | ImportMapping | None = None
) -> ImportMapping:
    """The mapping of an import: a preset by name, or a mapping file (which may extend a preset).

    Raises
    ------
    ConfigError
        Neither or both are given, or the one given is invalid.
    """
    if (preset is None) == (mapping is None):
        raise ConfigError(
            f"give either a preset ({', '.join(PRESETS)}) or a mapping file, not both or neither"
        )
    if preset is not None:
        return preset_mapping(preset)
    if isinstance(mapping, ImportMapping):
        return mapping
    return load_mapping(mapping)
