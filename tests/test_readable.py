"""Readable results (issue 15): every workbook a person opens shows numbers in their units,
fits its text, prints to the page width with each chart whole on its page; the terminal speaks
one style; files are the user's; the help says everything once."""

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from planner.cli import _parser, main
from planner.report.xlsx import save_atomic
from tests.builders import edit, project, two_corridors, write

BOOLEAN = '"TRUE";"TRUE";"FALSE"'  # planner.report.xlsx.BOOLEAN, spelled out: the test's own word
ROOT = Path(__file__).resolve().parents[1]
KAZAKHSTAN = ROOT / "instances" / "kazakhstan.xlsx"


def small() -> dict:
    """two_corridors with names, a second candidate and scenarios, one of which leaves
    demand unmet (CA closed with no money for PB: 10 Mt/yr a year unmet)."""
    tables = edit(two_corridors(),
                  Corridors=[{"corridor": "CA", "name": "Corridor through A"},
                             {"corridor": "CB", "name": "Corridor through B"}],
                  Projects=[project("PB", "sB", 10, 100, name="B line"),
                            project("PC", "sB", 5, 60, name="B line, a longer and dearer "
                                    "name for the project that only half does it")])
    tables["Periods"] = [{"period": 2026, "budget": 100, "years": 3}]
    tables["Scenarios"] = [
        {"scenario": "a scenario with a long name that must not be cut", "change": "budget",
         "target": "all", "value": 60},
        {"scenario": "CA closed, no money", "change": "close", "target": "CA"},
        {"scenario": "CA closed, no money", "change": "budget", "target": "all", "value": 0}]
    return tables


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every output workbook, written by the commands, with what each printed."""
    folder = tmp_path_factory.mktemp("readable")
    source = write(folder, small(), "small.xlsx")
    printed = {}
    commands = {
        "results": ["solve", str(source)],
        "cost": ["solve", str(source), "--objective", "cost"],
        "scenarios": ["scenarios", str(source), "--jobs", "1"],
        "frontier": ["frontier", str(source), "--points", "3", "--jobs", "1"],
        "alternatives": ["alternatives", str(source), "-k", "2", "--within", "100pp"],
        "robust": ["robust", str(source), "--jobs", "1"],
        "kazakhstan": ["solve", str(KAZAKHSTAN)],
    }
    old = os.umask(0o022)
    try:
        for name, argv in commands.items():
            out = folder / f"{name}.xlsx"
            assert main(argv + ["-o", str(out)]) == 0, name
            printed[name] = out
        assert main(["compare", str(folder / "results.xlsx"), str(folder / "cost.xlsx"),
                     "-o", str(folder / "compare.xlsx")]) == 0
        printed["compare"] = folder / "compare.xlsx"
    finally:
        os.umask(old)
    return printed


def book(outputs, name):
    return openpyxl.load_workbook(outputs[name])


def summary_formats(ws):
    return {r[0].value: r[1].number_format for r in ws.iter_rows(min_row=2, max_col=2)}


# -- formats -------------------------------------------------------------------------------

def test_numbers_are_shown_in_their_units_and_stored_unrounded(outputs):
    wb = book(outputs, "kazakhstan")
    formats = summary_formats(wb["Summary"])
    values = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    for share in ("dependence", "worst_disruption", "max_corridor_share", "external_share",
                  "eirr"):  # eirr is blank (no number to show) when the plan adds nothing
        assert formats[share] == "0.0%" or values[share] is None, share
    units = {r[0]: r[2] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    # the Summary's unit column stands beside each value, so the format is the number alone
    for money in ("total_capex", "npv", "pv_cost_to_country", "transport_cost"):
        assert formats[money] == "#,##0.0" and units[money] == "USD m", money
    assert formats["unmet_demand"] == "#,##0.0" and \
        units["unmet_demand"] == "Mt/yr summed"
    assert formats["unmet_demand_total"] == "#,##0.0" and units["unmet_demand_total"] == "Mt"
    assert formats["rows"] == "#,##0"
    assert formats["bcr"] == "0.00" or values["bcr"] is None  # blank: no new capex or opex
    assert values["dependence"] != round(values["dependence"], 3)  # shown rounded only
    portfolio = wb["Portfolio"]
    header = [c.value for c in portfolio[1]]
    capex = portfolio.cell(row=2, column=header.index("capex") + 1)
    assert capex.number_format == '#,##0.0" USD m"'
    for sheet, column, fmt in (("Capacity", "utilization", "0.0%"),
                               ("Flows", "flow", '#,##0.0" Mt/yr"'),
                               ("Disruptions", "stranded_share", "0.0%"),
                               ("Budget", "spent", '#,##0.0" USD m"'),
                               ("Financing", "amount", '#,##0.0" USD m"')):
        ws = wb[sheet]
        j = [c.value for c in ws[1]].index(column) + 1
        assert ws.cell(row=2, column=j).number_format == fmt, sheet


def test_comparison_measures_are_formatted_row_by_row(outputs):
    for name in ("scenarios", "alternatives", "compare"):
        ws = book(outputs, name)["Measures"]
        rows = {r[0].value: r[1] for r in ws.iter_rows(min_row=2, max_col=2)}
        assert rows["dependence"].number_format == "0.0%", name
        assert rows["total_capex"].number_format == '#,##0.0" USD m"', name
        assert rows["unmet_demand"].number_format == '#,##0.0" Mt/yr summed"', \
            name
        assert rows["unmet_demand_total"].number_format == '#,##0.0" Mt"', name
    frontier = book(outputs, "frontier")["Frontier"]
    header = [c.value for c in frontier[1]]
    assert frontier.cell(row=2, column=header.index("dependence") + 1).number_format == "0.0%"
    assert "USD m" in frontier.cell(row=2, column=header.index("capex") + 1).number_format
    robust = book(outputs, "robust")["Robust"]
    header = [c.value for c in robust[1]]
    assert robust.cell(row=2, column=header.index("capex_robust") + 1).number_format == \
        '#,##0.0" USD m"'


def test_value_chains_and_leverage_show_their_units_and_no_unit_twice(outputs):
    """Value, Chains and Leverage showed 5.800, 60,138 and 0.00 with no unit; Appraisal's
    and the robust Summary's values repeated the unit of the column beside them."""
    wb = book(outputs, "kazakhstan")

    def fmt(sheet, column):
        ws = wb[sheet]
        j = [c.value for c in ws[1]].index(column) + 1
        return ws.cell(row=2, column=j).number_format
    for sheet, column, unit in (("Value", "capex", "USD m"),
                                ("Value", "unmet_demand", "Mt/yr summed"),
                                ("Value", "transport_cost", "USD m"),
                                ("Value", "usd_m_per_point", "USD m per point"),
                                ("Value", "npv_change", "USD m"),
                                ("Value", "capex_change", "USD m"),
                                ("Chains", "unmet_demand", "Mt/yr summed"),
                                ("Chains", "links_capex", "USD m"),
                                ("Leverage", "traffic", "Mt/yr"),
                                ("Leverage", "captive_ref", "Mt/yr"),
                                ("Leverage", "premium", "USD/t")):
        assert fmt(sheet, column).endswith(f'" {unit}"'), (sheet, column)
    for value, unit in wb["Appraisal"].iter_rows(min_row=2, max_row=12, min_col=2, max_col=3):
        if isinstance(value.value, float) and unit.value:
            assert '"' not in value.number_format, value.number_format
    summary = book(outputs, "robust")["Summary"]
    seconds = next(r for r in summary.iter_rows(min_row=2) if r[0].value == "seconds")
    assert seconds[2].value == "s" and '"' not in seconds[1].number_format


