"""Routes from the network: the paths a flow may take, generated from sheet Segments.

The rule (docs/model.md, Routes from the network): a segment is a directed link (from -> to);
a path is one list of segments, so two segments between the same nodes give two paths. A
path is admissible when it enters no country twice and costs at most ``max_detour`` times
the flow's cheapest admissible path. A generated flow gets

1. the ``routes_per_flow`` cheapest admissible paths, and
2. for each transit country and each segment on those paths, an avoidance chain: the
   ``routes_per_flow`` cheapest admissible paths avoiding it; then avoiding it and the transit
   countries of the cheapest of those; and so on until no admissible path is left.

Step 2 is what dependence asks for: the insurance route is the cheapest way around a closed
country, then around that way's own countries too, however far it lies from the cheapest.

The network is a networkx MultiDiGraph (one edge per segment); paths are searched on its
subdivision, each segment a node between its two ends, because ``shortest_simple_paths``
refuses multigraphs, and a simple path there is a simple path of the network using one of
the parallel segments.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import networkx as nx

from planner.inputs.problems import Problem

# paths of a flow listed in cost order before an avoidance is searched on its own graph
LISTED_PATHS = 64
COST_TOLERANCE = 1e-9  # relative: a path at the detour limit is within it


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


def _subdivided(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """The network with each segment made a node between its ends: node ('node', n) ->
    ('segment', s) weighs the segment's cost, ('segment', s) -> ('node', m) nothing."""
    out = nx.DiGraph()
    for a, b, key, cost in graph.edges(keys=True, data="cost"):
        out.add_edge(("node", a), ("segment", key), cost=cost)
        out.add_edge(("segment", key), ("node", b), cost=0.0)
    return out


def onward_costs(graph: nx.MultiDiGraph, destination: str) -> dict[str, float]:
    """Each node's cheapest cost (USD/t) to ``destination`` over the segments; the nodes that
    cannot reach it are left out."""
    if destination not in graph:
        return {}
    return nx.single_source_dijkstra_path_length(graph.reverse(copy=False), destination,
                                                 weight="cost")


def _out(succ, node):
    """(next node, segment id) of the segments leaving ``node``."""
    return iter([(onto, key) for onto, keys in succ[node].items() for key in keys])


def enters_once(countries: list[str]) -> bool:
    """Whether a path whose segments lie in ``countries`` (in travel order) enters each
    country once: its runs of one country are all of different countries."""
    runs = [c for i, c in enumerate(countries) if i == 0 or countries[i - 1] != c]
    return len(runs) == len(set(runs))


class FlowPaths:
    """The admissible paths of one flow, from ``origin`` to ``destination``, and the cheapest
    of them avoiding a set of countries and segments, each avoidance computed once.

    Where a flow has at most LISTED_PATHS admissible paths (most networks: a handful of
    corridors between two places), all are listed once by a depth-first search pruned by
    each node's cheapest cost onward, and every avoidance is read off that list. Beyond it,
    paths come in cost order from networkx's k shortest simple paths, and an avoidance the
    first LISTED_PATHS cannot answer is searched on the network without what it avoids.
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
        self._graph = None  # the subdivided network, for networkx's path search
        self._known: dict[frozenset, list[Path]] = {}
        self._sorted = False  # self.listed is every admissible path, cheapest first
        if self.reachable:
            self._list_all()

    def _list_all(self) -> None:
        """Every admissible path, when there are at most LISTED_PATHS; else the stream."""
        if self.limit is not None:
            found = self._bounded(self.limit)
        else:
            least = self.onward[self.origin]  # the cheapest path, admissible or not
            found = self._bounded(least * self.max_detour)
            if found and found[0].cost > least * (1 + COST_TOLERANCE):  # the cheapest is not
                found = self._bounded(found[0].cost * self.max_detour)
            if found:
                self.limit = found[0].cost * self.max_detour
        if found is not None and (found or self.limit is not None):
            # None: too many to list; [] with no limit yet: none within the bound, search on
            self.listed, self.complete, self._sorted = found, True, True
            return
        on_a_path = (nx.descendants(self.network, self.origin) | {self.origin}) & \
            set(self.onward)
        self._graph = _subdivided(self.network.subgraph(on_a_path))
        self._stream = self._admissible(self._graph)

    def _bounded(self, limit: float) -> list[Path] | None:
        """The admissible paths costing at most ``limit``, cheapest first (ties in the order
        of their segments' ids); None if there are more than LISTED_PATHS."""
        bound = limit * (1 + COST_TOLERANCE) + COST_TOLERANCE
        onward, succ = self.onward, self.network.succ
        found: list[Path] = []
        segments: list[str] = []
        nodes, countries = {self.origin}, []  # countries entered, in order
        # depth-first, one iterator of out-going segments per node on the path
        stack = [(self.origin, 0.0, _out(succ, self.origin))]
        while stack:
            node, cost, edges = stack[-1]
            step = next(edges, None)
            if step is None:
                stack.pop()
                if segments:
                    nodes.discard(node)
                    segments.pop()
                    countries.pop()
                continue
            onto, key = step
            link = self.links[key]
            if onto in nodes or cost + link.cost + onward.get(onto, math.inf) > bound:
                continue
            if countries and link.country != countries[-1] and link.country in countries:
                continue  # it would enter a country twice: so would every path through it
            if onto == self.destination:
                found.append(self._path(tuple(segments) + (key,)))
                if len(found) > LISTED_PATHS:
                    return None
                continue
            nodes.add(onto)
            segments.append(key)
            countries.append(link.country)
            stack.append((onto, cost + link.cost, _out(succ, onto)))
        return sorted(found, key=lambda p: (p.cost, p.segments))

    def _path(self, segments: tuple[str, ...]) -> Path:
        links = [self.links[s] for s in segments]
        return Path(sum(x.cost for x in links), segments,
                    frozenset([("segment", s) for s in segments] +
                              [("country", x.country) for x in links]))

    def _admissible(self, graph: nx.DiGraph):
        """Admissible paths of ``graph`` in cost order (networkx's k shortest simple paths),
        up to the detour limit."""
        origin, destination = ("node", self.origin), ("node", self.destination)
        if origin not in graph or destination not in graph:
            return
        search = nx.shortest_simple_paths(graph, origin, destination, weight="cost")
        while True:
            try:
                nodes = next(search)
            except (StopIteration, nx.NetworkXNoPath):
                return
            path = self._path(tuple(key for kind, key in nodes if kind == "segment"))
            if self.limit is not None and path.cost > self.limit * (1 + COST_TOLERANCE):
                return
            if not enters_once([self.links[s].country for s in path.segments]):
                continue
            if self.limit is None:
                self.limit = path.cost * self.max_detour
            yield path

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
        if not answered:  # beyond the listed paths: search the network without ``avoid``
            kept = self._graph.copy()
            kept.remove_nodes_from([("segment", s) for s, link in self.links.items()
                                    if ("segment", s) in kept and
                                    (("segment", s) in avoid or ("country", link.country)
                                     in avoid)])
            found, _ = _first(self._admissible(kept), k)
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
    segments' ids; and whether that is the answer (False: the listing was cut first)."""
    found: list[Path] = []
    for p in paths:
        if p is _CUT:
            return found, False
        if len(found) >= k and p.cost > found[k - 1].cost * (1 + COST_TOLERANCE) + \
                COST_TOLERANCE:
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

