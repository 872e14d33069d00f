"""worst_disruption at its floor: when the least dependence any plan allows can be reached,
the dependence stage is a search for one portfolio, not a proof.

Every portfolio has w_t >= floor_t / D_t (closures.screen: floor_t is what the worst closure
strands even with every project built), so the stage's bound is

    F = sum_t omega_t floor_t / D_t,

and a portfolio with w_t <= floor_t / D_t + gap F in every measured period has a dependence
within the gap asked for of that bound: optimal. With those upper bounds on w the stage asks
only for a feasible portfolio, so it is run with the next stage's objective as a guide and
stopped at the first portfolio HiGHS finds (mip_max_improving_sols 1), with closure
generation's rounds as usual (their cuts and copies are rows of the full model, so they stay).
Where no portfolio reaches the floor HiGHS says so (the bounds and cuts leave nothing), or the
probe's share of the stage's time runs out, and the stage is run as before. Where the
optimum is the floor, the probe finds it in a few rounds where the stage with its objective
can stop at its time limit above it; where it is not, the probe is proven infeasible fast.
"""

from __future__ import annotations

import math
import time

import pyomo.environ as pyo

from planner.solve.state import state_of
from planner.solve.highs import relative_gap, run_stage
from planner.model.projects import chosen_starts
from planner.solve.solution import StageResult

# the share of the dependence stage's time the probe may take before the stage runs as usual
SHARE = 0.25


def applies(m) -> bool:
    """A worst_disruption stage with a screened floor and no dependence cap."""
    return m.component("w") is not None and bool(getattr(m, "worst_floor", None)) \
        and m.component("dependence_cap") is None and "dependence" in state_of(m).stages


def floor_bound(m) -> float:
    """F = sum_t omega_t floor_t / D_t: the w_t's lower bounds weighted as the objective."""
    return sum(w * m.w[t].lb for t, w in m.inst.period_weights.items())


def reach_floor(m, opt, generation, *, time_limit: float, mip_gap: float, threads, tee,
                highs_options) -> tuple[StageResult | None, float]:
    """The dependence stage's result when a portfolio at the floor is found (see the module
    docstring), else None; and the seconds spent."""
    began = time.perf_counter()
    stages = state_of(m).stages
    following = stages[stages.index("dependence") + 1:] or ["dependence"]
    bound = floor_bound(m)
    upper = {t: m.w[t].ub for t in m.w}
    for t in m.w:
        m.w[t].setub(min(upper[t], m.w[t].lb + mip_gap * bound))
    options = dict(mip_gap=mip_gap, threads=threads, tee=tee,
                   highs_options={**(highs_options or {}), "mip_max_improving_sols": 1})
    nodes = iterations = 0
    try:
        while True:
            left = time_limit - (time.perf_counter() - began)
            if left <= 0:
                return None, time.perf_counter() - began
            run = run_stage(opt, m, following[0], time_limit=left, **options)
            nodes += run.nodes or 0
            iterations += run.iterations or 0
            if run.status == "interrupted":
                raise KeyboardInterrupt
            if math.isnan(run.value) or run.status == "infeasible":
                return None, time.perf_counter() - began
            # a waiting pair is held to the bound, not to where the guide left w_t
            for t in m.w:
                m.w[t].set_value(m.w[t].ub, skip_validation=True)
            violated = generation.violated() if generation is not None else {}
            if not violated:
                break
            generation.add(violated)
    finally:
        for t, v in upper.items():
            m.w[t].setub(v)
    value = exact_worst(m)
    seconds = time.perf_counter() - began
    gap = relative_gap(value, bound)
    if gap > mip_gap * (1 + 1e-9):
        return None, seconds  # the closure LPs' tolerance took it past the gap: run the stage
    return StageResult("dependence", "optimal", value, bound, gap, seconds, nodes,
                       iterations), seconds


def exact_worst(m) -> float:
    """w_t set to the portfolio's exact worst share, every (period, closure) pair scored by
    the closure LPs (the probe's objective put no pressure on w or on a copy's stranded
    amount); the weighted sum, which the stage reports and the next stages keep."""
    inst = m.inst
    stranded = state_of(m).closure_lp(chosen_starts(m))
    for t in m.w:
        worst = max((v for (s, _), v in stranded.items() if s == t), default=0.0)
        m.w[t].set_value(max(m.w[t].lb, worst / inst.total_demand[t]), skip_validation=True)
    return pyo.value(m.dependence.expr)
