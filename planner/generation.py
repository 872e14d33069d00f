"""Closure generation: a worst_disruption model gets the closure copies its portfolios need.

w_t must be at least the stranded share of every (period, closure) pair, but at the optimum few
pairs bind (5 of 120 on the M benchmark network). The model starts with the pairs most likely to
(closures.first_pairs); after each solve, the portfolio found is scored on every waiting pair by
the closure LPs, the pairs where it strands more than w_t D_t are copied into the model, and the
stage is solved again. A stage ends when no waiting pair is violated. The model with fewer
copies is a relaxation of the full one, and its solution then satisfies every row of the full
one: so the result is the full model's, in a fraction of its size.
"""

from __future__ import annotations

from planner.evaluate import StrandedLP
from planner.instance import Instance
from planner.model import closures, objectives

# a waiting pair is violated when it strands more than w_t D_t by this share of D_t: HiGHS
# holds rows to 1e-7 absolute, so smaller excesses are round-off
TOLERANCE = 1e-6


def chosen_starts(m) -> dict[str, str | None]:
    """project -> start period (None: not built) of the model's current solution."""
    portfolio = {p: None for p in m.inst.projects}
    for p, t in m.PT:
        if m.x[p, t].value is not None and m.x[p, t].value > 0.5:
            portfolio[p] = t
    return portfolio


class ClosureGeneration:
    def __init__(self, m, inst: Instance):
        self.m, self.inst = m, inst
        self.lp = getattr(m, "closure_lp", None)  # the screening's, when there was one
        if self.lp is None:
            periods = tuple(sorted({t for t, _ in m.waiting_pairs}, key=inst.period_index.get))
            self.lp = StrandedLP(inst, tuple(m.closure_list.values()), periods,
                                 pairs=m.waiting_pairs)

    def violated(self) -> dict[tuple[str, str], float]:
        """Waiting pairs where the model's current portfolio strands more than w_t D_t:
        (period, closure) -> Mt/yr stranded."""
        m, inst = self.m, self.inst
        if not m.waiting_pairs:
            return {}
        stranded = self.lp(chosen_starts(m))
        waiting = set(m.waiting_pairs)
        return {(t, d): v for (t, d), v in stranded.items() if (t, d) in waiting
                and v > (m.w[t].value or 0.0) * inst.total_demand[t]
                + TOLERANCE * max(1.0, inst.total_demand[t])}

    def add(self, pairs) -> None:
        """Copy the pairs into the model and bound w_t by them."""
        closures.add_pairs(self.m, self.inst, list(pairs))
        objectives.bound_worst(self.m, self.inst, list(pairs))

    def dependence(self, violated: dict[tuple[str, str], float]) -> float:
        """The current portfolio's worst_disruption over every pair, the violated included."""
        m, inst = self.m, self.inst
        weights = objectives.period_weights(inst)
        worst = {t: m.w[t].value or 0.0 for t in weights}
        for (t, _), v in violated.items():
            worst[t] = max(worst[t], v / inst.total_demand[t])
        return sum(w * worst[t] for t, w in weights.items())
