"""Comparison workbooks: several portfolios side by side (scenarios, alternatives, two results
files), with what each adds and drops against the first."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from planner.batch import Outcome
from planner.xlsx import put, save_atomic, write_table

MEASURES = ("dependence", "unmet_demand", "total_capex", "transport_cost", "worst_disruption",
            "expected_disruption", "max_corridor_share", "max_country_share", "mip_gap")
# after MEASURES, so the rows that readers know keep their places
FINANCE = ("npv", "bcr", "eirr", "pv_cost_to_country", "external_share")
# after FINANCE: what the largest transit country holds captive (planner/leverage.py)
LEVERAGE = ("max_captive_share",)


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
    out["pv_cost_to_country"] = ms.pv_cost_to_country
    out["external_share"] = ms.external_share
    out["max_captive_share"] = ms.max_captive_share
    if outcome.appraisal is not None:
        a = outcome.appraisal
        out.update(npv=a.npv, bcr=a.bcr, eirr=a.eirr)
    return out


def portfolio_changes(base: dict[str, str | None], other: dict[str, str | None]):
    """(adds, drops, moves) of ``other`` against ``base``: project lists; moves carry periods."""
    adds = sorted(p for p, t in other.items() if t and not base.get(p))
    drops = sorted(p for p, t in base.items() if t and not other.get(p))
    moves = sorted(f"{p} {base[p]}->{t}" for p, t in other.items()
                   if t and base.get(p) and base[p] != t)
    return adds, drops, moves


def write_comparison(columns: list[tuple[str, dict[str, object], dict[str, str | None]]],
                     target: str | Path, *, title: str = "Comparison",
                     definitions: list[tuple] = (), notes: list[tuple] = (),
                     settings: list[tuple] = ()) -> Path:
    """``columns``: (name, measures, portfolio) per portfolio; the first is the reference.
    ``settings``: (setting, value, note) rows of sheet Settings: how the portfolios were
    found (alternatives: the tolerance on dependence)."""
    book = Workbook()
    ws = book.active
    ws.title = "Measures"
    names = [name for name, _, _ in columns]
    keys = ["status", "objective"] + list(MEASURES) + list(FINANCE) + list(LEVERAGE)
    write_table(ws, ["measure"] + names,
                [[key] + [m.get(key) for _, m, _ in columns] for key in keys],
                widths={"measure": 22})

    projects = sorted({p for _, _, portfolio in columns for p in portfolio})
    write_table(book.create_sheet("Starts"), ["project"] + names,
                [[p] + [portfolio.get(p) for _, _, portfolio in columns] for p in projects])

    base = columns[0][2]
    rows = []
    for name, _, portfolio in columns[1:]:
        adds, drops, moves = portfolio_changes(base, portfolio)
        rows.append((name, "; ".join(adds), "; ".join(drops), "; ".join(moves)))
    write_table(book.create_sheet("Changes"),
                ["portfolio", f"adds vs {names[0]}", f"drops vs {names[0]}", "moves"], rows,
                widths={f"adds vs {names[0]}": 40, f"drops vs {names[0]}": 40, "moves": 40})

    if definitions:
        write_table(book.create_sheet("Definitions"), ["scenario", "change", "target", "value"],
                    list(definitions))
    if settings:
        write_table(book.create_sheet("Settings"), ["setting", "value", "note"],
                    list(settings), widths={"note": 80})
    if notes:
        write_table(book.create_sheet("Notes"), ["portfolio", "note"], list(notes),
                    widths={"note": 120})
    _chart(book, ws, names, keys)
    book.properties.title = title
    return save_atomic(book, target)


def _chart(book, ws, names: list[str], keys: list[str]) -> None:
    """Dependence and total capex per portfolio, side by side."""
    charts = book.create_sheet("Charts")
    for j, label in enumerate(["portfolio", "dependence", "total_capex"], start=1):
        put(charts, 1, j, label)
    for i, name in enumerate(names, start=2):
        put(charts, i, 1, name)
        put(charts, i, 2, ws.cell(keys.index("dependence") + 2, i).value).number_format = \
            "0.0%"
        put(charts, i, 3, ws.cell(keys.index("total_capex") + 2, i).value).number_format = \
            "#,##0"
    charts.column_dimensions["A"].width = max(12, max(len(n) for n in names) + 2)
    for col, title, anchor in ((2, "Dependence by portfolio", "E2"),
                               (3, "Total capex by portfolio (USD m)", "E20")):
        chart = BarChart()
        chart.title = title
        chart.add_data(Reference(charts, min_col=col, min_row=1, max_row=1 + len(names)),
                       titles_from_data=True)
        chart.set_categories(Reference(charts, min_col=1, min_row=2, max_row=1 + len(names)))
        chart.width, chart.height = 16, 8
        charts.add_chart(chart, anchor)
