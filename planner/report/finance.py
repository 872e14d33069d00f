"""The financing sheets of the results workbook: Financing (every draw), CashFlow (per period
and source; its charts on sheet CashFlow charts) and Appraisal (what the plan is worth against
the reference)."""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter

from planner.analysis.appraisal import Appraisal
from planner.analysis.finance import available, debt_service_by_source
from planner.analysis.measures import Measures
from planner.inputs.schema import BUDGET
from planner.inputs.instance import Instance
from planner.report.columns import SHEETS
from planner.report.xlsx import (NOTE_FONT, SHARE, chart_page, chart_sheet, fit_columns, money,
                                 print_ranges, put, style_header, with_unit, write_table)

MONEY = "#,##0.0"


def write_financing(book, inst: Instance, ms: Measures) -> None:
    write_table(book.create_sheet("Financing"), ["project", "source", "period", "amount"],
                [(p, s, t, v) for (p, s, t), v in sorted(
                    ms.draws.items(), key=lambda item: (item[0][0], inst.period_index[item[0][2]],
                                                        item[0][1]))],
                number_format={"amount": money(inst.settings.money_unit)})
    ws = book.create_sheet("CashFlow")
    sources = (BUDGET,) + tuple(inst.sources)
    drawn: dict[tuple[str, str], float] = {}
    for (p, s, t), amount in ms.draws.items():
        drawn[s, t] = drawn.get((s, t), 0.0) + amount
    due = debt_service_by_source(inst, ms.draws)
    room = available(inst, ms.draws)
    rows = [(t, s, room[s, t], drawn.get((s, t), 0.0), due.get((s, t), 0.0),
             inst.period[t].debt_service_limit)
            for t in inst.period_ids for s in sources]
    write_table(ws, ["period", "source", "available", "drawn", "debt_service",
                     "debt_service_limit"], rows,
                number_format={name: money(inst.settings.money_unit)
                               for name in ("available", "drawn", "debt_service",
                                            "debt_service_limit")})
    _charts(chart_sheet(book, CHARTS, ws), inst, sources, drawn, due)


CHARTS = "CashFlow charts"


def _charts(ws, inst: Instance, sources, drawn, due) -> None:
    """Spend by source per period (stacked), and the loan payments due per period (against
    their limit where Periods sets one); each chart below its table, on a print page of its
    own. A chart with nothing to draw (nothing drawn; no loan payment due) is left out and a
    line says why: an empty chart, its axis 0, 1, 1, reads as a figure."""
    periods = inst.period_ids
    unit = inst.settings.money_unit
    fmt = money(unit)
    used = [s for s in sources if any(drawn.get((s, t), 0.0) > 1e-9 for t in periods)]
    service = {t: sum(due.get((s, t), 0.0) for s in sources) for t in periods}
    limits = {t: inst.period[t].debt_service_limit for t in periods}
    notes = [] if used else ["No spend chart: the plan draws on no source in any period."]
    if not any(v > 1e-9 for v in service.values()):
        notes.append(f"No debt-service chart: {_why_no_debt(inst, drawn)}, so no loan payment "
                     "falls due in any period.")
    for i, note in enumerate(notes, start=1):
        put(ws, i, 1, note).font = NOTE_FONT
    top = len(notes) + 2 if notes else 1
    block = 1  # the notes print on the first chart's page
    if used:
        names = [inst.sources[s].name or s if s in inst.sources else s for s in used]
        last = write_table(ws, ["period", *names],
                           [(t, *(drawn.get((s, t), 0.0) for s in used)) for t in periods],
                           top=top, number_format=dict.fromkeys(names, fmt), widest=22,
                           sheet_table=False)  # the sources' long names wrap
        spend = BarChart()
        spend.type, spend.grouping, spend.overlap = "col", "stacked", 100
        spend.title = f"Spend by source per period ({unit})"
        spend.y_axis.title, spend.x_axis.title = unit, "period"
        spend.y_axis.number_format = "#,##0"
        spend.add_data(Reference(ws, min_col=2, max_col=1 + len(used), min_row=top,
                                 max_row=last), titles_from_data=True)
        spend.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
        spend.legend.position = "r"
        top = chart_page(ws, spend, last + 2, height_cm=11, block_top=block)
        block = top
    if any(v > 1e-9 for v in service.values()):
        limited = any(v is not None for v in limits.values())
        last = write_table(ws, ["period", "debt service"] + (["limit"] if limited else []),
                           [(t, service[t], *([limits[t]] if limited else [])) for t in periods],
                           top=top, number_format={"debt service": fmt, "limit": fmt},
                           sheet_table=False)
        bars = BarChart()
        bars.title = (f"Debt service against its limit ({unit})" if limited
                      else f"Debt service: loan payments due per period ({unit})")
        bars.y_axis.title, bars.x_axis.title = unit, "period"
        bars.y_axis.number_format = "#,##0"
        bars.add_data(Reference(ws, min_col=2, min_row=top, max_row=last),
                      titles_from_data=True)
        bars.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
        if limited:
            limit = LineChart()
            limit.add_data(Reference(ws, min_col=3, min_row=top, max_row=last),
                           titles_from_data=True)
            bars += limit
            bars.legend.position = "b"
        else:
            bars.legend = None
        chart_page(ws, bars, last + 2, height_cm=11, block_top=block)


