"""Value and leverage (planner/analysis/project_value.py, planner/analysis/leverage.py): what each project buys, what each
chain's links buy, what each transit country holds captive; each derived by hand.

The base case (tests/builders.two_corridors): 10 Mt/yr from H to M over corridor CA (country A,
capacity 10, 10 USD/t); corridor CB (country B, 20 USD/t) has no capacity until project PB is
built. One period of one year, budget 100, objective worst_disruption by corridor.
"""

from dataclasses import fields, replace
from pathlib import Path

import openpyxl
import pytest

from planner.studies.batch import Outcome
from planner.cli import main
from planner.report.compare import measures_of
from planner.analysis.measures import evaluate
from planner.analysis.leverage import leverage
from planner.report.results import write_results
from planner.report.value import write_value
from planner.solve.solution import PlanInfeasible
from planner.solve.run import solve
from planner.analysis.fixed_portfolio import Rescorer
from planner.solve.closure_lp import built_capacity
from planner.analysis.measures import CHANGE_MEASURES as MEASURES
from planner.analysis.project_value import ChangeMeasures, ProjectValue, chains, project_value
from tests.builders import edit, load, project, two_corridors, write
from tests.test_independent import OBJECTIVES, random_tables

TOL = 1e-6
# the measures a portfolio fixes whatever equal-cost routing its flows take
UNIQUE = ("unmet_demand", "transport_cost", "worst_disruption", "expected_disruption")


def insurance() -> dict:
    """PB (+10 on CB, capex 100) is the one insurance; PU (+5 on CA's segment sA, capex 50)
    adds capacity CA cannot use: demand is 10 and sA already carries 10."""
    return edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                          project("PU", "sA", 5, 50)])


def sheet(path, name) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_dropping_the_insurance_and_adding_a_useless_project(tmp_path, capsys):
    """Plan: PB (closing CA then strands nothing, closing CB neither: worst 0), not PU.
    Drop PB: closing CA strands all 10 Mt/yr, worst disruption 100%: dependence_change +1.0,
    100 percentage points for the 100 USD m saved: 1.0 USD m per point. Transport cost stays
    100 (all 10 Mt over CA at 10 USD/t). Add PU: no measure moves (blank USD m per point),
    and PB has spent the budget of 100, so PU's 50 break it: over_budget."""
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, insurance())), "-o", str(out), "--no-brief"]) == 0
    rows = {r["project"]: r for r in sheet(out, "Value")}
    pb, pu = rows["PB"], rows["PU"]
    assert (pb["change"], pb["selected"], pb["start_period"]) == ("drop", True, "2026")
    assert pb["worst_disruption"] == pytest.approx(1.0)
    assert pb["dependence_change"] == pytest.approx(1.0)
    assert pb["usd_m_per_point"] == pytest.approx(1.0)
    assert pb["transport_cost"] == pytest.approx(100.0)
    assert pb["over_budget"] is False
    assert (pu["change"], pu["selected"], pu["start_period"]) == ("add", False, "2026")
    assert pu["worst_disruption"] == pytest.approx(0.0, abs=TOL)
    assert pu["dependence_change"] == pytest.approx(0.0, abs=TOL)
    assert pu["usd_m_per_point"] is None
    assert pu["over_budget"] is True
    assert "buys nothing" not in capsys.readouterr().out  # PB buys the whole 100%


def test_a_selected_project_that_buys_nothing_is_named(tmp_path, capsys):
    """PU committed: it is in the plan, and dropping it changes no measure."""
    tables = edit(insurance(), Projects=[project("PB", "sB", 10, 100),
                                         project("PU", "sA", 5, 0, status="committed")])
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    assert "PU (committed) buys nothing measurable" in capsys.readouterr().out
    rows = {r["project"]: r for r in sheet(out, "Value")}
    assert rows["PU"]["change"] == "drop" and rows["PU"]["usd_m_per_point"] is None


