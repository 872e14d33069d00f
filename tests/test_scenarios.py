"""Scenarios: each change equals the same edit made by hand; the command, in processes or on a
Dask cluster, gives the same results; compare reads two results workbooks."""

import copy

import openpyxl
import pytest

from planner.cli import main
from planner.inputs.scenarios import apply
from planner.solve.run import solve
from planner.inputs.read import validate_workbook
from tests.builders import demand, edit, load, periods, two_corridors, write


def by_hand(change):
    tables = copy.deepcopy(two_corridors())
    change(tables)
    return tables


def two_periods() -> dict:
    tables = two_corridors()
    tables["Periods"] = periods((2026, 100), (2028, 100))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2028": 10})
    return tables


CASES = [
    ("budget", "all", "x0.99", lambda t: t["Periods"][0].update(budget=99)),
    ("budget", "2026", 40, lambda t: t["Periods"][0].update(budget=40)),
    ("budget", "2026", "-50%", lambda t: t["Periods"][0].update(budget=50)),
    ("budget", "2026", "1,200", lambda t: t["Periods"][0].update(budget=1200)),
    ("demand", "all", "x1.5", lambda t: t["Flows"][0].update(demand=15)),
    ("demand", "K", "+20%", lambda t: t["Flows"][0].update(demand=12)),
    ("demand", "K", 12, lambda t: t["Flows"][0].update(demand=12)),
    ("capex", "PB", "x1.5", lambda t: t["Projects"][0].update(capex=150)),
    ("capex", "PB", 150, lambda t: t["Projects"][0].update(capex=150)),
    ("capex", "B", "x0.5", lambda t: t["Projects"][0].update(capex=50)),
    ("capex", "all", "X0.5", lambda t: t["Projects"][0].update(capex=50)),
    ("close", "CB", None, lambda t: t["Routes"].pop(1)),
    ("close", "country:A", None, lambda t: t["Routes"].pop(0)),
    ("close", "sA", None, lambda t: t["Routes"].pop(0)),
    ("limit", "max_share:corridor:CA", 0.3, lambda t: t["RiskLimits"].append(
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.3})),
    ("limit", "Max_Share:Corridor:CA", "30 %", lambda t: t["RiskLimits"].append(
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.3})),
    ("status", "PB", "exclude", lambda t: t["Projects"][0].update(status="excluded")),
    ("status", "PB", "commit", lambda t: t["Projects"][0].update(status="committed")),
    ("objective", None, "cost", lambda t: t["Settings"].append(
        {"setting": "objective", "value": "cost"})),
    ("capacity", "sA", "x0.5", lambda t: t["Segments"][0].update(capacity=5)),
    ("capacity", "sB", 4, lambda t: t["Segments"][1].update(capacity=4)),
]


