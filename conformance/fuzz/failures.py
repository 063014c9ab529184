"""From Schemathesis failures to catalogue rules.

Built-in failure codes map to rules (ST101/102 → SCH-01, ST103-111 → SCH-02, ST201-205 → SCH-03,
ST401 → AUTH-01, ST402 → OBJ-01); our own checks raise :class:`~conformance.fuzz.checks.RuleFailure`
(code FD901), which carries its rule id as data.
:func:`as_finding` turns a ``FailureGroup`` into one :class:`Finding` whose text tags every rule hit.

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

from conformance.checks.hosts import rule_for_host
from conformance.errors import RULE_ID_RE, Finding, rule_ids_in
from conformance.fuzz.context import FuzzCase
from conformance.redact import REDACTOR

E = TypeVar("E", bound=BaseException)
SCH_RANGES = (("ST101", "ST102", "SCH-01"), ("ST103", "ST111", "SCH-02"), ("ST201", "ST205", "SCH-03"))
SINGLE = {"ST401": "AUTH-01", "ST402": "OBJ-01"}
FALLBACK = "SCH-02"
SERVER_ERRORS = ("ST101", "ST102")
#: Built-in verdicts that only restate a server error when the response is a 5xx.
SUBSUMED_BY_SERVER_ERROR = ("ST103", "ST205")


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


def _describe(failure: BaseException) -> tuple[list[str], str]:
    code = _code(failure)
    title = str(getattr(failure, "title", "") or type(failure).__name__)
    message = str(getattr(failure, "message", "") or failure)
    text = f"{code} {title}: {message}".strip()
    rule_id = getattr(failure, "rule_id", None)  # our RuleFailure: the rule travels as data
    if isinstance(rule_id, str):
        return [rule_id], text
    tagged = rule_ids_in(message)  # a Finding raised by a user's own check
    if tagged:
        return tagged, text
    rule = rule_for_code(code)
    return [rule or FALLBACK], text


def attributable(failures: Sequence[E]) -> list[E]:
    """The failures of ONE response that are separate facts: with a server error, drop the built-in
    verdicts it implies (undocumented status, content type, acceptance)."""
    if not any(_code(f) in SERVER_ERRORS for f in failures):
        return list(failures)
    low, high = SUBSUMED_BY_SERVER_ERROR
    return [f for f in failures if not (low <= _code(f) <= high and not _is_ours(f))]


def _is_ours(failure: BaseException) -> bool:
    return isinstance(getattr(failure, "rule_id", None), str) or bool(rule_ids_in(str(failure)))


def as_finding(exc: BaseException, *, operation: str, curl: str = "", host: str = "main") -> Finding:
    """One Finding for every failure in ``exc``; its text starts with the first rule and tags the rest.

    ``host`` is where the response came from: AUTH/TEN/OBJ evidence seen on the CR host is HST-02's
    (:func:`~conformance.checks.hosts.rule_for_host`). Rule tags inside the failure texts are unwrapped,
    so the finding names exactly the rules of its prefix."""
    rules: list[str] = []
    texts: list[str] = []
    for failure in attributable(list(_leaves(exc))):
        ids, text = _describe(failure)
        for rule in (rule_for_host(i, host) for i in ids):
            if rule not in rules:
                rules.append(rule)
        texts.append(RULE_ID_RE.sub(r"\1", text))
    first, rest = rules[0], rules[1:]
    tags = "".join(f"[{r}] " for r in rest)
    body = REDACTOR.text(" | ".join(t.replace("\n", " ") for t in texts))
    status, payload = response_of(exc)
    expected, received = evidence(attributable(list(_leaves(exc))), status)
    response = f"HTTP {status}\n\n{payload}" if status else ""
    return Finding(first, f"{tags}{operation}: {body}"[:4000], curl=REDACTOR.text(curl),
                   expected=REDACTOR.text(expected)[:1000], received=REDACTOR.text(received)[:1000],
                   response=REDACTOR.text(response)[:4000])


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


def evidence(failures: list[BaseException], status: str) -> tuple[str, str]:
    """``(expected, received)`` of the failures of one response, never empty for a failure: from our
    own Finding, Schemathesis' allowed statuses, its "Expected:" line, else the kind of failure."""
    expected: list[str] = []
    received: list[str] = []
    for failure in failures:
        inner = getattr(failure, "exception", None)
        if isinstance(inner, Finding) and (inner.expected or inner.received):
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
