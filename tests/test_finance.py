"""Finance rules, one tiny hand-solved workbook each (the derivation in each docstring).

The base: tests/builders.two_corridors over two one-year periods 2026 and 2027, 10 Mt/yr each
year. Closing CA strands everything unless PB (+10 Mt/yr on CB, capex 100) is usable.
"""

import pytest

from planner.solve.solution import PlanInfeasible
from tests.builders import demand, edit, load, periods, project, solve_tables, two_corridors

TOL = 1e-6


def base(budgets=(100, 100), *, limits=(None, None), **pb) -> dict:
    tables = two_corridors()
    tables["Periods"] = periods((2026, budgets[0], {"years": 1, "debt_service_limit": limits[0]}),
                                (2027, budgets[1], {"years": 1, "debt_service_limit": limits[1]}))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2027": 10})
    tables["Projects"] = [project("PB", "sB", 10, 100, **pb)]
    return tables


def with_sources(tables: dict, sources: list[dict], budgets: list[tuple]) -> dict:
    return edit(tables, Sources=sources,
                SourceBudgets=[{"source": s, "period": t, "amount": a} for s, t, a in budgets])


def loan(source="ADB", rate=0.0, tenor=1, **more) -> dict:
    return {"source": source, "kind": "loan", "rate": rate, "tenor_years": tenor, **more}


def test_a_spend_profile_fits_what_a_lump_does_not(tmp_path):
    """Budgets 60 and 60: PB's 100 in one period does not fit, so it is not built and closing
    CA strands all trade in both periods (worst disruption 1). Spent 0.5;0.5 over its lead
    time of one period, 50 + 50 fits: PB is built in 2026, usable in 2027, and the worst
    disruption falls to the mean of 1 (2026) and 0 (2027) = 0.5."""
    lump, _ = solve_tables(tmp_path, base((60, 60), lead_time=1))
    assert lump.portfolio == {"PB": None}
    spread, ms = solve_tables(tmp_path, base((60, 60), lead_time=1, spend_profile="0.5;0.5"))
    assert spread.portfolio == {"PB": "2026"}
    assert ms.spend == pytest.approx({"2026": 50, "2027": 50})
    assert ms.worst_disruption == pytest.approx(0.5)


def test_a_project_starts_only_where_its_profile_fits_the_horizon(tmp_path):
    """A two-share profile cannot start in 2027, the last period."""
    inst = load(tmp_path, base(lead_time=1, spend_profile="0.5;0.5"))
    assert inst.start_periods("PB") == ("2026",)


def test_a_source_pays_only_where_its_rules_admit_the_project(tmp_path):
    """No budget in 2026; ADB can commit 100 but excludes country B, where PB lies: nothing
    can pay, PB is not built. Allowed in B, ADB pays all 100 and PB is built in 2026."""
    barred = with_sources(base((0, 0)), [loan(excluded_countries="B")],
                          [("ADB", 2026, 100)])
    sol, _ = solve_tables(tmp_path, barred)
    assert sol.portfolio == {"PB": None}
    allowed = with_sources(base((0, 0)), [loan()], [("ADB", 2026, 100)])
    sol, ms = solve_tables(tmp_path, allowed)
    assert sol.portfolio == {"PB": "2026"}
    assert ms.draws == pytest.approx({("PB", "ADB", "2026"): 100})
    assert ms.external_share == pytest.approx(1.0)


def test_max_share_leaves_the_rest_to_the_budget(tmp_path):
    """ADB may pay at most 60% of a project: 60 of PB, the budget the other 40. With a
    budget of 40 PB is built (draws 60 + 40); with 30 it is not."""
    tables = with_sources(base((40, 0)), [loan(max_share=0.6)], [("ADB", 2026, 100)])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": "2026"}
    assert ms.draws[("PB", "ADB", "2026")] == pytest.approx(60)
    assert ms.draws[("PB", "budget", "2026")] == pytest.approx(40)
    short = with_sources(base((30, 0)), [loan(max_share=0.6)], [("ADB", 2026, 100)])
    assert solve_tables(tmp_path, short)[0].portfolio == {"PB": None}


