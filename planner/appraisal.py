"""The appraisal a financing committee asks for: what the plan is worth against the reference
plan (committed projects only, the frontier's status quo), year by year.

Years: period t covers the whole years e_t .. e_t + years_t - 1 (Instance.start_year); money in
year y is discounted by (1 + discount_rate)^-y. A period's yearly amounts (transport cost,
unmet demand, expected loss, opex) fall in each of its years; its capex spend falls evenly on
them. After the horizon, the last period's yearly amounts run on for benefit_years_after years.

Benefits, each year: transport cost saved (reference minus plan, USD m); unmet demand served
(reference minus plan, Mt/yr) x loss_per_t; and the expected loss avoided: sum over closures
with closure_days of days / 365 x (stranded beyond normal unmet, reference minus plan) x
loss_per_t. Costs: the capex and opex of the projects not in the reference. NPV = PV benefits
- PV costs, BCR = PV benefits / PV costs, EIRR = the rate where NPV = 0 (None when the net
flows never change sign). Each is also given without the expected loss avoided, so that a
committee sees what the insurance is worth. Without loss_per_t only transport savings count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.evaluate import Measures, evaluate
from planner.instance import Instance
from planner.solve import solve


# yearly amounts below this (USD m) are the solver's round-off (flows held to 1e-7 Mt/yr)
ROUND_OFF = 1e-5


@dataclass
class Appraisal:
    years: list[int]  # year 0 = the start of the first period
    capex: list[float]  # USD m per year, projects not in the reference
    opex: list[float]
    transport_saved: list[float]
    unmet_served: list[float]  # USD m (x loss_per_t); 0 without it
    loss_avoided: list[float]  # USD m (expected loss avoided); 0 without loss_per_t
    rate: float
    with_loss: bool  # loss_per_t given: unmet served and loss avoided are counted
    reference: str = "committed projects only"
    pv: dict[str, float] = field(default_factory=dict)
    npv: float = 0.0
    bcr: float | None = None
    eirr: float | None = None
    npv_without_resilience: float = 0.0
    bcr_without_resilience: float | None = None
    eirr_without_resilience: float | None = None

    def benefits(self, resilience: bool = True) -> list[float]:
        return [a + b + (c if resilience else 0.0) for a, b, c in
                zip(self.transport_saved, self.unmet_served, self.loss_avoided)]

    def costs(self) -> list[float]:
        return [a + b for a, b in zip(self.capex, self.opex)]


def present_value(flows: list[float], rate: float) -> float:
    return sum(v / (1.0 + rate) ** y for y, v in enumerate(flows))


def internal_rate(net: list[float]) -> float | None:
    """The rate in (-0.99, 10] where the PV of ``net`` is 0, by bisection; None when the net
    flows never change sign or the PV does not change sign over that range."""
    if not any(v > 1e-9 for v in net) or not any(v < -1e-9 for v in net):
        return None
    lo, hi = -0.99, 10.0
    f_lo, f_hi = present_value(net, lo), present_value(net, hi)
    if f_lo * f_hi > 0:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        f_mid = present_value(net, mid)
        if f_lo * f_mid <= 0:
            hi = mid
        else:
            lo, f_lo = mid, f_mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2


def _yearly(inst: Instance, per_period: dict[str, float], *, spread: bool,
            after: bool) -> list[float]:
    """Amounts per year from amounts per period: each of a period's years gets the period's
    yearly amount (``spread``: the period's total divided by its years); ``after``: the last
    period's yearly amount continues for benefit_years_after years."""
    out = []
    for t in inst.period_ids:
        years = max(1, round(inst.period[t].years))
        value = per_period.get(t, 0.0) / (years if spread else 1)
        value = 0.0 if abs(value) < ROUND_OFF else value
        out += [value] * years
    tail = round(inst.settings.benefit_years_after)
    out += [out[-1] if after and out else 0.0] * tail
    return out


def expected_stranded_beyond(inst: Instance, ms: Measures,
                             unmet: dict[tuple[str, str], float]) -> dict[str, float]:
    """period -> sum over closures with closure_days of days/365 x (stranded beyond the
    normal unmet demand), Mt/yr."""
    normal = {t: sum(v for (k, s), v in unmet.items() if s == t) for t in inst.period_ids}
    days = {("corridor", g): c.closure_days for g, c in inst.corridors.items()}
    days.update({("country", c): k.closure_days for c, k in inst.countries.items()})
    out = {t: 0.0 for t in inst.period_ids}
    for (unit, key, t), v in ms.stranded.items():
        d = days.get((unit, key), 0.0)
        if d > 0:
            out[t] += d / 365.0 * max(0.0, v - normal[t])
    return out


def appraise(inst: Instance, portfolio: dict[str, str | None], plan: Measures,
             plan_unmet: dict[tuple[str, str], float], reference_portfolio: dict,
             reference: Measures, reference_unmet: dict[tuple[str, str], float]) -> Appraisal:
    """The plan against the reference plan; see the module docstring."""
    loss = inst.settings.loss_per_t
    new = [p for p, t in portfolio.items() if t and reference_portfolio.get(p) != t]
    capex = {t: 0.0 for t in inst.period_ids}
    opex = {t: 0.0 for t in inst.period_ids}
    for p in new:
        start = portfolio[p]
        for t in inst.period_ids:
            capex[t] += inst.projects[p].capex * inst.spend_share(p, start, t)
        usable = inst.usable_from(p, start)
        if usable is not None:
            for t in inst.period_ids[inst.period_index[usable]:]:
                opex[t] += inst.projects[p].opex

    def transport(ms: Measures, t: str) -> float:  # USD m a year in period t
        return ms.transport_per_period.get(t, 0.0)

    def unmet_in(unmet, t):
        return sum(v for (k, s), v in unmet.items() if s == t)

    saved = {t: transport(reference, t) - transport(plan, t) for t in inst.period_ids}
    served = {t: (unmet_in(reference_unmet, t) - unmet_in(plan_unmet, t)) * (loss or 0.0)
              for t in inst.period_ids}
    ref_beyond = expected_stranded_beyond(inst, reference, reference_unmet)
    plan_beyond = expected_stranded_beyond(inst, plan, plan_unmet)
    avoided = {t: (ref_beyond[t] - plan_beyond[t]) * (loss or 0.0) for t in inst.period_ids}
    a = Appraisal(
        years=[],
        capex=_yearly(inst, capex, spread=True, after=False),
        opex=_yearly(inst, opex, spread=False, after=True),
        transport_saved=_yearly(inst, saved, spread=False, after=True),
        unmet_served=_yearly(inst, served, spread=False, after=True),
        loss_avoided=_yearly(inst, avoided, spread=False, after=True),
        rate=inst.settings.discount_rate, with_loss=loss is not None)
    a.years = list(range(len(a.capex)))
    r = a.rate
    a.pv = {name: present_value(getattr(a, name), r) for name in
            ("capex", "opex", "transport_saved", "unmet_served", "loss_avoided")}
    costs = a.pv["capex"] + a.pv["opex"]
    for resilience in (True, False):
        benefits = present_value(a.benefits(resilience), r)
        net = [b - c for b, c in zip(a.benefits(resilience), a.costs())]
        npv, bcr = benefits - costs, (benefits / costs if costs > 1e-9 else None)
        eirr = internal_rate(net)
        if resilience:
            a.npv, a.bcr, a.eirr = npv, bcr, eirr
        else:
            a.npv_without_resilience, a.bcr_without_resilience = npv, bcr
            a.eirr_without_resilience = eirr
    return a


def reference_portfolio(inst: Instance) -> dict[str, str | None]:
    """Committed projects only, each at its start."""
    return {p: (inst.start_periods(p)[0] if q.status == "committed" and inst.start_periods(p)
                else None) for p, q in inst.projects.items()}


def appraise_solution(inst: Instance, portfolio, plan: Measures, plan_unmet) -> Appraisal:
    """Solve the reference plan's flows (least unmet demand, then least cost, with the
    committed projects only: an LP) and appraise the plan against it."""
    ref = reference_portfolio(inst)
    sol = solve(inst, objective="cost", fixed=ref, explain=False)
    ms = evaluate(inst, ref, sol.flows, sol.unmet, sol.draws)
    return appraise(inst, portfolio, plan, plan_unmet, ref, ms, sol.unmet)
