"""The planner command end to end: exit codes, files written and not written."""

import hashlib
import zipfile

import openpyxl
import pytest

from planner.cli import main
from tests.builders import edit, project, two_corridors, write

REQUIRED = {
    "Summary": ["metric", "value"],
    "Portfolio": ["project", "selected", "start_period", "usable_from", "capex"],
    "Capacity": ["segment", "period", "capacity", "used"],
    "Flows": ["route", "corridor", "period", "flow"],
    "Exposure": ["unit", "key", "period", "share", "limit"],
    "Disruptions": ["closure", "period", "stranded_share", "stranded"],
    "Budget": ["period", "budget", "spent"],
    "Financing": ["project", "source", "period", "amount"],
    "CashFlow": ["period", "source", "available", "drawn", "debt_service",
                 "debt_service_limit"],
    "Appraisal": ["item", "value", "unit", "note"],
    "Value": ["project", "name", "selected", "start_period", "capex", "change",
              "worst_disruption", "expected_disruption", "max_corridor_share",
              "max_country_share", "unmet_demand", "transport_cost", "dependence_change",
              "usd_m_per_point", "over_budget", "npv_change"],
    "Chains": ["chain", "k", "link"],
    "Leverage": ["unit", "key", "period", "traffic", "traffic_share", "captive", "divertible",
                 "premium", "traffic_ref", "captive_ref", "divertible_ref", "premium_ref"],
}
SUMMARY = ["status", "objective", "dependence", "unmet_demand", "total_capex", "transport_cost",
           "worst_disruption", "expected_disruption", "max_corridor_share", "max_country_share",
           "mip_gap", "solve_seconds", "planner_version", "input_sha256", "npv", "bcr", "eirr",
           "pv_cost_to_country", "external_share", "max_captive_share"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_solve_writes_results_beside_and_never_touches_the_input(tmp_path, monkeypatch, capsys):
    source = write(tmp_path, two_corridors(), "plan.xlsx")
    before = digest(source)
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "plan.xlsx"]) == 0
    out = tmp_path / "results" / "plan-results.xlsx"
    assert out.exists() and digest(source) == before
    assert {p.name for p in out.parent.iterdir()} == {
        "plan-results.xlsx", "plan-results-brief.pdf", "plan-results-brief.html"}
    book = openpyxl.load_workbook(out)
    for sheet, columns in REQUIRED.items():
        header = [c.value for c in book[sheet][1]]
        assert header[: len(columns)] == columns or set(columns) <= set(header), sheet
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert set(SUMMARY) <= set(summary)
    assert summary["status"] == "optimal"
    assert summary["total_capex"] == 100
    assert summary["input_sha256"] == before
    portfolio = list(book["Portfolio"].iter_rows(min_row=2, values_only=True))
    assert portfolio[0][:5] == ("PB", True, "2026", "2026", 100)
    disruptions = list(book["Disruptions"].iter_rows(min_row=2, values_only=True))
    assert disruptions[0][:5] == ("CA", "2026", 0, 0, "corridor")
    with zipfile.ZipFile(out) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    # Charts: shares (no closure strands anything here: no stranded chart, a line says so);
    # CashFlow charts: spend (no lender: no debt service, a line says so); Leverage chart
    assert len(charts) == 3
    assert any("no closure strands" in str(c.value) for c in book["Charts"]["A"])
    assert "No debt-service chart" in book["CashFlow charts"]["A1"].value
    assert "status: optimal" in capsys.readouterr().out


def test_solve_options_override_settings(tmp_path, capsys):
    source = write(tmp_path, two_corridors())
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(source), "-o", str(out), "--objective", "cost",
                 "--time-limit", "30", "--mip-gap", "0", "--threads", "1", "--no-brief"]) == 0
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"]
               .iter_rows(min_row=2, values_only=True)}
    assert summary["objective"] == "cost" and summary["total_capex"] == 0


def test_text_from_the_workbook_is_never_a_formula(tmp_path):
    hostile = '=HYPERLINK("http://x","click")'
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, name=hostile),
                                             project("+cmd|'/c calc'!A0", "sA", 0, 1)])
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    ws = openpyxl.load_workbook(out)["Portfolio"]
    cells = {c.value: c.data_type for row in ws.iter_rows() for c in row}
    assert cells[hostile] == "s" and cells["+cmd|'/c calc'!A0"] == "s"
    with zipfile.ZipFile(out) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s for s in sheets)


