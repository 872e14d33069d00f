"""What each project buys: the plan with one project dropped or added, and each chain of
`requires` built link by link, every changed portfolio re-scored with the starts held.

Drop (a selected project, committed ones too): the plan without it and without every project
of the plan that requires it (dilution.dependents), the other starts held. Add (a candidate
not selected): the plan plus it at its earliest allowed start, with the prerequisites it
needs at theirs (a prerequisite starts no later than the project that requires it), budgets
ignored; ``over_budget`` says whether the changed portfolio breaks a budget or a limit.

Every changed portfolio is scored by planner/analysis/fixed_portfolio.py: its flows re-optimized by the flow
stages (LPs) and its closures by the closure LPs, built once; evaluate() makes every measure,
as for any solved portfolio. The plan itself is re-scored the same way, so that a change is
read against the same scoring. Each change and chain step keeps the measures the sheets show
(ChangeMeasures), not the whole Measures.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.analysis.appraisal import appraise
from planner.analysis.bought_for_rule import RULE, dependents, same_measures
from planner.analysis.finance import fits_budget
from planner.analysis.measures import CHANGE_MEASURES, Measures
from planner.inputs.schema import BUDGET
from planner.inputs.instance import Instance
from planner.analysis.fixed_portfolio import Rescorer, Scored

@dataclass(frozen=True)
class ChangeMeasures:
    """What a ProjectChange or a ChainStep keeps of its portfolio's Measures: the measures sheets
    Value and Chains show, in their order (measures.CHANGE_MEASURES). A whole Measures also holds every segment's capacity and
    load and every closure's stranded amount in every period, nearly 1 MB at L, where the
    2,500 changes and chain steps kept 2.2 GB of them."""

    worst_disruption: float
    expected_disruption: float
    max_corridor_share: float
    max_country_share: float
    unmet_demand: float
    transport_cost: float

    @classmethod
    def of(cls, ms: Measures) -> ChangeMeasures:
        return cls(**{name: getattr(ms, name) for name in CHANGE_MEASURES})


@dataclass
class ProjectChange:
    """One project dropped from the plan or added to it."""

    project: str
    change: str  # drop or add
    portfolio: dict[str, str | None]
    moved: tuple[str, ...]  # every project dropped or added with it, itself first
    measures: ChangeMeasures
    capex_change: float  # USD m, changed minus plan (undiscounted)
    dependence_change: float  # the objective's measure, changed minus plan
    over_budget: bool
    npv_change: float | None = None

    @property
    def usd_m_per_point(self) -> float | None:
        """USD m of capex per percentage point of dependence the project buys:
        -capex_change / (100 x dependence_change), positive when the project lowers the
        dependence (a drop raises it and saves capex, an add lowers it and costs capex), as
        the frontier's price of resilience; None when the dependence does not change."""
        if abs(self.dependence_change) <= 1e-9:
            return None
        return -self.capex_change / (100.0 * self.dependence_change)


@dataclass
class ChainStep:
    chain: tuple[str, ...]  # the links in order, the prerequisites first
    k: int  # links built
    portfolio: dict[str, str | None]
    measures: ChangeMeasures
    dependence: float
    over_budget: bool


@dataclass
class ProjectValue:
    plan: Scored
    dependence: float  # of the re-scored plan
    changes: list[ProjectChange]
    chains: list[list[ChainStep]] | None  # None: not scored (sheet Chains left out)

    def buys_nothing(self) -> list[ProjectChange]:
        """The drops that change no measure."""
        return [c for c in self.changes if c.change == "drop"
                and same_measures(c.measures, self.plan.measures)]


