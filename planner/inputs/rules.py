"""Rules of one row, shared by the sheets and by sheet Scenarios (whose rows change the
same settings and limits): unique ids, references, and the per-row rules."""

from __future__ import annotations

from planner.inputs import schema
from planner.inputs.cells import CellError, read_cell, setting_value
from planner.inputs.problems import Problem


def unique_ids(sheet: str, column: str, records: list[dict], problems: list[Problem]) -> dict:
    seen: dict[str, dict] = {}
    for r in records:
        key = r.get(column)
        if not key:
            continue
        if key in seen:
            problems.append(Problem(sheet, r["_row"], column, key,
                                    f"a unique id: row {seen[key]['_row']} already uses it"))
        else:
            seen[key] = r
    return seen


def check_refs(sheet: str, column: str, records: list[dict], known, target: str,
                problems: list[Problem]) -> None:
    for r in records:
        value = r.get(column)
        for ref in (value if isinstance(value, tuple) else (value,)):
            if ref and ref not in known:
                problems.append(Problem(sheet, r["_row"], column, ref,
                                        f"an id from sheet {target}: add it there or correct "
                                        "the spelling"))


def _setting_rule(r: dict, known: dict) -> list[Problem]:
    """A setting's value fits the setting; blank = the default."""
    name, raw = r.get("setting"), r.get("value")
    if not name or raw in (None, ""):
        return []
    try:
        setting_value(name, raw)
    except CellError as err:
        return [Problem("Settings", r["_row"], "value", raw, f"for {name}: {err}")]
    return []


def _limit_rule(r: dict, known: dict) -> list[Problem]:
    """A risk limit's unit fits the limit, a share is at most 1, its key exists."""
    kind, unit, key = r.get("limit"), r.get("unit"), r.get("key") or ""
    if not kind or not unit:
        return []
    out = []
    if kind == "max_share" and unit == "total":
        out.append(Problem("RiskLimits", r["_row"], "unit", unit,
                           "corridor or country for max_share"))
    if kind == "max_high_risk_capex_share" and unit != "total":
        out.append(Problem("RiskLimits", r["_row"], "unit", unit,
                           "total for max_high_risk_capex_share"))
    if kind in ("max_share", "max_high_risk_capex_share") and (r.get("value") or 0) > 1:
        out.append(Problem("RiskLimits", r["_row"], "value", r["value"],
                           "a fraction from 0 to 1 for a share (40% is 0.4)"))
    target = {"corridor": "Corridors", "country": "Countries"}.get(unit)
    if key and target and key not in known.get(target, ()):
        out.append(Problem("RiskLimits", r["_row"], "key", key, f"an id from sheet {target}"))
    if key and unit == "total":
        out.append(Problem("RiskLimits", r["_row"], "key", key,
                           "a blank key for unit total", warning=True))
    return out


def _closure_days_rule(r: dict, known: dict) -> list[Problem]:
    """Expected days closed a year are at most the year's 365."""
    days = r.get("closure_days")
    if days is not None and days > 365:
        sheet = "Corridors" if "corridor" in r else "Countries"
        return [Problem(sheet, r["_row"], "closure_days", days, "days a year from 0 to 365")]
    return []


# sheet -> the rules every row of it must pass (each: row, ids by sheet -> problems)

ROW_RULES = {"Settings": (_setting_rule,), "RiskLimits": (_limit_rule,),
             "Countries": (_closure_days_rule,), "Corridors": (_closure_days_rule,)}


def row_problems(sheet: str, record: dict, known: dict) -> list[Problem]:
    """What the row rules of ``sheet`` find in one row read from it."""
    return [p for rule in ROW_RULES.get(sheet, ()) for p in rule(record, known)]


def check_row(sheet: str, record: dict, cells: dict,
              known: dict) -> tuple[dict, list[Problem]]:
    """A row of ``sheet`` (``record``: as read, or {} for a new row) with ``cells`` (column ->
    value as typed) written into it, read by the same rules as the sheet: each cell by its
    column, its references against ``known`` (ids by sheet), then the sheet's row rules.
    Returns the row as read and the problems, on that sheet and ``record['_row']``."""
    spec = schema.SHEETS_BY_NAME[sheet]
    row = {"_row": None, **record}
    problems: list[Problem] = []
    for name, raw in cells.items():
        column = spec.column(name)
        row[name], problem = read_cell(spec, column, raw, row["_row"])
        if problem:
            problems.append(problem)
        elif column.kind in ("ref", "refs") and column.ref in known:
            check_refs(sheet, name, [row], known[column.ref], column.ref, problems)
    return row, problems + row_problems(sheet, row, known)


def transport_cost(demand: float, route: str, cost: float, years: float) -> str | None:
    """What is wrong with a flow's transport cost in a period (its demand x its dearest
    route's cost x the period's years), or None: beyond MAX_TRANSPORT_COST USD m the flow
    LP's cost stage ended 'Unknown', its values 1e12 beside amounts of 1e-3."""
    total = demand * cost * years
    if total <= schema.MAX_TRANSPORT_COST:
        return None
    return (f"a transport cost of at most {schema.MAX_TRANSPORT_COST:.0e} USD m in a period, "
            f"which the solver can hold together with the smallest amounts: {demand:.0e} "
            f"Mt/yr x {cost:.0e} USD/t (route {route}) x {years:g} years = {total:.0e} USD m; "
            "lower the demand or the route's segment costs (docs/workbook.md, Accepted "
            "ranges)")
