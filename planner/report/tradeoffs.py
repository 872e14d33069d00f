"""The frontier's workbook: each point's target, dependence, capex and marginal cost, the
portfolios side by side, and the price-of-resilience chart."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series

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
                     "; ".join(chosen)))
    write_table(ws, ["point", "target", "dependence", "capex", "usd_m_per_point", "status",
                     "projects"], rows, widths={"projects": 80},
                number_format={"target": "0.00%", "dependence": "0.00%"})
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
