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
- premium, USD/t: the extra transport cost per divertible tonne, flow by flow and route by
  route against the closure's routing h (StrandedLP.least_cost, on the closure's LP: max
  flow; then, where sheet Flows gives the flows different values a tonne, the least value
  stranded; then the most of the plan's tonnes left on their routes; then the least cost;
  then the tonnes stranded those that paid least). Each tonne a flow k carries less (or more) in
  the closure is priced at p_k, what a tonne of it paid in the plan (stranded.paid: its mean
  USD/t on its routes through the unit, or, where it has none there, on all its routes; 0
  where the plan does not carry it). With the plan's flows f, S_k and S'_k the tonnes of
  flow k in the plan and in the closure,
      extra = sum_r c_r (h_r - f_r) + sum_k p_k (S_k - S'_k),   premium = extra / divertible;
  None when nothing is divertible. A flow that loses tonnes loses them from its routes
  through the unit (the plan's other tonnes stay where they are wherever the closure can
  carry as much so), at what it paid for them there: each diverted tonne counts what it
  costs around the unit less what it cost through it. The last stage makes extra the least
  over routings equal in the stages before (with values, the tonnes stranded are the least
  valuable, whatever they paid: docs/model.md, Value of a stranded tonne), so the figure does not depend on which of them
  the LP finds. In the issue-21 case (K1 captive at 100 USD/t, K2 diverted from 10 to 25) it
  is +15, where pricing the captive tonnes at the unit's mean USD/t gave -15.

The premium is negative where the diverted tonnes end up cheaper than the plan carried them:
where the closure's lost tonnes free room on a cheaper route that the plan's flows had filled,
or where share limits (sheet RiskLimits, which do not apply in a closure) or the max_share
objective spread the plan over dearer routes. Captive is the closure's net count: where a
closure also serves trade the plan leaves unmet (share limits, or demand beyond a shared
segment the closure no longer needs), that trade offsets stranded tonnes and is priced at
what its flow paid; where carrying the most needs diverted tonnes to displace trade that
avoided the unit, those tonnes count as captive, priced the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.analysis.measures import Measures
from planner.inputs.instance import Instance
from planner.analysis.fixed_portfolio import Rescorer, Scored
from planner.solve.closure_lp import paid


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
        p = paid(inst, scored.flows, through, t)
        traffic = extra = 0.0
        for k, routes in inst.routes_of_flow.items():
            f = {r: scored.flows.get((r, t), 0.0) for r in routes}
            if unit != "country" or inst.market[k] != key:  # else its market: no transit
                traffic += sum(f[r] for r in routes if r in through)
            lost = sum(f.values()) - sum(h.get(r, 0.0) for r in routes)
            extra += sum(inst.route_cost[r] * (h.get(r, 0.0) - f[r]) for r in routes) \
                + p.get(k, 0.0) * lost
        captive = min(traffic, ms.captive(unit, key, t))
        divertible = traffic - captive
        out[unit, key, t] = Hold(traffic, captive,
                                 extra / divertible if divertible > 1e-6 else None)
    return out


def leverage(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
             rescorer: Rescorer | None = None) -> list[Leverage]:
    """Every transit country's and corridor's leverage in every period with demand, in the
    plan (its flows re-optimized with the starts held, as every analysis scores it) and in
    the reference plan."""
    score = rescorer or Rescorer(inst, objective)
    plan = score(portfolio)
    reference = score.reference()  # the one the appraisal and sheet Value read
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
