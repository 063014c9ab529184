"""The suite's own rate budget: pacing every request before it leaves so no window is ever over budget.

A :class:`RateBudget` is the :class:`~conformance.client.Limiter` a run plugs into its
:class:`~conformance.client.Transport`. Each request is classified as a sign-in or refresh
(``POST …/auth``, ``POST …/auth/refresh_token``; one budget for the whole run, the kit counts them
per IP), a read (GET, HEAD) or a write (any other method, OPTIONS and the fuzzer's unexpected
methods too: the reference counts them so, and the tighter budget is the safe guess); reads and
writes have one budget per partner (the ``X-Preferred-Partner-Id`` the request carries, ``None`` =
the token's default).

Why a sliding window and not a token bucket: a bucket that starts full and refills at the figure lets
up to twice the figure through in the first window, which a server counting over a sliding window
answers with 429s. A request leaves only when fewer than the figure left in the last window (plus a
small margin for a request that reaches the server later than it left), which no server that allows
the figure over any window (bucket or window) refuses. The long-run rate is the figure either way.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.client._http import AUTH_PATH_SUFFIXES, READ_METHODS


@dataclass(frozen=True)
class RateFigures:
    """Requests per window (a minute unless scaled): reads and writes per partner, sign-ins plus refreshes."""

    reads: int
    writes: int
    auth: int
    window: float = 60.0


def classify(method: str, url: str) -> str:
    """``auth``, ``write`` or ``read``: which budget a request spends."""
    path = urlsplit(url).path.rstrip("/")
    if method.upper() == "POST" and path.endswith(AUTH_PATH_SUFFIXES):
        return "auth"
    return "read" if method.upper() in READ_METHODS else "write"


#: Extra seconds on top of the window, so a request delayed on its way never lands in a full window.
MARGIN_SHARE, MARGIN_CAP = 0.05, 0.5


def window_span(window: float) -> float:
    """The seconds a send stays counted: the window plus the margin (what pacing waits per window)."""
    return window + min(MARGIN_CAP, window * MARGIN_SHARE)


class _Window:
    """The send times of the last ``limit`` requests of one budget (some may lie in the future:
    requests that already waited for their turn)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.span = window_span(window)
        self.sent: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """Take the next slot; how long to wait before the request may leave (0 = now)."""
        at = now if len(self.sent) < self.limit else max(now, self.sent[0] + self.span)
        self.sent.append(at)
        if len(self.sent) > self.limit:
            self.sent.popleft()
        return at - now


class RateBudget:
    """Thread-safe sliding windows; :meth:`acquire` sleeps until the request fits the budget.

    ``clock`` and ``sleep`` are injectable so tests can drive time. :attr:`waited` sums the seconds
    this budget made requests wait (the pacing, not the 429 backoff).
    """

    def __init__(self, figures: RateFigures, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.figures = figures
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str | None], _Window] = {}
        self.waited = 0.0
        self.paced = 0  # requests that had to wait

    def _per_window(self, kind: str) -> int:
        return {"auth": self.figures.auth, "write": self.figures.writes}.get(kind, self.figures.reads)

    def acquire(self, method: str, url: str, origin: str, partner: str | None = None) -> None:
        kind = classify(method, url)
        key = (kind, None if kind == "auth" else partner)
        with self._lock:
            now = self._clock()
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(self._per_window(kind), self.figures.window)
            delay = window.reserve(now)
            if delay > 0:
                self.waited += delay
                self.paced += 1
        if delay > 0:  # outside the lock: other budgets keep flowing
            self._sleep(delay)

    def history(self) -> list[tuple[str, str | None, float]]:
        """``(kind, partner, seconds ago)`` of the sends still inside their window, oldest first: what a
        process that sends next (the run's pytest child after pre-flight) must count as spent."""
        with self._lock:
            now = self._clock()
            return [(kind, partner, round(now - at, 3)) for (kind, partner), window in self._windows.items()
                    for at in window.sent if now - at < window.span]

    def seed(self, history: Iterable[Sequence[Any]]) -> None:
        """Count sends of another process (:meth:`history`) as this budget's own."""
        with self._lock:
            now = self._clock()
            for kind, partner, ago in sorted(history, key=lambda item: -float(item[2])):
                key = (str(kind), None if partner is None else str(partner))
                window = self._windows.get(key)
                if window is None:
                    window = self._windows[key] = _Window(self._per_window(key[0]), self.figures.window)
                window.sent.append(now - float(ago))
                if len(window.sent) > window.limit:
                    window.sent.popleft()


def budget_for(
    rate: tuple[int, int, int] | None, window: float = 60.0, *, share: int = 1
) -> RateBudget | None:
    """The budget for a run's ``rate`` setting (reads, writes, auth per ``window`` seconds); ``None`` =
    unlimited. ``share``: how many processes send side by side, each keeping to its part (at least 1)."""
    if not rate:
        return None
    parts = max(share, 1)
    reads, writes, auth = (max(figure // parts, 1) for figure in rate)
    return RateBudget(RateFigures(reads, writes, auth, window=window))
