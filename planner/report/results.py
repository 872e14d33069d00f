"""The results workbook: one sheet per question a planner asks of a solution, plus charts."""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from planner import __version__
from planner.analysis.appraisal import Appraisal
from planner.analysis.finance import available, drawn_by_source
from planner.analysis.measures import MEASURE_TABLE, Measures
from planner.report.brief import (BriefWorker, add_sheet, brief_of, brief_paths, frames_of_book,
                                  made_frame, write_files)
from planner.analysis.pipeline import AUTO_FULL_MOST
from planner.report.columns import write_legend
from planner.report.finance import (unmet_served_words, write_appraisal, write_financing,
                                    write_flow_value)
from planner.report.value import write_leverage, write_value
from planner.inputs.schema import BUDGET
from planner.inputs.instance import Instance
from planner.solve.solution import Solution
from planner.report.xlsx import (COUNT, PAGE_ROWS, ROW_CM, SHARE, add_break, chart_page,
                                 fit_columns, flow, money, print_parts, print_setup, put,
                                 rates_unit, round_figures, save_atomic,
                                 smallest_demand, style_header, total_unit, unit_format,
                                 with_unit, write_table)

PERCENT = SHARE
NUMBER = "#,##0.00"

# What a planner calls each Summary metric (the ids stay: other tools read them): the
# measures' table, capitalised, and the Summary's own metrics
LABELS = {
    **{m.id: m.label[0].upper() + m.label[1:] for m in MEASURE_TABLE},
    "objective": "What the plan minimises after unmet demand",
    "dependence_unit": "Closures and shares measured per",
    "discounted_cost": "Discounted cost (what the cost stage minimises)",
    "bought_for_rule": "Project bought only to meet the high-risk capex rule",
    "left_out": "Sheets left out (the note says why, and how to get them)",
    "unmet_cause": "Why demand is unmet",
    "input_file": "Input workbook",
    "input_sha256": "Input workbook checksum",
    "planner_version": "Corridor Planner version",
    "solve_seconds": "Solver: HiGHS time",
    "build_seconds": "Solver: model build time",
    "handover_seconds": "Solver: hand-over time",
    "rows": "Solver: matrix rows",
    "columns": "Solver: matrix columns",
    "nonzeros": "Solver: matrix nonzeros",
    "binaries": "Solver: start decisions (binaries)",
    "closure_copies": "Solver: closure copies in the model",
    "worst_disruption_ref": "Worst single closure in the reference plan",
    "expected_disruption_ref": "Expected share stranded in the reference plan",
}
SOLVER = ("mip_gap", "solve_seconds", "build_seconds", "handover_seconds", "rows", "columns",
          "nonzeros", "binaries", "closure_copies")


LOG_PRINT_LINES = 30  # one landscape A4 page of the Solver log (45 took two)


def label_of(metric: str) -> str:
    if metric.startswith("unmet_demand_"):
        return f"Unmet demand in {metric[len('unmet_demand_'):]}"
    if metric.startswith("stage_"):
        return f"Solver: value of stage {metric[len('stage_'):]}"
    return LABELS.get(metric, "")


def _share_limits(inst: Instance) -> dict[tuple[str, str], float]:
    """(unit, key) -> the tightest max_share limit that applies to it."""
    out: dict[tuple[str, str], float] = {}
    for lim in inst.limits:
        if lim.limit != "max_share":
            continue
        for key in ((lim.key,) if lim.key else inst.units(lim.unit)):
            out[lim.unit, key] = min(out.get((lim.unit, key), math.inf), lim.value)
    return out


def display_name(inst: Instance, unit: str, key: str) -> str:
    """The corridor's or country's name from the input, else its id."""
    table = inst.corridors if unit == "corridor" else inst.countries
    item = table.get(key)
    return (item.name if item is not None and item.name else key)


