"""Render benchmark results: a Markdown table on stdout and in docs/performance.md (between its
markers), and a workbook with a chart of time against size (results/benchmarks/report.xlsx).

    python -m benchmarks.report [RESULTS.json ...]     # default: every saved run
    python -m benchmarks.report --doc -                # print only, leave the docs alone
    python -m benchmarks.report --family               # the benchmark family's latest run
    python -m benchmarks.report --family A.json B.json # each case from the last run with it

For each case (size, objective) the latest run that has it is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference

from benchmarks.cases import OBJECTIVES, ROOT
from benchmarks.run import OUT
from planner.report.xlsx import save_atomic, write_table

COLUMNS = ["case", "objective", "projects", "rows", "columns", "nonzeros", "status", "gap",
           "total_s", "pyomo_share", "solve_s", "highs_direct_s", "cbc_s", "vs_highs",
           "vs_cbc", "nodes", "peak_mb", "analysis_s"]
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- benchmarks:begin -->", "<!-- benchmarks:end -->"
FAMILY_BEGIN, FAMILY_END = "<!-- family:begin -->", "<!-- family:end -->"
LEGEND = ("pyomo_share: Pyomo build + hand-over as a share of the total; vs_highs, vs_cbc: "
          "baseline solve time / ours (above 1: we are faster), where we finished (>=: the "
          "baseline stopped at the limit); (limit): a stage stopped at the time limit; "
          "analysis_s: sheets Value, Chains and Leverage after the solve (LPs; in total_s "
          "where shown); times are medians over the repeats")


def _baseline(case: dict, name: str) -> tuple[float, bool] | None:
    """(median solve seconds, every stage proven optimal) of a baseline, or None if not
    run."""
    for b in case.get("baselines", []):
        if b.get("baseline") == name and "solve_seconds" in b:
            done = all(s.get("status") in ("optimal", "Optimal") for s in b["stages"])
            return case.get("baseline_median_seconds", {}).get(name, b["solve_seconds"]), done
    return None


def _shown(result: tuple[float, bool] | None) -> str | None:
    if result is None:
        return None
    return f"{result[0]:.2f}" + ("" if result[1] else " (limit)")


def _ratio(result: tuple[float, bool] | None, ours: float, ours_done: bool):
    """Baseline time / ours, where we finished; a baseline stopped by the limit while we
    finished gives a lower bound, shown as ">= ratio"."""
    if result is None or not ours_done:
        return None
    ratio = round(result[0] / ours, 2)
    return ratio if result[1] else f">= {ratio}"


def row(case: dict) -> list:
    if "error" in case:
        return [case.get("size_name", case["instance"]), case["objective"]] + \
            [None] * 4 + ["error"] + [None] * (len(COLUMNS) - 7)
    seconds = case.get("median_seconds", case["seconds"])
    total = case.get("median_total_seconds", case["total_seconds"])
    layer = seconds["build"] + seconds["handover"]
    direct, cbc = _baseline(case, "highs_direct"), _baseline(case, "cbc_lp")
    done = case["status"] == "optimal"
    return [case.get("size_name", case["instance"]), case["objective"], case["projects"],
            case["size"]["rows"], case["size"]["columns"], case["size"]["nonzeros"],
            case["status"], round(case["gap"], 4), round(total, 2), round(layer / total, 3),
            round(seconds["solve"], 2), _shown(direct), _shown(cbc),
            _ratio(direct, seconds["solve"], done), _ratio(cbc, seconds["solve"], done),
            sum(s["nodes"] or 0 for s in case["stages"]), round(case["peak_memory_mb"]),
            round(seconds["analysis"], 2) if "analysis" in seconds else None]


FAMILY_COLUMNS = ["member", "objective", "status", "total_s", "solve_s", "analysis_s",
                  "brief_s", "plain_s", "ratio", "same_optimum"]
FAMILY_LEGEND = ("total_s: the whole command (read to the last file written, the brief "
                 "included where it exists); plain_s: the plain formulation's HiGHS solve; "
                 "ratio: plain_s / total_s (>=: the plain formulation stopped at its time "
                 "limit, a lower bound; \"no portfolio\": it found none within that "
                 "stage's limit, and the stages after it never ran; blank: ours did not "
                 "prove its optimum); same_optimum: "
                 "every stage's value within 1e-4 of the plain formulation's, up to the "
                 "plain formulation's first stage stopped at its limit (the stages after it "
                 "are kept at its unproven value: another problem); times are medians over "
                 "the repeats")


def same_value(a: float, b: float, tolerance: float = 1e-4) -> bool:
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def family_row(case: dict) -> list:
    """A family member's row (FAMILY_COLUMNS); its ratio as a number, or (number, True)
    where it is a lower bound."""
    name = case.get("size_name", case.get("instance"))
    if "error" in case:
        return [name, case["objective"], "error"] + [None] * (len(FAMILY_COLUMNS) - 3)
    seconds = case.get("median_seconds") or case["seconds"]
    total = case.get("median_total_seconds", case["total_seconds"])
    plain = _baseline(case, "highs_direct")
    done = case["status"] == "optimal"
    ratio = same = None
    if plain is not None and done:
        ratio = round(plain[0] / total, 2) if plain[1] else (round(plain[0] / total, 2), True)
        theirs = _proven_stages(case)
        compared = [(s["value"], theirs[s["stage"]]) for s in case["stages"]
                    if theirs.get(s["stage"]) is not None]
        same = all(same_value(a, b) for a, b in compared) if compared else None
    brief = seconds.get("brief")
    shown = None if plain is None else _shown(plain)
    empty = _no_portfolio(case)
    if shown is not None and empty is not None:
        shown = shown[:-1] + f"; no portfolio in its {empty} stage)"
    return [name, case["objective"], case["status"], round(total, 2),
            round(seconds["solve"], 2), round(seconds["analysis"], 2),
            None if brief is None else round(brief, 2), shown, ratio, same]


def _plain_stages(case: dict) -> list[dict]:
    """The plain formulation's (highs_direct's) stages, in order; [] where it did not run."""
    return next((run["stages"] for run in case.get("baselines", [])
                 if run.get("baseline") == "highs_direct"), [])


def _no_portfolio(case: dict) -> str | None:
    """The plain formulation's first stage that ended with no portfolio at all (its time
    limit reached before HiGHS found one; the stages after it never ran), or None."""
    return next((s["stage"] for s in _plain_stages(case) if s.get("value") is None), None)


def _proven_stages(case: dict) -> dict[str, float]:
    """The plain formulation's stage values up to its first stage that did not finish: a
    stage after one stopped at its limit optimizes under that stage's unproven value, so its
    optimum is another problem's."""
    proven = {}
    for stage in _plain_stages(case):
        if stage.get("status") not in ("optimal", "Optimal"):
            break
        proven[stage["stage"]] = stage.get("value")
    return proven


