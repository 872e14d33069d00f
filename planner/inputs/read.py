"""Read a planner's workbook (format v1) and validate it into an Instance.

Every problem is collected before anything is raised, so a planner sees them all at once. The
input file is opened read-only and never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from openpyxl.utils import column_index_from_string, get_column_letter

from planner import financing, schema
from planner.instance import (BUDGET, Corridor, Country, Flow, Instance, Period, Project,
                              RiskLimit,
                              Route, Segment, Settings)
from planner.problems import InputError, Problem

# An .xlsx that would expand past this is refused before it is parsed (zip bombs).
MAX_UNCOMPRESSED_MB = 200
MAX_UNCOMPRESSED_BYTES = MAX_UNCOMPRESSED_MB * 1_000_000
MAX_NUMBER = 1e15
# openpyxl makes an object of every cell of a merged range: B2:XFD1048576 in a 30 KB file
# would be 17 billion of them
MAX_MERGED_CELLS = 1_000_000
SCENARIOS = "Scenarios"  # the one sheet only some commands read
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


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


def parse_number(value: object) -> float:
    if isinstance(value, bool) or isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise _CellError("a number")
    if isinstance(value, (int, float)):
        return _finite(float(value))
    text = str(value).strip().replace("\u00a0", " ")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        raise _CellError("a number with a decimal point: is this a decimal comma? write "
                         f"{text.replace(',', '.')} (or {text.replace(',', '')} if the comma "
                         "separates thousands)")
    try:
        number = float(text)
    except ValueError:
        raise _CellError("a number (for example 1200 or 0.4)") from None
    return _finite(number) / 100.0 if percent else _finite(number)


def _finite(number: float) -> float:
    """The number, if HiGHS will not read it as infinite: a number cell is held to the same
    bound as a number typed as text."""
    if number != number or abs(number) > MAX_NUMBER:
        raise _CellError(f"a finite number below {MAX_NUMBER:.0e} (the solver reads larger "
                         "values as infinite)")
    return number


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
    number = parse_number(value)
    if kind == "share" and not 0.0 <= number <= 1.0:
        raise _CellError("a fraction from 0 to 1 (40% is 0.4)")
    if kind == "integer":
        if not number.is_integer():
            raise _CellError("a whole number")
        number = int(number)
    if column.minimum is not None and number < column.minimum:
        raise _CellError(f"a number of at least {column.minimum:g}")
    unit = f" {column.unit}" if column.unit else ""
    if column.maximum is not None and number > column.maximum:
        raise _CellError(f"a number of at most {column.maximum:g}{unit}: the solver cannot "
                         "hold larger values together with the smallest a workbook may hold "
                         "(docs/workbook.md, Accepted ranges)")
    if column.least is not None and 0 < abs(number) < column.least:
        raise _CellError(f"0 or a number of at least {column.least:g}{unit}: the solver "
                         "cannot tell a smaller amount from 0 (docs/workbook.md, Accepted "
                         "ranges)")
    return number


# -- the file ---------------------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
_SAVE_AS_XLSX = "save it from your spreadsheet program as Excel Workbook (.xlsx)"


def _refuse(path: Path, found: object, expected: str) -> InputError:
    return InputError([Problem(None, None, None, found, expected, file=path.name)])


def _check_file(path: Path) -> None:
    """Refuse, with a message that says what to do, anything that is not a sane .xlsx."""
    if not path.exists():
        raise _refuse(path, str(path), "no such file: check the path")
    if path.is_dir():
        raise _refuse(path, str(path), "a workbook file, not a folder")
    if not path.is_file():  # a pipe would wait for a writer, /dev/zero never end
        raise _refuse(path, str(path), "a workbook file: this is not a regular file (a "
                      "device, pipe or socket); it was refused unread")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00" in path.read_bytes():
            raise _refuse(path, "password-protected workbook",
                          "a workbook without a password: remove it (File > Info > Protect "
                          "Workbook > Encrypt with Password, empty) and save again")
        raise _refuse(path, "Excel 97-2003 .xls", f"an .xlsx workbook: {_SAVE_AS_XLSX}")
    if not head.startswith(b"PK"):
        if b"," in head or b";" in head or b"\t" in head:
            raise _refuse(path, "a CSV or text file", "a workbook with one sheet per table "
                          "(run 'planner template' for an empty one) and paste the table in")
        raise _refuse(path, "not a spreadsheet", f"an .xlsx workbook: {_SAVE_AS_XLSX}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            size = sum(i.file_size for i in archive.infolist())
            if size > MAX_UNCOMPRESSED_BYTES:
                raise _refuse(path, f"{size / 1e6:,.0f} MB unpacked",
                              f"a workbook under {MAX_UNCOMPRESSED_MB} MB unpacked: this one "
                              "was refused unread")
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            scans = {n: _scan(archive, n) for n in sorted(names)}
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _refuse(path, "damaged or truncated file", "a complete .xlsx file: copy it "
                      "again, or open it in your spreadsheet program and save it") from None
    declares = next((n for n, (doctype, _) in scans.items() if doctype), None)
    if declares:
        raise _refuse(path, f"a DOCTYPE declaration in {declares}", _NO_DOCTYPE)
    merged = sum(cells for _, cells in scans.values())
    if merged > MAX_MERGED_CELLS:
        raise _refuse(path, f"merged cells covering {merged:,} cells",
                      f"merged cells covering at most {MAX_MERGED_CELLS:,} cells (the reader "
                      "expands every cell of a merged range): unmerge them; it was refused "
                      "unread")
    if b"opendocument" in mimetype:
        raise _refuse(path, "OpenDocument spreadsheet (.ods)", f"an .xlsx workbook: "
                      f"{_SAVE_AS_XLSX}")
    if "xl/workbook.xml" not in names:
        raise _refuse(path, "a zip archive that is no Excel workbook",
                      f"an .xlsx workbook: {_SAVE_AS_XLSX}")


_NO_DOCTYPE = ("a workbook without DOCTYPE or entity declarations (they are used to attack "
               "readers); it was refused unread")
# '<!DOCTYPE' as the encodings the XML parser reads spell it (UTF-8 and ASCII alike)
_DOCTYPES = tuple("<!DOCTYPE".encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be"))
_BINARY = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin")


# a merged range, <mergeCell ref="B2:D4"/> (any prefix, any attribute order)
_MERGE = re.compile(rb'mergeCell\b[^>]*?\bref="([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"')


def _scan(archive: zipfile.ZipFile, name: str) -> tuple[bool, int]:
    """Whether part ``name`` holds a DOCTYPE anywhere (a comment may push it past any
    prefix), and how many cells its merged ranges cover; read in chunks. Images and
    embedded binaries are not XML."""
    if name.lower().endswith(_BINARY) or name.endswith("/"):
        return False, 0
    overlap = 200  # longer than '<!DOCTYPE' in UTF-16 and a mergeCell tag
    tail, cells = b"", 0
    with archive.open(name) as part:
        while chunk := part.read(1 << 20):
            window = tail + chunk
            if any(d in window for d in _DOCTYPES):
                return True, cells
            for m in _MERGE.finditer(window):
                if m.end() > len(tail):  # not counted with the window before
                    cols = abs(column_index_from_string(m[3].decode().upper())
                               - column_index_from_string(m[1].decode().upper())) + 1
                    cells += cols * (abs(int(m[4]) - int(m[2])) + 1)
            tail = window[-overlap:]
    return False, cells


def _load(path: Path, *, formulas: bool):
    """The workbook as data: cached values of formulas (formulas=False) or the formulas."""
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        return openpyxl.load_workbook(path, data_only=not formulas, keep_vba=False,
                                      keep_links=False)
    except DefusedXmlException:  # declarations _check_file did not see: still refused
        raise _refuse(path, "XML entity declarations", _NO_DOCTYPE) from None
    except Exception as exc:  # openpyxl raises many kinds of errors for damaged files
        raise _refuse(path, f"{type(exc).__name__}: {exc}", "a readable .xlsx workbook: "
                      "open it in your spreadsheet program and save it again") from None


def _layout_problems(ws, spec: schema.Sheet) -> list[Problem]:
    """What makes a sheet unreadable as a table however its cells look."""
    out = []
    if ws.sheet_state != "visible":
        out.append(Problem(spec.name, None, None, f"{ws.sheet_state} sheet",
                           "a visible sheet, so that what is solved is what you see: unhide "
                           "it (right-click a sheet tab > Unhide)"))
    for merged in sorted(ws.merged_cells.ranges, key=str):
        out.append(Problem(spec.name, merged.min_row, None, f"merged cells {merged}",
                           "one value per cell: unmerge these cells and fill each one"))
    return out


def sheet_rows(ws) -> dict[int, dict[int, object]]:
    """Excel row -> {0-based column: value} of the cells of ``ws`` that hold a value, rows in
    order. Only the cells present are visited: a sheet's used range reaches its farthest
    cell, and one value in XFD1048576 spans 17 billion cells, which walking row by row (as
    iter_rows does) took minutes and gigabytes to do."""
    rows: dict[int, dict[int, object]] = {}
    for (r, c), cell in ws._cells.items():  # openpyxl keeps only the cells the file has
        if cell.value is not None:
            rows.setdefault(r, {})[c - 1] = cell.value
    return {r: dict(sorted(rows[r].items())) for r in sorted(rows)}


def _header_row(rows: dict[int, dict[int, object]], spec: schema.Sheet) -> int | None:
    """1-based row that holds every required header, looking at the first 20 rows."""
    needed = {c.name for c in spec.columns if c.required}
    for i in range(1, 21):
        if needed <= {normalize_header(v) for v in rows.get(i, {}).values()}:
            return i
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(book, spec: schema.Sheet, problems: list[Problem],
                formulas=None) -> list[dict] | None:
    """Rows of one sheet as dicts of typed values plus '_row' (the Excel row number).

    ``formulas`` is the same workbook read for its formulas (or None when it has none): a
    formula whose result was never saved is reported instead of being read as blank. A
    value in a column without a header is a note: a row of notes only is no record (one
    warning per sheet names the first such cell).
    """
    names = {name.strip().lower(): name for name in book.sheetnames}
    if spec.name.lower() not in names:
        if spec.required:
            problems.append(Problem(spec.name, None, None, None,
                                    f"a sheet named {spec.name}: add it (run 'planner template' "
                                    "for an empty workbook with every sheet)"))
        return None if spec.required else []
    ws = book[names[spec.name.lower()]]
    layout = _layout_problems(ws, spec)
    problems.extend(layout)
    rows = sheet_rows(ws)
    positions: dict[str, int] = {}
    for i, text in rows.get(1, {}).items():
        key = normalize_header(text)
        if key and key not in positions:
            positions[key] = i
    missing = [c.name for c in spec.columns if c.required and c.name not in positions]
    found_at = _header_row(rows, spec) if missing else None
    if found_at:
        problems.append(Problem(spec.name, found_at, None, "the header row",
                                f"the headers in row 1: delete the {found_at - 1} row(s) above "
                                "them"))
        return None
    for name in missing:
        problems.append(Problem(spec.name, 1, name, None,
                                f"a column headed '{name}' in row 1: add it"))
    if missing or layout:
        return None
    headed = {i for i, text in rows.get(1, {}).items() if normalize_header(text)}
    formula_rows = sheet_rows(formulas[ws.title]) if formulas else {}
    records = []
    noted = False
    for excel_row, values in rows.items():
        if excel_row == 1 or all(_blank(v) for v in values.values()):
            continue  # blank rows anywhere are ignored
        if all(_blank(v) for i, v in values.items() if i in headed):
            if not noted:  # notes beside the table, not a record
                i = next(i for i, v in values.items() if not _blank(v))
                problems.append(Problem(
                    spec.name, excel_row, None,
                    f"{get_column_letter(i + 1)}{excel_row}: {values[i]}",
                    "values only under a header: a value in a column without one is "
                    "ignored as a note (this row holds nothing else)", warning=True))
                noted = True
            continue
        record: dict = {"_row": excel_row}
        for column in spec.columns:
            i = positions.get(column.name)
            raw = values.get(i) if i is not None else None
            if raw is None and i is not None:
                formula = formula_rows.get(excel_row, {}).get(i)
                if isinstance(formula, str) and formula.startswith("="):
                    problems.append(Problem(
                        spec.name, excel_row, column.name, formula,
                        "a value: this formula has no saved result; open the workbook in "
                        "Excel or LibreOffice, save it, and run again"))
                    record[column.name] = None
                    continue
            record[column.name], problem = _read_cell(spec, column, raw, excel_row)
            if problem:
                problems.append(problem)
        records.append(record)
    return records


def _read_cell(spec: schema.Sheet, column: schema.Column, raw: object,
               excel_row: int | None) -> tuple[object, Problem | None]:
    """One cell read by its column: its value (the default when blank, None when it cannot
    be read) and the problem, if any."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            return column.default, Problem(spec.name, excel_row, column.name, None,
                                           f"a value: {column.description}")
        return column.default, None
    try:
        return parse_cell(column, raw), None
    except _CellError as err:
        return None, Problem(spec.name, excel_row, column.name, raw, f"{err}")


