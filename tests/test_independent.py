"""The MIP against brute force (tests/independent.py) on seeded random tiny instances: every
stage's value (unmet demand, dependence, cost) equals the best over every allowed portfolio."""

import random

import pytest

from planner.analysis.leverage import leverage
from planner.model import closures
from planner.solve import screening
from planner.analysis.fixed_portfolio import Rescorer, reference_portfolio
from planner.solve.solution import PlanInfeasible
from planner.solve.run import solve
from tests import independent
from tests.builders import load

SEEDS = range(18)
OBJECTIVES = ["worst_disruption", "expected_disruption", "max_share", "cost"]
CORRIDORS = [f"G{i}" for i in range(1, 9)]


def random_tables(seed: int) -> dict:
    """Two periods, two or three flows over three routes each (some through two transit
    segments) in six corridors, six or seven projects:
    some on two segments, sometimes a twin of another; random budgets, rules and RiskLimits
    (max_share, max_capex by corridor and by country, high-risk capex share)."""
    rnd = random.Random(seed)
    countries = ["H", "A", "B", "C", "D"]
    periods = [2026, 2028]
    segments = []
    # s0-s4 go straight to the market M; s5, s6 to a transit node N, s7, s8 on from N to M
    ends = [("H", "M")] * 5 + [("H", "N")] * 2 + [("N", "M")] * 2
    for i, (a, b) in enumerate(ends):
        segments.append({"segment": f"s{i}", "from": a, "to": b, "mode": "rail",
                         "country": rnd.choice(countries[1:]),
                         "capacity": rnd.choice([0, 0, 3, 5, 8]),
                         "cost_per_t": rnd.randint(1, 20)})
    # a shared home segment in front of every route makes routes share capacity
    segments.append({"segment": "h0", "from": "O", "to": "H", "mode": "rail", "country": "H",
                     "capacity": rnd.choice([8, 12, 40]), "cost_per_t": 1})
    flows = ["K1", "K2", "K3"][:rnd.choice([2, 3])]
    routes = []
    for k in flows:
        for j in range(4):
            chain = [rnd.choice([5, 6]), rnd.choice([7, 8])] if rnd.random() < 0.3 \
                else [rnd.randrange(5)]
            routes.append({"route": f"{k}r{j}", "flow": k, "corridor": rnd.choice(CORRIDORS),
                           "segments": "; ".join(["h0"] + [f"s{s}" for s in chain])})
    demand = [{"flow": k, "origin": "O", "destination": "M", "period": t,
               "demand": rnd.choice([2, 4, 6])} for k in flows for t in periods]
    projects = []
    for i in range(6):
        on = rnd.sample(range(9), 2 if rnd.random() < 0.35 else 1)
        projects.append({
            "project": f"P{i}", "segments": "; ".join(f"s{s}" for s in on),
            "capacity_added": rnd.choice([2, 4, 6]), "capex": rnd.choice([20, 40, 60]),
            "lead_time": rnd.choice([0, 0, 1]),
            "earliest_period": rnd.choice([None, None, 2028]),
            "status": rnd.choice(["candidate"] * 8 + ["committed", "excluded"]),
            "requires": f"P{i - 1}" if i and rnd.random() < 0.25 else None,
            "exclusive_group": "X" if i >= 2 and rnd.random() < 0.4 else None,
            "risk_class": rnd.choice(["low", "high"]),
        })
    if rnd.random() < 0.4:  # a twin: identical candidate projects
        twin = dict(projects[rnd.randrange(6)], project="P6", status="candidate",
                    requires=None)
        if not any(p["requires"] == twin["project"] for p in projects):
            projects.append(twin)
    limits = []
    if rnd.random() < 0.4:
        unit = rnd.choice(["corridor", "country"])
        key = rnd.choice([None] + (CORRIDORS if unit == "corridor" else countries[1:]))
        limits.append({"limit": "max_share", "unit": unit, "key": key,
                       "value": rnd.choice([0.3, 0.5, 0.7])})
    if rnd.random() < 0.4:
        limits.append({"limit": "max_capex", "unit": "corridor",
                       "key": rnd.choice([None] + [r["corridor"] for r in routes]),
                       "value": rnd.choice([20, 40])})
    if rnd.random() < 0.3:
        limits.append({"limit": "max_capex", "unit": "country", "key": "A", "value": 50})
    if rnd.random() < 0.3:
        limits.append({"limit": "max_high_risk_capex_share", "unit": "total", "value": 0.5})
    settings = [{"setting": "home_country", "value": "H"},
                {"setting": "dependence_unit",
                 "value": rnd.choice(["corridor", "corridor", "country"])},
                {"setting": "budget_carry_over", "value": rnd.choice(["yes", "no"])},
                {"setting": "discount_rate", "value": rnd.choice([0, 0.05])}]
    return {
        "Settings": settings,
        "Periods": [{"period": t, "budget": rnd.choice([60, 100, 140]),
                     "weight": rnd.choice([1, 1, 2]), "years": rnd.choice([1, 2, 3])}
                    for t in periods],
        "Countries": [{"country": c, "risk": rnd.choice([0.2, 0.5, 0.9])} for c in countries],
        "Corridors": [{"corridor": g, "risk": rnd.choice([0.2, 0.5, 0.9])} for g in CORRIDORS],
        "Segments": segments, "Routes": routes, "Flows": demand, "Projects": projects,
        "RiskLimits": limits,
    }


