"""The decision brief: what a committee reads first, built from the results workbook's tables.

One path: ``brief_of(frames)`` takes {sheet name: DataFrame} of a results workbook, the
frames 'planner solve' has in memory (``frames_of_book``) or those 'planner brief' reads back
(``read_frames``), and says what the brief shows; ``write_brief`` draws it with matplotlib
into a PDF (one A4 figure per page) and a self-contained HTML page (Jinja2, each figure
inline as SVG, no request to any server); ``add_sheet`` puts its headline and tiles as cells,
and the map and the schedule as pictures, on the workbook's first sheet, Brief. Every figure
is drawn by one function whatever it is drawn into. Text from a workbook is escaped in the
HTML (autoescape) and drawn literally by matplotlib (no mathtext): it is never executed."""

from __future__ import annotations

import contextlib
import io
import math
import os
import pickle
import re
import signal
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from planner import interrupt
from planner.inputs.problems import InputError, Problem
from planner.report.xlsx import flow_unit_of, write_atomic

# the sheets the brief reads; Summary and Portfolio make a results workbook
READS = ("Summary", "Portfolio", "Exposure", "Budget", "CashFlow", "Value", "Leverage", "Unmet",
         "Capacity", "Flows", "Nodes")
REQUIRED = {"Summary": ("metric", "value"), "Portfolio": ("project", "selected", "start_period")}
BRIEF_SHEET = "Brief"
MAX_ROWS = 30  # projects on the schedule and in 'what each project buys'; the rest named
CHART_ROWS = 12  # projects in the small chart of what each project buys
A4 = (8.27, 11.69)  # inches, portrait
GREYS = dict(construction="#3b5b92", service="#a9bde0", budget="#222222")


# ---------------------------------------------------------------------------------------------
# the results workbook's tables


def frames_of_book(book) -> dict[str, pd.DataFrame]:
    """{sheet: DataFrame} of an openpyxl workbook in memory, as ``read_frames`` reads the
    same workbook from its file (row 1 the header; cells as stored)."""
    out = {}
    for name in READS:
        if name not in book.sheetnames:
            continue
        rows = list(book[name].iter_rows(values_only=True))
        out[name] = _frame(rows)
    return out


def _frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    header = [f"Unnamed: {j}" if h is None else str(h) for j, h in enumerate(rows[0])]
    body = [list(r) + [None] * (len(header) - len(r)) for r in rows[1:]]
    while body and all(v is None for v in body[-1]):
        body.pop()
    return pd.DataFrame(body, columns=header, dtype=object)


def read_frames(path: Path) -> dict[str, pd.DataFrame]:
    """The results workbook at ``path``, the sheets the brief reads, with pandas (each cell as
    stored: a period '2026' stays text). Not a results workbook: InputError naming the file,
    the sheet and the column."""
    from planner.inputs.xlsx import check_file

    path = Path(path)
    check_file(path)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [s for s in READS if s in book.sheet_names]
            frames = {s: pd.read_excel(book, sheet_name=s, dtype=object) for s in names}
    except Exception as err:  # a damaged file: said, not a traceback
        raise InputError([Problem(None, None, None, path.name, "a results workbook written by "
                                  f"'planner solve' ({type(err).__name__}: {err})",
                                  file=path.name)]) from None
    frames = {s: f.astype(object).where(f.notna(), None) for s, f in frames.items()}
    problems = []
    for sheet, columns in REQUIRED.items():
        if sheet not in frames:
            problems.append(Problem(sheet, None, None, None, "a results workbook written by "
                                    "'planner solve', which has this sheet", file=path.name))
            continue
        problems += [Problem(sheet, 1, c, None, f"a column headed '{c}' in row 1, as "
                             "'planner solve' writes it", file=path.name)
                     for c in columns if c not in frames[sheet].columns]
    if problems:
        raise InputError(problems)
    frames["_made"] = pd.DataFrame({"made": [_created(path)]}, dtype=object)
    return frames


def _created(path: Path) -> str | None:
    """When the workbook was made: its document properties (docProps/core.xml)."""
    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    found = re.search(r"<dcterms:created[^>]*>([^<]+)<", core)
    return found.group(1) if found else None


