"""The results workbook: one sheet per question a planner asks of a solution, plus charts."""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from planner import __version__
from planner.appraisal import Appraisal
from planner.evaluate import Measures
from planner.report.finance import write_appraisal, write_financing
from planner.report.value import write_leverage, write_value
from planner.instance import BUDGET, Instance
from planner.solution import Solution
from planner.xlsx import put, save_atomic, write_table

PERCENT = "0.0%"
NUMBER = "#,##0.00"


def _share_limits(inst: Instance) -> dict[tuple[str, str], float]:
    """(unit, key) -> the tightest max_share limit that applies to it."""
    out: dict[tuple[str, str], float] = {}
    for lim in inst.limits:
        if lim.limit != "max_share":
            continue
        for key in ((lim.key,) if lim.key else inst.units(lim.unit)):
            out[lim.unit, key] = min(out.get((lim.unit, key), math.inf), lim.value)
    return out


def finance_summary(inst: Instance, a: Appraisal | None) -> list[tuple]:
    """npv, bcr, eirr against the reference plan (sheet Appraisal)."""
    if a is None:
        return []
    counted = ("transport savings, unmet demand served and the expected loss avoided "
               "(loss_per_t)" if a.with_loss else
               "transport savings alone (no loss_per_t on sheet Settings)")
    unit = inst.settings.money_unit
    return [("npv", a.npv, unit, f"against {a.reference}: {counted}; sheet Appraisal"),
            ("bcr", a.bcr, "", "PV benefits / PV costs" + ("" if a.bcr is not None
                                                           else ": no new capex or opex")),
            ("eirr", a.eirr, "share", "the rate where NPV = 0" + (
                "" if a.eirr is not None else ": none, the net flows never change sign"))]


def status_text(sol: Solution) -> str:
    """'optimal within 1e-04 (largest stage gap 0.002%)', or 'feasible, NOT proven optimal'."""
    if sol.status == "optimal":
        return (f"optimal within a relative gap of {sol.mip_gap:g} (largest stage gap "
                f"{sol.gap:.3%})")
    return f"feasible, NOT proven optimal (time limit; gap {sol.gap:.2%})"


def summary_rows(sol: Solution, ms: Measures, unmet_causes=(),
                 appraisal: Appraisal | None = None, bought_for_rule=None) -> list[tuple]:
    """``bought_for_rule``: planner.dilution's findings, None where not checked."""
    inst = sol.instance
    s = inst.settings
    # the value is read by other tools: "optimal" or "feasible, not proven optimal (gap x)"
    status = "optimal" if sol.status == "optimal" else \
        f"feasible, not proven optimal (gap {sol.gap:.2%})"
    unmet_periods = sorted({t for (k, t), v in sol.unmet.items() if v > 1e-6},
                           key=inst.period_index.get)
    rows = [
        ("status", status, "", status_text(sol) + "; each stage's status is on sheet Stages"),
        ("objective", sol.objective, "", "stage 2 of: unmet demand, dependence, cost"),
        ("dependence_unit", s.dependence_unit, "", ""),
        ("dependence", ms.dependence(sol.objective, s.dependence_unit), "share",
         "the objective's measure (worst_disruption for cost)"),
        ("unmet_demand", ms.unmet_demand, s.flow_unit,
         "summed over periods" + (f"; unmet in {', '.join(unmet_periods)}: see sheet Unmet"
                                  if unmet_periods else "")),
        ("total_capex", ms.total_capex, s.money_unit, "undiscounted, committed projects included"),
        ("transport_cost", ms.transport_cost, s.money_unit, "over the horizon, undiscounted"),
        ("discounted_cost", ms.discounted_cost, s.money_unit, "what the cost stage minimizes"),
        ("worst_disruption", ms.worst_disruption, "share",
         f"largest share stranded by one {s.dependence_unit} closure, mean over measured periods"),
        ("expected_disruption", ms.expected_disruption, "share",
         "risk-weighted mean stranded share, mean over measured periods"),
        ("max_corridor_share", ms.max_corridor_share, "share",
         "largest share through one corridor, mean over measured periods"),
        ("max_country_share", ms.max_country_share, "share",
         "largest share through one transit country, mean over measured periods"),
        ("pv_cost_to_country", ms.pv_cost_to_country, s.money_unit,
         "budget spend at full value, grants at 0, loans at the present value of their "
         "payments (discount_rate)"),
        ("external_share", ms.external_share, "share",
         "share of capex paid by sources other than the budget (sheet Financing)"),
        *finance_summary(inst, appraisal),
        ("max_captive_share", ms.max_captive_share, "share",
         "largest share of trade one transit country's closure strands beyond normal unmet "
         "demand, mean over measured periods (sheet Leverage, captive)"),
        ("mip_gap", sol.gap, "", "largest final relative gap of any stage (HiGHS's own); "
         f"each stage stops at {sol.mip_gap:g}"),
        ("solve_seconds", sol.solve_seconds, "s", "HiGHS, all stages"),
        ("build_seconds", sol.build_seconds, "s", "Pyomo model build"),
        ("handover_seconds", sol.handover_seconds, "s", "Pyomo to HiGHS"),
        ("rows", sol.size.get("rows"), "", "rows of the matrix HiGHS solves"),
        ("columns", sol.size.get("columns"), "", "columns of the matrix"),
        ("nonzeros", sol.size.get("nonzeros"), "", "nonzeros of the matrix"),
        ("binaries", sol.size.get("binaries"), "", "start decisions"),
        ("closure_copies", sol.size.get("closure_pairs"), "",
         "(period, closure) copies in the model; the others never bound (closure generation)"),
        ("planner_version", __version__, "", ""),
        ("input_file", inst.source_name, "", ""),
        ("input_sha256", inst.source_sha256, "", "checksum of the input workbook"),
    ]
    for t in unmet_periods:
        rows.append((f"unmet_demand_{t}", sum(v for (k, s), v in sol.unmet.items() if s == t),
                     s.flow_unit, "demand not served in this period"))
    for cause in unmet_causes:
        rows.append(("unmet_cause", cause, "", "binds: relaxing it would serve more demand"))
    if bought_for_rule is not None and any(lim.limit == "max_high_risk_capex_share"
                                           for lim in inst.limits):
        for found in bought_for_rule:
            rows.append(("bought_for_rule", found.project, "", found.note()))
        if not bought_for_rule:
            rows.append(("bought_for_rule", "none", "", "no project is in the plan only for "
                         "max_high_risk_capex_share: each one changes a measure, or the limit "
                         "holds without it"))
    for stage in sol.stages:
        rows.append((f"stage_{stage.name}", stage.value, stage.status,
                     f"bound {stage.bound}, gap {stage.gap:.3g}"))
    return rows


