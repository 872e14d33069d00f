"""An independent reference: enumerate every portfolio of a tiny instance, check its rules in
plain Python and score it with max-flow LPs written directly against highspy (no Pyomo, no
planner.model, no planner.analysis.measures). Used to check the MIP's stage values on random instances.

Normal operation obeys the max_share rows of RiskLimits; a closure's rerouted flows do not
(the limits bound the flows of normal operation only, docs/workbook.md).
"""

from __future__ import annotations

import itertools

import highspy
import numpy as np

TOL = 1e-6  # a portfolio reaches a stage's optimum within this (Mt/yr, share, USD m)


def _idx(cols) -> np.ndarray:
    return np.array(list(cols), dtype=np.int32)


def unit_routes(inst, unit: str, key: str) -> list[str]:
    """Routes of a corridor, or routes with a segment in a country."""
    if unit == "corridor":
        return [r for r, route in inst.routes.items() if route.corridor == key]
    return [r for r, route in inst.routes.items()
            if any(inst.segments[s].country == key for s in route.segments)]


def unit_keys(inst, unit: str) -> list[str]:
    home = inst.settings.home_country
    return list(inst.corridors) if unit == "corridor" else [c for c in inst.countries
                                                            if c != home]


def share_limits(inst) -> list[tuple[set[str], float]]:
    """(routes, largest share of trade) for every max_share row of RiskLimits."""
    out = []
    for lim in inst.limits:
        if lim.limit == "max_share":
            for key in [lim.key] if lim.key else unit_keys(inst, lim.unit):
                out.append((set(unit_routes(inst, lim.unit, key)), lim.value))
    return out


def flow_lp(inst, period: str, capacity: dict[str, float], routes, extra_columns: int = 0,
            least_carried: float | None = None, normal: bool = True):
    """A highspy LP with one column per route carrying demand in ``period`` (then
    ``extra_columns`` more), each flow's demand and each segment's capacity as rows, in normal
    operation the max_share limits too, and, when given, at least ``least_carried`` carried in
    all. Returns (Highs, routes in column order)."""
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
    if normal:
        for limited, value in share_limits(inst):
            cols = [i for i, r in enumerate(routes) if r in limited]
            if cols:
                h.addRow(-highspy.kHighsInf, value * inst.total_demand[period], len(cols),
                         _idx(cols), np.ones(len(cols)))
    if least_carried is not None and routes:
        h.addRow(least_carried - 1e-9, highspy.kHighsInf, len(routes), _idx(range(len(routes))),
                 np.ones(len(routes)))
    return h, routes


def max_carried(inst, period: str, capacity: dict[str, float], routes: set[str],
                normal: bool = True) -> float:
    """Largest total flow over ``routes`` in ``period`` within demand and segment capacity
    (and, in normal operation, the max_share limits)."""
    h, routes = flow_lp(inst, period, capacity, routes, normal=normal)
    if not routes:
        return 0.0
    h.changeColsCost(len(routes), _idx(range(len(routes))), -np.ones(len(routes)))
    h.run()
    return -h.getInfo().objective_function_value


def _share_rows(inst, h, routes, period: str, unit: str, z: int | None, cap: float | None):
    """sum_{r in unit} f_r <= z D_t (column z) or <= cap D_t for every corridor / country."""
    for key in unit_keys(inst, unit):
        members = set(unit_routes(inst, unit, key))
        cols = [i for i, r in enumerate(routes) if r in members]
        if z is not None:
            h.addRow(-highspy.kHighsInf, 0, len(cols) + 1, _idx(cols + [z]),
                     np.array([1.0] * len(cols) + [-inst.total_demand[period]]))
        elif cols:
            h.addRow(-highspy.kHighsInf, cap * inst.total_demand[period], len(cols),
                     _idx(cols), np.ones(len(cols)))


def least_max_share(inst, period: str, capacity: dict[str, float], unit: str,
                    carried: float) -> float:
    """With ``carried`` (the most) carried, the least possible largest share of one corridor
    (or country but home) in ``period``: an LP over route flows and z (the last column)."""
    h, routes = flow_lp(inst, period, capacity, inst.routes, extra_columns=1,
                        least_carried=carried)
    z = len(routes)
    h.changeColCost(z, 1.0)
    _share_rows(inst, h, routes, period, unit, z, None)
    h.run()
    return h.getInfo().objective_function_value


