"""Reading and validating workbooks of format v1: every problem named by sheet, row, column."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from planner.inputs.problems import InputError
from planner.report.template import write_template
from planner.inputs.read import read_workbook, validate_workbook
from tests.builders import edit, project, two_corridors, write

FIXTURES = Path(__file__).parent / "fixtures"


def problems_of(tmp_path, tables):
    return [p for p in validate_workbook(write(tmp_path, tables)) if not p.warning]


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_reads_the_base_case(tmp_path):
    inst = read_workbook(write(tmp_path, two_corridors()))
    assert inst.period_ids == ("2026",)
    assert inst.routes["rA"].segments == ("sA",)
    assert inst.flows["K"].demand == {"2026": 10.0}
    assert inst.settings.home_country == "H"
    assert inst.settings.objective == "worst_disruption"  # the default
    assert inst.projects["PB"].status == "candidate"
    assert len(inst.source_sha256) == 64


def test_headers_match_ignoring_case_and_spaces_and_extra_columns_are_ignored(tmp_path):
    path = write(tmp_path, two_corridors())
    book = openpyxl.load_workbook(path)
    ws = book["Segments"]
    ws.cell(1, 6).value = "  Capacity "
    ws.cell(1, ws.max_column + 1).value = "planner notes"
    ws.cell(2, ws.max_column).value = "anything"
    book.save(path)
    assert read_workbook(path).segments["sA"].capacity == 10


def test_sheet_names_match_ignoring_case(tmp_path):
    path = write(tmp_path, two_corridors())
    book = openpyxl.load_workbook(path)
    book["Segments"].title = "segments "
    book.save(path)
    assert "sA" in read_workbook(path).segments


def test_text_numbers_and_percentages_are_read_when_unambiguous(tmp_path):
    tables = two_corridors()
    tables["Segments"][0]["capacity"] = "1,200"
    tables["Countries"][1]["risk"] = "40%"
    tables["RiskLimits"] = [{"limit": "max_share", "unit": "corridor", "key": "CA",
                             "value": "60 %"}]
    inst = read_workbook(write(tmp_path, tables))
    assert inst.segments["sA"].capacity == 1200
    assert inst.countries["A"].risk == pytest.approx(0.4)
    assert inst.limits[0].value == pytest.approx(0.6)


def test_percent_formatted_cell_holds_a_fraction(tmp_path):
    path = write(tmp_path, edit(two_corridors(), RiskLimits=[
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.4}]))
    book = openpyxl.load_workbook(path)
    book["RiskLimits"]["D2"].number_format = "0%"
    book.save(path)
    assert read_workbook(path).limits[0].value == pytest.approx(0.4)


def test_trailing_and_inner_blank_rows_are_ignored(tmp_path):
    path = write(tmp_path, two_corridors())
    book = openpyxl.load_workbook(path)
    ws = book["Segments"]
    ws.insert_rows(3)
    ws.cell(20, 1).value = "   "
    book.save(path)
    assert set(read_workbook(path).segments) == {"sA", "sB"}


def test_numeric_ids_written_as_floats_are_the_same_ids(tmp_path):
    tables = two_corridors()
    tables["Flows"][0]["period"] = 2026.0
    assert read_workbook(write(tmp_path, tables)).flows["K"].demand == {"2026": 10.0}


def test_missing_sheet_is_named(tmp_path):
    tables = two_corridors()
    del tables["Projects"]
    p = only(problems_of(tmp_path, tables))
    assert p.sheet == "Projects" and "add it" in p.expected


def test_missing_column_is_named_with_row_1(tmp_path):
    path = write(tmp_path, two_corridors())
    book = openpyxl.load_workbook(path)
    book["Segments"].delete_cols(7)  # cost_per_t
    book.save(path)
    p = only(validate_workbook(path))
    assert (p.sheet, p.row, p.column) == ("Segments", 1, "cost_per_t")


def test_every_problem_is_reported_at_once(tmp_path):
    tables = two_corridors()
    tables["Segments"][0]["capacity"] = -5  # row 2
    tables["Segments"][1]["country"] = "ZZ"  # row 3
    tables["Routes"][1]["corridor"] = "NOPE"  # row 3
    tables["Projects"][0]["capex"] = "lots"  # row 2
    tables["Countries"].append({"country": "A"})  # row 5, duplicate
    found = {(p.sheet, p.row, p.column) for p in problems_of(tmp_path, tables)}
    assert found == {("Segments", 2, "capacity"), ("Segments", 3, "country"),
                     ("Routes", 3, "corridor"), ("Projects", 2, "capex"),
                     ("Countries", 5, "country")}


def test_unknown_ids_in_every_reference_column(tmp_path):
    tables = two_corridors()
    tables["Routes"][0]["flow"] = "K9"
    tables["Routes"][0]["segments"] = "sA; sX"
    tables["Flows"][0]["period"] = 2099
    tables["Projects"] = [project("PB", "sQ", 10, 100, requires="P0", earliest_period=1999)]
    found = {(p.sheet, p.row, p.column, p.found) for p in problems_of(tmp_path, tables)}
    assert found >= {("Routes", 2, "flow", "K9"), ("Routes", 2, "segments", "sX"),
                     ("Flows", 2, "period", "2099"), ("Projects", 2, "segments", "sQ"),
                     ("Projects", 2, "requires", "P0"), ("Projects", 2, "earliest_period", "1999")}


def test_route_whose_segments_do_not_connect(tmp_path):
    tables = two_corridors()
    tables["Routes"][0]["segments"] = "sA; sB"  # sA ends at M, sB starts at H
    p = only(problems_of(tmp_path, tables))
    assert (p.sheet, p.row, p.column) == ("Routes", 2, "segments")
    assert "ends at 'M'" in p.expected and "starts at 'H'" in p.expected


def test_share_outside_0_1(tmp_path):
    tables = two_corridors()
    tables["Countries"][1]["risk"] = 1.5
    tables["RiskLimits"] = [{"limit": "max_share", "unit": "corridor", "key": "CA",
                             "value": 40}]
    found = {(p.sheet, p.row, p.column) for p in problems_of(tmp_path, tables)}
    assert found == {("Countries", 3, "risk"), ("RiskLimits", 2, "value")}


def test_cycle_in_requires(tmp_path):
    tables = edit(two_corridors(), Projects=[project("P1", "sB", 1, 1, requires="P2"),
                                             project("P2", "sB", 1, 1, requires="P3"),
                                             project("P3", "sB", 1, 1, requires="P1")])
    p = only(problems_of(tmp_path, tables))
    assert (p.sheet, p.row, p.column) == ("Projects", 2, "requires")
    assert "P1 -> P2 -> P3 -> P1" in str(p.found)


def chain(n: int, closed: bool = False) -> list[dict]:
    """Projects P0 ... P(n-1), each requiring the one before, listed from the last (row 2) to
    P0 (so that a depth-first search from the first row goes n deep); closed: P0 requires the
    last."""
    return [project(f"P{i}", "sB", 1, 1, requires=f"P{i - 1}" if i else
                    (f"P{n - 1}" if closed else "")) for i in reversed(range(n))]


def test_a_long_requires_chain_validates(tmp_path):
    """1,500 projects each requiring the one before (deeper than Python's recursion limit,
    1,000): no cycle, and no recursion to overflow."""
    assert validate_workbook(write(tmp_path, edit(two_corridors(), Projects=chain(1500)))) == []


def test_a_long_requires_cycle_is_named_at_its_first_row(tmp_path):
    """The same chain closed by P0 requiring P1499: one cycle through every project, reported
    from the first row's project (P1499, row 2), each id requiring the next."""
    p = only(problems_of(tmp_path, edit(two_corridors(), Projects=chain(1500, closed=True))))
    assert (p.sheet, p.row, p.column) == ("Projects", 2, "requires")
    assert str(p.found).startswith("P1499 -> P1498 -> P1497 -> ")
    assert str(p.found).endswith(" -> P1 -> P0 -> P1499")


