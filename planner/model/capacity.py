"""Segment capacity in normal operation."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family
from planner.instance import Instance


def segment_capacity(m, inst: Instance, s: str, t: str):
    """cap_s + sum_p a_ps built[p,t]: the capacity of segment s in period t (Mt/yr)."""
    return inst.segments[s].capacity + quicksum(
        inst.projects[p].capacity_added * m.built[p, t] for p in inst.segment_projects[s])


def define(m, inst: Instance) -> None:
    used = [(s, t) for s in inst.segments if inst.segment_routes[s] for t in inst.period_ids]
    m.capacity = family(used, lambda m, s, t: capacity(m, inst, s, t))


def capacity(m, inst: Instance, s: str, t: str):
    """sum_{r uses s} f[r,t] <= cap_s + sum_p a_ps built[p,t] for every segment s, period t."""
    load = quicksum(n * m.f[r, t] for r, n in inst.segment_routes[s].items())
    return load <= segment_capacity(m, inst, s, t)