def least_transport_cost(inst, period: str, capacity: dict[str, float], carried: float,
                         unit: str | None = None, share: float | None = None) -> float:
    """With ``carried`` carried, the least transport cost per year (USD m) in a period; with
    ``share``, no corridor (or country) of ``unit`` above that share of trade."""
    h, routes = flow_lp(inst, period, capacity, inst.routes, least_carried=carried)
    if not routes:
        return 0.0
    if share is not None:
        _share_rows(inst, h, routes, period, unit, None, share + 1e-9)
    cost = [sum(inst.segments[s].cost_per_t for s in inst.routes[r].segments) for r in routes]
    h.changeColsCost(len(routes), _idx(range(len(routes))), np.array(cost, dtype=float))
    h.run()
    return h.getInfo().objective_function_value


def options(inst, p: str) -> list[str | None]:
    proj = inst.projects[p]
    if proj.status == "excluded":
        return [None]
    first = inst.period_index[proj.earliest_period] if proj.earliest_period else 0
    if proj.status == "committed":
        return [inst.period_ids[first]]
    # a start whose spend profile runs past the last period is not allowed
    last = len(inst.period_ids) - len(proj.spend_profile)
    return [None] + list(inst.period_ids[first:last + 1])


def project_spend(inst, portfolio) -> dict[tuple[str, str], float]:
    """(project, period) -> USD m: capex x the profile's share for that period."""
    out = {}
    for p, start in portfolio.items():
        if start:
            i0 = inst.period_ids.index(start)
            for i, share in enumerate(inst.projects[p].spend_profile):
                if share > 0 and i0 + i < len(inst.period_ids):
                    out[p, inst.period_ids[i0 + i]] = inst.projects[p].capex * share
    return out


def may_pay(inst, p: str, s: str) -> bool:
    """Source s may pay for p: named by p (or p names none) and its rules admit p."""
    named = inst.projects[p].sources
    if named and s not in named:
        return False
    if s == "budget":
        return True
    source = inst.sources[s]
    countries = {inst.segments[g].country for g in inst.projects[p].segments}
    if source.countries and not countries <= set(source.countries):
        return False
    if countries & set(source.excluded_countries):
        return False
    return not source.risk_classes or inst.projects[p].risk_class in source.risk_classes


def loan_schedule(source) -> list[tuple[int, float]]:
    """(years after the draw, payment per USD): interest only in the grace years, then a
    level annuity over the tenor."""
    if source.kind != "loan":
        return []
    r, n = source.rate, source.tenor_years
    level = 1 / n if r == 0 else r * (1 + r) ** n / ((1 + r) ** n - 1)
    return [(k, r) for k in range(1, source.grace_years + 1)] + \
        [(source.grace_years + k, level) for k in range(1, n + 1)]


