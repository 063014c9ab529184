"""Sweeping many operations with one probe, collecting every violation into one Finding.

A sweep visits each spec operation (filled with discovered path values), sends a probe and lets a
judge raise :class:`Finding`s; all of them are gathered so one run names every offending operation.

Host attribution: HST-02 is "the CR host enforces the same AUTH, TEN and OBJ rules", so a violation
of one of those rules observed on the CR host is HST-02's evidence alone, and one observed on the
main host is the family rule's alone (specs/README.md, Decisions). A sweep therefore files each
finding under :func:`~conformance.checks.rule_for_host` and raises one finding per sweep
that names the rules hit.

Evidence: every probe is recorded in the run's probe ledger (the ``fd_ledger`` fixture) under the
sweep's check, on the host it was sent to (same mapping: a CR probe of an AUTH/TEN/OBJ check is
HST-02's check of the same id). A probe whose positive control failed is recorded *unexercised* with
the control's reason and not sent; a judge may raise :class:`Unexercised` when the answer cannot
judge the check, and a probe whose request stays 429 after every retry
(:class:`Throttled`) is unexercised with ``throttled (429 after N attempts)``. A probe of a host the
run cannot reach (:meth:`ProbeLedger.absent`: no ``target.cr``, no media base) is recorded
unexercised with that reason and not sent. A probe that timed out (or whose operation was abandoned
after timing out ``run.abandon_after`` times) is unexercised with that reason. A sweep that judged
nothing skips its test with the reasons.

Confirmation: a probe whose judge raised a :class:`Finding` is judged again (the judge re-sends its
requests through the run's Transport, audited as ``confirm``) up to ``run.confirm`` times before it
counts. A failure no replay reproduced is *flaky*: the probe is recorded passed (the replays judged
it), the finding goes to the ledger's flaky list with its attempts and curl line, not into the sweep's
findings. A judge that walks state (a lifecycle, a boost, a refresh) is not replayable
(``replay=False``): sending it again would not send the same requests, so its failure counts as seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest

from conformance.checks import rule_for_host
from conformance.client import Confirmation, Throttled, not_replayed
from conformance.errors import Finding, RequestTimedOut
from conformance.scenarios.controls import ControlResult, ProbeLedger
from conformance.scenarios.sending import host_of
from conformance.spec import Operation, fill_path

PLACEHOLDER = "fdconf-probe"
MAX_LISTED = 8


class Unexercised(Exception):
    """Raised by a judge: the answer cannot judge the check (the message says why)."""


def record(ledger: ProbeLedger, rule_id: str, check: str, *, host: str, operation: str, outcome: str,
           reason: str = "", unanswered: bool = False) -> None:
    """Record one probe under the rule its host makes it evidence for (HST-02 for CR AUTH/TEN/OBJ)."""
    host = "main" if host == "media" else host
    ledger.record(rule_for_host(rule_id, host), check, host=host, operation=operation, outcome=outcome,
                  reason=reason, unanswered=unanswered)


Effect = Callable[[], None]


@dataclass(frozen=True)
class _Probe:
    """One probe as :meth:`Sweep.judge` was given it."""

    fn: Callable[[], None]
    host: str
    operation: str
    check: str
    control: ControlResult | None
    replay: bool


@dataclass
class Sweep:
    """Collects per-operation findings of one rule and raises them together at the end.

    Findings are filed per host (:func:`rule_for_host`): a sweep of an AUTH/TEN/OBJ rule over both
    hosts raises its rule for main-host violations and HST-02 for CR-host ones, each alone.

    ``concurrent=True`` (a sweep whose probes are independent reads): when the run keeps requests in
    flight (:meth:`ProbeLedger.pool`), each probe, its control and its replays are sent from the
    ledger's thread pool, side by side with the sweep's other probes; what they come to (ledger
    entries, findings, flaky failures, the counts) is applied in the order the probes were made, so the
    ledger and the findings are the same as without the pool. Reading :attr:`findings`,
    :attr:`visited`, :attr:`judged` or :attr:`skipped` waits for the probes made so far. A judge that
    walks state (``replay=False``) is always sent alone, after every probe before it."""

    rule_id: str
    ledger: ProbeLedger
    check: str
    concurrent: bool = False
    _findings: list[Finding] = field(default_factory=list)
    _visited: int = 0
    _judged: int = 0
    _skipped: list[str] = field(default_factory=list)
    _made: int = 0
    _pending: list[Future[list[Effect]] | list[Effect]] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        self.settle()
        return self._findings

    @property
    def visited(self) -> int:
        """Probes sent (not skipped for an absent host or a failed control)."""
        self.settle()
        return self._visited

    @property
    def judged(self) -> int:
        self.settle()
        return self._judged

    @property
    def skipped(self) -> list[str]:
        self.settle()
        return self._skipped

    def judge(self, fn: Callable[[], None], host: str = "main", *, operation: str = "",
              control: ControlResult | None = None, check: str = "", replay: bool = True) -> None:
        """Run one probe's judge and record its outcome (``control``: unexercised unless it succeeded).

        A failure is confirmed by running ``fn`` again (``replay=False``: a judge that walks state)."""
        self._made += 1
        check = check or self.check
        operation = operation or f"probe {self._made}"
        absent = self.ledger.absent(host)
        if absent:  # a host this run cannot reach (no target.cr, no media base): nothing is sent
            self.unexercised(host, operation, absent, check=check)
            return
        probe = _Probe(fn, host, operation, check, control, replay)
        pool = self.ledger.pool() if self.concurrent and replay else None
        if pool is None:
            self.settle()
            self._apply(self._send(probe))
        else:
            self._pending.append(pool.submit(self._send, probe))

    def _send(self, probe: _Probe) -> list[Effect]:
        """Send one probe (its control first) and judge it: what it came to, to apply in order."""
        host, operation, check, control = probe.host, probe.operation, probe.check, probe.control
        if control is not None and not control.ok:
            return [partial(self._unexercised_now, host, operation, control.reason, check,
                            control.unanswered)]
        effects: list[Effect] = [self._count_visit]
        why: str | None = None  # set when the answer judged nothing (its reason may be empty)
        unanswered = False
        try:
            with self.ledger.watch() as first:
                probe.fn()
        except Unexercised as exc:
            why = str(exc)
        except Throttled as exc:
            why = exc.reason
        except RequestTimedOut as exc:  # no answer judges nothing, and is never a finding
            why, unanswered = exc.reason, True
        except Finding as finding:
            effects += self._failed(probe, finding, list(first))
        else:
            effects.append(partial(record, self.ledger, self.rule_id, check, host=host, operation=operation,
                                   outcome="pass"))
        if why is not None:
            return [*effects, partial(self._unexercised_now, host, operation, why, check, unanswered)]
        return [*effects, self._count_judged]

    def _failed(self, probe: _Probe, finding: Finding, first: list[int]) -> list[Effect]:
        host, operation, check = probe.host, probe.operation, probe.check
        confirmation = self._confirm(probe.fn, first) if probe.replay else not_replayed(
            first, "not replayed: it walks state, a replay would not send the same requests")
        finding.confirmation = confirmation.as_dict()
        reason = finding.message.splitlines()[0]
        if confirmation.counts:
            return [partial(self._add_now, finding, host),
                    partial(record, self.ledger, self.rule_id, check, host=host, operation=operation,
                            outcome="fail", reason=reason)]
        # the replays judged it and none failed: flaky, kept apart from the findings
        filed = self._filed(finding, host)
        return [partial(self.ledger.flaky, filed, host=host, operation=operation),
                partial(record, self.ledger, self.rule_id, check, host=host, operation=operation,
                        outcome="pass", reason=f"flaky: {reason}")]

    def _count_visit(self) -> None:
        self._visited += 1

    def _count_judged(self) -> None:
        self._judged += 1

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            effect()

    def _later(self, effect: Effect) -> None:
        """Apply ``effect`` after every probe made before it (at once when none is in flight)."""
        if self._pending:
            self._pending.append([effect])
        else:
            effect()

    def settle(self) -> None:
        """Wait for the probes in flight and apply what they came to, in the order they were made.

        The first probe that raised (a target that stopped, a write refused by the guard) raises here,
        after the probes before it were applied; the ones after it are dropped, unsent if not started."""
        pending, self._pending = self._pending, []
        for index, item in enumerate(pending):
            try:
                effects = item.result() if isinstance(item, Future) else item
            except BaseException:
                for rest in pending[index + 1:]:
                    if isinstance(rest, Future):
                        rest.cancel()
                wait([rest for rest in pending[index + 1:] if isinstance(rest, Future)])
                raise
            self._apply(effects)

    def unexercised(self, host: str, operation: str, why: str, *, check: str = "",
                    unanswered: bool = False) -> None:
        self._later(partial(self._unexercised_now, host, operation, why, check, unanswered))

    def _unexercised_now(self, host: str, operation: str, why: str, check: str = "",
                         unanswered: bool = False) -> None:
        self._skipped.append(f"{operation}: {why}")
        record(self.ledger, self.rule_id, check or self.check, host=host, operation=operation,
               outcome="unexercised", reason=why, unanswered=unanswered)

    def _confirm(self, fn: Callable[[], None], first: list[int]) -> Confirmation:
        def attempt() -> BaseException | None:
            try:
                fn()
            except Finding as again:
                return again
            return None

        return self.ledger.confirm(attempt, first, unjudged=(Unexercised,))

    def _filed(self, finding: Finding, host: str) -> Finding:
        rule = rule_for_host(finding.rule_id, host)
        if rule == finding.rule_id:
            return finding
        return finding.relabel(rule, f"{finding.rule_id} on the {host} host: {finding.message}")

    def add(self, finding: Finding, host: str = "main") -> None:
        """File ``finding`` (raised for this sweep's rule) under the rule its host makes it evidence for."""
        self._later(partial(self._add_now, finding, host))

    def _add_now(self, finding: Finding, host: str) -> None:
        self._findings.append(self._filed(finding, host))

    def finish(self, what: str) -> None:
        self.settle()
        if not self._findings:
            if self._judged == 0:
                pytest.skip(
                    f"not run: nothing judged for {what}"
                    + (f" (unexercised: {'; '.join(self._skipped[:MAX_LISTED])})" if self._skipped else "")
                )
            return
        by_rule: dict[str, list[Finding]] = {}
        for finding in self._findings:
            by_rule.setdefault(finding.rule_id, []).append(finding)
        # One finding per rule, each summarising only its own operations (the first, e.g. OBJ-01, with
        # the others, e.g. HST-02 for the CR host, as its ``also``): no rule shows another's message.
        parts = []
        for found in by_rule.values():
            summary = "; ".join(f.message for f in found[:MAX_LISTED])
            more = f" (+{len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
            parts.append(found[0].relabel(
                found[0].rule_id,
                f"{what}: {len(found)} of {self._visited} operations violate it: {summary}{more}", also=()))
        first = parts[0]
        raise first.relabel(first.rule_id, first.message, also=tuple(parts[1:]))


def targets(
    ops: Iterable[Operation],
    values: Mapping[str, Any],
    *,
    reads_only: bool,
    placeholder: bool = False,
    sweep: Sweep | None = None,
    keep: Callable[[Operation], bool] = lambda op: True,
) -> list[tuple[Operation, str]]:
    """``(operation, concrete path)`` pairs to probe; unfillable or filtered operations are skipped.

    With a ``sweep``, operations on a host the run cannot reach are recorded unexercised with the
    reason (no ``target.cr``, no media base) and left out, so the rest of the sweep still runs."""
    out = []
    for op in ops:
        if not keep(op) or (reads_only and not op.is_read) or op.method == "HEAD":
            continue
        absent = sweep.ledger.absent(host_of(op)) if sweep is not None else ""
        if sweep is not None and absent:
            sweep.unexercised(host_of(op), op.label, absent)
            continue
        filled = dict(values)
        if placeholder:
            for param in op.path_params:
                filled.setdefault(op.kind_of(param), PLACEHOLDER)
        path = fill_path(op, filled)
        if path is None:
            if sweep is not None:
                sweep.unexercised(op.host, op.label, "no discovered value for its path parameters")
            continue
        out.append((op, path))
    return out