@pytest.mark.parametrize("change, target, value, edit_by_hand", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_scenario_equals_its_hand_edited_workbook(tmp_path, change, target, value,
                                                    edit_by_hand):
    tables = two_corridors()
    tables["Scenarios"] = [{"scenario": "S1", "change": change, "target": target,
                            "value": value}]
    inst = load(tmp_path, tables, "with_scenario.xlsx")
    scenario = solve(apply(inst, inst.scenarios["S1"]))
    hand = solve(load(tmp_path, by_hand(edit_by_hand), "by_hand.xlsx"))
    assert scenario.portfolio == hand.portfolio
    assert [s.name for s in scenario.stages] == [s.name for s in hand.stages]
    for a, b in zip(scenario.stages, hand.stages):
        assert a.value == pytest.approx(b.value, abs=1e-7)
    assert scenario.flows == pytest.approx(hand.flows)


def test_changes_of_one_scenario_add_up(tmp_path):
    tables = two_periods()
    tables["Scenarios"] = [
        {"scenario": "both", "change": "budget", "target": "all", "value": "x0.5"},
        {"scenario": "both", "change": "budget", "target": "2028", "value": "x3"}]
    inst = load(tmp_path, tables)
    changed = apply(inst, inst.scenarios["both"])
    assert [p.budget for p in changed.periods] == [50, 150]
    assert [p.budget for p in inst.periods] == [100, 100]  # the base is untouched


def test_bad_scenario_rows_are_named(tmp_path):
    tables = two_corridors()
    tables["Scenarios"] = [
        {"scenario": "a", "change": "budget", "target": "2099", "value": 1},
        {"scenario": "b", "change": "capex", "target": "PB", "value": "lots"},
        {"scenario": "c", "change": "close", "target": "H", "value": None},
        {"scenario": "d", "change": "limit", "target": "max_share", "value": 0.3},
        {"scenario": "e", "change": "status", "target": "PB", "value": "maybe"},
        {"scenario": "f", "change": "grow", "target": "PB", "value": 1}]
    found = {(p.sheet, p.row, p.column) for p in validate_workbook(write(tmp_path, tables))
             if not p.warning}
    assert found == {("Scenarios", 2, "target"), ("Scenarios", 3, "value"),
                     ("Scenarios", 4, "target"), ("Scenarios", 5, "target"),
                     ("Scenarios", 6, "value"), ("Scenarios", 7, "change")}


# Each change is read like the row it stands for: (change, target, value) -> the Scenarios
# column refused and what the message says (the rule of the sheet the change edits).
REFUSED = [
    ("capacity", "CA", 1, "target", "a segment id"),
    ("capacity", "sA", -1, "value", "at least 0"),
    ("limit", "max_share:total", 0.3, "target", "corridor or country for max_share"),
    ("limit", "max_share:country:ZZ", 0.3, "target", "an id from sheet Countries"),
    ("limit", "max_share:corridor:ZZ", 0.3, "target", "an id from sheet Corridors"),
    ("limit", "max_high_risk_capex_share:country:A", 0.2, "target",
     "total for max_high_risk_capex_share"),
    ("limit", "max_shares:corridor:CA", 0.3, "target", "one of max_share, max_capex"),
    ("limit", "max_share:corridors:CA", 0.3, "target", "one of corridor, country, total"),
    ("limit", "max_share:corridor:CA", 1.5, "value", "a fraction from 0 to 1"),
    ("limit", "max_capex:total", -5, "value", "at least 0"),
    ("limit", "max_capex:total", None, "value", "a value"),
    ("limit", "max_capex:total", "12,5", "value", "decimal comma"),
    ("budget", "2026", -10, "value", "at least 0"),
    ("budget", "all", "x-1", "value", "at least 0"),
    ("budget", "2026", "x1e300", "value", "finite number below"),
    ("demand", "K", "x-2", "value", "at least 0"),
    ("demand", "K", "nan", "value", "finite number"),
    ("capex", "PB", -1.5, "value", "at least 0"),
    ("capex", "all", "x1e20", "value", "finite number below"),
    ("capex", "all", 1.4, "value", "x1.4 to multiply by 1.4"),
    ("capex", "B", 1.4, "value", "x1.4 to multiply by 1.4"),
    ("demand", "all", 1.5, "value", "x1.5 to multiply by 1.5"),
    ("limit", "max_share:corridor:CA", "x0.5", "value", "not a factor"),
    ("status", "PB", "maybe", "value", "one of candidate, committed, excluded"),
    ("status", "PB", None, "value", "commit, exclude or candidate"),
    ("objective", None, "fastest", "value", "one of worst_disruption"),
    ("objective", None, None, "value", "one of worst_disruption"),
    ("budget", "2026", None, "value", "a value"),
    ("budget", "2026", "lots", "value", "a number"),
    ("close", "ZZ", None, "target", "a corridor, country or segment id"),
]


@pytest.mark.parametrize("change, target, value, column, expected", REFUSED,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in REFUSED])
def test_a_change_is_checked_like_the_row_it_edits(tmp_path, change, target, value, column,
                                                   expected):
    tables = edit(two_corridors(), Scenarios=[
        {"scenario": "S1", "change": change, "target": target, "value": value}])
    problems = [p for p in validate_workbook(write(tmp_path, tables)) if not p.warning]
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Scenarios", 2, column)]
    assert expected in problems[0].expected and change in problems[0].expected


