"""The brief drawn with matplotlib: one function per chart, whatever it is drawn into (a PDF
page, an SVG for the HTML, a PNG for sheet Brief), and the A4 pages that hold them.

Text from a workbook is drawn literally (``plain``: no mathtext): it is never executed."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from planner.report.brief.content import CHART_ROWS, Brief, amount, named
from planner.report.brief.html_page import inline_svg

A4 = (8.27, 11.69)  # inches, portrait
GREYS = dict(construction="#3b5b92", service="#a9bde0", budget="#222222")


# ---------------------------------------------------------------------------------------------
# drawing: one function per figure, whatever it is drawn into


def plain(text) -> str:
    """Workbook text as matplotlib draws it literally: a '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def draw_map(ax, b: Brief, legend: str = "right") -> None:
    """The corridor map (planner/report/corridor_map.py): borders, segments by mode, the
    plan's projects, each corridor's routes in its colour; a schematic without sheet Nodes."""
    from planner.report.corridor_map import draw_corridor_map

    draw_corridor_map(ax, b.network, legend=legend)


def draw_schedule(ax, b: Brief) -> None:
    """Gantt of the selected projects: construction from the start period to the first
    period it can be used, then in service; its capital cost at the right."""
    rows = b.schedule
    n, periods = len(rows), b.periods
    index = {t: i for i, t in enumerate(periods)}
    end = len(periods)
    for i, r in enumerate(rows):
        start = index.get(r["start"], 0)
        usable = index.get(r["usable"], end) if r["usable"] else end
        if usable > start:
            ax.barh(i, usable - start, left=start, height=0.55,
                    color=GREYS["construction"], edgecolor="black", lw=0.4)
        if usable < end:
            ax.barh(i, end - usable, left=usable, height=0.55, color=GREYS["service"],
                    edgecolor="black", lw=0.4, hatch="" if usable > start else "")
        ax.text(end + 0.08, i, amount(r["capex"], b.money_unit)
                + (" (committed)" if r["status"] == "committed" else ""),
                va="center", fontsize=6.5)
    ax.set_yticks(range(n), [plain(named(r["project"], r["name"]))[:70] for r in rows],
                  fontsize=6.5)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_xlim(0, end)
    ax.set_xticks([i + 0.5 for i in range(end)], [plain(t) for t in periods], fontsize=7)
    ax.tick_params(axis="x", length=0)
    for i in range(1, end):
        ax.axvline(i, color="#dddddd", lw=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Schedule (dark: construction; light: in use)", fontsize=9, loc="left")


def draw_spend(ax, b: Brief) -> None:
    """Spend per period by source (stacked, hatched for grey print) against the budget."""
    periods = b.periods
    x = range(len(periods))
    bottom = [0.0] * len(periods)
    hatches = ["", "///", "...", "xxx", "\\\\\\", "ooo", "---", "+++"]
    cmap = ["#3b5b92", "#e0a458", "#7fb069", "#c0392b", "#8e6c8a", "#5fa8d3", "#b0b0b0",
            "#f4d35e"]
    for j, (source, by) in enumerate(sorted(b.spend.items(),
                                            key=lambda item: -sum(item[1].values()))):
        values = [by.get(t, 0.0) for t in periods]
        ax.bar(x, values, bottom=bottom, color=cmap[j % len(cmap)],
               hatch=hatches[j % len(hatches)], edgecolor="black", lw=0.4,
               label=plain(source))
        bottom = [a + v for a, v in zip(bottom, values)]
    if b.budget:
        ax.plot(list(x), [b.budget.get(t, 0.0) for t in periods], "_", color="black",
                markersize=14, mew=1.6, label="national budget")
    ax.set_xticks(list(x), [plain(t) for t in periods], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_formatter(_thousands())
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"Spend per period by source ({b.money_unit})", fontsize=9, loc="left")


def draw_buys(ax, b: Brief) -> None:
    """Dependence points each selected project buys, the largest first (the first
    CHART_ROWS: a small chart; the HTML's table and sheet Value have them all)."""
    rows = b.buys[:CHART_ROWS]
    ax.barh(range(len(rows)), [r["points"] for r in rows], color=GREYS["construction"],
            edgecolor="black", lw=0.4, height=0.55)
    ax.set_yticks(range(len(rows)), [plain(r["project"]) for r in rows], fontsize=6.5)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    top = max([r["points"] for r in rows] + [0.0])
    for i, r in enumerate(rows):
        if abs(r["points"]) < 5e-3:
            words = "no measurable point"
        else:
            per = "" if r["per_point"] is None else \
                f", {abs(r['per_point']) if abs(r['per_point']) < 0.5 else r['per_point']:,.0f} {b.money_unit}/pt"
            words = f"{r['points']:.1f} pt{per}"
        ax.text(max(r["points"], 0) + top * 0.02 + 1e-9, i, words, va="center", fontsize=6)
    ax.set_xlim(0, (top or 1) * 1.9)
    ax.tick_params(axis="x", labelsize=6.5)
    ax.set_xlabel("dependence points bought", fontsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    more = len(b.buys) - len(rows)
    ax.set_title("What each project buys" + (f" (first {len(rows)})" if more > 0 else ""),
                 fontsize=9, loc="left")


def draw_leverage(ax, b: Brief) -> None:
    """Captive tonnes per large transit country, reference plan against plan."""
    rows = b.leverage
    y = range(len(rows))
    ax.barh([i - 0.16 for i in y], [r["reference"] or 0 for r in rows], height=0.3,
            color="#cccccc", edgecolor="black", lw=0.4, label="reference plan")
    ax.barh([i + 0.16 for i in y], [r["plan"] or 0 for r in rows], height=0.3,
            color=GREYS["construction"], edgecolor="black", lw=0.4, hatch="///", label="plan")
    most = max([r["reference"] or 0 for r in rows] + [r["plan"] or 0 for r in rows] + [0.0])
    for i, r in enumerate(rows):  # each bar named: no legend to look up
        ax.text((r["plan"] or 0) + most * 0.03, i + 0.16, f"plan {r['plan'] or 0:,.1f}",
                va="center", fontsize=6)
        ax.text((r["reference"] or 0) + most * 0.03, i - 0.16,
                f"reference {r['reference'] or 0:,.1f}", va="center", fontsize=6)
    ax.set_xlim(0, (most or 1) * 1.6)
    ax.set_yticks(list(y), [plain(r["name"]) for r in rows], fontsize=7)
    ax.set_ylim(max(len(rows), 2) - 0.5, -0.5)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(f"captive trade, {b.flow_unit}", fontsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Captive trade, {b.leverage_period}", fontsize=9, loc="left")


def _thousands():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _: f"{v:,.0f}")


CHARTS = {"map": draw_map, "schedule": draw_schedule, "buys": draw_buys, "spend": draw_spend,
          "leverage": draw_leverage}
IN_HTML = ("map", "schedule", "spend", "leverage")  # what each project buys: a table there
IN_SHEET = ("map", "schedule")


@dataclass
class Drawn:
    """The brief drawn once: its A4 pages, and where each chart is on them (the HTML's SVGs
    and the sheet's pictures are those same charts, rendered alone: ``part``)."""
    pages: list
    charts: dict  # name -> (page, axes)
    boxes: dict = field(default_factory=dict)  # name -> its extent (inches), found once

    def part(self, name: str, fmt: str, dpi: float | None = None):
        """One chart of a page alone, as SVG text or PNG bytes: the page with every other
        artist hidden, cut to what is left."""
        page, ax = self.charts[name]
        hidden = [a for a in page.get_children() if a is not ax and a is not page.patch
                  and a.get_visible()]
        for artist in hidden:
            artist.set_visible(False)
        try:
            # what is left, in inches, from text extents: no draw of its own ('tight' would)
            if name not in self.boxes:
                self.boxes[name] = page.get_tightbbox().padded(0.05)
            box = self.boxes[name]
            if fmt == "svg":
                buf = io.StringIO()
                page.savefig(buf, format="svg", bbox_inches=box,
                             metadata={"Date": None, "Creator": None})
                return inline_svg(buf.getvalue())
            buf = io.BytesIO()
            page.savefig(buf, format="png", dpi=dpi or 150, bbox_inches=box)
            return buf.getvalue()
        finally:
            for artist in hidden:
                artist.set_visible(True)


# ---------------------------------------------------------------------------------------------
# the PDF: A4 pages drawn with the same functions


def _rc():
    import matplotlib

    # Type 3 fonts: the text stays text (pypdf, pdftotext, a search read it) and embedding
    # them takes a fraction of Type 42's subsetting
    matplotlib.rcParams.update({"pdf.fonttype": 3, "svg.fonttype": "none", "pdf.compression": 1,
                                "font.family": "DejaVu Sans", "hatch.linewidth": 0.5,
                                "svg.hashsalt": "planner"})


def draw(b: Brief) -> Drawn:
    """The brief's A4 pages: the answer, the tiles, the map and the schedule on page 1; what
    each project buys, spend and leverage below them where they fit, else on page 2."""
    from matplotlib.figure import Figure

    _rc()
    charts = {}
    top, margin, width = 0.965, 0.05, 1 - 0.10
    page = Figure(figsize=A4)
    pages = [page]
    page.text(margin, top, plain(f"Decision brief: {b.source}"), fontsize=14,
              weight="bold", va="top")
    y = top - 0.03
    lines = _wrap(b.sentence, 98)
    page.text(margin, y, plain("\n".join(lines)), fontsize=9.5, va="top", linespacing=1.35)
    y -= 0.0165 * len(lines) + 0.01
    y = _pdf_tiles(page, b, y, margin, width)
    if b.network is not None:
        map_h = 0.29
        ax = page.add_axes((margin, y - map_h, 0.54, map_h))
        draw_map(ax, b)
        charts["map"] = (page, ax)
        y -= map_h + 0.015
    foot = 0.07  # the footer's height
    below = 0.16  # the row of small charts
    under = 0.045 if b.more else 0.02  # room below the schedule's axes: ticks, the rest named
    h = 0.03 + under + 0.018 * len(b.schedule) if b.schedule else 0.0

    def new_page():
        _footer(pages[-1], b)
        page = Figure(figsize=A4)
        pages.append(page)
        page.text(margin, top, plain(f"Decision brief: {b.source} (continued)"),
                  fontsize=11, weight="bold", va="top")
        return page, top - 0.04
    def schedule_at(page, y):
        ax = page.add_axes((margin + 0.33, y - h + under, width - 0.33 - 0.15,
                            h - under - 0.03))
        draw_schedule(ax, b)
        charts["schedule"] = (page, ax)
        if b.more:
            page.text(margin, y - h + 0.022, plain("\n".join(_wrap(b.more, 150))),
                      fontsize=6, va="top")
        return y - h

    def small_charts_at(page, y):
        y -= 0.015
        x = margin
        # each chart's share of the width: the axes, with room left for its labels and right
        # for the spend's legend
        for name, shown, left, axes, right in (("buys", b.buys, 0.075, 0.2, 0.02),
                                                ("spend", b.spend, 0.055, 0.16, 0.14),
                                                ("leverage", b.leverage, 0.08, 0.13, 0.0)):
            if not shown:
                continue
            ax = page.add_axes((x + left, y - below + 0.03, axes, below - 0.055))
            CHARTS[name](ax, b)
            charts[name] = (page, ax)
            x += left + axes + right
        y -= below
        page.text(margin, y, plain("\n".join(_wrap(b.buys_note, 150))), fontsize=6.3,
                  va="top", color="#333333")
        return y - 0.03

    # page 1 holds what fits, the schedule first; the rest goes on page 2 in order
    if h <= y - foot:
        y = schedule_at(page, y) if b.schedule else y
        if y - below - 0.03 < foot:
            page, y = new_page()
        y = small_charts_at(page, y)
    else:
        y = small_charts_at(page, y)
        page, y = new_page()
        y = schedule_at(page, y)
    _footer(page, b)
    return Drawn(pages, charts)


def _pdf_tiles(page, b: Brief, y: float, margin: float, width: float) -> float:
    from matplotlib.patches import FancyBboxPatch

    per_row = 4 if len(b.tiles) <= 8 else 5
    w = width / per_row
    h = 0.066
    for i, t in enumerate(b.tiles):
        r, c = divmod(i, per_row)
        x0, y0 = margin + c * w, y - (r + 1) * h
        page.patches.append(FancyBboxPatch((x0 + 0.004, y0 + 0.004), w - 0.008, h - 0.008,
                                           boxstyle="round,pad=0,rounding_size=0.006",
                                           transform=page.transFigure, facecolor="#eef2f7",
                                           edgecolor="#9aa7b8", lw=0.6))
        page.text(x0 + 0.012, y0 + h - 0.012, plain(t.label), fontsize=7.5, va="top",
                  color="#333333")
        value = t.value if t.reference is None else f"{t.reference} \u2192 {t.value}"
        page.text(x0 + 0.012, y0 + h - 0.026, plain(value), fontsize=12, va="top",
                  weight="bold")
        page.text(x0 + 0.012, y0 + h - 0.045, plain("\n".join(_wrap(t.detail, 44)[:2])),
                  fontsize=5.6, va="top", color="#444444", linespacing=1.2)
    rows = -(-len(b.tiles) // per_row)
    if any(t.reference for t in b.tiles):
        page.text(margin, y - rows * h - 0.002, "reference plan (committed projects only) "
                  "\u2192 plan", fontsize=6, va="top", color="#444444")
    return y - rows * h - 0.02


def _footer(page, b: Brief) -> None:
    from planner.report.map_network import MAP_DISCLAIMER
    text = "   ".join(f"{k}: {v}" for k, v in b.footer)
    lines = _wrap(text, 170) + _wrap(MAP_DISCLAIMER, 170)
    page.text(0.06, 0.012, plain("\n".join(lines)), fontsize=5.8, va="bottom", color="#444444",
              linespacing=1.3)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width) or [""]
