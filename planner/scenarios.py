"""Scenarios: named changes to the base case (sheet Scenarios), applied to the Instance.

Each change is exactly an edit a planner could make by hand in the workbook, so that solving a
scenario equals solving the hand-edited workbook:

| change    | target                                   | value                               |
|-----------|------------------------------------------|-------------------------------------|
| budget    | a period, or all (blank)                 | a number sets it; x0.67, +10%, -33% scale it |
| demand    | a flow, or all                           | a factor: 1.2, x1.2 or +20%         |
| capex     | a project, a country (its projects), or all | a factor (cost overrun 1.4)      |
| close     | a corridor, country or segment (or corridor:X, country:X, segment:X) | (none): the routes through it are removed, as if deleted from sheet Routes |
| limit     | limit:unit[:key], e.g. max_share:country:RU | the limit's new value; added when no such row exists |
| status    | a project                                | commit, exclude or candidate        |
| objective | (none)                                   | worst_disruption, max_share, expected_disruption or cost |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from planner import schema
from planner.instance import Instance, RiskLimit
from planner.problems import Problem

SHEET = "Scenarios"
_FACTOR = re.compile(r"^\s*[x*×]\s*([0-9.eE+-]+)\s*$")
_PERCENT = re.compile(r"^\s*([+-])\s*([0-9.]+)\s*%\s*$")
STATUS_WORDS = {"commit": "committed", "committed": "committed", "exclude": "excluded",
                "excluded": "excluded", "candidate": "candidate"}


@dataclass(frozen=True)
class Change:
    change: str
    target: str
    value: object  # float factor/value, ("set"|"scale", float), or a word
    row: int


class _Bad(ValueError):
    """A scenario row that cannot be applied; the message says what is expected, and in
    which column."""

    def __init__(self, expected: str, column: str = "target"):
        super().__init__(expected)
        self.column = column


def _factor(value) -> float:
    """1.4, 'x1.4', '*1.4', '+40%' and '-33%' are factors."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip()
    match = _FACTOR.match(text)
    if match:
        return float(match.group(1))
    match = _PERCENT.match(text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return 1 + sign * float(match.group(2)) / 100
    try:
        return float(text)
    except ValueError:
        raise _Bad("a factor such as 1.4, x1.4 or +40%", "value") from None


def _set_or_scale(value) -> tuple[str, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("set", float(value))
    text = str(value or "").strip()
    if _FACTOR.match(text) or _PERCENT.match(text):
        return ("scale", _factor(text))
    try:
        return ("set", float(text))
    except ValueError:
        raise _Bad("a number to set it, or x0.67 / -33% to scale it", "value") from None


def _all(target: str) -> bool:
    return target.strip().lower() in ("", "all")


def _close_target(inst: Instance, target: str) -> tuple[str, str]:
    if ":" in target:
        unit, key = (part.strip() for part in target.split(":", 1))
        tables = {"corridor": inst.corridors, "country": inst.countries,
                  "segment": inst.segments}
        if unit not in tables or key not in tables[unit]:
            raise _Bad("corridor:ID, country:ID or segment:ID of an existing id")
    else:
        unit, key = next(((u, target) for u, table in (
            ("corridor", inst.corridors), ("country", inst.countries),
            ("segment", inst.segments)) if target in table), (None, None))
        if unit is None:
            raise _Bad("a corridor, country or segment id")
    if unit == "country" and key == inst.settings.home_country:
        raise _Bad("a country other than the home country")
    return unit, key


def _parse(inst: Instance, change: str, target: str, value) -> Change:
    if change == "budget":
        if not _all(target) and target not in inst.period:
            raise _Bad("a period id, or all")
        return Change(change, target, _set_or_scale(value), 0)
    if change == "demand":
        if not _all(target) and target not in inst.flows:
            raise _Bad("a flow id, or all")
        return Change(change, target, _factor(value), 0)
    if change == "capex":
        if not (_all(target) or target in inst.projects or target in inst.countries):
            raise _Bad("a project or country id, or all")
        return Change(change, target, _factor(value), 0)
    if change == "close":
        return Change(change, ":".join(_close_target(inst, target)), None, 0)
    if change == "limit":
        parts = [p.strip() for p in target.split(":")]
        if len(parts) not in (2, 3) or parts[0] not in schema.LIMIT_KINDS \
                or parts[1] not in schema.LIMIT_UNITS:
            raise _Bad("limit:unit or limit:unit:key, e.g. max_share:country:RU")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Bad("the limit's new value, a number", "value") from None
        return Change(change, ":".join(parts + [""] * (3 - len(parts))), number, 0)
    if change == "status":
        if target not in inst.projects:
            raise _Bad("a project id")
        word = STATUS_WORDS.get(str(value or "").strip().lower())
        if word is None:
            raise _Bad("commit, exclude or candidate", "value")
        return Change(change, target, word, 0)
    word = str(value or "").strip().lower()
    if word not in schema.OBJECTIVES:
        raise _Bad("one of " + ", ".join(schema.OBJECTIVES), "value")
    return Change(change, "", word, 0)


def parse_scenarios(inst: Instance, records: list[dict],
                    problems: list[Problem]) -> dict[str, tuple[Change, ...]]:
    """Scenario name -> its changes, in row order; problems are added for rows that fail."""
    out: dict[str, list[Change]] = {}
    for r in records:
        name, change = r.get("scenario"), r.get("change")
        if not name or not change:
            continue
        target = str(r.get("target") or "").strip()
        try:
            parsed = _parse(inst, change, target, r.get("value"))
        except _Bad as err:
            found = r.get("value") if err.column == "value" else target
            problems.append(Problem(SHEET, r["_row"], err.column, found, f"for {change}: {err}"))
            continue
        out.setdefault(name, []).append(replace(parsed, row=r["_row"]))
    return {name: tuple(changes) for name, changes in out.items()}


def apply(inst: Instance, changes: tuple[Change, ...]) -> Instance:
    """The instance with the changes made, in order."""
    periods, flows, projects = list(inst.periods), dict(inst.flows), dict(inst.projects)
    routes, limits, settings = dict(inst.routes), list(inst.limits), inst.settings
    for c in changes:
        if c.change == "budget":
            mode, number = c.value
            periods = [replace(p, budget=number if mode == "set" else p.budget * number)
                       if _all(c.target) or p.id == c.target else p for p in periods]
        elif c.change == "demand":
            flows = {k: replace(f, demand={t: d * c.value for t, d in f.demand.items()})
                     if _all(c.target) or k == c.target else f for k, f in flows.items()}
        elif c.change == "capex":
            hit = {p for p in projects if _all(c.target) or p == c.target
                   or c.target in inst.project_countries[p]}
            projects = {p: replace(q, capex=q.capex * c.value) if p in hit else q
                        for p, q in projects.items()}
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
    return replace(inst, periods=tuple(periods), flows=flows, projects=projects,
                   routes=routes, limits=tuple(limits), settings=settings)


def scenario_instances(inst: Instance) -> dict[str, Instance]:
    """The base case first, then every scenario applied to it, by name."""
    return {"base": inst, **{name: apply(inst, changes)
                             for name, changes in inst.scenarios.items()}}