def test_invalid_workbook_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    tables = two_corridors()
    tables["Segments"][0]["capacity"] = -1
    source = write(tmp_path, tables, "bad.xlsx")
    before = digest(source)
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "bad.xlsx"]) == 2
    err = capsys.readouterr().err
    assert "sheet Segments, row 2, column capacity" in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()
    assert digest(source) == before


def test_validate_lists_problems_and_exits_2(tmp_path, capsys):
    tables = two_corridors()
    tables["Routes"][0]["corridor"] = "NOPE"
    tables["Projects"][0]["capex"] = "much"
    assert main(["validate", str(write(tmp_path, tables))]) == 2
    err = capsys.readouterr().err
    assert "sheet Routes, row 2, column corridor" in err
    assert "sheet Projects, row 2, column capex" in err


def test_validate_good_workbook(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, two_corridors()))]) == 0
    assert "ready to solve" in capsys.readouterr().out


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "nope.xlsx")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_output_must_not_overwrite_the_input(tmp_path):
    source = write(tmp_path, two_corridors())
    before = digest(source)
    assert main(["solve", str(source), "-o", str(source)]) == 2
    assert digest(source) == before


def test_impossible_plan_exits_3_and_names_the_conflict(tmp_path, capsys):
    """Committed PC costs 140 in 2026 whose budget is 100: raise it by 40 or un-commit PC."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                             project("PC", "sB", 5, 140, status="committed")])
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert "Periods row 2: the 2026 budget, 100 USD m" in err
    assert "Projects row 3: PC is committed, starting 2026 (capex 140 USD m)" in err
    assert "raise the 2026 budget by 40 USD m" in err
    assert "un-commit PC" in err
    assert not out.exists()


def test_template_command(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", str(out)]) == 0
    assert "Instructions" in openpyxl.load_workbook(out).sheetnames


@pytest.mark.parametrize("failure", ["open elsewhere", "disk full"])
def test_failed_write_keeps_earlier_results(tmp_path, monkeypatch, capsys, failure):
    """A target open in Excel (Windows refuses the rename) or a full disk (the save fails):
    exit 2, a clear message, the earlier results intact and no temporary file left behind."""
    import errno
    import os

    source = write(tmp_path, two_corridors())
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"earlier results")
    if failure == "open elsewhere":
        def refuse(*args):
            raise PermissionError(errno.EACCES, "Permission denied")
        monkeypatch.setattr(os, "replace", refuse)
    else:
        def full(self, handle):
            handle.write(b"PK partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", full)
    assert main(["solve", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Nothing was changed" in err and "Traceback" not in err
    assert out.read_bytes() == b"earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.xlsx"]


def test_no_portfolio_in_time_exits_4(tmp_path, monkeypatch, capsys):
    from planner.solve import run as solve_module

    def stopped(*args, **kwargs):
        raise solve_module.NoPortfolio("HiGHS stopped (time_limit) after 1 s before it found "
                                       "any portfolio: raise --time-limit")
    monkeypatch.setattr(solve_module, "solve", stopped)
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, two_corridors())), "-o", str(out)]) == 4
    assert "raise --time-limit" in capsys.readouterr().err
    assert not out.exists()


def test_an_internal_error_is_reported_without_a_traceback(tmp_path, monkeypatch, capsys):
    from planner.analysis import measures as evaluate_module

    def broken(*args, **kwargs):
        raise RuntimeError("the closure LP ended error")
    monkeypatch.setattr(evaluate_module, "evaluate", broken)
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, two_corridors())), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: the closure LP ended error)" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("protection", ["read-only", "open in Excel", "open in LibreOffice"])
def test_protected_or_open_target_is_left_alone(tmp_path, capsys, protection):
    source = write(tmp_path, two_corridors())
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"earlier results")
    if protection == "read-only":
        out.chmod(0o444)
    elif protection == "open in Excel":
        (tmp_path / "~$r.xlsx").write_bytes(b"lock")
    else:
        (tmp_path / ".~lock.r.xlsx#").write_bytes(b"lock")
    assert main(["solve", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Nothing was changed" in err and "Traceback" not in err
    assert out.read_bytes() == b"earlier results"
    out.chmod(0o644)


def test_the_terminal_shows_the_plan_not_solver_banners(tmp_path):
    """A real process, so that what HiGHS writes to the terminal's file descriptor counts."""
    import subprocess
    import sys

    source = write(tmp_path, two_corridors(), "plan.xlsx")
    done = subprocess.run([sys.executable, "-m", "planner.cli", "solve", str(source), "-o",
                           str(tmp_path / "out.xlsx")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(str(source)) and "status: optimal" in lines[1]
    assert "HiGHS" not in done.stdout + done.stderr


@pytest.mark.parametrize("which", [0, 1])
def test_compare_refuses_to_write_over_an_input(tmp_path, capsys, which):
    """'compare A B -o A' (or -o B) would replace a results workbook by the comparison: exit 2,
    the message says to choose another -o, both inputs stay byte for byte as they were."""
    source = write(tmp_path, two_corridors())
    results = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for out in results:
        assert main(["solve", str(source), "-o", str(out), "--no-brief"]) == 0
    before = [digest(r) for r in results]
    capsys.readouterr()
    assert main(["compare", str(results[0]), str(results[1]), "-o",
                 str(tmp_path / "." / results[which].name)]) == 2
    err = capsys.readouterr().err
    assert "an input workbook (choose another -o)" in err and "Traceback" not in err
    assert [digest(r) for r in results] == before


def summary_of(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["Summary"].iter_rows(min_row=2, values_only=True))


def test_a_project_bought_only_to_dilute_high_risk_capex_is_named(tmp_path, capsys):
    """PB (high risk, 100) makes CB an alternative: worst disruption 0 instead of 1. At most
    half of capex may be high risk, so the plan also buys PL (low risk, +5 on sA, 100), which
    CA (10 of 10 already) cannot use: without PL every measure is the same (worst 0,
    transport 10 x 10 = 100, shares), but high-risk capex would be 100% of capex, above 50%.
    PB is no such project: without it the share is 0."""
    tables = edit(two_corridors(), Periods=[{"period": 2026, "budget": 200}],
                  Projects=[project("PB", "sB", 10, 100, risk_class="high"),
                            project("PL", "sA", 5, 100)],
                  RiskLimits=[{"limit": "max_high_risk_capex_share", "unit": "total",
                               "value": 0.5}])
    out = tmp_path / "r.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    printed = capsys.readouterr().out
    assert "portfolio: 2 project(s), capex 200.0" in printed
    assert "BOUGHT FOR A RULE ALONE: PL (capex 100.0 USD m) is in the plan only for " \
        "max_high_risk_capex_share: without it no measure changes, but high-risk capex " \
        "would be 100.0% of capex, above the limit of 50.0%" in printed
    rows = [r for r in summary_of(out) if r[0] == "bought_for_rule"]
    assert [r[1] for r in rows] == ["PL"] and "above the limit of 50.0%" in rows[0][3]


def test_a_project_that_serves_trade_is_not_bought_for_the_rule(tmp_path, capsys):
    """As above, but CA's own capacity is 5: without PL, 5 of the 10 Mt/yr go by CB at
    20 USD/t (transport 150 instead of 100), so PL changes a measure and is not named; the
    Summary says the check found none. Without any high-risk limit there is no such row."""
    tables = edit(two_corridors(), Periods=[{"period": 2026, "budget": 200}],
                  Projects=[project("PB", "sB", 10, 100, risk_class="high"),
                            project("PL", "sA", 5, 100)],
                  RiskLimits=[{"limit": "max_high_risk_capex_share", "unit": "total",
                               "value": 0.5}])
    tables["Segments"][0]["capacity"] = 5
    out = tmp_path / "r.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    assert "BOUGHT FOR A RULE" not in capsys.readouterr().out
    assert [r[1] for r in summary_of(out) if r[0] == "bought_for_rule"] == ["none"]
    assert main(["solve", str(write(tmp_path, two_corridors(), "plain.xlsx")), "-o", str(out),
                 "--no-brief"]) == 0
    assert not [r for r in summary_of(out) if r[0] == "bought_for_rule"]
