"""The planner command: solve, validate, template, routes, scenarios, robust, frontier,
alternatives, compare, brief. Argument handling and printing only; the work is in the modules
it calls.

Exit status, one rule for every command (EPILOG): 0 solved, 1 internal error, 2 invalid input
or unwritable output, 3 impossible plan, 4 no portfolio found in time, 130 interrupted
(Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from planner import __version__, interrupt

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PORTFOLIO = 0, 1, 2, 3, 4


def exit_status(status: str) -> int:
    """The exit status a solve's outcome gives the command it decides (EPILOG): 3 for an
    impossible plan, 4 for no portfolio within the time limit, else 0."""
    return {"infeasible": EXIT_INFEASIBLE, "no_portfolio": EXIT_NO_PORTFOLIO}.get(status, EXIT_OK)


EPILOG = """\
objectives (what is minimised after unmet demand; then the cost):
  worst_disruption     the largest share of trade stranded by any one closure (default)
  max_share            the largest share of trade through one corridor or country
  expected_disruption  the risk-weighted mean share of trade stranded by a closure
  cost                 capex plus transport cost only (dependence only through RiskLimits)
  Shares are means over the measured periods; closures are per corridor or per country
  (Settings: dependence_unit).

exit status, the same for every command:
  0    solved (optimal, or the best portfolio found at the time limit, marked so)
  1    internal error (PLANNER_DEBUG=1 shows the traceback)
  2    invalid input or option, or output that cannot be written
  3    impossible plan (the conflicting rows are named)
  4    no portfolio found within the time limit
  130  interrupted (Ctrl-C); 143 stopped by SIGTERM, 129 by SIGHUP (128 + the
       signal): within a second or two, workers ended, nothing written
  3 and 4 are decided by the plan of solve and robust, the status quo and best
  portfolios of frontier, the optimum of alternatives, and the base case of scenarios
  (which still writes its workbook: a scenario without a portfolio is marked there and
  in the terminal, and exits 0 when the base has one); validate, template, routes, compare
  and brief end 0, 1 or 2 (or 129, 130, 143).
Nothing is ever written to an input workbook; a results file is written whole or not at all.

