"""A partner backend in the documented proxy pattern, for the Future Demand Client API.

Browsers may not call the API (CORS only on ``GET /status/``), so the partner's own backend holds
the session and adds both headers. This one is a Starlette app on loopback that:

* signs in once (``POST /auth``) and keeps the session;
* refreshes proactively, when a quarter of the access token's life is left (at most 5 min before
  expiry), single-flight (one refresh in flight, shared by every waiting request), with the same
  refresh token (it does not rotate); it signs in again only when the refresh is refused;
* adds ``Authorization: Bearer <AccessToken>`` and ``X-Preferred-Partner-Id`` to every call;
* routes ``/main/...`` to the main base (``FD_BASE_URL``, ``…/api/v3``), ``/cr/...`` to the CR base
  (``CR_BASE``) and ``/media`` to the unversioned base (``FD_BASE_URL`` without ``/v3``);
* backs off after a 429 or 5xx (0.5 s, 1 s, 2 s, 4 s; at most 5 attempts; 429s carry no
  ``Retry-After``), never retries other 4xx, and re-reads the setup before re-sending a boost.

Configuration: ``FD_BASE_URL``, ``CR_BASE``, ``FD_USERNAME``, ``FD_PASSWORD``, ``FD_PARTNER_ID``.
``EXAMPLE_BREAK`` (comma list) switches on one deliberate mistake per integration rule, so the
certification can be seen failing; see ``BREAKS``. ``GET /_proxy/session`` reports sign-in and
refresh counts (never tokens).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BREAKS = {
    "id-token": "INT-01: send the IdToken as the bearer",
    "no-partner-header-on-cr": "INT-02: forget X-Preferred-Partner-Id on CR calls",
    "sign-in-twice": "INT-03: drop the session mid-journey and sign in again",
    "reactive-refresh": "INT-04: never refresh ahead; refresh after a 401 and retry",
    "media-under-v3": "INT-05: send POST /media under /api/v3",
    "no-backoff": "INT-07: retry 429/5xx immediately",
}
MAX_ATTEMPTS = 5
BOOST = re.compile(r"^/setup_processes/([^/]+)/boost$")


def breaks() -> set[str]:
    return {b.strip() for b in os.environ.get("EXAMPLE_BREAK", "").split(",") if b.strip()}


class Session:
    """One signed-in session: tokens, expiry, single-flight proactive refresh."""

    def __init__(self, http: httpx.AsyncClient, main: str, username: str, password: str) -> None:
        self.http, self.main, self.username, self.password = http, main, username, password
        self.tokens: dict[str, Any] = {}
        self.expires_at = 0.0
        self.life = 0.0
        self.lock = asyncio.Lock()
        self.sign_ins = 0
        self.refreshes = 0

    async def _auth_call(self, path: str, body: dict[str, Any]) -> httpx.Response:
        for attempt in range(MAX_ATTEMPTS):
            response = await self.http.post(self.main + path, json=body)
            if response.status_code != 429 and response.status_code < 500:
                return response
            await asyncio.sleep(backoff(attempt))
        return response

    async def sign_in(self) -> None:
        response = await self._auth_call("/auth", {"username": self.username, "password": self.password})
        data = response.json()
        if response.status_code != 200 or "AccessToken" not in data:
            raise RuntimeError(
                f"sign-in failed: {response.status_code} {data.get('message') or data.get('Challenge')}"
            )
        self.sign_ins += 1
        self._store(data)

    def _store(self, data: dict[str, Any]) -> None:
        self.tokens.update({k: data[k] for k in ("AccessToken", "IdToken", "RefreshToken") if k in data})
        self.life = float(data.get("ExpiresIn", 3600))
        self.expires_at = time.monotonic() + self.life

    def due(self) -> bool:
        margin = min(300.0, self.life / 4)
        return time.monotonic() > self.expires_at - margin

    async def refresh(self) -> None:
        response = await self._auth_call("/auth/refresh_token", {"token": self.tokens["RefreshToken"]})
        if response.status_code == 200:
            self.refreshes += 1
            self._store(response.json())  # the refresh token does not rotate: keep ours
        else:
            self.tokens.clear()
            await self.sign_in()

    async def bearer(self, *, force: bool = False) -> str:
        """The AccessToken, refreshed first when due (every caller waits on the same refresh)."""
        async with self.lock:
            if not self.tokens:
                await self.sign_in()
            elif force or ("reactive-refresh" not in breaks() and self.due()):
                await self.refresh()
        return str(self.tokens["IdToken" if "id-token" in breaks() else "AccessToken"])


def backoff(attempt: int) -> float:
    return 0.0 if "no-backoff" in breaks() else min(0.5 * 2**attempt, 8.0)


class Proxy:
    def __init__(self) -> None:
        self.main = os.environ["FD_BASE_URL"].rstrip("/")
        self.cr = os.environ["CR_BASE"].rstrip("/")
        self.media = self.main[: -len("/v3")] if self.main.endswith("/v3") else self.main
        self.partner = os.environ["FD_PARTNER_ID"]
        self.http = httpx.AsyncClient(timeout=30, trust_env=False)
        self.session = Session(self.http, self.main, os.environ["FD_USERNAME"], os.environ["FD_PASSWORD"])
        self.forwarded = 0

    def target(self, path: str) -> tuple[str, str]:
        if path.startswith("/cr/"):
            return "cr", self.cr + path[3:]
        if path == "/media":
            return "media", (self.main if "media-under-v3" in breaks() else self.media) + "/media"
        if path.startswith("/main/"):
            return "main", self.main + path[5:]
        raise LookupError(path)

    async def send(
        self, method: str, url: str, host: str, request: Request, body: bytes, *, force: bool = False
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.session.bearer(force=force)}"}
        if not (host == "cr" and "no-partner-header-on-cr" in breaks()):
            headers["X-Preferred-Partner-Id"] = self.partner
        if "content-type" in request.headers:
            headers["Content-Type"] = request.headers["content-type"]
        return await self.http.request(
            method, url, params=list(request.query_params.multi_items()), content=body, headers=headers
        )

    async def forward(self, request: Request) -> Response:
        # the raw path keeps the percent-encoding of a tc label exactly as the caller wrote it
        path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1").split("?", 1)[0]
        try:
            host, url = self.target(path)
        except LookupError:
            return JSONResponse({"message": "error.proxy.unknown_route"}, status_code=404)
        body = await request.body()
        self.forwarded += 1
        if "sign-in-twice" in breaks() and self.forwarded == 8:
            self.session.tokens.clear()  # the mistake: a lost session instead of a kept one
        boost = BOOST.match(url[len(self.main) :]) if host == "main" else None
        for attempt in range(MAX_ATTEMPTS):
            if attempt and boost:
                # boost is not idempotent: if the last attempt went through after all, do not re-send
                state = await self.send(
                    "GET", f"{self.main}/setup_processes/{boost.group(1)}", "main", request, b""
                )
                if state.status_code == 200 and state.json().get("published"):
                    return JSONResponse(state.json(), status_code=200)
            response = await self.send(request.method, url, host, request, body)
            if response.status_code == 401 and "reactive-refresh" in breaks():
                response = await self.send(request.method, url, host, request, body, force=True)
            if response.status_code != 429 and response.status_code < 500:
                break
            if attempt < MAX_ATTEMPTS - 1:
                await asyncio.sleep(backoff(attempt))
        kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type",)}
        return Response(response.content, status_code=response.status_code, headers=kept)

    async def stats(self, request: Request) -> Response:
        s = self.session
        return JSONResponse({"sign_ins": s.sign_ins, "refreshes": s.refreshes, "token_life": s.life})


def build_app() -> Starlette:
    proxy = Proxy()
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return Starlette(
        routes=[
            Route("/_proxy/session", proxy.stats, methods=["GET"]),
            Route("/{path:path}", proxy.forward, methods=methods),
        ]
    )
