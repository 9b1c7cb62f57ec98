"""Realignment: compare the current alignment with a proposal, write the deliverables, sweep trade-offs.

Modules: :mod:`~terrkit.realign.moves` (reps for the proposed territories, what moves),
:mod:`~terrkit.realign.deliverables` (the plan and its files) and :mod:`~terrkit.realign.tradeoff`
(balance vs travel vs disruption through the design engine).
"""

from terrkit.realign.deliverables import (
    FILES,
    Realignment,
    check_realignment,
    plan_realignment,
    write_realignment,
)
from terrkit.realign.moves import (
    VACANT,
    account_assignments,
    assign_reps,
    change_list,
    movement_summary,
    proposal_alignment,
    rep_movement,
)
from terrkit.realign.tradeoff import (
    SweepResult,
    choose_plan,
    engine_design,
    evaluate_plan,
    min_feasible_tolerance,
    pareto_front,
    parse_caps,
    parse_tolerances,
    recommendation,
    sweep,
    units_for_design,
)

__all__ = [
    "FILES",
    "VACANT",
    "Realignment",
    "SweepResult",
    "account_assignments",
    "assign_reps",
    "change_list",
    "check_realignment",
    "choose_plan",
    "engine_design",
    "evaluate_plan",
    "min_feasible_tolerance",
    "movement_summary",
    "pareto_front",
    "parse_caps",
    "parse_tolerances",
    "plan_realignment",
    "proposal_alignment",
    "recommendation",
    "rep_movement",
    "sweep",
    "units_for_design",
    "write_realignment",
]
