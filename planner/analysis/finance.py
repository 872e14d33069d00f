"""The money of a portfolio found: what each source and the budget could commit in each
period, carry-over included, what loans fall due, and whether a spend fits the budget."""

from __future__ import annotations

from planner.inputs.instance import Instance
from planner.inputs.schema import BUDGET
from planner.model.finance import debt_service_coefficients


def carried(inst: Instance, own: dict[str, float],
            spent: dict[str, float]) -> dict[str, float]:
    """Period -> what could be committed in it: its ``own`` amount plus, where
    budget_carry_over is on, what earlier periods left of theirs after ``spent`` (the rule
    of inputs.finance.window, as amounts)."""
    out, left = {}, 0.0
    for t in inst.period_ids:
        out[t] = own[t] + (left if inst.settings.budget_carry_over else 0.0)
        left = out[t] - spent.get(t, 0.0)
    return out


def drawn_by_source(draws: dict[tuple[str, str, str], float]) -> dict[tuple[str, str], float]:
    """(source, period) -> USD m drawn, over the projects (in the draws' order)."""
    drawn: dict[tuple[str, str], float] = {}
    for (p, s, t), amount in draws.items():
        drawn[s, t] = drawn.get((s, t), 0.0) + amount
    return drawn


def available(inst: Instance, draws) -> dict[tuple[str, str], float]:
    """(source, period) -> USD m it could commit in the period: its envelope (the budget's for
    'budget'), plus what earlier periods left unspent where budget_carry_over is on."""
    drawn = drawn_by_source(draws)
    out = {}
    for s in (BUDGET,) + tuple(inst.sources):
        own = {t: inst.period[t].budget if s == BUDGET else inst.source_budgets.get((s, t), 0.0)
               for t in inst.period_ids}
        room = carried(inst, own, {t: drawn.get((s, t), 0.0) for t in inst.period_ids})
        out.update({(s, t): v for t, v in room.items()})
    return out


def debt_service_by_source(inst: Instance, draws) -> dict[tuple[str, str], float]:
    """(source, period) -> USD m of loan payments due in the period (within the horizon)."""
    drawn = drawn_by_source(draws)
    out: dict[tuple[str, str], float] = {}
    for (s, tau, t), c in debt_service_coefficients(inst).items():
        out[s, t] = out.get((s, t), 0.0) + c * drawn.get((s, tau), 0.0)
    return out


def fits_budget(inst: Instance, spend: dict[str, float]) -> bool:
    """The budget's ``spend`` (period -> USD m) fits each period's budget, carry-over
    included, within 1e-6 relative (at least 1e-6 USD m)."""
    room = carried(inst, {p.id: p.budget for p in inst.periods}, spend)
    return all(room[p.id] - spend[p.id] >= -1e-6 * max(1.0, p.budget) for p in inst.periods)