def test_leverage_follows_from_the_route_costs(tmp_path, capsys):
    """PB adds only 4 (capex 100). Plan: 10 Mt/yr over CA (10 USD/t), transport cost 100 a
    year. Closing country A: CB carries 4, strands 6: captive 6, divertible 10 - 6 = 4; the
    most-served routing with A closed costs 4 x 20 = 80, and the plan paid 6 x 10 = 60 for
    the captive tonnes, so premium = (80 - 100 + 60) / 4 = 10 USD/t (20 - 10 per tonne
    diverted). Reference (PB not built): captive 10, divertible 0, premium blank. Country B
    carries nothing. Terminal: 'A: captive 10.0 -> 6.0 Mt/yr in 2026; premium none -> 10'."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 4, 100)])
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    rows = {(r["unit"], r["key"]): r for r in sheet(out, "Leverage")}
    a = rows["country", "A"]
    assert a["traffic"] == pytest.approx(10) and a["traffic_share"] == pytest.approx(1.0)
    assert a["captive"] == pytest.approx(6) and a["divertible"] == pytest.approx(4)
    assert a["premium"] == pytest.approx(10)
    assert a["traffic_ref"] == pytest.approx(10) and a["captive_ref"] == pytest.approx(10)
    assert a["divertible_ref"] == pytest.approx(0, abs=TOL) and a["premium_ref"] is None
    assert rows["corridor", "CA"]["premium"] == pytest.approx(10)
    b = rows["country", "B"]
    assert b["traffic"] == pytest.approx(0, abs=TOL) and b["premium"] is None
    assert "A: captive 10.0 -> 6.0 Mt/yr in 2026; premium none -> 10 USD/t" \
        in capsys.readouterr().out
    summary = {r["metric"]: r["value"] for r in sheet(out, "Summary")}
    assert summary["max_captive_share"] == pytest.approx(0.6)  # A's 6 of 10


def diversion() -> dict:
    """Issue 21's diversion case. Home H; flow K1 (5 Mt/yr) has one route, over country A
    (segment sA1, 100 USD/t) then X (sX, 0 USD/t, its market); K2 (10 Mt/yr) passes A (sA2,
    10 USD/t, room 100) or B (sB, 25 USD/t, room 6). No projects; one period of a year."""
    seg = {"mode": "rail", "capacity": 100}
    return {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": [{"period": 2026, "budget": 100}],
        "Countries": [{"country": c} for c in ("H", "A", "B", "X")],
        "Corridors": [{"corridor": "CA"}, {"corridor": "CB"}],
        "Segments": [
            {"segment": "sA1", "from": "H", "to": "P", "country": "A", "cost_per_t": 100, **seg},
            {"segment": "sX", "from": "P", "to": "M1", "country": "X", "cost_per_t": 0, **seg},
            {"segment": "sA2", "from": "H", "to": "M2", "country": "A", "cost_per_t": 10, **seg},
            {**seg, "segment": "sB", "from": "H", "to": "M2", "country": "B", "cost_per_t": 25,
             "capacity": 6},
        ],
        "Routes": [{"route": "r1", "flow": "K1", "corridor": "CA", "segments": "sA1; sX"},
                   {"route": "r2a", "flow": "K2", "corridor": "CA", "segments": "sA2"},
                   {"route": "r2b", "flow": "K2", "corridor": "CB", "segments": "sB"}],
        "Flows": [{"flow": "K1", "origin": "H", "destination": "M1", "period": 2026,
                   "demand": 5},
                  {"flow": "K2", "origin": "H", "destination": "M2", "period": 2026,
                   "demand": 10}],
        "Projects": [],
        "RiskLimits": [],
    }


def test_the_premium_costs_the_captive_tonnes_at_what_they_cost(tmp_path, capsys):
    """Plan (and reference: nothing to build): K1 5 over A at 100, K2 10 over A at 10; transport
    600 USD m a year. Closing A (or corridor CA) strands K1's 5 and 4 of K2, and carries 6 of
    K2 over B at 25 (150): captive 9, divertible 6. The captive tonnes cost 5 x 100 + 4 x 10 =
    540 in the plan, so premium = (150 - 600 + 540) / 6 = +15 USD/t: each diverted tonne goes
    from 10 to 25. (At A's mean cost, 600 / 15 = 40 USD/t, the captive tonnes would cost 360
    and the premium would read (150 - 600 + 360) / 6 = -15.) X is K1's market: it carries no
    transit trade (traffic 0, premium blank). Terminal: 'A: captive 9.0 -> 9.0 Mt/yr in 2026;
    premium 15 -> 15 USD/t'."""
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, diversion())), "-o", str(out), "--no-brief"]) == 0
    rows = {(r["unit"], r["key"]): r for r in sheet(out, "Leverage")}
    for unit in (("country", "A"), ("corridor", "CA")):
        a = rows[unit]
        assert (a["traffic"], a["captive"], a["divertible"]) == pytest.approx((15, 9, 6))
        assert (a["premium"], a["premium_ref"]) == pytest.approx((15, 15))
    x = rows["country", "X"]
    assert (x["traffic"], x["captive"]) == pytest.approx((0, 0), abs=TOL)
    assert x["premium"] is None
    assert "A: captive 9.0 -> 9.0 Mt/yr in 2026; premium 15 -> 15 USD/t" \
        in capsys.readouterr().out


