"""Sheet Columns of every output workbook: each table sheet's column ids (row 1, which other
tools read and which never change) in words, with their units, on a sheet that prints.

A label in a header cell's comment is seen on screen only: comments print, if at all, as
"A1: ..." on a page of their own per sheet (LibreOffice, with a page-style setting) or at the
end of the printout (Excel). The legend reads as a glossary instead, sheet by sheet, on paper
as on screen; each header keeps its comment (the same words) for the reader at the screen.
"""

from __future__ import annotations

import re

from openpyxl.comments import Comment

from planner.analysis.measures import MEASURE
from planner.report.xlsx import BOOLEAN, FORMATS, fit_columns, print_setup, write_table

SHEET = "Columns"

# column id -> words, for any sheet that has no words of its own for it (a measure's are the
# measures' table's)
WORDS = {
    "project": "project id (sheet Projects of the input)",
    "period": "period (sheet Periods of the input)",
    "selected": "in the plan: TRUE, or FALSE",
    "start_period": "period the project starts (blank: not started)",
    "usable_from": "first period its capacity can be used",
    "capex": "capital cost",
    "name": "name",
    "segments": "segments it adds capacity to",
    "capacity_added": "capacity added to each of its segments",
    "countries": "countries its segments lie in",
    "risk_class": "risk class",
    "worst_disruption": MEASURE["worst_disruption"].label,
    "expected_disruption": MEASURE["expected_disruption"].label,
    "max_corridor_share": MEASURE["max_corridor_share"].label,
    "max_country_share": MEASURE["max_country_share"].label,
    "unmet_demand": MEASURE["unmet_demand"].label,
    "transport_cost": MEASURE["transport_cost"].label,
    "over_budget": "TRUE: the portfolio breaks a budget, capex limit, high-risk share or "
                   "exclusive group",
    "npv": MEASURE["npv"].label,
    "bcr": MEASURE["bcr"].label,
    "eirr": MEASURE["eirr"].label,
    "pv_cost_to_country": MEASURE["pv_cost_to_country"].label,
    "external_share": MEASURE["external_share"].label,
    "max_captive_share": MEASURE["max_captive_share"].label,
    "dependence": MEASURE["dependence"].label,
    "project_name": "the project's name",
    "note": "note",
}

