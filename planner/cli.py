"""The planner command: solve, validate, template, scenarios, robust, frontier, alternatives,
compare. Argument handling and printing only; the work is in the modules it calls.

Exit status: 0 solved, 1 internal error, 2 invalid input or unwritable output, 3 impossible
plan, 4 no portfolio found in time, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from planner import __version__, schema

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PORTFOLIO = 0, 1, 2, 3, 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    solve = sub.add_parser("solve", help="choose the portfolio and write a results workbook")
    solve.add_argument("workbook", type=Path)
    solve.add_argument("-o", "--output", type=Path,
                       help="results file (default: results/<input name>-results.xlsx)")
    solve.add_argument("--objective", choices=schema.OBJECTIVES,
                       help="overrides the Settings sheet")
    solve.add_argument("--time-limit", type=float, metavar="S",
                       help="seconds per solver stage (overrides time_limit_s)")
    solve.add_argument("--mip-gap", type=float, metavar="G",
                       help="relative gap at which a stage stops (overrides mip_gap)")
    solve.add_argument("--threads", type=int, metavar="N", help="HiGHS threads")
    solve.add_argument("-v", "--verbose", action="store_true", help="show the HiGHS log")

    scenarios = sub.add_parser("scenarios", help="solve the base and every scenario of sheet "
                               "Scenarios; write one comparison workbook")
    scenarios.add_argument("workbook", type=Path)
    _batch_options(scenarios)

    frontier = sub.add_parser("frontier", help="least capex for each dependence target: "
                              "the price of resilience")
    frontier.add_argument("workbook", type=Path)
    frontier.add_argument("--points", type=int, default=5, metavar="N")
    _batch_options(frontier)

    alternatives = sub.add_parser("alternatives", help="other portfolios nearly as good")
    alternatives.add_argument("workbook", type=Path)
    alternatives.add_argument("-k", type=int, default=5, help="how many (default 5)")
    alternatives.add_argument("--within", default="10%", metavar="D",
                              help="how far above the optimum's dependence: a percentage of "
                                   "the optimum, 10%% (default: a 7.0%% optimum admits up to "
                                   "7.7%%), or percentage points, 0.5pp (7.0%% -> 7.5%%); a "
                                   "bare number is refused as ambiguous")
    alternatives.add_argument("--tries", type=int, metavar="N",
                              help="at most N solves after the optimal one (default 3 x k): "
                                   "portfolios dominated by one found before are skipped")
    _batch_options(alternatives, parallel=False)  # each alternative needs the ones before

    robust = sub.add_parser("robust", help="one portfolio for all scenarios at once")
    robust.add_argument("workbook", type=Path)
    _batch_options(robust)

    compare = sub.add_parser("compare", help="two results workbooks side by side")
    compare.add_argument("first", type=Path)
    compare.add_argument("second", type=Path)
    compare.add_argument("-o", "--output", type=Path,
                         help="default: results/<first>-vs-<second>.xlsx")

    validate = sub.add_parser("validate", help="list every problem of a workbook")
    validate.add_argument("workbook", type=Path)

    template = sub.add_parser("template", help="write an empty input workbook")
    template.add_argument("output", type=Path)
    return parser


def _batch_options(parser, parallel: bool = True) -> None:
    """Options of the commands that run many solves."""
    parser.add_argument("-o", "--output", type=Path, help="comparison workbook (default: "
                        "results/<input name>-<command>.xlsx)")
    parser.add_argument("--objective", choices=schema.OBJECTIVES)
    parser.add_argument("--time-limit", type=float, metavar="S")
    parser.add_argument("--mip-gap", type=float, metavar="G")
    if parallel:
        parser.add_argument("--jobs", type=int, metavar="N",
                            help="worker processes (default: one per core)")
        parser.add_argument("--scheduler", metavar="ADDRESS",
                            help="run on this Dask scheduler (tcp://host:8786) instead")


def _solve_options(args) -> dict:
    return {k: v for k, v in (("objective", args.objective), ("time_limit", args.time_limit),
                              ("mip_gap", args.mip_gap)) if v is not None}


def _bad_numbers(args) -> str | None:
    """A message for an option out of range, or None."""
    for name, least in (("time_limit", 1e-3), ("mip_gap", 0.0), ("threads", 1), ("jobs", 1),
                        ("points", 2), ("k", 1), ("tries", 1)):
        value = getattr(args, name, None)
        if value is not None and value < least:
            return f"--{name.replace('_', '-')} must be at least {least:g}"
    if getattr(args, "within", None) is not None:
        from planner.tradeoffs import parse_within
        try:
            parse_within(args.within)
        except ValueError as err:
            return str(err)
    return None


def _not_an_input(output: Path, *inputs: Path) -> None:
    """Refuse an output that is one of the command's inputs: writing it would destroy the
    input (the same file under any spelling of its path)."""
    from planner.problems import InputError, Problem

    if any(output.resolve() == source.resolve() for source in inputs):
        raise InputError([Problem(None, None, None, str(output), "another output file: this "
                                  "one is an input workbook (choose another -o)")])


def _read_for(args, command: str):
    """The validated instance and the output path of a command that writes one workbook;
    the output is checked before any solve starts. The warnings are printed; sheet
    Scenarios is checked in full only for the commands that use it."""
    from planner.workbook import read_workbook
    from planner.xlsx import check_target

    output = args.output or Path("results") / f"{args.workbook.stem}-{command}.xlsx"
    _not_an_input(output, args.workbook)
    inst = read_workbook(args.workbook, scenarios=command in ("scenarios", "robust"))
    _print_problems(inst.warnings)
    check_target(output)  # before a long solve, not after it
    return inst, output


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _print_problems(problems) -> None:
    for p in problems:
        print(str(p), file=sys.stderr)


def cmd_validate(args) -> int:
    from planner.workbook import validate_workbook
    problems = validate_workbook(args.workbook)
    _print_problems(problems)
    errors = [p for p in problems if not p.warning]
    if errors:
        return _fail(f"{args.workbook}: {len(errors)} problem(s) to fix.", EXIT_INPUT)
    print(f"{args.workbook}: ready to solve"
          + (f" ({len(problems)} warning(s))." if problems else "."))
    return EXIT_OK


def cmd_template(args) -> int:
    from planner.template import write_template
    write_template(args.output)
    print(f"wrote {args.output}")
    return EXIT_OK


def cmd_solve(args) -> int:
    from planner.dilution import bought_for_rule
    from planner.evaluate import evaluate
    from planner.appraisal import appraise_solution
    from planner.explain import unmet_causes
    from planner.highs import stop_on_ctrl_c
    from planner.leverage import leverage
    from planner.report.results import status_text, write_results
    from planner.report.value import leverage_lines, value_lines
    from planner.rescore import Rescorer
    from planner.value import project_value
    from planner.solution import PlanInfeasible
    from planner.solve import solve

    inst, output = _read_for(args, "results")
    print(f"{args.workbook}: {len(inst.projects)} projects, {len(inst.routes)} routes, "
          f"{len(inst.segments)} segments, {len(inst.periods)} periods")
    try:
        sol = solve(inst, objective=args.objective, time_limit=args.time_limit,
                    mip_gap=args.mip_gap, threads=args.threads,
                    log=sys.stdout if args.verbose else None)
    except PlanInfeasible as err:
        return _fail(str(err.explanation), EXIT_INFEASIBLE)
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    with stop_on_ctrl_c():  # the causes' LP, within what is left of the command's time
        causes = unmet_causes(inst, sol.portfolio, sol.time_left) \
            if ms.unmet_demand > 1e-6 else []
    for_rule = bought_for_rule(inst, sol.portfolio, sol.objective, time_limit=args.time_limit)
    appraisal = appraise_solution(inst, sol.portfolio, ms, sol.unmet)
    with stop_on_ctrl_c():  # what each project buys and each transit country holds: LPs
        score = Rescorer(inst, sol.objective)
        value = project_value(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                              rescorer=score)
        levers = leverage(inst, sol.portfolio, sol.objective, rescorer=score)
    write_results(sol, ms, output, unmet_causes=causes, appraisal=appraisal,
                  bought_for_rule=for_rule, value=value, leverage=levers)

    chosen = [p for p, t in sol.portfolio.items() if t]
    status = status_text(sol)
    unit = inst.settings.money_unit
    print(f"status: {status}")
    for stage in sol.stages:
        name = f"{stage.name} ({sol.objective})" if stage.name == "dependence" else stage.name
        print(f"stage {name}: {stage.value:,.6g} ({stage.status}, {stage.seconds:.1f} s)")
    print(f"portfolio: {len(chosen)} project(s), capex {ms.total_capex:,.1f} {unit}: "
          + (", ".join(f"{p}@{sol.portfolio[p]}" for p in chosen) or "none"))
    print(f"worst disruption {ms.worst_disruption:.1%}, expected {ms.expected_disruption:.1%}, "
          f"largest corridor share {ms.max_corridor_share:.1%}, "
          f"largest country share {ms.max_country_share:.1%}")
    for found in for_rule:
        print(f"BOUGHT FOR A RULE ALONE: {found.project} (capex {found.capex:,.1f} {unit}) is "
              f"{found.note()} (sheet Summary, bought_for_rule)")
    for line in value_lines(inst, value, for_rule):
        print(line)
    lines = leverage_lines(inst, levers)
    if lines:
        print("leverage of the large transit countries, reference plan -> plan (sheet Leverage):")
    for line in lines:
        print(f"  {line}")
    if ms.unmet_demand > 1e-6:
        periods = sorted({t for (k, t), v in sol.unmet.items() if v > 1e-6},
                         key=inst.period_index.get)
        print(f"UNMET DEMAND: {ms.unmet_demand:,.3f} {inst.settings.flow_unit} "
              f"in {', '.join(periods)} (sheet Unmet). What binds:")
        for cause in causes:
            print(f"  - {cause}")
    _print_finance(inst, ms, appraisal)
    print(f"wrote {output}")
    return EXIT_OK


def _print_finance(inst, ms, appraisal) -> None:
    """Who pays (where sheet Sources exists) and what the plan is worth."""
    unit = inst.settings.money_unit
    if inst.sources:
        paid: dict[str, float] = {}
        for (p, s, t), amount in ms.draws.items():
            paid[s] = paid.get(s, 0.0) + amount
        print("financing: " + ", ".join(f"{s} {v:,.0f}" for s, v in sorted(
            paid.items(), key=lambda item: -item[1])) + f" {unit} ({ms.external_share:.1%} "
              f"from sources other than the budget; present cost to the country "
              f"{ms.pv_cost_to_country:,.0f} {unit})")
    a = appraisal
    if a is None or not a.pv["capex"] + a.pv["opex"]:
        return
    def rate(v):
        return "none" if v is None else f"{v:.1%}"
    counted = "with the expected loss avoided" if a.with_loss else \
        "transport savings only: no loss_per_t on sheet Settings"
    line = (f"appraisal against {a.reference}: NPV {a.npv:,.0f} {unit}, BCR "
            f"{a.bcr:.2f}, EIRR {rate(a.eirr)} ({counted})")
    if a.with_loss:
        line += (f"; without it NPV {a.npv_without_resilience:,.0f} {unit}, EIRR "
                 f"{rate(a.eirr_without_resilience)}")
    print(line)


def cmd_scenarios(args) -> int:
    from planner.batch import Task, run_all
    from planner.report.compare import measures_of, write_comparison
    from planner.scenarios import scenario_instances

    inst, output = _read_for(args, "scenarios")
    if not inst.scenarios:
        return _fail(f"{args.workbook}: sheet Scenarios names no scenario; add rows "
                     "(scenario, change, target, value)", EXIT_INPUT)
    options = _solve_options(args)
    tasks = [Task(name, case, options) for name, case in scenario_instances(inst).items()]
    print(f"{args.workbook}: base and {len(inst.scenarios)} scenario(s)")
    outcomes = run_all(tasks, jobs=args.jobs, scheduler=args.scheduler, progress=print)
    columns = [(o.name, measures_of(o), o.solution.portfolio if o.solution else {})
               for o in outcomes]
    definitions = [(name, c.change, c.target, c.value if not isinstance(c.value, tuple)
                    else ("x" if c.value[0] == "scale" else "") + f"{c.value[1]:g}")
                   for name, changes in inst.scenarios.items() for c in changes]
    notes = [(o.name, o.message) for o in outcomes if o.message]
    write_comparison(columns, output, title="Scenarios", definitions=definitions, notes=notes)
    for o in outcomes:
        m = measures_of(o)
        print(f"  {o.name:<24} {o.status:<12} dependence "
              f"{m.get('dependence', float('nan')):.4f}  capex "
              f"{m.get('total_capex', float('nan')):,.1f}")
    print(f"wrote {output}")
    return EXIT_OK


def cmd_frontier(args) -> int:
    from planner.report.tradeoffs import write_frontier
    from planner.tradeoffs import frontier

    inst, output = _read_for(args, "frontier")
    try:
        points = frontier(inst, args.points, options=_solve_options(args), jobs=args.jobs,
                          scheduler=args.scheduler, progress=print)
    except ValueError as err:
        return _fail(f"{args.workbook}: frontier {err}", EXIT_INPUT)
    write_frontier(points, output)
    unit = inst.settings.money_unit
    for p in points:
        o = p.outcome
        if o.solution is None:
            print(f"  {o.name}: {o.status}")
            continue
        marginal = f", {p.marginal:,.1f} {unit} per point" if p.marginal is not None else ""
        dependence = o.measures.dependence(o.solution.objective, inst.settings.dependence_unit)
        flow = inst.settings.flow_unit
        less = (f": SERVES LESS THAN THE PLAN (unmet {p.plan_unmet:,.3f} {flow})"
                if p.serves_less else "")
        print(f"  {o.name}: dependence {dependence:.2%} for capex "
              f"{o.measures.total_capex:,.1f} {unit}{marginal}, unmet demand "
              f"{o.measures.unmet_demand:,.3f} {flow}{less}")
    print(f"wrote {output}")
    return EXIT_OK


def cmd_alternatives(args) -> int:
    from planner.report.compare import measures_of, write_comparison
    from planner.tradeoffs import alternatives, dependence_of, parse_within

    inst, output = _read_for(args, "alternatives")
    within = parse_within(args.within)
    try:
        result = alternatives(inst, args.k, within, tries=args.tries,
                              options=_solve_options(args), progress=print)
    except ValueError as err:
        return _fail(f"{args.workbook}: alternatives {err}", EXIT_INPUT)
    found = result.outcomes
    optimum = dependence_of(found[0])
    write_comparison([(o.name, measures_of(o), o.solution.portfolio) for o in found], output,
                     title="Alternatives", settings=_alternatives_settings(result, within))
    for o in found:
        m = measures_of(o)
        print(f"  {o.name:<14} dependence {m['dependence']:.4f}  capex {m['total_capex']:,.1f}")
    print(f"{len(found) - 1} alternative(s) within {within.describe(optimum)}; "
          f"{len(result.skipped)} dominated portfolio(s) skipped; {result.ended}; "
          f"wrote {output}")
    return EXIT_OK


def _alternatives_settings(result, within) -> list[tuple]:
    """Sheet Settings of the alternatives workbook: how the portfolios were found."""
    from planner.tradeoffs import dependence_of, selection

    optimum = dependence_of(result.outcomes[0])
    skipped = "; ".join(f"{'+'.join(sorted(selection(o))) or 'committed only'} "
                        f"(capex {o.measures.total_capex:,.1f}, dominated by {by})"
                        for o, by in result.skipped)
    return [("within", str(within), within.describe(optimum)),
            ("dependence_cap", result.cap, "the largest dependence an alternative may have "
             "(share of trade)"),
            ("dominated_skipped", len(result.skipped), "portfolios found but not reported: "
             "no less capex than the optimum or an earlier alternative and no better on any "
             "measure (worst and expected disruption, largest corridor and country share, "
             "transport cost, unmet demand)" + (f": {skipped}" if skipped else "")),
            ("solves", result.tries, f"after the optimal one, of at most {result.limit} "
             f"(--tries); the search ended: {result.ended}")]


def cmd_robust(args) -> int:
    from planner.report.robust import write_robust
    from planner.robust import robust
    from planner.scenarios import scenario_instances
    from planner.solution import PlanInfeasible

    inst, output = _read_for(args, "robust")
    if not inst.scenarios:
        return _fail(f"{args.workbook}: sheet Scenarios names no scenario", EXIT_INPUT)
    try:
        plan = robust(scenario_instances(inst), options=_solve_options(args), jobs=args.jobs,
                      scheduler=args.scheduler, progress=print)
    except ValueError as err:
        return _fail(f"{args.workbook}: robust {err}", EXIT_INPUT)
    except PlanInfeasible:
        return _fail("no portfolio satisfies every scenario's budgets, limits and "
                     "commitments at once; run 'planner scenarios' to see which scenario is "
                     "impossible on its own", EXIT_INFEASIBLE)
    write_robust(plan, output)
    chosen = [f"{p}@{t}" for p, t in plan.portfolio.items() if t]
    print(f"robust portfolio ({plan.status}): {', '.join(chosen) or 'none'}")
    print(f"worst scenario's dependence: {plan.worst_dependence:.4f}")
    print(f"wrote {output}")
    return EXIT_OK


def cmd_compare(args) -> int:
    from planner.report.compare import write_comparison
    from planner.results_reader import read_results

    output = args.output or Path("results") / f"{args.first.stem}-vs-{args.second.stem}.xlsx"
    _not_an_input(output, args.first, args.second)
    columns = [read_results(args.first), read_results(args.second)]
    write_comparison(columns, output, title="Comparison")
    print(f"wrote {output}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from planner.problems import InputError
    from planner.solution import NoPortfolio
    from planner.xlsx import OutputError

    args = _parser().parse_args(argv)
    bad = _bad_numbers(args)
    if bad:
        return _fail(bad, EXIT_INPUT)
    try:
        return {"solve": cmd_solve, "validate": cmd_validate, "template": cmd_template,
                "scenarios": cmd_scenarios, "compare": cmd_compare, "frontier": cmd_frontier,
                "alternatives": cmd_alternatives, "robust": cmd_robust}[args.command](args)
    except InputError as err:
        _print_problems(err.warnings + err.problems)
        source = getattr(args, "workbook", None) or "the input"
        return _fail(f"{source}: {len(err.problems)} problem(s) to fix; nothing was "
                     "written.", EXIT_INPUT)
    except OutputError as err:
        return _fail(str(err), EXIT_INPUT)
    except NoPortfolio as err:
        return _fail(str(err), EXIT_NO_PORTFOLIO)
    except KeyboardInterrupt:
        return _fail("interrupted: nothing was written", 130)
    except Exception as exc:  # a bug, not the planner's doing: say so without a traceback
        if os.environ.get("PLANNER_DEBUG"):
            raise
        return _fail(f"internal error ({type(exc).__name__}: {exc}); nothing was written. "
                     "Please report it with the workbook; PLANNER_DEBUG=1 shows the details.",
                     EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
