"""Comparison workbooks: several portfolios side by side (scenarios, alternatives, two results
files), with what each adds and drops against the first."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment

from planner.analysis.measures import MEASURE_TABLE
from planner.studies.batch import Outcome
from planner.report.columns import write_legend
from planner.report.xlsx import (SHARE, chart_page, fit_columns, flow, money, print_setup, put,
                          rates_unit, save_results, style_header, total_unit, write_table)

MEASURES = ("dependence", "unmet_demand", "total_capex", "transport_cost", "worst_disruption",
            "expected_disruption", "max_corridor_share", "max_country_share", "mip_gap")
# after MEASURES, so the rows that readers know keep their places
FINANCE = ("npv", "bcr", "eirr", "pv_cost_to_country", "external_share")
# after FINANCE: what the largest transit country holds captive (planner/analysis/leverage.py)
LEVERAGE = ("max_captive_share",)

# after FINANCE, for the same reason
EXTRA = ("unmet_demand_total",)

# after LEVERAGE: the part of the NPV's benefits that is unmet demand served (sheet Appraisal)
APPRAISAL = ("npv_unmet_served",)

# measure -> (kind of number, what a planner calls it): the measures' table, and the words
# the comparison uses for the objective (the Summary says what the plan minimises)
INFO = {"objective": ("text", "what was minimised after unmet demand"),
        **{m.id: (m.kind, m.label) for m in MEASURE_TABLE}}
OBJECTIVE_WORDS = {
    "worst_disruption": "worst single-closure disruption",
    "expected_disruption": "expected disruption",
    "max_share": "largest corridor or country share",
    "cost": "worst single-closure disruption",  # a cost plan is scored on the worst closure
}


def number_format(kind: str, money_unit: str = "USD m", flow_unit: str = "Mt/yr") -> str | None:
    return {"share": SHARE, "money": money(money_unit), "flow": flow(flow_unit),
            "total": flow(total_unit(flow_unit)), "rates": flow(rates_unit(flow_unit)),
            "gap": "0.000%", "ratio": "0.00"}.get(kind)


def measures_of(outcome: Outcome) -> dict[str, object]:
    """Every measure of an outcome by name (blank where it has no portfolio)."""
    out: dict[str, object] = {"status": outcome.status}
    if outcome.solution is None:
        return out
    sol, ms = outcome.solution, outcome.measures
    out["objective"] = sol.objective
    out["dependence"] = ms.dependence(sol.objective, sol.instance.settings.dependence_unit)
    for name in MEASURES[1:-1]:
        out[name] = getattr(ms, name)
    out["mip_gap"] = sol.gap
    out["unmet_demand_total"] = ms.unmet_total
    out["pv_cost_to_country"] = ms.pv_cost_to_country
    out["external_share"] = ms.external_share
    out["max_captive_share"] = ms.max_captive_share
    if outcome.appraisal is not None:
        a = outcome.appraisal
        out.update(npv=a.npv, bcr=a.bcr, eirr=a.eirr, npv_unmet_served=a.pv["unmet_served"])
    return out


def portfolio_changes(base: dict[str, str | None], other: dict[str, str | None]):
    """(adds, drops, moves) of ``other`` against ``base``: project lists; moves carry periods."""
    adds = sorted(p for p, t in other.items() if t and not base.get(p))
    drops = sorted(p for p, t in base.items() if t and not other.get(p))
    moves = sorted(f"{p} {base[p]}->{t}" for p, t in other.items()
                   if t and base.get(p) and base[p] != t)
    return adds, drops, moves


def unique(name: str, taken: list[str]) -> str:
    """``name``, or ``name (2)`` ... where a portfolio already has that name."""
    out, k = name, 2
    while out in taken:
        out, k = f"{name} ({k})", k + 1
    return out


def changes_in_words(base: dict[str, str | None], other: dict[str, str | None],
                     names: dict[str, str]) -> str | None:
    """What ``other`` adds, drops and moves against ``base``, by project name with the id:
    'adds Aktau port container hub (P07); moves Poti port (P14) 2026 -> 2032'."""
    def named(p):
        return f"{names[p]} ({p})" if names.get(p) else p
    adds, drops, _ = portfolio_changes(base, other)
    moves = [f"{named(p)} {base[p]} -> {t}" for p, t in sorted(other.items())
             if t and base.get(p) and base[p] != t]
    parts = [f"{verb} {', '.join(items)}" for verb, items in
             (("adds", [named(p) for p in adds]), ("drops", [named(p) for p in drops]),
              ("moves", moves)) if items]
    return "; ".join(parts) or "the same portfolio"


def write_comparison(columns: list[tuple[str, dict[str, object], dict[str, str | None]]],
                     target: str | Path, *, title: str = "Comparison",
                     definitions: list[tuple] = (), notes: list[tuple] = (),
                     settings: list[tuple] = (), projects: dict[str, str] | None = None,
                     money_unit: str = "USD m", flow_unit: str = "Mt/yr",
                     demand: float | None = None) -> Path:
    """``columns``: (name, measures, portfolio) per portfolio; the first is the reference.
    ``settings``: (setting, value, note) rows of sheet Settings: how the portfolios were
    found (alternatives: the tolerance on dependence). ``projects``: id -> display name
    (sheet Projects). ``demand``: the smallest period demand of the portfolios' instances, for
    the shares' tolerance (planner.report.xlsx.round_figures; None: figures read from results
    workbooks, rounded when those were written)."""
    book = Workbook()
    ws = book.active
    ws.title = "Measures"
    names = [name for name, _, _ in columns]
    keys = ["status", "objective"] + list(MEASURES) + list(FINANCE) + list(EXTRA) + \
        list(LEVERAGE) + list(APPRAISAL)
    write_table(ws, ["measure"] + names,
                [[key] + [m.get(key) for _, m, _ in columns] for key in keys],
                widths={"measure": 22})
    for i, key in enumerate(keys, start=2):
        kind, label = INFO.get(key, ("", ""))
        fmt = number_format(kind, money_unit, flow_unit)
        ws.cell(row=i, column=1).comment = Comment(label, "planner", width=260, height=50) \
            if label else None
        for j in range(2, len(names) + 2):
            cell = ws.cell(row=i, column=j)
            if fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    fit_columns(ws, widths={"measure": 22}, names=["measure"] + names)  # in their formats
    print_setup(ws)
    _labels(book, keys, money_unit, flow_unit)

    projects = projects or {}
    ids = sorted({p for _, _, portfolio in columns for p in portfolio})
    # the project's name after the portfolios' columns, whose places readers know
    name_column = unique("project_name", ["project"] + names)
    write_table(book.create_sheet("Starts"), ["project"] + names + [name_column],
                [[p] + [portfolio.get(p) for _, _, portfolio in columns] +
                 [projects.get(p) or None] for p in ids],
                widths={name_column: 36})

    base = columns[0][2]
    rows = []
    for name, _, portfolio in columns[1:]:
        adds, drops, moves = portfolio_changes(base, portfolio)
        rows.append((name, "; ".join(adds), "; ".join(drops), "; ".join(moves),
                     changes_in_words(base, portfolio, projects)))
    write_table(book.create_sheet("Changes"),
                ["portfolio", f"adds vs {names[0]}", f"drops vs {names[0]}", "moves",
                 "in_words"], rows,
                widths={f"adds vs {names[0]}": 16, f"drops vs {names[0]}": 16, "moves": 16,
                        "in_words": 50}, widest=50)

    if definitions:
        write_table(book.create_sheet("Definitions"), ["scenario", "change", "target", "value"],
                    list(definitions))
    if settings:
        sheet = book.create_sheet("Settings")
        write_table(sheet, ["setting", "value", "note"], list(settings), widths={"note": 80})
        for value, note in sheet.iter_rows(min_row=2, min_col=2, max_col=3):
            if isinstance(value.value, float) and "share" in str(note.value):
                value.number_format = SHARE
    if notes:
        write_table(book.create_sheet("Notes"), ["portfolio", "note"], list(notes),
                    widths={"note": 100})
    if projects:
        write_table(book.create_sheet("Projects"), ["project", "name"],
                    [(p, projects.get(p, "")) for p in ids])
    _chart(book, columns, money_unit, flow_unit)
    book.properties.title = title
    write_legend(book)
    return save_results(book, target, demand)


def _labels(book, keys, money_unit: str, flow_unit: str) -> None:
    """Sheet Labels: each measure id of sheet Measures in words, with its unit."""
    units = {"share": "% of trade", "money": money_unit, "flow": flow_unit,
             "total": total_unit(flow_unit), "rates": rates_unit(flow_unit),
             "gap": "%", "ratio": "ratio", "text": ""}
    write_table(book.create_sheet("Labels"), ["measure", "label", "unit"],
                [(k, INFO.get(k, ("", ""))[1], units.get(INFO.get(k, ("", ""))[0], ""))
                 for k in keys])


def dependence_words(measures: list[dict]) -> str:
    """Which measure the dependence row holds: the objectives' own, in words."""
    words = {OBJECTIVE_WORDS.get(m.get("objective"), "dependence") for m in measures
             if m.get("objective")}
    return words.pop() if len(words) == 1 else "each portfolio's own objective measure"


