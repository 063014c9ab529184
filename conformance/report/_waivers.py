"""Applying waivers to a finished run: pure, on the :class:`RunResult`, before any report is written.

A failed rule is *waived* when every one of its findings matches a live waiver (same rule; the
waiver's host, operation and check, where given, equal the finding's). A waived rule keeps its
status ``failed`` and its findings, gains a ``waiver`` note (reason, ticket, until) that every report
shows as "failed (waived: …)", and does not fail the exit code (:func:`blocking_failures`). It still
blocks CERTIFIED: the verdict is a statement about the deployment, and a known failure is still a
failure (specs/README.md, Decisions). A failed rule with one finding no waiver covers is not waived.

Every waiver ends up in the run's ledger (``RunResult.waivers``) in one state:

- ``applied``: it matched at least one finding;
- ``expired``: its ``expires`` day has passed, so it no longer applies (one line in the run's output);
- ``incomplete``: it matched findings of a rule that has others no waiver covers (the rule fails);
- ``stale``: it is live but matched nothing (the failure is fixed or the waiver is mis-scoped).

Waivers arrive as anything shaped like :class:`WaiverLike` (the config layer's ``Waiver``), so this
module needs nothing from the configuration layer.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from conformance.errors import ConfigError
from conformance.report._explain import check_ids
from conformance.report._locations import operation_of
from conformance.report._model import FindingRecord, RuleResult, RunResult
from conformance.rules import Rule


class WaiverLike(Protocol):
    """What a waiver must offer (see ``conformance.config._waivers.Waiver``)."""

    @property
    def rule(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def check(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def ticket(self) -> str: ...
    @property
    def expires(self) -> str: ...
    @property
    def source(self) -> str: ...

    def live_on(self, day: date) -> bool: ...
    def label(self) -> str: ...
    def to_dict(self) -> dict[str, str]: ...


def check_waivers(waivers: Iterable[WaiverLike], rules: Mapping[str, Rule]) -> None:
    """:class:`ConfigError` (one line) for a waiver naming a rule (or a check) the catalogue lacks."""
    for waiver in waivers:
        if waiver.rule not in rules:
            close = difflib.get_close_matches(waiver.rule, list(rules), n=1, cutoff=0.6)
            guess = close[0] if close else ""
            raise ConfigError(f"{waiver.source}: rule {waiver.rule!r} is not in the rule catalogue",
                              f"did you mean {guess}?" if guess else "`fdconf explain` lists the rules")
        known = check_ids(waiver.rule)
        if waiver.check and known and waiver.check not in known:
            raise ConfigError(f"{waiver.source}: rule {waiver.rule} has no check {waiver.check!r}",
                              f"use one of {', '.join(known)} (`fdconf explain {waiver.rule}`)")


def _matches(waiver: WaiverLike, finding: FindingRecord, targets: dict[str, str]) -> bool:
    if waiver.rule != finding.rule_id:
        return False
    if waiver.check and waiver.check != str(getattr(finding, "check", "") or ""):
        return False  # a finding that names no check is not covered by a check-scoped waiver
    if waiver.host or waiver.operation:
        host, operation = operation_of(finding, targets)
        if waiver.host and waiver.host != (host or finding.host):
            return False
        if waiver.operation and waiver.operation != operation:
            return False
    return True


def note(waiver: WaiverLike) -> dict[str, str]:
    """The ``RuleResult.waiver`` note: what every report shows for a waived rule."""
    return {"reason": waiver.reason, "ticket": waiver.ticket, "expires": waiver.expires,
            "source": waiver.source}


def waived_label(waiver: Mapping[str, str]) -> str:
    """``failed (waived: flaky upstream, JIRA-12, until 2026-12-31)``."""
    return f"failed (waived: {waiver['reason']}, {waiver['ticket']}, until {waiver['expires']})"


def apply_waivers(result: RunResult, waivers: Sequence[WaiverLike], today: date) -> RunResult:
    """``result`` with matching failed rules waived and the waiver ledger filled (a new object)."""
    live = [w for w in waivers if w.live_on(today)]
    used: set[int] = set()  # waivers that waived a rule
    matched: set[int] = set()  # waivers that matched a finding, whether or not its rule ended up waived
    rules: list[RuleResult] = []
    for rule in result.rules:
        if rule.status != "failed" or not rule.findings:
            rules.append(rule)
            continue
        hits = [next((i for i, w in enumerate(live) if _matches(w, f, result.targets)), None)
                for f in rule.findings]
        matched.update(i for i in hits if i is not None)
        if all(i is not None for i in hits):
            covering = [i for i in hits if i is not None]
            used.update(covering)
            rules.append(dataclasses.replace(rule, waiver=note(live[covering[0]])))
        else:
            rules.append(rule)
    ledger: list[dict[str, Any]] = []
    for waiver in waivers:
        index = next((i for i, w in enumerate(live) if w is waiver), None)
        if index is None:
            state = "expired"
        elif index in used:
            state = "applied"
        elif index in matched:
            state = "incomplete"
        else:
            state = "stale"
        ledger.append({**waiver.to_dict(), "state": state})
    return dataclasses.replace(result, rules=rules, waivers=ledger)


def blocking_failures(result: RunResult) -> list[RuleResult]:
    """Failed rules no waiver covers: the ones that fail the exit code."""
    return [r for r in result.rules if r.status == "failed" and not r.waiver]


def ledger_lines(result: RunResult) -> list[str]:
    """One line per waiver that did not apply (expired, stale), for the run's output and reports."""
    out = []
    for entry in result.waivers:
        scope = " ".join(p for p in (entry.get("rule"), entry.get("host"), entry.get("operation")) if p)
        where = f" ({entry['source']})" if entry.get("source") else ""
        if entry.get("state") == "expired":
            out.append(f"waiver {scope} [{entry.get('ticket')}] expired on {entry.get('expires')}: "
                       f"it no longer applies{where}")
        elif entry.get("state") == "incomplete":
            out.append(f"waiver {scope} [{entry.get('ticket')}] covers only some findings of "
                       f"{entry.get('rule')}: the rule still fails{where}")
        elif entry.get("state") == "stale":
            out.append(f"waiver {scope} [{entry.get('ticket')}] matched no failure (stale): remove it "
                       f"once the fix is confirmed{where}")
    return out
