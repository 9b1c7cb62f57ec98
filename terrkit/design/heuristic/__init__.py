"""Heuristic territory design for instances too large for the exact model.

The path from problem to plan, in reading order:

1. :mod:`~terrkit.design.heuristic.search`: the multi-start driver, :func:`solve_heuristic`;
2. :mod:`~terrkit.design.heuristic.budget`: the work budget every step charges (the clock is a safety stop);
3. :mod:`~terrkit.design.heuristic.forced`: territories the band and contiguity force, fixed first;
4. :mod:`~terrkit.design.heuristic.seeding`: allowed pairs, locks and the first centers;
5. :mod:`~terrkit.design.heuristic.transport_lp`: the assignment LP of location-allocation;
6. :mod:`~terrkit.design.heuristic.border_shift`: shifting today's borders into balance;
7. :mod:`~terrkit.design.heuristic.local_search`: the plan under repair and improvement (moves, swaps,
   balance repair, center updates);
8. the exact sub-problems the repair escalates to: :mod:`~terrkit.design.heuristic.recom` (re-splitting a
   pair or a region), :mod:`~terrkit.design.heuristic.repartition` (an exact partition of a region into
   in-band groups), :mod:`~terrkit.design.heuristic.region_mip` (the MIP on a region);
9. :mod:`~terrkit.design.heuristic.big_units`: placing territories of big units first.
"""

from terrkit.design.heuristic.search import HeuristicOutcome, solve_heuristic

__all__ = ["HeuristicOutcome", "solve_heuristic"]
