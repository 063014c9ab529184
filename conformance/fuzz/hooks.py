"""The suite's checks for plain ``schemathesis run``: ``SCHEMATHESIS_HOOKS=conformance.fuzz.hooks``.

Importing this module registers our checks (:mod:`conformance.fuzz.checks`). With
``FDCONF_CONFIG`` naming an ``fdconf.toml`` (``fdconf serve --write-config`` writes one; the usual
``FD_*`` / ``FDCONF_PERSONA_<NAME>_<FIELD>`` variables apply on top, as for ``fdconf run``), it
also bootstraps the run the first time a check or a request needs it:

* the personas sign in (``POST /auth``) through one :class:`~conformance.client.Transport`, which
  also sends the tenancy replays (GET only, audited);
* an auth provider puts the primary persona's token on every operation that declares
  ``bearerAuth``, so no ``-H "Authorization: …"`` is needed (Schemathesis' own no-auth and
  invalid-auth probes stay meaningful: the token is the provider's);
* a ``before_call`` hook sends the primary persona's partner as ``X-Preferred-Partner-Id`` on
  positive cases that do not set one.

Without ``FDCONF_CONFIG`` only the stateless checks (envelope, cid safety, page envelopes) judge.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import schemathesis

from conformance.auth import Session, make_sessions
from conformance.client import PARTNER_HEADER, Transport, budget_for
from conformance.config import CONFIG_ENV, load_settings
from conformance.fuzz import checks as _registered  # noqa: F401 - registers the checks
from conformance.fuzz.context import FuzzCase, FuzzContext, Persona, set_fallback, transport_sender
from conformance.rules import mode_allows


class Bootstrap:
    """The one run of this ``schemathesis run`` process: settings, transport, sessions, context."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: FuzzContext | None = None
        self.sessions: dict[str, Session] = {}

    def context(self) -> FuzzContext:
        with self._lock:
            if self._context is None:
                self._context = self._build()
            return self._context

    def _build(self) -> FuzzContext:
        if not os.environ.get(CONFIG_ENV):
            return FuzzContext()
        settings = load_settings()
        writes = mode_allows(settings.mode, "write")
        transport = Transport(**settings.transport_options(), allow_writes=writes,
                              limiter=budget_for(settings.rate, settings.rate_window))
        self.sessions = make_sessions(settings, transport)
        personas = {name: Persona(s.access_token, tuple(s.partners)) for name, s in self.sessions.items()}
        return FuzzContext(personas=personas, send=transport_sender(transport))

    def primary(self) -> Persona | None:
        return self.context().personas.get("primary")


BOOTSTRAP = Bootstrap()
set_fallback(BOOTSTRAP.context)


@schemathesis.auth(refresh_interval=None).apply_to(schemathesis.openapi.require_security_scheme("bearerAuth"))
class PrimaryToken:
    """The primary persona's current AccessToken (its session refreshes it), when one is configured."""

    def get(self, case: FuzzCase, ctx: Any) -> str | None:
        primary = BOOTSTRAP.primary()
        return primary.token() if primary is not None else None

    def set(self, case: FuzzCase, data: str | None, ctx: Any) -> None:
        if data:
            case.headers["Authorization"] = f"Bearer {data}"


def _is_positive(case: FuzzCase) -> bool:
    meta = case.meta
    return meta is None or str(meta.generation.mode.value) == "positive"


@schemathesis.hook
def before_call(ctx: Any, case: FuzzCase, kwargs: dict[str, Any]) -> None:
    """The primary persona's partner on positive cases (negative ones keep what was generated)."""
    primary = BOOTSTRAP.primary()
    if primary is None or not primary.partner or not _is_positive(case):
        return
    headers = case.headers if case.headers is not None else {}
    if not any(name.lower() == PARTNER_HEADER.lower() for name in headers):
        headers[PARTNER_HEADER] = primary.partner
        case.headers = headers
