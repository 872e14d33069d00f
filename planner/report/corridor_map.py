"""The corridor map: country borders, the network's segments by mode, the plan's projects and
each corridor's routes in its colour, drawn with matplotlib alone (no tile server, no download:
the borders ship in planner/report/data/borders.json, made by scripts/make_borders.py).

Made for grey print: modes differ by line style (rail solid, road dashed, sea dotted, any
other dash-dot), corridors by colour (Paul Tol's colour-blind-safe "muted" set), by width (the
tonnes they carry) and by a white dashed stripe on every second one; the plan's projects are a
black casing with a diamond. Without node coordinates (sheet Nodes) the network is drawn as a
schematic layout with a note that says how to get the real map.

Placement rules (docs/results.md, "The corridor map"):
- a node far from the others (farther from their median than FAR_FACTOR times the
  75th-percentile distance, as the EU or a Chinese market is from Central Asia) stays off the
  map: an arrow at the map's edge points toward it, labelled, and its segments run to the arrow;
- a sea leg to such a node, and a segment to a node with no place (lat and lon blank: world
  markets by sea), is a short arrow off its port, pointing away from the map's centre,
  labelled with where it goes.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D

# the network's tables live beside, without matplotlib; named here for the map's readers
from planner.report.map_network import (MAP_DISCLAIMER, SCHEMATIC_NOTE, MapNetwork,  # noqa: F401
                                        mode_kind, network_from_instance, network_from_results)

BORDERS = Path(__file__).resolve().parent / "data" / "borders.json"

# Paul Tol's "muted" qualitative set: distinguishable by colour-blind readers
CORRIDOR_COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
                    "#CC6677", "#882255", "#AA4499")
MODE_STYLES = {"rail": "solid", "road": (0, (5, 2.5)), "sea": (0, (1, 1.6)),
               "other": (0, (6, 2, 1.2, 2))}
STRIPE = (0, (2.5, 2.5))
MODE_WORDS = {"rail": "rail", "road": "road", "sea": "sea", "other": "border, port, other"}
STUB = 0.09  # a stub's length, share of the network's span
FAR_FACTOR = 1.8  # a node this many times the typical distance from the rest is off the map
MARGIN = 0.07  # share of the extent added on each side
SCHEMATIC_KK_NODES = 60  # larger schematics use a spring layout (Kamada-Kawai takes seconds)
LEGEND_CORRIDORS = 12  # the largest corridors named in the legend
MIN_SPAN = 4.0  # degrees: the narrowest extent (a network in one city still gets a map)
LAND, COAST, SEA_COLOUR = "#ececec", "#a6a6a6", "#ffffff"
NETWORK = "#3c3c3c"
LEFT_OUT_NOTE = "{n} names left out where they would cover others (sheets Portfolio and " \
    "Segments list every one)."
NOTE_SIZE, NOTE_FIRST, NOTE_STEP = 7, 0.01, 0.035  # the notes' lines: points, axes fractions
# a project's or a node's name that would cover more than this share of its own box with
# names placed before it is left out (_Placer.place): the rest stay readable
COVERED_MOST = 0.5
# a name knocks out what lies under it (a white box, half see-through): cheap to draw in PDF
# and SVG, where a halo is drawn as a path for every letter
KNOCKOUT = dict(boxstyle="square,pad=0.08", fc="white", ec="none", alpha=0.8)


# -- borders ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def load_borders(path: Path = BORDERS) -> dict:
    """The shipped borders: {source, note, countries: [{name, iso_a3, rings}]}."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# -- layout ----------------------------------------------------------------------------------

@dataclass
class _Layout:
    xy: dict[str, tuple[float, float]]  # node -> drawing coordinates, nodes on the map
    far: dict[str, tuple[float, float]]  # node -> its real (projected) place, off the map
    placeless: set[str]  # nodes with no one place
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    k: float  # x = lon * k (equirectangular about the map's middle latitude); 0: schematic
    names: dict[str, str]
    stubs: dict[str, tuple] = field(default_factory=dict)  # segment -> (base, tip, end node)


