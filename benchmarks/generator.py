"""Seeded synthetic corridor networks, written as workbooks of format v1.

A home country ships from origin hubs to markets over corridors. Each corridor is a chain of
segments through one to three transit countries, shared by every flow that uses it; each route
is a home feeder, the corridor's chain and a link to the market. Projects add capacity to
chain segments and market links; some form precedence chains, some are exclusive options on
the same segment, a few are committed or excluded.

    python -m benchmarks.generator M out.xlsx [SEED [SHAPE]]     # SHAPE: spread, dominant, country
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, replace

from planner.report.template import write_input


@dataclass(frozen=True)
class Size:
    projects: int
    routes: int
    countries: int
    periods: int
    corridors: int
    markets: int


@dataclass(frozen=True)
class Shape:
    """How a network is laid out, beside its size: ``corridors`` scales the size's corridor
    count (fewer corridors: each carries more flows, a few dominate); ``dependence_unit`` is
    what closures and shares are measured on."""

    corridors: float = 1.0
    dependence_unit: str = "corridor"


SHAPES = {
    "spread": Shape(),  # many small corridors, closures per corridor (the default network)
    "dominant": Shape(corridors=0.25),  # a quarter of the corridors: a few carry most trade
    "country": Shape(dependence_unit="country"),  # closures and shares per transit country
}

SIZES = {
    "S": Size(projects=50, routes=40, countries=6, periods=3, corridors=8, markets=3),
    "M": Size(projects=500, routes=400, countries=20, periods=3, corridors=40, markets=8),
    "L": Size(projects=2000, routes=1500, countries=40, periods=4, corridors=120, markets=15),
    # a network of a few dozen projects, for a benchmark run that takes seconds (--quick)
    "XS": Size(projects=30, routes=24, countries=6, periods=2, corridors=8, markets=2),
}


def generate(size: Size | str, seed: int = 0, objective: str = "worst_disruption",
             finance: bool = False, shape: Shape | str = "spread") -> dict:
    """``finance``: the same network and projects, with spend profiles and sheet Sources
    added (add_finance); ``shape``: SHAPES (the default "spread" is the network as it has
    always been generated for a seed)."""
    size = SIZES[size] if isinstance(size, str) else size
    shape = SHAPES[shape] if isinstance(shape, str) else shape
    if shape.corridors != 1.0:
        size = replace(size, corridors=max(3, round(size.corridors * shape.corridors)))
    rnd = random.Random(seed)
    countries = ["HOME"] + [f"C{i:02d}" for i in range(1, size.countries)]
    transit = countries[1:]
    periods = [2026 + 3 * i for i in range(size.periods)]
    markets = [f"M{j:02d}" for j in range(size.markets)]

    segments, chains = [], {}
    for c in range(size.corridors):
        path = rnd.sample(transit, rnd.randint(1, min(3, len(transit))))
        chain = []
        for i, country in enumerate(path):
            sid = f"G{c:03d}-{i}"
            segments.append({"segment": sid, "from": f"G{c:03d}n{i}", "to": f"G{c:03d}n{i + 1}",
                             "mode": rnd.choice(["rail", "rail", "road", "sea", "border"]),
                             "country": country,
                             "capacity": rnd.choice([0, 0, 5, 10, 20, 30]),
                             "cost_per_t": rnd.randint(5, 40)})
            chain.append(sid)
        chains[c] = (chain, path)

    flows_per_origin = max(1, size.routes // (3 * size.markets))
    pairs = [(f"O{i:02d}", m) for i in range(flows_per_origin) for m in markets]
    routes, flows, feeders, links = [], [], set(), set()
    corridors_of_flow = {}
    for k, (origin, market) in enumerate(pairs):
        corridors_of_flow[k] = rnd.sample(range(size.corridors), min(size.corridors, 3))
    extra = size.routes - 3 * len(pairs)
    for _ in range(max(0, extra)):
        k = rnd.randrange(len(pairs))
        left = [c for c in range(size.corridors) if c not in corridors_of_flow[k]]
        if left:
            corridors_of_flow[k].append(rnd.choice(left))
    for k, (origin, market) in enumerate(pairs):
        fid = f"F{k:03d}"
        base = rnd.choice([6, 10, 14, 18])
        for i, t in enumerate(periods):
            flows.append({"flow": fid, "origin": origin, "destination": market, "period": t,
                          "demand": round(base * (1 + 0.1 * i), 2)})
        for c in corridors_of_flow[k]:
            chain, path = chains[c]
            feeder, link = f"H{origin}-G{c:03d}", f"L{c:03d}-{market}"
            if feeder not in feeders:
                feeders.add(feeder)
                segments.append({"segment": feeder, "from": origin, "to": f"G{c:03d}n0",
                                  "mode": "rail", "country": "HOME", "capacity": 200,
                                  "cost_per_t": rnd.randint(2, 10)})
            if link not in links:
                links.add(link)
                segments.append({"segment": link, "from": f"G{c:03d}n{len(chain)}",
                                 "to": market, "mode": "port", "country": path[-1],
                                 "capacity": rnd.choice([0, 20, 40, 60]),
                                 "cost_per_t": rnd.randint(5, 20)})
            routes.append({"route": f"R{len(routes):04d}", "flow": fid,
                           "corridor": f"G{c:03d}",
                           "segments": "; ".join([feeder] + chain + [link])})
    routes = routes[: size.routes]
    # every flow's first route is open today for its first period's demand, so unmet demand
    # is the exception (growth in later periods may still need projects)
    first_demand = {f["flow"]: f["demand"] for f in flows if f["period"] == periods[0]}
    need: dict[str, float] = {}
    opened = set()
    for r in routes:
        if r["flow"] not in opened:
            opened.add(r["flow"])
            for sid in r["segments"].split("; "):
                need[sid] = need.get(sid, 0) + first_demand[r["flow"]]
    for seg in segments:
        seg["capacity"] = max(seg["capacity"], need.get(seg["segment"], 0))
    used_flows = {r["flow"] for r in routes}
    flows = [f for f in flows if f["flow"] in used_flows]
    used = {s for r in routes for s in r["segments"].split("; ")}
    segments = [s for s in segments if s["segment"] in used]
    upgradable = [s["segment"] for s in segments if s["country"] != "HOME"]

    projects = []
    for p in range(size.projects):
        seg = rnd.choice(upgradable)
        risk = rnd.random()
        record = {"project": f"P{p:04d}", "segments": seg,
                  "capacity_added": rnd.choice([5, 10, 15, 20]),
                  "capex": rnd.choice([50, 100, 200, 400, 800]),
                  "lead_time": rnd.choice([0, 1, 1, 2]) if size.periods > 2 else 0,
                  "earliest_period": rnd.choice([None, None, None, periods[1]]),
                  "status": "candidate",
                  "risk_class": "high" if risk > 0.8 else ("medium" if risk > 0.5 else "low")}
        roll = rnd.random()
        if roll < 0.03:
            record["status"] = "committed"
            record["earliest_period"] = periods[0]
            record["capex"] = 50
        elif roll < 0.06:
            record["status"] = "excluded"
        elif roll < 0.16 and projects and projects[-1]["status"] == "candidate":
            record["requires"] = projects[-1]["project"]  # a follow-on phase
        projects.append(record)
    # exclusive options: pairs of candidates on the same segment
    by_segment: dict[str, list[dict]] = {}
    for record in projects:
        if record["status"] == "candidate" and not record.get("requires"):
            by_segment.setdefault(record["segments"], []).append(record)
    for g, (seg, group) in enumerate(sorted(by_segment.items())):
        if len(group) >= 2 and rnd.random() < 0.3:
            for record in group[:2]:
                record["exclusive_group"] = f"X{g:03d}"

    total = sum(p["capex"] for p in projects if p["status"] != "excluded")
    budget = round(0.08 * total / size.periods, -1)
    tables = {
        "Settings": [{"setting": "objective", "value": objective},
                     {"setting": "home_country", "value": "HOME"},
                     {"setting": "budget_carry_over", "value": "no"}]
        + ([{"setting": "dependence_unit", "value": shape.dependence_unit}]
           if shape.dependence_unit != "corridor" else []),
        "Periods": [{"period": t, "budget": budget, "years": 3} for t in periods],
        "Countries": [{"country": c, "risk": round(rnd.uniform(0.2, 1.0), 2)}
                      for c in countries],
        "Corridors": [{"corridor": f"G{c:03d}", "risk": round(rnd.uniform(0.2, 1.0), 2)}
                      for c in range(size.corridors)
                      if any(r["corridor"] == f"G{c:03d}" for r in routes)],
        "Segments": segments, "Routes": routes, "Flows": flows, "Projects": projects,
        "RiskLimits": [{"limit": "max_high_risk_capex_share", "unit": "total",
                        "value": 0.5}],
    }
    return add_finance(tables, seed) if finance else tables


def routes_generated(tables: dict) -> dict:
    """The same network with sheet Routes left out: the planner generates the routes from the
    segments (planner/inputs/routes.py), each corridor's chain segments tagged with its id so
    a route through a chain is in that corridor, as a listed one is, and max_detour 6."""
    out = {k: v for k, v in tables.items() if k != "Routes"}
    out["Segments"] = [dict(s, corridor=s["segment"].split("-")[0])
                       if s["segment"].startswith("G") else dict(s)
                       for s in tables["Segments"]]
    # its corridors' costs differ up to 14-fold: at the default max_detour of 3 the routes
    # the capacities were sized for are left out and demand goes unmet (24 at M)
    out["Settings"] = tables["Settings"] + [{"setting": "max_detour", "value": 6}]
    return out


def add_finance(tables: dict, seed: int) -> dict:
    """Spend profiles for projects with a lead time, four sources with their own rules and
    envelopes, and a debt-service limit, from a random stream of their own (so the network
    is the one without finance). Half the budget moves to the sources' envelopes, so money
    is as tight as before but who pays is a choice."""
    rnd = random.Random(10_000 + seed)
    periods = [p["period"] for p in tables["Periods"]]
    transit = [c["country"] for c in tables["Countries"] if c["country"] != "HOME"]
    for record in tables["Projects"]:
        n = min(record.get("lead_time") or 0, len(periods) - 1) + 1
        if n > 1 and record["status"] != "committed":
            shares = [rnd.randint(1, 4) for _ in range(n)]
            total = sum(shares)
            profile = [round(v / total, 4) for v in shares]
            profile[-1] = round(1 - sum(profile[:-1]), 4)
            record["spend_profile"] = ";".join(f"{v:g}" for v in profile)
    budget = tables["Periods"][0]["budget"]
    for period in tables["Periods"]:
        period["budget"] = round(budget / 2, -1)
        period["debt_service_limit"] = round(budget / 8, -1)
    sources = [
        {"source": "GRANT", "kind": "grant", "max_share": 0.5,
         "risk_classes": "low; medium"},
        {"source": "MDB", "kind": "loan", "rate": 0.03, "tenor_years": 20, "grace_years": 5,
         "excluded_countries": "; ".join(rnd.sample(transit, 2))},
        {"source": "BANK", "kind": "loan", "rate": 0.07, "tenor_years": 10, "max_share": 0.8},
        {"source": "PPP", "kind": "loan", "rate": 0.11, "tenor_years": 15,
         "risk_classes": "low", "max_share": 0.7},
    ]
    shares = {"GRANT": 0.1, "MDB": 0.2, "BANK": 0.1, "PPP": 0.1}
    tables["Sources"] = sources
    tables["SourceBudgets"] = [{"source": s, "period": t, "amount": round(budget * v, -1)}
                               for s, v in shares.items() for t in periods]
    tables["Settings"].append({"setting": "discount_rate", "value": 0.05})
    return tables


if __name__ == "__main__":
    name, target = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    shape = sys.argv[4] if len(sys.argv) > 4 else "spread"
    finance = name.endswith("+finance")
    size = name.removesuffix("+finance")
    print(f"wrote {write_input(target, generate(size, seed, finance=finance, shape=shape))}")
