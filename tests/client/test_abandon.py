"""An operation that keeps timing out is abandoned after ``abandon_after`` timeouts in a row.

A real loopback server holds some routes past the client's timeout (``"hang"``): the requests that
reach it are counted by the server itself, so "not sent" is observed, not assumed.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from scripted_server import ScriptedServer

from conformance.client import TimeoutTally, Transport
from conformance.errors import OperationAbandoned, RequestTimedOut

TEMPLATES = ("/api/v3/events/{eid}/statistics", "/api/v3/events/statistics", "/api/v3/events/{eid}")


def _hits(scripted: ScriptedServer, suffix: str) -> int:
    return sum(1 for s in scripted.seen if s.path.endswith(suffix))


def test_three_timeouts_in_a_row_abandon_the_operation_for_every_path_value(
    scripted: ScriptedServer, make_transport: Callable[..., Transport]
) -> None:
    for eid in ("E1", "E2", "E3", "E4"):
        scripted.routes[("GET", f"/api/v3/events/{eid}/statistics")] = "hang"
    scripted.json("GET", "/api/v3/events/statistics", {"ok": True})
    transport = make_transport(timeout=0.2, operations=TEMPLATES)
    for n, eid in enumerate(("E1", "E2", "E3"), start=1):
        with pytest.raises(RequestTimedOut) as timed_out:
            transport.send(transport.build("GET", f"{scripted.base}/events/{eid}/statistics"))
        assert not isinstance(timed_out.value, OperationAbandoned)
        assert timed_out.value.count == n
        assert timed_out.value.operation == "GET /api/v3/events/{eid}/statistics"
    with pytest.raises(OperationAbandoned) as abandoned:
        transport.send(transport.build("GET", f"{scripted.base}/events/E4/statistics"))
    assert _hits(scripted, "/E4/statistics") == 0  # refused before it left
    assert abandoned.value.reason.startswith("timed out 3 times")
    assert transport.timeouts.abandoned == {"GET /api/v3/events/{eid}/statistics": 3}
    # A literal path is another operation, and answers as usual.
    assert transport.send(transport.build("GET", f"{scripted.base}/events/statistics")).status == 200


def test_an_answer_between_timeouts_resets_the_count() -> None:
    tally = TimeoutTally(3, TEMPLATES)
    request = httpx.Request("GET", "http://127.0.0.1:1/api/v3/events/E1")
    operation = tally.operation(request)
    assert operation == "GET /api/v3/events/{eid}"
    assert tally.timed_out(operation) == 1
    assert tally.timed_out(operation) == 2
    tally.answered(operation)
    assert tally.timed_out(operation) == 1
    assert tally.timed_out(operation) == 2
    tally.check(operation)  # two in a row: still sent
    assert tally.timed_out(operation) == 3
    with pytest.raises(OperationAbandoned):
        tally.check(operation)


def test_abandon_after_zero_never_abandons() -> None:
    tally = TimeoutTally(0)
    request = httpx.Request("POST", "http://127.0.0.1:1/api/v3/unknown/path?q=1")
    operation = tally.operation(request)
    assert operation == "POST /api/v3/unknown/path"  # no template: its own path, without the query
    for _ in range(10):
        tally.timed_out(operation)
    tally.check(operation)
    assert tally.abandoned == {}
