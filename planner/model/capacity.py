"""Segment capacity in normal operation."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.instance import Instance


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
