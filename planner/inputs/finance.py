"""The financing inputs read and checked: spend profiles, sheets Sources and SourceBudgets, the
sources a project names, closure days. The rules these feed are in planner/model/finance.py
(rows) and planner/analysis/appraisal.py (appraisal); every problem names sheet, Excel row and column.
"""

from __future__ import annotations

from planner.inputs import schema
from planner.inputs.cells import CellError, parse_number
from planner.inputs.schema import BUDGET
from planner.inputs.instance import Source
from planner.inputs.problems import Problem

PROFILE_TOLERANCE = 1e-6  # a profile's shares add up to 1 within this


def parse_profile(text) -> tuple[float, ...]:
    """'0.2;0.5;0.3' -> (0.2, 0.5, 0.3); ValueError with what is expected."""
    parts = [part.strip() for part in str(text).split(schema.LIST_SEPARATOR)]
    if not parts or any(not part for part in parts):
        raise ValueError("shares separated by ; (e.g. 0.2;0.5;0.3), none of them blank")
    try:
        return tuple(parse_number(part) for part in parts)
    except CellError as err:
        raise ValueError(f"shares separated by ;, each {err}") from None


def spend_profiles(projects: dict[str, dict], n_periods: int,
                   problems: list[Problem]) -> dict[str, tuple[float, ...]]:
    """project -> its spend profile ((1.0,) when blank), each checked."""
    out = {}
    for p, r in projects.items():
        text = r.get("spend_profile")
        if text in (None, ""):
            out[p] = (1.0,)
            continue
        where = ("Projects", r["_row"], "spend_profile", text)
        try:
            profile = parse_profile(text)
        except ValueError as err:
            problems.append(Problem(*where, str(err)))
            continue
        if any(v < 0 for v in profile):
            problems.append(Problem(*where, "shares of at least 0"))
        elif abs(sum(profile) - 1.0) > PROFILE_TOLERANCE:
            problems.append(Problem(*where, f"shares adding up to 1 (these add up to "
                                            f"{sum(profile):g}): correct one of them"))
        elif len(profile) > (r.get("lead_time") or 0) + 1:
            problems.append(Problem(*where, f"at most lead_time + 1 = {(r.get('lead_time') or 0) + 1}"
                                            f" shares (it has {len(profile)}): raise lead_time "
                                            "or merge shares"))
        elif len(profile) > n_periods:
            problems.append(Problem(*where, f"at most {n_periods} shares: the horizon has "
                                            f"{n_periods} period(s)"))
        else:
            out[p] = profile
    return out


def named_sources(tables: dict) -> set[str]:
    """The ids sheet Sources names, read or not: a row refused there (a bad kind) is reported
    there alone, never again as an unknown id where another sheet names it."""
    return {r["source"] for r in tables.get("Sources") or [] if r.get("source")}


