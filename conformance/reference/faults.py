"""The sandbox conditions a partner integration must survive (CONTRACT §7), as switchable faults.

One ASGI middleware per host, between the recorder and the reference application. Every condition is
on by default at a gentle level and deterministic for a seed:

``tokens=S``     access tokens live S seconds (default 60); ``ExpiresIn`` of ``/auth`` and
                 ``/auth/refresh_token`` says so, and an older AccessToken gets the reference's 401.
``budgets``      the kit's rate budgets over a sliding window (default 60 s): reads 600 and writes 120
                 per partner, sign-ins plus refreshes 10; over budget → 429 in the error envelope,
                 without ``Retry-After``.
``bursts``       one 429 and one 503 among the first 15 authenticated requests (positions from the seed).
``transient=P``  after those, each authenticated request is a 503 with probability P (default 0.02).
``refresh``      after an integration first reads an event's clusters, that event's clusters are
                 refreshed: the next read shows a larger ``tc_run_id``.
``window=S``     the budget window in seconds (default 60): a test-only time scale, with ``tokens``.
``latency=S``    every answer is held S seconds (default off), like a client far from the API.

``--faults`` syntax: a comma list of ``name``, ``name=value`` or ``-name`` (off), or ``none``/``all``.
Injected answers happen before the application, so a faulted request changed nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.recording import FAULT_KEY

UNAUTHENTICATED = frozenset({"/api/v3/status/", "/api/v3/auth", "/api/v3/auth/refresh_token"})
AUTH_PATHS = frozenset({"/api/v3/auth", "/api/v3/auth/refresh_token"})
NAMES = ("tokens", "budgets", "bursts", "transient", "refresh", "window", "latency")


@dataclass(frozen=True)
class Conditions:
    """Which sandbox conditions are on, with their figures. ``Conditions()`` is the default set."""

    token_life: int | None = 60
    budgets: bool = True
    reads_per_window: int = 600
    writes_per_window: int = 120
    auth_per_window: int = 10
    window: float = 60.0
    bursts: bool = True
    burst_span: int = 15
    transient: float = 0.02
    refresh: bool = True
    latency: float = 0.0
    seed: int = 0

    @classmethod
    def parse(cls, spec: str | None, seed: int = 0) -> Conditions:
        """Parse a ``--faults`` value; raises ValueError naming the bad item and the valid ones."""
        out = cls(seed=seed)
        if spec is None or spec.strip() in ("", "all", "default"):
            return out
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            if item == "none":
                out = replace(out, token_life=None, budgets=False, bursts=False, transient=0.0, refresh=False)
                continue
            off = item.startswith("-")
            name, _, value = item.lstrip("-").partition("=")
            if name not in NAMES or (off and value):
                raise ValueError(
                    f"unknown sandbox condition {item!r}; valid: {', '.join(NAMES)}, none, -NAME"
                )
            try:
                out = _apply(out, name, off, value)
            except ValueError:
                raise ValueError(f"sandbox condition {item!r} needs a number, e.g. {name}=60") from None
        return out

    def describe(self) -> dict[str, Any]:
        """The figures in force, for the recording's metadata and the reports."""
        return {
            "tokens": {"on": self.token_life is not None, "access_token_seconds": self.token_life},
            "budgets": {
                "on": self.budgets,
                "window_seconds": self.window,
                "reads_per_partner": self.reads_per_window,
                "writes_per_partner": self.writes_per_window,
                "sign_ins_and_refreshes": self.auth_per_window,
            },
            "bursts": {
                "on": self.bursts,
                "first_authenticated_requests": self.burst_span,
                "faults": ["429", "503"],
            },
            "transient": {"on": self.transient > 0, "probability_503": self.transient},
            "refresh": {"on": self.refresh},
            "latency": {"on": self.latency > 0, "seconds": self.latency},
            "seed": self.seed,
        }


def _apply(out: Conditions, name: str, off: bool, value: str) -> Conditions:
    if name == "tokens":
        return replace(out, token_life=None if off else int(value or 60))
    if name == "window":
        return replace(out, window=float(value or 60))
    if name == "transient":
        return replace(out, transient=0.0 if off else float(value or 0.02))
    if name == "latency":
        return replace(out, latency=0.0 if off else float(value or 0.08))
    return replace(out, **{name: not off})


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    authenticated_seen: int = 0
    windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    refreshed: set[str] = field(default_factory=set)
    in_flight: int = 0  # answers being held by the latency right now
    peak_in_flight: int = 0  # the most held at once: how much a client overlapped its requests


