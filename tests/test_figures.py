"""One rounding rule for every figure written (planner.report.xlsx.round_figures): a figure within the
solver's tolerance of a round value is written as that value, and never moved by more."""

import random

import openpyxl
import pytest
from openpyxl import Workbook

from planner.cli import main
from planner.report.xlsx import FEASIBILITY, figure, save_results
from tests.builders import edit, setting, two_corridors, write


def written(tmp_path, cells: list[tuple[float, str]], demand) -> list:
    """The values of ``cells`` (value, number format) as a results writer saves them."""
    book = Workbook()
    for i, (value, fmt) in enumerate(cells, start=1):
        book.active.cell(row=i, column=1, value=value).number_format = fmt
    path = save_results(book, tmp_path / "w.xlsx", demand)
    return [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def test_round_off_is_written_round_and_a_real_figure_is_not_moved(tmp_path):
    """199.9999999 USD m is 1e-7 from 200, within its tolerance 2e-7 x 200 = 4e-5: written
    200. 199.99 is 0.01 from 200: written as it is. A share of 0.999999995 of a period's
    demand of 10 Mt/yr is 5e-8 Mt/yr short of all of it, within 2e-7 Mt/yr: written 1; of a
    demand of 1,000 it would be 5e-6 Mt/yr short, beyond the 2e-7: left as it is."""
    cells = [(199.9999999, '#,##0.0" USD m"'), (199.99, '#,##0.0" USD m"'),
             (0.999999995, "0.0%"), (9.9999999, "General")]
    assert written(tmp_path, cells, 10) == [200, 199.99, 1, 10]
    assert written(tmp_path, [(0.999999995, "0.0%")], 1000) == [0.999999995]
    assert written(tmp_path, [(0.999999995, "0.0%")], None) == [0.999999995]


def test_a_figure_is_never_moved_by_more_than_its_tolerance():
    rng = random.Random(7)
    for _ in range(20000):
        value = rng.choice([rng.uniform(-1e4, 1e4), rng.random(), round(rng.uniform(0, 500)),
                            round(rng.uniform(0, 500)) + rng.uniform(-1e-6, 1e-6)])
        tolerance = rng.choice([1e-10, 1e-8, FEASIBILITY, FEASIBILITY * max(1, abs(value))])
        assert abs(figure(value, tolerance) - value) <= tolerance


def test_the_tolerance_is_the_solvers():
    """A flow is held to HiGHS's 1e-7 and a later stage may spend a keep row's 1e-7 room."""
    from planner.tolerances import HIGHS_FEASIBILITY, KEEP_ROOM

    assert FEASIBILITY == pytest.approx(HIGHS_FEASIBILITY + KEEP_ROOM)


def near_whole(path) -> list:
    """Cells whose number is within 1e-6 of a whole number and is not that number."""
    found = []
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, float) and v != round(v) and abs(v - round(v)) < 1e-6:
                    found.append((ws.title, cell.coordinate, v))
    return found


@pytest.mark.parametrize("tables", [
    two_corridors(),
    setting(edit(two_corridors(), RiskLimits=[
        {"limit": "max_share", "unit": "corridor", "key": "CA", "value": 0.3}]),
        "objective", "max_share")], ids=["worst_disruption", "max_share"])
def test_no_written_figure_is_round_off_of_a_whole_number(tmp_path, tables):
    """two_corridors solved: its figures (10 Mt/yr, capex 100, shares 0 and 1, transport
    cost 100 or 200 ...) come out of HiGHS within 1e-7 of whole numbers (a route's flow
    9.9999999); no cell of the results or the scenarios' comparison is left within 1e-6 of
    a whole number it is not."""
    tables = edit(tables, Scenarios=[{"scenario": "dear", "change": "capex", "target": "PB",
                                      "value": "x1.5"}])
    source = write(tmp_path, tables)
    for command in ("solve", "scenarios"):
        out = tmp_path / f"{command}.xlsx"
        assert main([command, str(source), "-o", str(out)] +
                    (["--jobs", "1"] if command == "scenarios" else [])) == 0
        assert near_whole(out) == [], command


def test_a_figure_in_percent_never_moves_by_more_than_the_flow_tolerance(tmp_path):
    """A period demand of 0.001 Mt/yr would make a share's tolerance 2e-4, enough to move an
    EIRR of 0.052345 (also shown in %) to 0.0523: the share tolerance is at most 2e-7."""
    assert written(tmp_path, [(0.052345, "0.0%"), (0.99999991, "0.0%")], 0.001) == \
        [0.052345, 1]