def test_a_transit_country_that_is_one_flows_market_is_still_a_transit_country(tmp_path,
                                                                              capsys):
    """The diversion case and K3 (1 Mt/yr) from H to A itself (segment sA3, 5 USD/t): A is
    K3's market, and carries 15 Mt/yr of transit trade (K1, K2). Closing A strands 10 of the
    16: K3's 1 (its own market: not transit dependence) and 9 of the transit trade. So A holds
    9 Mt/yr captive, 9 / 16 = 56.25% of trade (max_captive_share, A the largest), traffic 15,
    divertible 6, premium 15 (as without K3). The terminal names A; the Leverage chart charts
    A; on sheet Charts A's bar is 9/16 and its own market's 1/16 is a row '(destination
    market)', not charted, as is X's (K1's market: 5/16)."""
    tables = diversion()
    tables["Segments"].append({"segment": "sA3", "from": "H", "to": "AC", "mode": "rail",
                               "country": "A", "capacity": 100, "cost_per_t": 5})
    tables["Routes"].append({"route": "r3", "flow": "K3", "corridor": "CA", "segments": "sA3"})
    tables["Flows"].append({"flow": "K3", "origin": "H", "destination": "AC",
                            "period": 2026, "demand": 1})
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    rows = {(r["unit"], r["key"]): r for r in sheet(out, "Leverage")}
    a = rows["country", "A"]
    assert (a["traffic"], a["captive"], a["divertible"]) == pytest.approx((15, 9, 6))
    assert a["traffic_share"] == pytest.approx(15 / 16) and a["premium"] == pytest.approx(15)
    # corridor CA carries K3 too, and no flow's market is a corridor: 16, 10 captive, 6
    ca = rows["corridor", "CA"]
    assert (ca["traffic"], ca["captive"], ca["divertible"]) == pytest.approx((16, 10, 6))
    summary = {r["metric"]: r["value"] for r in sheet(out, "Summary")}
    assert summary["max_captive_share"] == pytest.approx(9 / 16)
    assert "A: captive 9.0 -> 9.0 Mt/yr in 2026; premium 15 -> 15 USD/t" \
        in capsys.readouterr().out
    ws = openpyxl.load_workbook(out)["Leverage chart"]
    chart = {ws.cell(i, 1).value: ws.cell(i, 3).value for i in range(2, ws.max_row + 1)
             if ws.cell(i, 1).value}
    assert chart["A"] == pytest.approx(9 / 16)
    ws = openpyxl.load_workbook(out)["Charts"]
    names = {ws.cell(i, 1).value: ws.cell(i, 2).value for i in range(1, ws.max_row + 1)}
    assert names["A"] == pytest.approx(9 / 16)
    assert names["A (destination market)"] == pytest.approx(1 / 16)
    assert names["X (destination market)"] == pytest.approx(5 / 16)
    assert "X" not in names


def test_a_negative_premium_without_share_limits(tmp_path):
    """No share limit: K4 (4 Mt/yr) has one route, over A (sA4, 1 USD/t) then the shared
    segment sS (room 4, 1 USD/t); K2 (10) passes A (sA2, 10 USD/t) or Y then sS (sY 7 + sS 1
    = 8 USD/t). Serving everything needs sS for K4, so the plan carries K2 over A at 10
    though its other route costs 8. Closing A strands K4 and frees sS: 4 of K2 go round at 8,
    6 are stranded. Captive 10 of A's 14, divertible 4; premium = (32 - 108 + 4 x 2 + 6 x 10)
    / 4 = -2 USD/t: each diverted tonne is 2 cheaper than through A, the closure having freed
    the room the plan had given K4."""
    seg = {"mode": "rail", "capacity": 100}
    tables = {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": [{"period": 2026, "budget": 100}],
        "Countries": [{"country": c} for c in ("H", "A", "S", "Y")],
        "Corridors": [{"corridor": "CA"}, {"corridor": "CY"}],
        "Segments": [
            {"segment": "sA4", "from": "H", "to": "P", "country": "A", "cost_per_t": 1, **seg},
            {"segment": "sY", "from": "H", "to": "P", "country": "Y", "cost_per_t": 7, **seg},
            {**seg, "segment": "sS", "from": "P", "to": "M", "country": "S", "cost_per_t": 1,
             "capacity": 4},
            {"segment": "sA2", "from": "H", "to": "M", "country": "A", "cost_per_t": 10, **seg},
        ],
        "Routes": [{"route": "r4", "flow": "K4", "corridor": "CA", "segments": "sA4; sS"},
                   {"route": "r2a", "flow": "K2", "corridor": "CA", "segments": "sA2"},
                   {"route": "r2y", "flow": "K2", "corridor": "CY", "segments": "sY; sS"}],
        "Flows": [{"flow": k, "origin": "H", "destination": "M", "period": 2026, "demand": d}
                  for k, d in (("K4", 4), ("K2", 10))],
        "Projects": [],
        "RiskLimits": [],
    }
    inst = load(tmp_path, tables)
    sol = solve(inst)
    rows = {(r.unit, r.key): r for r in leverage(inst, sol.portfolio, sol.objective)}
    a = rows["country", "A"].plan
    assert (a.traffic, a.captive, a.divertible) == pytest.approx((14, 10, 4))
    assert a.premium == pytest.approx(-2)


