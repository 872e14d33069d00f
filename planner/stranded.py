"""The stranded-amount LPs, below both the model and the evaluator: what the routes that avoid
a closure cannot carry with a portfolio's capacities.

stranded[t,d] = min sum_k v[k] subject to sum_{r serves k, avoids d} h[r] + v[k] = D[k,t] and
sum_{r uses s, avoids d} n_rs h[r] <= capacity[s,t]: demand and capacity rows only. A closure is a
crisis: every physical route that avoids it may be used, so the RiskLimits' max_share rows, which
shape normal operation, do not apply, and stranded is what those routes cannot physically carry
(docs/workbook.md, Disruptions).
"""

from __future__ import annotations

import highspy
import numpy as np

from planner.highs import quiet_highs
from planner.instance import Instance


def built(inst: Instance, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
    """(project, period) -> 1.0 where the portfolio's project is usable, else 0.0."""
    out = {(p, t): 0.0 for p in inst.projects for t in inst.period_ids}
    for p, start in portfolio.items():
        usable = inst.usable_from(p, start) if start else None
        if usable is not None:
            for t in inst.period_ids[inst.period_index[usable]:]:
                out[p, t] = 1.0
    return out


def built_capacity(inst: Instance, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
    """Capacity of every segment in every period with the portfolio's projects."""
    usable = built(inst, portfolio)
    return {(s, t): seg.capacity + sum(inst.projects[p].capacity_added * usable[p, t]
                                       for p in inst.segment_projects[s])
            for s, seg in inst.segments.items() for t in inst.period_ids}


class StrandedLP:
    """(period, closure name) -> Mt/yr that the routes avoiding the closure cannot carry with a
    portfolio's capacities. ``pairs`` limits it to those (period, closure) pairs.

    One max-flow LP per pair: min sum_k v[k] subject to sum_{r serves k, avoids d} h[r] + v[k]
    = D[k,t] and sum_{r uses s, avoids d} n_rs h[r] <= capacity[s,t]. Each is built once
    straight into HiGHS as arrays (at size L the pairs hold a million columns: too many for a
    modelling layer, and one LP of them all is slower than its blocks); between portfolios only
    the capacity bounds change and HiGHS starts from the last basis.
    """

    def __init__(self, inst: Instance, closure_set, periods, pairs=None):
        self.inst = inst
        wanted = None if pairs is None else set(pairs)
        self.blocks = {}
        for c in closure_set:
            closed = set(inst.routes_in_unit(c.unit, c.key))
            for t in periods:
                if wanted is None or (t, c.name) in wanted:
                    self.blocks[t, c.name] = _MaxFlow(inst, t, closed)

    def __call__(self, portfolio: dict[str, str | None]) -> dict[tuple[str, str], float]:
        capacity = built_capacity(self.inst, portfolio)
        return {pair: block.stranded(capacity) for pair, block in self.blocks.items()}


class _MaxFlow:
    """The LP of one (period, closure) pair; see StrandedLP."""

    def __init__(self, inst: Instance, t: str, closed: set[str]):
        self.fixed = 0.0  # demand with no open route: stranded whatever is built
        upper, cost, entries = [], [], ([], [], [])  # entries: (row, column, value)
        row_lower, row_upper, h = [], [], {}
        for k in inst.flows:
            demand = inst.demand(k, t)
            open_routes = [r for r in inst.routes_of_flow[k] if r not in closed]
            if demand <= 0:
                continue
            if not open_routes:
                self.fixed += demand
                continue
            row = len(row_lower)
            row_lower.append(demand), row_upper.append(demand)
            for r in open_routes + [None]:  # the routes' h, then v[k]
                column = len(upper)
                upper.append(demand), cost.append(0.0 if r else 1.0)
                entries[0].append(row), entries[1].append(column), entries[2].append(1.0)
                if r:
                    h[r] = column
        load: dict[str, dict[str, int]] = {}  # segment -> its open routes' passes
        for r in h:
            for s, n in inst.route_segments[r].items():
                load.setdefault(s, {})[r] = n
        self.capacity_rows = []  # (segment, period)
        for s in inst.segments:
            if s not in load or inst.load_bound(s, t, h) <= inst.segments[s].capacity + 1e-9:
                continue  # a row that cannot bind: capacities only grow
            row = len(row_lower)
            row_lower.append(-highspy.kHighsInf), row_upper.append(inst.segments[s].capacity)
            self.capacity_rows.append((s, t))
            for r, n in load[s].items():
                entries[0].append(row), entries[1].append(h[r]), entries[2].append(n)
        self.highs = None
        if not upper:
            return
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(upper), len(row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = \
            np.array(cost), np.zeros(len(upper)), np.array(upper)
        lp.row_lower_, lp.row_upper_ = np.array(row_lower), np.array(row_upper)
        rows, cols = np.array(entries[0]), np.array(entries[1])
        order = np.argsort(cols, kind="stable")  # column-wise storage
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(cols))))
        lp.a_matrix_.index_ = rows[order]
        lp.a_matrix_.value_ = np.array(entries[2])[order]
        self.highs = quiet_highs()
        self.highs.passModel(lp)
        self.rows = np.arange(len(row_lower) - len(self.capacity_rows), len(row_lower),
                              dtype=np.int32)

    def stranded(self, capacity: dict[tuple[str, str], float]) -> float:
        if self.highs is None:
            return self.fixed
        if len(self.rows):
            self.highs.changeRowsBounds(
                len(self.rows), self.rows, np.full(len(self.rows), -highspy.kHighsInf),
                np.array([capacity[key] for key in self.capacity_rows]))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the closure LP ended {self.highs.modelStatusToString(status)}")
        return self.fixed + self.highs.getInfo().objective_function_value


def stranded_demand(inst: Instance, portfolio: dict[str, str | None]):
    """(unit, key, period) -> Mt/yr stranded, for every corridor and country closure."""
    periods = tuple(t for t in inst.period_ids if inst.total_demand[t] > 0)
    closure_set = inst.closures("corridor") + inst.closures("country")
    by_name = {c.name: c for c in closure_set}
    return {(by_name[d].unit, by_name[d].key, t): value
            for (t, d), value in StrandedLP(inst, closure_set, periods)(portfolio).items()}
