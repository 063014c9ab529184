"""An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread: the tests' gateways and proxies
(prefix, outage, TLS) start, stop and name their base URL the same way."""

from __future__ import annotations

import threading
import time
from typing import Any, Self

import uvicorn

START_TIMEOUT = 15.0


class LoopbackServer:
    """Subclasses build their app and call :meth:`serve` with its uvicorn config (``port=0``)."""

    scheme = "http"
    port = 0

    def serve(self, config: uvicorn.Config, name: str) -> None:
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self._thread.name} did not start")
            time.sleep(0.01)
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def base(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
