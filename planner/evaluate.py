"""Score any portfolio on every measure, whatever objective chose it.

Shares come from the plan's flows; stranded demand comes from a max-flow LP per closure and
period over the portfolio's capacities, so two portfolios are always compared the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
from pyomo.common.tee import capture_output

from planner.instance import Instance
from planner.model.objectives import closure_weights


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
    spend: dict[str, float] = field(default_factory=dict)  # period -> capex started
    share: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (unit,key,t)
    stranded: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (unit,key,t)->Mt/yr
    capacity: dict[tuple[str, str], float] = field(default_factory=dict)  # (segment, t)
    used: dict[tuple[str, str], float] = field(default_factory=dict)  # (segment, t)
    per_period: dict[str, dict[str, float]] = field(default_factory=dict)  # measure -> t -> value

    def dependence(self, objective: str, unit: str) -> float:
        """The value of the measure an objective minimizes (cost: worst_disruption)."""
        if objective == "max_share":
            return self.max_corridor_share if unit == "corridor" else self.max_country_share
        if objective == "expected_disruption":
            return self.expected_disruption
        return self.worst_disruption


def built(inst: Instance, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
    """(project, period) -> 1.0 where the portfolio's project is usable, else 0.0."""
    out = {(p, t): 0.0 for p in inst.projects for t in inst.period_ids}
    for p, start in portfolio.items():
        usable = inst.usable_from(p, start) if start else None
        if usable is not None:
            for t in inst.period_ids[inst.period_index[usable]:]:
                out[p, t] = 1.0
    return out


def built_capacity(inst: Instance, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
    """Capacity of every segment in every period with the portfolio's projects."""
    usable = built(inst, portfolio)
    return {(s, t): seg.capacity + sum(inst.projects[p].capacity_added * usable[p, t]
                                       for p in inst.segment_projects[s])
            for s, seg in inst.segments.items() for t in inst.period_ids}


def quiet_highs() -> highspy.Highs:
    """A HiGHS object that prints nothing: the first one of a process prints a banner straight
    to the terminal's file descriptor unless that is captured."""
    with capture_output(capture_fd=True):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class StrandedLP:
    """(period, closure name) -> Mt/yr that the routes avoiding the closure cannot carry with a
    portfolio's capacities. ``pairs`` limits it to those (period, closure) pairs.

    One max-flow LP per pair: min sum_k v[k] subject to sum_{r serves k, avoids d} h[r] + v[k]
    = D[k,t] and sum_{r uses s, avoids d} n_rs h[r] <= capacity[s,t]. Each is built once
    straight into HiGHS as arrays (at size L the pairs hold a million columns: too many for a
    modelling layer, and one LP of them all is slower than its blocks); between portfolios only
    the capacity bounds change and HiGHS starts from the last basis.
    """

    def __init__(self, inst: Instance, closure_set, periods, pairs=None):
        self.inst = inst
        wanted = None if pairs is None else set(pairs)
        self.blocks = {}
        for c in closure_set:
            closed = set(inst.routes_in_unit(c.unit, c.key))
            for t in periods:
                if wanted is None or (t, c.name) in wanted:
                    self.blocks[t, c.name] = _MaxFlow(inst, t, closed)

    def __call__(self, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
        capacity = built_capacity(self.inst, portfolio)
        return {pair: block.stranded(capacity) for pair, block in self.blocks.items()}


class _MaxFlow:
    """The LP of one (period, closure) pair; see StrandedLP."""

    def __init__(self, inst: Instance, t: str, closed: set[str]):
        self.fixed = 0.0  # demand with no open route: stranded whatever is built
        upper, cost, entries = [], [], ([], [], [])  # entries: (row, column, value)
        row_lower, row_upper, h = [], [], {}
        for k in inst.flows:
            demand = inst.demand(k, t)
            open_routes = [r for r in inst.routes_of_flow[k] if r not in closed]
            if demand <= 0:
                continue
            if not open_routes:
                self.fixed += demand
                continue
            row = len(row_lower)
            row_lower.append(demand), row_upper.append(demand)
            for r in open_routes + [None]:  # the routes' h, then v[k]
                column = len(upper)
                upper.append(demand), cost.append(0.0 if r else 1.0)
                entries[0].append(row), entries[1].append(column), entries[2].append(1.0)
                if r:
                    h[r] = column
        # each segment's open routes, and the most flow they can put on it (Instance.load_bound)
        load: dict[str, dict[str, int]] = {}
        most: dict[str, dict[str, int]] = {}  # segment -> flow -> most passes of one route
        for r in h:
            k = inst.routes[r].flow
            for s, n in inst.route_segments[r].items():
                load.setdefault(s, {})[r] = n
                passes = most.setdefault(s, {})
                passes[k] = max(passes.get(k, 0), n)
        self.capacity_rows = []  # (segment, period)
        for s in inst.segments:
            if s not in load or sum(inst.demand(k, t) * n for k, n in most[s].items()) <= \
                    inst.segments[s].capacity + 1e-9:
                continue  # a row that cannot bind
            row = len(row_lower)
            row_lower.append(-highspy.kHighsInf), row_upper.append(inst.segments[s].capacity)
            self.capacity_rows.append((s, t))
            for r, n in load[s].items():
                entries[0].append(row), entries[1].append(h[r]), entries[2].append(n)
        self.highs = None
        if not upper:
            return
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(upper), len(row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = \
            np.array(cost), np.zeros(len(upper)), np.array(upper)
        lp.row_lower_, lp.row_upper_ = np.array(row_lower), np.array(row_upper)
        rows, cols = np.array(entries[0]), np.array(entries[1])
        order = np.argsort(cols, kind="stable")  # column-wise storage
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(cols))))
        lp.a_matrix_.index_ = rows[order]
        lp.a_matrix_.value_ = np.array(entries[2])[order]
        self.highs = quiet_highs()
        self.highs.passModel(lp)
        self.rows = np.arange(len(row_lower) - len(self.capacity_rows), len(row_lower),
                              dtype=np.int32)

    def stranded(self, capacity: dict[tuple[str, str], float]) -> float:
        if self.highs is None:
            return self.fixed
        if len(self.rows):
            self.highs.changeRowsBounds(
                len(self.rows), self.rows, np.full(len(self.rows), -highspy.kHighsInf),
                np.array([capacity[key] for key in self.capacity_rows]))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the closure LP ended {self.highs.modelStatusToString(status)}")
        return self.fixed + self.highs.getInfo().objective_function_value


