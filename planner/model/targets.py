"""Rows that the trade-off analyses add to a model: a selection the portfolio must differ from
(alternatives), and the stages under a dependence target (the frontier's epsilon
constraint, a keep row: solve.stages.dependence_cap)."""

from __future__ import annotations

import pyomo.environ as pyo


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
