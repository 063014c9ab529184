"""One authenticated session per persona: sign-in, proactive single-flight refresh, partner discovery.

A :class:`Session` signs in once through ``POST {main}/auth`` (lazily, on first use), keeps its tokens
in memory only (registered with the redactor), and refreshes through ``POST /auth/refresh_token`` when
less than five minutes remain — once, however many threads ask at the same moment. Static-token
personas never sign in or refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from conformance.auth._tokens import Tokens, claims, expiry_of, partners_in
from conformance.client import CREDENTIALS, Api, Exchange, Transport
from conformance.config import PersonaSettings, Settings
from conformance.errors import CredentialsError, TargetError, TargetUnavailable
from conformance.redact import REDACTOR

REFRESH_MARGIN = 300.0  # seconds: refresh when less than this remains (developer docs, token refresh)
DEFAULT_LIFETIME = 3600.0


class Session:
    """A persona's tokens against one main host. Extension point: scenarios get these via ``fd_sessions``."""

    def __init__(
        self,
        name: str,
        persona: PersonaSettings,
        transport: Transport,
        main_base: str,
        *,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        self.name = name
        self.persona = persona
        self._api = Api(transport, main_base, host="main", persona=name)
        self._clock = clock
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._tokens: Tokens | None = None
        self.sign_ins = 0
        self.refreshes = 0
        self.refresh_failures = 0
        if persona.uses_token:
            assert persona.token is not None
            REDACTOR.add(persona.token)
            CREDENTIALS.persona_token(persona.token, name)  # reproduction lines name whose it is
            self._tokens = Tokens(
                access=persona.token, expires_at=expiry_of(persona.token) or float("inf")
            )

    # -- public ------------------------------------------------------------------------------

    @property
    def static(self) -> bool:
        return self.persona.uses_token

    @property
    def signed_in(self) -> bool:
        """Whether tokens are at hand (reading :attr:`partners` then sends nothing)."""
        return self._tokens is not None

    @property
    def tokens(self) -> Tokens:
        """The current tokens, signing in first if needed (no refresh)."""
        if self._tokens is None:
            with self._lock:
                if self._tokens is None:
                    self._sign_in_locked()
        assert self._tokens is not None
        return self._tokens

    def access_token(self) -> str:
        """A usable AccessToken: signs in on first use, refreshes when < 5 minutes remain.

        Concurrent callers during a refresh wait for that one refresh instead of starting their own.
        """
        current = self._tokens
        if current is not None and (self.static or not self._due(current)):
            return current.access
        with self._lock:
            current = self._tokens
            if current is None:
                self._sign_in_locked()
            elif not self.static and self._due(current):
                self._refresh_locked()
            assert self._tokens is not None
            return self._tokens.access

    def adopt(self, issued: Mapping[str, Any]) -> None:
        """Take over tokens another process of this run was issued (pre-flight's sign-in, see
        ``Settings.tokens``): the session then signs in only if they cannot be refreshed."""
        access = issued.get("access")
        if self.static or not isinstance(access, str) or not access:
            return
        tokens = Tokens(access=access, expires_at=float(issued.get("expires_at") or 0.0),
                        id_token=issued.get("id_token") or None, refresh=issued.get("refresh") or None)
        for secret in (tokens.access, tokens.id_token, tokens.refresh):
            REDACTOR.add(secret)
        CREDENTIALS.persona_token(tokens.access, self.name)
        with self._lock:
            self._tokens = tokens

    def handover(self) -> dict[str, Any] | None:
        """The current tokens for :meth:`adopt` in another process (``None``: static or not signed in)."""
        tokens = self._tokens
        if self.static or tokens is None:
            return None
        return {"access": tokens.access, "id_token": tokens.id_token, "refresh": tokens.refresh,
                "expires_at": tokens.expires_at}

    def sign_in(self) -> Tokens:
        """Sign in now (also for static tokens: checks they have not expired)."""
        with self._lock:
            self._sign_in_locked()
        assert self._tokens is not None
        return self._tokens

    @property
    def partners(self) -> list[str]:
        """The persona's partners: ``cognito:groups`` entries that match the partner regex, sorted.

        Sorted because the IdP does not promise an order, and runs must be reproducible.
        """
        tokens = self.tokens
        found = partners_in(claims(tokens.id_token)) or partners_in(claims(tokens.access))
        if not found and self.persona.partner:
            return [self.persona.partner]
        return sorted(found)

    @property
    def partner(self) -> str | None:
        """The default partner header: configured, else the only discovered partner, else ``None``."""
        if self.persona.partner:
            return self.persona.partner
        found = self.partners
        return found[0] if len(found) == 1 else None

    @property
    def default_partner(self) -> str | None:
        """Alias of :attr:`partner` (the header ``fd_api`` sends by default)."""
        return self.partner

    @property
    def id_token(self) -> str | None:
        return self.tokens.id_token

    @property
    def refresh_token(self) -> str | None:
        return self.tokens.refresh

    def expires_in(self) -> float:
        return self.tokens.expires_at - self._clock()

    # -- internals ---------------------------------------------------------------------------

    def _due(self, tokens: Tokens) -> bool:
        return tokens.expires_at - self._clock() < self._margin

    def _who(self) -> str:
        return f"persona '{self.name}' ({self.persona.label()})"

    def _sign_in_locked(self) -> None:
        if self.static:
            assert self._tokens is not None
            if self._tokens.expires_at <= self._clock():
                raise CredentialsError(
                    f"{self._who()}: the static token expired",
                    f"put a fresh AccessToken in [personas.{self.name}] token",
                )
            return
        exchange = self._api.post(
            "/auth", json={"username": self.persona.username, "password": self.persona.password}
        )
        body = exchange.json()
        if exchange.status in (400, 401, 403):
            raise CredentialsError(
                f"{self._who()}: POST /auth answered {exchange.status} {_message(body)}".rstrip(),
                f"check [personas.{self.name}] username/password",
            )
        if exchange.status == 200 and isinstance(body, dict) and body.get("Challenge"):
            raise CredentialsError(
                f"{self._who()}: POST /auth answered a {body['Challenge']} challenge instead of tokens",
                "complete the challenge for this user in the webapp, or configure a static token",
            )
        tokens = self._parse(exchange, body, previous_refresh=None)
        if tokens is None:
            down = exchange.status in (502, 503, 504)  # a gateway's answer while the target restarts
            raise (TargetUnavailable if down else TargetError)(
                f"{self._who()}: POST {self._api.base_url}/auth answered {exchange.status} without tokens",
                "check target.main points at the main API base (…/api/v3)",
            )
        self._tokens = tokens
        self.sign_ins += 1

    def _refresh_locked(self) -> None:
        current = self._tokens
        if current is None or not current.refresh:
            self._sign_in_locked()
            return
        exchange = self._api.post("/auth/refresh_token", json={"token": current.refresh})
        tokens = self._parse(exchange, exchange.json(), previous_refresh=current.refresh)
        if tokens is None:
            # A failed refresh forces re-authentication (developer docs, auth session).
            self.refresh_failures += 1
            self._sign_in_locked()
            return
        self._tokens = tokens
        self.refreshes += 1

    def _parse(self, exchange: Exchange, body: Any, *, previous_refresh: str | None) -> Tokens | None:
        if exchange.status != 200 or not isinstance(body, dict):
            return None
        access = body.get("AccessToken")
        if not isinstance(access, str) or not access:
            return None
        id_token = body.get("IdToken") if isinstance(body.get("IdToken"), str) else None
        refresh = body.get("RefreshToken") if isinstance(body.get("RefreshToken"), str) else None
        for secret in (access, id_token, refresh):
            REDACTOR.add(secret)
        CREDENTIALS.persona_token(access, self.name)  # reproduction lines name whose it is
        lifetime = body.get("ExpiresIn")
        now = self._clock()
        if isinstance(lifetime, int | float) and lifetime > 0:
            expires_at = now + float(lifetime)
        else:
            expires_at = expiry_of(access) or now + DEFAULT_LIFETIME
        # The refresh token does not rotate (CONTRACT §2): keep the one we have if none came back.
        return Tokens(access=access, expires_at=expires_at, id_token=id_token,
                      refresh=refresh or previous_refresh)


def _message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return ""


def make_sessions(
    settings: Settings, transport: Transport, *, clock: Callable[[], float] = time.time
) -> dict[str, Session]:
    """A session for every configured persona: not yet signed in, unless ``settings.tokens`` holds
    the tokens pre-flight was issued for it."""
    if not settings.main:
        return {}
    personas: Mapping[str, PersonaSettings] = settings.personas
    sessions = {
        name: Session(name, persona, transport, settings.main, clock=clock)
        for name, persona in personas.items()
        if persona.configured
    }
    for name, issued in settings.tokens.items():  # pre-flight signed them in: no second sign-in
        if name in sessions:
            sessions[name].adopt(issued)
    return sessions
