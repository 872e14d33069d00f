"""What the solve layer keeps about one model between its HiGHS runs.

The model holds rows (and its own index: the sets and expressions its rows are built from,
its stage objectives, its closure pairs); this holds the solve: the stages in the order they
run (a dependence cap changes it), whether a dependence cap is in, the closure LPs of the
screening that generation and cuts score portfolios with, the stage objectives' scales, and
how many cuts each closure pair has had. Kept beside the model, keyed by it, for as long as
the model lives: a model is solved by one command at a time.
"""

from __future__ import annotations

import weakref
import itertools
from dataclasses import dataclass, field

_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class SolveState:
    stages: list[str] = field(default_factory=list)  # the stages, in the order they run
    capped: bool = False  # a dependence cap is in (solve.stages.dependence_cap)
    closure_lp: object = None  # the screening's closure LPs (closure_lp.StrandedLP), if any
    largest_coefficient: dict[str, float] = field(default_factory=dict)  # stage -> scale
    cut_count: dict[tuple[str, str], int] = field(default_factory=dict)  # generation: pair ->
    # cuts made; closure cuts: pair -> cuts at portfolios (a model has one or the other)
    cut_rows: dict[tuple[str, str], list] = field(default_factory=dict)  # pair -> the keys
    # of its cut rows, retired when its copy arrives (solve.closure_cuts.ClosurePolicy)
    cut_keys: itertools.count = field(default_factory=itertools.count)  # new cut rows' keys


def state_of(m) -> SolveState:
    """The solve's state of model (or block) ``m``, made at first use: the stages of the
    model's objective (m.stages, set by model.objectives) in their order."""
    state = _STATES.get(m)
    if state is None:
        state = _STATES[m] = SolveState(stages=list(getattr(m, "stages", ())))
    return state
