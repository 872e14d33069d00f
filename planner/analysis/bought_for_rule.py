"""Projects bought for a rule alone: in the plan only to dilute the high-risk capex share.

A RiskLimits row max_high_risk_capex_share (high-risk capex <= rho x total capex) can make the
cheapest plan buy a low-risk project that does nothing else: dropping it (and the projects that
require it) changes no measure but breaks the limit. The Summary sheet and the terminal name
such a project, so that nobody reads it as infrastructure the trade needs.

The drops come from the Value analysis (planner/analysis/project_value.py), which re-scores every one with the
starts held; whether a drop would break the limit is capex arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.analysis.measures import CHANGE_MEASURES, Measures
from planner.tolerances import round_off
from planner.inputs.instance import Instance

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
    return all(abs(getattr(a, n) - getattr(b, n)) <= round_off(getattr(a, n))
               for n in CHANGE_MEASURES)


def bought_for_rule(inst: Instance, value) -> list[BoughtForRule]:
    """The plan's projects that are there for the high-risk capex share alone: of the drops
    of ``value`` (planner.analysis.project_value.project_value: the plan without a project and its dependants,
    re-scored with the starts held) those that change no measure, not committed, whose drop
    would break the limit (capex arithmetic)."""
    limits = [lim.value for lim in inst.limits if lim.limit == RULE]
    if not limits:
        return []
    rho = min(limits)
    portfolio = value.plan.portfolio
    chosen = [p for p, t in portfolio.items() if t]
    total = sum(inst.projects[p].capex for p in chosen)
    high = sum(inst.projects[p].capex for p in chosen if inst.projects[p].risk_class == "high")
    out = []
    for change in value.buys_nothing():
        dropped = set(change.moved)
        if any(inst.projects[q].status == "committed" for q in dropped):
            continue  # not the plan's choice
        capex = sum(inst.projects[q].capex for q in dropped)
        high_left = high - sum(inst.projects[q].capex for q in dropped
                               if inst.projects[q].risk_class == "high")
        if high_left <= rho * (total - capex) + 1e-9 * max(1.0, total):
            continue  # the limit holds without it: not bought for the limit
        out.append(BoughtForRule(change.project, change.moved, capex,
                                 high_left / (total - capex) if total > capex else 0.0, rho))
    return out
