"""Money over construction years and from several sources (sheets Sources, SourceBudgets).

spend[p,t] = F_p sum_tau share_p(t - tau) x[p,tau]: a project's capex falls on the periods of
its spend profile from its start on (one share, 1, by default: today's lump rule). Without
sheet Sources the budget pays everything and none of the rows below exists. With it:
d[p,s,t] >= 0 is what source s pays of project p's spend in period t (only sources that may
pay for p); the budget pays the rest, where it may.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.instance import BUDGET, Instance
from planner.model.family import family
from planner.model.projects import _relax, _slack


def define(m, inst: Instance) -> None:
    m.spend_of = {(p, t): inst.projects[p].capex * quicksum(
        inst.spend_share(p, tau, t) * m.x[p, tau] for tau in inst.start_periods(p)
        if inst.spend_share(p, tau, t) > 0)
        for p in inst.projects for t in inst.period_ids}
    m.spend = {t: quicksum(m.spend_of[p, t] for p in inst.projects) for t in inst.period_ids}
    m.budget_spend = m.spend  # what the Periods' budget pays: all of it without Sources
    if not inst.sources:
        return
    keys = [(p, s, t) for p in inst.projects for s in inst.payers[p] if s != BUDGET
            for t in inst.period_ids if _may_spend(inst, p, t)]
    m.PST = pyo.Set(dimen=3, initialize=keys, ordered=True)
    m.d = pyo.Var(m.PST, domain=pyo.NonNegativeReals)
    m.drawn = {(s, t): quicksum(m.d[p, s2, t2] for p, s2, t2 in keys if s2 == s and t2 == t)
               for s in inst.sources for t in inst.period_ids}
    if m.elastic:
        ineligible_draws(m, inst)
    m.budget_spend = {t: m.spend[t] - quicksum(m.drawn[s, t] for s in inst.sources)
                      - quicksum(_ineligible(m, p, t) for p in inst.projects)
                      for t in inst.period_ids}
    draws_pay_spend(m, inst, keys)
    source_share(m, inst, keys)
    source_envelope(m, inst)
    debt_service(m, inst)


def _may_spend(inst: Instance, p: str, t: str) -> bool:
    return any(inst.spend_share(p, tau, t) > 0 for tau in inst.start_periods(p))


def draws_pay_spend(m, inst: Instance, keys) -> None:
    """sum_s d[p,s,t] <= spend[p,t], with = when the budget may not pay for p: the sources
    and the budget together pay each period's spend of each project."""
    by_project: dict[tuple[str, str], list] = {}
    for p, s, t in keys:
        by_project.setdefault((p, t), []).append(m.d[p, s, t])
    rows = [(p, t) for p in inst.projects for t in inst.period_ids if _may_spend(inst, p, t)]

    def row(m, p, t):
        drawn = quicksum(by_project.get((p, t), [])) + _ineligible(m, p, t)
        if BUDGET in inst.payers[p]:
            return drawn <= m.spend_of[p, t]
        return drawn == m.spend_of[p, t]

    m.draws_pay_spend = family(rows, row)


def source_share(m, inst: Instance, keys) -> None:
    """d[p,s,t] <= max_share_s spend[p,t] where a source may pay only part of a project."""
    capped = [(p, s, t) for p, s, t in keys if inst.sources[s].max_share < 1.0]
    m.source_share = family(capped, lambda m, p, s, t: m.d[p, s, t]
                            <= inst.sources[s].max_share * m.spend_of[p, t])


def source_envelope(m, inst: Instance) -> None:
    """sum_p d[p,s,t] <= A_st for every source and period; with carry-over,
    sum_{tau<=t} sum_p d[p,s,tau] <= sum_{tau<=t} A_s,tau (A: SourceBudgets, 0 if absent)."""
    carry = inst.settings.budget_carry_over
    rows = [(s, t) for s in inst.sources for t in inst.period_ids]
    _slack(m, "envelope_slack", rows)

    def row(m, s, t):
        i = inst.period_index[t]
        window = inst.period_ids[: i + 1] if carry else (t,)
        return (quicksum(m.drawn[s, tau] for tau in window)
                <= sum(inst.source_budgets.get((s, tau), 0.0) for tau in window)
                + _relax(m, "envelope_slack", (s, t)))

    m.source_envelope = family(rows, row)