def made_frame(book) -> pd.DataFrame:
    """When a workbook in memory was made, as ``read_frames`` reads it from the file."""
    created = book.properties.created
    return pd.DataFrame({"made": [created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else None]},
                        dtype=object)


def rows_of(frames, sheet: str, columns: tuple[str, ...]) -> list[dict]:
    """The rows of a sheet's table (down to its first blank row: a chart's own table may
    follow) as {column: value}; a column the sheet lacks is None; no sheet: []."""
    frame = frames.get(sheet)
    if frame is None or frame.empty:
        return []
    out = []
    have = [c for c in columns if c in frame.columns]
    for values in frame[have].itertuples(index=False, name=None):
        row = {c: _clean(v) for c, v in zip(have, values)}
        if all(v is None or v == "" for v in row.values()):
            break
        out.append({c: row.get(c) for c in columns})
    return out


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    return v


def key(v) -> str | None:
    """An id as text: a period read as a number (2026.0) is '2026'."""
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def number(v) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    try:
        out = float(str(v))
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def truth(v) -> bool:
    return v is True or (isinstance(v, str) and v.strip().upper() == "TRUE") or v == 1


# ---------------------------------------------------------------------------------------------
# what the brief says


@dataclass
class Tile:
    metric: str  # the Summary's metric id
    label: str  # in words
    value: str  # the plan's, formatted
    reference: str | None  # the reference plan's, formatted, where it has one
    detail: str
    number: float | None = None  # the plan's figure, for the workbook's cell
    number_ref: float | None = None
    kind: str = ""  # share, money, ratio, flow: the cell's format


@dataclass
class Brief:
    source: str  # the input workbook's name
    sentence: str
    tiles: list[Tile]
    periods: list[str]
    schedule: list[dict]  # project, name, start, usable, capex, status
    money_unit: str
    flow_unit: str
    spend: dict[str, dict[str, float]]  # source -> period -> drawn
    budget: dict[str, float]  # period -> the budget of the period
    buys: list[dict]  # project, name, points, per_point, capex
    buys_note: str
    leverage: list[dict]  # key, name, reference, plan (captive, flow unit)
    leverage_period: str | None
    footer: list[tuple[str, str]]
    network: object = None  # corridor_map.MapNetwork, None: no network in the results
    more: str = ""  # projects beyond MAX_ROWS, named
    unmet: list[tuple[str, float]] = field(default_factory=list)

    @property
    def text(self) -> list[str]:
        """Every sentence, tile and row the brief shows, as text (what a test compares)."""
        out = [self.sentence]
        out += [f"{t.label}: {t.value} ({t.reference}) {t.detail}" for t in self.tiles]
        out += [f"{r['project']} {r['name']} {r['start']} {r['usable']} {r['capex']}"
                for r in self.schedule]
        out += [f"{r['project']} {r['points']} {r['per_point']}" for r in self.buys]
        out += [f"{r['name']} {r['reference']} {r['plan']}" for r in self.leverage]
        out += [f"{k}: {v}" for k, v in self.footer]
        return out


def pct(v, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}%}"


def amount(v, unit: str) -> str:
    if v is None:
        return "n/a"
    if abs(v) < 0.05:
        return f"0 {unit}"
    return f"{v:,.0f} {unit}" if abs(v) >= 100 else f"{v:,.1f} {unit}"


def named(project: str, name: str | None) -> str:
    return f"{name} ({project})" if name and name != project else project


