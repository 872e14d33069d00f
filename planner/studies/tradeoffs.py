"""The price of resilience (frontier) and alternative portfolios, for financing teams.

- frontier: for dependence targets from the status quo (committed projects only) down to the
  best reachable, the least capex that reaches each (epsilon constraint), the marginal cost of
  each step in USD m per percentage point, and the portfolio at each point. A point may serve
  less than the plan (a target only dropping trade reaches): it is marked, and no marginal
  cost is computed across points that serve different amounts.
- alternatives: up to k portfolios with different project selections whose dependence is within
  ``within`` of the optimum (by default 10% of the optimum's value; or absolute, in percentage
  points), each the cheapest in capex given the ones before (no-good cuts), then the most
  resilient at that capex; one dominated by a portfolio reported before it is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from planner.studies.batch import Outcome, Task, run_all, run_task
from planner.analysis.measures import CHANGE_MEASURES, Measures
from planner.tolerances import round_off
from planner.inputs.instance import Instance


def _objective(inst: Instance, options: dict) -> str:
    objective = options.get("objective") or inst.settings.objective
    if objective == "cost":
        raise ValueError("needs a dependence objective (worst_disruption, max_share or "
                         "expected_disruption), not cost")
    return objective


def dependence_of(outcome: Outcome) -> float:
    sol = outcome.solution
    return outcome.measures.dependence(sol.objective, sol.instance.settings.dependence_unit)


def status_quo(inst: Instance) -> Instance:
    """Committed projects only: every candidate excluded."""
    return replace(inst, projects={p: replace(q, status="excluded") if q.status == "candidate"
                                   else q for p, q in inst.projects.items()})


@dataclass
class FrontierPoint:
    target: float
    outcome: Outcome
    marginal: float | None  # USD m per percentage point against the point before
    serves_less: bool = False  # more unmet demand than the plan (the best point)
    plan_unmet: float = 0.0  # the plan's unmet demand, summed over periods


def serves_less(outcome: Outcome, unmet: float) -> bool:
    """The outcome leaves more demand unmet than ``unmet`` (beyond solver round-off)."""
    return outcome.measures.unmet_demand > unmet + 1e-6 * max(1.0, abs(unmet))


def marginal_cost(before: Outcome, after: Outcome) -> float | None:
    """USD m per percentage point of dependence from ``before`` to ``after``; None where the
    dependence does not fall, and where the two serve different amounts of trade: the capex
    difference would then also price trade dropped or served, not resilience alone (under
    max_share, dropping trade lowers every share)."""
    if before.solution is None or after.solution is None:
        return None
    if serves_less(before, after.measures.unmet_demand) or \
            serves_less(after, before.measures.unmet_demand):
        return None
    step = (dependence_of(before) - dependence_of(after)) * 100
    if step <= 1e-9:
        return None
    return (after.measures.total_capex - before.measures.total_capex) / step


def frontier(inst: Instance, points: int = 5, *, options: dict | None = None,
             jobs: int | None = None, scheduler: str | None = None,
             progress=None) -> list[FrontierPoint]:
    options = dict(options or {})
    options["objective"] = _objective(inst, options)
    points = max(2, points)
    ends = run_all([Task("status quo", status_quo(inst), options), Task("best", inst, options)],
                   jobs=jobs, scheduler=scheduler, progress=progress, counted=(0, 2 + points))
    for end, what in zip(ends, ("the status quo of the frontier",
                                "the frontier's best portfolio")):
        end.require(what)  # exit 3 or 4 without both ends
    high, low = (dependence_of(e) for e in ends)
    targets = [high - (high - low) * i / (points - 1) for i in range(points)]
    # least capex for the target, then the least dependence that capex buys: otherwise the
    # cost stage's discounting may start a project late and the point shows a worse
    # dependence than its capex reaches (Kazakhstan: 14.3% where 12.1% costs the same)
    tasks = [Task(f"point {i + 1}", inst, {**options, "max_dependence": eps,
                                           "then_dependence": True})
             for i, eps in enumerate(targets)]
    outcomes = run_all(tasks, jobs=jobs, scheduler=scheduler, progress=progress,
                       counted=(2, 2 + points))
    plan_unmet = ends[1].measures.unmet_demand
    out, before = [], None
    for eps, outcome in zip(targets, outcomes):
        marginal = marginal_cost(before, outcome) if before is not None else None
        less = outcome.solution is not None and serves_less(outcome, plan_unmet)
        out.append(FrontierPoint(eps, outcome, marginal, less, plan_unmet))
        before = outcome
    return out


@dataclass(frozen=True)
class Within:
    """How far above the optimum's dependence an alternative may be: ``value`` is a fraction
    of the optimum's value (relative: 0.1 = 10%, so 7.0% admits up to 7.7%) or a share of
    trade (absolute: 0.005 = 0.5 percentage points). Relative is the default because the
    dependence measures differ by orders of magnitude (expected_disruption is often below
    1%), so no one absolute tolerance suits them all."""
    value: float
    relative: bool = True

    def cap(self, optimum: float) -> float:
        """The largest dependence an alternative may have."""
        return optimum * (1 + self.value) if self.relative else optimum + self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value * 100:g}pp"

    def describe(self, optimum: float) -> str:
        """'10% of the optimum (7.0% -> 7.7%)' or '0.5 percentage points (7.0% -> 7.5%)'."""
        what = (f"{self.value * 100:g}% of the optimum" if self.relative
                else f"{self.value * 100:g} percentage points")
        return f"{what} ({_percent(optimum)} -> {_percent(self.cap(optimum))})"


def _percent(share: float) -> str:
    """A share as a percentage with enough digits to tell small ones apart."""
    return f"{share:.1%}" if share >= 0.01 or share == 0 else f"{share:.3%}"


WITHIN_SYNTAX = ("a percentage of the optimum such as 10% (relative) or percentage points "
                 "such as 0.5pp (absolute)")


def parse_within(text: str) -> Within:
    """'10%' -> relative 0.1; '0.5pp' -> absolute 0.005. A bare number is refused: 0.05 could
    mean 5% of the optimum or 5 percentage points, which differ by a factor of ten or more."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(%|pp)\s*", str(text))
    if not match:
        raise ValueError(f"--within takes {WITHIN_SYNTAX}; found {text!r}")
    return Within(float(match[1]) / 100, relative=match[2] == "%")


