"""Rows that the trade-off analyses add to a model: a dependence target (the frontier's
epsilon constraint) and a selection the portfolio must differ from (alternatives)."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.objectives import keep_row


def dependence_cap(m, cap: float, then_dependence: bool = False) -> None:
    """dependence <= cap, and the stages become: unmet demand, least capex, cost.
    ``then_dependence``: the least dependence that least capex buys comes before cost, so the
    schedule of a selection is its most resilient one, not the one discounting favours
    (alternatives: otherwise an alternative starts late within the cap, and a later one is
    the same selection plus a useless project, started early)."""
    if m.stage_objective["dependence"] is None:
        raise ValueError("a dependence cap needs a dependence objective, not 'cost'")
    m.dependence_cap = keep_row(m, "dependence", cap)
    m.stages = capped_stages(then_dependence)


def capped_stages(then_dependence: bool = False) -> list[str]:
    """The stages under a dependence cap (dependence_cap)."""
    return ["unmet", "capex"] + (["dependence"] if then_dependence else []) + ["cost"]


def different_selection(m, chosen: frozenset[str]) -> pyo.Constraint:
    """sum_{p in S} (1 - y_p) + sum_{p not in S} y_p >= 1, y_p = sum_t x[p,t]: the selection of
    projects differs from S in at least one project."""
    selected = {p: 0 for p in m.inst.projects}
    for p, t in m.PT:
        selected[p] = selected[p] + m.x[p, t]
    return pyo.Constraint(expr=sum((1 - selected[p]) if p in chosen else selected[p]
                                   for p in selected) >= 1)
