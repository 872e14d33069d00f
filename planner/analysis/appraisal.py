"""The appraisal a financing committee asks for: what the plan is worth against the reference
plan (committed projects only, the frontier's status quo), year by year.

Time: the periods' true lengths, as in the cost stage and the debt service. Period t covers the
years [e_t, e_t + years_t) (Instance.start_year: e_t is the years of the periods before it);
after the horizon H = sum years_t come benefit_years_after more years, [H, H + after). Each is
cut into slices of one year from its start, the last slice the fraction left (a period of 1.5
years: [e_t, e_t + 1) and [e_t + 1, e_t + 1.5)). A slice of w years carries w x a period's
yearly amounts (transport cost, unmet demand, expected loss, opex; after the horizon, the last
period's) and w / years_t of the period's capex spend (spread evenly over the period), and is
discounted from its start y by (1 + discount_rate)^-y (Instance.discount_year), on the clock
of the loan payments (year e_t + k). With whole-year periods each slice is one year of the
plan. The cost stage, which ranks portfolios, discounts a period's years and capex as a whole
from e_t; for one-year periods the two agree.

Benefits, a year: transport cost saved (reference minus plan, USD m); unmet demand served
(reference minus plan, Mt/yr) x loss_per_t; and the expected loss avoided: sum over closures
with closure_days of days / 365 x (stranded beyond normal unmet, reference minus plan) x
loss_per_t.

Where sheet Flows gives flows their own value a tonne w[k,t] (Flows loss_per_t, blank: the
Settings value; Instance.value_per_t), each flow's tonnes are valued at its own: unmet demand
served sum_k (u_ref[k,t] - u_plan[k,t]) w[k,t], and a closure c strands v[k,c,t] of flow k,
the least valuable tonnes first (Measures.stranded_flows), so that what it loses beyond the
normal unmet is B[c,t] = max(0, sum_k w[k,t] (v[k,c,t] - u[k,t])), each flow's part
w[k,t] (v[k,c,t] - u[k,t]) where B > 0 (a part can be negative: the closure carries more of
that flow than normal operation does), and the expected loss avoided sum_c days_c / 365 x
(B_ref - B_plan). With one value w for all, B = w max(0, stranded - unmet): the rule above.
Appraisal.by_flow holds each flow's PV of both. Costs: the capex and opex of the plan's portfolio less the reference's, each the
whole stream of its projects at their starts (a committed project the plan drops is a saving).
NPV = PV benefits - PV costs, BCR = PV benefits / PV costs (None unless the costs are
positive), EIRR = the rate where NPV = 0 (None when the net flows never change sign). Each is
also given without the expected loss avoided, so that a committee sees what the insurance is
worth. Without loss_per_t only transport savings count.

The plan and the reference are scored the same way (planner/analysis/fixed_portfolio.py: the flow stages of
the solve's objective with the starts held; the plan's flows are the solve's up to its
tolerance), the reference once per analysis (planner/analysis/pipeline.py), so that the Summary's NPV,
sheet Value's npv_change and Leverage read one reference plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.analysis.measures import Measures
from planner.inputs.instance import Instance
from planner.analysis.fixed_portfolio import Scored, reference_portfolio  # noqa: F401 (read from here too)
from planner.tolerances import MONEY_ROUND_OFF, TONNES_ROUND_OFF


@dataclass
class Appraisal:
    years: list[float]  # each slice's start, years after the start of the first period
    lengths: list[float]  # each slice's length in years (1, or the fraction a period ends on)
    capex: list[float]  # USD m in each slice: the plan's less the reference's
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
    # flow -> {"unmet_served": PV, "loss_avoided": PV} (USD m), where Flows gives values
    by_flow: dict[str, dict[str, float]] = field(default_factory=dict)
    flow_years: dict = field(default_factory=dict)  # (flow, period) -> FlowYear, the same

    def benefits(self, resilience: bool = True) -> list[float]:
        return [a + b + (c if resilience else 0.0) for a, b, c in
                zip(self.transport_saved, self.unmet_served, self.loss_avoided)]

    def costs(self) -> list[float]:
        return [a + b for a, b in zip(self.capex, self.opex)]

    @property
    def pv_benefits(self) -> float:
        return self.pv["transport_saved"] + self.pv["unmet_served"] + self.pv["loss_avoided"]

    @property
    def unmet_served_share(self) -> float | None:
        """The part of the PV benefits that is unmet demand served at loss_per_t (not
        transport savings); None when the benefits are not positive."""
        total = self.pv_benefits
        return self.pv["unmet_served"] / total if total > 1e-9 else None

    @property
    def horizon_years(self) -> float:
        return sum(self.lengths)


def present_value(flows: list[float], rate: float, years: list[float] | None = None) -> float:
    """sum_i flows_i (1 + rate)^-years_i (years: 0, 1, 2 ... unless given)."""
    years = range(len(flows)) if years is None else years
    return sum(v / (1.0 + rate) ** y for y, v in zip(years, flows))


def internal_rate(net: list[float], years: list[float] | None = None) -> float | None:
    """The rate in (-0.99, 10] where the PV of ``net`` is 0, by bisection; None when the net
    flows never change sign or the PV does not change sign over that range."""
    if not any(v > 1e-9 for v in net) or not any(v < -1e-9 for v in net):
        return None
    lo, hi = -0.99, 10.0
    f_lo, f_hi = present_value(net, lo, years), present_value(net, hi, years)
    if f_lo * f_hi > 0:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        f_mid = present_value(net, mid, years)
        if f_lo * f_mid <= 0:
            hi = mid
        else:
            lo, f_lo = mid, f_mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2


def slices(inst: Instance) -> list[tuple[str | None, float, float]]:
    """(period, start year, length) of every slice (module docstring): each period's years
    from e_t, then benefit_years_after from the end of the horizon (period None)."""
    out: list[tuple[str | None, float, float]] = []

    def cut(period, start, length):
        k = 0
        while length - k > 1e-9:
            out.append((period, start + k, min(1.0, length - k)))
            k += 1

    for t in inst.period_ids:
        cut(t, inst.start_year[t], inst.period[t].years)
    horizon = sum(p.years for p in inst.periods)
    cut(None, horizon, inst.settings.benefit_years_after)
    return out


def _sliced(inst: Instance, per_period: dict[str, float], *, spread: bool,
            after: bool) -> list[float]:
    """USD m in each slice (slices) from amounts per period: a slice of w years gets w x the
    period's yearly amount, or with ``spread`` w / years_t of the period's total; after the
    horizon, w x the last period's yearly amount where ``after``, else 0."""
    last = inst.period_ids[-1]
    out = []
    for t, _, w in slices(inst):
        if t is None:
            value = per_period.get(last, 0.0) * w if after else 0.0
        else:
            value = per_period.get(t, 0.0) * w / (inst.period[t].years if spread else 1.0)
        out.append(0.0 if abs(value) < MONEY_ROUND_OFF * w else value)
    return out


