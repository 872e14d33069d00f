"""A value per stranded tonne by flow (sheet Flows, column loss_per_t): read and checked, the
closures strand the least valuable tonnes first, and the appraisal values each flow's tonnes
at its own value (planner/analysis/appraisal.py, planner/solve/closure_lp.py), each on a
tiny workbook derived by hand, solved and written for real.

The case (two_flows): home H ships flows A and B, 10 Mt/yr each, to M in one period of one
year (rate 0, nothing after the horizon). Corridor C1 (segment s1, country X, 20 Mt/yr, 10
USD/t) carries both; corridor C2 (segment s2, country Y, 20 USD/t) has no capacity until
project P adds 10 Mt/yr for USD 1,000 m. C1 is closed 73 days a year (0.2 of a year).
"""

import copy

import openpyxl
import pytest

from planner.analysis.pipeline import analyse
from planner.cli import main
from tests.builders import load, project, setting, solve_tables, write


def two_flows(value_a=1000, value_b=100) -> dict:
    flows = [{"flow": k, "origin": "H", "destination": "M", "period": 2026, "demand": 10,
              "loss_per_t": v} for k, v in (("A", value_a), ("B", value_b))]
    routes = [{"route": f"r{k}{c}", "flow": k, "corridor": f"C{c}", "segments": f"s{c}"}
              for k in "AB" for c in (1, 2)]
    return {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": [{"period": 2026, "budget": 1000}],
        "Countries": [{"country": "H"}, {"country": "X"}, {"country": "Y"}],
        "Corridors": [{"corridor": "C1", "closure_days": 73}, {"corridor": "C2"}],
        "Segments": [
            {"segment": "s1", "from": "H", "to": "M", "mode": "rail", "country": "X",
             "capacity": 20, "cost_per_t": 10},
            {"segment": "s2", "from": "H", "to": "M", "mode": "rail", "country": "Y",
             "capacity": 0, "cost_per_t": 20},
        ],
        "Routes": routes,
        "Flows": flows,
        "Projects": [project("P", "s2", 10, 1000)],
        "RiskLimits": [],
    }


def appraised(tmp_path, tables, objective="worst_disruption"):
    sol, ms = solve_tables(tmp_path, tables, objective=objective)
    return sol, ms, analyse(sol.instance, sol.portfolio, sol.objective, full=False)


def test_a_closure_strands_the_least_valuable_tonnes(tmp_path):
    """P is built (a C1 closure strands 20 of 20 Mt/yr without it, 10 with it: worst closure
    100% -> 50%). Normal operation: both flows on C1, nothing unmet, no transport saved.

    Reference, C1 closed: both flows stranded, 10 x 1,000 + 10 x 100 = USD 11,000 m a year.
    Plan, C1 closed: C2 carries 10 Mt/yr; the least valuable tonnes are stranded, B's:
    10 x 100 = USD 1,000 m a year (stranding A's would lose 10,000).
    Expected loss avoided = 73/365 x (11,000 - 1,000) = 2,000 (A's part: 0.2 x 10 x 1,000;
    B's: 0.2 x (10 - 10) x 100 = 0). NPV = 2,000 - 1,000 = 1,000, BCR 2.0.
    Before flows had their own values the column was not read: no loss_per_t, NPV -1,000.
    The share stranded is the tonnes' (50%), whatever the values."""
    sol, ms, analysis = appraised(tmp_path, two_flows())
    assert sol.portfolio == {"P": "2026"}
    assert ms.worst_disruption == pytest.approx(0.5)
    a = analysis.appraisal
    assert a.pv["transport_saved"] == pytest.approx(0, abs=1e-6)
    assert a.pv["unmet_served"] == pytest.approx(0, abs=1e-6)
    assert a.pv["loss_avoided"] == pytest.approx(2000)
    assert a.npv == pytest.approx(1000)
    assert a.bcr == pytest.approx(2.0)
    assert a.by_flow["A"]["loss_avoided"] == pytest.approx(2000)
    assert a.by_flow["B"]["loss_avoided"] == pytest.approx(0, abs=1e-6)
    assert analysis.plan.measures.stranded_flows["corridor", "C1", "2026"] == \
        pytest.approx({"B": 10})
    assert analysis.reference.measures.stranded_flows["corridor", "C1", "2026"] == \
        pytest.approx({"A": 10, "B": 10})