def test_a_debt_service_limit_caps_the_loans(tmp_path):
    """A one-year loan at 10% drawn in 2026 (year 0) is repaid with 1.1 x the draw in year 1,
    which is 2027. Budget 50: PB needs a 50 loan, 55 due in 2027. A limit of 55 allows it;
    a limit of 44 allows a draw of 40 only, 90 in all: PB is not built."""
    def case(limit):
        return with_sources(base((50, 0), limits=(None, limit)), [loan(rate=0.1)],
                            [("ADB", 2026, 100)])
    sol, ms = solve_tables(tmp_path, case(55))
    assert sol.portfolio == {"PB": "2026"}
    assert ms.draws[("PB", "ADB", "2026")] == pytest.approx(50)
    assert solve_tables(tmp_path, case(44))[0].portfolio == {"PB": None}


def test_the_cost_stage_prefers_a_grant_and_prices_a_loan_at_its_present_value(tmp_path):
    """Budget 100 and a grant G of 100 in 2026: the grant costs the country nothing, so the
    cost stage draws it in full (cost to the country 0). A one-year loan at 5% costs
    1.05 / 1.1 = 0.9545 per USD at a 10% discount rate, less than the budget's 1: drawn in
    full; at a 0% discount rate it costs 1.05, more than the budget: not drawn."""
    grant = with_sources(base(), [{"source": "G", "kind": "grant"}], [("G", 2026, 100)])
    sol, ms = solve_tables(tmp_path, grant, objective="worst_disruption")
    assert ms.draws == pytest.approx({("PB", "G", "2026"): 100})
    assert ms.pv_cost_to_country == pytest.approx(0, abs=TOL)

    def cheap_loan(rate):
        tables = with_sources(base(), [loan(rate=0.05)], [("ADB", 2026, 100)])
        tables["Settings"].append({"setting": "discount_rate", "value": rate})
        return tables
    _, ms = solve_tables(tmp_path, cheap_loan(0.1))
    assert ms.draws == pytest.approx({("PB", "ADB", "2026"): 100})
    assert ms.pv_cost_to_country == pytest.approx(100 * 1.05 / 1.1)
    _, ms = solve_tables(tmp_path, cheap_loan(0.0))
    assert ms.draws == pytest.approx({("PB", "budget", "2026"): 100})


def test_without_sources_the_budget_pays_everything(tmp_path):
    sol, ms = solve_tables(tmp_path, base())
    assert ms.draws == pytest.approx({("PB", "budget", "2026"): 100})
    assert ms.external_share == 0 and ms.pv_cost_to_country == pytest.approx(100)


def test_a_committed_project_no_source_can_pay_is_explained(tmp_path):
    """PB committed, no budget, ADB's 100 barred from B: impossible. The conflict names ADB's
    rule, and allowing B for ADB would relax it."""
    tables = with_sources(base((0, 0), status="committed"),
                          [loan(excluded_countries="B")], [("ADB", 2026, 100)])
    with pytest.raises(PlanInfeasible) as err:
        solve_tables(tmp_path, tables)
    ex = err.value.explanation
    assert "allow B for source ADB" in ex.remedies
    assert any("ADB does not lend in B" in line for line in ex.conflict)


def test_committed_loans_over_a_debt_service_limit_are_explained(tmp_path):
    """PB committed, paid by a 10% one-year loan only (sources ADB): 110 due in 2027 against
    a limit of 66: 44 over. The conflict names the limit; raising it by 44 relaxes it."""
    tables = with_sources(base((0, 0), limits=(None, 66), status="committed", sources="ADB"),
                          [loan(rate=0.1)], [("ADB", 2026, 100)])
    with pytest.raises(PlanInfeasible) as err:
        solve_tables(tmp_path, tables)
    ex = err.value.explanation
    assert any("debt_service_limit" in line for line in ex.conflict)
    assert "raise the 2027 debt_service_limit by 44 USD m" in ex.remedies