def read_sources(tables: dict, countries: dict, periods: dict,
                 problems: list[Problem]) -> tuple[dict[str, Source], dict]:
    """Sheets Sources and SourceBudgets -> (sources, (source, period) -> USD m)."""
    sources: dict[str, Source] = {}
    for r in tables.get("Sources") or []:
        s = r.get("source")
        if not s:
            continue
        where = ("Sources", r["_row"])
        if s.lower() == BUDGET:
            problems.append(Problem(*where, "source", s, "another id: 'budget' is the Periods' "
                                                         "own budget"))
            continue
        if s in sources:
            problems.append(Problem(*where, "source", s, "a unique id: it is on an earlier row"))
            continue
        kind = r.get("kind")
        if kind == "loan" and not (r.get("tenor_years") or 0) > 0:
            problems.append(Problem(*where, "tenor_years", r.get("tenor_years"),
                                    "a positive number of years for a loan"))
        share = r.get("max_share")
        if share is not None and not 0 < share <= 1:
            problems.append(Problem(*where, "max_share", share,
                                    "a fraction above 0 and at most 1 (80% is 0.8)"))
        for col in ("countries", "excluded_countries"):
            for c in r.get(col) or ():
                if c not in countries:
                    problems.append(Problem(*where, col, c, "an id from sheet Countries: add "
                                                            "it there or correct the spelling"))
        for rc in r.get("risk_classes") or ():
            if rc.lower() not in schema.RISK_CLASSES:
                problems.append(Problem(*where, "risk_classes", rc,
                                        "risk classes from: " + ", ".join(schema.RISK_CLASSES)))
        if kind:
            sources[s] = Source(
                s, kind, r.get("rate") or 0.0, int(r.get("tenor_years") or 0),
                int(r.get("grace_years") or 0), share if share is not None else 1.0,
                tuple(r.get("countries") or ()), tuple(r.get("excluded_countries") or ()),
                tuple(rc.lower() for rc in r.get("risk_classes") or ()),
                r.get("name") or "", r.get("note") or "")
    amounts: dict[tuple[str, str], float] = {}
    rows: dict[tuple[str, str], int] = {}
    named = named_sources(tables)
    for r in tables.get("SourceBudgets") or []:
        s, t = r.get("source"), r.get("period")
        if s and s in named and s not in sources and s.lower() != BUDGET:
            continue  # its Sources row is refused, and says so
        if s and s not in sources and s.lower() != BUDGET:
            problems.append(Problem("SourceBudgets", r["_row"], "source", s,
                                    "an id from sheet Sources: add it there or correct the "
                                    "spelling"))
            continue
        if s and s.lower() == BUDGET:
            problems.append(Problem("SourceBudgets", r["_row"], "source", s,
                                    "a source of sheet Sources: the budget's amounts are on "
                                    "sheet Periods"))
            continue
        if t and t not in periods:
            problems.append(Problem("SourceBudgets", r["_row"], "period", t,
                                    "an id from sheet Periods"))
            continue
        if not s or not t or r.get("amount") is None:
            continue
        if (s, t) in rows:
            problems.append(Problem("SourceBudgets", r["_row"], "period", t,
                                    f"one row per source and period: row {rows[s, t]} already "
                                    f"gives {s} in {t}"))
            continue
        rows[s, t] = r["_row"]
        amounts[s, t] = r["amount"]
    return sources, amounts


def check_project_sources(projects: dict[str, dict], sources: dict[str, Source],
                          project_countries: dict[str, frozenset[str]],
                          problems: list[Problem], named: set[str] = frozenset()) -> None:
    """A project's sources exist, and each one's rules admit it (``named``: ids of sheet
    Sources whose rows are refused there, which are not reported again here)."""
    for p, r in projects.items():
        for s in r.get("sources") or ():
            where = ("Projects", r["_row"], "sources", s)
            if s.lower() == BUDGET:
                continue
            if s not in sources and s in named:
                continue
            if s not in sources:
                problems.append(Problem(*where, "an id from sheet Sources, or budget: add it "
                                                "there or correct the spelling"))
                continue
            why = sources[s].admits(project_countries.get(p, frozenset()),
                                    r.get("risk_class") or "low")
            if why:
                problems.append(Problem(*where, f"a source whose rules admit {p}: {s} {why} "
                                                f"(sheet Sources); remove it here or change "
                                                f"its rules"))


def check_committed_profiles(projects: dict[str, dict], profiles: dict, period_ids: list,
                             problems: list[Problem]) -> None:
    """A committed project's profile must fall inside the horizon from its start."""
    for p, r in projects.items():
        if r.get("status") != "committed" or p not in profiles:
            continue
        start = r.get("earliest_period") or period_ids[0]
        if start in period_ids and period_ids.index(start) + len(profiles[p]) > len(period_ids):
            problems.append(Problem("Projects", r["_row"], "spend_profile",
                                    r.get("spend_profile"),
                                    f"a profile that ends by the last period: committed from "
                                    f"{start}, its {len(profiles[p])} shares run past the "
                                    "horizon"))


def window(inst, t: str) -> tuple[str, ...]:
    """The periods whose amounts bind together at period ``t``: every period up to ``t`` where
    budget_carry_over is on (what one leaves unspent the next may commit), else ``t`` alone.
    The rule of carry-over for the budget and for every source's envelope."""
    if inst.settings.budget_carry_over:
        return inst.period_ids[: inst.period_index[t] + 1]
    return (t,)
