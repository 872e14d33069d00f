"""Writing .xlsx safely and readably: text stays text, files appear whole or not at all, every
number is shown in its unit, columns fit their text, and every sheet prints to the page width
with its header repeated and each chart whole on a page of its own."""

from __future__ import annotations

import errno
import gc
import math
import os
import re
import stat
import sys
import tempfile
import traceback
import weakref
from copy import copy
from functools import lru_cache
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import absolute_coordinate, quote_sheetname
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.print_settings import PrintArea

from planner import interrupt
from planner.tolerances import HIGHS_FEASIBILITY, KEEP_ROOM

# Number formats by unit. Only the display is rounded: the stored value keeps every digit.
SHARE = "0.0%"
COUNT = "#,##0"
DECIMAL = "#,##0.00"
BOOLEAN = '"TRUE";"TRUE";"FALSE"'  # Excel shows booleans so anyway; LibreOffice needs it
WIDEST = 50  # characters; longer text wraps
PAGE_ROWS = 32  # rows of default height on a landscape A4 page (at scale 1)
FOOTER_IN = 0.25  # inches from the page's edge to the footer; the table starts at 0.6
PART_WIDTH = 160  # characters of column width a part prints in at about 2/3 size or more
ROW_CM = 0.53
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
NOTE_FONT = Font(name="Calibri", size=10, italic=True, color="555555")  # a line about a chart


def with_unit(unit: str, decimals: int = 1) -> str:
    """A number format with thousands separators that names its unit: 7,262.0 USD m."""
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    unit = (unit or "").replace('"', "")
    return f'{digits}" {unit}"' if unit else digits


def money(unit: str = "USD m") -> str:
    return with_unit(unit, 1)


def flow(unit: str = "Mt/yr") -> str:
    return with_unit(unit, 1)


# Flow figures in one of three units, never confused: a rate of one period (Mt/yr: the
# period is named, or the figure is a mean over periods), a total over the horizon (Mt: each
# period's rate x its years, added up), or the periods' rates added up, which is what the
# unmet-demand stage minimises and no rate of any one year (RATES_ADDED: 'Mt/yr summed').
RATES_ADDED = " summed"


def total_unit(flow_unit: str) -> str:
    """The unit of a flow rate x years, summed: Mt/yr -> Mt."""
    return flow_unit[:-3] if flow_unit.endswith("/yr") else f"{flow_unit} x yr"


def rates_unit(flow_unit: str) -> str:
    """The unit of the periods' rates added up: 'Mt/yr summed'."""
    return flow_unit + RATES_ADDED


def flow_unit_of(unit: str) -> str:
    """The flow unit a rates unit (or a flow unit) names: 'Mt/yr summed' -> 'Mt/yr'."""
    return unit[:-len(RATES_ADDED)] if unit.endswith(RATES_ADDED) else unit


def unit_format(unit: str | None, *, money_unit: str = "USD m", flow_unit: str = "Mt/yr",
                cost_unit: str = "USD/t") -> str | None:
    """The format for a value labelled with ``unit`` (the Summary's unit column)."""
    if unit in ("share", "%"):
        return SHARE
    if unit == money_unit:
        return money(unit)
    if unit in (flow_unit, rates_unit(flow_unit), total_unit(flow_unit)):
        return flow(unit)
    if unit == cost_unit:
        return with_unit(unit, 2)
    if unit in ("s", "seconds"):
        return with_unit("s", 2)
    if unit in ("count", "years", "periods"):
        return COUNT if unit == "count" else with_unit(unit, 0)
    return None


# worksheet -> {column id: number format} of the table write_table put in row 1: what the
# legend (planner/report/columns.py) says of each column's unit, data or none
FORMATS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class OutputError(Exception):
    """The results could not be written; any earlier file at the target is left as it was."""


