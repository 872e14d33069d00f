"""What follows a solve, for every command that solves (planner solve, the batch of
scenarios and alternatives, robust, the benchmarks): one Rescorer (planner/analysis/fixed_portfolio.py) with
the solve's objective holds the plan as its base and scores the reference plan once; the plan
is appraised against that reference (planner/analysis/appraisal.py), and where asked, sheets Value and
Chains (planner/analysis/project_value.py) and Leverage (planner/analysis/leverage.py) are made by the same Rescorer,
so that the Summary's NPV plus a Value row's npv_change is the NPV of that changed plan, and
Leverage's reference columns are the same reference plan. On a large network a worker process
(Beside) scores Leverage and then a share of Value's changed portfolios while this one scores
the rest of Value, by a Rescorer of its own that holds the same plan and scores the same
reference plan the same way.
"""

from __future__ import annotations

import os
import pickle
from concurrent.futures import TimeoutError
from dataclasses import dataclass

from planner import interrupt
from planner.analysis.appraisal import Appraisal, appraise
from planner.clock import Deadline, OutOfTime
from planner.inputs.instance import Instance
from planner.analysis.leverage import Leverage, leverage
from planner.analysis.fixed_portfolio import Rescorer, Scored
from planner.analysis.project_value import (ChangeScore, ProjectValue, project_value,
                                             score_changes, value_chains)


@dataclass
class Analysis:
    plan: Scored  # the plan's portfolio, its flows re-optimized with the starts held
    reference: Scored  # the reference plan (committed projects only), scored the same way
    appraisal: Appraisal
    value: ProjectValue | None = None  # sheet Value, and Chains unless value.chains is None
    leverage: list[Leverage] | None = None
    left_out: tuple[str, ...] = ()  # the sheets the time (or the analysis setting) left out
    left_out_by: str | None = None  # the analysis setting that left them out (None: time)


SHEETS = ("Value", "Chains", "Leverage")  # what the full analysis adds to the appraisal
# analysis auto: full where projects x (period, closure) pairs is at most this. Each changed
# portfolio of sheet Value may move every closure LP: the M network (500 projects, 177 pairs,
# 88,500) takes seconds, the L one (2,000 projects, 636 pairs, 1.3 million) minutes
AUTO_FULL_MOST = 250_000


def analysis_level(inst: Instance, asked: str | None = None) -> str:
    """"full" or "summary": ``asked`` (the command's --analysis), else the analysis setting;
    "auto" is full up to AUTO_FULL_MOST, else summary."""
    level = asked or inst.settings.analysis
    if level != "auto":
        return level
    return "full" if _work(inst) <= AUTO_FULL_MOST else "summary"


def analyse(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
            plan_draws=None, full: bool = True, deadline: Deadline | None = None,
            level: str | None = None, closure_lp=None) -> Analysis:
    """The appraisal of ``portfolio`` (chosen under ``objective``) and, with ``full``, its
    Value, Chains and Leverage (module docstring). ``plan_draws``: the solve's draws by
    source, for sheet Value's over_budget. ``level``: the analysis setting as the command
    has it ("auto", "full", "summary", analysis_level; None: ``full`` decides alone); where
    it comes to summary the three sheets are left out and named in left_out, left_out_by
    saying why. ``closure_lp``: the solve's closure LPs (Solution.closure_lp), taken over
    rather than built again.

    The appraisal is part of every results workbook: it runs whatever the time. Value,
    Chains and Leverage are scored within ``deadline`` (the command's budget,
    planner/clock.py): the sheet being scored when it passes is left out whole, with the
    sheets after it, and named in left_out; a sheet is never written half scored."""
    chosen = analysis_level(inst, level) if level is not None else None
    full = full and chosen != "summary"
    # started first: the worker starts Python and builds its LPs while this process scores
    # the plan and the reference plan
    beside = Beside(inst, portfolio, objective, deadline) if full and beside_worth(inst) \
        else None
    try:
        return _analyse(inst, portfolio, objective, plan_draws, full, chosen, level, deadline,
                        closure_lp, beside)
    finally:
        if beside is not None:
            beside.close()


def _analyse(inst, portfolio, objective, plan_draws, full, chosen, level, deadline,
             closure_lp, beside) -> Analysis:
    score = Rescorer(inst, objective, closure_lp)
    score.hold_base(portfolio, floor=full)  # the floor spares LPs of many changed portfolios
    plan = score(portfolio)
    reference = score.reference()
    out = Analysis(plan, reference, appraise(inst, plan, reference))
    if chosen == "summary":
        out.left_out, out.left_out_by = SHEETS, level
    if not full:
        return out
    score.deadline = deadline  # from here each scored portfolio checks it
    try:
        share = None if beside is None else \
            (lambda portfolios, with_npv: beside.share(score, portfolios, with_npv))
        out.value = project_value(inst, portfolio, objective, plan_draws=plan_draws,
                                  rescorer=score, with_chains=False, score_many=share)
    except OutOfTime:
        out.left_out = ("Value", "Chains", "Leverage")
        return out
    try:
        out.value.chains = value_chains(inst, portfolio, score, plan_draws)
    except OutOfTime:
        out.left_out = ("Chains", "Leverage")
        return out
    try:
        out.leverage = beside.result() if beside is not None else \
            leverage(inst, portfolio, objective, rescorer=score)
    except OutOfTime:
        out.left_out = ("Leverage",)
    return out


