"""Sheet Brief, the results workbook's first sheet: the brief's headline and tiles as cells
(metric ids beside the words) and its map and schedule as pictures, on one printed page: a
reader who only opens the workbook sees the decision first."""

from __future__ import annotations

import io

from planner.report.brief.content import BRIEF_SHEET, Brief
from planner.report.brief.pages import IN_SHEET
from planner.report.map_network import MAP_DISCLAIMER


def add_sheet(book, b: Brief, pictures: dict[str, bytes] | None = None) -> None:
    """Sheet Brief, first: the answer, the tiles as cells (metric id beside the words, the
    plan's figure, the reference plan's), the map and the schedule as pictures (``pictures``:
    {chart name: PNG bytes}, files.sheet_pictures; none without), on one printed page."""
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

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
        # a character off the reference plan's figure, right-aligned before it ('15.8%share')
        put(ws, i, 5, t.detail).alignment = Alignment(wrap_text=True, vertical="top", indent=1)
        # a row keeps its height where a program does not fit it: the words would run over
        ws.row_dimensions[i].height = 15 * wrapped_lines(t.detail or "", widths["E"] - 1)
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w
    row = 6 + len(b.tiles)
    for name in IN_SHEET:
        if name not in (pictures or {}):
            continue
        image = Image(io.BytesIO(pictures[name]))
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