def test_booleans_are_real_booleans_shown_as_true_false(outputs):
    for name, sheet in (("results", "Portfolio"), ("robust", "Portfolio")):
        ws = book(outputs, name)[sheet]
        cells = [r[1] for r in ws.iter_rows(min_row=2, max_col=2)]
        assert {c.value for c in cells} <= {True, False} and cells, name
        assert all(c.data_type == "b" and c.number_format == BOOLEAN for c in cells), name


# -- widths, freeze, filters, labels -------------------------------------------------------

def test_columns_fit_their_text_up_to_fifty_characters_then_wrap(outputs):
    ws = book(outputs, "results")["Portfolio"]
    header = [c.value for c in ws[1]]
    name = openpyxl.utils.get_column_letter(header.index("name") + 1)
    assert 50 <= ws.column_dimensions[name].width <= 52  # the long name: 50, then wrapped
    long = [c for c in ws[name] if c.value and len(str(c.value)) > 50]
    assert long and all(c.alignment.wrap_text for c in long)
    scenarios = book(outputs, "scenarios")["Measures"]
    for cell in scenarios[1][1:]:  # every scenario name readable whole (wrapped at most)
        width = scenarios.column_dimensions[cell.column_letter].width
        assert width * 2 >= len(cell.value) + 3 or width >= 50, cell.value
        assert cell.alignment.wrap_text


def test_starts_and_changes_name_the_projects_beside_their_ids(outputs):
    """Starts ends with each project's name (after the portfolios' columns, whose places are
    read); Changes ends with what each portfolio adds, drops and moves, by name."""
    for name in ("scenarios", "alternatives", "compare"):
        wb = book(outputs, name)
        header = [c.value for c in wb["Starts"][1]]
        assert header[-1] == "project_name", name
        names = {r[0]: r[-1] for r in wb["Starts"].iter_rows(min_row=2, values_only=True)}
        assert names["PB"] == "B line", name
        header = [c.value for c in wb["Changes"][1]]
        assert header[:4] == ["portfolio", f"adds vs {wb['Measures']['B1'].value}",
                              f"drops vs {wb['Measures']['B1'].value}", "moves"], name
        assert header[4] == "in_words", name
    changes = {r[0]: r[4] for r in book(outputs, "scenarios")["Changes"].iter_rows(
        min_row=2, values_only=True)}
    assert changes["CA closed, no money"] == "drops B line (PB)"
    assert changes["a scenario with a long name that must not be cut"] == \
        "adds B line, a longer and dearer name for the project that only half does it (PC); " \
        "drops B line (PB)"
    compare = {r[0]: r[4] for r in book(outputs, "compare")["Changes"].iter_rows(
        min_row=2, values_only=True)}
    assert compare["cost"] == "drops B line (PB)"
    portfolios = book(outputs, "frontier")["Portfolios"]
    assert [c.value for c in portfolios[1]][-1] == "project_name"


def test_headers_frozen_filters_on_long_tables(outputs):
    wb = book(outputs, "kazakhstan")
    for ws in wb.worksheets:
        if ws._charts or ws.title in ("Brief", "Solver log"):  # a page, a chart, a log: no table
            continue
        assert ws.freeze_panes == "A2", ws.title
    assert wb["Capacity"].auto_filter.ref.startswith("A1:")
    assert wb["Disruptions"].auto_filter.ref.startswith("A1:")


def test_every_column_is_said_in_words_on_a_sheet_that_prints(outputs):
    """Sheet Columns, last in every workbook: each table sheet's column ids (row 1, as it
    was) with a label in words and a unit; a header's comment says the same on screen."""
    for name in outputs:
        wb = book(outputs, name)
        assert wb.sheetnames[-1] == "Columns", name
        legend = wb["Columns"]
        assert [c.value for c in legend[1]] == ["sheet", "column", "label", "unit"]
        listed = {}
        for sheet, columns, label, unit in legend.iter_rows(min_row=2, values_only=True):
            assert label, (name, sheet, columns)
            for column in columns.split("; "):  # one row for a portfolio's columns
                listed[sheet, column] = (label, unit)
        for ws in wb.worksheets:
            if ws.title == "Columns" or ws.freeze_panes != "A2":
                continue
            for cell in ws[1]:
                if cell.value is None:
                    break
                assert (ws.title, cell.value) in listed, (name, ws.title, cell.value)
                assert cell.comment and cell.comment.text.startswith(
                    listed[ws.title, cell.value][0]), (name, ws.title, cell.value)
    kz = {(r[0], r[1]): r[2:] for r in book(outputs, "kazakhstan")["Columns"].iter_rows(
        min_row=2, values_only=True)}
    assert kz["Portfolio", "capex"] == ("capital cost", "USD m")
    assert kz["Disruptions", "stranded_share"][1] == "%"
    assert kz["Unmet", "unmet"][1] == "Mt/yr"  # said even where no demand is unmet
    assert kz["Summary", "value"][1] == "by row"
    robust = {(r[0], r[1]): r[2:] for r in book(outputs, "robust")["Columns"].iter_rows(
        min_row=2, values_only=True)}
    assert robust["Robust", "difference"] == ("robust less own optimum, in percentage points",
                                              "% (percentage points)")


