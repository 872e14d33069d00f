"""Published optima: a multi-period capital budget with capex spread over periods is a 0-1
multidimensional knapsack. OR-Library's mknap1 (Petersen 1967; Weingartner and Ness 1967;
../shared/data/or-library/mknap1.txt) encoded through spend profiles must reach its proven
optima.

Encoding of a problem with n items and m constraints: m periods, each constraint i the budget
of period i. Item j is project P_j with capex W_j = sum_i w_ij, spent as the profile
w_1j / W_j; ...; w_mj / W_j over lead time m - 1, so it can start only in the first period and
is usable only in the last. It adds p_j (its profit) to segment s_j, which nothing else
serves, and flow k_j of p_j Mt/yr in the last period needs it. Unmet demand, the first stage,
is then sum_j p_j - the profit of the chosen items: its optimum is sum_j p_j - the published
optimum.
"""

from pathlib import Path

import pytest

from planner.solve.run import solve
from tests.builders import load

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "or-library" / "mknap1.txt"


def problems() -> list[tuple[list[float], list[list[float]], list[float], float]]:
    """(profits, weights[i][j], capacities, optimum) for each problem of the file."""
    numbers = DATA.read_text().split()
    pos = 0

    def take(k):
        nonlocal pos
        out = [float(v) for v in numbers[pos:pos + k]]
        pos += k
        return out

    count = int(take(1)[0])
    out = []
    for _ in range(count):
        n, m, optimum = take(3)
        n, m = int(n), int(m)
        profits = take(n)
        weights = [take(n) for _ in range(m)]
        out.append((profits, weights, take(m), optimum))
    return out


def knapsack_tables(profits, weights, capacities) -> dict:
    m, n = len(capacities), len(profits)
    periods = [{"period": 2000 + i, "budget": capacities[i]} for i in range(m)]
    last = 2000 + m - 1
    projects, segments, routes, flows = [], [], [], []
    for j in range(n):
        total = sum(weights[i][j] for i in range(m))
        profile = ";".join(repr(weights[i][j] / total) for i in range(m))
        segments.append({"segment": f"s{j}", "from": "H", "to": f"M{j}", "mode": "rail",
                         "country": "A", "capacity": 0, "cost_per_t": 0})
        routes.append({"route": f"r{j}", "flow": f"k{j}", "corridor": "C",
                       "segments": f"s{j}"})
        flows.append({"flow": f"k{j}", "origin": "H", "destination": f"M{j}", "period": last,
                      "demand": profits[j]})
        projects.append({"project": f"P{j:02d}", "segments": f"s{j}",
                         "capacity_added": profits[j], "capex": total, "lead_time": m - 1,
                         "spend_profile": profile})
    return {"Settings": [{"setting": "home_country", "value": "H"}],
            "Periods": periods, "Countries": [{"country": "H"}, {"country": "A"}],
            "Corridors": [{"corridor": "C"}], "Segments": segments, "Routes": routes,
            "Flows": flows, "Projects": projects, "RiskLimits": []}


@pytest.mark.skipif(not DATA.exists(), reason="shared/data/or-library is not beside the repo")
@pytest.mark.parametrize("index", range(7))
def test_mknap1_reaches_the_published_optimum(tmp_path, index):
    profits, weights, capacities, optimum = problems()[index]
    inst = load(tmp_path, knapsack_tables(profits, weights, capacities))
    sol = solve(inst, objective="cost", mip_gap=0)
    chosen = [j for j in range(len(profits)) if sol.portfolio[f"P{j:02d}"]]
    assert sum(profits[j] for j in chosen) == pytest.approx(optimum, abs=1e-6)
    assert sol.stages[0].value == pytest.approx(sum(profits) - optimum, abs=1e-6)
    for i, cap in enumerate(capacities):  # every period's budget holds
        assert sum(weights[i][j] for j in chosen) <= cap + 1e-6
