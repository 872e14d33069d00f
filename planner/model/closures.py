"""Closure copies (N-1): flows and stranded demand when one corridor or country is closed.

For closure d and period t: h[r,t,d] >= 0 on each route r that avoids d, v[k,t,d] >= 0 the
demand of flow k that the remaining routes cannot carry. A flow with no route avoiding d is
stranded in full: a constant, not a variable. Copies that the objective provably does without
are screened out first (undominated, screen); the plain formulation keeps them all.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.instance import Closure, Instance
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


def screen(inst: Instance, closure_set: tuple[Closure, ...], periods: tuple[str, ...],
           objective: str):
    """Closure copies the objective can do without, from two LPs (exact):

    stranded is monotone in capacity, so for every allowed portfolio it lies between lo (every
    project that may be built, built as early as it may: more than any budget allows) and hi
    (committed projects only). A pair with hi = lo is a constant. For worst_disruption,
    floor_t = max_d lo[t,d] bounds w_t from below for every portfolio, and a pair with
    hi <= floor_t can never be the worst: it needs no copy.

    Returns (constant, skip, floor): floor in Mt/yr per period (worst_disruption only).
    """
    from planner.evaluate import stranded_for

    nothing = {p: (inst.start_periods(p)[0] if q.status == "committed" else None)
               for p, q in inst.projects.items()}
    everything = {p: (inst.start_periods(p)[0] if inst.start_periods(p) else None)
                  for p in inst.projects}
    hi, lo = stranded_for(inst, [nothing, everything], closure_set, periods)
    tol = 1e-7
    if objective == "worst_disruption":
        floor = {t: max((v for (s, _), v in lo.items() if s == t), default=0.0)
                 for t in periods}
        return {}, frozenset(k for k, v in hi.items() if v <= floor[k[0]] + tol), floor
    return {k: lo[k] for k in lo if hi[k] - lo[k] <= tol}, frozenset(), {}


def define(m, inst: Instance, closure_set: tuple[Closure, ...], periods: tuple[str, ...],
           constant: dict[tuple[str, str], float] | None = None,
           skip: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Copies for every (period, closure) pair but those in ``constant`` (stranded the same
    whatever is built: no copy, the number instead) and those in ``skip`` (left out)."""
    constant = constant or {}
    m.closure_list = {c.name: c for c in closure_set}
    open_routes = {c.name: set(inst.routes) - set(inst.routes_in_unit(c.unit, c.key))
                   for c in closure_set}
    m.open_routes = open_routes
    pairs = [(t, d) for d in open_routes for t in periods
             if (t, d) not in constant and (t, d) not in skip]
    m.closure_pairs = pairs
    m.HD = pyo.Set(dimen=3, initialize=[(r, t, d) for t, d in pairs
                                        for r in sorted(open_routes[d])], ordered=True)
    m.VD = pyo.Set(dimen=3, initialize=[
        (k, t, d) for t, d in pairs for k in inst.flows
        if inst.demand(k, t) > 0 and any(r in open_routes[d] for r in inst.routes_of_flow[k])],
        ordered=True)
    m.h = pyo.Var(m.HD, domain=pyo.NonNegativeReals,
                  bounds=lambda m, r, t, d: (0, inst.demand(inst.routes[r].flow, t)))
    m.v = pyo.Var(m.VD, domain=pyo.NonNegativeReals,
                  bounds=lambda m, k, t, d: (0, inst.demand(k, t)))
    # demand with no open route at all: stranded whatever is built
    fixed = {(t, d): sum(inst.demand(k, t) for k in inst.flows
                         if not any(r in open_routes[d] for r in inst.routes_of_flow[k]))
             for t, d in pairs}
    m.stranded = {(t, d): fixed[t, d] + quicksum(m.v[k, t, d] for k in inst.flows
                                                 if (k, t, d) in m.VD) for t, d in pairs}
    m.stranded.update(constant)
    closure_demand(m, inst)
    closure_capacity(m, inst)


def closure_demand(m, inst: Instance) -> None:
    """sum_{r serves k, r avoids d} h[r,t,d] + v[k,t,d] = D[k,t] for every closure d, period t
    and flow k with an open route."""
    m.closure_demand = family(m.VD, lambda m, k, t, d: quicksum(
        m.h[r, t, d] for r in inst.routes_of_flow[k] if r in m.open_routes[d])
        + m.v[k, t, d] == inst.demand(k, t))


def closure_capacity(m, inst: Instance) -> None:
    """sum_{r uses s, r avoids d} h[r,t,d] <= cap_s + sum_p a_ps built[p,t]."""
    rows = [(s, t, d) for t, d in m.closure_pairs for s in inst.segments
            if any(r in m.open_routes[d] for r in inst.segment_routes[s])
            and binds(m, inst, s, t, m.open_routes[d])]
    m.closure_capacity = family(rows, lambda m, s, t, d: quicksum(
        n * m.h[r, t, d] for r, n in inst.segment_routes[s].items() if r in m.open_routes[d])
        <= segment_capacity(m, inst, s, t))
