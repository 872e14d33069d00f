"""worst_disruption at its floor (planner/solve/floor_probe.py): where a portfolio reaches the least
dependence any plan allows, the dependence stage only searches for one; it must end where the
stage with its own objective ends, and fall back to that stage where the floor is out of reach."""

import pytest

from benchmarks.generator import Size, generate
from planner.solve import floor_probe as floor
from planner.analysis.measures import evaluate
from planner.solve.run import solve, solve_model
from tests.builders import assert_same_stages, edit, load, project, two_corridors

WIDE = Size(projects=60, routes=48, countries=8, periods=3, corridors=16, markets=3)


def spy(monkeypatch) -> list:
    """What each call of reach_floor returned (its StageResult or None)."""
    calls = []
    reach = floor.reach_floor

    def recorded(*args, **kwargs):
        result = reach(*args, **kwargs)
        calls.append(result[0])
        return result
    monkeypatch.setattr(floor, "reach_floor", recorded)
    return calls


def without_probe(inst, monkeypatch, **options):
    """The stage with its own objective, as before the probe (the reference)."""
    with monkeypatch.context() as patch:
        patch.setattr(floor, "applies", lambda m: False)
        return solve_model(inst, objective="worst_disruption", **options)


def six_on_cb(budget: float) -> dict:
    """two_corridors with PB adding 6 Mt/yr on CB: closing CA strands 10 - 6 = 4 of the 10
    Mt/yr even with PB built, so the floor is 0.4; without PB it strands all 10 (1.0). PB
    costs 100: a budget of 100 reaches the floor, one of 50 leaves the optimum at 1.0."""
    tables = two_corridors()
    return edit(tables, Projects=[project("PB", "sB", 6, 100)],
                Periods=[{"period": 2026, "budget": budget}])


def test_a_reachable_floor_is_found_by_the_probe(tmp_path, monkeypatch):
    inst = load(tmp_path, six_on_cb(100))
    reference = without_probe(inst, monkeypatch)
    calls = spy(monkeypatch)
    sol = solve(inst, objective="worst_disruption")
    assert calls and calls[0] is not None  # the probe gave the stage its result
    dependence = sol.stages[1]
    assert dependence.status == "optimal"
    assert dependence.value == pytest.approx(0.4) and dependence.bound == pytest.approx(0.4)
    assert sol.portfolio == {"PB": "2026"}
    assert_same_stages(reference, sol)


def test_an_unreachable_floor_falls_back_to_the_stage(tmp_path, monkeypatch):
    inst = load(tmp_path, six_on_cb(50))
    reference = without_probe(inst, monkeypatch)
    calls = spy(monkeypatch)
    sol = solve(inst, objective="worst_disruption")
    assert calls == [None]  # PB is out of reach: no portfolio strands only 4 Mt/yr
    assert sol.stages[1].value == pytest.approx(1.0)
    assert sol.portfolio == {"PB": None}
    assert_same_stages(reference, sol)


@pytest.mark.parametrize("seed,finance,reaches", [(4, False, True), (4, True, True),
                                                  (0, False, False), (2, True, False)])
def test_the_probe_ends_where_the_stage_does(tmp_path, monkeypatch, seed, finance, reaches):
    """Random networks, with and without sources, where the floor is reached and where it is
    not (``reaches``: what reach_floor returned, found by running it): every stage's value as
    without the probe, the dependence reported is its portfolio's over every closure, and the
    cost stage after the probe is proven to the gap (it was not left stopping at its first
    solution)."""
    inst = load(tmp_path, generate(WIDE, seed=seed, finance=finance))
    reference = without_probe(inst, monkeypatch)
    calls = spy(monkeypatch)
    sol = solve(inst, objective="worst_disruption")
    # the last call: a first one under the unmet shortcut is repeated when demand goes unmet
    assert calls and (calls[-1] is not None) == reaches
    assert sol.status == reference.status == "optimal"
    assert_same_stages(reference, sol)
    measures = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    assert measures.worst_disruption == pytest.approx(sol.stages[1].value, abs=1e-7)
    if reaches:
        assert sol.stages[1].value == pytest.approx(sol.stages[1].bound, rel=1e-4)
    assert sol.stages[-1].gap <= 1e-4
