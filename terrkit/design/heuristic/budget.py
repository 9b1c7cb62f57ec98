"""The work budget of the heuristic: search effort counted in work, the wall clock only as a safety stop.

Every step of :func:`~terrkit.design.heuristic.search.solve_heuristic` charges the work it does to one shared
:class:`WorkBudget` and stops when its share is spent. Work is counted in **work units**, from operations
that do not depend on the machine's speed:

=========================================  ======================================================
operation                                  charge
=========================================  ======================================================
a candidate move or swap examined          ``MOVE``
a territory's cut vertices recomputed      ``AP_MEMBER`` per unit of the territory
a step of a balance-repair chain           ``REPAIR_STEP``
a re-split region, per spanning tree       ``RESPLIT_UNIT`` per unit
a HiGHS LP                                 ``LP_COLUMN`` per column and thousand iterations
a HiGHS sub-MIP                            ``MIP_COLUMN`` likewise, plus ``MIP_NODE`` per node
a set visited by a group enumeration       ``ENUM_SET``
a local-search round                       ``ROUND_UNIT`` per unit
=========================================  ======================================================

Because every decision depends on these counts and never on the clock, the same inputs and seed give the
same plan on a quiet or a busy machine. The clock is checked too, as a **safety stop**: when it passes the
time limit the search stops where it is, and the result says so (``stopped_by = "time_limit"``); only then
may two runs differ.

The default budget follows from the time limit at a fixed rate, :data:`UNITS_PER_SECOND`, measured on the
reference machine (2 cores). It is a fixed number for a given time limit, not a measurement of the machine
the search runs on.
"""

from __future__ import annotations

import time

__all__ = [
    "AP_MEMBER",
    "ENUM_SET",
    "LP_COLUMN",
    "MIP_COLUMN",
    "MIP_NODE",
    "MOVE",
    "REPAIR_STEP",
    "RESPLIT_UNIT",
    "ROUND_UNIT",
    "UNITS_PER_SECOND",
    "WorkBudget",
    "charge_highs",
    "default_work",
    "limit_highs",
]

#: One work unit is about a microsecond of the reference machine's time (2 cores, measured with
#: ``benchmarks/bench_work_rate.py`` on county and ZIP instances); every charge below is a count of
#: machine-independent operations times that operation's measured cost.

#: A candidate move or swap examined by the local search (its connectivity and balance checks).
MOVE = 200.0
#: A unit of a territory whose cut vertices are recomputed (after a move changed the territory).
AP_MEMBER = 15.0
#: A step of a balance-repair chain: rank the border of one territory and try its first moves.
REPAIR_STEP = 4000.0
#: A unit of a re-split region, per spanning tree drawn (tree, subtree sums, cut search).
RESPLIT_UNIT = 10.0
#: A column of a HiGHS LP, per solve and per thousand simplex iterations.
LP_COLUMN = 0.8
#: A column of a HiGHS sub-MIP, per solve and per thousand simplex iterations (cuts and heuristics
#: included) ...
MIP_COLUMN = 40.0
#: ... plus a branch-and-bound node.
MIP_NODE = 8000.0
#: A connected set visited by the enumeration of balanced groups (exact re-partition).
ENUM_SET = 45.0
#: A unit, per local-search round (the round's passes over all units: border pairs, centers, objective).
ROUND_UNIT = 6.0

#: Work units the reference machine does per second: it turns a time limit into the default budget, nothing
#: else.
UNITS_PER_SECOND = 1_000_000.0
#: Share of the time limit the default budget is sized to fill on the reference machine: the rest is
#: headroom for a slower or busier machine before the safety stop.
BUDGET_SHARE = 0.8


def default_work(time_limit: float) -> float:
    """The default work budget for a time limit: ``UNITS_PER_SECOND * BUDGET_SHARE * time_limit``."""
    return UNITS_PER_SECOND * BUDGET_SHARE * float(time_limit)


