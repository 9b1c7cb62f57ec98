"""Pre-solve checks that explain, in business words, why no alignment can satisfy the requirements.

Each check looks at one requirement (or a pair) in isolation, so a problem that passes every check can
still be infeasible when the requirements interact; the solver then reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from terrkit.design.problem.definition import Balance, DesignData


def _fmt(x: float) -> str:
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.3g}"


def feasibility_issues(
    data: DesignData, territory_names: list | None = None, balances: list[Balance] | None = None
) -> list[str]:
    """Reasons (one sentence each) why ``data`` has no solution; empty when the checks pass.

    Checks
    ------
    - more territories than units;
    - a unit larger than the upper bound of every territory it may join (with the tolerance it needs);
    - total of a measure outside the sum of the territories' bounds (total capacity too small);
    - a lock that is also a forbidden pair; a unit forbidden from every territory;
    - units locked together that already exceed a territory's upper bound;
    - a fixed center that is locked to or forbidden in another territory;
    - locks that force more movement than the moved-share cap allows;
    - with contiguity, a unit that no connected group of units with a total inside the balance band
      contains, or whose groups inside the band all cut off a pocket that no whole number of territories
      can hold (:mod:`terrkit.design.checks.band_reach`), such as a big unit at the end of a chain of big
      units;
    - with contiguity, units that must share a territory because a group too small to be a territory
      alone hangs off them (a ZIP code with a single neighbour), whose total is above the band.
    """
    names = list(range(data.k)) if territory_names is None else list(territory_names)
    tol = {b.column: b.tolerance for b in balances or []}
    ids = data.ids
    n, k, q = data.n, data.k, data.q
    out: list[str] = []
    if k > n:
        out.append(
            f"{k} territories were asked for but there are only {n} units; use at most {n} territories"
        )
        return out
    allowed = np.ones((n, k), dtype=bool)
    if len(data.forbidden):
        allowed[data.forbidden[:, 0], data.forbidden[:, 1]] = False
    lk = np.flatnonzero(data.locked >= 0)
    for i in lk:
        t = int(data.locked[i])
        if not allowed[i, t]:
            out.append(
                f"unit {ids[i]} is locked to territory {names[t]} but that pair is also forbidden; "
                f"remove the lock or the forbidden pair"
            )
    allowed_eff = allowed.copy()
    allowed_eff[lk] = False
    allowed_eff[lk, data.locked[lk]] = True
    none = np.flatnonzero(~allowed.any(axis=1))
    if len(none):
        out.append(
            f"unit {ids[none[0]]} is forbidden in every territory"
            + (f" ({len(none) - 1} more such units)" if len(none) > 1 else "")
        )
    if data.fixed_centers is not None and data.centers_are_units:
        for t, c in enumerate(data.fixed_centers):
            if data.locked[c] >= 0 and data.locked[c] != t:
                out.append(
                    f"unit {ids[c]} is the center of territory {names[t]} but is locked to territory "
                    f"{names[data.locked[c]]}"
                )
            elif not allowed[c, t]:
                out.append(f"unit {ids[c]} is the center of territory {names[t]} but is forbidden there")
    for j in range(q):
        name = data.measure_names[j]
        v = data.measures[:, j]
        up = data.upper[:, j]
        lo = data.lower[:, j]
        target = data.target[:, j] if data.target is not None else np.full(k, np.nan)
        # a single unit too large for every territory it may join
        best_up = np.where(allowed_eff, up[None, :], -np.inf).max(axis=1)
        too_big = np.flatnonzero(v > best_up + 1e-9 * np.maximum(1, np.abs(best_up)))
        if len(too_big):
            i = int(too_big[np.argmax(v[too_big])])
            t = int(np.argmax(np.where(allowed_eff[i], up, -np.inf)))
            if (
                name in tol
                and np.isfinite(target[t])
                and target[t] > 0
                and up[t] < target[t] * (1 + tol[name]) * 1.0000001
            ):
                need = v[i] / target[t] - 1
                out.append(
                    f"unit {ids[i]} has {name} {_fmt(v[i])}, but the +{tol[name]:.0%} upper bound is "
                    f"{_fmt(up[t])}; raise the tolerance to at least {np.ceil(need * 100):.0f}% "
                    "or split the unit"
                    + (f" ({len(too_big) - 1} more units are too large)" if len(too_big) > 1 else "")
                )
            else:
                out.append(
                    f"unit {ids[i]} has {name} {_fmt(v[i])}, more than the capacity {_fmt(up[t])} of any "
                    f"territory it may join; raise the capacity to at least {_fmt(v[i])} or split the unit"
                )
        total = float(v.sum())
        if np.isfinite(up).all() and total > up.sum() + 1e-9 * max(1.0, abs(total)):
            out.append(
                f"total {name} is {_fmt(total)} but the {k} territories can hold at most {_fmt(up.sum())} "
                f"together; raise the capacity/tolerance (to at least {_fmt(total / k)} per territory) "
                "or add "
                f"territories"
            )
        lo_f = np.where(np.isfinite(lo), lo, 0.0)
        if total < lo_f.sum() - 1e-9 * max(1.0, abs(total)):
            out.append(
                f"total {name} is {_fmt(total)} but the territories' lower bounds add up to "
                f"{_fmt(lo_f.sum())}; lower the targets or use fewer territories"
            )
        # locked sets
        if len(lk):
            sums = np.zeros(k)
            np.add.at(sums, data.locked[lk], v[lk])
            for t in np.flatnonzero(sums > up + 1e-9 * np.maximum(1, np.abs(up))):
                cnt = int((data.locked == t).sum())
                out.append(
                    f"the {cnt} units locked to territory {names[t]} already have {name} "
                    f"{_fmt(sums[t])}, above "
                    f"its upper bound {_fmt(up[t])}; unlock some of them or raise the bound"
                )
        # tol 0 on integer measures with a target that cannot be met
        if name in tol and tol[name] == 0 and np.isfinite(lo).all() and np.isfinite(up).all():
            if (lo > up + 1e-9).any():  # pragma: no cover - guarded by construction
                out.append(f"exact balance of {name} is impossible; use a small tolerance")
        if data.contiguous and data.adjacency is not None:
            out += _band_issues(data, j, tol.get(name))
    if data.current is not None and data.max_moved is not None and len(lk):
        mu = data.weight if data.moved_measure is None else data.moved_measure
        has = data.current >= 0
        forced = has & (data.locked >= 0) & (data.locked != data.current)
        total = float(mu[has].sum())
        if total > 0 and mu[forced].sum() > data.max_moved * total + 1e-9:
            out.append(
                f"locks move {mu[forced].sum() / total:.1%} of the moved measure, more than the cap of "
                f"{data.max_moved:.1%}; raise the cap or change the locks"
            )
    return out


def _pct(x: float, rounding: Callable[[float], float] = round) -> str:
    """A share as a percentage with up to one decimal (0.02 -> "2%", 0.079 -> "7.9%").

    ``rounding`` may be :func:`math.floor` or :func:`math.ceil`, so that a total just outside a band is
    never printed on its edge (1.0204 -> "102.1%" with ``ceil``).
    """
    nudge = {math.ceil: -1e-6, math.floor: 1e-6}.get(rounding, 0.0)  # 0.02 stays 2%, not 2.1% or 1.9%
    return f"{rounding(x * 1000 + nudge) / 10:g}%"


def _group(ids: np.ndarray, members: tuple[int, ...], shown: int = 5) -> str:
    names = [str(ids[i]) for i in members]
    if len(names) == 1:
        return f"{names[0]} alone"
    rest = names[1:]
    listed = ", ".join(rest[:shown]) + (f" and {len(rest) - shown} more" if len(rest) > shown else "")
    return f"{names[0]} with {listed}"


def _band_issues(data: DesignData, j: int, tolerance: float | None) -> list[str]:
    """Units that no connected group inside measure ``j``'s band contains (contiguity required)."""
    from terrkit.design.checks.band_reach import unreachable_units

    v = np.asarray(data.measures[:, j], dtype=float)
    lo_t, hi_t = data.lower[:, j], data.upper[:, j]
    if not (np.isfinite(v).all() and (v >= 0).all() and np.isfinite(lo_t).all() and np.isfinite(hi_t).all()):
        return []
    lo, hi = float(lo_t.min()), float(hi_t.max())  # the union of the bands: a valid relaxation
    if lo <= 0:
        return []
    name, ids = data.measure_names[j], data.ids
    target = data.target[:, j] if data.target is not None else np.full(data.k, np.nan)
    uniform = tolerance is not None and np.isfinite(target).all() and np.ptp(target) <= 1e-9 * abs(target[0])
    gaps = unreachable_units(data.adjacency, v, lo, hi)
    if not gaps:  # the search is bounded; groups that hang off one unit are found for every unit
        return _hanging_issues(data, j, lo, hi, tolerance, float(target[0]) if uniform else None)
    more = f" ({len(gaps) - 1} more units cannot reach the band either)" if len(gaps) > 1 else ""
    if not uniform:
        g = max(gaps, key=lambda g: min(lo - g.below, g.above - hi))
        reach = _reach(ids, g, _fmt, _fmt)
        return [
            f"no contiguous territory can hold unit {ids[g.unit]}: the connected groups of units around it "
            f"have {name} {reach or 'nowhere near the band'}, outside every territory's range {_fmt(lo)} to "
            f"{_fmt(hi)}; widen the ranges or split a unit{more}"
        ]
    t = float(target[0])

    def need(g) -> float:
        return min(1 - g.below / t, g.above / t - 1)

    g = max(gaps, key=need)
    reach = _reach(
        ids, g, lambda x: f"{_pct(x / t, math.floor)} of the target", lambda x: _pct(x / t, math.ceil)
    )
    head = (
        f"no contiguous territory can hold unit {ids[g.unit]} with {name} within \u00b1{_pct(tolerance)} of "
        f"the target {_fmt(t)}: "
    )
    if g.blocked_set:  # some groups are in the band but cut a pocket off: a wider band may not be enough
        pocket = ", ".join(str(ids[i]) for i in g.pocket[:5]) + (
            f" and {len(g.pocket) - 5} more" if len(g.pocket) > 5 else ""
        )
        others = f"; the other groups reach {reach}" if reach else ""
        return [
            f"{head}the groups inside the band (such as {_group(ids, g.blocked_set)}) cut off {pocket}, "
            f"whose {name} ({_pct(g.pocket_total / t)} of a territory) no whole number of territories can "
            f"hold{others}; loosen the tolerance or split a unit{more}"
        ]
    return [
        f"{head}the connected groups of units around it reach {reach}; raise the tolerance to at least "
        f"{_pct(need(g), math.ceil)} or split a unit{more}"
    ]