def write_results(sol: Solution, ms: Measures, target: str | Path, *,
                  unmet_causes=(), appraisal: Appraisal | None = None,
                  bought_for_rule=None, value=None, leverage=None) -> Path:
    """``value``: planner.value.project_value's findings (sheets Value and Chains);
    ``leverage``: planner.leverage.leverage's rows (sheet Leverage); each left out where
    None."""
    inst = sol.instance
    book = Workbook()
    ws = book.active
    ws.title = "Summary"
    write_table(ws, ["metric", "value", "unit", "note"],
                summary_rows(sol, ms, unmet_causes, appraisal, bought_for_rule),
                widths={"metric": 22, "value": 30, "unit": 10, "note": 70})
    formats = {"share": PERCENT, inst.settings.money_unit: "#,##0.0",
               inst.settings.flow_unit: "#,##0.000", "s": "0.00"}
    for cell, unit in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        if isinstance(cell.value, float) and unit.value in formats:
            cell.number_format = formats[unit.value]

    write_table(book.create_sheet("Portfolio"),
                ["project", "selected", "start_period", "usable_from", "capex", "name", "status",
                 "segments", "capacity_added", "countries", "risk_class"],
                [(p, sol.portfolio[p] is not None, sol.portfolio[p],
                  inst.usable_from(p, sol.portfolio[p]) if sol.portfolio[p] else None,
                  proj.capex, proj.name, proj.status, "; ".join(proj.segments),
                  proj.capacity_added, "; ".join(sorted(inst.project_countries[p])),
                  proj.risk_class)
                 for p, proj in inst.projects.items()])

    write_table(book.create_sheet("Capacity"),
                ["segment", "period", "capacity", "used", "utilization", "country", "mode"],
                [(s, t, ms.capacity[s, t], ms.used[s, t],
                  ms.used[s, t] / ms.capacity[s, t] if ms.capacity[s, t] > 0 else None,
                  seg.country, seg.mode)
                 for s, seg in inst.segments.items() for t in inst.period_ids],
                number_format={"utilization": PERCENT, "used": NUMBER})

    write_table(book.create_sheet("Flows"),
                ["route", "corridor", "period", "flow", "trade_flow", "cost_per_t"],
                [(r, route.corridor, t, sol.flows[r, t], route.flow, inst.route_cost[r])
                 for r, route in inst.routes.items() for t in inst.period_ids],
                number_format={"flow": NUMBER})

    limits = _share_limits(inst)
    write_table(book.create_sheet("Exposure"), ["unit", "key", "period", "share", "limit"],
                [(u, k, t, v, limits.get((u, k))) for (u, k, t), v in ms.share.items()],
                number_format={"share": PERCENT, "limit": PERCENT})

    # the dependence unit's closures first; `closure` is the corridor or country id. Stranded
    # is what the open routes cannot physically carry (no share limits in a crisis), so it can
    # be less than the normal unmet demand: both are given, and the excess
    first = inst.settings.dependence_unit
    unmet_in = {t: sum(v for (k, s), v in sol.unmet.items() if s == t) for t in inst.period_ids}
    write_table(book.create_sheet("Disruptions"),
                ["closure", "period", "stranded_share", "stranded", "unit", "unmet_normal",
                 "stranded_beyond_unmet"],
                [(k, t, v / inst.total_demand[t], v, u, unmet_in[t], max(0.0, v - unmet_in[t]))
                 for (u, k, t), v in
                 sorted(ms.stranded.items(), key=lambda item: item[0][0] != first)],
                number_format={"stranded_share": PERCENT, "stranded": NUMBER,
                               "unmet_normal": NUMBER, "stranded_beyond_unmet": NUMBER})

    carry = inst.settings.budget_carry_over
    budget_rows, available = [], 0.0
    for p in inst.periods:  # what the budget pays: its own draws, not the other sources'
        spent = sum(v for (q, s, t), v in ms.draws.items() if s == BUDGET and t == p.id)
        available = (available if carry else 0.0) + p.budget
        budget_rows.append((p.id, p.budget, spent, available, available - spent))
        available -= spent
    write_table(book.create_sheet("Budget"),
                ["period", "budget", "spent", "available", "unspent"], budget_rows)

    unmet = [(k, t, v) for (k, t), v in sol.unmet.items() if v > 1e-9]
    write_table(book.create_sheet("Unmet"), ["flow", "period", "unmet"], unmet)

    write_table(book.create_sheet("Stages"),
                ["stage", "status", "value", "bound", "gap", "seconds", "nodes", "iterations"],
                [(s.name, s.status, s.value, s.bound, s.gap if math.isfinite(s.gap) else None,
                  s.seconds, s.nodes, s.iterations) for s in sol.stages])

    write_financing(book, inst, ms)
    if appraisal is not None:
        write_appraisal(book, inst, appraisal)
    if value is not None:
        write_value(book, inst, value)
    if leverage is not None:
        write_leverage(book, inst, leverage)

    _charts(book, inst, ms)

    log = book.create_sheet("Solver log")
    for i, line in enumerate(sol.log.splitlines()[:20000], start=1):
        put(log, i, 1, line)
    log.column_dimensions["A"].width = 120
    return save_atomic(book, target)


