"""Read a planner's workbook (format v1) and validate it into an Instance.

Every problem is collected before anything is raised, so a planner sees them all at once. The
input file is opened read-only and never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

from planner import schema
from planner.instance import (Corridor, Country, Flow, Instance, Period, Project, RiskLimit,
                              Route, Segment, Settings)
from planner.problems import InputError, Problem

# An .xlsx that would expand past this is refused before it is parsed (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def normalize_header(text: object) -> str:
    return str(text).strip().lower() if text is not None else ""


# -- cell parsing -----------------------------------------------------------------------------

class _CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says what is expected."""


def parse_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise _CellError("text, not TRUE/FALSE")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise _CellError("text or a number, not a date: format the column as Text and type "
                         "the id again")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2026.0 written by another tool is the id "2026"
    return str(value).strip()


def parse_number(value: object, *, share: bool = False) -> float:
    if isinstance(value, bool) or isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise _CellError("a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u00a0", " ")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise _CellError("a number (for example 1200 or 0.4)") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _CellError("a finite number")
    return number / 100.0 if percent else number


def parse_cell(column: schema.Column, value: object):
    """Convert one non-blank cell to its column's type, or raise _CellError."""
    kind = column.kind
    if kind == "any":  # read by the setting it belongs to
        return value.strip() if isinstance(value, str) else value
    if kind in ("id", "text", "ref"):
        text = parse_text(value)
        if kind == "id" and schema.LIST_SEPARATOR in text:
            raise _CellError(f"an id without '{schema.LIST_SEPARATOR}'")
        return text
    if kind == "refs":
        return tuple(part.strip() for part in parse_text(value).split(schema.LIST_SEPARATOR)
                     if part.strip())
    if kind == "choice":
        word = parse_text(value).lower()
        if word not in column.choices:
            raise _CellError("one of " + ", ".join(column.choices))
        return word
    number = parse_number(value, share=kind == "share")
    if kind == "share" and not 0.0 <= number <= 1.0:
        raise _CellError("a fraction from 0 to 1 (40% is 0.4)")
    if kind == "integer":
        if not number.is_integer():
            raise _CellError("a whole number")
        number = int(number)
    if column.minimum is not None and number < column.minimum:
        raise _CellError(f"a number of at least {column.minimum:g}")
    return number


# -- the file ---------------------------------------------------------------------------------