def finance_summary(inst: Instance, a: Appraisal | None) -> list[tuple]:
    """npv, bcr, eirr against the reference plan (sheet Appraisal)."""
    if a is None:
        return []
    counted = ("transport savings, unmet demand served and the expected loss avoided "
               "(loss_per_t)" if a.with_loss else
               "transport savings alone (no loss_per_t on sheet Settings)")
    unit = inst.settings.money_unit
    return [("npv", a.npv, unit, f"against {a.reference}: {counted}"
             + unmet_served_words(a) + "; sheet Appraisal"),
            ("bcr", a.bcr, "", "PV benefits / PV costs" + ("" if a.bcr is not None
                                                           else ": no new capex or opex")),
            ("eirr", a.eirr, "share", "the rate where NPV = 0" + (
                "" if a.eirr is not None else ": none, the net flows never change sign")),
            ("npv_unmet_served", a.pv["unmet_served"], unit,
             "present value of the unmet demand the plan serves beyond the reference, at "
             "loss_per_t: of the NPV's benefits, the part that is not transport savings nor "
             "expected loss avoided" + ("" if a.with_loss else " (0: no loss_per_t)"))]


def status_text(sol: Solution) -> str:
    """'optimal within 1e-04 (largest stage gap 0.002%)', or 'feasible, NOT proven optimal'."""
    if sol.status == "optimal":
        return (f"optimal within a relative gap of {sol.mip_gap:g} (largest stage gap "
                f"{sol.gap:.3%})")
    if not math.isfinite(sol.gap):  # a later stage had no time left to find a bound
        unbounded = [s.name for s in sol.stages if not math.isfinite(s.gap)]
        return (f"feasible, NOT proven optimal (time limit; no gap: stage "
                f"{', '.join(unbounded)} found no bound in time)")
    return f"feasible, NOT proven optimal (time limit; gap {sol.gap:.2%})"


def left_out_note(budget: float, by: str | None = None) -> str:
    """Why sheets were left out, and what to do: ``by`` the analysis setting that left them
    out (analysis.pipeline.analysis_level), else the command's time ``budget``."""
    if by is not None:
        why = (f"analysis is auto, which on a network this large (more than {AUTO_FULL_MOST:,} "
               "projects x closure pairs) is summary: the full analysis takes minutes"
               if by == "auto" else f"analysis is {by}")
        return (f"{why}; set analysis to full (sheet Settings) or run with --analysis full to "
                "get them")
    return (f"the analysis did not finish within the command's {budget:g} s (--time-limit x "
            "stages, reading and solving included); raise --time-limit to get them")


def summary_rows(sol: Solution, ms: Measures, unmet_causes=(),
                 appraisal: Appraisal | None = None, bought_for_rule=None,
                 left_out: tuple[str, ...] = (), budget: float = math.inf,
                 reference: Measures | None = None,
                 left_out_by: str | None = None) -> list[tuple]:
    """``bought_for_rule``: planner.analysis.bought_for_rule's findings, None where not checked;
    ``left_out``: the sheets the command's ``budget`` (seconds) did not allow; ``reference``:
    the reference plan's measures (committed projects only, the appraisal's), where known."""
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
        ("unmet_demand", ms.unmet_demand, rates_unit(s.flow_unit),
         "the periods' rates added up (what stage 1 minimises); per period: "
         "unmet_demand_<period>, over the horizon: unmet_demand_total" +
         (f"; unmet in {', '.join(unmet_periods)}: see sheet Unmet" if unmet_periods else "")),
        ("unmet_demand_total", ms.unmet_total,
         total_unit(s.flow_unit), "each period's unmet rate x its years, added up"),
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
        *reference_rows(reference),
        *finance_summary(inst, appraisal),
        ("max_captive_share", ms.max_captive_share, "share",
         "largest share of trade one country's closure strands of its transit trade (its "
         "own market's flows left out) beyond normal unmet demand, mean over measured "
         "periods (sheet Leverage, captive)"),
        *_solver_rows(sol),
    ]
    rows += _more_rows(sol, ms, unmet_periods, unmet_causes, bought_for_rule, left_out,
                       budget, left_out_by)
    return _planner_order(rows)


