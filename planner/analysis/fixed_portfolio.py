"""Every measure of many changed portfolios, by LPs built once (no branch and bound).

With the starts held, what a solve still chooses is the flows: the lexicographic stages of
planner/solve/stages.py reduce to LPs over the route flows f[r,t] and the unmet demand u[k,t]:

1. least unmet demand: min sum u subject to the demand rows sum_{r serves k} f + u = D, the
   capacity rows sum_{r uses s} n_rs f <= capacity[s,t] and the RiskLimits' max_share rows;
2. for objective max_share, least largest share: min sum_t omega_t z_t with
   sum_{r in unit} f <= z_t D_t, unmet demand held (the other dependence measures are the
   closures', which the flows do not change);
3. where the flows are worth different amounts a tonne (Flows loss_per_t), the least value
   unmet: min sum w[k,t] u[k,t], the tonnes unmet held, so that the tonnes left unmet are the
   least valuable, as a closure's are (planner/solve/closure_lp.py); skipped where nothing is
   unmet (it has nothing to choose). The solve's stages have no
   such stage: where the plan leaves demand unmet and the flows' values differ, its flows here
   may leave other flows unmet than the solve's (docs/model.md, "Value of a stranded tonne");
4. least transport cost: min sum_t delta_t years_t sum_r c_r f, the stages before held.

The strong links and the finance of the model do not move the flows once the starts are held
(the first are implied by the capacity rows at integer starts, the second price only the
capex). FlowLP builds these rows once straight into HiGHS, as StrandedLP does the closures';
between portfolios only the capacity bounds change. The closures are scored by one StrandedLP
over every corridor and country closure, and every measure by evaluate(): the same scoring as
any solved portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from planner.clock import check
from planner.analysis.measures import FlowFigures, Measures, evaluate, flow_figures
from planner.solve.highs import LpRows, interrupted, lp_from_arrays
from planner.inputs.instance import Instance
from planner.solve.solution import reported
from planner.tolerances import KEEP_ROOM, MOVED, STAGE_TOLERANCE
from planner.solve.closure_lp import (StrandedLP, built_capacity, unchanged_optimum,
                                      valued_closures)

INF = highspy.kHighsInf


@dataclass
class Scored:
    """A portfolio with its re-optimized flows and every measure."""

    portfolio: dict[str, str | None]
    flows: dict[tuple[str, str], float]
    unmet: dict[tuple[str, str], float]
    measures: Measures


class FlowLP:
    """The flow stages of a fixed portfolio (module docstring), one HiGHS LP for all periods."""

    def __init__(self, inst: Instance, objective: str):
        self.inst = inst
        # every route and flow in every period at 0, in the order of the dicts flows()
        # returns: each solution's dicts are copies of these (the keys shared, not made anew)
        self.no_flows = {(r, t): 0.0 for r in inst.routes for t in inst.period_ids}
        self.no_unmet = {(k, t): 0.0 for k in inst.flows for t in inst.period_ids}
        periods = [t for t in inst.period_ids if inst.total_demand[t] > 0]
        upper = self._columns(objective, periods)
        rows = LpRows()
        self._demand_rows(rows)
        capacity_index = self._capacity_rows(rows, periods)
        self._share_limit_rows(rows, periods)
        self._largest_share_rows(rows)
        # the stage objectives, and the rows that keep them (free until a stage is solved)
        n = len(upper)
        self.stages = self._stage_costs(n)
        # the value stage's row is added only while it runs (_value_row): a free row more
        # changes which of equal-cost routings HiGHS ends on, for every portfolio
        self.keep_rows = {i: rows.add(-INF, INF, [(j, v) for j, v in enumerate(c) if v])
                          for i, c in enumerate(self.stages[:-1]) if i != self.value_stage}
        self.rows = np.array(capacity_index, dtype=np.int32)
        self.base = None  # (bounds, capacity row activities, (flows, unmet)): hold_base
        self.bases = {}  # stage (and "last") -> the basis hold_base's solve ended it with
        self.highs = None
        if not n:
            return
        self.highs = lp_from_arrays(np.zeros(n), [0.0] * n, upper, rows)
        self.columns = np.arange(n, dtype=np.int32)

    def _columns(self, objective: str, periods: list[str]) -> list[float]:
        """The columns' upper bounds, and their indices: f[r,t] and u[k,t] (flows and unmet,
        Mt/yr, up to the demand), z[t] (the largest share, max_share only)."""
        inst, upper = self.inst, []
        self.f, self.u, self.z = {}, {}, {}
        for t in periods:
            for k in inst.flows:
                d = inst.demand(k, t)
                if d <= 0:
                    continue
                for r in inst.routes_of_flow[k]:
                    self.f[r, t] = len(upper)
                    upper.append(d)
                self.u[k, t] = len(upper)
                upper.append(d)
        if objective == "max_share":
            for t in inst.period_weights:
                self.z[t] = len(upper)
                upper.append(1.0)
        return upper

    def _demand_rows(self, rows: LpRows) -> None:
        """sum_r f[r,t] + u[k,t] = d[k,t] for every flow with demand in t."""
        inst = self.inst
        for (k, t), j in self.u.items():
            d = inst.demand(k, t)
            rows.add(d, d, [(self.f[r, t], 1.0) for r in inst.routes_of_flow[k]] + [(j, 1.0)])

    def _capacity_rows(self, rows: LpRows, periods: list[str]) -> list[int]:
        """sum_r n_rs f[r,t] <= capacity of s (bounds set per portfolio), where the row can
        bind; their indices (self.capacity_rows: their (segment, period))."""
        inst, index = self.inst, []
        self.capacity_rows = []
        for s in inst.segments:
            for t in periods:
                terms = [(self.f[r, t], float(n)) for r, n in inst.segment_routes[s].items()
                         if (r, t) in self.f]
                if terms and inst.load_bound(s, t) > inst.segments[s].capacity + 1e-9:
                    index.append(rows.add(-INF, inst.segments[s].capacity, terms))
                    self.capacity_rows.append((s, t))
        return index

    def _share_limit_rows(self, rows: LpRows, periods: list[str]) -> None:
        """sum over the unit's routes of f[r,t] <= max_share x D_t, for each max_share limit."""
        inst = self.inst
        for lim in inst.limits:
            if lim.limit != "max_share":
                continue
            for key in ((lim.key,) if lim.key else inst.units(lim.unit)):
                for t in periods:
                    rows.add(-INF, lim.value * inst.total_demand[t],
                             [(self.f[r, t], 1.0) for r in inst.routes_in_unit(lim.unit, key)
                              if (r, t) in self.f])

    def _largest_share_rows(self, rows: LpRows) -> None:
        """sum over a unit's routes of f[r,t] - D_t z[t] <= 0 (max_share: z is the largest)."""
        inst = self.inst
        unit = inst.settings.dependence_unit
        for t, j in self.z.items():
            for key in inst.units(unit):
                terms = [(self.f[r, t], 1.0) for r in inst.routes_in_unit(unit, key)
                         if (r, t) in self.f]
                if terms:
                    rows.add(-INF, 0.0, terms + [(j, -inst.total_demand[t])])

    def _stage_costs(self, n: int) -> list[np.ndarray]:
        """The stages' cost vectors: unmet, the largest share (max_share), the value unmet
        (where flows are worth different amounts a tonne), transport cost."""
        inst = self.inst
        stages = [np.zeros(n)]
        for j in self.u.values():
            stages[0][j] = 1.0
        if self.z:
            stages.append(np.zeros(n))
            for t, j in self.z.items():
                stages[-1][j] = inst.period_weights[t]
        self.value_stage = None  # its index
        if any(inst.values_differ(t) for t in {t for _, t in self.u}):
            # the least value unmet: min sum w[k,t] u[k,t] / the largest w (module docstring)
            w = {key: inst.value_per_t(*key) or 0.0 for key in self.u}
            top = max(w.values())
            self.value_stage = len(stages)
            stages.append(np.zeros(n))
            for key, j in self.u.items():
                stages[-1][j] = w[key] / top
        cost = np.zeros(n)
        for (r, t), j in self.f.items():
            cost[j] = inst.discount[t] * inst.period[t].years * inst.route_cost[r]
        stages.append(cost)
        return stages

    def hold_base(self, capacity: dict[tuple[str, str], float]) -> None:
        """Solve at ``capacity`` and keep the solution: a later set of capacities that leaves
        it optimal in every stage (stranded.unchanged_optimum: each stage's LP only loses
        points away from it or gains room where it is slack) gets it without a solve."""
        self.bases = {}
        result = self._solve(capacity, keep_bases=True)
        activity = np.array(self.highs.getSolution().row_value)[self.rows] \
            if self.highs is not None and len(self.rows) else np.zeros(0)
        self.base = (self._bounds(capacity), activity, result)

    def _bounds(self, capacity) -> np.ndarray:
        return np.array([capacity[key] for key in self.capacity_rows], dtype=float)

    def flows(self, capacity: dict[tuple[str, str], float], near: bool = True):
        """(flows, unmet) of the stages at these capacities, dicts in no_flows' and
        no_unmet's order; every keep row holds its stage's value plus max(KEEP_ROOM,
        STAGE_TOLERANCE x value), as the solve's do.

        After hold_base, each stage starts from a basis of the base's solve, not from
        whatever the last portfolio left: ``near`` (a portfolio a project or a chain away
        from the base) from the base's basis of that stage, a few pivots away; otherwise (the reference plan) the first stage from the base's last basis, as a
        FlowLP that had solved the base alone would. Either way a portfolio's flows do not
        depend on the portfolios scored before it. A basis is only a start: each stage is
        solved to optimality."""
        if self.base is None:
            return self._solve(capacity)
        bounds, activity, result = self.base
        new = self._bounds(capacity)
        if unchanged_optimum(new, bounds, activity):
            return result
        # the base met all demand and no capacity fell: it still does, so the first stage's
        # value is known (0) and only its keep row goes in
        met = np.all(new >= bounds - MOVED) and sum(result[1].values()) <= KEEP_ROOM
        return self._solve(capacity, 0.0 if met else None, start="stages" if near else "last")

    def _solve(self, capacity: dict[tuple[str, str], float], unmet_value=None,
               keep_bases: bool = False, start: str | None = None):
        """``keep_bases``: keep each stage's final basis (hold_base); ``start``: "stages"
        starts each stage from the kept basis of that stage, "last" the first stage run
        from the kept last basis (flows)."""
        flows, unmet = dict(self.no_flows), dict(self.no_unmet)
        if self.highs is None:
            return flows, unmet
        h = self.highs
        for i in self.keep_rows.values():
            h.changeRowBounds(i, -INF, INF)
        if len(self.rows):
            h.changeRowsBounds(len(self.rows), self.rows, np.full(len(self.rows), -INF),
                               np.array([capacity[key] for key in self.capacity_rows]))
        least_unmet, value_row = None, None  # the first stage's value; the value stage's row
        try:
            for i, cost in enumerate(self.stages):
                if i == self.value_stage:
                    if least_unmet <= KEEP_ROOM:
                        continue  # nothing unmet: no value to choose
                    value_row = self._value_row()
                    start = None  # the kept bases have no such row
                value, started = self._stage(i, cost, unmet_value, start,
                                             keep_bases and value_row is None)
                if started and start == "last":
                    start = None  # "last": the first run only
                if i == 0:
                    least_unmet = value
                row = self.keep_rows.get(i, value_row if i == self.value_stage else None)
                if row is not None:
                    h.changeRowBounds(row, -INF,
                                      value + max(KEEP_ROOM, STAGE_TOLERANCE * abs(value)))
            if keep_bases:
                self.bases["last"] = h.getBasis() if value_row is None else self.bases[0]
            x = h.getSolution().col_value
        finally:
            if value_row is not None:
                h.deleteRows(1, np.array([value_row], dtype=np.int32))
        for key, j in self.f.items():
            flows[key] = reported(x[j])
        for key, j in self.u.items():
            unmet[key] = reported(x[j])
        return flows, unmet

    def _value_row(self) -> int:
        """The value stage's keep row, added last (free); _solve deletes it after."""
        h, cost = self.highs, self.stages[self.value_stage]
        index = np.flatnonzero(cost).astype(np.int32)
        h.addRow(-INF, INF, len(index), index, cost[index])
        return h.getNumRow() - 1

    def _stage(self, i: int, cost: np.ndarray, unmet_value, start, keep_basis: bool
               ) -> tuple[float, bool]:
        """(stage i's value, whether it started from a kept basis): solved with its cost,
        from the kept basis where ``start`` says (_solve), or the first stage's known
        ``unmet_value``."""
        h = self.highs
        if i == 0 and unmet_value is not None and len(self.stages) > 1:
            return unmet_value, False
        h.changeColsCost(len(self.columns), self.columns, cost)
        basis = self.bases.get(i) if start == "stages" else \
            self.bases.get("last") if start == "last" else None
        if basis is not None:
            h.setBasis(basis)
        if interrupted():  # Ctrl-C under stop_on_ctrl_c: stop between LPs
            raise KeyboardInterrupt
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the flow LP ended {h.modelStatusToString(status)}")
        if keep_basis:
            self.bases[i] = h.getBasis()
        return h.getInfo().objective_function_value, basis is not None