# sheet -> column id -> words (these win over WORDS)
SHEETS = {
    "Summary": {"metric": "metric id, read by other tools",
                "value": "the metric's value, in the unit beside it",
                "unit": "unit of the value", "note": "how it is measured",
                "label": "the metric in words"},
    "Portfolio": {"name": "project name", "status": "committed, candidate or excluded"},
    "Capacity": {"segment": "segment id", "capacity": "capacity in the period, projects "
                 "usable by then included", "used": "flow over the segment",
                 "utilization": "used / capacity", "country": "country the segment lies in",
                 "mode": "mode of transport", "from": "node it starts at",
                 "to": "node it ends at"},
    "Flows": {"route": "route id", "corridor": "corridor of the route",
              "flow": "trade carried on the route", "trade_flow": "trade flow it serves",
              "cost_per_t": "transport cost per tonne on the route",
              "corridor_name": "the corridor's name",
              "segments": "the route's segments in travel order, separated by '; '",
              "source": "listed (sheet Routes) or generated (from sheet Segments)"},
    "Nodes": {"node": "node id of sheet Capacity's from and to",
              "name": "the node's name on the map", "lat": "latitude, degrees north",
              "lon": "longitude, degrees east (both blank: no one place)"},
    "Exposure": {"unit": "corridor or country", "key": "the corridor's or country's id",
                 "share": "share of the period's trade through it",
                 "limit": "tightest max_share limit on it (blank: none)",
                 "name": "the corridor's or country's name"},
    "Disruptions": {"closure": "id of the corridor or country closed",
                    "stranded_share": "share of the period's trade the closure strands",
                    "stranded": "trade the open routes cannot carry",
                    "unit": "what is closed: corridor or country",
                    "unmet_normal": "unmet demand in the period with nothing closed",
                    "stranded_beyond_unmet": "stranded less unmet_normal (at least 0)",
                    "closure_name": "name of the corridor or country closed"},
    "Budget": {"budget": "the period's budget", "spent": "what the budget pays in the "
               "period (other sources apart)", "available": "budget with what earlier "
               "periods left (carry-over)", "unspent": "available less spent"},
    "Unmet": {"flow": "trade flow id", "unmet": "demand not served, a yearly rate",
              "unmet_in_period": "unmet rate x the period's years"},
    "Stages": {"stage": "solve stage: unmet demand, dependence, cost",
               "status": "HiGHS status of the stage", "value": "objective value reached",
               "bound": "HiGHS's best bound", "gap": "relative gap, value to bound",
               "seconds": "HiGHS time of the stage", "nodes": "branch-and-bound nodes",
               "iterations": "LP iterations"},
    "Financing": {"source": "who pays: budget, or a source of sheet Sources",
                  "amount": "amount drawn"},
    "CashFlow": {"source": "budget, or a source of sheet Sources",
                 "available": "what it could commit in the period, carry-over included",
                 "drawn": "what it paid in the period",
                 "debt_service": "loan payments due in the period",
                 "debt_service_limit": "limit on a period's loan payments (Periods)"},
    "FlowValue": {  # its columns in this order (planner/report/finance.write_flow_value)
        "flow": "trade flow (sheet Flows)", "period": "period",
        "loss_per_t": "value lost per tonne of it that cannot move",
        "value_from": "Flows: its own row; Settings: loss_per_t there (the row blank)",
        "demand": "its demand",
        "unmet_reference": "unmet in normal operation, reference plan (least valuable first)",
        "unmet_plan": "unmet in normal operation, plan",
        "beyond_reference": "expected stranded beyond normal unmet, reference: over the "
                            "closures with closure_days, days/365 x its part",
        "beyond_plan": "the same, plan",
        "unmet_served": "(unmet_reference - unmet_plan) x loss_per_t, a year",
        "loss_avoided": "(beyond_reference - beyond_plan) x loss_per_t, a year"},
    "Appraisal": {"item": "appraisal item id", "value": "its value, in the unit beside it",
                  "unit": "unit of the value", "note": "how it is measured"},
    "Value": {"name": "project name",
              "change": "drop (a selected project) or add (a candidate left out)",
              "start_period": "its start in the plan, or the earliest it could start",
              "worst_disruption": "worst single closure after the change: share stranded",
              "expected_disruption": "expected share stranded after the change",
              "max_corridor_share": "largest corridor share after the change",
              "max_country_share": "largest transit-country share after the change",
              "unmet_demand": "unmet demand after the change, per-period rates added up",
              "transport_cost": "transport cost after the change, over the horizon",
              "dependence_change": "the objective's measure, after the change less the plan",
              "usd_m_per_point": "capex per percentage point of dependence the project buys",
              "npv_change": "NPV after the change less the plan's",
              "with": "projects dropped or added with it (requires)",
              "capex_change": "capex after the change less the plan's"},
    "Chains": {"chain": "the chain's links, in order", "k": "links built",
               "link": "the k-th link", "name": "the link's name",
               "start_period": "the link's start",
               "dependence": "the objective's measure with the first k links",
               "link_buys": "dependence with k - 1 links less with k",
               "links_capex": "capex of the first k links"},
    "Leverage": {"unit": "corridor or country", "key": "the corridor's or country's id",
                 "traffic": "transit trade through it in the plan (a country's own "
                            "market's flows left out)",
                 "traffic_share": "its share of the period's trade",
                 "captive": "what its closure strands of that trade beyond normal unmet "
                            "demand",
                 "divertible": "traffic less captive",
                 "premium": "extra transport cost per divertible tonne around it: how far "
                            "it could raise tariffs before divertible cargo leaves",
                 "traffic_ref": "traffic, committed projects only",
                 "captive_ref": "captive, committed projects only",
                 "divertible_ref": "divertible, committed projects only",
                 "premium_ref": "premium, committed projects only"},
    "Measures": {"measure": "measure id (sheet Labels: in words, with its unit)",
                 "*": "this portfolio's value of each measure, in the row's unit"},
    "Labels": {"measure": "measure id of sheet Measures", "label": "the measure in words",
               "unit": "its unit"},
    "Starts": {"*": "period the project starts in this portfolio (blank: not in it)"},
    "Portfolios": {"*": "period the project starts at this point (blank: not in it)"},
    "Changes": {"portfolio": "portfolio compared with the first one",
                "moves": "projects it starts in another period: id from -> to",
                "in_words": "what it adds, drops and moves, by project name",
                "adds vs *": "projects it has that the first one has not (ids)",
                "drops vs *": "projects the first one has that it has not (ids)"},
    "Definitions": {"scenario": "scenario name", "change": "what the scenario changes",
                    "target": "what the change applies to", "value": "the change's value"},
    "Settings": {"setting": "setting id", "value": "its value", "note": "what it means"},
    "Notes": {"portfolio": "portfolio the note is about", "column": "column the note is "
              "about", "note": "the note"},
    "Projects": {"name": "project name"},
    "Frontier": {"point": "point of the frontier",
                 "target": "the dependence the point may not exceed",
                 "dependence": "the objective's measure reached",
                 "capex": "least capex that reaches it",
                 "usd_m_per_point": "capex per percentage point of dependence removed "
                                    "against the point before",
                 "status": "solver status", "projects": "projects of its portfolio (ids)",
                 "serves_less": "TRUE: leaves more demand unmet than the plan (Notes)",
                 "step": "what its portfolio adds (+) and drops (-) against the point "
                         "before"},
    "Robust": {"scenario": "scenario name",
               "dependence_robust": "dependence of the robust portfolio in the scenario",
               "dependence_own_optimum": "dependence of the scenario's own optimum",
               "difference": "robust less own optimum, in percentage points",
               "capex_robust": "capex of the robust portfolio",
               "capex_own_optimum": "capex of the scenario's own optimum",
               "own_status": "solver status of the scenario's own optimum",
               "robust_adds_vs_own": "projects the robust portfolio has that the "
                                     "optimum has not",
               "robust_drops_vs_own": "projects the optimum has that the robust "
                                      "portfolio has not",
               "npv_robust": "NPV of the robust portfolio in the scenario",
               "bcr_robust": "benefit-cost ratio of the robust portfolio",
               "eirr_robust": "EIRR of the robust portfolio",
               "pv_cost_to_country_robust": "present cost of its capex to the country",
               "external_share_robust": "share of its capex paid by lenders and funds",
               "npv_own_optimum": "NPV of the scenario's own optimum",
               "unmet_demand_robust": "unmet demand of the robust portfolio, per-period "
                                      "rates added up",
               "unmet_demand_own_optimum": "unmet demand of the own optimum, per-period "
                                           "rates added up",
               "max_captive_share_robust": "largest share one transit country holds "
                                           "captive, robust portfolio"},
}
# a value whose unit changes row by row (the unit or label column beside it says which)
BY_ROW = {("Summary", "value"), ("Appraisal", "value"), ("Settings", "value"),
          ("Definitions", "value"), ("Measures", "*")}


