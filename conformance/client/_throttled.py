"""A request the target's rate budget refused for good: evidence of nothing about the API.

The :class:`~conformance.client.Transport` retries a 429 with backoff (at most 5 attempts); an answer
that is still 429 after that says the budget is spent, not how the API behaves. :class:`Api` raises
:class:`Throttled` for it, so no check ever judges it: a sweep records the probe *unexercised* with
:attr:`Throttled.reason`, a positive control counts as not sent, and a test that cannot go on is
skipped with the reason (:mod:`conformance.harness.ledger`). Fuzz cases are handled alike by
:mod:`conformance.fuzz.routing`.
"""

from __future__ import annotations

from typing import Any

from conformance.redact import REDACTOR

#: How every throttled reason starts (``throttled (429 after N attempts)``), for the counts of a run.
THROTTLED_REASON = "throttled (429 after"


class Throttled(Exception):
    """A request still answered 429 after ``attempts`` attempts (``method`` and ``url`` redacted)."""

    def __init__(self, method: str, url: str, attempts: int) -> None:
        self.method = method
        self.url = REDACTOR.text(url.split("?", 1)[0])
        self.attempts = attempts
        super().__init__(f"{self.reason}: {method} {self.url}")

    @property
    def reason(self) -> str:
        """The unexercised reason: ``throttled (429 after N attempts)``."""
        return f"{THROTTLED_REASON} {self.attempts} attempt{'s' if self.attempts != 1 else ''})"

    @classmethod
    def of(cls, exchange: Any) -> Throttled:
        """The exception for an :class:`~conformance.client.Exchange` answered 429."""
        return cls(exchange.request.method, str(exchange.request.url), int(getattr(exchange, "attempts", 1)))