def _hanging_issues(
    data: DesignData, j: int, lo: float, hi: float, tolerance: float | None, target: float | None
) -> list[str]:
    """Units that must share a territory, because what hangs off them is too small alone, above ``hi``.

    ``target`` is the territories' common target of measure ``j`` (None when they differ).
    """
    from terrkit.design.checks.band_reach import hanging_groups

    v = np.asarray(data.measures[:, j], dtype=float)
    over = [g for g in hanging_groups(data.adjacency, v, lo) if float(v[g].sum()) > hi * (1 + 1e-12)]
    if not over:
        return []
    name, ids, g = data.measure_names[j], data.ids, over[0]
    total = float(v[g].sum())
    more = f" ({len(over) - 1} more such groups)" if len(over) > 1 else ""
    head = (
        f"units {_group(ids, tuple(g.tolist()))} must share one territory: the others reach the rest of the "
        f"graph only through {ids[g[0]]} and are too small to be a territory without it"
    )
    if target is None or tolerance is None:
        return [
            f"{head}, and their {name} {_fmt(total)} is above every territory's range {_fmt(lo)} to "
            f"{_fmt(hi)}; widen the ranges, give these units more neighbours or split a unit{more}"
        ]
    t = float(target)
    return [
        f"{head}, and their {name} is {_pct(total / t, math.ceil)} of the target {_fmt(t)}, more than the "
        f"+{_pct(tolerance)} the tolerance allows; raise the tolerance to at least "
        f"{_pct(total / t - 1, math.ceil)}, give these units more neighbours or split a unit{more}"
    ]


def _reach(ids: np.ndarray, g, below: Callable[[float], str], above: Callable[[float], str]) -> str:
    """ "at most <below> (<group>) or at least <above> (<group>)", leaving out a side without a group."""
    sides = []
    if np.isfinite(g.below):
        sides.append(f"at most {below(g.below)} ({_group(ids, g.below_set)})")
    if np.isfinite(g.above):
        sides.append(f"at least {above(g.above)} ({_group(ids, g.above_set)})")
    return " or ".join(sides)