def test_the_appraisal_by_hand(tmp_path):
    """CA costs 20 USD/t, CB 10 USD/t; PB (capex 100, spent 0.5;0.5, lead time 1, opex 1 a
    year) moves the 10 Mt/yr to CB from 2027: 100 USD m a year saved. Periods 2026 (years 0-1)
    and 2028 (years 2-3), two benefit years after; discount 10%; loss_per_t 50 USD/t and CA
    closed 36.5 days a year: in the reference a CA closure strands all 10 Mt/yr, with PB none,
    so the expected loss avoided is 0.1 x 10 x 50 = 50 a year from year 2.

    Year:        0    1    2    3    4    5
    capex       25   25   25   25    0    0
    opex         0    0    1    1    1    1
    saved        0    0  100  100  100  100
    loss avoided 0    0   50   50   50   50
    NPV = sum (benefits - costs) 1.1^-y; BCR = PV benefits / PV costs; EIRR solves NPV = 0;
    without resilience the 50s are left out."""
    from planner.analysis.pipeline import analyse
    from planner.analysis.appraisal import present_value

    tables = base(lead_time=1, spend_profile="0.5;0.5", opex=1)
    tables["Periods"] = periods((2026, 60, {"years": 2}), (2028, 60, {"years": 2}))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2028": 10})
    tables["Segments"][0]["cost_per_t"], tables["Segments"][1]["cost_per_t"] = 20, 10
    tables["Corridors"] = [{"corridor": "CA", "closure_days": 36.5}, {"corridor": "CB"}]
    tables["Settings"] += [{"setting": "discount_rate", "value": 0.1},
                           {"setting": "loss_per_t", "value": 50},
                           {"setting": "benefit_years_after", "value": 2}]
    sol, ms = solve_tables(tmp_path, tables, objective="cost")
    assert sol.portfolio == {"PB": "2026"}
    a = analyse(sol.instance, sol.portfolio, sol.objective, full=False).appraisal
    costs = [25, 25, 26, 26, 1, 1]
    benefits = [0, 0, 150, 150, 150, 150]
    plain = [0, 0, 100, 100, 100, 100]
    assert a.capex == pytest.approx([25, 25, 25, 25, 0, 0])
    assert a.loss_avoided == pytest.approx([0, 0, 50, 50, 50, 50])
    pv_b, pv_c = present_value(benefits, 0.1), present_value(costs, 0.1)
    assert a.npv == pytest.approx(pv_b - pv_c)
    assert a.bcr == pytest.approx(pv_b / pv_c)
    assert a.npv_without_resilience == pytest.approx(present_value(plain, 0.1) - pv_c)
    net = [b - c for b, c in zip(benefits, costs)]
    assert present_value(net, a.eirr) == pytest.approx(0, abs=1e-6)
    assert a.eirr > a.eirr_without_resilience > 0.1  # both above the discount rate


def test_an_appraisal_with_no_new_project_has_no_rate(tmp_path):
    """The plan is the reference: nothing to appraise, NPV 0, no BCR, no EIRR."""
    from planner.analysis.pipeline import analyse

    sol, ms = solve_tables(tmp_path, base(status="excluded"))
    a = analyse(sol.instance, sol.portfolio, sol.objective, full=False).appraisal
    assert a.npv == pytest.approx(0) and a.bcr is None and a.eirr is None


def test_the_comparison_workbooks_carry_the_finance_measures(tmp_path):
    """scenarios, frontier and robust carry npv, bcr, eirr, pv_cost_to_country and
    external_share (the Measures rows, the Frontier columns, the Robust columns)."""
    import openpyxl

    from planner.cli import main
    from tests.builders import write

    tables = with_sources(base((50, 50)), [loan(rate=0.05)], [("ADB", 2026, 100)])
    tables["Scenarios"] = [{"scenario": "ADB withdraws", "change": "source", "target": "ADB",
                            "value": "x0"}]
    source = write(tmp_path, tables)
    finance = {"npv", "bcr", "eirr", "pv_cost_to_country", "external_share"}
    for command in ("scenarios", "frontier", "robust"):
        out = tmp_path / f"{command}.xlsx"
        assert main([command, str(source), "-o", str(out), "--jobs", "1"]) == 0, command
        book = openpyxl.load_workbook(out)
        if command == "scenarios":
            rows = {r[0] for r in book["Measures"].iter_rows(min_row=2, values_only=True)}
            assert finance <= rows
        elif command == "frontier":
            assert finance <= {c.value for c in book["Frontier"][1]}
        else:
            header = {c.value for c in book["Robust"][1]}
            assert {f"{name}_robust" for name in finance} <= header