class Rescorer:
    """Score portfolios of one instance by the flow LP and the closure LPs, each built once;
    a set of capacities scored before is not solved again (_flows). Only the scores are made
    here: what a caller keeps of them is the caller's (planner/analysis/project_value.py keeps six measures
    of each changed portfolio).

    ``deadline`` (planner/clock.py; None: no limit), set by a caller whose scoring draws on
    the command's budget: each portfolio scored checks it first, OutOfTime when it has passed
    (planner/analysis/pipeline.py leaves out the sheets it did not finish)."""

    def __init__(self, inst: Instance, objective: str, closure_lp: StrandedLP | None = None):
        """``closure_lp``: the solve's closure LPs (Solution.closure_lp), whose LPs are taken
        over where they are the pairs scored here (StrandedLP's reuse)."""
        self.inst = inst
        self.objective = objective
        self.deadline = None
        self.flow_lp = FlowLP(inst, objective)
        periods = tuple(t for t in inst.period_ids if inst.total_demand[t] > 0)
        self.closure_set = inst.closures("corridor") + inst.closures("country")
        self.closure_lp = StrandedLP(inst, self.closure_set, periods, reuse=closure_lp,
                                     choose_simplex=True)
        self._by_name = {c.name: c for c in self.closure_set}
        self._valued = valued_closures(inst)  # the closures valued flow by flow
        # capacities on the flow LP's capacity rows -> the values of the flow LP's flows and
        # unmet demand there, as arrays in FlowLP.no_flows' and no_unmet's order: _flows
        self._solved: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._base_figures: FlowFigures | None = None  # flow_figures of the base's flows
        self.based = False
        self._reference: Scored | None = None

    def hold_base(self, portfolio: dict[str, str | None], floor: bool = True) -> None:
        """Keep ``portfolio``'s LP solutions (the plan's): the portfolios that differ from
        it by a project or two mostly leave them optimal and need no solve (FlowLP and
        StrandedLP.hold_base). With ``floor``, closures are floored by every project built as
        early as it may (one more LP per closure, which pays only for many portfolios)."""
        check(self.deadline, "scoring the plan for the analysis")
        built = {p: (self.inst.start_periods(p) or (None,))[0] for p in self.inst.projects}
        self.flow_lp.hold_base(built_capacity(self.inst, portfolio))
        self.closure_lp.hold_base(portfolio, built if floor else None)
        self._base_figures = None
        self._reference = None  # scored again from the new base, as any portfolio would be
        self.based = True

    def reference(self) -> Scored:
        """The reference plan (reference_portfolio) scored once, after hold_base where the
        plan's base is held: the one reference the appraisal, sheet Value's npv_change and
        sheet Leverage all read."""
        if self._reference is None:
            self._reference = self(reference_portfolio(self.inst), near=False)
        return self._reference

    def __call__(self, portfolio: dict[str, str | None], near: bool = True) -> Scored:
        """``near``: the portfolio is a project or a chain away from hold_base's (FlowLP.flows);
        False for the reference plan."""
        check(self.deadline, "scoring the changed portfolios")
        vector = self.closure_lp.capacity(portfolio)  # built_capacity, faster
        capacity = dict(zip(self.closure_lp.keys, vector.tolist()))
        flows, unmet = self._flows(capacity, near)
        # most portfolios keep the base's flows (FlowLP.flows hands back the base's dicts
        # where they stay optimal): what evaluate makes of the flows alone is made for those
        # once, the same numbers
        if self._is_base(flows):
            if self._base_figures is None:
                self._base_figures = flow_figures(self.inst, flows, unmet)
            figures = self._base_figures
        else:
            figures = flow_figures(self.inst, flows, unmet)
        stranded = {(self._by_name[d].unit, self._by_name[d].key, t): v
                    for (t, d), v in self.closure_lp(portfolio, vector=vector).items()}
        stranded_flows = {(self._by_name[d].unit, self._by_name[d].key, t): v for (t, d), v
                          in self.closure_lp.by_flow(portfolio, self._valued, vector).items()}
        return Scored(portfolio, flows, unmet,
                      evaluate(self.inst, portfolio, flows, unmet, stranded=stranded,
                               capacity=capacity, figures=figures,
                               stranded_flows=stranded_flows))

    def _flows(self, capacity: dict[tuple[str, str], float], near: bool):
        """(flows, unmet) of the flow LP at these capacities (FlowLP.flows). Capacities
        solved before are not solved again: of each solution only its values are kept, one
        array each in the dicts' order (FlowLP.no_flows, no_unmet), and the same dicts are
        made from them again (at L 48 KB a solution, where the dicts were 870 KB: 570 MB
        over the 650 solutions of an analysis). The base's solution is not kept: FlowLP
        hands it back wherever it stays optimal."""
        key = tuple(capacity[s] for s in self.flow_lp.capacity_rows)
        kept = self._solved.get(key)
        if kept is not None:
            return (dict(zip(self.flow_lp.no_flows, kept[0].tolist())),
                    dict(zip(self.flow_lp.no_unmet, kept[1].tolist())))
        flows, unmet = self.flow_lp.flows(capacity, near)
        if not self._is_base(flows):
            self._solved[key] = (np.fromiter(flows.values(), float, len(flows)),
                                 np.fromiter(unmet.values(), float, len(unmet)))
        return flows, unmet

    def _is_base(self, flows: dict[tuple[str, str], float]) -> bool:
        """``flows`` are the dicts of hold_base's solution, not a copy."""
        return self.flow_lp.base is not None and flows is self.flow_lp.base[2][0]

    def least_cost(self, portfolio: dict[str, str | None],
                   plan: dict[tuple[str, str], float] | None = None
                   ) -> dict[tuple[str, str, str], dict[str, float]]:
        """(unit, key, period) -> {route: Mt/yr}: the most-served routing with that corridor
        or country closed, the one closest to ``plan``'s flows at the least cost
        (StrandedLP.least_cost)."""
        check(self.deadline, "scoring the closures' diversion costs")
        return {(self._by_name[d].unit, self._by_name[d].key, t): v
                for (t, d), v in self.closure_lp.least_cost(portfolio, plan).items()}

    def dependence(self, ms: Measures) -> float:
        return ms.dependence(self.objective, self.inst.settings.dependence_unit)


def reference_portfolio(inst: Instance) -> dict[str, str | None]:
    """The reference plan's portfolio: committed projects only, each at its start."""
    return {p: (inst.start_periods(p)[0] if q.status == "committed" and inst.start_periods(p)
                else None) for p, q in inst.projects.items()}
