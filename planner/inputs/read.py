"""Read a planner's workbook (format v1) and validate it into an Instance.

Every problem is collected before anything is raised, so a planner sees them all at once. The
input file is opened read-only and never written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from openpyxl.utils import get_column_letter

from planner.inputs import schema
from planner.inputs.cells import normalize_header, read_cell
from planner.inputs.instance import Instance
from planner.inputs.problems import InputError, Problem
from planner.inputs.scenarios import SHEET as SCENARIOS  # the one sheet only some commands read
from planner.inputs.validate import unread, validate_tables
from planner.inputs.xlsx import check_file, has_formulas, load, refuse, sheet_rows


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
            record[column.name], problem = read_cell(spec, column, raw, excel_row)
            if problem:
                problems.append(problem)
        records.append(record)
    return records


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
        raise refuse(path, f"{type(exc).__name__}: {exc}",
                      "a workbook this reader understands; open it in your spreadsheet "
                      "program, save it as .xlsx and try again (and please report this "
                      "message with the file)") from None


def _read_checked(path: Path, scenarios: bool) -> tuple[Instance | None, list[Problem]]:
    tables, problems = read_tables(path)
    if any(records is None for sheet, records in tables.items() if sheet != SCENARIOS):
        # a sheet or column is missing: row checks would only mislead
        return None, unread(problems, scenarios)
    tables[SCENARIOS] = tables[SCENARIOS] or []  # unreadable: its problems are listed
    return validate_tables(tables, problems, path.name,
                           hashlib.sha256(path.read_bytes()).hexdigest(), scenarios)


def read_tables(path: Path) -> tuple[dict[str, list[dict] | None], list[Problem]]:
    """Stage 1 of reading: the file checked and each sheet's cells typed, row by row.
    A sheet that is missing, or misses a column, comes back as None."""
    check_file(path)
    book = load(path, formulas=False)
    formulas = load(path, formulas=True) if has_formulas(path) else None
    problems: list[Problem] = []
    try:
        tables = {spec.name: _read_sheet(book, spec, problems, formulas)
                  for spec in schema.SHEETS}
    finally:
        book.close()
        if formulas is not None:
            formulas.close()
    return tables, problems
