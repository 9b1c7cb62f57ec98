"""The hierarchy as a tree of ids: every territory in one district, every district in one region.

In a dataset the tree is given as parent columns of ``current_alignment.csv``: next to ``unit_id,
territory_id, rep_id``, a column per level above the territories, named ``<level>_id`` (``district_id``,
``region_id``), the same on every row of a territory. :meth:`Hierarchy.from_alignment` reads them (columns
ordered by how many distinct ids they hold, fewest first, ties broken by the usual names: regions above
districts) and checks the nesting.
A designed hierarchy is written the same way: ``alignment.csv`` carries ``district_id`` and ``region_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from terrkit.exceptions import DataValidationError

_OWN = ("unit_id", "territory_id", "rep_id", "level_id")

#: Usual level names, top first: they break ties between parent columns with as many distinct ids.
USUAL_LEVELS = ("division", "region", "area", "district", "zone")


def _rank(column: str) -> int:
    name = column.removesuffix("_id")
    return USUAL_LEVELS.index(name) if name in USUAL_LEVELS else len(USUAL_LEVELS)


@dataclass
class Hierarchy:
    """One row per territory with its parent at every level.

    Attributes
    ----------
    tree : pandas.DataFrame
        ``territory_id`` and a ``<level>_id`` column per level above it, indexed by nothing.
    levels : list of str
        The levels above the territories, top first (``["region", "district"]``).
    """

    tree: pd.DataFrame
    levels: list[str]

    @property
    def columns(self) -> list[str]:
        """Id columns, top first, ending with ``territory_id``."""
        return [f"{name}_id" for name in self.levels] + ["territory_id"]

    def parent_of(self, level: str) -> pd.Series:
        """Parent id of every node of ``level`` (``territory`` or a level above it but the top)."""
        names = [*self.levels, "territory"]
        i = names.index(level)
        if i == 0:
            raise ValueError(f"{level} is the top level; it has no parent")
        pairs = self.tree[[f"{names[i]}_id", f"{names[i - 1]}_id"]].drop_duplicates()
        return pairs.set_index(f"{names[i]}_id")[f"{names[i - 1]}_id"]

    def check(self, source: str = "hierarchy") -> None:
        """Raise :class:`DataValidationError` unless every node has one parent and no id is missing."""
        cols = self.columns
        for col in cols:
            if self.tree[col].isna().any():
                row = int(self.tree[col].isna().to_numpy().argmax())
                raise DataValidationError(
                    source, "has no parent", column=col, value=self.tree["territory_id"].iloc[row]
                )
        if self.tree["territory_id"].duplicated().any():
            raise DataValidationError(
                source, "territory is listed twice", column="territory_id",
                value=self.tree.loc[self.tree["territory_id"].duplicated(), "territory_id"].iloc[0],
            )  # fmt: skip
        for child, parent in zip(cols[1:], cols[:-1], strict=True):
            parents = self.tree.groupby(child)[parent].nunique()
            if (parents > 1).any():
                bad = parents.index[parents > 1][0]
                raise DataValidationError(
                    source, f"is in more than one {parent.removesuffix('_id')}", column=child, value=bad
                )

    def parent_links(self) -> dict[str, str]:
        """Parent of every node below the top: territory -> district, district -> region, ...

        The nodes of all levels share one name space (a Salesforce ETM model is one tree of territories),
        so an id used at two levels is an error.

        Raises
        ------
        DataValidationError
            An id names nodes of two levels (``D1`` both a district and a territory).
        """
        seen: dict[str, str] = {}
        for col in self.columns:
            for node in self.tree[col].unique():
                if node in seen and seen[node] != col:
                    levels = f"{seen[node].removesuffix('_id')} and a {col.removesuffix('_id')}"
                    raise DataValidationError(
                        "hierarchy", f"names both a {levels}; ids must be unique across levels",
                        column=col, value=node,
                    )  # fmt: skip
                seen[node] = col
        links: dict[str, str] = {}
        for child, parent in zip(self.columns[1:], self.columns[:-1], strict=True):
            pairs = self.tree[[child, parent]].drop_duplicates()
            links.update(zip(pairs[child], pairs[parent], strict=True))
        return links

    def on_alignment(self, alignment: pd.DataFrame) -> pd.DataFrame:
        """``alignment`` with a ``<level>_id`` column per level, top first, right after ``territory_id``.

        Raises
        ------
        DataValidationError
            A territory of the alignment is not in the tree.
        """
        parents = self.tree.set_index("territory_id")
        out = alignment.drop(columns=[c for c in self.columns[:-1] if c in alignment.columns])
        territory = out["territory_id"].astype(str)
        unknown = ~territory.isin(parents.index)
        if unknown.any():
            raise DataValidationError(
                "hierarchy", "territory of the alignment is not in the hierarchy", column="territory_id",
                value=territory[unknown].iloc[0],
            )  # fmt: skip
        at = out.columns.get_loc("territory_id") + 1
        for i, col in enumerate(self.columns[:-1]):
            out.insert(at + i, col, territory.map(parents[col]).to_numpy())
        return out

    def with_units(self, alignment: pd.DataFrame) -> pd.DataFrame:
        """``alignment`` (one row per unit) with the parent columns of each unit's territory."""
        extra = [c for c in self.columns[:-1]]
        out = alignment.drop(columns=[c for c in extra if c in alignment.columns])
        return out.merge(self.tree, on="territory_id", how="left")

    @classmethod
    def from_alignment(
        cls, alignment: pd.DataFrame, source: str = "current_alignment.csv"
    ) -> Hierarchy | None:
        """The tree given by the ``<level>_id`` columns of an alignment, or None when it has none."""
        cols = [c for c in alignment.columns if str(c).endswith("_id") and c not in _OWN]
        if not cols:
            return None
        rows = alignment.dropna(subset=["territory_id"])
        for col in cols:  # every territory has one value per parent column
            counts = rows.groupby("territory_id")[col].nunique(dropna=False)
            if (counts > 1).any():
                raise DataValidationError(
                    source, f"territory {counts.index[counts > 1][0]} has more than one {col}", column=col
                )
        tree = rows.drop_duplicates("territory_id")[["territory_id", *cols]].reset_index(drop=True)
        order = sorted(cols, key=lambda c: (tree[c].nunique(), _rank(c), c))
        out = cls(tree[[*order, "territory_id"]].astype(str), [c.removesuffix("_id") for c in order])
        out.check(source)
        return out

    @classmethod
    def from_labels(cls, labels: pd.DataFrame, levels: Sequence[str]) -> Hierarchy:
        """The tree of a plan given one row per unit with ``territory_id`` and the ``<level>_id`` columns."""
        cols = [f"{name}_id" for name in levels]
        tree = labels[[*cols, "territory_id"]].drop_duplicates("territory_id").reset_index(drop=True)
        out = cls(tree.astype(str), list(levels))
        out.check("plan")
        return out
