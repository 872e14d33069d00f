"""Many solves at once: in worker processes (--jobs) or on a Dask cluster (--scheduler).

Every task is solved the same way wherever it runs (one HiGHS thread per task), so the results
do not depend on where they were computed. Progress goes to a callback with an estimate of the
time left.
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field

from planner import interrupt
from planner.interrupt import stop_pool
from planner.analysis.appraisal import Appraisal
from planner.analysis.pipeline import analyse
from planner.analysis.measures import Measures, evaluate
from planner.inputs.instance import Instance
from planner.solve.solution import NoPortfolio, PlanInfeasible, Solution
from planner.solve.run import solve


@dataclass
class Task:
    name: str
    instance: Instance
    options: dict = field(default_factory=dict)  # solve() keyword arguments


@dataclass
class Outcome:
    name: str
    status: str  # optimal, feasible, infeasible, no_portfolio
    solution: Solution | None = None
    measures: Measures | None = None
    message: str = ""
    seconds: float = 0.0
    appraisal: Appraisal | None = None

    def require(self, what: str) -> Outcome:
        """The outcome, if it has a portfolio; else the solve's own ending raised again, for
        the command's exit status: PlanInfeasible (3) or NoPortfolio (4). ``what`` says
        which solve, in the message."""
        if self.solution is None:
            text = f"{what} ({self.name}): {self.message}"
            raise PlanInfeasible(text) if self.status == "infeasible" else NoPortfolio(text)
        return self


def run_task(task: Task) -> Outcome:
    """Solve and evaluate one task; impossible plans and time-outs are outcomes, not errors."""
    start = time.perf_counter()
    try:
        sol = solve(task.instance, threads=1, **task.options)
    except PlanInfeasible as err:
        return Outcome(task.name, "infeasible", message=str(err.explanation),
                       seconds=time.perf_counter() - start)
    except NoPortfolio as err:
        return Outcome(task.name, "no_portfolio", message=str(err),
                       seconds=time.perf_counter() - start)
    done = analyse(task.instance, sol.portfolio, sol.objective, full=False,
                   closure_lp=sol.closure_lp)
    # what each closure strands depends on the portfolio alone: the analysis scored it
    ms = evaluate(task.instance, sol.portfolio, sol.flows, sol.unmet, sol.draws,
                  stranded=done.plan.measures.stranded)
    appraisal = done.appraisal
    return Outcome(task.name, sol.status, sol, ms, seconds=time.perf_counter() - start,
                   appraisal=appraisal)


def run_all(tasks: list[Task], *, jobs: int | None = None, scheduler: str | None = None,
            progress=None, counted: tuple[int, int] | None = None) -> list[Outcome]:
    """Outcomes in the order of ``tasks``. ``jobs``: worker processes (default: the cores);
    ``scheduler``: a dask.distributed scheduler address, instead of local processes.
    ``counted``: (solves done before, solves in all) when this is one phase of a command, so
    the progress counter runs on across phases instead of restarting."""
    done: dict[int, Outcome] = {}
    started = time.perf_counter()
    jobs = max(1, jobs or os.cpu_count() or 1)
    before, total = counted or (0, len(tasks))

    def report(i: int, outcome: Outcome) -> None:
        done[i] = outcome
        if progress:
            elapsed = time.perf_counter() - started
            left = elapsed / len(done) * (total - before - len(done))
            progress(f"[{before + len(done)}/{total}] {outcome.name}: {outcome.status} "
                     f"({outcome.seconds:.1f} s); about {left:.0f} s left")

    if scheduler:
        from dask.distributed import Client, as_completed as dask_completed
        with Client(scheduler) as client:
            futures = {client.submit(run_task, task, pure=False): i
                       for i, task in enumerate(tasks)}
            try:
                for future in dask_completed(futures):
                    report(futures[future], future.result())
            except BaseException:
                with contextlib.suppress(Exception):  # the cluster drops them
                    client.cancel(list(futures), force=True)
                raise
    elif jobs == 1 or len(tasks) == 1:
        for i, task in enumerate(tasks):
            report(i, run_task(task))
    else:
        pool = interrupt.worker_pool(min(jobs, len(tasks)))
        try:
            with interrupt.held():  # the workers start here and inherit the mask
                futures = {pool.submit(run_task, task): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                report(futures[future], future.result())
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()
    return [done[i] for i in range(len(tasks))]
