"""Leverage: what each transit country and corridor can hold hostage, and how far it can raise
its tariffs before the cargo that can leave does, in the plan and in the reference plan
(committed projects only).

Per unit (corridor, or country other than home) and period with demand, of the trade that
crosses it in transit (a country is no transit country for the flows whose market it is,
Instance.market: their trade is left out of all four figures; a corridor is nobody's market):

- traffic: Mt/yr through it in the plan's flows; traffic_share: of the period's trade;
- captive: Mt/yr its closure strands beyond what is unmet anyway (Measures.captive; for a
  corridor, or a country that is no flow's market, the Disruptions sheet's
  stranded_beyond_unmet). Never above traffic: the plan's flows less the unit's are a routing
  of the closure;
- divertible: traffic - captive;
- premium, USD/t: the extra transport cost per tonne diverted, flow by flow and route by route
  against the closure's routing h (StrandedLP.least_cost: max flow, then least cost at that
  flow, then of those the routing that leaves most of the plan's tonnes on their routes, then
  the one that strands the tonnes that paid least for the unit, on the same LP). For each
  flow k, with the plan's flows f: T_k its tonnes through the
  unit, lost_k = sum f - sum h the tonnes the closure no longer carries, and
      extra_k = sum_r c_r h_r - sum_r c_r f_r + (cost in the plan of the lost tonnes)
                - (cost in the closure of the tonnes it carries beyond the plan's),
      diverted_k = T_k - min(T_k, lost_k),
  the lost tonnes taken from the unit's routes first, at the plan's cost per tonne on them,
  any beyond T_k (another flow's diverted tonnes took their room) at the plan's cost on the
  routes they left; gained tonnes (a closure free of share limits serves trade the plan
  leaves unmet) at the closure's cost on the routes that gained. premium = sum extra_k /
  sum diverted_k: what the closure costs beyond the plan for the trade both carry, per
  tonne diverted; None when nothing is diverted.

The premium is negative where the diverted tonnes end up cheaper than the plan carried them:
where the closure's lost tonnes free room on a cheaper route that the plan's flows had filled,
or where share limits (sheet RiskLimits, which do not apply in a closure) or the max_share
objective spread the plan over dearer routes. Captive is the closure's net count: where a
closure also serves trade the plan leaves unmet (share limits), that trade offsets stranded
tonnes; where diverted tonnes displace trade that avoided the unit, those tonnes count as
captive. Divertible (traffic - captive) can then differ from the tonnes diverted (Kazakhstan,
Russia in 2035 with the plan: 13 divertible, 14.4 diverted, 1.4 European tonnes displaced).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.appraisal import reference_portfolio
from planner.evaluate import Measures
from planner.instance import Instance
from planner.rescore import Rescorer, Scored


@dataclass
class Hold:
    """One unit's leverage in one period and one plan."""

    traffic: float
    captive: float
    premium: float | None

    @property
    def divertible(self) -> float:
        return self.traffic - self.captive


@dataclass
class Leverage:
    unit: str  # corridor or country
    key: str
    period: str
    traffic_share: float
    plan: Hold
    reference: Hold


def holds(inst: Instance, scored: Scored,
          closed: dict[tuple[str, str, str], dict[str, float]]
          ) -> dict[tuple[str, str, str], Hold]:
    """(unit, key, period) -> Hold of one scored portfolio, ``closed`` the closure's routing
    of each (Rescorer.least_cost) (module docstring)."""
    ms: Measures = scored.measures
    out = {}
    for (unit, key, t), h in closed.items():
        through = set(inst.routes_in_unit(unit, key))
        traffic = diverted = extra = 0.0
        for k, routes in inst.routes_of_flow.items():
            if unit == "country" and inst.market[k] == key:
                continue  # its market, not a transit country: the flow is stranded in full
            f = {r: scored.flows.get((r, t), 0.0) for r in routes}
            through_k = sum(f[r] for r in routes if r in through)
            traffic += through_k
            lost = sum(f.values()) - sum(h.get(r, 0.0) for r in routes)
            extra += sum(inst.route_cost[r] * (h.get(r, 0.0) - f[r]) for r in routes)
            if lost > 0:
                first = min(lost, through_k)  # the unit's tonnes, at their plan cost
                if first > 0:
                    extra += first * sum(inst.route_cost[r] * f[r] for r in routes
                                         if r in through) / through_k
                extra += (lost - first) * _mean_cost(inst, {
                    r: f[r] - h.get(r, 0.0) for r in routes if r not in through})
                diverted += through_k - first
            else:
                extra += lost * _mean_cost(inst, {r: h.get(r, 0.0) - f[r] for r in routes})
                diverted += through_k
        captive = min(traffic, ms.captive(unit, key, t))
        premium = extra / diverted if diverted > 1e-6 else None
        out[unit, key, t] = Hold(traffic, captive, premium)
    return out


def _mean_cost(inst: Instance, moved: dict[str, float]) -> float:
    """USD/t of the tonnes that moved: the mean route cost over the routes with moved > 0."""
    positive = {r: v for r, v in moved.items() if v > 0}
    total = sum(positive.values())
    return sum(inst.route_cost[r] * v for r, v in positive.items()) / total if total > 0 \
        else 0.0


def leverage(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
             rescorer: Rescorer | None = None) -> list[Leverage]:
    """Every transit country's and corridor's leverage in every period with demand, in the
    plan (its flows re-optimized with the starts held, as every analysis scores it) and in
    the reference plan."""
    score = rescorer or Rescorer(inst, objective)
    plan = score(portfolio)
    reference = score(reference_portfolio(inst), near=False)
    mine = holds(inst, plan, score.least_cost(portfolio, plan.flows))
    ref = holds(inst, reference, score.least_cost(reference.portfolio, reference.flows))
    order = {("country", k): i for i, k in enumerate(inst.units("country"))}
    order.update({("corridor", k): len(order) + i for i, k in enumerate(inst.corridors)})
    return [Leverage(u, k, t, mine[u, k, t].traffic / inst.total_demand[t], mine[u, k, t],
                     ref[u, k, t])
            for (u, k, t) in sorted(mine, key=lambda x: (order[x[0], x[1]],
                                                         inst.period_index[x[2]]))]


def large_countries(inst: Instance, rows: list[Leverage], least: float = 0.1) -> list[str]:
    """Countries whose transit traffic (their own market's flows left out) is at least
    ``least`` of the last period's trade in the plan or in the reference plan: the ones the
    terminal names."""
    last = max((r.period for r in rows), key=inst.period_index.get, default=None)
    return [r.key for r in rows if r.unit == "country" and r.period == last
            and max(r.plan.traffic, r.reference.traffic) >= least * inst.total_demand[last]]
