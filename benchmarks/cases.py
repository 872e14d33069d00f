"""The benchmark cases: generated sizes and the shipped Kazakhstan instance."""

from __future__ import annotations

from pathlib import Path

from benchmarks.generator import SIZES, generate, routes_generated
from planner.report.template import write_input

ROOT = Path(__file__).resolve().parents[1]
KAZAKHSTAN = ROOT / "instances" / "kazakhstan.xlsx"
OBJECTIVES = ("worst_disruption", "max_share", "expected_disruption", "cost")
SEED = 0


def instance_path(name: str, folder: Path) -> Path:
    """The workbook of a case: the shipped Kazakhstan one, or a generated size (seed 0);
    "M+finance" is the M network with spend profiles and sheet Sources, "M+generated" the M
    network without sheet Routes (its routes generated from the segments)."""
    if name == "kazakhstan":
        return KAZAKHSTAN
    path = folder / f"{name}.xlsx"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        size, _, variant = name.partition("+")
        tables = generate(SIZES[size], seed=SEED, finance=variant == "finance")
        write_input(path, routes_generated(tables) if variant == "generated" else tables)
    return path
