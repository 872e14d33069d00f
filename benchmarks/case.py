"""One benchmark case, measured stage by stage, as a JSON object on stdout: read, validate,
build, hand-over, solve, evaluate, analysis (sheets Value, Chains, Leverage), write and brief
(null where the planner has no brief); total_seconds is their sum, the whole command.

    python -m benchmarks.case WORKBOOK OBJECTIVE [--time-limit S] [--baselines highs_direct cbc_lp]
                                                [--policy OBJECTIVE=COPY_AFTER ...]

Run in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from planner.analysis.measures import evaluate
from planner.report.results import write_results
from planner.solve.run import solve
from planner.analysis.pipeline import analyse
from planner.inputs.read import read_tables
from planner.inputs.validate import validate_tables


def set_policies(policies: dict[str, int | None]) -> dict[str, dict]:
    """Closure policies other than the planner's (closure_cuts.POLICIES), {objective:
    copy_after}, for a strategy's trial on the family; what is then in force, for the JSON."""
    from dataclasses import asdict, replace

    from planner.solve import closure_cuts

    for objective, copy_after in policies.items():
        closure_cuts.POLICIES[objective] = replace(closure_cuts.POLICIES[objective],
                                                   copy_after=copy_after)
    return {k: asdict(v) for k, v in closure_cuts.POLICIES.items()}


def measure(workbook: Path, objective: str, *, time_limit: float = 300, mip_gap: float = 1e-4,
            baselines: tuple[str, ...] = (), policies: dict[str, int | None] | None = None) -> dict:
    from planner.report.brief import BriefWorker

    # as planner solve: the brief's worker starts with the command and loads matplotlib
    # while it reads and solves
    with BriefWorker() as worker:
        return _measure(workbook, objective, time_limit, mip_gap, baselines, policies, worker)


def _measure(workbook, objective, time_limit, mip_gap, baselines, policies, worker) -> dict:
    policy = set_policies(policies or {})
    times = {}
    t0 = time.perf_counter()
    tables, problems = read_tables(workbook)
    times["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    inst, problems = validate_tables(tables, problems, workbook.name)
    times["validate"] = time.perf_counter() - t0
    if inst is None:
        raise SystemExit("invalid workbook: " + "; ".join(map(str, problems[:3])))
    sol = solve(inst, objective=objective, time_limit=time_limit, mip_gap=mip_gap)
    times["build"], times["handover"] = sol.build_seconds, sol.handover_seconds
    times["solve"] = sol.solve_seconds
    t0 = time.perf_counter()  # sheets Value, Chains and Leverage: LPs only, after the MIP
    done = analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                   level=inst.settings.analysis, closure_lp=sol.closure_lp)  # as planner solve
    times["analysis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws,
                  stranded=done.plan.measures.stranded)
    times["evaluate"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_results(sol, ms, Path(tmp) / "r.xlsx", appraisal=done.appraisal,
                      value=done.value, leverage=done.leverage, left_out=done.left_out,
                      left_out_by=done.left_out_by, reference=done.reference.measures,
                      brief=worker)  # as planner solve: the workbook and, beside it, the brief
        times["write"] = time.perf_counter() - t0
        # the brief alone, remade from the workbook (planner brief): shown beside, not in the
        # command's total, whose write made it already
        brief = brief_seconds(Path(tmp) / "r.xlsx")
    result = {
        "instance": workbook.stem, "objective": objective, "status": sol.status,
        "time_limit": time_limit, "mip_gap": mip_gap,
        "gap": sol.gap, "seconds": {**times, "brief": brief},
        "total_seconds": sum(v for v in times.values() if v is not None),
        "left_out": list(done.left_out),
        "size": sol.size, "projects": len(inst.projects), "routes": len(inst.routes),
        "segments": len(inst.segments), "countries": len(inst.countries),
        "periods": len(inst.periods),
        "stages": [{"stage": s.name, "status": s.status, "value": s.value, "bound": s.bound,
                    "gap": s.gap, "seconds": s.seconds, "nodes": s.nodes,
                    "iterations": s.iterations} for s in sol.stages],
        "dependence": ms.dependence(objective, inst.settings.dependence_unit),
        "total_capex": ms.total_capex,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "policy": policy.get(objective),
    }
    if baselines:
        from benchmarks import baselines as run
        result["baselines"] = [getattr(run, name)(inst, objective, time_limit=time_limit,
                                                  mip_gap=mip_gap) for name in baselines]
    return result


def brief_seconds(results: Path) -> float:
    """Seconds `planner brief RESULTS` takes to make the brief from a results workbook (in
    this process)."""
    from planner import cli
    t0 = time.perf_counter()
    status = cli.main(["brief", str(results)])
    if status:
        raise SystemExit(f"planner brief ended with status {status}")
    return time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook", type=Path)
    parser.add_argument("objective")
    parser.add_argument("--time-limit", type=float, default=300)
    parser.add_argument("--mip-gap", type=float, default=1e-4)
    parser.add_argument("--baselines", nargs="*", default=[],
                        choices=["highs_direct", "cbc_lp"])
    parser.add_argument("--policy", nargs="*", default=[], type=policy_arg,
                        metavar="OBJECTIVE=COPY_AFTER",
                        help="a closure policy to try (closure_cuts.ClosurePolicy.copy_after: "
                             "a number of cuts, or never)")
    args = parser.parse_args(argv)
    json.dump(measure(args.workbook, args.objective, time_limit=args.time_limit,
                      mip_gap=args.mip_gap, baselines=tuple(args.baselines),
                      policies=dict(args.policy)), sys.stdout)


def policy_arg(text: str) -> tuple[str, int | None]:
    """OBJECTIVE=COPY_AFTER: a number of cuts, or "never" (cuts alone)."""
    objective, _, after = text.partition("=")
    if objective not in ("worst_disruption", "expected_disruption") or \
            not (after.isdigit() or after == "never"):
        raise argparse.ArgumentTypeError(f"{text!r}: OBJECTIVE=COPY_AFTER, e.g. "
                                         "worst_disruption=0 or expected_disruption=never")
    return objective, None if after == "never" else int(after)


def copy_after_text(copy_after: int | None) -> str:
    """A ClosurePolicy.copy_after as policy_arg reads it: a number of cuts, or "never"."""
    return "never" if copy_after is None else str(copy_after)


if __name__ == "__main__":
    main()
