"""The hooks of an active fdconf run: report intake, the RunResult at the end, the summary, xdist handover.

Registered by :mod:`conformance.harness.activation` once a run is active (never in unrelated sessions). The
controller (or the only process) collects every test report, builds the
:class:`~conformance.report.RunResult` when the session finishes, writes the reports and renders
the closing summary; xdist workers only receive the resolved settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

import pytest

from conformance.auth import Session
from conformance.config import Settings
from conformance.harness.state import audit_of, close_run, is_worker, rate_of, run_of
from conformance.redact import REDACTOR


class RunHooks:
    """Hooks that only make sense in an active run: report intake, results, summary, xdist handover."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._total = 0  # tests collected, for how far an interrupted run got
        self._running = ""  # the test that started last (its phase is where an interrupt landed)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        state = run_of(self.config)
        if state.settings is not None:  # over xdist's channel, never through a file
            node.workerinput["fd_settings"] = state.settings.to_json()
            node.workerinput["fd_whole"] = state.whole_catalogue

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        # Tokens a worker was issued are secrets the controller must mask too: it writes the reports
        # and redacts the Allure results after the run.
        output = getattr(node, "workeroutput", None) or {}
        for secret in output.get("fd_secrets", ()):
            REDACTOR.add(str(secret))
        from conformance.client import AuditEntry

        run_of(self.config).worker_audit.extend(AuditEntry(**entry) for entry in output.get("fd_audit", ()))

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        settings = run_of(config).settings
        if settings is None:
            return []
        where = "embedded reference" if settings.embedded else settings.main
        return [f"fdconf: run {settings.run_id}, seed {settings.seed}, mode {settings.mode}, target {where}"
                + (f", defects {','.join(settings.defects)}" if settings.defects else "")
                + (f", shard {settings.shard_label}" if settings.shard else "")]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._total = len(session.items) or self._total  # an xdist controller collects nothing

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Any) -> None:
        self._total = len(ids)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._running = nodeid

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        collector = run_of(self.config).collector
        if collector is None or is_worker(self.config):
            return
        gone = dict(report.user_properties).get("fd_target_gone")
        if gone:  # a worker found the target stopped (under xdist the cause reaches the controller here)
            from conformance.harness.cutoff import cut_short

            cut_short("target-gone", str(gone))
        collector.add(report.nodeid, report.when or "call", report.outcome, duration=report.duration,
                      user_properties=report.user_properties, longrepr=report.longrepr,
                      longreprtext=report.longreprtext if report.failed else "")

    @pytest.hookimpl(trylast=True)  # after the session fixtures' teardown (sandbox cleanup) is done
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        try:
            self._finish(session.exitstatus)
        finally:
            close_run(self.config)

    def _finish(self, exitstatus: int | pytest.ExitCode = 0) -> None:
        state = run_of(self.config)
        if is_worker(self.config):
            output = getattr(self.config, "workeroutput", None)
            if isinstance(output, dict):
                output["fd_secrets"] = REDACTOR.secrets()
                output["fd_audit"] = [entry.to_dict() for entry in audit_of(self.config)]
            return
        if state.collector is None or state.settings is None:
            return
        result = state.collector.build(personas=_public_personas(state.settings, state.sessions or {}))
        from conformance.harness.completion import completion_of
        from conformance.harness.cutoff import cut_reason

        result.completion = completion_of(exitstatus, [r for r, rec in state.collector.records.items()
                                                       if rec.outcome != "not_run"], self._total,
                                       running=self._running, cut=cut_reason(),
                                       phase=state.stopped_in or state.phase)
        result.rate = rate_of(self.config)
        from conformance.harness.plan import with_sent

        result.plan = with_sent(state.settings.plan, state.collector.spent)
        from conformance.client import REPLAY_ORIGIN

        replays_sent = sum(1 for entry in audit_of(self.config) if entry.origin == REPLAY_ORIGIN)
        result.confirmation = state.collector.confirmation(result.rules, replays_sent)
        result.requests = {"total": len(audit_of(self.config)), "controls": state.collector.controls}
        if state.settings.waivers:  # before any report is written, so every report shows them
            from datetime import UTC, datetime

            from conformance.report import apply_waivers

            result = apply_waivers(result, state.settings.waivers, datetime.now(UTC).date())
            if state.settings.allure:
                from conformance.report import mark_waived

                mark_waived(Path(str(state.settings.report_dir)) / "allure-results", result)
        state.result = result
        if not state.settings.report_dir:
            return  # a user's own pytest run writes reports only when asked (--fd-report-dir)
        try:
            from conformance.report import write_all
        except ImportError as exc:  # the report writers are a separate layer; say so plainly
            state.report_error = f"reports not written: conformance.report unavailable ({exc})"
            return
        try:
            state.artifacts = write_all(result, Path(str(state.settings.report_dir)))
        except Exception as exc:  # a writer bug must not hide the run's verdict
            state.report_error = f"reports not written: {type(exc).__name__}: {exc}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        state = run_of(self.config)
        if state.result is None:
            return
        for line in state.collector.errors if state.collector else []:
            terminalreporter.write_line(f"fdconf: {line}", yellow=True)
        if state.report_error:
            terminalreporter.write_line(f"fdconf: {state.report_error}", red=True)
        try:
            from rich.console import Console

            from conformance.report import render_summary
        except ImportError:
            terminalreporter.write_line(f"fdconf: verdict {state.result.verdict} ({state.result.counts()})")
            return
        tw = terminalreporter._tw
        console = Console(file=cast(IO[str], _Writer(terminalreporter)), width=max(80, tw.fullwidth),
                          force_terminal=tw.hasmarkup, color_system="standard" if tw.hasmarkup else None,
                          soft_wrap=False)
        written = state.settings.report_dir if state.settings else None
        report_dir = Path(written) if written else None
        render_summary(state.result, console, report_dir, state.artifacts)


def _public_personas(settings: Settings, sessions: dict[str, Session]) -> list[dict[str, str]]:
    """The report's persona entries, with the partners of every persona this process signed in."""
    known: dict[str, list[str]] = {}
    for name, session in sessions.items():
        if session.signed_in:
            try:
                known[name] = list(session.partners)
            except Exception:
                continue
    return list(settings.with_partners(known).public_personas())


class _Writer:
    """A file-like object over pytest's terminal writer, for rich."""

    def __init__(self, reporter: Any) -> None:
        self._reporter = reporter

    def write(self, text: str) -> int:
        self._reporter.write(text)
        return len(text)

    def flush(self) -> None:
        self._reporter.flush()
