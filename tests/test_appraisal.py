"""The appraisal (planner/analysis/appraisal.py) and what sheet Value's npv_change makes of it, each on a
tiny workbook derived by hand, solved and written for real.

The base (tests/builders.two_corridors): home H ships 10 Mt/yr to M over corridor CA (segment
sA) or CB (segment sB, no capacity until a project adds it); the costs per tonne are set per
test.
"""

import openpyxl
import pytest

from planner.analysis.pipeline import analyse
from planner.analysis.appraisal import present_value
from planner.cli import main
from tests.builders import demand, edit, periods, project, setting, solve_tables, two_corridors, \
    write


def sheet(path, name) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def items(path, name="Summary") -> dict:
    """metric (or appraisal item) -> value, of the sheet's first table."""
    out = {}
    for row in openpyxl.load_workbook(path)[name].iter_rows(min_row=2, values_only=True):
        if not row or row[0] is None:
            break
        out[row[0]] = row[1]
    return out


def costs(tables, a_cost, b_cost, a_capacity=10):
    out = edit(tables)
    out["Segments"][0].update(cost_per_t=a_cost, capacity=a_capacity)
    out["Segments"][1]["cost_per_t"] = b_cost
    return out


def uneven_periods(rate: float, **more) -> dict:
    """Periods 2026 (1.5 years) and 2028 (2.5 years), 10 Mt/yr; CA at 20 USD/t, CB at 10;
    PB (+10 on CB, capex 100, lead time 1) saves 10 x (20 - 10) = 100 USD m a year once usable
    in 2028."""
    tables = costs(two_corridors(), 20, 10)
    tables["Periods"] = periods((2026, 100, {"years": 1.5}), (2028, 100, {"years": 2.5}))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2028": 10})
    tables["Projects"] = [project("PB", "sB", 10, 100, lead_time=1, **more)]
    return setting(tables, "discount_rate", rate)


def test_periods_count_their_true_length(tmp_path):
    """Rate 0: PB is paid in 2026 (100) and saves 100 a year over 2028's 2.5 years:
    NPV = 2.5 x 100 - 100 = 150, BCR = 250 / 100 = 2.5 (rounding 1.5 and 2.5 to two years
    each gave 2 x 100 - 100 = 100 and BCR 2). The slices: [0, 1), [1, 1.5), [1.5, 2.5),
    [2.5, 3.5), [3.5, 4): the horizon's 4 years."""
    sol, _ = solve_tables(tmp_path, uneven_periods(0.0), objective="cost")
    assert sol.portfolio == {"PB": "2026"}
    a = analyse(sol.instance, sol.portfolio, sol.objective, full=False).appraisal
    assert a.npv == pytest.approx(150)
    assert a.bcr == pytest.approx(2.5)
    assert a.years == pytest.approx([0, 1, 1.5, 2.5, 3.5])
    assert a.lengths == pytest.approx([1, 0.5, 1, 1, 0.5])
    assert a.horizon_years == pytest.approx(4)