def test_project_requiring_itself(tmp_path):
    tables = edit(two_corridors(), Projects=[project("P1", "sB", 1, 1, requires="P1")])
    p = only(problems_of(tmp_path, tables))
    assert (p.sheet, p.row, p.column) == ("Projects", 2, "requires")


def test_wrong_words_and_types(tmp_path):
    tables = two_corridors()
    tables["Projects"][0].update(status="maybe", lead_time=1.5)
    tables["Settings"].append({"setting": "objective", "value": "fastest"})
    found = {(p.sheet, p.row, p.column) for p in problems_of(tmp_path, tables)}
    assert found == {("Projects", 2, "status"), ("Projects", 2, "lead_time"),
                     ("Settings", 3, "value")}


def test_duplicate_flow_period_rows(tmp_path):
    tables = two_corridors()
    tables["Flows"].append(dict(tables["Flows"][0]))
    p = only(problems_of(tmp_path, tables))
    assert (p.sheet, p.row, p.column) == ("Flows", 3, "period")


def test_date_where_an_id_is_expected(tmp_path):
    tables = two_corridors()
    tables["Periods"][0]["period"] = dt.datetime(2026, 1, 1)
    found = [p for p in problems_of(tmp_path, tables) if p.sheet == "Periods"]
    assert found and "date" in found[0].expected