_tables: dict[int, list] = {}


def brute_force(inst, seed: int):
    """Every allowed portfolio of seed's instance, scored once for all four objectives."""
    if seed not in _tables:
        _tables[seed] = independent.scored(inst)
    return _tables[seed]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_mip_matches_brute_force(tmp_path, seed, objective):
    """Each stage's value, the cost stage's included, is the least over every allowed
    portfolio that keeps the stages before; the portfolio keeps every rule and scores them."""
    inst = load(tmp_path, random_tables(seed))
    try:
        sol = solve(inst, objective=objective, mip_gap=0)
    except PlanInfeasible:
        with pytest.raises(ValueError):  # brute force finds no allowed portfolio either
            brute_force(inst, seed)
        return
    expected = independent.best(inst, objective, brute_force(inst, seed))
    assert [s.name for s in sol.stages] == (
        ["unmet", "cost"] if objective == "cost" else ["unmet", "dependence", "cost"])
    for stage, value in zip(sol.stages, expected):
        assert stage.value == pytest.approx(value, rel=1e-6, abs=1e-6), stage.name
    assert independent.allowed(inst, sol.portfolio)
    own = independent.score(inst, sol.portfolio)
    for stage in sol.stages:
        assert independent.stage_value(own, stage.name, objective) == pytest.approx(
            stage.value, rel=1e-6, abs=1e-6), stage.name


def test_the_random_instances_have_what_they_claim(tmp_path):
    """The seeds above include max_share and corridor max_capex limits that change the
    optimum, projects on two segments, twins, and worst_disruption solves whose closure
    generation copies pairs beyond the first ones (the seeds in order, until all are seen)."""
    claimed = {"multi-segment project", "twin", "generation rounds", "binding max_share",
               "binding max_capex corridor"}
    features = set()
    for seed in SEEDS:
        if features >= claimed:
            break
        tables = random_tables(seed)
        inst = load(tmp_path, tables, f"case{seed}.xlsx")
        if any(len(p.segments) > 1 for p in inst.projects.values()):
            features.add("multi-segment project")
        if len(inst.projects) > 6:
            features.add("twin")
        try:
            sol = solve(inst, objective="worst_disruption", mip_gap=0)
        except PlanInfeasible:
            continue
        first = screening.first_pairs(screening.screen(
            inst, closures.undominated(inst, inst.closures()), inst.measured_periods,
            "worst_disruption"))
        if sol.size["closure_pairs"] > len(first) or sol.size.get("closure_cuts"):
            features.add("generation rounds")
        for kind, unit in (("max_share", None), ("max_capex", "corridor")):
            if any(lim.limit == kind and unit in (None, lim.unit) for lim in inst.limits):
                # the limit binds: without it the brute-force optimum changes
                without = load(tmp_path, dict(tables, RiskLimits=[
                    lim for lim in tables["RiskLimits"] if not (
                        lim["limit"] == kind and unit in (None, lim["unit"]))]),
                    f"free{seed}.xlsx")
                free = independent.scored(without)
                if any(independent.best(inst, objective, brute_force(inst, seed))
                       != pytest.approx(independent.best(without, objective, free), abs=1e-6)
                       for objective in OBJECTIVES):
                    features.add(f"binding {kind} {unit or ''}".strip())
    assert features >= claimed, features