def test_summary_reads_planning_first_with_labels_and_unmet_in_both_units(outputs):
    ws = book(outputs, "kazakhstan")["Summary"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["metric", "value", "unit", "note"] and "label" in header
    metrics = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    labels = {r[0]: r[header.index("label")] for r in ws.iter_rows(min_row=2,
                                                                  values_only=True)}
    assert all(labels[m] for m in metrics), [m for m in metrics if not labels[m]]
    first_solver = min(metrics.index(m) for m in ("mip_gap", "rows", "solve_seconds"))
    for planning in ("dependence", "worst_disruption", "total_capex", "npv",
                     "unmet_demand_total", "input_sha256"):
        assert metrics.index(planning) < first_solver, planning
    assert all(metrics.index(m) > first_solver for m in metrics if m.startswith("stage_"))


def test_unmet_demand_total_is_rate_times_years(tmp_path):
    """One 3-year period, 10 Mt/yr unmet (closing CA with no budget): 30 Mt over the
    horizon, 10 Mt/yr in the period."""
    tables = edit(small(), Periods=[{"period": 2026, "budget": 0, "years": 3}])
    tables["Segments"][0]["capacity"] = 4
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out), "--no-brief"]) == 0
    values = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(
        min_row=2, values_only=True)}
    assert values["unmet_demand"] == pytest.approx(6)
    assert values["unmet_demand_2026"] == pytest.approx(6)
    assert values["unmet_demand_total"] == pytest.approx(18)


def test_a_figure_in_mt_per_yr_is_one_periods_rate(tmp_path, capsys):
    """Periods 2026 (2 years) and 2028 (3 years), no budget, CA's capacity 4 of the 10 Mt/yr
    each period: 6 Mt/yr unmet in each period; the periods' rates added up are 12 (no yearly
    rate: Mt/yr summed), over the horizon 6 x 2 + 6 x 3 = 30 Mt. Scenario 'CA
    closed, no money' leaves all 10 unmet: 20 added up, 50 Mt. Every Summary figure in Mt/yr
    is the rate of the period it names; the comparisons and the terminal never show the sum
    of rates as Mt/yr."""
    from tests.builders import demand

    tables = edit(small(), Periods=[{"period": 2026, "budget": 0, "years": 2},
                                    {"period": 2028, "budget": 0, "years": 3}],
                  Flows=demand("K", "H", "M", **{"2026": 10, "2028": 10}))
    tables["Segments"][0]["capacity"] = 4
    source = write(tmp_path, tables)
    out, cmp, both = tmp_path / "r.xlsx", tmp_path / "s.xlsx", tmp_path / "c.xlsx"
    assert main(["solve", str(source), "-o", str(out), "--no-brief"]) == 0
    assert "stage unmet: 12.0 Mt/yr summed" in capsys.readouterr().out
    summary = {r[0]: (r[1], r[2]) for r in openpyxl.load_workbook(out)["Summary"].iter_rows(
        min_row=2, values_only=True)}
    assert summary["unmet_demand"] == (pytest.approx(12), "Mt/yr summed")
    assert summary["unmet_demand_total"] == (pytest.approx(30), "Mt")
    yearly = {m: v for m, (v, unit) in summary.items() if unit == "Mt/yr"}
    assert yearly == {"unmet_demand_2026": pytest.approx(6), "unmet_demand_2028": pytest.approx(6)}

    assert main(["scenarios", str(source), "-o", str(cmp), "--jobs", "1"]) == 0
    book = openpyxl.load_workbook(cmp)
    rows = {r[0].value: r for r in book["Measures"].iter_rows(min_row=2)}
    names = [c.value for c in book["Measures"][1]]
    closed = names.index("CA closed, no money")
    assert rows["unmet_demand"][closed].value == pytest.approx(20)
    assert rows["unmet_demand_total"][closed].value == pytest.approx(50)
    assert rows["unmet_demand"][1].number_format == '#,##0.0" Mt/yr summed"'
    assert rows["unmet_demand_total"][1].number_format == '#,##0.0" Mt"'
    labels = {r[0]: r[2] for r in book["Labels"].iter_rows(min_row=2, values_only=True)}
    assert labels["unmet_demand"] == "Mt/yr summed"
    assert labels["unmet_demand_total"] == "Mt"
    for sheet in book.worksheets:  # no cell anywhere shows a sum of rates as Mt/yr
        for row in sheet.iter_rows():
            for cell in row:
                if cell.number_format.endswith('" Mt/yr"'):
                    assert sheet.title != "Measures", cell.coordinate

    capsys.readouterr()
    assert main(["compare", str(out), str(out), "-o", str(both)]) == 0
    printed = capsys.readouterr().out
    line = next(x for x in printed.splitlines() if "per-period rates added up" in x)
    assert "12.0 Mt/yr summed" in line


# -- print setup ---------------------------------------------------------------------------

def test_every_sheet_prints_to_the_page_width_with_its_header_repeated(outputs):
    for name in outputs:
        wb = book(outputs, name)
        for ws in wb.worksheets:
            if ws.title == "Brief":  # the answer on one page, portrait (tests/test_brief.py)
                assert ws.page_setup.fitToWidth == ws.page_setup.fitToHeight == 1
                assert ws.page_setup.orientation == "portrait"
                continue
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, \
                (name, ws.title)
            assert ws.sheet_properties.pageSetUpPr.fitToPage, (name, ws.title)
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
            # room for the footer's line (sheet, page): 0.1 in printed half of it
            margins = ws.page_margins
            assert min(margins.top - margins.header, margins.bottom - margins.footer) >= 0.3, \
                (name, ws.title)
            if ws._charts:  # a header repeated would print over the chart and its own table
                assert not ws.print_title_rows, (name, ws.title)
            # Appraisal: two tables, each printed with its own header (sheet tested below)
            elif ws.freeze_panes == "A2" and ws.title != "Appraisal" and ws.max_row > 1:
                assert ws.print_title_rows == "$1:$1", (name, ws.title)
            wide = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width or 13
                       for j in range(1, ws.max_column + 1))
            if wide > 95:
                assert ws.page_setup.orientation == "landscape", (name, ws.title)


PAGE_WIDTH = 160  # characters of column width that print at about 2/3 size or more


