"""A redacted copy of a :class:`RunResult`, made before any artifact is rendered.

Findings are redacted where they are recorded; this is the second layer (defence in depth). It runs
on every string of the result *before* escaping for JSON, XML or HTML, because escaping can turn a
secret containing ``&``, ``<`` or ``"`` into a form a later text pass would no longer recognise.
Writers still pass their final text through the redactor once more.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from conformance.redact import Redactor
from conformance.report._model import RunResult

T = TypeVar("T")
NO_TEST_RAN = "no test of this rule ran"


def redact_value(value: T, redactor: Redactor) -> T:
    """``value`` with every string in it (dataclasses, dicts, lists) passed through ``redactor``."""
    out: Any
    if isinstance(value, str):
        out = redactor.text(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: redact_value(getattr(value, f.name), redactor) for f in dataclasses.fields(value)}
        out = dataclasses.replace(value, **changes)
    elif isinstance(value, dict):
        out = {redact_value(k, redactor): redact_value(v, redactor) for k, v in value.items()}
    elif isinstance(value, list):
        out = [redact_value(v, redactor) for v in value]
    elif isinstance(value, tuple):
        out = tuple(redact_value(v, redactor) for v in value)
    else:
        out = value
    return out  # type: ignore[no-any-return]


def scrubbed(result: RunResult, redactor: Redactor) -> RunResult:
    """A redacted copy of ``result``; a rule not run without a reason gets an honest default one."""
    copy = redact_value(result, redactor)
    for rule in copy.rules:
        if rule.status == "not_run" and not rule.reason.strip():
            rule.reason = NO_TEST_RAN
    return copy
