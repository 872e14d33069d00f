"""The command's time (planner/clock.py): one budget of time limit x stages for every phase of
a solve, and one exit-status rule for every command (planner/cli/)."""

import time

import openpyxl
import pytest

from benchmarks.generator import generate
from planner.cli import (EXIT_INFEASIBLE, EXIT_NO_PORTFOLIO, EXIT_OK, exit_status, main)
from planner.clock import ALLOWANCE, Deadline, OutOfTime
from planner.solve.solution import NoPortfolio
from tests.builders import edit, load, project, two_corridors, write


def test_a_deadline_counts_down_and_names_what_it_stopped():
    """remaining() falls with the wall clock and never below 0; check() raises OutOfTime,
    a NoPortfolio (exit 4), naming the work that was going on."""
    deadline = Deadline(0.2)
    assert 0.1 < deadline.remaining() <= 0.2 and not deadline.expired()
    deadline.check("building the model")  # in time: nothing raised
    time.sleep(0.25)
    assert deadline.remaining() == 0.0 and deadline.expired()
    with pytest.raises(OutOfTime) as err:
        deadline.check("screening the closures")
    assert isinstance(err.value, NoPortfolio)
    assert "screening the closures" in str(err.value) and "raise --time-limit" in str(err.value)
    assert Deadline().remaining() == float("inf")  # no limit: never expires


def _slow(monkeypatch, cls, name: str, seconds: float, calls: list):
    """Make every call of cls.name take ``seconds`` longer, counting the calls: a small
    network then stands for one whose LPs take long (the L network), in a test of seconds."""
    real = getattr(cls, name)

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(seconds)
        return real(*args, **kwargs)
    monkeypatch.setattr(cls, name, slow)


def test_screening_and_building_stop_at_the_commands_deadline(tmp_path, monkeypatch):
    """The generated S network's closure screening builds one max-flow LP per (period,
    closure) pair: 3 periods x at least 8 closures. Each made 0.2 s slower, screening alone
    takes at least 24 x 0.2 = 4.8 s. With a time limit of 0.5 s the solve's budget is 1.5 s
    (3 stages): it must stop during screening and report no portfolio (exit 4), having built
    only some of the LPs. Before, screening ran to the end before any clock started (5.6 s,
    24 LPs), and the stages then got their full time and found a portfolio."""
    from planner.solve.run import solve
    from planner.solve.closure_lp import _MaxFlow

    inst = load(tmp_path, generate("S"))
    built: list = []
    _slow(monkeypatch, _MaxFlow, "__init__", 0.2, built)
    began = time.perf_counter()
    with pytest.raises(OutOfTime) as err:
        solve(inst, time_limit=0.5)
    took = time.perf_counter() - began
    assert "no portfolio within the time limit" in str(err.value)
    assert took < 1.5 + 2.0  # the budget, one slow LP and margin; screening alone is 4.8 s
    assert len(built) < 24


def test_each_stage_gets_at_most_what_the_budget_has_left(tmp_path, monkeypatch):
    """A solve whose command already spent 9.5 s of a 10 s budget (reading a large workbook,
    say): every HiGHS run gets at most the 0.5 s left, not the stage's own 5 s. The tiny plan
    still solves in that time: PB, without which closing CA strands all the trade."""
    from planner.solve import stages
    from planner.solve.run import solve

    limits = []
    real = stages.run_stage

    def run(*args, time_limit, **kwargs):
        limits.append(time_limit)
        return real(*args, time_limit=time_limit, **kwargs)
    monkeypatch.setattr(stages, "run_stage", run)
    inst = load(tmp_path, two_corridors())
    sol = solve(inst, time_limit=5.0,
                deadline=Deadline(10.0, began=time.perf_counter() - 9.5))
    assert limits and max(limits) <= 0.5
    assert sol.portfolio == {"PB": "2026"}


def test_solve_leaves_out_the_analysis_it_has_no_time_for(tmp_path, monkeypatch, capsys):
    """The S network under the cost objective solves in well under a second; its analysis
    scores the plan with each of its 50 projects dropped or added, every chain step and the
    reference plan (66 portfolios). Each scored portfolio made 1 s slower, the analysis
    would take over 60 s. With --time-limit 1.5 (2 stages: a budget of 3 s) the command writes
    the results without sheets Value, Chains and Leverage, names them on the Summary
    (left_out) and in the terminal, and ends within the budget plus the allowance. Before,
    the analysis ran to its end whatever the time limit (68 s, every sheet written)."""
    from planner.analysis.fixed_portfolio import Rescorer

    source = write(tmp_path, generate("S"), "S.xlsx")
    out = tmp_path / "S-results.xlsx"
    scored: list = []
    _slow(monkeypatch, Rescorer, "__call__", 1.0, scored)
    began = time.perf_counter()
    code = main(["solve", str(source), "-o", str(out), "--objective", "cost",
                 "--time-limit", "1.5"])
    took = time.perf_counter() - began
    assert code == EXIT_OK
    assert took < 3 + ALLOWANCE and len(scored) < 10
    book = openpyxl.load_workbook(out)
    assert not {"Value", "Chains", "Leverage"} & set(book.sheetnames)
    assert {"Summary", "Portfolio", "Flows", "Disruptions"} <= set(book.sheetnames)
    summary = {r[0]: (r[1], r[3]) for r in book["Summary"].iter_rows(min_row=2,
                                                                      values_only=True)}
    assert summary["left_out"][0] == "Value, Chains, Leverage"
    assert "raise --time-limit" in summary["left_out"][1]
    assert "sheets Value, Chains, Leverage left out" in capsys.readouterr().out