time limit: a solve gets --time-limit S seconds per stage, and S x its stages (3; 2 for
  the cost objective; 4 for a frontier point or an alternative) for everything: reading
  the workbook, screening the closures, building the model, the stages and the analysis
  (sheets Value, Chains, Leverage), plus an allowance to measure and write the results
  (15 s for a network of 500 projects; docs/solving.md, The clock). What does not fit is
  left out and named (exit 0; the Summary's left_out row), or, before any portfolio was
  found, exit 4. Each solve of scenarios, frontier and alternatives has its own budget.
"""

COMMANDS = """\
commands:
  solve         choose the portfolio and write a results workbook
  validate      list every problem of an input workbook
  template      write an empty input workbook to fill in
  routes        write the workbook again with the routes generated from its segments
  scenarios     solve the base and every scenario of sheet Scenarios, side by side
  robust        one portfolio for all scenarios at once
  frontier      least capex for each dependence target: the price of resilience
  alternatives  other portfolios nearly as good as the optimum
  compare       two results workbooks side by side
  brief         (re)make the decision brief (PDF and HTML) of a results workbook

'planner COMMAND --help' describes each command's options.
"""


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="planner", formatter_class=formatter, epilog=EPILOG,
        description="Corridor Planner: choose which corridor infrastructure projects to fund,\n"
                    "and when, so that trade depends as little as possible on any single "
                    "route.\n\n" + COMMANDS)
    parser.add_argument("--version", action="version", version=f"planner {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="arguments", help="one of the commands above")

    def command(name, text):  # listed once, in COMMANDS: argparse's own list wraps them
        return sub.add_parser(name, description=text[0].upper() + text[1:] + ".",
                              epilog=EPILOG, formatter_class=formatter)

    solve = command("solve", "choose the portfolio and write a results workbook")
    _workbook(solve)
    solve.add_argument("-o", "--output", type=Path, metavar="OUT",
                       help="results workbook to write (default: results/<input "
                            "name>-results.xlsx)")
    _model_options(solve)
    solve.add_argument("--threads", type=int, metavar="N",
                       help="HiGHS threads (default: HiGHS's own choice)")
    solve.add_argument("-v", "--verbose", action="store_true",
                       help="show the HiGHS log (default: off)")
    solve.add_argument("--analysis", choices=("auto", "full", "summary"),
                       help="what follows the solve: full (sheets Value, Chains, Leverage), "
                            "summary (the appraisal only; those sheets named as left out), "
                            "auto (full up to a few hundred projects; default: the Settings "
                            "sheet's analysis, else auto)")
    _no_brief(solve)

    validate = command("validate", "list every problem of an input workbook")
    _workbook(validate)

    template = command("template", "write an empty input workbook to fill in")
    template.add_argument("output", type=Path, metavar="OUT",
                          help="the .xlsx file to write, with an Instructions sheet, "
                               "drop-down lists and an example of each sheet")
    template.add_argument("--force", action="store_true",
                          help="replace OUT if it exists (default: an existing file is "
                               "refused, exit 2: it may be a filled workbook)")

    routes = command("routes", "write the workbook again with the routes generated from its "
                     "segments")
    _workbook(routes)
    routes.add_argument("-o", "--output", type=Path, metavar="OUT",
                        help="the workbook to write: a copy of WORKBOOK with the generated "
                             "routes added to sheet Routes, column source 'generated' "
                             "(default: results/<input name>-routes.xlsx)")

    scenarios = command("scenarios", "solve the base and every scenario of sheet Scenarios, "
                        "side by side")
    _workbook(scenarios)
    _batch_options(scenarios)
    _no_brief(scenarios)

    robust = command("robust", "one portfolio for all scenarios at once")
    _workbook(robust)
    _batch_options(robust)

    frontier = command("frontier", "least capex for each dependence target: the price of "
                       "resilience")
    _workbook(frontier)
    frontier.add_argument("--points", type=int, default=5, metavar="N",
                          help="number of dependence targets, from the status quo to the "
                               "best reachable, at least 2 (default: 5)")
    _batch_options(frontier)

    alternatives = command("alternatives", "other portfolios nearly as good as the optimum")
    _workbook(alternatives)
    alternatives.add_argument("-k", type=int, default=5, metavar="K",
                              help="how many portfolios, the optimum included (default: 5)")
    alternatives.add_argument("--within", default="10%", metavar="D",
                              help="how far above the optimum's dependence: a percentage of "
                                   "the optimum, 10%% (default: a 7.0%% optimum admits up to "
                                   "7.7%%), or percentage points, 0.5pp (7.0%% -> 7.5%%); a "
                                   "bare number is refused as ambiguous")
    alternatives.add_argument("--tries", type=int, metavar="N",
                              help="at most N solves after the optimal one (default: 3 x K): "
                                   "portfolios dominated by one found before are skipped")
    _batch_options(alternatives, parallel=False)  # each alternative needs the ones before

    compare = command("compare", "two results workbooks side by side")
    compare.add_argument("first", type=Path, metavar="A.xlsx",
                         help="a results workbook written by 'planner solve' (the reference)")
    compare.add_argument("second", type=Path, metavar="B.xlsx",
                         help="another results workbook, compared with the first")
    compare.add_argument("-o", "--output", type=Path, metavar="OUT",
                         help="comparison workbook to write (default: "
                              "results/<A>-vs-<B>.xlsx)")

    brief = command("brief", "(re)make the decision brief (PDF and HTML) of a results workbook")
    brief.add_argument("results", type=Path, metavar="RESULTS.xlsx",
                       help="a results workbook written by 'planner solve'; never written")
    brief.add_argument("-o", "--output", type=Path, metavar="NAME",
                       help="write NAME.pdf and NAME.html (default: <RESULTS>-brief.pdf and "
                            ".html beside the workbook)")
    return parser


def _no_brief(parser) -> None:
    parser.add_argument("--no-brief", action="store_true",
                        help="write no decision brief (<OUT name>-brief.pdf and .html beside "
                             "the workbook; default: written)")


def _brief_targets(output: Path, no_brief: bool) -> tuple:
    """The brief's files beside ``output``, checked before any solve (none with --no-brief)."""
    from planner.report.brief import brief_paths
    from planner.report.xlsx import check_target

    if no_brief:
        return ()
    paths = brief_paths(output)
    for path in paths:
        check_target(path)
    return paths


def _workbook(parser) -> None:
    parser.add_argument("workbook", type=Path, metavar="WORKBOOK",
                        help="the input workbook (.xlsx; 'planner template' writes an empty "
                             "one); never written")


def _model_options(parser, dependence: bool = False) -> None:
    """``dependence``: the command compares dependence, so refuses the cost objective."""
    from planner.inputs import schema

    allowed = [o for o in schema.OBJECTIVES if not (dependence and o == "cost")]
    parser.add_argument("--objective", choices=schema.OBJECTIVES, metavar="OBJECTIVE",
                        help="what to minimise after unmet demand: " + ", ".join(allowed) +
                             ("; not cost: this command compares dependence" if dependence
                              else "") + " (see below; default: the Settings sheet's "
                             "objective, else worst_disruption)")
    parser.add_argument("--time-limit", type=float, metavar="S",
                        help="seconds of wall clock per solver stage; a solve gets S x its "
                             "stages for everything, reading and analysis included, plus an "
                             "allowance to write (see 'time limit' below; default: Settings "
                             "time_limit_s, else 300)")
    parser.add_argument("--mip-gap", type=float, metavar="G",
                        help="relative gap at which a stage stops, a fraction: 0.0001 = "
                             "0.01%% (default: Settings mip_gap, else 0.0001)")


def _batch_options(parser, parallel: bool = True) -> None:
    """Options of the commands that run many solves."""
    parser.add_argument("-o", "--output", type=Path, metavar="OUT",
                        help="comparison workbook to write (default: results/<input "
                             f"name>-{parser.prog.split()[-1]}.xlsx)")
    _model_options(parser, dependence=parser.prog.split()[-1] != "scenarios")
    if parallel:
        parser.add_argument("--jobs", type=int, metavar="N",
                            help="worker processes, each solving with one HiGHS thread "
                                 "(default: one per core)")
        parser.add_argument("--scheduler", metavar="ADDRESS",
                            help="run on this Dask scheduler, tcp://host:8786, instead of "
                                 "local processes (default: none; needs pip install "
                                 "'.[dask]')")


def pct(value) -> str:
    """A share as a percentage with one decimal: 0.0697 -> '7.0%'."""
    return "n/a" if value is None or value != value else f"{value:.1%}"


def usd(value, unit: str = "USD m") -> str:
    """Money in its unit with thousands separators: 7262 -> '7,262.0 USD m'."""
    return "n/a" if value is None or value != value else f"{value:,.1f} {unit}"


def mt(value, unit: str = "Mt/yr") -> str:
    return "n/a" if value is None or value != value else f"{value:,.1f} {unit}"


def horizon_unit(flow_unit: str) -> str:
    from planner.report.xlsx import total_unit
    return total_unit(flow_unit)


def rates(flow_unit: str) -> str:
    from planner.report.xlsx import rates_unit
    return rates_unit(flow_unit)


def unmet_words(inst, ms) -> str:
    """'19.0 Mt/yr in 2026, 17.2 Mt/yr in 2029 (190.5 Mt over the horizon)', '' if none."""
    unit = inst.settings.flow_unit
    shown = [f"{mt(v, unit)} in {t}" for t, v in ms.unmet_per_period.items() if v > 1e-6]
    if not shown:
        return ""
    return f"{', '.join(shown)} ({mt(ms.unmet_total, horizon_unit(unit))} over the horizon)"


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """Lines of a table whose columns are as wide as their longest cell."""
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    def line(cells):
        return "  " + "  ".join(str(c).rjust(w) if j in right else str(c).ljust(w)
                                for j, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header)] + [line(r) for r in rows]


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
        from planner.studies.tradeoffs import parse_within
        try:
            parse_within(args.within)
        except ValueError as err:
            return str(err)
    return None


