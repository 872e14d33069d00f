"""The scenarios' comparison brief: one landscape page with the scenarios side by side (their
measures, capital cost, what each adds and drops against the base, unmet demand), as PDF and
as a self-contained HTML page."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

from planner.report.brief.content import amount, number, pct
from planner.report.brief.html_page import environment, svg_of
from planner.report.brief.pages import A4, GREYS, _rc, _wrap, plain
from planner.report.xlsx import write_atomic

SCENARIO_ROWS = (("status", "Solver status", "text"),
                 ("worst_disruption", "Worst single closure", "share"),
                 ("expected_disruption", "Expected disruption", "share"),
                 ("max_corridor_share", "Largest corridor share", "share"),
                 ("max_country_share", "Largest transit-country share", "share"),
                 ("total_capex", "Capital cost", "money"),
                 ("pv_cost_to_country", "Present cost to the country", "money"),
                 ("npv", "NPV against committed projects only", "money"),
                 ("unmet_demand_total", "Unmet demand over the horizon", "total"))


@dataclass
class ScenarioBrief:
    source: str
    names: list[str]  # the base first
    rows: list[tuple[str, str, list[str]]]  # metric id, words, one text per scenario
    changes: list[str]  # per scenario: what it adds and drops against the base
    sentence: str
    measures: list[dict]  # per scenario, the figures charted
    money_unit: str

    @property
    def text(self) -> list[str]:
        return [self.sentence] + [f"{w}: " + " | ".join(v) for _, w, v in self.rows] + \
            [f"{n}: {c}" for n, c in zip(self.names, self.changes)]


def scenario_brief(columns, projects: dict[str, str], source: str, money_unit: str = "USD m",
                   flow_unit: str = "Mt/yr") -> ScenarioBrief:
    """``columns``: (name, measures, portfolio) per scenario, the base first (what the
    scenarios' comparison workbook holds)."""
    from planner.report.compare import changes_in_words

    total = flow_unit[:-3] if flow_unit.endswith("/yr") else flow_unit

    def show(kind, v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "n/a"
        if kind == "share":
            return pct(number(v))
        if kind == "money":
            return amount(number(v), money_unit)
        if kind == "total":
            return f"{number(v):,.1f} {total}"
        return str(v)
    names = [name for name, _, _ in columns]
    rows = [(m, words, [show(kind, measures.get(m)) for _, measures, _ in columns])
            for m, words, kind in SCENARIO_ROWS]
    base = columns[0][2]
    changes = ["the base case"] + [
        changes_in_words(base, portfolio, projects) if measures.get("total_capex") is not None
        else "no portfolio" for _, measures, portfolio in columns[1:]]
    worst = [number(m.get("worst_disruption")) for _, m, _ in columns]
    found = [(n, w) for n, w in zip(names, worst) if w is not None]
    sentence = f"{len(names) - 1} scenario(s) beside the base case"
    if found:
        hi = max(found, key=lambda x: x[1])
        lo = min(found, key=lambda x: x[1])
        sentence += (f": the worst single closure strands from {pct(lo[1])} of trade "
                     f"({lo[0]}) to {pct(hi[1])} ({hi[0]})")
    unmet = [n for n, (_, m, _) in zip(names, columns)
             if (number(m.get("unmet_demand_total")) or 0) > 1e-6]
    if unmet:
        sentence += f"; demand stays unmet in {', '.join(unmet)}"
    measures = [{"name": n, "worst": number(m.get("worst_disruption")),
                 "capex": number(m.get("total_capex"))} for n, m, _ in columns]
    return ScenarioBrief(source, names, rows, changes, sentence + ".", measures, money_unit)


def scenario_pages(sb: ScenarioBrief) -> list:
    """One A4 landscape page: the table of the scenarios side by side, what each adds and
    drops, and their worst closure and capital cost charted."""
    from matplotlib.figure import Figure

    _rc()
    page = Figure(figsize=(A4[1], A4[0]))
    page.text(0.04, 0.96, plain(f"Scenarios: {sb.source}"), fontsize=14, weight="bold",
              va="top")
    page.text(0.04, 0.915, plain("\n".join(_wrap(sb.sentence, 150))), fontsize=9.5,
              va="top")
    n = len(sb.names)
    # one row per scenario, the measures across: names and changes need the width
    shown = [i for i, (m, _, _) in enumerate(sb.rows) if m != "status"]
    header = ["scenario"] + [sb.rows[i][1] for i in shown] + ["against the base"]
    widths = [0.16] + [0.075] * len(shown) + [0.84 - 0.075 * len(shown)]
    chars = int(widths[-1] * 0.92 * A4[1] * 72 / 3.6)  # at 6.5 pt
    cells, lines = [], []
    for j, name in enumerate(sb.names):
        change = _wrap(sb.changes[j], chars)
        if len(change) > 3:
            change = change[:3]
            change[-1] = change[-1][:chars - 3] + "..."
        label = _wrap(name, 30)[:2]
        cells.append(["\n".join(label)] + [sb.rows[i][2][j] for i in shown]
                     + ["\n".join(change)])
        lines.append(max(len(change), len(label)))
    top = 0.86
    row_h = min(0.045, 0.42 / max(1, sum(lines) + n * 0.4 + 2))
    height = row_h * (sum(lines) + n * 0.4 + 2)
    ax = page.add_axes((0.04, top - height, 0.92, height))
    ax.set_axis_off()
    table = ax.table(cellText=[[plain(c) for c in row] for row in cells],
                     colLabels=["\n".join(_wrap(h, 14)) for h in header], loc="upper left",
                     cellLoc="left", colLoc="left", colWidths=widths, bbox=(0, 0, 1, 1))
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    unit = 1.0 / (sum(lines) + n * 0.4 + 2)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        cell.set_height(2 * unit if r == 0 else (lines[r - 1] + 0.4) * unit)
        cell.get_text().set_verticalalignment("center")
        if r == 0:
            cell.set_facecolor("#dde4ee")
    chart_top = top - height - 0.08
    for j, (key_, label, fmt) in enumerate((("worst", "Worst single closure (share of "
                                            "trade)", pct),
                                            ("capex", f"Capital cost ({sb.money_unit})",
                                             lambda v: f"{v:,.0f}"))):
        ax = page.add_axes((0.07 + 0.48 * j, 0.1, 0.4, max(0.12, chart_top - 0.12)))
        values = [m[key_] or 0.0 for m in sb.measures]
        ax.bar(range(n), values, color=GREYS["construction"], edgecolor="black", lw=0.4,
               hatch="" if j == 0 else "///")
        ax.set_xticks(range(n), [plain(x)[:18] for x in sb.names], fontsize=7,
                      rotation=30 if n > 4 else 0, ha="right" if n > 4 else "center")
        for i, v in enumerate(values):
            ax.text(i, v, fmt(v), ha="center", va="bottom", fontsize=6.5)
        ax.tick_params(axis="y", labelsize=7)
        if j == 0:
            from matplotlib.ticker import PercentFormatter
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(label, fontsize=9, loc="left")
    return [page]


def write_scenarios_brief(sb: ScenarioBrief, pdf: Path, html: Path) -> list[Path]:
    """The scenarios' brief as PDF and HTML, each written whole or not at all."""
    from markupsafe import Markup
    from matplotlib.backends.backend_pdf import PdfPages

    pages = scenario_pages(sb)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": f"Scenarios: {sb.source}",
                                 "Creator": "Corridor Planner", "CreationDate": None}) as out:
        for page in pages:
            out.savefig(page)
    text = environment().get_template("scenarios.html.j2").render(sb=sb, chart=Markup(svg_of(pages[0])))
    write_atomic(pdf, buf.getvalue())
    write_atomic(html, text.encode("utf-8"))
    return [pdf, html]
