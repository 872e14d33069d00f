"""The command's time: one budget for every phase of a solve.

A solve gets ``time_limit`` seconds per stage and so a budget of time_limit x its number of
stages, on the wall clock from the moment the command starts reading its workbook. Reading
the workbook, screening the closures, building the model, the stages, the explanation of an
impossible plan and the analysis after the solve (sheets Value, Chains, Leverage) all draw on
it; only loading the libraries before it and what must follow to report the portfolio found
(its measures, its appraisal, writing the workbook) run outside it, in the ALLOWANCE. A phase that runs out checks the Deadline between its steps and
stops: before any portfolio is found that is OutOfTime (exit 4: no portfolio within the time
limit); in the analysis, the sheets not finished are left out and named (planner/cli/).
"""

from __future__ import annotations

import math
import time


# Seconds the command may run past its budget to report what it found: measuring the
# portfolio and writing the results workbook, which cannot be left out, plus the interpreter's
# start, with room for a network of 500 projects (docs/solving.md, The clock; --help).
ALLOWANCE = 15.0


class NoPortfolio(Exception):
    """The solver stopped (time limit, interrupt) before it found any portfolio."""


class OutOfTime(NoPortfolio):
    """The budget ran out during ``what``, before a portfolio was found."""

    def __init__(self, what: str, deadline: Deadline):
        self.what = what
        super().__init__(f"no portfolio within the time limit: the command's budget of "
                         f"{deadline.seconds:g} s (--time-limit x stages) ran out while "
                         f"{what}, after {deadline.spent():.2f} s: raise --time-limit")


class Deadline:
    """``seconds`` on the wall clock from ``began`` (time.perf_counter(); default: now)."""

    def __init__(self, seconds: float = math.inf, began: float | None = None):
        self.seconds = seconds
        self.began = time.perf_counter() if began is None else began

    def spent(self) -> float:
        return time.perf_counter() - self.began

    def remaining(self) -> float:
        """Seconds left (never below 0; inf without a limit)."""
        return max(0.0, self.seconds - self.spent())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def check(self, what: str) -> None:
        """Raise OutOfTime when the time is up; ``what`` names the work that was going on
        ("screening the closures")."""
        if self.expired():
            raise OutOfTime(what, self)


def check(deadline: Deadline | None, what: str) -> None:
    """deadline.check(what), for a phase that may run without one."""
    if deadline is not None:
        deadline.check(what)
