"""Capital budgets per period."""

from __future__ import annotations

from pyomo.core.util import quicksum

from planner.model.family import family, relax, slack
from planner.inputs.finance import window
from planner.inputs.instance import Instance


def define(m, inst: Instance) -> None:
    """After model.finance, which sets m.budget_spend."""
    budget(m, inst)


def budget(m, inst: Instance) -> None:
    """b_t <= B_t for every period t; with carry-over, sum_{tau<=t} b_tau <= sum_{tau<=t} B_tau,
    where b_t is what the budget pays in t: sum_p spend[p,t] (model.finance), less the draws
    from other sources where sheet Sources exists."""
    slack(m, "budget_slack", list(inst.period_ids))

    def row(m, t):
        periods = window(inst, t)
        return (quicksum(m.budget_spend[s] for s in periods)
                <= sum(inst.period[s].budget for s in periods) + relax(m, "budget_slack", t))

    m.budget = family(list(inst.period_ids), row)
