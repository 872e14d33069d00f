"""Run the benchmark suite and save its figures as JSON under results/benchmarks/.

    python -m benchmarks.run --sizes S M --repeat 3 [--objectives ...] [--baselines [NAME ...]]
    python -m benchmarks.report            # table and chart of the latest run

Each case runs in its own process (peak memory is its own); with --repeat the case and its
baselines run that many times and the medians of the timings are kept beside every run's
figures. Baselines (HiGHS without Pyomo, CBC from LP files)
need `cbc` on the PATH for the second (Debian: apt-get install coinor-cbc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.cases import OBJECTIVES, ROOT, instance_path

OUT = ROOT / "results" / "benchmarks"


def machine() -> dict:
    from importlib.metadata import version
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commit": commit, "python": platform.python_version(),
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "versions": {p: version(p) for p in ("pyomo", "highspy", "openpyxl", "pandas")}}


def run_case(workbook: Path, objective: str, time_limit: float, baselines: list[str],
             mip_gap: float = 1e-4, policies: dict[str, int | None] | None = None) -> dict:
    from benchmarks.case import copy_after_text

    tried = [f"{k}={copy_after_text(v)}" for k, v in (policies or {}).items()]
    command = [sys.executable, "-m", "benchmarks.case", str(workbook), objective,
               "--time-limit", str(time_limit), "--mip-gap", str(mip_gap)] + (
        ["--baselines", *baselines] if baselines else []) + (
        ["--policy", *tried] if tried else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        return {"instance": workbook.stem, "objective": objective, "error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # the case prints one JSON line


def baseline_medians(runs: list[dict]) -> dict[str, float]:
    """Median solve seconds of each baseline over the repeats (baselines repeat with ours)."""
    times: dict[str, list[float]] = {}
    for r in runs:
        for b in r.get("baselines", []):
            if "solve_seconds" in b:
                times.setdefault(b["baseline"], []).append(b["solve_seconds"])
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "kazakhstan"])
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=300)
    parser.add_argument("--mip-gap", type=float, default=1e-4,
                        help="relative gap at which every stage stops (ours and baselines)")
    parser.add_argument("--baselines", nargs="*", default=None,
                        choices=["highs_direct", "cbc_lp"],
                        help="with no names: both")
    args = parser.parse_args(argv)
    baselines = [] if args.baselines is None else (args.baselines or ["highs_direct", "cbc_lp"])
    meta = machine()  # the commit the cases run, taken before they start
    cases = []
    for name in args.sizes:
        workbook = instance_path(name, OUT / "instances")
        for objective in args.objectives:
            runs = [run_case(workbook, objective, args.time_limit, baselines, args.mip_gap)
                    for _ in range(args.repeat)]
            ok = [r for r in runs if "error" not in r]
            case = dict(ok[0]) if ok else dict(runs[0])
            case["size_name"] = name
            if ok:
                case["median_total_seconds"] = statistics.median(r["total_seconds"] for r in ok)
                case["median_seconds"] = {  # brief: None where the planner has none
                    k: statistics.median(r["seconds"][k] for r in ok)
                    if ok[0]["seconds"][k] is not None else None for k in ok[0]["seconds"]}
                case["runs"] = [r["seconds"] for r in ok]
                case["run_stages"] = [r["stages"] for r in ok]  # "stages": the first run's
                case["baseline_median_seconds"] = baseline_medians(ok)
            cases.append(case)
            print(f"{name:>10} {objective:<20} "
                  f"{case.get('median_total_seconds', float('nan')):8.1f} s "
                  f"{case.get('status', case.get('error', '')[:60])}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{meta['when'][:19].replace(':', '')}-{meta['commit']}.json"
    path.write_text(json.dumps({"machine": meta, "cases": cases}, indent=1))
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
