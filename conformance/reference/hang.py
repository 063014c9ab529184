"""Endpoints that never answer in time: how a client's bounded patience is tested.

``ReferenceStack(hang=["main GET /events/{eid}/statistics"])`` wraps each host in :class:`HangApp`:
a request to a listed operation (``host METHOD /path-template``, the template relative to the
host's API base) is held for ``hang_seconds`` (default 120, far past any client timeout) before a
504 in the error envelope, as a gateway in front of a stuck backend would do. Everything else is
served as usual. Holding is an ``asyncio`` sleep: other requests on the host are not slowed down;
stopping the stack releases the held requests first, so the servers stop at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

BASES = {"main": "/api/v3", "cr": "/api"}
DEFAULT_HANG_SECONDS = 120.0
_PARAM = re.compile(r"\\\{[^/]*?\\\}")


def parse_hang(labels: Iterable[str]) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """``host METHOD /template`` labels → per host, ``(method, path pattern)``; ValueError if malformed."""
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {host: [] for host in BASES}
    for label in labels:
        parts = label.split()
        if len(parts) != 3 or parts[0] not in BASES or not parts[2].startswith("/"):
            raise ValueError(f"hang {label!r} is not 'HOST METHOD /path' (HOST: main or cr), "
                             "e.g. 'main GET /events/{eid}/statistics'")
        host, method, template = parts
        path = BASES[host] + template.rstrip("/")
        out[host].append((method.upper(), re.compile("^" + _PARAM.sub("[^/]+", re.escape(path)) + "/?$")))
    return out


class HangApp:
    """ASGI middleware holding the listed operations of one host for ``seconds`` before a 504."""

    def __init__(self, app: ASGIApp, hanging: list[tuple[str, re.Pattern[str]]],
                 seconds: float = DEFAULT_HANG_SECONDS) -> None:
        self.app = app
        self.hanging = hanging
        self.seconds = seconds
        self.held = 0  # requests held so far (for tests)
        self._released = threading.Event()  # set when the stack stops: held requests get their 504 now

    def release(self) -> None:
        """Answer every held request now (and any later one at once): the stack is stopping."""
        self._released.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._hangs(scope["method"].upper(), scope["path"]):
            self.held += 1
            until = time.monotonic() + self.seconds
            while not self._released.is_set() and time.monotonic() < until:
                await asyncio.sleep(0.05)
            body = json.dumps({"message": "error.gateway.timeout", "error_code": "GATEWAY_TIMEOUT"}).encode()
            await send({"type": "http.response.start", "status": 504,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _hangs(self, method: str, path: str) -> bool:
        return any(method == m and pattern.match(path) for m, pattern in self.hanging)
