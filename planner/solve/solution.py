"""What a solve returns: plain data, and the two ways a solve can end without a portfolio."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.clock import NoPortfolio  # noqa: F401 (a solve's ending; defined with its clock)
from planner.inputs.instance import Instance
from planner.tolerances import REPORTED_FLOW


class PlanInfeasible(Exception):
    """The hard requirements cannot all hold; ``explanation`` says which and what would relax."""

    def __init__(self, explanation):
        self.explanation = explanation
        super().__init__(str(explanation))


@dataclass
class StageResult:
    name: str  # unmet, dependence, capex, cost
    status: str  # optimal (within the gap asked for), time_limit, interrupted, ...
    value: float
    bound: float | None
    gap: float  # HiGHS's final relative gap; 0 for a stage that needed no branch and bound
    seconds: float
    nodes: int | None = None
    iterations: int | None = None


@dataclass
class Solution:
    instance: Instance
    objective: str
    status: str  # optimal (every stage within the gap asked for), feasible (not proven)
    portfolio: dict[str, str | None]  # project -> start period, None = not built
    flows: dict[tuple[str, str], float]  # (route, period) -> Mt/yr
    unmet: dict[tuple[str, str], float]  # (flow, period) -> Mt/yr
    stages: list[StageResult] = field(default_factory=list)
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    size: dict[str, int] = field(default_factory=dict)
    log: str = ""
    handover_seconds: float = 0.0  # Pyomo -> HiGHS, once
    mip_gap: float = 1e-4  # the relative gap each stage was asked for
    time_left: float = float("inf")  # seconds left of the command's time (stages.Clock)
    draws: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (p, source, t)
    # the closure LPs the solve scored its portfolios with (closure_lp.StrandedLP), for the
    # analysis to take over (fixed_portfolio.Rescorer); None where there were none
    closure_lp: object = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        """A Solution crosses processes (planner/studies/batch.py) without its closure LPs:
        HiGHS objects do not pickle."""
        return {**self.__dict__, "closure_lp": None}

    @property
    def gap(self) -> float:
        return max((s.gap for s in self.stages), default=0.0)


def reported(value: float | None) -> float:
    """A flow as reported: solver round-off below REPORTED_FLOW (1e-7 Mt/yr, 0.1 t/yr) is 0."""
    return value if value is not None and value > REPORTED_FLOW else 0.0
