"""The workbook contract, version 1, as data.

One table of sheets and columns drives reading (planner/inputs/read.py), the error messages, the
template workbook (planner/report/template.py) and docs/workbook.md. Column kinds:

- ``id``       free text that names the row; unique within the sheet
- ``text``     free text
- ``ref``      an id of the sheet named in ``ref``
- ``refs``     ids of the sheet named in ``ref``, separated by ``;``
- ``number``   a real number, at least ``minimum``, at most ``maximum`` and 0 or at least
               ``least`` in size, each when one is given (the accepted ranges below)
- ``share``    a fraction from 0 to 1 (a cell formatted 40% holds 0.4)
- ``integer``  a whole number, at least ``minimum``, at most ``maximum``
- ``choice``   one of the words in ``choices`` (case-insensitive)
- ``any``      as typed; read by what it belongs to (a setting's value)
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORKBOOK_FORMAT_VERSION = 1
LIST_SEPARATOR = ";"

OBJECTIVES = ("worst_disruption", "max_share", "expected_disruption", "cost")
DEPENDENCE_UNITS = ("corridor", "country")
ANALYSIS = ("auto", "full", "summary")  # what follows the solve (planner/analysis/pipeline.py)
STATUSES = ("candidate", "committed", "excluded")
RISK_CLASSES = ("low", "medium", "high")
LIMIT_KINDS = ("max_share", "max_capex", "max_high_risk_capex_share")
LIMIT_UNITS = ("corridor", "country", "total")
# change -> (target, value) on sheet Scenarios: the one rule is that a factor is always written
# as one (x1.2, +20%, -10%) and a bare number always sets a value (planner/inputs/scenarios.py)
SCENARIO_CHANGE_RULES = {
    "budget": ("a period, or all (blank)",
               "a number sets the budget; x0.67, +10% or -33% scales it"),
    "demand": ("a flow, or all",
               "a number sets the flow's demand in each of its periods (one flow only); x1.2 "
               "or +20% scales it"),
    "capex": ("a project, a country (its projects), or all",
              "a number sets the project's capex (one project only); x1.4 or +40% scales it"),
    "close": ("a corridor, country or segment (corridor:X, country:X, segment:X when ids "
              "clash)", "none: its routes are removed, as if deleted from sheet Routes"),
    "limit": ("limit:unit[:key], e.g. max_share:country:RU",
              "the limit's new value (not a factor); the row is added when there is none"),
    "status": ("a project", "commit, exclude or candidate"),
    "objective": ("none", "an objective: " + ", ".join(OBJECTIVES)),
    "source": ("a source of sheet Sources",
               "a number sets its envelope in every period; x0.5 or -50% scales them (x0: "
               "the lender withdraws)"),
    "rate": ("a source of sheet Sources", "its new yearly rate, 0.05 or 5% (not a factor)"),
    "closure_days": ("a corridor or country (corridor:X, country:X when ids clash)",
                     "a number sets its days closed a year; x2 or +50% scales them "
                     "(appraisal only)"),
    "capacity": ("a segment", "a number sets its existing capacity; x0.3 or -70% scales it "
                              "(what projects add is kept)"),
}
SCENARIO_CHANGES = tuple(SCENARIO_CHANGE_RULES)
YES_NO = ("no", "yes")
ROUTE_GENERATION = ("missing", "all", "off")
ROUTE_SOURCES = ("listed", "generated")
SOURCE_KINDS = ("grant", "loan")
BUDGET = "budget"  # the Periods' own budget, as a source id (reserved on sheet Sources)

# Accepted magnitudes (docs/workbook.md, "Accepted ranges"). HiGHS works to about 1e-7
# absolute and 1e-9 relative, and the planner reads flows below 1e-7 as round-off: amounts of
# one model must stay within these to be solved right (tests/test_files.py solves a
# workbook at every edge at once). Beyond them a plan was solved wrongly or not at all.
LEAST = 1e-3  # the smallest amount other than 0: a flow, a sum of money, a unit cost
FLOW_MOST = 1e6  # Mt/yr: demand, capacity, capacity added
MONEY_MOST = 1e9  # USD m
UNIT_COST_MOST = 1e4  # USD/t
VALUE_MOST = 1e6  # USD/t: a tonne's value (Flows loss_per_t), appraisal and closure ranking only
MAX_TRANSPORT_COST = 1e10  # USD m: a flow's demand x its dearest route's cost x the years
YEARS_MOST = 100  # a period, a loan's tenor or grace, the appraisal's years after the horizon


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    default: object = None
    unit: str = ""
    description: str = ""
    example: object = None
    ref: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None  # the largest value accepted (a number)
    least: float | None = None  # the smallest accepted other than 0 (a number)
    range_note: str = ""  # why a number beyond ``maximum`` is refused; blank: the solver's reason


@dataclass(frozen=True)
class Sheet:
    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True
    examples: tuple[tuple, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # choice, number, text, integer
    default: object
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("objective", "choice", "worst_disruption",
            "What stage 2 minimizes: worst_disruption (largest share of trade stranded by any one "
            "closure), max_share (largest share through one corridor or country), "
            "expected_disruption (risk-weighted mean stranded share) or cost (capex plus "
            "transport cost, dependence only through RiskLimits).", OBJECTIVES),
    Setting("dependence_unit", "choice", "corridor",
            "What a closure or a share is measured on: corridor or country.", DEPENDENCE_UNITS),
    Setting("home_country", "text", "",
            "The country whose trade is planned; excluded from country shares and closures. "
            "Must be a Countries id when given."),
    Setting("budget_carry_over", "choice", "no",
            "yes: budget unspent in one period can be spent later (budgets bind cumulatively).",
            YES_NO),
    Setting("time_limit_s", "number", 300.0,
            "Wall-clock limit for each solver stage, seconds.", minimum=0.001),
    Setting("mip_gap", "number", 1e-4,
            "Relative optimality gap at which a stage stops (0.0001 = 0.01%).",
            minimum=0.0, maximum=1.0),
    Setting("discount_rate", "number", 0.0,
            "Yearly rate used to discount capex and transport cost in the cost stage (0.05 = 5%).",
            minimum=0.0, maximum=1.0),
    Setting("loss_per_t", "number", None,
            "USD lost per tonne of trade that cannot move (appraisal only: the value of unmet "
            "demand served and of the expected loss avoided), for every flow whose Flows row "
            "gives no loss_per_t of its own. Blank, and none on Flows: the appraisal counts "
            "transport savings alone.", minimum=0.0),
    Setting("benefit_years_after", "number", 0.0,
            "Years after the horizon over which the last period's yearly benefits and opex "
            "continue in the appraisal.", minimum=0.0, maximum=YEARS_MOST),
    Setting("analysis", "choice", "auto",
            "What follows the solve: full (sheets Value, Chains and Leverage: every project "
            "dropped or added, every requires chain, every transit country's hold), summary "
            "(the Summary's appraisal; those three sheets left out and named on the Summary), "
            "or auto: full up to a few hundred projects, summary on larger networks, where the "
            "full analysis takes minutes (the command's --analysis overrides it).", ANALYSIS),
    Setting("route_generation", "choice", "missing",
            "Which flows get routes generated from sheet Segments (docs/model.md, Routes from "
            "the network): missing (those with no route on sheet Routes), all (every flow; "
            "listed routes are kept) or off (none: only the routes of sheet Routes).",
            ROUTE_GENERATION),
    Setting("routes_per_flow", "integer", 5,
            "How many of the cheapest paths each generated flow gets, before the paths that "
            "avoid a transit country or segment are added.", minimum=1, maximum=1000),
    Setting("max_detour", "number", 3.0,
            "A generated route costs at most this many times its flow's path of today (USD/t): "
            "its cheapest path with capacity now for its first demand (docs/model.md, Routes "
            "from the network). Raise it where the listed routes would serve demand that the "
            "generated ones leave unmet.", minimum=1.0, maximum=1e6),
    Setting("flow_unit", "text", "Mt/yr", "Display name of the flow unit in the results."),
    Setting("money_unit", "text", "USD m", "Display name of the money unit in the results."),
    Setting("cost_unit", "text", "USD/t", "Display name of the unit cost unit in the results."),
)

SHEETS: tuple[Sheet, ...] = (
    Sheet("Settings", "Solver and model settings, one per row. Every setting is optional.", (
        Column("setting", "choice", description="Name of the setting (see the list below).",
               choices=tuple(s.name for s in SETTINGS), example="objective"),
        Column("value", "any", required=False,
               description="Its value: a word, a number or yes/no (TRUE/FALSE also read).",
               example="worst_disruption"),
    ), required=False, examples=(("objective", "worst_disruption"),
                                 ("home_country", "KZ"))),
    Sheet("Periods", "Planning periods in time order, each with its capital budget.", (
        Column("period", "id", description="Period name, e.g. the year it starts.", example=2026),
        Column("budget", "number", unit="USD m", minimum=0,
               description="Most the budget may pay in this period: the capex spent in it "
                           "(spend_profile spreads a project's capex over periods), less what "
                           "the lenders of sheet Sources pay.", example=1500,
               maximum=MONEY_MOST, least=LEAST),
        Column("years", "number", required=False, default=1.0, minimum=0, unit="years",
               description="Length of the period, more than 0 (1.5 = a year and a half); "
                           "transport cost is counted once per year, a part year pro rata.",
               example=2, maximum=YEARS_MOST, least=LEAST),
        Column("weight", "number", required=False, default=1.0, minimum=0,
               description="Weight of the period in the dependence objective; 0 = not measured.",
               example=1, maximum=1e3, least=LEAST),
        Column("debt_service_limit", "number", required=False, minimum=0, unit="USD m",
               description="Most loan payments (interest and principal, all loans of sheet "
                           "Sources) due in the period; blank = no limit.", example=400,
               maximum=MONEY_MOST, least=LEAST),
    ), examples=((2026, 1500, 2, 1, None), (2028, 2000, 2, 1, 400))),
    Sheet("Countries", "Every country a segment lies in, the home country included.", (
        Column("country", "id", description="Country id.", example="KZ"),
        Column("name", "text", required=False, description="Display name.",
               example="Kazakhstan"),
        Column("risk", "share", required=False, default=1.0,
               description="Closure weight for expected_disruption, 0-1 (blank = 1).",
               example=0.57),
        Column("closure_days", "number", required=False, default=0.0, minimum=0,
               unit="days/yr", description="Expected days a year the country is closed to "
                                           "transit, 0-365 (appraisal only; blank = 0).",
               example=10),
    ), examples=(("KZ", "Kazakhstan", 0.57, None), ("RU", "Russia", 0.73, 10))),
    Sheet("Corridors", "Named groups of routes (optional when every route is generated: "
          "generated routes make the corridors they need).", (
        Column("corridor", "id", description="Corridor id.", example="NORTH"),
        Column("name", "text", required=False, description="Display name.",
               example="Northern route"),
        Column("risk", "share", required=False, default=1.0,
               description="Closure weight for expected_disruption, 0-1 (blank = 1).",
               example=0.7),
        Column("closure_days", "number", required=False, default=0.0, minimum=0,
               unit="days/yr", description="Expected days a year the corridor is closed, 0-365 "
                                           "(appraisal only; blank = 0).", example=5),
    ), required=False, examples=(("NORTH", "Northern route", 0.7, 5),)),
    Sheet("Segments", "Links of the network (rail, road, ferry, port, border crossing).", (
        Column("segment", "id", description="Segment id.", example="KZ-RU-rail"),
        Column("from", "text", description="Node where the segment starts.", example="Astana"),
        Column("to", "text", description="Node where the segment ends.", example="Moscow"),
        Column("mode", "text", description="rail, road, sea, port, border, pipeline ...",
               example="rail"),
        Column("country", "ref", ref="Countries", description="Country the segment lies in.",
               example="RU"),
        Column("capacity", "number", minimum=0, unit="Mt/yr",
               description="Existing capacity.", example=20, maximum=FLOW_MOST, least=LEAST),
        Column("cost_per_t", "number", minimum=0, unit="USD/t",
               description="Transport cost per tonne over the segment.", example=35,
               maximum=UNIT_COST_MOST, least=LEAST),
        Column("length_km", "number", required=False, minimum=0, unit="km",
               description="Length, for information.", example=2200, maximum=1e6),
        Column("corridor", "text", required=False,
               description="A corridor for generated routes: a route takes that of the last "
                           "of its segments that has one (blank: none; a route with none is "
                           "put in a corridor named by its transit countries).",
               example="NORTH"),
    ), examples=(("KZ-RU-rail", "Astana", "Moscow", "rail", "RU", 20, 35, 2200, "NORTH"),)),
    Sheet("Routes", "Ordered chains of segments that serve one flow (optional: a flow with "
          "no route here gets routes generated from sheet Segments, Settings "
          "route_generation).", (
        Column("route", "id", description="Route id.", example="R-north"),
        Column("flow", "ref", ref="Flows", description="The trade flow the route serves.",
               example="KZ-EU"),
        Column("corridor", "ref", ref="Corridors", description="Corridor the route belongs to.",
               example="NORTH"),
        Column("segments", "refs", ref="Segments",
               description="Segments in travel order, separated by ; (the 'to' of one is the "
                           "'from' of the next).", example="KZ-RU-rail; RU-port"),
        Column("source", "choice", required=False, default="listed", choices=ROUTE_SOURCES,
               description="listed (typed by a planner) or generated (written by 'planner "
                           "routes'); for information: both are used alike (blank = listed).",
               example="listed"),
    ), required=False, examples=(("R-north", "KZ-EU", "NORTH", "KZ-RU-rail", "listed"),)),
    Sheet("Flows", "Trade to move: one row per flow and period. A period without a row has "
          "demand 0, with a warning (a deleted row looks the same): write a 0 row for a period "
          "in which the flow does not run.", (
        Column("flow", "text", description="Flow id (repeated on each of its periods' rows).",
               example="KZ-EU"),
        Column("origin", "text", description="Origin node.", example="Astana"),
        Column("destination", "text", description="Market node.", example="Moscow"),
        Column("period", "ref", ref="Periods", description="Period of this demand.",
               example=2026),
        Column("demand", "number", minimum=0, unit="Mt/yr", description="Volume to move.",
               example=15, maximum=FLOW_MOST, least=LEAST),
        Column("loss_per_t", "number", required=False, minimum=0, unit="USD/t",
               description="Value lost per tonne of this flow that cannot move in this "
                           "period, where its cargo is known (appraisal, and which tonnes a "
                           "closure strands first: the least valuable). Blank: Settings "
                           "loss_per_t.", example=580, maximum=VALUE_MOST),
    ), examples=(("KZ-EU", "Astana", "Moscow", 2026, 15, None),)),
    Sheet("Projects", "Candidate, committed and excluded projects.", (
        Column("project", "id", description="Project id.", example="P01"),
        Column("name", "text", required=False, description="Display name.",
               example="Second track"),
        Column("segments", "refs", ref="Segments",
               description="Segments the project adds capacity to, separated by ;.",
               example="KZ-RU-rail"),
        Column("capacity_added", "number", minimum=0, unit="Mt/yr",
               description="Capacity added to each listed segment.", example=10,
               maximum=FLOW_MOST, least=LEAST),
        Column("capex", "number", minimum=0, unit="USD m",
               description="Capital cost, spent as spend_profile says (blank: in full in the "
                           "start period).", example=800, maximum=MONEY_MOST, least=LEAST),
        Column("lead_time", "integer", required=False, default=0, minimum=0, unit="periods",
               description="Periods from start until usable (0 = usable in its start period).",
               example=1),
        Column("earliest_period", "ref", ref="Periods", required=False,
               description="First period the project may start (blank = first period). A "
                           "committed project starts exactly here.", example=2026),
        Column("status", "choice", required=False, default="candidate", choices=STATUSES,
               description="candidate (the model decides), committed (built, starting at "
                           "earliest_period), excluded (never built).", example="candidate"),
        Column("requires", "refs", ref="Projects", required=False,
               description="Projects that must have started no later than this one.",
               example=""),
        Column("exclusive_group", "text", required=False,
               description="At most one project of each group is built.", example=""),
        Column("risk_class", "choice", required=False, default="low", choices=RISK_CLASSES,
               description="low, medium or high; high counts toward "
                           "max_high_risk_capex_share.", example="low"),
        Column("spend_profile", "text", required=False,
               description="Shares of the capex spent in the start period and each period "
                           "after it, separated by ; (e.g. 0.2;0.5;0.3): each >= 0, adding up "
                           "to 1, at most lead_time + 1 of them. Blank: all in the start "
                           "period. A project may start only where its whole profile falls "
                           "inside the horizon.", example="0.4;0.6"),
        Column("sources", "refs", ref="Sources", required=False,
               description="Who may pay for it: ids of sheet Sources, and budget for the "
                           "Periods' own budget, separated by ;. Blank: every source whose "
                           "rules admit it, and the budget.", example="budget; ADB"),
        Column("opex", "number", required=False, default=0.0, minimum=0, unit="USD m/yr",
               description="Operating cost a year once usable (appraisal only; blank = 0).",
               example=12, maximum=MONEY_MOST, least=LEAST),
    ), examples=(("P01", "Second track", "KZ-RU-rail", 10, 800, 1, 2026, "candidate", "", "",
                  "low", "0.4;0.6", "budget; ADB", 12),)),
    Sheet("RiskLimits", "Policy limits; each row is one linear limit.", (
        Column("limit", "choice", choices=LIMIT_KINDS,
               description="max_share (of trade in every period), max_capex (USD m over the "
                           "horizon) or max_high_risk_capex_share (of total capex).",
               example="max_share"),
        Column("unit", "choice", choices=LIMIT_UNITS,
               description="corridor, country or total.", example="country"),
        Column("key", "text", required=False,
               description="Corridor or country id; blank = every corridor or every country "
                           "(the home country excepted).", example="RU"),
        Column("value", "number", minimum=0,
               description="The limit: a fraction for shares, USD m for max_capex.",
               example=0.6, maximum=MONEY_MOST, least=LEAST),
    ), required=False, examples=(("max_share", "country", "RU", 0.6),)),
    Sheet("Sources", "Lenders and funds that may pay for projects beside the Periods' budget "
          "(optional: without it the budget pays everything).", (
        Column("source", "id", description="Source id; 'budget' is reserved for the Periods' "
                                           "budget.", example="ADB"),
        Column("kind", "choice", choices=SOURCE_KINDS,
               description="grant (costs the country nothing) or loan (repaid with interest; "
                           "a PPP is a loan at its own rate).", example="loan"),
        Column("rate", "share", required=False, default=0.0,
               description="Yearly interest rate of a loan, 0-1 (0.03 = 3%).", example=0.03),
        Column("tenor_years", "integer", required=False, default=0, minimum=0, unit="years",
               description="Years over which a loan is repaid after its grace years (a level "
                           "annuity); must be positive for a loan.", example=20,
               maximum=YEARS_MOST),
        Column("grace_years", "integer", required=False, default=0, minimum=0, unit="years",
               description="Years of interest only before repayment starts.", example=5,
               maximum=YEARS_MOST),
        Column("max_share", "number", required=False, default=1.0,
               description="Most the source may pay of each period's spend of each project "
                           "(so of its capex too), above 0 and at most 1: a lender's share of "
                           "each expenditure.", example=0.8),
        Column("countries", "refs", ref="Countries", required=False,
               description="Countries it may lend in, separated by ;; blank = anywhere. It may "
                           "pay for a project only when every country of the project's "
                           "segments is allowed.", example=""),
        Column("excluded_countries", "refs", ref="Countries", required=False,
               description="Countries it may not lend in.", example="AF; IR"),
        Column("risk_classes", "refs", required=False,
               description="Project risk classes it may fund (low, medium, high), separated by "
                           ";; blank = all.", example="low; medium"),
        Column("name", "text", required=False, description="Display name.",
               example="Asian Development Bank"),
        Column("note", "text", required=False, description="Where the figures come from.",
               example="planning assumption"),
    ), required=False, examples=(("ADB", "loan", 0.03, 20, 5, 0.8, None, "AF; IR", None,
                                  "Asian Development Bank", "planning assumption"),)),
    Sheet("SourceBudgets", "What each source can commit per period (a missing pair is 0; "
          "budget_carry_over applies to each source as to the budget).", (
        Column("source", "ref", ref="Sources", description="Source id.", example="ADB"),
        Column("period", "ref", ref="Periods", description="Period.", example=2026),
        Column("amount", "number", minimum=0, unit="USD m",
               description="USD m the source can commit in that period.", example=500,
               maximum=MONEY_MOST, least=LEAST),
    ), required=False, examples=(("ADB", 2026, 500),)),
    Sheet("Nodes", "Where each node of sheet Segments lies, for the corridor map (optional: "
          "without it the map is a schematic drawing of the network).", (
        Column("node", "id", description="A node named in the from or to column of sheet "
                                         "Segments.", example="AST"),
        Column("name", "text", required=False, description="Display name on the map.",
               example="Astana"),
        Column("lat", "number", required=False, minimum=-90, maximum=90, unit="degrees",
               description="Latitude, -90 to 90 (north positive). Blank with lon blank: a "
                           "node with no one place (such as world markets by sea), drawn as "
                           "an arrow off each segment that reaches it.", example=51.17,
               range_note="a latitude runs from -90 (South Pole) to 90 (North Pole): is it "
                          "the longitude?"),
        Column("lon", "number", required=False, minimum=-180, maximum=180, unit="degrees",
               description="Longitude, -180 to 180 (east positive).", example=71.45,
               range_note="a longitude runs from -180 to 180 (east positive)"),
    ), required=False, examples=(("AST", "Astana", 51.17, 71.45),
                                 ("SEA", "World markets by sea", None, None))),
    Sheet("Scenarios", "Named changes to the base case, for 'planner scenarios' and "
          "'planner robust'; rows with the same scenario name add up. The base case ignores "
          "this sheet. Each change is checked like the row of the sheet it edits.", (
              Column("scenario", "text", description="Scenario name.", example="budget cut"),
              Column("change", "choice", choices=SCENARIO_CHANGES,
                     description="budget, demand, capex, close, limit, status, objective, "
                                 "source, rate, closure_days or capacity (see "
                                 "docs/workbook.md for each)."),
              Column("target", "text", required=False,
                     description="What changes: a period, flow, project, country, corridor, "
                                 "segment, limit (limit:unit:key) or blank/all.",
                     example="all"),
              Column("value", "any", required=False,
                     description="A bare number sets a value (5% is 0.05); a factor is always "
                                 "written as one: x1.2, +20% or -10%. budget, demand, capex, "
                                 "source, capacity and closure_days take either (a bare "
                                 "number only for one flow or one project); limit and rate a "
                                 "value; status and objective a word; close none.",
                     example="x0.67"),
          ), required=False, examples=(("budget cut", "budget", "all", "x0.67"),
                                       ("Afghan overrun", "capex", "AF", "x1.4"),
                                       ("Iran closed", "close", "IR", None))),
)

SHEETS_BY_NAME = {s.name: s for s in SHEETS}
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}