def test_the_analysis_keeps_the_sheets_it_finished(tmp_path, monkeypatch):
    """A deadline passed before the analysis leaves out all three sheets, not the appraisal
    (every results workbook has it); one that passes while Leverage is scored (its closures'
    diversion costs made 1.5 s slower, the deadline 1 s away; Value and Chains take a
    fraction of that on the two-corridor plan) keeps Value and Chains and leaves out Leverage
    alone; a deadline that does not pass leaves out nothing, with the scores of an analysis
    without one."""
    from planner.analysis.pipeline import analyse
    from planner.analysis.fixed_portfolio import Rescorer
    from planner.solve.run import solve

    inst = load(tmp_path, two_corridors())
    sol = solve(inst)

    def run(deadline=None):
        return analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                       deadline=deadline)
    plain = run()
    none = run(Deadline(0.0))
    assert none.left_out == ("Value", "Chains", "Leverage")
    assert none.value is None and none.leverage is None
    assert none.appraisal.npv == plain.appraisal.npv
    done = run(Deadline(60.0))
    assert done.left_out == () and done.leverage == plain.leverage
    assert [c.measures for c in done.value.changes] == \
        [c.measures for c in plain.value.changes]
    _slow(monkeypatch, Rescorer, "least_cost", 1.5, [])
    part = run(Deadline(1.0))
    assert part.left_out == ("Leverage",) and part.leverage is None
    assert [c.measures for c in part.value.changes] == \
        [c.measures for c in plain.value.changes]
    assert part.value.chains == plain.value.chains == []  # no requires chain in this plan


# -- exit status: one rule for every command -------------------------------------------------

def over_budget() -> dict:
    """Two committed projects, PC (140) and PD (30), in a period whose budget is 100: no
    portfolio can hold both commitments, whatever else it does (impossible plan)."""
    return edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                           project("PC", "sB", 5, 140, status="committed"),
                                           project("PD", "sB", 5, 30, status="committed")])


def with_scenarios(tables: dict, *rows) -> dict:
    return edit(tables, Scenarios=[{"scenario": s, "change": c, "target": t, "value": v}
                                   for s, c, t, v in rows])


def test_exit_status_maps_each_ending():
    assert exit_status("optimal") == exit_status("feasible") == EXIT_OK == 0
    assert exit_status("infeasible") == EXIT_INFEASIBLE == 3
    assert exit_status("no_portfolio") == EXIT_NO_PORTFOLIO == 4


