"""Heuristic territory design for instances too large for the exact model.

The path from problem to plan, in reading order:

1. :mod:`~terrkit.design.heuristic.search`: the multi-start driver, :func:`solve_heuristic`;
2. :mod:`~terrkit.design.heuristic.budget`: the work budget every step charges (the clock is a safety stop);
3. :mod:`~terrkit.design.heuristic.forced`: territories the band and contiguity force, fixed first;
   :mod:`~terrkit.design.heuristic.regions`: a design of 400 territories or more split into regions of about
   fifty, each designed on its own;
4. :mod:`~terrkit.design.heuristic.seeding`: allowed pairs, locks and the first centers;
5. :mod:`~terrkit.design.heuristic.transport_lp`: the assignment LP of location-allocation;
6. :mod:`~terrkit.design.heuristic.border_shift`: shifting today's borders into balance;
7. :mod:`~terrkit.design.heuristic.local_search`: the plan under repair and improvement (moves, swaps,
   the balance repair's one escalation, center updates);
8. the sub-problems the repair escalates to: :mod:`~terrkit.design.heuristic.recom` (random re-splits of a
   pair or a region), then :mod:`~terrkit.design.heuristic.repartition` (an exact partition of a growing
   region into in-band groups).
"""

from terrkit.design.heuristic.search import HeuristicOutcome, solve_heuristic

__all__ = ["HeuristicOutcome", "solve_heuristic"]
