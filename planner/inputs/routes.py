"""Routes from the network: the paths a flow may take, generated from sheet Segments.

The rule (docs/model.md, Routes from the network): a segment is a directed link (from -> to);
a path is one list of segments, so two segments between the same nodes give two paths. A
path is admissible when it enters no country twice and costs at most ``max_detour`` times
the flow's path of today (routes_from_network). A generated flow gets

1. the ``routes_per_flow`` cheapest admissible paths, and
2. for each transit country and each segment on those paths, an avoidance chain: the
   ``routes_per_flow`` cheapest admissible paths avoiding it; then avoiding it and the transit
   countries of the cheapest of those; and so on until no admissible path is left.

Step 2 is what dependence asks for: the insurance route is the cheapest way around a closed
country, then around that way's own countries too, however far it lies from the cheapest.

The network is a networkx MultiDiGraph (one edge per segment, so parallel segments are
distinct paths); networkx gives each node's cheapest cost onward (Dijkstra, without what
an avoidance avoids), which guides a best-first search of the paths in cost order. The
search applies the country rule as a path grows, not after: networkx's k shortest simple
paths (Yen's algorithm, on the network with each
segment made a node, since it refuses multigraphs) lists every path that re-enters a
country before it can skip it, and on a 600-segment grid of 20 countries it did not answer
one flow's questions in 300 s.
"""

from __future__ import annotations

import difflib
import math
from heapq import heappop, heappush
from itertools import count
from dataclasses import dataclass, field

import networkx as nx

from planner.inputs.problems import Problem

# paths of a flow listed in cost order before an avoidance is searched on its own graph
LISTED_PATHS = 64
COST_TOLERANCE = 1e-9  # relative: a path at the detour limit is within it
SEARCH_STEPS = 200_000  # partial paths one search may take up before it gives up


@dataclass(frozen=True)
class Link:
    """A segment as the generator reads it."""

    id: str
    from_node: str
    to_node: str
    country: str
    cost: float
    corridor: str = ""  # its Segments column corridor, blank for none (see corridor_of)


@dataclass(frozen=True)
class Path:
    cost: float
    segments: tuple[str, ...]
    # what the path uses: ('segment', id) and ('country', id) items, to test an avoidance
    uses: frozenset = field(default=frozenset(), compare=False, repr=False)


def network(links: list[Link]) -> nx.MultiDiGraph:
    """The segments as a directed multigraph: node -> node, one edge per segment, keyed by
    its id."""
    graph = nx.MultiDiGraph()
    for link in links:
        graph.add_edge(link.from_node, link.to_node, key=link.id, link=link, cost=link.cost)
    return graph


def onward_costs(graph: nx.MultiDiGraph, destination: str, avoid: frozenset = frozenset(),
                 links: dict[str, Link] | None = None) -> dict[str, float]:
    """Each node's cheapest cost (USD/t) to ``destination`` over the segments, those
    ``avoid`` names (('segment', id), ('country', id): ``links`` tell the countries) left
    out; the nodes that cannot reach it are left out too."""
    if destination not in graph:
        return {}
    weight = "cost"
    if avoid:
        def weight(_a, _b, keyed):  # the cheapest parallel segment not avoided, or none
            costs = [data["cost"] for key, data in keyed.items()
                     if ("segment", key) not in avoid and
                     ("country", links[key].country) not in avoid]
            return min(costs) if costs else None
    return nx.single_source_dijkstra_path_length(graph.reverse(copy=False), destination,
                                                 weight=weight)


def _out(graph: nx.MultiDiGraph, node) -> list:
    """(next node, segment id) of the segments leaving ``node``, kept on the graph once
    made (a search asks for them many times)."""
    made = graph.graph.setdefault("out", {})
    if node not in made:
        made[node] = [(onto, key) for onto, keys in graph.succ[node].items() for key in keys]
    return made[node]


def enters_once(countries: list[str]) -> bool:
    """Whether a path whose segments lie in ``countries`` (in travel order) enters each
    country once: its runs of one country are all of different countries."""
    runs = [c for i, c in enumerate(countries) if i == 0 or countries[i - 1] != c]
    return len(runs) == len(set(runs))


