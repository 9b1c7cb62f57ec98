"""Bundled geography, the bundled sample company and the seeded company generator."""

from terrkit.datasets.bundled import data_dir, load_counties, load_zip_points, sample_dir

__all__ = ["data_dir", "load_counties", "load_zip_points", "sample_dir"]