def _has_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(b"<f" in archive.read(n) or b":f>" in archive.read(n)
                   for n in archive.namelist() if n.startswith("xl/worksheets/"))


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
        found = row_problems("Settings", r, {})
        problems.extend(found)
        if not found and r.get("value") not in (None, ""):  # blank value = the default
            values[name] = setting_value(name, r["value"])
    if "budget_carry_over" in values:
        values["budget_carry_over"] = values["budget_carry_over"] == "yes"
    return Settings(**values)


def setting_value(name: str, raw: object):
    """A setting's value read by the setting's kind and range, or raise _CellError."""
    spec = schema.SETTINGS_BY_NAME[name]
    if spec.choices == schema.YES_NO:
        return _yes_no(raw)
    if spec.kind == "choice":
        word = str(raw).strip().lower()
        if word not in spec.choices:
            raise _CellError("one of " + ", ".join(spec.choices))
        return word
    if spec.kind == "number":
        value = parse_number(raw)
        if spec.minimum is not None and value < spec.minimum:
            raise _CellError(f"a number of at least {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise _CellError(f"a number of at most {spec.maximum:g}")
        return value
    return str(raw).strip()


def _check_period_order(records: list[dict], problems: list[Problem]) -> None:
    """Row order is time order; where the ids are years (numbers), they must rise."""
    years = []
    for r in records:
        try:
            years.append((float(r["period"]), r))
        except (TypeError, ValueError):
            return  # free-text period names: the row order is all there is
    for (a, ra), (b, rb) in zip(years, years[1:]):
        if b < a:
            problems.append(Problem("Periods", rb["_row"], "period", rb["period"],
                                    f"periods in time order, one row each: it comes after "
                                    f"{ra['period']} (row {ra['_row']}); sort the rows"))


def _check_period_years(records: list[dict], problems: list[Problem]) -> None:
    """A period lasts more than 0 years: its transport cost, opex and benefits count once a
    year of it, and a period of no years has none to count."""
    for r in records:
        years = r.get("years")
        if isinstance(years, (int, float)) and years <= 0:
            problems.append(Problem("Periods", r["_row"], "years", years,
                                    "a length of more than 0 years (1.5 = a year and a "
                                    "half): give the period's length, or merge the row into "
                                    "the period next to it"))


def _missing_flow_periods(flows: dict[str, dict], rows: dict[tuple[str, str], int],
                          periods: dict, problems: list[Problem]) -> None:
    """A flow without a row for a period has no demand there, which is allowed (a flow that
    starts later) but looks the same as a deleted row: warn, unless a 0 row says so."""
    for k, f in flows.items():
        missing = [str(t) for t in periods if (k, t) not in rows]
        if missing:
            problems.append(Problem(
                "Flows", f["_row"], "period", k,
                f"a row for flow {k} in every period: it has none for {', '.join(missing)}, "
                "so demand taken as 0 there; add the row (demand 0 if the flow does not run "
                "then)", warning=True))


def _yes_no(raw: object) -> str:
    """yes/no, also from TRUE/FALSE cells, 1/0 and y/n."""
    word = str(raw).strip().lower()
    if word in ("yes", "y", "true", "1", "1.0"):
        return "yes"
    if word in ("no", "n", "false", "0", "0.0"):
        return "no"
    raise _CellError("yes or no")


def _find_cycle(requires: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle in the requires graph as ids, each requiring the next and the first repeated
    last, starting from the project listed first; or None. graphlib searches with a stack of
    its own, so a chain of any length is fine (a recursive search overflowed at ~1,000)."""
    try:
        TopologicalSorter(requires).prepare()
    except CycleError as err:
        ring = list(err.args[1][:-1])
        if ring[1 % len(ring)] not in requires[ring[0]]:
            ring.reverse()  # graphlib lists a cycle against the arrows
        position = {p: i for i, p in enumerate(requires)}
        first = min(range(len(ring)), key=lambda i: position[ring[i]])
        ring = ring[first:] + ring[:first]
        return ring + [ring[0]]
    return None


# -- row rules: one row's cells against each other, shared with sheet Scenarios -------------

def _setting_rule(r: dict, known: dict) -> list[Problem]:
    """A setting's value fits the setting; blank = the default."""
    name, raw = r.get("setting"), r.get("value")
    if not name or raw in (None, ""):
        return []
    try:
        setting_value(name, raw)
    except _CellError as err:
        return [Problem("Settings", r["_row"], "value", raw, f"for {name}: {err}")]
    return []


def _limit_rule(r: dict, known: dict) -> list[Problem]:
    """A risk limit's unit fits the limit, a share is at most 1, its key exists."""
    kind, unit, key = r.get("limit"), r.get("unit"), r.get("key") or ""
    if not kind or not unit:
        return []
    out = []
    if kind == "max_share" and unit == "total":
        out.append(Problem("RiskLimits", r["_row"], "unit", unit,
                           "corridor or country for max_share"))
    if kind == "max_high_risk_capex_share" and unit != "total":
        out.append(Problem("RiskLimits", r["_row"], "unit", unit,
                           "total for max_high_risk_capex_share"))
    if kind in ("max_share", "max_high_risk_capex_share") and (r.get("value") or 0) > 1:
        out.append(Problem("RiskLimits", r["_row"], "value", r["value"],
                           "a fraction from 0 to 1 for a share (40% is 0.4)"))
    target = {"corridor": "Corridors", "country": "Countries"}.get(unit)
    if key and target and key not in known.get(target, ()):
        out.append(Problem("RiskLimits", r["_row"], "key", key, f"an id from sheet {target}"))
    if key and unit == "total":
        out.append(Problem("RiskLimits", r["_row"], "key", key,
                           "a blank key for unit total", warning=True))
    return out


def _closure_days_rule(r: dict, known: dict) -> list[Problem]:
    """Expected days closed a year are at most the year's 365."""
    days = r.get("closure_days")
    if days is not None and days > 365:
        sheet = "Corridors" if "corridor" in r else "Countries"
        return [Problem(sheet, r["_row"], "closure_days", days, "days a year from 0 to 365")]
    return []


# sheet -> the rules every row of it must pass (each: row, ids by sheet -> problems)
ROW_RULES = {"Settings": (_setting_rule,), "RiskLimits": (_limit_rule,),
             "Countries": (_closure_days_rule,), "Corridors": (_closure_days_rule,)}


def row_problems(sheet: str, record: dict, known: dict) -> list[Problem]:
    """What the row rules of ``sheet`` find in one row read from it."""
    return [p for rule in ROW_RULES.get(sheet, ()) for p in rule(record, known)]


def check_row(sheet: str, record: dict, cells: dict,
              known: dict) -> tuple[dict, list[Problem]]:
    """A row of ``sheet`` (``record``: as read, or {} for a new row) with ``cells`` (column ->
    value as typed) written into it, read by the same rules as the sheet: each cell by its
    column, its references against ``known`` (ids by sheet), then the sheet's row rules.
    Returns the row as read and the problems, on that sheet and ``record['_row']``."""
    spec = schema.SHEETS_BY_NAME[sheet]
    row = {"_row": None, **record}
    problems: list[Problem] = []
    for name, raw in cells.items():
        column = spec.column(name)
        row[name], problem = _read_cell(spec, column, raw, row["_row"])
        if problem:
            problems.append(problem)
        elif column.kind in ("ref", "refs") and column.ref in known:
            _check_refs(sheet, name, [row], known[column.ref], column.ref, problems)
    return row, problems + row_problems(sheet, row, known)


def read_workbook(path: str | Path, *, scenarios: bool = True) -> Instance:
    """Read and validate; raise InputError listing every problem, or return the Instance.

    Warnings (things that are allowed but look wrong) are kept on ``Instance.warnings``
    -- see ``validate_workbook`` for a call that returns them. ``scenarios=False`` is for a
    command that does not read sheet Scenarios: its problems are then warnings.
    """
    instance, problems = _read(Path(path), scenarios)
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


def _read(path: Path, scenarios: bool = True) -> tuple[Instance | None, list[Problem]]:
    try:
        return _read_checked(path, scenarios)
    except InputError:
        raise
    except Exception as exc:  # a last guard: a planner sees a message, never a traceback
        raise _refuse(path, f"{type(exc).__name__}: {exc}",
                      "a workbook this reader understands; open it in your spreadsheet "
                      "program, save it as .xlsx and try again (and please report this "
                      "message with the file)") from None


def _read_checked(path: Path, scenarios: bool) -> tuple[Instance | None, list[Problem]]:
    tables, problems = read_tables(path)
    if any(records is None for sheet, records in tables.items() if sheet != SCENARIOS):
        # a sheet or column is missing: row checks would only mislead
        return None, _unread(problems, scenarios)
    tables[SCENARIOS] = tables[SCENARIOS] or []  # unreadable: its problems are listed
    return validate_tables(tables, problems, path.name,
                           hashlib.sha256(path.read_bytes()).hexdigest(), scenarios)


def read_tables(path: Path) -> tuple[dict[str, list[dict] | None], list[Problem]]:
    """Stage 1 of reading: the file checked and each sheet's cells typed, row by row.
    A sheet that is missing, or misses a column, comes back as None."""
    _check_file(path)
    book = _load(path, formulas=False)
    formulas = _load(path, formulas=True) if _has_formulas(path) else None
    problems: list[Problem] = []
    try:
        tables = {spec.name: _read_sheet(book, spec, problems, formulas)
                  for spec in schema.SHEETS}
    finally:
        book.close()
        if formulas is not None:
            formulas.close()
    return tables, problems


def validate_tables(tables: dict[str, list[dict]], problems: list[Problem], name: str = "",
                    sha256: str = "", scenarios: bool = True
                    ) -> tuple[Instance | None, list[Problem]]:
    """Stage 2 of reading: ids, references and rules across sheets -> the Instance.
    ``scenarios=False``: sheet Scenarios is not used, so its problems are warnings."""
    settings = _settings(tables["Settings"], problems)

    periods = _unique("Periods", "period", tables["Periods"], problems)
    if not periods:
        problems.append(Problem("Periods", 2, "period", None, "at least one period"))
    _check_period_order(tables["Periods"], problems)
    _check_period_years(tables["Periods"], problems)
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
    _missing_flow_periods(flows, flow_period_row, periods, problems)
    _check_transport_cost(tables, flows, flow_period_row, periods, segments, problems)

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

    known = {"Periods": periods, "Countries": countries, "Corridors": corridors,
             "Segments": segments, "Routes": routes, "Flows": flows, "Projects": projects}
    for r in tables["RiskLimits"]:
        problems.extend(row_problems("RiskLimits", r, known))

    # financing: profiles, sources and their envelopes, what each project may be paid by
    profiles = financing.spend_profiles(projects, len(periods), problems)
    sources, source_budgets = financing.read_sources(tables, countries, periods, problems)
    project_countries = {p: frozenset(segments[s]["country"] for s in (r.get("segments") or ())
                                      if s in segments) for p, r in projects.items()}
    financing.check_project_sources(projects, sources, project_countries, problems,
                                    financing.named_sources(tables))
    for sheet in ("Countries", "Corridors"):
        for r in tables.get(sheet) or []:
            problems.extend(row_problems(sheet, r, known))
    financing.check_committed_profiles(projects, profiles, list(periods), problems)

    # scenario rows are checked against the instance: build it unless something else is wrong
    if any(not p.warning and p.sheet != SCENARIOS for p in problems):
        return None, _unread(problems, scenarios)

    instance = Instance(
        settings=settings,
        periods=tuple(Period(r["period"], r["budget"], r["years"], r["weight"],
                             r.get("debt_service_limit")) for r in tables["Periods"]),
        countries={k: Country(k, r["name"] or "", r["risk"], r.get("closure_days") or 0.0)
                   for k, r in countries.items()},
        corridors={k: Corridor(k, r["name"] or "", r["risk"], r.get("closure_days") or 0.0)
                   for k, r in corridors.items()},
        segments={k: Segment(k, r["from"], r["to"], r["mode"], r["country"], r["capacity"],
                             r["cost_per_t"], r["length_km"]) for k, r in segments.items()},
        routes={k: Route(k, r["flow"], r["corridor"], tuple(r["segments"]))
                for k, r in routes.items()},
        flows={k: Flow(k, f["origin"], f["destination"], dict(f["demand"]))
               for k, f in flows.items()},
        projects={k: Project(k, tuple(r["segments"]), r["capacity_added"], r["capex"],
                             r["name"] or "", r["lead_time"], r["earliest_period"] or "",
                             r["status"], tuple(r["requires"] or ()), r["exclusive_group"] or "",
                             r["risk_class"], profiles[k],
                             tuple(BUDGET if s.lower() == BUDGET else s
                                   for s in r.get("sources") or ()),
                             r.get("opex") or 0.0) for k, r in projects.items()},
        limits=tuple(RiskLimit(r["limit"], r["unit"], r["key"] or "", r["value"], r["_row"])
                     for r in tables["RiskLimits"]),
        rows={**{(sheet, k): r["_row"] for sheet, table in
                 (("Periods", periods), ("Countries", countries), ("Corridors", corridors),
                  ("Segments", segments), ("Routes", routes), ("Projects", projects),
                  ("Flows", flows)) for k, r in table.items()},
              **{("Sources", r["source"]): r["_row"] for r in tables.get("Sources") or []
                 if r.get("source")}},
        sources=sources,
        source_budgets=source_budgets,
        source_sha256=sha256,
        source_name=name,
    )
    from planner.scenarios import parse_scenarios
    parsed = parse_scenarios(instance, tables.get(SCENARIOS) or [], problems)
    problems = _unread(problems, scenarios)
    if any(not p.warning for p in problems):
        return None, problems
    return replace(instance, scenarios=parsed, warnings=tuple(problems)), problems


def transport_cost(demand: float, route: str, cost: float, years: float) -> str | None:
    """What is wrong with a flow's transport cost in a period (its demand x its dearest
    route's cost x the period's years), or None: beyond MAX_TRANSPORT_COST USD m the flow
    LP's cost stage ended 'Unknown', its values 1e12 beside amounts of 1e-3."""
    total = demand * cost * years
    if total <= schema.MAX_TRANSPORT_COST:
        return None
    return (f"a transport cost of at most {schema.MAX_TRANSPORT_COST:.0e} USD m in a period, "
            f"which the solver can hold together with the smallest amounts: {demand:.0e} "
            f"Mt/yr x {cost:.0e} USD/t (route {route}) x {years:g} years = {total:.0e} USD m; "
            "lower the demand or the route's segment costs (docs/workbook.md, Accepted "
            "ranges)")


def _check_transport_cost(tables: dict, flows: dict, flow_period_row: dict, periods: dict,
                          segments: dict, problems: list[Problem]) -> None:
    """Each flow's demand in a period, carried on its dearest route for the period's years,
    costs at most schema.MAX_TRANSPORT_COST (each number may be within its own range and
    their product not)."""
    dearest: dict[str, tuple[float, str]] = {}
    for r in tables["Routes"]:
        chain = r.get("segments") or ()
        if not r.get("flow") or any(s not in segments for s in chain):
            continue
        cost = sum(segments[s].get("cost_per_t") or 0.0 for s in chain)
        if cost > dearest.get(r["flow"], (-1.0, ""))[0]:
            dearest[r["flow"]] = (cost, r["route"])
    for (k, t), row in flow_period_row.items():
        demand, years = flows.get(k, {}).get("demand", {}).get(t), periods.get(t, {})
        if demand is None or k not in dearest or years.get("years") is None:
            continue
        cost, route = dearest[k]
        wrong = transport_cost(demand, route, cost, years["years"])
        if wrong:
            problems.append(Problem("Flows", row, "demand", demand, wrong))


def _unread(problems: list[Problem], scenarios: bool) -> list[Problem]:
    """The problems, those of sheet Scenarios made warnings when the command does not read
    it: a solve need not wait for a scenario, but the planner hears of it."""
    if scenarios:
        return problems
    return [replace(p, warning=True, expected=f"{p.expected}; only 'planner scenarios' and "
                    "'planner robust' read sheet Scenarios: fix it before running them")
            if p.sheet == SCENARIOS and not p.warning else p for p in problems]
