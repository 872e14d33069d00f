"""The S cases and the Kazakhstan instance under pytest-benchmark, run by CI on every
submission. Timings are recorded (the benchmark table), never asserted. Deterministic figures
(model sizes, stage values) must equal benchmarks/baseline.json: a formulation change must
update that file in the same commit, so that it is a visible, reviewed decision.

    python -m benchmarks.test_benchmarks --update     # rewrite baseline.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.case import measure
from benchmarks.cases import OBJECTIVES, instance_path

BASELINE = Path(__file__).with_name("baseline.json")
CASES = [(name, objective) for name in ("S", "kazakhstan") for objective in OBJECTIVES]


def deterministic(result: dict) -> dict:
    """What must not change silently: sizes and every stage's value (8 significant digits)."""
    return {"size": result["size"], "status": result["status"],
            "stages": {s["stage"]: float(f"{s['value']:.8g}") for s in result["stages"]}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("instances")


@pytest.mark.parametrize("name, objective", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_case(benchmark, folder, name, objective):
    workbook = instance_path(name, folder)
    result = benchmark.pedantic(measure, args=(workbook, objective), rounds=1, iterations=1)
    benchmark.extra_info.update(size=result["size"], seconds=result["seconds"],
                                peak_memory_mb=result["peak_memory_mb"],
                                nodes=[s["nodes"] for s in result["stages"]])
    expected = json.loads(BASELINE.read_text())[f"{name}-{objective}"]
    found = deterministic(result)
    assert found["size"] == expected["size"], \
        "model size changed: update benchmarks/baseline.json in the same commit " \
        "(python -m benchmarks.test_benchmarks --update)"
    assert found["status"] == expected["status"] == "optimal"
    for stage, value in expected["stages"].items():
        assert found["stages"][stage] == pytest.approx(value, rel=1e-6, abs=1e-9), \
            f"stage {stage} changed: a formulation change must keep the optimum"


def update(folder: Path) -> None:
    table = {f"{n}-{o}": deterministic(measure(instance_path(n, folder), o)) for n, o in CASES}
    BASELINE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")


if __name__ == "__main__" and "--update" in sys.argv:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        update(Path(tmp))
