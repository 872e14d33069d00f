"""Read back a results workbook written by 'planner solve' (for 'planner compare')."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from planner.inputs.cells import normalize_header
from planner.inputs.problems import InputError, Problem
from planner.inputs.xlsx import check_file, load, sheet_rows

SOLVE_WRITES = "as 'planner solve' writes it"


@dataclass(frozen=True)
class Results:
    name: str  # the file's stem
    measures: dict[str, object]  # Summary: metric -> value
    portfolio: dict[str, str | None]  # Portfolio: project -> start period (None: not started)
    names: dict[str, str]  # Portfolio: project -> its name in words
    units: dict[str, str]  # Summary: metric -> its unit


def read_results(path: Path, role: str = "") -> Results:
    """What 'planner compare' reads of a results workbook: Summary (columns metric and value,
    unit if there) and Portfolio (project and start_period, name if there). Anything else is
    an InputError naming the file (and ``role``, A or B), the sheet, the row and the column."""
    label = f"{path} ({role})" if role else str(path)
    try:
        return _read(path)
    except InputError as err:
        raise InputError([replace(p, file=label) for p in err.problems + err.warnings]) \
            from None


def _read(path: Path) -> Results:
    check_file(path)
    book = load(path, formulas=False)
    try:
        missing = [s for s in ("Summary", "Portfolio") if s not in book.sheetnames]
        if missing:
            raise InputError([Problem(sheet, None, None, None, "a results workbook written "
                                      "by 'planner solve', which has this sheet")
                              for sheet in missing])
        summary, portfolio = sheet_rows(book["Summary"]), sheet_rows(book["Portfolio"])
    finally:
        book.close()
    s = _columns("Summary", summary, ("metric", "value"), ("unit",))
    p = _columns("Portfolio", portfolio, ("project", "start_period"), ("name",))
    measures, units = {}, {}
    for r, cells in summary.items():
        metric = cells.get(s["metric"])
        if r > 1 and metric is not None:
            measures[str(metric)] = cells.get(s["value"])
            if "unit" in s:
                units[str(metric)] = str(cells.get(s["unit"]) or "")
    if not measures:
        raise InputError([Problem("Summary", 2, "metric", None, "the measures of a results "
                                  f"workbook, one per row, {SOLVE_WRITES}: none was found")])
    starts, names = {}, {}
    for r, cells in portfolio.items():
        project = cells.get(p["project"])
        if r == 1 or project in (None, ""):
            continue
        start = cells.get(p["start_period"])
        starts[str(project)] = None if start in (None, "") else str(start)
        if "name" in p:
            names[str(project)] = str(cells.get(p["name"]) or "")
    return Results(path.stem, measures, starts, names, units)


def _columns(sheet: str, rows: dict[int, dict[int, object]], required: tuple[str, ...],
             optional: tuple[str, ...]) -> dict[str, int]:
    """Column id -> 0-based position in the header row; a required one missing is refused."""
    found: dict[str, int] = {}
    for i, text in rows.get(1, {}).items():
        found.setdefault(normalize_header(text), i)
    missing = [c for c in required if c not in found]
    if missing:
        raise InputError([Problem(sheet, 1, c, None, f"a column headed '{c}' in row 1, "
                                  f"{SOLVE_WRITES}") for c in missing])
    return {c: found[c] for c in required + optional if c in found}
