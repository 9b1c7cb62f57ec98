"""The mixed-resolution unit layer: counties, ZIP cells and named accounts.

Territories are built from units. A county that holds more than a set share of a territory's target is
split into ZIP cells (Voronoi cells of its ZIP points, clipped to the county, tiling it exactly), and a
cell still above the share gives up its biggest accounts as named-account units:

>>> from terrkit.units import build_unit_layer, refine_dataset
>>> refined, layer = refine_dataset(dataset, scores[["potential", "workload"]], k=49)  # doctest: +SKIP
>>> layer.summary()["levels"]  # doctest: +SKIP
{'county': 3069, 'zip': 1234, 'account': 12}

Modules: :mod:`~terrkit.units.cells` (ZIP cells), :mod:`~terrkit.units.assign` (accounts into cells),
:mod:`~terrkit.units.carve` (named accounts), :mod:`~terrkit.units.layer` (the layer),
:mod:`~terrkit.units.alignment` (an alignment mapped down to the layer), :mod:`~terrkit.units.dataset`
(a whole dataset refined) and :mod:`~terrkit.units.cli` (``terrkit units``).
"""

from terrkit.units.alignment import map_alignment_down
from terrkit.units.cells import zip_cells
from terrkit.units.dataset import refine_dataset, zip_points_for_units
from terrkit.units.layer import LEVELS, UnitLayer, build_unit_layer

__all__ = [
    "LEVELS",
    "UnitLayer",
    "build_unit_layer",
    "map_alignment_down",
    "refine_dataset",
    "zip_cells",
    "zip_points_for_units",
]
