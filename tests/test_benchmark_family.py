"""The benchmark family (benchmarks/family.py): its --quick run end to end, and the report's
ratios, worst and median."""

import json

from benchmarks import family
from benchmarks.report import FAMILY_COLUMNS, family_report, family_row, family_summary


def test_quick_runs_the_members_and_records_every_time(tmp_path, monkeypatch):
    """--quick on one XS member and one objective (the test's share of the family): the JSON
    holds the member with its solve, analysis, write (the workbook and the brief) and brief
    (the brief remade alone, beside the total) times, its whole-command total, the plain formulation's solve beside it,
    and the report's row shows a ratio and the same optimum."""
    monkeypatch.setitem(family.MEMBERS, "XS", (("dominant", 1),))
    path = family.main(["--quick", "--out", str(tmp_path), "--objectives", "worst_disruption"])
    run = json.loads(path.read_text())
    assert run["family"] and [c["size_name"] for c in run["cases"]] == ["XS-dominant-1"]
    case = run["cases"][0]
    assert case["status"] == "optimal" and case["shape"] == "dominant" and case["seed"] == 1
    seconds = case["seconds"]
    assert {"read", "solve", "analysis", "write", "brief"} <= set(seconds)
    assert seconds["brief"] > 0
    assert case["total_seconds"] == sum(v for k, v in seconds.items() if k != "brief")
    assert [b["baseline"] for b in case["baselines"]] == ["highs_direct"]
    row = dict(zip(FAMILY_COLUMNS, family_row(case)))
    assert row["same_optimum"] is True and row["ratio"] is not None
    text = family_report([path])
    assert "XS-dominant-1" in text and "the family: worst ratio" in text
    # the members' workbooks are generated once, into the output's folder
    assert (tmp_path / "instances" / "XS-dominant-1.xlsx").exists()


def test_the_summary_takes_the_worst_and_the_median():
    """Ratios 5 and 2 for worst_disruption, >= 3 (a lower bound) and none for
    expected_disruption: worst 2, median 3.5; then 3 and no median beyond it; the family
    over 5, 2, 3: worst 2, median 3; the member without a ratio is named."""
    def row(name, objective, ratio):
        return [name, objective, "optimal", 1, 1, 0, None, "1", ratio, True]

    lines = family_summary([row("a", "worst_disruption", 5.0), row("b", "worst_disruption", 2.0),
                            row("c", "expected_disruption", (3.0, True)),
                            row("d", "expected_disruption", None)])
    assert lines == [
        "expected_disruption: worst ratio 3, median 3 over 1 member(s); no ratio for d",
        "worst_disruption: worst ratio 2, median 3.5 over 2 member(s)",
        "the family: worst ratio 2, median 3 over 3 member(s); no ratio for d",
    ]


def test_a_plain_run_stopped_by_its_limit_gives_a_lower_bound():
    case = {"size_name": "M-spread-1", "objective": "worst_disruption", "status": "optimal",
            "seconds": {"solve": 10.0, "analysis": 2.0, "brief": None}, "total_seconds": 20.0,
            "stages": [{"stage": "dependence", "value": 0.2}],
            "baselines": [{"baseline": "highs_direct", "solve_seconds": 900.0,
                           "stages": [{"stage": "dependence", "status": "Time limit reached",
                                       "value": 0.3}]}]}
    row = dict(zip(FAMILY_COLUMNS, family_row(case)))
    assert row["ratio"] == (45.0, True) and row["plain_s"] == "900.00 (limit)"
    assert row["same_optimum"] is None  # the plain one proved nothing to compare with