def chain_of_three() -> dict:
    """Corridor CW: three routes over segments w1, w2, w3 (20 USD/t, no capacity), opened by
    L1 (+2 on w1), L2 (+3 on w2, requires L1) and L3 (+5 on w3, requires L2), capex 10 each.
    Closing CA strands 10 - (what the built links add): 10, 8, 5, 0; closing CW strands
    nothing (CA carries 10). Worst closure with k links: 100%, 80%, 50%, 0%: the links buy
    20, 30 and 50 points. The plan builds all three (worst 0)."""
    t = two_corridors()
    t["Corridors"] = [{"corridor": "CA"}, {"corridor": "CW"}]
    t["Segments"] = t["Segments"][:1] + [
        {"segment": f"w{i}", "from": "H", "to": "M", "mode": "rail", "country": "B",
         "capacity": 0, "cost_per_t": 20} for i in (1, 2, 3)]
    t["Routes"] = t["Routes"][:1] + [{"route": f"r{i}", "flow": "K", "corridor": "CW",
                                      "segments": f"w{i}"} for i in (1, 2, 3)]
    t["Projects"] = [project("L1", "w1", 2, 10), project("L2", "w2", 3, 10, requires="L1"),
                     project("L3", "w3", 5, 10, requires="L2")]
    return t


def test_each_link_of_a_chain_buys_its_share(tmp_path):
    out = tmp_path / "results.xlsx"
    assert main(["solve", str(write(tmp_path, chain_of_three())), "-o", str(out),
                 "--no-brief"]) == 0
    rows = sheet(out, "Chains")
    assert [r["chain"] for r in rows] == ["L1 > L2 > L3"] * 4
    assert [r["k"] for r in rows] == [0, 1, 2, 3]
    assert [r["link"] for r in rows] == [None, "L1", "L2", "L3"]
    assert [r["worst_disruption"] for r in rows] == pytest.approx([1.0, 0.8, 0.5, 0.0],
                                                                  abs=TOL)
    assert [r["link_buys"] for r in rows[1:]] == pytest.approx([0.2, 0.3, 0.5])
    assert [r["links_capex"] for r in rows] == pytest.approx([0, 10, 20, 30])
    # dropping L2 drops L3 with it: 10 - 2 = 8 stranded
    value = {r["project"]: r for r in sheet(out, "Value")}
    assert value["L2"]["worst_disruption"] == pytest.approx(0.8)
    assert value["L2"]["with"] == "L3"


def test_a_chain_not_in_the_plan_is_built_from_its_earliest_starts(tmp_path):
    """Budget 0 on top of the chain: nothing is built, yet the Chains rows still say what
    each link would buy, every one over budget but k = 0."""
    tables = chain_of_three()
    tables["Periods"] = [{"period": 2026, "budget": 0}]
    inst = load(tmp_path, tables)
    assert chains(inst) == [("L1", "L2", "L3")]
    sol = solve(inst)
    assert not any(sol.portfolio.values())
    steps = project_value(inst, sol.portfolio, sol.objective).chains[0]
    assert [s.dependence for s in steps] == pytest.approx([1.0, 0.8, 0.5, 0.0], abs=TOL)
    assert [s.over_budget for s in steps] == [False, True, True, True]


@pytest.mark.parametrize("seed", range(10))
def test_properties_on_random_instances(tmp_path, seed):
    """Dropping a selected project that the rules allow to drop never leaves the plan better
    on (unmet demand, the objective's measure) in that order, else the plan was not optimal;
    captive + divertible = traffic with both non-negative; captive equals the closure's
    stranded amount beyond normal unmet on the Disruptions sheet written and read back."""
    inst = load(tmp_path, random_tables(seed))
    try:
        sol = solve(inst, objective=OBJECTIVES[seed % 4], explain=False)
    except PlanInfeasible:
        pytest.skip("this seed's rules conflict")
    value = project_value(inst, sol.portfolio, sol.objective)
    plan = value.plan.measures
    for c in value.changes:
        if c.change != "drop" or c.over_budget or \
                inst.projects[c.project].status == "committed":
            continue
        ms = c.measures
        assert ms.unmet_demand >= plan.unmet_demand - 1e-6
        if ms.unmet_demand <= plan.unmet_demand + 1e-6:
            assert c.dependence_change >= -1e-6, c.project
    # the plan's re-scored measures are the solve's; each changed portfolio's are those of
    # LPs that never saw the plan (no shortcut from the plan's solutions). The shares the
    # objective does not minimize are left out: equal-cost routes make them a tie-break
    solved = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    assert value.dependence == pytest.approx(
        solved.dependence(sol.objective, inst.settings.dependence_unit), abs=1e-6)
    for name in UNIQUE:
        assert getattr(plan, name) == pytest.approx(getattr(solved, name), rel=1e-6,
                                                    abs=1e-6), name
    fresh = Rescorer(inst, sol.objective)
    held = Rescorer(inst, sol.objective)  # the plan's solutions held, as project_value's
    held.hold_base(sol.portfolio)
    for c in value.changes:
        again = fresh(c.portfolio).measures
        assert c.dependence_change + value.dependence == pytest.approx(
            fresh.dependence(again), abs=1e-6)
        for name in UNIQUE:
            assert getattr(c.measures, name) == pytest.approx(getattr(again, name), rel=1e-6,
                                                              abs=1e-6), (c.project, name)
        # every closure's stranded amount, not only the largest: the shortcuts from the
        # plan's solutions are exact; and the capacities are built_capacity's
        shortcut = held(c.portfolio).measures
        assert shortcut.stranded.keys() == again.stranded.keys()
        for key, v in again.stranded.items():
            assert shortcut.stranded[key] == pytest.approx(v, abs=1e-6), (c.project, key)
        assert shortcut.capacity == built_capacity(inst, c.portfolio)
    levers = leverage(inst, sol.portfolio, sol.objective)
    for r in levers:
        for hold in (r.plan, r.reference):
            assert hold.captive >= -TOL and hold.divertible >= -1e-6
            assert hold.captive + hold.divertible == pytest.approx(hold.traffic)
    out = tmp_path / "results.xlsx"
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    write_results(sol, ms, out, leverage=levers)
    beyond = {(r["unit"], r["closure"], str(r["period"])): r["stranded_beyond_unmet"]
              for r in sheet(out, "Disruptions")}
    # less, for a country, what the plan serves of the flows whose market it is: the flows
    # leverage scores (a Rescorer's, with the same unmet demand as the solve's, perhaps
    # split otherwise over flows)
    plan = Rescorer(inst, sol.objective)(sol.portfolio)
    for r in sheet(out, "Leverage"):
        t = str(r["period"])
        own = sum(inst.demand(k, t) - plan.unmet[k, t] for k, c in inst.market.items()
                  if r["unit"] == "country" and c == r["key"])
        assert r["captive"] == pytest.approx(
            max(0.0, beyond[r["unit"], r["key"], t] - own), abs=1e-6)
    # max_captive_share: the largest country's captive share, weighted over measured periods
    captive = {}
    for r in sheet(out, "Leverage"):
        if r["unit"] == "country":
            t = str(r["period"])
            captive[t] = max(captive.get(t, 0.0), r["captive"] / inst.total_demand[t])
    assert plan.measures.max_captive_share == pytest.approx(
        sum(w * captive.get(t, 0.0) for t, w in inst.period_weights.items()), abs=1e-6)


