"""What a run prints: live progress while tests run, and the closing table.

Closing table: :func:`render_summary` ``(result, console, report_dir=None, artifacts=None)`` prints
rules passed / failed / not run, one line per failed or not-run rule with its reason, generated
cases, time, the verdict and where the reports are (with file sizes when ``artifacts`` is given).

Progress (for the pytest plugin):

.. code-block:: python

    progress = RunProgress(console, total=len(items))   # total may be None (unknown)
    progress.start()                                     # or: with RunProgress(...) as progress:
    progress.advance(nodeid, "passed")                   # once per finished test; outcome is
                                                         # "passed" | "failed" | "skipped"
    progress.stop()                                      # idempotent

The bar shows done/total, elapsed time and live passed/failed/skipped counts; it is transient (it
disappears before the closing table) and rich turns it off by itself when the console is not a
terminal (CI logs), so callers need no special case. ``auto_refresh=False`` redraws only on
:meth:`RunProgress.advance`/:meth:`RunProgress.refresh` (no timer thread: inside pytest, output
written while a test runs would be captured into that test's output). The bar never redirects
``sys.stdout``/``sys.stderr`` (pytest's capture owns them).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from conformance.report._confirmed import flaky_lines, summary_text
from conformance.report._grouping import (
    STATUS_LABEL,
    answered_2xx,
    coverage_text,
    edges_text,
    format_duration,
    headline,
    judged_text,
    operations_by_host,
    progress_text,
    requests_text,
    unfuzzed_text,
)
from conformance.report._model import RunResult
from conformance.report._waivers import ledger_lines, waived_label

_STYLE = {"passed": "green", "failed": "bold red", "partial": "bold yellow", "not_run": "yellow"}
_BAR_WIDTH = 24


def _size(num: int) -> str:
    return (
        f"{num} B"
        if num < 1024
        else f"{num / 1024:.1f} KiB"
        if num < 1024 * 1024
        else f"{num / 2**20:.1f} MiB"
    )


def rate_text(rate: dict[str, object]) -> str:
    """One line on the run's rate budget: the figures, the 429s met and retried, the time spent waiting."""
    text = (f"budget {rate.get('budget', 'off')}; {rate.get('throttled', 0)} answered 429, "
            f"{rate.get('retries', 0)} retried, {rate.get('backoff_seconds', 0):.1f} s backing off, "
            f"{rate.get('paced_seconds', 0):.1f} s paced")
    unjudged = [f"{rate[key]} {what}" for key, what in (("unjudged_cases", "fuzz cases"),
                                                        ("unexercised_probes", "probes"))
                if rate.get(key)]
    return text + (f"; throttled, not judged: {', '.join(unjudged)}" if unjudged else "")


