"""The robust portfolio: shared build decisions across scenarios."""

import math

import openpyxl
import pytest

from planner.cli import main
from planner.analysis.measures import evaluate
from planner.studies.robust import robust
from planner.inputs.scenarios import scenario_instances
from planner.solve.solution import PlanInfeasible
from planner.solve.run import solve
from tests.builders import edit, load, project, two_corridors, write


def insurance_choice() -> dict:
    """A third corridor CC (country C, segment sC, 30 USD/t) also needs a project: PC (+10,
    100). The budget buys one of PB, PC. In the base either makes CA's closure harmless (worst
    0); in scenario 'B closed' only PC does. Robust: PC, worst 0."""
    tables = two_corridors()
    tables["Countries"].append({"country": "C"})
    tables["Corridors"].append({"corridor": "CC"})
    tables["Segments"].append({"segment": "sC", "from": "H", "to": "M", "mode": "rail",
                               "country": "C", "capacity": 0, "cost_per_t": 30})
    tables["Routes"].append({"route": "rC", "flow": "K", "corridor": "CC", "segments": "sC"})
    tables["Projects"] = [project("PB", "sB", 10, 100), project("PC", "sC", 10, 100)]
    tables["Scenarios"] = [{"scenario": "B closed", "change": "close", "target": "B"}]
    return tables


def worst_over(instances, portfolio, objective="worst_disruption") -> float:
    """A portfolio scored in every scenario; inf where a scenario does not allow it."""
    worst = 0.0
    for inst in instances.values():
        try:
            sol = solve(inst, objective=objective, fixed=portfolio)
        except PlanInfeasible:
            return math.inf
        ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet)
        worst = max(worst, ms.dependence(objective, inst.settings.dependence_unit))
    return worst


def test_robust_portfolio_insures_every_scenario(tmp_path):
    instances = scenario_instances(load(tmp_path, insurance_choice()))
    plan = robust(instances, jobs=1)
    assert plan.portfolio == {"PB": None, "PC": "2026"}
    assert plan.worst_dependence == pytest.approx(0, abs=1e-7)
    closed = plan.scenarios[1]
    assert closed.measures.worst_disruption == pytest.approx(0, abs=1e-7)
    assert closed.own.measures.worst_disruption == pytest.approx(0, abs=1e-7)


@pytest.mark.parametrize("budget", [100, 200, 50])
def test_robust_is_no_worse_than_any_scenarios_own_portfolio(tmp_path, budget):
    tables = insurance_choice()
    tables["Periods"][0]["budget"] = budget
    tables["Scenarios"].append({"scenario": "dear PC", "change": "capex", "target": "PC",
                                "value": "x1.5"})
    instances = scenario_instances(load(tmp_path, tables))
    plan = robust(instances, jobs=1)
    for s in plan.scenarios:
        if s.own.solution:
            assert plan.worst_dependence <= worst_over(instances, s.own.solution.portfolio) \
                + 1e-7, s.name


def test_robust_command(tmp_path):
    out = tmp_path / "r.xlsx"
    assert main(["robust", str(write(tmp_path, insurance_choice())), "-o", str(out),
                 "--jobs", "1"]) == 0
    rows = list(openpyxl.load_workbook(out)["Robust"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["base", "B closed"]
    assert all(r[1] == pytest.approx(0, abs=1e-7) for r in rows)


def test_robust_with_an_impossible_scenario_exits_3(tmp_path, capsys):
    tables = edit(insurance_choice(), Scenarios=[
        {"scenario": "overcommitted", "change": "status", "target": "PB", "value": "commit"},
        {"scenario": "overcommitted", "change": "status", "target": "PC", "value": "commit"}])
    assert main(["robust", str(write(tmp_path, tables)), "-o", str(tmp_path / "r.xlsx"),
                 "--jobs", "1"]) == 3
    assert "every scenario" in capsys.readouterr().err
