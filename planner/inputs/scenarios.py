"""Scenarios: named changes to the base case (sheet Scenarios), applied to the Instance.

Each change is exactly an edit a planner could make by hand in the workbook, so that solving a
scenario equals solving the hand-edited workbook. The changes, each with its target and value,
are listed once, in planner.inputs.schema.SCENARIO_CHANGE_RULES (the template's Instructions and
docs/workbook.md say the same).

A factor is always written as one: x1.2 (or *1.2), +20% or -10%; a bare number (or an
unsigned percentage such as 5%) always sets a value. A change that cannot take one of the two
refuses it at its row, saying what to write.

Each change is checked like the row it stands for: the rows it edits are read by the rules of
their own sheet (planner.inputs.read.check_row: the schema's cell rules, references, the sheet's
row rules), so a rule added to a sheet applies here too.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

from planner.inputs import schema
from planner.inputs.cells import setting_value
from planner.inputs.instance import Instance, RiskLimit
from planner.inputs.problems import Problem
from planner.inputs.rules import check_row, transport_cost

SHEET = "Scenarios"
_FACTOR = re.compile(r"^\s*[xX*×]\s*([0-9.eE+-]+)\s*$")
_PERCENT = re.compile(r"^\s*([+-])\s*([0-9.]+)\s*%\s*$")
STATUS_WORDS = {"commit": "committed", "committed": "committed", "exclude": "excluded",
                "excluded": "excluded", "candidate": "candidate"}


@dataclass(frozen=True)
class ScenarioChange:
    change: str
    target: str
    value: object  # ("set"|"scale", number) for budget, demand, capex, source; else as read
    row: int


class _Bad(ValueError):
    """A scenario row that cannot be applied; the message says what is expected, and in
    which column."""

    def __init__(self, expected: str, column: str = "target"):
        super().__init__(expected)
        self.column = column


FACTOR_WORDS = "a factor written x1.2 (or +20%, -10%)"


def _is_factor(value) -> bool:
    text = str(value if value is not None else "").strip()
    return bool(_FACTOR.match(text) or _PERCENT.match(text))


def _factor(text: str) -> float:
    """'x1.4', '*1.4', '+40%' and '-33%' as the factor they write."""
    match = _FACTOR.match(text)
    if match:
        try:
            return float(match.group(1))
        except ValueError:
            raise _Bad(FACTOR_WORDS, "value") from None
    match = _PERCENT.match(text)
    sign = 1 if match.group(1) == "+" else -1
    try:
        return 1 + sign * float(match.group(2)) / 100
    except ValueError:
        raise _Bad(FACTOR_WORDS, "value") from None


def _set_or_scale(value, *, bare: str = "") -> tuple[str, object]:
    """("scale", factor) for a factor (x0.67, +10%, -33%); else ("set", the cell as typed),
    which the edited sheet's column reads. ``bare``: what the target is when it holds many
    values, so that a bare number, which would set one value for all of them, is refused."""
    if _is_factor(value):
        return ("scale", _factor(str(value).strip()))
    if bare:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = 1.4
        number = number if math.isfinite(number) else 1.4
        hint = f"x{number:g} to multiply by {number:g}"
        raise _Bad(f"a factor, written as one: {hint} (or +40%, -10%); a bare number sets a "
                   f"value, and {bare} are many values: name one to set it", "value")
    return ("set", value)


def _value_only(value, what: str):
    """The value as typed; a factor refused: ``what`` says what to write instead."""
    if _is_factor(value):
        raise _Bad(f"{what}, not a factor: write the new value itself", "value")
    return value


def _all(target: str) -> bool:
    return target.strip().lower() in ("", "all")


def _close_target(inst: Instance, target: str, segments: bool = True) -> tuple[str, str]:
    """(unit, key) of what ``target`` names: an id of sheet Corridors, Countries or (with
    ``segments``) Segments (ids are free text, so one may hold a ':'), else unit:ID naming the
    sheet."""
    units = ("corridor", "country", "segment") if segments else ("corridor", "country")
    words = "corridor, country or segment" if segments else "corridor or country"
    tables = {"corridor": inst.corridors, "country": inst.countries, "segment": inst.segments}
    unit, key = next(((u, target) for u in units if target in tables[u]), (None, None))
    if unit is None and ":" in target:
        unit, key = (part.strip() for part in target.split(":", 1))
        if unit not in units or key not in tables[unit]:
            raise _Bad(", ".join(f"{u}:ID" for u in units[:-1]) + f" or {units[-1]}:ID"
                       " of an existing id")
    if unit is None:
        raise _Bad(f"a {words} id")
    if unit == "country" and key == inst.settings.home_country:
        raise _Bad("a country other than the home country")
    return unit, key


def _parse(inst: Instance, change: str, target: str, value) -> ScenarioChange:
    """The change with its target checked and its value's syntax read (a factor, or a number
    to set); what it makes of the rows it edits is checked by _checked."""
    if change == "budget":
        if not _all(target) and target not in inst.period:
            raise _Bad("a period id, or all")
        return ScenarioChange(change, target, _set_or_scale(value), 0)
    if change == "demand":
        if not _all(target) and target not in inst.flows:
            raise _Bad("a flow id, or all")
        return ScenarioChange(change, target, _set_or_scale(
            value, bare="the demands of all flows" if _all(target) else ""), 0)
    if change == "capex":
        if not (_all(target) or target in inst.projects or target in inst.countries):
            raise _Bad("a project or country id, or all")
        many = "" if target in inst.projects else "the capexes of all projects" \
            if _all(target) else f"the capexes of the projects in {target}"
        return ScenarioChange(change, target, _set_or_scale(value, bare=many), 0)
    if change == "close":
        return ScenarioChange(change, ":".join(_close_target(inst, target)), None, 0)
    if change == "closure_days":
        return ScenarioChange(change, ":".join(_close_target(inst, target, segments=False)),
                      _set_or_scale(value), 0)
    if change == "capacity":
        if target not in inst.segments:
            raise _Bad("a segment id")
        return ScenarioChange(change, target, _set_or_scale(value), 0)
    if change == "limit":
        parts = [p.strip() for p in target.split(":")]
        if len(parts) not in (2, 3):
            raise _Bad("limit:unit or limit:unit:key, e.g. max_share:country:RU")
        return ScenarioChange(change, ":".join(parts + [""] * (3 - len(parts))),
                      _value_only(value, "the limit's new value, e.g. 0.3"), 0)
    if change == "status":
        if target not in inst.projects:
            raise _Bad("a project id")
        word = str(value or "").strip().lower()
        if not word:  # blank on sheet Projects means candidate: here, surely a slip
            raise _Bad("the new status: commit, exclude or candidate", "value")
        return ScenarioChange(change, target, STATUS_WORDS.get(word, word), 0)
    if change in ("source", "rate"):
        if target not in inst.sources:
            raise _Bad("a source id of sheet Sources")
        return ScenarioChange(change, target, _set_or_scale(value) if change == "source"
                      else _value_only(value, "the new yearly rate, e.g. 0.05 or 5%"), 0)
    if not str(value or "").strip():  # blank on sheet Settings means the default
        raise _Bad("one of " + ", ".join(schema.OBJECTIVES), "value")
    return ScenarioChange(change, "", value, 0)


class _Edit(NamedTuple):
    """A row of another sheet as the change leaves it: what a planner would type by hand."""

    sheet: str
    record: dict  # the row as it stands ({} for a new one)
    cells: dict  # column -> the value the change writes there
    made: str = ""  # for a value a factor makes: what it is, for the message


def _row_of(sheet: str, item, inst: Instance) -> dict:
    """An instance's item as the row of ``sheet`` it was read from."""
    id_column = schema.SHEETS_BY_NAME[sheet].columns[0].name
    record = {id_column if k == "id" else k: v for k, v in asdict(item).items()}
    return {**record, "_row": inst.rows.get((sheet, item.id))}


