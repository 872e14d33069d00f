"""Frontier and alternatives on tiny instances whose answers are derived by hand."""

import openpyxl
import pytest

from planner.cli import main
from planner.solve.run import solve
from planner.studies.tradeoffs import (Within, alternatives, dependence_of, dominates, frontier,
                               marginal_cost, selection)
from tests.builders import (demand, edit, load, periods, project, setting, two_corridors,
                            write)


def halves() -> dict:
    """PH1 (+5 on sB, 30) and PH2 (+5 on sB, 50), budget 100. Closing CA strands 10 of 10
    with nothing built (1.0), 5 with one half (0.5), nothing with both (0)."""
    return edit(two_corridors(), Projects=[project("PH1", "sB", 5, 30),
                                           project("PH2", "sB", 5, 50)])


def test_frontier_points_and_marginal_costs(tmp_path):
    """Targets 1.0, 0.5, 0: least capex 0, 30 (PH1), 80 (both). Marginal cost: 30 / 50 points
    = 0.6 and 50 / 50 = 1.0 USD m per percentage point."""
    inst = load(tmp_path, halves())
    points = frontier(inst, 3, jobs=1)
    assert [p.target for p in points] == pytest.approx([1.0, 0.5, 0.0])
    assert [p.outcome.measures.total_capex for p in points] == pytest.approx([0, 30, 80])
    assert [dependence_of(p.outcome) for p in points] == pytest.approx([1, 0.5, 0], abs=1e-7)
    assert points[0].marginal is None
    assert [p.marginal for p in points[1:]] == pytest.approx([0.6, 1.0])
    assert points[1].outcome.solution.portfolio == {"PH1": "2026", "PH2": None}


def test_every_frontier_point_resolved_alone_gives_the_same_value(tmp_path):
    inst = load(tmp_path, halves())
    for point in frontier(inst, 4, jobs=2):
        alone = solve(inst, max_dependence=point.target)
        assert alone.stages[1].name == "capex"
        assert alone.stages[1].value == pytest.approx(point.outcome.measures.total_capex)


def test_frontier_command_writes_table_and_chart(tmp_path):
    out = tmp_path / "f.xlsx"
    assert main(["frontier", str(write(tmp_path, halves())), "--points", "3", "-o", str(out),
                 "--jobs", "1"]) == 0
    book = openpyxl.load_workbook(out)
    rows = list(book["Frontier"].iter_rows(min_row=2, values_only=True))
    assert [r[3] for r in rows] == [0, 30, 80]
    assert rows[2][4] == pytest.approx(1.0)
    assert book["Frontier"]._charts


def narrow_corridor() -> dict:
    """Objective max_share; CA carries at most 3 of the 10 Mt/yr, PB (+10 on CB, 100) is the
    only project. Committed only: 3 served, 7 unmet, largest share 0.3. The plan: all 10
    served, CA 3 and CB 7, largest share 0.7 (capex 100). Targets 0.3, 0.5, 0.7: each
    corridor may carry at most 3, 5 and 7, so with PB the points serve 6, 8 and 10: unmet 4,
    2 and 0, every point at capex 100. The first two reach their share only by dropping
    trade."""
    tables = setting(two_corridors(), "objective", "max_share")
    tables["Segments"][0]["capacity"] = 3
    return tables


