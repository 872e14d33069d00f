"""The robust plan's workbook: each scenario against its own optimum, the portfolio, a summary."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from planner.report.columns import write_legend
from planner.report.compare import OBJECTIVE_WORDS, portfolio_changes
from planner.studies.robust import RobustPlan
from planner.report.xlsx import (SHARE, chart_page, fit_columns, flow, money, print_parts,
                          print_setup, put, rates_unit, save_results, smallest_demand,
                          style_header, write_table)


def write_robust(plan: RobustPlan, target):
    book = Workbook()
    ws = book.active
    ws.title = "Robust"
    first = plan.scenarios[0].instance.settings
    unit_money = first.money_unit
    M, R = money(first.money_unit), flow(rates_unit(first.flow_unit))
    words = OBJECTIVE_WORDS.get(plan.objective, "dependence")
    rows = []
    for s in plan.scenarios:
        unit = s.instance.settings.dependence_unit
        mine = s.measures.dependence(plan.objective, unit)
        own = s.own.measures.dependence(s.own.solution.objective, unit) \
            if s.own.solution else None
        adds, drops, _ = portfolio_changes(s.own.solution.portfolio, plan.portfolio) \
            if s.own.solution else ([], [], [])
        a = s.appraisal
        own_npv = s.own.appraisal.npv if s.own.appraisal is not None else None
        rows.append((s.name, mine, own, None if own is None else mine - own,
                     s.measures.total_capex,
                     s.own.measures.total_capex if s.own.solution else None,
                     s.own.status, "; ".join(adds), "; ".join(drops),
                     a.npv if a else None, a.bcr if a else None, a.eirr if a else None,
                     s.measures.pv_cost_to_country, s.measures.external_share, own_npv,
                     s.measures.unmet_demand,
                     s.own.measures.unmet_demand if s.own.solution else None,
                     s.measures.max_captive_share))
    # the finance columns after the ones other tools read
    write_table(ws, ["scenario", "dependence_robust", "dependence_own_optimum", "difference",
                     "capex_robust", "capex_own_optimum", "own_status",
                     "robust_adds_vs_own", "robust_drops_vs_own", "npv_robust", "bcr_robust",
                     "eirr_robust", "pv_cost_to_country_robust", "external_share_robust",
                     "npv_own_optimum", "unmet_demand_robust", "unmet_demand_own_optimum",
                     "max_captive_share_robust"], rows,
                number_format={"dependence_robust": "0.0%",
                               "dependence_own_optimum": "0.0%", "difference": "+0.0%;-0.0%",
                               "eirr_robust": SHARE, "external_share_robust": SHARE,
                               "npv_robust": M, "npv_own_optimum": M,
                               "capex_robust": M, "capex_own_optimum": M,
                               "pv_cost_to_country_robust": M, "bcr_robust": "0.00",
                               "unmet_demand_robust": R, "unmet_demand_own_optimum": R,
                               "max_captive_share_robust": SHARE},
                labels={"difference": "robust less own optimum, percentage points",
                        "unmet_demand_robust": "per-period rates added up"})
    print_setup(ws, landscape=True)
    # 18 columns fitted to one page width printed at a third of their size: three pages
    # instead, each with the scenario names: dependence and capex against the own optimum;
    # what the robust portfolio adds and drops, and its worth; its cost to the country, the
    # optimum's NPV, unmet demand and captive share
    print_parts(ws, [("scenario", "own_status"), ("robust_adds_vs_own", "eirr_robust"),
                     ("pv_cost_to_country_robust", "max_captive_share_robust")])
    base = plan.scenarios[0].instance
    write_table(book.create_sheet("Portfolio"),
                ["project", "selected", "start_period", "usable_from", "capex", "name"],
                [(p, t is not None, t, base.usable_from(p, t) if t else None,
                  base.projects[p].capex, base.projects[p].name)
                 for p, t in plan.portfolio.items()], number_format={"capex": M})
    summary = book.create_sheet("Summary")
    write_table(summary, ["metric", "value", "unit", "label"],
                [("status", plan.status, "", "solver status"),
                 ("objective", plan.objective, "", "what the plan minimises in the worst "
                  "scenario"),
                 ("worst_scenario_dependence", plan.worst_dependence, "share",
                  f"{words} in the worst scenario"),
                 ("seconds", plan.seconds, "s", "solver time")])
    summary["B4"].number_format = SHARE
    summary["B5"].number_format = "0.0"  # the unit is in the next column
    _charts(book, plan, words, unit_money)
    write_legend(book)
    return save_results(book, target, smallest_demand(*(s.instance for s in plan.scenarios)))


def _charts(book, plan: RobustPlan, words: str, unit: str) -> None:
    """Per scenario: the robust portfolio's dependence against the scenario's own optimum,
    and the two capexes; each with its table, on a print page of its own."""
    ws = book.create_sheet("Charts")
    names = [s.name for s in plan.scenarios]
    blocks = [("dependence", f"{words} (% of trade)", SHARE, "0%",
               [s.measures.dependence(plan.objective, s.instance.settings.dependence_unit)
                for s in plan.scenarios],
               [s.own.measures.dependence(s.own.solution.objective,
                                          s.instance.settings.dependence_unit)
                if s.own.solution else None for s in plan.scenarios]),
              ("capex", f"total capex ({unit})", money(unit), "#,##0",
               [s.measures.total_capex for s in plan.scenarios],
               [s.own.measures.total_capex if s.own.solution else None
                for s in plan.scenarios])]
    row = 1
    for key, label, fmt, axis, robust, own in blocks:
        for j, head in enumerate(("scenario", "robust portfolio", "own optimum"), start=1):
            style_header(put(ws, row, j, head))
        for i, (name, a, b) in enumerate(zip(names, robust, own), start=row + 1):
            put(ws, i, 1, name)
            put(ws, i, 2, a).number_format = fmt
            put(ws, i, 3, b).number_format = fmt
        chart = BarChart()
        chart.title = ("Dependence" if key == "dependence" else "Capex") + \
            " per scenario: the robust portfolio and the scenario's own optimum"
        chart.y_axis.title, chart.y_axis.number_format = label, axis
        chart.x_axis.title = "scenario"
        chart.y_axis.scaling.min = 0
        chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=row,
                                 max_row=row + len(names)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=row + 1,
                                       max_row=row + len(names)))
        chart.legend.position = "b"
        row = chart_page(ws, chart, row + len(names) + 2, height_cm=10, block_top=row)
    fit_columns(ws)
    print_setup(ws, landscape=True, title_rows=None)
