"""What our Schemathesis checks know beyond one response: the personas, a GET sender, the replay budget.

A :class:`FuzzContext` belongs to one run. Under pytest the run's schemas carry it (see
:func:`conformance.fuzz.routing.route`: ``fd_context`` is an attribute of the run's schema class), so
a check finds it from the case it judges, and two runs never share one. Under plain ``schemathesis
run`` the schemas are Schemathesis' own: the hooks module's bootstrap (:mod:`conformance.fuzz.hooks`)
supplies the context of that process's one run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemathesis import APIOperation, Case

from conformance.checks import Observed
from conformance.client import Throttled, Transport

#: A Schemathesis test case of an OpenAPI operation, as our checks and tests receive it.
FuzzCase = Case[APIOperation[Any, Any, Any, Any]]

#: Replays per operation (each costs up to three GETs); small on purpose, the scenarios sweep fully.
REPLAYS_PER_OPERATION = 2
Sender = Callable[[str, Mapping[str, str]], Observed]  # (url, headers) -> observed GET


@dataclass
class Persona:
    """One identity for replays: a token source and its partners (the first is its default header)."""

    token: Callable[[], str]
    partners: tuple[str, ...]

    @property
    def partner(self) -> str | None:
        return self.partners[0] if len(self.partners) == 1 else None


@dataclass
class FuzzContext:
    """The personas the replays use, how a replay is sent, and how many each operation may cost."""

    personas: dict[str, Persona] = field(default_factory=dict)
    send: Sender | None = None
    replays: int = REPLAYS_PER_OPERATION
    _budget: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claim_replay(self, key: str) -> bool:
        with self._lock:
            used = self._budget.get(key, 0)
            if used >= self.replays:
                return False
            self._budget[key] = used + 1
            return True


def transport_sender(transport: Transport) -> Sender:
    """GET replays over the run's Transport (guarded, backed off and audited as ``replay``); a replay
    still answered 429 after the retries raises :class:`~conformance.client.Throttled` (no judgement)."""

    def send(url: str, headers: Mapping[str, str]) -> Observed:
        request = transport.build("GET", url, headers=headers)
        exchange = transport.send(request, origin="replay")
        if exchange.status == 429:
            raise Throttled.of(exchange)
        return Observed.from_exchange(exchange)

    return send


#: The context of a plain ``schemathesis run`` (set by the hooks module's bootstrap, at most once).
Fallback = Callable[[], FuzzContext]
_fallback: list[Fallback] = []


def set_fallback(provider: Fallback) -> None:
    """Where :func:`context_of` gets the context when a schema carries none (plain Schemathesis CLI)."""
    _fallback[:] = [provider]


def context_of(case: FuzzCase) -> FuzzContext:
    """The context of the run ``case`` belongs to (an empty one when there is none: stateless checks only)."""
    carried = getattr(type(case.operation.schema), "fd_context", None)
    if isinstance(carried, FuzzContext):
        return carried
    return _fallback[0]() if _fallback else FuzzContext()
