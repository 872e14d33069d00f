"""Writing .xlsx safely: text stays text, files appear whole or not at all."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


class OutputError(Exception):
    """The results could not be written; any earlier file at the target is left as it was."""


def put(ws, row: int, col: int, value):
    """Write one cell; a string is always stored as text, never read as a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, float) and not math.isfinite(value):
        # Excel has no NaN or infinity: leave NaN empty, say "inf" in words
        value = None if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def write_table(ws, header: list[str], rows, *, widths: dict[str, int] | None = None,
                number_format: dict[str, str] | None = None) -> None:
    """A header row in bold, then one row per record; column widths fitted to the header."""
    for j, name in enumerate(header, start=1):
        put(ws, 1, j, name).font = Font(bold=True)
    formats = number_format or {}
    for i, record in enumerate(rows, start=2):
        for j, name in enumerate(header, start=1):
            cell = put(ws, i, j, record[j - 1] if isinstance(record, (list, tuple))
                       else record.get(name))
            if name in formats:
                cell.number_format = formats[name]
    for j, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = (widths or {}).get(
            name, max(10, len(name) + 2))
    ws.freeze_panes = "A2"


def check_target(target: Path) -> None:
    """Refuse a target that a person has protected or has open: replacing it would either
    fail (Windows) or leave the open copy showing stale results (Linux, macOS)."""
    locks = (target.with_name(f"~${target.name}"), target.with_name(f".~lock.{target.name}#"))
    for lock in locks:
        if lock.exists():
            raise OutputError(f"cannot write {target}: it is open in a spreadsheet program "
                              f"({lock.name} exists); close it or choose another name with -o. "
                              "Nothing was changed.")
    if target.exists() and not target.stat().st_mode & 0o222:
        raise OutputError(f"cannot write {target}: the file is read-only; make it writable or "
                          "choose another name with -o. Nothing was changed.")


def save_atomic(book, target: str | Path) -> Path:
    """Save to a temporary file beside the target, then rename it into place.

    A full disk, a read-only folder or a target open in another program raises OutputError and
    leaves any earlier file at the target untouched.
    """
    target = Path(target)
    check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx.tmp",
                                   dir=target.parent)
    except OSError as err:
        raise OutputError(f"cannot write in {target.parent}: {err.strerror or err}; choose "
                          "another folder with -o") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            book.save(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        reason = err.strerror or str(err)
        hint = ("close it in your spreadsheet program or choose another name with -o"
                if isinstance(err, PermissionError) else "free some disk space or choose "
                "another folder with -o")
        raise OutputError(f"cannot write {target}: {reason}; {hint}. Nothing was changed.") \
            from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
