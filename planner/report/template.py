"""The empty input workbook, generated from schema.py: every sheet with its headers, an
Instructions sheet with an example of every sheet (marked EXAMPLE: it is on the Instructions
sheet, which reading ignores, so it is never read as data), and drop-down lists where a
column takes fixed words or refers to another sheet's ids."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from planner.inputs import schema
from planner.report.xlsx import (OutputError, check_target, print_setup, put, save_atomic,
                          style_header, write_table)

EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
EXAMPLE_FONT = Font(name="Calibri", size=11, italic=True, color="7F6000")

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
    lines.append(("", ""))
    lines.append(("Scenarios", "the changes (column change), with their target and value. A "
                  "factor is always written as one (x1.2, +20%, -10%); a bare number always "
                  "sets a value"))
    for change, (target, value) in schema.SCENARIO_CHANGE_RULES.items():
        lines.append((f"  {change}", f"target: {target}. value: {value}."))
    for i, (a, b) in enumerate(lines, start=1):
        put(info, i, 1, a).font = Font(name="Calibri", size=11, bold=not a.startswith("  "))
        put(info, i, 2, b)
    _examples(info, len(lines) + 2)
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 110
    print_setup(info, landscape=True, title_rows=None)

    for sheet in schema.SHEETS:
        ws = book.create_sheet(sheet.name)
        header = [c.name for c in sheet.columns]
        write_table(ws, header, list(sheet.examples) if examples else [],
                    widths={c.name: max(12, len(c.name) + 4) for c in sheet.columns})
        for j, column in enumerate(sheet.columns, start=1):
            ws.cell(row=1, column=j).comment = Comment(
                column.description + (f" [{column.unit}]" if column.unit else ""), "planner")
            letter = get_column_letter(j)
            if column.kind == "choice":
                rule = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                                      allow_blank=True, showErrorMessage=True,
                                      error="Choose one of: " + ", ".join(column.choices))
            elif column.kind == "ref" and column.ref in schema.SHEETS_BY_NAME:
                # the ids of the sheet it refers to (its first column); a warning, not a
                # refusal, so a row can be typed before the sheet it refers to is filled
                rule = DataValidation(type="list", allow_blank=True, showErrorMessage=True,
                                      formula1=f"{column.ref}!$A$2:$A${ROWS_WITH_LISTS}",
                                      errorStyle="warning", errorTitle="not yet listed",
                                      error=f"Not an id of sheet {column.ref} (yet): add it "
                                            f"there, or choose one from the list")
            else:
                continue
            rule.add(f"{letter}2:{letter}{ROWS_WITH_LISTS}")
            ws.add_data_validation(rule)
    return book


def _examples(info, top: int) -> None:
    """Under the column list, each sheet's header and example rows, shaded and marked
    EXAMPLE: a pattern to copy into the sheet itself."""
    put(info, top, 1, "Examples").font = Font(name="Calibri", size=12, bold=True)
    put(info, top, 2, "one example of each sheet, to copy into that sheet (rows on this "
        "sheet are never read as data)")
    row = top + 2
    for sheet in schema.SHEETS:
        if not sheet.examples:
            continue
        put(info, row, 1, f"{sheet.name} (EXAMPLE)").font = Font(name="Calibri", size=11,
                                                                 bold=True)
        row += 1
        for j, column in enumerate(sheet.columns, start=1):
            style_header(put(info, row, j, column.name))
        for example in sheet.examples:
            row += 1
            for j, value in enumerate(example, start=1):
                cell = put(info, row, j, value)
                cell.fill, cell.font = EXAMPLE_FILL, EXAMPLE_FONT
        row += 2


def write_template(target: str | Path, *, replace: bool = False) -> Path:
    """The empty workbook at ``target``; an existing file there is refused unless
    ``replace``: it may be a workbook a planner has filled in."""
    target = Path(target)
    if not replace and (target.exists() or target.is_symlink()):
        raise OutputError(f"cannot write {target}: {target} exists (it may be a filled "
                          "workbook); choose another name, or add --force to replace it. "
                          "Nothing was changed.")
    check_target(target)
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