def debt_service_coefficients(inst: Instance) -> dict[tuple[str, str, str], float]:
    """(source, draw period, period) -> USD m due in the period per USD m drawn: a draw in
    period tau is taken in year e_tau; its payment k falls in year e_tau + k, in the period
    that covers that year (none past the horizon: those count in the cost only)."""
    out: dict[tuple[str, str, str], float] = {}
    for s, source in inst.sources.items():
        for tau in inst.period_ids:
            for k, pay in source.payments():
                year = inst.start_year[tau] + k
                t = inst.period_of_year(year)
                if t is not None:
                    out[s, tau, t] = out.get((s, tau, t), 0.0) + pay
    return out


def debt_service(m, inst: Instance) -> None:
    """sum_{s loan} sum_tau c[s,tau,t] sum_p d[p,s,tau] <= L_t for every period with a
    debt_service_limit (c: debt_service_coefficients)."""
    coef = debt_service_coefficients(inst)
    m.debt_service_due = {t: quicksum(c * m.drawn[s, tau] for (s, tau, t2), c in coef.items()
                                      if t2 == t) for t in inst.period_ids}
    rows = [t for t in inst.period_ids if inst.period[t].debt_service_limit is not None]
    _slack(m, "debt_service_slack", rows)
    m.debt_service = family(rows, lambda m, t: m.debt_service_due[t]
                            <= inst.period[t].debt_service_limit
                            + _relax(m, "debt_service_slack", t))


def ineligible_draws(m, inst: Instance) -> None:
    """Elastic model only: a priced draw from a source whose rules bar the project (the
    explanation's 'allow AF for source ADB'), for every source a project names or, when it
    names none, every source."""
    keys = []
    for p, proj in inst.projects.items():
        named = [s for s in (proj.sources or tuple(inst.sources)) if s != BUDGET]
        for s in named:
            if s not in inst.payers[p]:
                keys += [(p, s, t) for t in inst.period_ids if _may_spend(inst, p, t)]
    m.eligibility_slack = pyo.Var(keys, domain=pyo.NonNegativeReals)
    m.ineligible_keys = keys


def _ineligible(m, p: str, t: str):
    if not m.elastic or not hasattr(m, "eligibility_slack"):
        return 0
    return quicksum(m.eligibility_slack[key] for key in m.ineligible_keys
                    if key[0] == p and key[2] == t)


def loan_cost_factor(inst: Instance, s: str, t: str) -> float:
    """Present cost to the country of one USD m drawn from source s in period t: 0 for a
    grant; for a loan, its payments discounted to year 0 (those after the horizon too)."""
    return sum(pay * inst.discount_year(inst.start_year[t] + k)
               for k, pay in inst.sources[s].payments())


def cost_to_country(m, inst: Instance):
    """sum_t delta_t budget_spend_t + sum_{s,t} loan_cost_factor(s,t) drawn[s,t]: budget spend
    at full value, grants at 0, loans at the present value of their payments."""
    total = quicksum(inst.discount[t] * m.budget_spend[t] for t in inst.period_ids)
    if inst.sources:
        total += quicksum(loan_cost_factor(inst, s, t) * m.drawn[s, t]
                          for s in inst.sources if inst.sources[s].kind == "loan"
                          for t in inst.period_ids)
    return total


def finance_draws(m) -> dict[tuple[str, str, str], float]:
    """(project, source, period) -> USD m of the model's current solution, the budget's share
    (spend less the other draws) as source 'budget'; amounts below 1e-6 USD m are round-off."""
    inst = m.inst
    draws = m.d if m.component("d") is not None else {}
    out = {}
    for (p, t), expr in m.spend_of.items():
        spend = pyo.value(expr, exception=False) or 0.0
        if spend <= 1e-6:
            continue
        paid = 0.0
        for s in inst.payers[p]:
            if s != BUDGET and (p, s, t) in draws:
                amount = draws[p, s, t].value or 0.0
                if amount > 1e-6:
                    out[p, s, t] = amount
                    paid += amount
        if spend - paid > 1e-6:
            out[p, BUDGET, t] = spend - paid
    return out
