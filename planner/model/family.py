"""What the constraint families share: the family itself, and the slack of a hard row in the
elastic model."""

from __future__ import annotations

import pyomo.environ as pyo


def family(index, rule):
    """A constraint family whose rows may come out trivial (no decision in them: a project
    with no start period, a segment no route uses). Trivially true rows are left out."""
    def checked(m, *key):
        expr = rule(m, *key)
        if isinstance(expr, bool):  # Pyomo resolved a row without variables to True/False
            return pyo.Constraint.Feasible if expr else pyo.Constraint.Infeasible
        return expr
    return pyo.Constraint(index, rule=checked)


def slack(m, name: str, index) -> None:
    """A non-negative slack per row of a hard family, present only in the elastic model."""
    if m.elastic:
        setattr(m, name, pyo.Var(index, domain=pyo.NonNegativeReals))


def relax(m, name: str, key) -> object:
    """The slack of row ``key`` of a hard family in the elastic model, else 0."""
    return getattr(m, name)[key] if m.elastic else 0