def test_wide_tables_print_in_parts_each_large_enough_to_read(outputs):
    """A table much wider than a page prints in parts of its columns, each on its own page
    fitted to the width, the id columns repeated at the left of each (the Robust sheet's 18
    columns fitted to one width printed at a third of their size). Together the parts print
    every column once."""
    parts = {("robust", "Robust"): "$A:$A", ("kazakhstan", "Portfolio"): "$A:$A",
             ("kazakhstan", "Value"): "$A:$B", ("kazakhstan", "Chains"): "$A:$B",
             ("kazakhstan", "Leverage"): "$A:$C", ("frontier", "Frontier"): "$A:$A"}
    for (name, sheet), repeat in parts.items():
        ws = book(outputs, name)[sheet]
        assert ws.print_title_cols == repeat, sheet
        header = [c.value for c in ws[1]]
        ids = len(header) if None not in header else header.index(None)
        printed = []
        for area in str(ws.print_area).split(","):
            first, last = re.findall(r"\$([A-Z]+)\$(\d+)", area)
            a, b = (openpyxl.utils.column_index_from_string(c) for c in (first[0], last[0]))
            if first[1] != "1":  # a chart's block, below the table
                continue
            printed += list(range(a, b + 1))
            repeated = range(1, openpyxl.utils.column_index_from_string(repeat[-1]) + 1)
            width = sum(ws.column_dimensions[get_column_letter(j)].width or 13
                        for j in sorted(set(repeated) | set(range(a, b + 1))))
            assert width <= PAGE_WIDTH, (sheet, area, width)
        assert printed == list(range(1, ids + 1)), sheet
    with zipfile.ZipFile(outputs["frontier"]) as archive:  # parts first, then the chart:
        names = archive.read("xl/workbook.xml").decode()  # openpyxl would sort by column
    area = re.search(r'Print_Area" localSheetId="0">([^<]+)<', names).group(1)
    assert [int(r) for r in re.findall(r"\$[A-Z]+\$(\d+):", area)][-1] > 1
    assert [int(r) for r in re.findall(r"\$[A-Z]+\$(\d+):", area)][:2] == [1, 1]


def test_headers_stand_over_their_numbers_and_short_ids_stay_whole(outputs):
    """A header over numbers is right-aligned (a header left and its numbers right sat a
    column apart: Appraisal's transport_saved); an id of up to 18 characters is not broken
    inside ('unmet_in_peri / od'); a text is given the lines it wraps onto, not more."""
    wb = book(outputs, "kazakhstan")
    portfolio = wb["Portfolio"]
    header = {c.value: c for c in portfolio[1]}
    assert header["capex"].alignment.horizontal == "right"
    assert header["name"].alignment.horizontal in (None, "general", "left")
    assert header["project"].alignment.horizontal in (None, "general", "left")  # ids: left
    year = next(c for c in wb["Appraisal"]["A"] if c.value == "year")  # a first column too
    assert year.alignment.horizontal == "right"
    unmet = wb["Unmet"]
    for cell in unmet[1]:
        assert unmet.column_dimensions[cell.column_letter].width >= len(cell.value) + 1
    labels = book(outputs, "compare")["Labels"]
    for row in labels.iter_rows(min_row=2):  # one line each: no row taller than one line
        assert (labels.row_dimensions[row[0].row].height or 15) == 15, row[1].value
    from planner.report.xlsx import wrapped_lines
    assert wrapped_lines("largest share of trade through one transit country", 50) == 1
    assert wrapped_lines("x" * 120, 50) == 3


def test_column_ids_print_whole_on_one_line(outputs):
    """A spreadsheet breaks a column id (no space to wrap at) inside a word, wherever its
    line is full: 'expected_disru / ption' (Value, Chains), 'stranded_beyon / d_unmet'
    (Disruptions), 'dependence_ow / n_optimum' (Robust) printed so. An id of up to 26
    characters gets a column it fits in on one line."""
    from planner.report.xlsx import header_width

    for name in outputs:
        for ws in book(outputs, name).worksheets:
            if ws.freeze_panes != "A2":
                continue
            for cell in ws[1]:
                if isinstance(cell.value, str) and " " not in cell.value and \
                        len(cell.value) <= 26:
                    width = ws.column_dimensions[cell.column_letter].width
                    assert width >= len(cell.value) + 1, (name, ws.title, cell.value, width)
    # a header in words still wraps at its spaces, onto two lines of about equal length
    assert header_width("a scenario with a long name that must not be cut") == 26
    assert header_width("expected_disruption") == 19


def test_an_empty_unmet_sheet_says_so_on_its_printed_page(outputs):
    ws = book(outputs, "kazakhstan")["Unmet"]
    assert ws.max_row == 1 and "No demand is unmet" in ws.oddHeader.center.text


def test_captive_chart_counts_transit_trade_only(outputs):
    """China is the China trade's market, not a transit country for it: China is charted
    by what it holds of the trade that crosses it (nothing), every country is charted, and a
    note says whose market's flows are left out."""
    ws = book(outputs, "kazakhstan")["Leverage chart"]
    names = [c.value for c in ws["A"][1:] if c.value]
    china = 2 + names.index("China")
    assert ws.cell(row=china, column=2).value == ws.cell(row=china, column=3).value == 0
    assert names[-1].startswith("Transit trade only: the flows whose market is China")
    xml = [x for x in chart_xml(outputs["kazakhstan"]) if "Captive share of trade" in x][0]
    last = max(int(r) for r in re.findall(r"'Leverage chart'!\$A\$\d+:\$A\$(\d+)", xml))
    assert last == len(names)  # every country, the note not


def test_charts_of_a_table_print_on_a_sheet_of_their_own(outputs):
    """A sheet's header row repeats on every page of it (print titles are the sheet's, not
    a print range's): CashFlow's and Leverage's charts printed under the table's header, over
    the charts' own tables. They are on sheets of their own, right after the table, which
    repeat no header row."""
    wb = book(outputs, "kazakhstan")
    names = wb.sheetnames
    for table, charts, count in (("CashFlow", "CashFlow charts", 2),
                                 ("Leverage", "Leverage chart", 1)):
        assert not wb[table]._charts and wb[table].print_title_rows == "$1:$1", table
        assert names.index(charts) == names.index(table) + 1
        assert len(wb[charts]._charts) == count and not wb[charts].print_title_rows, charts
        assert wb[charts].freeze_panes is None  # no table other tools read (sheet Columns)


