"""One portfolio that holds up across all scenarios at once.

The start decisions x are shared; each scenario (the base case included) is a block with its
own budgets, flows, capacities, limits and closure copies, built by the same model code. The
stages: total unmet demand over the scenarios, then the worst scenario's dependence
(min z, z >= dependence_s for every s), then the mean of the scenarios' costs.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.analysis.pipeline import analyse
from planner.analysis.appraisal import Appraisal
from planner.studies.batch import Outcome, Task, run_all
from planner.clock import Deadline
from planner.analysis.measures import Measures, evaluate
from planner.inputs.instance import Instance
from planner.solve.state import state_of
from planner.solve.screening import formulate
from planner.solve.highs import highs_solver, stop_on_ctrl_c
from planner.model.finance import finance_draws
from planner.model.projects import chosen_starts
from planner.solve.stages import Clock, run_stages


@dataclass
class ScenarioResult:
    name: str
    instance: Instance
    measures: Measures  # the robust portfolio in this scenario
    own: Outcome  # the scenario's own optimum
    appraisal: Appraisal | None = None  # the robust portfolio in this scenario


@dataclass
class RobustPlan:
    objective: str
    status: str
    portfolio: dict[str, str | None]
    worst_dependence: float
    scenarios: list[ScenarioResult]
    seconds: float


def build_robust(instances: dict[str, Instance], objective: str, deadline=None):
    """``deadline`` (planner/clock.py): checked as each scenario's block is built."""
    base = next(iter(instances.values()))
    m = pyo.ConcreteModel(name="robust_portfolio")
    m.inst = base
    union = {(p, t) for inst in instances.values() for p in inst.projects
             for t in inst.start_periods(p)}
    order = {t: i for i, t in enumerate(base.period_ids)}
    m.PT = pyo.Set(dimen=2, initialize=sorted(union, key=lambda k: (k[0], order[k[1]])),
                   ordered=True)
    m.x = pyo.Var(m.PT, domain=pyo.Binary)
    m.blocks = []
    for i, inst in enumerate(instances.values()):
        block = pyo.Block(concrete=True)
        m.add_component(f"scenario_{i}", block)
        formulate(inst, objective=objective, block=block, shared_x=m.x, deadline=deadline)
        for obj in block.component_objects(pyo.Objective):
            obj.deactivate()
        m.blocks.append(block)
    m.unmet_demand = pyo.Objective(expr=quicksum(b.unmet_demand.expr for b in m.blocks))
    m.z = pyo.Var(bounds=(0, None))
    m.worst_scenario = pyo.Constraint(range(len(m.blocks)),
                                      rule=lambda m, i: m.z >= m.blocks[i].dependence.expr)
    m.dependence = pyo.Objective(expr=m.z)
    m.cost = pyo.Objective(expr=quicksum(b.cost.expr for b in m.blocks) / len(m.blocks))
    for obj in (m.dependence, m.cost):
        obj.deactivate()
    state_of(m).stages = ["unmet", "dependence", "cost"]
    m.stage_objective = {"unmet": m.unmet_demand, "dependence": m.dependence, "cost": m.cost}
    return m


def robust(instances: dict[str, Instance], *, options: dict | None = None,
           jobs: int | None = None, scheduler: str | None = None, progress=None) -> RobustPlan:
    """``instances``: scenario name -> instance, the base case first."""
    options = dict(options or {})
    base = next(iter(instances.values()))
    objective = options.get("objective") or base.settings.objective
    if objective == "cost":
        raise ValueError("needs a dependence objective, not cost")
    start = time.perf_counter()
    limit = options.get("time_limit", base.settings.time_limit_s)
    deadline = Deadline(limit * 3)  # the robust stages: unmet, dependence, cost
    m = build_robust(instances, objective, deadline)
    opt = highs_solver(options.get("threads"))
    opt.set_instance(m)
    with stop_on_ctrl_c():
        stages = run_stages(base, m, opt, time_limit=limit, mip_gap=options.get(
            "mip_gap", base.settings.mip_gap), threads=options.get("threads"),
            tee=[io.StringIO()], explain=False, highs_options=None,
            clock=Clock(limit, len(state_of(m).stages), deadline))
    portfolio = chosen_starts(m)
    own = run_all([Task(name, inst, options) for name, inst in instances.items()],
                  jobs=jobs, scheduler=scheduler, progress=progress)
    results = []
    for (name, inst), block, mine in zip(instances.items(), m.blocks, own):
        flows = {(r, t): max(0.0, block.f[r, t].value or 0.0) for r, t in block.RT}
        unmet = {(k, t): max(0.0, block.u[k, t].value or 0.0) for k, t in block.KT}
        measures = evaluate(inst, portfolio, flows, unmet, finance_draws(block))
        results.append(ScenarioResult(name, inst, measures, mine,
                                      analyse(inst, portfolio, objective,
                                              full=False).appraisal))
    proven = all(s.status == "optimal" for s in stages)
    return RobustPlan(objective, "optimal" if proven else "feasible", portfolio,
                      stages[1].value, results, time.perf_counter() - start)