def expected_stranded_beyond(inst: Instance, ms: Measures) -> dict[str, float]:
    """period -> sum over closures with closure_days of days/365 x (stranded beyond the
    normal unmet demand), Mt/yr."""
    normal = ms.unmet_per_period
    days = {("corridor", g): c.closure_days for g, c in inst.corridors.items()}
    days.update({("country", c): k.closure_days for c, k in inst.countries.items()})
    out = {t: 0.0 for t in inst.period_ids}
    for (unit, key, t), v in ms.stranded.items():
        d = days.get((unit, key), 0.0)
        if d > 0:
            out[t] += d / 365.0 * max(0.0, v - normal[t])
    return out


def _tonnes(v: float) -> float:
    return 0.0 if abs(v) < TONNES_ROUND_OFF else v


def expected_beyond_by_flow(inst: Instance, scored: Scored) -> dict[tuple[str, str], float]:
    """(flow, period) -> sum over closures with closure_days of days/365 x the flow's part
    of what the closure strands beyond the normal unmet demand, Mt/yr (module docstring:
    v[k,c,t] - u[k,t] where B[c,t] > 0, else 0)."""
    ms, out = scored.measures, {}
    for (unit, key, t), stranded in ms.stranded_flows.items():
        days = (inst.corridors if unit == "corridor" else inst.countries)[key].closure_days
        part = {k: stranded.get(k, 0.0) - scored.unmet.get((k, t), 0.0) for k in inst.flows
                if inst.demand(k, t) > 0}
        if sum((inst.value_per_t(k, t) or 0.0) * v for k, v in part.items()) <= 0:
            continue
        for k, v in part.items():
            out[k, t] = out.get((k, t), 0.0) + days / 365.0 * v
    return out


@dataclass
class FlowYear:
    """One flow in one period, a year of it: what the appraisal values (sheet FlowValue)."""

    value: float | None  # USD/t a tonne of it is worth (Instance.value_per_t)
    value_from: str  # "Flows" (its row), "Settings" (loss_per_t there) or "" (none)
    demand: float  # Mt/yr
    unmet_reference: float  # Mt/yr unmet in normal operation
    unmet_plan: float
    beyond_reference: float  # Mt/yr: expected_beyond_by_flow
    beyond_plan: float
    unmet_served: float  # USD m a year: (unmet_reference - unmet_plan) x value
    loss_avoided: float  # USD m a year: (beyond_reference - beyond_plan) x value


