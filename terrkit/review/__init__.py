"""Performance review: KPIs, balance indices, compactness, coverage checks, territory plans and flags.

Modules: :mod:`~terrkit.review.periods` (which quarters are compared), :mod:`~terrkit.review.kpis`
(KPIs per territory and rep, flags, rankings), :mod:`~terrkit.review.balance` (CV, max/min,
max deviation, Gini, Lorenz), :mod:`~terrkit.review.compactness` (distance from the rep's home,
Polsby-Popper), :mod:`~terrkit.review.coverage` (coverage checks), :mod:`~terrkit.review.plans`
(territory plans), :mod:`~terrkit.review.charts` (static figures) and
:mod:`~terrkit.review.pipeline` (everything at once for a dataset).
"""

from terrkit.review.balance import (
    balance_indices,
    coefficient_of_variation,
    deviation_from_mean,
    gini,
    lorenz_curve,
    max_deviation,
    max_min_ratio,
)
from terrkit.review.compactness import (
    dissolve_territories,
    distance_to_home,
    polsby_popper,
    weighted_mean_distance,
)
from terrkit.review.coverage import (
    ISSUE_KINDS,
    coverage_checks,
    issue_counts,
    territory_pieces,
    unit_adjacency_with_islands,
)
from terrkit.review.kpis import (
    account_activity,
    flag_kpis,
    rank_kpis,
    rep_kpis,
    territory_kpis,
    territory_of_accounts,
)
from terrkit.review.periods import ReviewPeriod, resolve_period
from terrkit.review.plans import (
    FOCUS,
    GROW_BELOW,
    TerritoryPlans,
    focus_rules,
    suggest_focus,
    territory_plans,
)

__all__ = [
    "FOCUS",
    "ISSUE_KINDS",
    "ReviewPeriod",
    "TerritoryPlans",
    "account_activity",
    "balance_indices",
    "coefficient_of_variation",
    "coverage_checks",
    "deviation_from_mean",
    "dissolve_territories",
    "distance_to_home",
    "flag_kpis",
    "gini",
    "issue_counts",
    "lorenz_curve",
    "max_deviation",
    "max_min_ratio",
    "polsby_popper",
    "rank_kpis",
    "rep_kpis",
    "resolve_period",
    "suggest_focus",
    "focus_rules",
    "GROW_BELOW",
    "territory_kpis",
    "territory_of_accounts",
    "territory_pieces",
    "territory_plans",
    "unit_adjacency_with_islands",
    "weighted_mean_distance",
]