def put(ws, row: int, col: int, value, styled: bool = True):
    """Write one cell; a string is always stored as text, never read as a formula. A bool is
    shown as TRUE or FALSE, centred (``styled``: here; else the caller styles it,
    style_bool)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, float) and not math.isfinite(value):
        # Excel has no NaN or infinity: leave NaN empty, say "inf" in words
        value = None if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, bool) and styled:
        style_bool(cell)
    return cell


def style_bool(cell) -> None:
    cell.number_format = BOOLEAN
    cell.alignment = Alignment(horizontal="center", vertical="top")


def write_table(ws, header: list[str], rows, *, widths: dict[str, int] | None = None,
                number_format: dict[str, str] | None = None,
                labels: dict[str, str] | None = None, top: int = 1,
                widest: int = WIDEST, sheet_table: bool | None = None) -> int:
    """A header row (the column ids, bold, shaded, each with its label in words as a comment),
    then one row per record, each number in its column's format (a float without one gets
    two decimals with thousands separators). Widths fit the text up to WIDEST characters
    (longer text wraps). ``sheet_table`` (default: the table starts in row 1): the sheet's
    table, which other tools read: its header is frozen and listed on sheet Columns, long
    tables get filters, the sheet prints to the page width with the header repeated; not so
    a chart's table on a chart_sheet. Returns the last row written."""
    formats = number_format or {}
    sheet_table = top == 1 if sheet_table is None else sheet_table
    if sheet_table:
        FORMATS[ws] = dict(formats)
    for j, name in enumerate(header, start=1):
        cell = put(ws, top, j, name)
        style_header(cell)
        if labels and labels.get(name):
            cell.comment = Comment(labels[name], "planner", width=300, height=80)
    last = top
    # a column's cells take a few styles (by the kind of value): each made once, then copied
    # (openpyxl looks every style assigned up among the workbook's, a hash of all its fields)
    made: dict[tuple, object] = {}
    for i, record in enumerate(rows, start=top + 1):
        last = i
        for j, name in enumerate(header, start=1):
            cell = put(ws, i, j, record[j - 1] if isinstance(record, (list, tuple))
                       else record.get(name), styled=False)
            value = cell.value
            kind = bool if isinstance(value, bool) else str if isinstance(value, str) \
                else float if isinstance(value, float) else None
            style = made.get((j, kind))
            if style is not None:
                cell._style = copy(style)  # noqa: SLF001 (openpyxl's own way to copy a style)
                continue
            if kind is bool:
                style_bool(cell)
            else:  # text a little off the number before it
                text = j > 1 and kind is str
                cell.alignment = Alignment(vertical="top", horizontal="left" if text else None,
                                           indent=1 if text else 0)
            if name in formats:
                if kind is not bool:
                    cell.number_format = formats[name]
            elif kind is float:
                cell.number_format = DECIMAL
            made[j, kind] = copy(cell._style)  # noqa: SLF001
    filtered = sheet_table and last - top > 15
    fit_columns(ws, widths=widths, min_row=top, columns=range(1, len(header) + 1),
                names=header, widest=widest, header_pad=3 if filtered else 1)
    if any(len(str(name)) + 2 > (ws.column_dimensions[get_column_letter(j)].width or 13)
           for j, name in enumerate(header, start=1)):  # indented after the first
        # a header on two lines, or the more fit_columns gave a long one in words
        ws.row_dimensions[top].height = max(30, ws.row_dimensions[top].height or 15)
    if sheet_table:
        ws.freeze_panes = f"A{top + 1}"
        if filtered:
            ws.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{last}"
        print_setup(ws)
    return last


def style_header(cell) -> None:
    cell.font = Font(name="Calibri", size=11, bold=True)
    cell.fill = HEADER_FILL
    cell.border = Border(bottom=Side(style="thin"))
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def align_headers(ws) -> None:
    """A header over a column of numbers is right-aligned, as its numbers are: a header left
    and its numbers right sit a column's width apart (Appraisal's year, a first column);
    any other header but the first is indented as its text is (every table of the sheet: a
    header is a cell styled by style_header; its table ends at the first row blank in column
    A and in its own column)."""
    # the workbook's fills of the header's colour, by their place in its list: a cell's own
    # fill is then looked at by number, not built as an object for each cell of the sheet
    shaded = {i for i, fill in enumerate(ws.parent._fills)  # noqa: SLF001
              if fill is not None and fill.fgColor.rgb == HEADER_FILL.fgColor.rgb}
    for row in ws.iter_rows():
        for cell in row:
            style = cell._style  # noqa: SLF001 (None: a merged cell's, unstyled)
            if style is None or style.fillId not in shaded:
                continue
            below = []
            for r in range(cell.row + 1, ws.max_row + 1):
                value = ws.cell(row=r, column=cell.column).value
                if value is None and ws.cell(row=r, column=1).value is None:
                    break
                if value is not None:
                    below.append(value)
            if below and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                             for v in below):
                # a header on lines of their own a character off the right, where the header
                # before it ends ('European Bank for Commercial loans under' read as one)
                width = ws.column_dimensions[cell.column_letter].width or 13
                inset = int(isinstance(cell.value, str) and wrapped_lines(cell.value, width) > 1)
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="right",
                                           indent=inset)
                if inset:
                    height = ws.row_dimensions[cell.row].height or 15
                    ws.row_dimensions[cell.row].height = max(
                        height, 15 * wrapped_lines(cell.value, width - inset))
            elif cell.column > 1:  # off a right-aligned header before it, as its text is
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left",
                                           indent=1)


