"""From Schemathesis failures to catalogue rules.

Built-in failure codes map to rules (ST101/102 → SCH-01, ST103-111 → SCH-02, ST201-205 → SCH-03,
ST401 → AUTH-01, ST402 → OBJ-01); our own checks raise :class:`~conformance.fuzz.checks.RuleFailure`
(code FD901), which carries its rule id as data (its :class:`Finding`); so does a user's own check
that raises a Finding. No rule id is read out of a failure's text.
:func:`as_finding` turns a ``FailureGroup`` into one :class:`Finding` per rule hit (the first, with
the others as its ``also``): each rule carries only the failures that belong to it.

A server error is one fact, not three: when a response is a 5xx (ST101/ST102), the built-in status,
header, body and acceptance verdicts on that same response (ST103-ST205) are consequences of it and
are not attributed separately; the finding is SCH-01's. Our own checks still speak (a 5xx without
the error envelope is also ERR-01's).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import TypeVar

from conformance.checks import rule_for_host
from conformance.errors import RULE_ID_RE, Finding
from conformance.fuzz.context import FuzzCase
from conformance.redact import REDACTOR

E = TypeVar("E", bound=BaseException)
SCH_RANGES = (("ST101", "ST102", "SCH-01"), ("ST103", "ST111", "SCH-02"), ("ST201", "ST205", "SCH-03"))
SINGLE = {"ST401": "AUTH-01", "ST402": "OBJ-01"}
FALLBACK = "SCH-02"
SERVER_ERRORS = ("ST101", "ST102")
#: Built-in verdicts that only restate a server error when the response is a 5xx.
SUBSUMED_BY_SERVER_ERROR = ("ST103", "ST205")
#: Longest failure text and response body a finding keeps (each rule's own evidence line is separate
#: and short, so this limit never cuts it away: :attr:`Finding.evidence`).
MAX_TEXT = 4000


def rule_for_code(code: str) -> str | None:
    """The rule a built-in failure code gives evidence against (``None`` for custom checks)."""
    if code in SINGLE:
        return SINGLE[code]
    for low, high, rule in SCH_RANGES:
        if low <= code <= high:
            return rule
    return None


def _leaves(exc: BaseException) -> Iterable[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


def _code(failure: BaseException) -> str:
    return str(getattr(failure, "code", ""))


def ours(failure: BaseException) -> Finding | None:
    """The :class:`Finding` behind a failure of our checks (``RuleFailure.finding``) or of a user's
    own check that raised one (Schemathesis keeps it as ``CustomFailure.exception``); else ``None``."""
    for attribute in ("finding", "exception"):
        inner = getattr(failure, attribute, None)
        if isinstance(inner, Finding):
            return inner
    return None


def _parts(failure: BaseException, host: str) -> list[tuple[str, str, Finding | None]]:
    """``(rule, text, finding)`` for each rule ONE failure is evidence against, the rules read as data:
    a built-in verdict belongs to the rule of its code alone; a Finding to the rules it names, each
    with its own message. Text is never searched for rule ids (a quoted rule tag is just text)."""
    code = _code(failure)
    title = str(getattr(failure, "title", "") or type(failure).__name__)
    finding = ours(failure)
    if finding is None:
        message = str(getattr(failure, "message", "") or failure)
        return [(rule_for_code(code) or FALLBACK, f"{code} {title}: {message}".strip(), None)]
    return [(rule_for_host(part.rule_id, host), f"{code} {title}: {part.message}".strip(), part)
            for part in finding.parts]


def attributable(failures: Sequence[E]) -> list[E]:
    """The failures of ONE response that are separate facts: with a server error, drop the built-in
    verdicts it implies (undocumented status, content type, acceptance)."""
    if not any(_code(f) in SERVER_ERRORS for f in failures):
        return list(failures)
    low, high = SUBSUMED_BY_SERVER_ERROR
    return [f for f in failures if not (low <= _code(f) <= high and ours(f) is None)]


def as_finding(exc: BaseException, *, operation: str, curl: str = "", host: str = "main") -> Finding:
    """One Finding for the failures in ``exc``: the first rule's, with one ``also`` finding per other rule.

    Each rule gets only the failures that belong to it (its text, expected and received); the
    response and curl line are shared. ``host`` is where the response came from: AUTH/TEN/OBJ
    evidence seen on the CR host is HST-02's (:func:`~conformance.checks.rule_for_host`)."""
    status, payload = response_of(exc)
    response = REDACTOR.text(f"HTTP {status}\n\n{payload}")[:MAX_TEXT] if status else ""
    grouped: dict[str, list[tuple[BaseException, str, Finding | None]]] = {}
    for failure in attributable(list(_leaves(exc))):
        for rule, text, finding in _parts(failure, host):
            # a rule tag quoted inside a failure text is unwrapped, so no reader takes it for a rule
            grouped.setdefault(rule, []).append((failure, RULE_ID_RE.sub(r"\1", text), finding))
    if not grouped:
        grouped[FALLBACK] = [(exc, f"{type(exc).__name__}: {exc}", None)]
    parts = []
    for rule, entries in grouped.items():
        body = REDACTOR.text(" | ".join(text.replace("\n", " ") for _, text, _ in entries))
        expected, received = evidence([(f, found) for f, _, found in entries], status)
        parts.append(Finding(rule, f"{operation}: {body}"[:MAX_TEXT], curl=REDACTOR.text(curl),
                             expected=REDACTOR.text(expected)[:1000], received=REDACTOR.text(received)[:1000],
                             response=response))
    first = parts[0]
    return first.relabel(first.rule_id, first.message, also=tuple(parts[1:]))


