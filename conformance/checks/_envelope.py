"""ERR-01: every 4xx/5xx answer carries the JSON error envelope of CONTRACT §5.

``{message: "error.<area>.<key>", error_code?, error_subcode?, validation_errors?: [...]}`` with a
JSON content type. An HTML page, a truncated or empty body on an error status is a finding too: a
client cannot surface a message it cannot parse. HEAD answers have no body by definition and are
judged on status only.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.checks._observed import Observed, observe
from conformance.client import Exchange

RULE = "ERR-01"
MESSAGE_RE = re.compile(r"^error\.[a-z0-9_]+(\.[a-z0-9_]+)+$")


def envelope_problems(body: Any) -> list[str]:
    """What is wrong with a parsed error body, as short phrases (empty: it conforms)."""
    if not isinstance(body, dict):
        return [f"body is a JSON {type(body).__name__}, not an object"]
    problems: list[str] = []
    message = body.get("message")
    if not isinstance(message, str):
        problems.append("`message` is missing or not a string")
    elif not MESSAGE_RE.match(message):
        problems.append(f"`message` {message!r} does not match {MESSAGE_RE.pattern}")
    for key in ("error_code", "error_subcode"):
        if body.get(key) is not None and not isinstance(body[key], str | int):
            problems.append(f"`{key}` is a {type(body[key]).__name__}, not a string")
    errors = body.get("validation_errors")
    if errors is not None and not isinstance(errors, list):
        problems.append("`validation_errors` is not an array")
    return problems


def check_error_envelope(response: Exchange | Observed, rule_id: str = RULE) -> None:
    """Raise a Finding when an error response (status >= 400) does not carry the envelope."""
    obs = observe(response)
    if obs.status < 400 or obs.method == "HEAD":
        return
    if not obs.body:
        raise obs.finding(
            rule_id,
            f"error response has an empty body ({obs.line})",
            expected='a JSON body {"message": "error.<area>.<key>", ...}',
        )
    if not obs.is_json_type:
        raise obs.finding(
            rule_id,
            f"error response is not JSON ({obs.line}): content-type {obs.content_type or '(none)'}",
            expected="content-type application/json with the error envelope",
        )
    if not obs.parses:
        raise obs.finding(
            rule_id,
            f"error response body is not valid JSON, e.g. truncated ({obs.line})",
            expected="a complete JSON error envelope",
        )
    problems = envelope_problems(obs.json())
    if problems:
        raise obs.finding(
            rule_id,
            f"error body breaks the envelope ({obs.line}): " + "; ".join(problems),
            expected='{"message": "error.<area>.<key>", "error_code"?, "error_subcode"?, '
            '"validation_errors"?: [...]}',
        )


def message_key(response: Exchange | Observed) -> str | None:
    """The envelope's ``message`` when the body is a conforming envelope, else ``None``.

    Tenancy and wave checks compare message keys only through this, so a broken envelope is reported
    once, by ERR-01, and not again by every rule that looks at an error.
    """
    obs = observe(response)
    body = obs.json()
    if isinstance(body, dict) and not envelope_problems(body):
        return str(body["message"])
    return None