def _why_no_debt(inst: Instance, drawn) -> str:
    """Why no loan payment falls due: no source lends, none is drawn, or they fall due after
    the last period."""
    loans = [s for s, source in inst.sources.items() if source.kind == "loan"]
    if not loans:
        return ("no source on sheet Sources is a loan" if inst.sources
                else "the input has no sheet Sources: the budget pays for everything")
    if not any(drawn.get((s, t), 0.0) > 1e-9 for s in loans for t in inst.period_ids):
        return "the plan draws no loan"
    return "the plan's loans are repaid after the last period"


def appraisal_rows(inst: Instance, a: Appraisal) -> list[tuple]:
    unit = inst.settings.money_unit
    loss = (" (each flow's own, sheet Flows: by flow below and on sheet FlowValue)"
            if a.by_flow else "" if a.with_loss else " (0: no loss_per_t on sheet Settings)")
    rate = f"discounted at {a.rate:g} a year to year 0"
    return [
        ("reference_plan", a.reference, "", "what the plan is compared with"),
        ("pv_capex", a.pv["capex"], unit, "capex of the plan's projects less the reference's, "
         + rate + ", each slice of the flows below from its year"),
        ("pv_opex", a.pv["opex"], unit, "their opex once usable, plan less reference"),
        ("pv_transport_saving", a.pv["transport_saved"], unit,
         "transport cost of the reference less the plan's"),
        ("pv_unmet_served", a.pv["unmet_served"], unit,
         "unmet demand served x loss_per_t" + loss),
        ("pv_expected_loss_avoided", a.pv["loss_avoided"], unit,
         "closure_days/365 x stranded beyond normal unmet, reference less plan, x loss_per_t"
         + loss),
        ("npv", a.npv, unit, "PV benefits - PV costs" + unmet_served_words(a)),
        ("bcr", a.bcr, "", "PV benefits / PV costs" + ("" if a.bcr is not None else
                                                        ": blank, no new capex or opex")),
        ("eirr", a.eirr, "share", "the rate where NPV = 0" + (
            "" if a.eirr is not None else ": blank, the net flows never change sign")),
        ("npv_without_resilience", a.npv_without_resilience, unit,
         "NPV without the expected loss avoided: the difference is what the insurance is "
         "worth"),
        ("bcr_without_resilience", a.bcr_without_resilience, "", ""),
        ("eirr_without_resilience", a.eirr_without_resilience, "share", ""),
        ("years", _whole(a.horizon_years), "years", "the periods' years and "
         f"{inst.settings.benefit_years_after:g} year(s) after them (benefit_years_after)"),
        ("pv_benefits", a.pv_benefits, unit, "transport saving + unmet served + expected loss "
                                             "avoided"),
        ("unmet_served_share", a.unmet_served_share, "share",
         "of pv_benefits, unmet demand served valued at loss_per_t: trade the reference plan "
         "cannot carry, not transport savings" + (
             "" if a.unmet_served_share is not None else ": blank, no benefits")),
    ]


def _whole(v: float):
    """A number of years as written: 6, or 4.5."""
    return int(v) if float(v).is_integer() else v


def unmet_served_words(a: Appraisal) -> str:
    """'; of the benefits, 80% is unmet demand served at loss_per_t, not transport savings'
    where unmet demand served is part of the benefits, else ''."""
    share = a.unmet_served_share
    if share is None or abs(a.pv["unmet_served"]) < 0.005:
        return ""
    return (f"; of the benefits, {share:.0%} (pv_unmet_served) is unmet demand served at "
            "loss_per_t, not transport savings")


