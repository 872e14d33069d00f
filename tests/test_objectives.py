"""Each objective on tiny instances whose optimum is derived by hand in the docstring."""

import pytest

from tests.builders import through_home, edit, periods, project, setting, solve_tables, two_corridors

TOL = 1e-6


def test_worst_disruption_builds_the_second_corridor(tmp_path):
    """Without PB, closing CA strands all 10 Mt: stranded share 1. With PB (100 <= budget 100)
    CB carries everything when CA closes and CA everything when CB closes: 0. Stage 3 then
    routes the 10 Mt over the cheaper CA: cost = 100 capex + 10 x 10 = 200."""
    sol, ms = solve_tables(tmp_path, two_corridors())
    assert sol.status == "optimal"
    assert sol.portfolio == {"PB": "2026"}
    assert ms.worst_disruption == pytest.approx(0, abs=TOL)
    assert ms.total_capex == pytest.approx(100)
    assert sol.flows["rA", "2026"] == pytest.approx(10)
    assert ms.transport_cost == pytest.approx(100)
    assert [s.name for s in sol.stages] == ["unmet", "dependence", "cost"]
    assert sol.stages[2].value == pytest.approx(200)


def test_worst_disruption_without_money_keeps_status_quo(tmp_path):
    """Budget 99 < capex 100: nothing can be built, closing CA strands everything."""
    tables = edit(two_corridors(), Periods=periods((2026, 99)))
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": None}
    assert ms.worst_disruption == pytest.approx(1.0)
    assert ms.stranded["corridor", "CA", "2026"] == pytest.approx(10)
    assert ms.stranded["corridor", "CB", "2026"] == pytest.approx(0)


def test_max_share_splits_the_flow(tmp_path):
    """With PB built, the largest corridor share is least at 5/5: z = 0.5. Without PB it would
    be 1. Cost stage: 100 + 5 x 10 + 5 x 20 = 250."""
    sol, ms = solve_tables(tmp_path, two_corridors(), objective="max_share")
    assert sol.portfolio == {"PB": "2026"}
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)
    assert ms.max_corridor_share == pytest.approx(0.5, abs=1e-5)
    assert sol.flows["rA", "2026"] == pytest.approx(5, abs=1e-4)
    assert sol.stages[2].value == pytest.approx(250, abs=1e-3)


def test_max_share_by_country_ignores_the_home_country(tmp_path):
    """Both routes start on a home segment sH (country H). Were H counted, its share would be
    1 whatever is built; with H left out the optimum is the 0.5 split of A and B."""
    tables = setting(through_home(two_corridors()), "dependence_unit", "country")
    sol, ms = solve_tables(tmp_path, tables, objective="max_share")
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)
    assert ms.max_country_share == pytest.approx(0.5, abs=1e-5)
    assert ("country", "H", "2026") not in ms.share


def test_cost_objective_builds_nothing_it_does_not_need(tmp_path):
    """Objective cost: demand is met over CA alone, so PB is not worth its 100; cost = 10 x 10
    = 100. The portfolio is still scored on dependence: worst disruption 1."""
    sol, ms = solve_tables(tmp_path, two_corridors(), objective="cost")
    assert sol.portfolio == {"PB": None}
    assert [s.name for s in sol.stages] == ["unmet", "cost"]
    assert sol.stages[1].value == pytest.approx(100)
    assert ms.worst_disruption == pytest.approx(1.0)
    assert ms.dependence("cost", "corridor") == pytest.approx(1.0)


def two_flows(risk_a: float, risk_c: float) -> dict:
    """Flows K1 (over CA, alternative CB needs PB) and K2 (over CC, alternative CD needs PD),
    10 Mt each; the budget buys one project."""
    seg = lambda s, c, cap: {"segment": s, "from": "H", "to": "M", "mode": "rail",  # noqa: E731
                             "country": c, "capacity": cap, "cost_per_t": 10}
    return {
        "Settings": [{"setting": "objective", "value": "expected_disruption"}],
        "Periods": periods((2026, 100)),
        "Countries": [{"country": c} for c in ("A", "B", "C", "D")],
        "Corridors": [{"corridor": "CA", "risk": risk_a}, {"corridor": "CB", "risk": 0.5},
                      {"corridor": "CC", "risk": risk_c}, {"corridor": "CD", "risk": 0.5}],
        "Segments": [seg("sA", "A", 10), seg("sB", "B", 0), seg("sC", "C", 10),
                     seg("sD", "D", 0)],
        "Routes": [{"route": f"r{x}", "flow": k, "corridor": f"C{x}", "segments": f"s{x}"}
                   for x, k in (("A", "K1"), ("B", "K1"), ("C", "K2"), ("D", "K2"))],
        "Flows": [{"flow": k, "origin": "H", "destination": "M", "period": 2026, "demand": 10}
                  for k in ("K1", "K2")],
        "Projects": [project("PB", "sB", 10, 100), project("PD", "sD", 10, 100)],
    }


