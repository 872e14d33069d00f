"""The empty input workbook, generated from schema.py: every sheet with its headers, an
Instructions sheet, and drop-down lists where a column takes fixed words."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from planner import schema
from planner.xlsx import put, save_atomic, write_table

ROWS_WITH_LISTS = 1000  # rows that get drop-down lists


def template_workbook(*, examples: bool = False) -> Workbook:
    book = Workbook()
    info = book.active
    info.title = "Instructions"
    lines = [
        ("Corridor Planner input workbook", f"format version {schema.WORKBOOK_FORMAT_VERSION}"),
        ("", ""),
        ("How to fill it in", "One record per row below the header row; header names are "
         "matched ignoring case and spaces. Lists separate ids with ';'. Shares are fractions "
         "(40% = 0.4). Flows in Mt/yr, money in USD m, unit costs in USD/t."),
        ("Solve it", "planner solve THIS_FILE.xlsx  (planner validate checks it first)"),
        ("", ""),
        ("sheet / column", "meaning"),
    ]
    for sheet in schema.SHEETS:
        lines.append((sheet.name, sheet.description + ("" if sheet.required else " (optional)")))
        for c in sheet.columns:
            unit = f" [{c.unit}]" if c.unit else ""
            need = "" if c.required else " (optional)"
            lines.append((f"  {c.name}", f"{c.description}{unit}{need}"))
    lines.append(("", ""))
    lines.append(("Settings", "setting names and defaults"))
    for s in schema.SETTINGS:
        lines.append((f"  {s.name}", f"{s.description} Default: {s.default!r}."))
    for i, (a, b) in enumerate(lines, start=1):
        put(info, i, 1, a).font = Font(bold=not a.startswith("  "))
        put(info, i, 2, b)
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 110

    for sheet in schema.SHEETS:
        ws = book.create_sheet(sheet.name)
        header = [c.name for c in sheet.columns]
        write_table(ws, header, list(sheet.examples) if examples else [],
                    widths={c.name: max(12, len(c.name) + 4) for c in sheet.columns})
        for j, column in enumerate(sheet.columns, start=1):
            ws.cell(row=1, column=j).comment = Comment(
                column.description + (f" [{column.unit}]" if column.unit else ""), "planner")
            if column.kind == "choice":
                letter = get_column_letter(j)
                rule = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                                      allow_blank=True, showErrorMessage=True,
                                      error="Choose one of: " + ", ".join(column.choices))
                rule.add(f"{letter}2:{letter}{ROWS_WITH_LISTS}")
                ws.add_data_validation(rule)
    return book


def write_template(target: str | Path) -> Path:
    return save_atomic(template_workbook(), target)


def input_workbook(tables: dict[str, list[dict]]) -> Workbook:
    """A workbook of format v1 from records: sheet name -> list of {column: value}.

    Columns are those of the schema in its order, then any extra keys the records carry.
    """
    book = Workbook()
    book.remove(book.active)
    for name, records in tables.items():
        spec = schema.SHEETS_BY_NAME.get(name)
        header = [c.name for c in spec.columns] if spec else []
        for record in records:
            header += [k for k in record if k not in header]
        write_table(book.create_sheet(name), header, records)
    return book


def write_input(target: str | Path, tables: dict[str, list[dict]]) -> Path:
    return save_atomic(input_workbook(tables), target)
