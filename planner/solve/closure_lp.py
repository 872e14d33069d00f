"""The stranded-amount LPs, below both the model and the evaluator: what the routes that avoid
a closure cannot carry with a portfolio's capacities.

stranded[t,d] = min sum_k v[k] subject to sum_{r serves k, avoids d} h[r] + v[k] = D[k,t] and
sum_{r uses s, avoids d} n_rs h[r] <= capacity[s,t]: demand and capacity rows only. A closure is a
crisis: every physical route that avoids it may be used, so the RiskLimits' max_share rows, which
shape normal operation, do not apply, and stranded is what those routes cannot physically carry
(docs/workbook.md, Disruptions).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import highspy
import numpy as np

from planner.clock import check
from planner.solve.highs import ArrayRows, interrupted, lp_from_arrays
from planner.inputs.instance import Instance
from planner.tolerances import MOVED


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
    out = {(s, t): seg.capacity for s, seg in inst.segments.items() for t in inst.period_ids}
    for p, start in portfolio.items():
        usable = inst.usable_from(p, start) if start else None
        if usable is None:
            continue
        added = inst.projects[p].capacity_added
        for s in dict.fromkeys(inst.projects[p].segments):
            for t in inst.period_ids[inst.period_index[usable]:]:
                out[s, t] += added
    return out


ALL_CORES_FROM = 16  # LPs to solve for one portfolio: from here on every core (StrandedLP)


def cores() -> int:
    """The cores this process may run on (its affinity, where the system says: a container's
    share, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def on_all_cores(solve, items) -> list:
    """[solve(item) for item in items], on every core at once: each closure LP is a HiGHS
    object of its own, which releases the interpreter while it solves, and each is still
    solved at the same bounds in the same order, from its own last basis, so it ends at the
    same basis with the same duals as one at a time (the cuts, and the search, are the
    same). A failure (a deadline passed, Ctrl-C) cancels what has not started."""
    items = list(items)
    workers = min(cores(), len(items))
    if workers < 2:
        return [solve(item) for item in items]
    pool = ThreadPoolExecutor(workers, thread_name_prefix="closure-lp")
    try:
        return list(pool.map(solve, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def unchanged_optimum(new, base, activity, dual=None) -> bool:
    """True when an LP's optimum at capacity bounds ``base`` (row activities ``activity``)
    is still optimal at ``new``: every bound that fell still holds the activity (the
    solution stays feasible in a smaller set) and every bound that rose was slack (a convex
    program's optimum stays optimal when a constraint inactive there is relaxed). Exact, and
    it spares most of the LPs when a portfolio changes by one project.

    With the rows' ``dual`` values (a one-objective LP, as a closure's max flow), a bound that
    rose need only have a zero dual: the dual stays optimal after the falls (complementary
    slackness still holds), so the optimal value's directional derivative along the rises is
    0, and the value, convex and never increasing in the capacities, stays where it is."""
    fell, rose = new < base - MOVED, new > base + MOVED
    if not np.all(activity[fell] <= new[fell] + MOVED):
        return False
    if dual is not None:
        return bool(np.all(np.abs(dual[rose]) <= 1e-9))
    return bool(np.all(activity[rose] < base[rose] - MOVED))


class StrandedLP:
    """(period, closure name) -> Mt/yr that the routes avoiding the closure cannot carry with a
    portfolio's capacities. ``pairs`` limits it to those (period, closure) pairs.

    One max-flow LP per pair: min sum_k v[k] subject to sum_{r serves k, avoids d} h[r] + v[k]
    = D[k,t] and sum_{r uses s, avoids d} n_rs h[r] <= capacity[s,t]. Each is built once
    straight into HiGHS as arrays (at size L the pairs hold a million columns: too many for a
    modelling layer, and one LP of them all is slower than its blocks); between portfolios only
    the capacity bounds change and HiGHS starts from the last basis.
    """

    def __init__(self, inst: Instance, closure_set, periods, pairs=None, deadline=None,
                 reuse: StrandedLP | None = None, choose_simplex: bool = False):
        """``deadline`` (planner/clock.py): checked before each pair's LP is built.
        ``reuse``: another StrandedLP of the same instance whose LPs are taken over where it
        has the pair (the solve's, for the analysis): built already, and warm at the last
        portfolio it scored. It is not to be used after. ``choose_simplex``: least_cost's
        stages by the primal simplex (_MaxFlow._simplex; the analysis's: its Leverage in
        0.6 times the seconds)."""
        self.inst = inst
        wanted = None if pairs is None else set(pairs)
        self.base_capacity = None  # hold_base's capacities, as a vector
        # built_capacity's keys in its order: a portfolio's capacities become one vector
        self.keys = list(built_capacity(inst, {}))
        self._segment_capacity, self._adds = None, {}  # capacity()'s
        position = self.position = {key: i for i, key in enumerate(self.keys)}
        self.blocks = {}
        columns: dict[str, _PeriodColumns] = {}  # each period's, made once
        self.closed = {c.name: inst.routes_in_unit(c.unit, c.key) for c in closure_set}
        self.flow_of = {r: route.flow for r, route in inst.routes.items()}
        for c in closure_set:
            closed = set(self.closed[c.name])
            for t in periods:
                if wanted is None or (t, c.name) in wanted:
                    check(deadline, "building the closure LPs")
                    block = reuse.blocks.get((t, c.name)) if reuse is not None and \
                        reuse.inst is inst else None
                    if block is None:
                        if t not in columns:
                            columns[t] = _PeriodColumns(inst, t)
                        block = _MaxFlow(inst, t, closed, columns[t])
                    block.choose_simplex = choose_simplex
                    self.blocks[t, c.name] = block
                    block.index = np.array([position[key] for key in block.capacity_rows],
                                           dtype=np.int64)

    def capacity(self, portfolio: dict[str, str | None]) -> np.ndarray:
        """built_capacity(inst, portfolio) as a vector in self.keys' order: the same sums in
        the same order, without a dict of every segment and period."""
        if self._segment_capacity is None:
            inst = self.inst
            self._segment_capacity = np.array(
                [inst.segments[s].capacity for s, _ in self.keys], dtype=float)
            self._position = {key: i for i, key in enumerate(self.keys)}
        vec = self._segment_capacity.copy()
        for p, start in portfolio.items():
            if not start:
                continue
            found = self._adds.get((p, start))
            if found is None:
                inst = self.inst
                usable = inst.usable_from(p, start)
                periods = inst.period_ids[inst.period_index[usable]:] if usable else ()
                found = self._adds[p, start] = (inst.projects[p].capacity_added, np.array(
                    [self._position[s, t] for s in dict.fromkeys(inst.projects[p].segments)
                     for t in periods], dtype=np.int64))
            vec[found[1]] += found[0]  # one position at most once per project
        return vec

    def vector(self, capacity: dict[tuple[str, str], float]) -> np.ndarray:
        """A built_capacity dict as a vector in self.keys' order."""
        if len(capacity) != len(self.keys) or next(iter(capacity)) != self.keys[0]:
            return np.array([capacity[key] for key in self.keys], dtype=float)
        return np.fromiter(capacity.values(), dtype=float, count=len(self.keys))

    def __call__(self, portfolio: dict[str, str | None], capacity=None, vector=None,
                 deadline=None, pairs=None) -> dict[tuple[str, str], float]:
        """``capacity``: the portfolio's built_capacity, or ``vector`` its capacity(), where
        the caller has it. ``deadline`` (planner/clock.py): checked before each LP.
        ``pairs``: only these, in the blocks' order (before hold_base; after it every pair)."""
        vec = vector if vector is not None else self.vector(capacity) \
            if capacity is not None else self.capacity(portfolio)
        if self.base_capacity is None:
            wanted = None if pairs is None else set(pairs)
            chosen = [(pair, block) for pair, block in self.blocks.items()
                      if wanted is None or pair in wanted]

            def stranded(item):
                check(deadline, "solving the closure LPs")
                return item[1].stranded(vec[item[1].index])

            return dict(zip((pair for pair, _ in chosen), on_all_cores(stranded, chosen)))
        # only the blocks with a bound that moved from the base's can differ from it: found
        # from the moved positions (a project's segments and periods), each with the
        # positions that moved in it
        out = dict(self.base_values)
        touched: dict[tuple[str, str], list[tuple[int, float]]] = {}
        moved = np.flatnonzero(np.abs(vec - self.base_capacity) > MOVED)
        for i, bound in zip(moved.tolist(), vec[moved].tolist()):
            for pair, j in self.users[i]:
                touched.setdefault(pair, []).append((j, bound))

        def stranded(item):
            block = self.blocks[item[0]]
            return block.stranded(vec[block.index], item[1])

        # a portfolio far from the base (the reference plan) moves most blocks: on every
        # core, each LP still solved at the same bounds from its own last basis
        items = list(touched.items())
        solve = on_all_cores if len(items) >= ALL_CORES_FROM else \
            (lambda f, found: [f(item) for item in found])
        out.update(zip((pair for pair, _ in items), solve(stranded, items)))
        return out

    def hold_base(self, portfolio: dict[str, str | None], floor=None) -> None:
        """Score ``portfolio`` and keep each LP's solution, so that a later portfolio whose
        capacities leave it optimal (unchanged_optimum), or that only adds capacity where the
        closure already strands no more than it would with ``floor``'s (every project built
        as early as it may: capacities only grow), is not solved again."""
        floors = self(floor) if floor is not None else {}
        vec = self.capacity(portfolio)
        on_all_cores(lambda item: item[1].hold_base(vec[item[1].index], floors.get(item[0])),
                     self.blocks.items())
        self.base_capacity = vec
        self.base_values = {pair: block.base[2] if block.base is not None else block.fixed
                            for pair, block in self.blocks.items()}
        # capacity position -> the (pair, its row in the block) of every block it bounds
        self.users = [[] for _ in self.keys]
        for pair, block in self.blocks.items():
            for j, i in enumerate(block.index):
                self.users[i].append((pair, j))

    def supports(self, vec: np.ndarray, pairs=None) -> dict[tuple[str, str], tuple]:
        """(period, closure name) -> (stranded, keys, slopes) at the capacity vector ``vec``
        (self.keys' order; fractional capacities allowed): the LP's value and, from its
        optimal dual, the slope of stranded in each capacity row's bound (keys: the rows'
        (segment, period), slopes <= 0). Every dual solution is feasible whatever the
        bounds, so stranded(c) >= stranded + sum slopes (c - vec) for all c: a supporting
        hyperplane of the convex stranded amount (planner/solve/closure_cuts.py)."""
        pairs = list(self.blocks if pairs is None else pairs)
        return dict(zip(pairs, on_all_cores(
            lambda pair: self.blocks[pair].support(vec[self.blocks[pair].index]), pairs)))

    def by_flow(self, portfolio: dict[str, str | None], pairs, vector=None
                ) -> dict[tuple[str, str], dict[str, float]]:
        """(period, closure name) -> {flow: Mt/yr} stranded, the least valuable tonnes first
        (_MaxFlow.by_flow), for each of ``pairs`` this StrandedLP holds. ``vector``: the
        portfolio's capacity(), where the caller has it."""
        vec = vector if vector is not None else self.capacity(portfolio)
        return {pair: self.blocks[pair].by_flow(vec[self.blocks[pair].index])
                for pair in pairs if pair in self.blocks}

    def least_cost(self, portfolio: dict[str, str | None],
                   plan: dict[tuple[str, str], float] | None = None
                   ) -> dict[tuple[str, str], dict[str, float]]:
        """(period, closure name) -> {route: Mt/yr}: the closure's routing of the most the
        open routes can carry, the one closest to ``plan``'s flows (route, period) -> Mt/yr
        at the least cost (_MaxFlow.least_cost); routes that carry nothing left out. Where
        ``plan`` sends nothing through the closed unit, {} (no solve)."""
        vec = self.capacity(portfolio)
        out = {}
        for (t, d), block in self.blocks.items():
            if plan is not None and not any(plan.get((r, t), 0.0) > 0
                                            for r in self.closed[d]):
                out[t, d] = {}  # the plan sends nothing through it: nothing to compare
                continue
            out[t, d] = block.least_cost(
                vec[block.index], plan, t,
                paid(self.inst, plan, set(self.closed[d]), t) if plan is not None else None,
                self.flow_of)
        return out


def paid(inst: Instance, flows: dict[tuple[str, str], float], closed: set[str], t: str
         ) -> dict[str, float]:
    """flow -> USD/t a tonne of it paid in ``flows`` ((route, period) -> Mt/yr) in period t:
    its mean route cost over its routes in ``closed`` where it has tonnes there, else over all
    its routes; a flow with no tonnes is left out (it paid 0)."""
    through: dict[str, list[float]] = {}
    every: dict[str, list[float]] = {}
    for r, route in inst.routes.items():
        f = flows.get((r, t), 0.0)
        if f > 0:
            for table in ((every, through) if r in closed else (every,)):
                row = table.setdefault(route.flow, [0.0, 0.0])
                row[0] += f
                row[1] += f * inst.route_cost[r]
    return {k: cost / f for k, (f, cost) in (every | through).items()}


class _PeriodColumns:
    """The closure LPs of one period before any route is closed: each flow with demand, its
    routes' columns h[r] then its v[k], in the flows' order, and each route column's passes
    of each segment. A closure's LP is these with its routes' columns taken out (``of``):
    arrays masked, no Python step per route (a StrandedLP at L builds 636 such LPs over 1,500
    routes and 2,517 segments)."""

    def __init__(self, inst: Instance, t: str):
        self.flows: list[str] = []  # flows with demand in t
        demand, routes, flow = [], [], []
        for k in inst.flows:
            d = inst.demand(k, t)
            if d <= 0:
                continue
            for r in inst.routes_of_flow[k] + (None,):  # the routes' h, then v[k]
                routes.append(r), flow.append(len(self.flows))
            self.flows.append(k), demand.append(d)
        self.routes = routes  # column -> route (None: v[k])
        self.demand = np.array(demand, dtype=float)
        self.flow = np.array(flow, dtype=np.int64)  # column -> its flow's place in flows
        self.is_v = np.array([r is None for r in routes], dtype=bool)
        self.column_of = {r: j for j, r in enumerate(routes) if r is not None}
        place = {s: i for i, s in enumerate(inst.segments)}
        passes = [(place[s], j, n) for j, r in enumerate(routes) if r is not None
                  for s, n in inst.route_segments[r].items()]
        self.segment_ids = list(inst.segments)
        self.entry_segment, self.entry_column, self.entry_passes = (
            np.array([e[i] for e in passes], dtype=dt)
            for i, dt in ((0, np.int64), (1, np.int64), (2, float)))
        self.capacity = np.array([inst.segments[s].capacity for s in self.segment_ids])
        self.value = None  # each flow's value a tonne, where the flows' values differ
        if inst.values_differ(t):
            self.value = np.array([inst.value_per_t(k, t) or 0.0 for k in self.flows])

    def of(self, closed) -> tuple[dict, np.ndarray, np.ndarray, tuple]:
        """The LP of the closure of routes ``closed``: (fixed, the kept columns, the kept
        capacity rows' segments (places), its rows as (lower, upper, (row, column, value)))
        where fixed = {flow: demand} of the flows with no open route (stranded whatever is
        built, no row), and a capacity row is kept where its segment's load bound over the
        open routes (each flow's demand times the most passes of one of its open routes)
        exceeds its capacity: the other rows cannot bind (capacities only grow)."""
        n = len(self.routes)
        route_open = ~self.is_v
        shut = [self.column_of[r] for r in closed if r in self.column_of]
        route_open[shut] = False
        served = np.bincount(self.flow[route_open], minlength=len(self.flows)) > 0
        kept = np.flatnonzero(route_open | (self.is_v & served[self.flow]))
        fixed = {self.flows[i]: float(self.demand[i]) for i in np.flatnonzero(~served)}
        new = np.full(n, -1, dtype=np.int64)
        new[kept] = np.arange(len(kept))
        flow_row = np.cumsum(served) - 1  # demand rows: the served flows, in order
        # capacity rows: the segments an open route passes whose load bound tops capacity
        on = route_open[self.entry_column]
        segment, column, times = (self.entry_segment[on], self.entry_column[on],
                                  self.entry_passes[on])
        flows = self.flow[column]
        key = segment * len(self.flows) + flows
        order = np.lexsort((times, key))  # by (segment, flow), the most passes last
        last = np.r_[key[order][1:] != key[order][:-1], True] if len(key) else \
            np.zeros(0, dtype=bool)
        top = order[last]
        bound = np.bincount(segment[top], weights=times[top] * self.demand[flows[top]],
                            minlength=len(self.segment_ids))
        rows = np.flatnonzero((np.bincount(segment, minlength=len(self.segment_ids)) > 0)
                              & (bound > self.capacity + 1e-9))
        first = int(served.sum())
        row_of = np.full(len(self.segment_ids), -1, dtype=np.int64)
        row_of[rows] = first + np.arange(len(rows))
        binds = np.flatnonzero(row_of[segment] >= 0)
        binds = binds[np.argsort(row_of[segment[binds]], kind="stable")]  # rows in order
        demand = self.demand[served]
        entries = (np.concatenate([flow_row[self.flow[kept]], row_of[segment[binds]]]),
                   np.concatenate([new[kept], new[column[binds]]]),
                   np.concatenate([np.ones(len(kept)), times[binds]]))
        lower = np.concatenate([demand, np.full(len(rows), -highspy.kHighsInf)])
        upper = np.concatenate([demand, self.capacity[rows]])
        return fixed, kept, rows, (lower, upper, entries)


class _MaxFlow:
    """The LP of one (period, closure) pair; see StrandedLP."""

    def __init__(self, inst: Instance, t: str, closed: set[str],
                 columns: _PeriodColumns | None = None):
        """``columns``: the period's _PeriodColumns, shared by the blocks of one StrandedLP
        (made here where not given)."""
        columns = columns if columns is not None else _PeriodColumns(inst, t)
        self.fixed_flows, kept, rows, (lower, upper, entries) = columns.of(closed)
        self.fixed = sum(self.fixed_flows.values())  # stranded whatever is built
        routes = self.routes = [columns.routes[j] for j in kept]
        v = columns.is_v[kept]
        self.unmet_flow = {int(j): columns.flows[columns.flow[kept[j]]]
                           for j in np.flatnonzero(v)}  # column of v[k] -> k
        self.capacity_rows = [(columns.segment_ids[i], t) for i in rows]  # (segment, period)
        column_upper = columns.demand[columns.flow[kept]]
        cost = v.astype(float)
        self.highs = None
        self.route_cost = np.array([inst.route_cost[r] if r else 0.0 for r in routes])
        self.unmet_columns = np.flatnonzero(v).astype(np.int32)
        self.max_flow_cost = cost
        # the value stage's costs (value_stage): each v[k] at flow k's value a tonne in t,
        # divided by the largest so that the row and its room are in tonnes; None where the
        # flows are worth the same (every routing of the most strands the same value)
        self.value_cost = None
        if columns.value is not None:
            w = np.where(v, columns.value[columns.flow[kept]], 0.0)
            if len(w) and w.max() > 0:
                self.value_cost = w / w.max()
        self.known: dict[bytes, float] = {}  # bounds_key(capacity bounds) -> stranded, solved
        self.known_flows: dict[bytes, dict[str, float]] = {}  # -> stranded by flow (by_flow)
        self.cost_row = None  # sum_k v[k] <= stranded: added on the first least_cost
        self.base = None  # (bounds, row activities, stranded, floor, duals): hold_base
        self.index = np.zeros(0, dtype=np.int64)  # its bounds in StrandedLP.keys
        if not len(kept):
            return
        # re-solved from the last basis after each change of bounds: no presolve
        self.highs = lp_from_arrays(cost, np.zeros(len(kept)), column_upper,
                                    ArrayRows(lower, upper, entries), presolve=False)
        self.rows = np.arange(len(lower) - len(rows), len(lower), dtype=np.int32)
        self.strategy = DUAL  # HiGHS's simplex_strategy now (_simplex)
        self.choose_simplex = False  # the analysis's LPs (StrandedLP choose_simplex)

    def stranded(self, new: np.ndarray, moved: list[tuple[int, float]] | None = None
                 ) -> float:
        """The max-flow LP at capacity bounds ``new`` (one per capacity row); bounds seen
        before are not solved again (the LP is determined by them), nor bounds that leave
        the base solution optimal (hold_base). ``moved``: (row, new bound) of the rows whose
        bound differs from the base's by more than MOVED, where the caller knows them: the
        others count as unchanged in both tests, which then look at these alone."""
        if self.highs is None:
            return self.fixed
        bounds = bounds_key(new)
        if self.base is not None and bounds not in self.known:
            value = self.base[2]
            if self._base_holds(new if moved is None else moved):
                return value
        if bounds not in self.known:
            self._set_capacity(new)
            self.known[bounds] = self.fixed + self._run()
        return self.known[bounds]

    def _base_holds(self, new) -> bool:
        """The base's value holds at bounds ``new`` (a vector, or (row, bound) pairs of the
        rows that moved): no capacity fell and the base strands no more than the floor (no
        more capacity can strand less), or unchanged_optimum. The pairs are tested as Python
        numbers, the same comparisons as unchanged_optimum's on the moved rows (a portfolio
        a project away from the base moves a few of a block's 300 rows: numpy's calls on
        them cost more than the tests)."""
        base, activity, value, floor, dual = self.base
        if isinstance(new, np.ndarray):
            if floor is not None and value <= floor + MOVED and np.all(new >= base - MOVED):
                return True
            return unchanged_optimum(new, base, activity, dual)
        base, activity, dual = self._base_lists
        if floor is not None and value <= floor + MOVED and \
                all(b >= base[j] - MOVED for j, b in new):
            return True
        for j, b in new:
            if b < base[j] - MOVED:  # fell: the base's activity must still fit
                if not activity[j] <= b + MOVED:
                    return False
            elif b > base[j] + MOVED:  # rose: where it was slack, or its dual is 0
                if not (abs(dual[j]) <= 1e-9 if dual is not None
                        else activity[j] < base[j] - MOVED):
                    return False
        return True

    def hold_base(self, new: np.ndarray, floor: float | None) -> None:
        """Solve at capacity bounds ``new`` and keep the solution (StrandedLP.hold_base)."""
        if self.highs is None:
            return
        self._set_capacity(new)
        value = self.fixed + self._run()
        self.known[bounds_key(new)] = value
        solution = self.highs.getSolution()
        activity, dual = (np.array(solution.row_value)[self.rows],
                          np.array(solution.row_dual)[self.rows]) if len(self.rows) \
            else (np.zeros(0), np.zeros(0))
        self.base = (new.copy(), activity, value, floor,
                     dual if solution.dual_valid else None)
        self._base_lists = (new.tolist(), activity.tolist(),
                            dual.tolist() if solution.dual_valid else None)

    def support(self, new: np.ndarray) -> tuple[float, list, np.ndarray]:
        """(stranded, capacity rows, their duals) at capacity bounds ``new`` (StrandedLP.supports)."""
        if self.highs is None:
            return self.fixed, [], np.zeros(0)
        self._set_capacity(new)
        value = self.fixed + self._run()
        solution = self.highs.getSolution()
        if not solution.dual_valid:
            raise RuntimeError("the closure LP returned no dual solution")
        dual = np.array(solution.row_dual)[self.rows] if len(self.rows) else np.zeros(0)
        self.known[bounds_key(new)] = value
        return value, self.capacity_rows, dual

    def least_cost(self, new: np.ndarray, plan: dict[tuple[str, str], float] | None = None,
                   t: str = "", paid: dict[str, float] | None = None,
                   flow_of: dict[str, str] | None = None) -> dict[str, float]:
        """{route: Mt/yr}: the closure's routing at these capacities, routes that carry
        nothing left out; lexicographic, each stage on the same LP with the ones before held
        by a row (within 1e-7 Mt/yr, 1e-9 relative, and 1e-7 for each route the plan uses;
        the cost within 1e-6 relative plus 1e-6 of the dearest route's USD/t, what a tonne
        within HiGHS's tolerance moves it):

        1. the most the open routes carry (stranded);
        2. where the flows are worth different amounts a tonne (Flows loss_per_t), the least
           value stranded: min sum_k w_k v[k] (value_stage), so the tonnes stranded are the
           least valuable;
        3. of ``plan``'s flows (route, period t) f_r, the most left where they are:
           max sum_r g_r, 0 <= g_r <= f_r, g_r <= h_r (a column g_r and its row for each
           route a plan uses, added as plans need them, held at 0 between calls);
        4. the least transport cost;
        5. the most tonnes carried of the flows whose tonnes paid most in the plan:
           max sum_r paid_k(r) h_r (``paid``: flow -> USD/t, stranded.paid; ``flow_of``:
           route -> flow), so that among tonnes worth the same, those stranded paid least.

        So a closure strands the tonnes that lose least, moves the plan's tonnes only where
        it must, diverts the rest at the least cost: the leverage's flow-by-flow figures do
        not depend on which of equal routings the LP finds (planner/analysis/leverage.py).
        Without ``plan``, stages 1, 2 and 4. The max-flow objective is put back after."""
        if self.highs is None:
            return {}
        highs = self.highs
        inf = highspy.kHighsInf
        columns = np.arange(len(self.route_cost), dtype=np.int32)
        self._stage_rows()
        used = {j: plan.get((r, t), 0.0) for j, r in enumerate(self.routes)
                if r and plan.get((r, t), 0.0) > 0} if plan else {}
        self._keep_columns([j for j in used if j not in self.kept])
        g = np.array(list(self.kept.values()), dtype=np.int32)
        self.stranded(new)  # the most carried at these bounds, by the dual if it runs
        self._simplex(PRIMAL)  # the stages below change the objective alone
        try:
            self.value_stage(new)
            if used:
                highs.changeColsCost(len(columns), columns, np.zeros(len(columns)))
                upper = np.array([used.get(j, 0.0) for j in self.kept])
                highs.changeColsBounds(len(g), g, np.zeros(len(g)), upper)
                highs.changeColsCost(len(g), g, -np.ones(len(g)))
                kept = -self._run()
                # room: each g within HiGHS's feasibility tolerance
                highs.changeRowBounds(self.cost_row + 2,
                                      kept - 1e-7 * (1 + len(used)) - 1e-9 * kept, inf)
                highs.changeColsCost(len(g), g, np.zeros(len(g)))
            highs.changeColsCost(len(columns), columns, self.route_cost)
            least = self._run()
            if paid:
                highs.changeRowBounds(self.cost_row + 1, -inf, least + 1e-6 * (
                    max(1.0, abs(least)) + float(self.route_cost.max())))
                highs.changeColsCost(len(columns), columns, -np.array(
                    [paid.get(flow_of[r], 0.0) if r else 0.0 for r in self.routes]))
                self._run()
            x = highs.getSolution().col_value
            return {r: x[j] for j, r in enumerate(self.routes) if r and x[j] > 1e-9}
        finally:
            self._release(g)

    def by_flow(self, new: np.ndarray) -> dict[str, float]:
        """{flow: Mt/yr} the closure strands at these capacities, the least valuable tonnes
        first (stages 1 and 2 of least_cost; flows it strands nothing of left out). Where
        the flows are worth the same a tonne the split between them is one of equal ones:
        what they lose together does not depend on it."""
        key = bounds_key(new)
        if key in self.known_flows:
            return self.known_flows[key]
        out = dict(self.fixed_flows)
        # the open routes carry all (the usual case): nothing to split, no LP
        if self.highs is not None and self.stranded(new) - self.fixed > 1e-7:
            self._stage_rows()
            try:
                if self.value_stage(new) is None:
                    self._run()  # the max flow at these bounds (stranded may not have run)
                x = self.highs.getSolution().col_value
                for j, k in self.unmet_flow.items():
                    if x[j] > 1e-9:
                        out[k] = out.get(k, 0.0) + x[j]
            finally:
                self._release(np.zeros(0, dtype=np.int32))
        self.known_flows[key] = out
        return out

    def value_stage(self, new: np.ndarray) -> float | None:
        """Stages 1 and 2 of least_cost at capacity bounds ``new``: hold the most carried,
        then, where the flows' values differ, minimize the value stranded and hold it (row
        cost_row + 3). The stage's value (in units of the largest value a tonne), None where
        there is no value stage or the open routes carry all. The rows stay until _release."""
        highs, inf = self.highs, highspy.kHighsInf
        most = self.stranded(new) - self.fixed
        self._set_capacity(new)
        highs.changeRowBounds(self.cost_row, -inf, most + max(1e-7, 1e-9 * most))
        if self.value_cost is None or most <= 1e-7:  # nothing stranded: nothing to choose
            return None
        columns = np.arange(len(self.value_cost), dtype=np.int32)
        highs.changeColsCost(len(columns), columns, self.value_cost)
        value = self._run()
        highs.changeRowBounds(self.cost_row + 3, -inf, value + max(1e-7, 1e-9 * value))
        return value

    def _stage_rows(self) -> None:
        """The rows that hold the stages (unbounded until a stage sets them), added on the
        first call: cost_row sum_k v[k]; + 1 the transport cost; + 2 sum g; + 3 the value
        stranded sum_k w_k v[k] (empty without a value stage)."""
        if self.cost_row is not None:
            return
        highs, v, inf = self.highs, self.unmet_columns, highspy.kHighsInf
        self.cost_row = highs.getNumRow()
        highs.addRow(-inf, inf, len(v), v, np.ones(len(v)))
        paid_columns = np.flatnonzero(self.route_cost).astype(np.int32)
        highs.addRow(-inf, inf, len(paid_columns), paid_columns,
                     self.route_cost[paid_columns])  # cost_row + 1: the cost
        highs.addRow(-inf, inf, 0, np.zeros(0, dtype=np.int32), np.zeros(0))  # + 2: sum g
        valued = np.flatnonzero(self.value_cost if self.value_cost is not None
                                else np.zeros(0)).astype(np.int32)
        highs.addRow(-inf, inf, len(valued), valued,
                     self.value_cost[valued] if len(valued) else np.zeros(0))  # + 3: value
        self.kept = {}  # route column -> its g column

    def _release(self, g: np.ndarray) -> None:
        """Put the max-flow objective back, free the stage rows and close the g columns."""
        highs, inf = self.highs, highspy.kHighsInf
        self._simplex(DUAL)
        columns = np.arange(len(self.route_cost), dtype=np.int32)
        highs.changeColsCost(len(columns), columns, self.max_flow_cost)
        for row in range(self.cost_row, self.cost_row + 4):
            highs.changeRowBounds(row, -inf, inf)
        if len(g):
            highs.changeColsCost(len(g), g, np.zeros(len(g)))
            highs.changeColsBounds(len(g), g, np.zeros(len(g)), np.zeros(len(g)))

    def _keep_columns(self, routes: list[int]) -> None:
        """A column g (bounds 0, 0), a row g - h <= 0 and an entry in the row sum g (row
        cost_row + 2) for each of these route columns."""
        if not routes:
            return
        highs, n = self.highs, len(routes)
        first = highs.getNumCol()
        highs.addVars(n, np.zeros(n), np.zeros(n))
        index = np.array([x for i, j in enumerate(routes) for x in (first + i, j)],
                         dtype=np.int32)
        highs.addRows(n, np.full(n, -highspy.kHighsInf), np.zeros(n), 2 * n,
                      np.arange(0, 2 * n, 2, dtype=np.int32), index,
                      np.tile([1.0, -1.0], n))
        for i in range(n):
            highs.changeCoeff(self.cost_row + 2, first + i, 1.0)
        self.kept.update({j: first + i for i, j in enumerate(routes)})

    def _set_capacity(self, bounds: np.ndarray) -> None:
        if len(self.rows):
            self.highs.changeRowsBounds(
                len(self.rows), self.rows, np.full(len(self.rows), -highspy.kHighsInf),
                np.array(bounds, dtype=float))

    def _simplex(self, strategy: int) -> None:
        """With ``choose_simplex`` (the analysis's LPs), the simplex of the runs to come: the
        primal where only the objective changes between runs (least_cost's stages: the last
        basis stays primal feasible), else HiGHS's dual (a change of bounds leaves it dual
        feasible). The solve's LPs keep the dual throughout: another simplex ends at other
        optimal bases, whose duals make other cuts and another search (docs/performance.md)."""
        if self.choose_simplex and strategy != self.strategy:
            self.highs.setOptionValue("simplex_strategy", strategy)
            self.strategy = strategy

    def _run(self) -> float:
        if interrupted():  # Ctrl-C under stop_on_ctrl_c: stop between LPs, not after all
            raise KeyboardInterrupt
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the closure LP ended {self.highs.modelStatusToString(status)}")
        return self.highs.getInfo().objective_function_value


DUAL, PRIMAL = 1, 4  # HiGHS's simplex_strategy values


def bounds_key(bounds: np.ndarray) -> bytes:
    """A closure LP's capacity bounds as a key of _MaxFlow.known: a 16-byte BLAKE2 digest of
    their bytes, not the bytes themselves (at L a block's bounds average 4.7 KB, and a Value
    analysis there kept 63,000 of them: 300 MB). Two different bounds share a digest with a
    probability of 2^-128 a pair."""
    return hashlib.blake2b(bounds.tobytes(), digest_size=16).digest()


def valued_closures(inst: Instance) -> list[tuple[str, str]]:
    """(period, closure name) of the closures the appraisal values flow by flow: those
    with closure_days, in the periods with demand, where the workbook gives flows their own
    value a tonne (Flows loss_per_t); [] otherwise (one value for all: the totals do)."""
    if not inst.flow_values:
        return []
    periods = [t for t in inst.period_ids if inst.total_demand[t] > 0]
    return [(t, c.name) for c in inst.closures("corridor") + inst.closures("country")
            if closure_days(inst, c.unit, c.key) > 0 for t in periods]


def closure_days(inst: Instance, unit: str, key: str) -> float:
    """Expected days a year the corridor or country is closed (Corridors / Countries)."""
    table = inst.corridors if unit == "corridor" else inst.countries
    return table[key].closure_days


def stranded_by_flow(inst: Instance, portfolio: dict[str, str | None]):
    """(unit, key, period) -> {flow: Mt/yr} stranded, the least valuable first, for the
    closures valued_closures names."""
    pairs = valued_closures(inst)
    if not pairs:
        return {}
    closure_set = inst.closures("corridor") + inst.closures("country")
    by_name = {c.name: c for c in closure_set}
    lp = StrandedLP(inst, [c for c in closure_set if any(d == c.name for _, d in pairs)],
                    tuple(dict.fromkeys(t for t, _ in pairs)), pairs)
    return {(by_name[d].unit, by_name[d].key, t): v
            for (t, d), v in lp.by_flow(portfolio, pairs).items()}


def stranded_demand(inst: Instance, portfolio: dict[str, str | None]):
    """(unit, key, period) -> Mt/yr stranded, for every corridor and country closure."""
    periods = tuple(t for t in inst.period_ids if inst.total_demand[t] > 0)
    closure_set = inst.closures("corridor") + inst.closures("country")
    by_name = {c.name: c for c in closure_set}
    return {(by_name[d].unit, by_name[d].key, t): value
            for (t, d), value in StrandedLP(inst, closure_set, periods)(portfolio).items()}