def earliest_start(inst: Instance, portfolio: dict[str, str | None], project: str
                   ) -> dict[str, str] | None:
    """{project: start} for the project and the prerequisites it needs beyond the portfolio's:
    each at its earliest allowed start no earlier than its prerequisites'. None when one of
    them has no allowed start left."""
    out: dict[str, str] = {}

    def place(p: str) -> str | None:
        if portfolio.get(p):
            return portfolio[p]
        if p in out:
            return out[p]
        floor = -1
        for q in inst.projects[p].requires:
            start = place(q)
            if start is None:
                return None
            floor = max(floor, inst.period_index[start])
        allowed = [t for t in inst.start_periods(p) if inst.period_index[t] >= floor]
        if not allowed:
            return None
        out[p] = allowed[0]
        return out[p]

    return out if place(project) is not None else None


def chains(inst: Instance) -> list[tuple[str, ...]]:
    """Every chain of `requires`: a project no other project requires, with at least one
    prerequisite, and every prerequisite it needs, in order (each after those it needs)."""
    required = {q for p in inst.projects.values() for q in p.requires}
    out = []
    for p, proj in inst.projects.items():
        if not proj.requires or p in required:
            continue
        order: list[str] = []

        def visit(q: str) -> None:
            if q in order:
                return
            for r in inst.projects[q].requires:
                visit(r)
            order.append(q)

        visit(p)
        out.append(tuple(order))
    return out


def breaks_rules(inst: Instance, portfolio: dict[str, str | None],
                 plan_draws: dict[tuple[str, str, str], float] | None = None) -> bool:
    """True when the portfolio breaks a budget or a RiskLimits capex rule, or starts two
    projects of one exclusive group. With sheet Sources, the budgets are checked first by
    the plan's draws plus the new projects paid by the budget; where that does not fit, the
    portfolio's own finance LP decides (solve with the starts held)."""
    return _breaks_limits(inst, portfolio) or _breaks_budget(inst, portfolio, plan_draws)


def _breaks_limits(inst: Instance, portfolio) -> bool:
    chosen = [p for p, t in portfolio.items() if t]
    capex = {p: inst.projects[p].capex for p in chosen}
    total = sum(capex.values())
    groups: dict[str, int] = {}
    for p in chosen:
        g = inst.projects[p].exclusive_group
        if g:
            groups[g] = groups.get(g, 0) + 1
    if any(n > 1 for n in groups.values()):
        return True
    for lim in inst.limits:
        if lim.limit == "max_capex":
            if lim.unit == "total":
                spans = [total]
            else:
                table = inst.project_countries if lim.unit == "country" else \
                    inst.project_corridors
                keys = (lim.key,) if lim.key else inst.units(lim.unit)
                spans = [sum(capex[p] for p in chosen if key in table[p]) for key in keys]
            if any(v > lim.value + 1e-9 * max(1.0, lim.value) for v in spans):
                return True
        elif lim.limit == RULE:
            high = sum(capex[p] for p in chosen if inst.projects[p].risk_class == "high")
            if high > lim.value * total + 1e-9 * max(1.0, total):
                return True
    return False


def _breaks_budget(inst: Instance, portfolio, plan_draws) -> bool:
    kept = {key: v for key, v in (plan_draws or {}).items() if portfolio.get(key[0])}
    paid = {p for p, _, _ in kept}
    new = [p for p, t in portfolio.items() if t and p not in paid]
    if all(BUDGET in inst.payers[p] for p in new):
        spend = {t: sum(v for (p, s, u), v in kept.items() if s == BUDGET and u == t)
                 for t in inst.period_ids}
        for p in new:
            for t in inst.period_ids:
                spend[t] += inst.projects[p].capex * inst.spend_share(p, portfolio[p], t)
        if fits_budget(inst, spend):
            return False
        if not inst.sources:
            return True  # the budget is the only payer: the arithmetic is exact
    return not _finance_check(inst).fundable(portfolio)


