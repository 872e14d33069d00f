"""Solve the model with HiGHS in memory (Pyomo's persistent interface), stage by stage.

The model is built once. Each lexicographic stage switches the active objective; after a stage,
a row ``stage objective <= value found + tolerance`` keeps its optimum for the stages after it.
A stage stopped by the time limit keeps its incumbent and reports its gap: it is never called
optimal.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import signal
import threading
import time
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.repn import generate_standard_repn

from planner.generation import ClosureGeneration, chosen_starts
from planner.instance import Instance
from planner.model import build

# Later stages may exceed an earlier optimum by this much (absolute + relative), so that
# round-off in HiGHS's solution never makes the next stage infeasible.
STAGE_TOLERANCE = 1e-9

# Pyomo warns of HiGHS's interrupt status as "unhandled"; we handle it (_status)
logging.getLogger("pyomo.contrib.solver.solvers.highs").addFilter(
    lambda record: "kInterrupt" not in record.getMessage())

# a portfolio's flows with its start decisions held: an LP that takes seconds at size L
FIXED_ROUND_SECONDS = 600

# set by Ctrl-C during a solve (stop_on_ctrl_c); every stage's Deadline then stops HiGHS
_ctrl_c = threading.Event()

_INFEASIBLE = (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded)
_threads_in_use: list[int | None] = [None]


class PlanInfeasible(Exception):
    """The hard requirements cannot all hold; ``explanation`` says which and what would relax."""

    def __init__(self, explanation):
        self.explanation = explanation
        super().__init__(str(explanation))


class NoPortfolio(Exception):
    """The solver stopped (time limit, interrupt) before it found any portfolio."""


@dataclass
class StageResult:
    name: str  # unmet, dependence, cost
    status: str  # optimal, time_limit, interrupted, ...
    value: float
    bound: float | None
    gap: float
    seconds: float
    nodes: int | None = None
    iterations: int | None = None


@dataclass
class Solution:
    instance: Instance
    objective: str
    status: str  # optimal, feasible (not proven optimal)
    portfolio: dict[str, str | None]  # project -> start period, None = not built
    flows: dict[tuple[str, str], float]  # (route, period) -> Mt/yr
    unmet: dict[tuple[str, str], float]  # (flow, period) -> Mt/yr
    stages: list[StageResult] = field(default_factory=list)
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    size: dict[str, int] = field(default_factory=dict)
    log: str = ""
    handover_seconds: float = 0.0  # Pyomo -> HiGHS, once

    @property
    def gap(self) -> float:
        return max((s.gap for s in self.stages), default=0.0)


def relative_gap(value: float, bound: float | None) -> float:
    """|incumbent - bound| / |incumbent|, 0 when both are 0, inf without a bound."""
    if bound is None or value is None or math.isnan(bound):
        return math.inf
    if abs(value - bound) <= 1e-9:
        return 0.0
    return abs(value - bound) / max(abs(value), 1e-9)


def highs_solver(threads: int | None = None):
    """The in-memory HiGHS interface. HiGHS keeps one thread pool per process: changing the
    thread count after a first solve needs the pool reset, or the run fails silently."""
    if threads != _threads_in_use[0]:
        if _threads_in_use[0] is not None or threads is not None:
            highspy.Highs.resetGlobalScheduler(True)
        _threads_in_use[0] = threads
    return SolverFactory("highs")


def _status(opt, results) -> str:
    highs = getattr(opt, "_solver_model", None)
    if highs is not None and highs.getModelStatus() == getattr(
            highspy.HighsModelStatus, "kInterrupt", None):
        return "interrupted"  # Ctrl-C: Pyomo reports it only as "unknown"
    term = results.termination_condition
    if term == TerminationCondition.convergenceCriteriaSatisfied:
        return "optimal"
    if term in _INFEASIBLE:
        return "infeasible"
    return {TerminationCondition.maxTimeLimit: "time_limit",
            TerminationCondition.interrupted: "interrupted",
            TerminationCondition.iterationLimit: "iteration_limit"}.get(term, term.name)


def model_size(m, opt) -> dict[str, int]:
    """Rows, columns, nonzeros and binaries of the matrix HiGHS holds (before its presolve,
    with the stage bounds)."""
    highs = opt._solver_model
    size = {"rows": highs.getNumRow(), "columns": highs.getNumCol(),
            "nonzeros": highs.getNumNz(), "binaries": len(m.PT)}
    if getattr(m, "closure_pairs", None) is not None:  # copied / left out by generation
        size.update(closure_pairs=len(m.closure_pairs), waiting_pairs=len(m.waiting_pairs))
    return size


def starting_portfolio(opt, m, portfolio: dict[tuple[str, str], float]) -> None:
    """Hand HiGHS a MIP start: start decisions only; HiGHS completes the flows with an LP.

    Uses the persistent interface's column map (Pyomo has no public warm start for HiGHS);
    if that ever changes, the solve simply runs without a start.
    """
    try:
        columns = opt._pyomo_var_to_solver_var_map
        index = [columns[id(m.x[key])] for key in portfolio]
        opt._solver_model.setSolution(len(index), np.array(index, dtype=np.int32),
                                      np.array(list(portfolio.values()), dtype=np.float64))
    except (AttributeError, KeyError):  # pragma: no cover - a Pyomo internals change
        pass


def build_nothing(m) -> dict[tuple[str, str], float]:
    """Committed projects only: feasible whenever the plan is, so stage 1 always has a
    portfolio to improve on, whatever the time limit."""
    inst = m.inst
    return {(p, t): 1.0 if inst.projects[p].status == "committed" else 0.0 for p, t in m.PT}


# Measured on the M benchmark network (500 projects, ~27,000 rows), 120 s per stage: with
# interior-point LPs in branch and bound, the dependence stage ended with a better portfolio and
# a smaller gap (worst_disruption: 0.01348 at 9.8% against 0.01381 at 14.8%;
# expected_disruption: 0.00342 at 12.9% against 0.00372 at 20.0%), while the cost stage got
# slower. Small models solve at the root either way.
IPM_FROM_ROWS = 20_000


# Measured on the M benchmark network: in the cost stage HiGHS's RENS sub-MIPs took most of the
# time at the root without finding what the rest of the search did not (max_share: cost stage
# 9.1-12.3 s -> 4.5-4.8 s over three runs each; worst_disruption 22.0 -> 16.6 s, same nodes;
# cost objective and the capex stage of a dependence cap unchanged), and never made it slower
# on three other seeds of M. In the dependence stage it was a coin flip across seeds (M
# worst_disruption 240 -> 113 s on seed 0, 10.0 -> 13.6 s on seed 2), so it stays there.
RENS_STAGES = ("unmet", "dependence", "capex")


def lp_solver_for(opt, stage: str) -> str:
    """HiGHS's LP solver inside branch and bound for a stage (set every stage: HiGHS keeps
    options between runs of one model)."""
    highs = getattr(opt, "_solver_model", None)
    large = highs is not None and highs.getNumRow() >= IPM_FROM_ROWS
    return "ipm" if stage == "dependence" and large else "choose"


class Deadline:
    """Stops a HiGHS run after ``seconds`` on the wall clock.

    HiGHS's own time limit cannot do it alone: branch and bound checks it against a clock that
    restarts with every run, while the LP that completes a MIP start checks it against the
    run clock, which adds up over the runs of one model (measured at L: the cost stage's start
    was dropped, "Timeout" in its presolve, after 380 s of earlier stages). So HiGHS gets room
    on both clocks, and a timer stops it through HiGHS's interrupt callbacks when the stage's
    time is up (or Ctrl-C was pressed: stop_on_ctrl_c).
    """

    _EVENTS = ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt")

    def __init__(self, opt, seconds: float):
        self.highs = getattr(opt, "_solver_model", None)
        self.seconds = seconds
        self.fired = False
        self._timer = None
        ahead = self.highs.getRunTime() if self.highs is not None else 0.0
        self.highs_limit = seconds + ahead if math.isfinite(seconds) else seconds

    def _interrupt(self, event) -> None:
        # state the flag at every check: HiGHS keeps it between checks and between runs, so
        # a flag set once would stop every later run of the model at its first check
        event.interrupt(self.fired or _ctrl_c.is_set())

    def _fire(self) -> None:
        self.fired = True

    def __enter__(self):
        if self.highs is None:
            return self
        for name in self._EVENTS:
            getattr(self.highs, name).subscribe(self._interrupt)
        if math.isfinite(self.seconds):
            self._timer = threading.Timer(max(self.seconds, 0.0), self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self.highs is None:
            return False
        if self._timer is not None:
            self._timer.cancel()
        for name in self._EVENTS:
            getattr(self.highs, name).unsubscribe(self._interrupt)
        # a run that ended on its own as the timer fired keeps its own status
        if self.fired and self.highs.getModelStatus() != getattr(
                highspy.HighsModelStatus, "kInterrupt", None):
            self.fired = False
        return False


def largest_coefficient(m, name: str) -> float:
    """The largest |coefficient| of a stage's objective (1 for a constant one), kept on the
    model: the stage's scale (objective_scale, keep_stage)."""
    cache = m.__dict__.setdefault("_largest_coefficient", {})
    if name not in cache:
        repn = generate_standard_repn(m.stage_objective[name].expr, quadratic=False)
        cache[name] = max((abs(c) for c in repn.linear_coefs), default=1.0) or 1.0
    return cache[name]


