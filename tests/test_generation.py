"""Closure generation (planner/solve/closure_generation.py): the worst_disruption model copies only the
closures its portfolios need, and must end where the model with every copy ends."""

import pytest

from benchmarks.generator import Size, generate
from planner.analysis.measures import evaluate
from planner.model import closures
from planner.solve import screening
from planner.solve.run import solve, solve_model
from tests.builders import assert_same_stages, load

# more corridors than S: many closures, few of which bind
WIDE = Size(projects=60, routes=48, countries=8, periods=3, corridors=16, markets=3)


def first_pair_count(inst) -> int:
    closure_set = closures.undominated(inst, inst.closures())
    found = screening.screen(inst, closure_set, inst.measured_periods, "worst_disruption")
    return len(screening.first_pairs(found))


def least_likely_first(monkeypatch):
    """Start generation from the one pair least likely to be the worst: every other copy the
    optimum needs must then be found by generation."""
    def one_pair(screening, per_period=2):
        kept = [key for key in screening.most if key not in screening.skip]
        return {min(kept, key=lambda key: (screening.most[key], key))}
    monkeypatch.setattr(screening, "first_pairs", one_pair)


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_generation_ends_at_the_full_models_optimum(tmp_path, monkeypatch, seed):
    inst = load(tmp_path, generate(WIDE, seed=seed))
    full = solve_model(inst, objective="worst_disruption", closure_generation=False)
    least_likely_first(monkeypatch)
    grown = solve(inst, objective="worst_disruption")
    assert full.status == grown.status == "optimal"
    assert_same_stages(full, grown)
    # the portfolio's worst closure over every closure, scored apart from the model
    measures = evaluate(inst, grown.portfolio, grown.flows, grown.unmet)
    assert measures.worst_disruption == pytest.approx(grown.stages[1].value, abs=1e-7)
    # it bounded more than the one pair it started with (by cuts or copies), and copied
    # fewer than every pair
    assert 1 < grown.size["closure_pairs"] + grown.size["closure_cuts"]
    assert grown.size["waiting_pairs"] > 0
    assert grown.size["rows"] < full.size["rows"]


@pytest.mark.parametrize("seed", [0, 5])
def test_cuts_alone_end_at_the_full_models_optimum(tmp_path, monkeypatch, seed):
    """No waiting pair ever copied: from the one least likely pair, cuts from the closure LPs'
    duals alone bound w_t, and the optimum is still the full model's."""
    from planner.solve import closure_cuts
    inst = load(tmp_path, generate(WIDE, seed=seed))
    full = solve_model(inst, objective="worst_disruption", closure_generation=False)
    least_likely_first(monkeypatch)
    monkeypatch.setitem(closure_cuts.POLICIES, "worst_disruption",
                        closure_cuts.ClosurePolicy(copy_after=10**9))
    cut = solve(inst, objective="worst_disruption")
    assert cut.size["closure_pairs"] == 1 and cut.size["closure_cuts"] > 0
    assert_same_stages(full, cut)
    measures = evaluate(inst, cut.portfolio, cut.flows, cut.unmet)
    assert measures.worst_disruption == pytest.approx(cut.stages[1].value, abs=1e-9)


def test_the_first_pairs_are_usually_enough_on_small_networks(tmp_path):
    inst = load(tmp_path, generate(WIDE, seed=0))
    sol = solve(inst, objective="worst_disruption")
    assert sol.size["closure_pairs"] == first_pair_count(inst) < \
        sol.size["closure_pairs"] + sol.size["waiting_pairs"]


def test_a_stopped_stage_reports_its_portfolios_true_dependence(tmp_path, monkeypatch):
    """Stopped before the copies it violates are solved again, the dependence stage reports
    what its portfolio strands over every closure, not the smaller value of the partial
    model; the cost stage then falls back to a portfolio that keeps that value."""
    inst = load(tmp_path, generate(WIDE, seed=6))
    least_likely_first(monkeypatch)
    sol = solve_model(inst, objective="worst_disruption", highs_options={"mip_max_nodes": 0})
    dependence = sol.stages[1]
    assert dependence.status != "optimal" and sol.status == "feasible"
    assert sol.size["closure_pairs"] + sol.size["closure_cuts"] > 1  # violated pairs bounded
    measures = evaluate(inst, sol.portfolio, sol.flows, sol.unmet)
    assert measures.worst_disruption <= dependence.value + 1e-7
    assert dependence.bound <= measures.worst_disruption + 1e-9


