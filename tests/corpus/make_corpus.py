"""Write the corpus of broken workbooks, each breaking one thing of a good one.

    python tests/corpus/make_corpus.py

CASES is the manifest the tests read: file name, what is broken, and the places (sheet, Excel
row, column) every error message must name; None where the whole file is refused. A few cases
need tools that only the machine making the corpus has (LibreOffice for .xls/.ods, the
msoffcrypto-tool package for a password); without them those files are kept as committed.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from planner.report.template import input_workbook  # noqa: E402
from tests.builders import project, two_corridors  # noqa: E402


def good() -> dict:
    """The base case with every reference column in use."""
    t = two_corridors()
    t["Settings"] += [{"setting": "objective", "value": "worst_disruption"}]
    t["Periods"] = [{"period": 2026, "budget": 100}, {"period": 2028, "budget": 100}]
    t["Flows"].append({"flow": "K", "origin": "H", "destination": "M", "period": 2028,
                       "demand": 12})
    t["Projects"] = [project("PB", "sB", 10, 100, earliest_period=2026, lead_time=0),
                     project("PX", "sA", 2, 20, requires="PB", exclusive_group="G"),
                     project("PY", "sA", 2, 20, exclusive_group="G", status="candidate")]
    t["RiskLimits"] = [{"limit": "max_share", "unit": "country", "key": "A", "value": 0.9}]
    return t


# Excel rows in the good workbook: Segments sA=2 sB=3; Routes rA=2 rB=3; Flows 2026=2 2028=3;
# Projects PB=2 PX=3 PY=4; Periods 2026=2 2028=3; Countries H=2 A=3 B=4; Settings 2, 3


def edited(change):
    def make():
        t = good()
        change(t)
        return t
    return make


def cell(sheet, row, col, value):
    """Post-edit on the written workbook: one cell set to a value openpyxl would not write
    from records (a date, a bool, a formula)."""
    def post(book):
        book[sheet].cell(row, col).value = value
    return post


CASES: list[tuple[str, str, list]] = []  # (file, what is broken, [(sheet, row, column)])
BUILD = {}


def case(name, what, where, tables=good, post=None, raw=None):
    CASES.append((name, what, where))
    BUILD[name] = (tables, post, raw)


case("missing_sheet_projects.xlsx", "no Projects sheet", [("Projects", None, None)],
     edited(lambda t: t.pop("Projects")))
case("missing_sheet_periods.xlsx", "no Periods sheet", [("Periods", None, None)],
     edited(lambda t: t.pop("Periods")))
case("missing_column_capacity.xlsx", "Segments has no capacity column",
     [("Segments", 1, "capacity")], post=lambda b: b["Segments"].delete_cols(6))
case("missing_column_demand.xlsx", "Flows has no demand column", [("Flows", 1, "demand")],
     post=lambda b: b["Flows"].delete_cols(5))
case("duplicate_segment.xlsx", "two segments called sA", [("Segments", 3, "segment")],
     edited(lambda t: t["Segments"][1].update(segment="sA")))
case("duplicate_project.xlsx", "two projects called PB", [("Projects", 3, "project")],
     edited(lambda t: t["Projects"][1].update(project="PB", requires=None)))
case("duplicate_period.xlsx", "2026 twice", [("Periods", 3, "period")],
     edited(lambda t: t["Periods"][1].update(period=2026)))
case("unknown_country.xlsx", "segment in country ZZ", [("Segments", 3, "country")],
     edited(lambda t: t["Segments"][1].update(country="ZZ")))
case("unknown_corridor.xlsx", "route in corridor CZ", [("Routes", 3, "corridor")],
     edited(lambda t: t["Routes"][1].update(corridor="CZ")))
case("unknown_flow.xlsx", "route for flow KZ", [("Routes", 2, "flow")],
     edited(lambda t: t["Routes"][0].update(flow="KZ")))
case("unknown_route_segment.xlsx", "route over segment sZ", [("Routes", 3, "segments")],
     edited(lambda t: t["Routes"][1].update(segments="sZ")))
case("unknown_project_segment.xlsx", "project on segment sZ", [("Projects", 2, "segments")],
     edited(lambda t: t["Projects"][0].update(segments="sB; sZ")))
case("unknown_flow_period.xlsx", "demand in period 2030", [("Flows", 3, "period")],
     edited(lambda t: t["Flows"][1].update(period=2030)))
case("unknown_earliest_period.xlsx", "project earliest 2031",
     [("Projects", 2, "earliest_period")],
     edited(lambda t: t["Projects"][0].update(earliest_period=2031)))
case("unknown_required_project.xlsx", "requires P9", [("Projects", 3, "requires")],
     edited(lambda t: t["Projects"][1].update(requires="P9")))
case("unknown_limit_key.xlsx", "limit on country ZZ", [("RiskLimits", 2, "key")],
     edited(lambda t: t["RiskLimits"][0].update(key="ZZ")))
case("route_not_connected.xlsx", "route sA then sB: M is not H", [("Routes", 2, "segments")],
     edited(lambda t: t["Routes"][0].update(segments="sA; sB")))
case("negative_capacity.xlsx", "capacity -5", [("Segments", 2, "capacity")],
     edited(lambda t: t["Segments"][0].update(capacity=-5)))
case("negative_capex.xlsx", "capex -100", [("Projects", 2, "capex")],
     edited(lambda t: t["Projects"][0].update(capex=-100)))
case("text_demand.xlsx", "demand 'lots'", [("Flows", 2, "demand")],
     edited(lambda t: t["Flows"][0].update(demand="lots")))
case("decimal_comma.xlsx", "budget '1,5'", [("Periods", 2, "budget")],
     edited(lambda t: t["Periods"][0].update(budget="1,5")))
case("risk_above_one.xlsx", "country risk 1.5", [("Countries", 3, "risk")],
     edited(lambda t: t["Countries"][1].update(risk=1.5)))
case("share_as_percent_number.xlsx", "max_share 90 meaning 90%", [("RiskLimits", 2, "value")],
     edited(lambda t: t["RiskLimits"][0].update(value=90)))
case("share_text_over_100.xlsx", "risk '140 %'", [("Countries", 4, "risk")],
     edited(lambda t: t["Countries"][2].update(risk="140 %")))
case("periods_out_of_order.xlsx", "2028 before 2026", [("Periods", 3, "period")],
     edited(lambda t: t["Periods"].reverse()))
case("requires_itself.xlsx", "PB requires PB", [("Projects", 2, "requires")],
     edited(lambda t: t["Projects"][0].update(requires="PB")))
case("requires_cycle.xlsx", "PB requires PX requires PB", [("Projects", 2, "requires")],
     edited(lambda t: t["Projects"][0].update(requires="PX")))
case("committed_and_excluded.xlsx", "status 'committed, excluded'", [("Projects", 2, "status")],
     edited(lambda t: t["Projects"][0].update(status="committed, excluded")))
case("unknown_status.xlsx", "status 'maybe'", [("Projects", 3, "status")],
     edited(lambda t: t["Projects"][1].update(status="maybe")))
case("unknown_objective.xlsx", "objective 'fastest'", [("Settings", 3, "value")],
     edited(lambda t: t["Settings"][1].update(value="fastest")))
case("fractional_lead_time.xlsx", "lead time 1.5", [("Projects", 2, "lead_time")],
     edited(lambda t: t["Projects"][0].update(lead_time=1.5)))
case("blank_country.xlsx", "segment without country", [("Segments", 2, "country")],
     edited(lambda t: t["Segments"][0].update(country=None)))
case("flow_origin_differs.xlsx", "flow K from H, then from X", [("Flows", 3, "origin")],
     edited(lambda t: t["Flows"][1].update(origin="X")))
case("duplicate_setting.xlsx", "objective set twice", [("Settings", 4, "setting")],
     edited(lambda t: t["Settings"].append({"setting": "objective", "value": "cost"})))
case("share_limit_on_total.xlsx", "max_share with unit total", [("RiskLimits", 2, "unit")],
     edited(lambda t: t["RiskLimits"][0].update(unit="total", key=None)))
case("date_as_period.xlsx", "period typed as a date", [("Periods", 2, "period")],
     post=cell("Periods", 2, 1, dt.datetime(2026, 1, 1)))
case("date_as_segment_id.xlsx", "segment id turned into a date", [("Segments", 2, "segment")],
     post=cell("Segments", 2, 1, dt.datetime(2026, 3, 1)))
case("bool_capacity.xlsx", "capacity TRUE", [("Segments", 2, "capacity")],
     post=cell("Segments", 2, 6, True))
case("formula_without_result.xlsx", "demand =10*1 never calculated", [("Flows", 2, "demand")],
     post=cell("Flows", 2, 5, "=10*1"))
case("empty_workbook.xlsx", "one empty sheet", [("Periods", None, None)],
     tables=lambda: {"Sheet1": []})
case("header_on_row_3.xlsx", "Segments headers moved down two rows", [("Segments", 3, None)],
     post=lambda b: b["Segments"].insert_rows(1, 2))
case("merged_cells.xlsx", "Segments A2:A3 merged", [("Segments", 2, None)],
     post=lambda b: b["Segments"].merge_cells("A2:A3"))
case("hidden_sheet.xlsx", "Segments hidden", [("Segments", None, None)],
     post=lambda b: setattr(b["Segments"], "sheet_state", "hidden"))


def _csv(path):
    path.write_text("segment,from,to,mode,country,capacity,cost_per_t\nsA,H,M,rail,A,10,10\n")


def _text(path):
    path.write_text("These are my notes about corridors, not a workbook.\n")


def _truncated(path):
    data = _workbook_bytes(good())
    path.write_bytes(data[: len(data) // 2])


def _zip_not_workbook(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")


def _zip_bomb(path):
    """Declares 300 MB of sheet XML that packs into a few hundred kB."""
    data = _workbook_bytes(good())
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        with out.open("xl/worksheets/padding.xml", "w") as pad:
            chunk = b" " * (1 << 20)
            for _ in range(300):
                pad.write(chunk)


def _entities(path):
    """The 'billion laughs': nested entities declared in the first sheet, used in a cell."""
    data = _workbook_bytes(good())
    doctype = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "lol">'
               + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
               + "]>")
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = doctype.encode() + body.replace(b"<t>setting</t>", b"<t>&lol9;</t>", 1)
            out.writestr(info, body)


def _soffice(path, fmt):
    soffice = shutil.which("soffice")
    if not soffice:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "good.xlsx"
        src.write_bytes(_workbook_bytes(good()))
        subprocess.run([soffice, "--headless", "--convert-to", fmt, "--outdir", tmp, str(src)],
                       check=True, capture_output=True, timeout=180)
        shutil.copy(Path(tmp) / f"good.{fmt}", path)
    return True


def _password(path):
    try:
        import msoffcrypto.format.ooxml as ooxml
    except ImportError:
        return False
    plain = io.BytesIO(_workbook_bytes(good()))
    with path.open("wb") as out:
        ooxml.OOXMLFile(plain).encrypt("secret", out)
    return True


FILES = [("not_xlsx_csv.xlsx", "a CSV file saved with the .xlsx name", _csv),
         ("plan.csv", "a CSV file", _csv),
         ("notes.xlsx", "a text file", _text),
         ("truncated.xlsx", "the first half of a workbook", _truncated),
         ("zip_not_workbook.xlsx", "a zip archive of notes", _zip_not_workbook),
         ("zip_bomb.xlsx", "300 MB of XML packed small", _zip_bomb),
         ("xml_entities.xlsx", "XML entity expansion (billion laughs)", _entities),
         ("old_format.xls", "Excel 97-2003 file", lambda p: _soffice(p, "xls")),
         ("opendocument.ods", "OpenDocument spreadsheet", lambda p: _soffice(p, "ods")),
         ("password.xlsx", "password-protected workbook", _password)]
for name, what, _ in FILES:
    CASES.append((name, what, [(None, None, None)]))


def _workbook_bytes(tables) -> bytes:
    buffer = io.BytesIO()
    input_workbook(tables).save(buffer)
    return buffer.getvalue()


def make(folder: Path = HERE) -> list[str]:
    written = []
    for name, (tables, post, _) in BUILD.items():
        book = input_workbook(tables())
        if post:
            post(book)
        book.save(folder / name)
        written.append(name)
    for name, _, writer in FILES:
        if writer(folder / name) is not False:
            written.append(name)
    return written


if __name__ == "__main__":
    names = make()
    print(f"wrote {len(names)} files in {HERE}")
