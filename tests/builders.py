"""Tiny hand-solvable instances, written as real .xlsx workbooks of format v1."""

from __future__ import annotations

import copy
from pathlib import Path

from planner.report.template import write_input
from planner.inputs.read import read_workbook


def two_corridors() -> dict[str, list[dict]]:
    """Home H ships 10 Mt/yr to market M over corridor CA (country A, 10 Mt/yr, 10 USD/t) or
    corridor CB (country B, no capacity yet, 20 USD/t). Project PB adds 10 Mt/yr to CB's
    segment for 100 USD m; the single period's budget is 100."""
    return {
        "Settings": [{"setting": "home_country", "value": "H"}],
        "Periods": [{"period": 2026, "budget": 100}],
        "Countries": [{"country": "H"}, {"country": "A"}, {"country": "B"}],
        "Corridors": [{"corridor": "CA"}, {"corridor": "CB"}],
        "Segments": [
            {"segment": "sA", "from": "H", "to": "M", "mode": "rail", "country": "A",
             "capacity": 10, "cost_per_t": 10},
            {"segment": "sB", "from": "H", "to": "M", "mode": "rail", "country": "B",
             "capacity": 0, "cost_per_t": 20},
        ],
        "Routes": [{"route": "rA", "flow": "K", "corridor": "CA", "segments": "sA"},
                   {"route": "rB", "flow": "K", "corridor": "CB", "segments": "sB"}],
        "Flows": [{"flow": "K", "origin": "H", "destination": "M", "period": 2026,
                   "demand": 10}],
        "Projects": [{"project": "PB", "segments": "sB", "capacity_added": 10, "capex": 100}],
        "RiskLimits": [],
    }


def through_home(tables: dict) -> dict:
    """The base case with both routes starting on a home segment sH (O -> H, country H)."""
    out = copy.deepcopy(tables)
    out["Segments"].insert(0, {"segment": "sH", "from": "O", "to": "H", "mode": "rail",
                               "country": "H", "capacity": 100, "cost_per_t": 1})
    for route in out["Routes"]:
        route["segments"] = "sH; " + route["segments"]
    out["Flows"][0]["origin"] = "O"
    return out


def assert_same_stages(full, other) -> None:
    """Every stage of ``other`` (a decomposed solve) ends at the value of ``full``'s (the model
    with every closure copy), 1e-6 relative."""
    import pytest
    assert [s.name for s in other.stages] == [s.name for s in full.stages]
    for a, b in zip(full.stages, other.stages):
        assert b.value == pytest.approx(a.value, rel=1e-6, abs=1e-9), a.name


def edit(tables: dict, **changes) -> dict:
    """A deep copy with whole sheets replaced: edit(t, Projects=[...])."""
    out = copy.deepcopy(tables)
    out.update(changes)
    return out


def setting(tables: dict, name: str, value) -> dict:
    out = copy.deepcopy(tables)
    out["Settings"] = [r for r in out.get("Settings", []) if r["setting"] != name]
    out["Settings"].append({"setting": name, "value": value})
    return out


def write(tmp_path: Path, tables: dict, name: str = "case.xlsx") -> Path:
    return write_input(tmp_path / name, tables)


def load(tmp_path: Path, tables: dict, name: str = "case.xlsx"):
    return read_workbook(write(tmp_path, tables, name))


def solve_tables(tmp_path: Path, tables: dict, **options):
    """Write, read, solve and evaluate: the whole pipeline on a real workbook."""
    from planner.analysis.measures import evaluate
    from planner.solve.run import solve

    inst = load(tmp_path, tables)
    sol = solve(inst, **options)
    return sol, evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)


def periods(*rows) -> list[dict]:
    """periods((2026, 100), (2028, 100, {'weight': 0}))"""
    out = []
    for row in rows:
        record = {"period": row[0], "budget": row[1]}
        if len(row) > 2:
            record.update(row[2])
        out.append(record)
    return out


def demand(flow: str, origin: str, destination: str, **by_period) -> list[dict]:
    """demand('K', 'H', 'M', **{'2026': 10, '2028': 10})"""
    return [{"flow": flow, "origin": origin, "destination": destination, "period": int(t),
             "demand": d} for t, d in by_period.items()]


def project(pid: str, segments: str, capacity: float, capex: float, **more) -> dict:
    return {"project": pid, "segments": segments, "capacity_added": capacity, "capex": capex,
            **more}