def test_comparison_workbooks_carry_max_captive_share_last(tmp_path):
    """planner compare of the leverage case (A holds 6 of 10 captive: 0.6) and of the base
    case (PB +10: nothing captive): max_captive_share is a row of sheet Measures after the
    finance rows, whose places stay, and before npv_unmet_served, the row added after it."""
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    leverage_case = edit(two_corridors(), Projects=[project("PB", "sB", 4, 100)])
    assert main(["solve", str(write(tmp_path, leverage_case, "la.xlsx")), "-o", str(first),
                 "--no-brief"]) == 0
    assert main(["solve", str(write(tmp_path, two_corridors(), "lb.xlsx")), "-o", str(second),
                 "--no-brief"]) == 0
    out = tmp_path / "a-vs-b.xlsx"
    assert main(["compare", str(first), str(second), "-o", str(out)]) == 0
    rows = list(openpyxl.load_workbook(out)["Measures"].iter_rows(values_only=True))
    names = [r[0] for r in rows[1:]]
    assert names.index("external_share") < len(names) - 1
    assert names[-2:] == ["max_captive_share", "npv_unmet_served"]
    assert rows[-2][1:] == pytest.approx((0.6, 0.0), abs=TOL)
    # scenarios, alternatives and frontier take it from the outcome's measures
    inst = load(tmp_path, leverage_case)
    sol = solve(inst)
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    assert measures_of(Outcome("plan", sol.status, sol, ms))["max_captive_share"] == \
        pytest.approx(0.6)


