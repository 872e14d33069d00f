"""The lexicographic stages, in order, each bounded by the ones before.

The model is built once. Each stage switches the active objective (planner/solve/highs.py runs it);
after a stage, a row ``stage objective <= value found + tolerance`` keeps its optimum for the
stages after it (keep_row). A stage stopped by the time limit keeps its incumbent
and reports its gap: it is never called optimal.

The clock: every stage stops after ``time_limit`` seconds on the wall clock, everything it
runs included (closure-generation rounds, the re-run after the unmet shortcut), within the
command's budget of time limit x stages (planner/clock.py: reading and building draw on it
too), and the explanation of an impossible plan gets what is left of it (Clock).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pyomo.environ as pyo

from planner.solve import floor_probe as floor
from planner.clock import Deadline, OutOfTime
from planner.solve.closure_cuts import ClosureCuts
from planner.solve.infeasibility import explain_infeasible
from planner.solve.closure_generation import ClosureGeneration, Snapshot, generate_closures
from planner.model.targets import capped_stages
from planner.solve.highs import largest_coefficient, run_stage
from planner.model.projects import build_nothing, start_decisions
from planner.solve.solution import NoPortfolio, PlanInfeasible, StageResult
from planner.solve.state import state_of
from planner.tolerances import KEEP_ROOM, SCALE_BELOW, STAGE_TOLERANCE


def keep_row(m, name: str, value: float):
    """stage objective <= value + room, divided by the objective's largest coefficient where
    that is below SCALE_BELOW, so that HiGHS's absolute row tolerance (1e-7) is in the
    decisions' units (Mt/yr), not in shares of trade: unscaled, a later stage could spend that
    tolerance to drop a project the stage's optimum needs (tests/test_objectives.py).

    None when no decision is in the objective and the row holds; ValueError when it cannot
    hold (only a dependence cap below every portfolio's value asks for that). The room is
    max(KEEP_ROOM, STAGE_TOLERANCE |value|) in the units of the row as HiGHS holds it."""
    largest = largest_coefficient(m, name)
    scale = 1.0 / largest if largest < SCALE_BELOW else 1.0
    room = max(KEEP_ROOM, STAGE_TOLERANCE * abs(value) * scale)
    keep = m.stage_objective[name].expr * scale <= value * scale + room
    if keep is False:
        raise ValueError(f"every portfolio has a {name} above {value:g}: raise that cap")
    return None if keep is True else pyo.Constraint(expr=keep)


def dependence_cap(m, cap: float, then_dependence: bool = False) -> None:
    """dependence <= cap, and the stages become: unmet demand, least capex, cost.
    ``then_dependence``: the least dependence that least capex buys comes before cost, so the
    schedule of a selection is its most resilient one, not the one discounting favours
    (alternatives: otherwise an alternative starts late within the cap, and a later one is
    the same selection plus a useless project, started early)."""
    if m.stage_objective["dependence"] is None:
        raise ValueError("a dependence cap needs a dependence objective, not 'cost'")
    keep = keep_row(m, "dependence", cap)
    if keep is not None:  # None: no decision changes the dependence, and it is under the cap
        m.dependence_cap = keep
    state = state_of(m)
    state.capped, state.stages = True, capped_stages(then_dependence)


def portfolio_value(m, name: str, value: float) -> float:
    """The value a keep row holds: the larger of the stage's value and its objective with the
    start decisions rounded to 0 or 1. HiGHS accepts x within 1e-6 of an integer, which moves
    a capex of 600 by 6e-4; kept at the unrounded value, the row left no integer portfolio
    and the next stage was infeasible (seen on a generated network under a dependence cap)."""
    objective = m.stage_objective[name]
    found = [(var, var.value) for var in m.x.values() if var.value is not None]
    for var, v in found:
        var.set_value(round(v), skip_validation=True)
    try:
        rounded = pyo.value(objective, exception=False)
    finally:
        for var, v in found:
            var.set_value(v, skip_validation=True)
    return value if rounded is None else max(value, rounded)


class Clock:
    """The stages' time: ``per_stage`` seconds for each of ``stages`` stages, within the
    command's Deadline (planner/clock.py; default: per_stage x stages from now)."""

    def __init__(self, per_stage: float, stages: int, deadline: Deadline | None = None):
        self.per_stage = per_stage
        self.total = per_stage * stages
        self.deadline = deadline or Deadline(self.total)

    def left(self) -> float:
        """Seconds left of the command's time (never below 0)."""
        return self.deadline.remaining()

    def for_stage(self, spent_on_it: float = 0.0) -> float:
        """A stage's time: its own limit less what it already spent, within the command's."""
        return max(0.0, min(self.per_stage - spent_on_it, self.left()))


def unmet_relaxation(opt, m, *, time_limit: float, **options) -> StageResult | None:
    """The unmet-demand stage's LP relaxation, which bounds unmet demand from below; None
    where the shortcut of run_stages does not apply (under a dependence cap closure
    generation runs from the unmet stage on)."""
    state = state_of(m)
    if state.capped or state.stages[:1] != ["unmet"] or len(state.stages) < 2:
        return None
    return run_stage(opt, m, "unmet", time_limit=time_limit, relaxation=True, **options)


def run_stages(inst, m, opt, *, time_limit, mip_gap, threads, tee, explain, highs_options,
               clock: Clock | None = None, unmet_shortcut: bool = True, spent: float = 0.0):
    """The stages in order, each bounded by the ones before.

    The unmet-demand stage runs no branch and bound when its LP relaxation already meets all
    demand (the usual case): its optimum is then 0 as soon as any portfolio meets all demand,
    so the row ``unmet demand <= 0`` goes in and the next stage finds that portfolio itself
    (the relaxation is an LP; the stage's branch and bound takes far longer).
    If that stage finds none, the unmet stage runs in full, within what is left of its own
    time, and the next stage again. ``spent``: seconds of such a first attempt, counted in
    the unmet stage's time."""
    clock = clock or Clock(time_limit, len(state_of(m).stages))
    options = dict(mip_gap=mip_gap, threads=threads, tee=tee, highs_options=highs_options)
    shortcut, tried = _unmet_shortcut(opt, m, clock, options) if unmet_shortcut else (None, 0.0)
    spent += tried
    stages: list[StageResult] = []
    # no start after the shortcut: building nothing may leave demand unmet, and HiGHS would
    # spend an LP on a start it then drops
    portfolio = None if shortcut else build_nothing(m)
    generation = ClosureGeneration(m, inst) if getattr(m, "waiting_pairs", None) else \
        ClosureCuts(m, inst) if getattr(m, "estimated_pairs", None) else None
    fallback = None
    for name in state_of(m).stages:
        if name == "unmet" and shortcut is not None:
            continue
        limit = clock.for_stage(spent if name == "unmet" else 0.0)
        stage = _run_one(opt, m, name, limit, generation, portfolio, fallback,
                         feasible=bool(stages), options=options)
        if name == "unmet":
            stage = replace(stage, seconds=stage.seconds + spent)
        if stage.status == "interrupted":
            raise KeyboardInterrupt  # stop cleanly: the caller writes nothing
        if shortcut is not None and not stages:
            if stage.status == "infeasible" or math.isnan(stage.value):
                # no portfolio meets all demand (or none was found in time)
                if m.component("keep_unmet") is not None:
                    m.del_component("keep_unmet")
                return run_stages(inst, m, opt, time_limit=time_limit, explain=explain,
                                  clock=clock, unmet_shortcut=False,
                                  spent=spent + shortcut.seconds + stage.seconds, **options)
            stages.append(shortcut)
        stages.append(stage)
        if stage.status == "infeasible":
            if explain:
                raise PlanInfeasible(explain_infeasible(inst, time_limit=clock.left()))
            raise PlanInfeasible("the hard requirements cannot all hold")
        if math.isnan(stage.value):
            if len(stages) == 1:
                if clock.left() <= 0 and stage.seconds <= 0:  # no time left to start
                    raise OutOfTime(f"starting stage {name}", clock.deadline)
                raise NoPortfolio(f"HiGHS stopped ({stage.status}) after {stage.seconds:.0f} s "
                                  "before it found any portfolio: raise --time-limit")
            # a later stage found nothing in time: the variables still hold the previous
            # stage's solution, which is what we report
            break
        # the portfolio's own value, reported and kept
        stage = stages[-1] = replace(stage, value=portfolio_value(m, name, stage.value))
        portfolio = start_decisions(m)
        if generation is not None:
            fallback = Snapshot(m)
        _keep(m, name, stage.value)
    return stages


def _unmet_shortcut(opt, m, clock: Clock, options: dict) -> tuple[StageResult | None, float]:
    """(the unmet stage's result, 0) when its LP relaxation meets all demand: the row
    ``unmet demand <= 0`` goes in (m.keep_unmet); else (None, the seconds the relaxation
    took, counted in the unmet stage's time)."""
    relaxed = unmet_relaxation(opt, m, time_limit=clock.for_stage(), **options)
    if relaxed is None:
        return None, 0.0
    if relaxed.status == "optimal" and relaxed.value <= STAGE_TOLERANCE:
        keep = keep_row(m, "unmet", 0.0)
        if keep is not None:  # None: no demand at all
            m.keep_unmet = keep
        return replace(relaxed, value=0.0, bound=0.0, gap=0.0, nodes=0), 0.0
    return None, relaxed.seconds


def _run_one(opt, m, name: str, limit: float, generation, portfolio, fallback, *,
             feasible: bool, options: dict) -> StageResult:
    """One stage within ``limit`` seconds: cuts tightened and the floor probed first where
    they apply, then HiGHS from ``portfolio``, then closure generation or cuts."""
    tightened, at_floor = 0.0, None
    if limit > 0 and name == "dependence" and isinstance(generation, ClosureCuts):
        tightened = generation.tighten(opt, name, time_limit=limit, **options)
    if limit > 0 and name == "dependence" and floor.applies(m):
        at_floor, tightened = floor.reach_floor(m, opt, generation,
                                                time_limit=limit * floor.SHARE, **options)
    if at_floor is not None:
        stage = at_floor
    elif limit - tightened <= 0:
        stage = StageResult(name, "time_limit", math.nan, None, math.inf, tightened)
    else:
        stage = run_stage(opt, m, name, time_limit=limit - tightened, start=portfolio,
                          feasible=feasible, **options)
        stage = replace(stage, seconds=stage.seconds + tightened)
    # unmet demand needs no closure copy, unless a dependence cap constrains the portfolio
    if generation is not None and at_floor is None and \
            (name != "unmet" or state_of(m).capped):
        stage = generate_closures(generation, opt, m, name, stage, portfolio, fallback,
                                  time_limit=limit, **options)
    return stage


def _keep(m, name: str, value: float) -> None:
    """The row that keeps stage ``name`` at ``value`` for the stages after it."""
    keep = keep_row(m, name, value)
    if keep is not None:  # a stage whose value no decision changes needs none
        m.add_component(f"keep_{name}", keep)
