"""What an import mapping may say: its keys, the fields of each kind of file, and their validation.

:func:`normalize` checks a mapping read from YAML (or a preset's dict) key by key and returns it in
canonical form; :func:`parse_yaml` reads YAML with the line of every key, duplicate keys as errors and
YAML 1.2 booleans (a column called ``No`` stays text). Every problem is a
:class:`~terrkit.exceptions.ConfigError` naming the file, line and key, and what is allowed.
"""

from __future__ import annotations

import codecs
import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from terrkit.crm.presets import PRESETS
from terrkit.exceptions import ConfigError
from terrkit.io.schema import REVENUE_BANDS

KINDS: tuple[str, ...] = ("accounts", "sales", "reps")

_ACCOUNT_ATTRIBUTES = {
    "industry": "industry (written to accounts.csv when the source has it)",
    "employees": "number of employees (a number >= 0)",
    "annual_revenue": "annual revenue, a number turned into revenue_band by revenue_band.thresholds",
    "revenue_band": "revenue band as text, translated by revenue_band.values",
    "owner": "the account owner: a rep id, email or name (matched against the reps file)",
}

#: Fields of each kind of source file, with what each holds.
FIELDS: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "the account's CRM id (becomes account_id)",
        "name": "account name",
        "zip": "billing ZIP code; places the account",
        "state": "billing state (USPS code), checked against the ZIP's state",
        "lat": "latitude (with lon; default: the ZIP point)",
        "lon": "longitude (with lat)",
        **_ACCOUNT_ATTRIBUTES,
    },
    "sales": {
        "account_id": "the account the sale belongs to",
        "date": "close, order or invoice date; gives the quarter",
        "amount": "amount (negative for credits)",
        "won": "won flag (won when the value is in won.flag_values)",
        "stage": "stage (won when in won.stages; used when there is no won column)",
        "account_name": "the account's name, for accounts known only from sales",
        "zip": "the line's ZIP code (ship-to); candidates for the account's location",
        "billing_zip": "the account's billing ZIP on the line; wins over zip",
        **_ACCOUNT_ATTRIBUTES,
    },
    "reps": {
        "rep_id": "the rep's id (becomes rep_id; the owner values of accounts should match it)",
        "owner_id": "another id accounts may name their owner by (e.g. HubSpot Owner ID)",
        "email": "email; an account owner may be written as it",
        "name": "name; an account owner may be written as it (when no two reps share it)",
        "zip": "home ZIP code (becomes home_zip)",
        "capacity_hours": "selling hours per year",
        "quota": "quota",
    },
}

#: Fields a file of each kind must map (and whose columns identify it).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "sales": ("account_id", "date", "amount"),
    "reps": ("rep_id",),
}

DEFAULT_THRESHOLDS: tuple[float, ...] = (1e6, 10e6, 50e6, 250e6)
UNKNOWN_ZIP_RULES: tuple[str, ...] = ("drop", "error")
_DECIMALS = (".", ",")
_THOUSANDS = ("", ",", ".", "'", " ")
_TOP_KEYS = ("extends", "description", "format", "files", "won", "revenue_band", "unknown_zip")
_FORMAT_KEYS = ("encoding", "delimiter", "decimal", "thousands", "date_format")
_FILE_KEYS = ("label", "required", "account_separator", "columns", "format")
_WON_KEYS = ("flag_values", "stages")
_BAND_KEYS = ("thresholds", "scale", "values")


# ---------------------------------------------------------------------------------------- YAML reading