def family_summary(rows: list[list]) -> list[str]:
    """The worst and the median ratio, for each objective and for the whole family (a ratio
    that is a lower bound counts at its bound; a member with no ratio is named)."""
    lines = []
    for objective in sorted({r[1] for r in rows}) + [None]:
        chosen = [r for r in rows if objective is None or r[1] == objective]
        ratios = [r[8][0] if isinstance(r[8], tuple) else r[8] for r in chosen
                  if r[8] is not None]
        missing = [r[0] for r in chosen if r[8] is None]
        label = objective or "the family"
        if ratios:
            line = (f"{label}: worst ratio {min(ratios):g}, median {statistics.median(ratios):g} "
                    f"over {len(ratios)} member(s)")
        else:
            line = f"{label}: no ratio"
        if missing:
            line += f"; no ratio for {', '.join(missing)}"
        lines.append(line)
    return lines


def family_markdown(rows: list[list]) -> str:
    shown = [[(f">= {v[0]}" if isinstance(v, tuple) else v) for v in r] for r in rows]
    lines = ["| " + " | ".join(FAMILY_COLUMNS) + " |", "|" + "---|" * len(FAMILY_COLUMNS)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in shown]
    return "\n".join(lines + [""] + [f"- {line}" for line in family_summary(rows)])


def family_report(paths: list[Path]) -> str:
    """The family runs' table, its summary and legend, as Markdown: each member and objective
    from the last of ``paths`` that has it (one run may hold one objective, the next the
    other)."""
    runs = [json.loads(path.read_text()) for path in paths]
    cases: dict[tuple[str, str], dict] = {}
    for run in runs:
        for case in run["cases"]:
            cases[(case.get("size_name", case.get("instance")), case["objective"])] = case
    rows = [family_row(case) for case in cases.values()]
    return "\n\n".join([family_markdown(rows), FAMILY_LEGEND + ".",
                         measured([run["machine"] for run in runs])])