def test_kazakhstan_figures_of_the_readme():
    """docs/kazakhstan.md: what the committed crossings buy, and Russia's leverage,
    reference plan -> plan, in 2035. China and Uzbekistan are the destinations of the China
    and Central Asia trade (every route of each ends there): not transit countries, so
    max_captive_share is Russia's. The plan is the committed lines (no candidate changes the
    worst closure, the Saryagash crossing): dropping Darbaza-Maktaaral (P03) strands all the
    Central Asia trade in a Saryagash closure, 15.8% -> 38.7%; dropping Bakhty-Ayagoz (P02)
    makes Dostyk the worst closure from 2032 (15.9 of 93 Mt/yr, 18.9 of 100), 16.5%.

    Russia in 2035 (the plan is the reference: the same figures): the European trade (12 Mt/yr
    on the Northern rail at 120 USD/t, worth 540 a tonne) and the sea-bound trade (13 by the
    Russian ports at 55, worth 103) cross it, 25. Closed, the least valuable tonnes are
    stranded (sheet Flows, loss_per_t): the European trade goes on, 6 by Nakhchivan (156: +36)
    and 6 by Bandar Abbas and Suez (135: +15), 306; of the sea-bound trade 7.5 are stranded
    (captive, each priced at what it paid: 0 net) and 5.5 go by Bandar Abbas 3 (90: +35),
    Chabahar 1 (80: +25), the Afghan road 1 (242: +187) and the KKH 0.5 (175: +120), 377:
    683 USD m a year over 17.5 divertible tonnes, 39.0 USD/t. (With one value for all, the
    cost stage stranded 7.5 of the European trade, whose routes cost more: 836, 47.8 USD/t.)
    Captive by period: 0, 1.5, 5.5, 7.5 of 76, 84, 93, 100 Mt/yr: max_captive_share
    (0 + 1.5/84 + 5.5/93 + 7.5/100) / 4 = 0.0380."""
    from planner.inputs.read import read_workbook
    inst = read_workbook(Path(__file__).parent.parent / "instances" / "kazakhstan.xlsx")
    assert inst.destination_countries == {"CN", "UZ"}
    sol = solve(inst)
    value = project_value(inst, sol.portfolio, sol.objective, plan_draws=sol.draws)
    drop = {c.project: c for c in value.changes}
    assert value.dependence == pytest.approx(0.1577, abs=5e-5)
    assert drop["P03"].dependence_change == pytest.approx(0.3868 - 0.1577, abs=5e-5)
    assert drop["P02"].dependence_change == pytest.approx(0.0072, abs=5e-5)
    for chain in value.chains:  # added chains (the Caspian fleet): nothing, step by step
        assert [step.dependence for step in chain] == pytest.approx([0.1577] * len(chain),
                                                                    abs=5e-5)
    assert sorted(c.project for c in value.buys_nothing()) == ["KIN", "P04", "P07"]
    rows = {(r.key, r.period): r for r in leverage(inst, sol.portfolio, sol.objective)
            if r.unit == "country"}
    russia = rows["RU", "2035"]
    assert (russia.reference.captive, russia.plan.captive) == pytest.approx((7.5, 7.5))
    assert (russia.reference.premium, russia.plan.premium) == pytest.approx((39.0, 39.0),
                                                                            abs=0.05)
    assert inst.market["CHINA"] == "CN"
    for t in inst.period_ids:
        china = rows["CN", t]
        assert china.plan.traffic == china.reference.traffic == 0
        assert china.plan.captive == china.reference.captive == 0
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    assert ms.max_captive_share == pytest.approx(0.0380, abs=5e-5)


class Recording(Rescorer):
    """A Rescorer that keeps what it scores: portfolio -> Scored, with the whole Measures."""

    def __init__(self, inst, objective):
        super().__init__(inst, objective)
        self.scored = {}

    def __call__(self, portfolio, near=True):
        out = super().__call__(portfolio, near)
        self.scored[tuple(portfolio.items())] = out
        return out


def kazakhstan():
    """The shipped instance with Russia closed to transit (its scenario), where candidates
    and a requires chain (the Caspian fleet) are bought: in the base the plan is the committed
    lines alone."""
    from planner.inputs.scenarios import apply
    from planner.inputs.read import read_workbook
    inst = read_workbook(Path(__file__).parent.parent / "instances" / "kazakhstan.xlsx")
    inst = apply(inst, inst.scenarios["Russia closed to transit"])
    return inst, solve(inst)


def test_changes_keep_the_sheets_measures_of_their_whole_measures():
    """Each change and chain step keeps ChangeMeasures (the six measures the sheets show), not
    its portfolio's whole Measures (2.2 GB of them at L): its figures are those of the whole
    Measures it was scored with, and of a whole evaluate() of the changed portfolio on its
    flows (closure LPs of its own); sheets Value and Chains are the same, cell for cell, as
    written from the whole Measures."""
    assert [f.name for f in fields(ChangeMeasures)] == list(MEASURES)
    inst, sol = kazakhstan()
    score = Recording(inst, sol.objective)
    value = project_value(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                          rescorer=score)
    steps = [s for chain in value.chains for s in chain]
    assert value.changes and steps
    for c in value.changes + steps:
        scored = score.scored[tuple(c.portfolio.items())]
        assert c.measures == ChangeMeasures.of(scored.measures)
        whole = evaluate(inst, c.portfolio, scored.flows, scored.unmet)
        for name in MEASURES:
            assert getattr(c.measures, name) == pytest.approx(getattr(whole, name), rel=1e-7,
                                                              abs=1e-7), name
    whole = ProjectValue(
        value.plan, value.dependence,
        [replace(c, measures=score.scored[tuple(c.portfolio.items())].measures)
         for c in value.changes],
        [[replace(s, measures=score.scored[tuple(s.portfolio.items())].measures)
          for s in chain] for chain in value.chains])
    assert [c.project for c in whole.buys_nothing()] == \
        [c.project for c in value.buys_nothing()]
    books = []
    for v in (value, whole):
        book = openpyxl.Workbook()
        write_value(book, inst, v)
        books.append({name: [[cell.value for cell in row] for row in book[name].iter_rows()]
                      for name in ("Value", "Chains")})
    assert books[0] == books[1]