def test_generation_scores_a_fixed_portfolio_like_the_full_model(tmp_path, monkeypatch):
    inst = load(tmp_path, generate(WIDE, seed=1))
    chosen = solve(inst, objective="cost").portfolio
    full = solve_model(inst, objective="worst_disruption", fixed=chosen, closure_generation=False)
    least_likely_first(monkeypatch)
    grown = solve(inst, objective="worst_disruption", fixed=chosen)
    assert grown.stages[1].value == pytest.approx(full.stages[1].value, abs=1e-9)
    assert grown.stages[1].value == pytest.approx(
        evaluate(inst, chosen, grown.flows, grown.unmet).worst_disruption, abs=1e-7)


def test_a_round_that_ends_with_no_time_left_is_not_called_optimal(tmp_path, monkeypatch):
    """The partial model solved to optimality, violated pairs found, no time for another
    round: the stage is stopped, and its value is the portfolio's over every closure."""
    from planner.solve.closure_generation import ClosureGeneration
    from planner.model.projects import chosen_starts
    from planner.solve.closure_generation import generate_closures
    from planner.solve.highs import highs_solver, run_stage
    from planner.model.projects import build_nothing

    inst = load(tmp_path, generate(WIDE, seed=2))
    least_likely_first(monkeypatch)
    m = screening.formulate(inst, objective="worst_disruption", generate=True)
    opt = highs_solver()
    opt.set_instance(m)
    options = dict(mip_gap=1e-4, threads=None, tee=[], highs_options=None)
    start = build_nothing(m)
    first = run_stage(opt, m, "dependence", time_limit=60, start=start, **options)
    assert first.status == "optimal"
    stage = generate_closures(ClosureGeneration(m, inst), opt, m, "dependence", first, start, None,
                              time_limit=0.0, **options)
    assert stage.status == "time_limit" and stage.value > first.value
    true = evaluate(inst, chosen_starts(m), {}, {}).worst_disruption
    assert stage.value == pytest.approx(true, abs=1e-7)


def test_a_dependence_cap_holds_over_every_closure_from_the_first_stage(tmp_path, monkeypatch):
    """With a cap on the dependence (planner frontier), the cap constrains unmet demand too:
    the first stage must see every closure the cap binds on, or it promises too little."""
    from planner.solve.highs import highs_solver, run_stage

    inst = load(tmp_path, generate(WIDE, seed=2))
    # the least dependence whatever the unmet demand: capped there, the plan must leave more
    # demand unmet (13.0 Mt/yr) than the lexicographic plan does (8.2)
    m = screening.formulate(inst, objective="worst_disruption")
    opt = highs_solver()
    opt.set_instance(m)
    least = run_stage(opt, m, "dependence", time_limit=60, mip_gap=1e-6, threads=None, tee=[],
                      highs_options=None).value
    cap = least * (1 + 1e-5)
    full = solve_model(inst, objective="worst_disruption", max_dependence=cap,
                 closure_generation=False)
    assert full.stages[0].value > solve(inst, objective="worst_disruption").stages[0].value
    least_likely_first(monkeypatch)
    grown = solve(inst, objective="worst_disruption", max_dependence=cap)
    assert [s.name for s in grown.stages] == ["unmet", "capex", "cost"]
    assert_same_stages(full, grown)
    measures = evaluate(inst, grown.portfolio, grown.flows, grown.unmet)
    assert measures.worst_disruption <= cap + 1e-7