def brief_of(frames: dict[str, pd.DataFrame], drawn: bool = True) -> Brief:
    """What the brief shows, from a results workbook's tables (module docstring); without
    ``drawn`` (sheet Brief's cells alone) the map's network is left out."""
    summary = {key(r["metric"]): r for r in rows_of(frames, "Summary",
                                                    ("metric", "value", "unit", "note"))}

    def val(metric):
        return _clean(summary[metric]["value"]) if metric in summary else None

    def num(metric):
        return number(val(metric))
    money_unit = str(val("total_capex") and summary["total_capex"]["unit"] or "USD m")
    flow_unit = flow_unit_of(str(summary.get("unmet_demand", {}).get("unit") or "Mt/yr"))
    unit = str(val("dependence_unit") or "corridor")
    source = str(val("input_file") or "the input workbook")

    portfolio = rows_of(frames, "Portfolio", ("project", "selected", "start_period",
                                              "usable_from", "capex", "name", "status",
                                              "segments"))
    chosen = [r for r in portfolio if truth(r["selected"]) or
              (r["selected"] is None and key(r["start_period"]))]
    periods = _periods(frames, chosen)
    order = {t: i for i, t in enumerate(periods)}
    chosen.sort(key=lambda r: (order.get(key(r["start_period"]), 0),
                               order.get(key(r["usable_from"]), len(periods)),
                               -(number(r["capex"]) or 0), str(r["project"])))
    schedule = [dict(project=key(r["project"]), name=str(r["name"] or ""),
                     start=key(r["start_period"]), usable=key(r["usable_from"]),
                     capex=number(r["capex"]) or 0.0, status=str(r["status"] or ""))
                for r in chosen]
    committed = sum(1 for r in schedule if r["status"] == "committed")

    tiles = _tiles(frames, summary, val, num, unit, money_unit, flow_unit, len(schedule),
                   committed)
    sentence = _sentence(num, unit, money_unit, len(schedule), committed, flow_unit)
    spend, budget = _spend(frames)
    buys, buys_note = _buys(frames, money_unit, OBJECTIVE_WORDS.get(str(val("objective")),
                                                                     "the dependence measure"))
    leverage, last = _leverage(frames)
    shown = schedule[:MAX_ROWS]
    more = ""
    if len(schedule) > MAX_ROWS:
        rest = schedule[MAX_ROWS:]
        more = (f"and {len(rest)} more project(s), {amount(sum(r['capex'] for r in rest), money_unit)}"
                f": {', '.join(r['project'] for r in rest)} (sheet Portfolio)")
    gap = num("mip_gap")
    status = str(val("status") or "n/a") + ("" if gap is None else f", largest stage gap {gap:.3%}")
    made = _clean(frames["_made"]["made"].iloc[0]) if "_made" in frames else None
    footer = [("Input", source), ("Checksum (SHA-256)", str(val("input_sha256") or "n/a")),
              ("Corridor Planner", str(val("planner_version") or "n/a")),
              ("Solver", status), ("Results of", _when(made))]
    unmet = [(m[len("unmet_demand_"):], num(m)) for m in summary
             if m and m.startswith("unmet_demand_") and m != "unmet_demand_total"
             and (num(m) or 0) > 1e-6]
    return Brief(source, sentence, tiles, periods, shown, money_unit, flow_unit, spend, budget,
                 buys, buys_note, leverage, last, footer,
                 _network(frames) if drawn else None, more, unmet)


def _when(made) -> str:
    if not made:
        return "n/a"
    try:
        stamp = datetime.fromisoformat(str(made).replace("Z", "+00:00"))
    except ValueError:
        return str(made)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _periods(frames, chosen) -> list[str]:
    """The periods in order: sheet Budget's rows, else as the portfolio names them."""
    found = [key(r["period"]) for r in rows_of(frames, "Budget", ("period",))]
    if not found:
        found = [key(r["period"]) for r in rows_of(frames, "CashFlow", ("period",))]
    out = list(dict.fromkeys(t for t in found if t))
    for r in chosen:
        for t in (key(r["start_period"]), key(r["usable_from"])):
            if t and t not in out:
                out.append(t)
    return out


def _largest(frames, unit: str) -> str | None:
    """The corridor (country) with the largest share in the most periods (sheet Exposure),
    by name: max_corridor_share is the mean over periods of each period's largest."""
    best: dict[str, tuple[str, float]] = {}
    for r in rows_of(frames, "Exposure", ("unit", "key", "period", "share", "name")):
        if r["unit"] != unit:
            continue
        t, share = key(r["period"]), number(r["share"]) or 0.0
        if share > best.get(t, ("", -1.0))[1]:
            best[t] = (named(key(r["key"]), r["name"]) if r["name"] else key(r["key"]), share)
    if not best:
        return None
    counts: dict[str, int] = {}
    for name, share in best.values():
        if share > 0:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], n))