def write_appraisal(book, inst: Instance, a: Appraisal) -> None:
    ws = book.create_sheet("Appraisal")
    write_table(ws, ["item", "value", "unit", "note"], appraisal_rows(inst, a),
                widths={"item": 26, "value": 16, "unit": 8, "note": 50})
    for value, unit in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        if isinstance(value.value, float) and unit.value != "years":  # the unit is beside it
            value.number_format = SHARE if unit.value == "share" else (
                "0.00" if not unit.value else MONEY)
    top = len(appraisal_rows(inst, a)) + 3
    # one row a slice: a year of a period from its start, or the fraction a period ends on
    header = ["year", "capex", "opex", "transport_saved", "unmet_served", "loss_avoided", "net",
              "years"]
    for j, name in enumerate(header, start=1):
        style_header(put(ws, top, j, name))
    net = [b - c for b, c in zip(a.benefits(), a.costs())]
    for i, y in enumerate(a.years):
        for j, v in enumerate((_whole(y), a.capex[i], a.opex[i], a.transport_saved[i],
                               a.unmet_served[i], a.loss_avoided[i], net[i], _whole(a.lengths[i])),
                              start=1):
            cell = ws.cell(row=top + 1 + i, column=j, value=v)
            if 1 < j < len(header):  # year and years as they are (General): 1.5 or 2
                cell.number_format = money(inst.settings.money_unit)
    below = top + len(a.years) + 2  # the PV by flow, where sheet Flows gives values
    if a.by_flow:
        _appraisal_by_flow(ws, inst, a, below)
    fit_columns(ws, min_row=top)
    # the items, then the flows, each table on its own page with its own header: row 1
    # repeated would have put the items' header over the flows
    ws._print_rows = None
    print_ranges(ws, [f"A1:D{top - 2}", f"A{top}:{get_column_letter(len(header))}"
                                        f"{top + len(a.years)}"]
                 + ([f"A{below}:E{below + len(a.by_flow)}"] if a.by_flow else []))


FLOW_PV = {"flow": "trade flow (sheet Flows)",
           "pv_unmet_served": "its unmet demand served at its value a tonne, present value",
           "pv_expected_loss_avoided": "its expected loss avoided at its value a tonne, "
                                       "present value",
           "pv_benefits": "the two added",
           "share_of_resilience": "its share of the plan's unmet served and loss avoided"}


def _appraisal_by_flow(ws, inst: Instance, a: Appraisal, top: int) -> None:
    """The present values of unmet demand served and expected loss avoided flow by flow
    (where sheet Flows gives values a tonne), below the slices: they add up to the items
    pv_unmet_served and pv_expected_loss_avoided."""
    M = money(inst.settings.money_unit)
    total = a.pv["unmet_served"] + a.pv["loss_avoided"]
    rows = []
    for k, pv in a.by_flow.items():
        both = pv["unmet_served"] + pv["loss_avoided"]
        rows.append((k, pv["unmet_served"], pv["loss_avoided"], both,
                     both / total if abs(total) > 1e-9 else None))
    write_table(ws, list(FLOW_PV), rows, labels=FLOW_PV, top=top,
                number_format={"pv_unmet_served": M, "pv_expected_loss_avoided": M,
                               "pv_benefits": M, "share_of_resilience": SHARE})


def write_flow_value(book, inst: Instance, a: Appraisal) -> None:
    """Sheet FlowValue, where sheet Flows gives values a tonne: one row per flow and period,
    what the appraisal values of it (planner/analysis/appraisal.py, FlowYear)."""
    if not a.flow_years:
        return
    st = inst.settings
    F, M = with_unit(st.flow_unit, 2), money(st.money_unit)
    write_table(book.create_sheet("FlowValue"), list(SHEETS["FlowValue"]),
                [(k, t, y.value, y.value_from, y.demand, y.unmet_reference, y.unmet_plan,
                  y.beyond_reference, y.beyond_plan, y.unmet_served, y.loss_avoided)
                 for (k, t), y in a.flow_years.items() if y.demand > 0],
                number_format={"loss_per_t": with_unit(st.cost_unit, 0), "demand": F,
                               "unmet_reference": F, "unmet_plan": F,
                               "beyond_reference": F, "beyond_plan": F,
                               "unmet_served": M, "loss_avoided": M})