class FlowPaths:
    """The admissible paths of one flow, from ``origin`` to ``destination``, and the cheapest
    of them avoiding a set of countries and segments, each avoidance computed once.

    The flow's paths are listed in cost order as they are needed; an avoidance is read off
    that list, and where the first LISTED_PATHS do not answer it (most networks have fewer:
    a handful of corridors between two places), searched anew without what it avoids.
    """

    def __init__(self, graph: nx.MultiDiGraph, links: dict[str, Link], origin: str,
                 destination: str, max_detour: float, onward: dict | None = None,
                 baseline: float | None = None):
        """``onward``: each node's cheapest cost to the destination (onward_costs), when
        known already (it is the same for every flow to that destination). ``baseline``:
        the cost the detour limit multiplies (None: the cheapest admissible path's)."""
        self.links, self.max_detour, self.network = links, max_detour, graph
        self.origin, self.destination = origin, destination
        if onward is None:
            onward = onward_costs(graph, destination)
        self.onward = onward
        self.reachable = origin in onward and origin != destination  # by a chain of segments
        # the detour limit, once the cheapest is known
        self.limit = None if baseline is None else baseline * max_detour
        self.listed: list[Path] = []
        self.complete = not self.reachable  # every admissible path is in self.listed
        self._stream = iter(())
        self._known: dict[frozenset, list[Path]] = {}
        self.gave_up = False  # a search stopped at SEARCH_STEPS
        self._sorted = False  # self.listed is every admissible path, in canonical order
        if self.reachable:
            self._stream = self._in_cost_order(frozenset())

    def _path(self, segments: tuple[str, ...]) -> Path:
        links = [self.links[s] for s in segments]
        return Path(sum(x.cost for x in links), segments,
                    frozenset([("segment", s) for s in segments] +
                              [("country", x.country) for x in links]))

    def _in_cost_order(self, avoid: frozenset):
        """The admissible paths avoiding ``avoid``, cheapest first, up to the detour limit
        (the first sets it, where it is not set): a best-first search over partial paths,
        each keyed by its cost plus the cheapest cost onward, a lower bound of any way on, so
        whole paths come out cheapest first. A partial path that visits a node twice, enters
        a country twice or crosses what ``avoid`` names goes no further. At most
        SEARCH_STEPS partial paths are taken up: the rest is given up on (a warning)."""
        graph, links = self.network, self.links
        onward = self.onward if not avoid else onward_costs(graph, self.destination, avoid,
                                                            links)
        if self.origin not in onward:
            return
        tie = count()
        frontier = [(onward[self.origin], 0.0, next(tie), self.origin, (), (self.origin,), ())]
        for _ in range(SEARCH_STEPS):
            if not frontier:
                return
            bound, cost, _, node, segments, nodes, runs = heappop(frontier)
            if node == self.destination:
                if self.limit is None:
                    self.limit = cost * self.max_detour
                yield self._path(segments)
                continue
            for onto, key in _out(graph, node):
                link = links[key]
                ahead = onward.get(onto)
                if ahead is None or onto in nodes or ("segment", key) in avoid or \
                        ("country", link.country) in avoid:
                    continue
                if runs and link.country != runs[-1] and link.country in runs:
                    continue  # it would enter a country twice
                if self.limit is not None and cost + link.cost + ahead > \
                        self.limit * (1 + COST_TOLERANCE) + COST_TOLERANCE:
                    continue
                heappush(frontier, (cost + link.cost + ahead, cost + link.cost, next(tie),
                                    onto, segments + (key,), nodes + (onto,),
                                    runs if runs and runs[-1] == link.country
                                    else runs + (link.country,)))
        self.gave_up = True

    def cheapest(self, avoid: frozenset, k: int) -> list[Path]:
        """The ``k`` cheapest admissible paths that use no segment and cross no country of
        ``avoid`` (items ('segment', id) and ('country', id)), cheapest first, ties in the
        order of their segments' ids."""
        if avoid in self._known:
            return self._known[avoid]
        if self._sorted:  # every path listed, in this order: the first k avoiding it
            found = []
            for p in self.listed:
                if p.uses.isdisjoint(avoid):
                    found.append(p)
                    if len(found) == k:
                        break
            self._known[avoid] = found
            return found
        found, answered = _first(self._listed_avoiding(avoid), k)
        if self.complete and not self._sorted:  # every path is listed: ties in id order
            self.listed.sort(key=lambda p: (p.cost, p.segments))
            self._sorted = True
        if not answered:  # beyond the listed paths: search the network without ``avoid``
            found, _ = _first(self._in_cost_order(avoid), k)
        self._known[avoid] = found
        return found

    def _listed_avoiding(self, avoid: frozenset):
        """The listed paths avoiding ``avoid``, in cost order, listing more from the stream
        as they are needed; ends with _CUT where LISTED_PATHS are listed and more remain."""
        i = 0
        while True:
            while i < len(self.listed):
                if self.listed[i].uses.isdisjoint(avoid):
                    yield self.listed[i]
                i += 1
            if self.complete:
                return
            if len(self.listed) >= LISTED_PATHS:
                yield _CUT
                return
            path = next(self._stream, None)
            if path is None:
                self.complete = True
            else:
                self.listed.append(path)