def test_no_debt_service_chart_without_lenders(outputs):
    """small() has no sheet Sources: the budget pays for everything and no loan payment
    falls due. Its debt-service chart was drawn all the same, empty, an axis of 0, 1, 1; now
    none is, and a line says why. Kazakhstan's loans fall due from 2026: its chart is drawn,
    with no limit line and no 'against its limit' (no period sets debt_service_limit)."""
    def debt_charts(name):
        return [x for x in chart_xml(outputs[name]) if "Debt service" in x]
    assert debt_charts("results") == []
    ws = book(outputs, "results")["CashFlow charts"]
    assert ws["A1"].value == ("No debt-service chart: the input has no sheet Sources: the "
                              "budget pays for everything, so no loan payment falls due in any "
                              "period.")
    assert len(ws._charts) == 1  # what the budget spends is still charted
    kazakhstan = debt_charts("kazakhstan")
    assert len(kazakhstan) == 1 and "against its limit" not in kazakhstan[0]
    assert "lineChart" not in kazakhstan[0]


def test_every_header_of_a_charts_table_prints_whole(outputs):
    """A header of a chart's table fits its column on one line, or wraps onto no more lines
    than its row is tall for ('captive share, reference' ran into the next header, cut, in
    a column 13 wide)."""
    from planner.report.xlsx import HEADER_FILL, text_width, wrapped_lines

    for name in outputs:
        for ws in book(outputs, name).worksheets:
            if not ws._charts:
                continue
            for row in ws.iter_rows():
                for cell in row:
                    header = cell.fill.fgColor.rgb == HEADER_FILL.fgColor.rgb or \
                        cell.row == 1 and ws.max_column > 1 and any(c.value for c in row[1:])
                    if not header or not isinstance(cell.value, str):
                        continue
                    width = ws.column_dimensions[cell.column_letter].width or 13
                    where = (name, ws.title, cell.coordinate, cell.value, width)
                    if cell.alignment.wrap_text:
                        height = ws.row_dimensions[cell.row].height or 15
                        assert 15 * wrapped_lines(cell.value, width) <= height, where
                    else:
                        assert text_width(cell.value) + 1 <= width, where
    # a header on lines of its own over numbers stands a character off the right, where the
    # one before it ends: 'European Bank for Commercial loans under' read as one
    ws = book(outputs, "kazakhstan")["CashFlow charts"]
    header = next(row for row in ws.iter_rows() if row[0].value == "period")
    wrapped = [c for c in header[1:] if c.value and wrapped_lines(
        c.value, ws.column_dimensions[c.column_letter].width) > 1]
    assert len(wrapped) >= 2
    assert all(c.alignment.horizontal == "right" and c.alignment.indent == 1 for c in wrapped)


def test_summary_prints_the_solvers_figures_on_a_page_of_their_own(outputs):
    """The Summary's first page ended with three of the solver's figures and its second held
    the rest: a page break now stands right above the first of them (mip_gap), so the
    reader's figures (ids unchanged) come first, the solver's together after them."""
    from planner.report.results import SOLVER

    ws = book(outputs, "kazakhstan")["Summary"]
    metrics = [c.value for c in ws["A"]]
    solver = [r for r, m in enumerate(metrics, start=1)
              if m in SOLVER or str(m).startswith("stage_")]
    assert solver == list(range(solver[0], len(metrics) + 1))  # together, at the end
    assert metrics[solver[0] - 1] == "mip_gap"
    assert [b.id for b in ws.row_breaks.brk] == [solver[0] - 1]


def test_appraisal_prints_each_table_with_its_own_header(outputs):
    """The items, then the flows slice by slice (year ... net, years: A to H): row 1 repeated
    put 'item value unit note' over the flows' last rows, on a page of their own. Then, as
    the Kazakhstan flows have their own values a tonne, the PV by flow (flow ... share: A
    to E)."""
    ws = book(outputs, "kazakhstan")["Appraisal"]
    year = next(c.row for c in ws["A"] if c.value == "year")
    flow = next(c.row for c in ws["A"] if c.value == "flow")
    assert not ws.print_title_rows
    assert ws.print_area == f"'Appraisal'!$A$1:$D${year - 2},'Appraisal'!$A${year}:$H$" \
                            f"{flow - 2},'Appraisal'!$A${flow}:$E${ws.max_row}"


def test_each_chart_prints_whole_on_a_page_of_its_own(outputs):
    """A page break above each chart's block and below the chart: no chart spans a break."""
    for name in outputs:
        wb = book(outputs, name)
        for ws in wb.worksheets:
            charts = ws._charts
            if not charts:
                continue
            breaks = sorted(b.id for b in ws.row_breaks.brk)
            previous_end = None
            for chart in sorted(charts, key=lambda c: c.anchor._from.row):
                top = chart.anchor._from.row + 1  # 1-based first row of the chart
                ext = getattr(chart.anchor, "ext", None)  # EMU, as written
                height = ext.height / 360000 if ext is not None else chart.height
                rows = int(height / 0.53) + 1
                assert not [b for b in breaks if top <= b < top + rows - 1], (name, ws.title)
                assert [b for b in breaks if b >= top + rows - 2], (name, ws.title)
                if previous_end is not None:  # a break between it and the chart above
                    assert [b for b in breaks if previous_end <= b < top], (name, ws.title)
                previous_end = top + rows - 2


def test_files_are_the_users_not_private(tmp_path):
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        old = os.umask(umask)
        try:
            target = save_atomic(openpyxl.Workbook(), tmp_path / f"{umask:o}.xlsx")
        finally:
            os.umask(old)
        assert target.stat().st_mode & 0o777 == mode


def test_outputs_are_readable_by_colleagues(outputs):
    for name, path in outputs.items():
        assert path.stat().st_mode & 0o044 == 0o044, name


# -- charts --------------------------------------------------------------------------------

def chart_xml(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(n).decode() for n in sorted(archive.namelist())
                if n.startswith("xl/charts/chart")]


