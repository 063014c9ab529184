"""Client-side token reading: unverified claims, partner filtering, expiry."""

from __future__ import annotations

import base64
import json

from conformance.auth._tokens import Tokens, claims, expiry_of, partners_in


def jwt(payload: object) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(payload)}.c2ln"


def test_claims_are_decoded_without_verification() -> None:
    assert claims(jwt({"sub": "alice", "exp": 123})) == {"sub": "alice", "exp": 123}
    assert expiry_of(jwt({"exp": 1700000000})) == 1700000000.0


def test_undecodable_tokens_give_empty_claims() -> None:
    for token in (None, "", "not-a-jwt", "a.b", "a.!!!.c", jwt(["a", "list"]), "x.eyJ1bmZpbmlzaGVk.y"):
        assert claims(token) == {}
    assert expiry_of("nope") is None


def test_only_partner_groups_are_partners() -> None:
    groups = {"cognito:groups": ["partner-id-acme", "webapp-access-group-2", "fd123", "fdx", "partner-id-"]}
    assert partners_in(groups) == ["partner-id-acme", "fd123"]
    assert partners_in({"cognito:groups": "partner-id-beta"}) == ["partner-id-beta"]
    assert partners_in({}) == []


def test_tokens_repr_hides_values() -> None:
    tokens = Tokens(access="access-secret", expires_at=10.0, id_token="id-secret", refresh="refresh-secret")
    text = repr(tokens)
    assert "secret" not in text
    assert "refreshable=True" in text
