"""A real HTTP server on loopback that misbehaves on request: HTML, truncated JSON, silence, 429s."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

Reply = tuple[int, dict[str, str], bytes]
Action = Reply | str | Callable[["Seen"], Reply]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Routes ``(METHOD, path)`` to a reply, or to ``"hang"``, ``"close"``, ``"truncate"``."""

    routes: dict[tuple[str, str], Action] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    base: str = ""
    stop_event: threading.Event = field(default_factory=threading.Event)

    def json(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.routes[(method, path)] = (
            status,
            {"Content-Type": "application/json"},
            json.dumps(body).encode(),
        )


def handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            seen = Seen(self.command, path, dict(self.headers.items()), body)
            server.seen.append(seen)
            action = server.routes.get(
                (self.command, path),
                (404, {"Content-Type": "application/json"}, b'{"message": "error.route.not_found"}'),
            )
            if action == "hang":
                server.stop_event.wait(30)
                self.close_connection = True
                return
            if action == "close":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if action == "truncate":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b'{"items": [1, 2')
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers, payload = action(seen) if callable(action) else action  # type: ignore[misc]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

    return Handler
