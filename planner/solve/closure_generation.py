"""Closure generation: a worst_disruption model gets the closure copies its portfolios need.

w_t must be at least the stranded share of every (period, closure) pair, but at the optimum few
pairs bind (5 of 120 on the M benchmark network). The model starts with the pairs most likely to
(closures.first_pairs); after each solve, the portfolio found is scored on every waiting pair by
the closure LPs, and each pair where it strands more than w_t D_t is bounded as the closure
policy says (closure_cuts.POLICIES): the first time by a cut at that portfolio
(planner/solve/closure_cuts.py: a supporting hyperplane of the convex stranded amount, one
row), after that by its copy, which retires the pair's cuts. The stage is solved again, and
ends when no waiting pair is violated. The model with cuts and fewer copies is a relaxation of
the full one, and its portfolio then satisfies every row of the full one: so the result is the
full model's, in a fraction of its size.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pyomo.environ as pyo

from planner.solve.closure_cuts import POLICIES, retire_cuts, supporting
from planner.solve.highs import relative_gap, run_stage
from planner.inputs.instance import Instance
from planner.model import closures, objectives
from planner.model.projects import chosen_starts, start_decisions
from planner.solve.solution import StageResult
from planner.solve.state import state_of
from planner.solve.closure_lp import StrandedLP, built_capacity
from planner.tolerances import CUT_TOLERANCE_MT, VIOLATED



class ClosureGeneration:
    def __init__(self, m, inst: Instance):
        self.m, self.inst = m, inst
        state = state_of(m)
        self.lp = state.closure_lp  # the screening's, when there was one
        if self.lp is None:
            periods = tuple(sorted({t for t, _ in m.waiting_pairs}, key=inst.period_index.get))
            self.lp = StrandedLP(inst, tuple(m.closure_list.values()), periods,
                                 pairs=m.waiting_pairs)
        # kept with the model, as its cuts are (a new ClosureGeneration after the unmet
        # shortcut)
        self.cut_count: dict[tuple[str, str], int] = state.cut_count  # pair -> cuts made
        self.cut_rows = state.cut_rows  # pair -> the keys of its rows in m.worst_cuts
        self.scored: dict[tuple[str, str], float] = {}  # the last portfolio, waiting pairs
        if m.component("worst_cuts") is None:
            m.worst_cuts = pyo.Constraint(pyo.Any)

    def violated(self) -> dict[tuple[str, str], float]:
        """Waiting pairs where the model's current portfolio strands more than w_t D_t:
        (period, closure) -> Mt/yr stranded."""
        m, inst = self.m, self.inst
        if not m.waiting_pairs:
            return {}
        # only the waiting pairs: a copied pair is bounded exactly by its copy, a screened
        # one can never be the worst (at L a fifth of the LPs, each round)
        self.scored = self.lp(chosen_starts(m), pairs=m.waiting_pairs)
        return {(t, d): v for (t, d), v in self.scored.items()
                if v > (m.w[t].value or 0.0) * inst.total_demand[t]
                + max(CUT_TOLERANCE_MT, VIOLATED * inst.total_demand[t])}

    def add(self, pairs) -> None:
        """Bound w_t by the violated pairs, as the worst_disruption policy says
        (closure_cuts.POLICIES, ClosurePolicy.copies): a pair not yet due its copy by a cut at
        the portfolio, w_t D_t >= stranded + sum_s slope_s (c[s,t] - c_s)
        (planner/solve/closure_cuts.py: a supporting hyperplane of the convex stranded
        amount), which keeps the pair waiting, so it is scored again every round; otherwise by
        its copy (exact), its cut rows retired where the policy says so."""
        m, inst = self.m, self.inst
        policy = POLICIES["worst_disruption"]
        copies = [pair for pair in pairs if policy.copies(self.cut_count.get(pair, 0))]
        if copies:
            closures.add_pairs(m, inst, copies)
            objectives.bound_worst(m, inst, copies)
            for pair in copies if policy.retire_cuts else ():
                retire_cuts(m, m.worst_cuts, self.cut_rows.pop(pair, ()))
        first = [pair for pair in pairs if pair not in copies]
        if first:
            vec = self.lp.vector(built_capacity(inst, chosen_starts(m)))
            for pair, support in self.lp.supports(vec, first).items():
                t = pair[0]
                key = (pair, self.cut_count.get(pair, 0))
                m.worst_cuts[key] = \
                    m.w[t] * inst.total_demand[t] >= supporting(m, self.lp.position, *support, vec)
                self.cut_rows.setdefault(pair, []).append(key)
                self.cut_count[pair] = self.cut_count.get(pair, 0) + 1

    def settle(self) -> float:
        """w_t raised to the largest share that the portfolio last scored strands on a waiting
        pair (a cut holds w_t to within its loosening, the tolerance lets a pair exceed w_t
        by 1e-6 D_t): the model then holds the portfolio's exact worst_disruption, which is
        returned, reported and kept by the later stages."""
        m, inst = self.m, self.inst
        for (t, _), v in self.scored.items():
            if t in m.w and v / inst.total_demand[t] > (m.w[t].value or 0.0):
                m.w[t].set_value(v / inst.total_demand[t], skip_validation=True)
        return pyo.value(m.dependence.expr)

    def dependence(self, violated: dict[tuple[str, str], float]) -> float:
        """The current portfolio's worst_disruption over every pair, the violated included."""
        m, inst = self.m, self.inst
        weights = inst.period_weights
        worst = {t: m.w[t].value or 0.0 for t in weights}
        for (t, _), v in violated.items():
            worst[t] = max(worst[t], v / inst.total_demand[t])
        return sum(w * worst[t] for t, w in weights.items())


