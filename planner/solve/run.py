"""solve(instance) -> Solution: build the model once, hand it to HiGHS in memory (Pyomo's
persistent interface), run the lexicographic stages (planner/solve/stages.py), read the portfolio.
"""

from __future__ import annotations

import io
import time

from planner.solve.highs import highs_solver, model_size, stop_on_ctrl_c
from planner.clock import Deadline
from planner.inputs.instance import Instance
from planner.model.finance import finance_draws
from planner.model.projects import chosen_starts
from planner.model.objectives import stage_names
from planner.model.targets import capped_stages, different_selection
from planner.solve.solution import (NoPortfolio, PlanInfeasible, Solution,  # noqa: F401
                                    StageResult, reported)
from planner.solve.screening import formulate
from planner.solve.state import state_of
from planner.solve.stages import Clock, dependence_cap, run_stages


def solve(inst: Instance, *, objective: str | None = None, time_limit: float | None = None,
          mip_gap: float | None = None, threads: int | None = None, log=None,
          explain: bool = True, max_dependence: float | None = None,
          exclude: tuple[frozenset[str], ...] = (),
          fixed: dict[str, str | None] | None = None,
          then_dependence: bool = False, deadline: Deadline | None = None) -> Solution:
    """Solve the lexicographic stages and return the portfolio, its flows and solver figures.

    Raises PlanInfeasible (with an explanation) when the hard requirements conflict, and
    NoPortfolio when the solver stopped before it found one, or the time ran out before
    (OutOfTime).

    ``deadline``: the command's budget (planner/clock.py), when it started before the solve
    (the workbook read); by default time_limit x the stages from now. Screening the closures,
    building the model and the stages all draw on it.

    ``max_dependence`` turns the dependence measure into a constraint (epsilon constraint):
    the stages become unmet demand, least capex, cost. ``exclude`` lists project selections
    the portfolio must differ from (no-good cuts), for alternative portfolios;
    ``then_dependence`` adds, under the cap, a least-dependence stage after least capex
    (solve.stages.dependence_cap). ``fixed``
    scores a given portfolio (project -> start period or None): only the flows are chosen,
    and a portfolio the instance does not allow raises PlanInfeasible.
    """
    return solve_model(inst, objective=objective, time_limit=time_limit, mip_gap=mip_gap,
                       threads=threads, log=log, explain=explain,
                       max_dependence=max_dependence, exclude=exclude, fixed=fixed,
                       then_dependence=then_dependence, deadline=deadline)


def solve_model(inst: Instance, *, objective=None, time_limit=None, mip_gap=None, threads=None,
                log=None, explain=True, max_dependence=None, exclude=(), fixed=None,
                then_dependence=False, highs_options: dict | None = None,
                closure_generation: bool = True, plain: bool = False,
                deadline: Deadline | None = None) -> Solution:
    """solve() with three measuring knobs for tests and benchmarks: ``highs_options`` are
    passed to HiGHS as they are; ``closure_generation=False`` builds every closure copy up
    front (planner/solve/closure_generation.py: the tests' reference); ``plain`` solves the formulation of
    model.md as written, without the exact reductions (build(plain=True); no generation)."""
    objective = objective or inst.settings.objective
    time_limit = inst.settings.time_limit_s if time_limit is None else time_limit
    mip_gap = inst.settings.mip_gap if mip_gap is None else mip_gap
    stream = io.StringIO()
    tee = [stream] + ([log] if log is not None else [])

    stages = capped_stages(then_dependence) if max_dependence is not None else \
        stage_names(objective)
    deadline = deadline or Deadline(time_limit * len(stages))
    start = time.perf_counter()
    m = formulate(inst, objective=objective, generate=closure_generation and not plain,
                  plain=plain, deadline=deadline)
    if max_dependence is not None:
        try:
            dependence_cap(m, max_dependence, then_dependence)
        except ValueError as err:
            raise PlanInfeasible(str(err)) from None
    for i, chosen in enumerate(exclude):
        m.add_component(f"differs_{i}", different_selection(m, chosen))
    if fixed is not None:
        if any(t and (p, t) not in m.PT for p, t in fixed.items()):
            raise PlanInfeasible("the portfolio starts a project in a period this plan does "
                                 "not allow")
        for p, t in m.PT:
            m.x[p, t].fix(1.0 if fixed.get(p) == t else 0.0)
    build_seconds = time.perf_counter() - start
    opt = highs_solver(threads)
    opt.set_instance(m)  # hand the model to HiGHS once; stages only change it
    handover_seconds = time.perf_counter() - start - build_seconds
    deadline.check("handing the model to HiGHS")
    clock = Clock(time_limit, len(state_of(m).stages), deadline)
    with stop_on_ctrl_c():
        stages = run_stages(inst, m, opt, time_limit=time_limit, mip_gap=mip_gap,
                            threads=threads, tee=tee, explain=explain,
                            highs_options=highs_options, clock=clock)
    solve_seconds = sum(s.seconds for s in stages)

    portfolio = chosen_starts(m)
    flows = {(r, t): reported(m.f[r, t].value) for r, t in m.RT}
    unmet = {(k, t): reported(m.u[k, t].value) for k, t in m.KT}
    proven = all(s.status == "optimal" for s in stages)
    return Solution(inst, objective, "optimal" if proven else "feasible", portfolio, flows, unmet,
                    stages, build_seconds, solve_seconds, model_size(m, opt), stream.getvalue(),
                    handover_seconds, mip_gap, clock.left(), finance_draws(m),
                    closure_lp=state_of(m).closure_lp)