def test_frontier_shows_unmet_demand_and_marks_points_that_serve_less(tmp_path, capsys):
    out = tmp_path / "f.xlsx"
    assert main(["frontier", str(write(tmp_path, narrow_corridor())), "--points", "3", "-o",
                 str(out), "--jobs", "1"]) == 0
    book = openpyxl.load_workbook(out)
    ws = book["Frontier"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["point", "target", "dependence", "capex", "usd_m_per_point",
                          "status", "projects"]  # the existing columns keep their places
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["dependence"] for r in rows] == pytest.approx([0.3, 0.5, 0.7], abs=1e-6)
    assert [r["unmet_demand"] for r in rows] == pytest.approx([4, 2, 0], abs=1e-5)
    assert [r["serves_less"] for r in rows] == [True, True, False]
    assert [r["usd_m_per_point"] for r in rows] == [None, None, None]
    notes = dict(book["Notes"].iter_rows(min_row=2, values_only=True))
    assert "unmet demand differs" in notes["usd_m_per_point"]
    lines = [line for line in capsys.readouterr().out.splitlines() if "dependence" in line]
    assert ("unmet demand 4.0 Mt/yr in 2026 (4.0 Mt over the horizon): SERVES LESS THAN THE "
            "PLAN (unmet 0.0 Mt/yr summed)") in lines[0]
    assert "unmet demand none" in lines[2] and "SERVES LESS" not in lines[2]


def test_no_marginal_cost_across_points_that_serve_different_amounts(tmp_path):
    """From the 0.5 point of narrow_corridor (8 served) to its 0.3 point (6 served) the
    dependence falls 20 points at no extra capex: '0 USD m per point' would price dropped
    trade as free resilience, so there is none. Between halves' points, which serve all,
    the marginal stays (30 - 0) / 50 = 0.6."""
    points = frontier(load(tmp_path, narrow_corridor()), 3, jobs=1)
    assert marginal_cost(points[1].outcome, points[0].outcome) is None
    served = frontier(load(tmp_path, halves(), "halves.xlsx"), 3, jobs=1)
    assert marginal_cost(served[0].outcome, served[1].outcome) == pytest.approx(0.6)


def test_frontier_needs_a_dependence_objective(tmp_path, capsys):
    assert main(["frontier", str(write(tmp_path, halves())), "--objective", "cost",
                 "-o", str(tmp_path / "f.xlsx")]) == 2
    assert "needs a dependence objective" in capsys.readouterr().err


def three_ways(budget: float = 300) -> dict:
    """Beside CA and CB, corridor CC (country C, segment sC: no capacity yet, 9 USD/t against
    CA's 10). Each project makes a closure of CA strand nothing: PB (+10 on sB, 100), P2 (+10
    on sC, 120: trade then moves to CC, transport 90 instead of 100 USD m), P3 (+10 on sB,
    150: PB dearer). Optimum: worst disruption 0 with PB (cost stage 100 + 100 < 120 + 90)."""
    tables = edit(two_corridors(), Periods=periods((2026, budget)),
                  Projects=[project("PB", "sB", 10, 100), project("P2", "sC", 10, 120),
                            project("P3", "sB", 10, 150)])
    tables["Countries"].append({"country": "C"})
    tables["Corridors"].append({"corridor": "CC"})
    tables["Segments"].append({"segment": "sC", "from": "H", "to": "M", "mode": "rail",
                               "country": "C", "capacity": 0, "cost_per_t": 9})
    tables["Routes"].append({"route": "rC", "flow": "K", "corridor": "CC", "segments": "sC"})
    return tables


def test_alternatives_are_distinct_choices_cheapest_first(tmp_path):
    """Within 0 of the optimum, by least capex: {P2} (120; transport 90 < 100: reported),
    {P3} (150: PB dearer, dominated by the optimum), {PB, P2} (220: P2's measures for more,
    dominated by alternative 1), {PB, P3} (250, by the optimum), {P2, P3} (270, by
    alternative 1), then none within the budget of 300: one alternative, four skipped, six
    solves (the last finds none). The code before reported {P3} and {PB, P2} as alternatives."""
    inst = load(tmp_path, three_ways())
    result = alternatives(inst, k=3, within=0.0)
    selections = [selection(o) for o in result.outcomes]
    assert selections == [{"PB"}, {"P2"}]
    assert [o.measures.transport_cost for o in result.outcomes] == pytest.approx([100, 90])
    assert [(set(selection(o)), by) for o, by in result.skipped] == [
        ({"P3"}, "optimal"), ({"PB", "P2"}, "alternative 1"), ({"PB", "P3"}, "optimal"),
        ({"P2", "P3"}, "alternative 1")]
    assert result.tries == 6 and result.ended == "no further portfolio within the cap"
    assert all(dependence_of(o) <= dependence_of(result.outcomes[0]) + 1e-7
               for o in result.outcomes)


