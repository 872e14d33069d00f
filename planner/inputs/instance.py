"""The validated, typed planning instance: plain data that the model reads and nothing writes.

Units: flows and capacities Mt/yr, money USD m, unit costs USD/t (so Mt/yr x USD/t = USD m/yr).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from planner.inputs.schema import BUDGET


@dataclass(frozen=True)
class Settings:
    objective: str = "worst_disruption"
    dependence_unit: str = "corridor"
    home_country: str = ""
    budget_carry_over: bool = False
    time_limit_s: float = 300.0
    mip_gap: float = 1e-4
    discount_rate: float = 0.0
    loss_per_t: float | None = None  # USD lost per tonne that cannot move (appraisal only)
    benefit_years_after: float = 0.0  # years the last period's yearly amounts run on
    analysis: str = "auto"  # what follows the solve: auto, full, summary (analysis.pipeline)
    route_generation: str = "missing"  # which flows get routes from the network
    routes_per_flow: int = 5  # the k cheapest paths of a generated flow
    max_detour: float = 3.0  # a generated route costs at most this x its flow's cheapest
    flow_unit: str = "Mt/yr"
    money_unit: str = "USD m"
    cost_unit: str = "USD/t"


@dataclass(frozen=True)
class Period:
    id: str
    budget: float
    years: float = 1.0
    weight: float = 1.0
    debt_service_limit: float | None = None  # USD m of loan payments due in the period


@dataclass(frozen=True)
class Country:
    id: str
    name: str = ""
    risk: float = 1.0
    closure_days: float = 0.0  # expected days a year it is closed (appraisal only)


@dataclass(frozen=True)
class Corridor:
    id: str
    name: str = ""
    risk: float = 1.0
    closure_days: float = 0.0


@dataclass(frozen=True)
class Segment:
    id: str
    from_node: str
    to_node: str
    mode: str
    country: str
    capacity: float
    cost_per_t: float
    length_km: float | None = None
    corridor: str = ""  # the corridor it gives the generated routes it ends (sheet Segments)


@dataclass(frozen=True)
class Node:
    """Where a node of the network lies (sheet Nodes), for the corridor map only."""

    id: str
    name: str = ""
    lat: float | None = None  # degrees north; None with lon: a node with no one place
    lon: float | None = None  # degrees east

    @property
    def placed(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Route:
    id: str
    flow: str
    corridor: str
    segments: tuple[str, ...]
    source: str = "listed"  # or "generated": made from the network (planner/inputs/routes.py)


@dataclass(frozen=True)
class Flow:
    id: str
    origin: str
    destination: str
    demand: dict[str, float]  # period -> Mt/yr; a period without a row has demand 0
    # period -> USD/t a tonne of it is worth where its row gives one (Flows loss_per_t)
    loss_per_t: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    id: str
    segments: tuple[str, ...]
    capacity_added: float
    capex: float
    name: str = ""
    lead_time: int = 0
    earliest_period: str = ""  # "" = the first period
    status: str = "candidate"
    requires: tuple[str, ...] = ()
    exclusive_group: str = ""
    risk_class: str = "low"
    spend_profile: tuple[float, ...] = (1.0,)  # capex shares from the start period on
    sources: tuple[str, ...] = ()  # who may pay ("budget" included); () = every eligible one
    opex: float = 0.0  # USD m a year once usable (appraisal only)




@dataclass(frozen=True)
class Source:
    """A lender or fund (sheet Sources). A grant costs the country nothing; a loan drawn in
    year y is repaid from year y + 1: interest only for grace_years, then a level annuity
    over tenor_years."""

    id: str
    kind: str  # grant or loan
    rate: float = 0.0
    tenor_years: int = 0
    grace_years: int = 0
    max_share: float = 1.0  # most of any one project's capex it may pay
    countries: tuple[str, ...] = ()  # where it may lend; () = anywhere
    excluded_countries: tuple[str, ...] = ()
    risk_classes: tuple[str, ...] = ()  # () = all
    name: str = ""
    note: str = ""

    def payments(self) -> list[tuple[int, float]]:
        """(k, payment per USD drawn) for k = 1 .. grace + tenor years after the draw."""
        if self.kind != "loan":
            return []
        r, n = self.rate, self.tenor_years
        annuity = 1.0 / n if r == 0 else r / (1.0 - (1.0 + r) ** -n)
        return [(k, r) for k in range(1, self.grace_years + 1)] + \
            [(self.grace_years + k, annuity) for k in range(1, n + 1)]

    def barred(self, countries) -> list[str]:
        """The countries among ``countries`` where the source may not lend."""
        return sorted(c for c in countries if (self.countries and c not in self.countries)
                      or c in self.excluded_countries)

    def admits(self, countries: frozenset[str], risk_class: str) -> str | None:
        """None when the source may pay for a project in ``countries`` of ``risk_class``,
        else why not (for messages)."""
        barred = self.barred(countries)
        if barred:
            return f"does not lend in {', '.join(barred)}"
        if self.risk_classes and risk_class not in self.risk_classes:
            return f"does not fund risk class {risk_class}"
        return None


@dataclass(frozen=True)
class RiskLimit:
    limit: str  # max_share, max_capex, max_high_risk_capex_share
    unit: str  # corridor, country, total
    key: str  # "" = every corridor / country
    value: float
    row: int = 0  # Excel row on the RiskLimits sheet, for explanations


@dataclass(frozen=True)
class Closure:
    """One thing that can close: a corridor or a country (never the home country)."""

    unit: str  # corridor or country
    key: str
    risk: float

    @property
    def name(self) -> str:
        return f"{self.unit} {self.key}"


@dataclass(frozen=True)
class Instance:
    settings: Settings
    periods: tuple[Period, ...]
    countries: dict[str, Country]
    corridors: dict[str, Corridor]
    segments: dict[str, Segment]
    routes: dict[str, Route]
    flows: dict[str, Flow]
    projects: dict[str, Project]
    limits: tuple[RiskLimit, ...] = ()
    # (sheet, id) -> Excel row, so explanations can point at the planner's own rows
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    source_sha256: str = ""
    source_name: str = ""
    warnings: tuple = ()  # Problems that are allowed but look wrong
    scenarios: dict = field(default_factory=dict)  # name -> changes (planner/inputs/scenarios.py)
    sources: dict[str, Source] = field(default_factory=dict)  # sheet Sources; {} = budget only
    source_budgets: dict[tuple[str, str], float] = field(default_factory=dict)  # (s, t) -> USD m
    nodes: dict[str, Node] = field(default_factory=dict)  # sheet Nodes; {} = no map data

    # -- derived views, computed once ------------------------------------------------------
    @cached_property
    def period_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.periods)

    @cached_property
    def period_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.period_ids)}

    @cached_property
    def period(self) -> dict[str, Period]:
        return {p.id: p for p in self.periods}

    @cached_property
    def measured_periods(self) -> tuple[str, ...]:
        """Periods whose weight is positive and whose total demand is positive."""
        return tuple(p.id for p in self.periods if p.weight > 0 and self.total_demand[p.id] > 0)

    @cached_property
    def total_demand(self) -> dict[str, float]:
        return {t: sum(f.demand.get(t, 0.0) for f in self.flows.values()) for t in self.period_ids}

    def demand(self, flow: str, period: str) -> float:
        return self.flows[flow].demand.get(period, 0.0)

    def value_per_t(self, flow: str, period: str) -> float | None:
        """USD a tonne of ``flow`` that cannot move in ``period`` loses: its row's loss_per_t
        on sheet Flows, else Settings loss_per_t (None: neither given)."""
        return self.flows[flow].loss_per_t.get(period, self.settings.loss_per_t)

    @cached_property
    def valued(self) -> bool:
        """A value per tonne is given somewhere (Settings or a Flows row): the appraisal
        counts unmet demand served and the expected loss avoided."""
        return self.settings.loss_per_t is not None or \
            any(f.loss_per_t for f in self.flows.values())

    @cached_property
    def flow_values(self) -> bool:
        """A Flows row gives its own loss_per_t: the appraisal values each flow's tonnes at
        its value (planner/analysis/appraisal.py)."""
        return any(f.loss_per_t for f in self.flows.values())

    def values_differ(self, period: str) -> bool:
        """The flows with demand in ``period`` are not all worth the same a tonne: which of
        them a closure strands changes what it loses (planner/solve/closure_lp.py)."""
        return self._values_differ[period]

    @cached_property
    def _values_differ(self) -> dict[str, bool]:
        out = {}
        for t in self.period_ids:
            values = {self.value_per_t(k, t) or 0.0 for k in self.flows
                      if self.demand(k, t) > 0} if self.flow_values else ()
            out[t] = len(values) > 1
        return out

    @cached_property
    def route_cost(self) -> dict[str, float]:
        """USD/t along each route."""
        return {r.id: sum(self.segments[s].cost_per_t for s in r.segments)
                for r in self.routes.values()}

    @cached_property
    def route_countries(self) -> dict[str, frozenset[str]]:
        """Countries a route touches, the home country left out."""
        home = self.settings.home_country
        return {r.id: frozenset(self.segments[s].country for s in r.segments) - {home}
                for r in self.routes.values()}

    @cached_property
    def routes_of_flow(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {k: [] for k in self.flows}
        for r in self.routes.values():
            out[r.flow].append(r.id)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def segment_routes(self) -> dict[str, dict[str, int]]:
        """segment -> {route: times the route passes the segment}."""
        out: dict[str, dict[str, int]] = {s: {} for s in self.segments}
        for r in self.routes.values():
            for s in r.segments:
                out[s][r.id] = out[s].get(r.id, 0) + 1
        return out

    @cached_property
    def route_segments(self) -> dict[str, dict[str, int]]:
        """route -> {segment: times the route passes it}."""
        out: dict[str, dict[str, int]] = {}
        for r in self.routes.values():
            counts = out[r.id] = {}
            for s in r.segments:
                counts[s] = counts.get(s, 0) + 1
        return out

    @cached_property
    def segment_projects(self) -> dict[str, tuple[str, ...]]:
        """segment -> projects that add capacity to it."""
        out: dict[str, list[str]] = {s: [] for s in self.segments}
        for p in self.projects.values():
            for s in dict.fromkeys(p.segments):
                out[s].append(p.id)
        return {s: tuple(ps) for s, ps in out.items()}

    def load_bound(self, segment: str, period: str, routes=None) -> float:
        """The most flow ``segment`` can be asked to carry in ``period``, over ``routes`` (all
        by default): each flow's demand times the most times one of its routes passes it."""
        most: dict[str, int] = {}
        for r, n in self.segment_routes[segment].items():
            if routes is None or r in routes:
                k = self.routes[r].flow
                most[k] = max(most.get(k, 0), n)
        return sum(self.demand(k, period) * n for k, n in most.items())

    @cached_property
    def project_countries(self) -> dict[str, frozenset[str]]:
        return {p.id: frozenset(self.segments[s].country for s in p.segments)
                for p in self.projects.values()}

    @cached_property
    def project_corridors(self) -> dict[str, frozenset[str]]:
        """Corridors with a route over one of the project's segments."""
        return {p.id: frozenset(self.routes[r].corridor for s in p.segments
                                for r in self.segment_routes[s])
                for p in self.projects.values()}

    def routes_in_unit(self, unit: str, key: str) -> tuple[str, ...]:
        """Routes of a corridor, or routes touching a country."""
        found = self._unit_routes.get((unit, key))
        if found is not None:
            return found
        if unit == "corridor":
            return tuple(r.id for r in self.routes.values() if r.corridor == key)
        return tuple(r for r, cs in self.route_countries.items() if key in cs)

    @cached_property
    def market(self) -> dict[str, str | None]:
        """flow -> its market country: the country where every route of the flow ends (its
        last segment's country), never the home country; None where its routes end in
        different countries. Closing its market strands the flow whatever is built, so that
        country is no transit country for that flow, and for that flow alone (docs/model.md,
        Transit dependence)."""
        home = self.settings.home_country
        out: dict[str, str | None] = {}
        for k, routes in self.routes_of_flow.items():
            ends = {self.segments[self.routes[r].segments[-1]].country for r in routes}
            out[k] = next(iter(ends)) if len(ends) == 1 and ends != {home} else None
        return out

    @cached_property
    def destination_countries(self) -> frozenset[str]:
        """Countries that are some flow's market (Instance.market)."""
        return frozenset(c for c in self.market.values() if c)

    def market_demand(self, country: str, period: str) -> float:
        """Mt/yr of the flows whose market is ``country``: what its closure strands whatever
        is built, which is not transit dependence."""
        return sum(self.demand(k, period) for k, c in self.market.items() if c == country)

    @cached_property
    def route_units(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """route -> the (unit, key) it belongs to: its corridor and every country it touches
        but home (the inverse of routes_in_unit)."""
        return {r.id: (("corridor", r.corridor),) + tuple(
            ("country", c) for c in sorted(self.route_countries[r.id]))
            for r in self.routes.values()}

    @cached_property
    def _unit_routes(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(unit, key) -> routes_in_unit, for every corridor and country, computed once."""
        out: dict[tuple[str, str], list[str]] = {}
        for r in self.routes.values():
            out.setdefault(("corridor", r.corridor), []).append(r.id)
            for c in self.route_countries[r.id]:
                out.setdefault(("country", c), []).append(r.id)
        return {key: tuple(v) for key, v in out.items()}

    def units(self, unit: str) -> tuple[str, ...]:
        """Every corridor, or every country but the home country."""
        if unit == "corridor":
            return tuple(self.corridors)
        return tuple(c for c in self.countries if c != self.settings.home_country)

    def closures(self, unit: str | None = None) -> tuple[Closure, ...]:
        """Closures of the dependence unit (or the unit given): one per corridor or country."""
        unit = unit or self.settings.dependence_unit
        table = self.corridors if unit == "corridor" else self.countries
        return tuple(Closure(unit, key, table[key].risk) for key in self.units(unit))

    def start_periods(self, project: str) -> tuple[str, ...]:
        """Periods in which a project may start: none if excluded, one if committed."""
        p = self.projects[project]
        if p.status == "excluded":
            return ()
        first = self.period_index[p.earliest_period] if p.earliest_period else 0
        # the whole spend profile must fall inside the horizon
        last = len(self.period_ids) - len(p.spend_profile)
        if p.status == "committed":
            return (self.period_ids[first],)
        return self.period_ids[first:last + 1]

    def usable_from(self, project: str, start: str) -> str | None:
        """First period a project started in `start` can carry traffic; None past the horizon."""
        i = self.period_index[start] + self.projects[project].lead_time
        return self.period_ids[i] if i < len(self.period_ids) else None

    @cached_property
    def discount(self) -> dict[str, float]:
        """Discount factor at the start of each period (years elapsed before it)."""
        return {t: self.discount_year(e) for t, e in self.start_year.items()}

    def period_of_year(self, year: float) -> str | None:
        """The period whose years cover ``year`` (None past the horizon)."""
        for t, e in self.start_year.items():
            if e <= year < e + self.period[t].years:
                return t
        return None

    def discount_year(self, year: float) -> float:
        """(1 + discount_rate)^-year."""
        return 1.0 / (1.0 + self.settings.discount_rate) ** year

    @cached_property
    def start_year(self) -> dict[str, float]:
        """e_t: the years of the periods before t (period t covers e_t .. e_t + years_t - 1)."""
        out, elapsed = {}, 0.0
        for p in self.periods:
            out[p.id] = elapsed
            elapsed += p.years
        return out

    def spend_share(self, project: str, start: str, period: str) -> float:
        """Share of a project's capex spent in ``period`` when it starts in ``start``."""
        i = self.period_index[period] - self.period_index[start]
        profile = self.projects[project].spend_profile
        return profile[i] if 0 <= i < len(profile) else 0.0

    @cached_property
    def payers(self) -> dict[str, tuple[str, ...]]:
        """project -> the sources that may pay for it ('budget' included where it may):
        its sources column, or every source whose rules admit it and the budget."""
        out = {}
        for p, proj in self.projects.items():
            if not self.sources:
                out[p] = (BUDGET,)
                continue
            named = proj.sources or (BUDGET,) + tuple(self.sources)
            out[p] = tuple(s for s in named if s == BUDGET or self.sources[s].admits(
                self.project_countries[p], proj.risk_class) is None)
        return out

    @cached_property
    def period_weights(self) -> dict[str, float]:
        """omega_t: Periods.weight normalised over the measured periods (the one home of the
        weights every period-measured quantity is averaged with)."""
        total = sum(self.period[t].weight for t in self.measured_periods)
        return {t: self.period[t].weight / total for t in self.measured_periods} if total else {}

    @staticmethod
    def closure_weights(closures) -> dict[str, float]:
        """pi_d: risk weights of closures normalised to sum to 1 (equal if all are 0)."""
        total = sum(c.risk for c in closures)
        return {c.name: (c.risk / total if total > 0 else 1.0 / len(closures))
                for c in closures}
