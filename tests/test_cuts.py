"""Closure cuts (planner/solve/closure_cuts.py): expected_disruption without closure copies must end where the
model with every copy ends, on every stage, with a cap, with a fixed portfolio, stopped."""

import numpy as np
import pytest

from benchmarks.generator import Size, generate
from planner.solve import closure_cuts as cuts
from planner.analysis.measures import evaluate
from planner.solve.run import solve, solve_model
from planner.solve.closure_lp import StrandedLP
from tests.builders import assert_same_stages, edit, load, two_corridors

WIDE = Size(projects=60, routes=48, countries=8, periods=3, corridors=16, markets=3)


def test_a_support_is_the_max_flows_value_and_its_slope(tmp_path):
    """two_corridors: closing CA leaves route rB over segment sB, so 10 Mt/yr of demand
    strand max(0, 10 - c) at capacity c of sB. At c = 4: 6 stranded, slope -1 (each Mt/yr of
    capacity strands one less); at c = 12: 0 stranded, slope 0. The cut at c = 4,
    6 - (c - 4), is exact up to c = 10 and below the value beyond."""
    inst = load(tmp_path, two_corridors())
    closure = next(c for c in inst.closures("corridor") if c.key == "CA")
    lp = StrandedLP(inst, (closure,), ("2026",))
    key = ("sB", "2026")
    at = {c: lp.vector({**{k: 0.0 for k in lp.keys}, ("sA", "2026"): 10.0, key: c})
          for c in (4.0, 12.0)}
    value, rows, slopes = lp.supports(at[4.0])["2026", closure.name]
    assert value == pytest.approx(6.0)
    assert dict(zip(rows, slopes)) == {key: pytest.approx(-1.0)}
    value, rows, slopes = lp.supports(at[12.0])["2026", closure.name]
    assert value == pytest.approx(0.0) and np.allclose(slopes, 0.0)


def cuts_only(monkeypatch):
    """No pair ever gets its copy: every estimate is decided by cuts alone."""
    monkeypatch.setitem(cuts.POLICIES, "expected_disruption", cuts.ClosurePolicy(copy_after=None))


def test_a_copied_pairs_cut_rows_leave_the_model(tmp_path):
    """two_corridors, expected_disruption (closures per corridor): closing CA strands
    10 - c, c sB's capacity, so its pair is estimated (closing CB strands nothing whatever is
    built: a number). With nothing built it strands 10 and its estimate (0) is violated. The
    first violation gives it one cut row; the second, the policy's copy_after = 1, its copy,
    and the cut row leaves the model and HiGHS: HiGHS then holds the rows before the cut plus
    the copy's rows, no more."""
    import pyomo.environ as pyo

    from planner.solve.closure_lp import built_capacity
    from planner.solve.highs import highs_of, highs_solver
    from planner.solve.screening import formulate

    assert cuts.POLICIES["expected_disruption"].copy_after == 1
    inst = load(tmp_path, two_corridors())
    m = formulate(inst, objective="expected_disruption", generate=True)
    opt = highs_solver()
    opt.set_instance(m)
    rows = highs_of(opt).getNumRow()
    loop = cuts.ClosureCuts(m, inst)
    nothing = loop.lp.vector(built_capacity(inst, {}))
    violated = loop.violated(nothing)
    assert list(violated) == [("2026", "corridor CA")]
    assert violated["2026", "corridor CA"][0] == pytest.approx(10.0)
    loop.add(violated)
    opt.update()
    assert len(m.closure_cuts) == 1 and highs_of(opt).getNumRow() == rows + 1
    loop.add(violated)  # violated again: copied
    opt.update()
    assert len(m.closure_cuts) == 0 and len(m.closure_copied) == 1
    copied = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True)
                 if _.parent_block().name.startswith("closure_copies")) + len(m.closure_copied)
    assert highs_of(opt).getNumRow() == rows + copied


@pytest.mark.parametrize("seed", [2, 5])
def test_cuts_alone_end_at_the_full_models_optimum(tmp_path, monkeypatch, seed):
    """Every estimate decided by cuts (the model holds no copy): each stage's value equals
    the full model's, and the portfolio scored apart from the model has that dependence."""
    inst = load(tmp_path, generate(WIDE, seed=seed))
    full = solve_model(inst, objective="expected_disruption", closure_generation=False)
    cuts_only(monkeypatch)
    cut = solve(inst, objective="expected_disruption")
    assert full.status == cut.status == "optimal"
    assert cut.size["closure_pairs"] == 0 and cut.size["closure_cuts"] > 0
    assert cut.size["rows"] < full.size["rows"]
    assert_same_stages(full, cut)
    measures = evaluate(inst, cut.portfolio, cut.flows, cut.unmet)
    assert measures.expected_disruption == pytest.approx(cut.stages[1].value, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 3, 6])