def test_fractional_periods_at_a_rate_by_hand(tmp_path):
    """Rate 10%, PB's opex 10 a year once usable, benefit_years_after 0.5. Each slice is
    discounted from its start y by 1.1^-y; PB's 100 is spread over 2026's 1.5 years
    (100/1.5 a year).

    slice [y, y+w)   capex    opex   saved
    [0, 1)           66.67       0       0
    [1, 1.5)         33.33       0       0
    [1.5, 2.5)           0      10     100
    [2.5, 3.5)           0      10     100
    [3.5, 4)             0       5      50
    [4, 4.5) (after)     0       5      50

    NPV = -66.67 - 33.33/1.1 + 90/1.1^1.5 + 90/1.1^2.5 + 45/1.1^3.5 + 45/1.1^4
    = 78.01 + 70.92 + 32.24 + 30.74 - 66.67 - 30.30 = 114.93;
    BCR = PV saved / PV (capex + opex); EIRR where the net flows' PV is 0."""
    tables = setting(uneven_periods(0.1, opex=10), "benefit_years_after", 0.5)
    sol, _ = solve_tables(tmp_path, tables, objective="cost")
    assert sol.portfolio == {"PB": "2026"}
    a = analyse(sol.instance, sol.portfolio, sol.objective, full=False).appraisal
    years = [0, 1, 1.5, 2.5, 3.5, 4]
    capex = [200 / 3, 100 / 3, 0, 0, 0, 0]
    opex = [0, 0, 10, 10, 5, 5]
    saved = [0, 0, 100, 100, 50, 50]
    assert a.years == pytest.approx(years)
    assert a.capex == pytest.approx(capex) and a.opex == pytest.approx(opex)
    assert a.transport_saved == pytest.approx(saved)
    npv = -200 / 3 - 100 / 3 / 1.1 + 90 / 1.1 ** 1.5 + 90 / 1.1 ** 2.5 + 45 / 1.1 ** 3.5 \
        + 45 / 1.1 ** 4
    assert npv == pytest.approx(114.93, abs=0.01)
    assert a.npv == pytest.approx(npv)
    pv_costs = present_value([c + o for c, o in zip(capex, opex)], 0.1, years)
    assert a.bcr == pytest.approx(present_value(saved, 0.1, years) / pv_costs)
    net = [s - c - o for s, c, o in zip(saved, capex, opex)]
    assert present_value(net, a.eirr, years) == pytest.approx(0, abs=1e-5)


@pytest.mark.parametrize("years", [0, -1])
def test_a_period_of_no_years_is_refused(tmp_path, capsys, years):
    """A period of 0 years has no year to count its transport cost, opex or benefits in: the
    workbook is refused at sheet Periods, its row (Excel's 3: the header, then 2026) and
    column years, exit 2 (a negative length by the column's minimum, 0)."""
    tables = uneven_periods(0.0)
    tables["Periods"][1]["years"] = years
    source = write(tmp_path, tables)
    before = source.read_bytes()
    assert main(["validate", str(source)]) == 2
    err = capsys.readouterr()
    text = err.out + err.err
    assert "Periods" in text and "row 3" in text and "years" in text
    assert ("more than 0 years" if years == 0 else "at least 0") in text
    assert "Traceback" not in text
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(source), "-o", str(out)]) == 2
    assert not out.exists() and source.read_bytes() == before


def committed_pair() -> dict:
    """One period of one year, rate 5%. CA at 20 USD/t, CB at 10. PC, committed: +10 on CB,
    capex 30, opex 5 a year, usable at once: it moves the 10 Mt/yr to CB, 100 USD m a year
    saved. PN, committed: capex 60, lead time 1, never usable in a one-period horizon."""
    tables = costs(two_corridors(), 20, 10)
    tables["Projects"] = [project("PC", "sB", 10, 30, status="committed", opex=5),
                          project("PN", "sB", 10, 60, status="committed", lead_time=1)]
    return setting(tables, "discount_rate", 0.05)


def test_dropping_a_committed_project_credits_its_costs(tmp_path):
    """The plan is the reference (both committed): NPV 0. Dropping PC: transport 200 a year
    instead of 100 (-100), and its capex 30 and opex 5 are no longer paid (+35): npv_change
    -100 + 30 + 5 = -65 (costing only the projects new against the reference gave -100).
    Dropping PN changes no flow and saves its capex: +60 (was 0). All in year 0: no
    discount."""
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, committed_pair())), "-o", str(out),
                 "--no-brief"]) == 0
    assert items(out)["npv"] == pytest.approx(0, abs=1e-6)
    rows = {r["project"]: r for r in sheet(out, "Value")}
    assert rows["PC"]["change"] == rows["PN"]["change"] == "drop"
    assert rows["PC"]["npv_change"] == pytest.approx(-65)
    assert rows["PN"]["npv_change"] == pytest.approx(60)