def test_capacities_scored_again_get_the_same_flows():
    """A set of capacities scored before is not solved again: its flows come back from what
    the Rescorer kept of them (the flows and unmet demand not 0), the same dicts in the same
    order, and so the same measures; with and without the plan's solutions held."""
    inst, sol = kazakhstan()
    value = project_value(inst, sol.portfolio, sol.objective)
    held = Rescorer(inst, sol.objective)
    held.hold_base(sol.portfolio)
    plan = held(sol.portfolio)
    solved = {tuple(c.portfolio.items()): held(c.portfolio) for c in value.changes}
    moved = [key for key, s in solved.items() if s.flows is not plan.flows]
    assert moved  # changes whose flows are not the plan's: kept, and made again
    plain = Rescorer(inst, sol.objective)  # no base: every portfolio solved
    pairs = [(solved[key], held(dict(key))) for key in moved] + \
        [(plain(p), plain(p)) for p in [sol.portfolio] + [dict(key) for key in moved]]
    for first, again in pairs:
        assert again.flows is not first.flows
        assert list(again.flows.items()) == list(first.flows.items())
        assert list(again.unmet.items()) == list(first.unmet.items())
        assert again.measures == first.measures


def test_closure_bounds_solved_before_are_not_solved_again(tmp_path, monkeypatch):
    """A closure LP keeps the stranded amount of each set of capacity bounds it solved, keyed
    by a 16-byte digest of the bounds (stranded.bounds_key): the same bounds are not solved
    again, other bounds are."""
    from planner.solve.closure_lp import StrandedLP, _MaxFlow, bounds_key

    inst = load(tmp_path, chain_of_three())
    lp = StrandedLP(inst, inst.closures("corridor"), inst.period_ids)
    block = lp.blocks["2026", "corridor CA"]
    runs = []
    solve_block = _MaxFlow._run
    monkeypatch.setattr(_MaxFlow, "_run", lambda self: runs.append(1) or solve_block(self))
    nothing = lp.capacity({})[block.index]
    assert block.stranded(nothing) == pytest.approx(10)  # CW has no capacity yet
    assert block.stranded(nothing.copy()) == pytest.approx(10) and len(runs) == 1
    links = lp.capacity({"L1": "2026", "L2": "2026"})[block.index]
    assert block.stranded(links) == pytest.approx(5) and len(runs) == 2
    assert set(block.known) == {bounds_key(nothing), bounds_key(links)}
    assert all(len(key) == 16 for key in block.known)


def test_the_finance_check_agrees_with_a_solve_with_the_starts_held(tmp_path):
    """value.FinanceCheck (the finance and budget rows alone, one LP) says a portfolio can be
    paid exactly when a whole solve with its starts held finds draws for it: the plan plus each
    candidate at its earliest start, on a generated network with sources, spend profiles and a
    debt-service limit, some of them payable and some not."""
    from benchmarks.generator import generate
    from planner.solve.solution import NoPortfolio
    from planner.analysis.project_value import FinanceCheck

    inst = load(tmp_path, generate("S", seed=1, finance=True))
    plan = solve(inst, objective="cost").portfolio
    check = FinanceCheck(inst)
    verdicts = []
    for p in inst.projects:
        if plan.get(p) or not inst.start_periods(p) or inst.projects[p].requires:
            continue
        portfolio = {**plan, p: inst.start_periods(p)[0]}
        try:
            solve(inst, objective="cost", fixed=portfolio, explain=False)
            paid = True
        except (PlanInfeasible, NoPortfolio):
            paid = False
        assert check.fundable(portfolio) == paid, p
        verdicts.append(paid)
    assert check.fundable(plan)
    assert True in verdicts and False in verdicts  # both kinds were checked


def test_the_analysis_takes_over_the_solves_closure_lps(tmp_path):
    """A worst_disruption solve scores its portfolios with closure LPs of the corridor
    closures (Solution.closure_lp); the analysis takes those over, building only the others
    (the country closures), and every figure is the one of an analysis that built its own."""
    from benchmarks.generator import Size, generate
    from planner.analysis.pipeline import analyse

    inst = load(tmp_path, generate(Size(projects=40, routes=30, countries=6, periods=2,
                                        corridors=10, markets=2), seed=3))
    sol = solve(inst, objective="worst_disruption")
    own = analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws)
    solved = dict(sol.closure_lp.blocks)
    assert solved and all(d.startswith("corridor") for _, d in solved)
    taken = Rescorer(inst, sol.objective, sol.closure_lp)
    shared = [pair for pair, block in taken.closure_lp.blocks.items()
              if solved.get(pair) is block]
    assert shared == [pair for pair in taken.closure_lp.blocks if pair in solved]
    assert len(shared) < len(taken.closure_lp.blocks)  # the country closures built anew
    sol = solve(inst, objective="worst_disruption")
    again = analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                    closure_lp=sol.closure_lp)
    # the same LPs from other starting bases: the same optima, to round-off
    figures = lambda a: [a.plan.measures.worst_disruption, a.plan.measures.expected_disruption] \
        + [getattr(c.measures, m) for c in a.value.changes for m in MEASURES] \
        + [x for r in a.leverage for hold in (r.plan, r.reference)
           for x in (hold.traffic, hold.captive)]
    assert [c.project for c in again.value.changes] == [c.project for c in own.value.changes]
    assert figures(again) == pytest.approx(figures(own), rel=1e-6, abs=1e-9)
    # a premium is a cost per tonne of the tonnes a closure diverts, among equal-valued
    # routings: each lexicographic stage is held within 1e-6 relative (_MaxFlow.least_cost),
    # which moves it by up to about 1e-4 relative (9.2606 against 9.2600 USD/t seen)
    premiums = lambda a: [hold.premium or 0.0 for r in a.leverage for hold in (r.plan, r.reference)]
    assert premiums(again) == pytest.approx(premiums(own), rel=1e-3, abs=1e-9)


