"""Real httpx exchanges built as values, for unit tests of the pure checks."""

from __future__ import annotations

import json
from typing import Any

import httpx

from conformance.client import Exchange


def exchange(
    status: int,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    method: str = "GET",
    url: str = "http://127.0.0.1:1/api/v3/events/",
) -> Exchange:
    request = httpx.Request(method, url, headers={"Authorization": "Bearer secret-token-value"})
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.Response(status, content=content, headers=headers, request=request)
    return Exchange(request, response, 0.01)
