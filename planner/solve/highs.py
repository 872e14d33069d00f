"""HiGHS plumbing, below everything that solves: the solver object and its thread pool, one
HiGHS run of one stage objective (options, MIP start, status, gap), the Deadline that stops a
run on the wall clock, Ctrl-C, and a silent HiGHS for the closure LPs.

Pyomo's persistent HiGHS interface has no public way to reach the highspy object it drives
or its column map; both are private attributes, reached here only (PYOMO_PRIVATE), and
``check_pyomo_private`` fails loudly when a Pyomo upgrade removes one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import time
from dataclasses import replace

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.repn import generate_standard_repn

from planner import interrupt
from planner.tolerances import SCALE_BELOW
from planner.solve.solution import StageResult
from planner.solve.state import state_of

# Pyomo warns of HiGHS's interrupt status as "unhandled"; we handle it (run_status)
logging.getLogger("pyomo.contrib.solver.solvers.highs").addFilter(
    lambda record: "kInterrupt" not in record.getMessage())

# the private attributes of Pyomo's persistent HiGHS interface this module relies on
PYOMO_PRIVATE = ("_solver_model", "_pyomo_var_to_solver_var_map")

# set by Ctrl-C during a solve (stop_on_ctrl_c); every run's Deadline then stops HiGHS
_ctrl_c = threading.Event()

_INFEASIBLE = (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded)
_threads_in_use: list[int | None] = [None]
_KINTERRUPT = getattr(highspy.HighsModelStatus, "kInterrupt", None)


class PyomoChanged(RuntimeError):
    """A private attribute of Pyomo's HiGHS interface that this code relies on is gone."""


def check_pyomo_private(opt) -> None:
    """Raise PyomoChanged unless ``opt`` (after set_instance) has every attribute of
    PYOMO_PRIVATE."""
    missing = [name for name in PYOMO_PRIVATE if not hasattr(opt, name)]
    if missing:
        raise PyomoChanged("Pyomo's HiGHS interface no longer has " + ", ".join(missing)
                           + ": planner/solve/highs.py needs updating for this Pyomo version")


def highs_of(opt) -> highspy.Highs | None:
    """The highspy object behind a persistent interface (None before set_instance)."""
    return getattr(opt, "_solver_model", None)


def column_map(opt) -> dict[int, int]:
    """id(Pyomo variable) -> HiGHS column index."""
    check_pyomo_private(opt)
    return opt._pyomo_var_to_solver_var_map


def columns_of(opt, variables) -> np.ndarray:
    """HiGHS column indices of Pyomo variables."""
    columns = column_map(opt)
    return np.array([columns[id(v)] for v in variables], dtype=np.int32)


def highs_solver(threads: int | None = None):
    """The in-memory HiGHS interface. HiGHS keeps one thread pool per process: changing the
    thread count after a first solve needs the pool reset, or the run fails silently."""
    if threads != _threads_in_use[0]:
        if _threads_in_use[0] is not None or threads is not None:
            highspy.Highs.resetGlobalScheduler(True)
        _threads_in_use[0] = threads
    return SolverFactory("highs")


def quiet_highs() -> highspy.Highs:
    """A HiGHS object that prints nothing: the first one of a process prints a banner straight
    to the terminal's file descriptor unless that is captured. Later ones print nothing, so
    only the first is captured (a capture costs time, and the analysis makes hundreds)."""
    if _banner_shown[0]:
        highs = highspy.Highs()
    else:
        with capture_output(capture_fd=True):
            highs = highspy.Highs()
        _banner_shown[0] = True
    highs.setOptionValue("output_flag", False)
    return highs


class ArrayRows:
    """LpRows as arrays: bounds, and (row, column, value) entries, already made."""

    def __init__(self, lower: np.ndarray, upper: np.ndarray, entries: tuple):
        self.lower, self.upper, self.entries = lower, upper, entries

    def __len__(self) -> int:
        return len(self.lower)


