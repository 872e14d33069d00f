"""The frontier's workbook: each point's target, dependence, capex and marginal cost, the
portfolios side by side, and the price-of-resilience chart."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series

from planner.report.compare import FINANCE, LEVERAGE, measures_of
from planner.tradeoffs import FrontierPoint, dependence_of
from planner.xlsx import save_atomic, write_table


def write_frontier(points: list[FrontierPoint], target: str | Path) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = "Frontier"
    rows = []
    for point in points:
        o = point.outcome
        chosen = [p for p, t in o.solution.portfolio.items() if t] if o.solution else []
        rows.append((o.name, point.target, dependence_of(o) if o.solution else None,
                     o.measures.total_capex if o.solution else None, point.marginal, o.status,
                     "; ".join(chosen), o.measures.unmet_demand if o.solution else None,
                     point.serves_less if o.solution else None, *_finance(o)))
    # new columns go after the existing ones: their places are read by other tools
    write_table(ws, ["point", "target", "dependence", "capex", "usd_m_per_point", "status",
                     "projects", "unmet_demand", "serves_less", *FINANCE, *LEVERAGE], rows,
                widths={"projects": 80, "serves_less": 12},
                number_format={"target": "0.00%", "dependence": "0.00%",
                               "unmet_demand": "#,##0.000", "eirr": "0.0%",
                               "external_share": "0.0%", "npv": "#,##0",
                               "pv_cost_to_country": "#,##0", "bcr": "0.00",
                               "max_captive_share": "0.0%"})
    write_table(book.create_sheet("Notes"), ["column", "note"], _notes(points),
                widths={"note": 110})
    projects = sorted({p for point in points if point.outcome.solution
                       for p in point.outcome.solution.portfolio})
    write_table(book.create_sheet("Portfolios"), ["project"] + [p.outcome.name for p in points],
                [[p] + [point.outcome.solution.portfolio.get(p) if point.outcome.solution
                        else None for point in points] for p in projects])
    chart = ScatterChart()
    chart.title = "Price of resilience: least capex for each dependence target"
    chart.x_axis.title, chart.y_axis.title = "dependence (share of trade)", "capex (USD m)"
    chart.x_axis.number_format = "0%"
    series = Series(Reference(ws, min_col=4, min_row=2, max_row=1 + len(rows)),
                    Reference(ws, min_col=3, min_row=2, max_row=1 + len(rows)),
                    title="least capex")
    series.marker.symbol = "circle"
    chart.series.append(series)
    chart.width, chart.height = 18, 10
    ws.add_chart(chart, "I2")
    return save_atomic(book, target)


def _finance(o) -> tuple:
    """npv, bcr, eirr, pv_cost_to_country, external_share, max_captive_share of an outcome
    (blank without)."""
    m = measures_of(o)
    return tuple(m.get(name) for name in FINANCE + LEVERAGE)


def _notes(points: list[FrontierPoint]) -> list[tuple[str, str]]:
    """What the Frontier sheet's derived columns mean, and the plan they are read against."""
    plan = points[0].plan_unmet if points else 0.0
    return [
        ("usd_m_per_point", "capex difference to the point before, over the percentage points "
         "of dependence it removes. Blank where the dependence does not fall, and where the "
         "two points' unmet demand differs: the capex difference would then also price "
         "trade dropped or served, not resilience alone."),
        ("unmet_demand", "demand the point's portfolio does not serve, summed over periods "
         f"(the plan, solved without a target: {plan:,.3f})"),
        ("serves_less", "TRUE: the point leaves more demand unmet than the plan, so its "
         "dependence is reached partly by dropping trade (under max_share, trade not carried "
         "lowers every share); read its capex with that in mind."),
    ]
