"""Project decisions: when each project starts, and from when its capacity is usable.

x[p,t] in {0,1}: project p starts in period t (only periods it may start in: none when
excluded, its earliest period when committed, from its earliest period on otherwise).
built[p,t] = sum of x[p,tau] over tau with index(tau) + lead_time(p) <= index(t).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.model.family import family, relax, slack
from planner.inputs.instance import Instance


def define(m, inst: Instance, shared_x=None) -> None:
    """``shared_x``: start decisions owned by another block (a robust plan's, shared by its
    scenarios); starts this instance does not allow are then held at 0."""
    m.PT = pyo.Set(dimen=2, initialize=[(p, t) for p in inst.projects
                                        for t in inst.start_periods(p)], ordered=True)
    if shared_x is None:
        m.x = pyo.Var(m.PT, domain=pyo.Binary)
    else:
        m.x = pyo.Reference(shared_x)
        m.not_allowed = pyo.Constraint([key for key in shared_x if key not in m.PT],
                                       rule=lambda m, p, t: m.x[p, t] == 0)
    m.capex = pyo.Expression(expr=quicksum(inst.projects[p].capex * m.x[p, t] for p, t in m.PT))
    m.starts_by = {}  # (p, t) -> expression: p has started in t or before
    m.built = {}  # (p, t) -> expression: p is usable in t
    for p in inst.projects:
        starts = inst.start_periods(p)
        for t in inst.period_ids:
            i = inst.period_index[t]
            m.starts_by[p, t] = quicksum(m.x[p, s] for s in starts if inst.period_index[s] <= i)
            m.built[p, t] = quicksum(m.x[p, s] for s in starts
                                     if inst.period_index[s] + inst.projects[p].lead_time <= i)
    start_once(m, inst)
    committed(m, inst)
    requires(m, inst)
    exclusive_groups(m, inst)
    if not m.plain and shared_x is None:
        identical_projects(m, inst)


def start_once(m, inst: Instance) -> None:
    """sum_t x[p,t] <= 1 for every candidate project p."""
    candidates = [p for p, q in inst.projects.items() if q.status == "candidate"]
    m.start_once = family(candidates, lambda m, p: quicksum(
        m.x[p, t] for t in inst.start_periods(p)) <= 1)


def committed(m, inst: Instance) -> None:
    """x[p,e_p] = 1 for every committed project p (e_p: its earliest period, else the first)."""
    ids = [p for p, q in inst.projects.items() if q.status == "committed"]
    slack(m, "committed_slack", ids)
    m.committed = family(ids, lambda m, p: m.x[p, inst.start_periods(p)[0]]
                                 + relax(m, "committed_slack", p) == 1)


def requires(m, inst: Instance) -> None:
    """starts_by[q,t] <= starts_by[p,t] for every t, when q requires p: p starts no later."""
    pairs = [(q, p, t) for q, proj in inst.projects.items() for p in proj.requires
             for t in inst.period_ids if inst.start_periods(q)]
    slack(m, "requires_slack", pairs)
    m.requires = family(pairs, lambda m, q, p, t: m.starts_by[q, t]
                                <= m.starts_by[p, t] + relax(m, "requires_slack", (q, p, t)))


def exclusive_groups(m, inst: Instance) -> None:
    """sum over p in group g of sum_t x[p,t] <= 1 for every exclusive group g."""
    groups: dict[str, list[str]] = {}
    for p, proj in inst.projects.items():
        if proj.exclusive_group:
            groups.setdefault(proj.exclusive_group, []).append(p)
    groups = {g: ps for g, ps in groups.items() if len(ps) > 1}
    slack(m, "exclusive_slack", list(groups))
    m.exclusive = family(list(groups), lambda m, g: quicksum(
        m.x[p, t] for p in groups[g] for t in inst.start_periods(p))
        <= 1 + relax(m, "exclusive_slack", g))


def identical_groups(inst: Instance) -> list[list[str]]:
    """Candidates that no rule tells apart: same segments, capacity, capex, lead time,
    earliest period, risk class and group, no requirements either way."""
    required = {q for proj in inst.projects.values() for q in proj.requires}
    groups: dict[tuple, list[str]] = {}
    for p, proj in inst.projects.items():
        if proj.status != "candidate" or proj.requires or p in required:
            continue
        key = (tuple(sorted(proj.segments)), proj.capacity_added, proj.capex, proj.lead_time,
               proj.earliest_period, proj.risk_class, proj.exclusive_group)
        groups.setdefault(key, []).append(p)
    return [sorted(ps) for ps in groups.values() if len(ps) > 1]


def identical_projects(m, inst: Instance) -> None:
    """starts_by[p_i,t] >= starts_by[p_i+1,t] for identical candidates p_1, p_2, ...: of
    interchangeable projects the first in id order starts first (symmetry breaking; it removes
    only portfolios that are copies of others under renaming)."""
    pairs = [(a, b, t) for group in identical_groups(inst) for a, b in zip(group, group[1:])
             for t in inst.period_ids]
    m.identical_order = family(pairs, lambda m, a, b, t: m.starts_by[a, t] >= m.starts_by[b, t])


def chosen_starts(m) -> dict[str, str | None]:
    """project -> start period (None: not built) of the model's current solution: the one
    place a portfolio is read from a model."""
    portfolio = {p: None for p in m.inst.projects}
    for p, t in m.PT:
        if m.x[p, t].value is not None and m.x[p, t].value > 0.5:
            portfolio[p] = t
    return portfolio


def start_decisions(m) -> dict[tuple[str, str], float]:
    """(project, period) -> 0 or 1 of the model's current solution, for a MIP start."""
    return {key: round(m.x[key].value or 0.0) for key in m.PT}


def build_nothing(m) -> dict[tuple[str, str], float]:
    """Start decisions of committed projects only: feasible whenever the plan is, so the first
    stage always has a portfolio to improve on, whatever the time limit."""
    inst = m.inst
    return {(p, t): 1.0 if inst.projects[p].status == "committed" else 0.0 for p, t in m.PT}
