"""Bounded patience with a target that is briefly down: retry with backoff, then give up with the cause.

A gateway restarting, a deployment rolling, a load balancer draining: for a few seconds the target
answers 502/503/504 or refuses connections, then recovers. Pre-flight and discovery (what every rule
stands on) wait that out with :class:`Patience` — exponential backoff, capped, within a total wait
(``run.retry_wait``, default 60 s) — instead of stopping the run at the first bad answer. What is
transient is decided here once (:func:`is_transient`), so every caller agrees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

from conformance.errors import TargetError, TargetGone, TargetUnavailable

T = TypeVar("T")
TRANSIENT_STATUSES = frozenset({502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` says the target was down for a moment (not wrong): a 502/503/504 answer
    (:class:`TargetUnavailable`, or any exception with a ``transient`` flag set), a refused connection,
    or one dropped before the answer. A TLS or URL mistake is not transient, and neither is a timeout:
    an endpoint that hangs is a fact about the target, and waiting it out again would only multiply
    the run's time by the request timeout. A target that stopped (:class:`TargetGone`) was already
    waited out."""
    if isinstance(exc, TargetGone):
        return False
    if isinstance(exc, TargetUnavailable) or getattr(exc, "transient", False) is True:
        return True
    if not isinstance(exc, TargetError):
        return False
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError):
        return "CERTIFICATE_VERIFY_FAILED" not in str(cause)
    return isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError)


class Patience:
    """Retries a call while it fails transiently, for at most ``total`` seconds in all.

    The delays double from ``first`` up to ``cap``; the last attempt starts before ``total`` runs out,
    and the failure it ends with is re-raised unchanged (so callers keep their own messages).
    """

    def __init__(self, total: float, *, first: float = 0.5, cap: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = max(0.0, float(total))
        self._first, self._cap = first, cap
        self._sleep, self._clock = sleep, clock
        self.retries = 0

    def call(self, attempt: Callable[[], T], transient: Callable[[BaseException], bool] = is_transient) -> T:
        deadline = self._clock() + self.total
        delay = self._first
        while True:
            try:
                return attempt()
            except Exception as exc:
                left = deadline - self._clock()
                if not transient(exc) or left <= 0:
                    raise
                self._sleep(min(delay, left))
                self.retries += 1
                delay = min(self._cap, delay * 2)
