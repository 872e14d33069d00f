"""Score any portfolio on every measure, whatever objective chose it.

Shares come from the plan's flows; stranded demand comes from a max-flow LP per closure and
period over the portfolio's capacities, so two portfolios are always compared the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.inputs.schema import BUDGET
from planner.inputs.instance import Instance
from planner.model.finance import loan_cost_factor
from planner.solve.closure_lp import built_capacity, stranded_by_flow, stranded_demand

@dataclass(frozen=True)
class Measure:
    """A figure the results and comparison workbooks show: its id (a Summary metric, a
    comparison row, a column: read by other tools, never renamed), the kind of number it is,
    and what a planner calls it (lower case; the Summary capitalises the first letter)."""

    id: str
    kind: str  # share, money, rates (Mt/yr added up), total (Mt), gap, ratio, text
    label: str


MEASURE_TABLE = (
    Measure("status", "text", "solver status"),
    Measure("dependence", "share", "dependence: the objective's measure"),
    Measure("unmet_demand", "rates", "unmet demand, per-period rates added up"),
    Measure("unmet_demand_total", "total", "unmet demand over the horizon"),
    Measure("total_capex", "money", "capital cost of the portfolio"),
    Measure("transport_cost", "money", "transport cost over the horizon"),
    Measure("worst_disruption", "share", "worst single closure: share of trade stranded"),
    Measure("expected_disruption", "share",
            "expected share of trade stranded (risk-weighted)"),
    Measure("max_corridor_share", "share", "largest share of trade through one corridor"),
    Measure("max_country_share", "share",
            "largest share of trade through one transit country"),
    Measure("mip_gap", "gap", "solver: largest relative gap of any stage"),
    Measure("npv", "money", "net present value against the reference plan"),
    Measure("npv_unmet_served", "money", "NPV's benefits from unmet demand served"),
    Measure("bcr", "ratio", "benefit-cost ratio"),
    Measure("eirr", "share", "economic internal rate of return"),
    Measure("pv_cost_to_country", "money", "present cost of the capex to the country"),
    Measure("external_share", "share", "share of capex paid by lenders and funds"),
    Measure("max_captive_share", "share",
            "largest share of trade one transit country holds captive"),
)
MEASURE = {m.id: m for m in MEASURE_TABLE}

# What a portfolio is judged on beside capex, lower better for each: the columns of sheets
# Value and Chains (in this order), what a project bought for a rule changes nothing of
# (bought_for_rule.same_measures), what an alternative may be better on (dominance).
CHANGE_MEASURES = ("worst_disruption", "expected_disruption", "max_corridor_share",
                   "max_country_share", "unmet_demand", "transport_cost")


@dataclass
class Measures:
    unmet_demand: float  # Mt/yr summed over periods
    total_capex: float  # USD m, undiscounted
    transport_cost: float  # USD m over the horizon (years x Mt/yr x USD/t), undiscounted
    discounted_cost: float  # the cost stage's objective
    worst_disruption: float  # weighted mean over measured periods of the largest stranded share
    expected_disruption: float
    max_corridor_share: float
    max_country_share: float
    spend: dict[str, float] = field(default_factory=dict)  # period -> capex spent (profiles)
    draws: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (p, source, t)
    pv_cost_to_country: float = 0.0  # budget at full value, grants 0, loans at PV, USD m
    external_share: float = 0.0  # share of capex paid by sources other than the budget
    transport_per_period: dict[str, float] = field(default_factory=dict)  # t -> USD m a year
    share: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (unit,key,t)
    stranded: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (unit,key,t)->Mt/yr
    capacity: dict[tuple[str, str], float] = field(default_factory=dict)  # (segment, t)
    used: dict[tuple[str, str], float] = field(default_factory=dict)  # (segment, t)
    per_period: dict[str, dict[str, float]] = field(default_factory=dict)  # measure -> t -> value
    unmet_per_period: dict[str, float] = field(default_factory=dict)  # t -> Mt/yr unmet normally
    unmet_total: float = 0.0  # Mt over the horizon: each (flow, period)'s unmet rate x its years
    max_captive_share: float = 0.0  # weighted mean of the largest transit country's captive share
    # (country, t) -> Mt/yr the plan serves of the flows whose market that country is
    market_served: dict[tuple[str, str], float] = field(default_factory=dict)
    # (unit, key, t) -> {flow: Mt/yr} stranded, the least valuable first, of the closures the
    # appraisal values flow by flow (closure_lp.valued_closures; empty without Flows loss_per_t)
    stranded_flows: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)

    def captive(self, unit: str, key: str, t: str) -> float:
        """Mt/yr of the trade that crosses ``key`` in transit that its closure strands beyond
        what is unmet anyway in period t: what that corridor or country holds captive. A
        country's own market flows are no transit trade for it (Instance.market): their
        demand, stranded by its closure whatever is built, and their unmet demand are left
        out, so stranded - unmet - what the plan serves of them (docs/model.md, Transit
        dependence). For a corridor, or a country that is no flow's market, the Disruptions
        sheet's stranded_beyond_unmet."""
        return captive(self.stranded, self.unmet_per_period, self.market_served, unit, key, t)

    def dependence(self, objective: str, unit: str) -> float:
        """The value of the measure an objective minimizes (cost: worst_disruption)."""
        if objective == "max_share":
            return self.max_corridor_share if unit == "corridor" else self.max_country_share
        if objective == "expected_disruption":
            return self.expected_disruption
        return self.worst_disruption


