"""CONTRACT §2, identity: sign-in, refresh, and token verification on both hosts (AUTH-01, AUTH-02)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.reference.stack import ReferenceStack
from tests.reference.support import OMIT, Caller, assert_envelope


@pytest.fixture(scope="module")
def alice(reference_stack: ReferenceStack) -> Iterator[Caller]:
    caller = Caller(reference_stack, "primary")
    yield caller
    caller.close()


def test_sign_in_returns_the_documented_token_set(reference_stack: ReferenceStack, alice: Caller) -> None:
    tokens = alice.tokens
    assert set(tokens) >= {
        "AccessToken",
        "IdToken",
        "RefreshToken",
        "ExpiresIn",
        "TokenType",
        "DeviceKey",
        "DeviceGroupKey",
        "mfa_settings",
    }
    assert tokens["ExpiresIn"] == 3600
    assert tokens["TokenType"] == "Bearer"
    assert tokens["DeviceKey"] is None
    assert tokens["DeviceGroupKey"] is None
    id_claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert sorted(id_claims["cognito:groups"]) == ["partner-id-acme", "webapp-access-group-2"]
    access = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    assert access["token_use"] == "access"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice@acme.example", "Wrong-Passw0rd!"),
        ("nobody@nowhere.example", "Whatever-1!"),
    ],
)
def test_wrong_credentials_are_401_invalid_credentials(
    reference_stack: ReferenceStack, username: str, password: str
) -> None:
    answer = httpx.post(
        reference_stack.main_base + "/auth",
        json={"username": username, "password": password},
        trust_env=False,
    )
    body = assert_envelope(answer, 401, "error.auth.invalid_credentials")
    assert body["error_code"] == "INVALID_CREDENTIALS"


def test_sign_in_body_is_validated(reference_stack: ReferenceStack) -> None:
    answer = httpx.post(
        reference_stack.main_base + "/auth", json={"username": "alice@acme.example"}, trust_env=False
    )
    body = assert_envelope(answer, 400)
    assert body["validation_errors"]


def test_temporary_password_user_gets_a_challenge(reference_stack: ReferenceStack) -> None:
    user = next(u for u in reference_stack.dataset.users if u.get("temporary"))
    answer = httpx.post(
        reference_stack.main_base + "/auth",
        json={"username": user["username"], "password": user["password"]},
        trust_env=False,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["Challenge"] == "NEW_PASSWORD_REQUIRED"
    assert body["Session"]
    assert "AccessToken" not in body


def test_refresh_does_not_rotate(reference_stack: ReferenceStack, alice: Caller) -> None:
    refresh_token = alice.tokens["RefreshToken"]
    for _ in range(2):  # the same refresh token keeps working
        answer = httpx.post(
            reference_stack.main_base + "/auth/refresh_token", json={"token": refresh_token}, trust_env=False
        )
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) >= {"AccessToken", "IdToken", "TokenType", "ExpiresIn"}
        assert "RefreshToken" not in body
        assert body["TokenType"] == "Bearer"
        fresh = alice.main("GET", "/partners/", token=body["AccessToken"])
        assert fresh.status_code == 200


def test_invalid_refresh_token_is_401(reference_stack: ReferenceStack) -> None:
    answer = httpx.post(
        reference_stack.main_base + "/auth/refresh_token",
        json={"token": "not-a-refresh-token"},
        trust_env=False,
    )
    assert_envelope(answer, 401)


def test_status_needs_no_token(reference_stack: ReferenceStack) -> None:
    assert httpx.get(reference_stack.main_base + "/status/", trust_env=False).status_code == 200


def _foreign_signed(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def _bad_tokens(reference_stack: ReferenceStack, alice: Caller) -> dict[str, object]:
    assert alice.token is not None
    return {
        "missing": OMIT,
        "malformed": "not.a.jwt",
        "expired": reference_stack.personas["primary"]["expired_token"],
        "foreign-signed": _foreign_signed(alice.token),
        "id-token": alice.tokens["IdToken"],  # token_use == "id", not an access token
        "unsigned": jwt.encode(
            jwt.decode(alice.token, options={"verify_signature": False}), "", algorithm="none"
        ),
    }


@pytest.mark.parametrize(
    "kind", ["missing", "malformed", "expired", "foreign-signed", "id-token", "unsigned"]
)
@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("main", "/events/"),
        ("main", "/partners/"),
        ("main", "/events/evt_acme_001/clusters"),
        ("cr", "/events/evt_acme_001"),
    ],
)
def test_bad_tokens_are_401_on_both_hosts(
    reference_stack: ReferenceStack, alice: Caller, kind: str, host: str, path: str
) -> None:
    token = _bad_tokens(reference_stack, alice)[kind]
    answer = alice.call(
        "GET", (reference_stack.main_base if host == "main" else reference_stack.cr_base) + path, token=token
    )
    body = assert_envelope(answer, 401)
    assert "items" not in body
    assert "www-authenticate" in answer.headers


def test_expired_token_is_signed_by_the_emulator(reference_stack: ReferenceStack, alice: Caller) -> None:
    """The expired token differs from a live one only in time: same issuer, key id, client and user."""
    assert alice.token is not None
    expired = reference_stack.personas["primary"]["expired_token"]
    live, old = (jwt.decode(t, options={"verify_signature": False}) for t in (alice.token, expired))
    assert old["exp"] < live["iat"]
    for claim in ("iss", "client_id", "sub", "token_use"):
        assert old[claim] == live[claim]
    assert sorted(old["cognito:groups"]) == sorted(live["cognito:groups"])
    assert jwt.get_unverified_header(expired)["kid"] == jwt.get_unverified_header(alice.token)["kid"]