def test_route_ends_off_the_flow_are_a_warning_not_an_error(tmp_path):
    tables = two_corridors()
    tables["Flows"][0]["destination"] = "Elsewhere"
    problems = validate_workbook(write(tmp_path, tables))
    assert problems and all(p.warning for p in problems)
    read_workbook(write(tmp_path, tables))  # still solvable


def test_not_an_xlsx_file(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("flow,origin\nK,H\n")
    with pytest.raises(InputError) as err:
        read_workbook(path)
    assert "CSV" in str(err.value) and "planner template" in str(err.value)


def test_truncated_xlsx(tmp_path):
    good = write(tmp_path, two_corridors())
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError):
        read_workbook(bad)


def test_template_is_a_valid_empty_workbook_with_drop_downs(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Instructions"
    status = [dv for dv in book["Projects"].data_validations.dataValidation
              if "committed" in (dv.formula1 or "")]
    assert status, "status column has a drop-down list"
    problems = validate_workbook(path)
    assert [(p.sheet, p.column) for p in problems] == [("Periods", "period")]  # needs a period


def test_template_and_docs_list_every_scenario_change(tmp_path):
    """Each change kind sheet Scenarios accepts (source and rate among them) is in the change
    column's drop-down, on the Instructions with its target and value, in the column's own
    description and in the table of docs/workbook.md; each says a factor is written x..."""
    from planner.inputs import schema

    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx"))
    (choice,) = [dv for dv in book["Scenarios"].data_validations.dataValidation
                 if "budget" in (dv.formula1 or "")]
    info = {str(a.value).strip(): str(b.value) for a, b in
            book["Instructions"].iter_rows(min_col=1, max_col=2)
            if a.value and str(a.value).startswith("  ")}
    docs = (Path(__file__).parents[1] / "docs" / "workbook.md").read_text()
    change_words = schema.SHEETS_BY_NAME["Scenarios"].column("change").description
    assert {"source", "rate"} <= set(schema.SCENARIO_CHANGES)
    for change in schema.SCENARIO_CHANGES:
        assert change in choice.formula1
        assert change in change_words
        assert f"| {change} |" in docs
        target, value = schema.SCENARIO_CHANGE_RULES[change]
        assert info[change] == f"target: {target}. value: {value}."
    for change in ("budget", "demand", "capex", "source"):
        assert "x" in schema.SCENARIO_CHANGE_RULES[change][1]


def test_workbook_written_by_libreoffice_loads(tmp_path):
    """tests/fixtures/libreoffice_two_corridors.xlsx: the base case with a 30% cap on CA,
    saved by LibreOffice Calc 7 (xlsx -> ods -> xlsx). Objective cost: flows 3 and 7."""
    from planner.solve.run import solve
    path = tmp_path / "lo.xlsx"
    shutil.copy(FIXTURES / "libreoffice_two_corridors.xlsx", path)
    inst = read_workbook(path)
    assert inst.limits[0].value == pytest.approx(0.3)
    sol = solve(inst, objective="cost")
    assert sol.flows["rA", "2026"] == pytest.approx(3)
    assert sol.portfolio == {"PB": "2026"}


def test_docs_column_reference_is_current():
    from planner.inputs.schema_doc import BEGIN, END, reference
    text = (Path(__file__).parents[1] / "docs" / "workbook.md").read_text()
    assert text.split(BEGIN, 1)[1].split(END, 1)[0].strip() == reference().strip(), \
        "run: python -m planner.inputs.schema_doc docs/workbook.md"


@pytest.mark.parametrize("cell, expected", [(True, True), ("TRUE", True), ("yes", True),
                                            (1, True), ("no", False), (False, False)])
def test_yes_no_settings_accept_spreadsheet_booleans(tmp_path, cell, expected):
    tables = two_corridors()
    tables["Settings"].append({"setting": "budget_carry_over", "value": cell})
    assert read_workbook(write(tmp_path, tables)).settings.budget_carry_over is expected


def test_unknown_home_country_is_only_a_warning(tmp_path):
    tables = two_corridors()
    tables["Settings"] = [{"setting": "home_country", "value": "KZ"}]
    problems = validate_workbook(write(tmp_path, tables))
    assert [(p.sheet, p.column, p.warning) for p in problems] == [("Settings", "value", True)]


def test_formulas_are_read_by_their_saved_results(tmp_path):
    """tests/fixtures/libreoffice_formulas.xlsx: the base case with demand '=5*2' and sA's
    capacity '=SUM(4,6)', calculated and saved by LibreOffice."""
    path = tmp_path / "f.xlsx"
    shutil.copy(FIXTURES / "libreoffice_formulas.xlsx", path)
    inst = read_workbook(path)
    assert inst.flows["K"].demand == {"2026": 10.0}
    assert inst.segments["sA"].capacity == 10.0


def test_macro_enabled_workbook_is_read_as_data_only(tmp_path):
    """An .xlsm with a VBA project: the data are read, the macros neither run nor copied."""
    import zipfile

    from planner.cli import main
    plain = write(tmp_path, two_corridors(), "plain.xlsx")
    xlsm = tmp_path / "plan.xlsm"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(xlsm, "w") as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            out.writestr(info, body)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen(): Shell \"calc\"")
    out_path = tmp_path / "r.xlsx"
    assert main(["solve", str(xlsm), "-o", str(out_path), "--no-brief"]) == 0
    with zipfile.ZipFile(out_path) as archive:
        assert not any("vba" in n.lower() for n in archive.namelist())


