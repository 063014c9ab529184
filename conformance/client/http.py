"""Recorded HTTP exchanges with the target.

:class:`Transport` owns one ``httpx.Client`` per run (timeouts on every request, bounded backoff on
429 since the API sends no ``Retry-After``) and a log of every request sent, which the read-only
guard and the reports read. :class:`Api` is a persona's view of one host: base URL, bearer token and
partner header, with per-call overrides for tenancy attacks.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.client.curl import curl_line
from conformance.errors import TargetError
from conformance.redact import REDACTOR

PARTNER_HEADER = "X-Preferred-Partner-Id"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sentinel meaning "do not send this header at all" (distinct from None = use the default).
OMIT = "\x00omit"

TokenSource = Callable[[], str]


@dataclass
class Exchange:
    """One request and its response, as observed on the wire."""

    request: httpx.Request
    response: httpx.Response
    elapsed: float

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def curl(self) -> str:
        return curl_line(self.request)

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


class Transport:
    """The run's single HTTP client: timeouts, 429 backoff, request log, loopback-safe by config."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_429_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)
        self._max_429 = max_429_retries
        self._base = backoff_base
        self._cap = backoff_cap
        self._sleep = sleep
        self._lock = threading.Lock()
        self.sent: list[tuple[str, str]] = []  # (method, url) of every request that left the suite

    def close(self) -> None:
        self._client.close()

    def send(self, request: httpx.Request) -> Exchange:
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
            except httpx.TransportError as exc:
                raise TargetError(
                    f"cannot reach {request.url.scheme}://{request.url.netloc.decode()} ({exc})",
                    "check the target URL and that the host is running",
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
        return self.transport.send(request)

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)