class LpRows:
    """The rows of an LP built straight into HiGHS: bounds, and (row, column, value) entries."""

    def __init__(self):
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.entries: tuple[list[int], list[int], list[float]] = ([], [], [])

    def __len__(self) -> int:
        return len(self.lower)

    def add(self, lower: float, upper: float, terms) -> int:
        """lower <= sum of value x column over ``terms`` (column, value) <= upper; its index."""
        i = len(self.lower)
        self.lower.append(lower), self.upper.append(upper)
        for j, v in terms:
            self.entries[0].append(i), self.entries[1].append(j), self.entries[2].append(v)
        return i

    def add_columns(self, lower: float, upper: float, columns: list[int], values) -> int:
        """add() with the terms as two lists, columns and values (a number: the same for
        every column): the same row, without a Python step per entry (the closure LPs at L
        add 700,000 rows)."""
        i = len(self.lower)
        self.lower.append(lower), self.upper.append(upper)
        self.entries[0].extend([i] * len(columns))
        self.entries[1].extend(columns)
        self.entries[2].extend([values] * len(columns) if isinstance(values, float)
                               else values)
        return i


def lp_from_arrays(cost, lower, upper, rows: LpRows, *, presolve: bool = True
                   ) -> highspy.Highs:
    """A quiet HiGHS holding the LP min cost x, lower <= x <= upper, the ``rows`` (stored
    column-wise). ``presolve=False`` for an LP re-solved from its last basis after each change
    of bounds, where presolve only costs time."""
    n = len(upper)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(rows)
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    lp.row_lower_, lp.row_upper_ = np.array(rows.lower), np.array(rows.upper)
    index, cols = np.array(rows.entries[0]), np.array(rows.entries[1], dtype=np.int64)
    order = np.argsort(cols, kind="stable")
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=n))))
    lp.a_matrix_.index_ = index[order]
    lp.a_matrix_.value_ = np.array(rows.entries[2])[order]
    highs = quiet_highs()
    if not presolve:
        highs.setOptionValue("presolve", "off")
    highs.passModel(lp)
    return highs


_banner_shown = [False]  # a HiGHS object made by quiet_highs: the banner is out of the way


def run_status(opt, results) -> str:
    """optimal, infeasible, time_limit, interrupted, iteration_limit, or Pyomo's name."""
    highs = highs_of(opt)
    if highs is not None and highs.getModelStatus() == _KINTERRUPT:
        return "interrupted"  # Ctrl-C: Pyomo reports it only as "unknown"
    term = results.termination_condition
    if term == TerminationCondition.convergenceCriteriaSatisfied:
        return "optimal"
    if term in _INFEASIBLE:
        return "infeasible"
    return {TerminationCondition.maxTimeLimit: "time_limit",
            TerminationCondition.interrupted: "interrupted",
            TerminationCondition.iterationLimit: "iteration_limit"}.get(term, term.name)


def relative_gap(value: float, bound: float | None) -> float:
    """|incumbent - bound| / |incumbent|, 0 when both are 0, inf without a bound."""
    if bound is None or value is None or math.isnan(bound) or math.isnan(value):
        return math.inf
    if abs(value - bound) <= 1e-9:
        return 0.0
    return abs(value - bound) / max(abs(value), 1e-9)


def model_size(m, opt) -> dict[str, int]:
    """Rows, columns, nonzeros and binaries of the matrix HiGHS holds (before its presolve,
    with the stage bounds)."""
    highs = highs_of(opt)
    size = {"rows": highs.getNumRow(), "columns": highs.getNumCol(),
            "nonzeros": highs.getNumNz(), "binaries": len(m.PT)}
    if getattr(m, "closure_pairs", None) is not None:  # copied / left out by generation
        size.update(closure_pairs=len(m.closure_pairs), waiting_pairs=len(m.waiting_pairs))
    if m.component("worst_cuts") is not None:  # cuts on waiting pairs (planner/solve/closure_generation.py)
        size.update(closure_cuts=len(m.worst_cuts))
    if getattr(m, "estimated_pairs", None) is not None:  # cut instead (planner/solve/closure_cuts.py)
        size.update(estimated_pairs=len(m.estimated_pairs), closure_cuts=len(m.closure_cuts))
    return size


