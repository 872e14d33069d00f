"""Impossible plans are explained by the elastic model in the workbook's own terms."""

import pytest

from planner.solve.solution import PlanInfeasible
from planner.solve.run import solve
from tests.builders import edit, load, periods, project, two_corridors


def explanation(tmp_path, tables):
    with pytest.raises(PlanInfeasible) as err:
        solve(load(tmp_path, tables))
    return err.value.explanation


def test_committed_projects_over_budget(tmp_path):
    """PC (140) and PD (30) committed in 2026, budget 100: 70 short. PD alone fits, so the
    smallest conflict is the budget and PC; un-committing PC alone is enough, or 70 more."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                             project("PC", "sB", 5, 140, status="committed"),
                                             project("PD", "sB", 5, 30, status="committed")])
    ex = explanation(tmp_path, tables)
    assert ex.conflict == ["Periods row 2: the 2026 budget, 100 USD m",
                           "Projects row 3: PC is committed, starting 2026 (capex 140 USD m)"]
    assert ex.remedies == ["raise the 2026 budget by 70 USD m",
                           "un-commit PC (set its status to candidate)"]


def test_committed_projects_over_budget_with_carry_over_names_the_cumulative_budget(tmp_path):
    """Budgets 50 and 50 carried over; PC (140) committed in 2028: 40 short by 2028."""
    tables = edit(two_corridors(), Periods=periods((2026, 50), (2028, 50)),
                  Projects=[project("PC", "sB", 5, 140, status="committed",
                                    earliest_period=2028)],
                  Settings=[{"setting": "budget_carry_over", "value": "yes"}])
    tables["Flows"][0]["period"] = 2028
    ex = explanation(tmp_path, tables)
    assert "Periods row 3: the 2028 budget, 100 USD m with what earlier periods carry over" \
        in ex.conflict
    assert "raise the 2028 budget by 40 USD m" in ex.remedies


def test_max_capex_below_what_is_committed(tmp_path):
    tables = edit(two_corridors(), Projects=[project("PC", "sB", 5, 80, status="committed")],
                  RiskLimits=[{"limit": "max_capex", "unit": "country", "key": "B",
                               "value": 50}])
    ex = explanation(tmp_path, tables)
    assert ex.conflict[0] == "RiskLimits row 2: max_capex 50 USD m on country B"
    assert "raise the max_capex limit in RiskLimits row 2 by 30 USD m" in ex.remedies
    assert "un-commit PC (set its status to candidate)" in ex.remedies


def test_committed_project_requires_an_excluded_one(tmp_path):
    tables = edit(two_corridors(), Projects=[
        project("PC", "sB", 5, 10, status="committed", requires="PX"),
        project("PX", "sB", 5, 10, status="excluded")])
    ex = explanation(tmp_path, tables)
    assert ex.conflict == ["Projects row 2: PC is committed, starting 2026 (capex 10 USD m)",
                           "Projects row 2: PC requires PX (excluded, Projects row 3)"]
    assert ex.remedies == ["un-commit PC (set its status to candidate)",
                           "remove PX from the requires of PC"]


def test_two_committed_projects_in_one_exclusive_group(tmp_path):
    tables = edit(two_corridors(), Projects=[
        project("P1", "sB", 5, 10, status="committed", exclusive_group="G"),
        project("P2", "sB", 5, 10, status="committed", exclusive_group="G")])
    ex = explanation(tmp_path, tables)
    assert any("exclusive group 'G'" in c for c in ex.conflict)
    assert "take one project out of exclusive group 'G'" in ex.remedies
    assert "un-commit P1 (set its status to candidate)" in ex.remedies or \
        "un-commit P2 (set its status to candidate)" in ex.remedies


def test_high_risk_share_below_committed(tmp_path):
    tables = edit(two_corridors(), Projects=[
        project("PC", "sB", 5, 10, status="committed", risk_class="high")],
        RiskLimits=[{"limit": "max_high_risk_capex_share", "unit": "total", "value": 0.5}])
    ex = explanation(tmp_path, tables)
    assert any("max_high_risk_capex_share" in c for c in ex.conflict)
    assert "un-commit PC (set its status to candidate)" in ex.remedies


def test_unmet_demand_is_served_as_far_as_possible_and_explained(tmp_path, capsys):
    """CA is capped at 30% of trade and PB is excluded: 7 of 10 Mt are unmet. The solve
    succeeds; the terminal and the Summary say how much, when, and what binds: the cap on A
    and the empty segment sB."""
    import openpyxl

    from planner.cli import main
    from tests.builders import write
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, status="excluded")],
                  RiskLimits=[{"limit": "max_share", "unit": "country", "key": "A",
                               "value": 0.3}])
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    text = capsys.readouterr().out
    assert "UNMET DEMAND: 7.0 Mt/yr in 2026 (7.0 Mt over the horizon)" in text
    assert "RiskLimits row 2: max_share 0.3 on country A binds in 2026" in text
    assert "Segments row 3: segment sB is full in 2026 (capacity 0 Mt/yr)" in text
    rows = list(openpyxl.load_workbook(out)["Summary"].iter_rows(min_row=2, values_only=True))
    summary = {r[0]: r[1] for r in rows}
    assert summary["unmet_demand"] == pytest.approx(7) == summary["unmet_demand_2026"]
    causes = [r[1] for r in rows if r[0] == "unmet_cause"]
    assert "RiskLimits row 2: max_share 0.3 on country A binds in 2026" in causes


def test_capacity_that_binds_names_its_built_capacity(tmp_path):
    from planner.solve.infeasibility import unmet_causes
    from tests.builders import demand
    inst = load(tmp_path, edit(two_corridors(), Flows=demand("K", "H", "M", **{"2026": 25})))
    assert unmet_causes(inst, {"PB": "2026"}) == [
        "Segments row 2: segment sA is full in 2026 (capacity 10 Mt/yr)",
        "Segments row 3: segment sB is full in 2026 (capacity 10 Mt/yr)"]


def _over_budget():
    return edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                           project("PC", "sB", 5, 140, status="committed"),
                                           project("PD", "sB", 5, 30, status="committed")])


def test_a_check_out_of_time_is_not_decided_never_impossible(tmp_path):
    """With no time left every check is undecided: no requirement may leave the conflict on
    such a check (it would be named as unneeded without proof), so all stay, each marked, and
    no remedy is claimed. Before, a check that hit its time limit read as "still impossible"
    and dropped its requirement from the conflict."""
    from planner.solve.infeasibility import explain_infeasible

    ex = explain_infeasible(load(tmp_path, _over_budget()), time_limit=0.0)
    assert len(ex.conflict) == 3  # the budget, PC and PD: nothing proven unneeded
    assert all("not decided" in line for line in ex.conflict)
    assert ex.remedies == [] and ex.undecided == 6
    assert "not decided" in str(ex)


def test_the_explanation_draws_on_the_commands_time(tmp_path, monkeypatch):
    """solve() hands the explanation what is left of time_limit x stages (planner/solve/stages.py)."""
    from planner.solve import stages

    seen = []
    real = stages.explain_infeasible
    monkeypatch.setattr(stages, "explain_infeasible",
                        lambda inst, time_limit: seen.append(time_limit) or real(inst, time_limit))
    with pytest.raises(PlanInfeasible):
        solve(load(tmp_path, _over_budget()), time_limit=5.0, objective="cost")
    assert len(seen) == 1 and 0 < seen[0] <= 5.0 * 2  # two stages: unmet, cost


def test_ctrl_c_during_the_explanation_stops_at_once(tmp_path, monkeypatch):
    """Ctrl-C while the explanation runs: the next check raises at once (exit 130, nothing
    written). Before, the explanation's solves ignored the flag and every check ran."""
    import os
    import signal

    from planner.solve import infeasibility as explain
    from planner.cli import main

    source = tmp_path / "plan.xlsx"
    from planner.report.template import write_input
    write_input(source, _over_budget())
    calls = []
    real = explain._Elastic.possible

    def press_ctrl_c_then_check(self):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does, during the first check
        return real(self)

    monkeypatch.setattr(explain._Elastic, "possible", press_ctrl_c_then_check)
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(source), "-o", str(out)]) == 130
    assert len(calls) == 1 and not out.exists()
