"""Positive controls: the entitled persona's own request on the same operation, which a negative
probe needs before it is judged (a 404 proves nothing on a route that answers nobody).

A control is sent once per ``(persona, host, operation)`` by the run's probe ledger
(``ProbeLedger.control``, cached). :func:`read_control` and :func:`write_control` return it
:class:`Deferred`: sent when the probe behind it first asks, in the thread that judges the probe, so a
concurrent sweep sends its controls side by side with its probes (and a control whose probe is never
sent is never sent either).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.client import Api, Confirmation
from conformance.errors import Finding
from conformance.scenarios.sending import send
from conformance.spec import Operation, fill_path


class ControlResult(Protocol):
    """A positive control's answer (``conformance.harness.ledger.Control``)."""

    @property
    def ok(self) -> bool: ...
    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def exchange(self) -> Any: ...
    @property
    def unanswered(self) -> bool: ...


class ProbeLedger(Protocol):
    """What scenarios use of the run's probe ledger (``fd_ledger``)."""

    def record(self, rule_id: str, check: str, *, host: str, operation: str, outcome: Any,
               reason: str = "", unanswered: bool = False) -> None: ...

    def control(self, persona: str, host: str, operation: str, send: Callable[[], Any], *,
                accept: Callable[[int], bool] = ..., refused: str = "") -> ControlResult: ...

    def absent(self, host: str) -> str: ...

    def watch(self) -> Any: ...

    def confirm(self, attempt: Callable[[], BaseException | None], first: list[int], *,
                unjudged: tuple[type[Exception], ...] = ()) -> Confirmation: ...

    def flaky(self, finding: Finding, *, host: str, operation: str = "", test: str = "") -> None: ...

    def pool(self) -> Executor | None:
        """The threads a concurrent sweep sends from, or ``None``: the run sends one request at a time."""


class Deferred:
    """A positive control sent when a probe first needs it, once (in the thread that judges the probe:
    a concurrent sweep's controls go out side by side with its probes)."""

    def __init__(self, send: Callable[[], ControlResult]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._held: ControlResult | None = None

    def resolve(self) -> ControlResult:
        with self._lock:
            if self._held is None:
                self._held = self._send()
            return self._held

    @property
    def ok(self) -> bool:
        return self.resolve().ok

    @property
    def status(self) -> int:
        return self.resolve().status

    @property
    def reason(self) -> str:
        return self.resolve().reason

    @property
    def exchange(self) -> Any:
        return self.resolve().exchange

    @property
    def unanswered(self) -> bool:
        return self.resolve().unanswered


def who(api: Api) -> str:
    """The control cache's persona key: the persona and the partner header it sends."""
    return f"{api.persona}:{api.partner or '-'}"


def read_control(ledger: ProbeLedger, api: Api, op: Operation, path: str, **kwargs: Any) -> ControlResult:
    """The positive control of a read: ``api``'s persona gets 2xx on ``op`` at ``path`` (its own ids)."""
    return Deferred(lambda: ledger.control(who(api), op.host, op.label, lambda: api.get(path, **kwargs)))


@dataclass(frozen=True)
class NoControl:
    """A control that cannot be sent: the probes behind it stay unexercised with ``reason``."""

    reason: str
    ok: bool = False
    status: int = 0
    exchange: Any = None
    unanswered: bool = False


def _reaches_handler(status: int) -> bool:
    # The write's route exists and resolved the persona's own eid: anything but an auth refusal,
    # a missing route or object, or a server error (a 400 on the example body still reached it).
    return status < 500 and status not in (401, 404, 405)


def write_control(
    ledger: ProbeLedger, api: Api, op: Operation, own: Mapping[str, Any],
    known: Mapping[str, Any] | None = None,
) -> ControlResult:
    """The positive control of a write: ``api``'s persona sends the same write on its own sandbox
    event (``own`` path values) and reaches the handler. Writes without an eid in the path have no
    sandbox to confine the control to: their probes stay unexercised."""
    path = fill_path(op, own)
    if path is None or not op.eid_params:
        return NoControl("no control: a write outside the sandbox event is not sent with a valid token")
    return Deferred(lambda: ledger.control(
        who(api), op.host, op.label, lambda: send(api, op, path, known=known), accept=_reaches_handler
    ))
