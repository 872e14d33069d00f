"""The decision brief: what a committee reads first, built from the results workbook's tables.

- content.py: what the brief says, ``brief_of(frames)`` from a results workbook's tables (the
  frames 'planner solve' has in memory or those 'planner brief' reads back): one path;
- pages.py: the charts and the A4 pages, drawn with matplotlib, one function per chart
  whatever it is drawn into;
- html_page.py: the self-contained HTML page (Jinja2, each chart inline as SVG);
- files.py: the PDF, the HTML page and sheet Brief's pictures, rendered from the pages;
- worker.py: all of that in a process started with the command, on the other core;
- sheet.py: sheet Brief, the results workbook's first sheet;
- scenarios.py: the scenarios' comparison brief.

Text from a workbook is escaped in the HTML and drawn literally by matplotlib (no mathtext):
it is never executed."""

from planner.report.brief.content import (BRIEF_SHEET, Brief, Tile, brief_of, frames_of_book,
                                          made_frame, read_frames)
from planner.report.brief.files import (brief_paths, render_files, sheet_pictures, write_brief,
                                        write_files)
from planner.report.brief.pages import Drawn, draw
from planner.report.brief.scenarios import ScenarioBrief, scenario_brief, write_scenarios_brief
from planner.report.brief.sheet import add_sheet
from planner.report.brief.worker import BriefWorker

__all__ = ["BRIEF_SHEET", "Brief", "BriefWorker", "Drawn", "ScenarioBrief", "Tile", "add_sheet",
           "brief_of", "brief_paths", "draw", "frames_of_book", "made_frame", "read_frames",
           "render_files", "scenario_brief", "sheet_pictures", "write_brief", "write_files",
           "write_scenarios_brief"]
