"""The decision brief (issue 25): the PDF and the HTML say the answer from the results
workbook's own tables, in the planner's words; the HTML asks no server for anything and
renders in a browser; 'planner brief' remakes the same brief from a results workbook.

The small case is tests/builders.two_corridors over two periods: home H ships 10 Mt/yr to
market M over corridor CA (10 Mt/yr) or CB (no capacity); candidate PB adds 10 Mt/yr to CB for
100 USD m, the budget of 2026 is 100. Without PB closing CA strands all 10 Mt/yr: the
reference plan (committed projects only: none) has a worst single closure of 100%. With PB
either corridor alone carries the 10 Mt/yr: 0%. So the plan builds PB alone, capex 100 USD m,
and PB buys 100 points of dependence at 1 USD m a point."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from planner.cli import main
from planner.report.brief import brief_of, brief_paths, frames_of_book, read_frames
from planner.report.xlsx import wrapped_lines
from tests.builders import edit, periods, project, two_corridors, write

ROOT = Path(__file__).resolve().parents[1]
KAZAKHSTAN = ROOT / "instances" / "kazakhstan.xlsx"
# a name a matplotlib label would read as mathtext, an HTML page as a tag, a sheet as a formula
NAME = "=B line $5bn$ <script>alert(1)</script>"


def case() -> dict:
    tables = edit(two_corridors(),
                  Corridors=[{"corridor": "CA", "name": "Corridor through A"},
                             {"corridor": "CB", "name": "Corridor through B"}],
                  Periods=periods((2026, 100), (2029, 0)),
                  Flows=[{"flow": "K", "origin": "H", "destination": "M", "period": t,
                          "demand": 10} for t in (2026, 2029)],
                  Projects=[project("PB", "sB", 10, 100, name=NAME)])
    tables["Scenarios"] = [{"scenario": "no money at all", "change": "budget",
                            "target": "all", "value": 0},
                           {"scenario": "corridor A closed", "change": "close",
                            "target": "CA"}]
    return tables


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    source = write(folder, case(), "small.xlsx")
    out = folder / "small-results.xlsx"
    assert main(["solve", str(source), "-o", str(out)]) == 0
    return source, out


def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_says_the_answer_as_the_summary_does(solved):
    """One page; the answer in one sentence (1 project, 100 USD m, the worst closure from
    100.0% to 0.0%), the project by name, literally (its '$' drawn, no mathtext)."""
    source, out = solved
    pdf, html = brief_paths(out)
    assert pdf.name == "small-results-brief.pdf" and html.exists()
    pages, text = pdf_text(pdf)
    text = flat(text)
    assert pages == 1
    assert ("The plan builds no committed project and 1 new one, for 100 USD m of capital cost: "
            "the worst single corridor closure falls from 100.0% of trade in the reference "
            "plan (committed projects only) to 0.0%.") in text
    assert flat(NAME) in text
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].values}
    assert summary["worst_disruption_ref"] == pytest.approx(1.0)
    assert summary["worst_disruption"] == pytest.approx(0.0, abs=1e-9)
    assert f"{summary['total_capex']:,.0f} USD m" in text
    assert "100.0 pt, 1 USD m/pt" in text  # what PB buys
    assert "small.xlsx" in text and summary["input_sha256"] in text.replace(" ", "")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]


def test_the_html_is_whole_and_escapes_the_workbooks_text(solved):
    """Every src and href is a fragment of the page itself: no server is asked for anything;
    the project's name is shown as text, its <script> never a tag."""
    _, out = solved
    page = brief_paths(out)[1].read_text()
    found = Links()
    found.feed(page)
    assert found.links and all(link.startswith("#") for link in found.links), found.links
    assert "script" not in found.tags and "link" not in found.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "@import" not in page
    assert all(ref.startswith("#") for ref in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    assert page.count("<svg") >= 2  # the map, the schedule


def chromium_or_fail():
    """headless Chromium; on CI its absence fails the test (.ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or \
        shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing on CI: .ci/run installs it; the brief's HTML "
                        "must be rendered")
        pytest.skip("headless Chromium is not installed: the render test needs it")
    return found


def test_the_html_renders_in_chromium_with_its_map_drawn(solved, tmp_path):
    """Chromium renders the page with no console message but the test's own marker (which
    shows the console is read), and the map, shown alone at the top of the page, is not
    blank."""
    from PIL import Image, ImageStat

    browser = chromium_or_fail()
    _, out = solved
    page = brief_paths(out)[1].read_text()
    marker = "brief-test-console-read"
    page = page.replace("</head>", "<style>body > :not(#map) { display: none; }</style>"
                        f"<script>console.log('{marker}')</script></head>", 1)
    copy = tmp_path / "map-only.html"
    copy.write_text(page)
    shot = tmp_path / "shot.png"
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                          f"--screenshot={shot}", "--window-size=1000,700",
                          copy.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert any(marker in line for line in console), run.stderr[-2000:]
    assert [line for line in console if marker not in line] == []
    image = Image.open(shot).convert("L").crop((0, 0, 1000, 600))
    assert ImageStat.Stat(image).stddev[0] > 10  # a white page would be 0
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20


def test_planner_brief_remakes_the_same_brief_from_the_workbook(solved, tmp_path, capsys):
    """The frames read back by pandas give the brief the solve made in memory, word for word,
    and the same PDF text; the results workbook is never written."""
    _, out = solved
    before = out.read_bytes()
    assert main(["brief", str(out), "-o", str(tmp_path / "again")]) == 0
    assert out.read_bytes() == before
    book = openpyxl.load_workbook(out)
    from planner.report.brief import made_frame
    in_memory = brief_of({**frames_of_book(book), "_made": made_frame(book)})
    assert brief_of(read_frames(out)).text == in_memory.text
    assert pdf_text(tmp_path / "again.pdf")[1] == pdf_text(brief_paths(out)[0])[1]
    assert (tmp_path / "again.html").exists()


def test_the_workbook_opens_on_the_brief(solved):
    """Sheet Brief first: the sentence, each tile's metric id beside its words and the
    Summary's figure; the map and the schedule as pictures; the name text, not a formula."""
    _, out = solved
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Brief" and book.active.title == "Brief"
    ws = book["Brief"]
    assert ws["A2"].value.startswith("The plan builds no committed project and 1 new one")
    summary = {r[0]: r[1] for r in book["Summary"].values}
    tiles = {r[0]: r for r in ws.iter_rows(min_row=5, max_col=4, values_only=True) if r[0]}
    for metric in ("worst_disruption", "expected_disruption", "total_capex", "npv"):
        assert tiles[metric][2] == pytest.approx(summary[metric], abs=1e-9), metric
    assert tiles["worst_disruption"][3] == pytest.approx(summary["worst_disruption_ref"])
    assert len(ws._images) == 2
    assert ws.page_setup.fitToHeight == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    # a tile's words wrap in column E: its row is as tall as they need (LibreOffice and
    # Excel keep a written row's height, and the words would run over the next tile)
    width = ws.column_dimensions["E"].width
    for row in ws.iter_rows(min_row=5, max_row=4 + len(tiles)):
        if row[4].value:
            lines = wrapped_lines(row[4].value, width)
            assert ws.row_dimensions[row[0].row].height >= 15 * lines, row[0].value


