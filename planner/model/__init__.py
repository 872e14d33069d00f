"""build(instance) -> a Pyomo model of the corridor portfolio problem.

One file per concern; each ``define(m, inst)`` adds its sets, variables and constraint families,
and each family's docstring states its row. ../shared/design/model.md has the whole statement.
"""

from __future__ import annotations

import logging

import pyomo.environ as pyo

from planner import interrupt
from planner.clock import check
from planner.instance import Closure, Instance
from planner.model import (budget, capacity, closures, finance, flows, limits, objectives,
                           projects)

# a stop signal that breaks off a component's construction is the command's to report, in one
# line; Pyomo would log an ERROR for it too (on "pyomo.core"; its handler prints any other)
logging.getLogger("pyomo.core").addFilter(interrupt.quiet_while_stopping)
for _handler in logging.getLogger("pyomo").handlers:
    _handler.addFilter(interrupt.quiet_while_stopping)


def build(inst: Instance, *, objective: str | None = None, elastic: bool = False,
          closure_set: tuple[Closure, ...] | None = None,
          closure_periods: tuple[str, ...] | None = None,
          plain: bool = False, block=None, shared_x=None,
          generate: bool = False, deadline=None) -> pyo.ConcreteModel:
    """The model for ``objective`` (default: the workbook's setting).

    ``elastic`` adds a priced slack to every hard requirement (budgets, capex limits,
    commitments, requirements, exclusive groups) so that an impossible plan can be explained.
    Closure copies are built for the closures and periods the objective measures unless
    ``closure_set`` / ``closure_periods`` say otherwise. ``plain`` builds the formulation of
    model.md as written, without the exact reductions (the benchmarks' reference).
    ``block`` and ``shared_x`` build into a given block with start decisions owned elsewhere
    (the scenarios of a robust plan). ``generate`` starts a worst_disruption model with a few
    closure copies; the others wait in m.waiting_pairs for planner/generation.py, and an
    expected_disruption model with none: cuts bound each stranded amount (planner/cuts.py).
    ``deadline``: the command's (planner/clock.py), checked between the families and in the
    closure screening's LPs: OutOfTime when it has passed.
    """
    objective = objective or inst.settings.objective
    m = pyo.ConcreteModel(name="corridor_portfolio") if block is None else block
    m.inst = inst
    m.elastic = elastic
    m.plain = plain
    m.T = pyo.Set(initialize=inst.period_ids, ordered=True)
    for module, more in ((projects, (shared_x,)), (finance, ()), (budget, ()), (flows, ()),
                         (capacity, ()), (limits, ())):
        check(deadline, "building the model")
        module.define(m, inst, *more)
    if closure_set is None and objective in ("worst_disruption", "expected_disruption"):
        closure_set = inst.closures()
        if objective == "worst_disruption" and not plain:
            closure_set = closures.undominated(inst, closure_set)
    m.worst_floor = {}
    if closure_set:
        periods = closure_periods if closure_periods is not None else inst.measured_periods
        constant, skip, first, estimate = {}, frozenset(), None, None
        if not plain and objective in ("worst_disruption", "expected_disruption"):
            check(deadline, "screening the closures")
            screening = closures.screen(inst, closure_set, periods, objective, deadline)
            constant, skip, m.worst_floor = screening.constant, screening.skip, screening.floor
            if generate and objective == "worst_disruption":
                first = closures.first_pairs(screening)
            if generate and objective == "expected_disruption":
                estimate = screening
            m.closure_lp = screening.lp  # generation and cuts score portfolios with it
        check(deadline, "building the closure copies")
        closures.define(m, inst, closure_set, periods, constant, skip, first, estimate)
    check(deadline, "building the model")
    objectives.define(m, inst, objective)
    return m
