"""Confirming a failure: replays re-send through the same Transport (audited as ``confirm``, paced by
its limiter, stopped by its read-only guard), stop at the first reproduction, and a failure whose
replays pass is flaky. Against a real loopback server whose answers change from one request to the
next."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from scripted_server import ScriptedServer, Seen

from conformance.client import REPLAY_ORIGIN, Api, Transport, confirm, watch

JSON = {"Content-Type": "application/json"}


def _sequence(*statuses: int) -> Callable[[Seen], tuple[int, dict[str, str], bytes]]:
    """Answer the given statuses in turn (the last one for ever after)."""
    queue: Iterator[int] = iter(statuses)
    last = [statuses[-1]]

    def reply(_seen: Seen) -> tuple[int, dict[str, str], bytes]:
        status = next(queue, last[0])
        return status, JSON, json.dumps({"status": status}).encode()

    return reply


def _attempt(api: Api, method: str = "GET") -> Callable[[], BaseException | None]:
    """One probe: the request fails when it is answered 5xx (a judge's view, not the transport's)."""

    def attempt() -> BaseException | None:
        exchange = api.request(method, "/events/")
        return AssertionError(f"got {exchange.status}") if exchange.status >= 500 else None

    return attempt


class Recorder:
    """A limiter that records who asked (the rate budget's seam)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def acquire(self, method: str, url: str, origin: str, partner: str | None = None) -> None:
        self.asked.append((method, origin))


def _first(api: Api, method: str = "GET") -> tuple[BaseException | None, list[int]]:
    with watch(api.transport) as seen:
        failure = _attempt(api, method)()
    return failure, list(seen)


def test_a_failure_whose_replays_pass_is_flaky_and_every_replay_is_audited_and_paced(
    scripted: ScriptedServer, make_transport: Callable[..., Transport]
) -> None:
    scripted.routes[("GET", "/api/v3/events/")] = _sequence(503, 200, 200)
    limiter = Recorder()
    transport = make_transport(limiter=limiter)
    api = Api(transport, scripted.base)
    failure, first = _first(api)
    assert failure is not None
    assert first == [503]
    confirmation = confirm(transport, _attempt(api), replays=2, first=first)
    assert (confirmation.attempts, confirmation.reproduced, confirmation.flaky) == (3, False, True)
    assert confirmation.statuses == (503, 200, 200)
    assert not confirmation.counts
    assert [(e.origin, e.status) for e in transport.audit] == [("suite", 503), (REPLAY_ORIGIN, 200),
                                                                (REPLAY_ORIGIN, 200)]
    assert limiter.asked == [("GET", "suite"), ("GET", REPLAY_ORIGIN), ("GET", REPLAY_ORIGIN)]
    assert len(scripted.seen) == 3


def test_a_reproduced_failure_stops_at_the_first_replay_that_fails_again(
    scripted: ScriptedServer, make_transport: Callable[..., Transport]
) -> None:
    scripted.routes[("GET", "/api/v3/events/")] = _sequence(500)
    transport = make_transport()
    api = Api(transport, scripted.base)
    _, first = _first(api)
    confirmation = confirm(transport, _attempt(api), replays=2, first=first)
    assert (confirmation.attempts, confirmation.reproduced, confirmation.flaky) == (2, True, False)
    assert confirmation.statuses == (500, 500)
    assert confirmation.counts
    assert len(scripted.seen) == 2  # one replay was enough


def test_no_replay_when_confirm_is_zero(
    scripted: ScriptedServer, make_transport: Callable[..., Transport]
) -> None:
    scripted.routes[("GET", "/api/v3/events/")] = _sequence(503, 200)
    transport = make_transport()
    api = Api(transport, scripted.base)
    _, first = _first(api)
    confirmation = confirm(transport, _attempt(api), replays=0, first=first)
    assert confirmation.counts
    assert not confirmation.reproduced
    assert confirmation.attempts == 1
    assert "run.confirm = 0" in confirmation.note
    assert len(scripted.seen) == 1


def test_a_write_replay_obeys_the_read_only_guard(
    scripted: ScriptedServer, make_transport: Callable[..., Transport]
) -> None:
    """A replay is sent by the same Transport: in a read-only run a write replay is refused before it
    leaves, so it judges nothing and the failure counts as seen (a guard never hides a defect)."""
    scripted.routes[("POST", "/api/v3/events/")] = _sequence(500, 200)
    writer = make_transport(allow_writes=True)
    failure, first = _first(Api(writer, scripted.base), "POST")
    assert failure is not None
    guarded = make_transport()  # allow_writes=False: the read-only guard
    confirmation = confirm(guarded, _attempt(Api(guarded, scripted.base), "POST"), replays=2, first=first)
    assert confirmation.counts
    assert not confirmation.flaky
    assert "refused" in confirmation.note
    assert len(scripted.seen) == 1  # nothing but the original write reached the server
    assert guarded.audit == []
    assert len(guarded.blocked) == 2