# Schemathesis' failure report (FailureGroup message): "[403] Forbidden:" then the indented payload.
_STATUS_BLOCK = re.compile(r"^\[(\d{3})\] ([^\n]*):\n(.*?)(?:\n\s*\nReproduce with:|\Z)", re.S | re.M)


def response_of(exc: BaseException) -> tuple[str, str]:
    """``("403 Forbidden", payload)`` of the response a failure report shows, else ``("", "")``."""
    match = _STATUS_BLOCK.search(str(getattr(exc, "message", "") or ""))
    if match is None:
        return "", ""
    payload = textwrap.dedent(match.group(3)).strip()
    if payload.startswith("`") and payload.endswith("`"):
        payload = payload[1:-1]
    return f"{match.group(1)} {match.group(2)}".strip(), payload


def evidence(failures: Sequence[tuple[BaseException, Finding | None]], status: str) -> tuple[str, str]:
    """``(expected, received)`` of the failures of one response that belong to one rule, never empty
    for a failure: from our own Finding (the part of that rule), Schemathesis' allowed statuses, its
    "Expected:" line, else the kind of failure."""
    expected: list[str] = []
    received: list[str] = []
    for failure, inner in failures:
        if inner is not None and (inner.expected or inner.received):
            expected.append(inner.expected)
            received.append(inner.received or status)
            continue
        code = _code(failure)
        allowed = getattr(failure, "allowed_statuses", None) or getattr(failure, "expected_statuses", None)
        stated = re.search(r"^Expected: (.+)$", str(getattr(failure, "message", "")), re.M)
        kind = str(getattr(failure, "kind_title", "") or getattr(failure, "title", "") or "failure")
        if allowed:
            expected.append(f"{code}: status {', '.join(str(s) for s in allowed)}")
        elif stated:
            expected.append(f"{code}: {stated.group(1)}")
        else:
            expected.append(f"{code}: no {kind[:1].lower()}{kind[1:]}")
        got = getattr(failure, "status_code", None)
        received.append(f"{code}: " + (f"status {got}" if got is not None else status or kind))
    return _joined(expected), _joined(received)


def _joined(parts: list[str]) -> str:
    return "; ".join(dict.fromkeys(p for p in parts if p))


def case_curl(case: FuzzCase, base_url: str) -> str:
    try:
        return str(case.as_curl_command(headers=None))
    except Exception:
        return f"{case.method} {base_url}{case.formatted_path}"