def starting_portfolio(opt, m, portfolio: dict[tuple[str, str], float]) -> None:
    """Hand HiGHS a MIP start: start decisions only; HiGHS completes the flows with an LP. A
    fixed start decision (a portfolio scored with its starts held) starts at its value: any
    other is infeasible, and HiGHS says so on the terminal."""
    index = columns_of(opt, [m.x[key] for key in portfolio])
    values = [m.x[key].value if m.x[key].fixed else v for key, v in portfolio.items()]
    highs_of(opt).setSolution(len(index), index, np.array(values, dtype=np.float64))


# A MIP start is handed to HiGHS only below this many rows: HiGHS completes a start (the start
# decisions alone) by an LP of the whole model with them fixed, which neither the Deadline's
# interrupt nor HiGHS's own limit stops; on a model this large (expected_disruption at L, once
# many closures are copied) that LP alone outruns the stage's limit (docs/solving.md). The M
# networks (to 12,000 rows) and L under worst_disruption (21,000 rows) keep their starts.
START_MOST_ROWS = 100_000

# From this many rows the dependence stage uses interior-point LPs in branch and bound: on
# large networks it ends with a better portfolio and a smaller gap within its time, while the
# cost stage does not gain (docs/solving.md, HiGHS settings). Small models solve at the root either way.
IPM_FROM_ROWS = 20_000

# The stages that keep HiGHS's RENS sub-MIPs: in the cost stage they take most of the time at
# the root without finding what the rest of the search does not, so it runs without them; in
# the dependence stage they help as often as not on the M family, so they stay there, but not
# where that stage's LPs are interior-point ones (rens_for; docs/performance.md).
RENS_STAGES = ("unmet", "dependence", "capex")


def largest_coefficient(m, name: str) -> float:
    """The largest |coefficient| of a stage's objective (1 for a constant one), kept in the
    solve's state: the stage's scale (objective_scale, stages.keep_row)."""
    cache = state_of(m).largest_coefficient
    if name not in cache:
        repn = generate_standard_repn(m.stage_objective[name].expr, quadratic=False)
        cache[name] = max((abs(c) for c in repn.linear_coefs), default=1.0) or 1.0
    return cache[name]


def lp_solver_for(opt, stage: str) -> str:
    """HiGHS's LP solver inside branch and bound for a stage (set every stage: HiGHS keeps
    options between runs of one model)."""
    highs = highs_of(opt)
    large = highs is not None and highs.getNumRow() >= IPM_FROM_ROWS
    return "ipm" if stage == "dependence" and large else "choose"


def rens_for(opt, stage: str) -> bool:
    """HiGHS's RENS sub-MIPs for a stage (set every stage, as lp_solver_for): on in
    RENS_STAGES, but for a dependence stage of IPM_FROM_ROWS rows or more. On the L network
    RENS took 34 s of that stage's 138 s at the root and found no portfolio; without it the
    search was the same, node for node (docs/performance.md)."""
    return stage in RENS_STAGES and lp_solver_for(opt, stage) != "ipm"


def objective_scale(m, name: str) -> int:
    """HiGHS's user_objective_scale for a stage: the power of 2 that brings its largest cost
    coefficient to between 1 and 2 when it is small. expected_disruption's coefficients are
    weight / demand (2e-5 on a small test case): against HiGHS's absolute tolerances (1e-7)
    such an objective ended 0.3% above its optimum although a 1e-4 gap was asked for. HiGHS
    reports values unscaled."""
    largest = largest_coefficient(m, name)
    return -math.floor(math.log2(largest)) if largest < SCALE_BELOW else 0


