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
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from conformance.checks import rule_for_host
from conformance.client import Api, Confirmation, Exchange, Throttled, not_replayed
from conformance.errors import Finding, RequestTimedOut
from conformance.spec import Operation, example_body, fill_path, minimal_instance, spec_of

PLACEHOLDER = "fdconf-probe"
MAX_LISTED = 8


class Unexercised(Exception):
    """Raised by a judge: the answer cannot judge the check (the message says why)."""


class ControlResult(Protocol):
    """A positive control's answer (``conformance.harness.ledger.Control``)."""

    @property
    def ok(self) -> bool: ...
    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def exchange(self) -> Any: ...
    @property
    def unanswered(self) -> bool: ...


class ProbeLedger(Protocol):
    """What scenarios use of the run's probe ledger (``fd_ledger``)."""

    def record(self, rule_id: str, check: str, *, host: str, operation: str, outcome: Any,
               reason: str = "", unanswered: bool = False) -> None: ...

    def control(self, persona: str, host: str, operation: str, send: Callable[[], Any], *,
                accept: Callable[[int], bool] = ..., refused: str = "") -> ControlResult: ...

    def absent(self, host: str) -> str: ...

    def watch(self) -> Any: ...

    def confirm(self, attempt: Callable[[], BaseException | None], first: list[int], *,
                unjudged: tuple[type[Exception], ...] = ()) -> Confirmation: ...

    def flaky(self, finding: Finding, *, host: str, operation: str = "", test: str = "") -> None: ...


def record(ledger: ProbeLedger, rule_id: str, check: str, *, host: str, operation: str, outcome: str,
           reason: str = "", unanswered: bool = False) -> None:
    """Record one probe under the rule its host makes it evidence for (HST-02 for CR AUTH/TEN/OBJ)."""
    host = "main" if host == "media" else host
    ledger.record(rule_for_host(rule_id, host), check, host=host, operation=operation, outcome=outcome,
                  reason=reason, unanswered=unanswered)


def who(api: Api) -> str:
    """The control cache's persona key: the persona and the partner header it sends."""
    return f"{api.persona}:{api.partner or '-'}"


def read_control(ledger: ProbeLedger, api: Api, op: Operation, path: str, **kwargs: Any) -> ControlResult:
    """The positive control of a read: ``api``'s persona gets 2xx on ``op`` at ``path`` (its own ids)."""
    return ledger.control(who(api), op.host, op.label, lambda: api.get(path, **kwargs))


@dataclass(frozen=True)
class NoControl:
    """A control that cannot be sent: the probes behind it stay unexercised with ``reason``."""

    reason: str
    ok: bool = False
    status: int = 0
    exchange: Any = None
    unanswered: bool = False


def _reaches_handler(status: int) -> bool:
    # The write's route exists and resolved the persona's own eid: anything but an auth refusal,
    # a missing route or object, or a server error (a 400 on the example body still reached it).
    return status < 500 and status not in (401, 404, 405)


def write_control(
    ledger: ProbeLedger, api: Api, op: Operation, own: Mapping[str, Any],
    known: Mapping[str, Any] | None = None,
) -> ControlResult:
    """The positive control of a write: ``api``'s persona sends the same write on its own sandbox
    event (``own`` path values) and reaches the handler. Writes without an eid in the path have no
    sandbox to confine the control to: their probes stay unexercised."""
    path = fill_path(op, own)
    if path is None or not op.eid_params:
        return NoControl("no control: a write outside the sandbox event is not sent with a valid token")
    return ledger.control(
        who(api), op.host, op.label, lambda: send(api, op, path, known=known), accept=_reaches_handler
    )


def host_of(op: Operation) -> str:
    return "media" if op.base == "unversioned" else op.host


