"""The request context handlers receive, the route record, and the services of one stack."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.reference.replies import Reply

if TYPE_CHECKING:
    from conformance.reference.dataset import Dataset
    from conformance.reference.hooks import Hooks
    from conformance.reference.identity import CognitoEmulator, TokenVerifier, User
    from conformance.reference.specs import SpecIndex
    from conformance.reference.store import Store

Handler = Callable[["Ctx"], Reply]
HOSTS = ("main", "media", "cr")  # "media" is the unversioned base of the main host


@dataclass(frozen=True)
class Route:
    """One operation the reference serves. ``template`` is relative to the surface's base URL."""

    surface: str  # main | media | cr
    method: str
    template: str
    handler: Handler
    auth: bool = True  # needs a bearer token and a partner scope (CONTRACT §2)
    body: str = "json"  # json | multipart | none

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.template)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


_CACHE: dict[str, re.Pattern[str]] = {}


def _compile(template: str) -> re.Pattern[str]:
    if template not in _CACHE:
        parts = re.split(r"(\{[a-z_]+\})", template)
        regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
        _CACHE[template] = re.compile(f"^{regex}$")
    return _CACHE[template]


class RequestLog:
    """Every request either app received: ``(host, method, path)``, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[str, str, str]] = []

    def add(self, host: str, method: str, path: str) -> None:
        with self._lock:
            self._items.append((host, method, path))

    def copy(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return list(self._items)


@dataclass
class Services:
    """Everything a handler may use. ``hooks`` is where defects (and only defects) plug in."""

    data: Dataset
    store: Store
    cognito: CognitoEmulator
    verifier: TokenVerifier
    hooks: Hooks
    specs: SpecIndex
    log: RequestLog = field(default_factory=RequestLog)


@dataclass
class Ctx:
    """One request as a handler sees it, after routing, authentication, scoping and validation."""

    svc: Services
    route: Route
    host: str  # main | cr (the server that received it)
    path: str  # relative to the surface base, e.g. /events/evt_acme_001
    params: dict[str, str]  # path parameters, percent-decoded
    query: list[tuple[str, str]]  # raw query pairs, in order
    args: dict[str, Any]  # query parameters coerced and validated per the spec
    headers: dict[str, str]  # lower-case names
    body: Any = None  # parsed JSON body (or None)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name -> (filename, type, data)
    form: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    partner: str = ""  # the scoped partner (empty on unauthenticated routes)

    def arg(self, name: str, default: Any = None) -> Any:
        """A query value: coerced per the spec when it declares the parameter, else the raw string."""
        if name in self.args:
            return self.args[name]
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else default

    def arg_list(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]
