"""Property checks on the shipped Kazakhstan instance, solved once for the module."""

import sys
from pathlib import Path

import openpyxl
import pytest

from planner.analysis.measures import evaluate
from planner.inputs.schema import BUDGET
from planner.analysis.finance import debt_service_by_source
from planner.solve.run import solve
from planner.inputs.read import read_workbook

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "instances" / "kazakhstan.xlsx"
EPS = 1e-6


@pytest.fixture(scope="module")
def solved():
    inst = read_workbook(SHIPPED)
    sol = solve(inst)
    return inst, sol, evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)


def test_solves_to_proven_optimality(solved):
    inst, sol, ms = solved
    assert sol.status == "optimal" and sol.gap <= sol.mip_gap  # HiGHS's own final gap
    assert ms.unmet_demand == pytest.approx(0, abs=EPS)


def test_budgets_are_kept_with_carry_over(solved):
    """What the budget pays, and what each source of sheet Sources pays, stays within its own
    envelope with carry-over; the draws pay each period's spend in full, each from a source
    that may pay for the project."""
    inst, sol, ms = solved
    assert inst.settings.budget_carry_over and inst.sources
    for s in (BUDGET,) + tuple(inst.sources):
        spent = available = 0.0
        for p in inst.periods:
            spent += sum(v for (q, s2, t), v in ms.draws.items() if s2 == s and t == p.id)
            available += p.budget if s == BUDGET else inst.source_budgets.get((s, p.id), 0.0)
            assert spent <= available + EPS, (s, p.id)
    for (q, s, t) in ms.draws:
        assert s in inst.payers[q], (q, s, t)
    paid = {}
    for (q, s, t), v in ms.draws.items():
        paid[q, t] = paid.get((q, t), 0.0) + v
    for q, start in sol.portfolio.items():
        for t in inst.period_ids:
            due = inst.projects[q].capex * inst.spend_share(q, start, t) if start else 0.0
            assert paid.get((q, t), 0.0) == pytest.approx(due, abs=EPS), (q, t)


def test_debt_service_stays_within_its_limit(solved):
    inst, sol, ms = solved
    due = debt_service_by_source(inst, ms.draws)
    for t in inst.period_ids:
        limit = inst.period[t].debt_service_limit
        if limit is not None:
            assert sum(v for (s, t2), v in due.items() if t2 == t) <= limit + EPS, t


def test_flows_meet_demand_and_stay_within_capacity(solved):
    inst, sol, ms = solved
    for k, flow in inst.flows.items():
        for t in inst.period_ids:
            carried = sum(sol.flows[r, t] for r in inst.routes_of_flow[k])
            assert carried + sol.unmet[k, t] == pytest.approx(flow.demand.get(t, 0), abs=EPS)
    for (s, t), used in ms.used.items():
        assert used <= ms.capacity[s, t] + EPS, (s, t)


def test_shares_are_flows_over_demand(solved):
    inst, sol, ms = solved
    for (unit, key, t), share in ms.share.items():
        routes = inst.routes_in_unit(unit, key)
        assert share == pytest.approx(sum(sol.flows[r, t] for r in routes)
                                      / inst.total_demand[t])


def test_committed_projects_start_at_their_earliest_period(solved):
    inst, sol, ms = solved
    for p, proj in inst.projects.items():
        if proj.status == "committed":
            assert sol.portfolio[p] == (proj.earliest_period or inst.period_ids[0])
        if proj.status == "excluded":
            assert sol.portfolio[p] is None


def test_the_worst_closure_is_the_saryagash_crossing_beyond_darbaza(solved):
    """By hand from the flows (Mt/yr, 2026/2029/2032/2035): Central Asia 31/33/35/37 of a
    total 76/84/93/100. Closing the Saryagash crossing leaves Darbaza-Maktaaral's 20 (P03,
    committed, usable 2026), so it strands 11/13/15/17; no other closure strands more once
    Bakhty-Ayagoz opens (2029), and in 2026 Dostyk strands 29 - 16.1 - 3 = 9.9 < 11. No
    candidate adds a crossing to Uzbekistan, so the plan is the committed projects and the
    worst disruption is the mean of 11/76, 13/84, 15/93 and 17/100 = 15.77%. Without
    Darbaza-Maktaaral the closure strands all of the Central Asia trade: 38.68%."""
    inst, sol, ms = solved
    shares = [(ca - 20) / total for ca, total in ((31, 76), (33, 84), (35, 93), (37, 100))]
    assert ms.worst_disruption == pytest.approx(sum(shares) / 4, abs=1e-6)
    assert sol.stages[1].value == pytest.approx(ms.worst_disruption, abs=1e-6)
    for t, share in zip(inst.period_ids, shares):
        stranded = ms.stranded["corridor", "CA_SARYAGASH", t]
        assert stranded == pytest.approx(share * inst.total_demand[t])
    assert {p for p, t in sol.portfolio.items() if t} == \
        {p for p, q in inst.projects.items() if q.status == "committed"}
    from planner.inputs.scenarios import ScenarioChange, apply

    uncommitted = apply(inst, (ScenarioChange("status", "P03", "excluded", 0),))
    without = dict(sol.portfolio, P03=None)
    flows = solve(uncommitted, objective="cost", fixed=without, explain=False)
    lost = evaluate(uncommitted, without, flows.flows, flows.unmet)
    assert lost.worst_disruption == pytest.approx(
        (31 / 76 + 33 / 84 + 35 / 93 + 37 / 100) / 4, abs=1e-6)


