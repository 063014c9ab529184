"""Telling a target that stopped from one that is briefly down: refused connections after it answered.

Before the target has answered at all, a refused connection is a configuration problem (wrong URL,
host not started) and fails at once, for pre-flight to retry or report. Once a host has answered, a
refused connection is waited out with backoff, within ``run.retry_wait`` counted from the first
refusal since its last answer: a restart is survived transparently. A host still refusing after
that has stopped: :class:`Liveness` turns that into one :class:`~conformance.errors.TargetGone`
naming the last request, and every later request fails the same way at once, so the run ends with
one error instead of a "connection refused" per operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from conformance.errors import TargetGone


class Liveness:
    """Per origin (``scheme://host:port``): has it answered, since when has it refused connections."""

    def __init__(self, gone_after: float, *, first: float = 0.2, cap: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.gone_after = max(0.0, gone_after)
        self._first, self._cap, self._clock = first, cap, clock
        self._lock = threading.Lock()
        self._answered: set[str] = set()
        self._refused_since: dict[str, float] = {}
        self.gone: TargetGone | None = None

    def answered(self, origin: str) -> None:
        with self._lock:
            self._answered.add(origin)
            self._refused_since.pop(origin, None)

    def check(self) -> None:
        """Raise :class:`TargetGone` (a fresh one) when the run has already found the target stopped."""
        gone = self.gone
        if gone is not None:
            raise TargetGone(gone.message, gone.hint)

    def refused(self, origin: str, request: str, attempt: int) -> float | None:
        """A connection to ``origin`` was refused on ``attempt`` (0-based) of ``request``
        (``METHOD url``, redacted): the seconds to wait before trying again, ``None`` when the origin
        never answered (the caller fails as before); raises :class:`TargetGone` when it has refused
        for ``gone_after`` seconds."""
        now = self._clock()
        with self._lock:
            if origin not in self._answered:
                return None
            since = self._refused_since.setdefault(origin, now)
            left = since + self.gone_after - now
            if left <= 0:
                self.gone = TargetGone(
                    f"the target stopped answering: {origin} refused every connection for "
                    f"{now - since:.1f} s after it had answered (last request: {request})",
                    "check the target is running; the rules that had not run yet are not run",
                )
                raise self.gone
        return float(min(left, self._cap, self._first * 2.0**attempt))
