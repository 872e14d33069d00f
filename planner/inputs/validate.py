"""The workbook's tables checked together and made into an Instance: ids, references, the
order of periods, cycles of requires, finance, then sheet Scenarios."""

from __future__ import annotations

from dataclasses import replace
from graphlib import CycleError, TopologicalSorter

from planner.inputs import finance as financing
from planner.inputs.cells import setting_value
from planner.inputs.schema import BUDGET
from planner.inputs.instance import (Corridor, Country, Flow, Instance, Period, Project,
    RiskLimit, Route, Segment, Settings)
from planner.inputs.nodes import SHEET as NODES, read_nodes
from planner.inputs.problems import Problem
from planner.inputs.routes import routes_from_network
from planner.inputs.rules import check_refs, row_problems, transport_cost, unique_ids
from planner.inputs.scenarios import SHEET as SCENARIOS, parse_scenarios


def _settings(records: list[dict], problems: list[Problem]) -> Settings:
    values: dict[str, object] = {}
    seen: dict[str, int] = {}
    for r in records:
        name = r.get("setting")
        if not name:
            continue
        if name in seen:
            problems.append(Problem("Settings", r["_row"], "setting", name,
                                    f"each setting once: row {seen[name]} sets it already"))
            continue
        seen[name] = r["_row"]
        found = row_problems("Settings", r, {})
        problems.extend(found)
        if not found and r.get("value") not in (None, ""):  # blank value = the default
            values[name] = setting_value(name, r["value"])
    if "budget_carry_over" in values:
        values["budget_carry_over"] = values["budget_carry_over"] == "yes"
    return Settings(**values)


def _check_period_order(records: list[dict], problems: list[Problem]) -> None:
    """Row order is time order; where the ids are years (numbers), they must rise."""
    years = []
    for r in records:
        try:
            years.append((float(r["period"]), r))
        except (TypeError, ValueError):
            return  # free-text period names: the row order is all there is
    for (a, ra), (b, rb) in zip(years, years[1:]):
        if b < a:
            problems.append(Problem("Periods", rb["_row"], "period", rb["period"],
                                    f"periods in time order, one row each: it comes after "
                                    f"{ra['period']} (row {ra['_row']}); sort the rows"))


def _check_period_years(records: list[dict], problems: list[Problem]) -> None:
    """A period lasts more than 0 years: its transport cost, opex and benefits count once a
    year of it, and a period of no years has none to count."""
    for r in records:
        years = r.get("years")
        if isinstance(years, (int, float)) and years <= 0:
            problems.append(Problem("Periods", r["_row"], "years", years,
                                    "a length of more than 0 years (1.5 = a year and a "
                                    "half): give the period's length, or merge the row into "
                                    "the period next to it"))


def _missing_flow_periods(flows: dict[str, dict], rows: dict[tuple[str, str], int],
                          periods: dict, problems: list[Problem]) -> None:
    """A flow without a row for a period has no demand there, which is allowed (a flow that
    starts later) but looks the same as a deleted row: warn, unless a 0 row says so."""
    for k, f in flows.items():
        missing = [str(t) for t in periods if (k, t) not in rows]
        if missing:
            problems.append(Problem(
                "Flows", f["_row"], "period", k,
                f"a row for flow {k} in every period: it has none for {', '.join(missing)}, "
                "so demand taken as 0 there; add the row (demand 0 if the flow does not run "
                "then)", warning=True))


