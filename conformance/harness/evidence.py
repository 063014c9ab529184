"""Turning a failed test's exception (or its text) into redacted :class:`FindingRecord`s.

Runs where the test ran (an xdist worker or the only process), because only there the exception
object exists; the records travel to the controller as plain dicts in ``report.user_properties``.
Attribution is data: a :class:`Finding` names its rules (``rule_id`` and its ``also`` findings), one
record each with that rule's own evidence; a failure that is no Finding is attributed to the test's
own ``fd_rule`` ids. No rule id is ever read out of a message. Curl lines are made runnable on the
way (a masked Authorization header becomes ``${FD_ACCESS_TOKEN}``, see :mod:`conformance.client`), and
:func:`locate` records the host (and, for fuzz findings, the operation) each finding was seen on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from conformance.client import runnable
from conformance.errors import Finding, evidence_line
from conformance.redact import REDACTOR
from conformance.report import FindingRecord

MAX_TEXT = 4000
#: Fuzz requests carry the primary persona's token (the fuzz module's auth provider signs them).
FUZZ_PERSONA = "primary"
_DETAIL_PREFIXES = {"expected: ": "expected", "received: ": "received", "reproduce: ": "curl"}


def _clean(text: str, limit: int = MAX_TEXT) -> str:
    return REDACTOR.text(text)[:limit]


def from_finding(finding: Finding, test: str) -> list[FindingRecord]:
    """One record per rule the finding names (its own first, then its ``also``), each with that rule's
    own message, expected and received, and its one line of evidence (never cut by ``MAX_TEXT``)."""
    return [
        FindingRecord(
            rule_id=part.rule_id,
            message=_clean(part.message),
            expected=_clean(part.expected),
            received=_clean(part.received),
            curl=runnable(_clean(part.curl)),
            request=_clean(part.request),
            response=_clean(part.response),
            test=test,
            confirmation=dict(finding.confirmation) if finding.confirmation else None,
            evidence=REDACTOR.text(evidence_line(part.message)),
        )
        for part in finding.parts
    ]


def _details(lines: Sequence[str]) -> dict[str, str]:
    """``expected``/``received``/``curl`` from a Finding's rendered text (pytest's ``E`` gutter allowed)."""
    details: dict[str, str] = {}
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("E "):  # pytest's failure-text gutter
            stripped = stripped[2:].strip()
        for prefix, key in _DETAIL_PREFIXES.items():
            if stripped.startswith(prefix) and key not in details:
                details[key] = _clean(stripped[len(prefix):])
    if "curl" in details:
        details["curl"] = runnable(details["curl"])
    return details


def from_text(text: str, test: str, fallback: Sequence[str], *, error: bool = False) -> list[FindingRecord]:
    """Records for a failure known only as text: one per fallback rule (the test's own ``fd_rule``
    ids), with the details a rendered Finding shows. Rule ids are never read out of the text: a
    quoted rule tag such as ``[ABC-01]`` names nothing."""
    lines = text.splitlines()
    summary = " ".join(line.strip() for line in lines[:3] if line.strip()) or "failed without a message"
    prefix = "test error: " if error else ""
    message = _clean(prefix + summary, 1000)
    details = _details(lines[:40])
    details.setdefault("received", _clean(text))
    return [FindingRecord(rule_id=r, message=message, test=test, expected=details.get("expected", ""),
                          received=details["received"], curl=details.get("curl", ""),
                          evidence=REDACTOR.text(evidence_line(prefix + summary))) for r in fallback]


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in exc.exceptions:
            out.extend(_leaves(inner))
        return out
    return [exc]


def from_exception(exc: BaseException, test: str, fallback: Sequence[str], *,
                   error: bool = False) -> list[FindingRecord]:
    """Records for everything a failing test raised (exception groups are walked leaf by leaf): a
    :class:`Finding` names its rules as data; anything else is evidence for the fallback rules only
    when no Finding came with it."""
    records: list[FindingRecord] = []
    untagged: list[str] = []
    for leaf in _leaves(exc):
        if isinstance(leaf, Finding):
            records.extend(from_finding(leaf, test))
        else:
            untagged.append(f"{type(leaf).__name__}: {leaf}")
    if untagged and not records:
        records.extend(from_text("\n".join(untagged), test, fallback, error=error))
    return records


def host_of_url(text: str, targets: Mapping[str, str]) -> str:
    """``main`` or ``cr``: the configured base URL ``text`` contains (the longest wins; media is main)."""
    matches = [(len(base), host) for host, base in targets.items() if base and base.rstrip("/") in text]
    if not matches:
        return ""
    host = max(matches)[1]
    return "main" if host == "media" else host


def locate(records: Sequence[FindingRecord], *, targets: Mapping[str, str], operation: str = "") -> None:
    """Fill each record's ``host`` (and ``operation``) in place.

    ``operation`` is a fuzz test's ``fd_operation`` label (``"HOST METHOD path"``): it names both, and
    the fuzz persona is named in the curl line. Otherwise the host is the target whose base URL the
    record's curl line (or request) was sent to.
    """
    host, _, label = operation.partition(" ")
    for record in records:
        if operation:
            record.host = record.host or host
            record.operation = record.operation or label
            record.curl = runnable(record.curl, FUZZ_PERSONA)
        elif not record.host:
            record.host = host_of_url(record.curl or record.request, targets)


def to_payload(records: Sequence[FindingRecord]) -> list[dict[str, Any]]:
    """Records as plain dicts (what xdist can ship from worker to controller)."""
    return [asdict(r) for r in records]


def from_payload(payload: Any) -> list[FindingRecord]:
    if not isinstance(payload, list):
        return []
    return [FindingRecord(**item) for item in payload if isinstance(item, dict)]


def skip_reason(longrepr: Any) -> str:
    """The reason of a skip report (``(path, line, "Skipped: reason")`` or text)."""
    is_tuple = isinstance(longrepr, tuple) and len(longrepr) == 3
    reason = str(longrepr[2]) if is_tuple else str(longrepr or "")
    return reason.removeprefix("Skipped: ").strip() or "skipped"
