"""The sandbox's recording: every request either host received, redacted at the moment it is taken.

An ASGI middleware wraps each host's application (outermost, so it also sees what the sandbox
faults answer) and appends one plain-dict *exchange* per request to a :class:`Recorder`. Secrets never
enter the recording: a bearer token is kept as its **kind** (which Cognito token it is:
``AccessToken``, ``IdToken``, ``RefreshToken``, ``garbage`` or ``none``) plus a short one-way
fingerprint; passwords are dropped; a refresh token in a body becomes its fingerprint. Bodies are
summarised (keys, the ``tc_run_id`` values and ``tc`` labels they carry), never stored.

The exchange dicts are the interface to the suite, which judges them (``conformance.integration``);
this module imports nothing of the suite.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import jwt
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KEPT_HEADERS = frozenset({"content-type", "accept", "x-preferred-partner-id", "user-agent", "content-length"})
SECRET_FIELDS = frozenset({"password", "new_password", "token", "refreshtoken", "session"})
FAULT_KEY = "fd.sandbox.fault"  # scope key through which the faults layer tags what it answered


def fingerprint(secret: str) -> str:
    """A short one-way digest: equal tokens get equal prints, and nothing can be read back from it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


class Recorder:
    """The exchanges of one sandbox session, thread-safe, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] = []
        self._refresh_prints: set[str] = set()
        self.started = time.time()
        self.meta: dict[str, Any] = {}

    def now(self) -> float:
        """Seconds since the session started (every timestamp of the recording is on this clock)."""
        return round(time.time() - self.started, 4)

    def learn_refresh_token(self, token: str) -> None:
        with self._lock:
            self._refresh_prints.add(fingerprint(token))

    def is_refresh_token(self, token: str) -> bool:
        with self._lock:
            return fingerprint(token) in self._refresh_prints

    def add(self, exchange: dict[str, Any]) -> None:
        with self._lock:
            exchange["seq"] = len(self._items) + 1
            self._items.append(exchange)

    def exchanges(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._items]

    def document(self) -> dict[str, Any]:
        """The whole recording as saved: ``{meta, exchanges}`` (already redacted)."""
        return {"meta": dict(self.meta), "exchanges": self.exchanges()}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def token_kind(recorder: Recorder, token: str) -> str:
    """Which Cognito token a bearer value is, from its unverified claims (never from trust in it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "RefreshToken" if recorder.is_refresh_token(token) else "garbage"
    use = claims.get("token_use")
    return {"access": "AccessToken", "id": "IdToken"}.get(str(use), "garbage")


def _token_age(token: str) -> float | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    iat = claims.get("iat")
    return round(time.time() - float(iat), 3) if isinstance(iat, int | float) else None


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def summarise_body(recorder: Recorder, raw: bytes, content_type: str) -> dict[str, Any]:
    """Keys and the run/cluster references of a request body; secrets become kinds or prints."""
    if not raw:
        return {}
    if "multipart" in content_type:
        return {"multipart": True, "bytes": len(raw)}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {"malformed": True, "bytes": len(raw)}
    out: dict[str, Any] = {"type": type(body).__name__}
    if isinstance(body, dict):
        out["keys"] = sorted(str(k) for k in body if str(k).lower() not in SECRET_FIELDS)
        secret = body.get("token")
        if isinstance(secret, str):
            out["token_kind"] = (
                "RefreshToken" if recorder.is_refresh_token(secret) else token_kind(recorder, secret)
            )
            out["token_fp"] = fingerprint(secret)
        if isinstance(body.get("username"), str):
            out["username"] = body["username"]
        sections = {}
        for name in ("creatives", "targeting", "integration_details"):
            items = body.get(name)
            if isinstance(items, list):
                sections[name] = sorted({int(i["tc_run_id"]) for i in items if _is_run_item(i)})
        if sections:
            out["runs_by_section"] = sections
    runs = sorted({int(v) for k, v in _walk(body) if k == "tc_run_id" and _is_int(v)})
    tcs = sorted({str(v) for k, v in _walk(body) if k == "tc" and isinstance(v, str)})
    if runs:
        out["runs"] = runs
    if tcs:
        out["tcs"] = tcs
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_run_item(item: Any) -> bool:
    return isinstance(item, dict) and _is_int(item.get("tc_run_id"))


def summarise_response(recorder: Recorder, path: str, raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The envelope message, the issued tokens' prints and lifetime, the clusters' run and labels."""
    out: dict[str, Any] = {"retry_after": "retry-after" in headers}
    if "json" not in headers.get("content-type", "") or not raw:
        return out
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return out
    if not isinstance(body, dict):
        return out
    if isinstance(body.get("message"), str):
        out["message"] = body["message"]
    if isinstance(body.get("validation_errors"), list):
        out["invalid_fields"] = [
            str(e.get("field")) for e in body["validation_errors"] if isinstance(e, dict)
        ]
    if isinstance(body.get("AccessToken"), str):
        out["issued"] = {"access_fp": fingerprint(body["AccessToken"]), "expires_in": body.get("ExpiresIn")}
        if isinstance(body.get("RefreshToken"), str):
            recorder.learn_refresh_token(body["RefreshToken"])
            out["issued"]["refresh_fp"] = fingerprint(body["RefreshToken"])
    if path.endswith("/clusters") and _is_int(body.get("tc_run_id")):
        out["tc_run_id"] = body["tc_run_id"]
    # Every cluster label the integration was shown: a tc it later sends must be one of these.
    tcs = sorted({str(v) for k, v in _walk(body) if k == "tc" and isinstance(v, str)})
    if tcs:
        out["tcs"] = tcs
    if "published" in body:
        out["published"] = bool(body.get("published"))
    return out


class RecordingApp:
    """ASGI middleware: records one exchange per HTTP request of ``host`` into ``recorder``."""

    def __init__(self, app: ASGIApp, recorder: Recorder, host: str) -> None:
        self.app = app
        self.recorder = recorder
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rec = self.recorder
        started = rec.now()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        chunks: list[bytes] = []

        async def tap_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        status = 0
        out_headers: dict[str, str] = {}
        out_chunks: list[bytes] = []

        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                rec.add(
                    self._exchange(
                        scope,
                        headers=headers,
                        body=b"".join(chunks),
                        status=status,
                        out_headers=out_headers,
                        out_body=b"".join(out_chunks),
                        started=started,
                    )
                )

        async def tap_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                out_headers.update(
                    {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                )
            elif message["type"] == "http.response.body":
                out_chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    record()  # before the client can see the answer: no response outruns its record
            await send(message)

        await self.app(scope, tap_receive, tap_send)
        record()

    def _exchange(
        self,
        scope: Scope,
        *,
        headers: dict[str, str],
        body: bytes,
        status: int,
        out_headers: dict[str, str],
        out_body: bytes,
        started: float,
    ) -> dict[str, Any]:
        rec = self.recorder
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        authorization = headers.get("authorization")
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        kind = (
            "none"
            if authorization is None
            else (token_kind(rec, token) if scheme.lower() == "bearer" and token else "garbage")
        )
        return {
            "host": self.host,
            "method": scope["method"].upper(),
            "path": raw_path,
            "path_decoded": unquote(raw_path),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": {
                k: (v if k in KEPT_HEADERS else "<redacted>")
                for k, v in headers.items()
                if k in KEPT_HEADERS or k in ("authorization", "cookie", "x-api-key")
            },
            "partner": headers.get("x-preferred-partner-id"),
            "token_kind": kind,
            "token_fp": fingerprint(token) if token else "",
            "token_age": _token_age(token) if kind == "AccessToken" else None,
            "body": summarise_body(rec, body, headers.get("content-type", "")),
            # Identifies a re-sent request; never taken of sign-in bodies (they hold the password).
            "body_fp": "" if "/auth" in raw_path else fingerprint(body.decode("latin-1")),
            "status": status,
            "response": summarise_response(rec, raw_path, out_body, out_headers),
            "fault": str(scope.get(FAULT_KEY, "")),
            "start": started,
            "end": rec.now(),
        }