class Sandbox:
    """The shared fault state of both hosts of one stack (counters, budgets, refreshed events)."""

    def __init__(self, conditions: Conditions, svc: Any) -> None:
        self.conditions = conditions
        self.svc = svc
        self.state = _State()
        rng = random.Random(conditions.seed)
        span = max(conditions.burst_span, 3)
        # Never the first authenticated request, so an integration's very first call can succeed.
        first, second = rng.sample(range(2, span + 1), 2)
        self.burst = {first: 429, second: 503} if conditions.bursts else {}
        self.rng = random.Random(conditions.seed + 1)

    def over_budget(self, bucket: str, owner: str) -> bool:
        c = self.conditions
        limit = {"read": c.reads_per_window, "write": c.writes_per_window, "auth": c.auth_per_window}[bucket]
        now = time.monotonic()
        with self.state.lock:
            seen = self.state.windows.setdefault((bucket, owner), deque())
            while seen and seen[0] <= now - c.window:
                seen.popleft()
            if len(seen) >= limit:
                return True
            seen.append(now)
            return False

    def injected(self) -> int | None:
        with self.state.lock:
            self.state.authenticated_seen += 1
            n = self.state.authenticated_seen
            if n in self.burst:
                return self.burst[n]
            if n > self.conditions.burst_span and self.conditions.transient > 0:
                return 503 if self.rng.random() < self.conditions.transient else None
            return None

    def first_read(self, eid: str) -> bool:
        with self.state.lock:
            if eid in self.state.refreshed:
                return False
            self.state.refreshed.add(eid)
            return True

    def refresh_clusters(self, eid: str) -> None:
        from conformance.reference.handlers.cr import refresh_clusters

        refresh_clusters(SimpleNamespace(svc=self.svc), eid)  # type: ignore[arg-type]


def _envelope(status: int, message: str, code: str) -> tuple[int, bytes]:
    return status, json.dumps({"message": message, "error_code": code}).encode()


async def _answer(
    send: Send, status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _expired(authorization: str, life: int) -> bool:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    iat = claims.get("iat")
    # iat is whole seconds: one second of grace so a token never dies before its ExpiresIn.
    return (
        claims.get("token_use") == "access" and isinstance(iat, int | float) and time.time() - iat >= life + 1
    )


class FaultsApp:
    """ASGI middleware applying the :class:`Sandbox` conditions to one host."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, host: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.sandbox.conditions.latency > 0:
            # Before the answer, not in a thread: concurrent requests wait side by side, as on a network.
            state = self.sandbox.state
            with state.lock:
                state.in_flight += 1
                state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
            try:
                await asyncio.sleep(self.sandbox.conditions.latency)
            finally:
                with state.lock:
                    state.in_flight -= 1
        await self._faulted(scope, receive, send)

    async def _faulted(self, scope: Scope, receive: Receive, send: Send) -> None:
        c = self.sandbox.conditions
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        method = scope["method"].upper()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        on_main = self.host == "main"
        is_auth = on_main and path in AUTH_PATHS
        authenticated = not (on_main and path in UNAUTHENTICATED)
        if is_auth and c.budgets and self.sandbox.over_budget("auth", "all"):
            scope[FAULT_KEY] = "budget"
            await _answer(send, *_envelope(429, "error.rate_limit.exceeded", "RATE_LIMITED"))
            return
        if authenticated:
            if c.token_life is not None and _expired(headers.get("authorization", ""), c.token_life):
                scope[FAULT_KEY] = "expired"
                status, body = _envelope(401, "error.auth.token_expired", "TOKEN_EXPIRED")
                await _answer(send, status, body, ((b"www-authenticate", b'Bearer realm="fd-client-api"'),))
                return
            bucket = "read" if method in ("GET", "HEAD") else "write"
            if c.budgets and self.sandbox.over_budget(bucket, headers.get("x-preferred-partner-id", "")):
                scope[FAULT_KEY] = "budget"
                await _answer(send, *_envelope(429, "error.rate_limit.exceeded", "RATE_LIMITED"))
                return
            injected = self.sandbox.injected()
            if injected == 429:
                scope[FAULT_KEY] = "injected"
                await _answer(send, *_envelope(429, "error.rate_limit.exceeded", "RATE_LIMITED"))
                return
            if injected == 503:
                scope[FAULT_KEY] = "injected"
                await _answer(send, *_envelope(503, "error.service.unavailable", "SERVICE_UNAVAILABLE"))
                return
        if is_auth and c.token_life is not None:
            await self.app(scope, receive, _rewrite_expires_in(send, c.token_life))
            return
        if on_main and c.refresh and method == "GET" and path.endswith("/clusters"):
            await self._clusters(scope, receive, send, path)
            return
        await self.app(scope, receive, send)

    async def _clusters(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        # The answer is held until the refresh is done, so the integration's next read (on any
        # connection) already shows the newer run.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        status = next((int(m["status"]) for m in held if m["type"] == "http.response.start"), 0)
        parts = path.split("/")  # /api/v3/events/{eid}/clusters
        if status == 200 and len(parts) == 6:
            from urllib.parse import unquote

            eid = unquote(parts[4])
            if self.sandbox.first_read(eid):
                await run_in_threadpool(self.sandbox.refresh_clusters, eid)
        for message in held:
            await send(message)


def _rewrite_expires_in(send: Send, life: int) -> Send:
    """Buffers a sign-in or refresh answer and sets its ``ExpiresIn`` to the sandbox token life."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def rewrite(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        try:
            doc = json.loads(body)
            if isinstance(doc, dict) and "ExpiresIn" in doc:
                doc["ExpiresIn"] = life
                body = json.dumps(doc).encode()
        except ValueError:
            pass
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return rewrite