def _better(x: float, y: float) -> bool:
    """x is lower than y by more than solver round-off (1e-7, relative above 1)."""
    return x < y - round_off(y)


def dominates(a: Measures, b: Measures) -> bool:
    """``b`` has no less capex than ``a`` and is no better on any measure: a planner who has
    ``a`` gains nothing from ``b`` (``b`` may be ``a`` plus projects that improve nothing)."""
    return not _better(b.total_capex, a.total_capex) and not any(
        _better(getattr(b, name), getattr(a, name)) for name in CHANGE_MEASURES)


def selection(outcome: Outcome) -> frozenset[str]:
    """The projects an outcome's portfolio builds, whenever it starts them."""
    return frozenset(p for p, t in outcome.solution.portfolio.items() if t)


@dataclass
class Alternatives:
    outcomes: list[Outcome]  # [optimal, alternative 1, ...]: none dominated by one before it
    skipped: list[tuple[Outcome, str]]  # found but dominated: (outcome, name of who dominates)
    tries: int  # solves after the optimal one
    limit: int  # the most solves allowed after the optimal one
    cap: float  # the largest dependence admitted
    ended: str = ""  # why the search stopped, in words


def alternatives(inst: Instance, k: int = 5, within: Within | float = Within(0.10), *,
                 tries: int | None = None, options: dict | None = None,
                 progress=None) -> Alternatives:
    """The optimal portfolio and up to k alternatives: each the least-capex selection within
    the cap that differs from every one found before (no-good cuts), so this runs in sequence.

    A found portfolio dominated by the optimum or an earlier alternative (dominates) is not
    reported: it gets a no-good cut like the others and the search goes on, for at most
    ``tries`` solves (default 3k). Only its own selection is cut: forbidding the supersets of
    a reported selection would not be exact, since an added project can lower transport cost,
    move shares or strand less in another period, and so be a real alternative.
    ``within``: a Within, or a float taken as an absolute share."""
    options = dict(options or {})
    options["objective"] = _objective(inst, options)
    if not isinstance(within, Within):
        within = Within(within, relative=False)
    limit = 3 * k if tries is None else tries
    best = run_task(Task("optimal", inst, options)).require("the optimum the alternatives "
                                                           "are measured against")
    out = Alternatives([best], [], 0, limit, within.cap(dependence_of(best)))
    exclude = [selection(best)]
    while len(out.outcomes) <= k and out.tries < limit:
        out.tries += 1
        outcome = run_task(Task(f"alternative {len(out.outcomes)}", inst,
                                {**options, "max_dependence": out.cap, "then_dependence": True,
                                 "exclude": tuple(exclude)}))
        if outcome.solution is None:
            out.ended = ("no further portfolio within the cap" if outcome.status == "infeasible"
                         else f"{outcome.name} found no portfolio in time ({outcome.status})")
            _say(progress, out, outcome, f"{outcome.status}")
            return out
        exclude.append(selection(outcome))
        by = next((o.name for o in out.outcomes if dominates(o.measures, outcome.measures)),
                  None)
        if by is not None:
            out.skipped.append((outcome, by))
            _say(progress, out, outcome, f"dominated by {by}, skipped")
            continue
        out.outcomes.append(outcome)
        _say(progress, out, outcome, outcome.status)
    out.ended = (f"{k} alternative(s) found" if len(out.outcomes) > k else
                 f"out of tries after {out.tries} solve(s): more may exist (raise --tries)")
    return out


def _say(progress, out: Alternatives, outcome: Outcome, what: str) -> None:
    if progress:
        chosen = ", ".join(sorted(selection(outcome))) if outcome.solution else ""
        progress(f"[{out.tries}/{out.limit}] {outcome.name}"
                 + (f" ({chosen or 'committed only'})" if outcome.solution else "")
                 + f": {what} ({outcome.seconds:.1f} s)")
