"""Money over construction years and from several sources (sheets Sources, SourceBudgets).

spend[p,t] = F_p sum_tau share_p(t - tau) x[p,tau]: a project's capex falls on the periods of
its spend profile from its start on (one share, 1, by default: today's lump rule). Without
sheet Sources the budget pays everything and none of the rows below exists. With it:
d[g,s,t] >= 0 is what source s pays in period t of the spend of the projects of class g, the
projects that the same sources may pay for (only those sources); the budget pays the rest,
where it may.

Draws by class, not by project, are exact: every row on a project's draws (they pay its spend,
a source pays at most max_share of it) is linear and homogeneous in (draws, spend), so draws
that hold for a class's summed spend hold for each of its projects when split in proportion
to their spend, and the envelopes, debt service and cost see only a source's total. At M with
four sources: 3,900 rows and columns fewer. The elastic model (the explanation of an
impossible plan, which names a project's draws) keeps one class per project.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.inputs.schema import BUDGET
from planner.inputs.finance import window
from planner.inputs.instance import Instance
from planner.model.family import family, relax, slack


def define(m, inst: Instance) -> None:
    m.spend_of = {(p, t): inst.projects[p].capex * quicksum(
        inst.spend_share(p, tau, t) * m.x[p, tau] for tau in inst.start_periods(p)
        if inst.spend_share(p, tau, t) > 0)
        for p in inst.projects for t in inst.period_ids}
    m.spend = {t: quicksum(m.spend_of[p, t] for p in inst.projects) for t in inst.period_ids}
    m.budget_spend = m.spend  # what the Periods' budget pays: all of it without Sources
    if not inst.sources:
        return
    m.classes = draw_classes(inst, m.elastic)
    keys = [(g, s, t) for g, members in m.classes.items() for s in inst.payers[members[0]]
            if s != BUDGET for t in inst.period_ids
            if any(_may_spend(inst, p, t) for p in members)]
    m.GST = pyo.Set(dimen=3, initialize=keys, ordered=True)
    m.d = pyo.Var(m.GST, domain=pyo.NonNegativeReals)
    m.class_spend = {(g, t): quicksum(m.spend_of[p, t] for p in members)
                     for g, members in m.classes.items() for t in inst.period_ids}
    m.drawn = {(s, t): quicksum(m.d[g, s2, t2] for g, s2, t2 in keys if s2 == s and t2 == t)
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


def draw_classes(inst: Instance, per_project: bool = False) -> dict[str, tuple[str, ...]]:
    """Class id -> its projects: the projects that the same sources (the budget among them or
    not) may pay for, each class named after its first project; one class per project with
    ``per_project``. Projects no source but the budget may pay for are in none."""
    classes: dict[tuple, list[str]] = {}
    for p in inst.projects:
        payers = tuple(sorted(inst.payers[p]))
        if any(s != BUDGET for s in payers):
            classes.setdefault((p,) if per_project else payers, []).append(p)
    return {members[0]: tuple(members) for members in classes.values()}


def draws_pay_spend(m, inst: Instance, keys) -> None:
    """sum_s d[g,s,t] <= sum_{p in g} spend[p,t], with = when the budget may not pay for the
    class g: the sources and the budget together pay each period's spend of each class."""
    by_class: dict[tuple[str, str], list] = {}
    for g, s, t in keys:
        by_class.setdefault((g, t), []).append(m.d[g, s, t])
    rows = [(g, t) for g, members in m.classes.items() for t in inst.period_ids
            if any(_may_spend(inst, p, t) for p in members)]

    def row(m, g, t):
        drawn = quicksum(by_class.get((g, t), [])) + quicksum(
            _ineligible(m, p, t) for p in m.classes[g])
        if BUDGET in inst.payers[g]:
            return drawn <= m.class_spend[g, t]
        return drawn == m.class_spend[g, t]

    m.draws_pay_spend = family(rows, row)


def source_share(m, inst: Instance, keys) -> None:
    """d[g,s,t] <= max_share_s sum_{p in g} spend[p,t] where a source may pay only part of a
    project."""
    capped = [(g, s, t) for g, s, t in keys if inst.sources[s].max_share < 1.0]
    m.source_share = family(capped, lambda m, g, s, t: m.d[g, s, t]
                            <= inst.sources[s].max_share * m.class_spend[g, t])


def source_envelope(m, inst: Instance) -> None:
    """sum_p d[p,s,t] <= A_st for every source and period; with carry-over,
    sum_{tau<=t} sum_p d[p,s,tau] <= sum_{tau<=t} A_s,tau (A: SourceBudgets, 0 if absent)."""
    rows = [(s, t) for s in inst.sources for t in inst.period_ids]
    slack(m, "envelope_slack", rows)

    def row(m, s, t):
        periods = window(inst, t)
        return (quicksum(m.drawn[s, tau] for tau in periods)
                <= sum(inst.source_budgets.get((s, tau), 0.0) for tau in periods)
                + relax(m, "envelope_slack", (s, t)))

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
    slack(m, "debt_service_slack", rows)
    m.debt_service = family(rows, lambda m, t: m.debt_service_due[t]
                            <= inst.period[t].debt_service_limit
                            + relax(m, "debt_service_slack", t))


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
    """(project, source, period) -> USD m of the model's current solution, a class's draws
    split over its projects in proportion to their spend (module docstring), the budget's
    share (spend less the other draws) as source 'budget'; amounts below 1e-6 USD m are
    round-off."""
    inst = m.inst
    draws = m.d if m.component("d") is not None else {}
    class_of = {p: g for g, members in getattr(m, "classes", {}).items() for p in members}
    spends = {key: pyo.value(expr, exception=False) or 0.0 for key, expr in m.spend_of.items()}
    class_spend = {}
    for (p, t), spend in spends.items():
        if p in class_of:
            class_spend[class_of[p], t] = class_spend.get((class_of[p], t), 0.0) + spend
    out = {}
    for (p, t), spend in spends.items():
        if spend <= 1e-6:
            continue
        paid = 0.0
        g = class_of.get(p)
        for s in inst.payers[p]:
            if s != BUDGET and (g, s, t) in draws:
                amount = (draws[g, s, t].value or 0.0) * spend / class_spend[g, t]
                if amount > 1e-6:
                    out[p, s, t] = amount
                    paid += amount
        if spend - paid > 1e-6:
            out[p, BUDGET, t] = spend - paid
    return out