def test_the_leverage_routing_strands_the_least_valuable_too(tmp_path):
    """The closure's staged routing (StrandedLP.least_cost, read by sheet Leverage): with C1
    closed and P built, C2's 10 Mt/yr carry A (worth 1,000) and B (100) is stranded, although
    the plan's tonnes paid the same (10 USD/t each) and either routing costs 200."""
    from planner.analysis.fixed_portfolio import Rescorer
    inst = load(tmp_path, two_flows())
    score = Rescorer(inst, "worst_disruption")
    plan = score({"P": "2026"})
    routing = score.least_cost({"P": "2026"}, plan.flows)["corridor", "C1", "2026"]
    assert routing.get("rA2", 0) == pytest.approx(10)
    assert routing.get("rB2", 0) == pytest.approx(0, abs=1e-6)  # within the stages' room
    # the other way round when B is the valuable one
    inst = load(tmp_path, two_flows(100, 1000), "swapped.xlsx")
    score = Rescorer(inst, "worst_disruption")
    plan = score({"P": "2026"})
    routing = score.least_cost({"P": "2026"}, plan.flows)["corridor", "C1", "2026"]
    assert routing.get("rB2", 0) == pytest.approx(10)
    assert routing.get("rA2", 0) == pytest.approx(0, abs=1e-6)


def test_a_blank_value_falls_back_to_settings(tmp_path):
    """B's row blank, Settings loss_per_t 2,000: B is worth 2,000 a tonne, A 1,000, so the
    plan's C1 closure strands A. Reference: 10 x 1,000 + 10 x 2,000 = 30,000 a year; plan:
    10 x 1,000 = 10,000; loss avoided 0.2 x 20,000 = 4,000; NPV 4,000 - 1,000 = 3,000."""
    tables = setting(two_flows(), "loss_per_t", 2000)
    tables["Flows"][1]["loss_per_t"] = None
    sol, _, analysis = appraised(tmp_path, tables)
    assert sol.instance.value_per_t("B", "2026") == 2000
    a = analysis.appraisal
    assert a.npv == pytest.approx(3000)
    assert a.by_flow["B"]["loss_avoided"] == pytest.approx(4000)
    assert a.flow_years["B", "2026"].value_from == "Settings"
    assert a.flow_years["A", "2026"].value_from == "Flows"


def normal_unmet(tables: dict) -> dict:
    """A's demand 15: 25 Mt/yr on C1's 20 leaves 5 unmet in the reference, none in the plan."""
    out = copy.deepcopy(tables)
    out["Flows"][0]["demand"] = 15
    return out


def two_periods(tables: dict) -> dict:
    """A second period, 2029 (3 years, demand 12 each), a 10% rate, 5 years after."""
    out = copy.deepcopy(tables)
    out["Periods"] = [{"period": 2026, "budget": 1000, "years": 3},
                      {"period": 2029, "budget": 1000, "years": 3}]
    out["Flows"] += [dict(r, period=2029, demand=12) for r in out["Flows"]]
    out = setting(out, "discount_rate", 0.1)
    return setting(out, "benefit_years_after", 5)


@pytest.mark.parametrize("shape", [lambda t: t, normal_unmet, two_periods],
                         ids=["base", "normal unmet", "two periods at 10%"])
def test_equal_values_give_the_single_value_results(tmp_path, shape):
    """Property: every flow at 300 a tonne on sheet Flows appraises as Settings loss_per_t
    300 with no Flows value (the per-flow path against the one-value path), and the
    dependence measures are those of the tonnes. Within 1e-7 relative: the closure LP holds
    the most carried within 1e-7 Mt/yr, at 300 a tonne 3e-5 USD m a year."""
    per_flow = shape(two_flows(300, 300))
    single = setting(copy.deepcopy(per_flow), "loss_per_t", 300)
    for r in single["Flows"]:
        del r["loss_per_t"]
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    sol_a, ms_a, a = appraised(tmp_path / "a", per_flow)
    sol_b, ms_b, b = appraised(tmp_path / "b", single)
    assert sol_a.portfolio == sol_b.portfolio
    assert a.appraisal.by_flow and not b.appraisal.by_flow  # the two paths
    for name in ("npv", "bcr", "eirr", "npv_without_resilience"):
        assert getattr(a.appraisal, name) == pytest.approx(getattr(b.appraisal, name),
                                                           rel=1e-7, abs=1e-4)
    assert a.appraisal.pv == pytest.approx(b.appraisal.pv, rel=1e-7, abs=1e-4)
    assert sum(v["loss_avoided"] + v["unmet_served"] for v in a.appraisal.by_flow.values()) \
        == pytest.approx(a.appraisal.pv["loss_avoided"] + a.appraisal.pv["unmet_served"])
    for m in ("worst_disruption", "expected_disruption", "unmet_demand", "transport_cost"):
        assert getattr(ms_a, m) == pytest.approx(getattr(ms_b, m), abs=1e-9)
    assert a.appraisal.npv != pytest.approx(0)  # the case values something