class FinanceCheck:
    """Whether a portfolio's spend can be paid: the model's finance and budget rows alone
    (model.finance, model.budget: draws within eligibility, max_share, envelopes and
    debt-service limits, the budget paying the rest) over start decisions held fixed. One LP,
    built and handed to HiGHS once; between portfolios only the fixed starts change. At M with
    sources a check takes milliseconds where a whole solve with the starts held took 1-2 s
    (the analysis at M+finance: 273 s, of which these checks were nearly all)."""

    def __init__(self, inst: Instance):
        import pyomo.environ as pyo

        from planner.solve.highs import highs_solver, quiet_highs
        from planner.model import budget, finance

        m = pyo.ConcreteModel()
        m.inst, m.elastic, m.plain = inst, False, False
        m.PT = pyo.Set(dimen=2, initialize=[(p, t) for p in inst.projects
                                            for t in inst.start_periods(p)], ordered=True)
        # continuous starts held by their bounds, not fixed: Pyomo hands a fixed variable's
        # rows to HiGHS again whenever it is fixed anew, a bound change is one call
        m.x = pyo.Var(m.PT, bounds=(0, 0))
        finance.define(m, inst)
        budget.define(m, inst)
        m.nothing = pyo.Objective(expr=0.0)
        quiet_highs()  # the process's first HiGHS object prints a banner unless captured
        self.m, self.opt = m, highs_solver(None)
        self.opt.set_instance(m)

    def fundable(self, portfolio: dict[str, str | None]) -> bool:
        from pyomo.contrib.solver.common.results import TerminationCondition

        for (p, t), var in self.m.x.items():
            start = 1 if portfolio.get(p) == t else 0
            if var.ub != start:
                var.setlb(start)
                var.setub(start)
        results = self.opt.solve(self.m, load_solutions=False,
                                 raise_exception_on_nonoptimal_result=False)
        return results.termination_condition == \
            TerminationCondition.convergenceCriteriaSatisfied


_FINANCE_CHECKS: dict[int, tuple[Instance, FinanceCheck]] = {}


def _finance_check(inst: Instance) -> FinanceCheck:
    """One FinanceCheck per instance (kept beside it, so an id reused later is not mistaken)."""
    held = _FINANCE_CHECKS.get(id(inst))
    if held is None or held[0] is not inst:
        _FINANCE_CHECKS.clear()  # one instance is analysed at a time
        held = _FINANCE_CHECKS[id(inst)] = (inst, FinanceCheck(inst))
    return held[1]


@dataclass(frozen=True)
class ChangeScore:
    """What scoring a changed portfolio gives sheet Value (score_changes)."""

    measures: ChangeMeasures
    total_capex: float
    dependence: float  # the objective's measure
    npv: float | None  # against the Rescorer's reference plan; None without the appraisal


def planned_changes(inst: Instance, portfolio: dict[str, str | None]
                    ) -> list[tuple[str, str, dict[str, str | None], tuple[str, ...]]]:
    """(project, drop or add, the changed portfolio, the projects moved) of every project
    sheet Value scores, in the projects' order (module docstring)."""
    out = []
    for p in inst.projects:
        if portfolio.get(p):
            gone = dependents(inst, portfolio, p)
            changed = {q: (None if q in gone else t) for q, t in portfolio.items()}
            out.append((p, "drop", changed,
                        (p,) + tuple(q for q in portfolio if q in gone and q != p)))
        elif inst.projects[p].status == "candidate":
            starts = earliest_start(inst, portfolio, p)
            if starts is not None:
                out.append((p, "add", {**portfolio, **starts},
                            (p,) + tuple(q for q in starts if q != p)))
    return out


def score_changes(inst: Instance, score: Rescorer, portfolios: list[dict[str, str | None]],
                  with_npv: bool) -> list[ChangeScore]:
    """Each portfolio scored by ``score`` (its base held): what sheet Value keeps of it."""
    npv = _npv(inst, score) if with_npv else None
    out = []
    for changed in portfolios:
        scored = score(changed)
        ms = scored.measures
        out.append(ChangeScore(ChangeMeasures.of(ms), ms.total_capex, score.dependence(ms),
                               None if npv is None else npv(scored)))
    return out