_CUT = Path(math.inf, ())  # the end of a listing that is not all there is


def _first(paths, k: int) -> tuple[list[Path], bool]:
    """The ``k`` first of ``paths`` (in cost order), ties at the k-th cost decided by the
    segments' ids (among the first LISTED_PATHS of them; a grid has thousands); and whether
    that is the answer (False: the listing was cut first)."""
    found: list[Path] = []
    for p in paths:
        if p is _CUT:
            return found, False
        if len(found) >= k and (p.cost > found[k - 1].cost * (1 + COST_TOLERANCE) +
                                COST_TOLERANCE or len(found) >= k + LISTED_PATHS):
            break
        found.append(p)
    found.sort(key=lambda q: (q.cost, q.segments))
    return found[:k], True


def transit_countries(segments, links: dict[str, Link], home: str) -> list[str]:
    """The countries a chain of segments crosses, home left out, in travel order, once each."""
    return list(dict.fromkeys(links[s].country for s in segments if links[s].country != home))


def generate(paths: FlowPaths, k: int, home: str) -> list[Path]:
    """The paths of one flow by the rule of this module's docstring, cheapest first (ties in
    the order of their segments' ids)."""
    first = paths.cheapest(frozenset(), k)
    found = {p.segments: p for p in first}
    crossed: dict[tuple, list] = {}  # path -> its transit countries as avoidance items

    def transit(p: Path) -> list:
        if p.segments not in crossed:
            crossed[p.segments] = [("country", c) for c in
                                   transit_countries(p.segments, paths.links, home)]
        return crossed[p.segments]

    starts = []
    for p in first:
        starts += transit(p) + [("segment", s) for s in p.segments]
    walked: set[frozenset] = set()
    for start in dict.fromkeys(starts):
        avoid = frozenset({start})
        while avoid not in walked:  # a chain that meets a walked one goes on as it did
            walked.add(avoid)
            around = paths.cheapest(avoid, k)
            if not around:
                break
            for p in around:
                found.setdefault(p.segments, p)
            avoid = avoid.union(transit(around[0]))
    return sorted(found.values(), key=lambda p: (p.cost, p.segments))


def corridor_of(segments, links: dict[str, Link], home: str) -> str:
    """A generated route's corridor: that of its last segment with one (its gateway to the
    market names it), else 'via' its transit countries ('within' home for a domestic one)."""
    tagged = [links[s].corridor for s in segments if links[s].corridor]
    if tagged:
        return tagged[-1]
    transit = transit_countries(segments, links, home)
    if transit:
        return "via " + "/".join(transit)
    return "within " + "/".join(dict.fromkeys(links[s].country for s in segments))


def route_id(flow: str, segments) -> str:
    """A generated route's id, the same for the same flow and segments in every run."""
    return f"{flow}: " + " > ".join(segments)


def unreachable_words(graph: nx.MultiDiGraph, origin: str, destination: str) -> str:
    """Why no chain of segments leads from ``origin`` to ``destination``, naming the node
    reached nearest to the destination (counted in segments, against their direction too)."""
    if origin not in graph:
        near = difflib.get_close_matches(origin, [str(n) for n in graph], n=1)
        return (f"origin {origin!r} is on no segment" +
                (f" (is it {near[0]!r}?)" if near else ""))
    if destination not in graph:
        near = difflib.get_close_matches(destination, [str(n) for n in graph], n=1)
        return (f"destination {destination!r} is on no segment" +
                (f" (is it {near[0]!r}?)" if near else ""))
    reached = nx.descendants(graph, origin) | {origin}
    hops = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True),
                                                 destination)
    near = sorted((hops[n], str(n)) for n in reached if n in hops)
    if not near:
        return (f"the segments reach {len(reached)} node(s) from {origin!r}, none of them "
                f"linked to {destination!r} even against the segments' direction")
    h, node = near[0]
    return (f"the node nearest {destination!r} that the segments reach from {origin!r} is "
            f"{node!r}, {h} segment(s) away from it counted either way (a segment that runs "
            "from -> to the wrong way round, or a node spelt two ways?)")


