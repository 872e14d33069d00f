"""One tiny instance per modelling rule; each optimum is derived by hand in the docstring.

The base case (tests/builders.two_corridors): 10 Mt/yr from H to M over corridor CA (country A,
capacity 10, 10 USD/t); corridor CB (country B, 20 USD/t) has no capacity until project PB
(+10 Mt/yr, 100 USD m) is built. Closing CA strands everything unless PB is usable.
"""

import pytest

from tests.builders import through_home, demand, edit, periods, project, setting, solve_tables, two_corridors

TOL = 1e-6


def two_periods(budgets=(100, 100), weights=(1, 1), **pb) -> dict:
    tables = two_corridors()
    tables["Periods"] = periods((2026, budgets[0], {"weight": weights[0], "years": 2}),
                                (2028, budgets[1], {"weight": weights[1], "years": 2}))
    tables["Flows"] = demand("K", "H", "M", **{"2026": 10, "2028": 10})
    tables["Projects"] = [project("PB", "sB", 10, 100, **pb)]
    return tables


def test_lead_time_delays_usable_capacity(tmp_path):
    """Lead time 1: started in 2026, PB is usable from 2028. Stranded share 1 in 2026 whatever
    is done, 0 in 2028: the weighted mean is 0.5."""
    sol, ms = solve_tables(tmp_path, two_periods(lead_time=1))
    assert sol.portfolio["PB"] == "2026"
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)
    assert ms.per_period["worst_disruption"] == pytest.approx({"2026": 1.0, "2028": 0.0})
    assert ms.capacity["sB", "2026"] == 0 and ms.capacity["sB", "2028"] == 10


def test_lead_time_past_the_horizon_is_not_bought(tmp_path):
    """Earliest start 2028 with lead time 1: usable only after the horizon, so it cannot lower
    dependence and the cost stage does not buy it. Objective (1 + 1) / 2 = 1."""
    sol, ms = solve_tables(tmp_path, two_periods(lead_time=1, earliest_period=2028))
    assert sol.portfolio["PB"] is None
    assert sol.stages[1].value == pytest.approx(1.0)


def test_period_weight_zero_is_not_measured(tmp_path):
    """Weight 0 on 2026: only 2028 counts, where PB (lead 1, started 2026) strands nothing."""
    sol, ms = solve_tables(tmp_path, two_periods(weights=(0, 1), lead_time=1))
    assert sol.stages[1].value == pytest.approx(0.0, abs=TOL)
    assert set(ms.per_period["worst_disruption"]) == {"2028"}


def test_period_weights_weight_the_mean(tmp_path):
    """Weights 3 and 1: (3 x 1 + 1 x 0) / 4 = 0.75."""
    sol, ms = solve_tables(tmp_path, two_periods(weights=(3, 1), lead_time=1))
    assert sol.stages[1].value == pytest.approx(0.75, abs=TOL)
    assert ms.worst_disruption == pytest.approx(0.75, abs=TOL)


def test_budget_binds_per_period_without_carry_over(tmp_path):
    """Budgets 60 + 60: no single period can pay 100, so PB is never built: objective 1."""
    sol, ms = solve_tables(tmp_path, two_periods(budgets=(60, 60)))
    assert sol.portfolio["PB"] is None
    assert sol.stages[1].value == pytest.approx(1.0)


def test_budget_carry_over_accumulates(tmp_path):
    """With carry-over, 60 + 60 = 120 >= 100 by 2028: PB starts in 2028 (lead 0), strands 0
    then; 2026 strands 1: mean 0.5."""
    tables = setting(two_periods(budgets=(60, 60)), "budget_carry_over", "yes")
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio["PB"] == "2028"
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)
    assert ms.spend == {"2026": 0.0, "2028": 100.0}


def test_discount_rate_delays_capex_that_can_wait(tmp_path):
    """Only 2028 is measured, PB has lead 0: starting in 2026 or 2028 gives the same
    dependence. Discounted at 10% over 2 years, capex in 2028 costs 100 / 1.21 = 82.64, so the
    cost stage starts PB in 2028. Transport: 10 Mt x 10 USD/t x 2 years in each period,
    the 2028 part discounted: 200 + 200 / 1.21."""
    tables = setting(two_periods(weights=(0, 1)), "discount_rate", 0.1)
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio["PB"] == "2028"
    assert sol.stages[2].value == pytest.approx(100 / 1.21 + 200 + 200 / 1.21, rel=1e-6)
    assert ms.discounted_cost == pytest.approx(sol.stages[2].value, rel=1e-6)


def test_requires_makes_the_prerequisite_start_no_later(tmp_path):
    """PB requires PX (10 USD m, adds nothing useful) whose earliest start is 2028. PB alone in
    2026 would give mean 0; it must wait for PX, so both start in 2028: mean (1 + 0) / 2."""
    tables = two_periods(budgets=(200, 200), requires="PX")
    tables["Projects"].append(project("PX", "sA", 0, 10, earliest_period=2028))
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": "2028", "PX": "2028"}
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)


