"""Explain an impossible plan in the workbook's own terms, from the model itself.

The elastic model gives every hard requirement (a period's budget, a capex limit, a commitment,
a requirement between two projects, an exclusive group) a non-negative slack, fixed at 0 while
the requirement holds. A deletion filter then finds an irreducible conflict: requirements are
released one at a time, and one stays released if the plan is still impossible without it.
What remains is a smallest set of rows that cannot hold together; for each, the model says
whether relaxing it alone is enough, and by how much (the least slack).

Every check draws on one time budget (what is left of the command's time: planner/solve/stages.py)
and stops on Ctrl-C within a second. A check that runs out of time is "not decided": its
requirement stays in the conflict (so the rows named still cannot all hold) and is marked so,
never read as "still impossible".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import pyomo.environ as pyo

from planner.solve.highs import Deadline, highs_of, highs_solver, interrupted, run_status
from planner.inputs.finance import window
from planner.inputs.instance import Instance
from planner.model import build

SLACKS = ("budget_slack", "max_capex_slack", "high_risk_slack", "committed_slack",
          "requires_slack", "exclusive_slack", "envelope_slack", "debt_service_slack",
          "eligibility_slack")
MONEY_SLACKS = ("budget_slack", "max_capex_slack", "envelope_slack", "debt_service_slack",
                "eligibility_slack")


@dataclass
class Explanation:
    conflict: list[str] = field(default_factory=list)  # rows that cannot all hold
    remedies: list[str] = field(default_factory=list)  # each alone makes the plan possible
    undecided: int = 0  # checks that ran out of time

    def __str__(self) -> str:
        lines = ["The plan is impossible: these requirements cannot all hold:"]
        lines += [f"  - {c}" for c in self.conflict]
        if self.remedies:
            lines.append("Any one of these would make it possible:")
            lines += [f"  - {r}" for r in self.remedies]
        if self.undecided:
            lines.append(f"{self.undecided} check(s) ran out of time and were not decided: "
                         "raise --time-limit for a smaller conflict")
        return "\n".join(lines)


def _requirements(m) -> dict[tuple, list]:
    """Requirement -> its slack variables; a requirement between two projects is one
    requirement whatever the number of periods it spans."""
    out: dict[tuple, list] = {}
    for name in SLACKS:
        if m.component(name) is None:  # a family this workbook does not use (finance)
            continue
        for key, var in getattr(m, name).items():
            group = (name, key[:2]) if name in ("requires_slack", "eligibility_slack") \
                else (name, key)
            out.setdefault(group, []).append(var)
    return out


class _Elastic:
    """The elastic model, built once; requirements are released and enforced by unfixing and
    fixing their slacks, and each check re-solves the same HiGHS model."""

    def __init__(self, inst: Instance, time_limit: float = math.inf):
        self.ends = time.perf_counter() + time_limit
        self.m = build(inst, objective="cost", elastic=True)
        for obj in self.m.component_objects(pyo.Objective):
            obj.deactivate()
        self.requirements = _requirements(self.m)
        scale = max(1.0, sum(p.capex for p in inst.projects.values()))
        # money slacks in USD m are scaled so that they never outweigh dropping a rule
        self.m.relaxation = pyo.Objective(expr=sum(
            (1.0 / scale if name in MONEY_SLACKS else 1.0) * var
            for (name, _), vars_ in self.requirements.items() for var in vars_))
        self.opt = highs_solver()
        for vars_ in self.requirements.values():
            for var in vars_:
                var.fix(0)
        self.opt.set_instance(self.m)

    def set(self, requirement: tuple, released: bool) -> None:
        for var in self.requirements[requirement]:
            var.unfix() if released else var.fix(0)

    def possible(self) -> bool | None:
        """True: the enforced requirements can hold; False: they cannot; None: not decided
        in the time left."""
        left = self.ends - time.perf_counter()
        if interrupted():
            raise KeyboardInterrupt
        if left <= 0:
            return None
        with Deadline(highs_of(self.opt), left) as deadline:
            results = self.opt.solve(self.m, load_solutions=False,
                                     time_limit=deadline.highs_limit,
                                     raise_exception_on_nonoptimal_result=False)
        status = "time_limit" if deadline.fired else run_status(self.opt, results)
        if status == "interrupted" or interrupted():
            raise KeyboardInterrupt
        if status == "optimal":
            results.solution_loader.load_vars()
            return True
        return False if status == "infeasible" else None

    def amount(self, requirement: tuple) -> float:
        return sum(var.value or 0.0 for var in self.requirements[requirement])


def irreducible_conflict(elastic: _Elastic) -> tuple[list[tuple], list[tuple]]:
    """(conflict, undecided): the deletion filter. A requirement leaves the conflict only when
    the plan is proven impossible without it; one whose check was not decided stays enforced
    and in the conflict, so the conflict named always cannot hold."""
    conflict, undecided = list(elastic.requirements), []
    for requirement in list(conflict):
        elastic.set(requirement, released=True)
        possible = elastic.possible()
        if possible is False:
            conflict.remove(requirement)  # the plan is impossible without it too
        else:
            elastic.set(requirement, released=False)  # needed (or not decided): keep it
            if possible is None:
                undecided.append(requirement)
    return conflict, undecided


def _row(inst: Instance, sheet: str, key: str) -> str:
    row = inst.rows.get((sheet, key))
    return f"{sheet} row {row}" if row else sheet


def _describe(inst: Instance, requirement: tuple) -> str:
    name, key = requirement
    unit = inst.settings.money_unit
    if name == "budget_slack":
        if inst.settings.budget_carry_over:
            total = sum(inst.period[t].budget for t in window(inst, key))
            return (f"{_row(inst, 'Periods', key)}: the {key} budget, {total:g} {unit} "
                    "with what earlier periods carry over")
        return f"{_row(inst, 'Periods', key)}: the {key} budget, {inst.period[key].budget:g} {unit}"
    if name == "max_capex_slack":
        lim = inst.limits[key[0]]
        what = f"{lim.unit} {key[1]}" if lim.unit != "total" else "all projects"
        return f"RiskLimits row {lim.row}: max_capex {lim.value:g} {unit} on {what}"
    if name == "high_risk_slack":
        lim = inst.limits[key]
        return f"RiskLimits row {lim.row}: max_high_risk_capex_share {lim.value:g}"
    if name == "committed_slack":
        return (f"{_row(inst, 'Projects', key)}: {key} is committed, starting "
                f"{inst.start_periods(key)[0]} (capex {inst.projects[key].capex:g} {unit})")
    if name == "requires_slack":
        q, p = key
        return (f"{_row(inst, 'Projects', q)}: {q} requires {p} "
                f"({inst.projects[p].status}, {_row(inst, 'Projects', p)})")
    if name == "envelope_slack":
        s, t = key
        return (f"{_row(inst, 'Sources', s)}: what {s} can commit in {t}, "
                f"{inst.source_budgets.get((s, t), 0.0):g} {unit} (sheet SourceBudgets)")
    if name == "debt_service_slack":
        return (f"{_row(inst, 'Periods', key)}: the {key} debt_service_limit, "
                f"{inst.period[key].debt_service_limit:g} {unit}")
    if name == "eligibility_slack":
        p, s = key
        return (f"{_row(inst, 'Sources', s)}: {s} "
                f"{inst.sources[s].admits(inst.project_countries[p], inst.projects[p].risk_class)}"
                f", so it cannot pay for {p} ({_row(inst, 'Projects', p)})")
    members = [p for p, proj in inst.projects.items() if proj.exclusive_group == key]
    return (f"Projects: exclusive group {key!r} of " + ", ".join(
        f"{p} ({_row(inst, 'Projects', p)})" for p in members))


def _remedy(inst: Instance, requirement: tuple, amount: float) -> str:
    name, key = requirement
    unit = inst.settings.money_unit
    if name == "budget_slack":
        return f"raise the {key} budget by {amount:.6g} {unit}"
    if name == "max_capex_slack":
        return (f"raise the max_capex limit in RiskLimits row {inst.limits[key[0]].row} by "
                f"{amount:.6g} {unit}")
    if name == "high_risk_slack":
        return (f"raise max_high_risk_capex_share in RiskLimits row {inst.limits[key].row} "
                f"(high-risk capex is {amount:.6g} {unit} over the limit)")
    if name == "committed_slack":
        return f"un-commit {key} (set its status to candidate)"
    if name == "requires_slack":
        return f"remove {key[1]} from the requires of {key[0]}"
    if name == "envelope_slack":
        return f"raise {key[0]}'s {key[1]} envelope by {amount:.6g} {unit}"
    if name == "debt_service_slack":
        return f"raise the {key} debt_service_limit by {amount:.6g} {unit}"
    if name == "eligibility_slack":
        p, s = key
        barred = inst.sources[s].barred(inst.project_countries[p])
        if barred:
            return f"allow {', '.join(barred)} for source {s}"
        return f"let source {s} fund risk class {inst.projects[p].risk_class}"
    return f"take one project out of exclusive group {key!r}"


def explain_infeasible(inst: Instance, time_limit: float = math.inf) -> Explanation:
    """The conflict and its remedies, within ``time_limit`` seconds for all checks."""
    elastic = _Elastic(inst, time_limit)
    conflict, undecided = irreducible_conflict(elastic)
    out = Explanation(conflict=[_describe(inst, r) + (" (not decided whether it is needed: "
                                                      "ran out of time)" if r in undecided
                                                      else "") for r in conflict])
    for requirement in conflict:
        elastic.set(requirement, released=True)
        possible = elastic.possible()
        if possible:
            out.remedies.append(_remedy(inst, requirement, elastic.amount(requirement)))
        elif possible is None:
            undecided.append(requirement)
        elastic.set(requirement, released=False)
    out.undecided = len(undecided)
    if not conflict:
        out.conflict.append("no single set of budgets, limits or commitments explains it; run "
                            "'planner validate' and check committed projects")
    return out


def unmet_causes(inst: Instance, portfolio: dict[str, str | None],
                 time_limit: float = math.inf) -> list[str]:
    """Why demand goes unmet under a portfolio: the capacity and max_share rows that bind.

    With the portfolio fixed, the least-unmet-demand problem is an LP; a row with a non-zero
    dual is one whose relaxation would serve more demand. Flows with no route are named too.
    Nothing is named when the LP does not end within ``time_limit`` seconds.
    """
    from planner.solve.closure_lp import built_capacity

    m = build(inst, objective="cost")
    for (p, t), var in m.x.items():  # a continuous fixed column: HiGHS then gives duals
        var.domain = pyo.Reals
        var.fix(1.0 if portfolio.get(p) == t else 0.0)
    m.cost.deactivate()
    m.unmet_demand.activate()
    opt = highs_solver()
    opt.set_instance(m)
    with Deadline(highs_of(opt), time_limit) as deadline:
        results = opt.solve(m, load_solutions=False, time_limit=deadline.highs_limit,
                            raise_exception_on_nonoptimal_result=False)
    if deadline.fired or run_status(opt, results) != "optimal":
        return []
    duals = results.solution_loader.get_duals()
    capacity = built_capacity(inst, portfolio)
    unit = inst.settings.flow_unit
    causes = [f"Flows row {inst.rows.get(('Flows', k))}: flow {k} has no route on sheet Routes"
              for k, routes in inst.routes_of_flow.items() if not routes]
    full: dict[str, list[str]] = {}  # a segment once, with the periods it is full in
    for (s, t), row in m.capacity.items():
        if abs(duals.get(row, 0.0)) > 1e-9:
            full.setdefault(s, []).append(t)
    for s, periods in full.items():
        periods = sorted(set(periods), key=inst.period_index.get)
        sizes = {capacity[s, t] for t in periods}
        when = (f"{', '.join(periods)} (capacity {sizes.pop():g} {unit})" if len(sizes) == 1
                else ", ".join(f"{t} (capacity {capacity[s, t]:g} {unit})" for t in periods))
        causes.append(f"{_row(inst, 'Segments', s)}: segment {s} is full in {when}")
    binds: dict[tuple[int, str], list[str]] = {}
    for (i, key, t), row in m.max_share.items():
        if abs(duals.get(row, 0.0)) > 1e-9:
            binds.setdefault((i, key), []).append(t)
    for (i, key), periods in binds.items():
        lim = inst.limits[i]
        periods = sorted(set(periods), key=inst.period_index.get)
        causes.append(f"RiskLimits row {lim.row}: max_share {lim.value:g} on {lim.unit} "
                      f"{key} binds in {', '.join(periods)}")
    return causes