class _Lines(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    """Safe YAML with key lines, duplicate-key errors and YAML 1.2 booleans (``No`` stays text)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lines:
    loader.flatten_mapping(node)
    out = _Lines()
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) or key is None:
            raise ConfigError(f"{loader.name}, line {line}: a key must be text, got {key!r}")
        if key in out:
            raise ConfigError(
                f"{loader.name}, line {line}: duplicate key {key!r} (first on line {out.lines[key]})"
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; mappings remember the line of each key.

    Raises
    ------
    ConfigError
        The text is not valid YAML (naming the line) or repeats a key.
    """
    loader = _LineLoader(text)
    loader.name = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{where}: not valid YAML: {err.problem or err.context}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from None
    finally:
        loader.dispose()


# ------------------------------------------------------------------------------------------ validation


@dataclass(frozen=True)
class _Where:
    """Where a value sits: the mapping's source, its key path and line."""

    source: str
    path: str
    line: int | None

    def at(self, parent: Any, key: str) -> _Where:
        lines = getattr(parent, "lines", {})
        line = lines.get(key, self.line)
        return _Where(self.source, f"{self.path}.{key}" if self.path else str(key), line)

    def error(self, problem: str) -> ConfigError:
        where = self.source + (f", line {self.line}" if self.line is not None else "")
        return ConfigError(f"{where}: {self.path + ': ' if self.path else ''}{problem}")


def _check_keys(data: Any, allowed: tuple[str, ...] | list[str], where: _Where, what: str) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise where.error(f"must be a mapping of {what}, got {_kind_of(data)}")
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            line = getattr(data, "lines", {}).get(key, where.line)
            raise _Where(where.source, where.path, line).error(
                f"unknown {what} {key!r}{hint}; allowed: {', '.join(allowed)}"
            )
    return data


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"


def _text(value: Any, where: _Where, *, allow_empty: bool = False) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise where.error(f"must be text, got {_kind_of(value)} (quote it)")
    text = str(value)
    if not text.strip() and not allow_empty:
        raise where.error("must not be empty")
    return text


def _texts(value: Any, where: _Where) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise where.error("must name at least one value")
    return tuple(_text(item, where) for item in items)


def _format_spec(data: Any, where: _Where) -> dict[str, Any]:
    data = _check_keys(data, _FORMAT_KEYS, where, "format key")
    out: dict[str, Any] = {}
    for key, value in data.items():
        at = where.at(data, key)
        if key == "encoding":
            name = _text(value, at)
            try:
                codecs.lookup(name)
            except LookupError:
                raise at.error(f"unknown encoding {name!r}; use e.g. utf-8, latin-1 or cp1252") from None
            out[key] = name
        elif key == "delimiter":
            text = "\t" if value in ("tab", "\\t") else _text(value, at, allow_empty=True)
            if len(text) != 1 or text in '\r\n"':
                raise at.error(f"must be one character (such as ',', ';', '|' or tab), got {text!r}")
            out[key] = text
        elif key == "decimal":
            text = _text(value, at, allow_empty=True)
            if text not in _DECIMALS:
                raise at.error(f"must be '.' or ',', got {text!r}")
            out[key] = text
        elif key == "thousands":
            text = "" if value is None else _text(value, at, allow_empty=True)
            if text not in _THOUSANDS:
                allowed = ", ".join(repr(t) for t in _THOUSANDS)
                raise at.error(f"must be one of {allowed}, got {text!r}")
            out[key] = text
        else:
            out[key] = None if value is None else _date_format(value, at)
    if out.get("thousands") and out.get("thousands") == out.get("decimal"):
        raise where.error(f"thousands and decimal are both {out['decimal']!r}; they must differ")
    return out


def _date_format(value: Any, where: _Where) -> str:
    text = _text(value, where)
    for probe in (datetime(2024, 12, 31), datetime(2023, 1, 5)):
        try:
            back = datetime.strptime(probe.strftime(text), text)
        except ValueError:
            back = None
        if back is None or back.date() != probe.date():
            raise where.error(
                f"{text!r} does not write a full date (it needs the year, month and day, "
                "e.g. %d/%m/%Y or %Y-%m-%d)"
            )
    return text


def _columns_spec(data: Any, kind: str, where: _Where) -> dict[str, tuple[str, ...] | None]:
    fields = list(FIELDS[kind])
    data = _check_keys(data, fields, where, f"field of {kind}")
    return {key: None if value is None else _texts(value, where.at(data, key)) for key, value in data.items()}


def _file_spec(data: Any, kind: str, where: _Where) -> dict[str, Any] | None:
    if data is None:
        return None
    allowed = _FILE_KEYS if kind == "sales" else tuple(k for k in _FILE_KEYS if k != "account_separator")
    data = _check_keys(data, allowed, where, "file key")
    out: dict[str, Any] = {}
    for key, value in data.items():
        at = where.at(data, key)
        if key == "label":
            out[key] = _text(value, at)
        elif key == "required":
            if not isinstance(value, bool):
                raise at.error(f"must be true or false, got {_kind_of(value)}")
            out[key] = value
        elif key == "account_separator":
            out[key] = None if value is None else _text(value, at)
        elif key == "columns":
            out[key] = _columns_spec(value, kind, at)
        else:
            out[key] = _format_spec(value, at)
    return out


def _won_spec(data: Any, where: _Where) -> dict[str, Any]:
    data = _check_keys(data, _WON_KEYS, where, "won key")
    out = {}
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        at = where.at(data, key)
        out[key] = tuple(str(v).lower() if isinstance(v, bool) else _text(v, at) for v in items)
    return out


def _number(value: Any, where: _Where) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise where.error(f"must be a number, got {_kind_of(value)}")
    return float(value)


def _band_spec(data: Any, where: _Where) -> dict[str, Any]:
    data = _check_keys(data, _BAND_KEYS, where, "revenue_band key")
    out: dict[str, Any] = {}
    for key, value in data.items():
        at = where.at(data, key)
        if key == "thresholds":
            if not isinstance(value, list) or len(value) != len(REVENUE_BANDS) - 1:
                raise at.error(
                    f"must be a list of {len(REVENUE_BANDS) - 1} increasing numbers, the lower edges of "
                    f"{', '.join(REVENUE_BANDS[1:])}"
                )
            numbers = tuple(_number(v, at) for v in value)
            if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)) or numbers[0] <= 0:
                raise at.error(f"must be positive and increasing, got {list(numbers)}")
            out[key] = numbers
        elif key == "scale":
            scale = _number(value, at)
            if scale <= 0:
                raise at.error(f"must be a positive number, got {value!r}")
            out[key] = scale
        else:
            values = {} if value is None else value
            if not isinstance(values, dict):
                raise at.error(f"must map source texts to bands, got {_kind_of(value)}")
            mapped = {}
            for text, band in values.items():
                band_at = at.at(values, text)
                band = _text(band, band_at)
                if band not in REVENUE_BANDS:
                    raise band_at.error(
                        f"{band!r} is not a revenue band; use one of {', '.join(REVENUE_BANDS)}"
                    )
                mapped[_text(text, band_at).strip().lower()] = band
            out[key] = mapped
    return out