# Objectives whose largest coefficient is below this are scaled inside HiGHS: those of
# expected_disruption (weight / demand), never period weights (at least 0.01 for up to 100
# measured periods), whose solves then keep the paths measured before scaling existed.
SCALE_BELOW = 1e-2


def objective_scale(m, name: str) -> int:
    """HiGHS's user_objective_scale for a stage: the power of 2 that brings its largest cost
    coefficient to between 1 and 2 when it is small. expected_disruption's coefficients are
    weight / demand (2e-5 on a small test case): against HiGHS's absolute tolerances (1e-7)
    such an objective ended 0.3% above its optimum although a 1e-4 gap was asked for. HiGHS
    reports values unscaled."""
    largest = largest_coefficient(m, name)
    return -math.floor(math.log2(largest)) if largest < SCALE_BELOW else 0


def keep_stage(m, name: str, value: float):
    """stage objective <= value + tolerance. Where the objective's coefficients are small
    (SCALE_BELOW) the row is divided by the largest, so that HiGHS's absolute row tolerance
    (1e-7) is in the decisions' units (Mt/yr), not in shares of trade: unscaled, a later stage
    could spend that tolerance to drop a project the stage's optimum needs (measured on a small
    case: expected_disruption 2.0e-5, coefficients 2e-5)."""
    largest = largest_coefficient(m, name)
    scale = 1.0 / largest if largest < SCALE_BELOW else 1.0
    bound = value + STAGE_TOLERANCE * max(1.0, abs(value))
    keep = m.stage_objective[name].expr * scale <= bound * scale
    if keep is False:  # a constant objective above the value: only a dependence cap can ask
        raise PlanInfeasible(f"every portfolio has a {name} above {value:g}: raise that cap")
    return None if keep is True else pyo.Constraint(expr=keep)