FINANCE_SEEDS = range(24)


def random_finance_tables(seed: int) -> dict:
    """random_tables(seed) with money over time and several payers: two-share spend profiles
    on projects with a lead time, a smaller budget, a grant for low-risk projects, a loan that
    excludes a country, a loan that pays at most 60%, their envelopes, sometimes a project
    that names its payers and a debt-service limit."""
    tables = random_tables(seed)
    rnd = random.Random(1_000 + seed)
    tables["Settings"] = [r for r in tables["Settings"] if r["setting"] != "discount_rate"]
    tables["Settings"].append({"setting": "discount_rate", "value": rnd.choice([0.03, 0.08])})
    for p in tables["Projects"]:
        if p["lead_time"] == 1 and p["status"] != "committed" and rnd.random() < 0.7:
            p["spend_profile"] = rnd.choice(["0.5;0.5", "0.3;0.7", "0.8;0.2"])
        if rnd.random() < 0.2:  # CAP has no country rules: it may always be named
            p["sources"] = rnd.choice(["budget", "CAP", "budget; CAP"])
    for period in tables["Periods"]:
        period["budget"] = rnd.choice([0, 10, 30])
        if rnd.random() < 0.5:
            period["debt_service_limit"] = rnd.choice([3, 8, 20])
    tables["Sources"] = [
        {"source": "GRANT", "kind": "grant", "risk_classes": "low"},
        {"source": "LOAN", "kind": "loan", "rate": rnd.choice([0.0, 0.02, 0.1]),
         "tenor_years": rnd.choice([1, 2]), "grace_years": rnd.choice([0, 1]),
         "excluded_countries": rnd.choice(["A", "B", "C"])},
        # interest-free: cheaper than the budget at a positive discount rate, so drawn up
        # to its max_share and, with a debt-service limit, up to that
        {"source": "CAP", "kind": "loan", "rate": 0.0, "tenor_years": 2, "max_share": 0.6},
    ]
    tables["SourceBudgets"] = [{"source": s, "period": t, "amount": rnd.choice([0, 30, 60])}
                               for s in ("GRANT", "LOAN", "CAP") for t in (2026, 2028)]
    return tables


@pytest.mark.parametrize("seed", FINANCE_SEEDS)
@pytest.mark.parametrize("objective", ["worst_disruption", "cost"])
def test_mip_matches_brute_force_with_sources(tmp_path, seed, objective):
    """The same check with spend profiles, sources, eligibility, max_share, envelopes and
    debt-service limits: the brute force pays each portfolio by its own LP (independent.
    finance), the cost stage's value is the least present cost to the country plus transport
    cost among the portfolios that keep the earlier stages."""
    inst = load(tmp_path, random_finance_tables(seed))
    try:
        sol = solve(inst, objective=objective, mip_gap=0)
    except PlanInfeasible:
        with pytest.raises(ValueError):
            independent.scored(inst)
        return
    expected = independent.best(inst, objective)
    for stage, value in zip(sol.stages, expected):
        assert stage.value == pytest.approx(value, rel=1e-6, abs=1e-6), stage.name
    assert independent.allowed(inst, sol.portfolio)