def normalize(data: Any, source: str) -> dict[str, Any]:
    """Validate a raw mapping (from YAML or a preset) and return it in canonical form.

    Parameters
    ----------
    data : dict or None
        The mapping as parsed (from :func:`parse_yaml`, whose dicts carry the line of each key).
    source : str
        What error messages call it (the file's path, or ``preset NAME``).

    Returns
    -------
    dict
        Only the keys given: ``files.<kind>.columns`` as tuples of column names (``None`` to unmap),
        format keys checked, ``won`` values as text, ``revenue_band`` numbers as floats.

    Raises
    ------
    ConfigError
        For the first unknown key or bad value, naming the line.
    """
    where = _Where(source, "", None)
    if data is None:
        data = {}
    data = _check_keys(data, _TOP_KEYS, where, "key")
    out: dict[str, Any] = {}
    for key, value in data.items():
        at = where.at(data, key)
        if key == "extends":
            name = _text(value, at)
            if name not in PRESETS:
                raise at.error(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
            out[key] = name
        elif key == "description":
            out[key] = _text(value, at, allow_empty=True)
        elif key == "format":
            out[key] = _format_spec(value, at)
        elif key == "files":
            files = _check_keys(value, KINDS, at, "file kind")
            out[key] = {kind: _file_spec(spec, kind, at.at(files, kind)) for kind, spec in files.items()}
        elif key == "won":
            out[key] = _won_spec(value, at)
        elif key == "revenue_band":
            out[key] = _band_spec(value, at)
        else:
            rule = _text(value, at)
            if rule not in UNKNOWN_ZIP_RULES:
                raise at.error(f"must be one of {', '.join(UNKNOWN_ZIP_RULES)}, got {rule!r}")
            out[key] = rule
    return out