def required_params(op: Operation, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values for the operation's required query parameters: ``known`` ones, else a minimal valid value."""
    out: dict[str, Any] = {}
    for param in op.required_query:
        name = str(param.get("name"))
        if known and name in known:
            out[name] = known[name]
        else:
            value = minimal_instance(param.get("schema", {}), spec_of(op.host))
            out[name] = str(value).lower() if isinstance(value, bool) else value
    return out


def send(
    api: Api, op: Operation, path: str, *, known: Mapping[str, Any] | None = None, **kwargs: Any
) -> Exchange:
    """Send ``op`` at ``path`` with its required query parameters and, for writes, a small schema-valid
    body, so validation cannot mask the answer the probe is about (auth, scope, parent/child)."""
    if op.method in ("POST", "PUT", "PATCH") and "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = example_body(op)
    params = required_params(op, known)
    if params and "params" not in kwargs:
        kwargs["params"] = params
    return api.request(op.method, path, **kwargs)


@dataclass
class Sweep:
    """Collects per-operation findings of one rule and raises them together at the end.

    Findings are filed per host (:func:`rule_for_host`): a sweep of an AUTH/TEN/OBJ rule over both
    hosts raises its rule for main-host violations and HST-02 for CR-host ones, each alone."""

    rule_id: str
    ledger: ProbeLedger
    check: str
    findings: list[Finding] = field(default_factory=list)
    visited: int = 0
    judged: int = 0
    skipped: list[str] = field(default_factory=list)

    def judge(self, fn: Callable[[], None], host: str = "main", *, operation: str = "",
              control: ControlResult | None = None, check: str = "", replay: bool = True) -> None:
        """Run one probe's judge and record its outcome (``control``: unexercised unless it succeeded).

        A failure is confirmed by running ``fn`` again (``replay=False``: a judge that walks state)."""
        check = check or self.check
        operation = operation or f"probe {self.visited + 1}"
        absent = self.ledger.absent(host)
        if absent:  # a host this run cannot reach (no target.cr, no media base): nothing is sent
            self.unexercised(host, operation, absent, check=check)
            return
        if control is not None and not control.ok:
            self.unexercised(host, operation, control.reason, check=check, unanswered=control.unanswered)
            return
        self.visited += 1
        try:
            with self.ledger.watch() as first:
                fn()
        except Unexercised as exc:
            self.unexercised(host, operation, str(exc), check=check)
            return
        except Throttled as exc:
            self.unexercised(host, operation, exc.reason, check=check)
            return
        except RequestTimedOut as exc:  # no answer judges nothing, and is never a finding
            self.unexercised(host, operation, exc.reason, check=check, unanswered=True)
            return
        except Finding as finding:
            confirmation = self._confirm(fn, list(first)) if replay else not_replayed(
                list(first), "not replayed: it walks state, a replay would not send the same requests")
            finding.confirmation = confirmation.as_dict()
            if confirmation.counts:
                self.add(finding, host)
                record(self.ledger, self.rule_id, check, host=host, operation=operation, outcome="fail",
                       reason=finding.message.splitlines()[0])
            else:  # the replays judged it and none failed: flaky, kept apart from the findings
                self.ledger.flaky(self._filed(finding, host), host=host, operation=operation)
                record(self.ledger, self.rule_id, check, host=host, operation=operation, outcome="pass",
                       reason=f"flaky: {finding.message.splitlines()[0]}")
        else:
            record(self.ledger, self.rule_id, check, host=host, operation=operation, outcome="pass")
        self.judged += 1

    def unexercised(self, host: str, operation: str, why: str, *, check: str = "",
                    unanswered: bool = False) -> None:
        self.skipped.append(f"{operation}: {why}")
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
        self.findings.append(self._filed(finding, host))

    def finish(self, what: str) -> None:
        if not self.findings:
            if self.judged == 0:
                pytest.skip(
                    f"not run: nothing judged for {what}"
                    + (f" (unexercised: {'; '.join(self.skipped[:MAX_LISTED])})" if self.skipped else "")
                )
            return
        by_rule: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_rule.setdefault(finding.rule_id, []).append(finding)
        # One finding per rule, each summarising only its own operations (the first, e.g. OBJ-01, with
        # the others, e.g. HST-02 for the CR host, as its ``also``): no rule shows another's message.
        parts = []
        for found in by_rule.values():
            summary = "; ".join(f.message for f in found[:MAX_LISTED])
            more = f" (+{len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
            parts.append(found[0].relabel(
                found[0].rule_id,
                f"{what}: {len(found)} of {self.visited} operations violate it: {summary}{more}", also=()))
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