def _layout(net: MapNetwork, ax) -> _Layout:
    names = dict(zip(net.nodes["node"], net.nodes["name"]))
    used = list(dict.fromkeys(list(net.segments["from"]) + list(net.segments["to"])))
    for n in used:
        names.setdefault(n, n)
    if not net.has_places:
        return _schematic(net, used, names, ax)
    placed = net.nodes.dropna(subset=["lat", "lon"])
    lat = dict(zip(placed["node"], placed["lat"]))
    lon = dict(zip(placed["node"], placed["lon"]))
    on = _near_nodes(lat, lon)
    lat0 = float(np.mean([lat[n] for n in on]))
    k = max(math.cos(math.radians(lat0)), 0.2)
    xy = {n: (lon[n] * k, lat[n]) for n in on}
    far = {n: (lon[n] * k, lat[n]) for n in lat if n not in on}
    lay = _Layout(xy, far, {n for n in used if n not in lat}, (0, 0, 0, 0), k, names)
    points = np.array(list(xy.values()))
    span = max(float(np.ptp(points[:, 0])), float(np.ptp(points[:, 1])), MIN_SPAN * k)
    lay.stubs = _stubs(net, lay, STUB * span)
    tips = [tip for _, tip, _ in lay.stubs.values()]
    lay.extent = _fit(np.vstack([points] + ([np.array(tips)] if tips else [])), ax,
                      MIN_SPAN * k)
    return lay


def _stubs(net: MapNetwork, lay: _Layout, length: float) -> dict[str, tuple]:
    """segment -> (base, tip, the end it stands for) for each segment drawn as a short arrow
    off the map's node at one end, pointing away from the map's centre: its other end has no
    place, or it is a sea leg to a node off the map (a straight line to the map's edge would
    cross land the ship never sails over)."""
    centre = np.mean(np.array(list(lay.xy.values())), axis=0)
    out = {}
    for s in net.segments.to_dict("records"):
        for here, there in ((s["from"], s["to"]), (s["to"], s["from"])):
            if here not in lay.xy:
                continue
            if there in lay.placeless or (there in lay.far and mode_kind(s["mode"]) == "sea"):
                base = lay.xy[here]
                d = np.array(base) - centre
                norm = float(np.hypot(*d))
                d = d / norm if norm > 1e-9 else np.array([1.0, 0.0])
                out[s["segment"]] = (base, (base[0] + d[0] * length, base[1] + d[1] * length),
                                     there)
                break
    return out


def _near_nodes(lat: dict, lon: dict) -> list[str]:
    """The nodes that set the map's extent: all but those far from the rest (FAR_FACTOR)."""
    nodes = list(lat)
    if len(nodes) < 5:
        return nodes
    mlat, mlon = float(np.median(list(lat.values()))), float(np.median(list(lon.values())))
    k = math.cos(math.radians(mlat))
    d = {n: math.hypot((lon[n] - mlon) * k, lat[n] - mlat) for n in nodes}
    typical = float(np.percentile(list(d.values()), 75))
    near = [n for n in nodes if d[n] <= FAR_FACTOR * typical or typical == 0]
    return near if len(near) >= 2 else nodes


