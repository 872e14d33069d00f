"""build(instance) -> a Pyomo model of the corridor portfolio problem.

One file per concern; each ``define(m, inst)`` adds its sets, variables and constraint families,
and each family's docstring states its row. ../shared/design/model.md has the whole statement.

The model builds rows; it solves nothing. Beside its components it keeps its own index, the
plain attributes its rows and the solution readers are built from: inst, elastic, plain,
starts_by, built, built_capacity, spend_of, spend, budget_spend, classes, class_spend, drawn,
debt_service_due, ineligible_keys, closure_list, open_routes, stranded, closure_pairs,
waiting_pairs, estimated_pairs, worst_floor (w's lower bounds), stages and stage_objective
(its objectives, one per stage). What the solve keeps between HiGHS runs is
planner/solve/state.py's.
"""

from __future__ import annotations

import logging

import pyomo.environ as pyo

from planner import interrupt
from planner.clock import check
from planner.inputs.instance import Closure, Instance
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
          closure_plan=None, deadline=None) -> pyo.ConcreteModel:
    """The model for ``objective`` (default: the workbook's setting).

    ``elastic`` adds a priced slack to every hard requirement (budgets, capex limits,
    commitments, requirements, exclusive groups) so that an impossible plan can be explained.
    Closure copies are built for the closures and periods the objective measures unless
    ``closure_set`` / ``closure_periods`` say otherwise. ``plain`` builds the formulation of
    model.md as written, without the exact reductions (the benchmarks' reference).
    ``block`` and ``shared_x`` build into a given block with start decisions owned elsewhere
    (the scenarios of a robust plan). ``closure_plan``: what the solve layer's screening of
    the closures found (planner/solve/screening.py: constant and skipped pairs, the floor of
    the worst closure, the pairs to copy first or the estimates' bounds); None: a copy for
    every pair. ``deadline``: the command's (planner/clock.py), checked between the families:
    OutOfTime when it has passed.
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
    closure_set, periods = closures.scope(inst, objective, closure_set, closure_periods, plain)
    m.worst_floor = {}
    if closure_set:
        plan = closure_plan
        if plan is not None:
            m.worst_floor = plan.floor  # w's lower bounds (model.objectives)
        check(deadline, "building the closure copies")
        closures.define(m, inst, closure_set, periods,
                        *((plan.constant, plan.skip, plan.first, plan.estimate) if plan else ()))
    check(deadline, "building the model")
    objectives.define(m, inst, objective)
    return m
