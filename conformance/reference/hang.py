"""Endpoints that never answer in time: how a client's bounded patience is tested.

``ReferenceStack(hang=["main GET /events/{eid}/statistics"])`` wraps each host in :class:`HangApp`:
a request to a listed operation (``host METHOD /path-template``, the template relative to the
host's API base) is held for ``hang_seconds`` (default 120, far past any client timeout) before a
504 in the error envelope, as a gateway in front of a stuck backend would do. Everything else is
served as usual. A fourth word holds only the requests whose body contains it
(``main PUT /events/{eid}/setup_frontend_status HIDDEN``: the suite's sandbox cleanup, not the
probes of the same operation). Holding is an ``asyncio`` sleep: other requests on the host are not
slowed down; stopping the stack releases the held requests first, so the servers stop at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASES = {"main": "/api/v3", "cr": "/api"}
DEFAULT_HANG_SECONDS = 120.0
_PARAM = re.compile(r"\\\{[^/]*?\\\}")
Hanging = tuple[str, re.Pattern[str], str]  # method, path pattern, text the body must contain ("" = any)


def parse_hang(labels: Iterable[str]) -> dict[str, list[Hanging]]:
    """``host METHOD /template [BODYTEXT]`` labels → per host, ``(method, path pattern, body text)``;
    ValueError if malformed."""
    out: dict[str, list[Hanging]] = {host: [] for host in BASES}
    for label in labels:
        parts = label.split()
        if len(parts) not in (3, 4) or parts[0] not in BASES or not parts[2].startswith("/"):
            raise ValueError(f"hang {label!r} is not 'HOST METHOD /path [BODYTEXT]' (HOST: main or cr), "
                             "e.g. 'main GET /events/{eid}/statistics'")
        host, method, template = parts[:3]
        path = BASES[host] + template.rstrip("/")
        pattern = re.compile("^" + _PARAM.sub("[^/]+", re.escape(path)) + "/?$")
        out[host].append((method.upper(), pattern, parts[3] if len(parts) == 4 else ""))
    return out


class HangApp:
    """ASGI middleware holding the listed operations of one host for ``seconds`` before a 504."""

    def __init__(self, app: ASGIApp, hanging: list[Hanging],
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
        wanted = self._wanted(scope) if scope["type"] == "http" else None
        if wanted:  # only requests whose body contains the text are held
            messages = await _read_all(receive)
            if wanted.encode() not in b"".join(m.get("body", b"") for m in messages):
                await self.app(scope, _replay(messages, receive), send)
                return
        if wanted is not None:
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

    def _wanted(self, scope: Scope) -> str | None:
        """``None``: not held; else the text the body must contain (``""``: any body)."""
        method, path = scope["method"].upper(), scope["path"]
        texts = [text for m, pattern, text in self.hanging if method == m and pattern.match(path)]
        if not texts:
            return None
        return "" if "" in texts else texts[0]


async def _read_all(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
