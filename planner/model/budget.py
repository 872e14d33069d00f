"""Capital budgets per period."""

from __future__ import annotations

from pyomo.core.util import quicksum

from planner.model.family import family
from planner.instance import Instance
from planner.model.projects import _relax, _slack


def define(m, inst: Instance) -> None:
    m.spend = {t: quicksum(inst.projects[p].capex * m.x[p, s] for p, s in m.PT if s == t)
               for t in inst.period_ids}
    budget(m, inst)


def budget(m, inst: Instance) -> None:
    """sum_p F_p x[p,t] <= B_t for every period t; with carry-over,
    sum_{tau<=t} sum_p F_p x[p,tau] <= sum_{tau<=t} B_tau."""
    carry = inst.settings.budget_carry_over
    _slack(m, "budget_slack", list(inst.period_ids))

    def row(m, t):
        i = inst.period_index[t]
        window = inst.period_ids[: i + 1] if carry else (t,)
        return (quicksum(m.spend[s] for s in window)
                <= sum(inst.period[s].budget for s in window) + _relax(m, "budget_slack", t))

    m.budget = family(list(inst.period_ids), row)