def _not_an_input(output: Path, *inputs: Path) -> None:
    """Refuse an output that is one of the command's inputs: writing it would destroy the
    input (the same file under any spelling of its path)."""
    from planner.inputs.problems import InputError, Problem

    if any(output.resolve() == source.resolve() for source in inputs):
        raise InputError([Problem(None, None, None, str(output), "another output file: this "
                                  "one is an input workbook (choose another -o)")])


def _read_for(args, command: str):
    """The validated instance and the output path of a command that writes one workbook;
    the output is checked before any solve starts. The warnings are printed; sheet
    Scenarios is checked in full only for the commands that use it."""
    from planner.inputs.read import read_workbook  # noqa: F401 (imported before the clock)
    from planner.report.xlsx import check_target

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
    from planner.inputs.read import validate_workbook
    problems = validate_workbook(args.workbook)
    _print_problems(problems)
    errors = [p for p in problems if not p.warning]
    if errors:
        return _fail(f"{args.workbook}: {len(errors)} problem(s) to fix.", EXIT_INPUT)
    print(f"{args.workbook}: ready to solve"
          + (f" ({len(problems)} warning(s))." if problems else "."))
    return EXIT_OK


def cmd_template(args) -> int:
    from planner.report.template import write_template
    write_template(args.output, replace=args.force)
    print(f"wrote {args.output}")
    return EXIT_OK