def test_normal_unmet_is_the_least_valuable_and_valued_per_flow(tmp_path):
    """normal_unmet with A at 1,000 and B at 100: the reference carries 20 of 25 Mt/yr on C1
    and leaves the least valuable 5 unmet, B's (the flow LP's value stage). Plan: C2 takes
    the rest, nothing unmet: unmet served 5 x 100 = 500 a year, for 5 x 20 = 100 more
    transport cost.
    Closure of C1 (0.2 of a year): reference strands all 25 (15 x 1,000 + 10 x 100 = 16,000)
    beyond its normal unmet (5 x 100 = 500): 15,500; plan strands 15 of 25, B's 10 and 5 of
    A's (10 x 100 + 5 x 1,000 = 6,000) beyond nothing: 6,000. Loss avoided 0.2 x 9,500 =
    1,900. NPV = 500 + 1,900 - 100 - 1,000 = 1,300 (had the flow LP left A's 5 unmet, as
    its cost stage may, unmet served would be 5,000)."""
    sol, _, analysis = appraised(tmp_path, normal_unmet(two_flows()))
    assert sol.portfolio == {"P": "2026"}
    assert analysis.reference.unmet["B", "2026"] == pytest.approx(5)
    assert analysis.reference.unmet["A", "2026"] == pytest.approx(0, abs=1e-6)
    a = analysis.appraisal
    assert a.pv["unmet_served"] == pytest.approx(500)
    assert a.pv["loss_avoided"] == pytest.approx(1900)
    assert a.pv["transport_saved"] == pytest.approx(-100)
    assert a.npv == pytest.approx(1300)


@pytest.mark.parametrize("value, says", [(-5, "at least 0"), ("much", "a number")])
def test_a_bad_value_is_refused_with_its_cell(tmp_path, capsys, value, says):
    """Flows row 3 (B), column loss_per_t: exit 2, sheet, row and column named, the file
    unchanged."""
    tables = two_flows()
    tables["Flows"][1]["loss_per_t"] = value
    path = write(tmp_path, tables)
    before = path.read_bytes()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr()
    text = err.out + err.err
    assert "Flows" in text and "loss_per_t" in text and "3" in text and says in text
    assert "Traceback" not in text
    assert path.read_bytes() == before


def test_the_results_show_each_flows_value(tmp_path):
    """planner solve writes sheet FlowValue (one row per flow and period: its value, where
    it comes from, what the closures strand of it and what it is worth) and the Appraisal's
    PV by flow; the Disruptions' stranded by flow for the closures with closure_days."""
    path = write(tmp_path, two_flows())
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(path), "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    rows = list(book["FlowValue"].iter_rows(values_only=True))
    head = rows[0]
    got = {r[0]: dict(zip(head, r)) for r in rows[1:] if r[0]}
    assert got["A"]["loss_per_t"] == 1000 and got["A"]["value_from"] == "Flows"
    assert got["A"]["loss_avoided"] == pytest.approx(2000)
    assert got["B"]["loss_avoided"] == pytest.approx(0, abs=1e-6)
    assert got["A"]["beyond_reference"] == pytest.approx(2)  # 0.2 x 10 Mt/yr
    rows = list(book["Appraisal"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "flow")
    pv = {r[0]: dict(zip(rows[top], r)) for r in rows[top + 1:] if r[0]}
    assert pv["A"]["pv_expected_loss_avoided"] == pytest.approx(2000)
    assert pv["A"]["share_of_resilience"] == pytest.approx(1)
    rows = list(book["Disruptions"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if i and r[0] == "closure")
    assert [r[:4] + r[5:7] for r in rows[top + 1:] if r[0]] == [
        ("C1", "2026", "B", 10, 100, 1000)]
