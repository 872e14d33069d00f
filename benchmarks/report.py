"""Render benchmark results: a Markdown table on stdout and in docs/performance.md (between its
markers), and a workbook with a chart of time against size (results/benchmarks/report.xlsx).

    python -m benchmarks.report [RESULTS.json ...]     # default: every saved run
    python -m benchmarks.report --doc -                # print only, leave the docs alone

For each case (size, objective) the latest run that has it is shown.
"""

from __future__ import annotations

import argparse
import json
import os
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


def write_doc(path: Path, text: str) -> None:
    """Replace what stands between the markers of ``path`` with ``text``; the rest of the file
    is kept as it is. A file without both markers is refused and left unchanged."""
    doc = path.read_text()
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: no '{BEGIN}' ... '{END}' to put the table between")
    new = doc[:start + len(BEGIN)] + "\n" + text.strip("\n") + "\n" + doc[end:]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new)
    os.replace(tmp, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, metavar="RESULTS.json")
    parser.add_argument("--doc", default=str(DOC),
                        help="the Markdown page whose table to rewrite ('-': none; default: "
                             "docs/performance.md)")
    args = parser.parse_args(argv)
    files = args.files or sorted(OUT.glob("*.json"))
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
