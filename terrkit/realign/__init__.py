"""Realignment: compare the current alignment with a proposal, write the deliverables, sweep trade-offs.

Modules: :mod:`~terrkit.realign.moves` (reps for the proposed territories, what moves),
:mod:`~terrkit.realign.deliverables` (the plan of record and its files),
:mod:`~terrkit.realign.account_lists` (names, reasons and dates in the account lists),
:mod:`~terrkit.realign.plan_files` (the run's other plans, in ``plans/``),
:mod:`~terrkit.realign.tradeoff` (how a plan is measured: balance, travel, disruption),
:mod:`~terrkit.realign.least_disruption` (rep-anchored plans that move the least revenue for a balance
target), :mod:`~terrkit.realign.front` (one such plan per balance tolerance, and the recommendation),
:mod:`~terrkit.realign.quotas` (next year's quota per proposed territory, from sales history and potential)
and :mod:`~terrkit.realign.rep_impact` (book, potential, workload and quota of each rep, before and after).
"""

from terrkit.realign.account_lists import ACCOUNT_TYPES, REASONS
from terrkit.realign.deliverables import (
    FILES,
    HIERARCHY_FILE,
    Realignment,
    check_realignment,
    plan_realignment,
    write_realignment,
)
from terrkit.realign.front import (
    DEFAULT_TOLERANCES,
    FrontResult,
    explain_recommendation,
    least_disruption_design,
    least_disruption_front,
    recommend_plan,
    scaled_balance,
)
from terrkit.realign.key_accounts import KEY_ACCOUNT_SHARE, KeyAccounts, key_account_locks
from terrkit.realign.least_disruption import (
    DEFAULT_BALANCE,
    LeastDisruptionPlan,
    RealignmentCosts,
    Territories,
    anchored_territories,
    home_units,
    least_disruption_plan,
    realignment_costs,
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
from terrkit.realign.plan_files import PLANS_FOLDER, front_plans, plan_alignment, write_plans
from terrkit.realign.quotas import (
    QUOTA_HISTORY_WEIGHT,
    attainment_spread,
    company_quota_of,
    rounding_step,
    rule_text,
    set_quotas,
    with_next_year_quotas,
)
from terrkit.realign.rep_impact import rep_impact_table
from terrkit.realign.tradeoff import (
    evaluate_plan,
    min_feasible_tolerance,
    pareto_front,
    parse_tolerances,
    units_for_design,
)

__all__ = [
    "DEFAULT_BALANCE",
    "KEY_ACCOUNT_SHARE",
    "KeyAccounts",
    "DEFAULT_TOLERANCES",
    "FrontResult",
    "LeastDisruptionPlan",
    "RealignmentCosts",
    "Territories",
    "anchored_territories",
    "explain_recommendation",
    "home_units",
    "key_account_locks",
    "least_disruption_design",
    "least_disruption_front",
    "least_disruption_plan",
    "realignment_costs",
    "recommend_plan",
    "scaled_balance",
    "FILES",
    "HIERARCHY_FILE",
    "VACANT",
    "Realignment",
    "account_assignments",
    "assign_reps",
    "change_list",
    "check_realignment",
    "evaluate_plan",
    "min_feasible_tolerance",
    "movement_summary",
    "pareto_front",
    "parse_tolerances",
    "plan_realignment",
    "proposal_alignment",
    "rep_movement",
    "units_for_design",
    "write_realignment",
    "ACCOUNT_TYPES",
    "REASONS",
    "PLANS_FOLDER",
    "front_plans",
    "plan_alignment",
    "write_plans",
    "QUOTA_HISTORY_WEIGHT",
    "attainment_spread",
    "company_quota_of",
    "rep_impact_table",
    "rounding_step",
    "rule_text",
    "set_quotas",
    "with_next_year_quotas",
]