def test_the_finance_instances_use_what_they_claim(tmp_path):
    """Across the seeds: profiles, a project naming its payers, debt-service limits, and
    optima that draw on a source other than the budget (the seeds in order, until all are
    seen)."""
    claimed = {"profile", "named payers", "debt limit", "external draw"}
    features = set()
    for seed in FINANCE_SEEDS:
        if features == claimed:
            break
        inst = load(tmp_path, random_finance_tables(seed), f"f{seed}.xlsx")
        if any(len(p.spend_profile) > 1 for p in inst.projects.values()):
            features.add("profile")
        if any(p.sources for p in inst.projects.values()):
            features.add("named payers")
        if any(t.debt_service_limit is not None for t in inst.periods):
            features.add("debt limit")
        try:
            sol = solve(inst, objective="cost")
        except PlanInfeasible:
            continue
        if any(s != "budget" for _, s, _ in sol.draws):
            features.add("external draw")
    assert features == claimed, features


LEVERAGE_SEEDS = range(10)


def generic_costs(tables: dict, seed: int) -> dict:
    """random_tables with a random fraction on every segment's cost: fewer routings of a
    closure cost the same (with whole numbers, many tie, and the closure routing's later
    stages choose among them: _MaxFlow.least_cost)."""
    rnd = random.Random(1000 + seed)
    for segment in tables["Segments"]:
        segment["cost_per_t"] = round(segment["cost_per_t"] + rnd.random(), 4)
    return tables


@pytest.mark.parametrize("seed", LEVERAGE_SEEDS)
def test_leverage_matches_the_independent_reference(tmp_path, seed):
    """Sheet Leverage's figures, plan and reference plan, every corridor and country and
    period: traffic, captive (and so its share of trade), premium; and max_captive_share, the
    largest country's captive share weighted over the measured periods: each as
    independent.leverage_hold computes it from the same plan's flows. Odd seeds have
    fractional costs, even seeds whole ones, whose equal-cost routings tie."""
    tables = random_tables(seed)
    inst = load(tmp_path, generic_costs(tables, seed) if seed % 2 else tables)
    try:
        sol = solve(inst, objective=OBJECTIVES[seed % 4], explain=False)
    except PlanInfeasible:
        pytest.skip("this seed's rules conflict")
    score = Rescorer(inst, sol.objective)
    rows = leverage(inst, sol.portfolio, sol.objective, rescorer=score)
    plans = {"plan": sol.portfolio, "reference": reference_portfolio(inst)}
    # the flows leverage scored (each capacity's solution is kept: the same numbers)
    flows = {"plan": score(plans["plan"]).flows, "reference": score.reference().flows}
    largest: dict[str, float] = {}
    for r in rows:
        for which in plans:
            hold = getattr(r, which)
            ref = independent.leverage_hold(inst, plans[which], flows[which], r.period,
                                            r.unit, r.key)
            where = (which, r.unit, r.key, r.period)
            assert hold.traffic == pytest.approx(ref["traffic"], abs=1e-6), where
            assert hold.captive == pytest.approx(ref["captive"], abs=1e-6), where
            # the premium within a thousandth of a USD/t: each stage of the closure's
            # routing holds the cost within 1e-6 of its value, shared over the divertible
            # tonnes; below a thousandth of a Mt/yr divertible it is the LPs' round-off
            if ref["divertible"] > 1e-3:
                assert hold.premium == pytest.approx(ref["premium"], abs=1e-3), where
            elif ref["traffic"] == 0:
                assert hold.premium is None, where
            if which == "plan" and r.unit == "country":
                largest[r.period] = max(largest.get(r.period, 0.0),
                                        ref["captive"] / inst.total_demand[r.period])
    measured = {t: inst.period[t].weight for t in inst.period_ids
                if inst.period[t].weight > 0 and inst.total_demand[t] > 0}
    assert score(plans["plan"]).measures.max_captive_share == pytest.approx(
        sum(w * largest.get(t, 0.0) for t, w in measured.items()) / sum(measured.values()),
        abs=1e-6)


APPRAISAL_SEEDS = range(12)