def cmd_routes(args) -> int:
    """The workbook again with its generated routes (Settings route_generation says which
    flows get them) and the corridors made for them, for a planner to read, edit and keep."""
    from planner.report.routes import new_corridors, new_routes, write_routes

    inst, output = _read_for(args, "routes")
    added = new_routes(inst)
    write_routes(args.workbook, inst, output)
    flows = len({r.flow for r in added})
    made = new_corridors(inst)
    note = "" if inst.settings.route_generation != "off" else \
        " (Settings route_generation is off: set it to missing or all to generate them)"
    print(f"wrote {output}: {len(added)} generated route(s) for {flows} flow(s) added to sheet "
          f"Routes{note}" + (f", {len(made)} corridor(s) to sheet Corridors" if made else "")
          + ".")
    return EXIT_OK


def cmd_solve(args) -> int:
    from planner.report.brief import BriefWorker

    if args.no_brief:
        return _solve(args, False)
    # started before the workbook is read: it loads matplotlib while the command reads and
    # solves, and ends with the block if the command stops before its brief
    with BriefWorker() as worker:
        return _solve(args, worker)


def _solve(args, brief) -> int:
    """planner solve; ``brief``: a BriefWorker, or False (--no-brief)."""
    from planner.analysis.bought_for_rule import bought_for_rule
    from planner.analysis.measures import evaluate
    from planner.analysis.pipeline import analyse
    from planner.solve.infeasibility import unmet_causes
    from planner.solve.highs import stop_on_ctrl_c
    from planner.report.results import status_text, write_results
    from planner.report.value import leverage_lines, value_lines
    from planner.solve.run import solve
    from planner.inputs.read import read_workbook  # noqa: F401 (imported before the clock)

    # the command's time (planner/clock.py) runs from here, reading the workbook included;
    # importing the libraries above is a fixed cost, in the allowance
    began = time.perf_counter()
    inst, output = _read_for(args, "results")
    targets = _brief_targets(output, args.no_brief)
    print(f"{args.workbook}: {len(inst.projects)} projects, {len(inst.routes)} routes, "
          f"{len(inst.segments)} segments, {len(inst.periods)} periods")
    deadline = _deadline(args, inst, began)  # reading the workbook drew on it already
    sol = solve(inst, objective=args.objective, time_limit=args.time_limit,
                mip_gap=args.mip_gap, threads=args.threads,
                log=sys.stdout if args.verbose else None, deadline=deadline)
    with stop_on_ctrl_c():  # the causes' LP, within what is left of the command's time
        causes = unmet_causes(inst, sol.portfolio, deadline.remaining()) \
            if sum(sol.unmet.values()) > 1e-6 else []  # the plan's unmet_demand
    with stop_on_ctrl_c():  # the appraisal, what each project buys, what each country holds
        done = analyse(inst, sol.portfolio, sol.objective, plan_draws=sol.draws,
                       deadline=deadline, level=args.analysis or inst.settings.analysis,
                       closure_lp=sol.closure_lp)
    # what each closure strands depends on the portfolio alone: the analysis scored it
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws,
                  stranded=done.plan.measures.stranded)
    appraisal, value, levers, left_out = done.appraisal, done.value, done.leverage, \
        done.left_out
    for_rule = bought_for_rule(inst, value) if value is not None else None
    write_results(sol, ms, output, unmet_causes=causes, appraisal=appraisal,
                  bought_for_rule=for_rule, value=value, leverage=levers, left_out=left_out,
                  budget=deadline.seconds, reference=done.reference.measures,
                  brief=brief, left_out_by=done.left_out_by)

    chosen = [p for p, t in sol.portfolio.items() if t]
    status = status_text(sol)
    unit = inst.settings.money_unit
    print(f"status: {status}")
    for stage in sol.stages:
        name = f"{stage.name} ({sol.objective})" if stage.name == "dependence" else stage.name
        shown = (pct(stage.value) + " of trade" if stage.name == "dependence" else
                 mt(stage.value, rates(inst.settings.flow_unit))
                 if stage.name == "unmet" else usd(stage.value, unit + " (discounted)")
                 if stage.name == "cost" else f"{stage.value:,.6g}")
        print(f"stage {name}: {shown} ({stage.status}, {stage.seconds:.1f} s)")
    print(f"portfolio: {len(chosen)} project(s), capex {usd(ms.total_capex, unit)}: "
          + (", ".join(f"{p}@{sol.portfolio[p]}" for p in chosen) or "none"))
    print(f"worst disruption {pct(ms.worst_disruption)}, expected "
          f"{pct(ms.expected_disruption)}, largest corridor share "
          f"{pct(ms.max_corridor_share)}, largest country share {pct(ms.max_country_share)}")
    for found in for_rule or ():
        print(f"BOUGHT FOR A RULE ALONE: {found.project} (capex {usd(found.capex, unit)}) is "
              f"{found.note()} (sheet Summary, bought_for_rule)")
    for line in value_lines(inst, value, for_rule) if value is not None else ():
        print(line)
    lines = leverage_lines(inst, levers) if levers is not None else []
    if lines:
        print("leverage of the large transit countries, reference plan -> plan (sheet Leverage):")
    for line in lines:
        print(f"  {line}")
    if ms.unmet_demand > 1e-6:
        print(f"UNMET DEMAND: {unmet_words(inst, ms)} (sheet Unmet). What binds:")
        for cause in causes:
            print(f"  - {cause}")
    _print_finance(inst, ms, appraisal)
    if left_out:
        print(f"{'ANALYSIS' if done.left_out_by else 'TIME LIMIT'}: "
              f"{left_out_words(left_out, deadline.seconds, done.left_out_by)} "
              "(sheet Summary, left_out)")
    print(f"wrote {output}" + "".join(f", {path}" for path in targets))
    return EXIT_OK