# the full analysis uses a worker process (Beside) where projects x closure pairs is at least
# this: at the M network (88,500) Value alone takes seconds; on a small network starting the
# worker (a second or two) costs more than it saves
BESIDE_LEAST = 20_000
VALUE_PARTS = 32  # sheet Value's changes in this many parts, for the two processes to share


def beside_worth(inst: Instance) -> bool:
    """A worker beside: more than one core, and a network as large as BESIDE_LEAST."""
    return (os.cpu_count() or 1) > 1 and _work(inst) >= BESIDE_LEAST


def _work(inst: Instance) -> int:
    """projects x (period, closure) pairs the analysis scores."""
    periods = sum(1 for t in inst.period_ids if inst.total_demand[t] > 0)
    return len(inst.projects) * periods * (len(inst.closures("corridor"))
                                           + len(inst.closures("country")))


class Beside:
    """The full analysis's worker process (planner.interrupt.worker_pool, one process):
    it builds its own flow and closure LPs, holds the plan as its base and scores the plan
    and the reference plan the same way as this process does (Rescorer), then sheet
    Leverage (each closure's routing), then a share of sheet Value's changed portfolios
    (share) while this process scores the rest. Within ``deadline``: past it, OutOfTime,
    and the worker is stopped."""

    def __init__(self, inst: Instance, portfolio, objective: str, deadline: Deadline | None):
        self.deadline = deadline
        self.parts = []  # the futures of the Value parts sent (share)
        self.pool = interrupt.worker_pool(1)
        try:
            # pickled here, not by the pool's feeder thread, which would read the instance
            # while this process fills its caches (Value's scoring)
            task = pickle.dumps((inst, portfolio, objective, deadline))
            with interrupt.held():  # the worker starts here and inherits the mask
                self.future = self.pool.submit(_leverage_alone, task)
        except BaseException:
            interrupt.stop_pool(self.pool)
            raise

    def result(self) -> list[Leverage]:
        """The worker's Leverage rows; OutOfTime when the deadline passes first."""
        rows = self._wait(self.future)
        if rows is None:
            raise OutOfTime("scoring the closures' diversion costs", self.deadline)
        return rows

    def share(self, score: Rescorer, portfolios: list, with_npv: bool) -> list[ChangeScore]:
        """score_changes of ``portfolios`` in VALUE_PARTS parts: this process scores them
        from the first; once the worker has Leverage done, it is sent parts from the last,
        two at a time so that it is never idle, until the two meet. Each part's scores are
        the same wherever it is scored: both processes hold the same plan as their base,
        and a portfolio's scoring does not depend on those scored before it (Rescorer)."""
        bounds = [round(i * len(portfolios) / VALUE_PARTS) for i in range(VALUE_PARTS + 1)]
        parts = [portfolios[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
        found: list = [None] * len(parts)
        sent: dict = {}  # part -> its future in the worker
        here, there = 0, len(parts)  # this process takes parts[here]; the worker parts[there - 1]
        while here < there:
            if self.future.done():
                while len(sent) < 2 and there - 1 > here:
                    there -= 1
                    sent[there] = self.pool.submit(_value_part, parts[there], with_npv)
                    self.parts.append(sent[there])
                for i in [i for i, f in sent.items() if f.done()]:
                    found[i] = self._part(sent.pop(i))
            if here < there:
                found[here] = score_changes(score.inst, score, parts[here], with_npv)
                here += 1
        for i, future in sent.items():
            found[i] = self._part(future)
        return [c for part in found for c in part]

    def _part(self, future) -> list[ChangeScore]:
        part = self._wait(future)
        if part is None:
            raise OutOfTime("scoring the changed portfolios", self.deadline)
        return part

    def _wait(self, future):
        wait = None if self.deadline is None else self.deadline.remaining()
        try:
            return future.result(timeout=wait)
        except TimeoutError:
            return None

    def close(self) -> None:
        """The worker ended: at once where a result is not in (a stop, a deadline, the
        parts this process took back)."""
        if all(f.done() for f in [self.future, *self.parts]):  # cancelled ones are done
            self.pool.shutdown()
        else:
            interrupt.stop_pool(self.pool)


_HELD: dict = {}  # in the worker: its instance, objective and Rescorer (_leverage_alone)


def _leverage_alone(task: bytes) -> list | None:
    """In the worker: sheet Leverage's rows, or None where the deadline passed; ``task``:
    the pickled (instance, portfolio, objective, deadline). Its Rescorer stays for
    _value_part."""
    inst, portfolio, objective, deadline = pickle.loads(task)
    score = Rescorer(inst, objective)
    score.deadline = deadline
    _HELD.update(inst=inst, score=score)
    try:
        score.hold_base(portfolio, floor=True)  # the floor spares Value's parts LPs
        return leverage(inst, portfolio, objective, rescorer=score)
    except OutOfTime:
        return None


def _value_part(portfolios: list, with_npv: bool) -> list | None:
    """In the worker, after _leverage_alone: score_changes of ``portfolios``; None where
    the deadline passed (or Leverage's did)."""
    score = _HELD.get("score")
    if score is None or not score.based:
        return None
    try:
        return score_changes(_HELD["inst"], score, portfolios, with_npv)
    except OutOfTime:
        return None
