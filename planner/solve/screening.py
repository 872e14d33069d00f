"""The closures screened before the model is built, and the model formulated with what the
screening found.

Two LPs per closure pair (committed projects only, and everything built as early as it may)
bound what each pair strands whatever is built; the pairs that are constant, or can never be
the worst, need no copy in the model (exact). ``formulate`` is ``model.build`` with this done
first: every solve of a disruption objective builds through it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from planner.clock import check
from planner.inputs.instance import Closure, Instance
from planner.model import build, closures
from planner.solve.closure_lp import StrandedLP, on_all_cores
from planner.solve.state import state_of
from planner.tolerances import SCREENED


class Screening(NamedTuple):
    constant: dict[tuple[str, str], float]  # (period, closure) -> Mt/yr, whatever is built
    skip: frozenset[tuple[str, str]]  # pairs that can never be the worst
    floor: dict[str, float]  # period -> Mt/yr that every portfolio strands (worst_disruption)
    most: dict[tuple[str, str], float]  # stranded with committed projects only
    least: dict[tuple[str, str], float]  # stranded with every project built as early as it may
    lp: object = None  # the closure LPs that scored both (closure_lp.StrandedLP), for reuse


def screen(inst: Instance, closure_set: tuple[Closure, ...], periods: tuple[str, ...],
           objective: str, deadline=None):
    """Closure copies the objective can do without, from two LPs (exact):

    stranded is monotone in capacity, so for every allowed portfolio it lies between lo (every
    project that may be built, built as early as it may: more than any budget allows) and hi
    (committed projects only). A pair with hi = lo is a constant. For worst_disruption,
    floor_t = max_d lo[t,d] bounds w_t from below for every portfolio, and a pair with
    hi <= floor_t can never be the worst: it needs no copy.

    floor is set for worst_disruption only; constant for expected_disruption only.
    For worst_disruption lo is solved only where it is needed (least_where_needed): the pairs
    skipped have none in ``least``.
    ``deadline`` (planner/clock.py) is checked before each closure LP is built and solved.
    """
    nothing = {p: (inst.start_periods(p)[0] if q.status == "committed" else None)
               for p, q in inst.projects.items()}
    everything = {p: (inst.start_periods(p)[0] if inst.start_periods(p) else None)
                  for p in inst.projects}
    lp = StrandedLP(inst, closure_set, periods, deadline=deadline)
    hi = lp(nothing, deadline=deadline)
    if objective == "worst_disruption":
        lo = least_where_needed(lp, lp.capacity(everything), hi, deadline)
        floor = {t: max((v for (s, _), v in lo.items() if s == t), default=0.0)
                 for t in periods}
        skip = frozenset(k for k, v in hi.items() if v <= floor[k[0]] + SCREENED)
        return Screening({}, skip, floor, hi, lo, lp)
    lo = lp(everything, deadline=deadline)
    return Screening({k: lo[k] for k in lo if hi[k] - lo[k] <= SCREENED}, frozenset(), {}, hi, lo, lp)


def least_where_needed(lp: StrandedLP, everything, hi: dict, deadline=None) -> dict:
    """lo (stranded with ``everything``, a capacity vector) of the pairs that may be the
    worst: in each period in falling order of hi, until a pair's hi is at most the largest lo
    found. That pair and every one after it strand no more than that whatever is built
    (lo <= hi), so they are skipped and their lo is never read; the largest lo is the floor
    all the same. Each LP still solves hi, then lo, from its own last basis, as before."""
    def period(t: str) -> dict[tuple[str, str], float]:
        lo, floor = {}, -math.inf
        for pair in sorted((key for key in hi if key[0] == t), key=lambda key: (-hi[key], key)):
            if hi[pair] <= floor + SCREENED:
                break  # skipped, as every pair after it: lo <= hi <= floor
            check(deadline, "screening the closures")
            block = lp.blocks[pair]
            lo[pair] = block.stranded(everything[block.index])
            floor = max(floor, lo[pair])
        return lo

    # the periods apart, on every core at once (each period's order is its own)
    periods = sorted({t for t, _ in hi})
    return {pair: value for found in on_all_cores(period, periods)
            for pair, value in found.items()}


def first_pairs(screening: Screening, per_period: int = 2) -> set[tuple[str, str]]:
    """The pairs closure generation starts from: in each period, those that strand most with
    nothing built and those that strand most with everything built (the likely worst)."""
    kept = {key for key in screening.most if key not in screening.skip}
    first = set()
    for by in (screening.most, screening.least):
        for t in {t for t, _ in kept}:
            first.update(sorted((key for key in kept if key[0] == t),
                                key=lambda key: (-by[key], key[1]))[:per_period])
    return first


class ClosurePlan(NamedTuple):
    """What model.build needs of the screening (model.closures.define's arguments)."""
    constant: dict[tuple[str, str], float]
    skip: frozenset[tuple[str, str]]
    first: set[tuple[str, str]] | None  # the pairs copied first (closure generation)
    estimate: Screening | None  # no copies: estimates bounded by the screening (cuts)
    floor: dict[str, float]  # period -> Mt/yr every portfolio strands (worst_disruption)
    lp: StrandedLP  # generation and cuts score portfolios with it


def closure_plan(inst: Instance, objective: str, closure_set: tuple[Closure, ...],
                 periods: tuple[str, ...], *, generate: bool = False,
                 deadline=None) -> ClosurePlan:
    """The screening of ``closure_set`` in ``periods`` for ``objective``. ``generate`` starts a
    worst_disruption model with a few closure copies (the others wait in m.waiting_pairs for
    planner/solve/closure_generation.py), and an expected_disruption model with none: cuts
    bound each stranded amount (planner/solve/closure_cuts.py)."""
    check(deadline, "screening the closures")
    screening = screen(inst, closure_set, periods, objective, deadline)
    first = first_pairs(screening) if generate and objective == "worst_disruption" else None
    estimate = screening if generate and objective == "expected_disruption" else None
    return ClosurePlan(screening.constant, screening.skip, first, estimate, screening.floor,
                       screening.lp)


def formulate(inst: Instance, *, objective: str | None = None, elastic: bool = False,
              closure_set: tuple[Closure, ...] | None = None,
              closure_periods: tuple[str, ...] | None = None, plain: bool = False,
              block=None, shared_x=None, generate: bool = False, deadline=None):
    """model.build, the closures screened first for the disruption objectives (not for the
    plain formulation, which keeps every copy). Arguments as build's; ``generate`` as
    closure_plan's."""
    objective = objective or inst.settings.objective
    closure_set, periods = closures.scope(inst, objective, closure_set, closure_periods, plain)
    plan = None
    if closure_set and not plain and objective in ("worst_disruption", "expected_disruption"):
        plan = closure_plan(inst, objective, closure_set, periods, generate=generate,
                            deadline=deadline)
    m = build(inst, objective=objective, elastic=elastic, closure_set=closure_set,
              closure_periods=periods, plain=plain, block=block, shared_x=shared_x,
              closure_plan=plan, deadline=deadline)
    if plan is not None:
        state_of(m).closure_lp = plan.lp  # generation and cuts score portfolios with it
    return m