def shown(value, fmt: str | None) -> str:
    """About the text a spreadsheet shows for ``value`` in format ``fmt`` (for widths)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "FALSE"
    if isinstance(value, (int, float)):
        fmt = fmt or "General"
        suffix, decimals = _format_parts(fmt)
        if "%" in fmt:
            return f"{value * 100:,.{decimals}f}%"
        if fmt == "General":
            return f"{value:.10g}"
        return f"{value:,.{decimals}f}{suffix}"
    return str(value)


@lru_cache(maxsize=256)
def _format_parts(fmt: str) -> tuple[str, int]:
    """A number format's quoted suffix (its positive part) and its decimals."""
    suffix = "".join(re.findall(r'"([^"]*)"', fmt.split(";")[0]))
    decimals = len(m.group(1)) if (m := re.search(r"\.(0+)", fmt)) else 0
    return suffix, decimals


# a character's width in digit widths (a column width's unit), from DejaVu Sans, which
# LibreOffice prints with where Calibri is missing (Calibri's ratios are within a few %)
NARROW = dict.fromkeys("ijl", 0.44) | dict.fromkeys(".,;:'!|", 0.5) | {
    "f": 0.55, "t": 0.62, "r": 0.65, "I": 0.46, " ": 0.5, "-": 0.57, "(": 0.6, ")": 0.6,
    "_": 0.79, "m": 1.53, "w": 1.29, "M": 1.36, "W": 1.55, "%": 1.46}
NARROW |= dict.fromkeys("sczk", 0.86) | dict.fromkeys("vxy", 0.93)