def _charts(book, inst: Instance, ms: Measures) -> None:
    """Share by corridor per period, and stranded share per closure, each with its table."""
    ws = book.create_sheet("Charts")
    periods = [t for t in inst.period_ids if inst.total_demand[t] > 0]
    corridors = list(inst.corridors)
    put(ws, 1, 1, "period")
    for j, g in enumerate(corridors, start=2):
        put(ws, 1, j, g)
    for i, t in enumerate(periods, start=2):
        put(ws, i, 1, t)
        for j, g in enumerate(corridors, start=2):
            put(ws, i, j, ms.share.get(("corridor", g, t), 0.0)).number_format = PERCENT
    if periods and corridors:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title = "Share of trade by corridor"
        chart.y_axis.title, chart.y_axis.number_format = "share of trade", "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.add_data(Reference(ws, min_col=2, max_col=1 + len(corridors), min_row=1,
                                 max_row=1 + len(periods)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(periods)))
        chart.width, chart.height = 18, 9
        ws.add_chart(chart, "A" + str(len(periods) + 4))

    top = len(periods) + 24
    closures = sorted({(u, k) for (u, k, _) in ms.stranded})
    put(ws, top, 1, "closure")
    for j, t in enumerate(periods, start=2):
        put(ws, top, j, t)
    for i, (u, k) in enumerate(closures, start=top + 1):
        put(ws, i, 1, f"{u} {k}")
        for j, t in enumerate(periods, start=2):
            put(ws, i, j, ms.stranded.get((u, k, t), 0.0) / inst.total_demand[t]
                ).number_format = PERCENT
    if closures and periods:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Share of trade stranded by each closure"
        chart.x_axis.title, chart.y_axis.number_format = "closure", "0%"
        chart.y_axis.scaling.min = 0
        chart.add_data(Reference(ws, min_col=2, max_col=1 + len(periods), min_row=top,
                                 max_row=top + len(closures)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=top + 1,
                                       max_row=top + len(closures)))
        chart.width, chart.height = 18, max(9, 0.6 * len(closures))
        ws.add_chart(chart, f"{get_column_letter(len(periods) + 3)}{top}")
    ws.column_dimensions["A"].width = 28
