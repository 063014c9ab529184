"""The suite's own rate budget: token buckets that pace every request before it leaves.

A :class:`RateBudget` is the :class:`~conformance.client.Limiter` a run plugs into its
:class:`~conformance.client.Transport`. Each request is classified as a sign-in or refresh
(``POST …/auth``, ``POST …/auth/refresh_token``; one bucket for the whole run, the kit counts them
per IP), a write (any other non-GET/HEAD/OPTIONS) or a read; reads and writes have one bucket per
partner (the ``X-Preferred-Partner-Id`` the request carries, ``None`` = the token's default). A bucket
holds a minute's worth of its figure at most and refills continuously, so a burst never exceeds one
minute's budget and the long-run rate never exceeds the figure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.client._http import AUTH_PATH_SUFFIXES

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RateFigures:
    """Requests per minute: reads and writes per partner, sign-ins plus refreshes for the run."""

    reads: int
    writes: int
    auth: int

    def describe(self) -> str:
        return f"reads={self.reads},writes={self.writes},auth={self.auth}"


# The developer kit's figures (per partner reads ~600/min, writes ~120/min; auth ~10/min per IP).
DOCUMENTED = RateFigures(reads=600, writes=120, auth=10)


def classify(method: str, url: str) -> str:
    """``auth``, ``write`` or ``read``: which budget a request spends."""
    path = urlsplit(url).path.rstrip("/")
    if method.upper() == "POST" and path.endswith(AUTH_PATH_SUFFIXES):
        return "auth"
    return "read" if method.upper() in READ_METHODS else "write"


class _Bucket:
    def __init__(self, per_minute: int, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.tokens = self.capacity
        self.stamp = now

    def wait_for_token(self, now: float) -> float:
        """Take one token; how long to wait before the request may leave (0 = now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1.0  # may go negative: later callers queue behind this one
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateBudget:
    """Thread-safe token buckets; :meth:`acquire` sleeps until the request fits the budget.

    ``clock`` and ``sleep`` are injectable so tests can drive time. :attr:`waited` sums the seconds
    this budget made requests wait (the pacing, not the 429 backoff).
    """

    def __init__(self, figures: RateFigures, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.figures = figures
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str | None], _Bucket] = {}
        self.waited = 0.0
        self.paced = 0  # requests that had to wait

    def _per_minute(self, kind: str) -> int:
        return {"auth": self.figures.auth, "write": self.figures.writes}.get(kind, self.figures.reads)

    def acquire(self, method: str, url: str, origin: str, partner: str | None = None) -> None:
        kind = classify(method, url)
        key = (kind, None if kind == "auth" else partner)
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self._per_minute(kind), now)
            delay = bucket.wait_for_token(now)
            if delay > 0:
                self.waited += delay
                self.paced += 1
        if delay > 0:  # outside the lock: other buckets keep flowing
            self._sleep(delay)


def budget_for(rate: tuple[int, int, int] | None) -> RateBudget | None:
    """The budget for a run's ``rate`` setting (reads, writes, auth per minute); ``None`` = unlimited."""
    return RateBudget(RateFigures(*rate)) if rate else None
