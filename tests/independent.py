"""An independent reference: enumerate every portfolio of a tiny instance, check its rules in
plain Python and score it with max-flow LPs written directly against highspy (no Pyomo, no
planner.model). Used to check the MIP's stage values on random instances."""

from __future__ import annotations

import itertools

import highspy
import numpy as np


def _idx(cols) -> np.ndarray:
    return np.array(list(cols), dtype=np.int32)


def flow_lp(inst, period: str, capacity: dict[str, float], routes, extra_columns: int = 0,
            least_carried: float | None = None):
    """A highspy LP with one column per route carrying demand in ``period`` (then
    ``extra_columns`` more), each flow's demand and each segment's capacity as rows, and, when
    given, at least ``least_carried`` carried in all. Returns (Highs, routes in column order)."""
    routes = sorted(r for r in routes if inst.demand(inst.routes[r].flow, period) > 0)
    n = len(routes) + extra_columns
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
    for k in inst.flows:
        cols = [i for i, r in enumerate(routes) if inst.routes[r].flow == k]
        if cols:
            h.addRow(0, inst.demand(k, period), len(cols), _idx(cols), np.ones(len(cols)))
    for s in inst.segments:
        cols = [i for i, r in enumerate(routes) if s in inst.routes[r].segments]
        if cols:
            h.addRow(0, capacity[s], len(cols), _idx(cols),
                     np.array([float(inst.routes[routes[i]].segments.count(s)) for i in cols]))
    if least_carried is not None and routes:
        h.addRow(least_carried - 1e-9, highspy.kHighsInf, len(routes), _idx(range(len(routes))),
                 np.ones(len(routes)))
    return h, routes


def max_carried(inst, period: str, capacity: dict[str, float], routes: set[str]) -> float:
    """Largest total flow over ``routes`` in ``period`` within demand and segment capacity."""
    h, routes = flow_lp(inst, period, capacity, routes)
    if not routes:
        return 0.0
    h.changeColsCost(len(routes), _idx(range(len(routes))), -np.ones(len(routes)))
    h.run()
    return -h.getInfo().objective_function_value


def least_max_share(inst, period: str, capacity: dict[str, float], unit: str) -> float:
    """With the most demand carried, the least possible largest share of one corridor (or
    country but home) in ``period``: an LP over route flows and z (the last column)."""
    carried = max_carried(inst, period, capacity, set(inst.routes))
    h, routes = flow_lp(inst, period, capacity, inst.routes, extra_columns=1,
                        least_carried=carried)
    z = len(routes)
    h.changeColCost(z, 1.0)
    home = inst.settings.home_country
    keys = list(inst.corridors) if unit == "corridor" else [c for c in inst.countries
                                                            if c != home]
    for key in keys:
        cols = [i for i, r in enumerate(routes) if (
            inst.routes[r].corridor == key if unit == "corridor"
            else any(inst.segments[s].country == key for s in inst.routes[r].segments))]
        h.addRow(-highspy.kHighsInf, 0, len(cols) + 1, _idx(cols + [z]),
                 np.array([1.0] * len(cols) + [-inst.total_demand[period]]))
    h.run()
    return h.getInfo().objective_function_value


def least_transport_cost(inst, period: str, capacity: dict[str, float]) -> float:
    """With the most demand carried, the least transport cost per year (USD m) in a period."""
    carried = max_carried(inst, period, capacity, set(inst.routes))
    h, routes = flow_lp(inst, period, capacity, inst.routes, least_carried=carried)
    if not routes:
        return 0.0
    cost = [sum(inst.segments[s].cost_per_t for s in inst.routes[r].segments) for r in routes]
    h.changeColsCost(len(routes), _idx(range(len(routes))), np.array(cost, dtype=float))
    h.run()
    return h.getInfo().objective_function_value


def discounted_cost(inst, portfolio) -> float:
    """Capex and transport cost, each discounted to the start of its period at the
    workbook's rate, transport counted for each year of the period."""
    total, elapsed = 0.0, 0.0
    for period in inst.periods:
        factor = 1 / (1 + inst.settings.discount_rate) ** elapsed
        capex = sum(inst.projects[p].capex for p, t in portfolio.items() if t == period.id)
        yearly = least_transport_cost(inst, period.id, capacities(inst, portfolio, period.id))
        total += factor * (capex + period.years * yearly)
        elapsed += period.years
    return total


def options(inst, p: str) -> list[str | None]:
    proj = inst.projects[p]
    if proj.status == "excluded":
        return [None]
    first = inst.period_index[proj.earliest_period] if proj.earliest_period else 0
    starts = list(inst.period_ids[first:])
    return [starts[0]] if proj.status == "committed" else [None] + starts


