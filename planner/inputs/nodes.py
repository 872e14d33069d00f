"""Sheet Nodes: where each node of the network lies, for the corridor map. The model never
reads it; a node it lists must be one of sheet Segments' from or to, once."""

from __future__ import annotations

from planner.inputs.instance import Node
from planner.inputs.problems import Problem
from planner.inputs.rules import unique_ids

SHEET = "Nodes"


def read_nodes(records: list[dict], segments: dict[str, dict],
               problems: list[Problem]) -> dict[str, Node]:
    """node -> Node from the rows of sheet Nodes (``records``), checked against the segments
    read (segment -> row). Errors: a node listed twice, a node no segment starts or ends at,
    a latitude without a longitude or the reverse. Warnings: each segment node the sheet
    leaves out (the map cannot place it), once the sheet lists any node; a sheet where no
    node has a place (a misspelt lat or lon header reads as no column)."""
    rows = unique_ids(SHEET, "node", records, problems)
    used: dict[str, tuple[int, str]] = {}  # node -> (first Segments row, column)
    for seg in segments.values():
        for column in ("from", "to"):
            if seg.get(column):
                used.setdefault(seg[column], (seg["_row"], column))
    for k, r in rows.items():
        if k not in used:
            problems.append(Problem(SHEET, r["_row"], "node", k,
                                    "a node named in the from or to column of sheet Segments: "
                                    "correct the spelling (ids are case-sensitive) or delete "
                                    "the row"))
        for have, lack in (("lat", "lon"), ("lon", "lat")):
            if r.get(have) is not None and r.get(lack) is None:
                problems.append(Problem(SHEET, r["_row"], lack, None,
                                        f"a value beside {have}: both lat and lon, or neither "
                                        "for a node with no one place"))
    if rows and all(r.get("lat") is None or r.get("lon") is None for r in rows.values()):
        first = min(r["_row"] for r in rows.values())
        problems.append(Problem(SHEET, first, "lat", None,
                                "columns lat and lon filled (headed lat and lon in row 1): no "
                                "node has both, so the map is drawn as a schematic",
                                warning=True))
    if rows:
        for k, (row, column) in used.items():
            if k not in rows:
                problems.append(Problem("Segments", row, column, k,
                                        "a row for this node on sheet Nodes (node, name, lat, "
                                        "lon): the map cannot place it without one",
                                        warning=True))
    return {k: Node(k, r.get("name") or "", r.get("lat"), r.get("lon"))
            for k, r in rows.items()}