def cmd_brief(args) -> int:
    """The brief of a results workbook, from its tables alone (planner/report/brief)."""
    from planner.report.brief import brief_of, brief_paths, read_frames, write_brief
    from planner.report.xlsx import check_target

    if args.output is not None:
        name = args.output.with_suffix("") if args.output.suffix.lower() in (
            ".pdf", ".html") else args.output
        paths = (name.with_name(name.name + ".pdf"), name.with_name(name.name + ".html"))
    else:
        paths = brief_paths(args.results)
    for path in paths:
        _not_an_input(path, args.results)
        check_target(path)
    made = brief_of(read_frames(args.results))
    write_brief(made, *paths)
    print(made.sentence)
    print(f"wrote {paths[0]}, {paths[1]}")
    return EXIT_OK


def _deadline(args, inst, began: float):
    """The command's budget (planner/clock.py): --time-limit x the stages of its objective,
    from ``began`` (time.perf_counter())."""
    from planner.clock import Deadline
    from planner.model.objectives import stage_names

    limit = inst.settings.time_limit_s if args.time_limit is None else args.time_limit
    stages = stage_names(args.objective or inst.settings.objective)
    return Deadline(limit * len(stages), began=began)


def left_out_words(left_out, budget: float, by: str | None = None) -> str:
    """'sheets Chains, Leverage left out: the analysis did not finish within ...'."""
    from planner.report.results import left_out_note
    return f"sheet{'s' if len(left_out) > 1 else ''} {', '.join(left_out)} left out: " \
        + left_out_note(budget, by)


def _print_finance(inst, ms, appraisal) -> None:
    """Who pays (where sheet Sources exists) and what the plan is worth."""
    unit = inst.settings.money_unit
    if inst.sources:
        paid: dict[str, float] = {}
        for (p, s, t), amount in ms.draws.items():
            paid[s] = paid.get(s, 0.0) + amount
        print("financing: " + ", ".join(f"{s} {usd(v, unit)}" for s, v in sorted(
            paid.items(), key=lambda item: -item[1])) + f" ({pct(ms.external_share)} "
              f"from sources other than the budget; present cost to the country "
              f"{usd(ms.pv_cost_to_country, unit)})")
    a = appraisal
    if a is None or not a.pv["capex"] + a.pv["opex"]:
        return
    def rate(v):
        return "none" if v is None else pct(v)
    counted = "with the expected loss avoided" if a.with_loss else \
        "transport savings only: no loss_per_t on sheet Settings"
    line = (f"appraisal against {a.reference}: NPV {usd(a.npv, unit)}, BCR "
            f"{'n/a' if a.bcr is None else f'{a.bcr:.2f}'}, EIRR {rate(a.eirr)} ({counted})")
    if a.with_loss:
        line += (f"; without it NPV {usd(a.npv_without_resilience, unit)}, EIRR "
                 f"{rate(a.eirr_without_resilience)}")
    print(line)
    if a.with_loss and a.unmet_served_share is not None:
        print(f"  benefits (present value) {usd(a.pv_benefits, unit)}: unmet demand served at "
              f"loss_per_t {usd(a.pv['unmet_served'], unit)} ({pct(a.unmet_served_share)}, "
              f"trade the reference plan cannot carry, not a saving), transport savings "
              f"{usd(a.pv['transport_saved'], unit)}, expected loss avoided "
              f"{usd(a.pv['loss_avoided'], unit)}")