def finance(inst, portfolio) -> float | None:
    """The least present cost to the country of paying the portfolio's spend, or None when
    no payment plan keeps every envelope, max_share, eligibility and debt-service limit: an
    LP over draws d[p,s,t] written directly against highspy."""
    spend = project_spend(inst, portfolio)
    payers = ["budget"] + list(inst.sources)
    keys = [(p, s, t) for (p, t) in spend for s in payers if may_pay(inst, p, s)]
    start, year = {}, 0.0
    for period in inst.periods:
        start[period.id] = year
        year += period.years
    rate = inst.settings.discount_rate

    def pv(y):
        return (1 + rate) ** -y

    cost = []
    for p, s, t in keys:
        if s == "budget":
            cost.append(pv(start[t]))
        else:
            cost.append(sum(pay * pv(start[t] + k) for k, pay in loan_schedule(inst.sources[s])))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(keys)
    if n:
        h.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
        h.changeColsCost(n, _idx(range(n)), np.array(cost))
    for (p, t), amount in spend.items():
        cols = [i for i, (q, s, u) in enumerate(keys) if (q, u) == (p, t)]
        if not cols:
            return None
        h.addRow(amount, amount, len(cols), _idx(cols), np.ones(len(cols)))
        for i in cols:
            s = keys[i][1]
            if s != "budget" and inst.sources[s].max_share < 1:
                h.addRow(-highspy.kHighsInf, inst.sources[s].max_share * amount, 1, _idx([i]),
                         np.ones(1))
    carry = inst.settings.budget_carry_over
    for s in payers:
        for j, t in enumerate(inst.period_ids):
            window = inst.period_ids[: j + 1] if carry else [t]
            cols = [i for i, (q, s2, u) in enumerate(keys) if s2 == s and u in window]
            room = sum(inst.period[u].budget if s == "budget"
                       else inst.source_budgets.get((s, u), 0.0) for u in window)
            if cols:
                h.addRow(-highspy.kHighsInf, room, len(cols), _idx(cols), np.ones(len(cols)))
    for period in inst.periods:
        if period.debt_service_limit is None:
            continue
        lo, hi = start[period.id], start[period.id] + period.years
        coef = {}
        for i, (p, s, t) in enumerate(keys):
            if s != "budget":
                due = sum(pay for k, pay in loan_schedule(inst.sources[s])
                          if lo <= start[t] + k < hi)
                if due:
                    coef[i] = due
        if coef:
            h.addRow(-highspy.kHighsInf, period.debt_service_limit, len(coef),
                     _idx(coef), np.array(list(coef.values())))
    if not n:
        return 0.0
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return h.getInfo().objective_function_value


def allowed(inst, portfolio: dict[str, str | None]) -> bool:
    idx = inst.period_index
    if finance(inst, portfolio) is None:  # budgets and, with sheet Sources, every source
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
            if lim.unit == "total":
                keys = [None]
            else:
                keys = [lim.key] if lim.key else unit_keys(inst, lim.unit)
            for key in keys:
                spent = sum(inst.projects[p].capex for p, t in portfolio.items()
                            if t and in_unit(inst, p, lim.unit, key))
                if spent > lim.value + 1e-9:
                    return False
    return True


def in_unit(inst, p: str, unit: str, key: str | None) -> bool:
    """A project counts toward a capex limit: every project for the total; with a segment in
    the country; with a segment that a route of the corridor uses."""
    segments = set(inst.projects[p].segments)
    if key is None:
        return True
    if unit == "country":
        return any(inst.segments[s].country == key for s in segments)
    return any(segments & set(inst.routes[r].segments) for r in unit_routes(inst, unit, key))


def capacities(inst, portfolio, period: str) -> dict[str, float]:
    cap = {s: seg.capacity for s, seg in inst.segments.items()}
    for p, t in portfolio.items():
        if t and inst.period_index[t] + inst.projects[p].lead_time <= inst.period_index[period]:
            for s in set(inst.projects[p].segments):
                cap[s] += inst.projects[p].capacity_added
    return cap