@lru_cache(maxsize=65536)  # a table repeats its ids and names row after row
def text_width(text: str) -> float:
    """About how many digit widths ``text`` takes in a proportional font: most lowercase
    letters about one, i, l, t, r and spaces half, capitals, m and w more."""
    return sum(NARROW.get(ch, 1.1 if ch.isupper() else 0.98 if ch.islower() else 1.0)
               for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """The lines ``text`` wraps onto in a column ``width`` characters wide, word by word
    (a word longer than a line broken inside), for the row height: too few lines would cut
    the text off, too many leave a gap under it."""
    room = max(1.0, (width - 1.0) * 0.97)  # less the cell's padding, and a margin
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            size = text_width(word)
            if used and used + text_width(" ") + size > room:
                lines += 1
                used = 0.0
            elif used:
                used += text_width(" ")
            while size > room:  # a long word (an id) is broken where the line ends
                lines += 1
                size -= room
            used += size
    return lines


def text_size(cell) -> int:
    """Column width a text cell takes on one line: its longest line's printed width, and
    its indent."""
    widest = max((text_width(line) for line in str(cell.value).splitlines()), default=0.0)
    return math.ceil(widest + (cell.alignment.indent or 0))


ONE_LINE = 26  # characters: a column id up to this long prints on one line


def one_line(header: str) -> bool:
    """A header that stays on one line. A column id has no space to wrap at, so a spreadsheet
    breaks it inside a word, wherever its line is full ('unmet_in_peri / od',
    'expected_disru / ption', 'stranded_beyon / d_unmet' printed so): up to ONE_LINE
    characters an id is not wrapped, nor is a header in words up to 18."""
    return len(header) <= (18 if " " in header else ONE_LINE)


def header_width(header: str) -> int:
    """Characters of width a header needs: its length on one line (one_line); a longer
    one wraps onto two lines of about equal length, words at their spaces (no room for a
    filter's button, which would widen the first line)."""
    size = len(header)
    return size if one_line(header) else math.ceil(size / 2) + 2


def fit_columns(ws, *, widths: dict[str, int] | None = None, min_row: int = 1,
                columns=None, names=None, widest: int = WIDEST, header_pad: int = 3) -> None:
    """Each column as wide as its widest text (header included), at most WIDEST characters;
    cells with longer text wrap. ``widths`` (by header name) are at least honoured.
    ``header_pad``: characters beside the header for a filter's button (3), else 1."""
    columns = list(columns or range(1, ws.max_column + 1))
    for k, j in enumerate(columns):
        letter = get_column_letter(j)
        longest = 0
        cells = [ws.cell(row=r, column=j) for r in range(min_row, ws.max_row + 1)]
        printed = {}  # row -> a text cell's printed width, for the wrapping below
        for cell in cells:
            text = shown(cell.value, cell.number_format)
            size = max((len(line) for line in text.splitlines()), default=0)
            if cell.row == min_row:  # a long header wraps onto two lines before it widens
                size = header_width(text) + (header_pad if one_line(text) else 0)
            elif isinstance(cell.value, str):  # as wide as it prints: capitals are wider
                size = printed[cell.row] = text_size(cell)
            longest = max(longest, size)
        want = (widths or {}).get(names[k]) if names else None
        width = min(widest, max(8, longest + 2))
        if want:
            width = max(width, want) if want <= widest else want
        if min_row > 1:  # a second table on the sheet: never narrower than the first made it
            width = max(width, ws.column_dimensions[letter].width or 0)
        ws.column_dimensions[letter].width = width
        for cell in cells:
            if isinstance(cell.value, str) and (len(cell.value) if cell.row == min_row
                                                else printed[cell.row]) > width - 1:
                cell.alignment = Alignment(wrap_text=True, vertical="top",
                                           horizontal=cell.alignment.horizontal,
                                           indent=cell.alignment.indent)
                lines = wrapped_lines(cell.value, width - cell.alignment.indent)
                height = ws.row_dimensions[cell.row].height or 15
                ws.row_dimensions[cell.row].height = max(height, 15 * lines)


def print_setup(ws, *, landscape: bool | None = None, title_rows: str | None = "1:1") -> None:
    """A4, fitted to the page width (as many pages down as it takes), landscape when the
    sheet is wider than a portrait page, header rows repeated, sheet and page in the footer."""
    wide = sum((ws.column_dimensions[get_column_letter(j)].width or 13)
               for j in range(1, ws.max_column + 1))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if (landscape if landscape is not None
                                                else wide > 95) else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    # the footer (and a header's line) between the page's edge and the table: its default
    # 0.5 in left 0.1 in, and LibreOffice printed the lower half of its letters cut off
    ws.page_margins.header = ws.page_margins.footer = FOOTER_IN
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&A, page &P of &N"


def print_parts(ws, parts: list[tuple[str, str]], *, repeat: str | None = "A",
                rows: tuple[int, int] | None = None, extra: tuple[str, ...] = ()) -> None:
    """Print a table too wide for one page in parts of its columns, each part on a page (or
    pages down) of its own, fitted to the page width, with the columns up to ``repeat`` (the
    ids) at its left: each part prints about as large as a narrow table, where the whole
    table fitted to one page width printed at half size. ``parts``: (first, last) column
    ids, in order; ``rows``: the table's first and last row (default 1 to the last);
    ``extra``: further ranges to print after them (a chart's block, "A40:K70")."""
    header = [c.value for c in ws[1]]
    first, last = rows or (1, ws.max_row)

    def width(j: int) -> float:
        return ws.column_dimensions[get_column_letter(j)].width or 13

    held = column_index_from_string(repeat) if repeat else 0  # the id columns repeated

    def ids_left_of(start: int) -> float:
        return sum(width(k) for k in range(1, min(held, start - 1) + 1))

    def split(start: int, end: int) -> list[tuple[int, int]]:
        """The part, or as few parts of about equal width as print within PART_WIDTH with
        the ids (a long table's filter buttons widen every column)."""
        room = PART_WIDTH - ids_left_of(start)
        body = [width(k) for k in range(start, end + 1)]
        count = max(1, math.ceil(sum(body) / max(room, 1.0)))
        if count == 1 or room <= max(body):
            return [(start, end)]
        share, spans, done = sum(body) / count, [], 0.0
        for k, w in zip(range(start, end + 1), body):  # a column goes where its middle falls
            piece = min(count - 1, int((done + w / 2) / share))
            if piece == len(spans):
                spans.append((k, k))
            else:
                spans[-1] = (spans[-1][0], k)
            done += w
        return spans

    spans = [span for a, b in parts for span in split(header.index(a) + 1,
                                                       header.index(b) + 1)]
    print_ranges(ws, [f"{get_column_letter(a)}{first}:{get_column_letter(b)}{last}"
                      for a, b in spans] + list(extra))
    if repeat:
        ws.print_title_cols = f"A:{repeat}"


def print_ranges(ws, ranges: list[str]) -> None:
    """Print these ranges of the sheet, each on its own page(s) fitted to the width, in the
    order given."""
    ws._print_area = _InOrder(ranges)


class _InOrder(PrintArea):
    """A print area whose ranges print in the order given: openpyxl sorts them by column,
    which put a chart's block (from column A) between a table's parts."""

    def __init__(self, ranges=(), title=""):
        super().__init__(ranges, title)
        self.order = list(ranges)  # the parts, then the chart

    def __str__(self):
        return ",".join(f"{quote_sheetname(self.title)}!{absolute_coordinate(r)}"
                        for r in self.order) if self.order else ""


def columns_for(ws, width_cm: float) -> str:
    """The letter of the column where ``width_cm`` from column A ends (a chart's right edge)."""
    total, j = 0.0, 0
    while total < width_cm and j < 200:
        j += 1
        total += CHAR_CM * (ws.column_dimensions[get_column_letter(j)].width or 13)
    return get_column_letter(max(1, j))


def chart_sheet(book, title: str, table):
    """A sheet for the charts of the sheet ``table``, right after it, printed landscape with
    no header row repeated: a table's header row repeats on every page of its sheet (print
    titles are the sheet's, not a range's), so a chart on the table's sheet printed under a
    header that is not its own, over its own data table."""
    ws = book.create_sheet(title, book.index(table) + 1)
    print_setup(ws, landscape=True, title_rows=None)
    return ws


def chart_page(ws, chart, row: int, *, col: str = "A", width_cm: float = 24.0,
               height_cm: float = 12.0, block_top: int | None = None,
               own_range: bool = False) -> int:
    """Anchor ``chart`` at ``col``+``row`` on a print page of its own, sized to fit a
    landscape A4 page: a page break before ``block_top`` (the chart's table, above it; default
    the chart itself) and one after the chart. Returns the first row after it. Where the
    block and the chart are more than a page, the break goes right above the chart instead
    (a chart split over two pages). ``own_range``: the chart prints in a print range of its
    own (print_parts), fitted to its width, not the sheet's."""
    # fitting the page width shrinks a wide sheet, its charts with it: grow them to match
    scale = 1.0 if own_range else max(1.0, sheet_cm(ws) / PAGE_CM)
    chart.width, chart.height = width_cm * scale, height_cm * scale
    if scale > 1.05:
        scale_text(chart, scale)
    height_cm *= scale
    top = row if block_top is None else block_top
    if rows_cm(ws, top, row) + height_cm > PAGE_ROWS * ROW_CM * scale:
        top = row
    if top > 1:
        add_break(ws, top - 1)
    ws.add_chart(chart, f"{col}{row}")
    ws.page_setup.orientation = "landscape"  # charts are sized for a landscape page
    end = row + int(height_cm / ROW_CM) + 2
    add_break(ws, end - 1)
    return end


def scale_text(chart, scale: float) -> None:
    """Axis, legend and data-label text scaled up, so it prints at its usual size on a sheet
    that is shrunk to the page width."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    def text(points: float):
        size = CharacterProperties(sz=int(points * scale * 100))
        return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = text(9)
    if chart.legend is not None:
        chart.legend.txPr = text(9)
    for series in chart.series:
        if series.dLbls is not None:
            series.dLbls.txPr = text(8)


PAGE_CM = 27.0  # printable width of a landscape A4 page at the margins of print_setup
CHAR_CM = 0.2  # one character of column width


def rows_cm(ws, first: int, end: int) -> float:
    """The printed height of rows ``first`` up to ``end`` (not included), at scale 1."""
    heights = (getattr(ws.row_dimensions.get(r), "height", None) for r in range(first, end))
    return ROW_CM / 15 * sum(h or 15 for h in heights)  # get: looking adds no row


def sheet_cm(ws) -> float:
    return CHAR_CM * sum((ws.column_dimensions[get_column_letter(j)].width or 13)
                         for j in range(1, ws.max_column + 1))


def add_break(ws, after_row: int) -> None:
    if after_row >= 1 and all(b.id != after_row for b in ws.row_breaks.brk):
        ws.row_breaks.append(Break(id=after_row))


# what a target that is no regular file is, in words
_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def check_target(target: Path) -> None:
    """Refuse, before anything is solved, a target that must not or cannot be replaced by a
    results file: only a regular file or a new path is ever replaced (a device such as
    /dev/null, a pipe or a folder never is); a file a person protected or has open (replacing
    it would fail on Windows, or leave the open copy showing stale results); a folder that
    cannot be made or written in."""
    target = Path(target)
    try:
        mode = target.stat().st_mode  # through a link: what the results would replace
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:  # a part of the path is a file: said by _check_folder
        mode = None
    except OSError as err:
        raise OutputError(f"cannot write {target}: {err.strerror or err}; choose another name "
                          "with -o. Nothing was changed.") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"cannot write {target}: it is a folder; name a file (in it: "
                          f"-o {target / 'results.xlsx'}). Nothing was changed.")
    if mode is not None and not stat.S_ISREG(mode):
        kind = next((words for test, words in _KINDS if test(mode)), "a special file")
        raise OutputError(f"cannot write {target}: it is {kind}, not a regular file; only a "
                          "regular file is ever replaced: choose a file name with -o. "
                          "Nothing was changed.")
    locks = (target.with_name(f"~${target.name}"), target.with_name(f".~lock.{target.name}#"))
    for lock in locks:
        if lock.exists():
            raise OutputError(f"cannot write {target}: it is open in a spreadsheet program "
                              f"({lock.name} exists); close it or choose another name with -o. "
                              "Nothing was changed.")
    if mode is not None and not mode & 0o222:
        raise OutputError(f"cannot write {target}: the file is read-only; make it writable or "
                          "choose another name with -o. Nothing was changed.")
    _check_folder(target)


def _check_folder(target: Path) -> None:
    """The folder of ``target`` can be made and written in: a trial file is created and
    removed in it, or in the nearest folder above that exists (the rest is made on
    writing). Root may write in a folder whatever its permission bits, so only a trial
    answers."""
    folder = target.parent
    existing = folder
    while not existing.exists():  # False, too, where a part of the path is a file
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {target}: {existing} is a file, not a folder; "
                          "choose another folder with -o. Nothing was changed.")
    try:
        fd, trial = tempfile.mkstemp(prefix=".planner-trial-", dir=existing)
        os.close(fd)
        os.unlink(trial)
    except OSError as err:
        raise OutputError(f"cannot write in {existing}: {err.strerror or err}; "
                          f"{_hint(err, folder=True)}. Nothing was changed.") from None


def _hint(err: OSError, *, folder: bool = False) -> str:
    """What to do about a failed write, by its cause."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some disk space or choose another folder with -o"
    if err.errno == errno.EFBIG:
        return "the file is larger than this system allows (a file-size limit): raise the limit or choose another folder with -o"
    if err.errno == errno.EROFS:
        return "the disk is read-only: choose another folder with -o"
    if isinstance(err, PermissionError):
        return ("you may not write in this folder: choose another folder with -o" if folder
                else "close it in your spreadsheet program or choose another name with -o")
    return "choose another name or folder with -o"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# The solver's tolerance, as the figures written carry it (the chain is stated once in
# planner/tolerances.py). HiGHS holds every row to 1e-7, absolute, in the row's own
# units (HIGHS_FEASIBILITY, its primal feasibility tolerance): Mt/yr for flows, USD m for
# money; a later stage may spend a keep row's room of another 1e-7 (KEEP_ROOM: e.g. a flow of
# 9.9999999 for 10). So a flow is known to 2e-7. A figure that adds such terms up (a transport
# cost: flows x USD/t x years) carries more in proportion to its size: its tolerance is
# 2e-7 x max(1, |figure|). A share of trade is a flow over the period's demand D, so its
# tolerance is 2e-7 / D: 2e-7 / max(1, the smallest period demand) for every number of a
# workbook shown in % (never more than 2e-7: an EIRR or a gap is shown in % too).
FEASIBILITY = HIGHS_FEASIBILITY + KEEP_ROOM
ROUND_DIGITS = 6  # a round value has at most this many significant digits, or is whole


def figure(value: float, tolerance: float) -> float:
    """The roundest value within ``tolerance`` of ``value``: 0, else the one with the fewest
    significant digits (up to ROUND_DIGITS), else the nearest whole number; ``value`` itself
    when none is that close. 199.9999999 at 2e-5 is 200; 199.99 stays 199.99. It never moves
    a figure by more than ``tolerance``."""
    if not math.isfinite(value) or value == 0:
        return value
    if abs(value) <= tolerance:
        return 0.0
    for digits in range(1, ROUND_DIGITS + 1):
        rounder = float(f"{value:.{digits - 1}e}")
        if abs(rounder - value) <= tolerance:
            return rounder
    whole = float(round(value))
    return whole if abs(whole - value) <= tolerance else value


def round_figures(book, demand: float | None) -> None:
    """Every number of every sheet written as figure(value, its tolerance): a share (a cell
    shown in %) within FEASIBILITY / max(1, ``demand``) (the smallest positive period demand;
    None: shares are left as they are), any other number within FEASIBILITY x max(1, |value|).
    Whole numbers (ints) are exact already."""
    share_tolerance = FEASIBILITY / max(1.0, demand) if demand else 0.0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, float):
                    continue
                if "%" in (cell.number_format or ""):
                    if share_tolerance:
                        cell.value = figure(value, share_tolerance)
                else:
                    cell.value = figure(value, FEASIBILITY * max(1.0, abs(value)))


