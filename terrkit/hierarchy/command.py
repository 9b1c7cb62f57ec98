"""``terrkit design --levels region=4,district=12``: the nested design behind the command line's option.

The units file, measures, balance, weight and contiguity are read as for a flat design
(:func:`terrkit.design.cli.build_problem`); the levels above the territories balance the same measures at
60% (top) to 80% of the territories' tolerances (:func:`terrkit.hierarchy.levels.build_levels`). ``--out``
gets one row
per unit: the id, ``territory`` and a column per level (``district``, ``region``); ``--report`` gets each
level's status, tolerances, largest deviation and seconds.
"""

from __future__ import annotations

import argparse

from terrkit.design.problem.definition import TerritoryDesignProblem
from terrkit.exceptions import InfeasibleError
from terrkit.hierarchy.design import design_top_down
from terrkit.hierarchy.levels import build_levels, plural


def design_levels(problem: TerritoryDesignProblem, args: argparse.Namespace) -> str:
    """Design the levels of ``args.levels`` on ``problem``, write ``args.out`` (and ``args.report``).

    Returns
    -------
    str
        The line to print.

    Raises
    ------
    InfeasibleError
        When a level cannot be designed or a node is left outside its band.
    """
    from terrkit.io import write_csv, write_json

    balance = {b.column: b.tolerance for b in problem.balances}
    levels = build_levels(args.levels, problem.data.k, balance)
    plan = design_top_down(problem, levels, time_limit=args.time_limit, seed=args.seed, solver=args.solver)
    broken = [o for o in plan.outcomes if not o.within]
    if broken:
        worst = broken[0]
        raise InfeasibleError(
            f"the {worst.level} level is not within its tolerances after {args.time_limit:g} s "
            f"(largest deviations {', '.join(f'{m} {v:.1%}' for m, v in worst.max_deviation.items())}): "
            + "; ".join(worst.messages[:2])
            + "; loosen the tolerances or raise --time-limit"
        )
    frame = plan.labels.reset_index().rename(columns={"unit_id": problem.id_name})
    frame = frame.rename(columns={lv.column: lv.name for lv in levels})
    write_csv(frame[[problem.id_name, *[lv.name for lv in reversed(levels)]]], args.out)
    if args.report:
        write_json(plan.summary_dict(), args.report)
    counts = " > ".join(f"{lv.count} {plural(lv.name)}" for lv in levels)
    return (
        f"{len(frame)} units -> {counts}: every level within its tolerances, {plan.seconds:.1f} s; "
        f"wrote {args.out}" + (f" and {args.report}" if args.report else "")
    )
