"""The levels of a sales hierarchy and how many children each parent gets.

A hierarchy is given top-down as levels above the territories, e.g. ``region=4,district=12`` (4 regions >
12 districts > the territories). Each level has its own balance tolerances (by default the territories'
measures at a share of their tolerances, growing downwards: regions ±3% and districts ±4% where territories
are ±5%, :data:`UPPER_TOLERANCE_SHARE`, :data:`LOWEST_UPPER_SHARE`).

**Counts.** Every parent gets a number of children that follows its share of the workload, by the
largest-remainder method (:func:`largest_remainder`). Each node's workload target is its number of
territories (leaves) times a territory's target, so its share of the workload is its share of the leaves:
49 territories in 4 regions are 13, 12, 12 and 12; 12 districts in those regions are 3 each (12 x 13/49 =
3.18 and 12 x 12/49 = 2.94 round to 3); the 13 territories of a region make districts of 5, 4 and 4. The
territories' targets are then the same everywhere, so nested bands hold: a district of 5 territories is
balanced against 5 territories' worth of workload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from terrkit.exceptions import ConfigError

#: Tolerance of the top level, as a share of the territories' tolerance on the same measure; the levels in
#: between get shares evenly spaced from it up to :data:`LOWEST_UPPER_SHARE` (regions ±3%, districts ±4%
#: where territories are ±5%). A level's band must be wider than its parent's: a region at -3% leaves its
#: districts, all measured against the same per-territory target, no room unless theirs reach further.
UPPER_TOLERANCE_SHARE = 0.6

#: Share of the territories' tolerance of the lowest level above them (when there are two or more).
LOWEST_UPPER_SHARE = 0.8

#: Name of the bottom level.
TERRITORY = "territory"


@dataclass
class Level:
    """One level of the hierarchy.

    Attributes
    ----------
    name : str
        ``region``, ``district``, ... or ``territory`` (the bottom).
    count : int
        Number of nodes of the level.
    balance : dict
        Measure -> relative tolerance of each node against its target.
    """

    name: str
    count: int
    balance: dict[str, float] = field(default_factory=dict)

    @property
    def column(self) -> str:
        """Column of the level in ``alignment.csv`` (``region_id``, ``district_id``, ``territory_id``)."""
        return f"{self.name}_id"


def plural(name: str) -> str:
    """``territory`` -> ``territories``, ``region`` -> ``regions``."""
    return name[:-1] + "ies" if name.endswith("y") else name + "s"


def parse_levels(text: str | Mapping[str, int]) -> list[tuple[str, int]]:
    """``"region=4,district=12"`` (or ``"region:4,district:12"``, or a mapping) into
    ``[("region", 4), ("district", 12)]``, top first.

    Raises
    ------
    ConfigError
        On an item that is not ``NAME=COUNT``, a count below 1, a repeated name, counts that do not grow
        downwards, or the name ``territory`` (the bottom level is implied).
    """
    items = list(text.items()) if isinstance(text, Mapping) else _items(str(text))
    out: list[tuple[str, int]] = []
    for name, count in items:
        name = str(name).strip()
        if not name or not name.replace("_", "").isalnum():
            raise ConfigError(f"level name {name!r} must be a word such as region or district")
        if name == TERRITORY:
            raise ConfigError("the territories are the bottom level; list only the levels above them")
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ConfigError(f"level {name}: the count must be a whole number >= 1, got {count!r}")
        if any(name == n for n, _ in out):
            raise ConfigError(f"level {name} is given twice")
        if out and count < out[-1][1]:
            raise ConfigError(
                f"level {name} has {count} nodes, fewer than the {out[-1][1]} of {out[-1][0]} above it; "
                "list the levels top-down (region=4,district=12)"
            )
        out.append((name, int(count)))
    if not out:
        raise ConfigError("give at least one level, e.g. region=4,district=12")
    return out


def _items(text: str) -> list[tuple[str, int]]:
    out = []
    for item in [t for t in text.replace(";", ",").split(",") if t.strip()]:
        name, sep, count = item.partition("=") if "=" in item else item.partition(":")
        try:
            value = int(count)
        except ValueError:
            raise ConfigError(f"level {item.strip()!r}: expected NAME=COUNT, e.g. region=4") from None
        if not sep:
            raise ConfigError(f"level {item.strip()!r}: expected NAME=COUNT, e.g. region=4")
        out.append((name, value))
    return out


def fit_levels(levels: str | Mapping[str, int], k: int) -> list[tuple[str, int]]:
    """The levels with no level holding more nodes than there are territories (a small company's 8
    territories cannot make 12 districts: each would be one territory)."""
    return [(name, min(count, int(k))) for name, count in parse_levels(levels)]


def build_levels(
    levels: str | Mapping[str, int] | Sequence[tuple[str, int]],
    k: int,
    balance: Mapping[str, float],
    level_balance: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Level]:
    """Every level, top first, ending with the ``k`` territories, each with its balance tolerances.

    Parameters
    ----------
    levels : str, mapping or sequence of (name, count)
        The levels above the territories (:func:`parse_levels`).
    k : int
        Number of territories.
    balance : mapping {measure: tolerance}
        The territories' tolerances.
    level_balance : mapping {level: {measure: tolerance}}, optional
        Tolerances of an upper level; default the territories' measures at a share of their tolerances
        (:data:`UPPER_TOLERANCE_SHARE` at the top up to :data:`LOWEST_UPPER_SHARE` just above the
        territories).
    """
    pairs = parse_levels(dict(levels) if not isinstance(levels, str | Mapping) else levels)
    if pairs[-1][1] > k:
        raise ConfigError(f"level {pairs[-1][0]} has {pairs[-1][1]} nodes but there are only {k} territories")
    given = dict(level_balance or {})
    unknown = sorted(set(given) - {n for n, _ in pairs} - {TERRITORY})
    if unknown:
        raise ConfigError(
            f"balance given for unknown level {unknown[0]!r}; levels: {', '.join(n for n, _ in pairs)}"
        )
    out = []
    shares = (
        np.linspace(UPPER_TOLERANCE_SHARE, LOWEST_UPPER_SHARE, len(pairs))
        if len(pairs) > 1
        else [UPPER_TOLERANCE_SHARE]
    )
    for (name, count), share in zip(pairs, shares, strict=True):
        tol = given.get(name) or {m: float(share) * float(t) for m, t in balance.items()}
        out.append(Level(name, count, {m: float(t) for m, t in tol.items()}))
    out.append(Level(TERRITORY, int(k), dict(given.get(TERRITORY) or balance)))
    return out


def largest_remainder(total: int, weights: Sequence[float]) -> np.ndarray:
    """Split ``total`` into whole numbers proportional to ``weights`` (largest-remainder method).

    Each part gets the floor of its exact share, and the parts with the largest remainders get one more
    until the total is reached (ties: the first part). Every part with a positive weight gets at least one
    when ``total`` allows it.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or not len(w) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"cannot split {total} into parts proportional to {list(w)}")
    exact = total * w / w.sum()
    out = np.floor(exact + 1e-9).astype(int)
    left = total - int(out.sum())
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:left]] += 1
    short = np.flatnonzero((out == 0) & (w > 0))
    for i in short:  # a parent must keep at least one child: take one from the largest part
        j = int(np.argmax(out))
        if out[j] > 1:
            out[j] -= 1
            out[i] += 1
    return out


@dataclass
class Node:
    """A node of the planned tree: its level, its number of territories and its children."""

    level: str
    leaves: int
    children: list[Node] = field(default_factory=list)


def plan_counts(levels: Sequence[Level]) -> Node:
    """The tree of counts: how many territories every node gets (see the module docstring)."""
    k = levels[-1].count
    root = Node("root", k)
    parents = [root]
    for level in levels:
        if level.name == TERRITORY:
            for p in parents:
                p.children = [Node(TERRITORY, 1) for _ in range(p.leaves)]
            break
        per_parent = largest_remainder(level.count, [p.leaves for p in parents])
        nodes = []
        for p, n in zip(parents, per_parent, strict=True):
            if n > p.leaves:
                raise ConfigError(
                    f"a {p.level} of {p.leaves} territories cannot hold {n} {level.name}s; "
                    f"use fewer {level.name}s"
                )
            p.children = [Node(level.name, int(v)) for v in largest_remainder(p.leaves, np.ones(n))]
            nodes += p.children
        parents = nodes
    return root