def spread_by_max_share() -> dict:
    """Two periods of one year each, rate 0; CA (capacity 10, 10 USD/t) and CB (capacity 10,
    15 USD/t); PB (+10 on CB) cannot be paid (budgets 0). The least largest corridor share
    carries 5 and 5 Mt/yr: 125 USD m a year, where the cheapest routing costs 100."""
    tables = costs(two_corridors(), 10, 15)
    tables["Segments"][1]["capacity"] = 10
    tables["Periods"] = periods((2026, 0), (2027, 0))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2027": 10})
    return tables


def test_a_plan_that_builds_nothing_is_worth_nothing_under_any_objective(tmp_path):
    """max_share builds nothing: the plan is the reference plan, scored by the same flow
    stages (least unmet, least largest share, least cost): NPV 0. Scoring the reference by
    the cost objective instead (100 a year) gave 2 x (100 - 125) = -50."""
    out = tmp_path / "results.xlsx"
    source = write(tmp_path, spread_by_max_share())
    assert main(["solve", str(source), "-o", str(out), "--objective", "max_share",
                 "--no-brief"]) == 0
    summary = items(out)
    assert summary["transport_cost"] == pytest.approx(250)
    assert summary["npv"] == pytest.approx(0, abs=1e-6)
    assert items(out, "Appraisal")["pv_transport_saving"] == pytest.approx(0, abs=1e-6)


def unmet_served() -> dict:
    """One period of one year (budget 150), rate 0, loss_per_t 50 USD/t. CA carries 5 of the 10 Mt/yr at
    20 USD/t; PB (+10 on CB at 5 USD/t, capex 100) carries all 10. Reference: 5 Mt/yr unmet,
    transport 100. Plan: transport 50 (saved 50) and 5 Mt/yr served, 5 x 50 = 250 USD m:
    benefits 300, of which 250 / 300 = 83.3% unmet demand served; NPV 300 - 100 = 200."""
    tables = costs(two_corridors(), 20, 5, a_capacity=5)
    tables["Periods"] = periods((2026, 150))
    return setting(tables, "loss_per_t", 50)


def test_the_part_of_the_benefits_that_is_unmet_demand_served_is_said(tmp_path, capsys):
    """Summary npv_unmet_served = 250 and its npv note, Appraisal unmet_served_share = 5/6,
    the terminal's line, and the scenarios workbook's Measures row npv_unmet_served."""
    out = tmp_path / "results.xlsx"
    source = write(tmp_path, unmet_served())
    assert main(["solve", str(source), "-o", str(out), "--objective", "cost", "--no-brief"]) == 0
    printed = capsys.readouterr().out
    summary = items(out)
    assert summary["npv"] == pytest.approx(200)
    assert summary["npv_unmet_served"] == pytest.approx(250)
    notes = {r["metric"]: r["note"] for r in sheet(out, "Summary")}
    assert "83% (pv_unmet_served) is unmet demand served" in notes["npv"]
    appraisal = items(out, "Appraisal")
    assert appraisal["pv_unmet_served"] == pytest.approx(250)
    assert appraisal["pv_benefits"] == pytest.approx(300)
    assert appraisal["unmet_served_share"] == pytest.approx(250 / 300)
    assert "unmet demand served at loss_per_t 250.0 USD m (83.3%" in printed
    assert "transport savings 50.0 USD m" in printed

    tables = unmet_served()
    tables["Scenarios"] = [{"scenario": "dearer", "change": "capex", "target": "PB",
                            "value": "x1.2"}]
    book = tmp_path / "scenarios.xlsx"
    assert main(["scenarios", str(write(tmp_path, tables, "s.xlsx")), "-o", str(book),
                 "--jobs", "1", "--objective", "cost"]) == 0
    rows = {r["measure"]: r for r in sheet(book, "Measures")}
    assert rows["npv_unmet_served"]["dearer"] == pytest.approx(250)
    assert rows["npv"]["dearer"] == pytest.approx(300 - 120)