def _edits(inst: Instance, c: ScenarioChange) -> list[_Edit]:
    """The rows the change edits, as the hand-edited workbook would hold them."""
    if c.change == "budget":
        mode, number = c.value
        return [_Edit("Periods", _row_of("Periods", p, inst),
                      {"budget": number if mode == "set" else p.budget * number},
                      "" if mode == "set" else f"the budget of {p.id}")
                for p in inst.periods if _all(c.target) or p.id == c.target]
    if c.change == "demand":
        mode, number = c.value
        return [_Edit("Flows", {"flow": k, "origin": f.origin, "destination": f.destination,
                                "period": t, "_row": inst.rows.get(("Flows", k))},
                      {"demand": number if mode == "set" else d * number},
                      "" if mode == "set" else f"the demand of {k} in {t}")
                for k, f in inst.flows.items() if _all(c.target) or k == c.target
                for t, d in f.demand.items()]
    if c.change == "capex":
        mode, number = c.value
        return [_Edit("Projects", _row_of("Projects", q, inst),
                      {"capex": number if mode == "set" else q.capex * number},
                      "" if mode == "set" else f"the capex of {p}")
                for p, q in inst.projects.items()
                if _all(c.target) or p == c.target or c.target in inst.project_countries[p]]
    if c.change == "status":
        project = inst.projects[c.target]
        return [_Edit("Projects", _row_of("Projects", project, inst), {"status": c.value})]
    if c.change == "limit":
        kind, unit, key = c.target.split(":")
        return [_Edit("RiskLimits", {}, {"limit": kind, "unit": unit, "key": key,
                                         "value": c.value})]
    if c.change == "objective":
        return [_Edit("Settings", {}, {"setting": "objective", "value": c.value})]
    if c.change == "source":
        mode, number = c.value
        return [_Edit("SourceBudgets", {"source": c.target, "period": t, "_row": None},
                      {"amount": number if mode == "set"
                       else inst.source_budgets.get((c.target, t), 0.0) * number},
                      "" if mode == "set" else f"the {c.target} envelope of {t}")
                for t in inst.period_ids]
    if c.change == "rate":
        return [_Edit("Sources", {"source": c.target,
                                  "_row": inst.rows.get(("Sources", c.target))},
                      {"rate": c.value})]
    if c.change == "capacity":
        segment, (mode, number) = inst.segments[c.target], c.value
        record = {"segment": segment.id, "from": segment.from_node, "to": segment.to_node,
                  "mode": segment.mode, "country": segment.country,
                  "capacity": segment.capacity, "cost_per_t": segment.cost_per_t,
                  "length_km": segment.length_km,
                  "_row": inst.rows.get(("Segments", segment.id))}
        return [_Edit("Segments", record,
                      {"capacity": number if mode == "set" else segment.capacity * number},
                      "" if mode == "set" else f"the capacity of {segment.id}")]
    if c.change == "closure_days":
        unit, key = c.target.split(":", 1)
        sheet, item = ("Corridors", inst.corridors[key]) if unit == "corridor" \
            else ("Countries", inst.countries[key])
        mode, number = c.value
        return [_Edit(sheet, _row_of(sheet, item, inst),
                      {"closure_days": number if mode == "set" else item.closure_days * number},
                      "" if mode == "set" else f"the closure days of {key}")]
    return []  # close: its target is all there is, checked by _close_target