def two_periods_flows(**by_period) -> dict:
    from tests.builders import demand, periods
    return edit(two_corridors(), Periods=periods((2026, 100), (2028, 100), (2030, 100)),
                Flows=demand("K", "H", "M", **by_period))


def test_a_period_without_a_flow_row_is_a_warning(tmp_path, capsys):
    """Flow K has rows for 2026 and 2030 only: its 2028 demand is taken as 0, said once,
    at K's first row, by validate and by solve (which still solves)."""
    from planner.cli import main
    path = write(tmp_path, two_periods_flows(**{"2026": 10, "2030": 10}))
    p = only(validate_workbook(path))
    assert (p.sheet, p.row, p.column, p.warning) == ("Flows", 2, "period", True)
    assert "K" in str(p) and "2028" in str(p) and "demand taken as 0" in p.expected
    assert read_workbook(path).flows["K"].demand == {"2026": 10, "2030": 10}
    assert main(["validate", str(path)]) == 0
    assert "demand taken as 0" in capsys.readouterr().err
    assert main(["solve", str(path), "-o", str(tmp_path / "out.xlsx"), "--no-brief"]) == 0
    assert "warning: sheet Flows, row 2, column period" in capsys.readouterr().err


def test_an_explicit_zero_row_is_no_warning(tmp_path):
    """A flow that starts in 2028, with a 0 row for 2026: nothing to say."""
    path = write(tmp_path, two_periods_flows(**{"2026": 0, "2028": 10, "2030": 10}))
    assert validate_workbook(path) == []


def test_a_number_cell_past_1e15_is_refused_like_typed_text(tmp_path):
    """1e20 in a number cell and '1e20' typed as text: the same error (HiGHS reads both as
    infinite)."""
    tables = two_corridors()
    tables["Segments"][0]["capacity"] = 1e20
    tables["Segments"][1]["capacity"] = "1e20"
    found = [(p.sheet, p.row, p.column, p.expected) for p in problems_of(tmp_path, tables)]
    assert [f[:3] for f in found] == [("Segments", 2, "capacity"), ("Segments", 3, "capacity")]
    assert found[0][3] == found[1][3] and "below 1e+15" in found[0][3]
