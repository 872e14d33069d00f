"""Closure copies (N-1): flows and stranded demand when one corridor or country is closed.

For closure d and period t: h[r,t,d] >= 0 on each route r that avoids d, v[k,t,d] >= 0 the
demand of flow k that the remaining routes cannot carry. A flow with no route avoiding d is
stranded in full: a constant, not a variable. Copies that the objective provably does without
are screened out first (undominated here; the LPs of planner/solve/screening.py); the plain
formulation keeps them all.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.inputs.instance import Closure, Instance
from planner.model.capacity import binds, segment_capacity


def undominated(inst: Instance, closure_set: tuple[Closure, ...]) -> tuple[Closure, ...]:
    """Closures whose routes are not a subset of another closure's: closing a superset
    strands at least as much whatever is built, so for the worst closure the subset's copy
    is never needed (exact). Of closures with equal route sets the first is kept."""
    routes = {c.name: frozenset(inst.routes_in_unit(c.unit, c.key)) for c in closure_set}
    kept = []
    for i, c in enumerate(closure_set):
        dominated = any(routes[c.name] < routes[o.name] or
                        (routes[c.name] == routes[o.name] and j < i)
                        for j, o in enumerate(closure_set) if j != i)
        if not dominated:
            kept.append(c)
    return tuple(kept)


def scope(inst: Instance, objective: str, closure_set: tuple[Closure, ...] | None,
          periods: tuple[str, ...] | None, plain: bool = False):
    """(closures, periods) the objective measures, unless given: every closure for the
    disruption objectives (the undominated ones for worst_disruption, but for the plain
    formulation), in the periods measured; no closure for the others."""
    if closure_set is None and objective in ("worst_disruption", "expected_disruption"):
        closure_set = inst.closures()
        if objective == "worst_disruption" and not plain:
            closure_set = undominated(inst, closure_set)
    return closure_set, (periods if periods is not None else inst.measured_periods)


def define(m, inst: Instance, closure_set: tuple[Closure, ...], periods: tuple[str, ...],
           constant: dict[tuple[str, str], float] | None = None,
           skip: frozenset[tuple[str, str]] = frozenset(), first=None,
           estimate=None) -> None:
    """Copies for every (period, closure) pair but those in ``constant`` (stranded the same
    whatever is built: no copy, the number instead) and those in ``skip`` (left out).
    ``first``: copy only these pairs now; the others wait in m.waiting_pairs until a portfolio
    needs them (planner/solve/closure_generation.py). ``estimate``: no copy at all; an estimate bounded by
    the screening and by cuts stands for each pair's stranded amount (estimates)."""
    m.closure_list = {c.name: c for c in closure_set}
    m.open_routes = {c.name: frozenset(inst.routes) - frozenset(inst.routes_in_unit(c.unit, c.key))
                     for c in closure_set}
    pairs = [(t, d) for d in m.open_routes for t in periods
             if (t, d) not in (constant or {}) and (t, d) not in skip]
    m.stranded = dict(constant or {})
    m.closure_pairs = []
    m.waiting_pairs = [] if first is None else [key for key in pairs if key not in first]
    if estimate is not None:
        estimates(m, pairs, estimate)
        return
    add_pairs(m, inst, pairs if first is None else [key for key in pairs if key in first])


def estimates(m, pairs, screening) -> None:
    """stranded[t,d] = eta[t,d], least[t,d] <= eta[t,d] <= most[t,d] (Mt/yr; the screening's
    LPs with everything and with nothing built), and a row family m.closure_cuts that
    planner/solve/closure_cuts.py fills with eta[t,d] >= stranded^j + sum_s slope_s^j (c[s,t] - c_s^j), one
    per supporting hyperplane j of the convex stranded amount (the outer approximation)."""
    m.estimated_pairs = list(pairs)
    m.eta = pyo.Var(m.estimated_pairs, domain=pyo.NonNegativeReals,
                    bounds=lambda m, t, d: (screening.least[t, d],
                                            max(screening.least[t, d], screening.most[t, d])))
    for key in m.estimated_pairs:
        m.stranded[key] = m.eta[key]
    m.closure_cuts = pyo.Constraint(pyo.Any)


def add_pairs(m, inst: Instance, pairs) -> None:
    """Copies for more (period, closure) pairs, in a block of their own so that the model can
    grow between solves: flows h, stranded demand v, their demand and capacity rows, and
    m.stranded[t, d], the Mt/yr stranded."""
    block = pyo.Block()
    m.add_component(f"closure_copies_{len(m.closure_pairs)}", block)
    m.closure_pairs = m.closure_pairs + list(pairs)
    m.waiting_pairs = [key for key in m.waiting_pairs if key not in set(pairs)]
    open_routes = m.open_routes
    block.HD = pyo.Set(dimen=3, initialize=[(r, t, d) for t, d in pairs
                                            for r in sorted(open_routes[d])], ordered=True)
    block.VD = pyo.Set(dimen=3, initialize=[
        (k, t, d) for t, d in pairs for k in inst.flows
        if inst.demand(k, t) > 0 and any(r in open_routes[d] for r in inst.routes_of_flow[k])],
        ordered=True)
    block.h = pyo.Var(block.HD, domain=pyo.NonNegativeReals,
                      bounds=lambda b, r, t, d: (0, inst.demand(inst.routes[r].flow, t)))
    block.v = pyo.Var(block.VD, domain=pyo.NonNegativeReals,
                      bounds=lambda b, k, t, d: (0, inst.demand(k, t)))
    for t, d in pairs:
        # demand with no open route at all: stranded whatever is built
        m.stranded[t, d] = sum(
            inst.demand(k, t) for k in inst.flows
            if not any(r in open_routes[d] for r in inst.routes_of_flow[k])) + quicksum(
            block.v[k, t, d] for k in inst.flows if (k, t, d) in block.VD)
    closure_demand(block, inst, open_routes)
    closure_capacity(block, m, inst, pairs)


def closure_demand(block, inst: Instance, open_routes) -> None:
    """sum_{r serves k, r avoids d} h[r,t,d] + v[k,t,d] = D[k,t] for every closure d, period t
    and flow k with an open route."""
    block.closure_demand = family(block.VD, lambda b, k, t, d: quicksum(
        b.h[r, t, d] for r in inst.routes_of_flow[k] if r in open_routes[d])
        + b.v[k, t, d] == inst.demand(k, t))


def closure_capacity(block, m, inst: Instance, pairs) -> None:
    """sum_{r uses s, r avoids d} h[r,t,d] <= cap_s + sum_p a_ps built[p,t]."""
    rows = [(s, t, d) for t, d in pairs for s in inst.segments
            if any(r in m.open_routes[d] for r in inst.segment_routes[s])
            and binds(m, inst, s, t, m.open_routes[d])]
    block.closure_capacity = family(rows, lambda b, s, t, d: quicksum(
        n * b.h[r, t, d] for r, n in inst.segment_routes[s].items() if r in m.open_routes[d])
        <= segment_capacity(m, inst, s, t))