def _open(path: Path):
    """Open the workbook read-only as data (cached formula values); refuse what is not .xlsx."""
    import openpyxl

    if not path.exists():
        raise InputError([Problem(None, None, None, str(path),
                                  "no such file: check the path")])
    if not zipfile.is_zipfile(path):
        raise InputError([Problem(None, None, None, path.name,
                                  "an Excel .xlsx workbook: this file is not one (save it from "
                                  "your spreadsheet program as Excel Workbook .xlsx)")])
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise InputError([Problem(None, None, None, path.name,
                                  "a complete .xlsx file: this one is damaged or truncated")]) from None
    if size > MAX_UNCOMPRESSED_BYTES:
        raise InputError([Problem(None, None, None, f"{size / 1e6:.0f} MB unpacked",
                                  f"a workbook under {MAX_UNCOMPRESSED_BYTES / 1e6:.0f} MB "
                                  "unpacked: this file is refused unread")])
    try:
        return openpyxl.load_workbook(path, data_only=True, read_only=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise InputError([Problem(None, None, None, path.name,
                                  f"a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
                                  "open it in a spreadsheet program and save it as .xlsx")]) from None


def _read_sheet(book, spec: schema.Sheet, problems: list[Problem]) -> list[dict] | None:
    """Rows of one sheet as dicts of typed values plus '_row' (the Excel row number)."""
    names = {name.strip().lower(): name for name in book.sheetnames}
    if spec.name.lower() not in names:
        if spec.required:
            problems.append(Problem(spec.name, None, None, None,
                                    f"a sheet named {spec.name}: add it (run 'planner template' "
                                    "for an empty workbook with every sheet)"))
        return None if spec.required else []
    ws = book[names[spec.name.lower()]]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions: dict[str, int] = {}
    for i, text in enumerate(header):
        key = normalize_header(text)
        if key and key not in positions:
            positions[key] = i
    missing = [c.name for c in spec.columns if c.required and c.name not in positions]
    for name in missing:
        problems.append(Problem(spec.name, 1, name, None,
                                f"a column headed '{name}' in row 1: add it"))
    if missing:
        return None
    records = []
    for excel_row, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank rows anywhere are ignored
        record: dict = {"_row": excel_row}
        for column in spec.columns:
            i = positions.get(column.name)
            raw = values[i] if i is not None and i < len(values) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if column.required:
                    problems.append(Problem(spec.name, excel_row, column.name, None,
                                            f"a value: {column.description}"))
                record[column.name] = column.default
                continue
            try:
                record[column.name] = parse_cell(column, raw)
            except _CellError as err:
                problems.append(Problem(spec.name, excel_row, column.name, raw, f"{err}"))
                record[column.name] = None
        records.append(record)
    return records


# -- cross-sheet checks -----------------------------------------------------------------------

def _unique(sheet: str, column: str, records: list[dict], problems: list[Problem]) -> dict:
    seen: dict[str, dict] = {}
    for r in records:
        key = r.get(column)
        if not key:
            continue
        if key in seen:
            problems.append(Problem(sheet, r["_row"], column, key,
                                    f"a unique id: row {seen[key]['_row']} already uses it"))
        else:
            seen[key] = r
    return seen


def _check_refs(sheet: str, column: str, records: list[dict], known, target: str,
                problems: list[Problem]) -> None:
    for r in records:
        value = r.get(column)
        for ref in (value if isinstance(value, tuple) else (value,)):
            if ref and ref not in known:
                problems.append(Problem(sheet, r["_row"], column, ref,
                                        f"an id from sheet {target}: add it there or correct "
                                        "the spelling"))


def _settings(records: list[dict], problems: list[Problem]) -> Settings:
    values: dict[str, object] = {}
    seen: dict[str, int] = {}
    for r in records:
        name = r.get("setting")
        if not name:
            continue
        if name in seen:
            problems.append(Problem("Settings", r["_row"], "setting", name,
                                    f"each setting once: row {seen[name]} sets it already"))
            continue
        seen[name] = r["_row"]
        spec = schema.SETTINGS_BY_NAME[name]
        raw = r.get("value")
        if raw in (None, ""):
            continue  # blank value = the default
        try:
            if spec.choices == schema.YES_NO:
                value = _yes_no(raw)
            elif spec.kind == "choice":
                word = str(raw).strip().lower()
                if word not in spec.choices:
                    raise _CellError("one of " + ", ".join(spec.choices))
                value = word
            elif spec.kind == "number":
                value = parse_number(raw)
                if spec.minimum is not None and value < spec.minimum:
                    raise _CellError(f"a number of at least {spec.minimum:g}")
                if spec.maximum is not None and value > spec.maximum:
                    raise _CellError(f"a number of at most {spec.maximum:g}")
            else:
                value = str(raw).strip()
        except _CellError as err:
            problems.append(Problem("Settings", r["_row"], "value", raw, f"for {name}: {err}"))
            continue
        values[name] = value
    if "budget_carry_over" in values:
        values["budget_carry_over"] = values["budget_carry_over"] == "yes"
    return Settings(**values)


def _yes_no(raw: object) -> str:
    """yes/no, also from TRUE/FALSE cells, 1/0 and y/n."""
    word = str(raw).strip().lower()
    if word in ("yes", "y", "true", "1", "1.0"):
        return "yes"
    if word in ("no", "n", "false", "0", "0.0"):
        return "no"
    raise _CellError("yes or no")


def _find_cycle(requires: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle in the requires graph as a list of ids, or None."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in requires.get(node, ()):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt in requires and state.get(nxt) is None:
                found = visit(nxt, path)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in requires:
        if state.get(start) is None:
            found = visit(start, [])
            if found:
                return found
    return None


def read_workbook(path: str | Path) -> Instance:
    """Read and validate; raise InputError listing every problem, or return the Instance.

    Warnings (things that are allowed but look wrong) are kept on ``Instance.warnings``
    -- see ``validate_workbook`` for a call that returns them.
    """
    instance, problems = _read(Path(path))
    errors = [p for p in problems if not p.warning]
    if errors:
        raise InputError(problems)
    return instance


def validate_workbook(path: str | Path) -> list[Problem]:
    """Every problem and warning of a workbook; an empty list means it is ready to solve."""
    try:
        _, problems = _read(Path(path))
    except InputError as err:
        return err.problems + err.warnings
    return problems


def _read(path: Path) -> tuple[Instance | None, list[Problem]]:
    data = path.read_bytes() if path.exists() else b""
    book = _open(path)
    problems: list[Problem] = []
    try:
        tables = {spec.name: _read_sheet(book, spec, problems) for spec in schema.SHEETS}
    finally:
        book.close()
    if any(records is None for records in tables.values()):
        return None, problems  # a sheet or column is missing: row checks would only mislead

    settings = _settings(tables["Settings"], problems)

    periods = _unique("Periods", "period", tables["Periods"], problems)
    if not periods:
        problems.append(Problem("Periods", 2, "period", None, "at least one period"))
    countries = _unique("Countries", "country", tables["Countries"], problems)
    corridors = _unique("Corridors", "corridor", tables["Corridors"], problems)
    segments = _unique("Segments", "segment", tables["Segments"], problems)
    routes = _unique("Routes", "route", tables["Routes"], problems)
    projects = _unique("Projects", "project", tables["Projects"], problems)

    _check_refs("Segments", "country", tables["Segments"], countries, "Countries", problems)
    _check_refs("Routes", "corridor", tables["Routes"], corridors, "Corridors", problems)
    _check_refs("Routes", "segments", tables["Routes"], segments, "Segments", problems)
    _check_refs("Flows", "period", tables["Flows"], periods, "Periods", problems)
    _check_refs("Projects", "segments", tables["Projects"], segments, "Segments", problems)
    _check_refs("Projects", "earliest_period", tables["Projects"], periods, "Periods", problems)
    _check_refs("Projects", "requires", tables["Projects"], projects, "Projects", problems)

    if settings.home_country and settings.home_country not in countries:
        row = next((r["_row"] for r in tables["Settings"] if r.get("setting") == "home_country"),
                   None)
        problems.append(Problem("Settings", row, "value", settings.home_country,
                                "for home_country: an id from sheet Countries (no segment "
                                "lies in it, so it changes nothing)", warning=True))

    # Flows: one row per flow and period; origin and destination the same on every row
    flows: dict[str, dict] = {}
    flow_period_row: dict[tuple[str, str], int] = {}
    for r in tables["Flows"]:
        k, t = r.get("flow"), r.get("period")
        if not k:
            continue
        first = flows.setdefault(k, {"origin": r.get("origin"), "destination":
                                     r.get("destination"), "demand": {}, "_row": r["_row"]})
        for col in ("origin", "destination"):
            if r.get(col) and first[col] and r[col] != first[col]:
                problems.append(Problem("Flows", r["_row"], col, r[col],
                                        f"the same {col} on every row of flow {k}: row "
                                        f"{first['_row']} says {first[col]!r}"))
        if t:
            if (k, t) in flow_period_row:
                problems.append(Problem("Flows", r["_row"], "period", t,
                                        f"one row per flow and period: row "
                                        f"{flow_period_row[(k, t)]} already gives {k} in {t}"))
            else:
                flow_period_row[(k, t)] = r["_row"]
                if r.get("demand") is not None:
                    first["demand"][t] = r["demand"]
    _check_refs("Routes", "flow", tables["Routes"], flows, "Flows", problems)

    # Routes: consecutive segments connect; a warning where the ends miss the flow's nodes
    for r in tables["Routes"]:
        chain = [s for s in (r.get("segments") or ()) if s in segments]
        if not r.get("segments"):
            continue
        for a, b in zip(chain, chain[1:]):
            if segments[a]["to"] != segments[b]["from"]:
                problems.append(Problem(
                    "Routes", r["_row"], "segments", f"{a}; {b}",
                    f"segments in travel order: {a} ends at {segments[a]['to']!r} but {b} "
                    f"starts at {segments[b]['from']!r}"))
        flow = flows.get(r.get("flow"))
        if flow and chain and len(chain) == len(r["segments"]):
            if segments[chain[0]]["from"] != flow["origin"] or \
                    segments[chain[-1]]["to"] != flow["destination"]:
                problems.append(Problem(
                    "Routes", r["_row"], "segments", "; ".join(chain),
                    f"a chain from {flow['origin']!r} to {flow['destination']!r} (the ends of "
                    f"flow {r['flow']}); it runs from {segments[chain[0]]['from']!r} to "
                    f"{segments[chain[-1]]['to']!r}", warning=True))
    for k, f in flows.items():
        if not any(r.get("flow") == k for r in tables["Routes"]):
            problems.append(Problem("Flows", f["_row"], "flow", k,
                                    "at least one route on sheet Routes: without one, all of its "
                                    "demand is unmet", warning=True))

    # Projects: requires without cycles; committed/excluded consistent
    for r in tables["Projects"]:
        if r.get("project") and r.get("project") in (r.get("requires") or ()):
            problems.append(Problem("Projects", r["_row"], "requires", r["project"],
                                    "other projects: a project cannot require itself"))
    requires = {r["project"]: tuple(q for q in (r.get("requires") or ()) if q in projects)
                for r in tables["Projects"] if r.get("project")}
    cycle = _find_cycle({p: tuple(q for q in qs if q != p) for p, qs in requires.items()})
    if cycle:
        problems.append(Problem("Projects", projects[cycle[0]]["_row"], "requires",
                                " -> ".join(cycle),
                                "requirements without a cycle: remove one of these"))

    # RiskLimits: units that fit the limit, keys that exist
    for r in tables["RiskLimits"]:
        kind, unit, key = r.get("limit"), r.get("unit"), r.get("key") or ""
        if not kind or not unit:
            continue
        if kind == "max_share" and unit == "total":
            problems.append(Problem("RiskLimits", r["_row"], "unit", unit,
                                    "corridor or country for max_share"))
        if kind == "max_high_risk_capex_share" and unit != "total":
            problems.append(Problem("RiskLimits", r["_row"], "unit", unit,
                                    "total for max_high_risk_capex_share"))
        if kind in ("max_share", "max_high_risk_capex_share") and (r.get("value") or 0) > 1:
            problems.append(Problem("RiskLimits", r["_row"], "value", r["value"],
                                    "a fraction from 0 to 1 for a share (40% is 0.4)"))
        table = {"corridor": corridors, "country": countries}.get(unit)
        if key and table is not None and key not in table:
            target = "Corridors" if unit == "corridor" else "Countries"
            problems.append(Problem("RiskLimits", r["_row"], "key", key,
                                    f"an id from sheet {target}"))
        if key and unit == "total":
            problems.append(Problem("RiskLimits", r["_row"], "key", key,
                                    "a blank key for unit total", warning=True))

    if any(p for p in problems if not p.warning):
        return None, problems

    instance = Instance(
        settings=settings,
        periods=tuple(Period(r["period"], r["budget"], r["years"], r["weight"])
                      for r in tables["Periods"]),
        countries={k: Country(k, r["name"] or "", r["risk"]) for k, r in countries.items()},
        corridors={k: Corridor(k, r["name"] or "", r["risk"]) for k, r in corridors.items()},
        segments={k: Segment(k, r["from"], r["to"], r["mode"], r["country"], r["capacity"],
                             r["cost_per_t"], r["length_km"]) for k, r in segments.items()},
        routes={k: Route(k, r["flow"], r["corridor"], tuple(r["segments"]))
                for k, r in routes.items()},
        flows={k: Flow(k, f["origin"], f["destination"], dict(f["demand"]))
               for k, f in flows.items()},
        projects={k: Project(k, tuple(r["segments"]), r["capacity_added"], r["capex"],
                             r["name"] or "", r["lead_time"], r["earliest_period"] or "",
                             r["status"], tuple(r["requires"] or ()), r["exclusive_group"] or "",
                             r["risk_class"]) for k, r in projects.items()},
        limits=tuple(RiskLimit(r["limit"], r["unit"], r["key"] or "", r["value"], r["_row"])
                     for r in tables["RiskLimits"]),
        rows={**{(sheet, k): r["_row"] for sheet, table in
                 (("Periods", periods), ("Countries", countries), ("Corridors", corridors),
                  ("Segments", segments), ("Routes", routes), ("Projects", projects),
                  ("Flows", flows)) for k, r in table.items()}},
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_name=path.name,
        warnings=tuple(problems),
    )
    return instance, problems
