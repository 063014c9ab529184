"""Sessions against the reference's real Cognito emulator: sign-in, refresh, single flight, partners."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.auth import Session, claims, make_sessions, partners_in
from conformance.client import Api, Transport
from conformance.config import PersonaSettings, Settings
from conformance.errors import CredentialsError
from conformance.redact import REDACTOR


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def transport() -> Iterator[Transport]:
    t = Transport(timeout=5.0, allow_writes=False)
    yield t
    t.close()


def persona(stack: Any, name: str) -> PersonaSettings:
    p = stack.personas[name]
    return PersonaSettings(username=p["username"], password=p["password"])


def auth_calls(transport: Transport) -> list[str]:
    return [url.rsplit("/api/v3", 1)[1] for method, url in transport.sent if method == "POST"]


def test_sign_in_is_lazy_and_happens_once(reference_stack: Any, transport: Transport) -> None:
    session = Session("primary", persona(reference_stack, "primary"), transport, reference_stack.main_base)
    assert transport.sent == []
    token = session.access_token()
    assert session.access_token() == token
    assert auth_calls(transport) == ["/auth"]
    assert session.sign_ins == 1
    # the token works against the target
    ex = Api(transport, reference_stack.main_base, token=session.access_token).get("/partners/")
    assert ex.status == 200


def test_partners_come_from_cognito_groups(reference_stack: Any, transport: Transport) -> None:
    expected = {name: sorted(p["partners"]) for name, p in reference_stack.personas.items()}
    for name in ("primary", "other", "multi", "nopartner", "legacy"):
        session = Session(name, persona(reference_stack, name), transport, reference_stack.main_base)
        assert session.partners == expected[name]
        assert session.partner == (expected[name][0] if len(expected[name]) == 1 else None)
    primary = Session("primary", persona(reference_stack, "primary"), transport, reference_stack.main_base)
    groups = claims(primary.tokens.id_token).get("cognito:groups") or []
    assert "webapp-access-group-2" in groups  # a non-partner group exists and is filtered out
    assert "webapp-access-group-2" not in primary.partners


def test_configured_partner_pins_the_default(reference_stack: Any, transport: Transport) -> None:
    p = reference_stack.personas["multi"]
    pinned = PersonaSettings(username=p["username"], password=p["password"], partner=p["partners"][1])
    session = Session("multi", pinned, transport, reference_stack.main_base)
    assert session.partner == p["partners"][1]
    assert session.partners == sorted(p["partners"])


def test_proactive_refresh_when_less_than_five_minutes_remain(
    reference_stack: Any, transport: Transport
) -> None:
    clock = Clock()
    session = Session(
        "primary", persona(reference_stack, "primary"), transport, reference_stack.main_base, clock=clock
    )
    first = session.access_token()
    clock.now += 3600 - 301  # 5 min + 1 s left: still fine
    assert session.access_token() == first
    assert session.refreshes == 0
    clock.now += 2  # < 5 min left: refresh before use
    second = session.access_token()
    assert session.refreshes == 1
    assert session.sign_ins == 1
    assert auth_calls(transport) == ["/auth", "/auth/refresh_token"]
    assert Api(transport, reference_stack.main_base, token=lambda: second).get("/partners/").status == 200
    assert session.tokens.refresh  # the refresh token is kept (no rotation)


def test_refresh_is_single_flight(reference_stack: Any, transport: Transport) -> None:
    clock = Clock()
    session = Session(
        "primary", persona(reference_stack, "primary"), transport, reference_stack.main_base, clock=clock
    )
    session.access_token()
    clock.now += 3500
    barrier = threading.Barrier(8)
    tokens: list[str] = []

    def worker() -> None:
        barrier.wait()
        tokens.append(session.access_token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1
    assert session.refreshes == 1
    assert auth_calls(transport).count("/auth/refresh_token") == 1


def test_wrong_password_is_a_credentials_error(reference_stack: Any, transport: Transport) -> None:
    p = reference_stack.personas["primary"]
    bad = PersonaSettings(username=p["username"], password=p["password"] + "-nope")
    session = Session("primary", bad, transport, reference_stack.main_base)
    with pytest.raises(CredentialsError) as err:
        session.access_token()
    assert err.value.message.startswith(
        f"persona 'primary' ({p['username'].split('@')[0]}@…): POST /auth answered 401"
    )
    assert err.value.hint == "check [personas.primary] username/password"
    assert p["password"] not in err.value.one_line()


def test_tokens_are_registered_with_the_redactor(reference_stack: Any, transport: Transport) -> None:
    session = Session("other", persona(reference_stack, "other"), transport, reference_stack.main_base)
    tokens = session.tokens
    for secret in (tokens.access, tokens.id_token, tokens.refresh):
        assert secret
        assert secret not in REDACTOR.text(f"leak {secret} here")
    assert tokens.access not in repr(tokens)


def test_static_token_never_signs_in_or_refreshes(reference_stack: Any, transport: Transport) -> None:
    live = Session("primary", persona(reference_stack, "primary"), transport, reference_stack.main_base)
    token = live.access_token()
    sent_before = len(transport.sent)
    clock = Clock()
    static = Session(
        "primary", PersonaSettings(token=token), transport, reference_stack.main_base, clock=clock
    )
    clock.now += 3500  # near expiry: a static token is still used as is
    assert static.access_token() == token
    assert len(transport.sent) == sent_before
    assert static.partners == sorted(partners_in(claims(token)))  # access tokens carry cognito:groups too


def test_expired_static_token_is_a_credentials_error(reference_stack: Any, transport: Transport) -> None:
    expired = reference_stack.personas["primary"]["expired_token"]
    session = Session("primary", PersonaSettings(token=expired), transport, reference_stack.main_base)
    with pytest.raises(CredentialsError, match="static token expired"):
        session.sign_in()


def test_make_sessions_only_for_configured_personas(reference_stack: Any, transport: Transport) -> None:
    settings = Settings(
        main=reference_stack.main_base,
        personas={
            "primary": persona(reference_stack, "primary"),
            "other": PersonaSettings(username="x@y.example"),
        },
    )
    assert list(make_sessions(settings, transport)) == ["primary"]
