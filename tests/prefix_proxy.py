"""A gateway on loopback that serves upstreams under prefixes of its own, for tests.

``PrefixProxy([("/gw/fd/api/v3/auth", "http://127.0.0.1:P/api/v3/auth"), ("/gw/fd/api/v3", "http://…")])``
forwards a request whose path starts with a route's prefix to that route's upstream, the prefix
replaced by the upstream's path (longest prefix first, so a more specific route wins); a path no
route covers is answered 404 in the contract's error envelope, as a gateway in front of the API
would. Query strings, bodies and headers (but ``Host``) pass unchanged. It records what it saw.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.loopback_server import LoopbackServer

_DROP_REQUEST = {"host", "content-length"}
_DROP_RESPONSE = {"content-length", "content-encoding", "transfer-encoding", "connection"}
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class PrefixProxy(LoopbackServer):
    """One HTTP gateway with prefix routes, in a background thread; ``base(prefix)`` is its URL."""

    def __init__(self, routes: Sequence[tuple[str, str]]) -> None:
        self.routes = sorted(((p.rstrip("/"), u.rstrip("/")) for p, u in routes), key=lambda r: -len(r[0]))
        self.seen: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self.errors: list[str] = []  # requests the gateway itself failed to forward
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=_METHODS)],
                        lifespan=self._lifespan)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=1, ws="none")
        self.serve(config, "prefix-proxy")
        self._client: httpx.AsyncClient | None = None

    def base(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.port}{prefix}"

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30) as client:
            self._client = client
            yield
            self._client = None

    def _upstream(self, raw_path: bytes) -> httpx.URL | None:
        path = raw_path.decode("latin-1")
        for prefix, upstream in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                target = httpx.URL(upstream)
                rest = path[len(prefix):]
                joined = target.raw_path.rstrip(b"/") + rest.encode("latin-1")
                return target.copy_with(raw_path=joined or b"/")
        return None

    async def _forward(self, request: Request) -> Response:
        raw = request.scope["raw_path"]
        url = self._upstream(raw)
        if url is None:
            self.seen.append((request.method, request.url.path, 404))
            return Response(b'{"message": "error.request.not_found"}', status_code=404,
                            media_type="application/json")
        query = request.scope["query_string"]
        if query:
            url = url.copy_with(raw_path=url.raw_path + b"?" + query)
        # Raw bytes both ways: a generated header value outside ASCII must reach the upstream as sent.
        headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1").lower() not in _DROP_REQUEST]
        assert self._client is not None
        try:
            answer = await self._client.request(request.method, url, headers=headers,
                                                content=await request.body())
        except Exception as exc:  # the gateway's own failure: recorded, so a test can tell it apart
            self.errors.append(f"{request.method} {request.url.path}: {exc!r}")
            raise
        self.seen.append((request.method, request.url.path, answer.status_code))
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP_RESPONSE}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
