"""The column reference of docs/workbook.md, generated from schema.py.

    python -m planner.inputs.schema_doc docs/workbook.md   # rewrite the generated part in place
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.inputs import schema

BEGIN, END = "<!-- schema:begin -->", "<!-- schema:end -->"
KINDS = {"id": "id (text, unique)", "text": "text", "ref": "id of {ref}",
         "refs": "ids of {ref}, separated by ;", "number": "number", "share": "fraction 0-1",
         "integer": "whole number", "choice": "one of: {choices}",
         "any": "word, number or yes/no, by setting"}


def _kind(c: schema.Column) -> str:
    text = KINDS[c.kind].format(ref=c.ref, choices=", ".join(c.choices))
    if c.minimum is not None and c.kind in ("number", "integer"):
        text += f", >= {c.minimum:g}"
    if c.maximum is not None:
        text += f", <= {c.maximum:g}"
    if c.least is not None:
        text += f", 0 or >= {c.least:g}"
    return text


def _cell(value) -> str:
    return "" if value in (None, "") else str(value).replace("|", "\\|")


def reference() -> str:
    lines = []
    for sheet in schema.SHEETS:
        need = "required" if sheet.required else "optional"
        lines += [f"### {sheet.name} ({need})", "", sheet.description, "",
                  "| column | required | type | unit | default | meaning | example |",
                  "|---|---|---|---|---|---|---|"]
        for c in sheet.columns:
            lines.append(f"| {c.name} | {'yes' if c.required else 'no'} | {_cell(_kind(c))} | "
                         f"{c.unit} | {_cell(c.default)} | {_cell(c.description)} | "
                         f"{_cell(c.example)} |")
        if sheet.examples:
            header = [c.name for c in sheet.columns]
            lines += ["", "Example:", "", "| " + " | ".join(header) + " |",
                      "|" + "---|" * len(header)]
            for row in sheet.examples:
                lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
        lines.append("")
    lines += ["### Settings: the names", "", "| setting | default | allowed | meaning |",
              "|---|---|---|---|"]
    for s in schema.SETTINGS:
        allowed = ", ".join(s.choices) if s.choices else s.kind
        lines.append(f"| {s.name} | {_cell(s.default)} | {allowed} | {_cell(s.description)} |")
    return "\n".join(lines)


def rewrite(path: Path) -> None:
    text = path.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{reference()}\n{END}{tail}")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/workbook.md"))
