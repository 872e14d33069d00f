"""What the brief says, from a results workbook's tables: the answer in one sentence, the
headline tiles, the schedule, spend, what each project buys, leverage and the footer.

One path: ``brief_of(frames)`` takes {sheet name: DataFrame} of a results workbook, the frames
'planner solve' has in memory (``frames_of_book``) or those 'planner brief' reads back
(``read_frames``). Nothing here draws: the Brief is plain data (planner/report/brief/pages.py
draws it)."""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from planner.inputs.problems import InputError, Problem
from planner.report.xlsx import flow_unit_of

# the sheets the brief reads; Summary and Portfolio make a results workbook
READS = ("Summary", "Portfolio", "Exposure", "Budget", "CashFlow", "Value", "Leverage", "Unmet",
         "Capacity", "Flows", "Nodes")
REQUIRED = {"Summary": ("metric", "value"), "Portfolio": ("project", "selected", "start_period")}
BRIEF_SHEET = "Brief"
MAX_ROWS = 30  # projects on the schedule and in 'what each project buys'; the rest named
CHART_ROWS = 12  # projects in the small chart of what each project buys


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
    network: object = None  # map_network.MapNetwork, None: no network in the results
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
    """The map's network (planner/report/map_network.py), None without sheet Capacity."""
    from planner.report.map_network import network_from_results

    if frames.get("Capacity") is None or frames["Capacity"].empty:
        return None
    return network_from_results({k: v for k, v in frames.items() if not k.startswith("_")})