class Scorer:
    """Scores portfolios; each period's LPs are solved once per distinct capacity vector."""

    def __init__(self, inst, unit: str | None = None):
        self.inst = inst
        self.unit = unit or inst.settings.dependence_unit
        self.memo: dict = {}

    def period(self, t: str, cap: dict[str, float]) -> dict:
        key = (t, tuple(sorted(cap.items())))
        if key not in self.memo:
            self.memo[key] = self._period(t, cap)
        return self.memo[key]

    def _period(self, t: str, cap: dict[str, float]) -> dict:
        inst, unit = self.inst, self.unit
        carried = max_carried(inst, t, cap, set(inst.routes))
        out = {"unmet": inst.total_demand[t] - carried,
               "transport": least_transport_cost(inst, t, cap, carried)}
        if inst.total_demand[t] > 0:
            shares = {}
            for c in unit_keys(inst, unit):
                open_routes = set(inst.routes) - set(unit_routes(inst, unit, c))
                shares[c] = (inst.total_demand[t] - max_carried(inst, t, cap, open_routes,
                                                                normal=False)) \
                    / inst.total_demand[t]
            out["shares"] = shares
            z = least_max_share(inst, t, cap, unit, carried)
            out["max_share"] = z
            out["share_transport"] = least_transport_cost(inst, t, cap, carried, unit, z)
        return out

    def __call__(self, portfolio) -> dict[str, float]:
        """Unmet demand, the three dependence measures, and the cost stage's value: discounted
        capex plus transport cost (each year of a period, at the start of its period), with
        max_share's cost kept at the portfolio's least max share (``cost_max_share``)."""
        inst, unit = self.inst, self.unit
        weights = {t: inst.period[t].weight for t in inst.period_ids
                   if inst.period[t].weight > 0 and inst.total_demand[t] > 0}
        total_w = sum(weights.values())
        closures = unit_keys(inst, unit)
        table = inst.corridors if unit == "corridor" else inst.countries
        risk = {c: table[c].risk for c in closures}
        total_risk = sum(risk.values())
        out = dict.fromkeys(("unmet", "worst_disruption", "expected_disruption", "max_share",
                             "cost", "cost_max_share"), 0.0)
        elapsed = 0.0
        paying = finance(inst, portfolio) or 0.0  # the least present cost of the capex
        out["cost"] = out["cost_max_share"] = paying
        for period in inst.periods:
            t = period.id
            scores = self.period(t, capacities(inst, portfolio, t))
            factor = 1 / (1 + inst.settings.discount_rate) ** elapsed
            elapsed += period.years
            out["unmet"] += scores["unmet"]
            out["cost"] += factor * period.years * scores["transport"]
            # max_share's cost stage keeps each measured period's share at its least
            transport = scores["share_transport"] if t in weights else scores["transport"]
            out["cost_max_share"] += factor * period.years * transport
            if t not in weights:
                continue
            w = weights[t] / total_w
            shares = scores["shares"]
            out["worst_disruption"] += w * max(shares.values())
            out["expected_disruption"] += w * sum(
                (risk[c] / total_risk if total_risk else 1 / len(closures)) * shares[c]
                for c in closures)
            out["max_share"] += w * scores["max_share"]
        return out


def score(inst, portfolio, unit: str | None = None) -> dict[str, float]:
    """Unmet demand, the dependence measures and cost of one portfolio (see Scorer)."""
    return Scorer(inst, unit)(portfolio)


def stage_value(scores: dict[str, float], stage: str, objective: str) -> float:
    """What a portfolio scores in one of the MIP's stages (unmet, dependence, cost)."""
    if stage == "unmet":
        return scores["unmet"]
    if stage == "dependence":
        return scores[objective]
    return scores["cost_max_share" if objective == "max_share" else "cost"]


def portfolios(inst):
    """Every allowed portfolio (project -> start period or None)."""
    for combo in itertools.product(*(options(inst, p) for p in inst.projects)):
        portfolio = dict(zip(inst.projects, combo))
        if allowed(inst, portfolio):
            yield portfolio


def scored(inst) -> list[tuple[dict, dict[str, float]]]:
    """Every allowed portfolio with its scores; ValueError when there is none."""
    scorer = Scorer(inst)
    out = [(p, scorer(p)) for p in portfolios(inst)]
    if not out:
        raise ValueError("no portfolio keeps every rule")
    return out


def best(inst, objective: str, table=None) -> list[float]:
    """The lexicographic optimum: [least unmet demand, least dependence among the portfolios
    with that unmet demand (not for 'cost'), least cost among those with both], each stage
    keeping the ones before within TOL. ``table``: scored(inst), when already computed."""
    candidates = [s for _, s in (table if table is not None else scored(inst))]
    stages = ["unmet"] + ([] if objective == "cost" else ["dependence"]) + ["cost"]
    values = []
    for stage in stages:
        least = min(stage_value(s, stage, objective) for s in candidates)
        values.append(least)
        candidates = [s for s in candidates if stage_value(s, stage, objective) <= least + TOL]
    return values


# -- leverage (planner/analysis/leverage.py), from the plan's flows ----------------------------------

def markets(inst) -> dict[str, str | None]:
    """flow -> the country where every one of its routes ends (not home), else None."""
    out = {}
    for k in inst.flows:
        ends = {inst.segments[route.segments[-1]].country for route in inst.routes.values()
                if route.flow == k}
        out[k] = ends.pop() if len(ends) == 1 and ends != {inst.settings.home_country} \
            else None
    return out