def test_expected_disruption_protects_the_riskier_corridor(tmp_path):
    """Weights 0.8, 0.5, 0.2, 0.5 normalise to 0.4, 0.25, 0.1, 0.25. Building PB leaves only
    closing CC stranding K2 (10 of 20): 0.1 x 0.5 = 0.05. Building PD leaves CA stranding K1:
    0.4 x 0.5 = 0.2. So PB, and expected disruption 0.05."""
    sol, ms = solve_tables(tmp_path, two_flows(0.8, 0.2))
    assert sol.portfolio == {"PB": "2026", "PD": None}
    assert sol.stages[1].value == pytest.approx(0.05, abs=TOL)
    assert ms.expected_disruption == pytest.approx(0.05, abs=TOL)
    assert ms.worst_disruption == pytest.approx(0.5)


def test_expected_disruption_follows_the_weights(tmp_path):
    """Swap the risks of CA and CC: now PD is the better insurance."""
    sol, ms = solve_tables(tmp_path, two_flows(0.2, 0.8))
    assert sol.portfolio == {"PB": None, "PD": "2026"}
    assert ms.expected_disruption == pytest.approx(0.05, abs=TOL)


def test_stage_two_value_equals_the_evaluated_measure(tmp_path):
    """The model's w and the evaluation's max-flow LPs are two computations of one number."""
    for objective, measure in (("worst_disruption", "worst_disruption"),
                               ("expected_disruption", "expected_disruption"),
                               ("max_share", "max_corridor_share")):
        sol, ms = solve_tables(tmp_path, two_flows(0.7, 0.3), objective=objective)
        assert sol.stages[1].value == pytest.approx(getattr(ms, measure), abs=1e-5)


def small_shares() -> dict:
    """A big flow K (10,000 Mt/yr over corridors C1 and C2, 10,000 each) and a small flow S
    (1.005 Mt/yr over C3, 10). S has two more routes, each through an empty segment that a
    project fills and a bottleneck behind it: C4 (project P, bottleneck 0.005) and C5
    (project Q, 0.002). P and Q cost 1 each; the budget is 1: one of them."""
    def seg(s, country, capacity, start="H", end="M"):
        return {"segment": s, "from": start, "to": end, "mode": "rail", "country": country,
                "capacity": capacity, "cost_per_t": 10}
    return {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": periods((2026, 1)),
        "Countries": [{"country": c} for c in "HABCDE"],
        "Corridors": [{"corridor": f"C{i}"} for i in range(1, 6)],
        "Segments": [seg("s1", "A", 10_000), seg("s2", "B", 10_000), seg("s3", "C", 10),
                     seg("sP", "D", 0, "H", "X"), seg("bP", "D", 0.005, "X", "M"),
                     seg("sQ", "E", 0, "H", "Y"), seg("bQ", "E", 0.002, "Y", "M")],
        "Routes": [{"route": "r1", "flow": "K", "corridor": "C1", "segments": "s1"},
                   {"route": "r2", "flow": "K", "corridor": "C2", "segments": "s2"},
                   {"route": "r3", "flow": "S", "corridor": "C3", "segments": "s3"},
                   {"route": "r4", "flow": "S", "corridor": "C4", "segments": "sP; bP"},
                   {"route": "r5", "flow": "S", "corridor": "C5", "segments": "sQ; bQ"}],
        "Flows": [{"flow": "K", "origin": "H", "destination": "M", "period": 2026,
                   "demand": 10_000},
                  {"flow": "S", "origin": "H", "destination": "M", "period": 2026,
                   "demand": 1.005}],
        "Projects": [project("P", "sP", 10, 1), project("Q", "sQ", 10, 1)],
        "RiskLimits": [],
    }


def test_expected_disruption_keeps_its_optimum_when_shares_are_tiny(tmp_path):
    """Only closing C3 strands anything: 1.005 Mt/yr with nothing built, 1.003 with Q, 1.000
    with P. Five corridors weighted equally, D = 10,001.005: expected share 1.000 / 5 / D =
    1.99980e-5 with P, 2.00580e-5 with Q. The differences (6e-8 of trade) are below HiGHS's
    absolute tolerances but 0.3% of the value: an unscaled objective ended with Q, and an
    unscaled row keeping the optimum let the cost stage drop P to save its capex."""
    sol, ms = solve_tables(tmp_path, small_shares(), objective="expected_disruption")
    assert sol.status == "optimal"
    assert sol.stages[1].value == pytest.approx(1.0 / 5 / 10_001.005, rel=1e-6)
    assert sol.portfolio == {"P": "2026", "Q": None}
    assert ms.expected_disruption == pytest.approx(sol.stages[1].value, rel=1e-6)
    assert ms.stranded["corridor", "C3", "2026"] == pytest.approx(1.0, abs=1e-6)
