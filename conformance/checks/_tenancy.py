"""The tenancy decisions of CONTRACT §2 as data, and the check that a response honours one.

:func:`expected_outcome` says what a request must get given the caller's partners and the
``X-Preferred-Partner-Id`` sent; :func:`check_outcome` compares a response with it. "No data" on a
refusal means the body carries nothing but an error: no list, no ``items``, no object fields beyond
the error envelope's (the envelope's exact shape is ERR-01's business, not the tenancy rules').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance.checks._envelope import message_key
from conformance.checks._observed import Observed, observe
from conformance.client import Exchange
from conformance.ids import PARTNER_RE

HEADER_REQUIRED = "error.partner.header_required"
NOT_AUTHORIZED = "error.auth.not_authorized"
NOT_FOUND_STATUS = 404
# Keys an error body may carry without carrying data (envelope keys and common framework variants).
_ERRORISH_KEYS = frozenset(
    {
        "message",
        "error_code",
        "error_subcode",
        "validation_errors",
        "detail",
        "error",
        "errors",
        "code",
        "status",
        "title",
        "type",
    }
)


@dataclass(frozen=True)
class Outcome:
    """What a request must get: ``allowed`` with a scope, or a refusal status with a message key."""

    allowed: bool
    scope: str | None = None  # the partner the answer is scoped to, when allowed
    status: int | None = None  # the refusal status, when not allowed
    message: str | None = None  # the refusal's envelope message key
    why: str = ""


def expected_outcome(partners: Sequence[str], header: str | None) -> Outcome:
    """CONTRACT §2 for a caller with ``partners`` sending ``header`` (``None`` = header absent)."""
    if header is None:
        if len(partners) == 1:
            return Outcome(True, scope=partners[0], why="single-partner user: the partner is implied")
        if len(partners) > 1:
            return Outcome(
                False,
                status=400,
                message=HEADER_REQUIRED,
                why="multi-partner user without X-Preferred-Partner-Id",
            )
        return Outcome(False, status=403, message=NOT_AUTHORIZED, why="user with no partner")
    if header in partners:
        return Outcome(True, scope=header, why="header names one of the user's partners")
    if not PARTNER_RE.match(header):
        why = "header is not a partner id (a non-partner group or a malformed value)"
    else:
        why = "header names a partner the user does not belong to"
    return Outcome(False, status=403, message=NOT_AUTHORIZED, why=why)


def carries_data(body: Any) -> bool:
    """Whether a refusal body leaks data: a list, or an object with non-error fields."""
    if body is None:
        return False
    if isinstance(body, list):
        return bool(body)
    if isinstance(body, dict):
        return any(key not in _ERRORISH_KEYS for key in body)
    return False


def check_refusal(
    response: Exchange | Observed, rule_id: str, status: int, message: str | None, why: str
) -> None:
    """The response must be exactly ``status`` with no data (and ``message`` if the envelope holds)."""
    obs = observe(response)
    if obs.status != status:
        raise obs.finding(
            rule_id,
            f"{why}: expected {status}, got {obs.status} ({obs.line})",
            expected=f"{status}" + (f" {message}" if message else "") + ", no data",
        )
    if carries_data(obs.json()):
        raise obs.finding(
            rule_id, f"{why}: the {status} answer carries data ({obs.line})", expected="an error body only"
        )
    key = message_key(obs)
    if message and key is not None and key != message:
        raise obs.finding(
            rule_id,
            f"{why}: wrong message key {key!r} ({obs.line})",
            expected=f"{status} {message}",
            received=f"{obs.status} {key}",
        )


def check_outcome(response: Exchange | Observed, outcome: Outcome, rule_id: str) -> None:
    """Refusals must match exactly; allowed requests must not be refused for tenancy reasons."""
    obs = observe(response)
    if not outcome.allowed:
        assert outcome.status is not None
        check_refusal(obs, rule_id, outcome.status, outcome.message, outcome.why)
        return
    key = message_key(obs)
    if obs.status in (400, 403) and key in (HEADER_REQUIRED, NOT_AUTHORIZED):
        raise obs.finding(
            rule_id,
            f"{outcome.why}, yet the request was refused ({obs.line})",
            expected=f"an answer scoped to {outcome.scope}",
            received=f"{obs.status} {key}",
        )
