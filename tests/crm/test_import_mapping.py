"""Import mappings: presets are valid mappings, YAML files extend them, and bad YAML is named precisely."""

from __future__ import annotations

import re

import pytest

from terrkit.crm.exports_sample import orders_mapping_text
from terrkit.crm.mapping import (
    FIELDS,
    SourceFormat,
    load_mapping,
    preset_mapping,
    resolve_mapping,
)
from terrkit.crm.presets import PRESETS
from terrkit.exceptions import ConfigError


def _yaml(tmp_path, text: str):
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_mapping_with_a_required_sales_file(name):
    mapping = preset_mapping(name)
    assert mapping.files["sales"].required
    for kind, spec in mapping.files.items():
        assert set(spec.columns) <= set(FIELDS[kind])
        assert spec.format == SourceFormat()


def test_salesforce_preset_uses_the_crm_field_names():
    files = preset_mapping("salesforce").files
    assert files["accounts"].columns["account_id"] == ("Id",)
    assert files["accounts"].columns["zip"] == ("BillingPostalCode",)
    assert files["accounts"].columns["owner"] == ("OwnerId",)
    assert files["sales"].columns["won"] == ("IsWon",)
    assert files["reps"].columns["rep_id"] == ("Id",)
    assert not files["reps"].required


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown preset 'sap'; use one of salesforce, hubspot, generic"):
        preset_mapping("sap")


def test_exactly_one_of_preset_and_mapping(tmp_path):
    with pytest.raises(ConfigError, match="not both or neither"):
        resolve_mapping()
    with pytest.raises(ConfigError, match="not both or neither"):
        resolve_mapping("generic", _yaml(tmp_path, "extends: generic\n"))


def test_a_mapping_file_extends_a_preset_key_by_key(tmp_path):
    path = _yaml(
        tmp_path,
        """\
extends: generic
format: {delimiter: ";", decimal: ","}
files:
  sales:
    columns:
      amount: Betrag
      owner: null
    format: {date_format: "%d.%m.%Y"}
  reps: null
won:
  stages: [Gewonnen]
revenue_band:
  thresholds: [2e6, 2e7, 1e8, 5e8]
  scale: 1000
unknown_zip: error
""",
    )
    mapping = load_mapping(path)
    sales = mapping.files["sales"]
    assert sales.columns["amount"] == ("Betrag",)
    assert "owner" not in sales.columns
    assert sales.columns["date"] == preset_mapping("generic").files["sales"].columns["date"]
    # the top-level format applies to every file; the file's own key wins; thousands follows the decimal comma
    assert sales.format == SourceFormat(delimiter=";", decimal=",", thousands=".", date_format="%d.%m.%Y")
    assert mapping.files["accounts"].format.delimiter == ";"
    assert "reps" not in mapping.files
    assert mapping.won.stages == ("Gewonnen",)
    assert mapping.revenue_band.thresholds == (2e6, 2e7, 1e8, 5e8)
    assert mapping.revenue_band.scale == 1000
    assert mapping.unknown_zip == "error"
    assert mapping.extends == "generic"


def test_the_shipped_order_mapping_is_valid(tmp_path):
    mapping = load_mapping(_yaml(tmp_path, orders_mapping_text()))
    sales = mapping.files["sales"]
    assert mapping.extends == "generic"
    assert sales.format == SourceFormat(
        encoding="utf-8", delimiter=";", decimal=",", thousands=".", date_format="%d/%m/%Y"
    )
    assert sales.columns["account_id"] == ("Customer No",)
    assert sales.columns["amount"] == ("Net amount",)


def test_yaml_booleans_are_only_true_and_false(tmp_path):
    """A column called No or Yes stays text (YAML 1.1 would read it as a boolean)."""
    path = _yaml(tmp_path, "files:\n  sales:\n    columns: {account_id: No, date: On, amount: Yes}\n")
    assert load_mapping(path).files["sales"].columns == {
        "account_id": ("No",),
        "date": ("On",),
        "amount": ("Yes",),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "extends: generic\nformt: {}\n",
            r"line 2: unknown key 'formt' \(did you mean 'format'\?\); allowed:",
        ),
        (
            "extends: generic\nfiles:\n  sales:\n    columns:\n      amout: Net\n",
            r"line 5: files\.sales\.columns: unknown field of sales 'amout' \(did you mean 'amount'\?\)",
        ),
        (
            "extends: generic\nfiles:\n  orders: {}\n",
            r"line 3: files: unknown file kind 'orders'; allowed: accounts, sales, reps",
        ),
        (
            "extends: generic\nformat:\n  decimal: ';'\n",
            r"line 3: format\.decimal: must be '\.' or ',', got ';'",
        ),
        (
            "extends: generic\nformat:\n  date_format: '%m/%Y'\n",
            r"line 3: format\.date_format: '%m/%Y' does not write a full date",
        ),
        ("extends: generic\nformat:\n  encoding: klingon\n", r"line 3: format\.encoding: unknown encoding"),
        ("extends: generic\nformat:\n  delimiter: ';;'\n", r"format\.delimiter: must be one character"),
        (
            "extends: generic\nformat: {decimal: ',', thousands: ','}\n",
            r"format: thousands and decimal are both ','",
        ),
        ("extends: sap\n", r"line 1: extends: unknown preset 'sap'; use one of salesforce, hubspot, generic"),
        (
            "extends: generic\nrevenue_band:\n  thresholds: [1, 2, 3]\n",
            r"line 3: revenue_band\.thresholds: must be a list of 4 increasing numbers",
        ),
        (
            "extends: generic\nrevenue_band:\n  thresholds: [5, 4, 3, 2]\n",
            r"revenue_band\.thresholds: must be positive and increasing",
        ),
        (
            "extends: generic\nrevenue_band:\n  values: {Small: tiny}\n",
            r"line 3: revenue_band\.values\.Small: 'tiny' is not a revenue band; use one of <1M, 1-10M",
        ),
        ("extends: generic\nunknown_zip: ignore\n", r"line 2: unknown_zip: must be one of drop, error"),
        ("extends: generic\nfiles:\n  sales:\n    required: maybe\n", r"required: must be true or false"),
        (
            "extends: generic\nfiles:\n  sales:\n    columns: {account_id: null}\n",
            r"files\.sales\.columns: map the required field account_id",
        ),
        ("files:\n  reps:\n    columns: {rep_id: Id}\n", r"files: a mapping needs a sales file"),
        ("extends: generic\nextends: hubspot\n", r"line 2: duplicate key 'extends' \(first on line 1\)"),
        ("extends: generic\nfiles: [sales]\n", r"line 2: files: must be a mapping of file kind, got a list"),
        ("extends: generic\nformat: {delimiter: ';'\n", r"line \d+: not valid YAML"),
    ],
)
def test_bad_yaml_is_one_clear_error_naming_file_line_and_key(tmp_path, text, message):
    path = _yaml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    text = str(caught.value)
    assert text.startswith(str(path)), text
    assert re.search(message, text), text
    assert "\n" not in text


def test_missing_mapping_file(tmp_path):
    with pytest.raises(ConfigError, match="mapping file not found"):
        load_mapping(tmp_path / "nope.yaml")