@pytest.mark.parametrize("value", ["x1.2", "+20%", 120])
def test_a_capex_factor_scales_and_a_bare_number_sets(tmp_path, value):
    """two_corridors with a budget of 20,000: PB (capex 100) is built to leave no closure
    stranding anything, and all 10 Mt/yr go over CA at 10 USD/t (transport 100 USD m in the
    one year). x1.2 and +20% make PB's capex 1.2 x 100 = 120; the bare 120 sets it to 120 (read
    as a factor it would be 12,000). Either way: capex 120, cost stage 120 + 100 = 220."""
    tables = two_corridors()
    tables["Periods"][0]["budget"] = 20000
    tables["Scenarios"] = [{"scenario": "S1", "change": "capex", "target": "PB",
                            "value": value}]
    inst = load(tmp_path, tables)
    changed = apply(inst, inst.scenarios["S1"])
    assert changed.projects["PB"].capex == pytest.approx(120)
    sol = solve(changed)
    assert sol.portfolio["PB"] == "2026"
    assert {s.name: s.value for s in sol.stages}["cost"] == pytest.approx(220)


def test_a_bare_number_where_only_a_factor_fits_is_refused(tmp_path, capsys):
    """capex of all with 120: a bare number sets a value, and all projects' capexes are many
    values; validate and scenarios refuse it (exit 2, nothing written), naming sheet
    Scenarios, the Excel row, column value and what to write (x120)."""
    tables = edit(two_corridors(), Scenarios=[
        {"scenario": "dear", "change": "capex", "target": "PB", "value": "x1.2"},
        {"scenario": "dearer", "change": "capex", "target": "all", "value": 120}])
    source = write(tmp_path, tables)
    assert main(["validate", str(source)]) == 2
    err = capsys.readouterr().err
    assert "error: sheet Scenarios, row 3, column value" in err
    assert "x120 to multiply by 120" in err
    out = tmp_path / "s.xlsx"
    assert main(["scenarios", str(source), "-o", str(out), "--jobs", "1"]) == 2
    assert "sheet Scenarios, row 3, column value" in capsys.readouterr().err
    assert not out.exists()


def test_a_factor_names_the_value_it_makes(tmp_path):
    """x-1 on every budget: the row names the period and the budget the factor would give."""
    tables = edit(two_periods(), Scenarios=[
        {"scenario": "S1", "change": "budget", "target": "all", "value": "x-1"}])
    (p,) = validate_workbook(write(tmp_path, tables))
    assert "sheet Periods" in p.expected and "the budget of 2026 -100" in p.expected


def test_changes_are_checked_on_the_rows_the_earlier_ones_made(tmp_path):
    """Budget 2026 set to 1e8, then x100 in the same scenario: 1e10 is past the most a
    budget may be (1e9 USD m, docs/workbook.md, Accepted ranges); the same x100 on the base
    budget (100) in another scenario is fine."""
    tables = edit(two_corridors(), Scenarios=[
        {"scenario": "big", "change": "budget", "target": "2026", "value": 1e8},
        {"scenario": "big", "change": "budget", "target": "2026", "value": "x100"},
        {"scenario": "other", "change": "budget", "target": "2026", "value": "x100"}])
    problems = validate_workbook(write(tmp_path, tables))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Scenarios", 3, "value")]


def test_a_key_for_unit_total_is_a_warning_as_on_risklimits(tmp_path):
    tables = edit(two_corridors(), Scenarios=[
        {"scenario": "S1", "change": "limit", "target": "max_capex:total:A", "value": 50}])
    (p,) = validate_workbook(write(tmp_path, tables))
    assert (p.sheet, p.row, p.column, p.warning) == ("Scenarios", 2, "target", True)


