"""The corridor map (planner/report/corridor_map.py) and its input, sheet Nodes: what is drawn
is what the tables say (one line per segment, a casing per built segment, a label per node),
without places a schematic, a far market an arrow at the map's edge; bad Nodes rows are
refused like any sheet's."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.cli import main
from planner.inputs.read import read_workbook, validate_workbook
from planner.report import corridor_map as cm
from tests.builders import edit, two_corridors, write

matplotlib.use("Agg")

NODES = [{"node": "H", "name": "Home", "lat": 40.0, "lon": 60.0},
         {"node": "M", "name": "Market", "lat": 42.0, "lon": 70.0}]


def gids(ax, prefix: str) -> list[str]:
    """The gids of the axes' artists (texts and legends included) that start with prefix."""
    found = [a.get_gid() for a in ax.findobj() if (a.get_gid() or "").startswith(prefix)]
    return sorted(found)


def paths(ax, gid: str) -> int:
    """Lines in the collection ``gid`` (0 when there is none)."""
    return sum(len(c.get_paths()) for c in ax.collections if c.get_gid() == gid)


def drawn(network, **options):
    """The figure, its map axes and what draw_corridor_map says it drew."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6.2))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.02, 0.69, 0.96))
    return fig, ax, cm.draw_corridor_map(ax, network, **options)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the drawing ---------------------------------------------------------------------------

def test_solved_plan_draws_each_segment_its_project_and_its_corridors(tmp_path):
    """two_corridors with places: H ships 10 Mt/yr to M over sA (corridor CA, 10 Mt/yr) or sB
    (CB, no capacity until PB adds 10 for the whole budget, 100). Closing CA strands all 10
    without PB and nothing with it (the 10 go over sB), so PB is built; the cost stage then
    sends all 10 over the cheaper sA (10 USD/t against 20). The map: two segment lines (one
    per segment, side by side as they join the same nodes), one casing (sB, PB's segment),
    one corridor band (CA on sA: CB carries nothing), and the two node names."""
    from planner.analysis.measures import evaluate
    from planner.solve.run import solve

    inst = read_workbook(write(tmp_path, edit(two_corridors(), Nodes=NODES)))
    sol = solve(inst)
    assert sol.portfolio["PB"] is not None
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    net = cm.network_from_instance(inst, sol, ms)
    assert list(net.routes["flow"]) == pytest.approx([10.0, 0.0])
    fig, ax, d = drawn(net)
    assert sorted(d.segments) == ["sA", "sB"] and paths(ax, "segments:rail") == 2
    assert d.built == ["sB"] and paths(ax, "built") == 1
    assert gids(ax, "project-label:") == ["project-label:sB"]
    assert d.bands == {"CA": ["sA"]} and paths(ax, "corridor:CA") == 1
    assert not gids(ax, "corridor:CB")
    labels = {a.get_gid(): a.get_text() for a in ax.texts if (a.get_gid() or "")
              .startswith("label:")}
    assert labels == {"label:H": "Home", "label:M": "Market"} and \
        d.labels == {"H": "Home", "M": "Market"}
    # the two lines between H and M lie side by side, not on top of each other
    a, b = (np.asarray(p.vertices) for p in next(
        c for c in ax.collections if c.get_gid() == "segments:rail").get_paths())
    assert not np.allclose(a, b)
    assert gids(ax, "borders") == ["borders"] and not gids(ax, "schematic-note")
    assert not d.schematic


def test_the_map_saves_as_pdf_and_svg_from_one_figure(tmp_path):
    """The brief saves both: the SVG keeps the gids as ids and asks for nothing outside."""
    net = cm.MapNetwork(pd.DataFrame(NODES), pd.DataFrame(
        [{"segment": "s1", "from": "H", "to": "M", "mode": "road", "country": "A",
          "built": True}]), pd.DataFrame(
        [{"route": "r", "corridor": "C", "corridor_name": "Road", "segments": "s1",
          "flow": 3.0}]))
    fig = cm.corridor_map_figure(net)
    fig.savefig(tmp_path / "map.pdf")
    fig.savefig(tmp_path / "map.svg")
    assert (tmp_path / "map.pdf").read_bytes().startswith(b"%PDF")
    svg = (tmp_path / "map.svg").read_text()
    assert 'id="segments:road"' in svg and 'id="built"' in svg and 'id="corridor:C"' in svg
    assert not re.search(r'(src|href)="(?!#)', svg)  # no link to anything outside the file


def test_without_places_the_network_is_a_schematic_with_a_note():
    """No Nodes: every node still drawn and named, no borders, the note says how to get the
    real map; the layout is the same on every call (a brief made twice is the same)."""
    segments = pd.DataFrame([
        {"segment": "a", "from": "O", "to": "X", "mode": "rail"},
        {"segment": "b", "from": "X", "to": "D", "mode": "sea"},
        {"segment": "c", "from": "O", "to": "D", "mode": "road"}])
    net = cm.MapNetwork(pd.DataFrame(), segments, pd.DataFrame())
    assert not net.has_places
    _, ax, d = drawn(net)
    _, again, _ = drawn(net)
    assert d.schematic and sorted(d.segments) == ["a", "b", "c"]
    assert [paths(ax, f"segments:{k}") for k in ("rail", "sea", "road")] == [1, 1, 1]
    assert gids(ax, "label:") == ["label:D", "label:O", "label:X"]
    note = [t.get_text() for t in ax.texts if t.get_gid() == "schematic-note"]
    assert note == [cm.SCHEMATIC_NOTE] and "sheet Nodes" in note[0]
    assert not gids(ax, "borders")

    def positions(axes):
        return {a.get_gid(): a.xy for a in axes.texts if (a.get_gid() or "").startswith("label:")}
    assert positions(ax) == positions(again)


def test_on_a_crowded_map_a_name_that_would_be_covered_is_left_out_and_counted():
    """Forty nodes 0.02 degrees apart in a row, each with a name forty letters long: no
    eight positions around a dot keep most names clear of the others. A name whose best
    position still covers names placed before it over more than half its box is left out;
    every name drawn covers less than that of those drawn before it, the drawing counts the rest and a note on the
    map says how many and where every one is listed. The map of three nodes leaves out
    nothing and has no such note."""
    n = 40
    nodes = pd.DataFrame([(f"N{i:02d}", f"{'Station number ' * 3}{i:02d}"[:40], 45.0,
                           65.0 + 0.02 * i) for i in range(n)],
                         columns=["node", "name", "lat", "lon"])
    segments = pd.DataFrame([(f"s{i}", f"N{i:02d}", f"N{i + 1:02d}", "rail")
                             for i in range(n - 1)], columns=["segment", "from", "to", "mode"])
    fig, ax, d = drawn(cm.MapNetwork(nodes, segments, pd.DataFrame()))
    names = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    assert 0 < d.left_out < n and len(names) == len(d.labels) == n - d.left_out
    note = [t.get_text() for t in ax.texts if t.get_gid() == "left-out-note"]
    assert note == [cm.LEFT_OUT_NOTE.format(n=d.left_out)] and "sheets Portfolio" in note[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in names]
    for i, a in enumerate(boxes):  # each covers under half its box with those placed before
        shared = sum(max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
                     * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0)) for b in boxes[:i])
        assert shared < 0.55 * a.width * a.height, names[i].get_text()
    _, small, few = drawn(far_network())
    assert few.left_out == 0 and not gids(small, "left-out-note")


def far_network() -> cm.MapNetwork:
    """Five nodes within about 5 degrees of each other around 45N 65E, a market EU at 50N
    4E (some 45 degrees away: more than FAR_FACTOR times the others' spread) and SEA with
    no place."""
    nodes = pd.DataFrame([
        ("A", "Alpha", 45.0, 65.0), ("B", "Beta", 47.0, 63.0), ("C", "Gamma", 43.0, 67.0),
        ("D", "Delta", 46.0, 68.0), ("E", "Epsilon", 44.0, 62.0), ("EU", "EU (Brussels)",
                                                                    50.85, 4.35),
        ("SEA", "World markets by sea", None, None)], columns=["node", "name", "lat", "lon"])
    segments = pd.DataFrame([
        ("ab", "A", "B", "rail"), ("ac", "A", "C", "rail"), ("ad", "A", "D", "road"),
        ("ae", "A", "E", "rail"), ("eu", "B", "EU", "rail"), ("sea", "E", "SEA", "sea"),
        ("eu_sea", "E", "EU", "sea")], columns=["segment", "from", "to", "mode"])
    return cm.MapNetwork(nodes, segments, pd.DataFrame())


def test_a_far_market_is_an_arrow_at_the_edge_and_a_placeless_one_a_stub():
    """EU lies far west: the extent fits the five near nodes, an arrow at the west edge
    points to EU, labelled, and the rail segment B -> EU runs to the arrow. A sea leg to it
    (eu_sea) and the leg to SEA, which has no place, are short arrows off E, whose label
    names both ends."""
    _, ax, d = drawn(far_network())
    x0, x1 = ax.get_xlim()
    assert x0 > 55 * np.cos(np.radians(45)) - 5  # Brussels (4E) is not inside the map
    assert d.offmap == ["EU"] and gids(ax, "offmap:") == ["offmap:EU"]
    arrow = next(a for a in ax.texts if a.get_gid() == "offmap:EU")
    tip_x = arrow.xy[0]
    assert x0 <= tip_x < x0 + 0.05 * (x1 - x0)  # at the west edge
    label = next(a for a in ax.texts if a.get_gid() == "offmap-label:EU")
    assert label.get_text() == "to EU (Brussels)"
    rail = [np.asarray(p.vertices) for c in ax.collections if c.get_gid() == "segments:rail"
            for p in c.get_paths()]
    assert len(rail) == 4  # ab, ac, ae and the line to EU's arrow
    assert min(v[:, 0].min() for v in rail) == pytest.approx(tip_x, abs=1e-6)
    assert sorted(d.stubs) == ["eu_sea", "sea"] and gids(ax, "stub:") == ["stub:eu_sea",
                                                                            "stub:sea"]
    stub_labels = [a.get_text() for a in ax.texts if a.get_gid() == "stub-label"]
    assert stub_labels == ["to World markets by sea; EU (Brussels)"] or \
        stub_labels == ["to EU (Brussels); World markets by sea"]
    # every drawn name lies inside the map
    box = ax.get_window_extent(ax.figure.canvas.get_renderer())
    for t in ax.texts:
        if (t.get_gid() or "").startswith("label:"):
            bb = t.get_window_extent(ax.figure.canvas.get_renderer())
            assert box.x0 <= bb.x0 and bb.x1 <= box.x1, t.get_text()


def test_the_near_nodes_set_the_extent_only_when_one_is_far():
    """A network spread evenly (a chain of six nodes 10 degrees apart) keeps every node on
    the map: spread alone makes no node 'far'."""
    lat = {f"N{i}": 40.0 for i in range(6)}
    lon = {f"N{i}": 30.0 + 10 * i for i in range(6)}
    assert cm._near_nodes(lat, lon) == list(lat)
    lon["N5"] = 150.0
    assert "N5" not in cm._near_nodes(lat, lon)


def test_grey_print_tells_modes_and_striped_corridors_apart():
    """Modes differ by line style, not colour; corridors alternate plain and striped."""
    styles = {k: str(v) for k, v in cm.MODE_STYLES.items()}
    assert len(set(styles.values())) == 4
    assert [cm.mode_kind(m) for m in ("rail+port", "Road", "ferry", "border", "pipeline")] == \
        ["rail", "road", "sea", "other", "other"]
    net = cm.MapNetwork(pd.DataFrame(), pd.DataFrame(
        [{"segment": f"s{i}", "from": "O", "to": f"D{i}", "mode": "rail"} for i in range(3)]),
        pd.DataFrame([{"route": f"r{i}", "corridor": f"C{i}", "segments": f"s{i}", "flow": 1.0}
                      for i in range(3)]))
    colours = cm._corridor_colours(net, cm._corridor_bands(net))
    assert [striped for _, striped in colours.values()] == [False, True, False]
    assert len({c for c, _ in colours.values()}) == 3


def test_the_borders_file_is_small_and_whole():
    path = cm.BORDERS
    assert path.stat().st_size < 1_000_000
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "Natural Earth" in data["source"] and data["source_sha256"]
    names = {c["name"] for c in data["countries"]}
    assert len(names) >= 170 and {"Kazakhstan", "Afghanistan", "Georgia"} <= names
    points = np.array([p for c in data["countries"] for r in c["rings"] for p in r])
    assert (abs(points[:, 0]) <= 180).all() and (abs(points[:, 1]) <= 90).all()


# -- sheet Nodes ---------------------------------------------------------------------------

def test_nodes_are_read_into_the_instance(tmp_path):
    nodes = NODES + [{"node": "X", "name": None, "lat": None, "lon": None}]
    tables = edit(two_corridors(), Nodes=NODES)
    inst = read_workbook(write(tmp_path, tables))
    assert inst.nodes["H"].name == "Home" and inst.nodes["M"].lat == 42.0
    assert inst.rows[("Nodes", "M")] == 3
    assert read_workbook(write(tmp_path, two_corridors(), "none.xlsx")).nodes == {}
    # a node of no segment is refused; so is a latitude without its longitude
    tables = edit(two_corridors(), Nodes=nodes)
    problems = [str(p) for p in validate_workbook(write(tmp_path, tables, "x.xlsx"))]
    assert any("sheet Nodes, row 4, column node" in p and "sheet Segments" in p
               for p in problems), problems


@pytest.mark.parametrize("row, column, value, words", [
    (2, "lat", 95, "a latitude runs from -90"),
    (3, "lon", "north", "a number"),
    (3, "node", "Markt", "from or to column of sheet Segments"),
    (2, "lon", -181, "a longitude runs from -180"),
])
def test_a_bad_nodes_row_exits_2_names_the_cell_and_writes_nothing(tmp_path, monkeypatch, capsys,
                                                                   row, column, value, words):
    nodes = [dict(r) for r in NODES]
    nodes[row - 2][column] = value
    source = write(tmp_path, edit(two_corridors(), Nodes=nodes), "bad.xlsx")
    before = digest(source)
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "bad.xlsx"]) == 2
    err = capsys.readouterr().err
    assert f"sheet Nodes, row {row}, column {column}" in err and words in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()
    assert digest(source) == before


def test_nodes_twice_or_half_placed_are_refused_and_a_missing_one_warned(tmp_path):
    twice = NODES + [{"node": "H", "name": "Again", "lat": 1, "lon": 1}]
    half = [NODES[0], {"node": "M", "name": "Market", "lat": 42.0, "lon": None}]
    found = [str(p) for p in validate_workbook(write(tmp_path, edit(two_corridors(),
                                                                     Nodes=twice), "a.xlsx"))]
    assert any("sheet Nodes, row 4, column node" in p and "unique" in p for p in found), found
    found = [str(p) for p in validate_workbook(write(tmp_path, edit(two_corridors(),
                                                                     Nodes=half), "b.xlsx"))]
    assert any("error: sheet Nodes, row 3, column lon" in p for p in found), found
    found = validate_workbook(write(tmp_path, edit(two_corridors(), Nodes=NODES[:1]),
                                    "c.xlsx"))
    assert [p.warning for p in found] == [True]
    assert (found[0].sheet, found[0].row, found[0].column, found[0].found) == \
        ("Segments", 2, "to", "M")
    # headers misspelt: no node has a place, which is allowed (a schematic) but said
    misspelt = [{"node": r["node"], "latitude": r["lat"], "longitude": r["lon"]} for r in NODES]
    found = validate_workbook(write(tmp_path, edit(two_corridors(), Nodes=misspelt), "d.xlsx"))
    assert [(p.warning, p.sheet, p.column) for p in found] == [(True, "Nodes", "lat")]


def test_the_template_offers_sheet_nodes(tmp_path):
    from planner.report.template import write_template

    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    assert [c.value for c in book["Nodes"][1]] == ["node", "name", "lat", "lon"]
    assert "Latitude" in book["Nodes"]["C1"].comment.text


def test_results_carry_nodes_and_draw_the_same_map(tmp_path, monkeypatch):
    """'planner solve' copies sheet Nodes into the results; the map made from the results
    workbook's sheets has the segments, the built one and the names of the map made from
    the instance (routes join it when sheet Flows lists their segments)."""
    source = write(tmp_path, edit(two_corridors(), Nodes=NODES), "plan.xlsx")
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "plan.xlsx", "-o", "out.xlsx"]) == 0
    frames = pd.read_excel(tmp_path / "out.xlsx", sheet_name=None)
    assert list(frames["Nodes"].columns) == ["node", "name", "lat", "lon"]
    net = cm.network_from_results(frames)
    assert list(net.segments["built"]) == [False, True]
    # sheet Flows lists each route's segments: the routes are drawn
    assert list(frames["Flows"]["segments"]) == ["sA", "sB"]
    _, ax, d = drawn(net)
    assert sorted(d.segments) == ["sA", "sB"] and d.built == ["sB"]
    assert d.labels == {"H": "Home", "M": "Market"}
    assert d.bands == {"CA": ["sA"]}  # CB carries nothing
    assert source.exists()


def test_kazakhstan_places_every_node():
    """instances/kazakhstan.xlsx: every node of sheet Segments is on sheet Nodes, with a
    place in the region's box or (world markets by sea) none."""
    inst = read_workbook(Path(__file__).resolve().parents[1] / "instances" / "kazakhstan.xlsx")
    ends = {s.from_node for s in inst.segments.values()} | \
        {s.to_node for s in inst.segments.values()}
    assert set(inst.nodes) == ends
    placeless = {k for k, n in inst.nodes.items() if not n.placed}
    assert placeless == {"SEA"}
    for k, n in inst.nodes.items():
        if n.placed and k not in ("EU", "CHN"):
            assert 20 < n.lat < 60 and 35 < n.lon < 90, k
