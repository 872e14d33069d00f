"""Projects bought for a rule alone: in the plan only to dilute the high-risk capex share.

A RiskLimits row max_high_risk_capex_share (high-risk capex <= rho x total capex) can make the
cheapest plan buy a low-risk project that does nothing else: dropping it (and the projects that
require it) changes no measure but breaks the limit. The Summary sheet and the terminal name
such a project, so that nobody reads it as infrastructure the trade needs.

Only projects whose drop would break the limit are re-scored (two fixed-portfolio solves each),
and that is decided by arithmetic on capex alone: where the limit has room for every drop, as
in any plan without such a limit, nothing is solved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.evaluate import Measures, evaluate
from planner.instance import Instance
from planner.solution import NoPortfolio, PlanInfeasible
from planner.tradeoffs import TRADE_OFF_MEASURES as MEASURES  # what a project is bought for

RULE = "max_high_risk_capex_share"


@dataclass
class BoughtForRule:
    project: str
    dropped: tuple[str, ...]  # the project and the projects of the plan that require it
    capex: float  # of everything dropped
    share_without: float  # high-risk share of capex without them
    limit: float  # the tightest max_high_risk_capex_share

    def note(self) -> str:
        also = [p for p in self.dropped if p != self.project]
        return (f"in the plan only for {RULE}: without it"
                + (f" (and {', '.join(also)}, which require it)" if also else "")
                + f" no measure changes, but high-risk capex would be {self.share_without:.1%}"
                f" of capex, above the limit of {self.limit:.1%}")


def dependents(inst: Instance, portfolio: dict[str, str | None], project: str) -> set[str]:
    """The project and every project of the portfolio that requires it, directly or not."""
    out, grew = {project}, True
    while grew:
        more = {q for q, t in portfolio.items() if t and q not in out
                and any(p in out for p in inst.projects[q].requires)}
        out |= more
        grew = bool(more)
    return out


def same_measures(a: Measures, b: Measures) -> bool:
    """Equal on every measure, up to solver round-off (1e-7, relative above 1)."""
    return all(abs(getattr(a, n) - getattr(b, n)) <= 1e-7 * max(1.0, abs(getattr(a, n)))
               for n in MEASURES)


def _score(inst: Instance, portfolio, objective: str, time_limit) -> Measures | None:
    """Every measure of a fixed portfolio: only the flows are chosen."""
    from planner.solve import solve
    try:
        sol = solve(inst, objective=objective, fixed=portfolio, time_limit=time_limit,
                    threads=1, explain=False)
    except (PlanInfeasible, NoPortfolio):
        return None
    return evaluate(inst, sol.portfolio, sol.flows, sol.unmet)


def bought_for_rule(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
                    time_limit: float | None = None) -> list[BoughtForRule]:
    """The plan's projects that are there for the high-risk capex share alone."""
    limits = [lim.value for lim in inst.limits if lim.limit == RULE]
    if not limits:
        return []
    rho = min(limits)
    chosen = {p: t for p, t in portfolio.items() if t}
    total = sum(inst.projects[p].capex for p in chosen)
    high = sum(inst.projects[p].capex for p in chosen if inst.projects[p].risk_class == "high")
    # scored without the rule: the plan without the project breaks it by construction
    free = replace(inst, limits=tuple(lim for lim in inst.limits if lim.limit != RULE))
    base, out = None, []
    for p in chosen:
        dropped = dependents(inst, portfolio, p)
        if any(inst.projects[q].status == "committed" for q in dropped):
            continue  # not the plan's choice
        capex = sum(inst.projects[q].capex for q in dropped)
        high_left = high - sum(inst.projects[q].capex for q in dropped
                               if inst.projects[q].risk_class == "high")
        if high_left <= rho * (total - capex) + 1e-9 * max(1.0, total):
            continue  # the limit holds without it: not bought for the limit
        base = base or _score(free, portfolio, objective, time_limit)
        without = _score(free, {q: (None if q in dropped else t) for q, t in portfolio.items()},
                         objective, time_limit)
        if base is not None and without is not None and same_measures(base, without):
            out.append(BoughtForRule(p, tuple(sorted(dropped, key=list(portfolio).index)),
                                     capex, high_left / (total - capex) if total > capex
                                     else 0.0, rho))
    return out