def captive(stranded: dict[tuple[str, str, str], float], unmet: dict[str, float],
            market_served: dict[tuple[str, str], float], unit: str, key: str, t: str
            ) -> float:
    """Measures.captive from its parts: stranded (unit, key, t), unmet t and market_served
    (country, t), all Mt/yr."""
    return max(0.0, stranded.get((unit, key, t), 0.0) - unmet.get(t, 0.0)
               - (market_served.get((key, t), 0.0) if unit == "country" else 0.0))


@dataclass
class FlowFigures:
    """What evaluate() makes from the flows and unmet demand alone (flow_figures): portfolios
    with the same flows share them."""

    transport: dict[str, float]  # t -> USD m a year
    share: dict[tuple[str, str, str], float]  # (unit, key, t)
    unmet_in: dict[str, float]  # t -> Mt/yr
    largest_share: dict[str, dict[str, float]]  # max_corridor_share, max_country_share -> t
    used: dict[tuple[str, str], float]  # (segment, t)


def flow_figures(inst: Instance, flows: dict[tuple[str, str], float],
                 unmet: dict[tuple[str, str], float]) -> FlowFigures:
    periods = inst.period_ids
    transport = {t: 0.0 for t in periods}
    carried: dict[tuple[str, str, str], float] = {}  # (unit, key, t) -> Mt/yr through it
    for (r, t), f in flows.items():
        if f:
            transport[t] += inst.route_cost[r] * f
            for unit, key in inst.route_units[r]:
                carried[unit, key, t] = carried.get((unit, key, t), 0.0) + f
    share = {(unit, key, t): carried.get((unit, key, t), 0.0) / inst.total_demand[t]
             for unit in ("corridor", "country") for key in inst.units(unit)
             for t in periods if inst.total_demand[t] > 0}
    unmet_in = {t: sum(v for (k, s), v in unmet.items() if s == t) for t in periods}
    measured = inst.measured_periods
    largest_share = {
        "max_corridor_share": {t: _largest(share, "corridor", t) for t in measured},
        "max_country_share": {t: _largest(share, "country", t) for t in measured},
    }
    used = {(s, t): 0.0 for s in inst.segments for t in periods}
    for (r, t), f in flows.items():  # only the routes that carry something add load
        if f:
            for s, n in inst.route_segments[r].items():
                used[s, t] += n * f
    return FlowFigures(transport, share, unmet_in, largest_share, used)


def _largest(values: dict, unit: str, t: str) -> float:
    return max((v for (u, _, s), v in values.items() if u == unit and s == t), default=0.0)


