"""Recorded HTTP exchanges with the target: the one layer every request of a run leaves through.

:class:`Transport` owns one ``httpx.Client`` per run: timeouts on every request, bounded backoff on
429 (the API sends no ``Retry-After``), the read-only guard (closed by default: writes need
``allow_writes=True``), an optional :class:`Limiter` (where a rate budget plugs in) and one audit log
(:attr:`Transport.audit`) of every request that left. Scenarios use it through
:class:`~conformance.client._api.Api` (a persona's view of one host); Schemathesis' requests reach it through
:mod:`conformance.fuzz.routing`, so fuzzing, the stateful phase, Schemathesis' own auth probes and
the tenancy replays are guarded, logged and backed off the same way.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from conformance.client._abandon import DEFAULT_ABANDON_AFTER, TimeoutTally
from conformance.client._curl import curl_line
from conformance.client._liveness import Liveness
from conformance.errors import Finding, RequestTimedOut, TargetError, UsageError
from conformance.redact import REDACTOR

PARTNER_HEADER = "X-Preferred-Partner-Id"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
# The only writes a read-only run may send: signing in and refreshing tokens (CONTRACT §2).
AUTH_PATH_SUFFIXES = ("/auth", "/auth/refresh_token")
# Sentinel meaning "do not send this header at all" (distinct from None = use the default).
OMIT = "\x00omit"

TokenSource = Callable[[], str]


class Limiter(Protocol):
    """Where a rate budget plugs into :class:`Transport`: called before every attempt leaves.

    It may sleep (to pace requests) or raise (to stop a run that spent its budget); ``origin`` says
    which part of the suite sends (``suite``, ``fuzz``, ``stateful``, ``replay``, ``confirm``);
    ``partner`` is the request's ``X-Preferred-Partner-Id`` (``None`` when it sends none)."""

    def acquire(self, method: str, url: str, origin: str, partner: str | None = None) -> None: ...


@dataclass(frozen=True)
class AuditEntry:
    """One request that left the suite: who sent it, what it was, what came back (0 = no answer)."""

    origin: str
    method: str
    url: str  # without the query string; redacted when it leaves the process (to_dict)
    status: int

    @property
    def is_write(self) -> bool:
        return self.method not in READ_METHODS

    def to_dict(self) -> dict[str, Any]:
        url = REDACTOR.text(self.url)
        return {"origin": self.origin, "method": self.method, "url": url, "status": self.status}


