"""The benchmark family: a solver strategy is judged on many networks, not on one.

Generated networks of several seeds and shapes (benchmarks/generator.py, SHAPES), each solved
for worst_disruption and expected_disruption, with the plain formulation passed straight to
HiGHS beside each (benchmarks/baselines.py, highs_direct). Every case runs in its own process
(benchmarks/case.py) and records its read, solve, analysis, write and brief times; the report
(``python -m benchmarks.report --family``) shows each member's ratio (plain solve / our whole
solve) and the family's worst and median.

    python -m benchmarks.family                  # M and L: hours, on a quiet machine
    python -m benchmarks.family --size M --repeat 3
    python -m benchmarks.family --quick          # XS networks, seconds: checks the machinery
    python -m benchmarks.family --size M --no-baseline --policy worst_disruption=0
                                                 # a closure policy tried, ours alone

JSON goes to results/benchmarks/family-<when>-<commit>.json.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from benchmarks.generator import generate
from benchmarks.case import copy_after_text, policy_arg
from benchmarks.run import OUT, machine, run_case
from planner.report.template import write_input

OBJECTIVES = ("worst_disruption", "expected_disruption")

# (shape, seed) of each member, by size: five seeds and three shapes at M, two seeds and two
# shapes at L (M seed 0 "spread" and L seed 0 "spread" are the networks of benchmarks/cases.py)
MEMBERS = {
    "M": (("spread", 0), ("spread", 1), ("spread", 2), ("dominant", 3), ("dominant", 4),
          ("country", 5)),
    "L": (("spread", 0), ("dominant", 1)),
    "XS": (("spread", 0), ("dominant", 1), ("country", 2)),
}
# the gap each size is proven to (issue 27: L to 1e-3)
GAPS = {"M": 1e-4, "L": 1e-3, "XS": 1e-4}


def member_name(size: str, shape: str, seed: int) -> str:
    return f"{size}-{shape}-{seed}"


def member_path(size: str, shape: str, seed: int, folder: Path) -> Path:
    """The member's workbook, generated once into ``folder``."""
    path = folder / f"{member_name(size, shape, seed)}.xlsx"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_input(path, generate(size, seed=seed, shape=shape))
    return path


def run_family(sizes: list[str], *, repeat: int = 1, time_limit: float = 300,
               objectives=OBJECTIVES, baselines=("highs_direct",), out: Path = OUT,
               progress=print, in_process: bool = False,
               policies: dict[str, int | None] | None = None, members=None) -> Path:
    """Run every member of ``sizes`` for each objective ``repeat`` times (the baselines with
    them), and write the family's JSON; its path. ``in_process``: the cases run in this
    process, not each in its own (--quick: no interpreter start per case; the peak memory
    is then the process's)."""
    import json

    meta = machine()
    cases = []
    for size in sizes:
        for shape, seed in MEMBERS[size]:
            if members and f"{shape}-{seed}" not in members:
                continue
            workbook = member_path(size, shape, seed, out / "instances")
            for objective in objectives:
                runs = [(_in_process if in_process else run_case)(
                    workbook, objective, time_limit, list(baselines), GAPS[size], policies)
                    for _ in range(repeat)]
                case = summarise(runs)
                case.update(size_name=member_name(size, shape, seed), family_size=size,
                            shape=shape, seed=seed)
                cases.append(case)
                progress(f"{case['size_name']:>14} {objective:<20} "
                         f"{case.get('median_total_seconds', float('nan')):8.1f} s "
                         f"{case.get('status', case.get('error', '')[:60])}")
    out.mkdir(parents=True, exist_ok=True)
    tried = "".join(f"-{k.split('_')[0]}{copy_after_text(v)}"
                    for k, v in (policies or {}).items())
    path = out / f"family-{meta['when'][:19].replace(':', '')}-{meta['commit']}{tried}.json"
    path.write_text(json.dumps({"machine": meta, "family": True, "policies": policies or {},
                                "cases": cases}, indent=1))
    progress(f"wrote {path}")
    return path


def _in_process(workbook: Path, objective: str, time_limit: float, baselines: list[str],
                mip_gap: float, policies: dict[str, int | None] | None = None) -> dict:
    from benchmarks.case import measure
    return measure(workbook, objective, time_limit=time_limit, mip_gap=mip_gap,
                   baselines=tuple(baselines), policies=policies)


def summarise(runs: list[dict]) -> dict:
    """The first good run's figures with the medians of every run's timings beside them (as
    benchmarks/run.py keeps them); the error where every run failed."""
    from benchmarks.run import baseline_medians

    ok = [r for r in runs if "error" not in r]
    if not ok:
        return dict(runs[0])
    case = dict(ok[0])
    case["median_total_seconds"] = statistics.median(r["total_seconds"] for r in ok)
    case["median_seconds"] = {k: statistics.median(r["seconds"][k] for r in ok
                                                   if r["seconds"].get(k) is not None)
                              if any(r["seconds"].get(k) is not None for r in ok) else None
                              for k in ok[0]["seconds"]}
    case["runs"] = [r["seconds"] for r in ok]
    case["run_stages"] = [r["stages"] for r in ok]
    case["baseline_median_seconds"] = baseline_medians(ok)
    return case


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", choices=["M", "L"], default=["M", "L"])
    parser.add_argument("--quick", action="store_true",
                        help="the XS members only, 20 s a stage, in this process: seconds, "
                             "a check of the machinery, not a measurement")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=300,
                        help="seconds a stage, ours and the plain formulation's")
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES))
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the JSON")
    parser.add_argument("--no-baseline", action="store_true",
                        help="ours alone, without the plain formulation beside (a policy's "
                             "trial against ours: minutes, where the baseline takes hours)")
    parser.add_argument("--policy", nargs="*", default=[], type=policy_arg,
                        metavar="OBJECTIVE=COPY_AFTER",
                        help="a closure policy to try (closure_cuts.ClosurePolicy.copy_after: "
                             "a number of cuts, or never)")
    parser.add_argument("--members", nargs="*", default=None, metavar="SHAPE-SEED",
                        help="only these members, e.g. spread-1 dominant-3")
    args = parser.parse_args(argv)
    sizes = ["XS"] if args.quick else args.size
    limit = min(args.time_limit, 20) if args.quick else args.time_limit
    return run_family(sizes, repeat=args.repeat, time_limit=limit,
                      objectives=args.objectives, out=args.out, in_process=args.quick,
                      baselines=() if args.no_baseline else ("highs_direct",),
                      policies=dict(args.policy), members=args.members)


if __name__ == "__main__":
    main()
