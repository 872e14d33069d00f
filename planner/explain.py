"""Explain an impossible plan in the workbook's own terms, from the model itself.

The elastic model gives every hard requirement a non-negative slack. Two relaxations are solved:
(a) money only: the least extra budget or capex allowance that makes the plan possible, the
rules (commitments, requirements, exclusive groups) kept; (b) rules only: the fewest rules to
drop, the money kept. Rows whose slack is positive form the conflict; each slack says what
would relax it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

from planner.instance import Instance
from planner.model import build

MONEY = ("budget_slack", "max_capex_slack", "high_risk_slack")
RULES = ("committed_slack", "requires_slack", "exclusive_slack")


@dataclass
class Explanation:
    conflict: list[str] = field(default_factory=list)  # rows in conflict, by sheet and row
    remedies: list[str] = field(default_factory=list)  # each alone makes the plan possible

    def __str__(self) -> str:
        lines = ["The plan is impossible: these requirements conflict:"]
        lines += [f"  - {c}" for c in self.conflict]
        if self.remedies:
            lines.append("Any one of these would make it possible:")
            lines += [f"  - {r}" for r in self.remedies]
        return "\n".join(lines)


def _relax(inst: Instance, relaxed: tuple[str, ...]) -> dict[str, dict] | None:
    """Solve with only the slacks in ``relaxed`` free; None if even that is impossible."""
    from planner.solve import highs_solver

    m = build(inst, objective="cost", elastic=True)
    for obj in m.component_objects(pyo.Objective):
        obj.deactivate()
    slacks = {name: getattr(m, name) for name in MONEY + RULES}
    for name, var in slacks.items():
        if name not in relaxed:
            for v in var.values():
                v.fix(0)
    # money in USD m is scaled so that a rule dropped costs as much as the whole capex pool
    scale = max(1.0, sum(p.capex for p in inst.projects.values()))
    m.relaxation = pyo.Objective(expr=sum(
        (1.0 / scale if name in MONEY else 1.0) * v
        for name in relaxed for v in slacks[name].values()))
    results = highs_solver().solve(m, load_solutions=False,
                                   raise_exception_on_nonoptimal_result=False, time_limit=60)
    if results.termination_condition.name != "convergenceCriteriaSatisfied":
        return None
    results.solution_loader.load_vars()
    return {name: {k: v.value for k, v in slacks[name].items() if (v.value or 0) > 1e-6}
            for name in relaxed}


def _row(inst: Instance, sheet: str, key: str) -> str:
    row = inst.rows.get((sheet, key))
    return f"{sheet} row {row}" if row else sheet


def _committed_in(inst: Instance, period: str | None = None) -> list[str]:
    return [p for p, proj in inst.projects.items() if proj.status == "committed"
            and (period is None or inst.start_periods(p)[0] == period)]


def explain_infeasible(inst: Instance) -> Explanation:
    out = Explanation()
    unit = inst.settings.money_unit
    money = _relax(inst, MONEY)
    if money:
        for t, amount in money["budget_slack"].items():
            committed = _committed_in(inst, t) if not inst.settings.budget_carry_over else \
                [p for p in _committed_in(inst)
                 if inst.period_index[inst.start_periods(p)[0]] <= inst.period_index[t]]
            spent = sum(inst.projects[p].capex for p in committed)
            out.conflict.append(
                f"{_row(inst, 'Periods', t)}: the {t} budget "
                f"({inst.period[t].budget:g} {unit}{', carried over' if inst.settings.budget_carry_over else ''}) "
                f"against committed projects "
                + ", ".join(f"{p} ({_row(inst, 'Projects', p)}, {inst.projects[p].capex:g})"
                            for p in committed) + f" = {spent:g} {unit}")
            out.remedies.append(f"raise the {t} budget by {amount:.6g} {unit}")
        for (i, key), amount in money["max_capex_slack"].items():
            lim = inst.limits[i]
            what = f"{lim.unit} {key}" if lim.unit != "total" else "all projects"
            out.conflict.append(f"RiskLimits row {lim.row}: max_capex {lim.value:g} {unit} on "
                                f"{what}, below what committed projects there cost")
            out.remedies.append(f"raise the max_capex limit in RiskLimits row {lim.row} by "
                                f"{amount:.6g} {unit}")
        for i, amount in money["high_risk_slack"].items():
            lim = inst.limits[i]
            out.conflict.append(f"RiskLimits row {lim.row}: max_high_risk_capex_share "
                                f"{lim.value:g}, below the high-risk share of committed capex")
            out.remedies.append(f"raise max_high_risk_capex_share in RiskLimits row {lim.row}, "
                                "or un-commit a high-risk project")
    rules = _relax(inst, RULES)
    if rules:
        for p in rules["committed_slack"]:
            out.conflict.append(f"{_row(inst, 'Projects', p)}: {p} is committed")
            out.remedies.append(f"un-commit {p} (set its status to candidate)")
        for (q, p, _), _amount in rules["requires_slack"].items():
            text = (f"{_row(inst, 'Projects', q)}: {q} requires {p}"
                    f" ({inst.projects[p].status}, {_row(inst, 'Projects', p)})")
            if text not in out.conflict:
                out.conflict.append(text)
                out.remedies.append(f"remove {p} from the requires of {q}")
        for g in rules["exclusive_slack"]:
            members = [p for p in inst.projects if inst.projects[p].exclusive_group == g]
            out.conflict.append(f"Projects: exclusive group {g!r} holds committed or required "
                                "projects " + ", ".join(
                                    f"{p} ({_row(inst, 'Projects', p)})" for p in members))
            out.remedies.append(f"take one project out of exclusive group {g!r}")
    if not out.conflict:
        out.conflict.append("the requirements conflict in a way the relaxation could not "
                            "locate; run 'planner validate' and check committed projects")
    return out
