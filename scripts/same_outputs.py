"""Does a change leave the planner's output workbooks as they were, cell for cell?

    python scripts/same_outputs.py                  # this tree against git ref main
    python scripts/same_outputs.py --ref integ --work /tmp/same

Writes the Kazakhstan results workbooks (``planner solve``, objective as the workbook says
and ``--objective cost``) and the comparison workbooks of
``scenarios``, ``alternatives``, ``frontier``, ``robust`` and ``compare`` twice: with the code
of ``--ref`` (exported by ``git archive`` into WORK/src, run from there) and with this tree.
Then compares every pair: sheet names and order, every cell's value and number format.
Left out, because they change from run to run: sheet "Solver log", rows whose first cell is a
timing or the version, and columns headed "seconds". Exit 0 if identical, 1 listing the
differences. ``--reuse`` keeps WORK/before if it is already there (one ref, many checks)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parents[1]
WORKBOOK = "instances/kazakhstan.xlsx"
SKIP_SHEETS = {"Solver log"}
SKIP_METRICS = {"solve_seconds", "build_seconds", "handover_seconds", "planner_version",
                "seconds"}
SKIP_HEADERS = {"seconds"}


def commands(out: Path, workbook: Path) -> list[list[str]]:
    """The planner commands whose workbooks are compared (each writes out/<name>.xlsx)."""
    k = str(workbook)
    return [
        ["solve", k, "-o", str(out / "solve.xlsx"), "--threads", "1"],
        ["scenarios", k, "-o", str(out / "scenarios.xlsx"), "--jobs", "1"],
        ["robust", k, "-o", str(out / "robust.xlsx")],
        ["frontier", k, "-o", str(out / "frontier.xlsx"), "--points", "3", "--jobs", "1"],
        ["alternatives", k, "-o", str(out / "alternatives.xlsx"), "-k", "2"],
        ["solve", k, "-o", str(out / "solve-cost.xlsx"), "--threads", "1",
         "--objective", "cost"],
        ["compare", str(out / "solve.xlsx"), str(out / "solve-cost.xlsx"),
         "-o", str(out / "compare.xlsx")],
    ]


def write(code: Path, out: Path) -> None:
    """Runs every command with the planner package of ``code`` first on the path."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(code))
    for args in commands(out, HERE / WORKBOOK):
        print(f"[{code.name}] planner {' '.join(args[:1])}", flush=True)
        done = subprocess.run([sys.executable, "-m", "planner", *args], cwd=code, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"planner {' '.join(args)} with {code} ended "
                             f"{done.returncode}:\n{done.stderr}")


def export(ref: str, into: Path) -> Path:
    """The tree of git ``ref``, unpacked into ``into``."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    archive = into.with_suffix(".tar")
    subprocess.run(["git", "archive", "-o", str(archive), ref], cwd=HERE, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def cells(path: Path) -> dict:
    book = openpyxl.load_workbook(path)
    found: dict = {"sheets": book.sheetnames}
    for ws in book.worksheets:
        if ws.title in SKIP_SHEETS:
            continue
        header = [c.value for c in ws[1]] if ws.max_row else []
        for row in ws.iter_rows():
            if str(row[0].value) in SKIP_METRICS:
                continue
            for c in row:
                if (c.row > 1 and c.column <= len(header)
                        and header[c.column - 1] in SKIP_HEADERS):
                    continue
                found[ws.title, c.coordinate] = (c.value, c.number_format)
    return found


def differences(a: Path, b: Path) -> list[str]:
    x, y = cells(a), cells(b)
    return [f"{a.name}: {key}: {x.get(key)!r} -> {y.get(key)!r}"
            for key in sorted(set(x) | set(y), key=str) if x.get(key) != y.get(key)]


def compare(before: Path, after: Path, most: int = 40) -> list[str]:
    bad: list[str] = []
    for a in sorted(before.glob("*.xlsx")):
        b = after / a.name
        bad += differences(a, b) if b.exists() else [f"{a.name}: missing in {after}"]
    return bad[:most]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git ref of the code before")
    parser.add_argument("--work", type=Path, help="folder for src/, before/, after/")
    parser.add_argument("--reuse", action="store_true",
                        help="keep WORK/before if it holds the workbooks already")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="same-outputs-"))
    before, after = work / "before", work / "after"
    if not (args.reuse and (before / "compare.xlsx").exists()):
        write(export(args.ref, work / "src"), before)
    if after.exists():
        shutil.rmtree(after)
    write(HERE, after)
    bad = compare(before, after)
    names = ", ".join(p.name for p in sorted(before.glob("*.xlsx")))
    print("\n".join(bad) or f"identical, timing and version cells aside: {names}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
