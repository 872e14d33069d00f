"""Sheets Value, Chains and Leverage of the results workbook (planner/analysis/project_value.py,
planner/analysis/leverage.py), and the terminal lines that name what they find."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference

from planner.inputs.instance import Instance
from planner.analysis.leverage import Leverage, large_countries
from planner.analysis.measures import CHANGE_MEASURES as MEASURES
from planner.analysis.project_value import ProjectValue
from planner.report.xlsx import (NOTE_FONT, chart_page, chart_sheet, fit_columns, flow, money,
                          print_parts, put, rates_unit, with_unit, write_table)

PERCENT = "0.0%"
SHARES = ("worst_disruption", "expected_disruption", "max_corridor_share", "max_country_share")


def _formats(inst: Instance, *more: str) -> dict[str, str]:
    """Shares with two decimals (the changes are often tenths of a point), money and flows
    in their units."""
    out = {name: "0.00%" for name in SHARES + more}
    st = inst.settings
    out.update(unmet_demand=flow(rates_unit(st.flow_unit)), transport_cost=money(st.money_unit),
               capex=money(st.money_unit))
    return out


def write_value(book, inst: Instance, value: ProjectValue) -> None:
    rows = []
    for c in value.changes:
        proj = inst.projects[c.project]
        rows.append((c.project, proj.name, c.change == "drop", c.portfolio[c.project]
                     if c.change == "add" else value.plan.portfolio[c.project], proj.capex,
                     c.change, *(getattr(c.measures, n) for n in MEASURES),
                     c.dependence_change, c.usd_m_per_point, c.over_budget, c.npv_change,
                     "; ".join(c.moved[1:]), c.capex_change))
    ws = book.create_sheet("Value")
    write_table(ws,
                ["project", "name", "selected", "start_period", "capex", "change", *MEASURES,
                 "dependence_change", "usd_m_per_point", "over_budget", "npv_change",
                 "with", "capex_change"], rows,
                widths={"name": 36, "with": 20},
                number_format={**_formats(inst, "dependence_change"),
                               "usd_m_per_point": money(f"{inst.settings.money_unit} per "
                                                        "point"),
                               "npv_change": money(inst.settings.money_unit),
                               "capex_change": money(inst.settings.money_unit)})
    narrow(ws, "name", 36)
    # 18 columns on one page width printed at a third of their size: three parts, each with
    # the project and its name: the change, the measures after it, what the project buys
    print_parts(ws, [("project", "change"), (MEASURES[0], MEASURES[-1]),
                     ("dependence_change", "capex_change")], repeat="B")

    if value.chains is None:  # not scored in the command's time: left out, and said so
        return
    rows = []
    for steps in value.chains:
        name = " > ".join(steps[0].chain)
        for i, s in enumerate(steps):
            link = s.chain[s.k - 1] if s.k else None
            rows.append((name, s.k, link, inst.projects[link].name if link else None,
                         s.portfolio[link] if link else None,
                         *(getattr(s.measures, n) for n in MEASURES), s.dependence,
                         steps[i - 1].dependence - s.dependence if i else None,
                         sum(inst.projects[q].capex for q in s.chain[:s.k]), s.over_budget))
    ws = book.create_sheet("Chains")
    write_table(ws,
                ["chain", "k", "link", "name", "start_period", *MEASURES, "dependence",
                 "link_buys", "links_capex", "over_budget"], rows,
                widths={"chain": 24, "name": 36},
                number_format={**_formats(inst, "dependence", "link_buys"),
                               "links_capex": money(inst.settings.money_unit)})
    narrow(ws, "name", 36)
    print_parts(ws, [("chain", MEASURES[2]), (MEASURES[3], "over_budget")],
                repeat="B")  # the chain and k on each part


def narrow(ws, column: str, width: int) -> None:
    """``column`` at most ``width`` characters wide, its longer text wrapped."""
    j = [c.value for c in ws[1]].index(column) + 1
    fit_columns(ws, columns=[j], names=[column], widest=width)


def write_leverage(book, inst: Instance, rows: list[Leverage]) -> None:
    ws = book.create_sheet("Leverage")
    write_table(ws, ["unit", "key", "period", "traffic", "traffic_share", "captive",
                     "divertible", "premium", "traffic_ref", "captive_ref", "divertible_ref",
                     "premium_ref"],
                [(r.unit, r.key, r.period, r.plan.traffic, r.traffic_share, r.plan.captive,
                  r.plan.divertible, r.plan.premium, r.reference.traffic, r.reference.captive,
                  r.reference.divertible, r.reference.premium) for r in rows],
                number_format={"traffic_share": PERCENT,
                               **{name: flow(inst.settings.flow_unit) for name in (
                                   "traffic", "captive", "divertible", "traffic_ref",
                                   "captive_ref", "divertible_ref")},
                               **{name: with_unit(inst.settings.cost_unit, 1)
                                  for name in ("premium", "premium_ref")}})
    # the plan's figures, then the reference plan's, each part with the unit, key and period
    print_parts(ws, [("unit", "premium"), ("traffic_ref", "premium_ref")], repeat="C")
    _captive_chart(book, ws, inst, rows)


CHART = "Leverage chart"


def _captive_chart(book, table, inst: Instance, rows: list[Leverage]) -> None:
    """Captive share of the last period's trade per country, reference against plan: a small
    table and its bar chart on a sheet of their own after Leverage (chart_sheet). Captive
    counts transit trade only (a country's own market's flows are left out:
    planner/analysis/leverage.py), so a market such as China is charted by what it holds of
    the trade that crosses it."""
    last = max((r.period for r in rows), key=inst.period_index.get, default=None)
    countries = [r for r in rows if r.unit == "country" and r.period == last]
    if not countries:
        return
    ws = chart_sheet(book, CHART, table)
    end = write_table(ws, [f"country ({last})", "captive share, reference",
                           "captive share, plan"],
                      [(inst.countries[r.key].name or r.key,
                        r.reference.captive / inst.total_demand[last],
                        r.plan.captive / inst.total_demand[last]) for r in countries],
                      number_format={"captive share, reference": PERCENT,
                                     "captive share, plan": PERCENT},
                      widths={f"country ({last})": 20}, sheet_table=False)
    if inst.destination_countries:
        names = ", ".join(inst.countries[c].name or c for c in inst.countries
                          if c in inst.destination_countries)
        put(ws, end + 1, 1, f"Transit trade only: the flows whose market is {names} are left "
            "out of that country's figures.").font = NOTE_FONT
        end += 1
    chart = BarChart()
    chart.title = f"Captive share of trade per transit country, {last}"
    chart.y_axis.title, chart.y_axis.number_format = "share of trade", "0%"
    chart.y_axis.scaling.min = 0
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1,
                             max_row=1 + len(countries)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(countries)))
    chart_page(ws, chart, end + 2, height_cm=9, block_top=1)  # with its table on a page


def value_lines(inst: Instance, value: ProjectValue, for_rule=()) -> list[str]:
    """One line per selected project whose drop changes no measure, but those bought for a
    rule alone (``for_rule``), which the terminal names with the rule already."""
    rule = {f.project for f in for_rule}
    out = []
    for c in value.buys_nothing():
        if c.project in rule:
            continue
        status = " (committed)" if inst.projects[c.project].status == "committed" else ""
        out.append(f"{c.project}{status} buys nothing measurable: dropping it changes no "
                   "measure (sheet Value)")
    return out


def leverage_lines(inst: Instance, rows: list[Leverage]) -> list[str]:
    """'Russia: captive 17.2 -> 5.1 Mt/yr in 2035; premium 41 -> 12 USD/t' per large transit
    country (leverage.large_countries), reference -> plan, the last period."""
    last = max((r.period for r in rows), key=inst.period_index.get, default=None)
    large = set(large_countries(inst, rows))
    flow, cost = inst.settings.flow_unit, inst.settings.cost_unit

    def premium(v):
        return "none" if v is None else f"{v:,.0f}"
    return [f"{inst.countries[r.key].name or r.key}: captive {r.reference.captive:,.1f} -> "
            f"{r.plan.captive:,.1f} {flow} in {last}; premium {premium(r.reference.premium)} "
            f"-> {premium(r.plan.premium)} {cost}"
            for r in rows if r.unit == "country" and r.period == last and r.key in large]
