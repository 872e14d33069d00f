"""Problems found in a workbook: values a person can act on (sheet, Excel row, column, fix)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    sheet: str | None
    row: int | None  # Excel's row number
    column: str | None
    found: object
    expected: str  # what is expected, phrased as the fix
    warning: bool = False
    file: str | None = None  # the file: where the whole file is refused, or one of several

    def where(self) -> str:
        parts = [self.file] if self.file and self.sheet else []
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) or self.file or "workbook"

    def __str__(self) -> str:
        found = "" if self.found in (None, "") else f" found {self.found!r}:"
        kind = "warning" if self.warning else "error"
        return f"{kind}: {self.where()}:{found} {self.expected}"


class InputError(Exception):
    """The workbook cannot be used as it is; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        super().__init__("\n".join(str(p) for p in self.problems))
