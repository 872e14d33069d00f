"""Checks every test gets for free."""

from __future__ import annotations

import signal

import pytest

from planner import interrupt


@pytest.fixture(autouse=True)
def stop_signals_left_as_found():
    """A test leaves the stop signals' handlers and mask as it found them: a leak (a handler
    left in, the signals left blocked) silently breaks every later stop test and every
    command the suite starts, which inherit the mask. Restored, then named at the test
    that leaked."""
    handlers = interrupt.handlers()
    yield
    blocked = set(interrupt.STOP) & set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    changed = {s for s, h in interrupt.handlers().items() if h is not handlers[s]}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupt.STOP)
    interrupt.restore({s: handlers[s] for s in changed})
    interrupt.reset()
    assert not blocked and not changed, (
        f"stop signals left blocked {sorted(blocked)} or with other handlers {sorted(changed)}")