def _tiles(frames, summary, val, num, unit, money_unit, flow_unit, n, committed) -> list[Tile]:
    closure = "a corridor" if unit == "corridor" else "a country"
    tiles = [
        Tile("worst_disruption", "Worst single closure", pct(num("worst_disruption")),
             pct(num("worst_disruption_ref")) if "worst_disruption_ref" in summary else None,
             f"share of trade stranded when {closure} closes (mean over periods)",
             num("worst_disruption"), num("worst_disruption_ref"), "share"),
        Tile("expected_disruption", "Expected disruption", pct(num("expected_disruption")),
             pct(num("expected_disruption_ref")) if "expected_disruption_ref" in summary
             else None, "risk-weighted share of trade stranded by a closure",
             num("expected_disruption"), num("expected_disruption_ref"), "share"),
    ]
    corridor, country = _largest(frames, "corridor"), _largest(frames, "country")
    tiles.append(Tile("max_corridor_share", "Largest corridor", pct(num("max_corridor_share")),
                      None, "share of trade" + (f"; chiefly {corridor}" if corridor else ""),
                      num("max_corridor_share"), None, "share"))
    tiles.append(Tile("max_country_share", "Largest transit country",
                      pct(num("max_country_share")), None,
                      "share of trade" + (f"; chiefly {country}" if country else ""),
                      num("max_country_share"), None, "share"))
    tiles.append(Tile("total_capex", "Capital cost", amount(num("total_capex"), money_unit),
                      None, _projects_words(n, committed) + "; undiscounted",
                      num("total_capex"), None, "money"))
    if "pv_cost_to_country" in summary:
        tiles.append(Tile("pv_cost_to_country", "Present cost to the country",
                          amount(num("pv_cost_to_country"), money_unit), None,
                          "budget spend, grants at 0, loans at the present value of their "
                          "payments", num("pv_cost_to_country"), None, "money"))
    if "external_share" in summary:
        tiles.append(Tile("external_share", "Paid by lenders", pct(num("external_share")),
                          None, "share of capex paid by sources other than the budget",
                          num("external_share"), None, "share"))
    if "npv" in summary:
        bcr, eirr = num("bcr"), num("eirr")
        tiles.append(Tile("npv", "NPV / BCR / EIRR", amount(num("npv"), money_unit), None,
                          f"BCR {'n/a' if bcr is None else f'{bcr:.2f}'}, EIRR "
                          f"{pct(eirr)}; against the reference plan (committed projects "
                          "only)", num("npv"), None, "money"))
    unmet = num("unmet_demand")
    if unmet is not None and unmet > 1e-6:
        total = num("unmet_demand_total")
        tiles.append(Tile("unmet_demand_total", "Unmet demand",
                          f"{total:,.1f} {flow_unit[:-3] if flow_unit.endswith('/yr') else flow_unit}"
                          if total is not None else "n/a", None,
                          "demand the network cannot carry over the horizon (sheet Unmet)",
                          total, None, "flow"))
    return tiles


def _sentence(num, unit, money_unit, n, committed, flow_unit) -> str:
    worst, ref = num("worst_disruption"), num("worst_disruption_ref")
    new = n - committed
    what = f"The plan builds {_count(committed, 'committed project')}" if committed else \
        "The plan builds no committed project"
    what += (f" and {_count(new, 'new one')}" if new else " and no new one") + \
        f", for {amount(num('total_capex'), money_unit)} of capital cost"
    closure = f"the worst single {unit} closure"
    if ref is None:
        then = f"{closure} strands {pct(worst)} of trade"
    elif worst is not None and abs(ref - worst) < 5e-4:
        then = (f"{closure} strands {pct(worst)} of trade, as in the reference plan "
                "(committed projects only)")
    else:
        then = (f"{closure} falls from {pct(ref)} of trade in the reference plan (committed "
                f"projects only) to {pct(worst)}")
    unmet = num("unmet_demand_total")
    tail = ""
    if unmet is not None and unmet > 1e-6:
        tail = (f"; {unmet:,.1f} {flow_unit[:-3] if flow_unit.endswith('/yr') else flow_unit}"
                " of demand stays unmet")
    return f"{what}: {then}{tail}."