def run_stage(opt, m, name: str, *, time_limit: float, mip_gap: float, threads: int | None,
              tee, start: dict | None = None, highs_options: dict | None = None,
              relaxation: bool = False) -> StageResult:
    """One stage: its objective active, the others not. ``relaxation`` solves the LP
    relaxation (start decisions between 0 and 1) instead."""
    for stage_name, obj in m.stage_objective.items():
        if obj is not None:
            obj.activate() if stage_name == name else obj.deactivate()
    if start is not None and len(m.PT):
        opt.update()  # push the new objective and bounds first: they would clear the start
        starting_portfolio(opt, m, start)
    # mip_abs_gap 0: HiGHS would otherwise also stop 1e-6 from its bound, which for a share
    # near 0.003 (expected_disruption at M) is a relative gap of 3e-4, not the one asked for
    options = {"mip_rel_gap": mip_gap, "mip_abs_gap": 0.0, "random_seed": 0,
               "solve_relaxation": relaxation,
               "mip_lp_solver": lp_solver_for(opt, name),
               "mip_heuristic_run_rens": name in RENS_STAGES,
               "user_objective_scale": objective_scale(m, name)}
    if threads:
        options["threads"] = threads
    options.update(highs_options or {})
    start = time.perf_counter()
    with Deadline(opt, time_limit) as deadline:
        results = opt.solve(m, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                            time_limit=deadline.highs_limit, solver_options=options, tee=tee)
    seconds = time.perf_counter() - start
    status = "time_limit" if deadline.fired else _status(opt, results)
    value = results.incumbent_objective
    has_solution = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    if has_solution:
        results.solution_loader.load_vars()
    gap = 0.0 if status == "optimal" else relative_gap(value, results.objective_bound)
    info = results.extra_info
    nodes = getattr(info, "mip_node_count", None)
    iterations = getattr(info, "simplex_iteration_count", None)
    if not has_solution and status not in ("infeasible", "interrupted"):
        status = "no_solution"
    return StageResult(name, status,
                       value if has_solution else math.nan, results.objective_bound, gap,
                       seconds, nodes, iterations)