def links_of(segments: dict[str, dict]) -> dict[str, Link]:
    """The segments of sheet Segments (id -> row as read) as links."""
    return {k: Link(k, r["from"], r["to"], r["country"], r["cost_per_t"],
                    r.get("corridor") or "") for k, r in segments.items()}


def generated_flows(settings, flows: dict[str, dict], routes: list[dict]) -> list[str]:
    """The flows whose routes Settings route_generation says to generate."""
    if settings.route_generation == "off":
        return []
    listed = {r.get("flow") for r in routes}
    return [k for k in flows if settings.route_generation == "all" or k not in listed]


def routes_from_network(settings, segments: dict[str, dict], flows: dict[str, dict],
                        routes: list[dict], countries: dict[str, dict],
                        corridors: dict[str, dict], problems: list,
                        projects: dict[str, dict] | None = None,
                        periods: list | None = None) -> tuple[list[dict], dict]:
    """(route records, corridor records made for them) of the flows route_generation names,
    as rows of sheets Routes and Corridors would read (source 'generated', no Excel row).
    The network is the segments that can carry something: those with capacity today or a
    project (of ``projects``, sheet Projects' rows) to add some. A flow's *path of today* is
    its cheapest admissible path whose every segment has capacity today for the flow's demand
    in its first period with demand (``periods`` in time order), else its cheapest admissible
    path with capacity today; it is always generated, and the detour limit multiplies its
    cost (where it has none, that of the cheapest admissible path): a path still to be built
    does not shrink the choice around the one trade can use today. A flow without an
    admissible path
    is a problem on its row of sheet Flows; a node named once only, a warning on its
    segment's row."""
    wanted = generated_flows(settings, flows, routes)
    if not wanted:
        return [], {}
    links = links_of(segments)
    built = {s for p in (projects or {}).values() for s in (p.get("segments") or ())}
    live = [x for x in links.values() if (segments[x.id]["capacity"] or 0) > 0 or x.id in built]
    graph = network(live)
    today: dict[float, nx.MultiDiGraph] = {}  # least capacity -> the segments with it today
    _single_nodes(segments, flows, problems)
    home = settings.home_country
    listed = {(r.get("flow"), tuple(r.get("segments") or ())) for r in routes}
    taken = {r.get("route") for r in routes}
    out: list[dict] = []
    onward: dict[tuple, dict] = {}  # (network, destination) -> onward_costs
    for k in wanted:
        f = flows[k]
        origin, destination = f["origin"], f["destination"]
        if not origin or not destination:
            continue  # reported as a blank cell
        if ("all", destination) not in onward:
            onward["all", destination] = onward_costs(graph, destination)
        by_period = f.get("demand") or {}
        first = next((by_period[t] for t in (periods or by_period)
                      if (by_period.get(t) or 0) > 0), 0.0)
        usual = None
        for least in (first, 0.0) if first > 0 else (0.0,):
            if least not in today:
                today[least] = network([x for x in live if _room(segments[x.id], least)])
            if (least, destination) not in onward:
                onward[least, destination] = onward_costs(today[least], destination)
            usual = FlowPaths(today[least], links, origin, destination, 1.0,
                              onward[least, destination]).cheapest(frozenset(), 1)
            if usual:
                break
        paths = FlowPaths(graph, links, origin, destination, settings.max_detour,
                          onward["all", destination], usual[0].cost if usual else None)
        found = generate(paths, settings.routes_per_flow, home)
        if paths.gave_up:
            problems.append(Problem(
                "Flows", f["_row"], "flow", k,
                f"a network its route search can go through: it gave up after "
                f"{SEARCH_STEPS:,} partial paths on one question, so some of flow {k}'s "
                "routes around a country or segment may be missing; lower max_detour, or "
                "list the routes that matter on sheet Routes", warning=True))
        if usual and usual[0].segments not in {p.segments for p in found}:
            found.append(usual[0])
        if not found and not any(r.get("flow") == k for r in routes):
            problems.append(Problem(
                "Flows", f["_row"], "destination", destination,
                _no_path(network(list(links.values())), graph, paths, k, origin,
                         destination)))
        for p in found:
            if (k, p.segments) in listed:
                continue  # listed already, as the planner wrote it
            rid = route_id(k, p.segments)
            if rid in taken:
                rid += " (generated)"
            taken.add(rid)
            out.append({"route": rid, "flow": k, "segments": p.segments, "_row": None,
                        "corridor": corridor_of(p.segments, links, home),
                        "source": "generated"})
    made = _corridors(out, links, countries, corridors, segments, home, problems)
    return out, made


