"""The lexicographic stages: unmet demand, then the dependence measure, then cost.

Each stage is an Objective; the solve layer activates one at a time and, after each, bounds the stage
just solved so that later stages keep its optimum. A period-measured quantity enters as its
weighted mean over the measured periods (Periods.weight > 0).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.model.finance import cost_to_country
from planner.inputs.instance import Instance


def stage_names(objective: str) -> list[str]:
    """The stages of an objective in order: unmet demand, its dependence measure (none for
    cost), cost."""
    return ["unmet"] + (["dependence"] if objective != "cost" else []) + ["cost"]


def define(m, inst: Instance, objective: str) -> None:
    m.stages = stage_names(objective)
    m.unmet_demand = pyo.Objective(expr=quicksum(m.u[k, t] for k, t in m.KT))
    dependence = {"max_share": max_share, "worst_disruption": worst_disruption,
                  "expected_disruption": expected_disruption}.get(objective)
    if dependence:
        m.dependence = pyo.Objective(expr=dependence(m, inst))
    m.cost = pyo.Objective(expr=total_cost(m, inst))
    # least capex: the stage that 'planner frontier' and 'planner alternatives' put before cost
    m.least_capex = pyo.Objective(expr=m.capex)
    for obj in (getattr(m, "dependence", None), m.cost, m.least_capex):
        if obj is not None:
            obj.deactivate()
    m.stage_objective = {"unmet": m.unmet_demand, "dependence": getattr(m, "dependence", None),
                         "capex": m.least_capex, "cost": m.cost}


def max_share(m, inst: Instance):
    """min sum_t omega_t z_t with sum_{r in unit} f[r,t] <= z_t D_t for every corridor
    (or country but home) and measured period t."""
    weights = inst.period_weights
    unit = inst.settings.dependence_unit
    m.z = pyo.Var(list(weights), domain=pyo.NonNegativeReals, bounds=(0, 1))
    rows = [(key, t) for key in inst.units(unit) for t in weights]
    m.largest_share = family(rows, lambda m, key, t: quicksum(
        m.f[r, t] for r in inst.routes_in_unit(unit, key)) <= m.z[t] * inst.total_demand[t])
    return quicksum(w * m.z[t] for t, w in weights.items())


def worst_disruption(m, inst: Instance):
    """min sum_t omega_t w_t with stranded[t,d] <= w_t D_t for every closure d, measured t."""
    weights = inst.period_weights
    # closures screened out can never be the worst: w_t is at least what the best plan strands
    m.w = pyo.Var(list(weights), domain=pyo.NonNegativeReals, bounds=lambda m, t: (
        min(1.0, m.worst_floor.get(t, 0.0) / inst.total_demand[t]), 1))
    m.worst_stranded = pyo.Constraint(pyo.Any)  # grows with the closure copies
    bound_worst(m, inst, list(m.stranded))
    return quicksum(w * m.w[t] for t, w in weights.items())


def bound_worst(m, inst: Instance, pairs) -> None:
    """stranded[t,d] <= w_t D_t for the given (period, closure) pairs."""
    for t, d in pairs:
        m.worst_stranded[t, d] = m.stranded[t, d] <= m.w[t] * inst.total_demand[t]


def expected_disruption(m, inst: Instance):
    """min sum_t omega_t sum_d pi_d stranded[t,d] / D_t (pi: closure risks, normalised)."""
    weights = inst.period_weights
    pi = inst.closure_weights(tuple(m.closure_list.values()))
    return quicksum(w * pi[d] * m.stranded[t, d] / inst.total_demand[t]
                    for t, w in weights.items() for d in m.closure_list)


def total_cost(m, inst: Instance):
    """cost to the country (finance.cost_to_country) + sum_t delta_t years_t sum_r c_r f[r,t],
    USD m (delta_t: discount factor at the start of t; c_r: USD/t along route r). Without
    sheet Sources the first term is sum_t delta_t sum_p spend[p,t]."""
    return cost_to_country(m, inst) + quicksum(
        inst.discount[t] * inst.period[t].years * quicksum(
            inst.route_cost[r] * m.f[r, t] for r in inst.routes) for t in inst.period_ids)
