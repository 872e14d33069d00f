"""The frontier's workbook: each point's target, dependence, capex and marginal cost, the
portfolios side by side, and the price-of-resilience chart."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter

from planner.report.columns import write_legend
from planner.report.compare import (FINANCE, LEVERAGE, OBJECTIVE_WORDS, measures_of,
                                    portfolio_changes, unique)
from planner.studies.tradeoffs import FrontierPoint, dependence_of
from planner.report.xlsx import (PAGE_ROWS, SHARE, chart_page, columns_for, flow, money,
                          print_parts, print_setup, rates_unit, save_results,
                          smallest_demand, write_table)


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
    inst = next((p.outcome.solution.instance for p in points if p.outcome.solution), None)
    unit = inst.settings.money_unit if inst else "USD m"
    flow_unit = inst.settings.flow_unit if inst else "Mt/yr"
    steps = step_labels(points)
    rows = [(*row, step) for row, step in zip(rows, steps)]
    M = money(unit)
    last = write_table(
        ws, ["point", "target", "dependence", "capex", "usd_m_per_point", "status",
             "projects", "unmet_demand", "serves_less", *FINANCE, *LEVERAGE, "step"], rows,
        widths={"serves_less": 12}, widest=30,  # narrow: the chart below prints large
        number_format={"target": "0.0%", "dependence": "0.0%", "capex": M,
                       "usd_m_per_point": money(f"{unit} per point"),
                       "unmet_demand": flow(rates_unit(flow_unit)), "eirr": SHARE,
                       "external_share": SHARE, "npv": M, "pv_cost_to_country": M,
                       "bcr": "0.00", "max_captive_share": SHARE},
        labels={"target": "the dependence the point may not exceed",
                "dependence": "the objective's measure reached (share of trade)",
                "usd_m_per_point": f"{unit} of capex per percentage point of dependence "
                                   "removed against the point before",
                "step": "what the point's portfolio adds (+) and drops (-) against the one "
                        "before"})
    write_table(book.create_sheet("Notes"), ["column", "note"], _notes(points),
                widths={"note": 110})
    projects = sorted({p for point in points if point.outcome.solution
                       for p in point.outcome.solution.portfolio})
    names = [p.outcome.name for p in points]
    name_column = unique("project_name", ["project"] + names)  # after the points' columns
    write_table(book.create_sheet("Portfolios"), ["project"] + names + [name_column],
                [[p] + [point.outcome.solution.portfolio.get(p) if point.outcome.solution
                        else None for point in points] + [inst.projects[p].name or None]
                 for p in projects], widths={name_column: 36})
    objective = next((p.outcome.solution.objective for p in points if p.outcome.solution), "")
    chart = frontier_chart(ws, len(rows), OBJECTIVE_WORDS.get(objective, "dependence"), unit)
    # below its table, where it is seen with it, on a print page of its own
    end = chart_page(ws, chart, last + 2, width_cm=25, height_cm=16, own_range=True)
    print_setup(ws, landscape=True)
    # 16 columns fitted to one page width printed at 40%: the table in two parts, each with
    # the points' names, then the chart, each part fitted to its own width
    print_parts(ws, [("point", "serves_less"), ("npv", "step")], rows=(1, last),
                extra=(f"A{last + 2}:{columns_for(ws, chart.width)}{end}",))
    if last <= PAGE_ROWS:  # a table on one page needs no header repeated: it would print
        ws._print_rows = None  # above the chart, on the chart's page, alone
    write_legend(book)
    return save_results(book, target, smallest_demand(
        *(p.outcome.solution.instance for p in points if p.outcome.solution)))


def step_labels(points: list[FrontierPoint]) -> list[str]:
    """'status quo' for the first point; then what each point adds and drops against the one
    before, by project name ('same portfolio' when nothing changes)."""
    out, before = [], None
    for point in points:
        sol = point.outcome.solution
        if sol is None:
            out.append(point.outcome.status)
            continue
        if before is None:
            out.append("status quo")
        else:
            adds, drops, _ = portfolio_changes(before, sol.portfolio)
            names = sol.instance.projects
            words = [f"+ {names[p].name or p}" for p in adds] + \
                [f"- {names[p].name or p}" for p in drops] + \
                [f"{names[p].name or p} {before[p]} -> {t}" for p, t in sol.portfolio.items()
                 if t and before.get(p) and before[p] != t]
            out.append("; ".join(words) or "same portfolio")
        before = sol.portfolio
    return out


def frontier_chart(ws, count: int, words: str, unit: str) -> ScatterChart:
    """Capex against dependence: straight segments between the points (no smoothing: only
    the points are portfolios), each point labelled with its step (column 'step'). Points
    that coincide (the same capex and dependence: two targets the same portfolio reaches)
    are drawn and labelled once, the label naming them all, so no label covers another."""
    chart = ScatterChart()
    chart.title = "Price of resilience: least capex for each dependence target"
    chart.style = 13
    chart.scatterStyle = "lineMarker"
    chart.x_axis.title = f"dependence: {words} (% of trade)"
    chart.y_axis.title = f"capex ({unit})"
    chart.x_axis.number_format, chart.y_axis.number_format = "0%", "#,##0"
    chart.x_axis.scaling.min = 0
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = chart.y_axis.delete = False
    line = Series(Reference(ws, min_col=4, min_row=2, max_row=1 + count),
                  Reference(ws, min_col=3, min_row=2, max_row=1 + count), title="least capex")
    line.smooth = False
    line.marker.symbol = "none"
    line.graphicalProperties.line.solidFill = "4472C4"
    chart.series.append(line)
    header = [c.value for c in ws[1]]  # the labels' column found by its id, not counted
    step = get_column_letter(header.index("step") + 1)
    groups = coinciding(ws, count, header)
    places = label_places(ws, groups, header)
    for rows, place in zip(groups, places):
        i = rows[0]
        point = Series(Reference(ws, min_col=4, min_row=i), Reference(ws, min_col=3, min_row=i),
                       title_from_data=False)
        if len(rows) == 1:
            point.tx = SeriesLabel(strRef=StrRef(f"'{ws.title}'!${step}${i}"))
        else:  # one label for the points drawn on one another
            point.tx = SeriesLabel(v=merged_label(ws, rows, header))
        point.smooth = False
        point.marker.symbol = "circle"
        point.marker.size = 8
        point.marker.graphicalProperties.solidFill = "4472C4"
        point.graphicalProperties.line.noFill = True
        point.dLbls = DataLabelList()
        point.dLbls.showSerName = True
        point.dLbls.showVal = point.dLbls.showCatName = point.dLbls.showLegendKey = False
        point.dLbls.position = place
        chart.series.append(point)
    chart.legend = None
    return chart


def coinciding(ws, count: int, header: list) -> list[list[int]]:
    """The Frontier rows (2 .. count + 1) grouped by their point on the chart: rows with the
    same capex and dependence (as shown, to 0.1 USD m and 0.01 percentage point) together, in
    row order; rows without a portfolio are left out."""
    dep, capex = header.index("dependence") + 1, header.index("capex") + 1
    groups: dict[tuple, list[int]] = {}
    for i in range(2, 2 + count):
        x, y = ws.cell(row=i, column=dep).value, ws.cell(row=i, column=capex).value
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            groups.setdefault((round(x, 4), round(y, 1)), []).append(i)
    return sorted(groups.values())


def label_places(ws, groups: list[list[int]], header: list) -> list[str]:
    """Where each point's label goes, off the line: the status quo (the first, rightmost
    point) right of it, the last (leftmost, dearest) left of it; a point between them below
    it where the line to its right falls gently (the label would sit on that line), else
    left of it."""
    dep, capex = header.index("dependence") + 1, header.index("capex") + 1
    at = [(ws.cell(row=g[0], column=dep).value, ws.cell(row=g[0], column=capex).value)
          for g in groups]
    width = max((x for x, _ in at), default=0) or 1.0
    height = max((y for _, y in at), default=0) or 1.0
    places = []
    for k, (x, y) in enumerate(at):
        if k == 0:
            places.append("r")
        elif k == len(at) - 1:
            places.append("l")
        else:  # the segment to the point before (right of this one), in the chart's scale
            (x0, y0) = at[k - 1]
            run, rise = abs(x0 - x) / width, abs(y - y0) / height
            places.append("b" if rise < 0.5 * max(run, 1e-9) else "l")
    return places


def merged_label(ws, rows: list[int], header: list) -> str:
    """'point 2 = point 3: + Sarzha terminal': the points' names, then their steps (each
    once; 'same portfolio' says nothing the first step does not)."""
    name, step = header.index("point") + 1, header.index("step") + 1
    steps = []
    for i in rows:
        text = str(ws.cell(row=i, column=step).value or "")
        if text and text not in steps and (text != "same portfolio" or i == rows[0]):
            steps.append(text)
    names = " = ".join(str(ws.cell(row=i, column=name).value) for i in rows)
    return f"{names}: {' / '.join(steps)}"


def _finance(o) -> tuple:
    """npv, bcr, eirr, pv_cost_to_country, external_share, max_captive_share of an outcome
    (blank without)."""
    m = measures_of(o)
    return tuple(m.get(name) for name in FINANCE + LEVERAGE)


def _notes(points: list[FrontierPoint]) -> list[tuple[str, str]]:
    """What the Frontier sheet's derived columns mean, and the plan they are read against."""
    plan = points[0].plan_unmet if points else 0.0
    inst = next((p.outcome.solution.instance for p in points if p.outcome.solution), None)
    unit = inst.settings.flow_unit if inst else "Mt/yr"
    return [
        ("usd_m_per_point", "capex difference to the point before, over the percentage points "
         "of dependence it removes. Blank where the dependence does not fall, and where the "
         "two points' unmet demand differs: the capex difference would then also price "
         "trade dropped or served, not resilience alone."),
        ("unmet_demand", "demand the point's portfolio does not serve, summed over periods "
         f"(the plan, solved without a target: {plan:,.1f} {rates_unit(unit)})"),
        ("serves_less", "TRUE: the point leaves more demand unmet than the plan, so its "
         "dependence is reached partly by dropping trade (under max_share, trade not carried "
         "lowers every share); read its capex with that in mind."),
    ]