def _projects_words(n: int, committed: int) -> str:
    """'6 projects, all committed', '1 project, new', '3 projects, 1 committed'."""
    which = ("all committed" if committed == n else "none committed" if committed == 0
             else f"{committed} committed")
    if n == 1:
        which = "committed" if committed else "new"
    return f"{_count(n, 'project')}, {which}" if n else "no project"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _spend(frames):
    spend: dict[str, dict[str, float]] = {}
    for r in rows_of(frames, "CashFlow", ("period", "source", "drawn")):
        v = number(r["drawn"]) or 0.0
        if v > 1e-9:
            spend.setdefault(key(r["source"]), {})[key(r["period"])] = v
    budget = {key(r["period"]): number(r["budget"]) or 0.0
              for r in rows_of(frames, "Budget", ("period", "budget"))}
    return spend, budget


OBJECTIVE_WORDS = {"worst_disruption": "the worst single closure",
                   "cost": "the worst single closure",
                   "expected_disruption": "the expected disruption",
                   "max_share": "the largest corridor or country share"}


def _buys(frames, money_unit, measure: str):
    """Each selected project's drop (sheet Value): the dependence points it buys and the
    capital cost per point, the largest first."""
    rows = rows_of(frames, "Value", ("project", "name", "change", "capex", "dependence_change",
                                     "usd_m_per_point"))
    if "Value" not in frames:
        return [], ("Not scored: sheet Value was left out (the time limit; sheet Summary, "
                    "left_out).")
    out = []
    for r in rows:
        if r["change"] != "drop":
            continue
        change = number(r["dependence_change"]) or 0.0
        out.append(dict(project=key(r["project"]), name=str(r["name"] or ""),
                        points=100 * change, per_point=number(r["usd_m_per_point"]),
                        capex=number(r["capex"]) or 0.0))
    out.sort(key=lambda r: (-r["points"], r["per_point"] or math.inf, r["project"]))
    note = (f"What each project buys: how many points of trade {measure} would rise by, were "
            f"the project dropped from the plan; {money_unit} per point: its capital cost over "
            "those points (sheet Value).")
    if not out:
        return [], "The plan selects no project: nothing to score on sheet Value."
    nothing = [r["project"] for r in out if abs(r["points"]) < 5e-5]
    if nothing:
        note += f" Buying no measurable point: {', '.join(nothing)}."
    return out[:MAX_ROWS], note


def _leverage(frames):
    """Captive tonnes per large transit country (traffic at least a tenth of the last
    period's trade, in the plan or the reference plan: planner/analysis/leverage.py),
    reference plan -> plan, the last period."""
    rows = rows_of(frames, "Leverage", ("unit", "key", "period", "traffic", "traffic_share",
                                        "captive", "traffic_ref", "captive_ref"))
    countries = [r for r in rows if r["unit"] == "country"]
    if not countries:
        return [], None
    periods = list(dict.fromkeys(key(r["period"]) for r in countries))
    last = periods[-1]
    names = {key(r["key"]): r["name"] for r in rows_of(frames, "Exposure",
                                                       ("unit", "key", "name"))
             if r["unit"] == "country"}
    here = [r for r in countries if key(r["period"]) == last]
    total = next(((number(r["traffic"]) or 0) / number(r["traffic_share"]) for r in here
                  if (number(r["traffic_share"]) or 0) > 0), None)
    if total is None:
        return [], last
    out = []
    for r in here:
        traffic = max(number(r["traffic"]) or 0.0, number(r["traffic_ref"]) or 0.0)
        if traffic >= 0.1 * total:
            k = key(r["key"])
            out.append(dict(key=k, name=str(names.get(k) or k), reference=number(r["captive_ref"]),
                            plan=number(r["captive"])))
    out.sort(key=lambda r: -max(r["reference"] or 0, r["plan"] or 0))
    return out, last


def _network(frames):
    """The map's network (planner/report/corridor_map.py), None without sheet Capacity."""
    from planner.report.corridor_map import network_from_results

    if frames.get("Capacity") is None or frames["Capacity"].empty:
        return None
    return network_from_results({k: v for k, v in frames.items() if not k.startswith("_")})


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
                return _inline(buf.getvalue())
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
    from planner.report.corridor_map import MAP_DISCLAIMER
    text = "   ".join(f"{k}: {v}" for k, v in b.footer)
    lines = _wrap(text, 170) + _wrap(MAP_DISCLAIMER, 170)
    page.text(0.06, 0.012, plain("\n".join(lines)), fontsize=5.8, va="bottom", color="#444444",
              linespacing=1.3)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width) or [""]