def test_a_new_risklimits_rule_applies_to_scenarios(tmp_path, monkeypatch):
    """The rules are shared, not copied: a rule added to sheet RiskLimits refuses the same
    limit on sheet Scenarios."""
    from planner.inputs import rules
    from planner.inputs.problems import Problem

    def no_half(r, known):
        return [Problem("RiskLimits", r["_row"], "value", r["value"], "anything but 0.5")] \
            if r.get("value") == 0.5 else []

    monkeypatch.setitem(rules.ROW_RULES, "RiskLimits",
                        rules.ROW_RULES["RiskLimits"] + (no_half,))
    on_sheet = edit(two_corridors(), RiskLimits=[
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.5}])
    in_scenario = edit(two_corridors(), Scenarios=[
        {"scenario": "S1", "change": "limit", "target": "max_share:corridor:CB", "value": 0.5}])
    found = [(p.sheet, p.row, p.column, p.expected) for tables, name in
             ((on_sheet, "a.xlsx"), (in_scenario, "b.xlsx"))
             for p in validate_workbook(write(tmp_path, tables, name))]
    assert found == [("RiskLimits", 2, "value", "anything but 0.5"),
                     ("Scenarios", 2, "value", "for limit: anything but 0.5, as on sheet "
                                               "RiskLimits (column value)")]


def test_a_bad_scenario_row_stops_scenarios_and_robust_but_not_solve(tmp_path, capsys):
    """max_share:total would cap every country; validate, scenarios and robust refuse it
    (exit 2, nothing written), solve, which does not read the sheet, warns and solves."""
    tables = edit(two_corridors(), Scenarios=[
        {"scenario": "capped", "change": "limit", "target": "max_share:total", "value": 0.5}])
    source = write(tmp_path, tables)
    where = "sheet Scenarios, row 2, column target"
    assert main(["validate", str(source)]) == 2
    assert f"error: {where}" in capsys.readouterr().err
    for command in ("scenarios", "robust"):
        out = tmp_path / f"{command}.xlsx"
        assert main([command, str(source), "-o", str(out), "--jobs", "1"]) == 2
        err = capsys.readouterr().err
        assert f"error: {where}" in err and "nothing was written" in err
        assert not out.exists()
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(source), "-o", str(out), "--no-brief"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {where}" in err and "planner scenarios" in err
    assert out.exists()


def scenario_tables() -> dict:
    tables = two_corridors()
    tables["Scenarios"] = [
        {"scenario": "no money", "change": "budget", "target": "all", "value": 0},
        {"scenario": "CB closed", "change": "close", "target": "CB"},
        {"scenario": "cheap PB", "change": "capex", "target": "PB", "value": "x0.5"},
        {"scenario": "overcommitted", "change": "status", "target": "PB", "value": "commit"},
        {"scenario": "overcommitted", "change": "budget", "target": "all", "value": 10}]
    return tables


def read_measures(path):
    ws = openpyxl.load_workbook(path)["Measures"]
    rows = list(ws.iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0][1:], r[1:])) for r in rows[1:]}


def test_scenarios_command_writes_one_comparison(tmp_path, capsys):
    source = write(tmp_path, scenario_tables())
    out = tmp_path / "cmp.xlsx"
    assert main(["scenarios", str(source), "-o", str(out), "--jobs", "1"]) == 0
    measures = read_measures(out)
    assert measures["status"] == {"base": "optimal", "no money": "optimal",
                                  "CB closed": "optimal", "cheap PB": "optimal",
                                  "overcommitted": "infeasible"}
    assert measures["worst_disruption"]["base"] == pytest.approx(0)
    assert measures["worst_disruption"]["no money"] == pytest.approx(1)
    assert measures["total_capex"]["cheap PB"] == pytest.approx(50)
    book = openpyxl.load_workbook(out)
    starts = {r[0]: r[1:] for r in book["Starts"].iter_rows(min_row=2, values_only=True)}
    assert starts["PB"][:5] == ("2026", None, None, "2026", None)  # then project_name
    changes = {r[0]: r[1:] for r in book["Changes"].iter_rows(min_row=2, values_only=True)}
    assert changes["no money"][1] == "PB"  # drops PB
    notes = {r[0]: r[1] for r in book["Notes"].iter_rows(min_row=2, values_only=True)}
    assert "raise the 2026 budget by 90 USD m" in notes["overcommitted"]
    assert "about" in capsys.readouterr().out  # progress with an estimate