def random_appraisal_tables(seed: int) -> dict:
    """random_tables(seed) with what the appraisal reads: periods of 0.5 to 2.5 years, a
    discount rate, sometimes loss_per_t, closure_days on corridors and countries, opex, years
    after the horizon, spend profiles, and in half the seeds one more committed project."""
    tables = random_tables(seed)
    rnd = random.Random(2_000 + seed)
    tables["Settings"] = [r for r in tables["Settings"] if r["setting"] != "discount_rate"]
    tables["Settings"] += [
        {"setting": "discount_rate", "value": rnd.choice([0, 0.05, 0.1])},
        {"setting": "benefit_years_after", "value": rnd.choice([0, 1.5, 4])}]
    if rnd.random() < 0.7:
        tables["Settings"].append({"setting": "loss_per_t", "value": rnd.choice([30, 80])})
    for period in tables["Periods"]:
        period["years"] = rnd.choice([0.5, 1, 1.5, 2, 2.5])
    for row in tables["Corridors"] + tables["Countries"]:
        row["closure_days"] = rnd.choice([0, 0, 10, 36.5])
    free = [p for p in tables["Projects"] if not p["requires"] and p["status"] == "candidate"
            and not any(q["requires"] == p["project"] for q in tables["Projects"])]
    if free and rnd.random() < 0.5:
        rnd.choice(free)["status"] = "committed"
    for p in tables["Projects"]:
        p["opex"] = rnd.choice([0, 0, 1, 4])
        if p["lead_time"] == 1 and rnd.random() < 0.4:
            p["spend_profile"] = "0.5;0.5"
    return tables


_appraised: dict[int, tuple] = {}


def appraised(tmp_path, seed: int):
    """(instance, objective, Analysis or None where no plan exists) of an appraisal seed,
    solved once per test session."""
    from planner.analysis.pipeline import analyse

    if seed not in _appraised:
        objective = OBJECTIVES[seed % len(OBJECTIVES)]
        inst = load(tmp_path, random_appraisal_tables(seed), f"a{seed}.xlsx")
        try:
            sol = solve(inst, objective=objective, mip_gap=0)
            done = analyse(inst, sol.portfolio, objective, plan_draws=sol.draws)
        except PlanInfeasible:
            done = None
        _appraised[seed] = (inst, objective, done)
    return _appraised[seed]


@pytest.mark.parametrize("seed", APPRAISAL_SEEDS)
def test_the_appraisal_matches_first_principles(tmp_path, seed):
    """The Summary's NPV (planner/analysis/pipeline.py) equals independent.npv of the plan, routed by
    the solve's objective; and for every Value row, the Summary's NPV plus its npv_change
    equals the NPV of that changed portfolio, from first principles and as the planner
    appraises it on its own (its own Rescorer, the reference scored again)."""
    from planner.analysis.pipeline import analyse

    inst, objective, done = appraised(tmp_path, seed)
    if done is None:
        return
    npv = done.appraisal.npv
    assert npv == pytest.approx(independent.npv(inst, done.plan.portfolio, objective),
                                rel=1e-6, abs=1e-5)
    changes = [c for c in done.value.changes if c.npv_change is not None]
    assert changes
    for c in changes:
        direct = independent.npv(inst, c.portfolio, objective)
        assert npv + c.npv_change == pytest.approx(direct, rel=1e-6, abs=1e-5), c.project
        alone = analyse(inst, c.portfolio, objective, full=False).appraisal.npv
        assert npv + c.npv_change == pytest.approx(alone, rel=1e-6, abs=1e-5), c.project


def test_the_appraisal_instances_have_what_they_claim(tmp_path):
    """Across the appraisal seeds: a committed project dropped on sheet Value, fractional
    periods, a max_share plan, unmet demand served and the expected loss avoided."""
    features = set()
    for seed in APPRAISAL_SEEDS:
        inst, objective, done = appraised(tmp_path, seed)
        if any(not float(p.years).is_integer() for p in inst.periods):
            features.add("fractional period")
        if done is None:
            continue
        a = done.appraisal
        if objective == "max_share":
            features.add("max_share")
        if any(c.change == "drop" and inst.projects[c.project].status == "committed"
               for c in done.value.changes):
            features.add("committed drop")
        if abs(a.pv["unmet_served"]) > 1e-3:
            features.add("unmet served")
        if abs(a.pv["loss_avoided"]) > 1e-3:
            features.add("loss avoided")
    assert features >= {"fractional period", "max_share", "committed drop", "unmet served",
                        "loss avoided"}, features
