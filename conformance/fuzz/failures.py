"""From Schemathesis failures to catalogue rules.

Built-in failure codes map to rules (ST101/102 → SCH-01, ST103-111 → SCH-02, ST201-205 → SCH-03,
ST401 → AUTH-01, ST402 → OBJ-01); our own checks (ST901) already carry ``[RULE-ID]`` in their text.
:func:`as_finding` turns a ``FailureGroup`` into one :class:`Finding` whose text tags every rule hit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance.errors import Finding, rule_ids_in
from conformance.redact import REDACTOR

SCH_RANGES = (("ST101", "ST102", "SCH-01"), ("ST103", "ST111", "SCH-02"), ("ST201", "ST205", "SCH-03"))
SINGLE = {"ST401": "AUTH-01", "ST402": "OBJ-01"}
FALLBACK = "SCH-02"


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


def _describe(failure: BaseException) -> tuple[list[str], str]:
    code = str(getattr(failure, "code", ""))
    title = str(getattr(failure, "title", "") or type(failure).__name__)
    message = str(getattr(failure, "message", "") or failure)
    text = f"{code} {title}: {message}".strip()
    tagged = rule_ids_in(message)
    if tagged:
        return tagged, text
    rule = rule_for_code(code)
    return [rule or FALLBACK], text


def as_finding(exc: BaseException, *, operation: str, curl: str = "") -> Finding:
    """One Finding for every failure in ``exc``; its text starts with the first rule and tags the rest."""
    rules: list[str] = []
    texts: list[str] = []
    for failure in _leaves(exc):
        ids, text = _describe(failure)
        for rule in ids:
            if rule not in rules:
                rules.append(rule)
        texts.append(text)
    first, rest = rules[0], rules[1:]
    tags = "".join(f"[{r}] " for r in rest)
    body = REDACTOR.text(" | ".join(t.replace("\n", " ") for t in texts))
    return Finding(first, f"{tags}{operation}: {body}"[:4000], curl=REDACTOR.text(curl))


def case_curl(case: Any, base_url: str) -> str:
    try:
        return str(case.as_curl_command(headers=None))
    except Exception:
        return f"{case.method} {base_url}{case.formatted_path}"