def render_summary(  # noqa: PLR0915 - one table, one row per field
    result: RunResult,
    console: Console,
    report_dir: Path | None = None,
    artifacts: Mapping[str, Path] | None = None,
) -> None:
    """Print the closing table of a run (see the module docstring)."""
    counts = result.counts()
    total_cases = sum(op.cases for op in result.operations) or sum(result.cases.values())
    # The title line prints on every run, also a CERTIFIED one whose table has no row.
    console.print(Text(f"fd-conformance run {result.run_id}", style="bold"), soft_wrap=True)
    table = Table(show_lines=False)
    table.add_column("rule")
    table.add_column("status")
    table.add_column("tests", justify="right")
    table.add_column("judged", justify="right")
    table.add_column("reason / first finding", overflow="fold")
    for rule in result.rules:
        if rule.status == "passed":
            continue
        reason = rule.reason
        if rule.status == "failed" and rule.findings:
            reason = headline(rule.findings[0], 160)
            if len(rule.findings) > 1:
                reason += f"  (+{len(rule.findings) - 1} more)"
        label = STATUS_LABEL[rule.status]
        if rule.waiver:
            label, reason = "waived", f"{waived_label(rule.waiver)}: {reason}"
        table.add_row(rule.id, Text(label, style=_STYLE[rule.status] if not rule.waiver else "yellow"),
                      str(rule.tests), judged_text(rule), reason)
    if table.row_count:
        console.print(table)
        console.print(Text("`fdconf explain RULE` says what a rule checks and how to reproduce a finding",
                           style="dim"), soft_wrap=True)
    for line in ledger_lines(result):
        console.print(Text(f"fdconf: {line}", style="yellow"), soft_wrap=True)
    for line in flaky_lines(result):
        console.print(Text(f"fdconf: {line}", style="yellow"), soft_wrap=True)
    totals = Table.grid(padding=(0, 2))
    totals.add_column(justify="right", style="bold")
    totals.add_column()
    totals.add_row(
        "rules",
        Text.assemble(
            (f"{counts['passed']} passed", _STYLE["passed"]),
            ", ",
            (f"{counts['failed']} failed", _STYLE["failed"] if counts["failed"] else ""),
            ", ",
            (f"{counts['partial']} partial", _STYLE["partial"] if counts["partial"] else ""),
            ", ",
            (f"{counts['not_run']} not run", _STYLE["not_run"] if counts["not_run"] else ""),
        ),
    )
    judged = [r.judged for r in result.rules if r.checks]
    evidence = f"{sum(j for j, _ in judged)} of {sum(a for _, a in judged)} probed operations judged"
    totals.add_row("evidence", evidence + " (per check: results.json `checks`)")
    shown = [r for r in result.rules if r.checks and r.status != "not_run"]
    per_rule = "  ".join(f"{r.id} {judged_text(r)}" for r in shown)
    if per_rule:
        totals.add_row("judged", Text(per_rule, overflow="fold"))
    if result.errors:
        totals.add_row("errors", Text(f"{len(result.errors)} run errors (they block CERTIFIED): "
                                      + "; ".join(f"{e.kind} {e.test}" for e in result.errors[:3]),
                                      style="bold red"))
    for line in result.warnings:
        totals.add_row("warning", Text(line, style="yellow", overflow="fold"))
    ops_run = sum(1 for op in result.operations if op.status != "not_run")
    ok, answered = answered_2xx(result.operations)
    reached = f" ({ok} of {answered} answered 2xx)" if answered else ""
    totals.add_row("cases", f"{total_cases} generated over {ops_run} fuzzed operations{reached}")
    if result.confirmation:
        totals.add_row("confirm", summary_text(result.confirmation))
    for host, ops in operations_by_host(result):
        totals.add_row("coverage", Text(f"{host}: {coverage_text(ops)}", overflow="fold"))
    edges = edges_text(result.operations)
    if edges:
        totals.add_row("edges", Text(edges, overflow="fold"))
    unfuzzed = unfuzzed_text(result)
    if unfuzzed:
        totals.add_row("blocked", Text(unfuzzed, style="bold red", overflow="fold"))
    totals.add_row("time", format_duration(result.duration)
                   + (f"; rate {rate_text(result.rate)}" if result.rate else ""))
    if requests_text(result.requests):
        totals.add_row("requests", requests_text(result.requests))
    totals.add_row(
        "mode", f"{result.mode}, seed {result.seed}" + (f", shard {result.shard}" if result.shard else "")
    )
    verdict_style = "bold green" if result.verdict == "CERTIFIED" else "bold red"
    totals.add_row("verdict", Text(result.verdict, style=verdict_style))
    if not result.complete:
        totals.add_row("stopped", Text(progress_text(result.completion), style="bold red"))
    if report_dir is not None:
        totals.add_row("reports", str(report_dir))
    for name, path in (artifacts or {}).items():
        size = _size(path.stat().st_size) if path.is_file() else "missing"
        totals.add_row("", f"{name} ({size})")
    console.print(totals)


class RunProgress:
    """A transient progress bar over the tests of a run (API in the module docstring)."""

    def __init__(
        self,
        console: Console,
        total: int | None = None,
        description: str = "fd-conformance",
        *,
        auto_refresh: bool = True,
    ) -> None:
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=_BAR_WIDTH),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[tally]}"),
            TextColumn("[dim]{task.fields[current]}"),
            console=console,
            transient=True,
            auto_refresh=auto_refresh,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._console = console
        self._description = description
        self._task: TaskID = self._progress.add_task(description, total=total, tally="", current="")
        self._started = False
        self._auto_refresh = auto_refresh

    def start(self) -> None:
        if not self._started:
            self._progress.start()
            self._started = True

    def advance(self, nodeid: str, outcome: str) -> None:
        """Count one finished test (``outcome``: passed, failed or skipped)."""
        if outcome in self.counts:
            self.counts[outcome] += 1
        tally = (
            f"[green]{self.counts['passed']}✓[/] [red]{self.counts['failed']}✗[/] "
            f"[yellow]{self.counts['skipped']}○[/]"
        )
        # The running test gets what the bar, counts and time leave of the line, so they never squeeze.
        room = max(10, self._console.width - len(self._description) - _BAR_WIDTH - 40)
        name = nodeid.rsplit("::", 1)[-1]
        short = escape(name if len(name) <= room else name[: room - 1] + "…")
        self._progress.update(self._task, advance=1, tally=tally, current=short)
        if not self._auto_refresh:
            self.refresh()

    def refresh(self) -> None:
        """Redraw now (needed with ``auto_refresh=False``)."""
        if self._started:
            self._progress.refresh()

    def stop(self) -> None:
        if self._started:
            self._progress.stop()
            self._started = False

    def __enter__(self) -> RunProgress:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