def closure_routing(inst, period: str, capacity: dict[str, float], open_routes: set[str],
                    plan: dict[str, float], paid: dict[str, float]) -> dict[str, float]:
    """route -> Mt/yr: of the routings that carry the most the open routes can in a crisis
    (no share limits), those that leave most of the plan's flows ``plan`` (route -> Mt/yr)
    where they are (max sum_r min(h_r, plan_r): a column g_r <= plan_r, g_r <= h_r per route
    after the routes' own columns); of those the cheapest; and of those the one that carries
    most of the flows whose tonnes paid most: max sum_r paid[flow of r] h_r."""
    most = max_carried(inst, period, capacity, open_routes, normal=False)
    h, routes = flow_lp(inst, period, capacity, open_routes, least_carried=most - 1e-9,
                        normal=False)
    if not routes:
        return {}
    n = len(routes)
    every = _idx(range(2 * n))
    h.addVars(n, np.zeros(n), np.array([plan.get(r, 0.0) for r in routes]))
    for i in range(n):
        h.addRow(-highspy.kHighsInf, 0.0, 2, _idx([n + i, i]), np.array([1.0, -1.0]))
    h.changeColsCost(2 * n, every, np.concatenate([np.zeros(n), -np.ones(n)]))
    h.run()
    kept = -h.getInfo().objective_function_value
    h.addRow(kept - 1e-7 - 1e-9 * kept, highspy.kHighsInf, n, _idx(range(n, 2 * n)),
             np.ones(n))
    cost = np.array([sum(inst.segments[s].cost_per_t for s in inst.routes[r].segments)
                     for r in routes], dtype=float)
    h.changeColsCost(2 * n, every, np.concatenate([cost, np.zeros(n)]))
    h.run()
    least = h.getInfo().objective_function_value
    h.addRow(-highspy.kHighsInf, least + 1e-6 * (max(1.0, abs(least)) + cost.max()), n,
             _idx(range(n)), cost)
    h.changeColsCost(2 * n, every, np.concatenate([
        [-paid.get(inst.routes[r].flow, 0.0) for r in routes], np.zeros(n)]))
    h.run()
    return dict(zip(routes, h.getSolution().col_value[:n]))


def leverage_hold(inst, portfolio, flows: dict[tuple[str, str], float], period: str,
                  unit: str, key: str) -> dict[str, float | None]:
    """traffic, captive and premium of one corridor or country in one period, from the plan's
    flows (route, period) -> Mt/yr. Of the flows whose market ``key`` is not (a corridor is
    nobody's market), traffic is what the plan carries through it, captive what its closure
    carries less of them than the plan (at most traffic, at least 0). premium: what the
    closure's routing (closure_routing) costs beyond the plan's, each tonne a flow carries
    less (or more) priced at what a tonne of it paid in the plan (its mean USD/t through the
    unit, or, where it has no tonnes there, on all its routes), per divertible tonne
    (traffic - captive)."""
    cost = {r: sum(inst.segments[s].cost_per_t for s in route.segments)
            for r, route in inst.routes.items()}
    through = set(unit_routes(inst, unit, key))
    plan = {r: flows.get((r, period), 0.0) for r in inst.routes}
    paid = {}
    for k in inst.flows:
        mine = [r for r, route in inst.routes.items() if route.flow == k and plan[r] > 0]
        there = [r for r in mine if r in through] or mine
        if there:
            paid[k] = sum(cost[r] * plan[r] for r in there) / sum(plan[r] for r in there)
    h = closure_routing(inst, period, capacities(inst, portfolio, period),
                        set(inst.routes) - through, plan, paid)
    market = markets(inst)
    traffic = carried = closed = extra = 0.0
    for k in inst.flows:
        mine = [r for r, route in inst.routes.items() if route.flow == k]
        t_k = sum(plan[r] for r in mine if r in through)
        before, after = sum(plan[r] for r in mine), sum(h.get(r, 0.0) for r in mine)
        extra += sum(cost[r] * (h.get(r, 0.0) - plan[r]) for r in mine) \
            + paid.get(k, 0.0) * (before - after)
        if unit == "country" and market[k] == key:
            continue
        traffic += t_k
        carried += before
        closed += after
    captive = min(traffic, max(0.0, carried - closed))
    divertible = traffic - captive
    return {"traffic": traffic, "captive": captive, "divertible": divertible,
            "premium": extra / divertible if divertible > 1e-6 else None}


