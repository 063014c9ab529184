"""Schemathesis' requests, sent through the suite's :class:`~conformance.client.Transport`.

Schemathesis sends with ``requests``: the fuzz cases (``case.call``), its own auth probes
(``ignored_auth`` sends through ``schema.transport``) and every step of the stateful engine (which
builds its own sessions). All of them ask the schema for its transport (the engine's capability
probes aside: :class:`RoutedEngine` leaves them out), so :func:`route` gives a schema a transport
whose sessions have :class:`TransportAdapter` mounted for ``http://`` and ``https://``: each
prepared request becomes an ``httpx`` request sent by our Transport (read-only guard, 429 backoff,
limiter, audit log), and its answer goes back to Schemathesis as a ``requests.Response``.
Connection pooling, timeouts and TLS verification are the Transport's.

Throttling: a request still answered 429 after the Transport's retries judged nothing. For the fuzz
cases and Schemathesis' own auth probes (origin ``fuzz``) the adapter raises
:class:`~conformance.client.Throttled` instead of handing the 429 back, so no check (ours or
Schemathesis') ever judges it: the fuzz test counts the case as throttled, not judged, and the
``ignored_auth`` wrapper treats a throttled probe as no evidence. The stateful engine (origin
``stateful``) gets the 429 back (an exception inside the engine would end its scenario as an error);
our checks pass over a 429 there.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from schemathesis.engine.core import Engine, ExecutionPlan
from schemathesis.engine.run import PhaseName, PhaseSkipReason
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.requests import REQUESTS_TRANSPORT, ManagedCookiesSession, RequestsTransport
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from conformance.client import Throttled, Transport
from conformance.errors import RequestTimedOut, TargetError

if TYPE_CHECKING:
    from schemathesis.core.transport import Response
    from schemathesis.schemas import BaseSchema

    from conformance.fuzz.context import FuzzCase

S = TypeVar("S", bound="BaseSchema")
SCHEMES = ("http://", "https://")


# Message framing is the transport's: httpx sets it from the content it sends, so a value that requests
# computed for its own body encoding never contradicts it (h11 refuses such a request before it leaves).
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


class TransportAdapter(BaseAdapter):
    """A ``requests`` adapter that hands every request to our Transport (tagged with ``origin``)."""

    def __init__(self, transport: Transport, origin: str, *, raise_throttled: bool = False) -> None:
        super().__init__()
        self.transport = transport
        self.origin = origin
        self.raise_throttled = raise_throttled
        self._build = HTTPAdapter()  # only its build_response: status, headers, cookies, encoding

    def send(  # noqa: PLR0917 - the requests adapter signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        outgoing = self.transport.build(
            str(request.method), str(request.url), content=_content(request.body),
            # optional whitespace around a value is not part of it (RFC 9110 §5.5); httpx refuses to send it
            headers={str(k): _text(v).strip(" \t") for k, v in request.headers.items()
                     if str(k).lower() not in FRAMING_HEADERS},
        )
        try:
            exchange = self.transport.send(outgoing, origin=self.origin)
        except TargetError as exc:
            # Schemathesis classifies network trouble by the requests exception types; the suite's own
            # error stays the cause, for the test to tell a timeout (unexercised) from a finding.
            if isinstance(exc, RequestTimedOut) or isinstance(exc.__cause__, httpx.TimeoutException):
                raise requests.exceptions.ReadTimeout(exc.one_line(), request=request) from exc
            raise requests.exceptions.ConnectionError(exc.one_line(), request=request) from exc
        if exchange.status == 429 and self.raise_throttled:
            raise Throttled.of(exchange)
        answer = exchange.response
        raw = HTTPResponse(
            body=io.BytesIO(b""),
            headers=HTTPHeaderDict(list(answer.headers.multi_items())),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11 if answer.http_version == "HTTP/1.1" else 10,
            preload_content=False,
            decode_content=False,
        )
        response = self._build.build_response(request, raw)
        response._content = answer.content  # already decoded by httpx; raw only carries the headers
        response._content_consumed = True
        return response

    def close(self) -> None:
        """The Transport belongs to the run, not to the session: closing a session leaves it open."""


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _content(body: object) -> bytes | None:
    """A prepared request's body as bytes (requests may hold str, bytes, a file or an iterable)."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body) or None
    read = getattr(body, "read", None)
    if callable(read):
        return _content(read())
    if isinstance(body, Iterable):  # a streamed body: str or bytes chunks
        chunks = [part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body]
        return b"".join(chunks) or None
    raise TypeError(f"unsupported request body {type(body).__name__}")


def routed_session(adapter: TransportAdapter) -> requests.Session:
    """A Schemathesis-style session (cookies dropped between cases) that sends through ``adapter``."""
    session = ManagedCookiesSession()
    session.headers.clear()  # no requests defaults (User-Agent, Accept) merged into every case
    session.trust_env = False  # proxies, netrc and CAs are the Transport's business
    mount(session, adapter)
    return session


def mount(session: requests.Session, adapter: TransportAdapter) -> None:
    for scheme in SCHEMES:
        if session.adapters.get(scheme) is not adapter:
            session.mount(scheme, adapter)


class RoutedTransport(RequestsTransport):
    """Schemathesis' requests transport, with every session it is given routed through our adapter."""

    def __init__(self, adapter: TransportAdapter) -> None:
        super().__init__()
        self._serializers = REQUESTS_TRANSPORT._serializers  # the media types registered with Schemathesis
        self.adapter = adapter
        self._session = routed_session(adapter)

    def send(self, case: FuzzCase, *, session: requests.Session | None = None, **kwargs: Any) -> Response:
        if session is None:
            session = self._session
        else:
            mount(session, self.adapter)
            session.trust_env = False
        return super().send(case, session=session, **kwargs)


def route(schema: S, transport: Transport, origin: str, **attributes: Any) -> S:
    """``schema`` (and every clone of it) sending through ``transport``, tagged ``origin``.

    The schema's class is swapped for a subclass made for this run, whose ``transport`` is ours;
    ``attributes`` become class attributes of it (the run's fuzz context, for our checks)."""
    routed = RoutedTransport(TransportAdapter(transport, origin, raise_throttled=origin == "fuzz"))
    namespace: dict[str, Any] = {"transport": property(lambda self: routed), **attributes}
    schema.__class__ = type(f"Routed{type(schema).__name__}", (type(schema),), namespace)
    return schema


class RoutedEngine(Engine):
    """Schemathesis' engine for a routed schema, without its probing phase.

    The probes (can the server take a NULL byte in a header, an unsafe path?) are the one part of the
    engine that sends with a session of its own instead of the schema's transport. Our Transport
    cannot send a NULL byte in a header at all, so the schema is adapted as if that probe had failed,
    and the probes are not sent."""

    def _create_execution_plan(self) -> ExecutionPlan:
        plan = super()._create_execution_plan()
        for phase in plan.phases:
            if phase.name == PhaseName.PROBING:
                phase.is_enabled, phase.skip_reason = False, PhaseSkipReason.DISABLED
        return plan


def engine_for(schema: OpenApiSchema) -> RoutedEngine:
    """The engine that runs ``schema`` (routed by :func:`route`) with every request through our Transport."""
    schema.adapt_to_null_byte_in_header_failure()
    return RoutedEngine(schema)
