"""Giving up on an operation that keeps timing out, instead of waiting out its timeout again and again.

An endpoint that never answers costs the run's request timeout on every request to it: scenario
probes, positive controls and fuzz cases alike. :class:`TimeoutTally` counts the timeouts in a row
of each operation (``METHOD /path-template``: a fuzz case with other path values is the same
operation); once ``limit`` is reached (``run.abandon_after``, default 3), requests to it are refused
before they leave (:class:`~conformance.errors.OperationAbandoned`), so what they were to judge is
recorded *unexercised* ("timed out 3 times") at no cost. An answer of any status resets the count.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import httpx

from conformance.errors import OperationAbandoned
from conformance.redact import REDACTOR

DEFAULT_ABANDON_AFTER = 3
_PARAM = re.compile(r"\\\{[^/]*?\\\}")


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAM.sub("[^/]+", re.escape(template.rstrip("/"))) + "/?$")


class TimeoutTally:
    """Consecutive timeouts per operation, and the operations abandoned after ``limit`` of them.

    ``templates``: URL path templates of the target's operations (``/api/v3/events/{eid}``); a request
    whose path matches none counts under its own path. ``limit`` 0 never abandons."""

    def __init__(self, limit: int = DEFAULT_ABANDON_AFTER, templates: Iterable[str] = ()) -> None:
        self.limit = limit
        # A literal segment beats a parameter (/events/statistics before /events/{eid}).
        ordered = sorted(set(templates), key=lambda t: (t.count("{"), -len(t)))
        self._templates = [(t, _pattern(t)) for t in ordered]
        self._lock = threading.Lock()
        self._streak: dict[str, int] = {}
        self.abandoned: dict[str, int] = {}  # operation -> timeouts it was abandoned after

    def operation(self, request: httpx.Request) -> str:
        """``METHOD /template`` of ``request`` (its own path when no template matches)."""
        path = request.url.path
        for template, pattern in self._templates:
            if pattern.match(path):
                return f"{request.method} {template}"
        return f"{request.method} {REDACTOR.text(path)}"

    def check(self, operation: str) -> None:
        """Raise :class:`OperationAbandoned` when ``operation`` has been given up on."""
        with self._lock:
            count = self.abandoned.get(operation)
        if count is not None:
            raise OperationAbandoned(
                f"{operation} was not sent: it timed out {count} times in a row and was abandoned",
                "check why the target does not answer it, or raise run.timeout / run.abandon_after",
                operation=operation, count=count,
            )

    def timed_out(self, operation: str) -> int:
        """Count one timeout of ``operation``; how many in a row it has now had."""
        with self._lock:
            count = self._streak.get(operation, 0) + 1
            self._streak[operation] = count
            if self.limit and count >= self.limit:
                self.abandoned[operation] = count
            return count

    def answered(self, operation: str) -> None:
        with self._lock:
            self._streak.pop(operation, None)