def _known(inst: Instance) -> dict:
    """Ids by sheet, for the references the sheets' rules check."""
    return {"Periods": inst.period, "Countries": inst.countries, "Corridors": inst.corridors,
            "Segments": inst.segments, "Routes": inst.routes, "Flows": inst.flows,
            "Projects": inst.projects, "Sources": inst.sources}


def _checked(inst: Instance, c: ScenarioChange, r: dict) -> tuple[ScenarioChange, list[Problem]]:
    """The change as read by the rules of the sheets it edits, and their problems moved to
    its own row of sheet Scenarios (the first per column: a factor on many rows fails the
    same way on each)."""
    known, found, read = _known(inst), {}, []
    for edit in _edits(inst, c):
        row, problems = check_row(edit.sheet, edit.record, edit.cells, known)
        read.append(row)
        for p in problems:
            column = "target" if c.change == "limit" and p.column != "value" else "value"
            made = f"; it makes {edit.made} {edit.cells[p.column]:g}" \
                if edit.made and p.column in edit.cells else ""
            found.setdefault((column, p.warning), Problem(
                SHEET, r["_row"], column, r.get(column) if column == "value" else r["target"],
                f"for {c.change}: {p.expected}, as on sheet {p.sheet} (column {p.column})"
                f"{made}", warning=p.warning))
    problems = list(found.values())
    if any(not p.warning for p in problems) or not read:
        return c, problems
    row = read[0]  # the value as the sheet reads it: '30 %' is 0.3, 'Max_Share' max_share
    if c.change == "limit":
        c = replace(c, target=f"{row['limit']}:{row['unit']}:{row['key'] or ''}",
                    value=row["value"])
    elif c.change == "status":
        c = replace(c, value=row["status"])
    elif c.change == "objective":
        c = replace(c, value=setting_value("objective", row["value"]))
    elif c.change == "budget" and c.value[0] == "set":
        c = replace(c, value=("set", row["budget"]))
    elif c.change == "demand" and c.value[0] == "set":
        c = replace(c, value=("set", row["demand"]))
    elif c.change == "capex" and c.value[0] == "set":
        c = replace(c, value=("set", row["capex"]))
    elif c.change == "source" and c.value[0] == "set":
        c = replace(c, value=("set", row["amount"]))
    elif c.change == "rate":
        c = replace(c, value=row["rate"])
    elif c.change in ("closure_days", "capacity"):
        c = replace(c, value=("set", row[c.change]))
    return c, problems