def _find_cycle(requires: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle in the requires graph as ids, each requiring the next and the first repeated
    last, starting from the project listed first; or None. graphlib searches with a stack of
    its own, so a chain of any length is fine (a recursive search overflowed at ~1,000)."""
    try:
        TopologicalSorter(requires).prepare()
    except CycleError as err:
        ring = list(err.args[1][:-1])
        if ring[1 % len(ring)] not in requires[ring[0]]:
            ring.reverse()  # graphlib lists a cycle against the arrows
        position = {p: i for i, p in enumerate(requires)}
        first = min(range(len(ring)), key=lambda i: position[ring[i]])
        ring = ring[first:] + ring[:first]
        return ring + [ring[0]]
    return None


def validate_tables(tables: dict[str, list[dict]], problems: list[Problem], name: str = "",
                    sha256: str = "", scenarios: bool = True
                    ) -> tuple[Instance | None, list[Problem]]:
    """Stage 2 of reading: ids, references and rules across sheets -> the Instance.
    ``scenarios=False``: sheet Scenarios is not used, so its problems are warnings."""
    settings = _settings(tables["Settings"], problems)
    known = _ids(tables, problems)
    _home_country(tables, settings, known["Countries"], problems)
    flows, flow_period_row = _flows(tables, problems)
    known["Flows"] = flows
    periods, segments = known["Periods"], known["Segments"]
    check_refs("Routes", "flow", tables["Routes"], flows, "Flows", problems)
    _missing_flow_periods(flows, flow_period_row, periods, problems)
    _routes(tables, segments, flows, settings, problems)
    # routes from the network need whole segments and flows: generated once they are
    generated, made = ([], {}) if any(
        not p.warning and p.sheet in ("Settings", "Segments", "Flows") for p in problems) \
        else routes_from_network(settings, segments, flows, tables["Routes"],
                                 known["Countries"], known["Corridors"], problems,
                                 known["Projects"], list(periods))
    _check_transport_cost(tables["Routes"] + generated, flows, flow_period_row,
                          periods, segments, problems)
    _requires(tables, known["Projects"], problems)
    for r in tables["RiskLimits"]:
        problems.extend(row_problems("RiskLimits", r, known))
    finance = _finance(tables, known, problems)
    nodes = read_nodes(tables.get(NODES) or [], segments, problems)

    # scenario rows are checked against the instance: build it unless something else is wrong
    if any(not p.warning and p.sheet != SCENARIOS for p in problems):
        return None, unread(problems, scenarios)

    instance = _instance(tables, settings, known, *finance, nodes=nodes, name=name,
                         sha256=sha256, generated=generated, made=made)
    parsed = parse_scenarios(instance, tables.get(SCENARIOS) or [], problems)
    problems = unread(problems, scenarios)
    if any(not p.warning for p in problems):
        return None, problems
    return replace(instance, scenarios=parsed, warnings=tuple(problems)), problems


def _ids(tables: dict, problems: list[Problem]) -> dict[str, dict]:
    """Sheet -> {id: row} of the sheets with ids (Flows added by _flows), each id unique,
    every reference between them known."""
    periods = unique_ids("Periods", "period", tables["Periods"], problems)
    if not periods:
        problems.append(Problem("Periods", 2, "period", None, "at least one period"))
    _check_period_order(tables["Periods"], problems)
    _check_period_years(tables["Periods"], problems)
    countries = unique_ids("Countries", "country", tables["Countries"], problems)
    corridors = unique_ids("Corridors", "corridor", tables["Corridors"], problems)
    segments = unique_ids("Segments", "segment", tables["Segments"], problems)
    routes = unique_ids("Routes", "route", tables["Routes"], problems)
    projects = unique_ids("Projects", "project", tables["Projects"], problems)

    check_refs("Segments", "country", tables["Segments"], countries, "Countries", problems)
    check_refs("Routes", "corridor", tables["Routes"], corridors, "Corridors", problems)
    check_refs("Routes", "segments", tables["Routes"], segments, "Segments", problems)
    check_refs("Flows", "period", tables["Flows"], periods, "Periods", problems)
    check_refs("Projects", "segments", tables["Projects"], segments, "Segments", problems)
    check_refs("Projects", "earliest_period", tables["Projects"], periods, "Periods", problems)
    check_refs("Projects", "requires", tables["Projects"], projects, "Projects", problems)

    return {"Periods": periods, "Countries": countries, "Corridors": corridors,
            "Segments": segments, "Routes": routes, "Projects": projects}


def _home_country(tables: dict, settings: Settings, countries: dict,
                  problems: list[Problem]) -> None:
    """A warning where Settings' home_country is not on sheet Countries."""
    if settings.home_country and settings.home_country not in countries:
        row = next((r["_row"] for r in tables["Settings"] if r.get("setting") == "home_country"),
                   None)
        problems.append(Problem("Settings", row, "value", settings.home_country,
                                "for home_country: an id from sheet Countries (no segment "
                                "lies in it, so it changes nothing)", warning=True))


def _flows(tables: dict, problems: list[Problem]) -> tuple[dict[str, dict], dict]:
    """(flow -> origin, destination, demand by period, first row; (flow, period) -> row)."""
    # Flows: one row per flow and period; origin and destination the same on every row
    flows: dict[str, dict] = {}
    flow_period_row: dict[tuple[str, str], int] = {}
    for r in tables["Flows"]:
        k, t = r.get("flow"), r.get("period")
        if not k:
            continue
        first = flows.setdefault(k, {"origin": r.get("origin"), "destination":
                                     r.get("destination"), "demand": {}, "loss_per_t": {},
                                     "_row": r["_row"]})
        for col in ("origin", "destination"):
            if r.get(col) and first[col] and r[col] != first[col]:
                problems.append(Problem("Flows", r["_row"], col, r[col],
                                        f"the same {col} on every row of flow {k}: row "
                                        f"{first['_row']} says {first[col]!r}"))
        if t:
            if (k, t) in flow_period_row:
                problems.append(Problem("Flows", r["_row"], "period", t,
                                        f"one row per flow and period: row "
                                        f"{flow_period_row[(k, t)]} already gives {k} in {t}"))
            else:
                flow_period_row[(k, t)] = r["_row"]
                if r.get("demand") is not None:
                    first["demand"][t] = r["demand"]
                if r.get("loss_per_t") is not None:
                    first["loss_per_t"][t] = r["loss_per_t"]
    return flows, flow_period_row


def _routes(tables: dict, segments: dict, flows: dict, settings: Settings,
            problems: list[Problem]) -> None:
    # Routes: consecutive segments connect; a warning where the ends miss the flow's nodes
    for r in tables["Routes"]:
        chain = [s for s in (r.get("segments") or ()) if s in segments]
        if not r.get("segments"):
            continue
        for a, b in zip(chain, chain[1:]):
            if segments[a]["to"] != segments[b]["from"]:
                problems.append(Problem(
                    "Routes", r["_row"], "segments", f"{a}; {b}",
                    f"segments in travel order: {a} ends at {segments[a]['to']!r} but {b} "
                    f"starts at {segments[b]['from']!r}"))
        flow = flows.get(r.get("flow"))
        if flow and chain and len(chain) == len(r["segments"]):
            if segments[chain[0]]["from"] != flow["origin"] or \
                    segments[chain[-1]]["to"] != flow["destination"]:
                problems.append(Problem(
                    "Routes", r["_row"], "segments", "; ".join(chain),
                    f"a chain from {flow['origin']!r} to {flow['destination']!r} (the ends of "
                    f"flow {r['flow']}); it runs from {segments[chain[0]]['from']!r} to "
                    f"{segments[chain[-1]]['to']!r}", warning=True))
    for k, f in flows.items():
        if settings.route_generation == "off" and \
                not any(r.get("flow") == k for r in tables["Routes"]):
            problems.append(Problem("Flows", f["_row"], "flow", k,
                                    "at least one route on sheet Routes: without one, all of its "
                                    "demand is unmet (or Settings route_generation missing, to "
                                    "generate them)", warning=True))


def _requires(tables: dict, projects: dict, problems: list[Problem]) -> None:
    # Projects: requires without cycles; committed/excluded consistent
    for r in tables["Projects"]:
        if r.get("project") and r.get("project") in (r.get("requires") or ()):
            problems.append(Problem("Projects", r["_row"], "requires", r["project"],
                                    "other projects: a project cannot require itself"))
    requires = {r["project"]: tuple(q for q in (r.get("requires") or ()) if q in projects)
                for r in tables["Projects"] if r.get("project")}
    cycle = _find_cycle({p: tuple(q for q in qs if q != p) for p, qs in requires.items()})
    if cycle:
        problems.append(Problem("Projects", projects[cycle[0]]["_row"], "requires",
                                " -> ".join(cycle),
                                "requirements without a cycle: remove one of these"))


def _finance(tables: dict, known: dict, problems: list[Problem]):
    """(spend profiles, sources, source budgets), and the problems of sheets Sources and
    SourceBudgets, of each project's sources and profile, and of the rows of Countries and
    Corridors (closure days), in that order."""
    projects, countries, periods = known["Projects"], known["Countries"], known["Periods"]
    segments = known["Segments"]
    # financing: profiles, sources and their envelopes, what each project may be paid by
    profiles = financing.spend_profiles(projects, len(periods), problems)
    sources, source_budgets = financing.read_sources(tables, countries, periods, problems)
    project_countries = {p: frozenset(segments[s]["country"] for s in (r.get("segments") or ())
                                      if s in segments) for p, r in projects.items()}
    financing.check_project_sources(projects, sources, project_countries, problems,
                                    financing.named_sources(tables))
    for sheet in ("Countries", "Corridors"):
        for r in tables.get(sheet) or []:
            problems.extend(row_problems(sheet, r, known))
    financing.check_committed_profiles(projects, profiles, list(periods), problems)

    return profiles, sources, source_budgets


def _instance(tables: dict, settings: Settings, known: dict, profiles, sources,
              source_budgets, *, nodes: dict, name: str, sha256: str,
              generated: list[dict] = (), made: dict | None = None) -> Instance:
    """The Instance of tables with no problem (but warnings), with the ``generated`` routes
    and the corridors ``made`` for them (planner/inputs/routes.py)."""
    periods, countries, corridors = known["Periods"], known["Countries"], known["Corridors"]
    segments, routes, flows = known["Segments"], known["Routes"], known["Flows"]
    projects = known["Projects"]
    corridors = {**corridors, **(made or {})}
    routes = {**routes, **{r["route"]: r for r in generated}}
    return Instance(
        settings=settings,
        periods=tuple(Period(r["period"], r["budget"], r["years"], r["weight"],
                             r.get("debt_service_limit")) for r in tables["Periods"]),
        countries={k: Country(k, r["name"] or "", r["risk"], r.get("closure_days") or 0.0)
                   for k, r in countries.items()},
        corridors={k: Corridor(k, r["name"] or "", r["risk"], r.get("closure_days") or 0.0)
                   for k, r in corridors.items()},
        segments={k: Segment(k, r["from"], r["to"], r["mode"], r["country"], r["capacity"],
                             r["cost_per_t"], r["length_km"], r.get("corridor") or "")
                  for k, r in segments.items()},
        routes={k: Route(k, r["flow"], r["corridor"], tuple(r["segments"]),
                         r.get("source") or "listed") for k, r in routes.items()},
        flows={k: Flow(k, f["origin"], f["destination"], dict(f["demand"]),
                       dict(f["loss_per_t"]))
               for k, f in flows.items()},
        projects={k: Project(k, tuple(r["segments"]), r["capacity_added"], r["capex"],
                             r["name"] or "", r["lead_time"], r["earliest_period"] or "",
                             r["status"], tuple(r["requires"] or ()), r["exclusive_group"] or "",
                             r["risk_class"], profiles[k],
                             tuple(BUDGET if s.lower() == BUDGET else s
                                   for s in r.get("sources") or ()),
                             r.get("opex") or 0.0) for k, r in projects.items()},
        limits=tuple(RiskLimit(r["limit"], r["unit"], r["key"] or "", r["value"], r["_row"])
                     for r in tables["RiskLimits"]),
        rows={**{(sheet, k): r["_row"] for sheet, table in
                 (("Periods", periods), ("Countries", countries), ("Corridors", corridors),
                  ("Segments", segments), ("Routes", routes), ("Projects", projects),
                  ("Flows", flows)) for k, r in table.items() if r["_row"] is not None},
              **{(NODES, r["node"]): r["_row"] for r in tables.get(NODES) or []
                 if r.get("node")},
              **{("Sources", r["source"]): r["_row"] for r in tables.get("Sources") or []
                 if r.get("source")}},
        sources=sources,
        source_budgets=source_budgets,
        nodes=nodes,
        source_sha256=sha256,
        source_name=name,
    )


def _check_transport_cost(routes: list[dict], flows: dict, flow_period_row: dict,
                          periods: dict, segments: dict, problems: list[Problem]) -> None:
    """Each flow's demand in a period, carried on its dearest route for the period's years,
    costs at most schema.MAX_TRANSPORT_COST (each number may be within its own range and
    their product not)."""
    dearest: dict[str, tuple[float, str]] = {}
    for r in routes:
        chain = r.get("segments") or ()
        if not r.get("flow") or any(s not in segments for s in chain):
            continue
        cost = sum(segments[s].get("cost_per_t") or 0.0 for s in chain)
        if cost > dearest.get(r["flow"], (-1.0, ""))[0]:
            dearest[r["flow"]] = (cost, r["route"])
    for (k, t), row in flow_period_row.items():
        demand, years = flows.get(k, {}).get("demand", {}).get(t), periods.get(t, {})
        if demand is None or k not in dearest or years.get("years") is None:
            continue
        cost, route = dearest[k]
        wrong = transport_cost(demand, route, cost, years["years"])
        if wrong:
            problems.append(Problem("Flows", row, "demand", demand, wrong))


def unread(problems: list[Problem], scenarios: bool) -> list[Problem]:
    """The problems, those of sheet Scenarios made warnings when the command does not read
    it: a solve need not wait for a scenario, but the planner hears of it."""
    if scenarios:
        return problems
    return [replace(p, warning=True, expected=f"{p.expected}; only 'planner scenarios' and "
                    "'planner robust' read sheet Scenarios: fix it before running them")
            if p.sheet == SCENARIOS and not p.warning else p for p in problems]
