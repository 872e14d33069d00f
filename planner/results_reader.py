"""Read back a results workbook written by 'planner solve' (for 'planner compare')."""

from __future__ import annotations

from pathlib import Path

from planner.problems import InputError, Problem
from planner.workbook import _check_file, _load


def read_results(path: Path) -> tuple[str, dict[str, object], dict[str, str | None]]:
    """(name, measures from Summary, portfolio from Portfolio) of a results workbook."""
    _check_file(path)
    book = _load(path, formulas=False)
    missing = [s for s in ("Summary", "Portfolio") if s not in book.sheetnames]
    if missing:
        raise InputError([Problem(sheet, None, None, None, "a results workbook written by "
                                  "'planner solve', which has this sheet", file=path.name)
                          for sheet in missing])
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)
               if row and row[0]}
    rows = list(book["Portfolio"].iter_rows(values_only=True))
    header = [str(h).strip().lower() if h else "" for h in rows[0]]
    project, start = header.index("project"), header.index("start_period")
    portfolio = {str(r[project]): (str(r[start]) if r[start] not in (None, "") else None)
                 for r in rows[1:] if r and r[project] is not None}
    return path.stem, summary, portfolio


def read_project_names(path: Path) -> dict[str, str]:
    """project id -> display name, from the Portfolio sheet of a results workbook."""
    book = _load(path, formulas=False)
    rows = list(book["Portfolio"].iter_rows(values_only=True))
    header = [str(h).strip().lower() if h else "" for h in rows[0]]
    if "name" not in header:
        return {}
    project, name = header.index("project"), header.index("name")
    return {str(r[project]): str(r[name] or "") for r in rows[1:] if r and r[project]}


def read_units(path: Path) -> dict[str, str]:
    """metric -> its unit, from the Summary of a results workbook."""
    book = _load(path, formulas=False)
    return {row[0]: str(row[2] or "") for row in book["Summary"].iter_rows(
        min_row=2, values_only=True) if row and row[0] and len(row) > 2}