def cmd_scenarios(args) -> int:
    from planner.studies.batch import Task, run_all
    from planner.report.compare import measures_of, write_comparison
    from planner.inputs.scenarios import scenario_instances
    from planner.report.xlsx import smallest_demand

    inst, output = _read_for(args, "scenarios")
    brief = _brief_targets(output, args.no_brief)
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
    write_comparison(columns, output, title="Scenarios", definitions=definitions, notes=notes,
                     demand=smallest_demand(*(o.solution.instance for o in outcomes
                                              if o.solution)), **_names_and_units(inst))
    if brief:
        from planner.report.brief import scenario_brief, write_scenarios_brief
        write_scenarios_brief(scenario_brief(columns, _names_and_units(inst)["projects"],
                                             args.workbook.name, inst.settings.money_unit,
                                             inst.settings.flow_unit), *brief)
    for line in outcome_table(outcomes, inst):
        print(line)
    print(f"wrote {output}" + "".join(f", {path}" for path in brief))
    for o in outcomes:  # marked; the base alone decides the exit status
        if o.solution is None:
            why = o.message.strip().splitlines()[0] if o.message.strip() else o.status
            print(f"no portfolio for {o.name} ({o.status}): {why} (the workbook's notes)",
                  file=sys.stderr)
    return exit_status(outcomes[0].status)


def _names_and_units(inst) -> dict:
    return {"projects": {p: q.name for p, q in inst.projects.items()},
            "money_unit": inst.settings.money_unit, "flow_unit": inst.settings.flow_unit}


def outcome_table(outcomes, inst) -> list[str]:
    """One line per portfolio: status, dependence, capex and unmet demand (the largest in a
    period and over the horizon), columns as wide as their longest cell."""
    from planner.report.compare import OBJECTIVE_WORDS

    unit, flow = inst.settings.money_unit, inst.settings.flow_unit
    objective = next((o.solution.objective for o in outcomes if o.solution), "")
    rows = []
    for o in outcomes:
        if o.solution is None:
            rows.append([o.name, o.status, "", "", "", ""])
            continue
        sol, ms = o.solution, o.measures
        per, total = ms.unmet_per_period, ms.unmet_total
        worst = max(per, key=per.get, default=None)  # a rate is of a period: say which
        rows.append([o.name, o.status,
                     pct(ms.dependence(sol.objective, sol.instance.settings.dependence_unit)),
                     usd(ms.total_capex, unit),
                     f"{mt(per[worst], flow)} in {worst}" if worst and per[worst] > 1e-6
                     else mt(0.0, flow), mt(total, horizon_unit(flow))])
    words = OBJECTIVE_WORDS.get(objective, "dependence")
    return [f"  dependence: {words}, share of trade; unmet demand: the largest in a period "
            "and over the horizon"] + table(
        ["portfolio", "status", "dependence", "capex", "unmet (period)", "unmet (horizon)"],
        rows, right={2, 3, 4, 5})


def cmd_frontier(args) -> int:
    from planner.report.frontier import write_frontier
    from planner.studies.tradeoffs import frontier

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
        marginal = f", {usd(p.marginal, unit)} per point" if p.marginal is not None else ""
        dependence = o.measures.dependence(o.solution.objective, inst.settings.dependence_unit)
        flow = inst.settings.flow_unit
        less = (f": SERVES LESS THAN THE PLAN (unmet {mt(p.plan_unmet, rates(flow))})"
                if p.serves_less else "")
        unmet = unmet_words(inst, o.measures) or "none"
        print(f"  {o.name}: dependence {pct(dependence)} for capex "
              f"{usd(o.measures.total_capex, unit)}{marginal}, unmet demand {unmet}{less}")
    print(f"wrote {output}")
    return EXIT_OK