def flow_benefits(inst: Instance, plan: Scored, reference: Scored
                  ) -> dict[tuple[str, str], FlowYear]:
    """(flow, period) -> FlowYear: unmet demand served and the expected loss avoided, USD m
    a year, each flow's tonnes at its own value (module docstring)."""
    out = {}
    ref_beyond = expected_beyond_by_flow(inst, reference)
    plan_beyond = expected_beyond_by_flow(inst, plan)
    for k, f in inst.flows.items():
        for t in inst.period_ids:
            w = inst.value_per_t(k, t)
            year = FlowYear(w, "Flows" if t in f.loss_per_t else "Settings" if w is not None
                            else "", inst.demand(k, t), reference.unmet.get((k, t), 0.0),
                            plan.unmet.get((k, t), 0.0), ref_beyond.get((k, t), 0.0),
                            plan_beyond.get((k, t), 0.0), 0.0, 0.0)
            year.unmet_served = _tonnes(year.unmet_reference - year.unmet_plan) * (w or 0.0)
            year.loss_avoided = _tonnes(year.beyond_reference - year.beyond_plan) * (w or 0.0)
            out[k, t] = year
    return out


def project_costs(inst: Instance, portfolio: dict[str, str | None]
                  ) -> tuple[dict[str, float], dict[str, float]]:
    """(capex spent, opex a year) per period of every project of the portfolio at its start:
    capex by its spend profile, opex from the period it is usable."""
    capex = {t: 0.0 for t in inst.period_ids}
    opex = {t: 0.0 for t in inst.period_ids}
    for p, start in portfolio.items():
        if not start:
            continue
        for t in inst.period_ids:
            capex[t] += inst.projects[p].capex * inst.spend_share(p, start, t)
        usable = inst.usable_from(p, start)
        if usable is not None:
            for t in inst.period_ids[inst.period_index[usable]:]:
                opex[t] += inst.projects[p].opex
    return capex, opex


def appraise(inst: Instance, plan: Scored, reference: Scored) -> Appraisal:
    """The plan against the reference plan, both scored portfolios; see the module
    docstring."""
    loss = inst.settings.loss_per_t
    plan_capex, plan_opex = project_costs(inst, plan.portfolio)
    ref_capex, ref_opex = project_costs(inst, reference.portfolio)
    capex = {t: plan_capex[t] - ref_capex[t] for t in inst.period_ids}
    opex = {t: plan_opex[t] - ref_opex[t] for t in inst.period_ids}

    def transport(ms: Measures, t: str) -> float:  # USD m a year in period t
        return ms.transport_per_period.get(t, 0.0)

    saved = {t: transport(reference.measures, t) - transport(plan.measures, t)
             for t in inst.period_ids}
    flow_years = flow_benefits(inst, plan, reference) if inst.flow_values else None
    if flow_years is not None:
        served = {t: sum(y.unmet_served for (_, s), y in flow_years.items() if s == t)
                  for t in inst.period_ids}
        avoided = {t: sum(y.loss_avoided for (_, s), y in flow_years.items() if s == t)
                   for t in inst.period_ids}
    else:
        served = {t: _tonnes(reference.measures.unmet_per_period[t]
                             - plan.measures.unmet_per_period[t]) * (loss or 0.0)
                  for t in inst.period_ids}
        ref_beyond = expected_stranded_beyond(inst, reference.measures)
        plan_beyond = expected_stranded_beyond(inst, plan.measures)
        avoided = {t: _tonnes(ref_beyond[t] - plan_beyond[t]) * (loss or 0.0)
                   for t in inst.period_ids}
    cut = slices(inst)
    a = Appraisal(
        years=[y for _, y, _ in cut], lengths=[w for _, _, w in cut],
        capex=_sliced(inst, capex, spread=True, after=False),
        opex=_sliced(inst, opex, spread=False, after=True),
        transport_saved=_sliced(inst, saved, spread=False, after=True),
        unmet_served=_sliced(inst, served, spread=False, after=True),
        loss_avoided=_sliced(inst, avoided, spread=False, after=True),
        rate=inst.settings.discount_rate, with_loss=inst.valued)
    r = a.rate
    a.pv = {name: present_value(getattr(a, name), r, a.years) for name in
            ("capex", "opex", "transport_saved", "unmet_served", "loss_avoided")}
    if flow_years is not None:
        a.flow_years = flow_years
        for k in inst.flows:
            a.by_flow[k] = {name: present_value(_sliced(inst, {
                t: getattr(flow_years[k, t], name) for t in inst.period_ids}, spread=False,
                after=True), r, a.years) for name in ("unmet_served", "loss_avoided")}
    costs = a.pv["capex"] + a.pv["opex"]
    for resilience in (True, False):
        benefits = present_value(a.benefits(resilience), r, a.years)
        net = [b - c for b, c in zip(a.benefits(resilience), a.costs())]
        npv, bcr = benefits - costs, (benefits / costs if costs > 1e-9 else None)
        eirr = internal_rate(net, a.years)
        if resilience:
            a.npv, a.bcr, a.eirr = npv, bcr, eirr
        else:
            a.npv_without_resilience, a.bcr_without_resilience = npv, bcr
            a.eirr_without_resilience = eirr
    return a