def _fit(points: np.ndarray, ax, min_span: float) -> tuple[float, float, float, float]:
    """The extent around ``points`` with a margin, widened to the axes' shape (equal aspect)."""
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    w, h = max(x1 - x0, min_span), max(y1 - y0, min_span)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * MARGIN), h * (1 + 2 * MARGIN)
    box = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    shape = (box.height * fh) / (box.width * fw)  # height / width of the axes
    if h / w < shape:
        h = w * shape
    else:
        w = h / shape
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def _schematic(net: MapNetwork, used: list[str], names: dict, ax) -> _Layout:
    """A deterministic drawing of the network without places: Kamada-Kawai (node distances
    follow the number of segments between them), a seeded spring layout for large networks."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(used)
    graph.add_edges_from(zip(net.segments["from"], net.segments["to"]))
    if len(graph) <= 1:
        pos = {n: (0.0, 0.0) for n in graph}
    elif len(graph) <= SCHEMATIC_KK_NODES:
        pos = nx.kamada_kawai_layout(graph)
    else:  # Kamada-Kawai takes seconds beyond some 60 nodes; a seeded spring layout does not
        pos = nx.spring_layout(graph, seed=0)
    xy = {n: (float(p[0]), float(p[1])) for n, p in pos.items()}
    points = np.array(list(xy.values())) if xy else np.zeros((1, 2))
    extent = _fit(points, ax, 0.5)
    return _Layout(xy, {}, set(), extent, 0.0, names)


# -- drawing ---------------------------------------------------------------------------------

@dataclass
class MapDrawing:
    """What draw_corridor_map drew, by id: for tests and for a caller that lists it."""

    schematic: bool = False
    segments: list[str] = field(default_factory=list)  # segments drawn (lines and stubs)
    built: list[str] = field(default_factory=list)  # segments with the plan's casing
    bands: dict[str, list[str]] = field(default_factory=dict)  # corridor -> its segments
    stubs: list[str] = field(default_factory=list)  # segments drawn as a short arrow
    offmap: list[str] = field(default_factory=list)  # nodes drawn as an arrow at the edge
    labels: dict[str, str] = field(default_factory=dict)  # node -> its name as drawn
    left_out: int = 0  # names of projects and nodes left out where they would cover others


def draw_corridor_map(ax, network: MapNetwork, *, legend: str = "right") -> MapDrawing:
    """Draw the map of ``network`` on ``ax`` and say what was drawn. ``legend``: 'right'
    (outside the axes, on the figure's right: leave about 0.3 of the width, as
    corridor_map_figure does), 'inside' or 'none'. The artists carry gids (kept as ids in
    SVG): borders, segments:<mode>, built, corridor:<id>, stripes:<id>, stub:<segment>,
    offmap:<node>, label:<node>, project-label:<segment>, stub-label, schematic-note,
    left-out-note."""
    drawing = MapDrawing()
    lay = _layout(network, ax)
    drawing.schematic = not lay.k
    x0, x1, y0, y1 = lay.extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(SEA_COLOUR if lay.k else "white")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#808080")
    if lay.k:
        _draw_borders(ax, lay)
    per_pt = (x1 - x0) / (ax.get_position().width * ax.figure.get_size_inches()[0] * 72)
    ends = _segment_ends(network, lay)
    bands = _corridor_bands(network)
    colours = _corridor_colours(network, bands)
    markers = _draw_segments(ax, network, ends, bands, colours, per_pt, drawing)
    drawing.offmap = _draw_offmap(ax, lay, ends, network)
    placer = _Placer(ax, list(lay.xy.values()) + [p for _, p, _ in markers],
                     [(np.array(a), np.array(b)) for a, b, _ in ends.values()])
    # the notes' lines at the bottom left, kept free of names: the schematic's note, then
    # the line that counts the names left out (its widest, reserved whether or not needed)
    notes = [] if lay.k else [(SCHEMATIC_NOTE, "schematic-note")]
    for i, note in enumerate([n for n, _ in notes] + [LEFT_OUT_NOTE.format(n=999)]):
        placer.reserve(note, (0.01, NOTE_FIRST + NOTE_STEP * i), fontsize=NOTE_SIZE,
                       style="italic")
    for text, point, s in markers:
        placer.place(text, point, f"project-label:{s}", prefer=(0, -1), gap=6.0,
                     may_drop=True, fontsize=5.8, weight="bold")
    _label_stubs(ax, lay, ends, placer)
    drawing.labels = _draw_nodes(ax, lay, placer)
    drawing.left_out = placer.dropped
    if placer.dropped:
        notes.append((LEFT_OUT_NOTE.format(n=placer.dropped), "left-out-note"))
    for i, (note, gid) in enumerate(notes):
        ax.text(0.01, NOTE_FIRST + NOTE_STEP * i, note, transform=ax.transAxes,
                fontsize=NOTE_SIZE, style="italic", color="#404040", va="bottom", ha="left",
                gid=gid, zorder=11, bbox={**KNOCKOUT, "alpha": 1.0})  # over any name
    if legend != "none":
        _legends(ax, network, colours, bands, legend)
    return drawing


def _draw_borders(ax, lay: _Layout) -> None:
    x0, x1, y0, y1 = lay.extent
    polys, labels = [], []
    for country in load_borders()["countries"]:
        best, best_area = None, 0.0
        for ring in country["rings"]:
            xy = np.asarray(ring, dtype=float)
            xy[:, 0] *= lay.k
            if xy[:, 0].max() < x0 or xy[:, 0].min() > x1 or xy[:, 1].max() < y0 \
                    or xy[:, 1].min() > y1:
                continue
            polys.append(xy)
            area = abs(_area(xy))
            if area > best_area:
                best, best_area = xy, area
        if best is not None and best_area > 0.012 * (x1 - x0) * (y1 - y0):
            cx, cy = _label_point(best, lay.extent)
            if cx is not None:
                labels.append((cx, cy, country["name"]))
    ax.add_collection(PolyCollection(polys, facecolors=LAND, edgecolors=COAST,
                                     linewidths=0.45, zorder=0, gid="borders"))
    for cx, cy, name in labels:
        ax.text(cx, cy, name.upper(), fontsize=5.5, color="#9a9a9a", ha="center",
                va="center", zorder=0.5, clip_on=True, gid=f"country:{name}")


def _area(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _label_point(xy: np.ndarray, extent) -> tuple[float | None, float | None]:
    """A point for a country's name: the centre of the part of its ring inside the map."""
    x0, x1, y0, y1 = extent
    inside = xy[(xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)]
    if len(inside) < 3:
        return None, None
    a = _area(xy)
    if a == 0:
        return None, None
    x, y = xy[:, 0], xy[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    cx = float(np.sum((x + np.roll(x, -1)) * cross) / (6 * a))
    cy = float(np.sum((y + np.roll(y, -1)) * cross) / (6 * a))
    if not (x0 < cx < x1 and y0 < cy < y1):
        cx, cy = float(inside[:, 0].mean()), float(inside[:, 1].mean())
    return cx, cy


def _edge_point(lay: _Layout, target: tuple[float, float], inset: float = 0.035
                ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the ray from the map's centre toward ``target`` leaves the map (inset a little),
    and the unit direction."""
    x0, x1, y0, y1 = lay.extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = target[0] - cx, target[1] - cy
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    hw, hh = (x1 - x0) / 2 * (1 - inset), (y1 - y0) / 2 * (1 - inset)
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return (cx + dx * t, cy + dy * t), (dx, dy)


def _segment_ends(net: MapNetwork, lay: _Layout) -> dict[str, tuple]:
    """segment -> (start, end, stub end): a line between two nodes on the map or to the
    arrow of a node off it (stub end None), or a stub (_stubs; stub end its node, start or
    end its tip as the segment runs). Segments with neither end on the map are left out."""
    out = {}
    for s in net.segments.to_dict("records"):
        seg = s["segment"]
        if seg in lay.stubs:
            base, tip, there = lay.stubs[seg]
            out[seg] = (tip, base, there) if s["from"] == there else (base, tip, there)
            continue
        pa, pb = _node_point(lay, s["from"]), _node_point(lay, s["to"])
        if pa is not None and pb is not None and (s["from"] in lay.xy or s["to"] in lay.xy):
            out[seg] = (pa, pb, None)
    return out


def _node_point(lay: _Layout, node: str):
    if node in lay.xy:
        return lay.xy[node]
    if node in lay.far:
        return _edge_point(lay, lay.far[node])[0]
    return None


def _corridor_bands(net: MapNetwork) -> dict[str, dict[str, float]]:
    """segment -> {corridor: tonnes its routes carry over the segment}, corridors with flow."""
    bands: dict[str, dict[str, float]] = {}
    for r in net.routes.to_dict("records"):
        if r["flow"] <= 0:
            continue
        for s in r["segments"]:
            bands.setdefault(s, {})
            bands[s][r["corridor"]] = bands[s].get(r["corridor"], 0.0) + float(r["flow"])
    return bands


def _corridor_colours(net: MapNetwork, bands) -> dict[str, tuple[str, object]]:
    """corridor -> (colour, striped) for the corridors that carry flow: every second one has
    a white dashed stripe along it, so that two of like grey still differ in grey print (and
    past the palette's nine colours, a colour comes back with the other pattern)."""
    carrying = {c for b in bands.values() for c in b}
    order = [c for c in (net.corridor_order or ()) if c in carrying] + sorted(
        carrying - set(net.corridor_order or ()))
    n = len(CORRIDOR_COLOURS)
    return {c: (CORRIDOR_COLOURS[i % n], (i + i // n) % 2 == 1) for i, c in enumerate(order)}


def _width(flow: float, most: float) -> float:
    """Points of a corridor band carrying ``flow`` when the largest carries ``most``."""
    return 1.4 + 4.2 * math.sqrt(flow / most) if most > 0 else 1.4


def _draw_segments(ax, net: MapNetwork, ends, bands, colours, per_pt,
                   drawing: "MapDrawing") -> list[tuple]:
    """Each segment in its lane (segments between the same two nodes side by side): the
    plan's casing, its corridors' bands, the line of its mode, an arrow at a stub's end.
    Lines of one kind are one collection (a map of 600 segments draws in a second), each
    with a gid: segments:<mode>, built, corridor:<id>, stripes:<id>. Returns the plan's
    project markers to label: (project ids, point, segment)."""
    most = max((f for b in bands.values() for f in b.values()), default=0.0)
    order = {c: i for i, c in enumerate(colours)}
    lanes: dict[frozenset, list[str]] = {}
    for s, (a, b, _) in ends.items():
        lanes.setdefault(frozenset((a, b)), []).append(s)
    rows = {r["segment"]: r for r in net.segments.to_dict("records")}
    base: dict[str, list] = {}
    built, built_widths, markers = [], [], []
    band_lines: dict[str, list] = {}
    band_widths: dict[str, list] = {}
    for members in lanes.values():
        widths = {s: sum(_width(f, most) for f in bands.get(s, {}).values()) +
                  0.6 * max(len(bands.get(s, {})) - 1, 0) for s in members}
        lane = max(max(widths.values()) + 2.5, 5.0)
        for i, s in enumerate(members):
            (ax0, ay0), (bx, by), stub_to = ends[s]
            shift = (i - (len(members) - 1) / 2) * lane
            dx, dy = bx - ax0, by - ay0
            norm = math.hypot(dx, dy) or 1.0
            nx_, ny_ = -dy / norm * per_pt, dx / norm * per_pt  # left of travel, per point

            def line(offset_pt):
                return [(ax0 + nx_ * offset_pt, ay0 + ny_ * offset_pt),
                        (bx + nx_ * offset_pt, by + ny_ * offset_pt)]

            seg = rows[s]
            centre = line(shift)
            base.setdefault(mode_kind(seg["mode"]), []).append(centre)
            drawing.segments.append(s)
            if seg["built"]:
                built.append(centre)
                built_widths.append(max(widths[s], 1.5) + 3.2)
                drawing.built.append(s)
                mid = ((centre[0][0] + centre[1][0]) / 2, (centre[0][1] + centre[1][1]) / 2)
                markers.append((str(seg.get("projects") or ""), mid, s))
            cursor = shift + widths[s] / 2
            for c in sorted(bands.get(s, {}), key=order.get):
                w = _width(bands[s][c], most)
                band_lines.setdefault(c, []).append(line(cursor - w / 2))
                band_widths.setdefault(c, []).append(w)
                drawing.bands.setdefault(c, []).append(s)
                cursor -= w + 0.6
            if stub_to:
                tip, back = (centre[1], centre[0]) if stub_to == seg["to"] else \
                    (centre[0], centre[1])
                tail = (tip[0] + (back[0] - tip[0]) * 0.35, tip[1] + (back[1] - tip[1]) * 0.35)
                ax.annotate("", tip, tail, zorder=6, gid=f"stub:{s}",
                            arrowprops=dict(arrowstyle="-|>", color=NETWORK, lw=0.9,
                                            mutation_scale=9, shrinkA=0, shrinkB=0))
                drawing.stubs.append(s)
    if built:
        ax.add_collection(LineCollection(built, colors="black", linewidths=built_widths,
                                         capstyle="butt", zorder=3, gid="built"),
                          autolim=False)
        ax.scatter([m[1][0] for m in markers], [m[1][1] for m in markers], marker="D", s=40,
                   c="black", edgecolors="white", linewidths=1.0, zorder=7,
                   gid="project-markers")
    for c, lines in band_lines.items():
        colour, striped = colours[c]
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=band_widths[c],
                                         capstyle="butt", zorder=4, gid=f"corridor:{c}"),
                          autolim=False)
        if striped:
            ax.add_collection(LineCollection(
                lines, colors="white", linewidths=[max(w * 0.3, 0.6) for w in band_widths[c]],
                linestyles=[STRIPE], zorder=4.1, gid=f"stripes:{c}"), autolim=False)
    for kind, lines in base.items():
        ax.add_collection(LineCollection(lines, colors=NETWORK, linewidths=0.8,
                                         linestyles=[MODE_STYLES[kind]], zorder=5,
                                         gid=f"segments:{kind}"), autolim=False)
    return [m for m in markers if m[0]]


def _label_stubs(ax, lay: _Layout, ends, placer: "_Placer") -> None:
    """One label at the tip of the stubs that leave a node the same way: the ends they
    stand for, joined."""
    groups: dict[tuple, list[str]] = {}
    for s, (base, tip, there) in lay.stubs.items():
        if s in ends:
            groups.setdefault((tuple(base), tuple(tip)), []).append(lay.names.get(there, there))
    for (base, tip), names in groups.items():
        dx, dy = tip[0] - base[0], tip[1] - base[1]
        first = (1 if dx > abs(dy) * 0.3 else -1 if dx < -abs(dy) * 0.3 else 0,
                 1 if dy > abs(dx) * 0.3 else -1 if dy < -abs(dx) * 0.3 else 0)
        placer.place("to " + "; ".join(dict.fromkeys(names)), tip, "stub-label",
                     prefer=first, fontsize=5.8, style="italic", color="#303030")


def _draw_offmap(ax, lay: _Layout, ends, net: MapNetwork) -> list[str]:
    """An arrow at the map's edge toward each node off the map that a line runs to,
    labelled with its name on the map's side of the arrow."""
    reached = {n for r in net.segments.to_dict("records")
               if r["segment"] in ends and ends[r["segment"]][2] is None
               for n in (r["from"], r["to"])}
    x0, x1, y0, y1 = lay.extent
    drawn = []
    for n, place in lay.far.items():
        (ex, ey), (dx, dy) = _edge_point(lay, place)
        if n not in reached:
            continue
        back = 0.055 * (x1 - x0)
        start = (ex - dx * back, ey - dy * back)
        ax.annotate("", (ex, ey), start, zorder=6, gid=f"offmap:{n}",
                    arrowprops=dict(arrowstyle="simple,head_width=0.9,head_length=0.9",
                                    fc="white", ec="black", lw=0.9, mutation_scale=11,
                                    shrinkA=0, shrinkB=0))
        side = abs(dx) >= abs(dy)  # on the left or right edge: the name under the arrow
        ha = ("left" if dx < 0 else "right") if side else "center"
        va = "top" if side or dy > 0 else "bottom"
        offset = (0, -8) if side else (0, -9 if dy > 0 else 9)
        anchor = (min(ex, start[0]) if dx < 0 else max(ex, start[0]), (ey + start[1]) / 2) \
            if side else ((ex + start[0]) / 2, min(ey, start[1]) if dy > 0 else max(ey, start[1]))
        ax.annotate(f"to {lay.names.get(n, n)}", anchor,
                    xytext=offset, textcoords="offset points", fontsize=6.8, weight="bold",
                    ha=ha, va=va, zorder=8, gid=f"offmap-label:{n}",
                    bbox=KNOCKOUT)
        drawn.append(n)
    return drawn


class _Placer:
    """Puts each label where it overlaps the fewest labels, dots and map edge: eight
    positions around its point are tried, the preferred direction first."""

    POSITIONS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]

    def __init__(self, ax, dots, lines=()):
        self.ax, self.renderer = ax, _renderer(ax.figure)
        self.box = ax.get_window_extent(self.renderer)
        r = 4.0 * ax.figure.dpi / 72  # a dot's half width, pixels
        centres = ax.transData.transform(np.array(list(dots), dtype=float).reshape(-1, 2))
        self.dots = np.column_stack([centres - r, centres + r])  # x0, y0, x1, y1
        # points along each line drawn, so that a name sits beside the lines, not on them
        samples = [np.linspace(a, b, 30) for a, b in lines]
        points = ax.transData.transform(np.vstack(samples)) if samples else np.zeros((0, 2))
        self.line_points = points[np.argsort(points[:, 0], kind="stable")]  # by x: place
        self.line_x = np.ascontiguousarray(self.line_points[:, 0])  # searched in place
        self.taken = np.zeros((0, 4))
        self.dropped = 0  # labels left out (may_drop)

    def reserve(self, text: str, where, **style) -> None:
        """Keep the box of ``text`` drawn from ``where`` (axes fraction, its bottom left)
        free: names placed after it count it as a name placed."""
        font = FontProperties(size=style.get("fontsize"), style=style.get("style", "normal"))
        w, h, _ = self.renderer.get_text_width_height_descent(text, font, ismath=False)
        x, y = self.ax.transAxes.transform(where)
        self.taken = np.vstack([self.taken, [x, y, x + w, y + h * 1.25]])

    def place(self, text: str, xy, gid: str, prefer=(1, 0), gap: float = 4.5,
              may_drop: bool = False, **style):
        """Annotate ``text`` at ``xy`` (data) where it costs least; the text is measured
        once and each position's box computed, so only the chosen one is drawn. With
        ``may_drop``, a label whose best position still covers labels placed before by more
        than COVERED_MOST of its own area is left out (None): on a dense network a name
        nobody can read costs the map the names around it."""
        font = FontProperties(size=style.get("fontsize"), weight=style.get("weight", "normal"),
                              style=style.get("style", "normal"))
        w, h, _ = self.renderer.get_text_width_height_descent(text, font, ismath=False)
        w, h = w * 1.04 + 3, h * 1.25 + 2  # the knock-out box's pad and the line's descent
        px = self.ax.figure.dpi / 72
        x, y = self.ax.transData.transform(xy)
        order = [prefer] + [p for p in self.POSITIONS if p != prefer]
        # the eight boxes at once: (x0, y0, x1, y1) in display pixels, in ``order``
        d = np.array(order, dtype=float)
        scales = np.where((d[:, 0] != 0) & (d[:, 1] != 0), 0.8, 1.0) * gap
        left = x + d[:, 0] * scales * px - np.select([d[:, 0] > 0, d[:, 0] < 0], [0, w], w / 2)
        bottom = y + d[:, 1] * scales * px - np.select([d[:, 1] > 0, d[:, 1] < 0], [0, h],
                                                       h / 2)
        boxes = np.column_stack([left, bottom, left + w, bottom + h])
        # only what one of the boxes can reach: a few of the thousands of names, dots and
        # line points of a large network
        reach = w + h + 2 * gap * px
        p = self.line_points
        p = p[np.searchsorted(self.line_x, x - reach):np.searchsorted(self.line_x, x + reach)]
        p = p[np.abs(p[:, 1] - y) < reach]
        inside = ((p[None, :, 0] > boxes[:, None, 0]) & (p[None, :, 0] < boxes[:, None, 2]) &
                  (p[None, :, 1] > boxes[:, None, 1]) & (p[None, :, 1] < boxes[:, None, 3]))
        edge = (np.maximum(self.box.x0 - boxes[:, 0], 0) + np.maximum(boxes[:, 2] - self.box.x1, 0)
                + np.maximum(self.box.y0 - boxes[:, 1], 0)
                + np.maximum(boxes[:, 3] - self.box.y1, 0))
        names = _covered(boxes, self.taken, x, y, reach)  # what each covers of those placed
        costs = (names + 4.0 * _covered(boxes, self.dots, x, y, reach)
                 + 6.0 * inside.sum(axis=1) + 80 * edge).tolist()
        best, best_cost = None, None
        for i, cost in enumerate(costs):  # the first of the cheapest, in ``order``
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = i, cost
            if best_cost == 0:
                break
        (dx, dy), scale, box = order[best], float(scales[best]), boxes[best]
        if may_drop and names[best] > COVERED_MOST * w * h:
            self.dropped += 1
            return None
        t = self.ax.annotate(text, xy, xytext=(dx * scale, dy * scale),
                             textcoords="offset points", zorder=10, gid=gid, bbox=KNOCKOUT,
                             ha="left" if dx > 0 else "right" if dx < 0 else "center",
                             va="bottom" if dy > 0 else "top" if dy < 0 else "center", **style)
        self.taken = np.vstack([self.taken, box])
        return t


def _covered(boxes: np.ndarray, others: np.ndarray, x: float, y: float, reach: float
             ) -> np.ndarray:
    """The area each of ``boxes`` shares with ``others`` (rows x0, y0, x1, y1), added up;
    only the others within ``reach`` of (x, y) can share any."""
    near = others[(others[:, 2] > x - reach) & (others[:, 0] < x + reach)
                  & (others[:, 3] > y - reach) & (others[:, 1] < y + reach)]
    if not len(near):
        return np.zeros(len(boxes))
    w = np.minimum(boxes[:, None, 2], near[None, :, 2]) - np.maximum(boxes[:, None, 0],
                                                                      near[None, :, 0])
    h = np.minimum(boxes[:, None, 3], near[None, :, 3]) - np.maximum(boxes[:, None, 1],
                                                                      near[None, :, 1])
    return np.sum(np.clip(w, 0, None) * np.clip(h, 0, None), axis=1)


def _draw_nodes(ax, lay: _Layout, placer: _Placer) -> dict[str, str]:
    """Dots, and each node's name placed by ``placer``, the most crowded nodes first;
    returns node -> name drawn."""
    if not lay.xy:
        return {}
    xs, ys = zip(*lay.xy.values())
    ax.scatter(xs, ys, s=16, facecolor="white", edgecolor="black", linewidths=0.9, zorder=9,
               gid="nodes")
    drawn = {}
    for n in sorted(lay.xy, key=lambda n: (-_crowding(n, lay), n)):
        if placer.place(lay.names.get(n, n), lay.xy[n], f"label:{n}", may_drop=True,
                        fontsize=6.5) is not None:
            drawn[n] = lay.names.get(n, n)
    return {n: drawn[n] for n in lay.xy if n in drawn}


def _renderer(fig):
    """A renderer to measure text with, whatever canvas the figure has (Agg when none)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _crowding(n: str, lay: _Layout) -> int:
    x, y = lay.xy[n]
    x0, x1, _, _ = lay.extent
    r = 0.06 * (x1 - x0)
    return sum(1 for m, (a, b) in lay.xy.items() if m != n and math.hypot(a - x, b - y) < r)


def _legends(ax, net: MapNetwork, colours, bands, where: str) -> None:
    kinds = [k for k in MODE_STYLES if any(mode_kind(m) == k for m in net.segments["mode"])]
    handles = [Line2D([], [], color=NETWORK, lw=1.0, ls=MODE_STYLES[k], label=MODE_WORDS[k])
               for k in kinds]
    if net.segments["built"].any():
        handles.append(Line2D([], [], color="black", lw=4.5, marker="D", ms=6, mfc="black",
                              mec="white", label="project in the plan"))
    corridor_flow: dict[str, float] = {}
    for r in net.routes.to_dict("records"):
        if r["flow"] > 0:
            corridor_flow[r["corridor"]] = corridor_flow.get(r["corridor"], 0.0) + r["flow"]
    most = max((f for b in bands.values() for f in b.values()), default=0.0)
    names = dict(zip(net.routes["corridor"], net.routes["corridor_name"]))
    corridor_handles = []
    labels = []
    largest = set(sorted(colours, key=lambda c: -corridor_flow.get(c, 0.0))[:LEGEND_CORRIDORS])
    for c, (colour, striped) in colours.items():
        if c not in largest:
            continue
        name = "\n".join(textwrap.wrap(str(names.get(c) or c), 44))
        w = _width(corridor_flow.get(c, 0.0), most)
        band = Line2D([], [], color=colour, lw=w)
        corridor_handles.append((band, Line2D([], [], color="white", lw=max(w * 0.3, 0.6),
                                              ls=STRIPE)) if striped else band)
        labels.append(f"{name}  {corridor_flow.get(c, 0.0):,.1f}")
    if len(colours) > len(largest):  # the legend would run off the page
        corridor_handles.append(Line2D([], [], color="none"))
        labels.append(f"and {len(colours) - len(largest)} smaller corridors\n(sheet Flows)")
    if not handles and not corridor_handles:
        return
    inside = where == "inside"
    kw = dict(fontsize=6.2, frameon=True, framealpha=0.92, edgecolor="#b0b0b0",
              borderaxespad=0.4, handlelength=2.6, alignment="left")
    first = ax.legend(handles=handles, loc="lower left" if inside else "upper left",
                      bbox_to_anchor=None if inside else (1.01, 1.0), title="Network",
                      title_fontsize=6.8, **kw)
    first.set_gid("legend-network")
    if corridor_handles:
        ax.add_artist(first)
        unit = f"{net.flow_unit}, {net.period}" if net.period else net.flow_unit
        if inside:
            at = dict(loc="lower right")
        else:  # under the first
            box = first.get_window_extent(_renderer(ax.figure))
            bottom = ax.transAxes.inverted().transform((box.x0, box.y0))[1]
            at = dict(loc="upper left", bbox_to_anchor=(1.01, bottom - 0.02))
        second = ax.legend(corridor_handles, labels, title=f"Corridors carrying trade\n({unit})",
                           title_fontsize=6.8, **at, **kw)
        second.set_gid("legend-corridors")


def corridor_map_figure(network: MapNetwork, *, width: float = 10.0, height: float = 6.2,
                        legend: str = "right") -> Figure:
    """A figure (inches) holding the map and, with legend 'right', its legends on the right
    third: save it as PDF, SVG or PNG as it is (bbox_inches='tight' is not needed, and draws
    everything twice)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)  # the brief may save to PDF or SVG: savefig switches canvas itself
    left, right = (0.01, 0.70) if legend == "right" else (0.01, 0.99)
    ax = fig.add_axes((left, 0.02, right - left, 0.96))
    draw_corridor_map(ax, network, legend=legend)
    return fig