def solve(inst: Instance, *, objective: str | None = None, time_limit: float | None = None,
          mip_gap: float | None = None, threads: int | None = None, log=None,
          explain: bool = True, highs_options: dict | None = None,
          max_dependence: float | None = None,
          exclude: tuple[frozenset[str], ...] = (),
          fixed: dict[str, str | None] | None = None,
          closure_generation: bool = True) -> Solution:
    """Solve the lexicographic stages and return the portfolio, its flows and solver figures.

    Raises PlanInfeasible (with an explanation) when the hard requirements conflict, and
    NoPortfolio when the solver stopped before it found one. ``highs_options`` are passed to
    HiGHS as they are (for measurements and tests).

    ``max_dependence`` turns the dependence measure into a constraint (epsilon constraint):
    the stages become unmet demand, least capex, cost. ``exclude`` lists project selections
    the portfolio must differ from (no-good cuts), for alternative portfolios. ``fixed``
    scores a given portfolio (project -> start period or None): only the flows are chosen,
    and a portfolio the instance does not allow raises PlanInfeasible.
    ``closure_generation=False`` builds every closure copy up front (planner/generation.py:
    the tests' reference).
    """
    objective = objective or inst.settings.objective
    time_limit = inst.settings.time_limit_s if time_limit is None else time_limit
    mip_gap = inst.settings.mip_gap if mip_gap is None else mip_gap
    stream = io.StringIO()
    tee = [stream] + ([log] if log is not None else [])

    start = time.perf_counter()
    m = build(inst, objective=objective, generate=closure_generation)
    if max_dependence is not None:
        dependence_cap(m, max_dependence)
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
    with stop_on_ctrl_c():
        stages = run_stages(inst, m, opt, time_limit=time_limit, mip_gap=mip_gap,
                             threads=threads, tee=tee, explain=explain,
                             highs_options=highs_options)
    solve_seconds = sum(s.seconds for s in stages)

    portfolio = chosen_starts(m)
    flows = {(r, t): _clean(m.f[r, t].value) for r, t in m.RT}
    unmet = {(k, t): _clean(m.u[k, t].value) for k, t in m.KT}
    proven = all(s.status == "optimal" for s in stages)
    return Solution(inst, objective, "optimal" if proven else "feasible", portfolio, flows, unmet,
                    stages, build_seconds, solve_seconds, model_size(m, opt), stream.getvalue(),
                    handover_seconds)


