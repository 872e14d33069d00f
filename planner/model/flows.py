"""Normal operation: route flows and unmet demand.

f[r,t] >= 0: flow on route r in period t (Mt/yr); u[k,t] >= 0: unmet demand of flow k.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.inputs.instance import Instance


def define(m, inst: Instance) -> None:
    m.RT = pyo.Set(dimen=2, initialize=[(r, t) for r in inst.routes for t in inst.period_ids],
                   ordered=True)
    m.KT = pyo.Set(dimen=2, initialize=[(k, t) for k in inst.flows for t in inst.period_ids],
                   ordered=True)
    # no route carries, and no flow misses, more than the flow's demand: bounds, not rows
    m.f = pyo.Var(m.RT, domain=pyo.NonNegativeReals,
                  bounds=lambda m, r, t: (0, inst.demand(inst.routes[r].flow, t)))
    m.u = pyo.Var(m.KT, domain=pyo.NonNegativeReals,
                  bounds=lambda m, k, t: (0, inst.demand(k, t)))
    demand(m, inst)


def demand(m, inst: Instance) -> None:
    """sum_{r serves k} f[r,t] + u[k,t] = D[k,t] for every flow k and period t."""
    m.demand = family(m.KT, lambda m, k, t: quicksum(
        m.f[r, t] for r in inst.routes_of_flow[k]) + m.u[k, t] == inst.demand(k, t))