def test_requires_counts_against_the_budget(tmp_path):
    """PB requires PX: together 110 > budget 100, so neither is built."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, requires="PX"),
                                             project("PX", "sA", 0, 10)])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": None, "PX": None}
    assert ms.worst_disruption == pytest.approx(1.0)


def test_exclusive_group_allows_one(tmp_path):
    """PB1 and PB2 each add 5 to sB for 50; the budget (200) buys both, but they are one
    exclusive group: only one, so closing CA strands 5 of 10: 0.5 (both would give 0)."""
    halves = [project("PB1", "sB", 5, 50, exclusive_group="G"),
              project("PB2", "sB", 5, 50, exclusive_group="G")]
    tables = edit(two_corridors(), Projects=halves, Periods=periods((2026, 200)))
    sol, ms = solve_tables(tmp_path, tables)
    assert sum(t is not None for t in sol.portfolio.values()) == 1
    assert ms.worst_disruption == pytest.approx(0.5, abs=TOL)
    for p in halves:
        p["exclusive_group"] = None
    sol, ms = solve_tables(tmp_path, edit(tables, Projects=halves))
    assert ms.worst_disruption == pytest.approx(0.0, abs=TOL)


def test_committed_project_is_built_and_paid(tmp_path):
    """PC (30, useless) is committed: built in the first period, leaving 70 < 100 for PB."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100),
                                             project("PC", "sA", 0, 30, status="committed")])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": None, "PC": "2026"}
    assert ms.total_capex == pytest.approx(30)
    assert ms.worst_disruption == pytest.approx(1.0)


def test_committed_project_starts_at_its_earliest_period(tmp_path):
    tables = two_periods(status="committed", earliest_period=2028)
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio["PB"] == "2028"
    assert sol.stages[1].value == pytest.approx(0.5, abs=TOL)


def test_excluded_project_is_never_built(tmp_path):
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, status="excluded")])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": None}
    assert ms.worst_disruption == pytest.approx(1.0)


def test_max_share_limit_forces_a_build_through_unmet_demand(tmp_path):
    """Objective cost with CA capped at 30% of trade: without PB 7 Mt would be unmet, and
    unmet demand is stage 1, so PB is built; flows 3 over CA and 7 over CB:
    cost = 100 + 3 x 10 + 7 x 20 = 270."""
    tables = edit(two_corridors(), RiskLimits=[
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.3}])
    sol, ms = solve_tables(tmp_path, tables, objective="cost")
    assert sol.portfolio == {"PB": "2026"}
    assert ms.unmet_demand == pytest.approx(0, abs=TOL)
    assert sol.flows["rA", "2026"] == pytest.approx(3)
    assert sol.stages[1].value == pytest.approx(270)
    assert ms.share["corridor", "CA", "2026"] == pytest.approx(0.3)


def test_max_share_limit_that_cannot_be_met_leaves_demand_unmet(tmp_path):
    """Same cap with PB excluded: CA may carry 3 of 10, 7 Mt are unmet and reported."""
    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, status="excluded")],
                  RiskLimits=[{"limit": "max_share", "unit": "country", "key": "A",
                               "value": 0.3}])
    sol, ms = solve_tables(tmp_path, tables)
    assert ms.unmet_demand == pytest.approx(7)
    assert sol.unmet["K", "2026"] == pytest.approx(7)


def test_max_share_limit_with_blank_key_applies_to_every_corridor(tmp_path):
    """Every corridor at most 60%: 10 Mt over CA (<= 6) and CB (<= 6 once PB is built)."""
    tables = edit(two_corridors(), RiskLimits=[
        {"limit": "max_share", "unit": "corridor", "key": None, "value": 0.6}])
    sol, ms = solve_tables(tmp_path, tables, objective="cost")
    assert sol.flows["rA", "2026"] == pytest.approx(6)
    assert sol.flows["rB", "2026"] == pytest.approx(4)


def test_max_capex_limit_on_a_country(tmp_path):
    """At most 99 USD m in country B: PB (100, in B) cannot be built."""
    tables = edit(two_corridors(), RiskLimits=[
        {"limit": "max_capex", "unit": "country", "key": "B", "value": 99}])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": None}


def test_max_capex_limit_total(tmp_path):
    tables = edit(two_corridors(), RiskLimits=[
        {"limit": "max_capex", "unit": "total", "key": None, "value": 100}])
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": "2026"}  # exactly at the limit is allowed


def test_max_high_risk_capex_share(tmp_path):
    """PB is high risk; at most half of capex may be high risk, so PB (100) needs 100 of
    low-risk capex beside it: PL (100, useless). Budget 200 allows both (worst 0, capex 200);
    budget 150 allows neither pairing (worst 1)."""
    projects = [project("PB", "sB", 10, 100, risk_class="high"), project("PL", "sA", 0, 100)]
    limit = [{"limit": "max_high_risk_capex_share", "unit": "total", "value": 0.5}]
    sol, ms = solve_tables(tmp_path, edit(two_corridors(), Projects=projects, RiskLimits=limit,
                                          Periods=periods((2026, 200))))
    assert sol.portfolio == {"PB": "2026", "PL": "2026"}
    assert ms.total_capex == pytest.approx(200)
    sol, ms = solve_tables(tmp_path, edit(two_corridors(), Projects=projects, RiskLimits=limit,
                                          Periods=periods((2026, 150))))
    assert sol.portfolio == {"PB": None, "PL": None}