def padded() -> dict:
    """halves() and PX (+5 on sA, capex 1): CA can already carry all 10, so PX changes no
    measure; it only pads a portfolio."""
    tables = halves()
    tables["Projects"].append(project("PX", "sA", 5, 1))
    return tables


def test_no_alternative_is_padding_or_dominated(tmp_path):
    """Within 50 points of the optimum ({PH1, PH2}, 80, dependence 0): {PH1} (30, 0.5) is an
    alternative. Then by capex {PH1, PX} (31: {PH1} padded), {PH2} (50: as good as {PH1} for
    more), {PH2, PX} (51), {PH1, PH2, PX} (81: the optimum padded) are all dominated; {PX} and
    committed-only strand everything (1.0 > 0.5). The code before reported all five. With
    two tries the search stops after {PH1, PX} and says more may exist."""
    inst = load(tmp_path, padded())
    result = alternatives(inst, k=5, within=Within(0.5, relative=False))
    assert [selection(o) for o in result.outcomes] == [{"PH1", "PH2"}, {"PH1"}]
    assert [(set(selection(o)), by) for o, by in result.skipped] == [
        ({"PH1", "PX"}, "alternative 1"), ({"PH2"}, "alternative 1"),
        ({"PH2", "PX"}, "alternative 1"), ({"PH1", "PH2", "PX"}, "optimal")]
    for i, o in enumerate(result.outcomes):
        assert not any(dominates(e.measures, o.measures) for e in result.outcomes[:i])

    short = alternatives(inst, k=5, within=Within(0.5, relative=False), tries=2)
    assert [selection(o) for o in short.outcomes] == [{"PH1", "PH2"}, {"PH1"}]
    assert len(short.skipped) == 1 and short.ended.startswith("out of tries after 2")


def test_alternatives_stop_when_none_is_left(tmp_path):
    """The budget (120) allows PB or P2, not P3 (150) nor both: one alternative, {P2}."""
    result = alternatives(load(tmp_path, three_ways(budget=120)), k=5, within=0.0)
    assert [selection(o) for o in result.outcomes] == [{"PB"}, {"P2"}]
    assert result.ended == "no further portfolio within the cap" and result.tries == 2


def test_alternatives_command(tmp_path, capsys):
    out = tmp_path / "a.xlsx"
    assert main(["alternatives", str(write(tmp_path, three_ways())), "-k", "2", "--within",
                 "0%", "-o", str(out)]) == 0
    assert "1 alternative(s) within 0% of the optimum (0.0% -> 0.0%); 4 dominated " \
        "portfolio(s) skipped; no further portfolio within the cap" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    changes = list(book["Changes"].iter_rows(min_row=2, max_col=4, values_only=True))
    assert changes == [("alternative 1", "P2", "PB", None)]
    skipped = settings_of(out)["dominated_skipped"]
    assert skipped[0] == 4 and "P3 (capex 150.0 USD m, dominated by optimal)" in skipped[1]


def near_optimum() -> dict:
    """PA (+8 on sB, 80) or PB (+7.6 on sB, 60), budget 100 (not both). Closing CA strands
    10 - 8 = 2 of 10 with PA (0.20: the optimum), 10 - 7.6 = 2.4 with PB (0.24), all with
    nothing (1.0)."""
    return edit(two_corridors(), Projects=[project("PA", "sB", 8, 80),
                                           project("PB", "sB", 7.6, 60)])


def settings_of(path) -> dict:
    rows = openpyxl.load_workbook(path)["Settings"].iter_rows(min_row=2, values_only=True)
    return {r[0]: r[1:] for r in rows}


