"""Checks that run before solving: they prove an instance infeasible, or name the units and territories
that make it so, before any solver time is spent.

- :mod:`~terrkit.design.checks.feasibility`: totals against the band, units too big for any territory,
  locks and centers that contradict the band;
- :mod:`~terrkit.design.checks.band_reach`: whether connected groups around a unit can reach the band at
  all (the dead ends of contiguous designs), and the units that are the sole witness of a territory.
"""
