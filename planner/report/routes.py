"""The input workbook again, with its generated routes written in: what 'planner routes'
writes, so a planner can read, edit and keep the routes the network gives
(planner/inputs/routes.py makes them; this module only writes them)."""

from __future__ import annotations

from pathlib import Path

from planner.inputs import schema
from planner.inputs.cells import normalize_header
from planner.inputs.instance import Instance
from planner.inputs.xlsx import load, sheet_rows
from planner.report.xlsx import put, save_atomic, style_header


def new_routes(inst: Instance) -> list:
    """The routes generated in this reading (not read from sheet Routes)."""
    return [r for r in inst.routes.values() if ("Routes", r.id) not in inst.rows]


def new_corridors(inst: Instance) -> list:
    """The corridors made for generated routes (not read from sheet Corridors)."""
    return [c for c in inst.corridors.values() if ("Corridors", c.id) not in inst.rows]


def write_routes(source: Path, inst: Instance, target: Path) -> Path:
    """A copy of the workbook ``source`` (read as ``inst``) at ``target``, the routes
    generated for it added to sheet Routes (column source: generated; a listed route with
    no source says listed) and the corridors made for them to sheet Corridors, each with
    the closure weight it was solved with. Every other cell is as it was; ``source`` itself
    is never written."""
    book = load(Path(source), formulas=True)
    try:
        routes = _table(book, "Routes", ["route", "flow", "corridor", "segments", "source"])
        for row, values in _records(routes):
            if values.get("route") not in (None, "") and values.get("source") in (None, ""):
                put(routes.sheet, row, routes.columns["source"], "listed")
        for r in new_routes(inst):
            routes.append({"route": r.id, "flow": r.flow, "corridor": r.corridor,
                           "segments": "; ".join(r.segments), "source": r.source})
        made = new_corridors(inst)
        if made:
            corridors = _table(book, "Corridors", ["corridor", "name", "risk", "closure_days"])
            for c in made:
                corridors.append({"corridor": c.id, "name": c.name, "risk": c.risk,
                                  "closure_days": c.closure_days})
        return save_atomic(book, target)
    finally:
        book.close()


class _Table:
    """A sheet of the workbook as a table: its header row's columns, rows added below the
    last row that holds anything."""

    def __init__(self, sheet, columns: dict[str, int]):
        self.sheet, self.columns = sheet, columns
        rows = sheet_rows(sheet)
        self.next_row = max(rows, default=1) + 1

    def append(self, values: dict) -> None:
        for name, value in values.items():
            put(self.sheet, self.next_row, self.columns[name], value)
        self.next_row += 1


def _table(book, name: str, needed: list[str]) -> _Table:
    """Sheet ``name`` (found as the reader finds it, ignoring case), made with the schema's
    headers if missing, with a header for each of ``needed`` (added at the right)."""
    found = {title.strip().lower(): title for title in book.sheetnames}
    if name.lower() in found:
        sheet = book[found[name.lower()]]
    else:
        sheet = book.create_sheet(name)
        for j, column in enumerate(schema.SHEETS_BY_NAME[name].columns, start=1):
            style_header(put(sheet, 1, j, column.name))
    columns: dict[str, int] = {}
    for cell in sheet[1]:
        key = normalize_header(cell.value)
        if key and key not in columns:
            columns[key] = cell.column
    for column in needed:
        if column not in columns:
            columns[column] = max(columns.values(), default=0) + 1
            style_header(put(sheet, 1, columns[column], column))
    return _Table(sheet, columns)


def _records(table: _Table):
    """(Excel row, {column: value}) of the rows below the header."""
    by_index = {j - 1: name for name, j in table.columns.items()}
    for row, values in sheet_rows(table.sheet).items():
        if row > 1:
            yield row, {by_index[i]: v for i, v in values.items() if i in by_index}