def test_within_is_relative_to_the_optimum_by_default(tmp_path, capsys):
    """Optimum PA, 0.20. By default 10% of it: up to 0.22, so PB (0.24) is no alternative
    (the old default, 0.05 absolute, admitted it). '--within 5pp': up to 0.25, PB is one.
    The Settings sheet says which tolerance was used and what it admits."""
    source = write(tmp_path, near_optimum())
    default, points = tmp_path / "default.xlsx", tmp_path / "pp.xlsx"
    assert main(["alternatives", str(source), "-o", str(default)]) == 0
    assert "0 alternative(s) within 10% of the optimum (20.0% -> 22.0%)" in \
        capsys.readouterr().out
    assert openpyxl.load_workbook(default)["Measures"].max_column == 2  # measure, optimal
    within, cap = settings_of(default)["within"], settings_of(default)["dependence_cap"]
    assert within[:2] == ("10%", "10% of the optimum (20.0% -> 22.0%)")
    assert cap[0] == pytest.approx(0.22)

    assert main(["alternatives", str(source), "--within", "5pp", "-o", str(points)]) == 0
    assert settings_of(points)["within"][:2] == ("5pp", "5 percentage points (20.0% -> 25.0%)")
    changes = list(openpyxl.load_workbook(points)["Changes"].iter_rows(min_row=2, max_col=4,
                                                                       values_only=True))
    assert changes == [("alternative 1", "PB", "PA", None)]


@pytest.mark.parametrize("within", ["0.05", "5", "-5%", "5 points", "1e-2pp"])
def test_an_ambiguous_within_is_refused(tmp_path, capsys, within):
    """A bare number could be a fraction of the optimum or share points: exit 2, the message
    shows both forms, nothing is written."""
    out = tmp_path / "a.xlsx"
    assert main(["alternatives", str(write(tmp_path, near_optimum())), f"--within={within}",
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "such as 10% (relative)" in err and "0.5pp (absolute)" in err
    assert "Traceback" not in err and not out.exists()


def late_start() -> dict:
    """Two 3-year periods (2026, 2029; budget 200 each, discount rate 5%), 10 Mt/yr in each.
    PB (+10 on CB, 100) as before; PA (+2 on CC: 5 USD/t against CA's 10, capex 80). The
    optimum starts PB in 2026: worst disruption 0 (PA alone: 8 of 10 stranded, 0.8). PA
    saves 2 x 5 x 3 = 30 USD m of transport per period, less than its 80: not in it."""
    tables = setting(three_ways(), "discount_rate", 0.05)
    tables["Segments"][2]["cost_per_t"] = 5
    tables["Periods"] = periods((2026, 200, {"years": 3}), (2029, 200, {"years": 3}))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2029": 10})
    tables["Projects"] = [project("PB", "sB", 10, 100), project("PA", "sC", 2, 80)]
    return tables


def test_an_alternative_shows_its_selection_at_its_most_resilient_schedule(tmp_path):
    """Within 60 points: {PB, PA} (180) is the one alternative (transport 2 x 3 x (2 x 5 +
    8 x 10) = 540 < 600). Least capex alone leaves PB's start to the cost stage, which
    starts it in 2029 to save 100 x (1 - 1.05^-3) = 13.6 USD m of discounted capex: worst
    disruption (0.8 + 0) / 2 = 0.4 shown for a selection that gives 0 started in 2026. After
    least capex comes least dependence, then cost."""
    result = alternatives(load(tmp_path, late_start()), k=3,
                          within=Within(0.6, relative=False))
    assert [selection(o) for o in result.outcomes] == [{"PB"}, {"PB", "PA"}]
    alternative = result.outcomes[1]
    assert alternative.solution.portfolio == {"PB": "2026", "PA": "2026"}
    assert dependence_of(alternative) == pytest.approx(0.0, abs=1e-7)
    assert alternative.measures.transport_cost == pytest.approx(540)
