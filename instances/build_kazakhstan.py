"""Rebuild instances/kazakhstan.xlsx from the plain data files in instances/kazakhstan/.

    python instances/build_kazakhstan.py

Each CSV carries, beside the workbook columns, `basis` (sourced, derived, assumption, default)
and `source` (`reference` in sources.csv and source_budgets.csv, whose `source` is the lender's
id); these go to the workbook's Provenance sheet so every number can be traced (sheet Sources
is the lenders and funds of the workbook format). Columns added later may carry their own pair,
`<prefix>_basis` and `<prefix>_source` (EXTRA below), which go to a Provenance row of their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from planner.report.template import input_workbook
from planner.report.xlsx import save_atomic, write_table

HERE = Path(__file__).resolve().parent
DATA = HERE / "kazakhstan"
TARGET = HERE / "kazakhstan.xlsx"
SHEETS = {"Settings": "settings.csv", "Periods": "periods.csv", "Countries": "countries.csv",
          "Corridors": "corridors.csv", "Segments": "segments.csv", "Routes": "routes.csv",
          "Flows": "flows.csv", "Projects": "projects.csv", "RiskLimits": "risk_limits.csv",
          "Sources": "sources.csv", "SourceBudgets": "source_budgets.csv",
          "Scenarios": "scenarios.csv", "Nodes": "nodes.csv"}
CITATION = {"Sources": "reference", "SourceBudgets": "reference"}  # else "source"
# column-group provenance: prefix -> the workbook columns it covers
EXTRA = {"finance": "spend_profile, sources, opex", "closure": "closure_days",
         "debt": "debt_service_limit", "value": "loss_per_t"}


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def _text(value) -> str:
    """A citation cell as text; blank (NaN) as ''."""
    return value if isinstance(value, str) else ""


def build(target: Path = TARGET) -> Path:
    tables, sources = {}, []
    for sheet, name in SHEETS.items():
        frame = pd.read_csv(DATA / name, dtype={"period": str, "earliest_period": str,
                                                "value": str, "spend_profile": str,
                                                "sources": str}, keep_default_na=False,
                            na_values=[""])
        cite = CITATION.get(sheet, "source")
        extra = [(prefix, label) for prefix, label in EXTRA.items()
                 if f"{prefix}_basis" in frame.columns]
        provenance = ["basis", cite] + [f"{p}_{c}" for p, _ in extra for c in ("basis", "source")]
        data = frame.drop(columns=[c for c in provenance if c in frame.columns])
        tables[sheet] = _records(data)
        if "basis" in frame.columns:
            key = frame.columns[0]
            for _, row in frame.iterrows():
                ident = f"{row['flow']} {row['period']}" if sheet in ("Flows",) else \
                    f"{row['source']} {row['period']}" if sheet == "SourceBudgets" else \
                    f"{row['scenario']}: {row['change']} {row['target']}" \
                    if sheet == "Scenarios" else row[key]
                sources.append((sheet, str(ident), row["basis"], _text(row.get(cite))))
                for prefix, label in extra:
                    if isinstance(row.get(f"{prefix}_basis"), str):  # blank: NaN
                        sources.append((sheet, f"{ident} ({label})", row[f"{prefix}_basis"],
                                        _text(row.get(f"{prefix}_source"))))
    # numbers as numbers: pandas read periods and values as text to keep ids exact
    for record in tables["Periods"]:
        record["period"] = int(record["period"])
    for record in tables["Flows"] + tables["SourceBudgets"]:
        record["period"] = int(record["period"])
    for record in tables["Projects"]:
        record["earliest_period"] = int(record["earliest_period"]) \
            if record["earliest_period"] else None
    book = input_workbook(tables)
    sources.insert(0, ("(all)", "", "note", "Facts compiled in shared/data/kazakhstan (sources "
                       "per row there); 'derived' values are computed from them as stated; "
                       "'assumption' values are planning assumptions of this instance, to be "
                       "replaced by the planner's own."))
    write_table(book.create_sheet("Provenance"), ["sheet", "id", "basis", "source"], sources,
                widths={"sheet": 12, "id": 24, "basis": 12, "source": 140})
    return save_atomic(book, target)


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"wrote {path}")