def test_leverage_scored_beside_in_a_worker_is_the_one_scored_here(tmp_path, monkeypatch):
    """With a worker process beside (BESIDE_LEAST 0: every network), which scores Leverage
    and then a share of Value's changed portfolios, Value, Chains and Leverage are those of
    the analysis in one process (Leverage to its 1e-6
    stage tolerance), the worker ends with the analysis, and a deadline that passes first
    leaves the three sheets out with no worker left running."""
    import multiprocessing

    from benchmarks.generator import Size, generate
    from planner.analysis import pipeline
    from planner.clock import Deadline

    inst = load(tmp_path, generate(Size(projects=30, routes=24, countries=6, periods=2,
                                        corridors=8, markets=2), seed=1))
    sol = solve(inst, objective="expected_disruption")
    here = pipeline.analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws)
    monkeypatch.setattr(pipeline, "BESIDE_LEAST", 0)
    assert pipeline.beside_worth(inst) == ((__import__("os").cpu_count() or 1) > 1)
    beside = pipeline.analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws)
    assert beside.left_out == () and multiprocessing.active_children() == []
    assert [(c.project, c.measures) for c in beside.value.changes] == \
        [(c.project, c.measures) for c in here.value.changes]
    rows = lambda a: [(r.unit, r.key, r.period) for r in a.leverage]
    tonnes = lambda a: [x for r in a.leverage for hold in (r.plan, r.reference)
                        for x in (hold.traffic, hold.captive)]
    premiums = lambda a: [hold.premium or 0.0 for r in a.leverage
                          for hold in (r.plan, r.reference)]
    assert rows(beside) == rows(here) and len(rows(here)) > 0
    assert tonnes(beside) == pytest.approx(tonnes(here), rel=1e-6, abs=1e-9)
    # a premium is extra cost over the divertible tonnes, the extra held by the closure LP's
    # cost stage within 1e-6 relative plus 1e-6 of the dearest route's USD/t
    # (_MaxFlow.least_cost): two scorings from other bases agree to that, not to round-off
    assert premiums(beside) == pytest.approx(premiums(here), rel=1e-3, abs=1e-3)
    # Value's changed portfolios shared: once Leverage is in, the worker scores parts from
    # the last while this process scores from the first; the same scores as one process
    from planner.analysis.fixed_portfolio import Rescorer
    from planner.analysis.project_value import planned_changes, score_changes

    score = Rescorer(inst, sol.objective)
    score.hold_base(sol.portfolio)
    portfolios = [changed for *_, changed, _ in planned_changes(inst, sol.portfolio)]
    alone = score_changes(inst, score, portfolios, True)
    worker = pipeline.Beside(inst, sol.portfolio, sol.objective, None)
    try:
        worker.result()  # Leverage done: the worker takes parts at once
        shared = worker.share(score, portfolios, True)
        assert len(worker.parts) >= 2
    finally:
        worker.close()
    assert [s.measures for s in shared] == [s.measures for s in alone]
    figures = lambda scores: [x for s in scores for x in (s.total_capex, s.dependence, s.npv)]
    assert figures(shared) == pytest.approx(figures(alone), rel=1e-9)
    assert multiprocessing.active_children() == []
    late = pipeline.analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                            deadline=Deadline(0.0))
    assert late.left_out == ("Value", "Chains", "Leverage")
    assert multiprocessing.active_children() == []


def test_planner_solve_builds_each_closure_lp_once(tmp_path, monkeypatch):
    """two_corridors has 4 (period, closure) pairs: corridors CA and CB, countries A and B,
    in its one period. planner solve builds each pair's max-flow LP once: the solve the
    corridor pairs (its dependence unit), the analysis takes those over and builds the two
    country pairs, and the measures written take the plan's stranded amounts from the
    analysis. Before, the measures built all 4 again (8), and before the analysis took over
    the solve's, it built all 4 too (10)."""
    from planner.solve import closure_lp

    built = []

    class Counted(closure_lp._MaxFlow):
        def __init__(self, inst, t, closed, *args, **kwargs):
            built.append((t, frozenset(closed)))
            super().__init__(inst, t, closed, *args, **kwargs)

    monkeypatch.setattr(closure_lp, "_MaxFlow", Counted)
    out = tmp_path / "r.xlsx"
    assert main(["solve", str(write(tmp_path, two_corridors())), "-o", str(out),
                 "--analysis", "full", "--no-brief"]) == 0
    assert len(built) == 4
    assert {"Value", "Leverage", "Disruptions"} <= set(openpyxl.load_workbook(out).sheetnames)
