"""Reading Cognito tokens on the client side: claims, expiry, partners.

The suite cannot verify signatures (it has no access to the pool's keys on a real target, and it must
not trust what it is testing), so claims are decoded without verification and used only to choose
the partner header and to time refreshes — never as evidence for a rule.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.ids import PARTNER_RE

GROUPS_CLAIM = "cognito:groups"


def claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, unverified; ``{}`` when ``token`` is not a decodable JWT."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def partners_in(token_claims: dict[str, Any]) -> list[str]:
    """The partner ids among the token's ``cognito:groups`` (other groups are not partners)."""
    groups = token_claims.get(GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return [g for g in groups if isinstance(g, str) and PARTNER_RE.match(g)]


def expiry_of(token: str | None) -> float | None:
    """The token's ``exp`` claim (epoch seconds), or ``None`` when it has none."""
    exp = claims(token).get("exp")
    return float(exp) if isinstance(exp, int | float) else None


@dataclass
class Tokens:
    """One persona's current tokens. ``expires_at`` is epoch seconds on the suite's clock."""

    access: str
    expires_at: float
    id_token: str | None = field(default=None, repr=False)
    refresh: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never print a token, even in a traceback
        return f"Tokens(expires_at={self.expires_at:.0f}, refreshable={self.refresh is not None})"