# -- the appraisal ------------------------------------------------------------------------------

def reference_portfolio(inst) -> dict[str, str | None]:
    """Committed projects only, each at its one allowed start."""
    return {p: (options(inst, p)[0] if q.status == "committed" else None)
            for p, q in inst.projects.items()}


def stranded(inst, period: str, cap: dict[str, float], unit: str, key: str) -> float:
    """Mt/yr that cannot move in ``period`` with corridor or country ``key`` closed (the
    closure's reroutings ignore the max_share limits)."""
    open_routes = set(inst.routes) - set(unit_routes(inst, unit, key))
    return inst.total_demand[period] - max_carried(inst, period, cap, open_routes, normal=False)


def yearly(inst, portfolio, objective: str) -> dict[str, dict[str, float]]:
    """period -> the portfolio's transport cost (USD m a year; under max_share at its least
    largest share in a measured period), unmet demand (Mt/yr) and expected stranded beyond
    the unmet demand (sum over closures with closure_days of days/365 x the excess, Mt/yr)."""
    scorer = Scorer(inst)
    measured = {t for t in inst.period_ids
                if inst.period[t].weight > 0 and inst.total_demand[t] > 0}
    days = [("corridor", g, c.closure_days) for g, c in inst.corridors.items()] + \
        [("country", c, k.closure_days) for c, k in inst.countries.items()
         if c != inst.settings.home_country]
    out = {}
    for t in inst.period_ids:
        cap = capacities(inst, portfolio, t)
        s = scorer.period(t, cap)
        share = objective == "max_share" and t in measured
        out[t] = {"transport": s["share_transport"] if share else s["transport"],
                  "unmet": s["unmet"],
                  "beyond": sum(d / 365 * max(0.0, stranded(inst, t, cap, u, key) - s["unmet"])
                                for u, key, d in days if d > 0)}
    return out


def costs_by_period(inst, portfolio) -> dict[str, tuple[float, float]]:
    """period -> (capex spent, opex a year of the projects usable by then)."""
    spend = project_spend(inst, portfolio)
    out = {}
    for i, t in enumerate(inst.period_ids):
        opex = sum(inst.projects[p].opex for p, start in portfolio.items() if start and
                   inst.period_ids.index(start) + inst.projects[p].lead_time <= i)
        out[t] = (sum(v for (p, s), v in spend.items() if s == t), opex)
    return out


def discounted_years(rate: float, start: float, length: float) -> float:
    """sum over the years k = 0, 1, ... of [start, start + length) of min(1, length - k) x
    (1 + rate)^-(start + k): what one USD m a year over that span is worth at year 0, each
    year (or the part year it ends on) counted from its beginning."""
    total, k = 0.0, 0
    while length - k > 1e-12:
        total += min(1.0, length - k) / (1.0 + rate) ** (start + k)
        k += 1
    return total


def npv(inst, portfolio, objective: str) -> float:
    """The portfolio's NPV against the reference plan, both routed by ``objective``'s flow
    stages: each period's yearly benefits (transport saved, unmet served x loss_per_t,
    expected stranded avoided x loss_per_t) less its yearly opex difference over its years,
    the last period's on for benefit_years_after; each period's capex difference spread
    evenly over its years; discounted by discounted_years."""
    rate = inst.settings.discount_rate
    loss = inst.settings.loss_per_t or 0.0
    plan, ref = yearly(inst, portfolio, objective), yearly(inst, reference_portfolio(inst),
                                                          objective)
    mine, theirs = costs_by_period(inst, portfolio), \
        costs_by_period(inst, reference_portfolio(inst))
    total, start, net_year = 0.0, 0.0, 0.0
    for period in inst.periods:
        t, n = period.id, period.years
        net_year = (ref[t]["transport"] - plan[t]["transport"]
                    + loss * (ref[t]["unmet"] - plan[t]["unmet"])
                    + loss * (ref[t]["beyond"] - plan[t]["beyond"])
                    - (mine[t][1] - theirs[t][1]))
        capex = mine[t][0] - theirs[t][0]
        total += (net_year - capex / n) * discounted_years(rate, start, n)
        start += n
    return total + net_year * discounted_years(rate, start, inst.settings.benefit_years_after)