def bar_chart(title: str, axis: str, fmt: str, ws, col: int, top: int, count: int,
              categories: str = "portfolio") -> BarChart:
    chart = BarChart()
    chart.title = title
    chart.y_axis.title, chart.y_axis.number_format = axis, fmt
    chart.x_axis.title = categories
    chart.y_axis.scaling.min = 0
    chart.add_data(Reference(ws, min_col=col, min_row=top, max_row=top + count),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + count))
    chart.legend = None  # one series: its title says what it is
    return chart


def _chart(book, columns, money_unit: str, flow_unit: str) -> None:
    """Dependence, total capex and (where a portfolio leaves demand unmet) unmet demand per
    portfolio; each with its table, on a print page of its own."""
    charts = book.create_sheet("Charts")
    names = [name for name, _, _ in columns]
    measures = [m for _, m, _ in columns]
    words = dependence_words(measures)
    horizon = total_unit(flow_unit)
    unmet = [m.get("unmet_demand_total") for m in measures]
    series = [("dependence", f"dependence: {words} (% of trade)", SHARE, "0%",
               [m.get("dependence") for m in measures]),
              ("total_capex", f"total capex ({money_unit})", money(money_unit), "#,##0",
               [m.get("total_capex") for m in measures])]
    if any(isinstance(v, (int, float)) and v > 1e-6 for v in unmet):
        series.append(("unmet_demand_total", f"unmet demand over the horizon ({horizon})",
                       flow(horizon), "#,##0.0", unmet))
    row = 1
    for key, label, fmt, axis_fmt, values in series:
        put(charts, row, 1, "portfolio")
        put(charts, row, 2, label)
        style_header(charts.cell(row=row, column=1))
        style_header(charts.cell(row=row, column=2))
        for i, (name, v) in enumerate(zip(names, values), start=row + 1):
            put(charts, i, 1, name)
            put(charts, i, 2, v).number_format = fmt
        title = {"dependence": f"Dependence ({words}) by portfolio",
                 "total_capex": "Total capex by portfolio",
                 "unmet_demand_total": "Unmet demand over the horizon by portfolio"}[key]
        chart = bar_chart(title, label, axis_fmt, charts, 2, row, len(names))
        row = chart_page(charts, chart, row + len(names) + 2, height_cm=10, block_top=row)
    fit_columns(charts)
    print_setup(charts, landscape=True, title_rows=None)