def test_processes_and_dask_give_the_same_results(tmp_path):
    """The same comparison from one process, two worker processes and a local Dask cluster
    that the test starts itself."""
    from dask.distributed import LocalCluster

    source = write(tmp_path, scenario_tables())
    results = {}
    for name, extra in (("serial", ["--jobs", "1"]), ("processes", ["--jobs", "2"])):
        out = tmp_path / f"{name}.xlsx"
        assert main(["scenarios", str(source), "-o", str(out)] + extra) == 0
        results[name] = read_measures(out)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        out = tmp_path / "dask.xlsx"
        assert main(["scenarios", str(source), "-o", str(out), "--scheduler",
                     cluster.scheduler_address]) == 0
        results["dask"] = read_measures(out)
    assert results["serial"] == results["processes"] == results["dask"]


def test_compare_two_results_workbooks(tmp_path):
    source = write(tmp_path, two_corridors())
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["solve", str(source), "-o", str(a), "--no-brief"]) == 0
    assert main(["solve", str(source), "-o", str(b), "--objective", "cost", "--no-brief"]) == 0
    out = tmp_path / "ab.xlsx"
    assert main(["compare", str(a), str(b), "-o", str(out)]) == 0
    measures = read_measures(out)
    assert measures["total_capex"] == {"a": 100, "b": 0}
    changes = list(openpyxl.load_workbook(out)["Changes"].iter_rows(min_row=2,
                                                                   values_only=True))
    assert [c[:4] for c in changes] == [("b", None, "PB", None)]  # then in_words


