"""Reading what the auth sessions know about a persona (tokens, partners, groups), tolerantly.

The scenarios only read sessions; signing in and refreshing is the auth layer's job. Claims are
decoded without verification, to pick headers and to build a foreign-signed copy of a token.
"""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.auth import claims
from conformance.ids import PARTNER_RE


def partners_of(session: Any) -> list[str]:
    value = getattr(session, "partners", None)
    return [p for p in value if isinstance(p, str)] if isinstance(value, list | tuple) else []


def _token_attr(session: Any, attr: str, tokens_attr: str) -> str | None:
    value = getattr(session, attr, None)
    if isinstance(value, str) and value:
        return value
    tokens = getattr(session, "tokens", None)
    value = getattr(tokens, tokens_attr, None) if tokens is not None else None
    return value if isinstance(value, str) and value else None


def refresh_token_of(session: Any) -> str | None:
    return _token_attr(session, "refresh_token", "refresh")


def id_token_of(session: Any) -> str | None:
    return _token_attr(session, "id_token", "id_token")


def non_partner_groups(session: Any) -> list[str]:
    """The persona's ``cognito:groups`` that are not partners (e.g. a webapp access group)."""
    groups = (
        claims(id_token_of(session)).get("cognito:groups")
        or claims(session.access_token()).get("cognito:groups")
        or []
    )
    return [g for g in groups if isinstance(g, str) and not PARTNER_RE.match(g)]


def foreign_signed(token: str) -> str:
    """The same header and claims, signed with a throwaway RSA key the target has never seen."""
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}
    alg = str(header.get("alg", "RS256"))
    return jwt.encode(payload, key, algorithm=alg if alg.startswith(("RS", "PS")) else "RS256", headers=extra)