class Snapshot:
    """The start decisions, flows and unmet demand of a full-model solution, to fall back on
    when a later stage stops with a portfolio that may break the earlier stages' rows."""

    def __init__(self, m):
        self.values = [(var, var.value) for comp in (m.x, m.f, m.u) for var in comp.values()]

    def restore(self) -> None:
        for var, value in self.values:
            if not var.fixed:
                var.set_value(value, skip_validation=True)


def generate_closures(generation: ClosureGeneration, opt, m, name: str, stage: StageResult,
                      start: dict | None, fallback: Snapshot | None, *, time_limit: float,
                      **options) -> StageResult:
    """Solve the stage again with the closure copies its portfolio violates until it violates
    none (see the module docstring); one StageResult for all rounds, timed on the wall clock
    from the first round's start (scoring portfolios between rounds included), all within the
    stage's ``time_limit``.

    A round's portfolio always has a true dependence (the violated pairs counted), so a
    dependence stage stopped by the time limit reports that. A later stage must also keep the
    dependence found: stopped with a portfolio that may not, it falls back to ``fallback``, the
    earlier stage's solution (no solve needed), or reports no portfolio if there is none."""
    began = time.perf_counter() - stage.seconds
    rounds = [stage]
    while not math.isnan(stage.value) and stage.status not in ("infeasible", "interrupted"):
        violated = generation.violated()
        if not violated:
            if name == "dependence":
                stage = replace(stage, value=generation.settle())
                rounds[-1] = stage
            break
        generation.add(violated)
        left = time_limit - (time.perf_counter() - began)
        if left <= 0 or stage.status != "optimal":  # the time is up
            status = "time_limit" if stage.status == "optimal" else stage.status
            if name == "dependence":
                stage = replace(stage, value=generation.dependence(violated), status=status)
            elif fallback is not None:
                fallback.restore()
                stage = replace(stage, value=pyo.value(m.stage_objective[name]), status=status)
            else:  # a first stage under a dependence cap: nothing proven to fall back on
                stage = replace(stage, value=math.nan, status=status)
            rounds.append(replace(stage, nodes=None, iterations=None))
            break
        # the last round's portfolio is still feasible in a dependence stage (w may rise),
        # and a later stage keeps an earlier one's
        stage = run_stage(opt, m, name, time_limit=left, **options,
                          start=start_decisions(m) if name == "dependence" else start,
                          feasible=name == "dependence" or (start is not None and name != "unmet"))
        rounds.append(stage)
    last = rounds[-1]
    return replace(last, seconds=time.perf_counter() - began,
                   nodes=_total(r.nodes for r in rounds),
                   iterations=_total(r.iterations for r in rounds),
                   gap=last.gap if len(rounds) == 1 or last.status == "optimal"
                   else relative_gap(last.value, last.bound))


def _total(values) -> int | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None