@dataclass
class Exchange:
    """One request and its response, as observed on the wire."""

    request: httpx.Request
    response: httpx.Response
    elapsed: float
    persona: str = ""  # whose own token the request carried ("" = none, or an overridden one)
    attempts: int = 1  # attempts sent (more than one after a 429)

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
    """The run's single HTTP client: timeouts, 429 backoff, read-only guard, rate-limit seam, audit log.

    ``allow_writes=False`` (the default) is the read-only guard: any request other than GET/HEAD
    (except signing in and refreshing tokens) raises :class:`WriteBlocked` before it leaves the
    process, so a bug in a scenario or a fuzz case can never write to a production target.
    :attr:`audit` lists every request that did leave (one entry per attempt, 429 retries included);
    :attr:`blocked` every one the guard refused. ``limiter`` is consulted before every attempt.

    Bounded time on a bad target: an operation that timed out ``abandon_after`` times in a row is
    no longer sent (:class:`~conformance.client._abandon.TimeoutTally`; ``operations`` are the URL
    path templates it counts by), and a host that answered, then refused connections for
    ``gone_after`` seconds, ends the run (:class:`~conformance.client._liveness.Liveness`).
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_429_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        jitter: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        allow_writes: bool = False,
        headers: Mapping[str, str] | None = None,
        ca_bundle: str | None = None,
        limiter: Limiter | None = None,
        abandon_after: int = DEFAULT_ABANDON_AFTER,
        operations: Sequence[str] = (),
        gone_after: float = 60.0,
    ) -> None:
        # ``headers``: sent on every request (a proxy's own key); ``ca_bundle``: a private CA's PEM.
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    headers=dict(headers or {}), verify=verify)
        self._max_429 = max_429_retries
        self._base = backoff_base
        self._cap = backoff_cap
        self._jitter = jitter
        self._random = random.Random()  # jitter only: never part of what a seed reproduces
        self._sleep = sleep
        self._lock = threading.Lock()
        self.allow_writes = allow_writes
        self.limiter = limiter
        self.audit: list[AuditEntry] = []
        self.blocked: list[tuple[str, str]] = []  # (method, url) refused by the read-only guard
        # 429s met, retries sent after one, seconds slept in that backoff (the run summary shows them)
        self.throttled = 0
        self.retries = 0
        self.backoff_waited = 0.0
        self.timeouts = TimeoutTally(abandon_after, operations)
        self.liveness = Liveness(gone_after)
        #: Per thread: an origin that overrides the sender's (``confirm`` while a failure is replayed)
        #: and a list collecting the statuses of what this thread sends (:func:`.confirm.watch`).
        self.tap = threading.local()

    @property
    def sent(self) -> list[tuple[str, str]]:
        """``(method, url)`` of every request that left (the audit log without origin and status)."""
        with self._lock:
            return [(entry.method, entry.url) for entry in self.audit]

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

    def build(
        self, method: str, url: str, *, params: Any = None, content: bytes | None = None,
        files: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A request for :meth:`send`, with the transport's own headers (``target.headers``) merged in."""
        if params is None and files is None:
            # The common case (every fuzz case): skip the client's cookie and URL merging, which cost
            # more than the rest of the routing; the headers and the timeout are the client's all the same.
            merged = httpx.Headers(self._client.headers)
            merged.update(headers or {})
            return httpx.Request(method.upper(), url, content=content, headers=merged,
                                 extensions={"timeout": self._client.timeout.as_dict()})
        return self._client.build_request(method.upper(), url, params=params, content=content, files=files,
                                          headers=dict(headers or {}))

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

    def _record(self, request: httpx.Request, origin: str, status: int) -> None:
        entry = AuditEntry(origin, request.method, str(request.url).split("?", 1)[0], status)
        seen = getattr(self.tap, "seen", None)
        if seen is not None:
            seen.append(status)
        with self._lock:
            self.audit.append(entry)

    def send(self, request: httpx.Request, *, origin: str = "suite") -> Exchange:
        """Send ``request`` (guard, limiter, 429 backoff); every attempt is recorded in :attr:`audit`.

        Raises :class:`~conformance.errors.RequestTimedOut` on a timeout,
        :class:`~conformance.errors.OperationAbandoned` (nothing sent) for an abandoned operation and
        :class:`~conformance.errors.TargetGone` once the target has stopped answering."""
        origin = getattr(self.tap, "origin", None) or origin
        self.check_allowed(request)
        operation = self.timeouts.operation(request)
        self.timeouts.check(operation)
        self.liveness.check()
        for attempt in range(self._max_429 + 1):
            if self.limiter is not None:
                self.limiter.acquire(request.method, str(request.url), origin,
                                     partner=request.headers.get(PARTNER_HEADER))
            started = time.perf_counter()
            try:
                response = self._send_live(request)
            except httpx.TimeoutException as exc:
                self._record(request, origin, 0)
                count = self.timeouts.timed_out(operation)
                raise RequestTimedOut(
                    f"{request.method} {REDACTOR.text(str(request.url.copy_with(query=None)))} timed out "
                    f"({exc or type(exc).__name__}; {count} in a row for {operation})",
                    "check the target is up, or raise run.timeout",
                    operation=operation, count=count,
                ) from exc
            except TargetError:
                self._record(request, origin, 0)
                raise
            except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
                self._record(request, origin, 0)
                origin_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise TargetError(
                        f"the TLS certificate of {origin_url} is not trusted ({exc})",
                        "set target.ca_bundle (or FD_CA_BUNDLE) to the PEM of the CA that signed it",
                    ) from exc
                raise TargetError(
                    f"cannot reach {origin_url} ({exc})", "check the target URL and that the host is running"
                ) from exc
            except httpx.TransportError as exc:
                self._record(request, origin, 0)
                # Connected, but the answer was cut off or not HTTP: a fact about the target.
                raise TargetError(
                    f"transport error on {request.method} {request.url.copy_with(query=None)}: "
                    f"{type(exc).__name__}: {exc or 'connection closed'}",
                    "the target closed the connection or sent a malformed response",
                ) from exc
            self.timeouts.answered(operation)
            elapsed = time.perf_counter() - started
            self._record(request, origin, response.status_code)
            if response.status_code == 429:
                with self._lock:
                    self.throttled += 1
            if response.status_code != 429 or attempt == self._max_429:
                return Exchange(request, response, elapsed, attempts=attempt + 1)
            # 429 carries no Retry-After (CONTRACT §5): exponential with jitter, capped, bounded in count.
            delay = min(self._cap, self._base * (2**attempt) * (1 + self._jitter * self._random.random()))
            with self._lock:
                self.retries += 1
                self.backoff_waited += delay
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_live(self, request: httpx.Request) -> httpx.Response:
        """One attempt, with refused connections to a host that answered before waited out
        (:class:`Liveness`); :class:`~conformance.errors.TargetGone` when it does not come back."""
        origin_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        tries = 0
        while True:
            try:
                response = self._client.send(request)
                response.read()
            except httpx.ConnectError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise
                what = f"{request.method} {REDACTOR.text(str(request.url.copy_with(query=None)))}"
                delay = self.liveness.refused(origin_url, what, tries)
                if delay is None:
                    raise
                tries += 1
                self._sleep(delay)
                continue
            self.liveness.answered(origin_url)
            return response