def evaluate(inst: Instance, portfolio: dict[str, str | None],
             flows: dict[tuple[str, str], float],
             unmet: dict[tuple[str, str], float],
             draws: dict[tuple[str, str, str], float] | None = None,
             stranded: dict[tuple[str, str, str], float] | None = None,
             capacity: dict[tuple[str, str], float] | None = None,
             figures: FlowFigures | None = None,
             stranded_flows: dict[tuple[str, str, str], dict[str, float]] | None = None
             ) -> Measures:
    """Every measure of a portfolio with its flows; ``draws`` (project, source, period) ->
    USD m, as a solve chose them: every draw, the budget's included (finance_draws). Without
    them the budget pays all. ``stranded``: (unit, key, period) -> Mt/yr of every corridor
    and country closure, where the caller already has them (stranded_demand's LPs, kept
    between portfolios: planner/analysis/fixed_portfolio.py), ``capacity`` the portfolio's built_capacity
    and ``figures`` flow_figures(inst, flows, unmet) (shared, not copied: Measures are
    read, never changed). ``stranded_flows``: Measures.stranded_flows, where the caller has
    them."""
    periods = inst.period_ids
    draws = draws if draws is not None else budget_draws(inst, portfolio)
    spend = {t: 0.0 for t in periods}
    for (p, s, t), amount in draws.items():
        spend[t] += amount
    figures = figures or flow_figures(inst, flows, unmet)
    transport, share, unmet_in = figures.transport, figures.share, figures.unmet_in
    cost_to_country = pv_cost_to_country(inst, draws)
    discounted = cost_to_country + sum(inst.discount[t] * inst.period[t].years * transport[t]
                                       for t in periods)
    capex_total = sum(spend.values())
    external = sum(v for (p, s, t), v in draws.items() if s != BUDGET)

    if stranded is None:
        stranded = stranded_demand(inst, portfolio)
    if stranded_flows is None:
        stranded_flows = stranded_by_flow(inst, portfolio)

    measured = inst.measured_periods
    weight = inst.period_weights
    per_period = {name: dict(values) for name, values in figures.largest_share.items()}
    unit = inst.settings.dependence_unit
    pi = inst.closure_weights(inst.closures(unit)) if inst.closures(unit) else {}
    per_period["worst_disruption"] = {
        t: _largest(stranded, unit, t) / inst.total_demand[t] for t in measured}
    per_period["expected_disruption"] = {
        t: sum(pi[f"{unit} {key}"] * v for (u, key, s), v in stranded.items()
               if u == unit and s == t) / inst.total_demand[t] for t in measured}
    # captive: what one country's closure strands of its transit trade beyond the normal
    # unmet demand (a flow's own market is no transit country for it: Measures.captive)
    market_served = {}
    for k, c in inst.market.items():
        for t in periods if c else ():
            served = inst.demand(k, t) - unmet.get((k, t), 0.0)
            if served > 0:
                market_served[c, t] = market_served.get((c, t), 0.0) + served
    per_period["max_captive_share"] = {
        t: max((captive(stranded, unmet_in, market_served, u, c, s)
                for (u, c, s) in stranded if u == "country" and s == t), default=0.0)
        / inst.total_demand[t] for t in measured}
    mean = {name: sum(weight[t] * v for t, v in values.items())
            for name, values in per_period.items()}

    cap = capacity or built_capacity(inst, portfolio)
    return Measures(
        unmet_demand=sum(unmet.values()),
        total_capex=capex_total,
        transport_cost=sum(inst.period[t].years * transport[t] for t in periods),
        discounted_cost=discounted,
        worst_disruption=mean["worst_disruption"],
        expected_disruption=mean["expected_disruption"],
        max_corridor_share=mean["max_corridor_share"],
        max_country_share=mean["max_country_share"],
        transport_per_period=transport, spend=spend, draws=draws, pv_cost_to_country=cost_to_country,
        external_share=external / capex_total if capex_total > 0 else 0.0, share=share, stranded=stranded, capacity=cap, used=figures.used,
        per_period=per_period, unmet_per_period=unmet_in,
        unmet_total=sum(v * inst.period[t].years for (k, t), v in unmet.items()),
        max_captive_share=mean["max_captive_share"], market_served=market_served,
        stranded_flows=stranded_flows,
    )


def budget_draws(inst: Instance, portfolio: dict[str, str | None]
                 ) -> dict[tuple[str, str, str], float]:
    """(project, 'budget', period) -> USD m: each project's spend profile, all paid by the
    budget (a portfolio scored without a solve's draws)."""
    out = {}
    for p, start in portfolio.items():
        if start:
            for t in inst.period_ids:
                share = inst.spend_share(p, start, t)
                if share > 0:
                    out[p, BUDGET, t] = inst.projects[p].capex * share
    return out


def pv_cost_to_country(inst: Instance, draws: dict[tuple[str, str, str], float]) -> float:
    """Budget draws at full value discounted from their period's start, grants at 0, loans at
    the present value of their payments (model.finance.cost_to_country, for any draws)."""
    total = 0.0
    for (p, s, t), amount in draws.items():
        if s == BUDGET:
            total += inst.discount[t] * amount
        elif inst.sources[s].kind == "loan":
            total += loan_cost_factor(inst, s, t) * amount
    return total