def markdown(rows: list[list]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def measured(machines: list[dict]) -> str:
    """Where and when the shown runs were made, without their commits: one line per distinct
    machine and versions, with the range of dates."""
    lines = []
    for setup in sorted({(m["cpus"], m["python"], m["versions"]["pyomo"],
                          m["versions"]["highspy"]) for m in machines}):
        days = sorted(m["when"][:10] for m in machines if (
            m["cpus"], m["python"], m["versions"]["pyomo"], m["versions"]["highspy"]) == setup)
        when = days[0] if days[0] == days[-1] else f"{days[0]} to {days[-1]}"
        lines.append(f"Measured {when} on {setup[0]} cores, Python {setup[1]}, pyomo "
                     f"{setup[2]}, highspy {setup[3]}.")
    return "\n".join(lines)


def write_doc(path: Path, text: str, begin: str = BEGIN, end_marker: str = END) -> None:
    """Replace what stands between the markers of ``path`` with ``text``; the rest of the file
    is kept as it is. A file without both markers is refused and left unchanged."""
    doc = path.read_text()
    start, end = doc.find(begin), doc.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"{path}: no '{begin}' ... '{end_marker}' to put the table between")
    new = doc[:start + len(begin)] + "\n" + text.strip("\n") + "\n" + doc[end:]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new)
    os.replace(tmp, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, metavar="RESULTS.json")
    parser.add_argument("--doc", default=str(DOC),
                        help="the Markdown page whose table to rewrite ('-': none; default: "
                             "docs/performance.md)")
    parser.add_argument("--family", action="store_true",
                        help="the benchmark family's latest run (benchmarks/family.py) instead; "
                             "with files, each member and objective from the last file that "
                             "has it")
    args = parser.parse_args(argv)
    if args.family:
        # without files: the latest run of the planner's own policies (not a policy's trial)
        runs = args.files or [p for p in sorted(OUT.glob("family-*.json"))
                              if not json.loads(p.read_text()).get("policies")]
        if not runs:
            raise SystemExit("no family run yet: python -m benchmarks.family")
        runs = runs if args.files else runs[-1:]
        text = family_report(runs)
        print("\n".join(map(str, runs)) + f"\n\n{text}")
        if args.doc != "-":
            write_doc(Path(args.doc), text, FAMILY_BEGIN, FAMILY_END)
            print(f"\ntable: {args.doc}")
        return
    files = args.files or sorted(p for p in OUT.glob("*.json")
                                 if not p.name.startswith("family-"))
    if not files:
        raise SystemExit("no results yet: python -m benchmarks.run")
    cases: dict[tuple[str, str], tuple[dict, dict]] = {}
    for path in files:  # names sort by time: later runs replace earlier ones
        run = json.loads(path.read_text())
        for case in run["cases"]:
            cases[case.get("size_name", case["instance"]), case["objective"]] = \
                (case, run["machine"])
    order = ["S", "kazakhstan", "M", "L"]
    rows = [row(case) for _, (case, _) in sorted(cases.items(), key=lambda item: (
        order.index(item[0][0]) if item[0][0] in order else len(order), item[0][0],
        OBJECTIVES.index(item[0][1]) if item[0][1] in OBJECTIVES else len(OBJECTIVES)))]
    for commit, m in sorted({(m["commit"], json.dumps(m)) for _, m in cases.values()}):
        m = json.loads(m)
        print(f"commit {m['commit']} ({m['when']}): {m['cpus']} cores, Python {m['python']}, "
              f"pyomo {m['versions']['pyomo']}, highspy {m['versions']['highspy']}")
    print()
    print(markdown(rows))
    print("\n" + LEGEND)
    if args.doc != "-":
        write_doc(Path(args.doc), "\n\n".join(
            [markdown(rows), LEGEND + ".", measured([m for _, m in cases.values()])]))
        print(f"\ntable: {args.doc}")

    book = Workbook()
    write_table(book.active, COLUMNS, rows)
    book.active.title = "Latest"
    chart_sheet = book.create_sheet("Time by size")
    objectives = sorted({r[1] for r in rows})
    sized = sorted({(r[2], r[0]) for r in rows if r[2]})
    write_table(chart_sheet, ["projects"] + objectives,
                [[p] + [next((r[8] for r in rows if r[0] == name and r[1] == o), None)
                        for o in objectives] for p, name in sized])
    chart = LineChart()
    chart.title, chart.x_axis.title, chart.y_axis.title = \
        "Total time against size", "projects", "seconds"
    chart.add_data(Reference(chart_sheet, min_col=2, max_col=1 + len(objectives), min_row=1,
                             max_row=1 + len(sized)), titles_from_data=True)
    chart.set_categories(Reference(chart_sheet, min_col=1, min_row=2, max_row=1 + len(sized)))
    chart_sheet.add_chart(chart, "H2")
    print(f"\nchart: {save_atomic(book, OUT / 'report.xlsx')}")


if __name__ == "__main__":
    main()