def test_a_plain_stage_that_found_no_portfolio_is_named():
    """At L the plain formulation's dependence stage can end at its limit with no portfolio
    (HiGHS reports no value), and its cost stage never runs: the ratio is still a lower
    bound, and plain_s says which stage found nothing."""
    case = {"size_name": "L-spread-0", "objective": "worst_disruption", "status": "optimal",
            "seconds": {"solve": 195.0, "analysis": 5.0}, "total_seconds": 234.0,
            "stages": [{"stage": "unmet", "value": 930.6}, {"stage": "dependence",
                                                            "value": 0.0542}],
            "baselines": [{"baseline": "highs_direct", "solve_seconds": 343.3, "stages": [
                {"stage": "unmet", "status": "Optimal", "value": 930.6},
                {"stage": "dependence", "status": "Time limit reached"}]}]}
    row = dict(zip(FAMILY_COLUMNS, family_row(case)))
    assert row["plain_s"] == "343.30 (limit; no portfolio in its dependence stage)"
    assert row["ratio"] == (1.47, True) and row["same_optimum"] is True
    case["baselines"][0]["stages"][1]["value"] = 0.06
    assert dict(zip(FAMILY_COLUMNS, family_row(case)))["plain_s"] == "343.30 (limit)"


def test_the_report_takes_each_member_and_objective_from_the_last_run_that_has_it(tmp_path):
    """One run with worst_disruption on a and b, a later one with expected_disruption on a and
    worst_disruption on b again: a's worst_disruption row from the first, b's from the second,
    a's expected_disruption row from the second; the dates of both runs are named."""
    def case(name, objective, total):
        return {"size_name": name, "objective": objective, "status": "optimal",
                "seconds": {"solve": 1.0, "analysis": 0.0}, "total_seconds": total,
                "stages": [{"stage": "dependence", "value": 0.2}],
                "baselines": [{"baseline": "highs_direct", "solve_seconds": 60.0,
                               "stages": [{"stage": "dependence", "status": "Optimal",
                                           "value": 0.2}]}]}

    def run(day, cases):
        machine = {"cpus": 2, "python": "3.11", "when": f"2026-12-0{day}T10:00:00",
                   "versions": {"pyomo": "6", "highspy": "1"}}
        path = tmp_path / f"family-{day}.json"
        path.write_text(json.dumps({"machine": machine, "family": True, "cases": cases}))
        return path

    first = run(1, [case("a", "worst_disruption", 10.0), case("b", "worst_disruption", 20.0)])
    second = run(2, [case("a", "expected_disruption", 30.0), case("b", "worst_disruption", 15.0)])
    text = family_report([first, second])
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| a") or
            line.startswith("| b")]
    assert [(r[0].strip("| "), r[1], r[3]) for r in rows] == [
        ("a", "worst_disruption", "10.0"), ("b", "worst_disruption", "15.0"),
        ("a", "expected_disruption", "30.0")]
    assert "worst_disruption: worst ratio 4, median 5" in text
    assert "Measured 2026-12-01 to 2026-12-02" in text


def test_stages_after_a_plain_stage_stopped_at_its_limit_are_not_compared():
    """The plain formulation's dependence stage stopped at its limit above ours, so its cost
    stage kept a looser dependence and found a lower cost: not a different optimum of the
    same problem. The unmet stage, before it, is compared: equal, so the optimum is the same;
    with unmet values apart it is not."""
    def case(their_unmet):
        return {"size_name": "M-spread-1", "objective": "expected_disruption",
                "status": "optimal", "seconds": {"solve": 10.0, "analysis": 2.0},
                "total_seconds": 20.0,
                "stages": [{"stage": "unmet", "value": 0.0},
                           {"stage": "dependence", "value": 0.000303},
                           {"stage": "cost", "value": 749616.0}],
                "baselines": [{"baseline": "highs_direct", "solve_seconds": 474.0, "stages": [
                    {"stage": "unmet", "status": "Optimal", "value": their_unmet},
                    {"stage": "dependence", "status": "Time limit reached", "value": 0.000397},
                    {"stage": "cost", "status": "Optimal", "value": 741264.0}]}]}
    assert dict(zip(FAMILY_COLUMNS, family_row(case(0.0))))["same_optimum"] is True
    assert dict(zip(FAMILY_COLUMNS, family_row(case(1.0))))["same_optimum"] is False