def test_cuts_and_copies_end_at_the_full_models_optimum(tmp_path, seed):
    """As solved: cuts first, a copy for each pair a portfolio violates again; fewer copies
    than the full model, the same optimum."""
    inst = load(tmp_path, generate(WIDE, seed=seed))
    full = solve_model(inst, objective="expected_disruption", closure_generation=False)
    cut = solve(inst, objective="expected_disruption")
    assert full.status == cut.status == "optimal"
    assert cut.size["closure_pairs"] < cut.size["estimated_pairs"]
    assert cut.size["rows"] < full.size["rows"]
    assert_same_stages(full, cut)
    measures = evaluate(inst, cut.portfolio, cut.flows, cut.unmet)
    assert measures.expected_disruption == pytest.approx(cut.stages[1].value, rel=1e-9)


@pytest.mark.parametrize("alone", [True, False])
def test_cuts_hold_a_dependence_cap_from_the_first_stage(tmp_path, monkeypatch, alone):
    """Under a cap on expected_disruption (planner frontier) the cap constrains unmet demand,
    capex and cost: each stage with cuts ends where the full model's does, within the cap."""
    inst = load(tmp_path, generate(WIDE, seed=2))
    plan = solve(inst, objective="expected_disruption")
    cap = plan.stages[1].value * 1.05
    full = solve_model(inst, objective="expected_disruption", max_dependence=cap,
                       closure_generation=False)
    if alone:
        cuts_only(monkeypatch)
    cut = solve(inst, objective="expected_disruption", max_dependence=cap)
    assert [s.name for s in cut.stages] == ["unmet", "capex", "cost"]
    assert_same_stages(full, cut)
    measures = evaluate(inst, cut.portfolio, cut.flows, cut.unmet)
    assert measures.expected_disruption <= cap * (1 + 1e-6)


def test_cuts_score_a_fixed_portfolio_like_the_full_model(tmp_path):
    inst = load(tmp_path, generate(WIDE, seed=1))
    chosen = solve(inst, objective="cost").portfolio
    full = solve_model(inst, objective="expected_disruption", fixed=chosen,
                       closure_generation=False)
    cut = solve(inst, objective="expected_disruption", fixed=chosen)
    assert cut.stages[1].value == pytest.approx(full.stages[1].value, rel=1e-9)
    assert cut.stages[1].value == pytest.approx(
        evaluate(inst, chosen, cut.flows, cut.unmet).expected_disruption, rel=1e-9)


def test_a_stopped_cut_stage_reports_its_portfolios_true_dependence(tmp_path, monkeypatch):
    """Stopped at the root (no node allowed), the dependence stage is not optimal; its value
    is what its portfolio strands scored by the closure LPs, never the estimates' smaller sum,
    and its bound stays below that."""
    inst = load(tmp_path, generate(WIDE, seed=2))
    cuts_only(monkeypatch)
    sol = solve_model(inst, objective="expected_disruption",
                      highs_options={"mip_max_nodes": 0})
    dependence = sol.stages[1]
    measures = evaluate(inst, sol.portfolio, sol.flows, sol.unmet)
    assert measures.expected_disruption == pytest.approx(dependence.value, rel=1e-6)
    assert dependence.bound <= measures.expected_disruption + 1e-9


def test_a_small_closure_beside_a_large_trade_still_gets_its_cut(tmp_path):
    """The tolerance is relative to the pair's own stranded amount: a 0.005 Mt/yr difference
    beside 10,000 Mt/yr of trade (test_objectives.small_shares) still decides the portfolio."""
    from tests.test_objectives import small_shares
    inst = load(tmp_path, small_shares())
    sol = solve(inst, objective="expected_disruption")
    assert sol.portfolio == {"P": "2026", "Q": None}
    # bounded by a cut, or by its copy (which retires the pair's cuts)
    assert sol.size["closure_cuts"] + sol.size["closure_pairs"] > 0


def test_without_a_project_that_moves_a_closure_no_cut_is_needed(tmp_path):
    """two_corridors with PB excluded: nothing can change what any closure strands, so the
    screening makes every pair a number and the model needs no estimate at all."""
    tables = two_corridors()
    tables = edit(tables, Projects=[{**tables["Projects"][0], "status": "excluded"}])
    inst = load(tmp_path, tables)
    sol = solve(inst, objective="expected_disruption")
    assert sol.size.get("estimated_pairs", 0) == 0
    assert sol.stages[1].value == pytest.approx(0.5 * 10 / 10)  # CA strands all, CB nothing