class WorkBudget:
    """Work units left for a search, with a wall-clock safety stop.

    Parameters
    ----------
    work : float
        Work units the search may spend.
    time_limit : float
        Seconds after which the search stops wherever it is (the safety stop).

    Attributes
    ----------
    used : float
        Work units spent so far (by this budget and every slice of it).
    by_step : dict
        Work units spent by each kind of step (``"moves"``, ``"repair"``, ``"resplit"``, ``"lp"``, ``"mip"``,
        ``"enumeration"``).
    hit_budget : bool
        A step stopped because its share of the work was spent.
    hit_clock : bool
        The safety stop fired: the result may differ between a quiet and a busy machine.

    Examples
    --------
    >>> budget = WorkBudget(1000, time_limit=60)
    >>> phase = budget.slice(0.5)        # half of what is left, for one phase
    >>> phase.charge(600, "moves")
    >>> phase.exhausted(), budget.used, budget.left()
    (True, 600.0, 400.0)
    """

    def __init__(self, work: float, time_limit: float) -> None:
        self._root = self
        self._start = 0.0
        self.limit = float(work)
        self.used = 0.0
        self.by_step: dict[str, float] = {}
        self.deadline = time.perf_counter() + float(time_limit)
        self.hit_budget = False
        self.hit_clock = False

    # ------------------------------------------------------------------ spending
    def charge(self, units: float, step: str) -> None:
        """Count ``units`` of work done by ``step`` (on this slice and the whole budget)."""
        root = self._root
        root.used += float(units)
        root.by_step[step] = root.by_step.get(step, 0.0) + float(units)

    def spent(self) -> float:
        """Work spent through this budget or slice."""
        return self._root.used - self._start

    def left(self) -> float:
        """Work units this budget or slice may still spend (never more than the whole budget has left)."""
        own = self.limit - self.spent()
        root = self._root.limit - self._root.used
        return max(0.0, min(own, root))

    def exhausted(self) -> bool:
        """Whether to stop: this slice's work is spent, or the safety stop has fired."""
        if self.clock_passed():
            return True
        if self.left() <= 0.0:
            self._root.hit_budget = True
            return True
        return False

    def clock_passed(self) -> bool:
        """Whether the wall clock has passed the safety stop (recorded in :attr:`hit_clock`)."""
        if time.perf_counter() >= self._root.deadline:
            self._root.hit_clock = True
            return True
        return False

    def seconds_left(self) -> float:
        """Seconds to the safety stop: the time limit of a sub-solve (HiGHS) started now."""
        return max(0.0, self._root.deadline - time.perf_counter())

    # ------------------------------------------------------------------ sharing
    def slice(self, share: float, at_least: float = 0.0) -> WorkBudget:
        """A budget for one step: ``share`` of the work left (at least ``at_least`` units, if left).

        Work charged to the slice counts against this budget too; the slice shares the safety stop.
        """
        left = self.left()
        part = WorkBudget.__new__(WorkBudget)
        part.limit = min(left, max(share * left, at_least))
        part._root = self._root
        part._start = self._root.used
        return part

    def units(self, work: float) -> WorkBudget:
        """A budget for one step of at most ``work`` units (and what is left)."""
        return self.slice(0.0, at_least=work)

    # ------------------------------------------------------------------ outcome
    @property
    def stopped_by(self) -> str:
        """``"time_limit"`` when the safety stop fired, ``"budget"`` when a step ran out of work, else
        ``"converged"`` (every step ended by its own stopping rule)."""
        root = self._root
        if root.hit_clock:
            return "time_limit"
        return "budget" if root.hit_budget else "converged"

    @property
    def hit_budget(self) -> bool:  # noqa: D102 - documented in the class
        return self._root._hit_budget

    @hit_budget.setter
    def hit_budget(self, value: bool) -> None:
        self._root._hit_budget = value

    @property
    def hit_clock(self) -> bool:  # noqa: D102 - documented in the class
        return self._root._hit_clock

    @hit_clock.setter
    def hit_clock(self, value: bool) -> None:
        self._root._hit_clock = value


def limit_highs(highs, budget: WorkBudget, nodes: int | None = None) -> bool:
    """Give a HiGHS sub-solve its limits: a node limit (work) and the safety stop (time).

    Returns False, without touching ``highs``, when the safety stop has already passed.
    """
    left = budget.seconds_left()
    if left <= 0.0:
        budget.clock_passed()
        return False
    # HiGHS measures its time limit on the instance's clock, which runs on across re-solves
    highs.setOptionValue("time_limit", float(highs.getRunTime() + left))
    if nodes is not None:
        highs.setOptionValue("mip_max_nodes", int(nodes))
    return True


def charge_highs(highs, budget: WorkBudget) -> None:
    """Charge a finished HiGHS run to ``budget``; note when the safety stop cut it.

    An LP costs ``LP_COLUMN`` per column, per solve and per thousand simplex iterations; a MIP costs
    ``MIP_COLUMN`` on the same count plus ``MIP_NODE`` per node.
    """
    import highspy

    info = highs.getInfo()
    columns = highs.getLp().num_col_
    iterations = max(int(info.simplex_iteration_count), 0)
    nodes = int(info.mip_node_count)
    passes = columns * (1.0 + iterations / 1000.0)
    if nodes >= 0:
        budget.charge(MIP_COLUMN * passes + MIP_NODE * nodes, "mip")
    else:
        budget.charge(LP_COLUMN * passes, "lp")
    if highs.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
        budget.clock_passed()
        budget.hit_clock = True
