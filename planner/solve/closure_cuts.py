"""Closure cuts: expected_disruption by outer approximation, without closure copies.

expected_disruption sums every (period, closure) pair's stranded amount, so every pair counts
and closure generation (planner/solve/closure_generation.py) cannot leave any out: at M the full model holds
106 copies (33,000 rows). But the stranded amount of a pair is the value of a max-flow LP whose
capacity bounds are the segment capacities c[s,t], and an LP's value is convex and piecewise
linear in its bounds: any optimal dual gives a supporting hyperplane

    stranded(c) >= stranded(c^j) + sum_s slope_s^j (c[s,t] - c_s^j)    (slope: the row duals)

valid for every capacity vector, the model's fractional ones included. So the model holds an
estimate eta[t,d] per pair in place of its copy (model.closures.estimates), and these cuts.
After each solve the portfolio is scored by the closure LPs (built once, in stranded.py), and
each pair whose estimate lies below what the portfolio strands gets the cut at that portfolio,
which its estimate must then meet. A stage ends when no pair is under-estimated beyond the
tolerance: the model with cuts is a relaxation of the full model and its portfolio is then
scored exactly, so the result is the full model's optimum. Before the first branch and bound
of the dependence stage, rounds on the LP relaxation add the cuts at fractional capacities
that its bound needs (Kelley's cutting planes), so branch and bound starts from a bound close
to that of the copies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.util import quicksum

from planner.solve.highs import run_stage
from planner.inputs.instance import Instance
from planner.model import closures
from planner.model.projects import chosen_starts
from planner.solve.closure_lp import StrandedLP, built_capacity
from planner.solve.state import state_of
from planner.tolerances import CUT_LOOSEN, CUT_TOLERANCE, CUT_TOLERANCE_MT

# the tolerances of a cut: planner/tolerances.py (CUT_TOLERANCE, CUT_TOLERANCE_MT, CUT_LOOSEN)
# rounds on the LP relaxation, at most, and the least relative rise of its bound that pays
# for another
RELAXATION_ROUNDS = 30
RELAXATION_RISE = 1e-4


@dataclass(frozen=True)
class ClosurePolicy:
    """How a (period, closure) pair that a portfolio violates is bounded: by a cut at that
    portfolio (one row) for its first ``copy_after`` violations, after that by its copy (exact,
    some 300 rows); None: by cuts alone, never copied. When the copy arrives the pair's cut
    rows leave the model (retire_cuts): the copy bounds the pair by the max-flow LP itself,
    at fractional capacities too, and every cut is a supporting hyperplane of that LP's
    value, so each cut is dominated; kept, they only add rows to the LPs of the stage and of
    every stage after it (though HiGHS's search can go either way: docs/performance.md)."""

    copy_after: int | None  # 0: copied at once; None: never
    retire_cuts: bool = True

    def copies(self, cuts: int) -> bool:
        """A pair that already has ``cuts`` cuts at portfolios gets its copy now."""
        return self.copy_after is not None and cuts >= self.copy_after


# Cut first, copy on the second violation, for both, as judged on the M family
# (docs/performance.md, What was tried). worst_disruption: copying at once halved the solve
# on one generated M network but stopped the dependence stage of another at its time limit;
# retiring a copied pair's cuts recovers most of what cut-first cost where it lost.
# expected_disruption: cuts alone were faster on five members of six, but slower on the
# slowest (its dependence stage took 6,914 nodes against 1,582).
POLICIES = {"worst_disruption": ClosurePolicy(copy_after=1),
            "expected_disruption": ClosurePolicy(copy_after=1)}


def retire_cuts(m, rows, keys) -> None:
    """Remove the cut rows ``keys`` of ``rows`` (an indexed Constraint) from the model; the
    persistent solver deletes them from HiGHS at its next update."""
    for key in keys:
        if key in rows:
            del rows[key]


def supporting(m, position, value, keys, slopes, vec):
    """stranded + sum_s slope_s (c[s,t] - c_s), loosened by CUT_LOOSEN: the right side of a cut
    made at capacities ``vec`` (``position``: a capacity key's place in it)."""
    constant = value - CUT_LOOSEN * max(1.0, value)
    terms = []
    for key, slope in zip(keys, slopes):
        if abs(slope) <= 1e-10 or key not in m.built_capacity:
            continue  # a capacity no decision moves: its term is 0
        constant -= slope * vec[position[key]]
        terms.append(slope * m.c[key])
    return constant + quicksum(terms)


class ClosureCuts:
    """The cut loop's scoring and rows, for generate_closures (planner/solve/closure_generation.py)."""

    def __init__(self, m, inst: Instance):
        self.m, self.inst = m, inst
        state = state_of(m)
        self.lp = state.closure_lp
        if self.lp is None:
            periods = tuple(sorted({t for t, _ in m.estimated_pairs},
                                   key=inst.period_index.get))
            self.lp = StrandedLP(inst, tuple(m.closure_list.values()), periods,
                                 pairs=m.estimated_pairs)
        # kept with the model: run_stages starts again with a new ClosureCuts after the unmet
        # shortcut fails, and the cuts already made stay in the model
        self.portfolio_cuts: dict[tuple[str, str], int] = state.cut_count  # pair -> cuts at
        # portfolios
        self.cut_rows = state.cut_rows  # pair -> the keys of its rows in m.closure_cuts
        self.keys = state.cut_keys
        if m.component("closure_copied") is None:
            m.closure_copied = pyo.Constraint(pyo.Any)  # eta[t,d] >= the copy's stranded
        self.scored: dict[tuple[str, str], float] = {}  # the last portfolio scored
        weights, pi = inst.period_weights, inst.closure_weights(tuple(m.closure_list.values()))
        self.weight = {(t, d): weights.get(t, 0.0) * pi[d] / inst.total_demand[t]
                       for t, d in m.estimated_pairs}

    def model_capacity(self) -> np.ndarray:
        """The model's current capacities (fractional after an LP), in the closure LPs' order."""
        m, inst = self.m, self.inst
        vec = self.lp.vector(built_capacity(inst, {}))
        for i, key in enumerate(self.lp.keys):
            if key in m.built_capacity and m.c[key].value is not None:
                # never below the existing capacity: an LP's round-off can put it a hair
                # under, and a bound below 0 leaves the closure LP infeasible
                vec[i] = max(vec[i], m.c[key].value)
        return vec

    def violated(self, vec: np.ndarray | None = None) -> dict[tuple[str, str], tuple]:
        """Pairs whose estimate lies below what the capacities ``vec`` strand (default: the
        model's portfolio, its starts rounded): (period, closure) -> (stranded, keys, slopes)."""
        m, inst = self.m, self.inst
        if vec is None:
            vec = self.lp.vector(built_capacity(inst, chosen_starts(m)))
        out, self.scored = {}, {}
        for pair, support in self.lp.supports(vec, m.estimated_pairs).items():
            self.scored[pair] = support[0]
            if support[0] > (m.eta[pair].value or 0.0) + max(CUT_TOLERANCE_MT,
                                                             CUT_TOLERANCE * support[0]):
                out[pair] = (*support, vec)
        return out

    def add(self, violated, relaxed: bool = False) -> None:
        """eta[t,d] >= stranded + sum_s slope_s (c[s,t] - c_s) for each violated pair; a pair
        violated again by a portfolio after the policy's copy_after cuts at portfolios
        (POLICIES) gets its copy instead (eta[t,d] >= the copy's stranded amount: exact), and
        its cut rows leave the model (retire_cuts). ``relaxed``: the cuts are at an LP's
        fractional capacities, which do not count."""
        m = self.m
        position = self.lp.position
        policy = POLICIES["expected_disruption"]
        copies = [pair for pair in violated if not relaxed
                  and policy.copies(self.portfolio_cuts.get(pair, 0))]
        if copies:
            closures.add_pairs(m, self.inst, copies)
            for pair in copies:
                m.closure_copied[pair] = m.eta[pair] >= m.stranded[pair]
                m.stranded[pair] = m.eta[pair]
                if policy.retire_cuts:
                    retire_cuts(m, m.closure_cuts, self.cut_rows.pop(pair, ()))
        for pair, support in violated.items():
            if pair in copies:
                continue
            if not relaxed:
                self.portfolio_cuts[pair] = self.portfolio_cuts.get(pair, 0) + 1
            key = (pair, next(self.keys))
            m.closure_cuts[key] = m.eta[pair] >= supporting(m, position, *support)
            self.cut_rows.setdefault(pair, []).append(key)

    def dependence(self, violated) -> float:
        """The current portfolio's expected_disruption, each pair scored by its closure LP."""
        m = self.m
        return pyo.value(m.dependence.expr) + sum(
            self.weight[pair] * (value - (m.eta[pair].value or 0.0))
            for pair, (value, *_) in violated.items())

    def settle(self) -> float:
        """The estimates set to what the portfolio last scored strands (each within the
        tolerance above its estimate): the model then holds the portfolio's exact
        expected_disruption, which is returned, reported and kept by the later stages."""
        for pair, value in self.scored.items():
            self.m.eta[pair].set_value(value, skip_validation=True)
        return pyo.value(self.m.dependence.expr)

    def tighten(self, opt, name: str, *, time_limit: float, **options) -> float:
        """Rounds of the stage's LP relaxation, each adding the cuts at the fractional
        capacities it found, until none is violated, its bound stops rising or the time is
        up; seconds spent."""
        began = time.perf_counter()
        last = None
        for _ in range(RELAXATION_ROUNDS):
            left = time_limit - (time.perf_counter() - began)
            if left <= 0:
                break
            lp = run_stage(opt, self.m, name, time_limit=left, relaxation=True, **options)
            if lp.status != "optimal":
                break
            if last is not None and lp.value - last <= RELAXATION_RISE * max(abs(lp.value), 1e-9):
                break
            last = lp.value
            violated = self.violated(self.model_capacity())
            if not violated:
                break
            self.add(violated, relaxed=True)
        return time.perf_counter() - began