def test_country_closure_strands_routes_a_corridor_closure_spares(tmp_path):
    """Put CB's segment in country A too: corridors differ, the country is the same. Closing
    corridor CA leaves CB (worst 0 with PB); closing country A strands everything (worst 1)."""
    tables = two_corridors()
    tables["Segments"][1]["country"] = "A"
    sol, ms = solve_tables(tmp_path, tables)
    assert ms.worst_disruption == pytest.approx(0.0, abs=TOL)
    assert ms.stranded["country", "A", "2026"] == pytest.approx(10)
    sol, ms = solve_tables(tmp_path, setting(tables, "dependence_unit", "country"))
    assert sol.stages[1].value == pytest.approx(1.0)
    assert sol.portfolio == {"PB": None}  # it cannot help, so the cost stage does not buy it


def test_home_country_is_never_closed(tmp_path):
    """Both routes start on a home segment sH in H. With H the home country its closure is not
    considered, and PB brings the country measure to 0; without a home country, closing H
    strands everything."""
    tables = setting(through_home(two_corridors()), "dependence_unit", "country")
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.stages[1].value == pytest.approx(0.0, abs=TOL)
    assert ("country", "H", "2026") not in ms.stranded
    tables["Settings"] = [r for r in tables["Settings"] if r["setting"] != "home_country"]
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.stages[1].value == pytest.approx(1.0)


def test_shared_segment_capacity_is_shared_in_closures(tmp_path):
    """Two flows share segment sS (capacity 12). Closing CA sends both over CB, which passes sS:
    of 10 + 10 Mt only 12 fit, 8 of 20 stranded: 0.4 with both PB projects built."""
    seg = lambda s, c, cap, a="H", b="M": {"segment": s, "from": a, "to": b,  # noqa: E731
                                           "mode": "rail", "country": c, "capacity": cap,
                                           "cost_per_t": 10}
    tables = {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": periods((2026, 1000)),
        "Countries": [{"country": c} for c in ("H", "A", "B")],
        "Corridors": [{"corridor": "CA"}, {"corridor": "CB"}],
        "Segments": [seg("sA", "A", 20), seg("sS", "B", 12, "H", "X"), seg("sB", "B", 0, "X")],
        "Routes": [{"route": "rA1", "flow": "K1", "corridor": "CA", "segments": "sA"},
                   {"route": "rA2", "flow": "K2", "corridor": "CA", "segments": "sA"},
                   {"route": "rB1", "flow": "K1", "corridor": "CB", "segments": "sS; sB"},
                   {"route": "rB2", "flow": "K2", "corridor": "CB", "segments": "sS; sB"}],
        "Flows": demand("K1", "H", "M", **{"2026": 10}) + demand("K2", "H", "M", **{"2026": 10}),
        "Projects": [project("PB", "sB", 20, 100)],
    }
    sol, ms = solve_tables(tmp_path, tables)
    assert sol.portfolio == {"PB": "2026"}
    assert ms.worst_disruption == pytest.approx(0.4, abs=TOL)


def test_a_closure_strands_what_open_routes_cannot_physically_carry(tmp_path):
    """Share limits shape normal operation, not a crisis. CA (capacity 10) capped at 30% of
    trade, PB excluded: normally 3 of 10 Mt/yr move and 7 are unmet. Closing CB (no capacity)
    leaves CA, which can physically carry all 10: it strands 0, less than the 7 unmet in
    normal operation. Closing CA strands all 10: 3 beyond the normal unmet 7. The Disruptions
    sheet says so, column by column."""
    import openpyxl

    from planner.report.results import write_results

    tables = edit(two_corridors(), Projects=[project("PB", "sB", 10, 100, status="excluded")],
                  RiskLimits=[{"limit": "max_share", "unit": "corridor", "key": "CA",
                               "value": 0.3}])
    sol, ms = solve_tables(tmp_path, tables)
    assert ms.unmet_demand == pytest.approx(7)
    assert ms.stranded["corridor", "CB", "2026"] == pytest.approx(0, abs=TOL)
    assert ms.stranded["corridor", "CA", "2026"] == pytest.approx(10)
    out = write_results(sol, ms, tmp_path / "results.xlsx")
    ws = openpyxl.load_workbook(out)["Disruptions"]
    header = [c.value for c in ws[1]]
    rows = {(r[header.index("unit")], r[0]): dict(zip(header, r))
            for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["corridor", "CB"]["stranded"] == pytest.approx(0, abs=TOL)
    assert rows["corridor", "CB"]["unmet_normal"] == pytest.approx(7)
    assert rows["corridor", "CB"]["stranded_beyond_unmet"] == pytest.approx(0, abs=TOL)
    assert rows["corridor", "CA"]["stranded_beyond_unmet"] == pytest.approx(3)