COMMANDS = {
    "solve": [],
    "frontier": ["--points", "2", "--jobs", "1"],
    "alternatives": ["-k", "1"],
    "scenarios": ["--jobs", "1"],
    "robust": ["--jobs", "1"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_an_impossible_plan_exits_3_in_every_command(tmp_path, command, capsys):
    """Over budget whatever is built: the plan (solve, robust), the status quo (frontier),
    the optimum (alternatives) and the base case (scenarios) are impossible: exit 3. Before,
    frontier and alternatives exited 2 (invalid input) and scenarios 0."""
    tables = with_scenarios(over_budget(), ("more money", "budget", "all", "x2"))
    source = write(tmp_path, tables, "plan.xlsx")
    out = tmp_path / "out.xlsx"
    assert main([command, str(source), "-o", str(out), *COMMANDS[command]]) == 3, \
        capsys.readouterr()
    # scenarios still writes its workbook: the scenario with more money has a portfolio
    assert out.exists() == (command == "scenarios")


@pytest.mark.parametrize("command", COMMANDS)
def test_no_portfolio_within_the_time_limit_exits_4_in_every_command(tmp_path, command,
                                                                    capsys):
    """--time-limit 0.001: a budget of a few milliseconds, which building any model takes
    longer than: no portfolio within the time limit, exit 4 (the solvable two-corridor plan;
    before, frontier and alternatives exited 2 and scenarios 0)."""
    tables = with_scenarios(two_corridors(), ("dearer", "capex", "all", "x1.5"))
    source = write(tmp_path, tables, "plan.xlsx")
    out = tmp_path / "out.xlsx"
    assert main([command, str(source), "-o", str(out), "--time-limit", "0.001",
                 *COMMANDS[command]]) == 4, capsys.readouterr()
    assert "time limit" in capsys.readouterr().err


def test_scenarios_exit_0_when_only_some_scenarios_fail(tmp_path, capsys):
    """The base case is solvable (PB within the budget of 100); scenario 'commit PC' commits
    a 140 project in it: impossible on its own. The base decides the exit status (0), the
    failing scenario is marked in the terminal and in the workbook's notes."""
    tables = with_scenarios(edit(two_corridors(), Projects=[
        project("PB", "sB", 10, 100), project("PC", "sB", 5, 140)]),
        ("commit PC", "status", "PC", "commit"))
    source = write(tmp_path, tables, "plan.xlsx")
    out = tmp_path / "out.xlsx"
    assert main(["scenarios", str(source), "-o", str(out), "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "no portfolio for commit PC" in captured.err
    assert "infeasible" in captured.out
    assert out.exists()


def test_a_stage_left_no_time_is_reported_not_an_internal_error(tmp_path):
    """When the budget is spent before the cost stage, run_stages records that stage as
    stopped with no value and no bound (StageResult(cost, time_limit, nan, None, ...)) and
    reports the dependence stage's portfolio. Writing it ended in an internal error (exit 1:
    the Summary formatted the missing bound), seen on the M network with --time-limit 5 on a
    loaded machine. Now the Summary says 'bound none' and the status is not optimal."""
    import math
    from dataclasses import replace

    from planner.analysis.measures import evaluate
    from planner.report.results import write_results
    from planner.solve.solution import StageResult
    from planner.solve.run import solve

    inst = load(tmp_path, two_corridors())
    sol = solve(inst)
    sol = replace(sol, status="feasible", stages=sol.stages[:-1] + [
        StageResult("cost", "time_limit", math.nan, None, math.inf, 0.0)])
    out = tmp_path / "out.xlsx"
    write_results(sol, evaluate(inst, sol.portfolio, sol.flows, sol.unmet), out)
    summary = {r[0]: r[1:4] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(
        min_row=2, values_only=True)}
    assert summary["stage_cost"][1] == "time_limit"
    assert summary["stage_cost"][2].startswith("bound none")
    assert summary["status"][0].startswith("feasible, not proven optimal")
    assert "stage cost found no bound in time" in summary["status"][2]


# -- the analysis setting: what follows the solve by default, and on request ------------------

def test_auto_analysis_is_full_up_to_its_bound(tmp_path, monkeypatch):
    """two_corridors: 1 project, 1 period with demand, corridor closures CA and CB and country
    closures A and B (H is home): 1 x 4 = 4 projects x closure pairs. auto is full at a bound
    of 4 and summary at 3; full and summary, asked or set, are what they say."""
    from planner.analysis import pipeline
    from tests.builders import setting

    inst = load(tmp_path, two_corridors())
    monkeypatch.setattr(pipeline, "AUTO_FULL_MOST", 4)
    assert pipeline.analysis_level(inst) == "full"
    monkeypatch.setattr(pipeline, "AUTO_FULL_MOST", 3)
    assert pipeline.analysis_level(inst) == "summary"
    assert pipeline.analysis_level(inst, "full") == "full"
    summary = load(tmp_path, setting(two_corridors(), "analysis", "summary"), "s.xlsx")
    assert pipeline.analysis_level(summary) == "summary"
    assert pipeline.analysis_level(summary, "full") == "full"


def test_a_summary_analysis_names_what_it_left_out_and_how_to_get_it(tmp_path, capsys):
    """analysis summary in sheet Settings: the results have the appraisal but no Value,
    Chains or Leverage; the Summary's left_out names the three and says to set analysis to
    full or run with --analysis full, as the terminal does. --analysis full writes them."""
    from tests.builders import setting

    source = write(tmp_path, setting(two_corridors(), "analysis", "summary"))
    out = tmp_path / "summary.xlsx"
    assert main(["solve", str(source), "-o", str(out), "--no-brief"]) == EXIT_OK
    book = openpyxl.load_workbook(out)
    assert not {"Value", "Chains", "Leverage"} & set(book.sheetnames)
    assert "Appraisal" in book.sheetnames
    summary = {r[0]: (r[1], r[3]) for r in book["Summary"].iter_rows(min_row=2,
                                                                      values_only=True)}
    assert summary["left_out"][0] == "Value, Chains, Leverage"
    assert "analysis is summary" in summary["left_out"][1]
    assert "--analysis full" in summary["left_out"][1]
    assert "ANALYSIS: sheets Value, Chains, Leverage left out" in capsys.readouterr().out
    full = tmp_path / "full.xlsx"
    assert main(["solve", str(source), "-o", str(full), "--analysis", "full",
                 "--no-brief"]) == EXIT_OK
    book = openpyxl.load_workbook(full)
    assert {"Value", "Chains", "Leverage"} <= set(book.sheetnames)
    assert "left_out" not in {r[0] for r in book["Summary"].iter_rows(min_row=2,
                                                                     values_only=True)}