# ---------------------------------------------------------------------------------------------
# the files


def svg_of(fig) -> str:
    """A whole figure as inline SVG."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buf.getvalue())


def _inline(text: str, zoom: float = 1.6) -> str:
    """SVG to put inside HTML: no XML prolog, no metadata (it names outside URLs); shown
    ``zoom`` times its printed size (its 6-point labels read on a screen), every chart alike."""
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)

    def bigger(found):
        return f'{found.group(1)}="{float(found.group(2)) * zoom:.1f}pt"'
    head, _, body = text.partition(">")
    head = re.sub(r'\b(width|height)="([0-9.]+)pt"', bigger, head)
    return head + ">" + body


def html_of(b: Brief, svgs: dict[str, str]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from planner.report.corridor_map import MAP_DISCLAIMER, SCHEMATIC_NOTE

    env = Environment(loader=PackageLoader("planner.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    from markupsafe import Markup
    return env.get_template("brief.html.j2").render(
        b=b, svgs={k: Markup(v) for k, v in svgs.items()}, disclaimer=MAP_DISCLAIMER,
        no_map=None if b.network is None or b.network.has_places else SCHEMATIC_NOTE)


def brief_paths(results: Path) -> tuple[Path, Path]:
    """<name>-brief.pdf and <name>-brief.html beside ``results`` (<name>.xlsx)."""
    results = Path(results)
    stem = results.with_suffix("")
    return (stem.with_name(stem.name + "-brief.pdf"), stem.with_name(stem.name + "-brief.html"))


def render_files(b: Brief, drawn: Drawn | None = None) -> tuple[bytes, bytes]:
    """The PDF's bytes and the HTML page's; ``drawn``: the brief's pages where drawn already."""
    from matplotlib.backends.backend_pdf import PdfPages

    drawn = drawn or draw(b)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": f"Decision brief: {b.source}",
                                 "Creator": "Corridor Planner", "CreationDate": None}) as pdf_out:
        for page in drawn.pages:
            pdf_out.savefig(page)
    svgs = {name: drawn.part(name, "svg") for name in IN_HTML if name in drawn.charts}
    return buf.getvalue(), html_of(b, svgs).encode("utf-8")


def write_files(files: tuple[bytes, bytes], pdf: Path, html: Path) -> list[Path]:
    """The PDF and the HTML page, each written whole or not at all (write_atomic)."""
    write_atomic(pdf, files[0])
    write_atomic(html, files[1])
    return [pdf, html]


def write_brief(b: Brief, pdf: Path, html: Path, drawn: Drawn | None = None) -> list[Path]:
    """The PDF and the HTML page of ``b``, written (``drawn``: as in render_files)."""
    return write_files(render_files(b, drawn), pdf, html)