def parse_scenarios(inst: Instance, records: list[dict],
                    problems: list[Problem]) -> dict[str, tuple[ScenarioChange, ...]]:
    """Scenario name -> its changes, in row order; problems are added for rows that fail.

    Each change is read like the row of the sheet it edits (planner.inputs.read.check_row), as
    that row stands after the scenario's earlier changes."""
    out: dict[str, list[ScenarioChange]] = {}
    states: dict[str, Instance] = {}  # each scenario's instance so far
    for r in records:
        name, change = r.get("scenario"), r.get("change")
        if not name or not change:
            continue
        target = str(r.get("target") or "").strip()
        state = states.get(name, inst)
        try:
            parsed = _parse(state, change, target, r.get("value"))
        except _Bad as err:
            found = r.get("value") if err.column == "value" else target
            problems.append(Problem(SHEET, r["_row"], err.column, found, f"for {change}: {err}"))
            continue
        parsed, found = _checked(state, parsed, {**r, "target": target})
        problems.extend(found)
        if any(not p.warning for p in found):
            continue
        parsed = replace(parsed, row=r["_row"])
        after = apply(state, (parsed,))
        wrong = _transport_cost(after) if parsed.change == "demand" else None
        if wrong:
            problems.append(Problem(SHEET, r["_row"], "value", r.get("value"),
                                    f"for demand: {wrong}"))
            continue
        states[name] = after
        out.setdefault(name, []).append(parsed)
    return {name: tuple(changes) for name, changes in out.items()}


def _transport_cost(inst: Instance) -> str | None:
    """What is wrong with the largest transport cost of a flow in a period (the rule of sheet
    Flows, planner.inputs.read.transport_cost), or None."""
    for k, f in inst.flows.items():
        if not inst.routes_of_flow.get(k):
            continue
        route = max(inst.routes_of_flow[k], key=lambda r: inst.route_cost[r])
        for t, d in f.demand.items():
            wrong = transport_cost(d, route, inst.route_cost[route], inst.period[t].years)
            if wrong:
                return f"the demand of {k} in {t}: {wrong}"
    return None


def apply(inst: Instance, changes: tuple[ScenarioChange, ...]) -> Instance:
    """The instance with the changes made, in order."""
    periods, flows, projects = list(inst.periods), dict(inst.flows), dict(inst.projects)
    routes, limits, settings = dict(inst.routes), list(inst.limits), inst.settings
    sources, envelopes = dict(inst.sources), dict(inst.source_budgets)
    corridors, countries = dict(inst.corridors), dict(inst.countries)
    segments = dict(inst.segments)
    for c in changes:
        if c.change == "budget":
            mode, number = c.value
            periods = [replace(p, budget=number if mode == "set" else p.budget * number)
                       if _all(c.target) or p.id == c.target else p for p in periods]
        elif c.change == "demand":
            mode, number = c.value
            flows = {k: replace(f, demand={t: number if mode == "set" else d * number
                                           for t, d in f.demand.items()})
                     if _all(c.target) or k == c.target else f for k, f in flows.items()}
        elif c.change == "capex":
            hit = {p for p in projects if _all(c.target) or p == c.target
                   or c.target in inst.project_countries[p]}
            mode, number = c.value
            projects = {p: replace(q, capex=number if mode == "set" else q.capex * number)
                        if p in hit else q for p, q in projects.items()}
        elif c.change == "close":
            unit, key = c.target.split(":", 1)
            if unit == "segment":
                shut = {r for r, route in routes.items() if key in route.segments}
            else:
                shut = set(inst.routes_in_unit(unit, key))
            routes = {r: route for r, route in routes.items() if r not in shut}
        elif c.change == "limit":
            kind, unit, key = c.target.split(":")
            same = [i for i, lim in enumerate(limits)
                    if (lim.limit, lim.unit, lim.key) == (kind, unit, key)]
            for i in same:
                limits[i] = replace(limits[i], value=c.value)
            if not same:
                limits.append(RiskLimit(kind, unit, key, c.value, c.row))
        elif c.change == "status":
            projects[c.target] = replace(projects[c.target], status=c.value)
        elif c.change == "objective":
            settings = replace(settings, objective=c.value)
        elif c.change == "source":
            mode, number = c.value
            for t in inst.period_ids:
                envelopes[c.target, t] = number if mode == "set" \
                    else envelopes.get((c.target, t), 0.0) * number
        elif c.change == "rate":
            sources[c.target] = replace(sources[c.target], rate=c.value)
        elif c.change == "closure_days":
            unit, key = c.target.split(":", 1)
            table = corridors if unit == "corridor" else countries
            mode, number = c.value
            table[key] = replace(table[key], closure_days=number if mode == "set"
                                 else table[key].closure_days * number)
        elif c.change == "capacity":
            mode, number = c.value
            segments[c.target] = replace(segments[c.target], capacity=number if mode == "set"
                                         else segments[c.target].capacity * number)
    return replace(inst, periods=tuple(periods), flows=flows, projects=projects,
                   routes=routes, limits=tuple(limits), settings=settings, sources=sources,
                   source_budgets=envelopes, corridors=corridors, countries=countries,
                   segments=segments)


def scenario_instances(inst: Instance) -> dict[str, Instance]:
    """The base case first, then every scenario applied to it, by name."""
    return {"base": inst, **{name: apply(inst, changes)
                             for name, changes in inst.scenarios.items()}}
