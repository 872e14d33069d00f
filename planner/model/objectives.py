"""The lexicographic stages: unmet demand, then the dependence measure, then cost.

Each stage is an Objective; solve.py activates one at a time and, after each, bounds the stage
just solved so that later stages keep its optimum. A period-measured quantity enters as its
weighted mean over the measured periods (Periods.weight > 0).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.highs import SCALE_BELOW, largest_coefficient
from planner.model.finance import cost_to_country
from planner.instance import Instance


def define(m, inst: Instance, objective: str) -> None:
    m.stages = ["unmet"]
    m.unmet_demand = pyo.Objective(expr=quicksum(m.u[k, t] for k, t in m.KT))
    dependence = {"max_share": max_share, "worst_disruption": worst_disruption,
                  "expected_disruption": expected_disruption}.get(objective)
    if dependence:
        m.dependence = pyo.Objective(expr=dependence(m, inst))
        m.stages.append("dependence")
    m.cost = pyo.Objective(expr=total_cost(m, inst))
    m.stages.append("cost")
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


# The tolerance chain, stated once (docs/solving.md, "Tolerances"):
# - HiGHS holds every row to HIGHS_FEASIBILITY (1e-7, absolute, its default);
# - a keep row holds the stage's value at its portfolio (start decisions rounded: HiGHS accepts
#   x within 1e-6 of an integer, stages.portfolio_value) with KEEP_ROOM room: 1e-7 absolute in
#   the row's units, what HiGHS honours, so the later stages never optimize on a knife edge
#   and cannot buy more than that (a later stage may spend the room, e.g. leave 1e-7 Mt/yr
#   unmet to save transport cost), or 1e-9 relative where the value is large (USD m);
# - each stage stops at the relative gap asked for (mip_gap, 1e-4 by default);
# - closure generation counts a pair as violated beyond 1e-6 x the period's demand
#   (generation.TOLERANCE).
HIGHS_FEASIBILITY = 1e-7
KEEP_ROOM = HIGHS_FEASIBILITY
STAGE_TOLERANCE = 1e-9  # relative room of a keep row, where that is more than KEEP_ROOM


def keep_row(m, name: str, value: float):
    """stage objective <= value + room, divided by the objective's largest coefficient where
    that is below SCALE_BELOW, so that HiGHS's absolute row
    tolerance (1e-7) is in the decisions' units (Mt/yr), not in shares of trade: unscaled, a
    later stage could spend that tolerance to drop a project the stage's optimum needs
    (measured on a small case: expected_disruption 2.0e-5, coefficients 2e-5).

    None when no decision is in the objective and the row holds; ValueError when it cannot
    hold (only a dependence cap below every portfolio's value asks for that). The room is
    max(KEEP_ROOM, STAGE_TOLERANCE |value|) in the units of the row as HiGHS holds it."""
    largest = largest_coefficient(m, name)
    scale = 1.0 / largest if largest < SCALE_BELOW else 1.0
    room = max(KEEP_ROOM, STAGE_TOLERANCE * abs(value) * scale)
    keep = m.stage_objective[name].expr * scale <= value * scale + room
    if keep is False:
        raise ValueError(f"every portfolio has a {name} above {value:g}: raise that cap")
    return None if keep is True else pyo.Constraint(expr=keep)
