"""Reading, validating and writing terrkit data."""

from terrkit.io.load import Dataset, ValidationSummary, load_dataset, load_units
from terrkit.io.placement import place_by_point
from terrkit.io.write import (
    atomic_path,
    replace_folder,
    staged_folder,
    write_all,
    write_csv,
    write_geo,
    write_json,
    write_text,
)

__all__ = [
    "Dataset",
    "ValidationSummary",
    "atomic_path",
    "load_dataset",
    "load_units",
    "place_by_point",
    "replace_folder",
    "staged_folder",
    "write_all",
    "write_csv",
    "write_geo",
    "write_json",
    "write_text",
]
