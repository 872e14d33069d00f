"""Leverage: what each transit country and corridor can hold hostage, and how far it can raise
its tariffs before the cargo that can leave does, in the plan and in the reference plan
(committed projects only).

Per unit (corridor, or country other than home) and period with demand:

- traffic: Mt/yr through it in the plan's flows; traffic_share: of the period's trade;
- captive: Mt/yr its closure strands beyond what is unmet anyway (sheet Disruptions,
  stranded_beyond_unmet: Measures.captive). Never above traffic: the plan's flows less the
  unit's are a routing of the closure;
- divertible: traffic - captive;
- premium, USD/t: the extra transport cost of carrying the divertible traffic around it, per
  tonne diverted: (C_closed - C_plan + c x captive) / divertible, where C_closed is the least
  transport cost of the most-served routing with the unit closed (StrandedLP.least_cost: max
  flow, then least cost at that flow, on the same LP), C_plan the plan's transport cost (USD
  m a year) and c the plan's mean cost per tonne of the unit's traffic, so that c x captive is
  what the plan pays for the captive tonnes, which the closure no longer carries. None when
  nothing is divertible.

Where a closure serves more than the plan does normally (a max_share limit leaves trade unmet
that the crisis routes carry), captive is 0 and C_closed includes those tonnes: the premium
then overstates the diversion cost. And where the plan's routing is not the cheapest (the
max_share objective or limits spread it over dearer routes), the closure's routing, free of
share limits, can cost less: the premium is then negative (seen on the generated M network
under --objective max_share). Both only happen where shares are limited or minimized.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def holds(inst: Instance, scored: Scored, least_cost: dict[tuple[str, str, str], float]
          ) -> dict[tuple[str, str, str], Hold]:
    """(unit, key, period) -> Hold of one scored portfolio (module docstring)."""
    ms: Measures = scored.measures
    out = {}
    for (unit, key, t), closed_cost in least_cost.items():
        routes = inst.routes_in_unit(unit, key)
        traffic = sum(scored.flows.get((r, t), 0.0) for r in routes)
        captive = min(traffic, ms.captive(unit, key, t))
        divertible = traffic - captive
        premium = None
        if divertible > 1e-6:
            unit_cost = sum(inst.route_cost[r] * scored.flows.get((r, t), 0.0)
                            for r in routes) / traffic
            premium = (closed_cost - ms.transport_per_period[t] + unit_cost * captive) \
                / divertible
        out[unit, key, t] = Hold(traffic, captive, premium)
    return out


def leverage(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
             rescorer: Rescorer | None = None) -> list[Leverage]:
    """Every transit country's and corridor's leverage in every period with demand, in the
    plan (its flows re-optimized with the starts held, as every analysis scores it) and in
    the reference plan."""
    score = rescorer or Rescorer(inst, objective)
    plan = score(portfolio)
    reference = score.reference()  # the one the appraisal and sheet Value read
    mine = holds(inst, plan, score.least_cost(portfolio))
    ref = holds(inst, reference, score.least_cost(reference.portfolio))
    order = {("country", k): i for i, k in enumerate(inst.units("country"))}
    order.update({("corridor", k): len(order) + i for i, k in enumerate(inst.corridors)})
    return [Leverage(u, k, t, mine[u, k, t].traffic / inst.total_demand[t], mine[u, k, t],
                     ref[u, k, t])
            for (u, k, t) in sorted(mine, key=lambda x: (order[x[0], x[1]],
                                                         inst.period_index[x[2]]))]


def large_countries(inst: Instance, rows: list[Leverage], least: float = 0.1) -> list[str]:
    """Transit countries (no flow's destination: Instance.destination_countries) that carry
    at least ``least`` of the last period's trade in the plan or in the reference plan: the
    ones the terminal names."""
    last = max((r.period for r in rows), key=inst.period_index.get, default=None)
    return [r.key for r in rows if r.unit == "country" and r.period == last
            and r.key not in inst.destination_countries
            and max(r.plan.traffic, r.reference.traffic) >= least * inst.total_demand[last]]
