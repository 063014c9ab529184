"""A minimal HTTP client for the reference's own tests (the suite's client is deliberately not used,
so these tests exercise the reference over the wire without depending on suite code)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from conformance.reference.stack import ReferenceStack

OMIT = object()


def seg(value: str) -> str:
    """Percent-encode one path segment (a tc with spaces, & or umlauts)."""
    return quote(value, safe="")


class Caller:
    """A persona signed in through ``POST /auth``; every call may override token and partner header."""

    def __init__(self, stack: ReferenceStack, persona: str | None, partner: str | None = None) -> None:
        self.stack = stack
        self.http = httpx.Client(timeout=10, trust_env=False)
        self.partner = partner
        self.token: str | None = None
        self.tokens: dict[str, Any] = {}
        if persona is not None:
            info = stack.personas[persona]
            answer = self.http.post(
                stack.main_base + "/auth", json={"username": info["username"], "password": info["password"]}
            )
            assert answer.status_code == 200, answer.text
            self.tokens = answer.json()
            self.token = self.tokens["AccessToken"]

    def close(self) -> None:
        self.http.close()

    def call(
        self, method: str, url: str, *, token: Any = None, partner: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        bearer = self.token if token is None else token
        if bearer is not OMIT and bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        tenant = self.partner if partner is None else partner
        if tenant is not OMIT and tenant is not None:
            headers["X-Preferred-Partner-Id"] = tenant
        return self.http.request(method, url, headers=headers, **kwargs)

    def main(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, self.stack.main_base + path, **kwargs)

    def cr(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, self.stack.cr_base + path, **kwargs)

    def media(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, self.stack.media_base + path, **kwargs)


def assert_envelope(response: httpx.Response, status: int, message: str | None = None) -> dict[str, Any]:
    """The response is ``status`` with the JSON error envelope (and ``message``, when given)."""
    assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("message"), str)
    assert body["message"].startswith("error.")
    if message is not None:
        assert body["message"] == message, body
    return body


def private_caller(persona: str = "primary") -> Iterator[Caller]:
    """A caller on a reference of its own, for a module whose writes must not leak into others."""
    with ReferenceStack() as stack:
        caller = Caller(stack, persona)
        yield caller
        caller.close()
