"""The robust plan's workbook: each scenario against its own optimum, the portfolio, a summary."""

from __future__ import annotations

from openpyxl import Workbook

from planner.report.compare import portfolio_changes
from planner.robust import RobustPlan
from planner.xlsx import save_atomic, write_table


def write_robust(plan: RobustPlan, target):
    book = Workbook()
    ws = book.active
    ws.title = "Robust"
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
                     s.measures.max_captive_share))
    # the finance columns after the ones other tools read
    write_table(ws, ["scenario", "dependence_robust", "dependence_own_optimum", "difference",
                     "capex_robust", "capex_own_optimum", "own_status",
                     "robust_adds_vs_own", "robust_drops_vs_own", "npv_robust", "bcr_robust",
                     "eirr_robust", "pv_cost_to_country_robust", "external_share_robust",
                     "npv_own_optimum", "max_captive_share_robust"], rows,
                number_format={"dependence_robust": "0.00%",
                               "dependence_own_optimum": "0.00%", "difference": "0.00%",
                               "eirr_robust": "0.0%", "external_share_robust": "0.0%",
                               "npv_robust": "#,##0", "npv_own_optimum": "#,##0",
                               "pv_cost_to_country_robust": "#,##0", "bcr_robust": "0.00",
                               "max_captive_share_robust": "0.0%"},
                widths={"robust_adds_vs_own": 30, "robust_drops_vs_own": 30})
    base = plan.scenarios[0].instance
    write_table(book.create_sheet("Portfolio"),
                ["project", "selected", "start_period", "usable_from", "capex"],
                [(p, t is not None, t, base.usable_from(p, t) if t else None,
                  base.projects[p].capex) for p, t in plan.portfolio.items()])
    write_table(book.create_sheet("Summary"), ["metric", "value"],
                [("status", plan.status), ("objective", plan.objective),
                 ("worst_scenario_dependence", plan.worst_dependence),
                 ("seconds", plan.seconds)])
    return save_atomic(book, target)
