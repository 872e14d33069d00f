"""What follows a solve, for every command that solves (planner solve, the batch of
scenarios and alternatives, robust, the benchmarks): one Rescorer (planner/analysis/fixed_portfolio.py) with
the solve's objective holds the plan as its base and scores the reference plan once; the plan
is appraised against that reference (planner/analysis/appraisal.py), and where asked, sheets Value and
Chains (planner/analysis/project_value.py) and Leverage (planner/analysis/leverage.py) are made by the same Rescorer,
so that the Summary's NPV plus a Value row's npv_change is the NPV of that changed plan, and
Leverage's reference columns are the same reference plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.analysis.appraisal import Appraisal, appraise
from planner.clock import Deadline, OutOfTime
from planner.inputs.instance import Instance
from planner.analysis.leverage import Leverage, leverage
from planner.analysis.fixed_portfolio import Rescorer, Scored
from planner.analysis.project_value import ProjectValue, project_value, value_chains


@dataclass
class Analysis:
    plan: Scored  # the plan's portfolio, its flows re-optimized with the starts held
    reference: Scored  # the reference plan (committed projects only), scored the same way
    appraisal: Appraisal
    value: ProjectValue | None = None  # sheet Value, and Chains unless value.chains is None
    leverage: list[Leverage] | None = None
    left_out: tuple[str, ...] = ()  # the sheets the command's time did not allow


def analyse(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
            plan_draws=None, full: bool = True, deadline: Deadline | None = None) -> Analysis:
    """The appraisal of ``portfolio`` (chosen under ``objective``) and, with ``full``, its
    Value, Chains and Leverage (module docstring). ``plan_draws``: the solve's draws by
    source, for sheet Value's over_budget.

    The appraisal is part of every results workbook: it runs whatever the time. Value,
    Chains and Leverage are scored within ``deadline`` (the command's budget,
    planner/clock.py): the sheet being scored when it passes is left out whole, with the
    sheets after it, and named in left_out; a sheet is never written half scored."""
    score = Rescorer(inst, objective)
    score.hold_base(portfolio)
    plan = score(portfolio)
    reference = score.reference()
    out = Analysis(plan, reference, appraise(inst, plan, reference))
    if not full:
        return out
    score.deadline = deadline  # from here each scored portfolio checks it
    try:
        out.value = project_value(inst, portfolio, objective, plan_draws=plan_draws,
                                  rescorer=score, with_chains=False)
    except OutOfTime:
        out.left_out = ("Value", "Chains", "Leverage")
        return out
    try:
        out.value.chains = value_chains(inst, portfolio, score, plan_draws)
    except OutOfTime:
        out.left_out = ("Chains", "Leverage")
        return out
    try:
        out.leverage = leverage(inst, portfolio, objective, rescorer=score)
    except OutOfTime:
        out.left_out = ("Leverage",)
    return out
