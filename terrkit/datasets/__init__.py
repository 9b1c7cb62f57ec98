"""Bundled geography, the bundled sample company and the seeded company generator."""

from typing import Any

from terrkit.datasets.bundled import data_dir, load_counties, load_zip_points, sample_dir

__all__ = [
    "data_dir",
    "generate_company",
    "load_counties",
    "load_zip_points",
    "sample_dir",
    "write_company",
    "write_company_parquet",
]


def __getattr__(name: str) -> Any:
    # The generator builds terrkit.io.Dataset objects, and terrkit.io reads the bundled
    # geography from here: import it on first use to keep the two packages acyclic.
    if name in ("generate_company", "write_company"):
        from terrkit.datasets import generator

        return getattr(generator, name)
    if name == "write_company_parquet":
        from terrkit.datasets import chunked

        return chunked.write_company_parquet
    raise AttributeError(f"module 'terrkit.datasets' has no attribute {name!r}")
