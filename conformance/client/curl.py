"""A curl command line that reproduces one request, with secrets redacted."""

from __future__ import annotations

import shlex

import httpx

from conformance.redact import REDACTOR, Redactor

_SKIP_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})


def curl_line(request: httpx.Request, redactor: Redactor = REDACTOR) -> str:
    parts = ["curl", "-sS", "-X", request.method]
    for name, value in redactor.headers(request.headers.multi_items()):
        if name.lower() not in _SKIP_HEADERS:
            parts += ["-H", f"{name}: {value}"]
    body = request.content
    if body:
        text = body.decode("utf-8", "replace")
        parts += ["--data-binary", redactor.text(text)]
    parts.append(redactor.text(str(request.url)))
    return shlex.join(parts)
