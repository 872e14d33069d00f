"""The closure LPs built from each period's columns (planner/solve/closure_lp.py,
_PeriodColumns) are the LPs written route by route, as the model states them: for every
period and every corridor and country closure of generated networks of three shapes, of
random tiny instances and of Kazakhstan (flows worth different amounts a tonne), the same
columns, bounds, costs, rows and matrix, the same fixed demand and the same value-stage
costs.

route_by_route below is the reference: stranded[t,d] = min sum_k v[k] subject to
sum_{r serves k, avoids d} h[r] + v[k] = D[k,t] (a row per flow with an open route; a flow
with none is stranded whatever is built) and sum_{r uses s, avoids d} n_rs h[r] <= capacity[s]
(a row per segment an open route passes whose load bound, each flow's demand times the most
passes of one of its open routes, tops its capacity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.generator import generate
from planner.solve.closure_lp import _MaxFlow
from planner.solve.highs import LpRows, lp_from_arrays
from tests.builders import load
from tests.test_independent import random_tables

KAZAKHSTAN = Path(__file__).resolve().parents[1] / "instances" / "kazakhstan.xlsx"


def route_by_route(inst, t, closed):
    """The closure's LP written route by route: (HiGHS, fixed by flow, column routes, v
    columns -> flow, capacity rows, value-stage costs)."""
    fixed, unmet_flow, upper, cost, rows, h = {}, {}, [], [], LpRows(), {}
    for k in inst.flows:
        demand = inst.demand(k, t)
        open_routes = [r for r in inst.routes_of_flow[k] if r not in closed]
        if demand <= 0:
            continue
        if not open_routes:
            fixed[k] = demand
            continue
        unmet_flow[len(upper) + len(open_routes)] = k
        columns = []
        for r in open_routes + [None]:
            columns.append(len(upper))
            upper.append(demand), cost.append(0.0 if r else 1.0)
            if r:
                h[r] = columns[-1]
        rows.add_columns(demand, demand, columns, 1.0)
    load_of: dict[str, dict[str, int]] = {}
    for r in h:
        for s, n in inst.route_segments[r].items():
            load_of.setdefault(s, {})[r] = n
    capacity_rows = []
    for s in inst.segments:
        if s not in load_of or inst.load_bound(s, t, h) <= inst.segments[s].capacity + 1e-9:
            continue
        rows.add_columns(-np.inf, inst.segments[s].capacity,
                         [h[r] for r in load_of[s]], [float(n) for n in load_of[s].values()])
        capacity_rows.append((s, t))
    routes = [None] * len(upper)
    for r, j in h.items():
        routes[j] = r
    value_cost = None
    if inst.values_differ(t):
        w = {k: inst.value_per_t(k, t) or 0.0 for k in unmet_flow.values()}
        top = max(w.values(), default=0.0)
        if top > 0:
            value_cost = np.zeros(len(upper))
            for j, k in unmet_flow.items():
                value_cost[j] = w[k] / top
    highs = lp_from_arrays(cost, np.zeros(len(upper)), upper, rows) if upper else None
    return highs, fixed, routes, unmet_flow, capacity_rows, value_cost


def same_lp(a, b) -> None:
    x, y = a.getLp(), b.getLp()
    for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(np.asarray(getattr(x, name)), np.asarray(getattr(y, name))), name
    for name in ("start_", "index_", "value_"):
        assert np.array_equal(np.asarray(getattr(x.a_matrix_, name)),
                              np.asarray(getattr(y.a_matrix_, name))), name


def instances(tmp_path):
    for shape, seed in (("spread", 0), ("dominant", 1), ("country", 2)):
        yield f"XS-{shape}-{seed}", load(tmp_path, generate("XS", seed=seed, shape=shape),
                                         f"{shape}.xlsx")
    for seed in range(4):
        yield f"random-{seed}", load(tmp_path, random_tables(seed), f"random{seed}.xlsx")


def check(inst) -> int:
    compared = 0
    for t in inst.period_ids:
        for c in inst.closures("corridor") + inst.closures("country"):
            closed = set(inst.routes_in_unit(c.unit, c.key))
            block = _MaxFlow(inst, t, closed)
            highs, fixed, routes, unmet_flow, capacity_rows, value_cost = \
                route_by_route(inst, t, closed)
            assert block.fixed_flows == fixed and block.fixed == sum(fixed.values())
            assert block.routes == routes and block.unmet_flow == unmet_flow
            assert block.capacity_rows == capacity_rows
            assert (block.value_cost is None) == (value_cost is None)
            if value_cost is not None:
                assert np.array_equal(block.value_cost, value_cost)
            assert (block.highs is None) == (highs is None)
            if highs is not None:
                same_lp(block.highs, highs)
                assert list(block.rows) == list(range(len(unmet_flow), len(unmet_flow)
                                                      + len(capacity_rows)))
            compared += 1
    return compared


def test_the_closure_lps_are_the_lps_written_route_by_route(tmp_path):
    compared = sum(check(inst) for _, inst in instances(tmp_path))
    assert compared > 100


@pytest.mark.skipif(not KAZAKHSTAN.exists(), reason="the shipped instance")
def test_the_kazakhstan_closure_lps_with_flows_worth_different_amounts(tmp_path):
    from planner.inputs.read import read_workbook

    inst = read_workbook(KAZAKHSTAN)
    assert any(inst.values_differ(t) for t in inst.period_ids)
    assert check(inst) > 50


@pytest.mark.parametrize("shape,seed", [("spread", 0), ("dominant", 1), ("country", 2)])
def test_closure_lps_on_every_core_end_where_one_at_a_time_does(tmp_path, monkeypatch,
                                                                 shape, seed):
    """on_all_cores: the screening's two scorings, then a portfolio and fractional
    capacities, give the same values and the same duals (the cuts' slopes), bit for bit, as
    the same LPs solved one at a time."""
    import random

    from planner.solve import closure_lp
    from planner.solve.closure_lp import StrandedLP

    inst = load(tmp_path, generate("XS", seed=seed, shape=shape))
    closure_set = inst.closures("corridor") + inst.closures("country")
    periods = inst.measured_periods
    nothing = {p: None for p in inst.projects}
    everything = {p: (inst.start_periods(p) or (None,))[0] for p in inst.projects}
    rng = random.Random(seed)
    some = {p: rng.choice(inst.start_periods(p)) if inst.start_periods(p) and rng.random() < 0.3
            else None for p in inst.projects}
    scored = {}
    for cores in (1, 4):
        monkeypatch.setattr(closure_lp, "cores", lambda cores=cores: cores)
        lp = StrandedLP(inst, closure_set, periods)
        values = [lp(nothing), lp(everything)]
        vec = lp.capacity(some)
        fractional = vec + np.linspace(0.0, 1.5, len(vec))
        supports = [lp.supports(vec), lp.supports(fractional)]
        scored[cores] = values, supports
    (values1, supports1), (values4, supports4) = scored[1], scored[4]
    assert values1 == values4
    assert len(supports1[0]) > 1
    for one, many in zip(supports1, supports4):
        assert one.keys() == many.keys()
        for pair in one:
            assert one[pair][0] == many[pair][0]
            assert np.array_equal(one[pair][2], many[pair][2])


@pytest.mark.parametrize("shape, seed", [("spread", 0), ("dominant", 1), ("country", 2)])
def test_the_analysis_closure_lps_run_least_cost_by_the_primal_simplex(tmp_path, monkeypatch,
                                                                        shape, seed):
    """StrandedLP(choose_simplex=True), the analysis's: least_cost's stages, which change
    the objective alone, run by the primal simplex, every run after a change of bounds by
    HiGHS's dual, as the solve's LPs run all of theirs. Held at a portfolio, then at
    portfolios a project away and at the reference plan, its LPs strand what the dual-only
    LPs strand, and each closure's least-cost routing carries as much at the same cost, to
    the stages' tolerances."""
    from planner.analysis.fixed_portfolio import reference_portfolio
    from planner.solve import closure_lp
    from planner.solve.closure_lp import DUAL, PRIMAL, StrandedLP

    runs = []
    plain_run = closure_lp._MaxFlow._run

    def recorded(block):
        runs.append((block.choose_simplex, block.strategy, within[0]))
        return plain_run(block)

    monkeypatch.setattr(closure_lp._MaxFlow, "_run", recorded)
    within = [False]
    plain_least = closure_lp._MaxFlow.least_cost

    def least(block, *args, **kwargs):
        within[0] = True
        try:
            return plain_least(block, *args, **kwargs)
        finally:
            within[0] = False

    monkeypatch.setattr(closure_lp._MaxFlow, "least_cost", least)
    inst = load(tmp_path, generate("XS", seed=seed, shape=shape))
    closure_set = inst.closures("corridor") + inst.closures("country")
    periods = inst.measured_periods
    some = {p: (inst.start_periods(p) or (None,))[0] if i % 3 == 0 else None
            for i, p in enumerate(inst.projects)}
    changed = [{**some, p: None if some[p] else (inst.start_periods(p) or (None,))[0]}
               for p in list(inst.projects)[:12]] + [reference_portfolio(inst)]
    chooses, dual = (StrandedLP(inst, closure_set, periods, choose_simplex=flag)
                     for flag in (True, False))
    for lp in (chooses, dual):
        lp.hold_base(some)
    cost = lambda routing: sum(inst.route_cost[r] * v for r, v in routing.items())
    for portfolio in changed:
        got, want = chooses(portfolio), dual(portfolio)
        assert got.keys() == want.keys()
        for pair in got:
            assert got[pair] == pytest.approx(want[pair], rel=1e-9, abs=1e-7)
        routed, routed_dual = chooses.least_cost(portfolio), dual.least_cost(portfolio)
        for pair in routed:
            assert sum(routed[pair].values()) == pytest.approx(
                sum(routed_dual[pair].values()), rel=1e-7, abs=1e-6)
            assert cost(routed[pair]) == pytest.approx(cost(routed_dual[pair]), rel=1e-5,
                                                       abs=1e-5)
    staged = [strategy for chosen, strategy, inside in runs if chosen and inside]
    assert staged and set(staged) == {PRIMAL}
    assert {strategy for chosen, strategy, inside in runs if not inside} == {DUAL}
    assert {strategy for chosen, strategy, _ in runs if not chosen} == {DUAL}