def allowed(inst, portfolio: dict[str, str | None]) -> bool:
    idx = inst.period_index
    spend = {t: 0.0 for t in inst.period_ids}
    for p, t in portfolio.items():
        if t:
            spend[t] += inst.projects[p].capex
    running = 0.0
    for period in inst.periods:
        running = (running if inst.settings.budget_carry_over else 0.0) + period.budget \
            - spend[period.id]
        if running < -1e-9:
            return False
    for q, proj in inst.projects.items():
        for p in proj.requires:
            if portfolio[q] and (not portfolio[p] or idx[portfolio[p]] > idx[portfolio[q]]):
                return False
    groups: dict[str, int] = {}
    for p, proj in inst.projects.items():
        if proj.exclusive_group and portfolio[p]:
            groups[proj.exclusive_group] = groups.get(proj.exclusive_group, 0) + 1
    if any(n > 1 for n in groups.values()):
        return False
    capex = sum(inst.projects[p].capex for p, t in portfolio.items() if t)
    high = sum(inst.projects[p].capex for p, t in portfolio.items()
               if t and inst.projects[p].risk_class == "high")
    for lim in inst.limits:
        if lim.limit == "max_high_risk_capex_share" and high > lim.value * capex + 1e-9:
            return False
        if lim.limit == "max_capex":
            keys = [lim.key] if lim.key else [c for c in inst.countries
                                             if c != inst.settings.home_country]
            for key in keys if lim.unit == "country" else [None]:
                spent = sum(inst.projects[p].capex for p, t in portfolio.items() if t and (
                    key is None or any(inst.segments[s].country == key
                                       for s in inst.projects[p].segments)))
                if spent > lim.value + 1e-9:
                    return False
    return True


def capacities(inst, portfolio, period: str) -> dict[str, float]:
    cap = {s: seg.capacity for s, seg in inst.segments.items()}
    for p, t in portfolio.items():
        if t and inst.period_index[t] + inst.projects[p].lead_time <= inst.period_index[period]:
            for s in set(inst.projects[p].segments):
                cap[s] += inst.projects[p].capacity_added
    return cap


def score(inst, portfolio, unit: str) -> dict[str, float]:
    """Unmet demand and both disruption measures of one portfolio."""
    home = inst.settings.home_country
    closures = list(inst.corridors) if unit == "corridor" else [
        c for c in inst.countries if c != home]
    weights = {t: inst.period[t].weight for t in inst.period_ids
               if inst.period[t].weight > 0 and inst.total_demand[t] > 0}
    total_w = sum(weights.values())
    risk = {c: (inst.corridors[c].risk if unit == "corridor" else inst.countries[c].risk)
            for c in closures}
    total_risk = sum(risk.values())
    unmet = worst = expected = 0.0
    for t in inst.period_ids:
        cap = capacities(inst, portfolio, t)
        unmet += inst.total_demand[t] - max_carried(inst, t, cap, set(inst.routes))
        if t not in weights:
            continue
        shares = {}
        for c in closures:
            open_routes = {r for r, route in inst.routes.items()
                           if (route.corridor != c if unit == "corridor" else
                               all(inst.segments[s].country != c for s in route.segments))}
            shares[c] = (inst.total_demand[t] - max_carried(inst, t, cap, open_routes)) \
                / inst.total_demand[t]
        worst += weights[t] / total_w * max(shares.values())
        expected += weights[t] / total_w * sum(
            (risk[c] / total_risk if total_risk else 1 / len(closures)) * shares[c]
            for c in closures)
    shares = sum(weights[t] / total_w * least_max_share(inst, t, capacities(inst, portfolio, t),
                                                        unit) for t in weights)
    return {"unmet": unmet, "worst_disruption": worst, "expected_disruption": expected,
            "max_share": shares, "cost": discounted_cost(inst, portfolio)}


def best(inst, objective: str) -> tuple[float, float]:
    """(least unmet demand, least dependence among portfolios with that unmet demand)."""
    unit = inst.settings.dependence_unit
    scored = []
    for combo in itertools.product(*(options(inst, p) for p in inst.projects)):
        portfolio = dict(zip(inst.projects, combo))
        if allowed(inst, portfolio):
            s = score(inst, portfolio, unit)
            scored.append((s["unmet"], s[objective]))
    least_unmet = min(u for u, _ in scored)
    return least_unmet, min(d for u, d in scored if u <= least_unmet + 1e-6)