def reference_rows(ref: Measures | None) -> list[tuple]:
    """The reference plan's disruption, what the brief says the plan lowers it from."""
    if ref is None:
        return []
    return [("worst_disruption_ref", ref.worst_disruption, "share",
             "worst_disruption of the reference plan (committed projects only; sheet "
             "Appraisal)"),
            ("expected_disruption_ref", ref.expected_disruption, "share",
             "expected_disruption of the reference plan")]


def _solver_rows(sol: Solution) -> list[tuple]:
    """The Summary's rows of the solver's figures, the version and the input."""
    inst = sol.instance
    return [
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


def _more_rows(sol: Solution, ms: Measures, unmet_periods, unmet_causes, bought_for_rule,
               left_out, budget, left_out_by=None) -> list[tuple]:
    """The Summary's rows that come and go: unmet demand per period, why it is unmet, the
    sheets left out, projects bought for a rule, each stage's value."""
    inst = sol.instance
    s = inst.settings
    rows: list[tuple] = []
    for t in unmet_periods:
        rows.append((f"unmet_demand_{t}", ms.unmet_per_period[t],
                     s.flow_unit, f"demand not served in {t}, a yearly rate over its "
                     f"{inst.period[t].years:g} year(s)"))
    for cause in unmet_causes:
        rows.append(("unmet_cause", cause, "", "binds: relaxing it would serve more demand"))
    if left_out:
        rows.append(("left_out", ", ".join(left_out), "", left_out_note(budget, left_out_by)))
    if bought_for_rule is not None and any(lim.limit == "max_high_risk_capex_share"
                                           for lim in inst.limits):
        for found in bought_for_rule:
            rows.append(("bought_for_rule", found.project, "", found.note()))
        if not bought_for_rule:
            rows.append(("bought_for_rule", "none", "", "no project is in the plan only for "
                         "max_high_risk_capex_share: each one changes a measure, or the limit "
                         "holds without it"))
    for stage in sol.stages:  # a stage the time limit left no time for has no bound
        bound = "none" if stage.bound is None else f"{stage.bound:,.6g}"
        rows.append((f"stage_{stage.name}", stage.value, stage.status,
                     f"bound {bound}, gap {stage.gap:.3g}"))
    return rows


PLANNING = ("status", "left_out", "objective", "dependence_unit", "dependence", "worst_disruption",
            "expected_disruption", "worst_disruption_ref", "expected_disruption_ref",
            "max_corridor_share", "max_country_share", "unmet_demand",
            "unmet_demand_",
            "unmet_demand_total", "unmet_cause", "total_capex",
            "pv_cost_to_country", "external_share", "npv", "npv_unmet_served", "bcr", "eirr",
            "max_captive_share", "transport_cost",
            "discounted_cost", "bought_for_rule", "input_file", "input_sha256",
            "planner_version")


def _planner_order(rows: list[tuple]) -> list[tuple]:
    """The planning figures first, the solver's together below (readers read by id)."""
    def rank(row):
        metric = row[0]
        if metric in SOLVER or metric.startswith("stage_"):
            return len(PLANNING) + (SOLVER.index(metric) if metric in SOLVER else len(SOLVER))
        for i, key in enumerate(PLANNING):
            if metric == key or (key.endswith("_") and metric.startswith(key)
                                 and metric != "unmet_demand_total"):
                return i
        return len(PLANNING) - 1
    return sorted(rows, key=rank)


def write_summary(ws, rows, settings) -> None:
    """metric, value, unit, note, label; each value shown in its unit; the solver's figures
    (below the planning ones) in grey."""
    write_table(ws, ["metric", "value", "unit", "note", "label"], rows, widest=50,
                widths={"value": 16, "note": 50, "label": 34},
                labels={"metric": "id read by other tools", "label": "the metric in words"})
    for value, unit, metric in ((r[1], r[2], r[0]) for r in ws.iter_rows(min_row=2, max_col=3)):
        fmt = unit_format(unit.value, money_unit=settings.money_unit,
                          flow_unit=settings.flow_unit, cost_unit=settings.cost_unit)
        if fmt and '"' in fmt:  # the unit is in the next column: the number alone here
            fmt = fmt[:fmt.index('"')]
        if isinstance(value.value, bool):
            continue
        if metric.value in ("bcr", "bcr_without_resilience") and \
                isinstance(value.value, (int, float)):
            value.number_format = "0.00"
        elif metric.value == "mip_gap" and isinstance(value.value, (int, float)):
            value.number_format = "0.000%"
        elif isinstance(value.value, int):
            value.number_format = fmt or COUNT
        elif isinstance(value.value, float):
            value.number_format = fmt or "#,##0.00####"
        value.alignment = Alignment(horizontal="right", vertical="top")
        unit.alignment = Alignment(horizontal="left", indent=1, vertical="top")
    fit_columns(ws, widths={"value": 16, "note": 50, "label": 34}, widest=24,
                columns=[2], names=["value"])  # in their formats; a checksum wraps
    solver = [row[0].row for row in ws.iter_rows(min_row=2, max_col=1)
              if row[0].value in SOLVER or str(row[0].value).startswith("stage_")]
    for r in solver:
        for cell in ws[r]:
            cell.font = Font(name="Calibri", size=11, color="666666")
    print_setup(ws, landscape=True)
    if solver:  # the reader's figures on the first page(s), the solver's on a page of their own
        add_break(ws, solver[0] - 1)


def write_results(sol: Solution, ms: Measures, target: str | Path, *,
                  unmet_causes=(), appraisal: Appraisal | None = None,
                  bought_for_rule=None, value=None, leverage=None,
                  left_out: tuple[str, ...] = (), budget: float = math.inf,
                  reference: Measures | None = None, brief: bool | BriefWorker = False,
                  left_out_by: str | None = None) -> Path:
    """``value``: planner.analysis.project_value.project_value's findings (sheets Value and Chains);
    ``leverage``: planner.analysis.leverage.leverage's rows (sheet Leverage); each left out where
    None. ``left_out``: the sheets the command's time did not allow (its ``budget``,
    seconds), or the analysis setting ``left_out_by`` left out, named on the Summary.
    ``reference``: the reference plan's measures. Sheet Brief comes first, made from the
    workbook's own tables (planner/report/brief); with ``brief`` it has the map and the
    schedule as pictures, and the brief's PDF and HTML are written beside the workbook
    (brief_paths): drawn by ``brief`` where it is a BriefWorker (started with the command, it
    has matplotlib loaded by now), else by one started here."""
    inst = sol.instance
    book = Workbook()
    ws = book.active
    ws.title = "Summary"
    rows = summary_rows(sol, ms, unmet_causes, appraisal, bought_for_rule, left_out, budget,
                        reference, left_out_by)
    write_summary(ws, [(*row, label_of(row[0])) for row in rows], inst.settings)

    for writer in (write_portfolio, write_capacity, write_flows, write_exposure,
                   write_disruptions, write_budget, write_unmet, write_stages, write_nodes):
        writer(book, inst, sol, ms)
    write_financing(book, inst, ms)
    if appraisal is not None:
        write_appraisal(book, inst, appraisal)
        write_flow_value(book, inst, appraisal)
    if value is not None:
        write_value(book, inst, value)
    if leverage is not None:
        write_leverage(book, inst, leverage)

    _charts(book, inst, ms)
    write_solver_log(book, sol)
    write_legend(book)
    round_figures(book, smallest_demand(inst))  # the brief reads the figures as written
    made = brief_of({**frames_of_book(book), "_made": made_frame(book)}, drawn=bool(brief))
    if not brief:
        add_sheet(book, made)
        return save_atomic(book, target)
    with brief if isinstance(brief, BriefWorker) else BriefWorker() as worker:
        worker.render(made)  # the worker draws it on the other core
        add_sheet(book, made, worker.pictures())
        path = save_atomic(book, target)
        write_files(worker.files(), *brief_paths(path))
    return path


def write_portfolio(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Portfolio: every project, those in the plan first."""
    st = inst.settings
    M, F = money(st.money_unit), flow(st.flow_unit)
    portfolio = book.create_sheet("Portfolio")
    write_table(portfolio,
                ["project", "selected", "start_period", "usable_from", "capex", "name", "status",
                 "segments", "capacity_added", "countries", "risk_class"],
                [(p, sol.portfolio[p] is not None, sol.portfolio[p],
                  inst.usable_from(p, sol.portfolio[p]) if sol.portfolio[p] else None,
                  proj.capex, proj.name, proj.status, "; ".join(proj.segments),
                  proj.capacity_added, "; ".join(sorted(inst.project_countries[p])),
                  proj.risk_class)
                 for p, proj in sorted(inst.projects.items(),
                                       key=lambda item: sol.portfolio[item[0]] is None)],
                number_format={"capex": M, "capacity_added": F},
                labels={"selected": "in the plan", "start_period": "period it starts",
                        "usable_from": "first period its capacity can be used",
                        "capex": f"capital cost ({st.money_unit})",
                        "capacity_added": f"capacity added to each segment ({st.flow_unit})"})
    # one page width printed it at half size: what and when, then where, on a page each
    print_parts(portfolio, [("project", "status"), ("segments", "risk_class")])


def write_capacity(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Capacity: each segment's capacity and load in each period."""
    F = flow(inst.settings.flow_unit)
    write_table(book.create_sheet("Capacity"),
                ["segment", "period", "capacity", "used", "utilization", "country", "mode",
                 "from", "to"],
                [(s, t, ms.capacity[s, t], ms.used[s, t],
                  ms.used[s, t] / ms.capacity[s, t] if ms.capacity[s, t] > 0 else None,
                  seg.country, seg.mode, seg.from_node, seg.to_node)
                 for s, seg in inst.segments.items() for t in inst.period_ids],
                number_format={"utilization": PERCENT, "used": F, "capacity": F})


def write_flows(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Flows: each route's flow in each period."""
    st = inst.settings
    F = flow(st.flow_unit)
    write_table(book.create_sheet("Flows"),
                ["route", "corridor", "period", "flow", "trade_flow", "cost_per_t",
                 "corridor_name", "segments", "source"],
                [(r, route.corridor, t, sol.flows[r, t], route.flow, inst.route_cost[r],
                  inst.corridors[route.corridor].name, "; ".join(route.segments),
                  route.source)
                 for r, route in inst.routes.items() for t in inst.period_ids],
                number_format={"flow": F, "cost_per_t": with_unit(st.cost_unit, 2)})


def write_nodes(book, inst: Instance, sol: Solution = None, ms: Measures = None) -> None:
    """Sheet Nodes, as the input's (node, name, lat, lon), when the input has one: the
    corridor map of 'planner brief RESULTS.xlsx' places the network with it."""
    if not inst.nodes:
        return
    write_table(book.create_sheet("Nodes"), ["node", "name", "lat", "lon"],
                [(n.id, n.name, n.lat, n.lon) for n in inst.nodes.values()],
                number_format={"lat": "0.00", "lon": "0.00"},
                labels={"lat": "latitude (degrees north)", "lon": "longitude (degrees east)"})


def write_exposure(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Exposure: each corridor's and country's share of trade, beside its limit."""
    limits = _share_limits(inst)
    write_table(book.create_sheet("Exposure"),
                ["unit", "key", "period", "share", "limit", "name"],
                [(u, k, t, v, limits.get((u, k)), display_name(inst, u, k))
                 for (u, k, t), v in ms.share.items()],
                number_format={"share": PERCENT, "limit": PERCENT})


def write_disruptions(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Disruptions: what each closure strands in each period."""
    F = flow(inst.settings.flow_unit)
    # the dependence unit's closures first; `closure` is the corridor or country id. Stranded
    # is what the open routes cannot physically carry (no share limits in a crisis), so it can
    # be less than the normal unmet demand: both are given, and the excess
    first = inst.settings.dependence_unit
    unmet_in = ms.unmet_per_period
    write_table(book.create_sheet("Disruptions"),
                ["closure", "period", "stranded_share", "stranded", "unit", "unmet_normal",
                 "stranded_beyond_unmet", "closure_name"],
                [(k, t, v / inst.total_demand[t], v, u, unmet_in[t], max(0.0, v - unmet_in[t]),
                  display_name(inst, u, k))
                 for (u, k, t), v in
                 sorted(ms.stranded.items(), key=lambda item: item[0][0] != first)],
                number_format={"stranded_share": PERCENT, "stranded": F,
                               "unmet_normal": F, "stranded_beyond_unmet": F})
    if any(v > 0 for by_flow in ms.stranded_flows.values() for v in by_flow.values()):
        _stranded_by_flow(book["Disruptions"], inst, sol, ms)


def _stranded_by_flow(ws, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Below sheet Disruptions' table: what each closure with closure_days strands of each
    flow, the least valuable tonnes first (Measures.stranded_flows)."""
    F = flow(inst.settings.flow_unit)
    write_table(ws, list(STRANDED_BY_FLOW),
                [(key, t, k, v, sol.unmet.get((k, t), 0.0), inst.value_per_t(k, t),
                  v * (inst.value_per_t(k, t) or 0.0))
                 for (u, key, t), by_flow in ms.stranded_flows.items()
                 for k, v in by_flow.items() if v > 0],
                labels=STRANDED_BY_FLOW, top=ws.max_row + 2,
                number_format={"stranded": F, "unmet_normal": F,
                               "loss_per_t": with_unit(inst.settings.cost_unit, 0),
                               "value_stranded": money(inst.settings.money_unit)})


STRANDED_BY_FLOW = {
    "closure": "a corridor or country with closure_days",
    "period": "period", "flow": "trade flow it strands (the least valuable tonnes first)",
    "stranded": "what the closure strands of the flow",
    "unmet_normal": "the flow's unmet demand with nothing closed",
    "loss_per_t": "the flow's value a tonne (Flows, else Settings)",
    "value_stranded": "stranded x loss_per_t, a year of closure"}


def write_budget(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Budget: what the budget pays in each period, and what it could."""
    M = money(inst.settings.money_unit)
    room, drawn = available(inst, ms.draws), drawn_by_source(ms.draws)
    budget_rows = []
    for p in inst.periods:  # what the budget pays: its own draws, not the other sources'
        spent = drawn.get((BUDGET, p.id), 0)
        budget_rows.append((p.id, p.budget, spent, room[BUDGET, p.id],
                            room[BUDGET, p.id] - spent))
    write_table(book.create_sheet("Budget"),
                ["period", "budget", "spent", "available", "unspent"], budget_rows,
                number_format={name: M for name in ("budget", "spent", "available", "unspent")})


def write_unmet(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Unmet: each flow's unmet demand in each period where there is any."""
    st = inst.settings
    F = flow(st.flow_unit)
    unmet = [(k, t, v, v * inst.period[t].years) for (k, t), v in sol.unmet.items() if v > 1e-9]
    sheet = book.create_sheet("Unmet")
    if not unmet:  # said on the printed page, not in a row a reader would take for data
        sheet.oddHeader.center.text = "No demand is unmet: every flow is served in full in " \
            "every period"
    write_table(sheet, ["flow", "period", "unmet", "unmet_in_period"],
                unmet, number_format={"unmet": F,
                                      "unmet_in_period": flow(total_unit(st.flow_unit))},
                labels={"unmet_in_period": "the yearly rate x the period's years"})


def write_stages(book, inst: Instance, sol: Solution, ms: Measures) -> None:
    """Sheet Stages: each lexicographic stage's status, value, bound and effort."""
    write_table(book.create_sheet("Stages"),
                ["stage", "status", "value", "bound", "gap", "seconds", "nodes", "iterations"],
                [(s.name, s.status, s.value, s.bound, s.gap if math.isfinite(s.gap) else None,
                  s.seconds, s.nodes, s.iterations) for s in sol.stages],
                number_format={"value": "#,##0.000000", "bound": "#,##0.000000",
                               "gap": "0.000%", "seconds": with_unit("s", 2),
                               "nodes": COUNT, "iterations": COUNT})


def write_solver_log(book, sol: Solution) -> None:
    """Sheet Solver log: HiGHS's log, its last page printed."""
    log = book.create_sheet("Solver log")
    for i, line in enumerate(sol.log.splitlines()[:20000], start=1):
        put(log, i, 1, line)
    log.column_dimensions["A"].width = 120
    print_setup(log, landscape=True, title_rows=None)
    # a printed report needs the log's end (the last stage's status, gap and time), not its
    # thousands of lines: one page of them prints, the whole log stays on the sheet
    lines = min(len(sol.log.splitlines()), 20000)
    if lines > LOG_PRINT_LINES:
        log.print_area = f"A{lines - LOG_PRINT_LINES + 1}:A{lines}"


def _charts(book, inst: Instance, ms: Measures) -> None:
    """Share of trade by corridor per period; share stranded by each corridor closure and by
    each country closure (only those that strand something, most severe first). Each chart
    on a print page of its own, below its table."""
    ws = book.create_sheet("Charts")
    periods = [t for t in inst.period_ids if inst.total_demand[t] > 0]
    corridors = [g for g in inst.corridors
                 if any(ms.share.get(("corridor", g, t), 0.0) > 1e-9 for t in periods)]
    row = 1
    if periods and corridors:
        put(ws, row, 1, "corridor")
        for j, t in enumerate(periods, start=2):
            put(ws, row, j, t)
        for i, g in enumerate(corridors, start=row + 1):
            put(ws, i, 1, display_name(inst, "corridor", g))
            for j, t in enumerate(periods, start=2):
                put(ws, i, j, ms.share.get(("corridor", g, t), 0.0)).number_format = PERCENT
        for j in range(1, len(periods) + 2):
            style_header(ws.cell(row=row, column=j))
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title = "Share of trade by corridor"
        chart.y_axis.title, chart.y_axis.number_format = "share of trade (%)", "0%"
        chart.x_axis.title = "period"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.add_data(Reference(ws, min_col=1, max_col=1 + len(periods), min_row=row + 1,
                                 max_row=row + len(corridors)), titles_from_data=True,
                       from_rows=True)
        chart.set_categories(Reference(ws, min_col=2, max_col=1 + len(periods), min_row=row))
        chart.legend.position = "r"
        row = chart_page(ws, chart, row + len(corridors) + 2, height_cm=11, block_top=row)
    for unit, what in (("corridor", "corridor"), ("country", "transit country")):
        row = _stranded_chart(ws, inst, ms, periods, unit, what, row)
    if not any(v > 1e-9 for v in ms.stranded.values()):
        put(ws, row + 1, 1, "no closure strands any trade: every corridor and country closure "
            "leaves routes enough for all demand (sheet Disruptions)")
    if ws.max_row > 1:
        longest = max(len(str(c.value or "")) for c in ws["A"]
                      if not str(c.value or "").startswith("Not charted"))
        ws.column_dimensions["A"].width = min(75, max(24, longest + 2))  # names unwrapped
        for j in range(2, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(j)].width = 10
    print_setup(ws, landscape=True, title_rows=None)


MARKET = " (destination market)"


def _stranded_chart(ws, inst: Instance, ms: Measures, periods, unit: str, what: str,
                    row: int) -> int:
    """The table and bar chart of one unit's closures; returns the next free row.

    A country's closure strands the flows whose market it is (China for the China trade:
    every route of the flow ends there) whatever is built: no portfolio can insure against
    that, and it is no transit dependence (Instance.market). So a country's row holds what
    its closure strands of the other flows, the trade that crosses it in transit, and the
    trade of its own market is a row of its own, named '(destination market)', below the
    transit rows and a note, but not in the chart, whose scale is then the transit
    countries' own."""
    market = {(k, t): inst.market_demand(k, t) if unit == "country" else 0.0
              for (u, k, t) in ms.stranded if u == unit}

    def share(k, t):
        return (ms.stranded.get((unit, k, t), 0.0) - market.get((k, t), 0.0)) \
            / inst.total_demand[t]

    def market_share(k, t):
        return market.get((k, t), 0.0) / inst.total_demand[t]
    keys = {k for (u, k, _) in ms.stranded if u == unit}
    severity = {k: max(share(k, t) for t in periods) for k in keys} if periods else {}
    transit = sorted((k for k in keys if severity[k] > 1e-9),
                     key=lambda k: (-severity[k], display_name(inst, unit, k)))
    reach = {k: max(market_share(k, t) for t in periods) for k in keys} if periods else {}
    markets = sorted((k for k in keys if reach[k] > 1e-9),
                     key=lambda k: (-reach[k], display_name(inst, unit, k)))
    if not (transit or markets) or not periods:
        return row
    # (name, share of period t) of each row: the transit rows, then the markets'
    rows = [(display_name(inst, unit, k), lambda t, k=k: share(k, t)) for k in transit] + \
        [(display_name(inst, unit, k) + MARKET, lambda t, k=k: market_share(k, t))
         for k in markets]
    charted = len(transit) or len(markets)  # markets alone: chart them
    apart = [name for name, _ in rows[charted:]]
    top = row
    put(ws, top, 1, f"{what} closed")
    for j, t in enumerate(periods, start=2):
        put(ws, top, j, t)
    for j in range(1, len(periods) + 2):
        style_header(ws.cell(row=top, column=j))
    for i, (name, of) in enumerate(rows, start=top + 1):
        put(ws, i, 1, name)
        for j, t in enumerate(periods, start=2):
            put(ws, i, j, of(t)).number_format = PERCENT
    end = top + len(rows)
    if apart:
        note = put(ws, end + 1, 1, f"Not charted: {', '.join(apart)}: the trade that ends "
                                   "there is stranded whatever is built; the rows above "
                                   "count the trade that crosses each country in transit.")
        note.font = Font(name="Calibri", size=10, italic=True, color="555555")
        end += 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = f"Share of trade stranded by closing one {what}"
    chart.x_axis.title = f"{what} closed (most severe first)"
    chart.y_axis.title = "share of trade stranded (%)"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.x_axis.scaling.orientation = "maxMin"  # the first row (most severe) on top
    chart.y_axis.crosses = "max"  # keeps the value axis at the bottom
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(periods), min_row=top,
                             max_row=top + charted), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + charted))
    chart.legend.position = "r"
    height = min(14.0, max(8.0, 1.0 + 0.9 * charted))
    start = end + 2
    together = (start - top) + int(height / ROW_CM) <= PAGE_ROWS  # table and chart on one page
    return chart_page(ws, chart, start, height_cm=height, block_top=top if together else None)
