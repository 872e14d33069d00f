"""Reading one cell of a planner's workbook: text, numbers, yes/no and settings, each with
the message that says what the cell should hold."""

from __future__ import annotations

import datetime as dt
import re

from planner.inputs import schema
from planner.inputs.problems import Problem


MAX_NUMBER = 1e15


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def normalize_header(text: object) -> str:
    return str(text).strip().lower() if text is not None else ""


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says what is expected."""


def parse_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError("text, not TRUE/FALSE")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellError("text or a number, not a date: format the column as Text and type "
                         "the id again")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2026.0 written by another tool is the id "2026"
    return str(value).strip()


def parse_number(value: object) -> float:
    if isinstance(value, bool) or isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellError("a number")
    if isinstance(value, (int, float)):
        return _finite(float(value))
    text = str(value).strip().replace("\u00a0", " ")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        raise CellError("a number with a decimal point: is this a decimal comma? write "
                         f"{text.replace(',', '.')} (or {text.replace(',', '')} if the comma "
                         "separates thousands)")
    try:
        number = float(text)
    except ValueError:
        raise CellError("a number (for example 1200 or 0.4)") from None
    return _finite(number) / 100.0 if percent else _finite(number)


def _finite(number: float) -> float:
    """The number, if HiGHS will not read it as infinite: a number cell is held to the same
    bound as a number typed as text."""
    if number != number or abs(number) > MAX_NUMBER:
        raise CellError(f"a finite number below {MAX_NUMBER:.0e} (the solver reads larger "
                         "values as infinite)")
    return number


def parse_cell(column: schema.Column, value: object):
    """Convert one non-blank cell to its column's type, or raise CellError."""
    kind = column.kind
    if kind == "any":  # read by the setting it belongs to
        return value.strip() if isinstance(value, str) else value
    if kind in ("id", "text", "ref"):
        text = parse_text(value)
        if kind == "id" and schema.LIST_SEPARATOR in text:
            raise CellError(f"an id without '{schema.LIST_SEPARATOR}'")
        return text
    if kind == "refs":
        return tuple(part.strip() for part in parse_text(value).split(schema.LIST_SEPARATOR)
                     if part.strip())
    if kind == "choice":
        word = parse_text(value).lower()
        if word not in column.choices:
            raise CellError("one of " + ", ".join(column.choices))
        return word
    number = parse_number(value)
    if kind == "share" and not 0.0 <= number <= 1.0:
        raise CellError("a fraction from 0 to 1 (40% is 0.4)")
    if kind == "integer":
        if not number.is_integer():
            raise CellError("a whole number")
        number = int(number)
    unit = f" {column.unit}" if column.unit else ""
    if column.minimum is not None and number < column.minimum:
        raise CellError(f"a number of at least {column.minimum:g}" + (
            f"{unit}: {column.range_note}" if column.range_note else ""))
    if column.maximum is not None and number > column.maximum:
        raise CellError(f"a number of at most {column.maximum:g}{unit}: " + (
            column.range_note or "the solver cannot hold larger values together with the "
            "smallest a workbook may hold (docs/workbook.md, Accepted ranges)"))
    if column.least is not None and 0 < abs(number) < column.least:
        raise CellError(f"0 or a number of at least {column.least:g}{unit}: the solver "
                         "cannot tell a smaller amount from 0 (docs/workbook.md, Accepted "
                         "ranges)")
    return number


def read_cell(spec: schema.Sheet, column: schema.Column, raw: object,
               excel_row: int | None) -> tuple[object, Problem | None]:
    """One cell read by its column: its value (the default when blank, None when it cannot
    be read) and the problem, if any."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            return column.default, Problem(spec.name, excel_row, column.name, None,
                                           f"a value: {column.description}")
        return column.default, None
    try:
        return parse_cell(column, raw), None
    except CellError as err:
        return None, Problem(spec.name, excel_row, column.name, raw, f"{err}")


def setting_value(name: str, raw: object):
    """A setting's value read by the setting's kind and range, or raise CellError."""
    spec = schema.SETTINGS_BY_NAME[name]
    if spec.choices == schema.YES_NO:
        return _yes_no(raw)
    if spec.kind == "choice":
        word = str(raw).strip().lower()
        if word not in spec.choices:
            raise CellError("one of " + ", ".join(spec.choices))
        return word
    if spec.kind in ("number", "integer"):
        value = parse_number(raw)
        if spec.kind == "integer":
            if not value.is_integer():
                raise CellError("a whole number")
            value = int(value)
        if spec.minimum is not None and value < spec.minimum:
            raise CellError(f"a number of at least {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise CellError(f"a number of at most {spec.maximum:g}")
        return value
    return str(raw).strip()


def _yes_no(raw: object) -> str:
    """yes/no, also from TRUE/FALSE cells, 1/0 and y/n."""
    word = str(raw).strip().lower()
    if word in ("yes", "y", "true", "1", "1.0"):
        return "yes"
    if word in ("no", "n", "false", "0", "0.0"):
        return "no"
    raise CellError("yes or no")