def stranded_demand(inst: Instance, portfolio: dict[str, str | None]):
    """(unit, key, period) -> Mt/yr stranded, for every corridor and country closure."""
    periods = tuple(t for t in inst.period_ids if inst.total_demand[t] > 0)
    closure_set = inst.closures("corridor") + inst.closures("country")
    by_name = {c.name: c for c in closure_set}
    return {(by_name[d].unit, by_name[d].key, t): value
            for (t, d), value in StrandedLP(inst, closure_set, periods)(portfolio).items()}


def evaluate(inst: Instance, portfolio: dict[str, str | None],
             flows: dict[tuple[str, str], float],
             unmet: dict[tuple[str, str], float]) -> Measures:
    periods = inst.period_ids
    spend = {t: 0.0 for t in periods}
    for p, start in portfolio.items():
        if start:
            spend[start] += inst.projects[p].capex
    transport = {t: sum(inst.route_cost[r] * flows.get((r, t), 0.0) for r in inst.routes)
                 for t in periods}
    discounted = sum(inst.discount[t] * (spend[t] + inst.period[t].years * transport[t])
                     for t in periods)

    share = {}
    for unit in ("corridor", "country"):
        for key in inst.units(unit):
            routes = inst.routes_in_unit(unit, key)
            for t in periods:
                if inst.total_demand[t] > 0:
                    share[unit, key, t] = sum(flows.get((r, t), 0.0) for r in routes) \
                        / inst.total_demand[t]
    stranded = stranded_demand(inst, portfolio)

    measured = inst.measured_periods
    total_weight = sum(inst.period[t].weight for t in measured)
    weight = {t: inst.period[t].weight / total_weight for t in measured}

    def largest(values: dict, unit: str, t: str) -> float:
        return max((v for (u, _, s), v in values.items() if u == unit and s == t), default=0.0)

    per_period = {
        "max_corridor_share": {t: largest(share, "corridor", t) for t in measured},
        "max_country_share": {t: largest(share, "country", t) for t in measured},
    }
    unit = inst.settings.dependence_unit
    pi = closure_weights(inst, inst.closures(unit)) if inst.closures(unit) else {}
    per_period["worst_disruption"] = {
        t: largest(stranded, unit, t) / inst.total_demand[t] for t in measured}
    per_period["expected_disruption"] = {
        t: sum(pi[f"{unit} {key}"] * v for (u, key, s), v in stranded.items()
               if u == unit and s == t) / inst.total_demand[t] for t in measured}
    mean = {name: sum(weight[t] * v for t, v in values.items())
            for name, values in per_period.items()}

    cap = built_capacity(inst, portfolio)
    used = {(s, t): sum(n * flows.get((r, t), 0.0) for r, n in inst.segment_routes[s].items())
            for s in inst.segments for t in periods}
    return Measures(
        unmet_demand=sum(unmet.values()),
        total_capex=sum(spend.values()),
        transport_cost=sum(inst.period[t].years * transport[t] for t in periods),
        discounted_cost=discounted,
        worst_disruption=mean["worst_disruption"],
        expected_disruption=mean["expected_disruption"],
        max_corridor_share=mean["max_corridor_share"],
        max_country_share=mean["max_country_share"],
        spend=spend, share=share, stranded=stranded, capacity=cap, used=used,
        per_period=per_period,
    )
