"""The safety of reading an .xlsx: what is refused before it is parsed (other formats,
zip bombs, DOCTYPEs, huge merged ranges), and loading it read-only."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl.utils import column_index_from_string

from planner.inputs.problems import InputError, Problem


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
# An .xlsx that would expand past this is refused before it is parsed (zip bombs).

MAX_UNCOMPRESSED_MB = 200


MAX_UNCOMPRESSED_BYTES = MAX_UNCOMPRESSED_MB * 1_000_000


# openpyxl makes an object of every cell of a merged range: B2:XFD1048576 in a 30 KB file

# would be 17 billion of them

MAX_MERGED_CELLS = 1_000_000


_SAVE_AS_XLSX = "save it from your spreadsheet program as Excel Workbook (.xlsx)"


def refuse(path: Path, found: object, expected: str) -> InputError:
    return InputError([Problem(None, None, None, found, expected, file=path.name)])


def check_file(path: Path) -> None:
    """Refuse, with a message that says what to do, anything that is not a sane .xlsx."""
    if not path.exists():
        raise refuse(path, str(path), "no such file: check the path")
    if path.is_dir():
        raise refuse(path, str(path), "a workbook file, not a folder")
    if not path.is_file():  # a pipe would wait for a writer, /dev/zero never end
        raise refuse(path, str(path), "a workbook file: this is not a regular file (a "
                      "device, pipe or socket); it was refused unread")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00" in path.read_bytes():
            raise refuse(path, "password-protected workbook",
                          "a workbook without a password: remove it (File > Info > Protect "
                          "Workbook > Encrypt with Password, empty) and save again")
        raise refuse(path, "Excel 97-2003 .xls", f"an .xlsx workbook: {_SAVE_AS_XLSX}")
    if not head.startswith(b"PK"):
        if b"," in head or b";" in head or b"\t" in head:
            raise refuse(path, "a CSV or text file", "a workbook with one sheet per table "
                          "(run 'planner template' for an empty one) and paste the table in")
        raise refuse(path, "not a spreadsheet", f"an .xlsx workbook: {_SAVE_AS_XLSX}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            size = sum(i.file_size for i in archive.infolist())
            if size > MAX_UNCOMPRESSED_BYTES:
                raise refuse(path, f"{size / 1e6:,.0f} MB unpacked",
                              f"a workbook under {MAX_UNCOMPRESSED_MB} MB unpacked: this one "
                              "was refused unread")
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            scans = {n: _scan(archive, n) for n in sorted(names)}
    except (zipfile.BadZipFile, OSError, EOFError):
        raise refuse(path, "damaged or truncated file", "a complete .xlsx file: copy it "
                      "again, or open it in your spreadsheet program and save it") from None
    declares = next((n for n, (doctype, _) in scans.items() if doctype), None)
    if declares:
        raise refuse(path, f"a DOCTYPE declaration in {declares}", _NO_DOCTYPE)
    merged = sum(cells for _, cells in scans.values())
    if merged > MAX_MERGED_CELLS:
        raise refuse(path, f"merged cells covering {merged:,} cells",
                      f"merged cells covering at most {MAX_MERGED_CELLS:,} cells (the reader "
                      "expands every cell of a merged range): unmerge them; it was refused "
                      "unread")
    if b"opendocument" in mimetype:
        raise refuse(path, "OpenDocument spreadsheet (.ods)", f"an .xlsx workbook: "
                      f"{_SAVE_AS_XLSX}")
    if "xl/workbook.xml" not in names:
        raise refuse(path, "a zip archive that is no Excel workbook",
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


def load(path: Path, *, formulas: bool):
    """The workbook as data: cached values of formulas (formulas=False) or the formulas."""
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        return openpyxl.load_workbook(path, data_only=not formulas, keep_vba=False,
                                      keep_links=False)
    except DefusedXmlException:  # declarations check_file did not see: still refused
        raise refuse(path, "XML entity declarations", _NO_DOCTYPE) from None
    except Exception as exc:  # openpyxl raises many kinds of errors for damaged files
        raise refuse(path, f"{type(exc).__name__}: {exc}", "a readable .xlsx workbook: "
                      "open it in your spreadsheet program and save it again") from None


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


def has_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(b"<f" in archive.read(n) or b":f>" in archive.read(n)
                   for n in archive.namelist() if n.startswith("xl/worksheets/"))