def test_no_brief_writes_none_and_a_bad_workbook_is_refused(tmp_path, capsys):
    """--no-brief: the results workbook alone (its sheet Brief without pictures); 'planner
    brief' on an input workbook: exit 2, the missing sheet named, nothing written."""
    source = write(tmp_path, case(), "small.xlsx")
    out = tmp_path / "plain.xlsx"
    assert main(["solve", str(source), "-o", str(out), "--no-brief"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.xlsx", "small.xlsx"]
    assert openpyxl.load_workbook(out)["Brief"]._images == []
    capsys.readouterr()
    assert main(["brief", str(source)]) == 2
    err = capsys.readouterr().err
    assert "sheet Summary" in err and "results workbook" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.xlsx", "small.xlsx"]


def test_unmet_demand_is_said_and_an_empty_plan_still_makes_a_brief(tmp_path):
    """15 Mt/yr over corridor CA's 10, no money for PB, two periods of a year each (ids P1,
    P2): 5 Mt/yr unmet a period, 10 Mt over the horizon; no project is built."""
    tables = edit(two_corridors(), Periods=periods(("P1", 0), ("P2", 0)),
                  Flows=[{"flow": "K", "origin": "H", "destination": "M", "period": t,
                          "demand": 15} for t in ("P1", "P2")])
    out = tmp_path / "unmet.xlsx"
    assert main(["solve", str(write(tmp_path, tables)), "-o", str(out)]) == 0
    pages, text = pdf_text(brief_paths(out)[0])
    text = flat(text)
    assert pages == 1
    assert "no committed project and no new one, for 0 USD m" in text
    assert "10.0 Mt of demand stays unmet" in text and "Unmet demand 10.0 Mt" in text
    assert "The plan selects no project" in text


def test_the_scenarios_brief_lists_each_scenario(tmp_path):
    """One page naming the base and both scenarios; with no money PB is not built, so that
    scenario's worst closure is 100.0%, and it drops PB against the base."""
    source = write(tmp_path, case(), "small.xlsx")
    out = tmp_path / "small-scenarios.xlsx"
    assert main(["scenarios", str(source), "-o", str(out), "--jobs", "1"]) == 0
    pages, text = pdf_text(tmp_path / "small-scenarios-brief.pdf")
    text = flat(text)
    assert pages == 1
    for name in ("base", "no money at all", "corridor A closed"):
        assert name in text
    assert "100.0%" in text and "drops" in text
    assert "no money at all" in (tmp_path / "small-scenarios-brief.html").read_text()


def test_the_kazakhstan_brief_names_every_selected_project(tmp_path):
    """The shipped instance: at most two pages with every selected project's name, the
    worst closure and the capex as the Summary has them."""
    out = tmp_path / "kazakhstan-results.xlsx"
    assert main(["solve", str(KAZAKHSTAN), "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    summary = {r[0]: r[1] for r in book["Summary"].values}
    chosen = [r[5] for r in list(book["Portfolio"].values)[1:] if r[1] is True]
    pages, text = pdf_text(brief_paths(out)[0])
    text = flat(text)
    assert pages <= 2
    bare = "".join(text.split())  # pypdf may space a kerned pair: 'T acheng'
    for name in chosen:
        assert "".join(name.split()) in bare, name
    assert f"{summary['worst_disruption']:.1%}" in text
    assert f"{summary['total_capex']:,.0f} USD m" in text


def test_the_brief_made_beside_in_a_child_is_the_one_made_here(solved, tmp_path, monkeypatch):
    """The solve draws the brief in a worker process started with the command, which renders
    the PDF and the HTML in a child of its own (planner/report/brief/worker.py); where no
    process can be had (fork refused) the command renders them itself: the same PDF text and
    the same HTML page (the results' time of day aside)."""
    import re

    from planner.report.brief import worker as brief_module

    source, out = solved

    def refused():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(brief_module.os, "fork", refused)
    here = tmp_path / "here.xlsx"
    assert main(["solve", str(source), "-o", str(here)]) == 0
    timeless = lambda text: re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC)?", "", text)
    assert timeless(pdf_text(brief_paths(here)[0])[1]) == timeless(pdf_text(brief_paths(out)[0])[1])
    assert timeless(brief_paths(here)[1].read_text()) == timeless(brief_paths(out)[1].read_text())


def children() -> set[int]:
    """This process's child processes (Linux: /proc)."""
    found = set()
    for listed in Path("/proc/self/task").glob("*/children"):
        found |= {int(pid) for pid in listed.read_text().split()}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_brief_worker_ends_with_the_command(tmp_path, capfd):
    """The worker that draws the brief starts with the command (before the workbook is read)
    and ends with it, whether the command makes its brief or stops before it: a workbook
    refused at once (exit 2) leaves no process behind and says one thing, nor does a solve.
    (A worker ended while it starts must die, not run the command's stop handler and carry
    on as a second command: that race needs the worker scheduled late, so this guards the
    outcome rather than forcing the race.)"""
    import sys

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    for _ in range(2):  # the worker is ended within milliseconds of its start
        run = subprocess.run([sys.executable, "-m", "planner", "solve", str(broken), "-o",
                              str(tmp_path / "r.xlsx")], capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
        assert run.returncode == 2, run.stderr
        assert "SIGTERM" not in run.stderr + run.stdout
        assert (run.stderr + run.stdout).count("nothing was written") == 1, run.stderr
    before = children()
    capfd.readouterr()
    assert main(["solve", str(broken), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert children() == before
    said = capfd.readouterr()
    assert "SIGTERM" not in said.err and said.err.count("nothing was written") == 1
    source = write(tmp_path, case(), "small.xlsx")
    assert main(["solve", str(source), "-o", str(tmp_path / "r.xlsx")]) == 0
    assert children() == before
    assert brief_paths(tmp_path / "r.xlsx")[0].exists()


def test_the_worker_takes_the_brief_while_another_process_holds_its_pipe(solved):
    """The worker reads the brief up to its length, not to the pipe's end: a process forked
    from the command after the worker started holds the pipe's write end open as long as it
    lives, and the worker waiting for the end would wait for it (and the command for the
    worker: SIGALRM ends the test then)."""
    import signal
    import time

    from planner.report.brief import BriefWorker

    class Waited(Exception):  # not an OSError: the worker's reads take those for its end
        pass

    def waited(signum, frame):
        raise Waited("the worker waited for the pipe's end")

    source, out = solved
    made = brief_of(read_frames(out))
    previous = signal.signal(signal.SIGALRM, waited)
    signal.alarm(30)
    try:
        with BriefWorker() as worker:
            sleeper = os.fork()  # forked from the command later: it holds every pipe open
            if sleeper == 0:
                time.sleep(120)
                os._exit(0)
            try:
                worker.render(made)
                pictures, files = worker.pictures(), worker.files()
            finally:
                os.kill(sleeper, signal.SIGKILL)
                os.waitpid(sleeper, 0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert sorted(pictures) == ["map", "schedule"]
    assert files[0][:5] == b"%PDF-" and b"<svg" in files[1]
