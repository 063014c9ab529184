"""A target that answered and then refuses every connection is *gone*: one TargetGone, then none sent.

Real loopback servers that are stopped (and, once, started again on the same port): the refusals are
the kernel's, not simulated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer

import httpx
import pytest
from scripted_server import ScriptedServer, handler

from conformance.client import Transport, is_transient
from conformance.errors import TargetError, TargetGone


class _Host:
    """A scripted server that can be stopped and started again on its port."""

    def __init__(self) -> None:
        self.state = ScriptedServer()
        self.state.json("GET", "/api/v3/status/", {"status": "ok"})
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler(self.state))
        httpd.daemon_threads = True
        self.port = int(httpd.server_address[1])
        self.state.base = f"http://127.0.0.1:{self.port}/api/v3"
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.httpd = httpd

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def _status(transport: Transport, host: _Host) -> httpx.Request:
    # A stopped server leaves kept-alive connections served: close this one, as a dead host would.
    return transport.build("GET", f"{host.state.base}/status/", headers={"Connection": "close"})


@pytest.fixture
def host() -> Iterator[_Host]:
    made = _Host()
    yield made
    made.state.stop_event.set()
    made.stop()


def test_a_host_that_stops_ends_in_one_target_gone_naming_the_last_request(
    host: _Host, make_transport: Callable[..., Transport]
) -> None:
    transport = make_transport(gone_after=0.6)
    assert transport.send(_status(transport, host)).status == 200
    host.stop()
    started = time.monotonic()
    with pytest.raises(TargetGone) as gone:
        transport.send(transport.build("GET", f"{host.state.base}/events/?page=2"))
    waited = time.monotonic() - started
    assert 0.5 <= waited < 5, waited  # waited out for gone_after, not forever
    assert f"GET http://127.0.0.1:{host.port}/api/v3/events/" in gone.value.message
    assert "page=2" not in gone.value.message
    assert not is_transient(gone.value)  # already waited out: no caller retries it again
    started = time.monotonic()
    with pytest.raises(TargetGone):  # every later request fails at once
        transport.send(transport.build("GET", f"{host.state.base}/partners/"))
    assert time.monotonic() - started < 0.2


def test_a_restart_within_the_wait_is_survived(host: _Host, make_transport: Callable[..., Transport]) -> None:
    transport = make_transport(gone_after=10)
    assert transport.send(_status(transport, host)).status == 200
    host.stop()
    threading.Timer(0.5, host.start).start()
    assert transport.send(transport.build("GET", f"{host.state.base}/status/")).status == 200
    assert transport.liveness.gone is None


def test_a_host_that_never_answered_fails_at_once(
    host: _Host, make_transport: Callable[..., Transport]
) -> None:
    host.stop()
    transport = make_transport(gone_after=30)
    started = time.monotonic()
    with pytest.raises(TargetError, match="cannot reach") as refused:
        transport.send(transport.build("GET", f"{host.state.base}/status/"))
    assert not isinstance(refused.value, TargetGone)
    assert time.monotonic() - started < 2