def _room(segment: dict, demand: float) -> bool:
    """Whether a segment has capacity today for ``demand`` (for anything, when 0)."""
    capacity = segment["capacity"] or 0.0
    return capacity >= demand if demand > 0 else capacity > 0


def _no_path(every: nx.MultiDiGraph, graph: nx.MultiDiGraph, paths: FlowPaths, flow: str,
             origin: str, destination: str) -> str:
    """What to do about a flow that gets no route: ``every`` is the network of all segments,
    ``graph`` of those that can carry something."""
    if origin == destination:
        return f"a destination other than the origin of flow {flow} ({origin!r})"
    if not paths.reachable and origin in every and destination in every and \
            nx.has_path(every, origin, destination):
        chain = nx.shortest_path(every, origin, destination)
        dead = [key for a, b in zip(chain, chain[1:]) for key in every[a][b]
                if not graph.has_edge(a, b, key)]
        return (f"a chain of segments that can carry something from {origin!r} to "
                f"{destination!r} (flow {flow}): every chain between them passes a segment "
                f"with no capacity and no project to add any (such as {', '.join(dead)}); "
                "give one capacity or a project, or list the flow's routes on sheet Routes")
    graph = every
    if not paths.reachable:
        return (f"a destination the segments reach from {origin!r} (flow {flow}): no chain "
                f"of segments, each run from -> to, leads there; "
                f"{unreachable_words(graph, origin, destination)}. Add the missing segment "
                f"or correct the node, or list the flow's routes on sheet Routes")
    return (f"a path from {origin!r} to {destination!r} (flow {flow}) that enters no country "
            f"twice: every chain of segments between them leaves a country and comes back; "
            "list its routes on sheet Routes, or add a segment that avoids that")


def _single_nodes(segments: dict[str, dict], flows: dict[str, dict], problems: list) -> None:
    """A warning for each node of sheet Segments named once only on Segments and Flows: a
    dead end, most often a misspelt node."""
    count: dict[str, int] = {}
    for r in segments.values():
        for column in ("from", "to"):
            count[r[column]] = count.get(r[column], 0) + 1
    for f in flows.values():
        for column in ("origin", "destination"):
            if f.get(column):
                count[f[column]] = count.get(f[column], 0) + 1
    for r in segments.values():
        for column in ("from", "to"):
            node = r[column]
            if count.get(node) != 1:
                continue
            near = difflib.get_close_matches(node, [n for n in count if n != node], n=1)
            problems.append(Problem(
                "Segments", r["_row"], column, node,
                "a node named on another segment or flow too: this one appears once only, so "
                "no generated route can pass it" + (f" (is it {near[0]!r}?)" if near else ""),
                warning=True))


def _corridors(routes: list[dict], links: dict[str, Link], countries: dict[str, dict],
               corridors: dict[str, dict], segments: dict[str, dict], home: str,
               problems: list) -> dict[str, dict]:
    """Rows of sheet Corridors for the corridors generated routes name that it lacks: a
    closure weight (risk) of the riskiest transit country of their routes (of any country of
    a domestic one), no closure days, and a name. A corridor named by a segment's corridor
    column but missing from sheet Corridors is a warning: it was probably meant to be
    there."""
    made: dict[str, dict] = {}
    for r in routes:
        c = r["corridor"]
        if c in corridors:
            continue
        transit = transit_countries(r["segments"], links, home) or \
            list(dict.fromkeys(links[s].country for s in r["segments"]))
        risk = max(countries.get(x, {}).get("risk", 1.0) for x in transit)
        row = made.setdefault(c, {"corridor": c, "risk": risk, "closure_days": 0.0,
                                  "name": _name(c, transit, countries), "_row": None})
        row["risk"] = max(row["risk"], risk)
    for c, row in made.items():
        tagged = next((s for s in segments.values() if s.get("corridor") == c), None)
        if tagged is not None:
            row["name"] = c
            problems.append(Problem(
                "Segments", tagged["_row"], "corridor", c,
                f"an id from sheet Corridors: corridor {c} was made with the risk of the "
                f"riskiest country its routes cross ({row['risk']:g}) and no closure days; add "
                "it to sheet Corridors to set them", warning=True))
    return made


def _name(corridor: str, transit: list[str], countries: dict[str, dict]) -> str:
    names = [countries.get(c, {}).get("name") or c for c in transit]
    return ("via " if corridor.startswith("via ") else "within ") + ", ".join(names)

