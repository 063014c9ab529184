"""Runs cut short on purpose: the run-wide deadline (``run.deadline``) and a target that stopped.

Both end the session like an interrupt, so everything an interrupt does still happens (the sandbox is
cleaned up, every report is written from what ran, the verdict is INCOMPLETE); what differs is the
reason the ``completion`` record gives, kept here (:func:`cut_short`, first cause wins):

* **Deadline**: :class:`Deadline` (a plugin of the run's child process) starts a timer when the
  session starts; when it fires, the run's process group gets the same SIGINT a Ctrl-C relays, and
  completion says ``deadline`` ("deadline 90 s reached"). The engine maps it to exit 1. The deadline
  counts from the start of ``fdconf run`` (reference start and pre-flight included, which are
  bounded by ``run.retry_wait``); one that passed before the tests were collected stops the run
  right after collection, so the reports are still written.
* **Target gone**: once the run's Transport has found the target stopped
  (:class:`~conformance.errors.TargetGone`), the test that met it is *not run* (never a finding:
  a refused connection says nothing about a rule), the session stops after it, and completion says
  ``target-gone`` with the last request. The engine maps it to one TargetError line and exit 2.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest

GONE_PROPERTY = "fd_target_gone"
_CUT: dict[str, str] = {}  # this process's cause: {"state": ..., "reason": ...}
_LOCK = threading.Lock()


def cut_short(state: str, reason: str) -> None:
    """Record why this process's run is being cut short (``deadline`` | ``target-gone``); first wins."""
    with _LOCK:
        if not _CUT:
            _CUT.update(state=state, reason=reason)


def cut_reason() -> dict[str, str] | None:
    """The recorded cause, or ``None`` when nothing cut the run short on purpose."""
    with _LOCK:
        return dict(_CUT) if _CUT else None


def reset() -> None:
    """Forget the cause (a process that runs more than one session, e.g. the suite's own tests)."""
    with _LOCK:
        _CUT.clear()


def deadline_reason(seconds: float) -> str:
    return f"deadline {seconds:g} s reached"


class Deadline:
    """Interrupts the session when the run's deadline (``at``, epoch seconds) passes."""

    def __init__(self, at: float, seconds: float, *, clock: Any = None) -> None:
        import time

        self.at = at
        self.seconds = seconds
        self._clock = clock or time.time
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._collected = False  # before that there is no collector to write the reports
        self._pending = False

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        left = max(0.0, self.at - self._clock())
        self._timer = threading.Timer(left, self._fire)
        self._timer.daemon = True
        self._timer.name = "fdconf-deadline"
        self._timer.start()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        with self._lock:
            self._collected = True
            pending = self._pending
        if pending:  # the deadline passed while the session started: stop now, with reports
            self._interrupt()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if not self._collected:
                self._pending = True
                return
        self._interrupt()

    def _interrupt(self) -> None:
        cut_short("deadline", deadline_reason(self.seconds))
        # As a relayed Ctrl-C: to the whole group (xdist workers included) when this process leads it.
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGINT)


def stop_if_target_gone(item: pytest.Item, report: pytest.TestReport) -> None:
    """After the run's Transport found the target stopped: this test is *not run*, the session stops."""
    from conformance.harness.state import run_of

    transport = run_of(item.config).transport
    gone = getattr(getattr(transport, "liveness", None), "gone", None)
    if gone is None:
        return
    cut_short("target-gone", gone.message)
    item.session.shouldstop = f"fdconf: {gone.message}"
    if report.failed:
        path, line, _ = item.location
        report.outcome = "skipped"
        report.longrepr = (str(path), (line or 0) + 1, f"Skipped: not run: {gone.message}")
    report.user_properties.append((GONE_PROPERTY, gone.message))