def test_compare_refuses_an_input_workbook(tmp_path, capsys):
    source = write(tmp_path, two_corridors())
    assert main(["compare", str(source), str(source), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "a results workbook" in capsys.readouterr().err


def with_lender() -> dict:
    """The base with no budget and a lender ADB (a one-year loan at 5%, 100 in 2026)."""
    tables = two_corridors()
    tables["Periods"][0]["budget"] = 0
    tables["Settings"].append({"setting": "discount_rate", "value": 0.1})
    tables["Sources"] = [{"source": "ADB", "kind": "loan", "rate": 0.05, "tenor_years": 1}]
    tables["SourceBudgets"] = [{"source": "ADB", "period": 2026, "amount": 100}]
    return tables


FINANCE_CASES = [
    ("source", "ADB", "x0", lambda t: t["SourceBudgets"][0].update(amount=0)),
    ("source", "ADB", 60, lambda t: t["SourceBudgets"][0].update(amount=60)),
    ("source", "ADB", "x2", lambda t: t["SourceBudgets"][0].update(amount=200)),
    ("rate", "ADB", 0.2, lambda t: t["Sources"][0].update(rate=0.2)),
    ("rate", "ADB", "20%", lambda t: t["Sources"][0].update(rate=0.2)),
]


@pytest.mark.parametrize("change, target, value, edit_by_hand", FINANCE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in FINANCE_CASES])
def test_a_finance_scenario_equals_its_hand_edited_workbook(tmp_path, change, target, value,
                                                            edit_by_hand):
    """A lender withdrawing (x0), an envelope set or scaled, a new rate: the same portfolio,
    stages and draws as the workbook edited by hand."""
    tables = with_lender()
    tables["Scenarios"] = [{"scenario": "S1", "change": change, "target": target,
                            "value": value}]
    inst = load(tmp_path, tables, "with_scenario.xlsx")
    scenario = solve(apply(inst, inst.scenarios["S1"]))
    hand_tables = copy.deepcopy(with_lender())
    edit_by_hand(hand_tables)
    hand = solve(load(tmp_path, hand_tables, "by_hand.xlsx"))
    assert scenario.portfolio == hand.portfolio
    for a, b in zip(scenario.stages, hand.stages):
        assert a.value == pytest.approx(b.value, abs=1e-7)
    assert scenario.draws == pytest.approx(hand.draws)


@pytest.mark.parametrize("change, target, value, column", [
    ("source", "ZZ", "x0", "target"), ("rate", "ADB", 1.5, "value"),
    ("source", "ADB", "x-1", "value"), ("rate", "budget", 0.1, "target"),
    ("rate", "ADB", "+20%", "value"), ("rate", "ADB", "x2", "value")])
def test_a_bad_finance_change_is_refused_at_its_row(tmp_path, change, target, value, column):
    tables = with_lender()
    tables["Scenarios"] = [{"scenario": "S1", "change": change, "target": target,
                            "value": value}]
    problems = validate_workbook(write(tmp_path, tables))
    bad = [p for p in problems if not p.warning]
    assert bad and bad[0].sheet == "Scenarios" and bad[0].row == 2 and bad[0].column == column


def with_closure_days() -> dict:
    """The base with CA closed 36.5 days a year (a tenth of it) and USD 100 lost a tonne."""
    tables = two_corridors()
    tables["Corridors"][0]["closure_days"] = 36.5
    tables["Settings"].append({"setting": "loss_per_t", "value": 100})
    return tables


CLOSURE_DAYS_CASES = [
    ("CA", 73, lambda t: t["Corridors"][0].update(closure_days=73), 100),
    ("corridor:CA", "x0.5", lambda t: t["Corridors"][0].update(closure_days=18.25), -50),
    ("A", "36.5", lambda t: t["Countries"][1].update(closure_days=36.5), 100),
]


@pytest.mark.parametrize("target, value, edit_by_hand, npv", CLOSURE_DAYS_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CLOSURE_DAYS_CASES])
def test_a_closure_days_scenario_equals_its_hand_edited_workbook(tmp_path, target, value,
                                                                 edit_by_hand, npv):
    """A closure's days a year changed (a strait closed 10 days or 90): the appraisal equals
    the hand-edited workbook's. PB (100) is bought, both plans ship on CA at 10 USD/t (no
    transport saved), and closing CA (or country A) strands 10 Mt/yr without PB, none with
    it: NPV = sum over closures of days/365 x 10 x 100 - 100, one year, undiscounted.
    CA at 73 days: 0.2 x 1000 - 100 = 100; CA halved to 18.25: 50 - 100 = -50; A at 36.5
    beside CA's 36.5: 2 x 100 - 100 = 100."""
    from planner.analysis.pipeline import analyse

    def npv_of(inst):
        sol = solve(inst)
        assert sol.portfolio == {"PB": "2026"}
        return analyse(inst, sol.portfolio, sol.objective, full=False).appraisal.npv

    tables = with_closure_days()
    tables["Scenarios"] = [{"scenario": "S1", "change": "closure_days", "target": target,
                            "value": value}]
    inst = load(tmp_path, tables, "with_scenario.xlsx")
    hand_tables = copy.deepcopy(with_closure_days())
    edit_by_hand(hand_tables)
    hand = load(tmp_path, hand_tables, "by_hand.xlsx")
    assert npv_of(apply(inst, inst.scenarios["S1"])) == pytest.approx(npv)
    assert npv_of(hand) == pytest.approx(npv)
    assert npv_of(inst) == pytest.approx(0)  # the base: 0.1 x 1000 - 100


@pytest.mark.parametrize("target, value, column, says", [
    ("CA", 400, "value", "0 to 365"), ("CA", "x20", "value", "0 to 365"),
    ("CA", -1, "value", "at least 0"), ("sA", 10, "target", "corridor or country"),
    ("ZZ", 10, "target", "corridor or country")])
def test_a_bad_closure_days_change_is_refused_at_its_row(tmp_path, target, value, column,
                                                         says):
    """Checked like the Corridors or Countries cell it sets: 0-365 days; a segment has none."""
    tables = with_closure_days()
    tables["Scenarios"] = [{"scenario": "S1", "change": "closure_days", "target": target,
                            "value": value}]
    bad = [p for p in validate_workbook(write(tmp_path, tables)) if not p.warning]
    assert bad and bad[0].sheet == "Scenarios" and bad[0].row == 2
    assert bad[0].column == column and says in bad[0].expected, bad[0]
