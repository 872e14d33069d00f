"""The MIP against brute force (tests/independent.py) on seeded random tiny instances."""

import random

import pytest

from planner.solution import PlanInfeasible
from planner.solve import solve
from tests import independent
from tests.builders import load


def random_tables(seed: int) -> dict:
    rnd = random.Random(seed)
    countries = ["H", "A", "B", "C"]
    corridors = ["G1", "G2", "G3"]
    periods = [2026, 2028]
    segments = []
    for i in range(6):
        segments.append({"segment": f"s{i}", "from": "H", "to": "M", "mode": "rail",
                         "country": rnd.choice(countries[1:]),
                         "capacity": rnd.choice([0, 0, 3, 5, 8]),
                         "cost_per_t": rnd.randint(1, 20)})
    # a shared home segment in front of some routes makes routes share capacity
    segments.append({"segment": "h0", "from": "O", "to": "H", "mode": "rail", "country": "H",
                     "capacity": rnd.choice([8, 12, 40]), "cost_per_t": 1})
    routes = []
    for k in ("K1", "K2"):
        for j, s in enumerate(rnd.sample(range(6), 3)):
            routes.append({"route": f"{k}r{j}", "flow": k, "corridor": rnd.choice(corridors),
                           "segments": f"h0; s{s}"})
    flows = [{"flow": k, "origin": "O", "destination": "M", "period": t,
              "demand": rnd.choice([2, 4, 6])} for k in ("K1", "K2") for t in periods]
    projects = []
    for i in range(4):
        projects.append({
            "project": f"P{i}", "segments": f"s{rnd.randrange(6)}",
            "capacity_added": rnd.choice([2, 4, 6]), "capex": rnd.choice([20, 40, 60]),
            "lead_time": rnd.choice([0, 0, 1]),
            "earliest_period": rnd.choice([None, None, 2028]),
            "status": rnd.choice(["candidate"] * 6 + ["committed", "excluded"]),
            "requires": f"P{i - 1}" if i and rnd.random() < 0.25 else None,
            "exclusive_group": "X" if i >= 2 and rnd.random() < 0.5 else None,
            "risk_class": rnd.choice(["low", "high"]),
        })
    limits = []
    if rnd.random() < 0.3:
        limits.append({"limit": "max_capex", "unit": "country", "key": "A", "value": 50})
    if rnd.random() < 0.3:
        limits.append({"limit": "max_high_risk_capex_share", "unit": "total", "value": 0.5})
    settings = [{"setting": "home_country", "value": "H"},
                {"setting": "dependence_unit", "value": rnd.choice(["corridor", "country"])},
                {"setting": "budget_carry_over", "value": rnd.choice(["yes", "no"])},
                {"setting": "discount_rate", "value": rnd.choice([0, 0.05])}]
    return {
        "Settings": settings,
        "Periods": [{"period": t, "budget": rnd.choice([40, 60, 100]),
                     "weight": rnd.choice([1, 1, 2]), "years": rnd.choice([1, 2, 3])}
                    for t in periods],
        "Countries": [{"country": c, "risk": rnd.choice([0.2, 0.5, 0.9])} for c in countries],
        "Corridors": [{"corridor": g, "risk": rnd.choice([0.2, 0.5, 0.9])} for g in corridors],
        "Segments": segments, "Routes": routes, "Flows": flows, "Projects": projects,
        "RiskLimits": limits,
    }


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", ["worst_disruption", "expected_disruption", "max_share",
                                       "cost"])
def test_mip_matches_brute_force(tmp_path, seed, objective):
    inst = load(tmp_path, random_tables(seed))
    try:
        sol = solve(inst, objective=objective, mip_gap=0)
    except PlanInfeasible:
        with pytest.raises(ValueError):  # brute force finds no allowed portfolio either
            independent.best(inst, objective)
        return
    unmet, dependence = independent.best(inst, objective)
    assert sol.stages[0].value == pytest.approx(unmet, abs=1e-6)
    assert sol.stages[1].value == pytest.approx(dependence, abs=1e-6)
    assert independent.allowed(inst, sol.portfolio)