def test_stranded_charts_sorted_named_split_and_without_empty_closures(outputs):
    wb = book(outputs, "kazakhstan")
    ws = wb["Charts"]
    column = [c.value for c in ws["A"]]
    corridor_top = column.index("corridor closed") + 1
    names = []
    for r in range(corridor_top + 1, ws.max_row + 1):
        if ws.cell(row=r, column=1).value in (None, "transit country closed"):
            break
        names.append((ws.cell(row=r, column=1).value,
                      max(ws.cell(row=r, column=j).value for j in range(2, 6))))
    assert names and all(v > 0 for _, v in names)  # only closures that strand something
    assert [v for _, v in names] == sorted((v for _, v in names), reverse=True)
    assert all(not re.fullmatch(r"[A-Z0-9_]+", n) for n, _ in names)  # names, not codes
    assert "transit country closed" in column  # countries apart from corridors
    xml = "".join(chart_xml(outputs["kazakhstan"]))
    assert "share of trade stranded (%)" in xml and 'orientation val="maxMin"' in xml


def test_country_chart_shows_transit_countries_and_names_the_market_apart(outputs):
    """China, the China trade's destination, strands 38% whatever is built (and Uzbekistan,
    the Central Asia trade's, 37-41%): its row stays in the table, named as the market, but
    the chart (whose scale it set) shows the transit countries only, and a note says why."""
    ws = book(outputs, "kazakhstan")["Charts"]
    column = [c.value for c in ws["A"]]
    top = column.index("transit country closed") + 1
    rows = {ws.cell(row=r, column=1).value: r for r in range(top + 1, top + 5)}
    assert rows["China (destination market)"] > rows["Russia"]
    assert ws.cell(row=rows["China (destination market)"], column=5).value == \
        pytest.approx(0.38, abs=5e-4)  # the number kept: 38 of 100 Mt/yr in 2035
    assert any(str(v).startswith("Not charted: ") and "China (destination market)" in str(v)
               for v in column)
    xml = [x for x in chart_xml(outputs["kazakhstan"]) if "closing one transit country" in x]
    assert len(xml) == 1
    categories = re.search(r"<(?:c:)?cat>.*?<(?:c:)?f>'Charts'!\$A\$(\d+)(?::\$A\$(\d+))?</",
                           xml[0], re.S)  # one cell where Russia is the only transit country
    first, last = int(categories.group(1)), int(categories.group(2) or categories.group(1))
    assert first == rows["Russia"] and last < rows["China (destination market)"]


def test_share_chart_has_no_empty_series_and_names(outputs):
    wb = book(outputs, "kazakhstan")
    ws = wb["Charts"]
    assert ws["A1"].value == "corridor"
    r = 2
    while ws.cell(row=r, column=1).value:
        assert any(ws.cell(row=r, column=j).value for j in range(2, 6)), r
        assert not re.fullmatch(r"[A-Z0-9_]+", ws.cell(row=r, column=1).value)
        r += 1