def test_every_run_of_a_stage_stays_within_its_time_limit(tmp_path, monkeypatch):
    """A stopped dependence stage leaves the cost stage a portfolio to keep: every HiGHS run
    of the command gets at most the stage's time limit (before, the cost stage's fallback ran
    a fixed-portfolio LP with 600 s of its own), and the fallback keeps the dependence."""
    from planner.solve import closure_generation as generation, stages

    limits = []

    def recorded(real):
        def run(*args, time_limit, **kwargs):
            limits.append(time_limit)
            return real(*args, time_limit=time_limit, **kwargs)
        return run

    monkeypatch.setattr(generation, "run_stage", recorded(generation.run_stage))
    monkeypatch.setattr(stages, "run_stage", recorded(stages.run_stage))
    inst = load(tmp_path, generate(WIDE, seed=6))
    least_likely_first(monkeypatch)
    sol = solve_model(inst, objective="worst_disruption", time_limit=20,
                      highs_options={"mip_max_nodes": 0})
    assert limits and max(limits) <= 20
    measures = evaluate(inst, sol.portfolio, sol.flows, sol.unmet)
    assert measures.worst_disruption <= sol.stages[1].value + 1e-7


def test_a_pair_copied_after_its_cut_keeps_no_cut_row(tmp_path, monkeypatch):
    """Under the cut-first policy (copy_after 1) a waiting pair violated twice gets one cut
    row, then its copy, and the cut row leaves the model and HiGHS (the copy bounds w_t
    exactly: the cut is dominated): the model holds the rows of a copy made at once
    (copy_after 0), no more."""
    from planner.solve import closure_cuts
    from planner.solve.closure_generation import ClosureGeneration
    from planner.solve.highs import highs_of, highs_solver, run_stage
    from planner.model.projects import build_nothing

    inst = load(tmp_path, generate(WIDE, seed=0))
    least_likely_first(monkeypatch)
    m = screening.formulate(inst, objective="worst_disruption", generate=True)
    opt = highs_solver()
    opt.set_instance(m)
    options = dict(mip_gap=1e-4, threads=None, tee=[], highs_options=None)
    run_stage(opt, m, "dependence", time_limit=60, start=build_nothing(m), **options)
    generation = ClosureGeneration(m, inst)
    pair = next(iter(generation.violated()))
    rows = highs_of(opt).getNumRow()

    monkeypatch.setitem(closure_cuts.POLICIES, "worst_disruption",
                        closure_cuts.ClosurePolicy(copy_after=1))
    generation.add([pair])
    opt.update()
    assert list(m.worst_cuts) == [(pair, 0)] and highs_of(opt).getNumRow() == rows + 1
    assert pair in m.waiting_pairs
    generation.add([pair])  # violated again: copied
    opt.update()
    assert len(m.worst_cuts) == 0 and pair in m.closure_pairs
    copy_rows = highs_of(opt).getNumRow() - rows
    assert copy_rows > 1

    m2 = screening.formulate(inst, objective="worst_disruption", generate=True)
    opt2 = highs_solver()
    opt2.set_instance(m2)
    run_stage(opt2, m2, "dependence", time_limit=60, start=build_nothing(m2), **options)
    monkeypatch.setitem(closure_cuts.POLICIES, "worst_disruption",
                        closure_cuts.ClosurePolicy(copy_after=0))
    ClosureGeneration(m2, inst).add([pair])  # copied at once, the same rows
    opt2.update()
    assert len(m2.worst_cuts) == 0 and highs_of(opt2).getNumRow() - rows == copy_rows


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_screening_reads_the_same_floor_and_skips_with_fewer_lps(tmp_path, seed):
    """lo (every project built) is solved only where it can be the worst: the floor and the
    pairs skipped are those of every pair's lo, and each lo solved is that pair's."""
    from planner.solve.closure_lp import StrandedLP
    inst = load(tmp_path, generate(WIDE, seed=seed))
    closure_set = closures.undominated(inst, inst.closures())
    periods = inst.measured_periods
    found = screening.screen(inst, closure_set, periods, "worst_disruption")
    everything = {p: (inst.start_periods(p) or (None,))[0] for p in inst.projects}
    lo = StrandedLP(inst, closure_set, periods)(everything)  # every pair's, apart
    floor = {t: max(v for (s, _), v in lo.items() if s == t) for t in periods}
    assert found.floor == pytest.approx(floor, abs=1e-9)
    assert found.skip == frozenset(k for k, v in found.most.items()
                                   if v <= floor[k[0]] + screening.SCREENED)
    assert all(found.least[k] == pytest.approx(lo[k], abs=1e-9) for k in found.least)
    # every pair that may be the worst has its lo, and some skipped pair needed none
    assert set(found.most) - found.skip <= set(found.least)
    assert len(found.least) < len(found.most)