class Rendering:
    """render_files in a forked process, so that the PDF and the SVGs are made on the other
    core while the caller makes sheet Brief's pictures and saves the workbook. The child
    writes no file (the caller does, after the workbook) and ends with the command however it
    ends (interrupt.worker_started); where it fails, or the platform does not fork,
    ``result`` renders here instead."""

    def __init__(self, b: Brief, drawn: Drawn):
        self.b, self.drawn, self.pid = b, drawn, None
        if not hasattr(os, "fork"):
            return
        parent = os.getpid()
        self.read_end, write_end = os.pipe()
        try:
            with interrupt.held():
                self.pid = os.fork()
        except OSError:  # no process to be had: ``result`` renders here
            os.close(self.read_end)
            os.close(write_end)
            self.pid = None
            return
        if self.pid == 0:  # the child: render, hand the bytes over, skip the parent's exit hooks
            status = 1
            try:
                os.close(self.read_end)
                interrupt.worker_started(parent)
                with os.fdopen(write_end, "wb") as out:
                    out.write(pickle.dumps(render_files(b, drawn)))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)

    def result(self) -> tuple[bytes, bytes]:
        """The PDF's bytes and the HTML page's, once the child has made them."""
        if self.pid is None:
            return render_files(self.b, self.drawn)
        try:
            with os.fdopen(self.read_end, "rb") as source:
                data = source.read()
        finally:
            status = self._reap()
        if status != 0 or not data:
            return render_files(self.b, self.drawn)
        return pickle.loads(data)  # noqa: S301 (our own child's bytes)

    def cancel(self) -> None:
        """The caller failed or was stopped: end the child now."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.close(self.read_end)
            self._reap()

    def _reap(self) -> int | None:
        pid, self.pid = self.pid, None
        with contextlib.suppress(ChildProcessError):
            return os.waitpid(pid, 0)[1]
        return None


# ---------------------------------------------------------------------------------------------
# sheet Brief of the results workbook


def add_sheet(book, b: Brief, drawn: Drawn | None = None) -> None:
    """Sheet Brief, first: the answer, the tiles as cells (metric id beside the words, the
    plan's figure, the reference plan's), the map and the schedule as pictures (where
    ``drawn``: the brief's charts, where drawn), on one printed page."""
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    from planner.report.corridor_map import MAP_DISCLAIMER
    from planner.report.xlsx import put, style_header, unit_format, wrapped_lines

    ws = book.create_sheet(BRIEF_SHEET, 0)
    book.active = 0
    put(ws, 1, 1, f"Decision brief: {b.source}").font = Font(bold=True, size=14)
    cell = put(ws, 2, 1, b.sentence)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    widths = dict(zip("ABCDEF", (20, 26, 14, 14, 60, 4)))
    ws.row_dimensions[2].height = 15 * wrapped_lines(b.sentence, sum(widths.values()))
    header = ["metric", "tile", "plan", "reference plan", "what it is"]
    for j, h in enumerate(header, start=1):
        style_header(put(ws, 4, j, h))
    formats = {"share": "0.0%", "money": unit_format(b.money_unit, money_unit=b.money_unit),
               "flow": '#,##0.0'}
    for i, t in enumerate(b.tiles, start=5):
        put(ws, i, 1, t.metric).alignment = Alignment(vertical="top")
        label = put(ws, i, 2, t.label)
        label.font, label.alignment = Font(bold=True), Alignment(vertical="top")
        for j, v in ((3, t.number), (4, t.number_ref)):
            c = put(ws, i, j, v)
            c.number_format = formats.get(t.kind) or "General"
            c.alignment = Alignment(vertical="top")
        put(ws, i, 5, t.detail).alignment = Alignment(wrap_text=True, vertical="top")
        # a row keeps its height where a program does not fit it: the words would run over
        ws.row_dimensions[i].height = 15 * wrapped_lines(t.detail or "", widths["E"])
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w
    row = 6 + len(b.tiles)
    for name in IN_SHEET:
        if drawn is None or name not in drawn.charts:
            continue
        image = Image(io.BytesIO(drawn.part(name, "png", dpi=120)))
        scale = min(1.0, 900 / image.width)  # shown at most as wide as columns A:E
        image.width, image.height = int(image.width * scale), int(image.height * scale)
        ws.add_image(image, f"A{row}")
        row += int(image.height / 20) + 2
    put(ws, row, 1, MAP_DISCLAIMER).font = Font(size=8, italic=True, color="555555")
    foot = put(ws, row + 1, 1, "   ".join(f"{k}: {v}" for k, v in b.footer))
    foot.font = Font(size=8, color="555555")
    ws.print_options.horizontalCentered = True
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:F{row + 1}"


# ---------------------------------------------------------------------------------------------
# the scenarios' comparison brief: one page, the scenarios side by side

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
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup
    from matplotlib.backends.backend_pdf import PdfPages

    pages = scenario_pages(sb)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": f"Scenarios: {sb.source}",
                                 "Creator": "Corridor Planner", "CreationDate": None}) as out:
        for page in pages:
            out.savefig(page)
    env = Environment(loader=PackageLoader("planner.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    text = env.get_template("scenarios.html.j2").render(sb=sb, chart=Markup(svg_of(pages[0])))
    write_atomic(pdf, buf.getvalue())
    write_atomic(html, text.encode("utf-8"))
    return [pdf, html]