BAD_INPUT = [
    # (what to edit, sheet, column, what the message says)
    (lambda t: t["Projects"][0].update(spend_profile="0.5;0.4"), "Projects", "spend_profile",
     "adding up to 1"),
    (lambda t: t["Projects"][0].update(spend_profile="1.2;-0.2"), "Projects",
     "spend_profile", "at least 0"),
    (lambda t: t["Projects"][0].update(spend_profile="0.5;0.5"), "Projects", "spend_profile",
     "lead_time + 1"),
    (lambda t: t["Projects"][0].update(spend_profile="0.5;;0.5", lead_time=2), "Projects",
     "spend_profile", "none of them blank"),
    (lambda t: t["Projects"][0].update(sources="XDB"), "Projects", "sources",
     "an id from sheet Sources"),
    (lambda t: t["Projects"][0].update(sources="ADB"), "Projects", "sources",
     "does not lend in B"),
    (lambda t: t["SourceBudgets"].append({"source": "ADB", "period": 2031, "amount": 5}),
     "SourceBudgets", "period", "an id from sheet Periods"),
    (lambda t: t["SourceBudgets"].append({"source": "XDB", "period": 2026, "amount": 5}),
     "SourceBudgets", "source", "an id from sheet Sources"),
    (lambda t: t["Sources"][0].update(countries="ZZ"), "Sources", "countries",
     "an id from sheet Countries"),
    (lambda t: t["Sources"][0].update(kind="bond"), "Sources", "kind", "grant, loan"),
    (lambda t: t["Sources"][0].update(rate=1.5), "Sources", "rate", "from 0 to 1"),
    (lambda t: t["Sources"][0].update(tenor_years=0), "Sources", "tenor_years",
     "positive number of years"),
    (lambda t: t["Sources"][0].update(max_share=0), "Sources", "max_share",
     "above 0 and at most 1"),
    (lambda t: t["Sources"][0].update(max_share=1.5), "Sources", "max_share",
     "above 0 and at most 1"),
    (lambda t: t["Sources"].append({"source": "budget", "kind": "grant"}), "Sources",
     "source", "'budget' is the Periods' own budget"),
    (lambda t: t["Countries"][1].update(closure_days=400), "Countries", "closure_days",
     "0 to 365"),
    (lambda t: t["Corridors"][0].update(closure_days=-1), "Corridors", "closure_days",
     "at least 0"),
]


@pytest.mark.parametrize("bad, sheet, column, says", BAD_INPUT,
                         ids=[f"{b[1]}-{b[2]}-{i}" for i, b in enumerate(BAD_INPUT)])
def test_bad_financing_input_is_refused_with_sheet_row_and_column(tmp_path, bad, sheet,
                                                                   column, says):
    """Exit 2 through the CLI, nothing written, the input unchanged; the message names the
    sheet, the Excel row, the column and what to do."""
    import hashlib

    from planner.cli import main
    from planner.inputs.read import validate_workbook
    from tests.builders import write

    tables = with_sources(base(), [loan(excluded_countries="B")], [("ADB", 2026, 100)])
    bad(tables)
    source = write(tmp_path, tables)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    problems = [p for p in validate_workbook(source) if not p.warning]
    assert any(p.sheet == sheet and p.column == column and p.row and says in str(p)
               for p in problems), [str(p) for p in problems]
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(source), "-o", str(out)]) == 2
    assert not out.exists()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_an_envelope_too_small_for_a_committed_project_is_explained(tmp_path):
    """PB committed, paid by ADB alone (sources ADB), whose 2026 envelope is 70: 30 short.
    The conflict names the envelope; raising ADB's 2026 envelope by 30 relaxes it."""
    tables = with_sources(base((0, 0), status="committed", sources="ADB"), [loan()],
                          [("ADB", 2026, 70)])
    with pytest.raises(PlanInfeasible) as err:
        solve_tables(tmp_path, tables)
    ex = err.value.explanation
    assert any("what ADB can commit in 2026, 70 USD m" in line for line in ex.conflict)
    assert "raise ADB's 2026 envelope by 30 USD m" in ex.remedies


