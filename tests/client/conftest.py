"""Fixtures: a scripted loopback HTTP server (:mod:`scripted_server`) and transports closed at teardown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from scripted_server import ScriptedServer, handler

from conformance.client._http import Transport


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    state = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}/api/v3"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    state.stop_event.set()
    httpd.shutdown()
    httpd.server_close()
    time.sleep(0)


@pytest.fixture
def make_transport() -> Iterator[Callable[..., Transport]]:
    """Transports that are closed at teardown (an unclosed client is a ResourceWarning, an error here)."""
    made: list[Transport] = []

    def make(**kw: Any) -> Transport:
        kw.setdefault("timeout", 1.0)
        transport = Transport(**kw)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()
