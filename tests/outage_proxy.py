"""A gateway on loopback that forwards to a reference host and has an outage on cue, for tests.

Every request goes to ``upstream`` unchanged, except during the outage: from the first request that
matches ``trigger`` (method, path) on, every request is answered ``503`` for ``seconds``; then the
gateway forwards again, as a real one does after a restart. It records every request and how it was
answered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.loopback_server import LoopbackServer

_DROP_REQUEST = {"host", "content-length"}
_DROP_RESPONSE = {"content-length", "content-encoding", "transfer-encoding", "connection"}
Trigger = Callable[[str, str], bool]


class OutageProxy(LoopbackServer):
    """One HTTP gateway in front of ``upstream`` (``http://127.0.0.1:P``), in a background thread."""

    def __init__(self, upstream: str, trigger: Trigger, seconds: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.trigger = trigger
        self.seconds = seconds
        self.outage_started: float | None = None
        self.seen: list[tuple[float, str, str, int]] = []  # (time, method, path, status answered)
        app = Starlette(
            routes=[Route("/{path:path}", self._forward,
                          methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])],
            lifespan=self._lifespan,
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=1, ws="none")
        self.serve(config, "outage-proxy")
        self._client: httpx.AsyncClient | None = None

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30) as client:
            self._client = client
            yield
            self._client = None

    def _down(self, method: str, path: str) -> bool:
        now = time.monotonic()
        if self.outage_started is None and self.trigger(method, path):
            self.outage_started = now
        return self.outage_started is not None and now - self.outage_started < self.seconds

    async def _forward(self, request: Request) -> Response:
        path = request.url.path
        if self._down(request.method, path):
            self.seen.append((time.monotonic(), request.method, path, 503))
            return Response(b'{"message": "gateway.unavailable"}', status_code=503,
                            media_type="application/json")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        raw = request.scope["raw_path"] + (
            b"?" + request.scope["query_string"] if request.scope["query_string"] else b""
        )
        assert self._client is not None
        answer = await self._client.request(request.method, httpx.URL(self.upstream).copy_with(raw_path=raw),
                                            headers=headers, content=await request.body())
        self.seen.append((time.monotonic(), request.method, path, answer.status_code))
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP_RESPONSE}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