@pytest.mark.parametrize("kind", ["bond", None])
def test_a_bad_source_row_is_one_problem_not_two(tmp_path, kind):
    """A Sources row whose kind is wrong (or blank) is reported there once; the SourceBudgets
    row and the project's sources that name the same id are right, and say nothing."""
    from planner.inputs.read import validate_workbook
    from tests.builders import write

    tables = with_sources(base(sources="budget; ADB"), [loan(kind=kind)], [("ADB", 2026, 100)])
    problems = [(p.sheet, p.row, p.column) for p in validate_workbook(write(tmp_path, tables))
                if not p.warning]
    assert problems == [("Sources", 2, "kind")]


@pytest.mark.parametrize("budget_2026, built", [(0, False), (10, True)])
def test_a_lenders_share_caps_each_periods_spend_not_only_the_whole(tmp_path, budget_2026,
                                                                    built):
    """PB (capex 100, lead time 1) spent 0.5;0.5: 50 in 2026 and 50 in 2027. ADB may pay 80%
    and has 100 in 2026, nothing in 2027; the budget has 100 in 2027. ADB pays at most 0.8 x 50
    = 40 of the 2026 spend, so the budget must pay 10 in 2026: with a 2026 budget of 0 PB is
    not built (a share of the whole capex would let ADB pay all 50 of 2026, 50 <= 80); with 10
    it is, ADB paying 40 in 2026 and the budget 10 + 50."""
    tables = with_sources(base((budget_2026, 100), lead_time=1, spend_profile="0.5;0.5"),
                          [loan(max_share=0.8)], [("ADB", 2026, 100)])
    sol, _ = solve_tables(tmp_path, tables)
    assert (sol.portfolio["PB"] == "2026") is built
    if built:
        assert sol.draws.get(("PB", "ADB", "2026")) == pytest.approx(40)
        assert sum(v for (p, s, t), v in sol.draws.items() if s == "ADB") == pytest.approx(40)


def test_the_debt_service_chart_is_drawn_only_where_a_loan_payment_falls_due(tmp_path):
    """Budget 50 and a one-year loan at 10%: PB draws 50 of it in 2026, 55 falls due in 2027,
    against the limit of 55: sheet CashFlow charts draws the debt service (0, 55) against its
    limit (a line). With the loan's envelope 0 and the budget 100, nothing is borrowed: no
    debt-service chart, and a line says the plan draws no loan."""
    import openpyxl

    from planner.report.results import write_results

    def charts(tables, name):
        sol, ms = solve_tables(tmp_path, tables)
        out = write_results(sol, ms, tmp_path / f"{name}.xlsx")  # the sheets of any solve
        return openpyxl.load_workbook(out)["CashFlow charts"]

    ws = charts(with_sources(base((50, 0), limits=(None, 55)), [loan(rate=0.1)],
                             [("ADB", 2026, 100)]), "borrowed")
    assert len(ws._charts) == 2 and ws["A1"].value == "period"
    top = next(c.row for c in ws["A"] if c.value == "period" and c.row > 1)
    assert [c.value for c in ws[top]][:3] == ["period", "debt service", "limit"]
    assert [[c.value for c in ws[r]][:3] for r in (top + 1, top + 2)] == \
        [["2026", 0, None], ["2027", pytest.approx(55), 55]]
    assert "Debt service against its limit" in ws._charts[1].title.tx.rich.p[0].r[0].t

    ws = charts(with_sources(base((100, 0)), [loan(rate=0.1)], [("ADB", 2026, 0)]), "unborrowed")
    assert len(ws._charts) == 1  # what the budget spends
    assert ws["A1"].value == ("No debt-service chart: the plan draws no loan, so no loan "
                              "payment falls due in any period.")
