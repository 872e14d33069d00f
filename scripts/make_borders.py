"""Make planner/report/data/borders.json, the country borders the corridor map draws, from
Natural Earth's 1:110m Admin 0 - Countries layer (public domain).

    python scripts/make_borders.py [SOURCE.geojson] [TARGET.json]

SOURCE defaults to /work/shared/data/natural-earth/ne_110m_admin_0_countries_lowres.geojson
(the "naturalearth_lowres" cut: name, iso_a3 and the shapes of 177 countries). Every country
is kept, so a network anywhere in the world gets its borders; each outer ring is simplified
(Douglas-Peucker, TOLERANCE degrees) and its coordinates rounded to DIGITS decimals, which at
the scale of a corridor map (a region of some 40 degrees) moves no line by a visible amount.
Holes are dropped: at this scale each is a country of its own (Lesotho), drawn over them.
The output records its source, the source's checksum and this note.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/work/shared/data/natural-earth/ne_110m_admin_0_countries_lowres.geojson")
TARGET = ROOT / "planner" / "report" / "data" / "borders.json"
TOLERANCE = 0.05  # degrees: a point nearer than this to the simplified line is dropped
DIGITS = 2


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker: the fewest of ``points`` (in order, ends kept) that stay within
    ``tolerance`` of the line through all of them; iterative, so a long ring is fine."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        far, index = -1.0, None
        for i in range(first + 1, last):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if norm else \
                ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > far:
                far, index = d, i
        if index is not None and far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def ring(coordinates: list) -> list[list[float]] | None:
    """An outer ring simplified and rounded, closed; None when too little of it is left."""
    points = simplify([(float(x), float(y)) for x, y in coordinates[:-1]] + [
        tuple(map(float, coordinates[0]))], TOLERANCE)
    out: list[list[float]] = []
    for x, y in points:
        p = [round(x, DIGITS), round(y, DIGITS)]
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 4 else None


def make(source: Path = SOURCE, target: Path = TARGET) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    countries = []
    for feature in data["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" \
            else [geometry["coordinates"]]
        rings = [r for r in (ring(polygon[0]) for polygon in polygons) if r]
        if rings:
            countries.append({"name": props.get("name", ""), "iso_a3": props.get("iso_a3", ""),
                              "rings": rings})
    countries.sort(key=lambda c: c["name"])
    out = {
        "source": "Natural Earth 1:110m Admin 0 - Countries, the naturalearth_lowres cut "
                  "(as shipped in the pyogrio 0.13.0 wheel's test fixtures; the Natural Earth "
                  "release of that cut is not stated there). Public domain: "
                  "naturalearthdata.com. Made with Natural Earth.",
        "source_file": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "note": f"every country's outer rings, Douglas-Peucker at {TOLERANCE} degree, "
                f"coordinates rounded to {DIGITS} decimals, holes dropped; made by "
                "scripts/make_borders.py. Natural Earth's de facto lines: no statement on any "
                "territory's status.",
        "countries": countries,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


if __name__ == "__main__":
    args = sys.argv[1:]
    path = make(Path(args[0]) if args else SOURCE, Path(args[1]) if len(args) > 1 else TARGET)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
