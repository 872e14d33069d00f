"""The one helper the constraint families share."""

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
