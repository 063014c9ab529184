"""One response as the checks see it, whichever client sent the request.

Scenario tests hold :class:`conformance.client.Exchange` objects (httpx); Schemathesis hands checks a
``schemathesis.Response`` (requests). Both are reduced to :class:`Observed` so every check is written
once and stays pure: no check opens a connection or knows which client was used.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.client import Exchange
from conformance.errors import Finding
from conformance.redact import REDACTOR

_NOT_JSON = object()


@dataclass(frozen=True)
class Observed:
    """A request line and its response: status, lower-cased headers, raw body, reproduction text."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    curl: str = ""
    request_text: str = ""
    response_text: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_exchange(cls, exchange: Exchange) -> Observed:
        return cls(
            method=exchange.request.method,
            url=REDACTOR.text(str(exchange.request.url)),
            status=exchange.status,
            headers={k.lower(): v for k, v in exchange.response.headers.items()},
            body=exchange.response.content,
            curl=exchange.curl,
            request_text=exchange.request_text(),
            response_text=exchange.response_text(),
        )

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json_type(self) -> bool:
        ctype = self.content_type
        return ctype == "application/json" or ctype.endswith("+json")

    @property
    def line(self) -> str:
        """``METHOD url -> status`` for finding messages (the url is already redacted by callers)."""
        return f"{self.method} {self.url} -> {self.status}"

    def json(self) -> Any:
        """The body parsed as JSON; ``None`` when it is empty, truncated, HTML or otherwise not JSON."""
        if "json" not in self._cache:
            try:
                self._cache["json"] = jsonlib.loads(self.body.decode("utf-8")) if self.body else _NOT_JSON
            except (ValueError, UnicodeDecodeError):
                self._cache["json"] = _NOT_JSON
        value = self._cache["json"]
        return None if value is _NOT_JSON else value

    @property
    def parses(self) -> bool:
        self.json()
        return self._cache["json"] is not _NOT_JSON

    def snippet(self, limit: int = 200) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return text + ("…" if len(self.body) > limit else "")

    def finding(self, rule_id: str, message: str, *, expected: str = "", received: str = "") -> Finding:
        """A :class:`Finding` about this response, carrying its reproduction."""
        return Finding(
            rule_id,
            message,
            expected=expected,
            received=received or f"{self.status} {self.snippet()}",
            curl=self.curl,
            request=self.request_text,
            response=self.response_text,
        )


def observe(value: Exchange | Observed) -> Observed:
    """Accept either form, so scenario code can pass its Exchanges straight to checks."""
    return value if isinstance(value, Observed) else Observed.from_exchange(value)


def require_json(value: Exchange | Observed, rule_id: str, what: str) -> Any:
    """The JSON body of a response the rule needs data from; a non-JSON body is a finding of that rule.

    This is how "the target answered HTML / truncated JSON / nothing" becomes a finding instead of a
    crash: the scenario asks for JSON it needs and gets a Finding naming the rule it was checking.
    """
    obs = observe(value)
    body = obs.json()
    if not obs.parses:
        raise obs.finding(
            rule_id,
            f"{what}: the response body is not JSON ({obs.line})",
            expected="a JSON body",
            received=f"content-type {obs.content_type or '(none)'}, {len(obs.body)} bytes: {obs.snippet()!r}",
        )
    return body
