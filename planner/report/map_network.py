"""The map's network as plain tables: nodes, segments and routes with the plan's projects and
flows, built from an Instance and a Solution or from a results workbook's sheets alike. No
drawing here (planner/report/corridor_map.py draws it): the command builds the network
without importing matplotlib, and the brief's worker draws it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAP_DISCLAIMER = ("The boundaries and names shown and the designations used on this map do not "
                  "imply any judgment on the legal status of any territory, or any endorsement "
                  "or acceptance of such boundaries. Borders: Natural Earth (public domain).")
SCHEMATIC_NOTE = ("Schematic layout: add sheet Nodes (node, name, lat, lon) to the input "
                  "workbook for the real map.")


def mode_kind(mode: str) -> str:
    """rail, road, sea or other, from a segment's mode (rail+port is rail, ferry is sea)."""
    text = str(mode or "").lower()
    for kind, words in (("rail", ("rail",)), ("road", ("road", "truck")),
                        ("sea", ("sea", "ferry", "ship", "shipping"))):
        if any(w in text for w in words):
            return kind
    return "other"


def _id(value) -> str:
    """An id as text: 7.0 read back from a workbook is '7', as the planner reads it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()


def _segment_list(value) -> tuple[str, ...]:
    """Segment ids from a list, or from text joined by ';' (a lone number is one id)."""
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return tuple(_id(s) for s in value if _id(s))
    return tuple(s.strip() for s in _id(value).split(";") if s.strip())


@dataclass(frozen=True)
class MapNetwork:
    """What the map draws, as plain tables (so it is built from an Instance and a Solution,
    or from a results workbook's sheets alike).

    nodes:    node, name, lat, lon (degrees; lat and lon blank: no one place). May be empty:
              the map is then a schematic layout.
    segments: segment, from, to, mode, country, built (a project of the plan adds capacity to
              it), used (tonnes it carries in ``period``; optional), projects (ids of the
              plan's projects on it, '; '-joined; optional).
    routes:   route, corridor, corridor_name, segments (a list, or ids joined by ';'), flow
              (tonnes it carries in ``period``), generated (optional).
    """

    nodes: pd.DataFrame
    segments: pd.DataFrame
    routes: pd.DataFrame
    period: str = ""  # the period whose flows are drawn, for the legend
    flow_unit: str = "Mt/yr"
    corridor_order: tuple[str, ...] = field(default=())  # colour order; () = as in routes

    def __post_init__(self):
        nodes = pd.DataFrame(self.nodes).copy()
        for column in ("node", "name", "lat", "lon"):
            if column not in nodes:
                nodes[column] = np.nan if column in ("lat", "lon") else ""
        nodes["node"] = [_id(v) for v in nodes["node"]]
        nodes["name"] = [n if isinstance(n, str) and n.strip() else k
                         for k, n in zip(nodes["node"], nodes["name"])]
        nodes["lat"] = pd.to_numeric(nodes["lat"], errors="coerce")
        nodes["lon"] = pd.to_numeric(nodes["lon"], errors="coerce")
        segments = pd.DataFrame(self.segments).copy()
        for column, default in (("mode", ""), ("country", ""), ("built", False),
                                ("used", np.nan), ("projects", "")):
            if column not in segments:
                segments[column] = default
        for column in ("segment", "from", "to"):
            segments[column] = [_id(v) for v in segments[column]]
        segments["built"] = segments["built"].fillna(False).astype(bool)
        segments["projects"] = segments["projects"].fillna("").astype(str)
        routes = pd.DataFrame(self.routes).copy()
        for column, default in (("route", ""), ("corridor", ""), ("corridor_name", ""),
                                ("segments", ""), ("flow", 0.0), ("generated", False)):
            if column not in routes:
                routes[column] = default
        routes["segments"] = [_segment_list(v) for v in routes["segments"]]
        routes["flow"] = pd.to_numeric(routes["flow"], errors="coerce").fillna(0.0)
        routes["corridor"] = [_id(v) for v in routes["corridor"]]
        object.__setattr__(self, "nodes", nodes.reset_index(drop=True))
        object.__setattr__(self, "segments", segments.reset_index(drop=True))
        object.__setattr__(self, "routes", routes.reset_index(drop=True))

    @property
    def has_places(self) -> bool:
        """True when at least two nodes have coordinates: a real map, else a schematic."""
        return int((self.nodes["lat"].notna() & self.nodes["lon"].notna()).sum()) >= 2


# -- building a MapNetwork -------------------------------------------------------------------

def network_from_instance(inst, sol=None, ms=None, period: str | None = None) -> MapNetwork:
    """The map of an Instance (planner.inputs.instance) and, when given, its Solution (built
    segments, route flows) and Measures (segment loads), in ``period`` (default: the last)."""
    period = period or (inst.period_ids[-1] if inst.period_ids else "")
    plan = {p for p, start in (sol.portfolio.items() if sol is not None else ()) if start}
    on_segment: dict[str, list[str]] = {}
    for p in sorted(plan):
        for s in dict.fromkeys(inst.projects[p].segments):
            on_segment.setdefault(s, []).append(p)
    nodes = pd.DataFrame([(n.id, n.name, n.lat, n.lon) for n in inst.nodes.values()],
                         columns=["node", "name", "lat", "lon"])
    segments = pd.DataFrame(
        [(s.id, s.from_node, s.to_node, s.mode, s.country, s.id in on_segment,
          ms.used.get((s.id, period), np.nan) if ms is not None else np.nan,
          "; ".join(on_segment.get(s.id, ()))) for s in inst.segments.values()],
        columns=["segment", "from", "to", "mode", "country", "built", "used", "projects"])
    routes = pd.DataFrame(
        [(r.id, r.corridor, inst.corridors[r.corridor].name, list(r.segments),
          sol.flows.get((r.id, period), 0.0) if sol is not None else 0.0)
         for r in inst.routes.values()],
        columns=["route", "corridor", "corridor_name", "segments", "flow"])
    return MapNetwork(nodes, segments, routes, str(period), inst.settings.flow_unit,
                      tuple(inst.corridors))


def network_from_results(frames: dict[str, pd.DataFrame], period: str | None = None,
                         flow_unit: str = "Mt/yr") -> MapNetwork:
    """The map of a results workbook, from its sheets as {sheet name: DataFrame} (headers as
    written by 'planner solve'): Capacity (segment, period, used, country, mode, from, to),
    Portfolio (project, selected, segments), Flows (route, corridor, period, flow,
    corridor_name; segments when written) and Nodes (node, name, lat, lon; optional). Routes
    without a segments column are left off the map (the network and projects are drawn)."""
    capacity = frames["Capacity"].copy()
    capacity["period"] = [_id(v) for v in capacity["period"]]
    periods = list(dict.fromkeys(capacity["period"]))
    period = _id(period) if period is not None else (periods[-1] if periods else "")
    last = capacity[capacity["period"] == period].drop_duplicates("segment") \
        .reset_index(drop=True)
    portfolio = frames.get("Portfolio", pd.DataFrame(columns=["project", "selected",
                                                              "segments"]))
    on_segment: dict[str, list[str]] = {}
    for _, row in portfolio.iterrows():
        if _yes(row.get("selected")):
            for s in _segment_list(row.get("segments")):
                on_segment.setdefault(s, []).append(_id(row["project"]))
    segments = pd.DataFrame({
        "segment": [_id(v) for v in last["segment"]], "from": last["from"], "to": last["to"],
        "mode": last["mode"], "country": last["country"],
        "used": pd.to_numeric(last["used"], errors="coerce")})
    segments["built"] = [s in on_segment for s in segments["segment"]]
    segments["projects"] = ["; ".join(on_segment.get(s, ())) for s in segments["segment"]]
    flows = frames.get("Flows", pd.DataFrame(columns=["route", "corridor", "period", "flow"]))
    flows = flows.copy()
    if "period" in flows:
        flows["period"] = [_id(v) for v in flows["period"]]
        flows = flows[flows["period"] == period]
    routes = flows if "segments" in flows else flows.iloc[0:0]
    nodes = frames.get("Nodes", pd.DataFrame(columns=["node", "name", "lat", "lon"]))
    order = tuple(dict.fromkeys(_id(c) for c in flows.get("corridor", ())))
    return MapNetwork(nodes, segments, routes, period, flow_unit, order)


def _yes(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value) and not (isinstance(value, float) and math.isnan(value))