def smallest_demand(*instances) -> float | None:
    """The smallest positive total demand of a period over ``instances``: what a share's
    tolerance follows from."""
    found = [d for inst in instances if inst is not None
             for d in inst.total_demand.values() if d > 0]
    return min(found) if found else None


def save_results(book, target: str | Path, demand: float | None) -> Path:
    """A results or comparison workbook: its figures rounded by one rule (round_figures),
    then saved atomically."""
    round_figures(book, demand)
    return save_atomic(book, target)


def _drop_quietly(err: BaseException) -> None:
    """Close now what a broken-off save left open: openpyxl's ZipFile and sheet writers, which
    would otherwise try to finish their writing when collected, fail again, and have Python
    print "Exception ignored ... Traceback" at some later moment. Their failure is ``err``'s,
    reported already."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        traceback.clear_frames(err.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = hook


def save_atomic(book, target: str | Path) -> Path:
    """Save a workbook to a temporary file beside the target, then rename it into place
    (write_atomic)."""
    for ws in book.worksheets:
        align_headers(ws)
    return write_atomic(target, book.save)


def write_atomic(target: str | Path, content) -> Path:
    """Write ``content`` (bytes, or a function that writes to a binary file) to a temporary
    file beside the target, then rename it into place: every file the planner writes.

    A full disk, a read-only folder or a target open in another program raises OutputError and
    leaves any earlier file at the target untouched.
    """
    target = Path(target)
    check_target(target)
    tmp = None
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with interrupt.held():  # a stop between creating the file and naming it
                fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-",
                                           suffix=f"{target.suffix}.tmp", dir=target.parent)
        except OSError as err:
            raise OutputError(f"cannot write in {target.parent}: {err.strerror or err}; "
                              f"{_hint(err, folder=True)}. Nothing was changed.") from None
        with os.fdopen(fd, "wb") as handle:
            if isinstance(content, (bytes, bytearray)):
                handle.write(content)
            else:
                content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # as any file the user writes, not mkstemp's 0600
        check_target(target)  # still a regular file or nothing: it may have changed meanwhile
        with interrupt.held():  # in place and known to be: a late stop says it was written
            os.replace(tmp, target)
            interrupt.written.append(target)
    except BaseException as err:  # a full disk, a signal: no temporary file stays behind
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        _drop_quietly(err)
        if isinstance(err, OutputError) or not isinstance(err, OSError):
            raise
        raise OutputError(f"cannot write {target}: {err.strerror or err}; {_hint(err)}. "
                          "Nothing was changed.") from None
    return target
