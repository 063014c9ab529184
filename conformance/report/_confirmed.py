"""How the reports speak about confirmation: failures replayed before they counted, and flaky ones.

A finding's ``confirmation`` (``results.json`` v5) says how many attempts it took and what each one
answered; a rule's ``flaky`` list holds the failures no replay reproduced (reported with their curl
line, not counted unless the run was strict; specs/README.md, decisions 66-68). Every writer uses the
same words from here: the terminal, ``summary.md``, the certificate and JUnit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conformance.report._model import FindingRecord, RuleResult, RunResult

MAX_LISTED = 5


def attempts_text(confirmation: Mapping[str, Any] | None) -> str:
    """``"3 attempts: 503, 404, 404"`` (``""`` when the finding was not replayed)."""
    if not confirmation:
        return ""
    statuses = ", ".join(str(s) if s else "no answer" for s in confirmation.get("statuses", []))
    attempts = int(confirmation.get("attempts", 1))
    text = f"{attempts} attempt{'s' if attempts != 1 else ''}: {statuses}"
    note = str(confirmation.get("note", ""))
    return text + (f" ({note})" if note else "")


def state_of(record: FindingRecord) -> str:
    """``confirmed`` | ``flaky`` | ``unconfirmed`` (counted without a judged replay)."""
    confirmation = record.confirmation or {}
    if confirmation.get("flaky"):
        return "flaky"
    return "confirmed" if confirmation.get("reproduced") else "unconfirmed"


def flaky_of(result: RunResult) -> Iterator[tuple[RuleResult, FindingRecord]]:
    """Every flaky finding of the run, with its rule (a strict run's are among the findings)."""
    for rule in result.rules:
        for record in (*rule.flaky, *(f for f in rule.findings if f.flaky)):
            yield rule, record


def where(record: FindingRecord) -> str:
    """``main GET /events/{eid}/statistics`` or the start of the message."""
    if record.operation:
        host = f"{record.host} " if record.host and not record.operation.startswith(record.host) else ""
        return f"{host}{record.operation}"
    return record.message.splitlines()[0][:80] if record.message else record.test


def flaky_line(rule: RuleResult, record: FindingRecord, *, strict: bool = False) -> str:
    """One line per flaky finding: rule, where, the attempts, and whether it counted."""
    counted = "counted: the run is strict" if strict else "not counted (--strict counts it)"
    return f"flaky {rule.id} {where(record)}: {attempts_text(record.confirmation)}; {counted}"


def summary_text(confirmation: Mapping[str, Any]) -> str:
    """``"2 replays per failure: 3 confirmed, 1 flaky (not counted), 41 replays sent"``."""
    if not confirmation:
        return ""
    replays = int(confirmation.get("replays", 0))
    if replays <= 0:
        return "failures are not replayed (run.confirm = 0)"
    flaky = int(confirmation.get("flaky", 0))
    counted = "counted: strict" if confirmation.get("strict") else "not counted"
    parts = [f"{confirmation.get('confirmed', 0)} confirmed"]
    parts.append(f"{flaky} flaky ({counted})" if flaky else "0 flaky")
    if confirmation.get("unconfirmed"):
        parts.append(f"{confirmation['unconfirmed']} counted unreplayed")
    return (f"up to {replays} replay{'s' if replays != 1 else ''} per failure: {', '.join(parts)}, "
            f"{confirmation.get('replays_sent', 0)} replays sent")


def flaky_lines(result: RunResult, limit: int = MAX_LISTED) -> list[str]:
    """The flaky findings as lines (at most ``limit``, then how many more)."""
    strict = bool(result.confirmation.get("strict"))
    found = list(flaky_of(result))
    lines = [flaky_line(rule, record, strict=strict) for rule, record in found[:limit]]
    if len(found) > limit:
        lines.append(f"(+{len(found) - limit} more flaky findings: results.json `flaky`)")
    return lines