class Deadline:
    """Stops a HiGHS run after ``seconds`` on the wall clock.

    HiGHS's own time limit cannot do it alone: branch and bound checks it against a clock that
    restarts with every run, while the LP that completes a MIP start checks it against the
    run clock, which adds up over the runs of one model (a late stage's start would be dropped,
    "Timeout" in its presolve, after the earlier stages' time). So HiGHS gets room
    on both clocks, and a timer stops it through HiGHS's interrupt callbacks when the run's
    time is up (or Ctrl-C was pressed: stop_on_ctrl_c).
    """

    _EVENTS = ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt")

    def __init__(self, highs: highspy.Highs | None, seconds: float):
        self.highs = highs
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
        if self.fired and self.highs.getModelStatus() != _KINTERRUPT:
            self.fired = False
        return False


def interrupted() -> bool:
    """Ctrl-C was pressed during the current stop_on_ctrl_c block."""
    return _ctrl_c.is_set()


@contextlib.contextmanager
def stop_on_ctrl_c():
    """Ctrl-C (and the command's other stop signals, planner.interrupt) asks HiGHS to stop at
    its next check (the interrupt callbacks of each run's Deadline), then raises
    KeyboardInterrupt once it has; without this the signal waits for the run to end. A signal
    the process ignores (a worker's Ctrl-C) or leaves at its default (a worker's SIGTERM, which
    ends it at once) is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def stop(signum, frame):
        if not pressed:
            interrupt.note(signum)
        pressed.append(signum)
        _ctrl_c.set()

    def taken(signum) -> bool:
        handler = signal.getsignal(signum)
        if signum == signal.SIGINT:
            return handler not in (signal.SIG_IGN, signal.SIG_DFL, None)
        return interrupt.is_ours(handler)

    _ctrl_c.clear()
    previous = {s: h for s, h in interrupt.handlers().items() if taken(s)}
    try:
        for s in previous:
            signal.signal(s, stop)
        yield
    finally:
        interrupt.restore(previous)
        _ctrl_c.clear()
    if pressed:
        raise KeyboardInterrupt


def run_stage(opt, m, name: str, *, time_limit: float, mip_gap: float, threads: int | None,
              tee, start: dict | None = None, highs_options: dict | None = None,
              relaxation: bool = False, feasible: bool = False) -> StageResult:
    """One HiGHS run of a stage: its objective active, the others not. ``relaxation`` solves
    the LP relaxation (start decisions between 0 and 1) instead. ``feasible``: the caller
    knows a solution (an earlier stage's), so "infeasible" is HiGHS's presolve misjudging a
    row held to its tolerance, and the run is repeated without presolve (seen with closure
    cuts on a small random instance: its doubleton and aggregator reductions called the cost
    stage infeasible, which the same model without them solves).

    The gap reported is HiGHS's own final relative gap (|value - bound| / |value|): a stage
    that HiGHS ends at the gap asked for is "optimal" with that gap, not proven to gap 0."""
    for stage_name, obj in m.stage_objective.items():
        if obj is not None:
            obj.activate() if stage_name == name else obj.deactivate()
    if start is not None and len(m.PT):
        opt.update()  # push the new objective and bounds first: they would clear the start
        if highs_of(opt).getNumRow() >= START_MOST_ROWS:
            start = None  # none handed over, so none to check HiGHS's answer against below
        else:
            starting_portfolio(opt, m, start)
    # mip_abs_gap 0: HiGHS would otherwise also stop 1e-6 from its bound, which for a share
    # near 0.003 (expected_disruption at M) is a relative gap of 3e-4, not the one asked for
    options = {"mip_rel_gap": mip_gap, "mip_abs_gap": 0.0, "random_seed": 0,
               "solve_relaxation": relaxation,
               "mip_lp_solver": lp_solver_for(opt, name),
               "mip_heuristic_run_rens": rens_for(opt, name),
               "user_objective_scale": objective_scale(m, name),
               # HiGHS keeps options between runs: a run without presolve (below), or one
               # stopped at its first solution (planner/solve/floor_probe.py), must not leave the later
               # stages so
               "presolve": "choose", "mip_max_improving_sols": highspy.kHighsIInf,
               # no restart of the search (presolve and the root again) when a portfolio
               # lets HiGHS fix many start decisions: each stage starts from the stage
               # before's portfolio, and the restarts re-solved roots that cost more than
               # the decisions they fixed (docs/performance.md, What was tried)
               "mip_allow_restart": False}
    if threads:
        options["threads"] = threads
    options.update(highs_options or {})
    began = time.perf_counter()
    with Deadline(highs_of(opt), time_limit) as deadline:
        results = opt.solve(m, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                            time_limit=deadline.highs_limit, solver_options=options, tee=tee)
    seconds = time.perf_counter() - began
    status = "time_limit" if deadline.fired else run_status(opt, results)
    value = results.incumbent_objective
    has_solution = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    if has_solution:
        results.solution_loader.load_vars()
    gap = final_gap(opt, value, results.objective_bound, status, has_solution)
    info = results.extra_info
    nodes = getattr(info, "mip_node_count", None)
    iterations = getattr(info, "simplex_iteration_count", None)
    if not has_solution and status not in ("infeasible", "interrupted"):
        status = "no_solution"
    if status == "infeasible" and feasible and (highs_options or {}).get("presolve") != "off":
        left = time_limit - (time.perf_counter() - began)
        again = run_stage(opt, m, name, time_limit=left, mip_gap=mip_gap, threads=threads,
                          tee=tee, start=start, relaxation=relaxation,
                          highs_options={**(highs_options or {}), "presolve": "off"})
        return replace(again, seconds=again.seconds + seconds)
    if status == "optimal" and start is not None and has_solution \
            and _start_returned(m, name, results.objective_bound, value, mip_gap):
        # HiGHS 1.16 can hand back the MIP start in place of the optimum it proved ("MIP
        # start solution is feasible in the reduced space"), called optimal: seen on a tiny
        # random instance (unmet demand 2 returned, 1 reported and reachable) and on
        # Kazakhstan under a dependence cap (columns 9% above HiGHS's own bound). Solved
        # again without the start (which HiGHS keeps until its solver data is cleared), it
        # returns the optimum.
        highs_of(opt).clearSolver()
        left = time_limit - (time.perf_counter() - began)
        again = run_stage(opt, m, name, time_limit=left, mip_gap=mip_gap, threads=threads,
                          tee=tee, highs_options=highs_options, relaxation=relaxation)
        return replace(again, seconds=again.seconds + seconds)
    return StageResult(name, status,
                       value if has_solution else math.nan, results.objective_bound, gap,
                       seconds, nodes, iterations)


def _start_returned(m, name: str, bound, value, mip_gap: float) -> bool:
    """The columns loaded score the stage objective above what HiGHS reported for them, or
    worse than HiGHS's own bound by more than the gap asked for."""
    loaded = pyo.value(m.stage_objective[name].expr, exception=False)
    if loaded is None:
        return False
    if value is not None and loaded > value + 1e-6 * max(1.0, abs(value)):
        return True
    return bound is not None and math.isfinite(bound) and \
        relative_gap(loaded, bound) > mip_gap + 1e-9


def final_gap(opt, value, bound, status: str, has_solution: bool) -> float:
    """HiGHS's final relative MIP gap where it reports one, else |value - bound| / |value|;
    an LP (no integer column) that ended optimal has gap 0."""
    if not has_solution:
        return math.inf
    highs = highs_of(opt)
    if highs is not None and status == "optimal" and highs.getNumCol() and \
            highs.getInfo().mip_node_count < 0:
        return 0.0  # an LP: no branch and bound, the optimum is exact
    gap = relative_gap(value, bound)
    if highs is not None:
        reported = highs.getInfo().mip_gap
        if math.isfinite(reported) and reported >= 0:
            gap = reported
    return 0.0 if gap < 1e-12 else gap