def words(sheet: str, column: str) -> str | None:
    own = SHEETS.get(sheet, {})
    if column in own:
        return own[column]
    for pattern, text in own.items():  # 'adds vs *': the first portfolio's name
        if pattern.endswith(" *") and column.startswith(pattern[:-1]):
            return text
    return WORDS.get(column) or own.get("*")


def unit_of(fmt: str | None) -> str:
    """The unit a number format shows: '#,##0.0" USD m"' -> 'USD m', '0.0%' -> '%'."""
    if not fmt or fmt == "General":
        return ""
    if fmt == BOOLEAN:
        return "TRUE/FALSE"
    if "%" in fmt:
        return "% (percentage points)" if fmt.startswith("+") else "%"
    suffix = "".join(re.findall(r'"([^"]*)"', fmt.split(";")[0])).strip()
    return suffix


def table_columns(ws) -> list[int]:
    """The columns of the sheet's table: row 1 from column A up to the first blank."""
    out = []
    for cell in ws[1]:
        if cell.value in (None, ""):
            break
        out.append(cell.column)
    return out


def table_rows(ws, columns: list[int]) -> range:
    """The table's data rows: from row 2 to the last before a blank row (a chart's own
    table may follow below it)."""
    end = 1
    for i in range(2, ws.max_row + 1):
        if all(ws.cell(row=i, column=j).value in (None, "") for j in columns):
            break
        end = i
    return range(2, end + 1)


def legend_rows(book) -> list[tuple]:
    """(sheet, column, label, unit) per column of every table sheet; columns of one sheet
    that say the same (one per portfolio) in one row. Each header's comment says it too."""
    rows = []
    for ws in book.worksheets:
        if ws.title == SHEET or ws.freeze_panes != "A2":  # charts, the log: no table
            continue
        columns = table_columns(ws)
        data = table_rows(ws, columns)
        declared = FORMATS.get(ws, {})
        for j in columns:
            head = ws.cell(row=1, column=j)
            column = str(head.value)
            found = words(ws.title, column)
            label = found or (head.comment.text if head.comment else "")
            fmt = declared.get(column) or next(
                (ws.cell(row=i, column=j).number_format for i in data
                 if isinstance(ws.cell(row=i, column=j).value, (int, float))), None)
            each = found is not None and found == SHEETS.get(ws.title, {}).get("*")
            by_row = (ws.title, column) in BY_ROW or (each and (ws.title, "*") in BY_ROW)
            unit = "by row" if by_row else unit_of(fmt)
            if label:
                head.comment = Comment(label + (f" ({unit})" if unit and not by_row else ""),
                                       "planner", width=300, height=60)
            if each and rows and rows[-1][0] == ws.title and rows[-1][2] == label:
                rows[-1] = (ws.title, f"{rows[-1][1]}; {column}", label, unit)
                continue
            rows.append((ws.title, column, label, unit))
    return rows


def write_legend(book) -> None:
    """Sheet Columns, last: sheet, column, label, unit for every table sheet's columns."""
    ws = book.create_sheet(SHEET)
    write_table(ws, ["sheet", "column", "label", "unit"], legend_rows(book),
                widths={"label": 44})
    for letter, width in (("B", 26), ("C", 44), ("D", 14)):  # narrow enough for portrait: a
        j = ord(letter) - 64  # glossary reads down the page
        fit_columns(ws, columns=[j], names=[ws.cell(row=1, column=j).value], widest=width)
    print_setup(ws)
