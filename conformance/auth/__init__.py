"""Authentication: one :class:`Session` per persona (sign-in, proactive single-flight refresh, partners)."""

from conformance.auth._session import Session, make_sessions
from conformance.auth._tokens import Tokens, claims, partners_in

__all__ = ["Session", "Tokens", "claims", "make_sessions", "partners_in"]