def cmd_alternatives(args) -> int:
    from planner.report.compare import measures_of, write_comparison
    from planner.studies.tradeoffs import alternatives, dependence_of, parse_within
    from planner.report.xlsx import smallest_demand

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
                     title="Alternatives", settings=_alternatives_settings(result, within),
                     demand=smallest_demand(inst), **_names_and_units(inst))
    for line in outcome_table(found, inst):
        print(line)
    print(f"{len(found) - 1} alternative(s) within {within.describe(optimum)}; "
          f"{len(result.skipped)} dominated portfolio(s) skipped; {result.ended}; "
          f"wrote {output}")
    return EXIT_OK


def _alternatives_settings(result, within) -> list[tuple]:
    """Sheet Settings of the alternatives workbook: how the portfolios were found."""
    from planner.studies.tradeoffs import dependence_of, selection

    optimum = dependence_of(result.outcomes[0])
    skipped = "; ".join(f"{'+'.join(sorted(selection(o))) or 'committed only'} "
                        f"(capex {usd(o.measures.total_capex)}, dominated by {by})"
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
    from planner.studies.robust import robust
    from planner.inputs.scenarios import scenario_instances
    from planner.solve.solution import PlanInfeasible

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
    from planner.report.compare import OBJECTIVE_WORDS
    print(f"worst scenario's dependence: {pct(plan.worst_dependence)} of trade "
          f"({OBJECTIVE_WORDS.get(plan.objective, plan.objective)})")
    rows = []
    for sc in plan.scenarios:
        unit = sc.instance.settings.dependence_unit
        own = sc.own.measures.dependence(sc.own.solution.objective, unit) \
            if sc.own.solution else None
        rows.append([sc.name, pct(sc.measures.dependence(plan.objective, unit)), pct(own),
                     usd(sc.measures.total_capex, inst.settings.money_unit)])
    for line in table(["scenario", "robust", "own optimum", "capex (robust)"], rows,
                      right={1, 2, 3}):
        print(line)
    print(f"wrote {output}")
    return EXIT_OK


def cmd_compare(args) -> int:
    from planner.report.compare import write_comparison
    from planner.report.results_reader import read_results
    from planner.report.xlsx import check_target, flow_unit_of

    output = args.output or Path("results") / f"{args.first.stem}-vs-{args.second.stem}.xlsx"
    _not_an_input(output, args.first, args.second)
    check_target(output)
    first, second = read_results(args.first, "A"), read_results(args.second, "B")
    columns = [(r.name, r.measures, r.portfolio) for r in (first, second)]
    if columns[0][0] == columns[1][0]:  # two files of one name: say which folder
        columns = [(f"{path.resolve().parent.name}/{name}", m, p)
                   for path, (name, m, p) in zip((args.first, args.second), columns)]
    (a, ma, _), (b, mb, _) = columns
    if args.first.resolve() == args.second.resolve():
        print(f"warning: {args.first} is compared with itself: every difference is 0",
              file=sys.stderr)
    elif ma.get("input_sha256") and mb.get("input_sha256") and \
            ma["input_sha256"] != mb["input_sha256"]:
        print(f"warning: {a} and {b} come from different input workbooks ({a}: "
              f"{ma.get('input_file')}, checksum {str(ma['input_sha256'])[:12]}; {b}: "
              f"{mb.get('input_file')}, checksum {str(mb['input_sha256'])[:12]}): their "
              "measures describe different data, not only different portfolios",
              file=sys.stderr)
    names = {**second.names, **first.names}
    money_unit = first.units.get("total_capex") or "USD m"
    flow_unit = flow_unit_of(first.units.get("unmet_demand") or "Mt/yr")
    write_comparison(columns, output, title="Comparison", projects=names,
                     money_unit=money_unit, flow_unit=flow_unit)
    for line in side_by_side(columns, money_unit, flow_unit):
        print(line)
    print(f"wrote {output}")
    return EXIT_OK


def side_by_side(columns, money_unit: str, flow_unit: str) -> list[str]:
    """The measures of two results, each in its unit, and what changed in the portfolio."""
    from planner.report.compare import (APPRAISAL, EXTRA, FINANCE, INFO, MEASURES,
                                        portfolio_changes)

    (a, ma, pa), (b, mb, pb) = columns

    def show(key, value):
        kind = INFO.get(key, ("", ""))[0]
        if value is None or value == "":
            return ""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return str(value)
        return {"share": pct(value), "money": usd(value, money_unit),
                "flow": mt(value, flow_unit), "total": mt(value, horizon_unit(flow_unit)),
                "rates": mt(value, rates(flow_unit)),
                "gap": f"{value:.3%}", "ratio": f"{value:.2f}"}.get(kind, f"{value:,.4g}")

    rows = []
    for key in ("status", "objective") + MEASURES + FINANCE + EXTRA + APPRAISAL:
        if key in ma or key in mb:
            rows.append([INFO.get(key, ("", key))[1] or key, show(key, ma.get(key)),
                         show(key, mb.get(key))])
    adds, drops, moves = portfolio_changes(pa, pb)
    lines = table(["measure", a, b], rows, right={1, 2})
    lines.append(f"  {b} against {a}: adds {', '.join(adds) or 'nothing'}; drops "
                 f"{', '.join(drops) or 'nothing'}" + (f"; moves {', '.join(moves)}"
                                                        if moves else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    """The command. Its stop handlers (planner.interrupt) are installed first, before any
    heavy import, so that a signal at any moment ends it with one line and 128 + the signal's
    number. Called as the program (``argv`` None) they stay installed for the interpreter's
    exit, so that a second Ctrl-C cannot break that off, and a stopped command exits at once;
    called with ``argv`` (a test), the previous handlers come back."""
    previous = interrupt.handlers()
    try:
        interrupt.reset()
        interrupt.install()
        status = _run(argv)
    except KeyboardInterrupt:  # one that came before _run's own handling was in place
        status = interrupted()
    finally:
        if argv is not None:
            interrupt.restore(previous)
    if argv is None:
        if interrupt.received() is not None:
            interrupt.exit_now(status)
        interrupt.end_tracker()
    return status


def _run(argv: list[str] | None) -> int:
    args = None
    try:
        args = _parser().parse_args(argv)
        bad = _bad_numbers(args)
        if bad:
            return _fail(bad, EXIT_INPUT)
        return {"solve": cmd_solve, "validate": cmd_validate, "template": cmd_template,
                "routes": cmd_routes,
                "scenarios": cmd_scenarios, "compare": cmd_compare, "frontier": cmd_frontier,
                "alternatives": cmd_alternatives, "robust": cmd_robust,
                "brief": cmd_brief}[args.command](args)
    except KeyboardInterrupt:
        return interrupted()
    except Exception as exc:
        try:
            return _failed(exc, args)
        except KeyboardInterrupt:
            return interrupted()


def _failed(exc: Exception, args) -> int:
    """The exit status and message for an exception the command ended with."""
    from planner.inputs.problems import InputError
    from planner.solve.solution import NoPortfolio, PlanInfeasible
    from planner.report.xlsx import OutputError

    if isinstance(exc, InputError):
        _print_problems(exc.warnings + exc.problems)
        source = getattr(args, "workbook", None) or "the input"
        return _fail(f"{source}: {len(exc.problems)} problem(s) to fix; nothing was "
                     "written.", EXIT_INPUT)
    if isinstance(exc, OutputError):
        return _fail(str(exc), EXIT_INPUT)
    if isinstance(exc, PlanInfeasible):
        return _fail(str(exc.explanation), EXIT_INFEASIBLE)
    if isinstance(exc, NoPortfolio):
        return _fail(str(exc), EXIT_NO_PORTFOLIO)
    if os.environ.get("PLANNER_DEBUG"):
        raise exc
    # a bug, not the planner's doing: say so without a traceback
    return _fail(f"internal error ({type(exc).__name__}: {exc}); nothing was written. "
                 "Please report it with the workbook; PLANNER_DEBUG=1 shows the details.",
                 EXIT_INTERNAL)


def interrupted() -> int:
    """One line for a stop signal; the exit status 128 + its number."""
    if interrupt.received() is None:  # a KeyboardInterrupt raised without the handlers
        interrupt.note(signal.SIGINT)
    if interrupt.written:  # the stop came after the results were in place
        return _fail(f"{interrupt.describe()} after writing {interrupt.written[-1]}",
                     interrupt.exit_status())
    return _fail(f"{interrupt.describe()}: nothing was written", interrupt.exit_status())

