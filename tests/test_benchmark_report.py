"""The benchmark report's arithmetic: medians over repeats and ratios against baselines."""

from benchmarks.report import COLUMNS, row
from benchmarks.run import baseline_medians


def case(status="optimal", direct_status="Optimal"):
    stages = [{"stage": "dependence", "status": status, "nodes": 3}]
    return {
        "instance": "M", "size_name": "M", "objective": "worst_disruption", "projects": 500,
        "size": {"rows": 10, "columns": 20, "nonzeros": 30}, "status": status, "gap": 0.0,
        "seconds": {"build": 1.0, "handover": 1.0, "solve": 18.0},
        "median_seconds": {"build": 1.0, "handover": 1.0, "solve": 8.0},
        "total_seconds": 20.0, "median_total_seconds": 10.0, "stages": stages,
        "peak_memory_mb": 100.0,
        "baselines": [{"baseline": "highs_direct", "solve_seconds": 50.0,
                       "stages": [{"status": direct_status}]}],
        "baseline_median_seconds": {"highs_direct": 40.0},
    }


def test_medians_of_the_repeats_make_the_ratios():
    shown = dict(zip(COLUMNS, row(case())))
    assert shown["total_s"] == 10.0 and shown["solve_s"] == 8.0
    assert shown["pyomo_share"] == 0.2
    assert shown["highs_direct_s"] == "40.00" and shown["vs_highs"] == 5.0


def test_a_baseline_stopped_by_the_limit_gives_a_lower_bound():
    shown = dict(zip(COLUMNS, row(case(direct_status="Time limit reached"))))
    assert shown["highs_direct_s"] == "40.00 (limit)" and shown["vs_highs"] == ">= 5.0"


def test_no_ratio_where_we_did_not_finish():
    assert dict(zip(COLUMNS, row(case(status="feasible"))))["vs_highs"] is None


def test_baseline_medians_take_every_repeat():
    runs = [{"baselines": [{"baseline": "cbc_lp", "solve_seconds": s}]} for s in (9, 1, 5)]
    assert baseline_medians(runs) == {"cbc_lp": 5}


def test_the_table_replaces_only_the_part_between_the_markers(tmp_path):
    from benchmarks.report import BEGIN, END, write_doc

    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nmethod\n\n{BEGIN}\n| old |\n{END}\n\nrows came from\n")
    write_doc(doc, "| new |\n|---|")
    assert doc.read_text() == \
        f"# Performance\n\nmethod\n\n{BEGIN}\n| new |\n|---|\n{END}\n\nrows came from\n"
    write_doc(doc, "| newer |")  # again: the markers are kept for the next run
    assert doc.read_text().count(BEGIN) == 1 and "| new |" not in doc.read_text()


def test_a_page_without_the_markers_is_refused_and_left_alone(tmp_path):
    import pytest
    from benchmarks.report import write_doc

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n")
    with pytest.raises(ValueError, match="benchmarks:begin"):
        write_doc(doc, "| new |")
    assert doc.read_text() == "# Performance\n" and list(tmp_path.iterdir()) == [doc]


def test_the_page_says_when_and_on_what_without_commits():
    """Two runs on one setup, on the 1st and the 3rd: one line with the range of dates."""
    from benchmarks.report import measured

    setup = {"cpus": 2, "python": "3.11.7", "versions": {"pyomo": "6.10.1", "highspy": "1.16.0"},
             "commit": "abc1234"}
    line = measured([{**setup, "when": "2026-12-03T01:00:00+00:00"},
                     {**setup, "when": "2026-12-01T23:00:00+00:00"}])
    assert line == ("Measured 2026-12-01 to 2026-12-03 on 2 cores, Python 3.11.7, pyomo 6.10.1, "
                    "highspy 1.16.0.")
    assert "abc1234" not in line