def _clean(value: float | None) -> float:
    """A flow as reported: solver round-off below 1e-7 Mt/yr (0.1 t/yr) is 0."""
    return value if value is not None and value > 1e-7 else 0.0


def dependence_cap(m, cap: float) -> None:
    """dependence <= cap, and the stages become: unmet demand, least capex, cost."""
    if m.stage_objective["dependence"] is None:
        raise ValueError("a dependence cap needs a dependence objective, not 'cost'")
    m.dependence_cap = keep_stage(m, "dependence", cap)
    m.stages = ["unmet", "capex", "cost"]


def different_selection(m, chosen: frozenset[str]) -> pyo.Constraint:
    """sum_{p in S} (1 - y_p) + sum_{p not in S} y_p >= 1, y_p = sum_t x[p,t]: the selection of
    projects differs from S in at least one project."""
    selected = {p: 0 for p in m.inst.projects}
    for p, t in m.PT:
        selected[p] = selected[p] + m.x[p, t]
    return pyo.Constraint(expr=sum((1 - selected[p]) if p in chosen else selected[p]
                                   for p in selected) >= 1)


@contextlib.contextmanager
def stop_on_ctrl_c():
    """Ctrl-C asks HiGHS to stop at its next check (the interrupt callbacks of each stage's
    Deadline), then raises KeyboardInterrupt once it has; without this the signal waits for
    the stage to end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def stop(signum, frame):
        pressed.append(signum)
        _ctrl_c.set()

    _ctrl_c.clear()
    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _ctrl_c.clear()
    if pressed:
        raise KeyboardInterrupt


def generate_closures(generation: ClosureGeneration, opt, m, name: str, stage: StageResult,
                      start: dict, *, time_limit: float, **options) -> StageResult:
    """Solve the stage again with the closure copies its portfolio violates until it violates
    none (planner/generation.py); one StageResult for all rounds, timed on the wall clock
    from the first round's start (scoring portfolios between rounds included).

    A round's portfolio always has a true dependence (the violated pairs counted), so a
    dependence stage stopped by the time limit reports that. A later stage must also keep the
    dependence found: stopped with a portfolio that may not, it falls back to its start."""
    began = time.perf_counter() - stage.seconds
    rounds = [stage]
    while not math.isnan(stage.value) and stage.status not in ("infeasible", "interrupted"):
        violated = generation.violated()
        if not violated:
            break
        generation.add(violated)
        left = time_limit - (time.perf_counter() - began)
        if left <= 0 or stage.status != "optimal":  # the time is up
            status = "time_limit" if stage.status == "optimal" else stage.status
            if name == "dependence":
                stage = replace(stage, value=generation.dependence(violated), status=status)
            else:
                stage = replace(fixed_round(opt, m, name, start, **options), status=status,
                                bound=stage.bound)
            rounds.append(replace(stage, nodes=None, iterations=None))
            break
        current = {key: round(m.x[key].value or 0.0) for key in m.PT}
        stage = run_stage(opt, m, name, time_limit=left, **options,
                          start=current if name == "dependence" else start)
        rounds.append(stage)
    last = rounds[-1]
    return replace(last, seconds=time.perf_counter() - began,
                   nodes=_total(r.nodes for r in rounds),
                   iterations=_total(r.iterations for r in rounds),
                   gap=0.0 if last.status == "optimal" else relative_gap(last.value, last.bound))


def fixed_round(opt, m, name: str, portfolio: dict, **options) -> StageResult:
    """The stage solved with the start decisions held at ``portfolio`` (an LP)."""
    free = [key for key in m.PT if not m.x[key].fixed]
    for key in free:
        m.x[key].fix(portfolio[key])
    try:
        return run_stage(opt, m, name, time_limit=FIXED_ROUND_SECONDS, **options)
    finally:
        for key in free:
            m.x[key].unfix()


def _total(values) -> int | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def unmet_relaxation(opt, m, *, time_limit: float, **options) -> StageResult | None:
    """The unmet-demand stage's LP relaxation, which bounds unmet demand from below; None
    where the shortcut of run_stages does not apply (under a dependence cap closure
    generation runs from the unmet stage on)."""
    if hasattr(m, "dependence_cap") or m.stages[:1] != ["unmet"] or len(m.stages) < 2:
        return None
    return run_stage(opt, m, "unmet", time_limit=time_limit, relaxation=True, **options)


def run_stages(inst, m, opt, *, time_limit, mip_gap, threads, tee, explain, highs_options,
               unmet_shortcut: bool = True, spent: float = 0.0):
    """The stages in order, each bounded by the ones before.

    The unmet-demand stage runs no branch and bound when its LP relaxation already meets all
    demand (the usual case): its optimum is then 0 as soon as any portfolio meets all demand,
    so the row ``unmet demand <= 0`` goes in and the next stage finds that portfolio itself
    (measured at M: the relaxation takes 0.05 s, the stage's branch and bound 0.7-1.5 s).
    If that stage finds none, the unmet stage runs in full and the next stage again.
    ``spent``: seconds of such a first attempt, counted in the unmet stage's time."""
    options = dict(mip_gap=mip_gap, threads=threads, tee=tee, highs_options=highs_options)
    relaxed = unmet_relaxation(opt, m, time_limit=time_limit, **options) \
        if unmet_shortcut else None
    shortcut = None
    if relaxed is not None:
        if relaxed.status == "optimal" and relaxed.value <= STAGE_TOLERANCE:
            keep = keep_stage(m, "unmet", 0.0)
            if keep is not None:  # None: no demand at all
                m.keep_unmet = keep
            shortcut = replace(relaxed, value=0.0, bound=0.0, gap=0.0, nodes=0)
        else:
            spent += relaxed.seconds
    stages: list[StageResult] = []
    # no start after the shortcut: building nothing may leave demand unmet, and HiGHS would
    # spend an LP on a start it then drops
    portfolio = None if shortcut else build_nothing(m)
    generation = ClosureGeneration(m, inst) if getattr(m, "waiting_pairs", None) else None
    for name in m.stages:
        if name == "unmet" and shortcut is not None:
            continue
        stage = run_stage(opt, m, name, time_limit=time_limit, start=portfolio, **options)
        # unmet demand needs no closure copy, unless a dependence cap constrains the portfolio
        if generation is not None and (name != "unmet" or hasattr(m, "dependence_cap")):
            stage = generate_closures(generation, opt, m, name, stage, portfolio,
                                      time_limit=time_limit, **options)
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
                                  unmet_shortcut=False, spent=spent + shortcut.seconds
                                  + stage.seconds, **options)
            stages.append(shortcut)
        stages.append(stage)
        if stage.status == "infeasible":
            if explain:
                from planner.explain import explain_infeasible
                raise PlanInfeasible(explain_infeasible(inst))
            raise PlanInfeasible("the hard requirements cannot all hold")
        if math.isnan(stage.value):
            if len(stages) == 1:
                raise NoPortfolio(f"HiGHS stopped ({stage.status}) after {stage.seconds:.0f} s "
                                  "before it found any portfolio: raise --time-limit")
            # a later stage found nothing in time: the variables still hold the previous
            # stage's solution, which is what we report
            break
        portfolio = {key: round(m.x[key].value or 0.0) for key in m.PT}
        keep = keep_stage(m, name, stage.value)
        if keep is not None:  # a stage whose value no decision changes needs none
            m.add_component(f"keep_{name}", keep)
    return stages
