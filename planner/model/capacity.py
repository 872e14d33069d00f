"""Segment capacity in normal operation."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.inputs.instance import Instance


def segment_capacity(m, inst: Instance, s: str, t: str):
    """The capacity of segment s in period t (Mt/yr): cap_s, or the variable c[s,t] where
    projects can add to it (in the plain formulation, cap_s + sum_p a_ps built[p,t])."""
    if (s, t) in m.built_capacity:
        return m.c[s, t]
    if getattr(m, "plain", False):
        return inst.segments[s].capacity + quicksum(
            inst.projects[p].capacity_added * m.built[p, t] for p in inst.segment_projects[s])
    return inst.segments[s].capacity


def binds(m, inst: Instance, s: str, t: str, routes=None) -> bool:
    """A capacity row can bind only if the flow that may pass exceeds the existing capacity;
    rows that cannot bind are left out (exact, and most feeder links are such)."""
    return getattr(m, "plain", False) or \
        inst.load_bound(s, t, routes) > inst.segments[s].capacity + 1e-9


def define(m, inst: Instance) -> None:
    upgradable = [] if m.plain else [(s, t) for s in inst.segments if inst.segment_projects[s]
                                     and inst.segment_routes[s] for t in inst.period_ids]
    m.built_capacity = set(upgradable)
    m.c = pyo.Var(upgradable, domain=pyo.NonNegativeReals)
    built_capacity(m, inst, upgradable)
    used = [(s, t) for s in inst.segments if inst.segment_routes[s] for t in inst.period_ids
            if binds(m, inst, s, t)]
    m.capacity = family(used, lambda m, s, t: capacity(m, inst, s, t))
    if not m.plain:
        flow_capacity(m, inst)


def built_capacity(m, inst: Instance, index) -> None:
    """c[s,t] = cap_s + sum_p a_ps built[p,t]: one column per upgradable segment and period,
    so that the normal and every closure capacity row refer to it once."""
    m.built_capacity_rows = family(index, lambda m, s, t: m.c[s, t] == inst.segments[s].capacity
                                   + quicksum(inst.projects[p].capacity_added * m.built[p, t]
                                              for p in inst.segment_projects[s]))


def capacity(m, inst: Instance, s: str, t: str):
    """sum_{r uses s} f[r,t] <= cap_s + sum_p a_ps built[p,t] for every segment s, period t."""
    load = quicksum(n * m.f[r, t] for r, n in inst.segment_routes[s].items())
    return load <= segment_capacity(m, inst, s, t)


def strong_links(inst: Instance, k: str, t: str) -> dict[str, float]:
    """Segments where flow k alone can exceed the existing capacity in period t and some
    project adds more than k can use: segment -> U, the most flow k can put on it (its demand
    times the most times one of its routes passes it)."""
    demand = inst.demand(k, t)
    most: dict[str, int] = {}
    for r in inst.routes_of_flow[k]:
        for s, n in inst.route_segments[r].items():
            most[s] = max(most.get(s, 0), n)
    links = {}
    for s, n in most.items():
        room = n * demand - inst.segments[s].capacity
        if room > 1e-9 and any(inst.projects[p].capacity_added > room + 1e-9
                               for p in inst.segment_projects[s]):
            links[s] = n * demand
    return links


def strong_link(m, inst: Instance, s: str, t: str, load, most: float):
    """load <= cap_s + sum_p min(a_ps, U - cap_s) built[p,t], where load is one flow's use of
    segment s and U the most it can be: valid (if a built project adds U - cap_s or more the
    right side is at least U, else it is the capacity row) and much tighter than the capacity
    row when a project adds more than one flow can use (the strong linking of fixed-charge
    network design)."""
    cap = inst.segments[s].capacity
    return load <= cap + quicksum(min(inst.projects[p].capacity_added, most - cap)
                                  * m.built[p, t] for p in inst.segment_projects[s])


def flow_capacity(m, inst: Instance) -> None:
    """sum_{r serves k, uses s} f[r,t] <= cap_s + sum_p min(a_ps, U_kst - cap_s) built[p,t]
    for every flow k, period t and segment s where this is tighter than the capacity row."""
    most = {(s, k, t): u for k, t in m.KT for s, u in strong_links(inst, k, t).items()}
    m.flow_capacity = family(list(most), lambda m, s, k, t: strong_link(
        m, inst, s, t, quicksum(n * m.f[r, t] for r, n in inst.segment_routes[s].items()
                                if inst.routes[r].flow == k), most[s, k, t]))