def project_value(inst: Instance, portfolio: dict[str, str | None], objective: str, *,
                  plan_draws=None, with_npv: bool | None = None,
                  rescorer: Rescorer | None = None, with_chains: bool = True,
                  score_many=None) -> ProjectValue:
    """Every project's drop or add and every chain's prefixes (module docstring).
    ``with_npv``: give npv_change (default: where the appraisal inputs exist);
    ``with_chains=False``: chains None, for the caller to score (value_chains);
    ``score_many(portfolios, with_npv)``: the changed portfolios' ChangeScores, where the
    caller shares them out (planner/analysis/pipeline.py); else score_changes here."""
    score = rescorer or Rescorer(inst, objective)
    if not score.based:
        score.hold_base(portfolio)
    plan = score(portfolio)
    base = score.dependence(plan.measures)
    if with_npv is None:
        with_npv = appraisal_inputs(inst)
    plan_npv = _npv(inst, score)(plan) if with_npv else None
    planned = planned_changes(inst, portfolio)
    portfolios = [changed for _, _, changed, _ in planned]
    scores = score_many(portfolios, with_npv) if score_many is not None else \
        score_changes(inst, score, portfolios, with_npv)
    changes = [ProjectChange(
        p, kind, changed, moved, found.measures,
        found.total_capex - plan.measures.total_capex, found.dependence - base,
        _breaks_limits(inst, changed) if kind == "drop" else
        breaks_rules(inst, changed, plan_draws),
        None if plan_npv is None else found.npv - plan_npv)
        for (p, kind, changed, moved), found in zip(planned, scores)]
    return ProjectValue(plan, base, changes,
                        value_chains(inst, portfolio, score, plan_draws) if with_chains
                        else None)


def value_chains(inst: Instance, portfolio, score: Rescorer, plan_draws=None
                 ) -> list[list[ChainStep]]:
    """Every chain's prefixes (chain_steps), the chains with a step."""
    steps = [chain_steps(inst, portfolio, chain, score, plan_draws)
             for chain in chains(inst)]
    return [s for s in steps if s]


def chain_steps(inst: Instance, portfolio, chain: tuple[str, ...], score: Rescorer,
                plan_draws=None) -> list[ChainStep]:
    """The plan with the chain's first k links built, k = 0 .. n, the rest held: a link of
    the plan at its start, another at its earliest start after the links before it; the
    projects of the plan that require a link not built are left out with it. [] when a link
    has no allowed start."""
    rest = {q: t for q, t in portfolio.items()}
    for link in chain:
        for q in dependents(inst, portfolio, link) if portfolio.get(link) else {link}:
            rest[q] = None
    out, built = [], dict(rest)
    for k in range(len(chain) + 1):
        if k:
            link = chain[k - 1]
            start = portfolio.get(link) or (earliest_start(inst, built, link) or {}).get(link)
            if start is None:
                return []
            built[link] = start
        ms = score(dict(built)).measures
        out.append(ChainStep(chain, k, dict(built), ChangeMeasures.of(ms),
                             score.dependence(ms), breaks_rules(inst, built, plan_draws)))
    return out


def appraisal_inputs(inst: Instance) -> bool:
    """The appraisal says more than transport savings at no discount: a discount rate,
    loss_per_t or an opex is given."""
    s = inst.settings
    return s.discount_rate > 0 or inst.valued or \
        any(p.opex for p in inst.projects.values())


def _npv(inst: Instance, score: Rescorer):
    """scored portfolio -> NPV against the Rescorer's one reference plan (committed projects
    only), every portfolio's whole capex and opex against the reference's
    (planner/analysis/appraisal.py): NPV(changed) - NPV(plan) is what the change is worth, whatever
    the status of the projects it moves."""
    ref = score.reference()

    def npv(s: Scored) -> float:
        return appraise(inst, s, ref).npv
    return npv
