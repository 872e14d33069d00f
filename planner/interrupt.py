"""Stopping on a signal. Ctrl-C (SIGINT), SIGTERM and SIGHUP stop a command the same way: what
is solving stops, queued work is dropped, worker processes end with the command, nothing is
written, and the exit status is 128 + the signal's number (130, 143, 129).

The command's handlers raise KeyboardInterrupt for every stop signal, so one ``except
KeyboardInterrupt`` serves them all; ``received`` tells which signal it was. Once a command is
stopping, further stop signals are ignored: the stop itself is short (bounded waits), and a
second Ctrl-C must not break it off half done. Worker processes leave the signals to the
command: they ignore Ctrl-C (the terminal sends it to the whole process group) and end on
SIGTERM, or when the command itself has gone (``worker_started``).

Imports nothing heavy: ``python -m planner`` installs the handlers before anything else.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import signal
import sys

STOP = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
             if hasattr(signal, name))

_received: list[int] = []  # the stop signals received since reset(), the first first
written: list = []  # the files the command has put in place, for the message of a late stop


def reset() -> None:
    """A new command starts: no signal received yet, nothing written."""
    _received.clear()
    written.clear()


def note(signum: int) -> None:
    """Record a stop signal (those that stop_on_ctrl_c defers until HiGHS has stopped)."""
    _received.append(signum)


def received() -> int | None:
    """The stop signal that stopped the command, or None."""
    return _received[0] if _received else None


def exit_status() -> int:
    """128 + the stop signal's number, as a shell reports a command a signal ended; 130
    (Ctrl-C) for a KeyboardInterrupt raised without one."""
    return 128 + (received() or signal.SIGINT)


def describe() -> str:
    """'interrupted' for Ctrl-C, else the signal's name: 'stopped by SIGTERM'."""
    signum = received()
    if signum in (None, signal.SIGINT):
        return "interrupted"
    return f"stopped by {signal.Signals(signum).name}"


def _stop(signum, frame) -> None:
    if _received:  # stopping already: let the stop finish
        return
    note(signum)
    raise KeyboardInterrupt


def is_ours(handler) -> bool:
    """``handler`` is the command's stop handler (installed by ``install``)."""
    return handler is _stop


def handlers() -> dict[int, object]:
    """The stop signals' handlers as they are: what ``restore`` puts back. Read before any is
    replaced, so that a signal whose Python handler runs in the middle of replacing them
    cannot lose one (Python runs a handler between any two bytecodes, even for a signal that
    arrived before the signals were blocked)."""
    return {signum: signal.getsignal(signum) for signum in STOP}


def install() -> None:
    """The command's handler for every stop signal the process does not ignore (a signal
    ignored on entry, as nohup does, stays ignored). Take ``handlers()`` first, to restore."""
    for signum in STOP:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _stop)


def restore(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def held():
    """Stop signals wait until the block ends (delivered then). Around starting a worker
    process, which inherits the mask: the worker cannot be interrupted while it starts, before
    ``worker_started`` has set its signals up."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # the mask to restore is read without changing it: were it read by the call that blocks,
    # a handler running between that call and the try (a signal that came just before) would
    # leave the signals blocked for good, and inherited by every process started later
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_started(parent: int) -> None:
    """Set up a worker process (a pool's initializer; the worker started under ``held``):
    Ctrl-C is the command's to handle, not the worker's; SIGTERM ends the worker at once; and
    on Linux the kernel kills the worker when the command's process goes, however it goes
    (killed with SIGKILL included)."""
    import ctypes
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in STOP:
        if signum != signal.SIGINT:
            signal.signal(signum, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the command went before the request was made
        os._exit(1)
    # a worker starts no process of its own; so made, the locks it makes (Pyomo makes one
    # on import) are not registered with the command's resource tracker, which would warn of
    # them as "leaked" once the worker is stopped
    if "fork" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("fork", force=True)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP)


def worker_pool(workers: int):
    """A pool of ``workers`` processes that leave the stop signals to the command
    (worker_started): started by spawn, not fork (a forked child inherits HiGHS's thread pool
    in a broken state). Submit its first tasks under ``held``: the workers start then."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_started, initargs=(os.getpid(),))


def stop_pool(pool, grace: float = 1.0) -> None:
    """Drop a pool's queued tasks and end its workers now (SIGTERM, then SIGKILL after
    ``grace`` seconds): their results would be discarded. The pool's own shutdown waits for
    every task, queued ones included."""
    import time

    processes = list((pool._processes or {}).values())  # noqa: SLF001 (3.14: terminate_workers)
    manager = pool._executor_manager_thread  # noqa: SLF001
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(ProcessLookupError, ValueError):
            process.terminate()
    ends = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, ends - time.monotonic()))
        if process.exitcode is None:
            with contextlib.suppress(ProcessLookupError, ValueError):
                process.kill()
            process.join(grace)
    if manager is not None:  # it notices the workers gone and closes the pool's queues
        manager.join(grace)


def end_tracker() -> None:
    """End multiprocessing's resource tracker, if a worker pool started one, once the pools'
    locks are gone: left to end after the command, it stays in the command's process group,
    dead but not yet collected by init."""
    tracking = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracking, "_resource_tracker", None)
    if getattr(tracker, "_fd", None) is None:
        return
    gc.collect()  # the pools' queues, and with them the last locks it tracks
    with contextlib.suppress(Exception):
        tracker._stop()  # noqa: SLF001


def exit_now(status: int) -> None:
    """End a stopped command now: the exit handlers run (they remove temporary files), the
    output is flushed, and the interpreter's teardown, which frees every object of a loaded
    model one by one (most of a second), is skipped."""
    atexit._run_exitfuncs()  # noqa: SLF001
    end_tracker()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def quiet_while_stopping(record) -> bool:
    """A logging filter: drops what a library logs while a stop unwinds through it (Pyomo
    logs an ERROR for every component whose construction the signal broke off)."""
    return not isinstance(sys.exc_info()[1], KeyboardInterrupt)
