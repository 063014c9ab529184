"""Intermittent faults: a deployment that answers wrong now and then (a busy moment), deterministically
so a test can rely on it. What they cause must end *flaky* (a replay passes), never a confirmed
finding; the run's gate passes unless it is strict (specs/README.md, decision 66).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from conformance.reference import hooks as h
from conformance.reference.defects.registry import intermittent
from conformance.reference.replies import ApiError

if TYPE_CHECKING:
    from conformance.reference.context import Ctx

#: Event sub-resources the suite's own fixtures read (discovery, the sandbox): left alone, so the
#: fault lands on probes and fuzz cases, where a replay can tell a moment from a defect.
FIXTURE_READS = frozenset({"clusters", "campaigns", "default_campaigns_parameters", "budget_min_max"})


@intermittent
class FirstReadUnavailable(h.ErrorPolicy):
    """The first authenticated GET /events/{eid}/… (a dashboard read: statistics, tickets, series, …; not
    clusters, campaigns or the setup defaults) of each user on each route answers 503
    error.service.unavailable; every later request to it is answered right."""

    name = "flaky-first-read-503"

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def before_handler(self, ctx: Ctx) -> None:
        parts = ctx.route.template.split("/")
        dashboard = len(parts) > 3 and parts[1:3] == ["events", "{eid}"] and parts[3] not in FIXTURE_READS
        if ctx.route.method == "GET" and dashboard and ctx.user is not None:
            key = (ctx.host, ctx.user.sub, ctx.route.template)
            with self._lock:
                first = key not in self._seen
                self._seen.add(key)
            if first:
                raise ApiError(503, "error.service.unavailable", "SERVICE_UNAVAILABLE")
        super().before_handler(ctx)
