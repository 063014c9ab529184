"""Sign-in answers the reference never gives: a challenge, an answer without tokens, a failed refresh."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from conformance.auth import Session
from conformance.client import Transport
from conformance.config import PersonaSettings
from conformance.errors import CredentialsError, TargetError

Responder = Callable[[str, dict[str, Any]], tuple[int, Any]]


@pytest.fixture
def auth_server() -> Iterator[tuple[str, list[Responder]]]:
    """A loopback server whose ``/api/v3/auth*`` answers come from a swappable responder."""
    responder: list[Responder] = [lambda path, body: (404, {"message": "error.route.not_found"})]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, payload = responder[0](self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v3", responder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def transport() -> Iterator[Transport]:
    t = Transport(timeout=2.0)
    yield t
    t.close()


ALICE = PersonaSettings(username="alice@acme.example", password="Alice-Passw0rd!")


def test_challenge_is_a_clear_credentials_error(auth_server: Any, transport: Transport) -> None:
    base, responder = auth_server
    responder[0] = lambda path, body: (
        200,
        {"Challenge": "NEW_PASSWORD_REQUIRED", "Session": "s3ss10n-value"},
    )
    with pytest.raises(CredentialsError) as err:
        Session("primary", ALICE, transport, base).access_token()
    assert err.value.message == (
        "persona 'primary' (alice@…): POST /auth answered a NEW_PASSWORD_REQUIRED challenge instead of tokens"
    )
    assert "static token" in err.value.hint


def test_answer_without_tokens_is_a_target_error(auth_server: Any, transport: Transport) -> None:
    base, responder = auth_server
    responder[0] = lambda path, body: (200, {"hello": "world"})
    with pytest.raises(TargetError, match="without tokens"):
        Session("primary", ALICE, transport, base).access_token()


def test_failed_refresh_falls_back_to_sign_in(auth_server: Any, transport: Transport) -> None:
    base, responder = auth_server
    calls: list[str] = []

    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        calls.append(path)
        if path.endswith("/refresh_token"):
            return 401, {"message": "error.auth.invalid_token"}
        return 200, {"AccessToken": f"access-{len(calls)}", "RefreshToken": "refresh-1", "ExpiresIn": 3600}

    responder[0] = answer
    now = [1000.0]
    session = Session("primary", ALICE, transport, base, clock=lambda: now[0])
    assert session.access_token() == "access-1"
    now[0] += 3400
    assert session.access_token() == "access-3"
    assert calls == ["/api/v3/auth", "/api/v3/auth/refresh_token", "/api/v3/auth"]
    assert session.refresh_failures == 1
    assert session.sign_ins == 2


def test_refresh_token_is_kept_when_refresh_returns_none(auth_server: Any, transport: Transport) -> None:
    base, responder = auth_server

    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path.endswith("/refresh_token"):
            assert body == {"token": "refresh-xyz"}
            return 200, {"AccessToken": "access-2", "ExpiresIn": 3600, "TokenType": "Bearer"}
        return 200, {"AccessToken": "access-1", "RefreshToken": "refresh-xyz", "ExpiresIn": 3600}

    responder[0] = answer
    now = [0.0]
    session = Session("primary", ALICE, transport, base, clock=lambda: now[0])
    session.access_token()
    now[0] += 3500
    assert session.access_token() == "access-2"
    assert session.tokens.refresh == "refresh-xyz"
