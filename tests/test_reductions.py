"""The reduced formulation against the plain one of model.md (build(plain=True)) on random
instances built so that every exact reduction of docs/solving.md has something to remove: both
solved through the same stages, every stage's value equal, and both portfolios scored apart
by the brute force's own LPs (tests/independent.py)."""

import random

import pytest

from planner.model import closures, projects
from planner.solve.solution import PlanInfeasible
from planner.solve.run import solve_model
from tests import independent
from tests.builders import load

SEEDS = range(8)
OBJECTIVES = ["worst_disruption", "expected_disruption", "max_share", "cost"]


def reducible_tables(seed: int) -> dict:
    """Three periods, three flows, ten projects. Built in, whatever the seed:

    - twins and a triplet of identical candidate projects (symmetry breaking);
    - a home segment and a segment in country A too big to bind (rows left out);
    - country E only on routes that also pass D, and corridor G0 with no route (dominated
      closures);
    - flow K3's routes all in corridor G1 and all through country C (nothing avoids that
      closure: stranded constants);
    - projects adding more than one flow can use (strong links), one on two segments."""
    rnd = random.Random(seed)
    periods = [2026, 2028, 2030]
    segments = [{"segment": "h0", "from": "O", "to": "H", "mode": "rail", "country": "H",
                 "capacity": 100, "cost_per_t": 1}]
    direct = ["A", "B", "C", "D", "C"]  # s0 is in A: capacity 50, never binds
    for i, country in enumerate(direct):
        segments.append({"segment": f"s{i}", "from": "H", "to": "M", "mode": "rail",
                         "country": country, "capacity": 50 if i == 0 else rnd.choice([0, 2, 4]),
                         "cost_per_t": rnd.randint(1, 20)})
    for i, (a, b, country) in enumerate([("H", "N", "D"), ("N", "M", "E")]):
        segments.append({"segment": f"t{i}", "from": a, "to": b, "mode": "rail",
                         "country": country, "capacity": rnd.choice([0, 3, 6]),
                         "cost_per_t": rnd.randint(1, 10)})
    corridors = ["G0", "G1", "G2", "G3", "G4"]
    routes = [
        {"route": "K1a", "flow": "K1", "corridor": "G2", "segments": "h0; s0"},
        {"route": "K1b", "flow": "K1", "corridor": "G3", "segments": "h0; s1"},
        {"route": "K1c", "flow": "K1", "corridor": rnd.choice(["G3", "G4"]),
         "segments": "h0; t0; t1"},
        {"route": "K2a", "flow": "K2", "corridor": "G4", "segments": "h0; s3"},
        {"route": "K2b", "flow": "K2", "corridor": rnd.choice(["G2", "G3"]),
         "segments": "h0; s1"},
        {"route": "K2c", "flow": "K2", "corridor": "G4", "segments": "h0; t0; t1"},
        {"route": "K3a", "flow": "K3", "corridor": "G1", "segments": "h0; s2"},
        {"route": "K3b", "flow": "K3", "corridor": "G1", "segments": "h0; s4"},
    ]
    flows = [{"flow": k, "origin": "O", "destination": "M", "period": t,
              "demand": rnd.choice([3, 5, 8]) + i} for k in ("K1", "K2", "K3")
             for i, t in enumerate(periods)]
    base = [("s1", 6), ("s3", 4), ("t0; t1", 5), ("s2", 10), ("s4", 3)]
    projects_ = []
    for i, (on, added) in enumerate(base):
        projects_.append({"project": f"P{i}", "segments": on, "capacity_added": added,
                          "capex": rnd.choice([20, 30, 50]), "lead_time": rnd.choice([0, 1]),
                          "risk_class": rnd.choice(["low", "high"])})
    twin, triplet = rnd.sample(range(5), 2)
    for j, (of, n) in enumerate([(twin, 2), (triplet, 3)]):
        for c in range(1, n):
            projects_.append(dict(projects_[of], project=f"Q{j}{c}"))
    projects_.append({"project": "R", "segments": "s0", "capacity_added": 5, "capex": 10})
    limits = []
    if rnd.random() < 0.5:
        limits.append({"limit": "max_share", "unit": "corridor", "key": "G4", "value": 0.45})
    if rnd.random() < 0.5:
        limits.append({"limit": "max_capex", "unit": "corridor", "key": "G3", "value": 60})
    return {
        "Settings": [{"setting": "home_country", "value": "H"},
                     {"setting": "dependence_unit", "value": rnd.choice(["corridor", "country"])},
                     {"setting": "budget_carry_over", "value": rnd.choice(["yes", "no"])},
                     {"setting": "discount_rate", "value": rnd.choice([0, 0.05])}],
        "Periods": [{"period": t, "budget": rnd.choice([40, 60, 90]),
                     "weight": rnd.choice([0, 1, 1, 2]) if i else 1, "years": 2}
                    for i, t in enumerate(periods)],
        "Countries": [{"country": c, "risk": rnd.choice([0.2, 0.5, 0.9])}
                      for c in ["H", "A", "B", "C", "D", "E"]],
        "Corridors": [{"corridor": g, "risk": rnd.choice([0.2, 0.5, 0.9])} for g in corridors],
        "Segments": segments, "Routes": routes, "Flows": flows, "Projects": projects_,
        "RiskLimits": limits,
    }


def test_every_reduction_has_something_to_remove(tmp_path):
    """On every seed: identical candidates, capacity rows that cannot bind, dominated closures
    and closures that strand a flow whatever is built."""
    for seed in SEEDS:
        inst = load(tmp_path, reducible_tables(seed), f"case{seed}.xlsx")
        assert sorted(map(len, projects.identical_groups(inst))) == [2, 3]
        assert inst.load_bound("s0", "2030") <= inst.segments["s0"].capacity
        every = inst.closures()
        assert len(closures.undominated(inst, every)) < len(every)
        unit, key = ("corridor", "G1") if inst.settings.dependence_unit == "corridor" \
            else ("country", "C")
        assert set(inst.routes_in_unit(unit, key)) >= set(inst.routes_of_flow["K3"])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_reduced_formulation_ends_where_the_plain_one_does(tmp_path, seed, objective):
    """Every stage's optimum of the reduced model equals the plain model's, and each model's
    portfolio scores its stage values under the brute force's own LPs."""
    inst = load(tmp_path, reducible_tables(seed))
    try:
        plain = solve_model(inst, objective=objective, mip_gap=0, plain=True)
    except PlanInfeasible:
        with pytest.raises(PlanInfeasible):
            solve_model(inst, objective=objective, mip_gap=0)
        return
    reduced = solve_model(inst, objective=objective, mip_gap=0)
    assert plain.status == reduced.status == "optimal"
    assert [s.name for s in plain.stages] == [s.name for s in reduced.stages]
    for a, b in zip(plain.stages, reduced.stages):
        assert b.value == pytest.approx(a.value, rel=1e-6, abs=1e-6), a.name
    for sol in (plain, reduced):
        assert independent.allowed(inst, sol.portfolio)
        own = independent.score(inst, sol.portfolio)
        for stage in sol.stages:
            assert independent.stage_value(own, stage.name, objective) == pytest.approx(
                stage.value, rel=1e-6, abs=1e-6), stage.name