def test_frontier_chart_is_straight_and_labelled(outputs):
    xml = chart_xml(outputs["frontier"])[0]
    assert '<smooth val="1"' not in xml and '<smooth val="0"' in xml
    assert 'showSerName val="1"' in xml
    ws = book(outputs, "frontier")["Frontier"]
    header = [c.value for c in ws[1]]
    steps = [r[header.index("step")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert steps[0] == "status quo" and any(s.startswith("+ ") for s in steps[1:])
    # every point's label is its row's 'step' (a counted column once labelled the points
    # with max_captive_share when a column was added before it)
    column = get_column_letter(header.index("step") + 1)
    refs = re.findall(r"<(?:c:)?f>'Frontier'!\$([A-Z]+)\$(\d+)</(?:c:)?f>", xml)
    labels = [(col, int(row)) for col, row in refs if col not in ("C", "D")]
    assert labels and all(col == column for col, _ in labels), labels
    chart = ws._charts[0]
    assert chart.anchor._from.row + 1 > ws.max_row - 1 or chart.anchor._from.col == 0


def test_frontier_notes_give_the_plans_unmet_demand_in_its_unit(outputs):
    notes = {r[0]: r[1] for r in book(outputs, "frontier")["Notes"].iter_rows(
        min_row=2, values_only=True)}
    assert re.search(r"solved without a target: \d[\d,]*\.\d Mt/yr summed\)",
                     notes["unmet_demand"])


def test_frontier_points_that_coincide_get_one_label():
    """Two targets that one portfolio reaches give two rows with the same capex and
    dependence: one marker and one label naming both points, not two labels drawn over each
    other (Kazakhstan: points 2 and 3, the Sarzha terminal)."""
    from planner.report.frontier import frontier_chart

    ws = openpyxl.Workbook().active
    ws.title = "Frontier"
    ws.append(["point", "target", "dependence", "capex", "step"])
    for row in (("point 1", None, 0.18, 1078.0, "status quo"),
                ("point 2", 0.15, 0.121, 1278.0, "+ Sarzha terminal"),
                ("point 3", 0.13, 0.121, 1278.00000001, "same portfolio"),
                ("point 4", 0.10, 0.081, 2462.0, "+ Poti port")):
        ws.append(row)
    chart = frontier_chart(ws, 4, "worst single-closure disruption", "USD m")
    points = chart.series[1:]  # the first is the line through every point
    assert len(points) == 3
    labels = [(s.tx.v, s.tx.strRef.f if s.tx.strRef else None) for s in points]
    assert labels[0] == (None, "'Frontier'!$E$2") and labels[2] == (None, "'Frontier'!$E$5")
    assert labels[1][0] == "point 2 = point 3: + Sarzha terminal"
    # off the line: the status quo right of it, the dearest left, point 2 (the line to its
    # right falls gently: a label right of it sat on the line) below it
    assert [s.dLbls.position for s in points] == ["r", "b", "l"]


def test_comparison_charts_name_measure_and_unit_without_lone_legends(outputs):
    for name in ("scenarios", "alternatives", "compare"):
        xml = chart_xml(outputs[name])
        assert any("worst single-closure disruption" in x and "% of trade" in x for x in xml)
        assert any("total capex (USD m)" in x for x in xml)
        assert all("<c:legend>" not in x for x in xml), name  # one series each
    scenarios = chart_xml(outputs["scenarios"])
    assert any("unmet demand over the horizon (Mt)" in x for x in scenarios)
    assert not any("unmet demand over the horizon" in x for x in chart_xml(outputs["compare"]))
    assert len(chart_xml(outputs["robust"])) == 2


# -- terminal and help ---------------------------------------------------------------------

def test_help_lists_every_command_once_with_options_explained(capsys):
    parser = _parser()
    text = parser.format_help()
    for command in ("solve", "validate", "template", "scenarios", "robust", "frontier",
                    "alternatives", "compare"):
        assert re.search(rf"^  {command} +\S", text, re.M), command
    assert "exit status" in text and "130" in text and "worst_disruption" in text
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.dest in ("help",):
                continue
            assert action.help, (name, action.dest)
            if action.option_strings and action.nargs != 0:
                assert "default" in action.help, (name, action.dest)
        assert "exit status" in command.format_help(), name
    for name in ("frontier", "alternatives", "robust"):  # they refuse cost: not offered
        objective = next(a for a in sub.choices[name]._actions if a.dest == "objective")
        assert "not cost" in objective.help and "expected_disruption, cost" not in \
            objective.help, name


def test_terminal_speaks_one_style(tmp_path, capsys):
    source = write(tmp_path, small())
    assert main(["scenarios", str(source), "--jobs", "1", "-o", str(tmp_path / "s.xlsx")]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"\b0\.\d{4}\b", out)  # no raw fractions
    lines = [line for line in out.splitlines() if "optimal" in line and "%" in line]
    assert len({line.index("%") for line in lines}) == 1  # aligned, long names included
    assert any("10.0 Mt/yr" in line and "30.0 Mt" in line for line in lines)  # unmet shown
    assert all("USD m" in line for line in lines)
    assert main(["robust", str(source), "--jobs", "1", "-o", str(tmp_path / "r.xlsx")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"worst scenario's dependence: \d+\.\d%", out)
    assert main(["frontier", str(source), "--points", "3", "--jobs", "1",
                 "-o", str(tmp_path / "f.xlsx")]) == 0
    counters = re.findall(r"^\[(\d+)/(\d+)\]", capsys.readouterr().out, re.M)
    assert [int(i) for i, _ in counters] == [1, 2, 3, 4, 5] and {n for _, n in counters} == {"5"}


def test_what_binds_names_a_segment_once_with_its_periods(tmp_path, capsys):
    tables = edit(two_corridors(), Periods=[{"period": 2026, "budget": 0},
                                            {"period": 2029, "budget": 0}])
    tables["Flows"].append({"flow": "K", "origin": "H", "destination": "M", "period": 2029,
                            "demand": 12})
    tables["Flows"][0]["demand"] = 12
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(tmp_path / "o.xlsx"),
                 "--no-brief"]) == 0
    out = capsys.readouterr().out
    causes = [line for line in out.splitlines() if line.startswith("  - ")]
    assert sum("segment sA" in c for c in causes) == 1
    assert "segment sA is full in 2026, 2029 (capacity 10 Mt/yr)" in out
    assert "UNMET DEMAND: 2.0 Mt/yr in 2026, 2.0 Mt/yr in 2029" in out


def test_compare_warns_on_other_inputs_and_on_itself(outputs, tmp_path, capsys):
    capsys.readouterr()
    assert main(["compare", str(outputs["results"]), str(outputs["kazakhstan"]),
                 "-o", str(tmp_path / "x.xlsx")]) == 0
    captured = capsys.readouterr()
    assert "different input workbooks" in captured.err
    assert "capital cost of the portfolio" in captured.out and "USD m" in captured.out
    assert main(["compare", str(outputs["results"]), str(outputs["results"]),
                 "-o", str(tmp_path / "y.xlsx")]) == 0
    assert "compared with itself" in capsys.readouterr().err


# -- a real spreadsheet program ------------------------------------------------------------

def test_every_workbook_opens_and_prints_in_libreoffice(outputs, tmp_path):
    """Every output workbook through LibreOffice to PDF, in one soffice call: each opens (no
    repair: a PDF per workbook) and the Summary prints on one page width."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("soffice (LibreOffice) is missing on CI: .ci/run installs "
                        "libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed: the render test needs it")
    pdf = tmp_path / "pdf"
    profile = tmp_path / "profile"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(pdf),
                           *map(str, outputs.values())], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    for name, path in outputs.items():
        out = pdf / f"{path.stem}.pdf"
        assert out.exists() and out.stat().st_size > 1000, (name, done.stdout, done.stderr)
        assert b"%PDF" in out.read_bytes()[:8]
    text = pdf_text(pdf / "kazakhstan.pdf")
    if text is not None:
        # Summary one page wide: each of its pages holds the first and the last column (the
        # header row is repeated), none only some of them
        pages = [p for p in text.split("\f") if re.search(r"Summary, page \d+ of", p)]
        assert pages and "Solver status" in pages[0]
        assert all("metric" in p and "label" in p for p in pages), len(pages)
        # the columns' words print (a header comment does not)
        legend = [p for p in text.split("\f") if re.search(r"Columns, page \d+ of", p)]
        assert legend and "first period its capacity can be used" in " ".join(legend)
        # the reader's figures on the Summary's first page, the solver's on pages after it
        for metric in ("worst_disruption", "total_capex", "npv", "input_sha256"):
            assert metric in pages[0], metric
        for metric in ("mip_gap", "solve_seconds", "nonzeros", "stage_cost"):
            assert metric not in pages[0] and metric in "".join(pages[1:]), metric
        # a chart's page carries no header of another table (the CashFlow's and Leverage's
        # repeated over their charts' own tables), and each chart prints
        for sheet, ids, titles in (
                ("CashFlow charts", ("debt_service_limit", "available"),
                 ("Spend by source per period", "Debt service")),
                ("Leverage chart", ("traffic_share", "captive_ref"),
                 ("Captive share of trade per transit country",))):
            chart_pages = printed(text, sheet)
            assert chart_pages, sheet
            assert not [i for i in ids if i in "".join(chart_pages)], sheet
            assert all(t in "".join(chart_pages) for t in titles), sheet
    text = pdf_text(pdf / "results.pdf")
    if text is not None:  # no lender: no debt-service chart, a line that says why
        chart_pages = "".join(printed(text, "CashFlow charts"))
        assert "No debt-service chart" in chart_pages and "Debt service" not in chart_pages
        assert "Spend by source per period" in chart_pages
    text = pdf_text(pdf / "robust.pdf")
    if text is not None:  # the Robust sheet in parts, each with the scenario names; each
        # column id printed whole, on one line ('dependence_ow / n_optimum' was broken),
        # on one page
        pages = [p for p in text.split("\f") if re.search(r"Robust, page \d+ of", p)]
        assert len(pages) >= 3 and all("scenario" in p for p in pages)
        for column in [c.value for c in book(outputs, "robust")["Robust"][1]][1:]:
            whole = re.compile(rf"(?<!\w){column}(?!\w)")
            assert len([p for p in pages if whole.search(p)]) == 1, column
        assert "dependence_robust" in pages[0] and "npv_robust" in pages[1] and \
            "max_captive_share_robust" in pages[-1] and "npv_robust" not in pages[0]


def printed(text: str, sheet: str) -> list[str]:
    """The pages of ``sheet`` in a PDF's text (each page's footer names its sheet)."""
    return [p for p in text.split("\f") if re.search(rf"(^|\n)\s*{sheet}, page \d+ of", p)]


def pdf_text(path):
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True,
                          text=True).stdout


# -- template ------------------------------------------------------------------------------

def test_template_offers_cross_reference_lists_and_marked_examples(tmp_path):
    from planner.report.template import write_template
    from planner.inputs.read import validate_workbook

    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)

    def lists(sheet, column):
        header = [c.value for c in wb[sheet][1]]
        letter = openpyxl.utils.get_column_letter(header.index(column) + 1)
        return [dv.formula1 for dv in wb[sheet].data_validations.dataValidation
                if any(str(r).startswith(f"{letter}2") for r in dv.sqref.ranges)]

    assert lists("Routes", "flow") == ["Flows!$A$2:$A$1000"]
    assert lists("Routes", "corridor") == ["Corridors!$A$2:$A$1000"]
    assert lists("Segments", "country") == ["Countries!$A$2:$A$1000"]
    assert lists("Flows", "period") == ["Periods!$A$2:$A$1000"]
    info = wb["Instructions"]
    marked = [c for c in info["A"] if c.value and str(c.value).endswith("(EXAMPLE)")]
    assert len(marked) >= 9
    example = info.cell(row=marked[0].row + 2, column=1)
    assert example.value is not None and example.fill.fgColor.rgb.endswith("FFF2CC")
    assert all(wb[s].max_row == 1 for s in wb.sheetnames if s != "Instructions")
    # the examples are not read: only the missing period is a problem, as before
    assert [(p.sheet, p.column) for p in validate_workbook(path)] == [("Periods", "period")]


def test_docs_link_only_inside_the_repository_and_pictures_exist():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        assert "../shared" not in text, doc.name
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (doc.name, target)
    assert (ROOT / "docs" / "model.md").exists() and (ROOT / "docs" / "make_pictures.py").exists()


def test_no_number_is_wider_than_its_column(outputs):
    """'###' in a spreadsheet: a formatted number wider than its column."""
    from planner.report.xlsx import shown

    for name in outputs:
        for ws in book(outputs, name).worksheets:
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        width = ws.column_dimensions[cell.column_letter].width or 13
                        assert len(shown(cell.value, cell.number_format)) <= width, \
                            (name, ws.title, cell.coordinate, cell.number_format)


def test_no_text_is_cut_by_the_cell_beside_it(outputs):
    """A text wider than its column (as printed: capitals are wider than a digit, the column
    width's unit) wraps, or the cell to its right is empty for it to run into (TRANS_AFGHAN
    was cut in a column of its length)."""
    from planner.report.xlsx import text_size

    for name in outputs:
        for ws in book(outputs, name).worksheets:
            if ws.title == "Solver log":
                continue
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    if not isinstance(cell.value, str) or cell.alignment.wrap_text:
                        continue
                    width = ws.column_dimensions[cell.column_letter].width or 13
                    beside = ws.cell(row=cell.row, column=cell.column + 1).value
                    assert text_size(cell) <= width or beside in (None, ""), \
                        (name, ws.title, cell.coordinate, cell.value, width)


def test_the_solver_log_prints_one_page_of_its_end(outputs):
    """The Solver log keeps every line on the sheet but prints only its last page (the last
    stage's status, gap and time): before, it added about six pages to the printed report."""
    ws = book(outputs, "kazakhstan")["Solver log"]
    assert ws.max_row > 30
    area = ws.print_area
    assert area and area.endswith(f"$A${ws.max_row}")
    first = int(area.split(":")[0].split("$")[-1])
    assert ws.max_row - first + 1 == 30


def test_the_scenarios_table_names_the_period_of_its_largest_unmet_rate(tmp_path, capsys):
    """small() with CA's capacity 4 and periods 2026 (2 years, 10 Mt/yr) and 2028 (3 years,
    12 Mt/yr), no budget: 6 Mt/yr unmet in 2026 and 8 in 2028, 6 x 2 + 8 x 3 = 36 Mt over the
    horizon. The terminal's table gives the largest rate with its period: 8.0 Mt/yr in 2028."""
    from tests.builders import demand

    tables = edit(small(), Periods=[{"period": 2026, "budget": 0, "years": 2},
                                    {"period": 2028, "budget": 0, "years": 3}],
                  Flows=demand("K", "H", "M", **{"2026": 10, "2028": 12}))
    tables["Segments"][0]["capacity"] = 4
    source = write(tmp_path, tables)
    assert main(["scenarios", str(source), "-o", str(tmp_path / "s.xlsx"), "--jobs", "1"]) == 0
    base = next(x for x in capsys.readouterr().out.splitlines()
                if x.strip().startswith("base "))
    assert "8.0 Mt/yr in 2028" in base and "36.0 Mt" in base


def test_a_part_wider_than_a_page_is_split_into_parts_of_about_equal_width():
    """Ids 20 wide (column A repeated) and one part of columns B..K, 10 x 25 = 250 wide: with
    the ids that prints 270 wide, past PART_WIDTH (160), so it is split in ceil(250 / 140) = 2
    parts of 125 (B..F and G..K), each 145 with the ids; a part that fits is kept whole."""
    from openpyxl.utils import get_column_letter

    from planner.report.xlsx import PART_WIDTH, print_parts

    ws = openpyxl.Workbook().active
    ws.append(["id"] + [f"c{j}" for j in range(1, 11)])
    ws.column_dimensions["A"].width = 20
    for j in range(2, 12):
        ws.column_dimensions[get_column_letter(j)].width = 25
    print_parts(ws, [("c1", "c10")])
    assert PART_WIDTH == 160
    assert str(ws.print_area) == "'Sheet'!$B$1:$F$1,'Sheet'!$G$1:$K$1"
    print_parts(ws, [("c1", "c5"), ("c6", "c10")])
    assert str(ws.print_area) == "'Sheet'!$B$1:$F$1,'Sheet'!$G$1:$K$1"
