"""Recorded HTTP exchanges with the target.

:class:`Transport` owns one ``httpx.Client`` per run (timeouts on every request, bounded backoff on
429 since the API sends no ``Retry-After``) and a log of every request sent, which the read-only
guard and the reports read. :class:`Api` is a persona's view of one host: base URL, bearer token and
partner header, with per-call overrides for tenancy attacks.
"""

from __future__ import annotations

import json as jsonlib
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.client.curl import curl_line
from conformance.errors import Finding, TargetError, UsageError
from conformance.redact import REDACTOR

PARTNER_HEADER = "X-Preferred-Partner-Id"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
# The only writes a read-only run may send: signing in and refreshing tokens (CONTRACT §2).
AUTH_PATH_SUFFIXES = ("/auth", "/auth/refresh_token")
# Sentinel meaning "do not send this header at all" (distinct from None = use the default).
OMIT = "\x00omit"

TokenSource = Callable[[], str]


@dataclass
class Exchange:
    """One request and its response, as observed on the wire."""

    request: httpx.Request
    response: httpx.Response
    elapsed: float
    persona: str = ""  # whose own token the request carried ("" = none, or an overridden one)

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def curl(self) -> str:
        """A runnable curl line; the token comes from ``${FD_ACCESS_TOKEN}`` (see :mod:`.curl`)."""
        return curl_line(self.request, persona=self.persona)

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is not JSON (a finding for the caller to judge)."""
        try:
            return self.response.json()
        except (ValueError, UnicodeDecodeError):
            return None

    def describe(self) -> str:
        """``METHOD url -> status`` with secrets redacted, for finding messages."""
        return f"{self.request.method} {REDACTOR.text(str(self.request.url))} -> {self.status}"

    def request_text(self) -> str:
        head = [f"{self.request.method} {self.request.url}"]
        head += [f"{k}: {v}" for k, v in REDACTOR.headers(self.request.headers.multi_items())]
        body = self.request.content.decode("utf-8", "replace") if self.request.content else ""
        return REDACTOR.text("\n".join(head) + ("\n\n" + body if body else ""))

    def response_text(self, limit: int = 4000) -> str:
        head = [f"HTTP {self.status}"]
        head += [f"{k}: {v}" for k, v in REDACTOR.headers(self.response.headers.multi_items())]
        return REDACTOR.text("\n".join(head) + "\n\n" + self.response.text[:limit])

    def finding(
        self, rule_id: str, message: str, *, expected: str = "", received: str | None = None
    ) -> Finding:
        """A :class:`Finding` about this exchange, carrying its curl line, request and response.

        ``received`` defaults to the status and the start of the body."""
        return Finding(
            rule_id,
            message,
            expected=expected,
            received=f"{self.status} {self.response.text[:160]}" if received is None else received,
            curl=self.curl,
            request=self.request_text(),
            response=self.response_text(),
        )


class WriteBlocked(UsageError):
    """A write was attempted in a read-only run; it was refused before anything was sent."""


def is_auth_call(request: httpx.Request) -> bool:
    """``POST …/auth`` or ``POST …/auth/refresh_token``: the writes every mode allows."""
    path = request.url.path.rstrip("/")
    return request.method == "POST" and path.endswith(AUTH_PATH_SUFFIXES)


class Transport:
    """The run's single HTTP client: timeouts, 429 backoff, request log, read-only guard.

    ``allow_writes=False`` is the read-only guard: any request other than GET/HEAD (except signing
    in and refreshing tokens) raises :class:`WriteBlocked` before it leaves the process, so a bug in
    a scenario can never write to a production target. ``sent`` lists every request that did leave;
    ``blocked`` every one the guard refused.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_429_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        allow_writes: bool = True,
        headers: Mapping[str, str] | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        # ``headers``: sent on every request (a proxy's own key); ``ca_bundle``: a private CA's PEM.
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    headers=dict(headers or {}), verify=verify)
        self._max_429 = max_429_retries
        self._base = backoff_base
        self._cap = backoff_cap
        self._sleep = sleep
        self._lock = threading.Lock()
        self.allow_writes = allow_writes
        self.sent: list[tuple[str, str]] = []  # (method, url) of every request that left the suite
        self.blocked: list[tuple[str, str]] = []  # (method, url) refused by the read-only guard

    def close(self) -> None:
        self._client.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran (the connection pool is released)."""
        return self._client.is_closed

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_allowed(self, request: httpx.Request) -> None:
        """Raise :class:`WriteBlocked` if the read-only guard forbids ``request``."""
        if self.allow_writes or request.method in READ_METHODS or is_auth_call(request):
            return
        url = REDACTOR.text(str(request.url.copy_with(query=None)))
        with self._lock:
            self.blocked.append((request.method, url))
        raise WriteBlocked(
            f"read-only run refused {request.method} {url} before sending it",
            "writes need --mode write (and publishing --mode publish) against a sandbox-capable target",
        )

    def send(self, request: httpx.Request) -> Exchange:
        self.check_allowed(request)
        for attempt in range(self._max_429 + 1):
            with self._lock:
                self.sent.append((request.method, str(request.url)))
            started = time.perf_counter()
            try:
                response = self._client.send(request)
                response.read()
            except httpx.TimeoutException as exc:
                raise TargetError(
                    f"{request.method} {request.url.copy_with(query=None)} timed out ({exc})",
                    "check the target is up, or raise run.timeout",
                ) from exc
            except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
                origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise TargetError(
                        f"the TLS certificate of {origin} is not trusted ({exc})",
                        "set target.ca_bundle (or FD_CA_BUNDLE) to the PEM of the CA that signed it",
                    ) from exc
                raise TargetError(
                    f"cannot reach {origin} ({exc})", "check the target URL and that the host is running"
                ) from exc
            except httpx.TransportError as exc:
                # Connected, but the answer was cut off or not HTTP: a fact about the target.
                raise TargetError(
                    f"transport error on {request.method} {request.url.copy_with(query=None)}: "
                    f"{type(exc).__name__}: {exc or 'connection closed'}",
                    "the target closed the connection or sent a malformed response",
                ) from exc
            elapsed = time.perf_counter() - started
            if response.status_code != 429 or attempt == self._max_429:
                return Exchange(request, response, elapsed)
            # 429 carries no Retry-After (CONTRACT §5): exponential, capped, bounded in count.
            self._sleep(min(self._cap, self._base * (2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover


class Api:
    """A persona's view of one host. Extension point for scenario tests.

    ``partner`` is the default ``X-Preferred-Partner-Id`` (``None`` = send none). Per call,
    ``partner=OMIT`` drops the header, ``token=OMIT`` drops ``Authorization``, and any other string
    replaces it: that is how tenancy attacks are written.
    """

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        *,
        token: TokenSource | None = None,
        partner: str | None = None,
        host: str = "main",
        persona: str = "",
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.partner = partner
        self.host = host
        self.persona = persona

    def with_partner(self, partner: str | None) -> Api:
        return Api(self.transport, self.base_url, token=self.token, partner=partner, host=self.host,
                   persona=self.persona)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        partner: str | None = None,
        token: str | None = None,
    ) -> Exchange:
        merged: dict[str, str] = {"Accept": "application/json"}
        bearer = token if token is not None else (self.token() if self.token else None)
        if bearer and bearer != OMIT:
            merged["Authorization"] = f"Bearer {bearer}"
        tenant = partner if partner is not None else self.partner
        if tenant and tenant != OMIT:
            merged[PARTNER_HEADER] = tenant
        merged.update(headers or {})
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        body = content
        if json is not None:
            body = jsonlib.dumps(json).encode()
            merged.setdefault("Content-Type", "application/json")
        request = self.transport._client.build_request(
            method.upper(), url, params=params, content=body, files=files, headers=merged
        )
        exchange = self.transport.send(request)
        if token is None and self.token is not None:  # the persona's own token, not an attack's
            exchange.persona = self.persona
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)
