"""Live progress of a run, on the controller only (``--fd-progress auto|bar|lines|off``).

- ``bar``: :class:`~conformance.report.terminal.RunProgress` (rich), done/total, live counts and the
  running test. It is redrawn only from pytest's report hooks, never from a timer thread, because
  while a test runs pytest captures the output file descriptors and a redraw would land in the test's
  captured output.
- ``lines``: for CI logs. One line per rule family once its last test finished (``fdconf: TEN
  5 passed, 1 failed in 3.2 s [31/130]``), and a heartbeat line when nothing was printed for
  :data:`HEARTBEAT` seconds. Under pytest-xdist the controller does not know which family a test
  belongs to before it ran, so only heartbeats are printed there (and the per-family table at the end
  comes from the closing summary as always).
- ``auto`` (default): ``bar`` on a terminal, else ``lines``; and only with ``-q`` (how ``fdconf run``
  runs pytest): at normal or higher verbosity pytest already prints a line or a letter per test.

While progress is shown, pytest's one-letter-per-test output (``..F.s``) is suppressed; failures,
the short summary and the closing table print as usual.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import pytest

from conformance.harness.state import PLAN, marker_rules

MODES = ("auto", "bar", "lines", "off")
HEARTBEAT = 30.0  # seconds without a line before ``lines`` mode says it is still running
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def family_of(rule_ids: Sequence[str]) -> str:
    """``TEN`` for ``("TEN-03", ...)``; ``other`` for a test without rule ids."""
    return rule_ids[0].split("-", 1)[0] if rule_ids else "other"


def choose(mode: str, *, is_tty: bool, verbosity: int) -> str:
    """The effective mode: ``bar``, ``lines`` or ``off``."""
    if mode in ("bar", "lines", "off"):
        return mode
    if verbosity >= 0:
        return "off"
    return "bar" if is_tty else "lines"


class LiveProgress:
    """The pytest hooks behind ``--fd-progress`` (registered on the controller by :mod:`.activation`)."""

    def __init__(self, config: pytest.Config, wanted: str = "auto", *,
                 clock: Callable[[], float] = time.monotonic, heartbeat: float = HEARTBEAT) -> None:
        self.config = config
        self.wanted = wanted
        self._mode: str | None = None  # decided once pytest's terminal reporter exists
        self._clock = clock
        self._heartbeat = heartbeat
        self._bar: Any = None
        self.total: int | None = None
        self.done = 0
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}
        self._outcome: dict[str, str] = {}  # node id → worst outcome so far
        self._family_of: dict[str, str] = {}
        self._left: dict[str, int] = {}  # family → tests still to finish (known in serial runs)
        self._family_counts: dict[str, dict[str, int]] = {}
        self._family_started: dict[str, float] = {}
        self._last_line = clock()
        self.lines: list[str] = []

    # -- output --------------------------------------------------------------------------------

    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @property
    def mode(self) -> str:
        """``bar``, ``lines`` or ``off``; fixed the first time it is asked once pytest's reporter exists."""
        if self._mode is None:
            reporter = self._reporter()
            if reporter is None:
                return "off"
            stream = getattr(getattr(reporter, "_tw", None), "_file", None)
            is_tty = bool(getattr(stream, "isatty", lambda: False)())
            self._mode = choose(self.wanted, is_tty=is_tty, verbosity=self.config.get_verbosity())
        return self._mode

    def _say(self, line: str) -> None:
        self.lines.append(line)
        self._last_line = self._clock()
        reporter = self._reporter()
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)

    def _start_bar(self) -> None:
        from rich.console import Console

        from conformance.report.terminal import RunProgress

        reporter = self._reporter()
        tw = getattr(reporter, "_tw", None)
        stream = getattr(tw, "_file", None) or sys.stdout
        console = Console(file=stream, force_terminal=True, width=getattr(tw, "fullwidth", None))
        self._bar = RunProgress(console, total=self.total, auto_refresh=False)
        self._bar.start()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # -- hooks ---------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> Generator[None, Any, Any]:
        result = yield
        if self.mode != "off" and isinstance(result, tuple) and len(result) == 3:
            return (result[0], "", result[2])  # the bar or the lines replace pytest's letters
        return result

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not session.items:
            return  # an xdist controller collects nothing itself; see the xdist hook
        self.total = len(session.items)
        for item in session.items:
            plan = item.stash.get(PLAN, None)
            rules = tuple(plan.unmet) if plan is not None and plan.skip else marker_rules(item)
            family = family_of(rules)
            self._family_of[item.nodeid] = family
            self._left[family] = self._left.get(family, 0) + 1
        self._begin()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        if self.total is None:
            self.total = len(ids)
            self._begin()

    def _begin(self) -> None:
        reporter = self._reporter()
        if self.mode != "off" and hasattr(reporter, "_show_progress_info"):
            reporter._show_progress_info = False  # pytest's "[ 40%]" column: the bar or lines say it
        if self.mode == "bar" and self._bar is None:
            self._start_bar()
        elif self.mode == "lines":
            self._say(f"fdconf: running {self.total} tests")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.mode == "off":
            return
        outcome = "failed" if report.failed else report.outcome
        previous = self._outcome.get(report.nodeid, "passed")
        decisive = report.when == "call" or outcome != "passed"  # a passed setup/teardown decides nothing
        if decisive and _RANK.get(outcome, 0) >= _RANK[previous]:
            self._outcome[report.nodeid] = outcome
        family_now = self._family_of.get(report.nodeid)
        if family_now is not None:
            self._family_started.setdefault(family_now, self._clock())
        if report.nodeid not in self._family_of:
            props: dict[str, Any] = dict(report.user_properties)
            rules = list(props.get("fd_rules") or []) or list(props.get("fd_unmet") or {})
            if rules:
                self._family_of[report.nodeid] = family_of([str(r) for r in rules])
        if report.when == "teardown":
            self._finished(report.nodeid, self._outcome.pop(report.nodeid, "passed"))

    def _finished(self, nodeid: str, outcome: str) -> None:
        self.done += 1
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if self._bar is not None:
            self._bar.advance(nodeid, outcome)
            if self.total is not None and self.done >= self.total:
                self.stop()  # before pytest writes its closing "[100%]"
            return
        if self.mode != "lines":
            return
        family = self._family_of.get(nodeid, "other")
        counts = self._family_counts.setdefault(family, {"passed": 0, "failed": 0, "skipped": 0})
        counts[outcome] = counts.get(outcome, 0) + 1
        self._family_started.setdefault(family, self._clock())
        if family in self._left:
            self._left[family] -= 1
            if self._left[family] == 0:
                took = self._clock() - self._family_started[family]
                self._say(f"fdconf: {family:<5} {_tally(counts)} in {took:.1f} s [{self.done}/{self.total}]")
                return
        if self._clock() - self._last_line >= self._heartbeat:
            total = f"/{self.total}" if self.total is not None else ""
            self._say(f"fdconf: {self.done}{total} tests done ({_tally(self.counts)})")

    def pytest_sessionfinish(self) -> None:
        self.stop()
        if self.mode == "lines" and self.done and not self._left:  # xdist: no family lines were possible
            self._say(f"fdconf: {self.done} tests done ({_tally(self.counts)})")

    def pytest_unconfigure(self) -> None:
        self.stop()


def _tally(counts: dict[str, int]) -> str:
    parts = [f"{counts.get('passed', 0)} passed"]
    parts += [f"{counts[k]} {k}" for k in ("failed", "skipped") if counts.get(k)]
    return ", ".join(parts)