PROVENANCE_KEYS = {
    "Flows": lambda r: f"{r['flow']} {r['period']}",
    "Segments": lambda r: r["segment"],
    "Projects": lambda r: r["project"],
    "Sources": lambda r: r["source"],
    "SourceBudgets": lambda r: f"{r['source']} {r['period']}",
    "Nodes": lambda r: r["node"],
}


def test_every_number_has_a_source_row_on_provenance():
    """Every flow (per period), segment capacity, project cost, lender and lender's envelope
    of the shipped workbook has its row on sheet Provenance, with a basis and a citation."""
    book = openpyxl.load_workbook(SHIPPED, read_only=True)
    rows = list(book["Provenance"].values)
    assert rows[0] == ("sheet", "id", "basis", "source")
    cited = {(sheet, str(ident)): (basis, source) for sheet, ident, basis, source in rows[1:]}
    checked = 0
    for sheet, key in PROVENANCE_KEYS.items():
        table = list(book[sheet].values)
        header = [str(h).strip().lower() for h in table[0]]
        for values in table[1:]:
            if all(v is None for v in values):
                continue
            ident = key(dict(zip(header, values)))
            assert (sheet, ident) in cited, (sheet, ident)
            basis, source = cited[sheet, ident]
            assert basis in ("sourced", "derived", "assumption", "default"), (sheet, ident)
            assert source and len(source.strip()) > 10, (sheet, ident)
            checked += 1
    # 16 flow rows, 45 segments, 19 projects, 11 lenders, 34 envelopes, 30 nodes
    assert checked == 155


def test_shipped_workbook_is_what_the_build_script_makes(tmp_path):
    sys.path.insert(0, str(ROOT / "instances"))
    try:
        from build_kazakhstan import build
    finally:
        sys.path.pop(0)
    fresh = build(tmp_path / "kz.xlsx")
    a, b = openpyxl.load_workbook(SHIPPED), openpyxl.load_workbook(fresh)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert list(a[name].values) == list(b[name].values), name


def russia_closed():
    """The shipped instance with Russia closed to transit (its scenario): where candidates
    matter. In the base no candidate changes the worst closure (the Saryagash crossing)."""
    from planner.inputs.scenarios import apply

    inst = read_workbook(SHIPPED)
    return apply(inst, inst.scenarios["Russia closed to transit"])


def test_alternatives_are_not_padded_with_a_project_that_adds_nothing():
    """Within 10% of the optimum, Russia closed: every alternative reported is a distinct
    choice, dominated neither by the optimum nor by an earlier one (no less capex and no
    better on any measure), and each portfolio skipped is dominated by one reported. Before,
    an alternative could be an earlier one plus a project that improves nothing."""
    from planner.studies.tradeoffs import alternatives, dependence_of, dominates, selection

    result = alternatives(russia_closed(), k=5)
    found = result.outcomes
    assert len(found) >= 3
    cap = dependence_of(found[0]) * 1.1
    for i, o in enumerate(found[1:], start=1):
        assert dependence_of(o) <= cap + 1e-7
        assert not any(dominates(e.measures, o.measures) for e in found[:i]), o.name
    assert len({selection(o) for o in found}) == len(found)
    assert result.skipped
    for o, _ in result.skipped:
        assert any(dominates(e.measures, o.measures) for e in found)


def test_budget_sheet_shows_what_the_budget_pays(solved, tmp_path):
    """With sheet Sources the Budget sheet's spent is the budget's own draws (the lenders'
    excluded), so unspent never goes below 0 while the budget is kept."""
    from planner.report.results import write_results
    inst, sol, ms = solved
    path = write_results(sol, ms, tmp_path / "results.xlsx")
    rows = list(openpyxl.load_workbook(path)["Budget"].values)[1:]
    for period, budget, spent, available, unspent in rows:
        own = sum(v for (q, s, t), v in ms.draws.items() if s == BUDGET and t == str(period))
        assert spent == pytest.approx(own, abs=EPS), period
        assert unspent >= -EPS, period
    assert sum(r[2] for r in rows) < ms.total_capex - 1.0  # the lenders pay part of it


def test_no_frontier_point_is_dominated():
    """Each point shows the least dependence its least capex buys (Russia closed: the
    candidates matter there): with the cost stage alone after least capex, a point could
    start a project later than the same capex allows and strand more."""
    from planner.studies.tradeoffs import dependence_of, frontier

    points = [p.outcome for p in frontier(russia_closed(), 5, jobs=2)]
    for a in points:
        for b in points:
            if b.measures.total_capex <= a.measures.total_capex + 1e-6:
                assert dependence_of(b) >= dependence_of(a) - 1e-7 or \
                    b.measures.total_capex < a.measures.total_capex - 1e-6, (a.name, b.name)
